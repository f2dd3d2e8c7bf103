//! Attaching to a running process instead of starting one, and what is
//! true of that process that decides whether it may be attached to and
//! which seccomp policy it runs under.
//!
//! Every thread is seized (PTRACE_SEIZE: nothing stops, no signal is sent),
//! the list of threads read again until no new one appears (a thread a
//! seized one starts is followed by the options), then each is interrupted
//! once so that the tracer can resume it to its syscall stops. The options
//! leave out PTRACE_O_EXITKILL: if whatami dies, the kernel detaches the
//! process, which runs on.

use super::evidence::{Creds, MountCache, Snapshot};
use super::ptrace;
use crate::linux::status::ProcStatus;

/// The threads seized, the process's own first, and those that could not be.
#[derive(Debug, Default)]
pub struct Seized {
    pub tids: Vec<libc::pid_t>,
    /// Threads that could not be seized: their calls are not seen.
    pub missed: usize,
}

/// The process itself could not be seized: `errno` of PTRACE_SEIZE.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Refused {
    pub errno: i32,
}

/// The thread ids of `pid` (its /proc/PID/task), `None` when it is gone.
fn threads(pid: libc::pid_t) -> Option<Vec<libc::pid_t>> {
    let dir = std::fs::read_dir(format!("/proc/{pid}/task")).ok()?;
    let mut tids: Vec<libc::pid_t> = dir
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse().ok())
        .collect();
    // The process's own thread first: its refusal is the one explained.
    if let Some(i) = tids.iter().position(|&t| t == pid) {
        tids.swap(0, i);
    }
    Some(tids)
}

/// Whether whatami already traces `tid` (a thread a seized one started,
/// followed by the options before the list was read again).
fn traced_by_us(tid: libc::pid_t) -> bool {
    let own = std::process::id();
    std::fs::read_to_string(format!("/proc/{tid}/status"))
        .ok()
        .and_then(|t| ProcStatus::parse(&t).tracer_pid().ok())
        == Some(own)
}

/// Seizes every thread of `pid`, then interrupts each (their stops are the
/// tracer's to take). Bounded: a process that starts threads faster than
/// they are read is taken as it is after 64 readings; what it starts from a
/// seized thread is followed anyway.
pub fn seize_all(pid: libc::pid_t) -> Result<Seized, Refused> {
    let mut seized = Seized::default();
    for _ in 0..64 {
        let Some(tids) = threads(pid) else {
            if seized.tids.is_empty() {
                return Err(Refused { errno: libc::ESRCH });
            }
            break;
        };
        let mut new = false;
        for tid in tids {
            if seized.tids.contains(&tid) {
                continue;
            }
            match ptrace::seize_with(tid, ptrace::ATTACH_OPTIONS) {
                Ok(()) => {
                    seized.tids.push(tid);
                    new = true;
                }
                Err(e) if seized.tids.is_empty() => {
                    return Err(Refused {
                        errno: e.raw_os_error().unwrap_or(libc::EPERM),
                    });
                }
                // Gone meanwhile, or followed already.
                Err(e) if e.raw_os_error() == Some(libc::ESRCH) || traced_by_us(tid) => {}
                Err(_) => seized.missed += 1,
            }
        }
        if !new {
            break;
        }
    }
    for &tid in &seized.tids {
        // ESRCH: it ended; its end is reported to the tracer.
        let _ = ptrace::interrupt(tid);
    }
    Ok(seized)
}

/// What decides whether `pid` may be attached to, and which policy it runs
/// under, read from /proc.
#[derive(Debug, Clone, Default)]
pub struct Target {
    pub pid: libc::pid_t,
    pub creds: Option<Creds>,
    /// `TracerPid:` of its status (0: none).
    pub tracer: Option<u32>,
    /// The owner of /proc/PID: root's while the process is not dumpable,
    /// whatever its uid.
    pub proc_owner: Option<u32>,
    /// Its command line and the program it runs.
    pub cmdline: Vec<String>,
    pub exe: Option<String>,
    /// The namespaces (mnt, pid, user...) it shares with whatami or not:
    /// (name, same), for those both links could be read.
    pub namespaces: Vec<(&'static str, bool)>,
}

const NAMESPACES: [&str; 7] = ["mnt", "pid", "user", "net", "uts", "ipc", "cgroup"];

impl Target {
    /// Reads what can be read of `pid`; what cannot is left out. Its
    /// program and credentials are read as a failing call's are.
    pub fn read(pid: libc::pid_t) -> Target {
        let snap = Snapshot::take(pid, &[], &mut MountCache::default(), false);
        let tracer = std::fs::read_to_string(format!("/proc/{pid}/status"))
            .ok()
            .and_then(|t| ProcStatus::parse(&t).tracer_pid().ok());
        let proc_owner = std::fs::metadata(format!("/proc/{pid}"))
            .ok()
            .map(|m| std::os::unix::fs::MetadataExt::uid(&m));
        let cmdline = std::fs::read(format!("/proc/{pid}/cmdline"))
            .map(|b| {
                b.split(|&c| c == 0)
                    .filter(|a| !a.is_empty())
                    .map(|a| String::from_utf8_lossy(a).into_owned())
                    .collect()
            })
            .unwrap_or_default();
        let namespaces = NAMESPACES
            .iter()
            .filter_map(|ns| {
                let theirs = std::fs::read_link(format!("/proc/{pid}/ns/{ns}")).ok()?;
                let ours = std::fs::read_link(format!("/proc/self/ns/{ns}")).ok()?;
                Some((*ns, theirs == ours))
            })
            .collect();
        Target {
            pid,
            creds: snap.creds,
            tracer,
            proc_owner,
            cmdline,
            exe: snap.exe,
            namespaces,
        }
    }

    /// Whether the process is not dumpable, as far as /proc shows it: its
    /// directory belongs to root although the process runs as another uid.
    /// `None` when it runs as root (nothing then tells).
    pub fn not_dumpable(&self) -> Option<bool> {
        let uid = self.creds.as_ref()?.uid.effective;
        let owner = self.proc_owner?;
        (uid != 0).then_some(owner == 0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whatami_reads_itself_as_a_target() {
        let t = Target::read(std::process::id() as libc::pid_t);
        assert!(t.creds.is_some());
        assert!(t.exe.is_some());
        assert!(!t.cmdline.is_empty());
        // Its own namespaces are its own.
        assert!(!t.namespaces.is_empty());
        assert!(t.namespaces.iter().all(|(_, same)| *same));
    }

    #[test]
    fn a_process_that_is_gone_is_refused_with_esrch() {
        // pid_max is at most 2^22: this pid cannot exist.
        assert_eq!(
            seize_all(i32::MAX).map(|s| s.tids),
            Err(Refused { errno: libc::ESRCH })
        );
    }
}
