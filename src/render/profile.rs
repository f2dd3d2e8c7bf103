//! Human rendering of `seccomp.profile`: which known profile the policy is,
//! how it differs, the stale-profile warnings, and the `--profile FILE`
//! comparison.

use super::seccomp::outcome_label;
use super::writer::Writer;
use crate::model::*;
use crate::profile::compare::summary;
use std::io::{self, Write};

pub(super) fn write<W: Write>(w: &mut Writer<'_, W>, p: &ProfileReport) -> io::Result<()> {
    let how = |runtime: &Option<String>, lib: &Option<String>| {
        let mut parts = Vec::new();
        if let Some(r) = runtime {
            parts.push(format!("as {r} builds it"));
        }
        match lib.as_deref() {
            Some("current") => parts.push("a libseccomp that knows every call".to_string()),
            Some(l) => parts.push(format!("libseccomp {l}")),
            None => {}
        }
        parts.join(", ")
    };
    if p.title != "unknown (no probe)" {
        let text = match (&p.matched, p.score) {
            (Some(_), Some(score)) => {
                let extra = how(&p.runtime, &p.libseccomp);
                format!(
                    "{} ({:.1}% of {} probes{}{})",
                    summary(&p.title, &p.differences),
                    score * 100.0,
                    p.compared,
                    if extra.is_empty() { "" } else { "; " },
                    extra
                )
            }
            (None, Some(score)) => {
                let closest = p
                    .candidates
                    .first()
                    .map(|c| c.title.as_str())
                    .unwrap_or("none");
                format!(
                    "custom (closest: {closest}, {:.1}% of {} probes, {} differences)",
                    score * 100.0,
                    p.compared,
                    p.differences.len()
                )
            }
            _ => p.title.clone(),
        };
        w.text_rows("profile", &text)?;
    }
    for warning in &p.warnings {
        warn(w, warning)?;
    }
    if let Some(g) = &p.given {
        match g {
            Section::Failed { error } => {
                w.text_rows("vs FILE", &w.p.warn(&format!("not compared: {error}")))?
            }
            Section::Ok(g) => given(w, g, &how(&g.runtime, &g.libseccomp))?,
        }
    }
    Ok(())
}

fn warn<W: Write>(w: &mut Writer<'_, W>, x: &ProfileWarning) -> io::Result<()> {
    let label = match x.kind.as_str() {
        "stale_eperm" => "stale profile",
        "libseccomp_dropped" => "dropped calls",
        _ => "note",
    };
    let mut text = x.message.clone();
    if !x.syscalls.is_empty() {
        text.push_str(": ");
        text.push_str(&x.syscalls.join(" "));
    }
    w.text_rows(label, &w.p.warn(&text))
}

fn given<W: Write>(w: &mut Writer<'_, W>, g: &GivenProfile, how: &str) -> io::Result<()> {
    let head = format!(
        "{} ({} format{}{})",
        g.path,
        g.format,
        if how.is_empty() { "" } else { ", " },
        how
    );
    w.text_rows("vs FILE", &head)?;
    if g.differences.is_empty() {
        w.text_rows(
            "",
            &w.p.good(&format!(
                "no difference: all {} probes answered as the file says",
                g.compared
            )),
        )?;
    } else {
        for (change, words) in [
            ("blocked", "blocked, expected allowed"),
            ("allowed", "allowed, expected blocked"),
            ("other", "answered otherwise"),
        ] {
            let items: Vec<String> = g
                .differences
                .iter()
                .filter(|d| d.change == change)
                .map(describe)
                .collect();
            if !items.is_empty() {
                let text = format!("{words}: {}", items.join(", "));
                w.text_rows("", &w.p.bad(&text))?;
            }
        }
    }
    for n in &g.notes {
        w.text_rows("", &w.p.dim(n))?;
    }
    for x in &g.warnings {
        warn(w, x)?;
    }
    Ok(())
}

/// "mkdir (x86_64, i386: EPERM)", "clone with all-ones arguments (x86_64:
/// EPERM, expected allowed)".
fn describe(d: &ProfileDifference) -> String {
    let got = outcome_label(&d.got);
    let expected = outcome_label(&d.expected);
    let what = match d.args.as_deref() {
        None => d.syscall.clone(),
        Some("all-ones") => format!("{} with all-ones arguments", d.syscall),
        Some(label) => label.to_string(),
    };
    let detail = match d.change.as_str() {
        "blocked" => got,
        "allowed" => format!("expected {expected}"),
        _ => format!("{got}, expected {expected}"),
    };
    format!("{what} ({}: {detail})", d.abis.join(", "))
}
