//! A disposable child, whatami's handle on it: forked with a pipe that
//! hangs up the moment the child is gone, armed to die with whatami before
//! it does anything else, killed on drop, reaped within a bound (never a
//! wait without end); and what every disposable child does first, after the
//! fork (no core dumps, death with whatami).
//!
//! Every child alive is also in one registry, and SIGTERM, SIGINT, SIGHUP
//! and SIGQUIT (where whatami's disposition is still the default) kill them
//! all before ending whatami: a child stopped (SIGSTOP) by the container
//! before its parent-death signal was set would otherwise outlive whatami.
//!
//! The probers' children, the tracer's rehearsal and the Landlock query all
//! stand on it.

use super::errno;
use super::io::Spins;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::sync::atomic::{AtomicI32, Ordering::SeqCst};
use std::time::{Duration, Instant};

/// The exit status of a child whose `main` returned, or panicked.
pub const EXIT_RETURNED: i32 = 4;

/// How a child ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WaitStatus {
    Exited(i32),
    Signaled(i32),
    /// Killed by whatami's watchdog.
    Killed,
    /// Not reaped in time, or not ours to reap.
    Unknown,
}

/// How long whatami waits for a child to be reaped once it is gone or killed.
const REAP_LIMIT: Duration = Duration::from_secs(5);

/// A forked disposable child. `done` reports POLLHUP once the child has exited:
/// the child holds the only write end.
pub struct Child {
    pub pid: libc::pid_t,
    pub done: OwnedFd,
    killed: bool,
    reaped: bool,
}

/// Children alive (not reaped yet), for the fatal-signal handler to kill.
static ALIVE: [AtomicI32; 16] = [const { AtomicI32::new(0) }; 16];

/// The signals that end whatami and kill its children first.
const FATAL: [libc::c_int; 4] = [libc::SIGTERM, libc::SIGINT, libc::SIGHUP, libc::SIGQUIT];

/// Kills every registered child, then lets `sig` end whatami as it would
/// have (the handler was installed with SA_RESETHAND, so the signal raised
/// again is delivered with the default action once this returns).
extern "C" fn on_fatal(sig: libc::c_int) {
    for slot in &ALIVE {
        let pid = slot.load(SeqCst);
        if pid > 0 {
            // SAFETY: kill(2) is async-signal-safe; the pid is a child of
            // ours not reaped yet, so it cannot have been reused.
            unsafe { libc::kill(pid, libc::SIGKILL) };
        }
    }
    // SAFETY: raise(3) is async-signal-safe.
    unsafe { libc::raise(sig) };
}

/// Installs [`on_fatal`] for each of [`FATAL`] whose disposition is still
/// the default (an ignored SIGHUP under nohup stays ignored; the tracer's
/// own handlers are its own). Once per process; a refusal leaves the default.
fn arm_fatal_signals() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        for sig in FATAL {
            // SAFETY: plain sigaction calls with zeroed, then filled, structures;
            // the handler only makes async-signal-safe calls.
            unsafe {
                let mut old: libc::sigaction = std::mem::zeroed();
                if libc::sigaction(sig, std::ptr::null(), &mut old) != 0
                    || old.sa_sigaction != libc::SIG_DFL
                {
                    continue;
                }
                let mut sa: libc::sigaction = std::mem::zeroed();
                sa.sa_sigaction = on_fatal as *const () as usize;
                sa.sa_flags = libc::SA_RESETHAND;
                libc::sigemptyset(&mut sa.sa_mask);
                libc::sigaction(sig, &sa, std::ptr::null_mut());
            }
        }
    });
}

fn register(pid: libc::pid_t) {
    // A full registry (never expected: at most one child per CPU, plus one)
    // leaves the child to its parent-death signal alone.
    let _ = ALIVE
        .iter()
        .find(|s| s.compare_exchange(0, pid, SeqCst, SeqCst).is_ok());
}

fn unregister(pid: libc::pid_t) {
    let _ = ALIVE
        .iter()
        .find(|s| s.compare_exchange(pid, 0, SeqCst, SeqCst).is_ok());
}

/// Forks a child that runs `main` with the write end of its `done` pipe.
/// `main` is meant never to return; should it, the child exits. The child's
/// first act is to set its parent-death signal (SIGKILL); until then, the
/// fatal-signal handler covers it.
///
/// # Safety
/// whatami must be single-threaded, and `main` must use only what was
/// prepared before this call and make only direct libc calls.
pub unsafe fn spawn(main: impl FnOnce(libc::c_int)) -> std::io::Result<Child> {
    let (r, w) = nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC)?;
    arm_fatal_signals();
    // SAFETY: forwarded from the caller's contract.
    let pid = match unsafe { nix::unistd::fork() }.map_err(std::io::Error::from)? {
        nix::unistd::ForkResult::Parent { child } => child.as_raw(),
        nix::unistd::ForkResult::Child => 0,
    };
    if pid == 0 {
        // SAFETY: sets this child's own parent-death signal, before anything else.
        unsafe { die_with_parent() };
        // A panic must not unwind into whatami's code in the child (which
        // would go on to print a second report): end the child instead.
        let fd = w.as_raw_fd();
        let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| main(fd)));
        // SAFETY: _exit ends this child only.
        unsafe { libc::_exit(EXIT_RETURNED) }
    }
    drop(w);
    register(pid);
    Ok(Child {
        pid,
        done: r,
        killed: false,
        reaped: false,
    })
}

impl Child {
    pub fn kill(&mut self) {
        // Our own child, not reaped yet: the pid cannot have been reused.
        let _ = nix::sys::signal::kill(
            nix::unistd::Pid::from_raw(self.pid),
            nix::sys::signal::Signal::SIGKILL,
        );
        self.killed = true;
    }

    pub fn kill_and_reap(mut self) -> WaitStatus {
        self.kill();
        self.wait()
    }

    pub fn reap(mut self) -> WaitStatus {
        self.wait()
    }

    /// Reaps the child, bounded: once its pipe hung up it is gone or going;
    /// one that lingers is killed, and one stuck even then (uninterruptible
    /// sleep) is left unreaped rather than waited for without end. The wait
    /// polls a pidfd (Linux 5.3); without one it falls back to a plain
    /// waitpid, which returns promptly for a child that has closed its pipe.
    fn wait(&mut self) -> WaitStatus {
        self.reaped = true;
        // SAFETY: pidfd_open on our own child; the fd is owned below.
        let pidfd = unsafe { libc::syscall(libc::SYS_pidfd_open, self.pid, 0) } as libc::c_int;
        // SAFETY: a descriptor just created and owned by nobody else.
        let pidfd = (pidfd >= 0).then(|| unsafe { OwnedFd::from_raw_fd(pidfd) });
        let started = Instant::now();
        let mut status = 0;
        let mut spins = Spins::default();
        loop {
            // SAFETY: waiting for our own child by pid, without blocking.
            let r = unsafe { libc::waitpid(self.pid, &mut status, libc::__WALL | libc::WNOHANG) };
            if r == self.pid {
                unregister(self.pid);
                break;
            }
            // EINTR is retried, within its bound; a child that cannot be
            // reaped is killed and left (and stays registered).
            if r < 0 && (errno::last() != libc::EINTR || !spins.again()) {
                self.kill();
                return WaitStatus::Unknown;
            }
            if started.elapsed() >= REAP_LIMIT {
                return WaitStatus::Unknown;
            }
            if !self.killed && started.elapsed() >= Duration::from_millis(500) {
                self.kill();
            }
            // Wait for the exit on the pidfd (Linux 5.3); without one, poll
            // nothing for a millisecond before asking again.
            let mut pfd = libc::pollfd {
                fd: pidfd.as_ref().map_or(-1, |f| f.as_raw_fd()),
                events: libc::POLLIN,
                revents: 0,
            };
            let ms = if pidfd.is_some() { 100 } else { 1 };
            // SAFETY: one pollfd (fd -1 is ignored by poll).
            unsafe { libc::poll(&mut pfd, 1, ms) };
        }
        if libc::WIFEXITED(status) {
            WaitStatus::Exited(libc::WEXITSTATUS(status))
        } else {
            match libc::WTERMSIG(status) {
                libc::SIGKILL if self.killed => WaitStatus::Killed,
                sig => WaitStatus::Signaled(sig),
            }
        }
    }
}

impl Drop for Child {
    fn drop(&mut self) {
        if !self.reaped {
            self.kill();
            self.wait();
        }
    }
}

/// Restores SIGCHLD to its default disposition while probing: an inherited
/// SIG_IGN would make the kernel reap the children itself and hide how they died.
pub struct SigchldDefault {
    old: libc::sighandler_t,
}

impl SigchldDefault {
    pub fn set() -> Self {
        // SAFETY: changing our own SIGCHLD disposition; restored in Drop.
        let old = unsafe { libc::signal(libc::SIGCHLD, libc::SIG_DFL) };
        SigchldDefault { old }
    }
}

impl Drop for SigchldDefault {
    fn drop(&mut self) {
        if self.old != libc::SIG_ERR && self.old != libc::SIG_DFL {
            // SAFETY: restoring the disposition saved in set().
            unsafe {
                libc::signal(libc::SIGCHLD, self.old);
            }
        }
    }
}

/// Keeps a KILL verdict from leaving a core behind: RLIMIT_CORE 0 stops core
/// files, and a non-dumpable process also stops a piped core_pattern helper
/// (which ignores RLIMIT_CORE) from running on the host. Returns whether each
/// of the two took.
///
/// # Safety
/// Only in a disposable child.
pub unsafe fn no_core_dumps() -> (bool, bool) {
    let no_core = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: plain calls on this process's own limits and flags.
    unsafe {
        (
            libc::setrlimit(libc::RLIMIT_CORE, &no_core) == 0,
            libc::prctl(libc::PR_SET_DUMPABLE, 0, 0, 0, 0) == 0,
        )
    }
}

/// Makes the child die with whatami. A whatami that died before this point
/// is noticed by its closed pipe, not by getppid(), which a policy could hold
/// in a notification.
///
/// # Safety
/// Only in a disposable child.
pub unsafe fn die_with_parent() -> bool {
    // SAFETY: sets this process's own parent-death signal.
    unsafe { libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL, 0, 0, 0) == 0 }
}
