//! Human rendering of the seccomp section: the status line facts, then the
//! probe's verdicts grouped by action and errno per entry point, argument
//! rules in plain words, and the calls whose verdict depends on arguments.

use super::writer::{VALUE_COL, Writer, layout};
use crate::model::*;
use std::collections::BTreeMap;
use std::io::{self, Write};

pub(super) fn write<W: Write>(w: &mut Writer<'_, W>, s: &Seccomp) -> io::Result<()> {
    w.section("Seccomp")?;
    match &s.status {
        Section::Failed { error } => w.failed(error)?,
        Section::Ok(st) => {
            let mode = match st.mode {
                SeccompMode::Disabled => w.p.bad("disabled"),
                SeccompMode::Strict => w.p.good("strict"),
                SeccompMode::Filter => w.p.good("filter"),
            };
            w.row("mode", &mode)?;
            let filters = match st.filters {
                Some(n) => n.to_string(),
                None => w.p.dim("unknown (kernel older than 5.9)"),
            };
            w.row("filters", &filters)?;
            let nnp = if st.no_new_privs {
                w.p.good("yes")
            } else {
                w.p.warn("no")
            };
            w.row("no_new_privs", &nnp)?;
        }
    }
    match &s.probe {
        Section::Failed { error } => w.text_rows("probe", &format!("failed: {error}")),
        Section::Ok(p) => probe(w, p),
    }
}

fn probe<W: Write>(w: &mut Writer<'_, W>, p: &Probe) -> io::Result<()> {
    if p.method == ProbeMethod::None {
        let why = p.note.as_deref().unwrap_or("not run");
        return w.row("probe", &w.p.dim(&format!("not run: {why}")));
    }
    let per_abi: Vec<String> = p
        .abis
        .iter()
        .filter(|a| a.probed)
        .map(|a| format!("{} {}", a.abi, a.probes))
        .collect();
    let total = p.results.len() + p.arg_probes.len();
    let method = match p.method {
        ProbeMethod::Notify => "exact (notification)",
        ProbeMethod::Direct => "direct calls (less exact)",
        ProbeMethod::None => "none",
    };
    w.row(
        "probe",
        &format!(
            "{method}: {total} probes in {:.1} ms ({})",
            p.elapsed_us as f64 / 1000.0,
            per_abi.join(", ")
        ),
    )?;
    if let Some(n) = &p.note {
        w.text_rows("", n)?;
    }
    if p.unlearned > 0 {
        let msg = format!(
            "incomplete: {} verdicts could not be learned (each is unknown, with the reason in --json)",
            p.unlearned
        );
        w.text_rows("", &w.p.warn(&msg))?;
    }
    if p.method == ProbeMethod::Direct {
        direct_certainty(w, p)?;
    }
    for a in &p.abis {
        if a.probed {
            abi_verdicts(w, p, &a.abi)?;
        } else {
            let why = a.note.as_deref().unwrap_or("not probed");
            w.text_rows(&a.abi, &format!("not probed: {why}"))?;
        }
    }
    argument_rules(w, p)?;
    argument_dependent(w, p)
}

/// Direct probing is less exact: say how many verdicts are uncertain (marked
/// "?" in the lists) and how many calls were not made at all.
fn direct_certainty<W: Write>(w: &mut Writer<'_, W>, p: &Probe) -> io::Result<()> {
    let uncertain = |v: &dyn Fn(Verdict) -> bool| {
        p.results
            .iter()
            .filter(|r| v(r.verdict) && r.confidence == Confidence::Uncertain)
            .count()
            + p.arg_probes
                .iter()
                .filter(|a| v(a.verdict) && a.confidence == Some(Confidence::Uncertain))
                .count()
    };
    let blocked = uncertain(&|v| !matches!(v, Verdict::Allowed | Verdict::Unknown));
    let allowed = uncertain(&|v| v == Verdict::Allowed);
    // Calls the direct method chose not to make have no `direct` record;
    // exempt ones are the kernel's, counted elsewhere.
    let not_probed = p
        .results
        .iter()
        .filter(|r| r.verdict == Verdict::Unknown && r.direct.is_none())
        .count();
    let text = format!(
        "{blocked} blocked verdicts uncertain (marked ?: the kernel itself may give that \
         errno); {allowed} allowed verdicts uncertain (the kernel's own ENOSYS looks like a \
         policy's); {not_probed} calls not probed (no harmless arguments)"
    );
    w.text_rows("certainty", &w.p.warn(&text))
}

/// How a group of results is labelled: "EPERM", "ENOSYS", "kill process", ...
pub(super) fn outcome_label(o: &Outcome) -> String {
    match o.verdict {
        Verdict::Allowed => "allowed".into(),
        Verdict::Errno => match o.errno {
            Some(0) => "faked success (errno 0)".into(),
            Some(e) => crate::linux::errno::name(e),
            None => "errno".into(),
        },
        Verdict::KillProcess => "kill process".into(),
        Verdict::KillThread => "kill thread".into(),
        Verdict::Trap => match o.trap_data {
            Some(d) => format!("trap (data {d:#x})"),
            None => "trap".into(),
        },
        Verdict::Exempt => "exempt".into(),
        Verdict::Unknown => "unknown".into(),
    }
}

/// Sort key so groups print in a stable, meaningful order: errnos by
/// number, then kills, traps, exempt, unknown.
fn group_rank(verdict: Verdict) -> u8 {
    match verdict {
        Verdict::Errno => 0,
        Verdict::KillProcess => 1,
        Verdict::KillThread => 2,
        Verdict::Trap => 3,
        Verdict::Exempt => 4,
        Verdict::Unknown => 5,
        Verdict::Allowed => 6,
    }
}

fn abi_verdicts<W: Write>(w: &mut Writer<'_, W>, p: &Probe, abi: &str) -> io::Result<()> {
    let results: Vec<&SyscallResult> = p.results.iter().filter(|r| r.abi == abi).collect();
    let count = |v: Verdict| results.iter().filter(|r| r.verdict == v).count();
    let (allowed, exempt, unknown) = (
        count(Verdict::Allowed),
        count(Verdict::Exempt),
        count(Verdict::Unknown),
    );
    // One answer for every call (a whole entry point blocked, or allowed).
    if let Some(first) = results.first()
        && results.len() > 1
        && results.iter().all(|r| r.outcome() == first.outcome())
    {
        let label = outcome_label(&first.outcome());
        let text = format!("all {} calls: {label}", results.len());
        let painted = match first.verdict {
            Verdict::Allowed => text,
            Verdict::Unknown => w.p.warn(&text),
            Verdict::Exempt => w.p.dim(&text),
            _ => w.p.good(&text),
        };
        return w.row(abi, &painted);
    }
    let blocked = results.len() - allowed - exempt - unknown;
    let mut summary = format!("{allowed} allowed, {blocked} blocked");
    if exempt > 0 {
        summary.push_str(&format!(", {exempt} exempt"));
    }
    if unknown > 0 {
        summary.push_str(&format!(", {unknown} unknown"));
    }
    summary.push_str(&format!(" (of {})", results.len()));

    // Entry points other than the native one are shown as their difference
    // from it, name by name: a policy usually treats them alike, and where
    // it does not (a forgotten x32 bit, an i386 rule) that is what matters.
    let native = p.abis.first().map(|a| a.abi.as_str()).filter(|n| *n != abi);
    // Built by insertion, not `collect`: a collected B-tree map brings its
    // own copy of the standard sort (see crate::sort).
    let mut native_outcome: BTreeMap<&str, Outcome> = BTreeMap::new();
    for r in p.results.iter().filter(|r| Some(r.abi.as_str()) == native) {
        if let Some(name) = r.name.as_deref() {
            native_outcome.insert(name, r.outcome());
        }
    }
    let shown: Vec<&SyscallResult> = results
        .iter()
        .copied()
        .filter(|r| {
            let native_has = r.name.as_deref().and_then(|n| native_outcome.get(n));
            match native_has {
                // A call both entry points have: shown when they disagree
                // (the native verdict "exempt" is the kernel's, not the policy's).
                Some(o) if native.is_some() => o.verdict != Verdict::Exempt && *o != r.outcome(),
                // Only this entry point has it, or this is the native one.
                _ => r.verdict != Verdict::Allowed,
            }
        })
        .collect();
    if let Some(n) = native {
        if shown.is_empty() {
            summary.push_str(&format!("; same as {n} for every call both have"));
        } else {
            summary.push_str(&format!("; differs from {n} for:"));
        }
    }
    w.row(abi, &summary)?;

    let mut groups: BTreeMap<(u8, u32, u32), (String, Vec<&SyscallResult>)> = BTreeMap::new();
    for r in shown {
        let key = (
            group_rank(r.verdict),
            r.errno.unwrap_or(0),
            r.trap_data.unwrap_or(0),
        );
        groups
            .entry(key)
            .or_insert_with(|| (outcome_label(&r.outcome()), Vec::new()))
            .1
            .push(r);
    }
    for (label, members) in groups.values() {
        // Direct probing marks the verdicts it cannot vouch for.
        let mut items: Vec<String> = members
            .iter()
            .filter_map(|r| {
                let n = r.name.clone()?;
                Some(match r.confidence {
                    Confidence::Uncertain if r.verdict != Verdict::Unknown => format!("{n}?"),
                    _ => n,
                })
            })
            .collect();
        let unnamed: Vec<u32> = members
            .iter()
            .filter(|r| r.name.is_none())
            .map(|r| r.nr & !crate::linux::abi::X32_SYSCALL_BIT)
            .collect();
        items.extend(ranges(&unnamed).into_iter().map(|r| format!("#{r}")));
        let head = format!("  {label} ({})", members.len());
        let painted = match label.as_str() {
            "allowed" => w.p.bad(&head),
            l if l.starts_with("kill") => w.p.bad(&head),
            _ => w.p.warn(&head),
        };
        list_under(w, &painted, head.len(), &items)?;
    }
    Ok(())
}

/// Prints `items` wrapped in the value column, the first line after `head`
/// (already painted; `head_len` is its plain width).
fn list_under<W: Write>(
    w: &mut Writer<'_, W>,
    head: &str,
    head_len: usize,
    items: &[String],
) -> io::Result<()> {
    // Laid out under the values, the first line's indent then given to the
    // head.
    let laid = layout(&w.p, VALUE_COL, w.width(), "", &items.join(" "), 0);
    let pad = VALUE_COL.saturating_sub(2 + head_len).max(1);
    let rest = laid.get(VALUE_COL..).unwrap_or_default();
    write!(w.out, "  {head}{:pad$}{rest}", "")
}

/// Compresses sorted numbers into "a-b" ranges.
fn ranges(nrs: &[u32]) -> Vec<String> {
    let mut out = Vec::new();
    let mut it = nrs.iter().copied().peekable();
    while let Some(start) = it.next() {
        let mut end = start;
        while it.peek() == Some(&(end + 1)) {
            end = it.next().unwrap_or(end);
        }
        out.push(if start == end {
            start.to_string()
        } else {
            format!("{start}-{end}")
        });
    }
    out
}

/// "unshare: allowed; EPERM with CLONE_NEWUSER" for each syscall whose
/// argument probes do not all agree with its first (ordinary) probe.
fn argument_rules<W: Write>(w: &mut Writer<'_, W>, p: &Probe) -> io::Result<()> {
    let mut by_syscall: Vec<(&str, Vec<&ArgProbe>)> = Vec::new();
    for a in &p.arg_probes {
        match by_syscall.iter_mut().find(|(s, _)| *s == a.syscall) {
            Some((_, v)) => v.push(a),
            None => by_syscall.push((&a.syscall, vec![a])),
        }
    }
    let mut lines = Vec::new();
    for (syscall, probes) in &by_syscall {
        let Some((base, rest)) = probes.split_first() else {
            continue;
        };
        let differing: Vec<&&ArgProbe> = rest
            .iter()
            .filter(|a| a.outcome() != base.outcome())
            .collect();
        if differing.is_empty() {
            continue;
        }
        let mut parts: Vec<(String, Vec<String>)> = Vec::new();
        for a in differing {
            let label = outcome_label(&a.outcome());
            let what = inner_label(&a.label, syscall);
            match parts.iter_mut().find(|(l, _)| *l == label) {
                Some((_, v)) => v.push(what),
                None => parts.push((label, vec![what])),
            }
        }
        let rest: Vec<String> = parts
            .into_iter()
            .map(|(label, whats)| format!("{label} with {}", whats.join(", ")))
            .collect();
        lines.push(format!(
            "{syscall}: {}; {}",
            outcome_label(&base.outcome()),
            rest.join("; ")
        ));
    }
    if lines.is_empty() {
        return w.row(
            "argument rules",
            &w.p.dim("none seen in the argument probes"),
        );
    }
    for (i, l) in lines.iter().enumerate() {
        w.text_rows(if i == 0 { "argument rules" } else { "" }, l)?;
    }
    Ok(())
}

/// "unshare(CLONE_NEWUSER)" -> "CLONE_NEWUSER".
fn inner_label(label: &str, syscall: &str) -> String {
    label
        .strip_prefix(syscall)
        .and_then(|s| s.strip_prefix('('))
        .and_then(|s| s.strip_suffix(')'))
        .unwrap_or(label)
        .to_string()
}

/// Syscalls whose all-ones sweep disagreed with the zero sweep.
fn argument_dependent<W: Write>(w: &mut Writer<'_, W>, p: &Probe) -> io::Result<()> {
    let items: Vec<String> = p
        .results
        .iter()
        .filter_map(|r| {
            let o = r.all_ones?;
            Some(format!(
                "{} ({} with all-ones arguments)",
                r.name.clone().unwrap_or_else(|| format!("#{}", r.nr)),
                outcome_label(&o)
            ))
        })
        .collect();
    let swept: Vec<&str> = p
        .abis
        .iter()
        .filter(|a| a.all_ones_swept)
        .map(|a| a.abi.as_str())
        .collect();
    if swept.is_empty() {
        return Ok(());
    }
    let scope = format!("(all-ones sweep of {})", swept.join(", "));
    if items.is_empty() {
        return w.row("reads arguments", &w.p.dim(&format!("none seen {scope}")));
    }
    for (i, item) in items.iter().enumerate() {
        if i == 0 {
            w.row("reads arguments", item)?;
        } else {
            w.cont(item)?;
        }
    }
    w.cont(&w.p.dim(&scope))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_compress_runs() {
        assert_eq!(ranges(&[1, 2, 3, 5, 7, 8]), vec!["1-3", "5", "7-8"]);
        assert!(ranges(&[]).is_empty());
    }

    fn label(verdict: Verdict, errno: Option<u32>, trap_data: Option<u32>) -> String {
        outcome_label(&Outcome {
            verdict,
            errno,
            trap_data,
        })
    }

    #[test]
    fn labels_name_errnos_and_actions() {
        assert_eq!(label(Verdict::Errno, Some(1), None), "EPERM");
        assert_eq!(label(Verdict::Errno, Some(38), None), "ENOSYS");
        assert_eq!(
            label(Verdict::Errno, Some(0), None),
            "faked success (errno 0)"
        );
        assert_eq!(
            label(Verdict::Trap, None, Some(0x1234)),
            "trap (data 0x1234)"
        );
        assert_eq!(label(Verdict::KillThread, None, None), "kill thread");
    }

    #[test]
    fn inner_labels_drop_the_syscall_name() {
        assert_eq!(
            inner_label("unshare(CLONE_NEWUSER)", "unshare"),
            "CLONE_NEWUSER"
        );
        assert_eq!(inner_label("odd", "unshare"), "odd");
    }
}
