//! The result of `--check` for people: the verdict, every control of the
//! policy with its evidence, then whether the check passed.

use super::assessment::{status_word, verdict};
use super::color::Paint;
use super::writer::{VALUE_COL, Writer};
use crate::model::*;
use std::io::{self, Write};

/// The result of `--check`: every control, then the verdict, laid out for
/// `width` columns.
pub fn write<W: Write>(
    out: &mut W,
    r: &Report,
    c: &Check,
    color: bool,
    width: usize,
) -> io::Result<()> {
    let mut w = Writer::new(out, Paint::new(color), VALUE_COL, width);
    writeln!(
        w.out,
        "{}",
        w.p.heading(&format!("whatami {}", r.whatami_version))
    )?;
    verdict(&mut w, &r.assessment)?;
    w.section(&format!("Check: {}", c.policy))?;
    for x in &c.controls {
        let paint: fn(&Paint, &str) -> String = match x.status {
            Status::Pass => Paint::dim,
            Status::Fail => Paint::bad,
            Status::CannotTell => Paint::warn,
        };
        w.wrapped(
            &status_word(&Paint::new(false), x.status),
            &format!("{} ({}): {}", x.name, x.level, x.evidence),
            paint,
        )?;
    }
    writeln!(w.out)?;
    let line = if c.passed {
        w.p.good(&format!("check {}: passed", c.policy))
    } else {
        w.p.bad(&format!(
            "check {}: FAILED ({} of {} controls): {}",
            c.policy,
            c.failed.len(),
            c.controls.len(),
            c.failed.join(", ")
        ))
    };
    w.line(&line)
}
