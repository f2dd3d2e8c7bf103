//! Notification probing, whatami's side: splits the plan among a few probe
//! children (one per CPU, at most four), waits for them with bounded waits,
//! and starts a fresh child after the next probe whenever one dies inside a
//! probe (a KILL_PROCESS verdict, a stalled probe, a fault on a missing entry
//! point).
//!
//! whatami itself only forks, polls pipes, reaps and kills: it never calls
//! seccomp() or issues a probe, so a policy that kills on seccomp() can only
//! kill a probe child, and nothing runs in whatami's own process.

use super::abi::Entry;
use super::bpf;
use super::child::{self, ChildCtx, FLAG_SYNC_WAKEUP, stage};
use super::disposable::{
    self, Child, EXIT_DONE, EXIT_STALLED, Probing, RawProbe, STAGE_PROBING, SharedPage,
    SigchldDefault, ThreadStack, WaitStatus, slot_kind, state,
};
use std::os::fd::AsRawFd;
use std::sync::atomic::Ordering::SeqCst;
use std::time::{Duration, Instant};

/// The whole probe, however many children it takes.
const TOTAL_LIMIT: Duration = Duration::from_secs(20);
/// A child that shows no progress for this long is killed (its own
/// supervisor gives up on a stalled probe well before).
const CHILD_STALL_LIMIT: Duration = Duration::from_secs(3);
const MAX_WORKERS: usize = 4;

/// What happened to one probe, before classification.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Raw {
    Returned {
        value: i64,
        notified: u32,
    },
    Trap(u32),
    KillThread,
    /// The child died with SIGSYS inside this probe.
    KillProcess,
    /// The child died with another signal inside this probe.
    Died(i32),
    TimedOut,
    Skipped,
    /// The entry point faulted on an earlier probe; this one was not issued.
    EntryUnavailable,
    /// The overall time limit ran out first.
    NotReached,
}

pub struct Outcome {
    pub raw: Vec<Raw>,
    /// Facts worth reporting about how the probe went.
    pub notes: Vec<String>,
    /// Entry points that faulted (e.g. i386 with ia32 emulation disabled).
    pub unavailable_entries: Vec<Entry>,
}

/// Why notification probing could not run at all.
#[derive(Debug)]
pub struct Unavailable(pub String);

pub fn run(probes: &[RawProbe]) -> Result<Outcome, Unavailable> {
    run_plan(probes, false, MAX_WORKERS)
}

/// Whether the kernel serves each entry point: getpid through it is probed
/// and, when the policy allows it, let run for real (it changes nothing).
/// `Some(false)`: the kernel answered ENOSYS or the entry point faulted, so
/// no call through it can do anything whatever the policy says. `None`: the
/// policy answered first, or the check could not run.
pub fn entry_points_served(calls: &[RawProbe]) -> Vec<Option<bool>> {
    // One child: this is a handful of calls, and a second child would only
    // add its start-up latency.
    let Ok(out) = run_plan(calls, true, 1) else {
        return vec![None; calls.len()];
    };
    out.raw
        .iter()
        .map(|r| match *r {
            Raw::Returned { value, notified } if notified > 0 => {
                if value == -(libc::ENOSYS as i64) {
                    Some(false)
                } else {
                    Some(value > 0)
                }
            }
            Raw::EntryUnavailable => Some(false),
            _ => None,
        })
        .collect()
}

fn run_plan(
    probes: &[RawProbe],
    let_run: bool,
    max_workers: usize,
) -> Result<Outcome, Unavailable> {
    let filter = bpf::probe_filter(&super::abi::marker_addresses());
    self_check(&filter).map_err(Unavailable)?;
    let stack = ThreadStack::new().map_err(|e| Unavailable(format!("mmap: {e}")))?;
    let _sigchld = SigchldDefault::set();
    let cpus = allowed_cpus();
    let n = cpus.len().clamp(1, max_workers).min(probes.len().max(1));
    let mut workers = Vec::with_capacity(n);
    for (k, indices) in deal(probes.len(), n).into_iter().enumerate() {
        let shared =
            SharedPage::new(indices.len()).map_err(|e| Unavailable(format!("mmap: {e}")))?;
        workers.push(Worker {
            probes: indices.iter().map(|&i| probes[i]).collect(),
            indices,
            shared,
            next: 0,
            child: None,
            started_once: false,
            finished: false,
            cpu: cpus.get(k).copied(),
            last_progress: (usize::MAX, Instant::now()),
        });
    }
    let deadline = Instant::now() + TOTAL_LIMIT;
    let mut notes = Vec::new();
    let mut unavailable = Vec::new();
    let mut no_sync_wakeup = false;

    loop {
        // Start a child for every worker that needs one.
        for w in workers
            .iter_mut()
            .filter(|w| !w.finished && w.child.is_none())
        {
            if w.next >= w.probes.len() {
                w.finished = true;
                continue;
            }
            w.shared.header().reset(w.next);
            let ctx = ChildCtx {
                filter: &filter,
                probing: Probing {
                    page: &w.shared,
                    stack: &stack,
                    probes: &w.probes,
                },
                pin_cpu: w.cpu,
                start: w.next,
                let_run,
            };
            // SAFETY: whatami is single-threaded, and the child runs only
            // child_main, which uses nothing prepared after this point.
            let c = unsafe { disposable::spawn(|_| child::child_main(&ctx)) };
            w.child = Some(c.map_err(|e| Unavailable(format!("fork: {e}")))?);
            w.last_progress = (usize::MAX, Instant::now());
        }
        if workers.iter().all(|w| w.finished) {
            break;
        }
        if Instant::now() >= deadline {
            notes.push(format!("time limit of {}s reached", TOTAL_LIMIT.as_secs()));
            for w in &mut workers {
                if let Some(c) = w.child.take() {
                    c.kill_and_reap();
                }
                w.finished = true;
            }
            break;
        }
        let ended = wait_for_any(&mut workers, deadline);
        for i in ended {
            let w = &mut workers[i];
            let Some(c) = w.child.take() else { continue };
            let status = c.reap();
            let first = !w.started_once;
            w.started_once = true;
            match w.after_child(status, &mut unavailable) {
                Ok(Some(note)) => notes.push(note),
                Ok(None) => {}
                Err(why) if first => {
                    // Setup failed in a fresh child: notification probing is
                    // not available here. Stop every other child too.
                    for w in &mut workers {
                        if let Some(c) = w.child.take() {
                            c.kill_and_reap();
                        }
                    }
                    return Err(Unavailable(why));
                }
                Err(why) => {
                    notes.push(why);
                    w.finished = true;
                }
            }
            let h = w.shared.header();
            if h.stage.load(SeqCst) >= STAGE_PROBING && h.flags.load(SeqCst) & FLAG_SYNC_WAKEUP == 0
            {
                no_sync_wakeup = true;
            }
        }
    }
    if no_sync_wakeup {
        notes.push(
            "no SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP (kernel before 6.6): round trips are slower"
                .into(),
        );
    }
    let mismatches: u32 = workers
        .iter()
        .map(|w| w.shared.header().mismatches.load(SeqCst))
        .sum();
    if mismatches > 0 {
        notes.push(format!(
            "{mismatches} notifications did not match the probe in flight"
        ));
    }
    let mut raw = vec![Raw::NotReached; probes.len()];
    for w in &workers {
        let got = collect(&w.probes, &w.shared, w.next, &unavailable);
        for (&i, r) in w.indices.iter().zip(got) {
            raw[i] = r;
        }
    }
    Ok(Outcome {
        raw,
        notes,
        unavailable_entries: unavailable,
    })
}

/// Deals `len` probes to `n` children like cards, so each child gets an
/// equal share of every kind of probe (the i386 ones cost more) and keeps
/// the plan's order within its share.
fn deal(len: usize, n: usize) -> Vec<Vec<usize>> {
    let n = n.max(1);
    (0..n).map(|k| (k..len).step_by(n).collect()).collect()
}

fn self_check(filter: &[bpf::Insn]) -> Result<(), String> {
    let markers = super::abi::marker_addresses();
    let data = |ip| bpf::SeccompData {
        nr: 1,
        arch: 0,
        instruction_pointer: ip,
        args: [0; 6],
    };
    let bad = |what: &str| format!("internal error: the probe filter {what}");
    for m in markers {
        if bpf::evaluate(filter, &data(m)) != Ok(bpf::RET_USER_NOTIF) {
            return Err(bad("does not notify from its marker"));
        }
    }
    if bpf::evaluate(filter, &data(markers[0] ^ 0x10)) != Ok(bpf::RET_ALLOW) {
        return Err(bad("does not allow ordinary calls"));
    }
    Ok(())
}

/// Turns what a worker's shared page holds into one Raw per probe.
fn collect(
    probes: &[RawProbe],
    shared: &SharedPage,
    reached: usize,
    unavailable: &[Entry],
) -> Vec<Raw> {
    probes
        .iter()
        .zip(shared.slots())
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
                slot_kind::KILL_PROCESS => Raw::KillProcess,
                slot_kind::TIMED_OUT => Raw::TimedOut,
                slot_kind::DIED => Raw::Died(value as i32),
                slot_kind::ENTRY_UNAVAILABLE => Raw::EntryUnavailable,
                _ if unavailable.contains(&p.entry) => Raw::EntryUnavailable,
                _ if i >= reached => Raw::NotReached,
                _ => Raw::TimedOut,
            }
        })
        .collect()
}

/// A share of the plan and the child currently probing it.
struct Worker {
    /// Indexes into the plan of this worker's probes, in plan order.
    indices: Vec<usize>,
    probes: Vec<RawProbe>,
    shared: SharedPage,
    /// Next probe (index within `probes`) a new child starts at.
    next: usize,
    child: Option<Child>,
    started_once: bool,
    finished: bool,
    cpu: Option<usize>,
    /// (probe in flight, when it was first seen there).
    last_progress: (usize, Instant),
}

impl Worker {
    /// Reads how the child ended and decides where the next one starts.
    /// `Ok(note)`: go on (a note worth reporting, if any). `Err`: the child
    /// failed outside any probe; the message says where.
    fn after_child(
        &mut self,
        status: WaitStatus,
        unavailable: &mut Vec<Entry>,
    ) -> Result<Option<String>, String> {
        let probes = &self.probes;
        let h = self.shared.header();
        let cur = h.cur.load(SeqCst);
        let in_probe = h.state.load(SeqCst) == state::IN_PROBE;
        let probing = h.stage.load(SeqCst) >= STAGE_PROBING;
        let slot = self.shared.slots().get(cur);
        let mark = |k: u32, v: i64| {
            if let Some(s) = slot {
                s.value.store(v, SeqCst);
                s.kind.store(k, SeqCst);
            }
        };
        match status {
            WaitStatus::Exited(EXIT_DONE) if h.state.load(SeqCst) == state::DONE => {
                self.next = probes.len();
                self.finished = true;
                Ok(None)
            }
            WaitStatus::Exited(EXIT_STALLED) | WaitStatus::Killed if probing && in_probe => {
                mark(slot_kind::TIMED_OUT, 0);
                self.next = cur + 1;
                Ok(None)
            }
            WaitStatus::Signaled(libc::SIGSYS) if probing && in_probe => {
                mark(slot_kind::KILL_PROCESS, 0);
                self.next = cur + 1;
                Ok(None)
            }
            WaitStatus::Signaled(sig)
                if probing
                    && in_probe
                    && probes.get(cur).map(|p| p.entry) == Some(Entry::Int80)
                    && matches!(sig, libc::SIGSEGV | libc::SIGILL | libc::SIGBUS) =>
            {
                // No i386 entry point (ia32 emulation disabled or not built):
                // int $0x80 faults. Skip the rest of that block.
                mark(slot_kind::ENTRY_UNAVAILABLE, 0);
                let first_time = !unavailable.contains(&Entry::Int80);
                if first_time {
                    unavailable.push(Entry::Int80);
                }
                self.next = probes
                    .iter()
                    .enumerate()
                    .skip(cur)
                    .find(|(_, p)| p.entry != Entry::Int80)
                    .map_or(probes.len(), |(i, _)| i);
                Ok(first_time.then(|| {
                    format!("i386 entry point unavailable: int $0x80 raised signal {sig} (ia32 emulation disabled?)")
                }))
            }
            WaitStatus::Signaled(sig) if probing && in_probe => {
                mark(slot_kind::DIED, sig as i64);
                self.next = cur + 1;
                Ok(None)
            }
            status => Err(self.failure(status)),
        }
    }

    fn failure(&self, status: WaitStatus) -> String {
        let h = self.shared.header();
        let st = h.stage.load(SeqCst);
        let errno = h.setup_errno.load(SeqCst);
        let mut msg = format!("{} failed", stage::describe(st));
        match status {
            WaitStatus::Signaled(sig) => {
                msg.push_str(&format!(": the probe child was killed by signal {sig}"));
                if sig == libc::SIGSYS {
                    msg.push_str(" (the policy kills this call)");
                }
            }
            _ if errno != 0 => {
                msg.push_str(&format!(": {}", std::io::Error::from_raw_os_error(errno)));
                if errno == libc::EBUSY && st == stage::FILTER {
                    msg.push_str(" (a listener is already attached to this process's filters)");
                }
            }
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
}

/// Waits until at least one child ends (its pipe closes), killing children
/// that stopped making progress. Returns the indexes of the ended ones.
fn wait_for_any(workers: &mut [Worker], deadline: Instant) -> Vec<usize> {
    loop {
        let mut fds: Vec<libc::pollfd> = Vec::new();
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
        // Nothing ended: kill any child stuck on one probe for too long.
        for w in workers.iter_mut() {
            let cur = w.shared.header().cur.load(SeqCst);
            if cur != w.last_progress.0 {
                w.last_progress = (cur, Instant::now());
            } else if w.last_progress.1.elapsed() >= CHILD_STALL_LIMIT
                && let Some(c) = &mut w.child
            {
                c.kill();
            }
        }
    }
}

/// The CPUs whatami may run on.
fn allowed_cpus() -> Vec<usize> {
    // SAFETY: cpu_set_t is plain data; sched_getaffinity fills it.
    unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        if libc::sched_getaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &mut set) != 0 {
            return vec![0];
        }
        (0..libc::CPU_SETSIZE as usize)
            .filter(|&c| libc::CPU_ISSET(c, &set))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dealing_covers_every_probe_once_in_order() {
        for (len, n) in [(0, 1), (1, 2), (10, 3), (2082, 2), (2082, 4)] {
            let hands = deal(len, n);
            assert_eq!(hands.len(), n);
            let mut all: Vec<usize> = hands.iter().flatten().copied().collect();
            assert!(hands.iter().all(|h| h.windows(2).all(|w| w[0] < w[1])));
            all.sort();
            assert_eq!(all, (0..len).collect::<Vec<_>>());
            let sizes: Vec<usize> = hands.iter().map(Vec::len).collect();
            assert!(sizes.iter().max().unwrap() - sizes.iter().min().unwrap() <= 1);
        }
    }
}
