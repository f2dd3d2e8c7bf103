//! Running a plan of probes over disposable children, whatami's side: the
//! probes dealt to one child per CPU, each child forked and watched through
//! its pipe and the page it shares with whatami, how it ended read back, one
//! that died inside a probe replaced by a child that starts after it, one
//! that stalls killed. Every wait is bounded; each prober (notify.rs,
//! direct.rs) adds only its child and how to read the child's setup.

use super::runtime::{
    EXIT_DONE, EXIT_STALLED, Header, Probing, RawProbe, STAGE_PROBING, SharedPage, ThreadStack,
    slot_kind, state,
};
use crate::linux::abi::Entry;
use crate::linux::child::{Child, SigchldDefault, WaitStatus, spawn};
use crate::linux::cpus;
use crate::linux::io::Spins;
use std::os::fd::AsRawFd;
use std::sync::atomic::Ordering::SeqCst;
use std::time::{Duration, Instant};

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

impl Raw {
    /// A verdict that should have been learned and was not: the probe child
    /// died, stalled or exited inside the call, or the time limit came first.
    pub fn lost(&self) -> bool {
        matches!(
            self,
            Raw::TimedOut | Raw::Died(_) | Raw::Exited(_) | Raw::NotReached
        )
    }
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
        .min(cpus::allowed())
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
        let ended = match wait_for_any(&mut workers, deadline) {
            Ok(ended) => ended,
            Err(why) => {
                // Without poll whatami cannot watch its children: none is
                // left running, and the probe is not reported as if it ran.
                for w in &mut workers {
                    if let Some(c) = w.child.take() {
                        c.kill_and_reap();
                    }
                }
                return Err(Unavailable(why));
            }
        };
        for k in ended {
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
/// child ended (at the deadline: of every worker with a child). `Err`: poll
/// failed [`MAX_RETRIES`](crate::linux::io::MAX_RETRIES) times in a row (a
/// policy answering EINTR or EAGAIN to it), which would otherwise make this
/// loop spin until the deadline, killing children already gone.
fn wait_for_any(workers: &mut [Worker], deadline: Instant) -> Result<Vec<usize>, String> {
    let mut spins = Spins::default();
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
            return Ok(Vec::new());
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
            return Ok(fds
                .iter()
                .zip(who)
                .filter(|(f, _)| f.revents != 0)
                .map(|(_, i)| i)
                .collect());
        }
        if n == 0 {
            spins.reset();
        } else if n < 0 && !spins.again() {
            let e = crate::linux::errno::name(crate::linux::errno::last() as u32);
            return Err(format!(
                "poll failed with {e} {} times in a row: the probe children could not be watched",
                crate::linux::io::MAX_RETRIES
            ));
        }
        if Instant::now() >= deadline {
            return Ok(who);
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
