//! The brief report (`--brief`): the verdict, the risks and one line per
//! section (runtime, seccomp, capabilities, namespaces, root file system,
//! Pod Security), within one 80x24 screen.
//!
//! Each part is laid out first, at the width the report goes to; the risks,
//! most severe first, take the lines left, and those that do not fit are
//! counted, never dropped silently.

use super::assessment::{severity_paint, severity_word, status_word};
use super::color::Paint;
use super::writer::{VALUE_COL, layout, untrusted};
use crate::model::*;
use std::io::{self, Write};

/// The lines the brief report may take: a 24-line screen, less the line of
/// the prompt that follows it.
pub const LINES: usize = 23;

/// How rows are laid out: the painter and the width. Every part is text
/// laid out ([`layout`]) before any is written, so that the risks can take
/// the lines the others leave.
struct Rows {
    p: Paint,
    width: usize,
}

impl Rows {
    /// `  label    text`, wrapped under itself.
    fn row(&self, label: &str, text: &str) -> String {
        layout(&self.p, VALUE_COL, self.width, label, text, 2)
    }
}

fn lines(s: &str) -> usize {
    s.lines().count()
}

/// The brief report, laid out for `width` columns.
pub fn write(out: &mut impl Write, r: &Report, color: bool, width: usize) -> io::Result<()> {
    let w = Rows {
        p: Paint::new(color),
        width,
    };
    let mut head = format!(
        "{}\n\n",
        w.p.heading(&format!("whatami {} (brief)", r.whatami_version))
    );
    head.push_str(&match &r.assessment {
        Section::Ok(a) => w.row("verdict", &super::assessment::verdict_word(&w.p, a)),
        Section::Failed { error } => w.row("verdict", &w.p.warn(error)),
    });
    let sections = [
        runtime(&w, &r.runtime),
        seccomp(&w, &r.seccomp),
        capabilities(&w, &r.capabilities, &r.runtime),
        namespaces(&w, &r.namespaces),
        root(&w, &r.mounts),
        pod_security(&w, &r.assessment),
    ]
    .concat();
    let failed = r.failed_sections();
    let tail = if failed.is_empty() {
        String::new()
    } else {
        let msg = format!("incomplete report: could not gather {}", failed.join(", "));
        layout(&w.p, 0, width, "", &w.p.warn(&msg), 4)
    };
    let room = LINES.saturating_sub(lines(&head) + lines(&sections) + lines(&tail));
    let risks = risks(&w, &r.assessment, room);
    out.write_all([head, risks, sections, tail].concat().as_bytes())
}

/// The risks that fit in `room` lines, most severe first, and a line
/// counting those that do not.
fn risks(w: &Rows, s: &Section<Assessment>, room: usize) -> String {
    let Section::Ok(a) = s else {
        return String::new();
    };
    if a.risks.is_empty() {
        return w.row("risks", &w.p.good("none found"));
    }
    let mut out = String::new();
    let mut used = 0;
    for (i, x) in a.risks.iter().enumerate() {
        let paint = severity_paint(x.severity);
        let text = w.row(severity_word(x.severity), &paint(&w.p, &untrusted(&x.text)));
        // The last risk needs no line saying more are left.
        let after = usize::from(i + 1 < a.risks.len());
        if used + lines(&text) + after > room {
            let more = format!("+{} more", a.risks.len() - i);
            out.push_str(&w.row("", &w.p.dim(&more)));
            break;
        }
        used += lines(&text);
        out.push_str(&text);
    }
    out
}

fn runtime(w: &Rows, s: &Section<Runtime>) -> String {
    let rt = match s {
        Section::Ok(rt) => rt,
        Section::Failed { error } => return w.row("runtime", &w.p.warn(error)),
    };
    let what = if !rt.container {
        w.p.good("not in a container")
    } else if rt.name == "unknown" {
        w.p.warn("in a container, runtime unknown")
    } else {
        rt.name.clone()
    };
    w.row("runtime", &what)
}

fn seccomp(w: &Rows, s: &Seccomp) -> String {
    let mut text = match &s.status {
        Section::Failed { error } => w.p.warn(&format!("unreadable: {error}")),
        Section::Ok(st) => match st.mode {
            SeccompMode::Disabled => {
                return w.row("seccomp", &w.p.bad("disabled"));
            }
            SeccompMode::Strict => w.p.good("strict"),
            SeccompMode::Filter => w.p.good("filter"),
        },
    };
    if let Some(p) = &s.profile
        && p.title != "unknown (no probe)"
    {
        text.push_str("; ");
        match &p.matched {
            Some(_) => text.push_str(&crate::profile::compare::summary(&p.title, &p.differences)),
            // "custom": the full report names the closest known profile.
            None => text.push_str(&p.title),
        }
    }
    text.push_str("; ");
    match &s.probe {
        Section::Ok(p) if p.method != ProbeMethod::None => {
            // The first entry point probed: the native one.
            if let Some(native) = p.abis.iter().find(|a| a.probed) {
                let (mut allowed, mut blocked) = (0, 0);
                for r in p.results.iter().filter(|r| r.abi == native.abi) {
                    match r.verdict {
                        Verdict::Allowed => allowed += 1,
                        Verdict::Exempt | Verdict::Unknown => {}
                        _ => blocked += 1,
                    }
                }
                text.push_str(&format!(
                    "{}: {allowed} allowed, {blocked} blocked",
                    native.abi
                ));
            }
        }
        Section::Ok(p) => {
            let why = p.note.as_deref().unwrap_or("not run");
            text.push_str(&w.p.dim(&format!("not probed: {why}")));
        }
        Section::Failed { error } => text.push_str(&w.p.warn(&format!("probe failed: {error}"))),
    }
    w.row("seccomp", &text)
}

/// The effective capabilities beyond the runtime's own default set
/// (Docker's when the runtime has none known here): the dangerous ones
/// first, as many as two lines hold.
fn capabilities(w: &Rows, s: &Section<Capabilities>, rt: &Section<Runtime>) -> String {
    let c = match s {
        Section::Ok(c) => c,
        Section::Failed { error } => return w.row("capabilities", &w.p.warn(error)),
    };
    let detected = rt.ok().map(|r| r.detected.as_slice()).unwrap_or_default();
    let (whose, set) = crate::linux::caps::runtime_default(detected)
        .unwrap_or(("Docker", &crate::linux::caps::DOCKER_DEFAULT[..]));
    let mut names: Vec<String> = Vec::new();
    let mut others: Vec<String> = Vec::new();
    for name in &c.effective {
        if crate::linux::caps::all_in(std::slice::from_ref(name), set) {
            continue;
        }
        let short = name.trim_start_matches("CAP_");
        if c.dangerous_effective.contains(name) {
            names.push(w.p.bad(short));
        } else {
            others.push(w.p.warn(short));
        }
    }
    names.append(&mut others);
    let n = c.effective.len();
    if names.is_empty() {
        let text = format!("{n} effective, none beyond {whose}'s default");
        return w.row("capabilities", &w.p.good(&text));
    }
    let mut k = names.len();
    loop {
        let mut text = format!("{n} effective, {} beyond {whose}'s default:", names.len());
        for name in &names[..k] {
            text.push(' ');
            text.push_str(name);
        }
        if k < names.len() {
            text.push_str(&format!(" +{} more", names.len() - k));
        }
        let laid = w.row("capabilities", &text);
        if k == 0 || lines(&laid) <= 2 {
            return laid;
        }
        k -= 1;
    }
}

fn namespaces(w: &Rows, s: &Section<Namespaces>) -> String {
    let ns = match s {
        Section::Ok(ns) => ns,
        Section::Failed { error } => return w.row("namespaces", &w.p.warn(error)),
    };
    let all = ns.by_name();
    let (mut shared, mut unknown) = (String::new(), String::new());
    let mut hosts = 0;
    for (name, info) in all {
        let list = match info.ok().and_then(|i| i.host) {
            Some(true) => &mut shared,
            Some(false) => continue,
            None => &mut unknown,
        };
        hosts += usize::from(info.ok().and_then(|i| i.host).is_some());
        list.push(' ');
        list.push_str(name);
    }
    let mut text = if shared.is_empty() {
        w.p.good("none shared with the host")
    } else if hosts == all.len() {
        w.p.bad("all the host's")
    } else {
        format!("the host's:{}", w.p.warn(&shared))
    };
    if !unknown.is_empty() {
        text.push_str("; ");
        text.push_str(&w.p.warn(&format!("unknown:{unknown}")));
    }
    w.row("namespaces", &text)
}

fn root(w: &Rows, s: &Section<Mounts>) -> String {
    let m = match s {
        Section::Ok(m) => m,
        Section::Failed { error } => return w.row("root", &w.p.warn(error)),
    };
    let text = match (&m.root.fs_type, m.root.read_only) {
        (Some(t), Some(true)) => format!("{}, {}", w.p.good("read-only"), untrusted(t)),
        (Some(t), _) => format!("writable, {}", untrusted(t)),
        _ => w.p.dim("no mount on / (a chroot?)"),
    };
    w.row("root", &text)
}

/// Each level's status, and the controls that did not pass.
fn pod_security(w: &Rows, s: &Section<Assessment>) -> String {
    let a = match s {
        Section::Ok(a) => a,
        Section::Failed { error } => return w.row("pod security", &w.p.warn(error)),
    };
    if a.verdict == "not_in_container" {
        return w.row("pod security", &w.p.dim("not assessed: not in a container"));
    }
    let ps = &a.pod_security;
    let mut text = String::new();
    for (level, status) in [("baseline", ps.baseline), ("restricted", ps.restricted)] {
        if !text.is_empty() {
            text.push_str("; ");
        }
        text.push_str(level);
        text.push(' ');
        text.push_str(&status_word(&w.p, status));
        let mut sep = " (";
        for c in &ps.controls {
            if c.level == level && c.status != Status::Pass {
                text.push_str(sep);
                text.push_str(&c.id);
                sep = ", ";
            }
        }
        if sep == ", " {
            text.push(')');
        }
    }
    w.row("pod security", &text)
}
