//! Whether whatami may trace here, learned by tracing once in a disposable
//! child before anything is traced from whatami's own process.
//!
//! The child forks a grandchild of its own and makes, on it, every call the
//! tracer will make: PTRACE_SEIZE with the tracer's options, PTRACE_INTERRUPT,
//! wait4, the event message, PTRACE_GET_SYSCALL_INFO and the registers, a
//! syscall stop, a read of /proc/PID/mem and PTRACE_PEEKDATA, the siginfo,
//! PTRACE_LISTEN, kill(pid, 0), PTRACE_DETACH, and getxattr (file
//! capabilities). A seccomp rule that kills one of these, Yama, a missing
//! CAP_SYS_PTRACE or an LSM then costs only that child; its records say
//! which call failed and how, and the optional ones (syscall info, the
//! memory readers, the siginfo, getxattr) are left out in another try.
//!
//! Child-side code follows the probe children's rule: prepared before the
//! fork, direct libc calls after it, no allocation.

use super::memory;
use super::ptrace::{self, Waited};
use super::tracer::InfoMethod;
use crate::linux::child::{self, WaitStatus};
use std::os::fd::AsRawFd;
use std::time::{Duration, Instant};

/// The steps, in the order the child makes them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u32)]
pub enum Step {
    Fork = 1,
    Seize,
    Interrupt,
    Wait,
    EventMsg,
    SyscallInfo,
    Regs,
    Resume,
    WaitSyscall,
    ProcMem,
    Peek,
    SigInfo,
    Listen,
    Kill,
    Detach,
    Reap,
    Xattr,
}

const ALL: [Step; 17] = [
    Step::Fork,
    Step::Seize,
    Step::Interrupt,
    Step::Wait,
    Step::EventMsg,
    Step::SyscallInfo,
    Step::Regs,
    Step::Resume,
    Step::WaitSyscall,
    Step::ProcMem,
    Step::Peek,
    Step::SigInfo,
    Step::Listen,
    Step::Kill,
    Step::Detach,
    Step::Reap,
    Step::Xattr,
];

impl Step {
    fn from(n: u32) -> Option<Step> {
        ALL.iter().copied().find(|s| *s as u32 == n)
    }

    /// Whether tracing can do without it.
    fn optional(self) -> bool {
        matches!(
            self,
            Step::SyscallInfo
                | Step::Regs
                | Step::ProcMem
                | Step::Peek
                | Step::SigInfo
                | Step::Xattr
        )
    }

    /// The call as whatami would make it on `pid`: its syscall, its
    /// arguments (pointers as 0) and the strace-like text.
    pub fn call(self, pid: i32) -> (&'static str, [u64; 6], String) {
        let p = pid as u64;
        let opts = ptrace::ATTACH_OPTIONS_TEXT;
        let pt = |req: libc::c_long, name: &str, rest: &str| {
            (
                "ptrace",
                [req as u64, p, 0, 0, 0, 0],
                format!("ptrace({name}, {pid}{rest})"),
            )
        };
        match self {
            Step::Fork => ("fork", [0; 6], "fork()".into()),
            Step::Seize => {
                let (n, mut a, _) = pt(ptrace::PTRACE_SEIZE, "", "");
                a[3] = ptrace::OPTIONS;
                (
                    n,
                    a,
                    format!("ptrace(PTRACE_SEIZE, {pid}, NULL, {opts}|PTRACE_O_EXITKILL)"),
                )
            }
            Step::Interrupt => pt(ptrace::PTRACE_INTERRUPT, "PTRACE_INTERRUPT", ""),
            Step::Wait | Step::WaitSyscall | Step::Reap => (
                "wait4",
                [p, 0, 0x6000_0000, 0, 0, 0],
                format!("wait4({pid}, ..., __WALL|__WNOTHREAD, NULL)"),
            ),
            Step::EventMsg => pt(
                ptrace::PTRACE_GETEVENTMSG,
                "PTRACE_GETEVENTMSG",
                ", NULL, ...",
            ),
            Step::SyscallInfo => pt(
                ptrace::PTRACE_GET_SYSCALL_INFO,
                "PTRACE_GET_SYSCALL_INFO",
                ", 88, ...",
            ),
            Step::Regs => pt(12, "PTRACE_GETREGS", ", NULL, ..."),
            Step::Resume => pt(ptrace::PTRACE_SYSCALL, "PTRACE_SYSCALL", ", NULL, 0"),
            Step::ProcMem => (
                "pread64",
                [0; 6],
                format!("pread64(open(\"/proc/{pid}/mem\"), ...)"),
            ),
            Step::Peek => pt(ptrace::PTRACE_PEEKDATA, "PTRACE_PEEKDATA", ", ..."),
            Step::SigInfo => pt(
                ptrace::PTRACE_GETSIGINFO,
                "PTRACE_GETSIGINFO",
                ", NULL, ...",
            ),
            Step::Listen => pt(ptrace::PTRACE_LISTEN, "PTRACE_LISTEN", ""),
            Step::Kill => ("kill", [p, 0, 0, 0, 0, 0], format!("kill({pid}, 0)")),
            Step::Detach => pt(ptrace::PTRACE_DETACH, "PTRACE_DETACH", ", NULL, 0"),
            Step::Xattr => (
                "getxattr",
                [0; 6],
                "getxattr(\"/proc/self/exe\", \"security.capability\", ...)".into(),
            ),
        }
    }
}

/// Where the rehearsal stopped, when tracing is not possible.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub step: Step,
    /// The grandchild's pid, for the call's text and arguments.
    pub pid: i32,
    /// The errno the call failed with, or `None` when the child died in it.
    pub errno: Option<u32>,
    /// The signal that ended the child inside the call.
    pub signal: Option<i32>,
    /// When neither: what else went wrong.
    pub other: Option<String>,
}

/// What tracing may use here.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rehearsal {
    pub info: InfoMethod,
    pub mem: memory::Method,
    pub xattr: bool,
    /// What the rehearsal left out and why (the optional steps).
    pub notes: Vec<String>,
}

const BEGIN: i32 = i32::MIN;

/// Rehearses; `Err` says why tracing is impossible.
pub fn run() -> Result<Rehearsal, Refusal> {
    let mut skip = 0u32;
    let mut notes = Vec::new();
    // Each try either completes, or is ended inside an optional step that
    // the next try leaves out.
    for _ in 0..8 {
        let (records, status) = once(skip).map_err(|e| Refusal {
            step: Step::Fork,
            pid: 0,
            errno: None,
            signal: None,
            other: Some(e),
        })?;
        let pid = records
            .iter()
            .find(|(s, r)| *s == Step::Fork && *r != BEGIN)
            .map_or(0, |r| r.1);
        let result = |s: Step| records.iter().rev().find(|(x, _)| *x == s).map(|r| r.1);
        // The step that began and never ended.
        let died_in = records.last().filter(|(_, r)| *r == BEGIN).map(|(s, _)| *s);
        let signal = match status {
            WaitStatus::Signaled(sig) => Some(sig),
            _ => None,
        };
        if let Some(step) = died_in {
            if step.optional() {
                notes.push(format!(
                    "{} ended the rehearsal child ({}): left out",
                    step.call(pid).2,
                    signal.map_or("no answer".into(), |s| crate::trace::decode::signal(
                        s as u64
                    ))
                ));
                skip |= 1 << step as u32;
                continue;
            }
            return Err(Refusal {
                step,
                pid,
                errno: None,
                signal,
                other: signal
                    .is_none()
                    .then(|| format!("the rehearsal child stopped answering ({status:?})")),
            });
        }
        // Required calls must have worked (LISTEN outside a group-stop
        // answers EIO: made, not refused).
        for step in ALL {
            let Some(r) = result(step) else { continue };
            let failed = r < 0 && r != BEGIN && !(step == Step::Listen && r == -libc::EIO);
            if failed && !step.optional() {
                return Err(Refusal {
                    step,
                    pid,
                    errno: Some((-r) as u32),
                    signal: None,
                    other: None,
                });
            }
        }
        if status != WaitStatus::Exited(0)
            || result(Step::Xattr).is_none() && skip & (1 << Step::Xattr as u32) == 0
        {
            return Err(Refusal {
                step: records.last().map_or(Step::Fork, |r| r.0),
                pid,
                errno: None,
                signal,
                other: Some(format!("the rehearsal child ended early ({status:?})")),
            });
        }
        let ok = |s: Step| result(s).is_some_and(|r| r >= 0);
        let info = if result(Step::SyscallInfo).is_some_and(|r| r == 1 || r == 2) {
            InfoMethod::SyscallInfo
        } else if ok(Step::Regs) {
            notes.push("PTRACE_GET_SYSCALL_INFO is unavailable (Linux before 5.3?): syscall stops are read from the registers".into());
            InfoMethod::Registers
        } else {
            return Err(Refusal {
                step: Step::Regs,
                pid,
                errno: result(Step::Regs).filter(|r| *r < 0).map(|r| (-r) as u32),
                signal: None,
                other: Some("neither PTRACE_GET_SYSCALL_INFO nor the registers can be read".into()),
            });
        };
        let mem = if result(Step::ProcMem) == Some(1) {
            memory::Method::ProcMem
        } else {
            if !ok(Step::Peek) {
                notes.push("the tracee's memory cannot be read: paths and structures are shown as pointers".into());
            }
            memory::Method::Peek
        };
        return Ok(Rehearsal {
            info,
            mem,
            xattr: result(Step::Xattr).is_some_and(|r| r != BEGIN),
            notes,
        });
    }
    Err(Refusal {
        step: Step::Fork,
        pid: 0,
        errno: None,
        signal: None,
        other: Some("the rehearsal did not settle".into()),
    })
}

/// A byte the grandchild's memory holds at the same address (it is a fork).
static TARGET: u8 = 0x5a;

/// The whole rehearsal, bounded.
const LIMIT: Duration = Duration::from_secs(3);

fn once(skip: u32) -> Result<(Vec<(Step, i32)>, WaitStatus), String> {
    let _sigchld = child::SigchldDefault::set();
    let target = std::ptr::addr_of!(TARGET) as u64;
    // SAFETY: whatami is single-threaded here, and the child only runs
    // `child`, which makes direct libc calls on what is prepared before.
    let mut child =
        unsafe { child::spawn(|fd| child(fd, skip, target)) }.map_err(|e| format!("fork: {e}"))?;
    let deadline = Instant::now() + LIMIT;
    let mut bytes = Vec::new();
    let fd = child.done.as_raw_fd();
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            child.kill();
            break;
        }
        let mut pfd = libc::pollfd {
            fd,
            events: libc::POLLIN,
            revents: 0,
        };
        // SAFETY: one valid pollfd.
        let n = unsafe { libc::poll(&mut pfd, 1, left.as_millis().min(100) as i32) };
        if n <= 0 {
            continue;
        }
        let mut buf = [0u8; 256];
        // SAFETY: reading into a local buffer of its size.
        let r = unsafe { libc::read(fd, buf.as_mut_ptr().cast(), buf.len()) };
        if r <= 0 {
            break;
        }
        bytes.extend_from_slice(&buf[..r as usize]);
    }
    let status = child.reap();
    let records = bytes
        .chunks_exact(8)
        .filter_map(|c| {
            let step = u32::from_ne_bytes([c[0], c[1], c[2], c[3]]);
            let r = i32::from_ne_bytes([c[4], c[5], c[6], c[7]]);
            Step::from(step).map(|s| (s, r))
        })
        .collect();
    Ok((records, status))
}

fn errno() -> i32 {
    std::io::Error::last_os_error().raw_os_error().unwrap_or(0)
}

/// `/proc/<pid>/mem` into `buf`, NUL-terminated, without allocating.
fn proc_mem_path(pid: i32, buf: &mut [u8; 32]) {
    let mut digits = [0u8; 12];
    let mut n = pid.unsigned_abs();
    let mut len = 0;
    loop {
        digits[len] = b'0' + (n % 10) as u8;
        len += 1;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    let mut i = 0;
    for &b in b"/proc/" {
        buf[i] = b;
        i += 1;
    }
    for k in (0..len).rev() {
        buf[i] = digits[k];
        i += 1;
    }
    for &b in b"/mem\0" {
        buf[i] = b;
        i += 1;
    }
}

/// The rehearsal child. Never returns.
fn child(fd: libc::c_int, skip: u32, target: u64) {
    let rec = |step: Step, r: i64| {
        let mut b = [0u8; 8];
        b[..4].copy_from_slice(&(step as u32).to_ne_bytes());
        b[4..]
            .copy_from_slice(&(r.clamp(i32::MIN as i64 + 1, i32::MAX as i64) as i32).to_ne_bytes());
        if r == BEGIN as i64 {
            b[4..].copy_from_slice(&BEGIN.to_ne_bytes());
        }
        // SAFETY: writing a local buffer to our pipe.
        unsafe { libc::write(fd, b.as_ptr().cast(), 8) };
    };
    let res = |r: std::io::Result<i64>| match r {
        Ok(v) => v,
        Err(e) => -(e.raw_os_error().unwrap_or(libc::EIO) as i64),
    };
    let skipped = |s: Step| skip & (1 << s as u32) != 0;
    // SAFETY: plain libc calls in the forked child on local data; the
    // grandchild only blocks on its pipe and exits.
    unsafe {
        libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL, 0, 0, 0);
        let mut p = [-1; 2];
        if libc::pipe2(p.as_mut_ptr(), libc::O_CLOEXEC) != 0 {
            libc::_exit(3);
        }
        rec(Step::Fork, BEGIN as i64);
        let gc = libc::fork();
        if gc == 0 {
            // Only the rehearsal child may hold whatami's pipe.
            libc::close(fd);
            libc::close(p[1]);
            let mut b = 0u8;
            libc::read(p[0], (&mut b as *mut u8).cast(), 1);
            libc::getppid();
            libc::_exit(0);
        }
        rec(
            Step::Fork,
            if gc < 0 { -(errno() as i64) } else { gc as i64 },
        );
        if gc < 0 {
            libc::_exit(0);
        }
        libc::close(p[0]);
        let end = |code: i32| -> ! {
            libc::kill(gc, libc::SIGKILL);
            libc::waitpid(gc, std::ptr::null_mut(), libc::__WALL);
            libc::_exit(code)
        };
        macro_rules! step {
            ($s:expr, $e:expr) => {{
                rec($s, BEGIN as i64);
                let r: i64 = $e;
                rec($s, r);
                r
            }};
        }
        if step!(Step::Seize, res(ptrace::seize(gc).map(|_| 0))) < 0 {
            end(0);
        }
        if step!(Step::Interrupt, res(ptrace::interrupt(gc).map(|_| 0))) < 0 {
            end(0);
        }
        let mut spins = crate::linux::io::Spins::default();
        let mut wait_stop = || loop {
            match ptrace::wait(gc, false) {
                Ok(Waited::Changed(_, st)) => return st as i64,
                Ok(Waited::Interrupted) if spins.again() => continue,
                Ok(Waited::Interrupted) => return -(libc::EINTR as i64),
                Ok(_) => return -(libc::ECHILD as i64),
                Err(e) => return -(e.raw_os_error().unwrap_or(libc::EIO) as i64),
            }
        };
        if step!(Step::Wait, wait_stop()) < 0 {
            end(0);
        }
        step!(Step::EventMsg, res(ptrace::event_msg(gc).map(|v| v as i64)));
        if !skipped(Step::Regs) {
            step!(Step::Regs, res(crate::trace::arch::regs(gc).map(|_| 0)));
        }
        if step!(Step::Resume, res(ptrace::resume(gc, 0).map(|_| 0))) < 0 {
            end(0);
        }
        libc::write(p[1], b"x".as_ptr().cast(), 1);
        let st = step!(Step::WaitSyscall, wait_stop());
        if st < 0 || !libc::WIFSTOPPED(st as i32) {
            end(0);
        }
        if !skipped(Step::SyscallInfo) {
            step!(
                Step::SyscallInfo,
                res(ptrace::syscall_info(gc).map(|i| match i {
                    ptrace::SyscallInfo::None => 0,
                    ptrace::SyscallInfo::Entry { .. } => 1,
                    ptrace::SyscallInfo::Exit { .. } => 2,
                }))
            );
        }
        if !skipped(Step::ProcMem) {
            let mut path = [0u8; 32];
            proc_mem_path(gc, &mut path);
            step!(Step::ProcMem, {
                let f = libc::open(path.as_ptr().cast(), libc::O_RDONLY | libc::O_CLOEXEC);
                if f < 0 {
                    -(errno() as i64)
                } else {
                    let mut b = 0u8;
                    let n = libc::pread(f, (&mut b as *mut u8).cast(), 1, target as libc::off_t);
                    let r = if n == 1 && b == 0x5a {
                        1
                    } else if n < 0 {
                        -(errno() as i64)
                    } else {
                        0
                    };
                    libc::close(f);
                    r
                }
            });
        }
        if !skipped(Step::Peek) {
            step!(Step::Peek, res(ptrace::peek(gc, target & !7).map(|_| 0)));
        }
        if !skipped(Step::SigInfo) {
            step!(Step::SigInfo, res(ptrace::siginfo(gc).map(|_| 0)));
        }
        step!(Step::Listen, res(ptrace::listen(gc).map(|_| 0)));
        step!(Step::Kill, {
            if libc::kill(gc, 0) == 0 {
                0
            } else {
                -(errno() as i64)
            }
        });
        if step!(Step::Detach, res(ptrace::detach(gc, 0).map(|_| 0))) < 0 {
            end(0);
        }
        step!(Step::Reap, {
            let mut st = 0;
            if libc::waitpid(gc, &mut st, libc::__WALL) == gc {
                0
            } else {
                -(errno() as i64)
            }
        });
        if !skipped(Step::Xattr) {
            step!(Step::Xattr, {
                let mut buf = [0u8; 64];
                let n = libc::getxattr(
                    c"/proc/self/exe".as_ptr(),
                    c"security.capability".as_ptr(),
                    buf.as_mut_ptr().cast(),
                    buf.len(),
                );
                if n < 0 { -(errno() as i64) } else { n as i64 }
            });
        }
        libc::_exit(0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proc_mem_paths_are_built_without_allocating() {
        let mut b = [0u8; 32];
        proc_mem_path(12345, &mut b);
        assert_eq!(&b[..16], b"/proc/12345/mem\0");
        proc_mem_path(7, &mut b);
        assert_eq!(&b[..12], b"/proc/7/mem\0");
    }

    #[test]
    fn steps_round_trip_and_name_their_call() {
        for s in ALL {
            assert_eq!(Step::from(s as u32), Some(s));
            assert!(!s.call(42).2.is_empty());
        }
        let (name, args, text) = Step::Seize.call(42);
        assert_eq!(name, "ptrace");
        assert_eq!(args[0], ptrace::PTRACE_SEIZE as u64);
        assert!(text.starts_with("ptrace(PTRACE_SEIZE, 42"));
    }
}
