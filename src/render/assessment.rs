//! Human rendering of the assessment: the verdict and risks that head the
//! report, and the Pod Security section that ends it.

use super::color::Paint;
use super::writer::{Writer, plain, untrusted};
use crate::model::*;
use std::io::{self, Write};

pub(super) fn severity_paint(s: Severity) -> fn(&Paint, &str) -> String {
    match s {
        Severity::Critical | Severity::High => Paint::bad,
        Severity::Medium => Paint::warn,
        Severity::Low => plain,
    }
}

pub(super) fn severity_word(s: Severity) -> &'static str {
    match s {
        Severity::Critical => "critical",
        Severity::High => "high",
        Severity::Medium => "medium",
        Severity::Low => "low",
    }
}

/// The verdict in words, painted as good or bad as it is.
pub(super) fn verdict_word(p: &Paint, a: &Assessment) -> String {
    let paint: fn(&Paint, &str) -> String = match a.verdict.as_str() {
        "privileged" | "weakened" => Paint::bad,
        "hardened" | "docker_default" | "not_in_container" => Paint::good,
        _ => Paint::warn,
    };
    paint(p, &untrusted(&a.summary))
}

/// The verdict and the risks, at the top of the report.
pub(super) fn verdict<W: Write>(w: &mut Writer<'_, W>, s: &Section<Assessment>) -> io::Result<()> {
    w.section("Verdict")?;
    let a = match s {
        Section::Ok(a) => a,
        Section::Failed { error } => return w.failed(error),
    };
    w.row("verdict", &verdict_word(&w.p, a))?;
    for r in &a.reasons {
        w.wrapped("", r, Paint::dim)?;
    }
    if a.risks.is_empty() {
        return w.row("risks", &w.p.good("none found"));
    }
    for r in &a.risks {
        w.wrapped(
            severity_word(r.severity),
            &r.text,
            severity_paint(r.severity),
        )?;
    }
    Ok(())
}

pub(super) fn status_word(p: &Paint, s: Status) -> String {
    match s {
        Status::Pass => p.good("pass"),
        Status::Fail => p.bad("fail"),
        Status::CannotTell => p.warn("cannot tell"),
    }
}

/// The Pod Security levels, with the controls that did not pass.
pub(super) fn pod_security<W: Write>(
    w: &mut Writer<'_, W>,
    s: &Section<Assessment>,
) -> io::Result<()> {
    w.section("Pod Security Standards")?;
    let a = match s {
        Section::Ok(a) => a,
        Section::Failed { error } => return w.failed(error),
    };
    if a.verdict == "not_in_container" {
        return w.row("levels", &w.p.dim("not assessed: not in a container"));
    }
    let ps = &a.pod_security;
    for (level, status) in [("baseline", ps.baseline), ("restricted", ps.restricted)] {
        w.row(level, &status_word(&w.p, status))?;
        for c in ps
            .controls
            .iter()
            .filter(|c| c.status != Status::Pass)
            .filter(|c| c.level == level)
        {
            w.wrapped(
                "",
                &format!("{} {}: {}", status_word(&w.p, c.status), c.name, c.evidence),
                plain,
            )?;
        }
    }
    Ok(())
}
