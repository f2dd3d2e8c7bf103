//! The explanation as data: what `whatami why --json` prints (docs/json.md)
//! and the human renderer reads, and how a trace becomes it: each failure
//! gets its causes, given the policy's answers (asked beforehand, all at
//! once, by live.rs), and identical failures are merged. Nothing here
//! probes or reads the system.

use super::causes::{self, Cause, Context, SeccompAnswer};
use super::profile::{PolicyNaming, ProfileRule};
use crate::model::{Outcome, Verdict};
use crate::seccomp::ExactCall;
use crate::trace::decode::Role;
use crate::trace::memory;
use crate::trace::netlink::Refused;
use crate::trace::rehearse::Rehearsal;
use crate::trace::session::Exit;
use crate::trace::summary::{SyscallSummary, Totals};
use crate::trace::tracer::{Failure, How, InfoMethod, Trace};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::path::Path;

/// Version of the `whatami why --json` contract.
pub(crate) const SCHEMA_VERSION: u32 = 1;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WhyReport {
    pub schema_version: u32,
    pub whatami_version: String,
    /// The command as given (with --pid: the process's command line).
    pub command: Vec<String>,
    /// With --pid: the running process traced (or that could not be).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pid: Option<i32>,
    /// The program run (found in PATH), when it was found.
    pub program: Option<String>,
    /// Whether the command ran traced.
    pub traced: bool,
    /// How it was traced, or why it could not be.
    pub tracing: Tracing,
    /// How the command ended; absent when it did not run (with --pid: when
    /// it did not end while traced).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exit: Option<Exit>,
    /// With --pid: the running process attached to, and how the tracing ended.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attached: Option<Attached>,
    /// The failing calls, in the order they first happened.
    pub failures: Vec<FailureReport>,
    /// How the seccomp policy was asked.
    pub seccomp: SeccompAsked,
    /// Calls, errors and time per syscall, most time first.
    pub summary: Vec<SyscallSummary>,
    pub totals: Totals,
    /// What the static report says about the command's likely failures
    /// (filled when the command could not be traced).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub likely: Vec<String>,
    pub notes: Vec<String>,
}

impl WhyReport {
    /// The explanation before anything is known of the command but its
    /// name, the program found for it, and whether a filter applies.
    pub(crate) fn begin(command: Vec<String>, program: &Path, filter: bool) -> WhyReport {
        WhyReport {
            schema_version: SCHEMA_VERSION,
            whatami_version: env!("CARGO_PKG_VERSION").to_string(),
            command,
            pid: None,
            program: Some(program.to_string_lossy().into_owned()),
            traced: false,
            tracing: Tracing {
                method: None,
                memory: None,
                unavailable: None,
                refused: None,
            },
            exit: None,
            attached: None,
            failures: Vec::new(),
            seccomp: SeccompAsked {
                filter,
                calls_asked: 0,
                elapsed_us: 0,
                note: None,
                profile: None,
            },
            summary: Vec::new(),
            totals: Totals::none(),
            likely: Vec::new(),
            notes: Vec::new(),
        }
    }
}

/// A running process traced for a while (`why --pid`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Attached {
    pub pid: i32,
    /// Threads seized when attaching (what they started later was followed too).
    pub threads: usize,
    /// The duration asked for (--for), in milliseconds.
    pub duration_ms: Option<u64>,
    /// How long it was traced, in milliseconds.
    pub traced_ms: u64,
    /// `duration`, `signal` (whatami got SIGINT, SIGTERM, SIGHUP or
    /// SIGQUIT: `signal` names it), `exit` (the process ended: `exit` of the
    /// report), or `error` (the tracer could not go on: see the notes).
    pub ended_by: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signal: Option<String>,
    /// Whether every tracee was let go (false: some did not stop in time
    /// and were let go by the kernel when whatami exited; see the notes).
    pub detached: bool,
    /// The policy asked about the failing calls is whatami's own: why the
    /// process's may differ (its seccomp filters, no_new_privs, namespaces
    /// as /proc shows them). Empty when they look the same; otherwise the
    /// causes that rest on a verdict are at most likely.
    pub policy_may_differ: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Tracing {
    /// `syscall_info` (PTRACE_GET_SYSCALL_INFO) or `registers`; null when not traced.
    pub method: Option<String>,
    /// `proc_mem` or `peek`; null when not traced.
    pub memory: Option<String>,
    /// Why tracing is impossible here.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unavailable: Option<String>,
    /// The call that showed it, explained like a failure of the command.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refused: Option<Box<FailureReport>>,
}

impl Tracing {
    /// How a command was traced, as the rehearsal found tracing may be done.
    pub(crate) fn of(r: &Rehearsal) -> Tracing {
        Tracing {
            method: Some(
                match r.info {
                    InfoMethod::SyscallInfo => "syscall_info",
                    InfoMethod::Registers => "registers",
                }
                .into(),
            ),
            memory: Some(
                match r.mem {
                    memory::Method::ProcMem => "proc_mem",
                    memory::Method::Peek => "peek",
                }
                .into(),
            ),
            unavailable: None,
            refused: None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PathReport {
    /// As the program gave it.
    pub path: String,
    /// Absolute, as the process saw it.
    pub absolute: Option<String>,
    pub role: Role,
    pub exists: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FailureReport {
    pub syscall: String,
    pub abi: String,
    pub nr: u32,
    pub args: Vec<u64>,
    /// The call as strace shows it, without the result.
    pub call: String,
    /// `-1 EPERM (Operation not permitted)`, `SIGSYS (seccomp trap)`,
    /// `killed by SIGSYS`, or for a netlink request the kernel refused in
    /// its ack `40 (sent); the NETLINK_ROUTE ack to RTM_NEWADDR: error=-EPERM (...)`.
    pub result: String,
    /// `errno`, `trap`, `killed` or `netlink_ack`.
    pub how: String,
    pub errno: Option<u32>,
    pub errno_name: Option<String>,
    /// How many times it failed so.
    pub count: u64,
    /// The processes it failed in (the first few).
    pub pids: Vec<i32>,
    /// The program the process ran, when known.
    pub program: Option<String>,
    pub paths: Vec<PathReport>,
    /// The policy's verdict for this exact call; null when no filter applies
    /// or it could not be asked.
    pub seccomp_verdict: Option<Outcome>,
    /// Most certain first; the first is the cause.
    pub causes: Vec<Cause>,
    pub fix: Option<String>,
    /// When the seccomp policy is the cause and is a known profile there:
    /// that profile and under which condition it would allow the call.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile: Option<ProfileRule>,
    /// The program recovered from every occurrence by itself: the same
    /// thread's next call was the older call it falls back to (`fallback`),
    /// and it succeeded. Listed after the real failures, with no fix.
    /// Written only when true.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub harmless: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fallback: Option<String>,
    /// When the call succeeded but the kernel refused the netlink request
    /// it carried, in its ack: the request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub netlink: Option<Refused>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SeccompAsked {
    /// Whether a filter applies to whatami (Seccomp: 2).
    pub filter: bool,
    /// Distinct calls the policy was asked about.
    pub calls_asked: usize,
    pub elapsed_us: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// Which profile the policy is, named as the report names it, when the
    /// policy refused a call.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile: Option<PolicyNaming>,
}

/// The policy's answers for the failing calls, asked together before
/// anything is explained (why/live.rs asks them).
#[derive(Debug, Clone, Default)]
pub(crate) struct PolicyAnswers {
    /// The verdict for each call asked about that got one.
    pub verdicts: HashMap<ExactCall, Outcome>,
    /// Why some calls got no verdict, or why none could be asked.
    pub note: Option<String>,
    /// Distinct calls asked about.
    pub asked: usize,
    pub elapsed_us: u64,
}

impl PolicyAnswers {
    /// Whether, under a filter, the policy refused one of the calls: only
    /// then is the profile in force worth naming.
    pub fn refused(&self, filter: bool) -> bool {
        filter
            && self
                .verdicts
                .values()
                .any(|o| !matches!(o.verdict, Verdict::Allowed | Verdict::Exempt))
    }
}

/// The calls among `failures` the policy is asked about: each distinct one
/// that a filter may have answered.
pub(crate) fn calls_to_ask(failures: &[Failure], filter: bool) -> Vec<ExactCall> {
    let mut calls: Vec<ExactCall> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for f in failures {
        if !(filter || f.own_filter) {
            continue;
        }
        let c = ExactCall {
            abi: f.call.abi,
            nr: f.call.nr,
            args: f.call.args,
        };
        if seen.insert(c) {
            calls.push(c);
        }
    }
    calls
}

/// One failure with its causes.
pub(crate) fn explain_one(f: &Failure, answer: &SeccompAnswer, ctx: &Context) -> FailureReport {
    let name = f.call.display_name();
    let rule = match answer {
        SeccompAnswer::Verdict(o) => ctx.profile.rule_for(&f.call, o),
        _ => None,
    };
    let causes = causes::explain(
        &causes::Input {
            call: &f.call,
            how: f.how,
            decoded: &f.decoded,
            snapshot: f.snapshot.as_ref(),
            exec: f.exec.as_ref(),
            own_filter: f.own_filter,
            target_traced: f.target_traced,
            seccomp: answer,
            profile: rule.as_ref(),
        },
        ctx,
    );
    // The rule belongs to the explanation only when the policy is the cause.
    let rule = rule.filter(|_| {
        causes.first().is_some_and(|c| {
            c.kind == causes::Kind::Seccomp && c.certainty == causes::Certainty::Exact
        })
    });
    let errno = match f.how {
        How::Errno(e) => Some(e),
        _ => None,
    };
    let harmless = f.recovered > 0 && f.recovered == f.count;
    let fix = causes::fix(&f.call, errno, &causes, rule.as_ref()).filter(|_| !harmless);
    let (result, how) = match f.how {
        How::Errno(_) if let Some(n) = &f.decoded.netlink => (n.result(), "netlink_ack"),
        How::Errno(e) => (crate::linux::errno::strace_result(e), "errno"),
        How::Trap(d) => (format!("SIGSYS (seccomp trap, data {d})"), "trap"),
        How::Killed => ("killed by SIGSYS".to_string(), "killed"),
    };
    let paths = f
        .snapshot
        .as_ref()
        .map(|s| {
            s.paths
                .iter()
                .map(|p| PathReport {
                    path: p.arg.path.clone(),
                    absolute: p.absolute.clone(),
                    role: p.arg.role,
                    exists: p.exists,
                })
                .collect()
        })
        .unwrap_or_else(|| {
            f.decoded
                .paths
                .iter()
                .map(|p| PathReport {
                    path: p.path.clone(),
                    absolute: None,
                    role: p.role,
                    exists: false,
                })
                .collect()
        });
    FailureReport {
        syscall: name,
        abi: f.call.abi.name.to_string(),
        nr: f.call.nr,
        args: f.call.args.to_vec(),
        call: f.decoded.text.clone(),
        result,
        how: how.into(),
        errno,
        errno_name: errno.map(crate::linux::errno::name),
        count: f.count,
        pids: f.pids.clone(),
        program: f.snapshot.as_ref().and_then(|s| s.exe.clone()),
        paths,
        seccomp_verdict: match answer {
            SeccompAnswer::Verdict(o) => Some(*o),
            _ => None,
        },
        causes,
        fix,
        profile: rule,
        harmless,
        fallback: f.fallback.map(str::to_string),
        netlink: f.decoded.netlink.clone(),
    }
}

/// The policy's answer for one call, from what was asked.
fn answer_for(
    f: &Failure,
    filter: bool,
    verdicts: &HashMap<ExactCall, Outcome>,
    note: &Option<String>,
) -> SeccompAnswer {
    if !(filter || f.own_filter) {
        return SeccompAnswer::NoFilter;
    }
    let c = ExactCall {
        abi: f.call.abi,
        nr: f.call.nr,
        args: f.call.args,
    };
    match verdicts.get(&c) {
        Some(o) => SeccompAnswer::Verdict(*o),
        None => SeccompAnswer::NotAsked(
            note.clone()
                .unwrap_or_else(|| "the policy gave no verdict for this call".into()),
        ),
    }
}

/// The failures worth showing, explained and merged, and how the policy
/// was asked (`answers`); `ctx` names the profile in force when the policy
/// refused one of the calls.
pub(crate) fn explain_all(
    trace: &Trace,
    filter: bool,
    ctx: &Context,
    answers: &PolicyAnswers,
) -> (Vec<FailureReport>, SeccompAsked) {
    let PolicyAnswers {
        verdicts,
        note,
        asked,
        elapsed_us,
    } = answers;
    let mut order: Vec<&Failure> = trace.failures.iter().collect();
    crate::sort::sort_by_key(&mut order, |f| f.seq);
    let mut out: Vec<FailureReport> = Vec::new();
    let mut merged: HashMap<(String, String), usize> = HashMap::new();
    for f in order {
        let answer = answer_for(f, filter, verdicts, note);
        // A death by SIGSYS is the policy's only if it kills that call.
        if f.how == How::Killed {
            let confirmed = match &answer {
                SeccompAnswer::Verdict(o) => {
                    matches!(o.verdict, Verdict::KillProcess | Verdict::KillThread)
                }
                SeccompAnswer::NotAsked(_) => true,
                SeccompAnswer::NoFilter => false,
            };
            if !confirmed {
                continue;
            }
        }
        // An errno outside the usual ones is shown only when the policy
        // confirms it produced it.
        if !f.listed {
            let confirmed = matches!((&answer, f.how), (SeccompAnswer::Verdict(o), How::Errno(e))
                if o.verdict == Verdict::Errno && o.errno == Some(e));
            if !confirmed {
                continue;
            }
        }
        let r = explain_one(f, &answer, ctx);
        let key = (format!("{} {}", r.abi, r.call), r.result.clone());
        if let Some(&i) = merged.get(&key) {
            let m: &mut FailureReport = &mut out[i];
            m.count += r.count;
            if m.harmless && !r.harmless {
                m.harmless = false;
                m.fix = r.fix;
            }
            for p in r.pids {
                if m.pids.len() < 8 && !m.pids.contains(&p) {
                    m.pids.push(p);
                }
            }
            continue;
        }
        merged.insert(key, out.len());
        out.push(r);
    }
    // The failures the program recovered from come after the real ones.
    crate::sort::sort_by_key(&mut out, |r| r.harmless);
    (
        out,
        SeccompAsked {
            filter,
            calls_asked: *asked,
            elapsed_us: *elapsed_us,
            note: note.clone(),
            profile: ctx.profile.naming().cloned(),
        },
    )
}
