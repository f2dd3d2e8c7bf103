//! `whatami diff A.json [B.json]` and `whatami fleet REPORT...`: reports of
//! `whatami --json` compared, two at a time or many in one table.
//!
//! - read.rs: a report file, bounded, checked to be one of this schema
//! - table.rs: the compared paths, their words and groups; seccomp.rs: the
//!   verdicts, call by call
//! - render.rs: the differences for people and as JSON
//! - fleet.rs: one row per report, and the policies grouped
//!
//! Without B, A is compared with the environment whatami runs in, whose
//! report is built here as `whatami --json` builds it.

pub mod fleet;
pub mod read;
mod render;
pub mod seccomp;
pub mod table;

use crate::exit;
use crate::linux::io::{Out, warn};
use crate::render::Clean;
use crate::render::color::{self, ColorChoice, Stream};
use serde::Serialize;
use serde_json::Value;
use std::io::Write;
use std::path::PathBuf;
use table::Change;

/// What `whatami diff` is asked to do.
#[derive(Debug, Clone)]
pub struct Options {
    pub json: bool,
    pub color: ColorChoice,
    pub a: PathBuf,
    /// None: the environment whatami runs in.
    pub b: Option<PathBuf>,
}

/// What one side of the comparison is: its file (or "this environment"),
/// and from the report's `subject` which environment it was and when.
#[derive(Debug, Serialize)]
pub struct Side {
    pub name: String,
    pub hostname: Option<String>,
    /// "namespace/pod" in Kubernetes.
    pub pod: Option<String>,
    pub container_id: Option<String>,
    pub time: Option<String>,
    pub arch: Option<String>,
}

impl Side {
    fn of(name: &str, v: &Value) -> Side {
        let s = |path: &str| {
            table::at(v, path)
                .and_then(Value::as_str)
                .map(str::to_string)
        };
        let pod = s("subject.pod").map(|p| match s("subject.namespace") {
            Some(ns) => format!("{ns}/{p}"),
            None => p,
        });
        Side {
            name: name.to_string(),
            hostname: s("subject.hostname").or_else(|| s("identity.hostname")),
            pod,
            container_id: s("subject.container_id"),
            time: s("subject.time"),
            arch: s("system.arch"),
        }
    }
}

/// Two reports' differences, most consequential group first.
#[derive(Debug, Serialize)]
pub struct Diff {
    pub schema_version: u32,
    pub a: Side,
    pub b: Side,
    /// No difference at all.
    pub same: bool,
    pub differences: Vec<Change>,
    /// What could not be compared, and why.
    pub notes: Vec<String>,
}

/// `a` and `b` compared.
pub fn compare(a: (&str, &Value), b: (&str, &Value)) -> Diff {
    let (mut changes, mut notes) = (Vec::new(), Vec::new());
    table::compare_rows(a.1, b.1, &mut changes, &mut notes);
    seccomp::compare(a.1, b.1, &mut changes, &mut notes);
    // Stable: the table's order within a group.
    let rank = |c: &Change| table::GROUPS.iter().position(|g| *g == c.group);
    crate::sort::sort_by_key(&mut changes, rank);
    Diff {
        schema_version: crate::model::SCHEMA_VERSION,
        a: Side::of(a.0, a.1),
        b: Side::of(b.0, b.1),
        same: changes.is_empty(),
        differences: changes,
        notes,
    }
}

/// The report of the environment whatami runs in, as `whatami --json`
/// prints it.
fn here() -> Result<Value, String> {
    let report = crate::report::build(&crate::report::Inputs::live(
        crate::seccomp::ProbeRequest::Auto,
    ));
    // Printed and read back: `serde_json::to_value` would instantiate every
    // type's serializer once more (tens of kilobytes of the binary).
    let bytes = crate::render::json::to_bytes(&report)
        .map_err(|e| format!("this environment's report: {e}"))?;
    read::parse("this environment", &bytes)
}

/// Runs `whatami diff`: 0 the same, 4 they differ, 2 a report unreadable.
pub fn main(opts: &Options) -> u8 {
    let a = match read::load(&opts.a) {
        Ok(a) => a,
        Err(e) => return usage(&e),
    };
    let (b_name, b) = match &opts.b {
        Some(p) => match read::load(p) {
            Ok(b) => (b.name, b.value),
            Err(e) => return usage(&e),
        },
        None => match here() {
            Ok(v) => ("this environment".to_string(), v),
            Err(e) => {
                warn(&format!("whatami diff: {e}"));
                return exit::FAILED;
            }
        },
    };
    let diff = compare((&a.name, &a.value), (&b_name, &b));
    // The reports compared come from containers: the text goes through the
    // sanitising sink, every write is bounded (linux/io.rs).
    let mut out = std::io::BufWriter::with_capacity(64 << 10, Out::stdout());
    let written = if opts.json {
        crate::render::json::write_report(&mut out, &diff)
    } else {
        let color = color::enabled(opts.color, Stream::Stdout);
        let width = crate::render::width::width(Stream::Stdout);
        render::write(&mut Clean::new(&mut out, color), &diff, color, width)
    }
    .and_then(|_| out.flush());
    match written {
        Ok(()) if diff.same => exit::OK,
        Ok(()) => exit::DIFFERS,
        Err(e) => {
            if e.kind() != std::io::ErrorKind::BrokenPipe {
                warn(&format!("whatami diff: {e}"));
            }
            exit::FAILED
        }
    }
}

fn usage(msg: &str) -> u8 {
    warn(&format!("whatami: {msg}"));
    exit::USAGE
}
