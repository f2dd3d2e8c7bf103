//! What both probers' disposable children stand on, on both sides of the
//! fork: the shared result page, the probe thread (its stack, its start,
//! the SIGSYS handler that records a TRAP, the probe loop, its replacement
//! after a KILL_THREAD verdict), and whatami's handle on a child (fork with
//! a pipe that hangs up when the child is gone, a bounded reap).
//!
//! Child-side code here follows the rule of every probe child: everything is
//! prepared before the fork, and after it only direct calls through libc are
//! made: no allocation, no locks, no printing, no panics.

use crate::linux::abi::Entry;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::sync::atomic::{
    AtomicI32, AtomicI64, AtomicPtr, AtomicU32, AtomicU64, AtomicUsize, Ordering::SeqCst,
};
use std::time::{Duration, Instant};

/// Where the probe thread is.
pub mod state {
    pub const OUT: u32 = 0;
    pub const IN_PROBE: u32 = 1;
    pub const DONE: u32 = 2;
}

/// What a slot records for one probe.
pub mod slot_kind {
    pub const PENDING: u32 = 0;
    /// The syscall returned; `value` holds the raw return value.
    pub const RETURNED: u32 = 1;
    /// SIGSYS from a TRAP rule at the probe instruction; `value` holds SECCOMP_RET_DATA.
    pub const TRAP: u32 = 2;
    /// The probe thread died and the rest of the child lived on.
    pub const KILL_THREAD: u32 = 3;
    /// Not issued (exempt, or not harmless).
    pub const SKIPPED: u32 = 4;
    /// Not issued: the kernel does not serve its entry point.
    pub const UNSERVED: u32 = 5;
    // Written by whatami once the child is gone.
    pub const KILL_PROCESS: u32 = 10;
    pub const TIMED_OUT: u32 = 11;
    pub const DIED: u32 = 12;
    pub const ENTRY_UNAVAILABLE: u32 = 13;
    pub const EXITED: u32 = 14;
}

/// The stage a child is in once it probes; each prober numbers its setup
/// stages below this.
pub const STAGE_PROBING: u32 = 100;

/// Child exit codes.
pub const EXIT_DONE: i32 = 0;
pub const EXIT_SETUP: i32 = 3;
pub const EXIT_CONFUSED: i32 = 4;
/// A probe got no answer in time: the child gave up on it.
pub const EXIT_STALLED: i32 = 5;

/// The child's side of the shared page: which probe is in flight, how far
/// setup got and why it failed. `flags` and `mismatches` are the prober's own.
#[repr(C)]
pub struct Header {
    pub cur: AtomicUsize,
    pub state: AtomicU32,
    pub stage: AtomicU32,
    pub setup_errno: AtomicI32,
    pub nnp_errno: AtomicI32,
    /// SIGSYS outside a probe (a TRAP rule hit by the child's own calls).
    pub stray_sigsys: AtomicI32,
    pub flags: AtomicU32,
    pub mismatches: AtomicU32,
    /// Bit `i`: the kernel does not serve the entry point with abi index `i`
    /// (learned from a `let_run` getpid through it).
    pub unserved: AtomicU32,
}

impl Header {
    /// Clears what a new child reports, before it is forked.
    pub fn reset(&self, start: usize) {
        self.cur.store(start, SeqCst);
        self.state.store(state::OUT, SeqCst);
        self.stage.store(0, SeqCst);
        self.setup_errno.store(0, SeqCst);
        self.nnp_errno.store(0, SeqCst);
        self.stray_sigsys.store(0, SeqCst);
        self.flags.store(0, SeqCst);
    }
}

#[repr(C)]
pub struct Slot {
    pub kind: AtomicU32,
    /// The prober's own count (notification probing: notifications answered).
    pub aux: AtomicU32,
    pub value: AtomicI64,
}

/// A probe as a child issues it: plain data.
#[derive(Debug, Clone, Copy)]
pub struct RawProbe {
    pub entry: Entry,
    /// Index of its ABI in `abi::abis()`.
    pub abi: u8,
    pub nr: u32,
    pub args: [u64; 6],
    pub skip: bool,
    /// A harmless call (getpid) that the notification prober lets really
    /// run when the policy allows it, to learn whether the kernel serves
    /// the entry point: ENOSYS then means it does not.
    pub let_run: bool,
}

/// The MAP_SHARED mapping that outlives the children: a header and one slot per probe.
pub struct SharedPage {
    base: *mut u8,
    len: usize,
    slots: usize,
}

impl SharedPage {
    pub fn new(slots: usize) -> std::io::Result<SharedPage> {
        let len = std::mem::size_of::<Header>() + slots.max(1) * std::mem::size_of::<Slot>();
        // SAFETY: an anonymous shared mapping; the result is checked below.
        let base = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                len,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_SHARED | libc::MAP_ANONYMOUS,
                -1,
                0,
            )
        };
        if base == libc::MAP_FAILED {
            return Err(std::io::Error::last_os_error());
        }
        // Zero-filled memory is a valid Header and valid Slots (atomics at 0).
        Ok(SharedPage {
            base: base.cast(),
            len,
            slots,
        })
    }

    pub fn header(&self) -> &Header {
        // SAFETY: the mapping starts with a Header, is page aligned and lives
        // as long as self.
        unsafe { &*(self.base as *const Header) }
    }

    pub fn slots(&self) -> &[Slot] {
        // SAFETY: `slots` Slots follow the Header (its size is a multiple of
        // 8, so they are aligned) inside the mapping, which lives as long as self.
        unsafe {
            std::slice::from_raw_parts(
                self.base.add(std::mem::size_of::<Header>()) as *const Slot,
                self.slots,
            )
        }
    }
}

impl Drop for SharedPage {
    fn drop(&mut self) {
        // SAFETY: unmapping exactly what new() mapped; nothing borrows it past self.
        unsafe {
            libc::munmap(self.base.cast(), self.len);
        }
    }
}

/// The probe thread's stack, mapped before the fork (each child has its own
/// copy of the private mapping).
pub struct ThreadStack {
    base: *mut u8,
    len: usize,
}

impl ThreadStack {
    pub fn new() -> std::io::Result<ThreadStack> {
        // Small: the thread only runs the probe loop and, on a TRAP, the handler.
        let len = 64 * 1024;
        // SAFETY: an anonymous private mapping; the result is checked below.
        let base = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                len,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_STACK,
                -1,
                0,
            )
        };
        if base == libc::MAP_FAILED {
            return Err(std::io::Error::last_os_error());
        }
        Ok(ThreadStack {
            base: base.cast(),
            len,
        })
    }

    fn top(&self) -> *mut u8 {
        // SAFETY: one past the end of the mapping, where a downward-growing
        // stack starts; page aligned, so 16-byte aligned.
        unsafe { self.base.add(self.len) }
    }
}

impl Drop for ThreadStack {
    fn drop(&mut self) {
        // SAFETY: unmapping exactly what new() mapped.
        unsafe {
            libc::munmap(self.base.cast(), self.len);
        }
    }
}

// ------------------------------------------------------------ child side

/// What the probe thread works on, prepared before the fork.
pub struct Probing<'a> {
    pub page: &'a SharedPage,
    pub stack: &'a ThreadStack,
    pub probes: &'a [RawProbe],
}

pub fn errno() -> i32 {
    std::io::Error::last_os_error().raw_os_error().unwrap_or(0)
}

/// Records errno as the reason setup failed and ends the child.
pub fn setup_failed(h: &Header) -> ! {
    setup_failed_with(h, errno())
}

pub fn setup_failed_with(h: &Header, e: i32) -> ! {
    h.setup_errno.store(e, SeqCst);
    // SAFETY: _exit ends this child only.
    unsafe { libc::_exit(EXIT_SETUP) }
}

// The SIGSYS handler takes no arguments of ours: it finds the page and the
// probe instructions through these, set by the child itself after the fork
// (in its own copy of them).
static H_HEADER: AtomicPtr<Header> = AtomicPtr::new(std::ptr::null_mut());
static H_SLOTS: AtomicPtr<Slot> = AtomicPtr::new(std::ptr::null_mut());
static H_NSLOTS: AtomicUsize = AtomicUsize::new(0);
static H_MARKERS: [AtomicU64; 2] = [AtomicU64::new(0), AtomicU64::new(0)];

/// The parts of siginfo_t that SIGSYS fills (union `_sigsys`), laid out as
/// the kernel does on 64-bit architectures.
#[repr(C)]
struct SigsysInfo {
    signo: i32,
    errno: i32,
    code: i32,
    _pad: i32,
    call_addr: u64,
    syscall: i32,
    arch: u32,
}

const SYS_SECCOMP: i32 = 1;

extern "C" fn on_sigsys(_sig: libc::c_int, info: *mut libc::siginfo_t, _ctx: *mut libc::c_void) {
    // SAFETY: the kernel passes a valid siginfo_t to SA_SIGINFO handlers;
    // SigsysInfo is a prefix view of it.
    let si = unsafe { &*(info as *const SigsysInfo) };
    // SAFETY: null, or set at child start to the live shared page.
    let Some(h) = (unsafe { H_HEADER.load(SeqCst).as_ref() }) else {
        return;
    };
    let at_marker = H_MARKERS.iter().any(|m| m.load(SeqCst) == si.call_addr);
    if si.code == SYS_SECCOMP && at_marker && h.state.load(SeqCst) == state::IN_PROBE {
        let i = h.cur.load(SeqCst);
        if i < H_NSLOTS.load(SeqCst) {
            // SAFETY: i is within the slot array of the shared page.
            let slot = unsafe { &*H_SLOTS.load(SeqCst).add(i) };
            // SECCOMP_RET_DATA arrives in si_errno (16 bits).
            slot.value.store(si.errno as u16 as i64, SeqCst);
            slot.kind.store(slot_kind::TRAP, SeqCst);
        }
    } else {
        h.stray_sigsys.store(si.syscall.max(1), SeqCst);
    }
    // Returning resumes after the syscall, which did not run.
}

/// Keeps a KILL verdict from leaving a core behind: RLIMIT_CORE 0 stops core
/// files, and a non-dumpable process also stops a piped core_pattern helper
/// (which ignores RLIMIT_CORE) from running on the host. Returns whether each
/// of the two took.
///
/// # Safety
/// Only in a probe child.
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
/// Only in a probe child.
pub unsafe fn die_with_parent() -> bool {
    // SAFETY: sets this process's own parent-death signal.
    unsafe { libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL, 0, 0, 0) == 0 }
}

/// Installs the SIGSYS handler that records a TRAP verdict in the slot of
/// the probe in flight, and unblocks SIGSYS (a blocked SIGSYS would turn a
/// TRAP into a kill). False if the policy refused either call.
///
/// # Safety
/// Only in a probe child, before its probe thread starts.
pub unsafe fn install_sigsys_handler(page: &SharedPage) -> bool {
    H_HEADER.store(page.header() as *const Header as *mut Header, SeqCst);
    H_SLOTS.store(page.slots().as_ptr() as *mut Slot, SeqCst);
    H_NSLOTS.store(page.slots().len(), SeqCst);
    for (m, a) in H_MARKERS.iter().zip(super::asm::marker_addresses()) {
        m.store(a, SeqCst);
    }
    // SAFETY: plain libc calls on local, initialised structures.
    unsafe {
        let mut sa: libc::sigaction = std::mem::zeroed();
        sa.sa_sigaction = on_sigsys as *const () as usize;
        sa.sa_flags = libc::SA_SIGINFO | libc::SA_NODEFER;
        libc::sigemptyset(&mut sa.sa_mask);
        if libc::sigaction(libc::SIGSYS, &sa, std::ptr::null_mut()) != 0 {
            return false;
        }
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        libc::sigaddset(&mut set, libc::SIGSYS);
        libc::sigprocmask(libc::SIG_UNBLOCK, &set, std::ptr::null_mut()) == 0
    }
}

/// Issues the probes from `start` on. Runs without thread-local storage of
/// its own (the thread was made with a raw clone), so it touches only the
/// shared page and the prepared probes.
pub fn run_probes(p: &Probing, start: usize) {
    let h = p.page.header();
    // Said here, before the first probe, not by the main thread after
    // clone() returns: the first probe may kill the whole child before that
    // thread runs again, and that death is a verdict, not a failed setup.
    h.stage.store(STAGE_PROBING, SeqCst);
    for (i, (probe, slot)) in p.probes.iter().zip(p.page.slots()).enumerate().skip(start) {
        if probe.skip {
            slot.kind.store(slot_kind::SKIPPED, SeqCst);
            continue;
        }
        let abi_bit = 1u32.checked_shl(probe.abi as u32).unwrap_or(0);
        if h.unserved.load(SeqCst) & abi_bit != 0 {
            slot.kind.store(slot_kind::UNSERVED, SeqCst);
            continue;
        }
        h.cur.store(i, SeqCst);
        slot.kind.store(slot_kind::PENDING, SeqCst);
        h.state.store(state::IN_PROBE, SeqCst);
        // SAFETY: what this call does is each prober's promise: notification
        // probing has a filter that turns every call from the probe
        // instruction into a notification (or the policy refuses it), so
        // nothing runs; direct probing only lets through calls whose
        // arguments the kernel rejects before acting.
        let r = unsafe { super::asm::issue(probe.entry, probe.nr, &probe.args) };
        h.state.store(state::OUT, SeqCst);
        if slot.kind.load(SeqCst) != slot_kind::TRAP {
            slot.value.store(r, SeqCst);
            slot.kind.store(slot_kind::RETURNED, SeqCst);
        }
        // Let through by the policy (a notification was answered) and run
        // for real: ENOSYS is then the kernel's own answer.
        if probe.let_run && slot.aux.load(SeqCst) > 0 && r == -(libc::ENOSYS as i64) {
            h.unserved.fetch_or(abi_bit, SeqCst);
        }
    }
    h.state.store(state::DONE, SeqCst);
}

/// What watches the probe thread from the child's main thread.
pub trait Watch {
    /// Called once before the first thread starts, with the read end of the
    /// thread's pipe: make each call `watch` will make, so that a policy
    /// that kills or refuses one shows as a setup failure, never as a
    /// probe's verdict. False: watching is impossible here.
    fn check(&mut self, pipe: libc::c_int) -> bool;
    /// Returns when the thread's pipe hangs up (the thread is gone); exits
    /// the child with EXIT_STALLED when a probe makes no progress.
    fn watch(&mut self, pipe: libc::c_int);
}

/// Why probing from threads did not start.
pub enum NoThread {
    /// The watcher's check failed.
    Check,
    /// pipe2 or clone was refused (or trapped).
    Start,
}

/// Probes from a thread, watched by `w`, and replaces the thread whenever a
/// KILL_THREAD verdict ends it. Exits the child when done; returns only if
/// the first thread cannot be started or watched.
///
/// # Safety
/// Only in a probe child, after its setup, with `p` prepared before the fork.
pub unsafe fn probe_in_threads(p: &Probing, start: usize, w: &mut impl Watch) -> NoThread {
    let h = p.page.header();
    let mut next = start;
    let mut first = true;
    loop {
        let mut pipe = [-1; 2];
        // SAFETY: pipe has room for two fds.
        if unsafe { libc::pipe2(pipe.as_mut_ptr(), libc::O_CLOEXEC) } != 0 {
            if first {
                return NoThread::Start;
            }
            setup_failed(h);
        }
        if first && !w.check(pipe[0]) {
            // SAFETY: closing our own fds.
            unsafe {
                libc::close(pipe[0]);
                libc::close(pipe[1]);
            }
            return NoThread::Check;
        }
        h.state.store(state::OUT, SeqCst);
        let stray_before = h.stray_sigsys.load(SeqCst);
        let arg = ThreadArg { p, start: next };
        // No CLONE_FILES: the thread gets its own copy of the fd table,
        // holding the only other write end of the pipe, which therefore hangs
        // up the moment the thread dies, however it dies.
        let flags = libc::CLONE_VM
            | libc::CLONE_FS
            | libc::CLONE_SIGHAND
            | libc::CLONE_THREAD
            | libc::CLONE_SYSVSEM;
        // SAFETY: the stack was mapped before the fork and is used by one
        // thread at a time; `arg` outlives the thread (this function waits for
        // the pipe to hang up); probe_thread uses no thread-local storage.
        let tid = unsafe {
            super::asm::clone_thread(
                flags as u64,
                p.stack.top(),
                probe_thread,
                &arg as *const ThreadArg as *mut u8,
            )
        };
        // A TRAP on clone returns without a thread: only the handler knows.
        let trapped = h.stray_sigsys.load(SeqCst) != stray_before;
        // SAFETY: closing our copy of the write end.
        unsafe { libc::close(pipe[1]) };
        if tid <= 0 || trapped {
            // SAFETY: closing our own fd.
            unsafe { libc::close(pipe[0]) };
            if first {
                return NoThread::Start;
            }
            setup_failed(h);
        }
        first = false;
        w.watch(pipe[0]);
        // SAFETY: closing our own fd.
        unsafe { libc::close(pipe[0]) };
        match h.state.load(SeqCst) {
            // SAFETY: _exit ends this child only.
            state::DONE => unsafe { libc::_exit(EXIT_DONE) },
            state::IN_PROBE => {
                // The thread died inside a probe while the child lived:
                // KILL_THREAD. Resume at the next probe in a new thread.
                let i = h.cur.load(SeqCst);
                if let Some(slot) = p.page.slots().get(i) {
                    slot.kind.store(slot_kind::KILL_THREAD, SeqCst);
                }
                next = i + 1;
            }
            // SAFETY: _exit ends this child only.
            _ => unsafe { libc::_exit(EXIT_CONFUSED) },
        }
    }
}

struct ThreadArg<'a> {
    p: &'a Probing<'a>,
    start: usize,
}

extern "C" fn probe_thread(arg: *mut u8) -> i32 {
    // SAFETY: `arg` points at the ThreadArg on the main thread's stack, which
    // outlives this thread.
    let arg = unsafe { &*(arg as *const ThreadArg) };
    run_probes(arg.p, arg.start);
    // The clone trampoline then calls exit(2) for this thread only.
    0
}

/// Counts silent poll intervals on one probe, for the watchers' stall rule.
pub struct StallClock {
    last: usize,
    silent: u32,
}

impl StallClock {
    /// A probe stalls after this many silent intervals of POLL_MS.
    pub const POLLS: u32 = 5;
    pub const POLL_MS: i32 = 100;

    pub fn new() -> Self {
        StallClock {
            last: usize::MAX,
            silent: 0,
        }
    }

    /// Called after a poll interval without any event; ends the child when
    /// the probe in flight has been silent for too long.
    pub fn silent_interval(&mut self, h: &Header) {
        let cur = h.cur.load(SeqCst);
        if cur != self.last {
            self.last = cur;
            self.silent = 0;
            return;
        }
        self.silent += 1;
        if self.silent >= Self::POLLS {
            // SAFETY: _exit ends this child; whatami marks the probe in
            // flight as unanswered and resumes after it.
            unsafe { libc::_exit(EXIT_STALLED) }
        }
    }

    /// Called when something happened (an answer): the probe is not stalled.
    pub fn progress(&mut self) {
        self.silent = 0;
    }
}

// ------------------------------------------------------------ whatami's side

/// Why a prober could not run at all.
#[derive(Debug)]
pub struct Unavailable(pub String);

/// The whole probe, however many children it takes.
const TOTAL_LIMIT: Duration = Duration::from_secs(20);
/// A child that makes no progress for this long is killed by whatami (its
/// own main thread gives up on a stalled probe well before).
const CHILD_STALL_LIMIT: Duration = Duration::from_secs(3);
/// Children probing at once: one per CPU, at most this many.
pub const MAX_WORKERS: usize = 4;

/// What happened to one probe, before a prober classifies it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Raw {
    /// The call returned `value`; `notified`: notifications answered for it.
    Returned {
        value: i64,
        notified: u32,
    },
    /// SIGSYS from a TRAP rule, with SECCOMP_RET_DATA.
    Trap(u32),
    KillThread,
    /// The child died with SIGSYS inside this probe.
    KillProcess,
    /// The child died with another signal inside this probe.
    Died(i32),
    /// The child exited with this code inside this probe.
    Exited(i32),
    /// No answer in time; the child was killed.
    TimedOut,
    /// Not issued (exempt, or not harmless).
    Skipped,
    /// The entry point faulted on an earlier probe; this one was not issued.
    EntryUnavailable,
    /// The kernel does not serve this probe's entry point; not issued.
    Unserved,
    /// The overall time limit ran out first.
    NotReached,
}

/// A child that ended during its setup: what to do next.
pub enum SetupFailure {
    /// Start a new child at the same probe (the prober left out the step
    /// that failed); the note says what was left out.
    Retry(String),
    /// Give up, saying why.
    Fail(String),
}

/// What a prober adds to the shared machinery: the child itself, and how
/// to read its setup.
pub trait Prober {
    /// Runs in the forked child of worker `worker`, from probe `start`,
    /// with the write end of the pipe whatami watches. Must not return.
    ///
    /// # Safety
    /// Only in a child of a fork of a single-threaded whatami, using only
    /// what was prepared before the fork.
    unsafe fn child_main(
        &self,
        probing: &Probing,
        worker: usize,
        start: usize,
        done_fd: libc::c_int,
    );

    /// What the child was doing at setup stage `stage`.
    fn describe_stage(&self, stage: u32) -> &'static str;

    /// A child ended during its setup. By default: give up, saying where.
    fn on_setup_failure(&mut self, h: &Header, status: WaitStatus) -> SetupFailure {
        SetupFailure::Fail(describe_failure(
            h,
            self.describe_stage(h.stage.load(SeqCst)),
            status,
        ))
    }

    /// Called with each child's header once it is reaped.
    fn after_child(&mut self, _h: &Header) {}
}

/// The result of running a plan.
pub struct Run {
    pub raw: Vec<Raw>,
    pub notes: Vec<String>,
    /// Bit `i` set: the kernel does not serve the entry point with `abi` index `i`.
    pub unserved: u32,
    /// The i386 entry point faulted (no ia32 emulation).
    pub int80_faulted: bool,
}

/// "`stage` failed: why", from what a child left in its header.
pub fn describe_failure(h: &Header, stage: &str, status: WaitStatus) -> String {
    let mut msg = format!("{stage} failed");
    let errno = h.setup_errno.load(SeqCst);
    match status {
        WaitStatus::Signaled(sig) => {
            msg.push_str(&format!(": the probe child was killed by signal {sig}"));
            if sig == libc::SIGSYS {
                msg.push_str(" (the policy kills this call)");
            }
        }
        _ if errno != 0 => msg.push_str(&format!(": {}", std::io::Error::from_raw_os_error(errno))),
        other => msg.push_str(&format!(": probe child status {other:?}")),
    }
    let nnp = h.nnp_errno.load(SeqCst);
    if nnp != 0 {
        msg.push_str(&format!(
            "; prctl(PR_SET_NO_NEW_PRIVS): {}",
            std::io::Error::from_raw_os_error(nnp)
        ));
    }
    let stray = h.stray_sigsys.load(SeqCst);
    if stray != 0 {
        msg.push_str(&format!("; SIGSYS from syscall {stray} outside a probe"));
    }
    msg
}

/// Runs `probes` in disposable children: one per CPU (at most
/// `max_workers`), each given every `n`-th probe so that each gets an equal
/// share of every kind. The first `leading` probes are given to every child,
/// first (their results are reported once). A child that dies inside a
/// probe is replaced by one that starts after it; every wait is bounded.
pub fn run_plan(
    probes: &[RawProbe],
    leading: usize,
    max_workers: usize,
    prober: &mut impl Prober,
) -> Result<Run, Unavailable> {
    let stack = ThreadStack::new().map_err(|e| Unavailable(format!("mmap: {e}")))?;
    let _sigchld = SigchldDefault::set();
    let leading = leading.min(probes.len());
    let n = max_workers
        .min(allowed_cpus())
        .min((probes.len() - leading).max(1))
        .max(1);
    let mut workers = Vec::with_capacity(n);
    for hand in deal(leading, probes.len(), n) {
        let page = SharedPage::new(hand.len()).map_err(|e| Unavailable(format!("mmap: {e}")))?;
        workers.push(Worker {
            probes: hand.iter().map(|&i| probes[i]).collect(),
            indices: hand,
            page,
            next: 0,
            child: None,
            finished: false,
            progress: (0, usize::MAX, Instant::now()),
        });
    }
    let deadline = Instant::now() + TOTAL_LIMIT;
    let mut notes = Vec::new();
    let mut int80_faulted = false;
    let mut any_probing = false;

    loop {
        if Instant::now() >= deadline {
            notes.push(format!("time limit of {}s reached", TOTAL_LIMIT.as_secs()));
            break;
        }
        for (k, w) in workers.iter_mut().enumerate() {
            if w.finished || w.child.is_some() {
                continue;
            }
            if w.next >= w.probes.len() {
                w.finished = true;
                continue;
            }
            w.page.header().reset(w.next);
            let probing = Probing {
                page: &w.page,
                stack: &stack,
                probes: &w.probes,
            };
            let start = w.next;
            let p: &dyn ProberMain = &*prober;
            // SAFETY: whatami is single-threaded, and the child runs only the
            // prober's child_main on what is prepared before this point.
            let child = unsafe { spawn(|done| p.main(&probing, k, start, done)) };
            w.child = Some(child.map_err(|e| Unavailable(format!("fork: {e}")))?);
            w.progress = (0, usize::MAX, Instant::now());
        }
        if workers.iter().all(|w| w.finished) {
            break;
        }
        for k in wait_for_any(&mut workers, deadline) {
            let w = &mut workers[k];
            let Some(mut child) = w.child.take() else {
                continue;
            };
            if Instant::now() >= deadline {
                child.kill();
            }
            let status = child.reap();
            prober.after_child(w.page.header());
            let probing = w.page.header().stage.load(SeqCst) >= STAGE_PROBING;
            any_probing |= probing;
            match w.after_child(status, &mut int80_faulted) {
                Ok(Some(note)) => notes.push(note),
                Ok(None) => {}
                Err(()) if !probing => match prober.on_setup_failure(w.page.header(), status) {
                    SetupFailure::Retry(note) => {
                        if !note.is_empty() {
                            notes.push(note);
                        }
                    }
                    SetupFailure::Fail(why) if !any_probing => {
                        for w in &mut workers {
                            if let Some(c) = w.child.take() {
                                c.kill_and_reap();
                            }
                        }
                        return Err(Unavailable(why));
                    }
                    SetupFailure::Fail(why) => {
                        notes.push(why);
                        w.finished = true;
                    }
                },
                Err(()) => {
                    notes.push(format!(
                        "a probe child ended outside a probe ({status:?}); the rest of its share was not probed"
                    ));
                    w.finished = true;
                }
            }
        }
    }
    for w in &mut workers {
        if let Some(c) = w.child.take() {
            c.kill_and_reap();
        }
    }
    let mismatches: u32 = workers
        .iter()
        .map(|w| w.page.header().mismatches.load(SeqCst))
        .sum();
    if mismatches > 0 {
        notes.push(format!(
            "{mismatches} notifications did not match the probe in flight"
        ));
    }
    let mut raw = vec![Raw::NotReached; probes.len()];
    let mut unserved = 0;
    for (k, w) in workers.iter().enumerate() {
        unserved |= w.page.header().unserved.load(SeqCst);
        for (slot_i, (&i, r)) in w.indices.iter().zip(w.collect(int80_faulted)).enumerate() {
            // The leading probes ran in every child; report the first one's.
            if slot_i >= leading || k == 0 {
                raw[i] = r;
            }
        }
    }
    Ok(Run {
        raw,
        notes,
        unserved,
        int80_faulted,
    })
}

/// `child_main` through a trait object, so that spawn's closure does not
/// borrow the prober mutably.
trait ProberMain {
    fn main(&self, probing: &Probing, worker: usize, start: usize, done: libc::c_int);
}

impl<P: Prober> ProberMain for P {
    fn main(&self, probing: &Probing, worker: usize, start: usize, done: libc::c_int) {
        // SAFETY: called only by spawn, in the child of its fork.
        unsafe { self.child_main(probing, worker, start, done) }
    }
}

/// Deals the probes after the `leading` ones to `n` hands like cards; every
/// hand starts with the leading ones.
fn deal(leading: usize, len: usize, n: usize) -> Vec<Vec<usize>> {
    let n = n.max(1);
    (0..n)
        .map(|k| (0..leading).chain((leading + k..len).step_by(n)).collect())
        .collect()
}

/// How many CPUs whatami may run on.
fn allowed_cpus() -> usize {
    // SAFETY: cpu_set_t is plain data that sched_getaffinity fills.
    unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        if libc::sched_getaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &mut set) != 0 {
            return 1;
        }
        libc::CPU_COUNT(&set).max(1) as usize
    }
}

/// The nth CPU whatami may run on, to pin worker n's child to.
pub fn nth_allowed_cpu(n: usize) -> Option<usize> {
    // SAFETY: cpu_set_t is plain data that sched_getaffinity fills.
    unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        if libc::sched_getaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &mut set) != 0 {
            return None;
        }
        (0..libc::CPU_SETSIZE as usize)
            .filter(|&c| libc::CPU_ISSET(c, &set))
            .nth(n)
    }
}

/// A share of the plan and the child currently probing it.
struct Worker {
    /// Indexes into the plan of this worker's probes, in order.
    indices: Vec<usize>,
    probes: Vec<RawProbe>,
    page: SharedPage,
    /// Next probe (index within `probes`) a new child starts at.
    next: usize,
    child: Option<Child>,
    finished: bool,
    /// (stage, probe in flight, when they were first seen).
    progress: (u32, usize, Instant),
}

impl Worker {
    /// Reads how the child ended, records the verdict of a probe it died in,
    /// and says where the next child starts. `Err`: it ended outside a probe.
    fn after_child(
        &mut self,
        status: WaitStatus,
        int80_faulted: &mut bool,
    ) -> Result<Option<String>, ()> {
        let h = self.page.header();
        let cur = h.cur.load(SeqCst);
        let in_probe =
            h.stage.load(SeqCst) >= STAGE_PROBING && h.state.load(SeqCst) == state::IN_PROBE;
        if status == WaitStatus::Exited(EXIT_DONE) && h.state.load(SeqCst) == state::DONE {
            self.next = self.probes.len();
            self.finished = true;
            return Ok(None);
        }
        let Some(slot) = self.page.slots().get(cur).filter(|_| in_probe) else {
            return Err(());
        };
        let mark = |kind: u32, value: i64| {
            slot.value.store(value, SeqCst);
            slot.kind.store(kind, SeqCst);
        };
        self.next = cur + 1;
        match status {
            WaitStatus::Signaled(libc::SIGSYS) => mark(slot_kind::KILL_PROCESS, 0),
            WaitStatus::Signaled(sig @ (libc::SIGSEGV | libc::SIGILL | libc::SIGBUS))
                if self.probes[cur].entry == Entry::Int80 =>
            {
                // No i386 entry point (ia32 emulation disabled or not built):
                // int $0x80 faults. Skip the rest of that block.
                mark(slot_kind::ENTRY_UNAVAILABLE, 0);
                self.next = (cur..self.probes.len())
                    .find(|&i| self.probes[i].entry != Entry::Int80)
                    .unwrap_or(self.probes.len());
                let first = !*int80_faulted;
                *int80_faulted = true;
                return Ok(first.then(|| {
                    format!("i386 entry point unavailable: int $0x80 raised signal {sig} (ia32 emulation disabled?)")
                }));
            }
            WaitStatus::Exited(EXIT_STALLED) | WaitStatus::Killed | WaitStatus::Unknown => {
                mark(slot_kind::TIMED_OUT, 0)
            }
            WaitStatus::Signaled(sig) => mark(slot_kind::DIED, sig as i64),
            WaitStatus::Exited(code) => mark(slot_kind::EXITED, code as i64),
        }
        Ok(None)
    }

    /// One Raw per probe of this worker.
    fn collect(&self, int80_faulted: bool) -> Vec<Raw> {
        let reached = self.next;
        self.probes
            .iter()
            .zip(self.page.slots())
            .enumerate()
            .map(|(i, (p, slot))| {
                let value = slot.value.load(SeqCst);
                match slot.kind.load(SeqCst) {
                    _ if p.skip => Raw::Skipped,
                    slot_kind::RETURNED => Raw::Returned {
                        value,
                        notified: slot.aux.load(SeqCst),
                    },
                    slot_kind::TRAP => Raw::Trap(value as u32),
                    slot_kind::KILL_THREAD => Raw::KillThread,
                    slot_kind::UNSERVED => Raw::Unserved,
                    slot_kind::KILL_PROCESS => Raw::KillProcess,
                    slot_kind::TIMED_OUT => Raw::TimedOut,
                    slot_kind::DIED => Raw::Died(value as i32),
                    slot_kind::EXITED => Raw::Exited(value as i32),
                    slot_kind::ENTRY_UNAVAILABLE => Raw::EntryUnavailable,
                    _ if int80_faulted && p.entry == Entry::Int80 => Raw::EntryUnavailable,
                    _ if i >= reached => Raw::NotReached,
                    _ => Raw::TimedOut,
                }
            })
            .collect()
    }
}

/// Waits until at least one child ends (its pipe closes), killing children
/// that stopped making progress. Returns the indexes of the workers whose
/// child ended (at the deadline: of every worker with a child).
fn wait_for_any(workers: &mut [Worker], deadline: Instant) -> Vec<usize> {
    loop {
        let mut fds = Vec::new();
        let mut who = Vec::new();
        for (i, w) in workers.iter().enumerate() {
            if let Some(c) = &w.child {
                fds.push(libc::pollfd {
                    fd: c.done.as_raw_fd(),
                    events: libc::POLLIN,
                    revents: 0,
                });
                who.push(i);
            }
        }
        if fds.is_empty() {
            return Vec::new();
        }
        let wait =
            Duration::from_millis(200).min(deadline.saturating_duration_since(Instant::now()));
        // SAFETY: fds is a valid array of fds.len() pollfd.
        let n = unsafe {
            libc::poll(
                fds.as_mut_ptr(),
                fds.len() as libc::nfds_t,
                wait.as_millis() as i32,
            )
        };
        if n > 0 {
            return fds
                .iter()
                .zip(who)
                .filter(|(f, _)| f.revents != 0)
                .map(|(_, i)| i)
                .collect();
        }
        if Instant::now() >= deadline {
            return who;
        }
        // Nothing ended: kill any child stuck in one place for too long.
        for w in workers.iter_mut() {
            let h = w.page.header();
            let at = (h.stage.load(SeqCst), h.cur.load(SeqCst));
            if at != (w.progress.0, w.progress.1) {
                w.progress = (at.0, at.1, Instant::now());
            } else if w.progress.2.elapsed() >= CHILD_STALL_LIMIT
                && let Some(c) = &mut w.child
            {
                c.kill();
            }
        }
    }
}

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

/// A forked probe child. `done` reports POLLHUP once the child has exited:
/// the child holds the only write end.
pub struct Child {
    pub pid: libc::pid_t,
    pub done: OwnedFd,
    killed: bool,
    reaped: bool,
}

/// Forks a child that runs `main` with the write end of its `done` pipe.
/// `main` is meant never to return; should it, the child exits.
///
/// # Safety
/// whatami must be single-threaded, and `main` must use only what was
/// prepared before this call and make only direct libc calls.
pub unsafe fn spawn(main: impl FnOnce(libc::c_int)) -> std::io::Result<Child> {
    let mut p = [-1; 2];
    // SAFETY: p has room for two descriptors.
    if unsafe { libc::pipe2(p.as_mut_ptr(), libc::O_CLOEXEC) } != 0 {
        return Err(std::io::Error::last_os_error());
    }
    // SAFETY: both descriptors were just created and belong to nobody else.
    let (r, w) = unsafe { (OwnedFd::from_raw_fd(p[0]), OwnedFd::from_raw_fd(p[1])) };
    // SAFETY: forwarded from the caller's contract.
    let pid = unsafe { libc::fork() };
    if pid < 0 {
        return Err(std::io::Error::last_os_error());
    }
    if pid == 0 {
        // A panic must not unwind into whatami's code in the child (which
        // would go on to print a second report): end the child instead.
        let fd = w.as_raw_fd();
        let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| main(fd)));
        // SAFETY: _exit ends this child only.
        unsafe { libc::_exit(EXIT_CONFUSED) }
    }
    drop(w);
    Ok(Child {
        pid,
        done: r,
        killed: false,
        reaped: false,
    })
}

impl Child {
    pub fn kill(&mut self) {
        // SAFETY: signalling our own child by pid; it is not reaped yet, so
        // the pid cannot have been reused.
        unsafe {
            libc::kill(self.pid, libc::SIGKILL);
        }
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
        loop {
            // SAFETY: waiting for our own child by pid, without blocking.
            let r = unsafe { libc::waitpid(self.pid, &mut status, libc::__WALL | libc::WNOHANG) };
            if r == self.pid {
                break;
            }
            if r < 0 && std::io::Error::last_os_error().kind() != std::io::ErrorKind::Interrupted {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dealing_covers_every_probe_once_in_order_after_the_leading_ones() {
        for (leading, len, n) in [(0, 0, 1), (0, 1, 2), (2, 10, 3), (2, 2082, 2), (0, 2082, 4)] {
            let hands = deal(leading, len, n);
            assert_eq!(hands.len(), n);
            for h in &hands {
                assert_eq!(&h[..leading], &(0..leading).collect::<Vec<_>>()[..]);
                assert!(h.windows(2).all(|w| w[0] < w[1]));
            }
            let mut rest: Vec<usize> = hands
                .iter()
                .flat_map(|h| h[leading..].iter().copied())
                .collect();
            rest.sort();
            assert_eq!(rest, (leading..len).collect::<Vec<_>>());
            let sizes: Vec<usize> = hands.iter().map(Vec::len).collect();
            assert!(sizes.iter().max().unwrap() - sizes.iter().min().unwrap() <= 1);
        }
    }
}
