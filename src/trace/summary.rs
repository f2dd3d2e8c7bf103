//! The `strace -c` summary of a trace: calls, errors and time per syscall,
//! and the totals (`summary` and `totals` of why's and record's JSON).

use super::tracer::Trace;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SyscallSummary {
    pub syscall: String,
    pub abi: String,
    pub nr: u32,
    pub calls: u64,
    pub errors: u64,
    /// Time between the entry and exit stops, summed (as strace -c -w).
    pub seconds: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Totals {
    pub calls: u64,
    pub errors: u64,
    pub seconds: f64,
    /// Failures not kept (more distinct failures than whatami keeps).
    pub failures_not_kept: u64,
}

impl Totals {
    /// Nothing counted (a command that did not run).
    pub fn none() -> Totals {
        Totals {
            calls: 0,
            errors: 0,
            seconds: 0.0,
            failures_not_kept: 0,
        }
    }
}

/// The rows, most time first, and the totals of the trace's counts.
pub fn summary(trace: &Trace) -> (Vec<SyscallSummary>, Totals) {
    let mut rows: Vec<SyscallSummary> = trace
        .stats
        .iter()
        .map(|(abi, nr, s)| SyscallSummary {
            syscall: abi
                .name(*nr)
                .map(str::to_string)
                .unwrap_or_else(|| format!("syscall_{nr}")),
            abi: abi.name.to_string(),
            nr: *nr | abi.nr_bit,
            calls: s.calls,
            errors: s.errors,
            seconds: s.nanos as f64 / 1e9,
        })
        .collect();
    crate::sort::sort_by(&mut rows, |a, b| {
        b.seconds
            .partial_cmp(&a.seconds)
            .unwrap_or(std::cmp::Ordering::Equal)
            .then(b.calls.cmp(&a.calls))
            .then(a.syscall.cmp(&b.syscall))
    });
    let totals = Totals {
        calls: rows.iter().map(|r| r.calls).sum(),
        errors: rows.iter().map(|r| r.errors).sum(),
        seconds: rows.iter().map(|r| r.seconds).sum(),
        failures_not_kept: trace.dropped,
    };
    (rows, totals)
}
