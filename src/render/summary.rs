//! The `strace -c` table that ends what `why` and `record` print.

use super::color::Paint;
use crate::trace::summary::{SyscallSummary, Totals};
use std::io::{self, Write};

/// The strace -c table of `rows` (and `totals`), as `why` and `record` end.
pub fn summary_table(
    out: &mut impl Write,
    p: &Paint,
    rows: &[SyscallSummary],
    totals: &Totals,
) -> io::Result<()> {
    let total = totals.seconds;
    let rule = "------ ----------- ----------- --------- --------- ----------------";
    writeln!(
        out,
        "{}",
        p.heading("% time     seconds  usecs/call     calls    errors syscall")
    )?;
    writeln!(out, "{rule}")?;
    for s in rows {
        let pct = if total > 0.0 {
            100.0 * s.seconds / total
        } else {
            0.0
        };
        let per = (s.seconds * 1e6 / s.calls.max(1) as f64).round() as u64;
        let errors = if s.errors > 0 {
            s.errors.to_string()
        } else {
            String::new()
        };
        let name = if s.abi == crate::linux::abi::native().name {
            s.syscall.clone()
        } else {
            format!("{} ({})", s.syscall, s.abi)
        };
        writeln!(
            out,
            "{pct:6.2} {:11.6} {per:11} {:9} {errors:>9} {name}",
            s.seconds, s.calls
        )?;
    }
    writeln!(out, "{rule}")?;
    let per = (total * 1e6 / totals.calls.max(1) as f64).round() as u64;
    let errors = if totals.errors > 0 {
        totals.errors.to_string()
    } else {
        String::new()
    };
    writeln!(
        out,
        "{:6.2} {total:11.6} {per:11} {:9} {errors:>9} total",
        if total > 0.0 { 100.0 } else { 0.0 },
        totals.calls
    )
}
