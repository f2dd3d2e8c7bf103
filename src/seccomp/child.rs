//! The probe child: the only code that issues probes, and the only place
//! with raw process-level unsafe code (clone, signal handler, seccomp,
//! notification ioctls).
//!
//! A probe child is a fork of whatami. Everything it uses is prepared before
//! the fork (plan, filter, thread stack, shared result page); after the fork
//! it makes only direct calls through libc: no allocation, no locks, no
//! printing, no panics. It stacks one more filter (USER_NOTIF for calls made
//! from the marker instructions, ALLOW otherwise) with a listener, starts a
//! probe thread that issues every probe, and answers the probe thread's
//! notifications itself with a fake return value, so no probed syscall ever
//! runs. Supervising from a thread of the same process keeps each round trip
//! a thread switch, not a process switch; probing from a separate thread lets
//! a KILL_THREAD verdict be told apart from KILL_PROCESS.
//!
//! Results go to a MAP_SHARED page that outlives the child: a [`Header`]
//! saying which probe is in flight, and one [`Slot`] per probe.

use super::abi::{self, Entry};
use super::bpf::Insn;
use std::sync::atomic::{
    AtomicI32, AtomicI64, AtomicPtr, AtomicU32, AtomicU64, AtomicUsize, Ordering::SeqCst,
};

/// What the child recorded for one probe.
pub mod slot_kind {
    pub const PENDING: u32 = 0;
    /// The syscall returned; `value` holds the raw return value.
    pub const RETURNED: u32 = 1;
    /// SIGSYS from a TRAP rule at the marker; `value` holds SECCOMP_RET_DATA.
    pub const TRAP: u32 = 2;
    /// The probe thread died and the rest of the child lived on.
    pub const KILL_THREAD: u32 = 3;
    /// Not issued (exempt).
    pub const SKIPPED: u32 = 4;
}

/// Where the probe thread is.
pub mod state {
    pub const OUT: u32 = 0;
    pub const IN_PROBE: u32 = 1;
    pub const DONE: u32 = 2;
}

/// How far setup got, for the message when notification probing is unavailable.
pub mod stage {
    pub const FORKED: u32 = 0;
    pub const NO_NEW_PRIVS: u32 = 1;
    pub const NOTIF_SIZES: u32 = 2;
    pub const FILTER: u32 = 3;
    pub const SUPERVISOR_CHECK: u32 = 4;
    pub const THREAD: u32 = 5;
    pub const PROBING: u32 = 6;

    pub fn describe(s: u32) -> &'static str {
        match s {
            FORKED => "preparing the probe child",
            NO_NEW_PRIVS => "prctl(PR_SET_NO_NEW_PRIVS)",
            NOTIF_SIZES => "seccomp(SECCOMP_GET_NOTIF_SIZES)",
            FILTER => "seccomp(SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_NEW_LISTENER)",
            SUPERVISOR_CHECK => "answering notifications (poll and ioctl on the listener)",
            THREAD => "starting the probe thread (pipe2, clone)",
            _ => "probing",
        }
    }
}

/// Child exit codes.
pub const EXIT_DONE: i32 = 0;
pub const EXIT_SETUP: i32 = 3;
pub const EXIT_CONFUSED: i32 = 4;
/// A probe got no answer in time (the supervisor gave up on it).
pub const EXIT_STALLED: i32 = 5;

/// The fake return value of every allowed probe. Positive, below 2^31, so it
/// survives the i386 entry point's 32-bit return register.
pub const MAGIC: i64 = 0x7EC0_DE11;

/// SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP (Linux 6.6): the woken side runs on the
/// waker's CPU, which keeps a round trip at a few microseconds.
const NOTIF_FD_SYNC_WAKE_UP: u64 = 1;

/// SECCOMP_USER_NOTIF_FLAG_CONTINUE (Linux 5.5): the call runs for real.
const SECCOMP_USER_NOTIF_FLAG_CONTINUE: u32 = 1;

/// Poll interval of the supervisor, and how many silent intervals in a row
/// make a probe "stalled".
const POLL_MS: i32 = 100;
const STALL_POLLS: u32 = 5;

/// Room for the kernel's notification structures (80 and 24 bytes today;
/// SECCOMP_GET_NOTIF_SIZES says if a kernel ever needs more).
const NOTIF_BUF_WORDS: usize = 64;

#[repr(C)]
pub struct Header {
    pub cur: AtomicUsize,
    pub state: AtomicU32,
    pub stage: AtomicU32,
    pub setup_errno: AtomicI32,
    pub nnp_errno: AtomicI32,
    /// SIGSYS outside a probe (a TRAP rule hit by the child's own calls).
    pub stray_sigsys: AtomicI32,
    /// Whether SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP could be set.
    pub sync_wakeup: AtomicU32,
    /// Notifications that did not match the probe in flight.
    pub mismatches: AtomicU32,
}

#[repr(C)]
pub struct Slot {
    pub kind: AtomicU32,
    /// Notifications answered for this probe.
    pub notified: AtomicU32,
    pub value: AtomicI64,
}

/// The MAP_SHARED mapping holding the header and one slot per probe.
pub struct Shared {
    base: *mut u8,
    len: usize,
    slots: usize,
}

impl Shared {
    pub fn new(slots: usize) -> std::io::Result<Shared> {
        let len = std::mem::size_of::<Header>() + slots * std::mem::size_of::<Slot>();
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
        // Zero-filled memory is a valid Header and valid Slots (all atomics at 0).
        Ok(Shared {
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
        // SAFETY: `slots` Slot values follow the Header, whose size is a
        // multiple of 8, so they are aligned; they live as long as self.
        unsafe {
            std::slice::from_raw_parts(
                self.base.add(std::mem::size_of::<Header>()) as *const Slot,
                self.slots,
            )
        }
    }
}

impl Drop for Shared {
    fn drop(&mut self) {
        // SAFETY: unmapping exactly the region mapped in new(); no reference
        // into it outlives self.
        unsafe {
            libc::munmap(self.base.cast(), self.len);
        }
    }
}

/// A probe as the child needs it: plain data.
#[derive(Debug, Clone, Copy)]
pub struct RawProbe {
    pub entry: Entry,
    pub nr: u32,
    pub args: [u64; 6],
    pub skip: bool,
}

/// A stack for the probe thread, mapped before the fork (each child gets its
/// own copy of the private mapping).
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
        // stack starts; 16-byte aligned because the mapping is page aligned.
        unsafe { self.base.add(self.len) }
    }
}

impl Drop for ThreadStack {
    fn drop(&mut self) {
        // SAFETY: unmapping exactly the region mapped in new().
        unsafe {
            libc::munmap(self.base.cast(), self.len);
        }
    }
}

/// Everything the child reads, prepared before the fork.
pub struct ChildCtx<'a> {
    pub filter: &'a [Insn],
    pub probes: &'a [RawProbe],
    pub shared: &'a Shared,
    pub stack: &'a ThreadStack,
    /// CPU to run on when the kernel cannot keep both threads together itself.
    pub pin_cpu: Option<usize>,
    pub start: usize,
    /// Let allowed calls really run (SECCOMP_USER_NOTIF_FLAG_CONTINUE)
    /// instead of faking their result. Only for plans of harmless calls.
    pub let_run: bool,
}

// The SIGSYS handler cannot take arguments of ours: it finds the shared page
// and the marker addresses through these, set by the child itself after the
// fork (in its own copy of this memory).
static HANDLER_HEADER: AtomicPtr<Header> = AtomicPtr::new(std::ptr::null_mut());
static HANDLER_SLOTS: AtomicPtr<Slot> = AtomicPtr::new(std::ptr::null_mut());
static HANDLER_NSLOTS: AtomicUsize = AtomicUsize::new(0);
static MARKERS: [AtomicU64; 2] = [AtomicU64::new(0), AtomicU64::new(0)];

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
    let header = HANDLER_HEADER.load(SeqCst);
    if header.is_null() {
        return;
    }
    // SAFETY: set at child start to the live shared mapping.
    let h = unsafe { &*header };
    let at_marker = MARKERS.iter().any(|m| m.load(SeqCst) == si.call_addr);
    if si.code == SYS_SECCOMP && at_marker && h.state.load(SeqCst) == state::IN_PROBE {
        let i = h.cur.load(SeqCst);
        if i < HANDLER_NSLOTS.load(SeqCst) {
            // SAFETY: i is within the slot array of the shared mapping.
            let slot = unsafe { &*HANDLER_SLOTS.load(SeqCst).add(i) };
            // SECCOMP_RET_DATA arrives in si_errno.
            slot.value.store(si.errno as i64, SeqCst);
            slot.kind.store(slot_kind::TRAP, SeqCst);
        }
    } else {
        h.stray_sigsys.store(si.syscall.max(1), SeqCst);
    }
    // Returning resumes after the syscall, which did not run.
}

/// Runs in the forked child; never returns.
///
/// # Safety
/// Must be called only in the child of a fork, with `ctx` prepared before it.
pub unsafe fn child_main(ctx: &ChildCtx) -> ! {
    let h = ctx.shared.header();
    h.stage.store(stage::FORKED, SeqCst);
    HANDLER_HEADER.store(h as *const Header as *mut Header, SeqCst);
    HANDLER_SLOTS.store(ctx.shared.slots().as_ptr() as *mut Slot, SeqCst);
    HANDLER_NSLOTS.store(ctx.shared.slots().len(), SeqCst);
    for (m, a) in MARKERS.iter().zip(abi::marker_addresses()) {
        m.store(a, SeqCst);
    }
    // SAFETY: plain libc calls in the forked child, each checked; nothing here
    // allocates or takes a lock.
    unsafe {
        let mut sa: libc::sigaction = std::mem::zeroed();
        sa.sa_sigaction = on_sigsys as *const () as usize;
        sa.sa_flags = libc::SA_SIGINFO | libc::SA_NODEFER;
        libc::sigemptyset(&mut sa.sa_mask);
        if libc::sigaction(libc::SIGSYS, &sa, std::ptr::null_mut()) != 0 {
            setup_failed(h);
        }
        // The signal mask is inherited; a blocked SIGSYS turns TRAP into a kill.
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        libc::sigaddset(&mut set, libc::SIGSYS);
        libc::sigprocmask(libc::SIG_UNBLOCK, &set, std::ptr::null_mut());
        // A KILL_PROCESS verdict must not leave a core file behind.
        let no_core = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        libc::setrlimit(libc::RLIMIT_CORE, &no_core);
        // Die with whatami.
        libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL, 0, 0, 0);

        h.stage.store(stage::NO_NEW_PRIVS, SeqCst);
        // Needed to install a filter without CAP_SYS_ADMIN. Only this child is affected.
        if libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 {
            h.nnp_errno.store(errno(), SeqCst);
        }

        h.stage.store(stage::NOTIF_SIZES, SeqCst);
        let mut sizes: libc::seccomp_notif_sizes = std::mem::zeroed();
        if libc::syscall(
            libc::SYS_seccomp,
            libc::SECCOMP_GET_NOTIF_SIZES,
            0,
            &mut sizes as *mut libc::seccomp_notif_sizes,
        ) != 0
        {
            setup_failed(h);
        }
        let room = (NOTIF_BUF_WORDS * 8) as u16;
        if sizes.seccomp_notif > room || sizes.seccomp_notif_resp > room {
            h.setup_errno.store(libc::E2BIG, SeqCst);
            libc::_exit(EXIT_SETUP);
        }

        h.stage.store(stage::FILTER, SeqCst);
        let prog = libc::sock_fprog {
            len: ctx.filter.len() as u16,
            filter: ctx.filter.as_ptr() as *mut libc::sock_filter,
        };
        let listener = libc::syscall(
            libc::SYS_seccomp,
            libc::SECCOMP_SET_MODE_FILTER,
            libc::SECCOMP_FILTER_FLAG_NEW_LISTENER,
            &prog as *const libc::sock_fprog,
        );
        if listener < 0 {
            setup_failed(h);
        }
        let listener = listener as libc::c_int;
        let sync = libc::ioctl(
            listener,
            libc::SECCOMP_IOCTL_NOTIF_SET_FLAGS as _,
            NOTIF_FD_SYNC_WAKE_UP,
        ) == 0;
        h.sync_wakeup.store(sync as u32, SeqCst);
        if let Some(cpu) = ctx.pin_cpu {
            // Before Linux 6.6: keep both threads on one CPU so wake-ups stay
            // local (the probe thread inherits this thread's affinity).
            let mut cpus: libc::cpu_set_t = std::mem::zeroed();
            libc::CPU_SET(cpu, &mut cpus);
            libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &cpus);
        }

        let mut sup = Supervisor {
            listener,
            req: [0; NOTIF_BUF_WORDS],
            resp: [0; NOTIF_BUF_WORDS],
            fds: [
                libc::pollfd {
                    fd: listener,
                    events: libc::POLLIN,
                    revents: 0,
                },
                libc::pollfd {
                    fd: -1,
                    events: libc::POLLIN,
                    revents: 0,
                },
            ],
        };
        let mut next = ctx.start;
        let mut first = true;
        loop {
            h.stage.store(stage::THREAD, SeqCst);
            // The probe thread gets its own copy of the fd table (no
            // CLONE_FILES) holding the only write end of this pipe, so the
            // pipe reports POLLHUP the moment the thread dies, however it dies.
            let mut pipe = [-1; 2];
            if libc::pipe2(pipe.as_mut_ptr(), libc::O_CLOEXEC) != 0 {
                setup_failed(h);
            }
            sup.fds[1].fd = pipe[0];
            if first {
                // Make each call the supervision loop makes once before any
                // probe is in flight: if the policy kills or refuses one of
                // them, that shows up here as a setup failure and can never be
                // mistaken for a probe's verdict.
                h.stage.store(stage::SUPERVISOR_CHECK, SeqCst);
                sup.check();
                first = false;
            }
            h.stage.store(stage::THREAD, SeqCst);
            h.state.store(state::OUT, SeqCst);
            let arg = ThreadArg { ctx, start: next };
            let flags = libc::CLONE_VM
                | libc::CLONE_FS
                | libc::CLONE_SIGHAND
                | libc::CLONE_THREAD
                | libc::CLONE_SYSVSEM;
            let tid = abi::clone_thread(
                flags as u64,
                ctx.stack.top(),
                probe_thread,
                &arg as *const ThreadArg as *mut u8,
            );
            if tid < 0 {
                setup_failed(h);
            }
            libc::close(pipe[1]);
            h.stage.store(stage::PROBING, SeqCst);
            sup.serve(h, ctx);
            libc::close(pipe[0]);
            match h.state.load(SeqCst) {
                state::DONE => libc::_exit(EXIT_DONE),
                state::IN_PROBE => {
                    // The thread died inside a probe while the process lived:
                    // KILL_THREAD. Go on with the next probe in a new thread.
                    let i = h.cur.load(SeqCst);
                    if let Some(slot) = ctx.shared.slots().get(i) {
                        slot.kind.store(slot_kind::KILL_THREAD, SeqCst);
                    }
                    next = i + 1;
                }
                _ => libc::_exit(EXIT_CONFUSED),
            }
        }
    }
}

/// The child's main thread, answering the probe thread's notifications.
struct Supervisor {
    listener: libc::c_int,
    req: [u64; NOTIF_BUF_WORDS],
    resp: [u64; NOTIF_BUF_WORDS],
    fds: [libc::pollfd; 2],
}

impl Supervisor {
    fn poll(&mut self, timeout: i32) -> i32 {
        // SAFETY: fds is a valid array of two pollfd.
        unsafe { libc::poll(self.fds.as_mut_ptr(), 2, timeout) }
    }

    fn recv(&mut self) -> i32 {
        // SAFETY: req is large enough for the kernel's seccomp_notif (checked
        // against SECCOMP_GET_NOTIF_SIZES) and 8-byte aligned.
        unsafe {
            libc::ioctl(
                self.listener,
                libc::SECCOMP_IOCTL_NOTIF_RECV as _,
                self.req.as_mut_ptr(),
            )
        }
    }

    fn send(&mut self) -> i32 {
        // SAFETY: resp is large enough for seccomp_notif_resp and 8-byte aligned.
        unsafe {
            libc::ioctl(
                self.listener,
                libc::SECCOMP_IOCTL_NOTIF_SEND as _,
                self.resp.as_mut_ptr(),
            )
        }
    }

    /// Makes poll, NOTIF_RECV and NOTIF_SEND once each, with the arguments
    /// the loop uses, in ways that cannot block or answer anything: RECV with
    /// a non-zeroed buffer fails with EINVAL, SEND for an unknown id with ENOENT.
    fn check(&mut self) {
        if self.poll(0) < 0 {
            check_failed(errno());
        }
        self.req[0] = 1;
        if self.recv() == 0 || errno() != libc::EINVAL {
            check_failed(errno());
        }
        self.resp.fill(0);
        self.resp[0] = u64::MAX;
        if self.send() == 0 || errno() != libc::ENOENT {
            check_failed(errno());
        }
    }

    /// Answers notifications until the probe thread exits, or leaves the
    /// child when a probe stalls.
    fn serve(&mut self, h: &Header, ctx: &ChildCtx) {
        let mut silent = 0;
        let mut last_cur = usize::MAX;
        loop {
            let n = self.poll(POLL_MS);
            if n < 0 {
                if errno() == libc::EINTR {
                    continue;
                }
                // SAFETY: _exit ends this child only.
                unsafe { libc::_exit(EXIT_CONFUSED) }
            }
            if self.fds[0].revents & libc::POLLIN != 0 {
                self.answer(h, ctx);
                silent = 0;
                continue;
            }
            if self.fds[1].revents != 0 {
                return;
            }
            let cur = h.cur.load(SeqCst);
            if cur != last_cur {
                last_cur = cur;
                silent = 0;
            } else {
                silent += 1;
                if silent >= STALL_POLLS {
                    // SAFETY: _exit ends this child; the parent marks the
                    // probe in flight as unanswered and resumes after it.
                    unsafe { libc::_exit(EXIT_STALLED) }
                }
            }
        }
    }

    fn answer(&mut self, h: &Header, ctx: &ChildCtx) {
        // The kernel refuses a receive buffer that is not zeroed.
        self.req.fill(0);
        if self.recv() < 0 {
            // EINTR, or ENOENT: the notification was withdrawn. Poll again.
            return;
        }
        // SAFETY: the kernel filled a seccomp_notif at the start of req.
        let notif = unsafe { &*(self.req.as_ptr() as *const libc::seccomp_notif) };
        let i = h.cur.load(SeqCst);
        let matches = ctx.probes.get(i).is_some_and(|p| {
            // i386 arguments are 32 bits wide.
            let a0 = match p.entry {
                Entry::Int80 => p.args[0] & 0xffff_ffff,
                Entry::Native => p.args[0],
            };
            notif.data.nr as u32 == p.nr && notif.data.args[0] == a0
        });
        match ctx.shared.slots().get(i) {
            Some(slot) if matches => {
                slot.notified.fetch_add(1, SeqCst);
            }
            _ => {
                h.mismatches.fetch_add(1, SeqCst);
            }
        }
        self.resp.fill(0);
        // SAFETY: resp is large enough for a seccomp_notif_resp and aligned.
        let resp = unsafe { &mut *(self.resp.as_mut_ptr() as *mut libc::seccomp_notif_resp) };
        resp.id = notif.id;
        if ctx.let_run {
            resp.flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
        } else {
            resp.val = MAGIC;
        }
        // ENOENT: the probe thread died meanwhile; nothing to answer.
        self.send();
    }
}

struct ThreadArg<'a> {
    ctx: &'a ChildCtx<'a>,
    start: usize,
}

extern "C" fn probe_thread(arg: *mut u8) -> i32 {
    // SAFETY: `arg` points at the ThreadArg on the child's main stack, which
    // outlives this thread (the main thread waits for its pipe to close).
    let arg = unsafe { &*(arg as *const ThreadArg) };
    run_probes(arg.ctx, arg.start);
    // Returning makes the clone trampoline call exit(2) for this thread only.
    0
}

/// The probe loop. Runs without thread-local storage of its own (the thread
/// was made with raw clone), so it touches only the shared page and the plan.
fn run_probes(ctx: &ChildCtx, start: usize) {
    let h = ctx.shared.header();
    // Set here, not after clone() returns in the main thread: the first probe
    // may kill the whole child before that thread runs again, and that death
    // is a verdict, not a failed setup.
    h.stage.store(stage::PROBING, SeqCst);
    let slots = ctx.shared.slots();
    for (i, (p, slot)) in ctx.probes.iter().zip(slots).enumerate().skip(start) {
        if p.skip {
            slot.kind.store(slot_kind::SKIPPED, SeqCst);
            continue;
        }
        h.cur.store(i, SeqCst);
        slot.kind.store(slot_kind::PENDING, SeqCst);
        h.state.store(state::IN_PROBE, SeqCst);
        // SAFETY: this child's filter turns every call from the marker
        // instructions into a notification (or the policy in force refuses
        // it), so the syscall itself never runs.
        let r = unsafe { abi::issue(p.entry, p.nr, &p.args) };
        h.state.store(state::OUT, SeqCst);
        if slot.kind.load(SeqCst) != slot_kind::TRAP {
            slot.value.store(r, SeqCst);
            slot.kind.store(slot_kind::RETURNED, SeqCst);
        }
    }
    h.state.store(state::DONE, SeqCst);
}

fn errno() -> i32 {
    std::io::Error::last_os_error().raw_os_error().unwrap_or(0)
}

fn check_failed(e: i32) -> ! {
    // SAFETY: the pointer was set at child start to the live shared mapping;
    // _exit ends this child only.
    unsafe {
        if let Some(h) = HANDLER_HEADER.load(SeqCst).as_ref() {
            h.setup_errno.store(e, SeqCst);
        }
        libc::_exit(EXIT_SETUP)
    }
}

fn setup_failed(h: &Header) -> ! {
    h.setup_errno.store(errno(), SeqCst);
    // SAFETY: _exit ends this child only.
    unsafe { libc::_exit(EXIT_SETUP) }
}
