//! The tracer: follows the command and every process and thread it starts
//! from syscall stop to syscall stop, counts every call, and records each
//! failing one that `why` explains, with what was true when it failed.
//!
//! It runs in whatami's own process, so it makes only the calls the
//! rehearsal made first in a disposable child (ptrace requests, wait4, reads
//! of /proc, kill to forward a signal). It never changes a tracee's
//! registers, memory or signals: every stop is resumed as it came, a signal
//! is delivered as it would have been, a group-stop is kept with
//! PTRACE_LISTEN. The only waits are for the tracees themselves (interrupted
//! by whatami's own signals); once the command has ended, what is left is
//! detached within a bounded time.

use super::arch;
use super::decode::{self, Decoded, PathArg, Role};
use super::evidence::{MountCache, PrivilegedExec, Snapshot};
use super::memory::{self, Reader};
use super::netlink;
use super::ptrace::{self, SyscallInfo, Waited};
use crate::linux::abi::{self, Abi};
use crate::linux::errno::{EACCES, EAFNOSUPPORT, ENOSPC, ENOSYS, EPERM, EROFS, EUSERS};
use std::collections::HashMap;
use std::sync::atomic::{AtomicI32, Ordering::SeqCst};
use std::time::{Duration, Instant};

/// How syscall stops are read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InfoMethod {
    /// PTRACE_GET_SYSCALL_INFO (Linux 5.3): entry and exit told apart by the kernel.
    SyscallInfo,
    /// The registers, entry and exit told apart by alternation.
    Registers,
}

#[derive(Debug, Clone, Copy)]
pub struct Config {
    pub info: InfoMethod,
    pub mem: memory::Method,
    /// Whether a seccomp filter applies to whatami, and so to the command
    /// when it starts: only then can an errno outside the usual ones come
    /// from a filter, and be worth keeping for the policy to confirm.
    pub seccomp_active: bool,
    /// Which calls' arguments to keep, and which of them: the key of a call
    /// (its arguments with those that do not matter zeroed), or `None` to
    /// keep nothing of it. `None` here keeps no arguments at all.
    pub arg_key: Option<ArgKey>,
    /// Whether file capabilities may be read: getxattr came back when the
    /// rehearsal made it in a disposable child.
    pub xattr: bool,
}

/// See [`Config::arg_key`]: a call's name and arguments to its key.
pub type ArgKey = fn(&str, &[u64; 6]) -> Option<[u64; 6]>;

/// A call as a tracee made it.
#[derive(Debug, Clone, Copy)]
pub struct Call {
    pub abi: &'static Abi,
    /// The number, with the entry point's bit (x32).
    pub nr: u32,
    pub args: [u64; 6],
}

impl Call {
    pub fn name(&self) -> Option<&'static str> {
        self.abi.name(self.nr & !self.abi.nr_bit)
    }

    /// The name, or `syscall_N` for a number without one.
    pub fn display_name(&self) -> String {
        self.name()
            .map(str::to_string)
            .unwrap_or_else(|| format!("syscall_{}", self.nr & !self.abi.nr_bit))
    }
}

/// How a call failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum How {
    /// It returned -errno.
    Errno(u32),
    /// A seccomp TRAP rule raised SIGSYS (with this SECCOMP_RET_DATA).
    Trap(u32),
    /// The process (or thread) died of SIGSYS inside it: a seccomp KILL
    /// rule, if the policy confirms.
    Killed,
}

/// One distinct failing call (same entry point, number, arguments and result).
#[derive(Debug, Clone)]
pub struct Failure {
    pub call: Call,
    pub how: How,
    pub count: u64,
    /// Processes it happened in (the first few).
    pub pids: Vec<i32>,
    /// Order of first occurrence.
    pub seq: u64,
    pub decoded: Decoded,
    /// Read at the first occurrence, for the errnos always explained.
    pub snapshot: Option<Snapshot>,
    /// The privileged program the process runs, if it executed one.
    pub exec: Option<PrivilegedExec>,
    /// The process had installed a seccomp filter of its own first.
    pub own_filter: bool,
    /// The errno is one `why` always explains (not only when a filter made it).
    pub listed: bool,
    /// ptrace only: the target (for PTRACE_TRACEME, the caller) is one of
    /// whatami's own tracees.
    pub target_traced: bool,
    /// How many of its occurrences the program recovered from by itself:
    /// the same thread's next call was the older call it falls back to
    /// ([`fallbacks`]), and it succeeded.
    pub recovered: u64,
    /// That older call.
    pub fallback: Option<&'static str>,
}

/// The older calls a program falls back to when `name` answers ENOSYS, as
/// glibc and musl do (clone3 to clone, faccessat2 to faccessat, statx to
/// the stat family, openat2 to openat...).
pub fn fallbacks(name: &str) -> &'static [&'static str] {
    match name {
        "clone3" => &["clone"],
        "faccessat2" => &["faccessat", "access", "newfstatat", "fstatat64"],
        "statx" => &[
            "newfstatat",
            "fstatat64",
            "fstat",
            "fstat64",
            "stat",
            "stat64",
            "lstat",
            "lstat64",
        ],
        "openat2" => &["openat", "open"],
        "fchmodat2" => &["fchmodat", "chmod"],
        "close_range" => &["close"],
        "epoll_pwait2" => &["epoll_pwait", "epoll_wait"],
        "pidfd_open" => &["kill"],
        "clock_gettime64" => &["clock_gettime"],
        "clock_nanosleep_time64" => &["clock_nanosleep"],
        _ => &[],
    }
}

/// Calls, errors and time of one syscall.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Stat {
    pub calls: u64,
    pub errors: u64,
    /// Wall-clock time from entry stop to exit stop.
    pub nanos: u64,
}

/// How the command ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ended {
    Exited(i32),
    Signaled(i32),
}

/// Everything the trace learned.
#[derive(Debug, Default)]
pub struct Trace {
    pub ended: Option<Ended>,
    pub failures: Vec<Failure>,
    /// (entry point, number without its bit, counts), in no order.
    pub stats: Vec<(&'static Abi, u32, Stat)>,
    /// Failures not kept: past the limit of distinct failures.
    pub dropped: u64,
    /// Set-user-ID and file-capability programs executed.
    pub privileged_execs: Vec<PrivilegedExec>,
    pub notes: Vec<String>,
    /// The distinct keys [`Config::arg_key`] gave, counted: (entry point,
    /// number without its bit, key, calls), in no order.
    pub arg_calls: Vec<(&'static Abi, u32, [u64; 6], u64)>,
    /// A process attached to: the signal of whatami's that ended the
    /// tracing (SIGALRM: the duration asked for), when one did.
    pub detached_on: Option<i32>,
    /// Tracees that did not stop in time to be detached.
    pub undetached: usize,
}

/// The file behind the descriptor of a call that acts on one (fchmod,
/// ftruncate...), so that a read-only mount or a mode can be named.
fn fd_path(pid: libc::pid_t, name: &str, args: &[u64; 6]) -> Option<PathArg> {
    let role = match name {
        "fchmod" | "fchown" | "fchown32" | "fsetxattr" | "fremovexattr" | "futimesat" => {
            Role::Attributes
        }
        "ftruncate" | "ftruncate64" | "fallocate" | "write" | "pwrite64" | "writev" => Role::Write,
        "fchdir" => Role::Lookup,
        _ => return None,
    };
    let fd = args[0] as u32 as i32;
    let path = std::fs::read_link(format!("/proc/{pid}/fd/{fd}")).ok()?;
    let path = path.to_string_lossy().into_owned();
    // Sockets, pipes and anonymous files have no path to look at.
    path.starts_with('/').then_some(PathArg {
        path,
        dirfd: None,
        role,
        follow: true,
    })
}

/// Distinct failures kept, the usual errnos first; others only while
/// fewer than [`MAX_OTHER`] are kept.
const MAX_FAILURES: usize = 10_000;
const MAX_OTHER: usize = 4_000;
/// Distinct pids kept per failure.
const MAX_PIDS: usize = 8;

/// The errnos every failure of which is explained.
pub fn is_listed(name: &str, errno: u32) -> bool {
    matches!(errno, EPERM | EACCES | EROFS | ENOSYS | EAFNOSUPPORT)
        // A user-namespace limit answers ENOSPC (max_user_namespaces) or
        // EUSERS (nesting too deep).
        || (matches!(errno, ENOSPC | EUSERS)
            && matches!(name, "unshare" | "clone" | "clone3" | "setns"))
}

struct Tracee {
    in_syscall: bool,
    entry: Option<(Call, Instant)>,
    /// The last call entered: a seccomp KILL reports that call's exit stop
    /// (with the number as its return value) before the process dies.
    last: Option<Call>,
    /// Index into `procs`: what the process executed.
    proc: usize,
    own_filter: bool,
    /// The failure (its index) of the last call, when it answered ENOSYS
    /// and has a fallback: the next call says whether the program recovered.
    fallback: Option<usize>,
}

struct Tracer {
    cfg: Config,
    main: libc::pid_t,
    tracees: HashMap<libc::pid_t, Tracee>,
    procs: Vec<Option<PrivilegedExec>>,
    /// Recording starts when the command's own execve starts: what came
    /// before is whatami's child getting ready.
    started: bool,
    stats: Vec<Vec<Stat>>,
    arg_calls: HashMap<(u8, u32, [u64; 6]), u64>,
    index: HashMap<(u8, u32, [u64; 6], How), usize>,
    trace: Trace,
    others: usize,
    seq: u64,
    mounts: MountCache,
    /// Calls through an entry point this build does not follow (an arm64
    /// kernel's AArch32 one): the audit arch of the first, and how many.
    foreign: (u32, u64),
    /// `main` is a running process whatami attached to, not its own child:
    /// whatami's signals detach instead of being passed on, and its end
    /// ends the tracing.
    attached: bool,
    /// Netlink requests waiting for their answer.
    netlink: netlink::Tracker,
}

// ------------------------------------------------------------ signals

static PENDING: AtomicI32 = AtomicI32::new(0);
/// The command's pid while it lives (0 otherwise): the handler passes a
/// signal sent to whatami straight on to it, so that none is lost between
/// the tracer's look at PENDING and its next wait.
static MAIN: AtomicI32 = AtomicI32::new(0);
/// The first thread of a process whatami attached to (0 otherwise): the
/// handler interrupts it, so that a signal arriving between the tracer's
/// look at PENDING and its next wait still ends that wait.
static ATTACHED: AtomicI32 = AtomicI32::new(0);

/// si_code of a signal the kernel sent itself (the terminal's Ctrl-C).
const SI_KERNEL: i32 = 0x80;

extern "C" fn on_signal(sig: libc::c_int, info: *mut libc::siginfo_t, _: *mut libc::c_void) {
    // SAFETY: the kernel passes a valid siginfo to an SA_SIGINFO handler.
    let code = unsafe { (*info).si_code };
    let main = MAIN.load(SeqCst);
    // The terminal's signals (SI_KERNEL) reach the command's process group
    // by themselves; only one sent to whatami alone is passed on.
    if code != SI_KERNEL && main > 0 {
        // SAFETY: kill is async-signal-safe. `main` is our child; MAIN is
        // cleared as soon as the wait that reaps it returns, so the pid could
        // have been reused only within those few instructions.
        unsafe { libc::kill(main, sig) };
    }
    PENDING.store(sig, SeqCst);
    let attached = ATTACHED.load(SeqCst);
    if attached > 0 {
        // SAFETY: a raw ptrace request with integer arguments, which is
        // async-signal-safe; on a thread that is gone it fails with ESRCH.
        unsafe {
            libc::syscall(
                libc::SYS_ptrace,
                ptrace::PTRACE_INTERRUPT,
                attached,
                0usize,
                0usize,
            )
        };
    }
}

/// The signals whatami takes over while tracing; they are put back after.
/// SIGALRM (the end of an attached tracing's duration) only when asked.
const HANDLED: [i32; 5] = [
    libc::SIGINT,
    libc::SIGTERM,
    libc::SIGHUP,
    libc::SIGQUIT,
    libc::SIGALRM,
];

/// While it lives, SIGINT, SIGTERM, SIGHUP and SIGQUIT no longer end
/// whatami: they interrupt its wait, and a signal someone sent whatami is
/// passed on to the command (the terminal's Ctrl-C reaches the command by
/// itself, being sent to the whole foreground process group).
pub struct SignalGuard {
    old: Vec<(i32, libc::sigaction)>,
}

impl SignalGuard {
    /// `alarm`: SIGALRM too.
    pub fn install(alarm: bool) -> SignalGuard {
        let mut old = Vec::new();
        for sig in HANDLED {
            if sig == libc::SIGALRM && !alarm {
                continue;
            }
            // SAFETY: plain sigaction calls with initialised structures; the
            // handler only stores to atomics. No SA_RESTART, so that wait4
            // returns EINTR.
            unsafe {
                let mut sa: libc::sigaction = std::mem::zeroed();
                sa.sa_sigaction = on_signal as *const () as usize;
                sa.sa_flags = libc::SA_SIGINFO;
                libc::sigemptyset(&mut sa.sa_mask);
                let mut prev: libc::sigaction = std::mem::zeroed();
                if libc::sigaction(sig, &sa, &mut prev) == 0 {
                    old.push((sig, prev));
                }
            }
        }
        SignalGuard { old }
    }
}

impl Drop for SignalGuard {
    fn drop(&mut self) {
        for (sig, prev) in &self.old {
            // SAFETY: restoring what install() saved.
            unsafe {
                libc::sigaction(*sig, prev, std::ptr::null_mut());
            }
        }
    }
}

// ------------------------------------------------------------ the loop

/// Traces `tids` until every tracee is gone or tracing stops.
///
/// A command (`attached` false): `tids` is the seized child, seen in its
/// first stop; it is resumed here, then `on_resumed` is called, and it is
/// followed to its end and that of everything it started.
///
/// A running process whatami attached to (`attached` true): `tids` are its
/// threads, seized and interrupted (attach.rs), the process's own first.
/// Everything is counted from here on; the tracing ends when the process
/// ends (what it started is then detached), or at a signal of whatami's
/// (SIGINT, SIGTERM, SIGHUP, SIGQUIT, and SIGALRM for a duration), which
/// detaches every tracee as it was.
pub fn run(
    tids: &[libc::pid_t],
    attached: bool,
    cfg: Config,
    on_resumed: &mut dyn FnMut(),
) -> Trace {
    let main = tids.first().copied().unwrap_or(0);
    let mut t = Tracer::new(main, cfg, attached);
    // The threads of one process share what it executed.
    for &tid in tids {
        t.add(tid);
    }
    if attached {
        t.started = true;
        ATTACHED.store(main, SeqCst);
    } else {
        MAIN.store(main, SeqCst);
        if let Err(e) = ptrace::resume(main, 0) {
            t.trace
                .notes
                .push(format!("the command could not be resumed: {e}"));
        }
    }
    on_resumed();
    t.follow();
    MAIN.store(0, SeqCst);
    ATTACHED.store(0, SeqCst);
    t.finish()
}

impl Tracer {
    fn new(main: libc::pid_t, cfg: Config, attached: bool) -> Tracer {
        Tracer {
            cfg,
            main,
            tracees: HashMap::new(),
            procs: vec![None],
            started: false,
            stats: Vec::new(),
            arg_calls: HashMap::new(),
            index: HashMap::new(),
            trace: Trace::default(),
            others: 0,
            seq: 0,
            mounts: MountCache::default(),
            foreign: (0, 0),
            attached,
            netlink: netlink::Tracker::default(),
        }
    }

    /// A tracee of the first process.
    fn add(&mut self, tid: libc::pid_t) {
        self.tracees.insert(
            tid,
            Tracee {
                in_syscall: false,
                entry: None,
                last: None,
                proc: 0,
                own_filter: false,
                fallback: None,
            },
        );
    }

    /// The stop loop, until no tracee is left or tracing stops.
    fn follow(&mut self) {
        // A signal of whatami's own interrupts the wait now and then; a wait4
        // that fails with EINTR every time (a policy's answer) would spin here
        // for as long as the command runs, blind to it: bounded.
        let mut spins = crate::linux::io::Spins::default();
        loop {
            let sig = PENDING.swap(0, SeqCst);
            if sig != 0 && self.on_own_signal(sig) {
                break;
            }
            match ptrace::wait(-1, false) {
                Ok(Waited::Changed(pid, status)) => {
                    spins.reset();
                    self.on_status(pid, status);
                    // An attached process's end ends the tracing: what it
                    // started is not whatami's to follow to its end.
                    if self.attached && self.trace.ended.is_some() {
                        self.detach_all();
                        break;
                    }
                }
                Ok(Waited::Interrupted | Waited::Nothing) if sig != 0 || spins.again() => {}
                Ok(Waited::Interrupted | Waited::Nothing) => {
                    self.trace.notes.push(format!(
                        "wait4 was interrupted {} times in a row: the command was let go untraced",
                        crate::linux::io::MAX_RETRIES
                    ));
                    self.detach_all();
                    break;
                }
                Ok(Waited::NoChildren) => break,
                Err(e) => {
                    self.trace.notes.push(format!("wait4 failed: {e}"));
                    self.detach_all();
                    break;
                }
            }
        }
    }

    /// A signal whatami received. True: stop tracing.
    fn on_own_signal(&mut self, sig: i32) -> bool {
        if self.attached {
            self.trace.detached_on = Some(sig);
            self.detach_all();
            return true;
        }
        // While the command lives, the handler has passed the signal on.
        if self.tracees.contains_key(&self.main) {
            return false;
        }
        // The command is gone; what it left running is let go.
        self.trace.notes.push(format!(
            "{} after the command ended: {} remaining process(es) detached, not traced to their end",
            decode::signal(sig as u64),
            self.tracees.len()
        ));
        self.detach_all();
        true
    }

    fn on_status(&mut self, pid: libc::pid_t, status: i32) {
        if libc::WIFEXITED(status) || libc::WIFSIGNALED(status) {
            let gone = self.tracees.remove(&pid);
            if libc::WIFSIGNALED(status) && libc::WTERMSIG(status) == libc::SIGSYS {
                // Died of SIGSYS in or right after a call: a seccomp KILL
                // verdict is the likely reason; the policy is asked later.
                if let Some(call) = gone.as_ref().and_then(|g| g.last) {
                    let own = gone.as_ref().is_some_and(|g| g.own_filter);
                    let proc = gone.as_ref().map_or(0, |g| g.proc);
                    self.record(pid, call, How::Killed, own, proc);
                }
            }
            if pid == self.main {
                MAIN.store(0, SeqCst);
                self.trace.ended = Some(if libc::WIFEXITED(status) {
                    Ended::Exited(libc::WEXITSTATUS(status))
                } else {
                    Ended::Signaled(libc::WTERMSIG(status))
                });
            }
            return;
        }
        if !libc::WIFSTOPPED(status) {
            return;
        }
        // A tracee seen before its parent's fork event.
        if !self.tracees.contains_key(&pid) {
            self.procs.push(None);
            let proc = self.procs.len() - 1;
            self.tracees.insert(
                pid,
                Tracee {
                    in_syscall: false,
                    entry: None,
                    last: None,
                    proc,
                    own_filter: false,
                    fallback: None,
                },
            );
        }
        let sig = libc::WSTOPSIG(status);
        let event = ptrace::event_of(status);
        if sig == libc::SIGTRAP | 0x80 {
            self.on_syscall(pid);
            // ESRCH: it died meanwhile; its end is reported next.
            let _ = ptrace::resume(pid, 0);
            return;
        }
        match event {
            0 => {
                if sig == libc::SIGSYS {
                    self.on_sigsys(pid);
                }
                // A signal on its way: delivered as it came.
                let _ = ptrace::resume(pid, sig);
            }
            ptrace::EVENT_FORK | ptrace::EVENT_VFORK | ptrace::EVENT_CLONE => {
                if let Ok(child) = ptrace::event_msg(pid) {
                    self.on_new(pid, child as libc::pid_t, event);
                }
                let _ = ptrace::resume(pid, 0);
            }
            ptrace::EVENT_EXEC => {
                if let Ok(former) = ptrace::event_msg(pid) {
                    self.on_exec(pid, former as libc::pid_t);
                }
                let _ = ptrace::resume(pid, 0);
            }
            ptrace::EVENT_STOP
                if matches!(
                    sig,
                    libc::SIGSTOP | libc::SIGTSTP | libc::SIGTTIN | libc::SIGTTOU
                ) =>
            {
                // A group-stop: the tracee stays stopped until SIGCONT, as it
                // would untraced, and whatami still hears of it.
                let _ = ptrace::listen(pid);
            }
            _ => {
                let _ = ptrace::resume(pid, 0);
            }
        }
    }

    fn on_new(&mut self, parent: libc::pid_t, child: libc::pid_t, event: i32) {
        let (proc, own) = match self.tracees.get(&parent) {
            Some(p) => (p.proc, p.own_filter),
            None => (0, false),
        };
        // A new process starts with what its parent executed; a thread shares
        // it (a CLONE event without CLONE_THREAD shares it too, until it
        // executes something of its own, which gets a new entry).
        let proc = if event == ptrace::EVENT_CLONE {
            proc
        } else {
            self.procs.push(self.procs[proc].clone());
            self.procs.len() - 1
        };
        let t = self.tracees.entry(child).or_insert(Tracee {
            in_syscall: false,
            entry: None,
            last: None,
            proc,
            own_filter: own,
            fallback: None,
        });
        t.proc = proc;
        t.own_filter |= own;
    }

    fn on_exec(&mut self, pid: libc::pid_t, former: libc::pid_t) {
        // A thread other than the leader executed: it now has the leader's
        // tid, and the leader is gone without a word.
        if former != pid
            && let Some(t) = self.tracees.remove(&former)
        {
            self.tracees.insert(pid, t);
        }
        let exec = PrivilegedExec::after_exec(pid, self.cfg.xattr);
        if let Some(e) = &exec {
            self.trace.privileged_execs.push(e.clone());
        }
        self.procs.push(exec);
        let proc = self.procs.len() - 1;
        if let Some(t) = self.tracees.get_mut(&pid) {
            t.proc = proc;
        }
    }

    fn on_sigsys(&mut self, pid: libc::pid_t) {
        let Ok(si) = ptrace::siginfo(pid) else {
            return;
        };
        if si.code != ptrace::SYS_SECCOMP {
            return;
        }
        let Some(t) = self.tracees.get(&pid) else {
            return;
        };
        let (own, proc) = (t.own_filter, t.proc);
        // The trapped call is the last one entered, when the numbers agree.
        let call = t
            .entry
            .map(|(c, _)| c)
            .filter(|c| c.nr as i32 == si.syscall && c.abi.audit_arch == si.arch)
            .or_else(|| {
                arch::abi_of(si.arch, si.syscall as u64).map(|abi| Call {
                    abi,
                    nr: si.syscall as u32,
                    args: [0; 6],
                })
            });
        if let Some(call) = call {
            self.record(pid, call, How::Trap(si.errno as u16 as u32), own, proc);
        }
    }

    fn on_syscall(&mut self, pid: libc::pid_t) {
        let now = Instant::now();
        let stop = match self.cfg.info {
            InfoMethod::SyscallInfo => match ptrace::syscall_info(pid) {
                Ok(SyscallInfo::Entry { arch, nr, args }) => Some(Ok((arch, nr, args))),
                Ok(SyscallInfo::Exit { rval, is_error }) => Some(Err((rval, is_error))),
                _ => None,
            },
            InfoMethod::Registers => {
                let Some(t) = self.tracees.get(&pid) else {
                    return;
                };
                let entering = !t.in_syscall;
                match arch::regs(pid) {
                    Ok(r) if entering => Some(Ok((r.audit_arch, r.nr, r.args))),
                    Ok(r) => Some(Err((r.ret, (-4095..0).contains(&r.ret)))),
                    Err(_) => None,
                }
            }
        };
        let Some(stop) = stop else {
            return;
        };
        match stop {
            Ok((audit_arch, nr, args)) => self.on_entry(pid, now, audit_arch, nr, args),
            Err((rval, is_error)) => self.on_exit(pid, now, rval, is_error),
        }
    }

    fn on_entry(
        &mut self,
        pid: libc::pid_t,
        now: Instant,
        audit_arch: u32,
        nr: u64,
        args: [u64; 6],
    ) {
        let Some(abi) = arch::abi_of(audit_arch, nr) else {
            if self.started {
                if self.foreign.1 == 0 {
                    self.foreign.0 = audit_arch;
                }
                self.foreign.1 += 1;
            }
            return;
        };
        let call = Call {
            abi,
            nr: nr as u32,
            args,
        };
        let Some(t) = self.tracees.get_mut(&pid) else {
            return;
        };
        t.in_syscall = true;
        t.entry = Some((call, now));
        t.last = Some(call);
        if !self.started {
            if pid == self.main && matches!(call.name(), Some("execve" | "execveat")) {
                self.started = true;
            } else {
                return;
            }
        }
        self.stat(call).calls += 1;
        if let (Some(key_of), Some(name)) = (self.cfg.arg_key, call.name())
            && let Some(key) = key_of(name, &args)
        {
            let at = (abi::index_of(abi), call.nr & !abi.nr_bit, key);
            *self.arg_calls.entry(at).or_insert(0) += 1;
        }
    }

    fn on_exit(&mut self, pid: libc::pid_t, now: Instant, rval: i64, is_error: bool) {
        let Some(t) = self.tracees.get_mut(&pid) else {
            return;
        };
        t.in_syscall = false;
        let Some((call, at)) = t.entry.take() else {
            return;
        };
        let (own, proc) = (t.own_filter, t.proc);
        let pending = t.fallback.take();
        if !self.started {
            return;
        }
        let name = call.name().unwrap_or("");
        if let Some(at) = pending
            && !is_error
            && let Some(f) = self.trace.failures.get_mut(at)
            && let Some(&by) = f
                .call
                .name()
                .and_then(|n| fallbacks(n).iter().find(|&&b| b == name))
        {
            f.recovered += 1;
            f.fallback = Some(by);
        }
        let st = self.stat(call);
        st.nanos += now.duration_since(at).as_nanos() as u64;
        // sigreturn "returns" the interrupted call's register, not an error of its own.
        if !is_error || matches!(name, "rt_sigreturn" | "sigreturn") {
            if !is_error {
                self.note_success(pid, call, rval);
                if netlink::wanted(name) {
                    self.on_netlink(pid, call, rval, own, proc);
                }
            }
            return;
        }
        st.errors += 1;
        let errno = (-rval) as u64;
        // 512..=530: the kernel's internal restart codes, never seen by the program.
        if errno == 0 || errno > 4095 || (512..=530).contains(&errno) {
            return;
        }
        self.record_errno(pid, call, errno as u32, own, proc);
        if errno as u32 == ENOSYS && !fallbacks(name).is_empty() {
            let key = (
                abi::index_of(call.abi),
                call.nr,
                call.args,
                How::Errno(ENOSYS),
            );
            let at = self.index.get(&key).copied();
            if let Some(t) = self.tracees.get_mut(&pid) {
                t.fallback = at;
            }
        }
    }

    /// A seccomp filter the command installs itself is not the one whatami
    /// probes: note which tracees have one.
    fn note_success(&mut self, pid: libc::pid_t, call: Call, _rval: i64) {
        // The mount tables read so far no longer hold.
        const CLONE_NEWNS: u64 = 0x2_0000;
        let remounts = match call.name() {
            Some(
                "mount" | "umount" | "umount2" | "pivot_root" | "move_mount" | "fsmount"
                | "mount_setattr" | "open_tree" | "setns" | "chroot",
            ) => true,
            Some("unshare" | "clone") => call.args[0] & CLONE_NEWNS != 0,
            Some("clone3") => true,
            _ => false,
        };
        if remounts {
            self.mounts.changed();
        }
        const SECCOMP_SET_MODE_FILTER: u64 = 1;
        const TSYNC: u64 = 1;
        const PR_SET_SECCOMP: u64 = 22;
        let (filter, all_threads) = match call.name() {
            Some("seccomp") if call.args[0] == SECCOMP_SET_MODE_FILTER => {
                (true, call.args[1] & TSYNC != 0)
            }
            Some("prctl") if call.args[0] == PR_SET_SECCOMP && call.args[1] == 2 => (true, false),
            _ => (false, false),
        };
        if !filter {
            return;
        }
        let proc = self.tracees.get(&pid).map(|t| t.proc);
        for (tid, t) in self.tracees.iter_mut() {
            if *tid == pid || (all_threads && Some(t.proc) == proc) {
                t.own_filter = true;
            }
        }
    }

    /// A call that may carry a netlink request or its answer succeeded:
    /// each request the answer refuses is recorded as a failure of the call
    /// that sent it.
    #[inline(never)]
    fn on_netlink(&mut self, pid: libc::pid_t, call: Call, rval: i64, own: bool, proc: usize) {
        let name = call.name().unwrap_or("");
        let mut mem = Reader::new(pid, self.cfg.mem);
        let refusals =
            self.netlink
                .on_success(pid, &call, name, rval, arch::layout(call.abi), &mut mem);
        for r in refusals {
            // The errnos why explains; other refusals (EEXIST...) are the
            // request's own business.
            let errno = r.refused.errno;
            if matches!(errno, EPERM | EACCES) {
                let decoded = Decoded {
                    text: r.text,
                    netlink: Some(r.refused),
                    ..Decoded::default()
                };
                self.keep(pid, r.call, How::Errno(errno), own, proc, Some(decoded));
            }
        }
    }

    /// A failure kept before happened again, in `pid`.
    fn again(&mut self, i: usize, pid: libc::pid_t) {
        let f = &mut self.trace.failures[i];
        f.count += 1;
        if f.pids.len() < MAX_PIDS && !f.pids.contains(&pid) {
            f.pids.push(pid);
        }
    }

    fn stat(&mut self, call: Call) -> &mut Stat {
        let a = abi::index_of(call.abi) as usize;
        let n = (call.nr & !call.abi.nr_bit) as usize;
        if self.stats.len() <= a {
            self.stats.resize_with(a + 1, Vec::new);
        }
        let v = &mut self.stats[a];
        if v.len() <= n {
            v.resize(n + 1, Stat::default());
        }
        &mut v[n]
    }

    fn record_errno(&mut self, pid: libc::pid_t, call: Call, errno: u32, own: bool, proc: usize) {
        let name = call.name().unwrap_or("");
        let listed = is_listed(name, errno);
        // Another errno matters only if a filter may have produced it.
        if !(listed || self.cfg.seccomp_active || own) {
            return;
        }
        self.record(pid, call, How::Errno(errno), own, proc);
    }

    fn record(&mut self, pid: libc::pid_t, call: Call, how: How, own: bool, proc: usize) {
        self.keep(pid, call, how, own, proc, None);
    }

    /// Records a failure; `given`: a refused netlink request, decoded
    /// already. Such a failure is told apart by the refused message's
    /// protocol, type and flags rather than by the call's arguments (one
    /// buffer carries request after request), in a key no call's arguments
    /// can have: a descriptor of all ones.
    fn keep(
        &mut self,
        pid: libc::pid_t,
        call: Call,
        how: How,
        own: bool,
        proc: usize,
        given: Option<Decoded>,
    ) {
        let args = match given.as_ref().and_then(|d| d.netlink.as_ref()) {
            Some(n) => [
                u64::MAX,
                n.protocol_nr.into(),
                n.nlmsg_type.into(),
                n.nlmsg_flags.into(),
                0,
                0,
            ],
            None => call.args,
        };
        let key = (abi::index_of(call.abi), call.nr, args, how);
        if let Some(&i) = self.index.get(&key) {
            self.again(i, pid);
            return;
        }
        let name = call.display_name();
        let listed = match how {
            How::Errno(e) => is_listed(&name, e),
            How::Trap(_) | How::Killed => true,
        };
        if self.trace.failures.len() >= MAX_FAILURES || (!listed && self.others >= MAX_OTHER) {
            self.trace.dropped += 1;
            return;
        }
        if !listed {
            self.others += 1;
        }
        let decoded = given.unwrap_or_else(|| {
            let mut mem = Reader::new(pid, self.cfg.mem);
            decode::decode(&name, &call.args, arch::layout(call.abi), &mut mem)
        });
        // A process killed in the call can no longer be read.
        let snapshot = (listed && how != How::Killed).then(|| {
            let mut paths = decoded.paths.clone();
            paths.extend(fd_path(pid, &name, &call.args));
            Snapshot::take(pid, &paths, &mut self.mounts, self.cfg.xattr)
        });
        // PTRACE_TRACEME fails for a process that is traced already: by whatami.
        let target_traced = name == "ptrace"
            && (call.args[0] == 0 || self.tracees.contains_key(&(call.args[1] as u32 as i32)));
        self.index.insert(key, self.trace.failures.len());
        self.seq += 1;
        self.trace.failures.push(Failure {
            call,
            how,
            count: 1,
            pids: vec![pid],
            seq: self.seq,
            decoded,
            snapshot,
            exec: self.procs.get(proc).cloned().flatten(),
            own_filter: own,
            listed,
            target_traced,
            recovered: 0,
            fallback: None,
        });
    }

    /// Lets every remaining tracee go: each is interrupted, and detached
    /// at its stop. Bounded: one that does not stop in time is left to
    /// PTRACE_O_EXITKILL when whatami exits.
    fn detach_all(&mut self) {
        for &tid in self.tracees.keys() {
            let _ = ptrace::interrupt(tid);
        }
        let deadline = Instant::now() + Duration::from_secs(2);
        while !self.tracees.is_empty() && Instant::now() < deadline {
            match ptrace::wait(-1, true) {
                Ok(Waited::Changed(pid, status)) => {
                    if libc::WIFSTOPPED(status) {
                        let sig = libc::WSTOPSIG(status);
                        let event = ptrace::event_of(status);
                        // A process or thread started at this very stop is
                        // traced already: it is let go at its first stop.
                        if matches!(
                            event,
                            ptrace::EVENT_FORK | ptrace::EVENT_VFORK | ptrace::EVENT_CLONE
                        ) && let Ok(child) = ptrace::event_msg(pid)
                        {
                            self.add(child as libc::pid_t);
                        }
                        // A pending signal goes with it; stops of whatami's
                        // making (syscall, event) carry none.
                        let pass = if sig == libc::SIGTRAP | 0x80 || event != 0 {
                            0
                        } else {
                            sig
                        };
                        let _ = ptrace::detach(pid, pass);
                    }
                    self.tracees.remove(&pid);
                }
                Ok(Waited::NoChildren) => break,
                _ => std::thread::sleep(Duration::from_millis(1)),
            }
        }
        if !self.tracees.is_empty() {
            self.trace.undetached = self.tracees.len();
            // A command's tracees are killed when whatami exits
            // (PTRACE_O_EXITKILL); a process attached to is let go.
            self.trace.notes.push(format!(
                "{} process(es) did not stop in time to be detached",
                self.tracees.len()
            ));
        }
        self.tracees.clear();
    }

    fn finish(mut self) -> Trace {
        if let (arch, n @ 1..) = self.foreign {
            let which = if arch == abi::AUDIT_ARCH_ARM {
                "AArch32: 32-bit ARM programs"
            } else {
                "not one of this build's"
            };
            self.trace.notes.push(format!(
                "{n} calls through an entry point whatami does not follow (audit arch \
                 {arch:#x}, {which}) were not seen: their failures are not explained, and a \
                 profile recorded from them does not allow them"
            ));
        }
        for (a, v) in self.stats.iter().enumerate() {
            let Some(abi) = abi::abis().get(a).copied() else {
                continue;
            };
            for (n, s) in v.iter().enumerate() {
                if s.calls > 0 {
                    self.trace.stats.push((abi, n as u32, *s));
                }
            }
        }
        for ((a, nr, key), count) in std::mem::take(&mut self.arg_calls) {
            if let Some(abi) = abi::abis().get(a as usize).copied() {
                self.trace.arg_calls.push((abi, nr, key, count));
            }
        }
        self.trace
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_usual_errnos_and_namespace_limits_are_listed() {
        for e in [EPERM, EACCES, EROFS, ENOSYS, EAFNOSUPPORT] {
            assert!(is_listed("open", e));
        }
        assert!(!is_listed("open", 2));
        assert!(!is_listed("write", ENOSPC));
        assert!(is_listed("unshare", ENOSPC));
        assert!(is_listed("clone", EUSERS));
    }
}
