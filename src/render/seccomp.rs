//! Human rendering of the seccomp section: status line facts, then the probe's
//! verdicts grouped by action and errno, then argument rules in plain words.

use super::human::Writer;
use crate::model::*;
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
        Section::Failed { error } => w.row("probe", &w.p.warn(&format!("failed: {error}"))),
        Section::Ok(p) => {
            let method = match p.method {
                ProbeMethod::Notify => "notify",
                ProbeMethod::Direct => "direct",
                ProbeMethod::None => "none",
            };
            let mut text = method.to_string();
            if let Some(n) = &p.note {
                text.push_str(&format!(" ({n})"));
            }
            w.row("probe", &text)
        }
    }
}
