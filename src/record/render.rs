//! What `whatami record` saw, for people: the command's end, the profile written,
//! each `--against` profile's blocked calls, then the strace -c table.

use super::report::RecordReport;
use crate::render::color::Paint;
use crate::render::summary::summary_table;
use crate::render::writer::{Writer, command_line, plain};
use std::io::{self, Write};

/// Where the text after a label starts.
const COL: usize = 14;

fn times(n: u64) -> String {
    if n == 1 {
        "1 call".into()
    } else {
        format!("{n} calls")
    }
}

/// What was seen, laid out for `width` columns.
pub fn human(out: &mut impl Write, r: &RecordReport, color: bool, width: usize) -> io::Result<()> {
    let p = Paint::new(color);
    let mut w = Writer::new(out, p, COL, width);
    let cmd = command_line(&r.command);
    if !r.traced {
        let why = r.unavailable.as_deref().unwrap_or("it did not run");
        let head = format!("whatami record: cannot trace `{cmd}`: {why}; it did not run");
        return w.line(&p.bad(&head));
    }
    let ended = match &r.exit {
        Some(e) => match (e.code, e.signal) {
            (_, Some(s)) => format!("was killed by {}", crate::trace::decode::signal(s as u64)),
            (Some(c), _) => format!("exited with status {c}"),
            _ => "ended".into(),
        },
        None if r.pid.is_some() => "traced, then let go".into(),
        None => "did not end normally".into(),
    };
    let cmd = match r.pid {
        Some(pid) => format!("pid {pid} `{cmd}`"),
        None => format!("`{cmd}`"),
    };
    let mut per_abi: Vec<(String, usize)> = Vec::new();
    for c in &r.calls {
        match per_abi.iter_mut().find(|(a, _)| *a == c.abi) {
            Some(e) => e.1 += 1,
            None => per_abi.push((c.abi.clone(), 1)),
        }
    }
    let abis: Vec<String> = per_abi.iter().map(|(a, n)| format!("{a} {n}")).collect();
    let head = format!(
        "whatami record: {cmd} {ended}; {} distinct calls ({}), {} in all",
        r.calls.len(),
        abis.join(", "),
        times(r.totals.calls)
    );
    w.line(&p.heading(&head))?;
    if let Some(written) = &r.profile {
        let errno = crate::linux::errno::name(written.default_errno);
        w.paragraph(
            "profile",
            &format!(
                "{} ({} format, {} rules{}; {errno} for every other call)",
                written.path,
                written.format,
                written.rules,
                if written.arg_rules {
                    ", argument rules"
                } else {
                    ""
                }
            ),
            plain,
        )?;
        for m in &written.merged {
            w.paragraph("merged", m, plain)?;
        }
    }
    for u in &r.unnamed {
        let text = format!(
            "{} #{} ({}): left out of the profile, which can only name calls",
            u.abi,
            u.nr,
            times(u.count)
        );
        w.paragraph("unnamed", &text, |p, s| p.warn(s))?;
    }
    for a in &r.against {
        writeln!(w.out)?;
        let verdict = if a.blocked.is_empty() {
            p.good("lets every call through")
        } else {
            p.bad(&format!("would block {}", a.blocked.len()))
        };
        w.line(&(p.heading(&format!("Against {} ({}):", a.profile, a.title)) + " " + &verdict))?;
        w.paragraph(
            "assumed",
            &format!(
                "{} ({}), as {} builds the filter: {}",
                a.capabilities_of,
                a.capabilities.len(),
                a.runtime,
                if a.capabilities.is_empty() {
                    "none".to_string()
                } else {
                    a.capabilities.join(" ")
                }
            ),
            plain,
        )?;
        for (i, b) in a.blocked.iter().enumerate() {
            let abi = if b.abi == crate::linux::abi::native().name {
                String::new()
            } else {
                format!("[{}] ", b.abi)
            };
            let answer = match &b.errno_name {
                Some(e) => e.clone(),
                None => b.verdict.clone(),
            };
            let text = format!(
                "{abi}{}({}) = {answer} ({})",
                b.syscall,
                b.args.as_deref().unwrap_or("..."),
                times(b.count)
            );
            w.paragraph(if i == 0 { "blocked" } else { "" }, &text, |p, s| p.bad(s))?;
        }
    }
    writeln!(w.out)?;
    summary_table(w.out, &p, &r.summary, &r.totals)?;
    if !r.notes.is_empty() {
        writeln!(w.out)?;
        for n in &r.notes {
            w.paragraph("note", n, |p, s| p.warn(s))?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::writer::WIDTH;

    /// `whatami record --json` of real runs (tests/snapshots/record/NAME.json:
    /// a profile with --against and --arg-rules, one written to stdout,
    /// tracing refused) read back: printed as JSON it is the file again, and
    /// printed for people it is NAME.txt (NAME.color.txt with color).
    #[test]
    fn captured_records_print_as_pinned() {
        use crate::snapshots;
        let mut failures = Vec::new();
        for name in snapshots::captured("record") {
            let path = snapshots::dir().join(format!("record/{name}.json"));
            let text = std::fs::read_to_string(&path).unwrap();
            let r: RecordReport = serde_json::from_str(&text).unwrap();
            let mut out = Vec::new();
            crate::render::json::write(&mut out, &r).unwrap();
            let json = String::from_utf8(out).unwrap();
            assert_eq!(
                snapshots::mask_floats(&json),
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
                let rel = format!("record/{name}.{suffix}");
                snapshots::compare_x86_64_capture(&rel, &got, &mut failures);
            }
        }
        snapshots::assert_none(&failures);
    }
}
