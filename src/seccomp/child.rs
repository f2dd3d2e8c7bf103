//! The notification prober's child: the only code of notification probing
//! that runs after the fork, and its only raw process-level code (seccomp(),
//! the listener ioctls).
//!
//! The child stacks one more filter (USER_NOTIF for calls made from the
//! probe instructions, ALLOW otherwise) with a listener, starts a probe
//! thread that issues every probe (runtime.rs), and answers the probe
//! thread's notifications itself with a fake return value, so no probed
//! syscall ever runs. Answering from a thread of the same process keeps each
//! round trip a thread switch, not a process switch; probing from a separate
//! thread lets a KILL_THREAD verdict be told apart from KILL_PROCESS.

use super::bpf::Insn;
use super::runtime::{
    self, Header, NoThread, Probing, StallClock, Watch, setup_failed, setup_failed_with,
};
use crate::linux::abi::Entry;
use crate::linux::errno::last as errno;
use std::sync::atomic::Ordering::SeqCst;

/// How far setup got, for the message when notification probing is unavailable.
pub mod stage {
    pub const FORKED: u32 = 0;
    pub const NO_NEW_PRIVS: u32 = 1;
    pub const NOTIF_SIZES: u32 = 2;
    pub const FILTER: u32 = 3;
    pub const SUPERVISOR_CHECK: u32 = 4;
    pub const THREAD: u32 = 5;

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

/// `Header::flags`: SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP could be set.
pub const FLAG_SYNC_WAKEUP: u32 = 1;

/// The fake return value of every allowed probe. Positive, below 2^31, so it
/// survives the i386 entry point's 32-bit return register.
pub const MAGIC: i64 = 0x7EC0_DE11;

/// SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP (Linux 6.6): the woken side runs on the
/// waker's CPU, which keeps a round trip at a few microseconds.
const NOTIF_FD_SYNC_WAKE_UP: u64 = 1;

/// SECCOMP_USER_NOTIF_FLAG_CONTINUE (Linux 5.5): the call runs for real.
const SECCOMP_USER_NOTIF_FLAG_CONTINUE: u32 = 1;

/// Room for the kernel's notification structures (80 and 24 bytes today;
/// SECCOMP_GET_NOTIF_SIZES says if a kernel ever needs more).
const NOTIF_BUF_WORDS: usize = 64;

/// Everything the child reads, prepared before the fork.
pub struct ChildCtx<'a> {
    pub filter: &'a [Insn],
    pub probing: Probing<'a>,
    /// CPU to keep both threads on.
    pub pin_cpu: Option<usize>,
    pub start: usize,
}

/// Runs in the forked child; never returns.
///
/// # Safety
/// Must be called only in the child of a fork, with `ctx` prepared before it.
pub unsafe fn child_main(ctx: &ChildCtx) -> ! {
    let h = ctx.probing.page.header();
    h.stage.store(stage::FORKED, SeqCst);
    // SAFETY: in the probe child, before its probe thread exists.
    if !unsafe { runtime::install_sigsys_handler(ctx.probing.page) } {
        setup_failed(h);
    }
    // SAFETY: plain libc calls in the forked child; nothing here allocates or
    // takes a lock. Those whose failure would change what the child may do
    // are checked; the safety nets below are best effort.
    unsafe {
        // A KILL_PROCESS verdict must not leave a core behind, and the child
        // must not outlive whatami.
        crate::linux::child::no_core_dumps();
        crate::linux::child::die_with_parent();

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
            setup_failed_with(h, libc::E2BIG);
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
        if sync {
            h.flags.fetch_or(FLAG_SYNC_WAKEUP, SeqCst);
        }
        if let Some(cpu) = ctx.pin_cpu {
            // Both threads on one CPU (the probe thread inherits this
            // thread's affinity): every wake-up stays local. Unpinned runs
            // here took half as long again, and at random.
            let mut cpus: libc::cpu_set_t = std::mem::zeroed();
            libc::CPU_SET(cpu, &mut cpus);
            libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &cpus);
        }

        h.stage.store(stage::THREAD, SeqCst);
        let mut sup = Supervisor {
            listener,
            ctx,
            h,
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
        // Without a probe thread nobody could answer the notifications:
        // notification probing is then unavailable.
        match runtime::probe_in_threads(&ctx.probing, ctx.start, &mut sup) {
            NoThread::Check | NoThread::Start => setup_failed(h),
        }
    }
}

/// The child's main thread, answering the probe thread's notifications.
struct Supervisor<'a> {
    listener: libc::c_int,
    ctx: &'a ChildCtx<'a>,
    h: &'a Header,
    req: [u64; NOTIF_BUF_WORDS],
    resp: [u64; NOTIF_BUF_WORDS],
    /// The listener, and the read end of the probe thread's pipe.
    fds: [libc::pollfd; 2],
}

impl Supervisor<'_> {
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

    fn answer(&mut self) {
        // The kernel refuses a receive buffer that is not zeroed.
        self.req.fill(0);
        if self.recv() < 0 {
            // EINTR, or ENOENT: the notification was withdrawn. Poll again.
            return;
        }
        // SAFETY: the kernel filled a seccomp_notif at the start of req.
        let notif = unsafe { &*(self.req.as_ptr() as *const libc::seccomp_notif) };
        let i = self.h.cur.load(SeqCst);
        let matches = self.ctx.probing.probes.get(i).is_some_and(|p| {
            // i386 arguments are 32 bits wide.
            let a0 = match p.entry {
                Entry::Int80 => p.args[0] & 0xffff_ffff,
                Entry::Native => p.args[0],
            };
            notif.data.nr as u32 == p.nr && notif.data.args[0] == a0
        });
        match self.ctx.probing.page.slots().get(i) {
            Some(slot) if matches => {
                slot.aux.fetch_add(1, SeqCst);
            }
            _ => {
                self.h.mismatches.fetch_add(1, SeqCst);
            }
        }
        self.resp.fill(0);
        // SAFETY: resp is large enough for a seccomp_notif_resp and aligned.
        let resp = unsafe { &mut *(self.resp.as_mut_ptr() as *mut libc::seccomp_notif_resp) };
        resp.id = notif.id;
        // Only a probe marked let_run (a harmless getpid) really runs.
        if matches && self.ctx.probing.probes.get(i).is_some_and(|p| p.let_run) {
            resp.flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
        } else {
            resp.val = MAGIC;
        }
        // ENOENT: the probe thread died meanwhile; nothing to answer.
        self.send();
    }
}

impl Watch for Supervisor<'_> {
    /// Makes poll, NOTIF_RECV and NOTIF_SEND once each, with the arguments
    /// the loop uses, in ways that cannot block or answer anything: RECV with
    /// a non-zeroed buffer fails with EINVAL, SEND for an unknown id with ENOENT.
    fn check(&mut self, pipe: libc::c_int) -> bool {
        self.h.stage.store(stage::SUPERVISOR_CHECK, SeqCst);
        self.fds[1].fd = pipe;
        if self.poll(0) < 0 {
            setup_failed(self.h);
        }
        self.req[0] = 1;
        if self.recv() == 0 || errno() != libc::EINVAL {
            setup_failed(self.h);
        }
        self.resp.fill(0);
        self.resp[0] = u64::MAX;
        if self.send() == 0 || errno() != libc::ENOENT {
            setup_failed(self.h);
        }
        self.h.stage.store(stage::THREAD, SeqCst);
        true
    }

    /// Answers notifications until the probe thread exits.
    fn watch(&mut self, pipe: libc::c_int) {
        self.fds[1].fd = pipe;
        let mut clock = StallClock::new();
        loop {
            let n = self.poll(StallClock::POLL_MS);
            if n < 0 {
                if errno() == libc::EINTR {
                    continue;
                }
                // SAFETY: _exit ends this child only.
                unsafe { libc::_exit(runtime::EXIT_CONFUSED) }
            }
            if self.fds[0].revents & libc::POLLIN != 0 {
                self.answer();
                clock.progress();
                continue;
            }
            if self.fds[1].revents != 0 {
                return;
            }
            clock.silent_interval(self.h);
        }
    }
}
