//! The direct prober's child: the only code of direct probing that runs
//! after the fork, and its only raw process-level code (closing inherited
//! fds, unshare, capset).
//!
//! Before its first call the child makes itself, best effort where the
//! policy allows, unable to reach anything outside itself even if a table
//! entry were wrong; then it makes the calls from a probe thread
//! (runtime.rs), watched from its main thread.

use super::super::runtime::{self, Header, NoThread, Probing, StallClock, Watch, setup_failed};
use crate::linux::errno::last as errno;
use std::sync::atomic::Ordering::SeqCst;

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

/// `Header::flags`: which safety nets a child managed to put in place.
pub mod net {
    pub const NO_CORE: u32 = 1;
    pub const USERNS: u32 = 2;
    pub const OTHER_NS: u32 = 4;
    pub const NO_CAPS: u32 = 8;
    pub const THREAD: u32 = 16;
}

/// Everything the child reads, prepared before the fork.
pub struct Ctx<'a> {
    pub probing: Probing<'a>,
    pub start: usize,
    pub features: u32,
    /// The write end of the pipe whatami watches; the only fd the child keeps.
    pub keep_fd: libc::c_int,
    /// Every other fd whatami had open at the fork.
    pub close_fds: &'a [libc::c_int],
}

/// Runs in the forked child; never returns.
///
/// # Safety
/// Only in the child of a fork, with `ctx` prepared before it.
pub unsafe fn child_main(ctx: &Ctx) -> ! {
    let h = ctx.probing.page.header();
    h.stage.store(stage::FORKED, SeqCst);
    // SAFETY: plain libc calls in the forked child; nothing here allocates,
    // locks or unwinds. A required step that fails ends the child; the
    // optional ones (namespaces, capabilities) are recorded as they went.
    unsafe {
        h.stage.store(stage::SIGNALS, SeqCst);
        if !runtime::install_sigsys_handler(ctx.probing.page) {
            setup_failed(h);
        }

        // Calls really run here, so a KILL verdict must leave no core behind
        // and at least one of the two measures must hold.
        h.stage.store(stage::LIMITS, SeqCst);
        match crate::linux::child::no_core_dumps() {
            (false, false) => setup_failed(h),
            (true, true) => {
                h.flags.fetch_or(net::NO_CORE, SeqCst);
            }
            _ => {}
        }

        h.stage.store(stage::PARENT, SeqCst);
        if !crate::linux::child::die_with_parent() {
            setup_failed(h);
        }

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
                h.flags.fetch_or(net::USERNS | net::OTHER_NS, SeqCst);
            } else if libc::unshare(all) == 0 {
                h.flags.fetch_or(net::OTHER_NS, SeqCst);
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
                h.flags.fetch_or(net::NO_CAPS, SeqCst);
            }
        }

        h.stage.store(stage::THREAD, SeqCst);
        if ctx.features & feature::THREAD != 0 {
            h.flags.fetch_or(net::THREAD, SeqCst);
            let mut waiter = Waiter { h };
            match runtime::probe_in_threads(&ctx.probing, ctx.start, &mut waiter) {
                // A failure after the first thread ends the child inside
                // probe_in_threads; these two mean no thread could start.
                NoThread::Check | NoThread::Start => {
                    h.flags.fetch_and(!net::THREAD, SeqCst);
                }
            }
        }
        // No thread: call from this one (KILL_THREAD then ends the child).
        runtime::run_probes(&ctx.probing, ctx.start);
        libc::_exit(runtime::EXIT_DONE)
    }
}

/// The child's main thread, waiting for its probe thread.
struct Waiter<'a> {
    h: &'a Header,
}

impl Watch for Waiter<'_> {
    /// The loop only polls the pipe: a policy that refuses poll leaves the
    /// calls to the main thread.
    fn check(&mut self, pipe: libc::c_int) -> bool {
        let mut pfd = libc::pollfd {
            fd: pipe,
            events: libc::POLLIN,
            revents: 0,
        };
        // SAFETY: one valid pollfd.
        unsafe { libc::poll(&mut pfd, 1, 0) >= 0 }
    }

    fn watch(&mut self, pipe: libc::c_int) {
        let mut clock = StallClock::new();
        loop {
            let mut pfd = libc::pollfd {
                fd: pipe,
                events: libc::POLLIN,
                revents: 0,
            };
            // SAFETY: one valid pollfd.
            let n = unsafe { libc::poll(&mut pfd, 1, StallClock::POLL_MS) };
            if n > 0 {
                return;
            }
            if n < 0 && errno() != libc::EINTR {
                // SAFETY: _exit ends this child only.
                unsafe { libc::_exit(runtime::EXIT_CONFUSED) }
            }
            clock.silent_interval(self.h);
        }
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
