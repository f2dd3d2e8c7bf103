//! The AArch32 (32-bit ARM) entry point of arm64 kernels, probed through a
//! 32-bit program whatami carries.
//!
//! arm64 kernels built with COMPAT run 32-bit ARM programs on CPUs that
//! offer AArch32 at EL0, with their own syscall numbers and audit arch
//! (AUDIT_ARCH_ARM): a bypass route like i386 on x86_64, which Docker's and
//! podman's profiles cover through archMap (SCMP_ARCH_ARM). Unlike int $0x80
//! on x86_64, 64-bit code cannot enter it: only a 32-bit process can. So a
//! disposable child (the supervisor) stacks the prober's filter with a
//! listener, as the native prober does, with the addresses of the 32-bit
//! program's probe instruction as markers, and runs that program
//! (scripts/arm64/aarch32-prober.s, kept assembled in aarch32_program.rs)
//! from a memfd: whatami never executes anything from the container's file
//! system. The program issues each number it reads from a pipe from its
//! probe instruction, in a thread of its own (so that KILL_THREAD and
//! KILL_PROCESS can be told apart), and writes back what happened; the
//! supervisor answers the notifications with a fake value, so no probed
//! call runs. A policy that kills the whole program is answered by starting
//! it again at the next number.
//!
//! Child-side code follows the probe children's rule: everything is
//! prepared before the fork; afterwards only direct libc calls.

use super::aarch32_program::{PROBE_RET, PROBE_SVC, PROGRAM};
use super::bpf;
use super::runtime::{
    EXIT_CONFUSED, EXIT_DONE, EXIT_SETUP, Header, STAGE_PROBING, SharedPage, Slot, setup_failed,
    slot_kind,
};
use super::supervisor::Raw;
use crate::linux::abi::aarch32::{NAME, PRIVATE, max_nr, name};
use crate::linux::child::{self, WaitStatus};
use crate::linux::errno::last as errno;
use crate::model::{AbiInfo, Probe, ProbeMethod, SyscallResult};
use std::os::fd::AsRawFd;
use std::sync::atomic::Ordering::SeqCst;
use std::time::{Duration, Instant};

/// Every number to probe: the table and its margin, gaps included, then
/// ARM's private calls.
fn plan() -> Vec<u32> {
    (0..=max_nr())
        .chain(PRIVATE.iter().map(|(n, _)| *n))
        .collect()
}

// The program's messages (see its source).
const TAG_RETURNED: u32 = 1;
const TAG_TRAP: u32 = 2;
const TAG_THREAD_DIED: u32 = 3;
const TAG_NO_CLONE: u32 = 4;
const TAG_NO_FUTEX: u32 = 5;
const TAG_HELLO: u32 = 6;
/// The number that asks for HELLO instead of a call.
const HELLO: u32 = 0xffff_ffff;

/// The supervisor's setup stages (Header::stage), for the reason when the
/// entry point could not be probed.
mod stage {
    pub const MEMFD: u32 = 1;
    pub const NO_NEW_PRIVS: u32 = 2;
    pub const FILTER: u32 = 3;
    pub const START: u32 = 4;
    pub const EXEC: u32 = 5;
    /// The program ended, or said it cannot probe, before its HELLO.
    pub const HANDSHAKE: u32 = 6;
    pub const PROBING: u32 = super::STAGE_PROBING;
}

/// How the program ended before its HELLO (Header::flags), with
/// Header::mismatches holding the value.
mod early {
    pub const MESSAGE: u32 = 1;
    pub const SIGNAL: u32 = 2;
    pub const EXIT: u32 = 3;
    pub const SILENT: u32 = 4;
}

/// One probe gets no answer for this long: the program is killed and
/// started again at the next number.
const PROBE_LIMIT: Duration = Duration::from_secs(2);
/// The whole entry point, however many programs it takes.
const TOTAL_LIMIT: Duration = Duration::from_secs(20);

/// Adds the AArch32 entry point to a probe of the native one: its results
/// when notification probing works here, otherwise why not.
pub fn add_to(mut p: Probe) -> Probe {
    let started = Instant::now();
    let (info, results) = if p.method == ProbeMethod::Notify {
        probe()
    } else {
        let why = "not probed: its prober needs notification probing, unavailable here";
        (unprobed(why.to_string()), Vec::new())
    };
    p.abis.push(info);
    p.results.extend(results);
    p.elapsed_us += started.elapsed().as_micros() as u64;
    p
}

fn unprobed(why: String) -> AbiInfo {
    AbiInfo {
        abi: NAME.to_string(),
        probed: false,
        probes: 0,
        all_ones_swept: false,
        note: Some(why),
    }
}

/// Probes the AArch32 entry point. Returns its line in `abis` and its results.
fn probe() -> (AbiInfo, Vec<SyscallResult>) {
    let numbers = plan();
    match run(&numbers) {
        Ok((raw, cut_short)) => {
            let results: Vec<SyscallResult> = numbers
                .iter()
                .zip(raw)
                .map(|(&nr, r)| {
                    let mut c = super::classify(r, None);
                    if cut_short && r == Raw::NotReached {
                        c.note = Some(
                            "not probed: the 32-bit program could not be started again after \
                             a kill"
                                .to_string(),
                        );
                    }
                    SyscallResult {
                        abi: NAME.to_string(),
                        nr,
                        name: name(nr).map(str::to_string),
                        verdict: c.outcome.verdict,
                        errno: c.outcome.errno,
                        trap_data: c.outcome.trap_data,
                        method: ProbeMethod::Notify,
                        confidence: c.confidence,
                        all_ones: None,
                        note: c.note,
                        direct: None,
                    }
                })
                .collect();
            let info = AbiInfo {
                abi: NAME.to_string(),
                probed: true,
                probes: results.len() as u32,
                all_ones_swept: false,
                note: None,
            };
            (info, results)
        }
        Err(why) => (unprobed(why), Vec::new()),
    }
}

/// Runs the supervisor over `numbers`: one Raw per number, and whether the
/// program could not be started again after a kill (the rest is then not
/// reached); or why the entry point could not be probed.
fn run(numbers: &[u32]) -> Result<(Vec<Raw>, bool), String> {
    let unknown = |what: String| format!("not probed: {what}");
    let filter = bpf::probe_filter(&[PROBE_RET, PROBE_SVC]);
    let page = SharedPage::new(numbers.len()).map_err(|e| unknown(format!("mmap: {e}")))?;
    let ctx = Ctx {
        filter: &filter,
        numbers,
        page: &page,
    };
    let _sigchld = child::SigchldDefault::set();
    // SAFETY: whatami is single-threaded; the supervisor uses only `ctx`,
    // prepared before the fork, and makes direct libc calls.
    let child = unsafe { child::spawn(|_done| supervise(&ctx)) }
        .map_err(|e| unknown(format!("fork: {e}")))?;
    let started = Instant::now();
    loop {
        let left = TOTAL_LIMIT.saturating_sub(started.elapsed());
        let mut pfd = libc::pollfd {
            fd: child.done.as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        };
        // SAFETY: one valid pollfd.
        let n = unsafe { libc::poll(&mut pfd, 1, left.as_millis().min(200) as i32) };
        if n > 0 || left.is_zero() {
            break;
        }
    }
    let timed_out = started.elapsed() >= TOTAL_LIMIT;
    let status = if timed_out {
        child.kill_and_reap()
    } else {
        child.reap()
    };
    let h = page.header();
    let st = h.stage.load(SeqCst);
    if st < stage::PROBING {
        return Err(setup_failure(h, st, status));
    }
    let raw: Vec<Raw> = page
        .slots()
        .iter()
        .map(|s| {
            let value = s.value.load(SeqCst);
            match s.kind.load(SeqCst) {
                slot_kind::RETURNED => Raw::Returned {
                    value,
                    notified: s.aux.load(SeqCst),
                },
                slot_kind::TRAP => Raw::Trap(value as u32),
                slot_kind::KILL_THREAD => Raw::KillThread,
                slot_kind::KILL_PROCESS => Raw::KillProcess,
                slot_kind::DIED => Raw::Died(value as i32),
                slot_kind::EXITED => Raw::Exited(value as i32),
                slot_kind::TIMED_OUT => Raw::TimedOut,
                _ => Raw::NotReached,
            }
        })
        .collect();
    Ok((raw, status == WaitStatus::Exited(EXIT_CONFUSED)))
}

/// The reason the entry point could not be probed, from how far the
/// supervisor got.
fn setup_failure(h: &Header, st: u32, status: WaitStatus) -> String {
    let errno = h.setup_errno.load(SeqCst);
    let err = std::io::Error::from_raw_os_error(errno);
    let value = h.mismatches.load(SeqCst) as i32;
    match st {
        stage::EXEC if errno == libc::ENOEXEC => "not served by this kernel (a 32-bit ARM \
            program is refused with ENOEXEC: this CPU has no AArch32 at EL0, or the kernel was \
            built without COMPAT): no call can come through it"
            .to_string(),
        stage::EXEC => format!("not probed: running whatami's 32-bit ARM program failed: {err}"),
        stage::HANDSHAKE => {
            let how = match (h.flags.load(SeqCst), value) {
                (early::MESSAGE, v) if v == TAG_NO_CLONE as i32 => {
                    "the policy refuses clone to 32-bit programs".to_string()
                }
                (early::MESSAGE, v) if v == TAG_NO_FUTEX as i32 => {
                    "the policy refuses futex to 32-bit programs".to_string()
                }
                (early::SIGNAL, libc::SIGSYS) => "the policy killed it at one of its first calls \
                     (prctl, rt_sigaction, clone, futex, read, write): a profile without \
                     SCMP_ARCH_ARM kills every 32-bit call"
                    .to_string(),
                (early::SIGNAL, sig) => format!("it died of signal {sig}"),
                (early::EXIT, code) => format!("it exited with status {code}"),
                _ => "it did not answer".to_string(),
            };
            format!(
                "served by this kernel, not probed: whatami's 32-bit ARM program could not \
                 start probing ({how})"
            )
        }
        stage::MEMFD => format!("not probed: memfd_create or write: {err}"),
        stage::NO_NEW_PRIVS => format!("not probed: prctl(PR_SET_NO_NEW_PRIVS): {err}"),
        stage::FILTER => format!("not probed: installing the prober's filter: {err}"),
        stage::START => format!("not probed: starting the 32-bit program (pipe2, fork): {err}"),
        _ => format!("not probed: the supervisor ended early ({status:?})"),
    }
}

/// What the supervisor works from, prepared before the fork.
struct Ctx<'a> {
    filter: &'a [bpf::Insn],
    numbers: &'a [u32],
    page: &'a SharedPage,
}

/// The 32-bit program running, as the supervisor holds it.
struct Program {
    pid: libc::pid_t,
    /// Numbers go out here (its fd 0)...
    cmd: libc::c_int,
    /// ...messages come back here (its fd 1).
    res: libc::c_int,
}

fn fail(h: &Header, st: u32) -> ! {
    h.stage.store(st, SeqCst);
    setup_failed(h)
}

/// The supervisor: runs in the forked child; never returns.
fn supervise(ctx: &Ctx) -> ! {
    let h = ctx.page.header();
    // SAFETY: plain calls on this child's own state and descriptors; the
    // program comes from whatami's own memory, never from a file.
    unsafe {
        child::no_core_dumps();
        child::die_with_parent();
        // A program gone between two numbers must not end the supervisor:
        // its write fails with EPIPE instead.
        libc::signal(libc::SIGPIPE, libc::SIG_IGN);
        h.stage.store(stage::MEMFD, SeqCst);
        let memfd = libc::syscall(
            libc::SYS_memfd_create,
            c"whatami-aarch32".as_ptr(),
            libc::MFD_CLOEXEC,
        ) as libc::c_int;
        if memfd < 0
            || libc::write(memfd, PROGRAM.as_ptr().cast(), PROGRAM.len()) != PROGRAM.len() as isize
        {
            fail(h, stage::MEMFD);
        }
        h.stage.store(stage::NO_NEW_PRIVS, SeqCst);
        if libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 {
            fail(h, stage::NO_NEW_PRIVS);
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
        ) as libc::c_int;
        if listener < 0 {
            fail(h, stage::FILTER);
        }
        let mut sup = Supervisor {
            listener,
            h,
            slots: ctx.page.slots(),
            req: [0; 64],
            resp: [0; 64],
        };
        let mut i = 0;
        let mut first = true;
        while i < ctx.numbers.len() {
            let p = start(memfd, h);
            if !sup.handshake(&p) {
                if first {
                    sup.end(p);
                    libc::_exit(EXIT_SETUP);
                }
                // Started once, but not again: the rest is not reached.
                sup.end(p);
                libc::_exit(EXIT_CONFUSED);
            }
            if first {
                h.stage.store(stage::PROBING, SeqCst);
                first = false;
            }
            let (next, alive) = sup.probe_from(&p, ctx.numbers, i);
            i = next;
            if alive {
                sup.end(p);
            }
        }
        libc::_exit(EXIT_DONE)
    }
}

/// Starts the program with fresh pipes.
///
/// # Safety
/// Only in the supervisor.
unsafe fn start(memfd: libc::c_int, h: &Header) -> Program {
    let (mut cmd, mut res) = ([-1; 2], [-1; 2]);
    // SAFETY: raw calls on arrays of two descriptors, then fork; the child
    // only rearranges descriptors and executes the memfd.
    unsafe {
        if libc::pipe2(cmd.as_mut_ptr(), libc::O_CLOEXEC) != 0
            || libc::pipe2(res.as_mut_ptr(), libc::O_CLOEXEC) != 0
        {
            fail(h, stage::START);
        }
        let pid = libc::fork();
        if pid < 0 {
            fail(h, stage::START);
        }
        if pid == 0 {
            libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL, 0, 0, 0);
            // dup2 clears close-on-exec on the copies: only 0, 1 and 2 stay open.
            if libc::dup2(cmd[0], 0) < 0 || libc::dup2(res[1], 1) < 0 {
                libc::_exit(126);
            }
            let argv = [c"whatami-aarch32".as_ptr(), std::ptr::null()];
            let envp = [std::ptr::null::<libc::c_char>()];
            libc::syscall(
                libc::SYS_execveat,
                memfd,
                c"".as_ptr(),
                argv.as_ptr(),
                envp.as_ptr(),
                libc::AT_EMPTY_PATH,
            );
            // Reported by the supervisor through the exit status.
            libc::_exit(EXEC_FAILED_BASE + errno().clamp(0, 99));
        }
        libc::close(cmd[0]);
        libc::close(res[1]);
        Program {
            pid,
            cmd: cmd[1],
            res: res[0],
        }
    }
}

/// A child whose exec failed exits with this plus errno.
const EXEC_FAILED_BASE: i32 = 150;

/// The supervisor's state: the listener, the shared results.
struct Supervisor<'a> {
    listener: libc::c_int,
    h: &'a Header,
    slots: &'a [Slot],
    req: [u64; 64],
    resp: [u64; 64],
}

/// What came from the program while waiting.
enum Event {
    /// A call from its probe instruction, answered: its number.
    Notified(u32),
    Message(u32, i32),
    /// It closed its end: it is gone.
    Gone,
    Silent,
}

impl Supervisor<'_> {
    /// Sends HELLO and waits for the answer: the program started, and its
    /// read, write, clone and futex work under the policy.
    fn handshake(&mut self, p: &Program) -> bool {
        self.h
            .stage
            .store(stage::HANDSHAKE.max(self.h.stage.load(SeqCst)), SeqCst);
        // A program that ended before reading anything (killed at its first
        // call, or its exec failed) has closed its input: the number is
        // refused with EPIPE, and how it ended says why.
        let event = if send(p, HELLO) {
            self.next_event(p)
        } else {
            Event::Gone
        };
        match event {
            Event::Message(TAG_HELLO, _) => true,
            Event::Message(tag, _) => self.early(p, early::MESSAGE, tag as i32),
            Event::Gone => {
                let (how, value) = match reap(p.pid) {
                    WaitStatus::Signaled(sig) => (early::SIGNAL, sig),
                    WaitStatus::Exited(code) => (early::EXIT, code),
                    _ => (early::SILENT, 0),
                };
                if how == early::EXIT && value >= EXEC_FAILED_BASE {
                    self.h.setup_errno.store(value - EXEC_FAILED_BASE, SeqCst);
                    self.h.stage.store(stage::EXEC, SeqCst);
                    return false;
                }
                self.early(p, how, value)
            }
            Event::Silent | Event::Notified(_) => self.early(p, early::SILENT, 0),
        }
    }

    fn early(&mut self, _p: &Program, how: u32, value: i32) -> bool {
        self.h.flags.store(how, SeqCst);
        self.h.mismatches.store(value as u32, SeqCst);
        false
    }

    /// Probes from `i` until the numbers run out (the program is then still
    /// alive) or the program dies (it is reaped). Returns the next number
    /// to probe and whether the program is alive.
    ///
    /// The numbers go out all at once (a few kB, well within a pipe's
    /// buffer): the program reads each as it goes, so that a probe costs
    /// one notification round trip, as on the native entry point. Its
    /// messages come back in order, one per number (a TRAP's before its
    /// RETURNED).
    fn probe_from(&mut self, p: &Program, numbers: &[u32], mut i: usize) -> (usize, bool) {
        let rest = &numbers[i..];
        // SAFETY: writing the numbers' own memory (little-endian u32, the
        // program's byte order) to our own pipe.
        let sent = unsafe { libc::write(p.cmd, rest.as_ptr().cast(), rest.len() * 4) };
        if sent != (rest.len() * 4) as isize {
            return self.lost(p, i, slot_kind::TIMED_OUT, 0);
        }
        let mut trap: Option<i32> = None;
        while i < numbers.len() {
            self.h.cur.store(i, SeqCst);
            let slot = &self.slots[i];
            match self.next_event(p) {
                // The program may be several numbers ahead of the messages
                // read so far (refused calls answer at once); the numbers
                // ascend, so the one notified is found by its value.
                Event::Notified(nr) => {
                    if let Ok(k) = numbers[i..].binary_search(&nr) {
                        self.slots[i + k].aux.fetch_add(1, SeqCst);
                    }
                }
                Event::Message(TAG_TRAP, data) => trap = Some(data),
                Event::Message(TAG_RETURNED, value) => {
                    match trap.take() {
                        Some(data) => {
                            slot.value.store(data as u16 as i64, SeqCst);
                            slot.kind.store(slot_kind::TRAP, SeqCst);
                        }
                        None => {
                            slot.value.store(value as i64, SeqCst);
                            slot.kind.store(slot_kind::RETURNED, SeqCst);
                        }
                    }
                    i += 1;
                }
                // The program starts another thread, which reads the next number.
                Event::Message(TAG_THREAD_DIED, _) => {
                    slot.kind.store(slot_kind::KILL_THREAD, SeqCst);
                    trap = None;
                    i += 1;
                }
                Event::Message(..) | Event::Gone => {
                    let (kind, value) = match reap(p.pid) {
                        WaitStatus::Signaled(libc::SIGSYS) => (slot_kind::KILL_PROCESS, 0),
                        WaitStatus::Signaled(sig) => (slot_kind::DIED, sig as i64),
                        WaitStatus::Exited(code) => (slot_kind::EXITED, code as i64),
                        _ => (slot_kind::TIMED_OUT, 0),
                    };
                    slot.value.store(value, SeqCst);
                    slot.kind.store(kind, SeqCst);
                    close(p);
                    return (i + 1, false);
                }
                Event::Silent => return self.lost(p, i, slot_kind::TIMED_OUT, 0),
            }
        }
        (i, true)
    }

    /// Records `kind` for probe `i`, kills and reaps the program.
    fn lost(&mut self, p: &Program, i: usize, kind: u32, value: i64) -> (usize, bool) {
        if let Some(slot) = self.slots.get(i) {
            slot.value.store(value, SeqCst);
            slot.kind.store(kind, SeqCst);
        }
        // SAFETY: killing our own child, not reaped yet.
        unsafe { libc::kill(p.pid, libc::SIGKILL) };
        reap(p.pid);
        close(p);
        (i + 1, false)
    }

    /// Waits for the next thing the program does: a notification (answered
    /// with the fake value: the call never runs), or a message.
    fn next_event(&mut self, p: &Program) -> Event {
        let started = Instant::now();
        loop {
            let mut fds = [
                libc::pollfd {
                    fd: self.listener,
                    events: libc::POLLIN,
                    revents: 0,
                },
                libc::pollfd {
                    fd: p.res,
                    events: libc::POLLIN,
                    revents: 0,
                },
            ];
            // SAFETY: two valid pollfd.
            let n = unsafe { libc::poll(fds.as_mut_ptr(), 2, 100) };
            if n < 0 && errno() != libc::EINTR {
                return Event::Silent;
            }
            if fds[0].revents & libc::POLLIN != 0 {
                if let Some(nr) = self.answer() {
                    return Event::Notified(nr);
                }
                continue;
            }
            if fds[1].revents != 0 {
                let mut msg = [0u8; 8];
                // SAFETY: reading into a local buffer of its size.
                let got = unsafe { libc::read(p.res, msg.as_mut_ptr().cast(), 8) };
                if got == 8 {
                    let tag = u32::from_le_bytes([msg[0], msg[1], msg[2], msg[3]]);
                    let value = i32::from_le_bytes([msg[4], msg[5], msg[6], msg[7]]);
                    return Event::Message(tag, value);
                }
                return Event::Gone;
            }
            if started.elapsed() >= PROBE_LIMIT {
                return Event::Silent;
            }
        }
    }

    /// Receives one notification and answers it with the fake value: the
    /// call never runs. Its syscall number; None if there was none to receive.
    fn answer(&mut self) -> Option<u32> {
        // The kernel refuses a receive buffer that is not zeroed.
        self.req.fill(0);
        // SAFETY: req is larger than the kernel's seccomp_notif (80 bytes in
        // every kernel so far) and 8-byte aligned.
        let r = unsafe {
            libc::ioctl(
                self.listener,
                libc::SECCOMP_IOCTL_NOTIF_RECV as _,
                self.req.as_mut_ptr(),
            )
        };
        if r < 0 {
            return None;
        }
        // SAFETY: the kernel filled a seccomp_notif at the start of req.
        let notif = unsafe { &*(self.req.as_ptr() as *const libc::seccomp_notif) };
        let (id, nr) = (notif.id, notif.data.nr as u32);
        self.resp.fill(0);
        // SAFETY: resp is large enough for a seccomp_notif_resp and aligned.
        let resp = unsafe { &mut *(self.resp.as_mut_ptr() as *mut libc::seccomp_notif_resp) };
        resp.id = id;
        resp.val = super::child::MAGIC;
        // SAFETY: as above; ENOENT (the thread died meanwhile) is harmless.
        unsafe {
            libc::ioctl(
                self.listener,
                libc::SECCOMP_IOCTL_NOTIF_SEND as _,
                self.resp.as_mut_ptr(),
            )
        };
        Some(nr)
    }

    /// Closes the program's input, so that it exits, and reaps it.
    fn end(&mut self, p: Program) {
        close(&p);
        reap(p.pid);
    }
}

/// Sends one number; false if the program's input is gone (EPIPE: the
/// supervisor ignores SIGPIPE).
fn send(p: &Program, nr: u32) -> bool {
    let b = nr.to_le_bytes();
    // SAFETY: writing a local buffer to our own pipe.
    unsafe { libc::write(p.cmd, b.as_ptr().cast(), 4) == 4 }
}

fn close(p: &Program) {
    // SAFETY: closing our own descriptors; closing one twice only fails.
    unsafe {
        libc::close(p.cmd);
        libc::close(p.res);
    }
}

/// Reaps the program, bounded: killed if it lingers.
fn reap(pid: libc::pid_t) -> WaitStatus {
    let started = Instant::now();
    let mut status = 0;
    loop {
        // SAFETY: waiting for our own child without blocking.
        let r = unsafe { libc::waitpid(pid, &mut status, libc::WNOHANG) };
        if r == pid {
            break;
        }
        if r < 0 {
            return WaitStatus::Unknown;
        }
        if started.elapsed() >= Duration::from_millis(500) {
            // SAFETY: killing our own child, not reaped yet.
            unsafe { libc::kill(pid, libc::SIGKILL) };
        }
        if started.elapsed() >= Duration::from_secs(3) {
            return WaitStatus::Unknown;
        }
        // SAFETY: a plain sleep of a millisecond.
        unsafe { libc::usleep(1000) };
    }
    if libc::WIFEXITED(status) {
        WaitStatus::Exited(libc::WEXITSTATUS(status))
    } else {
        WaitStatus::Signaled(libc::WTERMSIG(status))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_program_is_a_32_bit_arm_executable() {
        assert_eq!(&PROGRAM[..7], b"\x7fELF\x01\x01\x01");
        assert_eq!(u16::from_le_bytes([PROGRAM[18], PROGRAM[19]]), 40);
        assert_eq!(PROBE_RET, PROBE_SVC + 4);
        // The probe instruction is `svc #0` (0xef000000) in the loaded image.
        let entry = u32::from_le_bytes(PROGRAM[24..28].try_into().unwrap()) as u64;
        let file_off = 0x60 + (PROBE_SVC - entry) as usize;
        assert_eq!(
            &PROGRAM[file_off..file_off + 4],
            &0xEF00_0000u32.to_le_bytes()
        );
    }

    #[test]
    fn every_number_of_the_arm_table_is_planned_in_order() {
        let p = plan();
        // Ascending: a notification is matched to its probe by number.
        assert!(p.windows(2).all(|w| w[0] < w[1]));
        assert_eq!(p[0], 0);
        assert!(p.contains(&max_nr()));
        assert!(p.contains(&0x0f_0002));
    }
}
