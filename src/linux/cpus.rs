//! The CPUs whatami may run on (its affinity mask), to spread probe
//! children over them.

use nix::sched::{CpuSet, sched_getaffinity};
use nix::unistd::Pid;

/// The CPUs in whatami's affinity mask, lowest first; `None` when it cannot
/// be read.
fn allowed_set() -> Option<Vec<usize>> {
    let set = sched_getaffinity(Pid::from_raw(0)).ok()?;
    Some(
        (0..CpuSet::count())
            .filter(|&c| set.is_set(c).unwrap_or(false))
            .collect(),
    )
}

/// How many CPUs whatami may run on.
pub fn allowed() -> usize {
    allowed_set().map_or(1, |s| s.len().max(1))
}

/// The nth CPU whatami may run on, to pin worker n's child to.
pub fn nth_allowed(n: usize) -> Option<usize> {
    allowed_set()?.get(n).copied()
}
