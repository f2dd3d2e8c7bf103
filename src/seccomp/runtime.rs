//! What both probers' children stand on after the fork: the page they
//! share with whatami (which probe is in flight, how far setup got, one
//! result slot per probe), the probe thread (its stack, its start, the
//! SIGSYS handler that records a TRAP, the probe loop, its replacement after
//! a KILL_THREAD verdict) and the stall clock of its watcher. whatami's side
//! of a plan is supervisor.rs; the fork itself is linux/child.rs.
//!
//! Code here follows the rule of every probe child: everything is prepared
//! before the fork, and after it only direct calls through libc are made:
//! no allocation, no locks, no printing, no panics.

use crate::linux::abi::Entry;
use crate::linux::errno::last as errno;
use std::sync::atomic::{
    AtomicI32, AtomicI64, AtomicPtr, AtomicU32, AtomicU64, AtomicUsize, Ordering::SeqCst,
};

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
pub const EXIT_CONFUSED: i32 = crate::linux::child::EXIT_RETURNED;
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

/// What the probe thread works on, prepared before the fork.
pub struct Probing<'a> {
    pub page: &'a SharedPage,
    pub stack: &'a ThreadStack,
    pub probes: &'a [RawProbe],
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
