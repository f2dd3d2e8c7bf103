//! The direct prober's child: the only code that makes the calls, and the
//! only raw process-level code of direct probing (signal handler, thread
//! start, unshare, capset, the calls themselves).
//!
//! A child is a fork of whatami. Everything it reads is prepared before the
//! fork (the calls, the shared page, the thread stack, the fds to close);
//! after the fork it makes only direct calls through libc: no allocation,
//! no locks, no printing, no panics. Results go to a MAP_SHARED page that
//! outlives the child: a header saying how far the child got and which call
//! is in flight, and one slot per call.

use super::super::abi::{self, Entry};
use std::sync::atomic::{
    AtomicI32, AtomicI64, AtomicPtr, AtomicU32, AtomicU64, AtomicUsize, Ordering::SeqCst,
};

/// The child's main thread polls its probe thread this often, and gives up
/// after this many silent intervals on one call.
const POLL_MS: i32 = 100;
const STALL_POLLS: u32 = 5;

/// One call as the child issues it: plain data, prepared before the fork.
#[derive(Debug, Clone, Copy)]
pub struct Call {
    pub nr: u32,
    pub args: [u64; 6],
    /// false: never issued (not harmless, exempt, or not provably unimplemented).
    pub issue: bool,
    /// The syscall returns an `int` zero-extended to 64 bits (x86 modify_ldt),
    /// so its errors arrive as 0xfffff001..=0xffffffff.
    pub ret32: bool,
}

/// Where the probe thread is.
pub mod state {
    pub const OUT: u32 = 0;
    pub const IN_CALL: u32 = 1;
    pub const DONE: u32 = 2;
}

/// How far the child's setup got. The optional steps can be left out when
/// the policy kills or traps the calls they make.
pub mod stage {
    pub const FORKED: u32 = 0;
    pub const SIGNALS: u32 = 1;
    pub const LIMITS: u32 = 2;
    pub const PARENT: u32 = 3;
    pub const FDS: u32 = 4;
    pub const NAMESPACES: u32 = 5;
    pub const CAPS: u32 = 6;
    pub const THREAD: u32 = 7;
    pub const PROBING: u32 = 8;

    pub fn describe(s: u32) -> &'static str {
        match s {
            FORKED => "preparing the probe child",
            SIGNALS => "installing the SIGSYS handler (rt_sigaction, rt_sigprocmask)",
            LIMITS => "setting RLIMIT_CORE to 0 and PR_SET_DUMPABLE (prlimit64, prctl)",
            PARENT => "tying the child to whatami (prctl(PR_SET_PDEATHSIG))",
            FDS => "closing inherited file descriptors (close)",
            NAMESPACES => "entering new namespaces (unshare)",
            CAPS => "dropping capabilities (capset)",
            THREAD => "starting the probe thread (pipe2, poll, clone)",
            _ => "probing",
        }
    }
}

/// The optional safety steps and features, as bits.
pub mod feature {
    pub const UNSHARE: u32 = 1;
    pub const DROP_CAPS: u32 = 2;
    pub const THREAD: u32 = 4;
    pub const ALL: u32 = UNSHARE | DROP_CAPS | THREAD;
}

/// Which safety nets a child managed to put in place.
pub mod net {
    pub const NO_CORE: u32 = 1;
    pub const USERNS: u32 = 2;
    pub const OTHER_NS: u32 = 4;
    pub const NO_CAPS: u32 = 8;
    pub const THREAD: u32 = 16;
}

pub mod slot_kind {
    pub const PENDING: u32 = 0;
    pub const RETURNED: u32 = 1;
    pub const TRAP: u32 = 2;
    pub const KILL_THREAD: u32 = 3;
    // Written by whatami once the child is gone.
    pub const KILL_PROCESS: u32 = 10;
    pub const TIMED_OUT: u32 = 11;
    pub const DIED: u32 = 12;
}

/// Child exit codes.
pub const EXIT_DONE: i32 = 0;
pub const EXIT_SETUP: i32 = 3;
pub const EXIT_CONFUSED: i32 = 4;
pub const EXIT_STALLED: i32 = 5;

#[repr(C)]
pub struct Header {
    pub cur: AtomicUsize,
    pub state: AtomicU32,
    pub stage: AtomicU32,
    pub setup_errno: AtomicI32,
    /// SIGSYS outside a call (a TRAP rule hit by the child's own setup).
    pub stray_sigsys: AtomicI32,
    pub nets: AtomicU32,
    _pad: AtomicU32,
}

#[repr(C)]
pub struct Slot {
    pub kind: AtomicU32,
    _pad: AtomicU32,
    pub value: AtomicI64,
}

/// A MAP_SHARED mapping that outlives the children: one header, one slot per call.
pub struct Page {
    base: *mut u8,
    len: usize,
    slots: usize,
}

impl Page {
    pub fn new(slots: usize) -> std::io::Result<Page> {
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
        Ok(Page {
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

impl Drop for Page {
    fn drop(&mut self) {
        // SAFETY: unmapping exactly what new() mapped; nothing borrows it past self.
        unsafe {
            libc::munmap(self.base.cast(), self.len);
        }
    }
}

/// The probe thread's stack, mapped before the fork (each child has its own copy).
pub struct Stack {
    base: *mut u8,
    len: usize,
}

impl Stack {
    pub fn new() -> std::io::Result<Stack> {
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
        Ok(Stack {
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

impl Drop for Stack {
    fn drop(&mut self) {
        // SAFETY: unmapping exactly what new() mapped.
        unsafe {
            libc::munmap(self.base.cast(), self.len);
        }
    }
}

// ------------------------------------------------------------ the child

/// Everything the child reads, prepared before the fork.
pub struct Ctx<'a> {
    pub calls: &'a [Call],
    pub page: &'a Page,
    pub stack: &'a Stack,
    pub start: usize,
    pub features: u32,
    /// The write end of the pipe whatami watches; the only fd the child keeps.
    pub keep_fd: libc::c_int,
    /// Every other fd whatami had open at the fork.
    pub close_fds: &'a [libc::c_int],
}

// The SIGSYS handler takes no arguments of ours: it finds the page through
// these, set by the child itself after the fork (in its own copy of them).
static H_HEADER: AtomicPtr<Header> = AtomicPtr::new(std::ptr::null_mut());
static H_SLOTS: AtomicPtr<Slot> = AtomicPtr::new(std::ptr::null_mut());
static H_NSLOTS: AtomicUsize = AtomicUsize::new(0);
static H_MARKER: AtomicU64 = AtomicU64::new(0);

/// The parts of siginfo_t that SIGSYS fills (`_sigsys`), as on 64-bit kernels.
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
    let from_call = si.code == SYS_SECCOMP
        && si.call_addr == H_MARKER.load(SeqCst)
        && h.state.load(SeqCst) == state::IN_CALL;
    if from_call {
        let i = h.cur.load(SeqCst);
        if i < H_NSLOTS.load(SeqCst) {
            // SAFETY: i is within the slot array of the shared page.
            let slot = unsafe { &*H_SLOTS.load(SeqCst).add(i) };
            // SECCOMP_RET_DATA arrives in si_errno.
            slot.value.store(si.errno as u16 as i64, SeqCst);
            slot.kind.store(slot_kind::TRAP, SeqCst);
        }
    } else {
        h.stray_sigsys.store(si.syscall.max(1), SeqCst);
    }
    // Returning resumes after the syscall, which did not run.
}

fn errno() -> i32 {
    std::io::Error::last_os_error().raw_os_error().unwrap_or(0)
}

fn setup_failed(h: &Header) -> ! {
    h.setup_errno.store(errno(), SeqCst);
    // SAFETY: _exit ends this child only.
    unsafe { libc::_exit(EXIT_SETUP) }
}

/// Runs in the forked child; never returns.
///
/// # Safety
/// Only in the child of a fork, with `ctx` prepared before it.
pub unsafe fn child_main(ctx: &Ctx) -> ! {
    let h = ctx.page.header();
    h.stage.store(stage::FORKED, SeqCst);
    H_HEADER.store(h as *const Header as *mut Header, SeqCst);
    H_SLOTS.store(ctx.page.slots().as_ptr() as *mut Slot, SeqCst);
    H_NSLOTS.store(ctx.page.slots().len(), SeqCst);
    H_MARKER.store(abi::marker_addresses()[0], SeqCst);
    // SAFETY: plain libc calls in the forked child, each checked; nothing here
    // allocates, locks or unwinds.
    unsafe {
        h.stage.store(stage::SIGNALS, SeqCst);
        let mut sa: libc::sigaction = std::mem::zeroed();
        sa.sa_sigaction = on_sigsys as *const () as usize;
        sa.sa_flags = libc::SA_SIGINFO | libc::SA_NODEFER;
        libc::sigemptyset(&mut sa.sa_mask);
        if libc::sigaction(libc::SIGSYS, &sa, std::ptr::null_mut()) != 0 {
            setup_failed(h);
        }
        // A blocked SIGSYS would turn a TRAP into a kill.
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        libc::sigaddset(&mut set, libc::SIGSYS);
        if libc::sigprocmask(libc::SIG_UNBLOCK, &set, std::ptr::null_mut()) != 0 {
            setup_failed(h);
        }

        // A KILL verdict must leave no core behind: RLIMIT_CORE 0 stops core
        // files, a non-dumpable process also stops piped core handlers.
        h.stage.store(stage::LIMITS, SeqCst);
        let no_core = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        let core0 = libc::setrlimit(libc::RLIMIT_CORE, &no_core) == 0;
        let undumpable = libc::prctl(libc::PR_SET_DUMPABLE, 0, 0, 0, 0) == 0;
        if !(core0 || undumpable) {
            setup_failed(h);
        }
        if core0 && undumpable {
            h.nets.fetch_or(net::NO_CORE, SeqCst);
        }

        h.stage.store(stage::PARENT, SeqCst);
        if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL, 0, 0, 0) != 0 {
            setup_failed(h);
        }
        // No getppid() check for a whatami that died before this point:
        // such an orphan only finishes its harmless calls and exits, while
        // a policy that holds getppid in a notification would stall every
        // child here.

        // Nothing whatami has open stays reachable: not stdin, not the terminal.
        h.stage.store(stage::FDS, SeqCst);
        for &fd in ctx.close_fds {
            if fd != ctx.keep_fd {
                libc::close(fd);
            }
        }

        if ctx.features & feature::UNSHARE != 0 {
            h.stage.store(stage::NAMESPACES, SeqCst);
            let others = libc::CLONE_NEWNS | libc::CLONE_NEWIPC | libc::CLONE_NEWUTS;
            let all = others | libc::CLONE_NEWNET;
            // A new user namespace first: it lets an unprivileged child make
            // the others, and leaves it no capability over anything outside.
            if libc::unshare(libc::CLONE_NEWUSER | all) == 0 {
                h.nets.fetch_or(net::USERNS | net::OTHER_NS, SeqCst);
            } else if libc::unshare(all) == 0 {
                h.nets.fetch_or(net::OTHER_NS, SeqCst);
            }
        }

        if ctx.features & feature::DROP_CAPS != 0 {
            h.stage.store(stage::CAPS, SeqCst);
            let mut hdr = CapHeader {
                version: 0x2008_0522, // _LINUX_CAPABILITY_VERSION_3
                pid: 0,
            };
            let data = [CapData::default(); 2];
            if libc::syscall(libc::SYS_capset, &mut hdr as *mut CapHeader, data.as_ptr()) == 0 {
                h.nets.fetch_or(net::NO_CAPS, SeqCst);
            }
        }

        h.stage.store(stage::THREAD, SeqCst);
        if ctx.features & feature::THREAD != 0 {
            supervise_threads(ctx, h);
        }
        // No thread: call from this one (KILL_THREAD then ends the child).
        h.stage.store(stage::PROBING, SeqCst);
        run_calls(ctx, ctx.start);
        libc::_exit(EXIT_DONE)
    }
}

/// `struct __user_cap_header_struct` (linux/capability.h).
#[repr(C)]
struct CapHeader {
    version: u32,
    pid: i32,
}

/// `struct __user_cap_data_struct`; version 3 takes two of them.
#[repr(C)]
#[derive(Clone, Copy, Default)]
struct CapData {
    effective: u32,
    permitted: u32,
    inheritable: u32,
}

/// Probes from a thread and replaces it whenever a KILL_THREAD verdict ends
/// it. Returns only if no thread can be started at all (the caller then
/// probes from the main thread).
///
/// # Safety
/// Only in the probe child, after its setup.
unsafe fn supervise_threads(ctx: &Ctx, h: &Header) {
    let mut next = ctx.start;
    let mut first = true;
    loop {
        let mut pipe = [-1; 2];
        // SAFETY: pipe has room for two fds.
        if unsafe { libc::pipe2(pipe.as_mut_ptr(), libc::O_CLOEXEC) } != 0 {
            if first {
                return;
            }
            setup_failed(h);
        }
        let mut pfd = libc::pollfd {
            fd: pipe[0],
            events: libc::POLLIN,
            revents: 0,
        };
        // SAFETY: one valid pollfd.
        if first && unsafe { libc::poll(&mut pfd, 1, 0) } < 0 {
            // The policy refuses poll: supervise nothing, probe inline.
            // SAFETY: closing our own fds.
            unsafe {
                libc::close(pipe[0]);
                libc::close(pipe[1]);
            }
            return;
        }
        h.state.store(state::OUT, SeqCst);
        let stray_before = h.stray_sigsys.load(SeqCst);
        let arg = ThreadArg { ctx, start: next };
        // No CLONE_FILES: the thread has its own copy of the fd table,
        // holding the only write end of the pipe, which therefore hangs up
        // the moment the thread dies, however it dies.
        let flags = libc::CLONE_VM
            | libc::CLONE_FS
            | libc::CLONE_SIGHAND
            | libc::CLONE_THREAD
            | libc::CLONE_SYSVSEM;
        // SAFETY: the stack is ours (mapped before the fork, page aligned)
        // and `arg` outlives the thread: this function waits for the pipe
        // to hang up. probe_thread uses no thread-local storage.
        let tid = unsafe {
            abi::clone_thread(
                flags as u64,
                ctx.stack.top(),
                probe_thread,
                &arg as *const ThreadArg as *mut u8,
            )
        };
        // A TRAP on clone returns (a positive number) without a thread:
        // only the handler knows.
        let trapped = h.stray_sigsys.load(SeqCst) != stray_before;
        // SAFETY: closing our copy of the write end.
        unsafe { libc::close(pipe[1]) };
        if tid <= 0 || trapped {
            // SAFETY: closing our own fd.
            unsafe { libc::close(pipe[0]) };
            if first {
                return;
            }
            setup_failed(h);
        }
        first = false;
        wait_for_thread(h, &mut pfd);
        // SAFETY: closing our own fd.
        unsafe { libc::close(pipe[0]) };
        match h.state.load(SeqCst) {
            // SAFETY: _exit ends this child only.
            state::DONE => unsafe { libc::_exit(EXIT_DONE) },
            state::IN_CALL => {
                // The thread died inside a call while the child lived:
                // KILL_THREAD. Resume at the next call in a new thread.
                let i = h.cur.load(SeqCst);
                if let Some(slot) = ctx.page.slots().get(i) {
                    slot.kind.store(slot_kind::KILL_THREAD, SeqCst);
                }
                next = i + 1;
            }
            // SAFETY: _exit ends this child only.
            _ => unsafe { libc::_exit(EXIT_CONFUSED) },
        }
    }
}

/// Waits until the probe thread is gone, or leaves the child when one call
/// makes no progress for STALL_POLLS intervals.
fn wait_for_thread(h: &Header, pfd: &mut libc::pollfd) {
    let mut silent = 0;
    let mut last = usize::MAX;
    loop {
        pfd.revents = 0;
        // SAFETY: one valid pollfd.
        let n = unsafe { libc::poll(pfd, 1, POLL_MS) };
        if n > 0 {
            return;
        }
        if n < 0 && errno() != libc::EINTR {
            // SAFETY: _exit ends this child only.
            unsafe { libc::_exit(EXIT_CONFUSED) }
        }
        let cur = h.cur.load(SeqCst);
        if cur != last {
            last = cur;
            silent = 0;
        } else {
            silent += 1;
            if silent >= STALL_POLLS {
                // SAFETY: _exit ends this child; whatami marks the call in
                // flight as unanswered and resumes after it.
                unsafe { libc::_exit(EXIT_STALLED) }
            }
        }
    }
}

struct ThreadArg<'a> {
    ctx: &'a Ctx<'a>,
    start: usize,
}

extern "C" fn probe_thread(arg: *mut u8) -> i32 {
    // SAFETY: `arg` points at the ThreadArg on the main thread's stack, which
    // outlives this thread.
    let arg = unsafe { &*(arg as *const ThreadArg) };
    // Said here, before the first call, not by the main thread after
    // clone() returns: this thread may be killed by its first call before
    // the main thread runs again, and that death must read as a verdict,
    // not as a failed setup.
    let h = arg.ctx.page.header();
    h.nets.fetch_or(net::THREAD, SeqCst);
    h.stage.store(stage::PROBING, SeqCst);
    run_calls(arg.ctx, arg.start);
    // The clone trampoline then calls exit(2) for this thread only.
    0
}

/// Issues the calls from `start` on. Touches only the shared page and the
/// prepared calls (the thread has no thread-local storage of its own).
fn run_calls(ctx: &Ctx, start: usize) {
    let h = ctx.page.header();
    let slots = ctx.page.slots();
    for (i, (c, slot)) in ctx.calls.iter().zip(slots).enumerate().skip(start) {
        if !c.issue {
            continue;
        }
        h.cur.store(i, SeqCst);
        slot.kind.store(slot_kind::PENDING, SeqCst);
        h.state.store(state::IN_CALL, SeqCst);
        // SAFETY: the call really runs here, in the disposable child: only
        // numbers and arguments vetted by harmless.rs (the kernel rejects
        // them before acting, or acting touches only this child) or numbers
        // this kernel does not implement reach this point. It goes through
        // the dedicated probe instruction so that a SIGSYS can be attributed.
        let r = unsafe { abi::issue(Entry::Native, c.nr, &c.args) };
        h.state.store(state::OUT, SeqCst);
        if slot.kind.load(SeqCst) != slot_kind::TRAP {
            slot.value.store(r, SeqCst);
            slot.kind.store(slot_kind::RETURNED, SeqCst);
        }
    }
    h.state.store(state::DONE, SeqCst);
}
