//! `whatami diff` for people: the two reports named by their subject, then
//! the differences group by group, most consequential first, with the
//! report's writer (src/render/writer.rs). Everything printed comes from
//! the reports, which anyone may have written: it is made safe for a
//! terminal first.

use super::table::GROUPS;
use super::{Diff, Side};
use crate::render::color::Paint;
use crate::render::writer::{Writer, untrusted};
use std::io::{self, Write};

/// Where the values start: wide enough for most of the labels
/// ("x86_64 blocked otherwise").
const COL: usize = 26;

pub fn write(out: &mut impl Write, d: &Diff, color: bool, width: usize) -> io::Result<()> {
    let mut w = Writer::new(out, Paint::new(color), COL, width);
    w.title("whatami diff")?;
    w.row("A", &untrusted(&side(&d.a)))?;
    w.row("B", &untrusted(&side(&d.b)))?;
    for group in GROUPS {
        let mut changes = d
            .differences
            .iter()
            .filter(|c| c.group == *group)
            .peekable();
        if changes.peek().is_none() {
            continue;
        }
        w.section(&heading(group))?;
        for c in changes {
            let what = untrusted(&c.what);
            if let (Some(a), Some(b)) = (&c.a, &c.b) {
                let value = format!("{} -> {}", w.p.bad(&untrusted(a)), w.p.good(&untrusted(b)));
                w.row(&what, &value)?;
                continue;
            }
            let mut label: &str = &what;
            for (prefix, list) in [
                ("A only:", &c.only_a),
                ("B only:", &c.only_b),
                ("", &c.changed),
            ] {
                if list.is_empty() {
                    continue;
                }
                let mut items: Vec<String> = Vec::with_capacity(list.len() + 1);
                if !prefix.is_empty() {
                    items.push(w.p.heading(prefix));
                }
                items.extend(list.iter().map(|s| untrusted(s).into_owned()));
                w.list_row(label, &items, |_, s| s.to_string())?;
                label = "";
            }
        }
    }
    if !d.notes.is_empty() {
        w.section("Not compared")?;
        for n in &d.notes {
            w.text_rows("", &untrusted(n))?;
        }
    }
    writeln!(w.out)?;
    let verdict = match d.differences.len() {
        0 => w.p.good("the same in everything compared"),
        1 => w.p.warn("1 difference"),
        n => w.p.warn(&format!("{n} differences")),
    };
    writeln!(w.out, "{verdict}")
}

/// A group's heading: its name, capitalised. The names are the table's,
/// ASCII: `char::to_uppercase` would link the Unicode case tables for them
/// (see why::captable::short).
fn heading(group: &str) -> String {
    let mut c = group.chars();
    match c.next() {
        Some(f) => f.to_ascii_uppercase().to_string() + c.as_str(),
        None => String::new(),
    }
}

/// "a.json: host whatami-podman, container 7bc15d3a6b18, 2026-12-08T02:36:38Z".
fn side(s: &Side) -> String {
    let mut parts = Vec::new();
    if let Some(h) = &s.hostname {
        parts.push(format!("host {h}"));
    }
    if let Some(p) = &s.pod {
        parts.push(format!("pod {p}"));
    }
    if let Some(id) = &s.container_id {
        parts.push(format!("container {}", id.get(..12).unwrap_or(id)));
    }
    parts.extend(s.arch.clone());
    parts.extend(s.time.clone());
    if parts.is_empty() {
        s.name.clone()
    } else {
        format!("{}: {}", s.name, parts.join(", "))
    }
}
