//! The explanation for people: each failing call as strace shows it, its
//! cause, what else is in the way, the fix; then a `strace -c` table. And
//! the same as one JSON object.

use super::causes::Certainty;
use super::report::{Attached, FailureReport, WhyReport};
use crate::render::color::Paint;
use crate::render::summary::summary_table;
use crate::render::writer::{Writer, command_line, layout, plain, untrusted};
use std::io::{self, Write};

/// Where the text after a label starts.
const COL: usize = 12;
/// Failing calls shown in full; the JSON has every one.
const MAX_SHOWN: usize = 100;

fn dim(p: &Paint, s: &str) -> String {
    p.dim(s)
}

/// The explanation, laid out for `width` columns.
pub fn human(out: &mut impl Write, r: &WhyReport, color: bool, width: usize) -> io::Result<()> {
    let mut w = Writer::new(out, Paint::new(color), COL, width);
    let cmd = command_line(&r.command);
    if !r.traced {
        let what = match r.pid {
            Some(pid) if r.command.is_empty() => format!("pid {pid}"),
            Some(pid) => format!("pid {pid} `{cmd}`"),
            None => format!("`{cmd}`"),
        };
        let head = match &r.tracing.unavailable {
            Some(why) => format!("whatami why: cannot trace {what}: {why}"),
            None => format!("whatami why: `{cmd}` did not run"),
        };
        w.line(&w.p.bad(&head))?;
        if let Some(f) = &r.tracing.refused {
            writeln!(w.out)?;
            failure(&mut w, f)?;
        }
        if !r.likely.is_empty() {
            writeln!(w.out)?;
            w.line(
                &w.p.heading("What the static report says about the command's likely failures"),
            )?;
            for l in &r.likely {
                // A dash at column 2, the text wrapped under itself.
                let laid = layout(&w.p, 2, w.width(), "", &format!("- {l}"), 2);
                w.out.write_all(laid.as_bytes())?;
            }
        }
        return notes(&mut w, r);
    }
    let ended = match &r.exit {
        Some(e) => match (e.code, e.signal) {
            (_, Some(s)) => format!("was killed by {}", crate::trace::decode::signal(s as u64)),
            (Some(c), _) => format!("exited with status {c}"),
            _ => "ended".into(),
        },
        None => "did not end normally".into(),
    };
    let harmless = r.failures.iter().filter(|f| f.harmless).count();
    let n = r.failures.len() - harmless;
    let what = match &r.attached {
        Some(a) => attached(a, &cmd, &ended),
        None => format!("`{cmd}` {ended}"),
    };
    let head = format!(
        "whatami why: {what}; {}{}",
        match (n, harmless) {
            (0, 0) => "no call failed for a reason whatami explains".to_string(),
            (0, 1) => "1 failing call, which the program recovered from by itself".to_string(),
            (0, h) => format!("{h} failing calls, which the program recovered from by itself"),
            (1, _) => "1 failing call explained".to_string(),
            (n, _) => format!("{n} failing calls explained"),
        },
        match harmless {
            _ if n == 0 => String::new(),
            0 => String::new(),
            1 => ", and 1 the program recovered from by itself".to_string(),
            h => format!(", and {h} the program recovered from by itself"),
        }
    );
    w.line(&w.p.heading(&head))?;
    for f in r.failures.iter().take(MAX_SHOWN) {
        writeln!(w.out)?;
        failure(&mut w, f)?;
    }
    if r.failures.len() > MAX_SHOWN {
        writeln!(w.out)?;
        let more = format!(
            "{} more failing calls are not shown here: --json lists them all",
            r.failures.len() - MAX_SHOWN
        );
        w.line(&w.p.warn(&more))?;
    }
    writeln!(w.out)?;
    table(&mut w, r)?;
    notes(&mut w, r)
}

/// A running process traced for a while: for how long, and how it ended.
fn attached(a: &Attached, cmd: &str, ended: &str) -> String {
    let how = match (a.ended_by.as_str(), &a.signal) {
        ("exit", _) => ended.to_string(),
        ("duration", _) => "let go".into(),
        (_, Some(s)) => format!("let go at {s}"),
        _ => "let go early".into(),
    };
    format!(
        "pid {} `{cmd}` traced for {:.1} s, {how}",
        a.pid,
        a.traced_ms as f64 / 1000.0
    )
}

fn failure<O: Write>(w: &mut Writer<O>, f: &FailureReport) -> io::Result<()> {
    // A call through another entry point than the native one says which.
    let abi = if f.abi == crate::linux::abi::native().name {
        String::new()
    } else {
        format!("[{}] ", f.abi)
    };
    let line = format!("{abi}{} = {}", f.call, f.result);
    w.line(&w.p.heading(&untrusted(&line)))?;
    let mut place = Vec::new();
    if let Some(prog) = &f.program {
        place.push(prog.clone());
    }
    let pids: Vec<String> = f.pids.iter().map(i32::to_string).collect();
    match pids.len() {
        0 => {}
        1 => place.push(format!("pid {}", pids[0])),
        _ => place.push(format!("pids {}", pids.join(" "))),
    }
    if f.count > 1 {
        place.push(format!("{} times", f.count));
    }
    if !place.is_empty() {
        w.paragraph("in", &place.join(", "), dim)?;
    }
    for (i, c) in f.causes.iter().enumerate() {
        let label = if i == 0 { "cause" } else { "also" };
        let sure = match c.certainty {
            Certainty::Exact => "",
            Certainty::Likely => " (likely)",
            Certainty::Possible => " (possible)",
        };
        let text = format!("{}{sure}", c.summary);
        if i == 0 {
            w.paragraph(label, &text, |p, s| p.bad(s))?;
        } else {
            w.paragraph(label, &text, plain)?;
        }
        for e in &c.evidence {
            // A bullet, and its text wrapped under itself.
            w.text_rows("", &w.p.dim(&format!("· {e}")))?;
        }
    }
    if f.harmless {
        let by = f.fallback.as_deref().unwrap_or("an older call");
        let text = format!("the program fell back to {by}, which succeeded: nothing to fix");
        w.paragraph("harmless", &text, dim)?;
    }
    if let Some(fix) = &f.fix {
        w.paragraph("fix", fix, |p, s| p.good(s))?;
    }
    Ok(())
}

/// The strace -c table.
fn table<O: Write>(w: &mut Writer<O>, r: &WhyReport) -> io::Result<()> {
    summary_table(w.out, &w.p, &r.summary, &r.totals)
}

fn notes<O: Write>(w: &mut Writer<O>, r: &WhyReport) -> io::Result<()> {
    let mut all: Vec<String> = r.notes.clone();
    if let Some(n) = &r.seccomp.note {
        all.push(format!("seccomp: {n}"));
    }
    if r.totals.failures_not_kept > 0 {
        all.push(format!(
            "{} more failing calls were counted but not kept (too many distinct ones)",
            r.totals.failures_not_kept
        ));
    }
    if all.is_empty() {
        return Ok(());
    }
    writeln!(w.out)?;
    for n in all {
        w.paragraph("note", &n, |p, s| p.warn(s))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `whatami why --json` of real runs (tests/snapshots/why/NAME.json: a
    /// seccomp refusal, a missing capability, file permissions, a read-only
    /// mount, tracing refused) read back: printed as JSON it is the file
    /// again, and printed for people it is NAME.txt (NAME.color.txt with
    /// color).
    use crate::render::writer::WIDTH;

    #[test]
    fn captured_explanations_print_as_pinned() {
        use crate::snapshots;
        let mut failures = Vec::new();
        for name in snapshots::captured("why") {
            let path = snapshots::dir().join(format!("why/{name}.json"));
            let text = std::fs::read_to_string(&path).unwrap();
            let r: WhyReport = serde_json::from_str(&text).unwrap();
            let mut out = Vec::new();
            crate::render::json::write(&mut out, &r).unwrap();
            let again = String::from_utf8(out).unwrap();
            assert_eq!(
                snapshots::mask_floats(&again),
                snapshots::mask_floats(&text),
                "{name}: JSON"
            );
            // As wide as a pipe gets, and as an 80-column terminal, where no
            // line may be longer.
            for (suffix, color, width) in [
                ("txt", false, WIDTH),
                ("color.txt", true, WIDTH),
                ("80.txt", false, 80),
            ] {
                let mut out = Vec::new();
                human(&mut out, &r, color, width).unwrap();
                let got = String::from_utf8(out).unwrap();
                snapshots::fits(&format!("{name} at {width}"), &got, width, &mut failures);
                let rel = format!("why/{name}.{suffix}");
                snapshots::compare_x86_64_capture(&rel, &got, &mut failures);
            }
        }
        snapshots::assert_none(&failures);
    }
}
