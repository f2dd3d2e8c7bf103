//! The seccomp prober: learns the policy's verdict for every syscall without
//! running the syscalls, and turns what it saw into the report model.
//!
//! - asm.rs: the dedicated syscall instructions probes are issued from
//! - aarch32.rs / aarch32_program.rs: arm64's 32-bit ARM entry point, probed
//!   through a 32-bit program whatami carries
//! - bpf.rs: classic BPF, the prober's filter, an interpreter
//! - plan.rs: what to probe
//! - runtime.rs: what every probe child stands on after the fork
//! - supervisor.rs: a plan run over disposable children, whatami's side
//! - child.rs / notify.rs: notification probing (exact)
//! - harmless.rs / direct.rs / direct/child.rs: direct probing (the fallback:
//!   real calls with arguments the kernel rejects early, in disposable children)
//! - classify (here): raw observations to verdicts

#[cfg(target_arch = "aarch64")]
mod aarch32;
#[cfg(target_arch = "aarch64")]
mod aarch32_program;
mod asm;
pub(crate) mod bpf;
mod child;
mod direct;
pub(crate) mod harmless;
mod notify;
pub(crate) mod plan;
pub(crate) mod runtime;
mod supervisor;

use crate::linux::abi;
use crate::model::{
    AbiInfo, ArgProbe, Confidence, Outcome, Probe, ProbeMethod, Section, SyscallResult, Verdict,
};
use runtime::RawProbe;
use std::time::Instant;
use supervisor::Raw;

/// How to learn the policy's verdicts, as asked (`--probe`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProbeRequest {
    /// Notification probing, else direct probing, unless a seccomp
    /// supervisor (a listener already attached) would be sent its calls.
    Auto,
    /// Notification probing only (exact).
    Notify,
    /// Direct probing only (real calls the kernel rejects early).
    Direct,
    /// No probe.
    None,
}

/// Runs the probe the user asked for. A probe that was asked for and could
/// not run at all is a failed section (the report is then incomplete, exit
/// status 3), carrying the reason.
pub(crate) fn probe(choice: ProbeRequest) -> Section<Probe> {
    if choice == ProbeRequest::None {
        return Section::Ok(not_run("not requested (--probe none)"));
    }
    run_probe(choice).into()
}

fn run_probe(choice: ProbeRequest) -> Result<Probe, String> {
    let p = probe_native(choice)?;
    // arm64: the AArch32 entry point, which only a 32-bit program can enter.
    #[cfg(target_arch = "aarch64")]
    let p = aarch32::add_to(p);
    Ok(p)
}

/// What notification probing says when the kernel refuses it a listener
/// (EBUSY): a filter in force already has one, i.e. a seccomp supervisor
/// answers some of this process's calls.
pub(crate) const SUPERVISOR_ATTACHED: &str =
    " (a listener is already attached to this process's filters)";

fn probe_native(choice: ProbeRequest) -> Result<Probe, String> {
    let kernel = crate::linux::kernel::version();
    let started = Instant::now();
    if choice == ProbeRequest::Direct {
        return direct::probe(kernel, None, started);
    }
    let plan = plan::build(kernel);
    let leading = plan
        .iter()
        .take_while(|p| p.kind == plan::Kind::EntryCheck)
        .count();
    match notify::run(&raw_plan(&plan), leading) {
        Ok(run) => Ok(assemble(&plan, &run, started)),
        Err(supervisor::Unavailable(why)) => {
            let supervised = why.contains(SUPERVISOR_ATTACHED);
            let why = format!("notification probing unavailable: {why}");
            // A supervisor (LXD's syscall interception, sysbox, a seccomp
            // agent) may act on what it is sent: direct probing's calls
            // (sethostname, mount, init_module...) must not reach it unasked.
            if choice == ProbeRequest::Auto && supervised {
                Err(format!(
                    "{why}: a seccomp supervisor intercepts some of this process's calls, and \
                     direct probing would send it whatami's probe calls to act on; not probed \
                     (--probe direct probes anyway)"
                ))
            } else if choice == ProbeRequest::Auto {
                direct::probe(kernel, Some(why), started)
            } else {
                Err(why)
            }
        }
    }
}

// ------------------------------------------- the verdict for exact calls

/// One call to ask the policy about, exactly as a program made it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ExactCall {
    pub abi: &'static abi::Abi,
    /// The number, with the entry point's bit (x32).
    pub nr: u32,
    pub args: [u64; 6],
}

// Entry points are statics: the same one is the same address.
impl PartialEq for ExactCall {
    fn eq(&self, o: &Self) -> bool {
        std::ptr::eq(self.abi, o.abi) && self.nr == o.nr && self.args == o.args
    }
}

impl Eq for ExactCall {}

impl std::hash::Hash for ExactCall {
    fn hash<H: std::hash::Hasher>(&self, h: &mut H) {
        (self.abi as *const abi::Abi as usize, self.nr, self.args).hash(h);
    }
}

/// The policy's verdict for each call with exactly its arguments, learned
/// by notification probing in disposable children: nothing runs, whatever
/// the call. A verdict that could not be learned is `unknown`, with the
/// reason. `Err`: notification probing is unavailable here (the reason);
/// direct probing is no substitute, since it could only make these calls
/// for real.
pub(crate) fn verdicts(calls: &[ExactCall]) -> Result<Vec<(Outcome, Option<String>)>, String> {
    if calls.is_empty() {
        return Ok(Vec::new());
    }
    let kernel = crate::linux::kernel::version();
    let plan: Vec<RawProbe> = calls
        .iter()
        .map(|c| RawProbe {
            entry: c.abi.entry,
            abi: abi::index_of(c.abi),
            nr: c.nr,
            args: c.args,
            skip: abi::exempt(c.abi, c.nr & !c.abi.nr_bit, kernel).is_some(),
            let_run: false,
        })
        .collect();
    let run = notify::run(&plan, 0).map_err(|supervisor::Unavailable(why)| why)?;
    Ok(run
        .raw
        .iter()
        .map(|r| {
            let c = classify(
                *r,
                Some("the kernel runs this call without consulting seccomp"),
            );
            (c.outcome, c.note)
        })
        .collect())
}

/// A probe section that says why no probe ran.
pub(crate) fn not_run(why: &str) -> Probe {
    Probe {
        method: ProbeMethod::None,
        note: Some(why.to_string()),
        abis: Vec::new(),
        results: Vec::new(),
        arg_probes: Vec::new(),
        elapsed_us: 0,
        unlearned: 0,
    }
}

fn raw_plan(plan: &[plan::Probe]) -> Vec<RawProbe> {
    plan.iter()
        .map(|p| RawProbe {
            entry: p.abi.entry,
            abi: abi::index_of(p.abi),
            nr: p.nr,
            args: p.args,
            skip: p.skip.is_some(),
            let_run: p.kind == plan::Kind::EntryCheck,
        })
        .collect()
}

/// A classified observation.
struct Classified {
    outcome: Outcome,
    confidence: Confidence,
    note: Option<String>,
}

fn exact(verdict: Verdict, errno: Option<u32>, trap_data: Option<u32>) -> Classified {
    Classified {
        outcome: Outcome {
            verdict,
            errno,
            trap_data,
        },
        confidence: Confidence::Exact,
        note: None,
    }
}

fn unknown(note: String) -> Classified {
    Classified {
        outcome: Outcome {
            verdict: Verdict::Unknown,
            errno: None,
            trap_data: None,
        },
        confidence: Confidence::Exact,
        note: Some(note),
    }
}

/// Turns one notification-probe observation into a verdict.
///
/// Seccomp keeps the highest-precedence action of all stacked filters, and
/// the prober's own filter answers USER_NOTIF. So a notification means the
/// policy in force allows the call (ALLOW, LOG, or TRACE, all below
/// USER_NOTIF); an error without a notification is the policy's ERRNO; a
/// signal is its TRAP or KILL.
fn classify(raw: Raw, skip_reason: Option<&str>) -> Classified {
    match raw {
        Raw::Returned { value, notified } => match (value, notified) {
            (child::MAGIC, n) if n > 0 => exact(Verdict::Allowed, None, None),
            (v, 0) if (-crate::linux::errno::MAX_ERRNO..=0).contains(&v) => {
                exact(Verdict::Errno, Some((-v) as u32), None)
            }
            (v, n) => unknown(format!(
                "unexpected result: returned {v} after {n} notifications"
            )),
        },
        Raw::Trap(data) => exact(Verdict::Trap, None, Some(data)),
        Raw::KillThread => exact(Verdict::KillThread, None, None),
        Raw::KillProcess => exact(Verdict::KillProcess, None, None),
        Raw::Died(sig) => unknown(format!("the probe child died with signal {sig}")),
        Raw::Exited(code) => unknown(format!("the probe child exited with code {code}")),
        Raw::Unserved => unknown("the kernel does not serve this entry point".into()),
        Raw::TimedOut => unknown("no answer in time; the probe child was killed".into()),
        Raw::Skipped => Classified {
            note: skip_reason.map(str::to_string),
            ..exact(Verdict::Exempt, None, None)
        },
        Raw::EntryUnavailable => unknown("entry point unavailable".into()),
        Raw::NotReached => unknown("not probed: the time limit ran out first".into()),
    }
}

fn assemble(plan: &[plan::Probe], run: &supervisor::Run, started: Instant) -> Probe {
    let unserved = |a: &abi::Abi| run.unserved & (1u32 << abi::index_of(a)) != 0;
    let mut results: Vec<SyscallResult> = Vec::new();
    let mut arg_probes = Vec::new();
    // Index of each (abi, nr) sweep result, to attach the all-ones verdict.
    let mut native_index: Vec<Option<usize>> = Vec::new();
    let mut notes = run.notes.clone();
    for (p, raw) in plan.iter().zip(&run.raw) {
        // An entry point the kernel does not serve has no results: the
        // policy's verdict for it cannot matter, and it was not swept.
        if unserved(p.abi) {
            continue;
        }
        let c = classify(*raw, p.skip);
        match &p.kind {
            // Internal: its answer decides whether the entry point is served,
            // when the policy lets getpid through it. When it does not (it
            // kills or refuses it), the verdicts below are still the
            // policy's, but whether the kernel would run a call it allows
            // is not known, and the report must not imply it.
            plan::Kind::EntryCheck => {
                if !matches!(raw, Raw::Returned { notified, .. } if *notified > 0) {
                    notes.push(format!(
                        "{}: whether this kernel serves it could not be learned (the policy \
                         does not let getpid through it): its verdicts are the policy's, and \
                         a call it allows may still get ENOSYS from the kernel",
                        p.abi.name
                    ));
                }
            }
            plan::Kind::Sweep => {
                if std::ptr::eq(p.abi, abi::native()) {
                    let n = p.base_nr() as usize;
                    if native_index.len() <= n {
                        native_index.resize(n + 1, None);
                    }
                    native_index[n] = Some(results.len());
                }
                results.push(SyscallResult {
                    abi: p.abi.name.to_string(),
                    nr: p.nr,
                    name: p.abi.name(p.base_nr()).map(str::to_string),
                    verdict: c.outcome.verdict,
                    errno: c.outcome.errno,
                    trap_data: c.outcome.trap_data,
                    method: ProbeMethod::Notify,
                    confidence: c.confidence,
                    all_ones: None,
                    note: c.note,
                    direct: None,
                });
            }
            plan::Kind::AllOnes => {
                let idx = native_index.get(p.base_nr() as usize).copied().flatten();
                if let Some(r) = idx.and_then(|i| results.get_mut(i)) {
                    let zero = r.outcome();
                    let comparable = ![zero.verdict, c.outcome.verdict].contains(&Verdict::Unknown);
                    if comparable && zero != c.outcome {
                        r.all_ones = Some(c.outcome);
                    }
                }
            }
            plan::Kind::Arg { label, syscall } => arg_probes.push(ArgProbe {
                label: label.clone(),
                syscall: syscall.to_string(),
                abi: p.abi.name.to_string(),
                nr: p.nr,
                args: p.args.to_vec(),
                verdict: c.outcome.verdict,
                errno: c.outcome.errno,
                trap_data: c.outcome.trap_data,
                method: ProbeMethod::Notify,
                confidence: None,
                note: None,
                direct: None,
            }),
        }
    }
    let abis = abi::abis()
        .into_iter()
        .map(|a| {
            let probes = results.iter().filter(|r| r.abi == a.name).count() as u32;
            let note = if unserved(a) {
                Some(
                    "not served by this kernel (getpid through it gives ENOSYS): no call \
                     through it can run"
                        .to_string(),
                )
            } else if a.entry == abi::Entry::Int80 && run.int80_faulted {
                Some("not served by this kernel (int $0x80 faults: no ia32 emulation)".to_string())
            } else {
                None
            };
            AbiInfo {
                abi: a.name.to_string(),
                probed: note.is_none(),
                probes,
                all_ones_swept: note.is_none()
                    && plan
                        .iter()
                        .any(|p| p.kind == plan::Kind::AllOnes && std::ptr::eq(p.abi, a)),
                note,
            }
        })
        .collect();
    Probe {
        method: ProbeMethod::Notify,
        note: (!notes.is_empty()).then(|| notes.join("; ")),
        abis,
        results,
        arg_probes,
        elapsed_us: started.elapsed().as_micros() as u64,
        unlearned: run.raw.iter().filter(|r| r.lost()).count() as u32,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn returned(value: i64, notified: u32) -> Raw {
        Raw::Returned { value, notified }
    }

    #[test]
    fn a_notification_means_allowed() {
        let c = classify(returned(child::MAGIC, 1), None);
        assert_eq!(c.outcome.verdict, Verdict::Allowed);
        assert_eq!(c.confidence, Confidence::Exact);
    }

    #[test]
    fn an_error_without_notification_is_the_policys_errno() {
        let c = classify(returned(-38, 0), None);
        assert_eq!(
            (c.outcome.verdict, c.outcome.errno),
            (Verdict::Errno, Some(38))
        );
        // ERRNO(0): the call "succeeds" without running.
        let c = classify(returned(0, 0), None);
        assert_eq!(
            (c.outcome.verdict, c.outcome.errno),
            (Verdict::Errno, Some(0))
        );
    }

    #[test]
    fn inconsistent_observations_are_unknown_not_guessed() {
        for raw in [
            returned(child::MAGIC, 0),
            returned(-1, 1),
            returned(12345, 0),
        ] {
            let c = classify(raw, None);
            assert_eq!(c.outcome.verdict, Verdict::Unknown, "{raw:?}");
            assert!(c.note.is_some());
        }
    }

    #[test]
    fn skipped_probes_are_exempt_with_the_reason() {
        let c = classify(Raw::Skipped, Some("uretprobe"));
        assert_eq!(c.outcome.verdict, Verdict::Exempt);
        assert_eq!(c.note.as_deref(), Some("uretprobe"));
    }
}
