//! The explanation as data: what `whatami why --json` prints (docs/json.md)
//! and the human renderer reads, and how a trace becomes it: the policy is
//! asked about every failing call at once, each failure gets its causes,
//! and identical failures are merged.

use super::causes::{self, Cause, Context, SeccompAnswer};
use super::profile::{PolicyNaming, ProfileKnowledge, ProfileRule};
use crate::model::{Outcome, Verdict};
use crate::seccomp::{self, ExactCall};
use crate::trace::decode::Role;
use crate::trace::session::Exit;
use crate::trace::summary::{SyscallSummary, Totals};
use crate::trace::tracer::{Failure, How, Trace};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// Version of the `whatami why --json` contract.
pub const SCHEMA_VERSION: u32 = 1;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WhyReport {
    pub schema_version: u32,
    pub whatami_version: String,
    /// The command as given.
    pub command: Vec<String>,
    /// The program run (found in PATH), when it was found.
    pub program: Option<String>,
    /// Whether the command ran traced.
    pub traced: bool,
    /// How it was traced, or why it could not be.
    pub tracing: Tracing,
    /// How the command ended; absent when it did not run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exit: Option<Exit>,
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
    /// `-1 EPERM (Operation not permitted)`, `SIGSYS (seccomp trap)`, `killed by SIGSYS`.
    pub result: String,
    /// `errno`, `trap` or `killed`.
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

/// The policy's answers for the failures that need one, asked together.
fn ask_policy(
    failures: &[Failure],
    filter: bool,
) -> (HashMap<ExactCall, Outcome>, Option<String>, usize, u64) {
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
    let started = std::time::Instant::now();
    if calls.is_empty() {
        return (HashMap::new(), None, 0, 0);
    }
    match seccomp::verdicts(&calls) {
        Ok(v) => {
            let unknown: Vec<String> = v
                .iter()
                .filter(|(o, _)| o.verdict == Verdict::Unknown)
                .filter_map(|(_, n)| n.clone())
                .collect();
            let note = (!unknown.is_empty())
                .then(|| format!("{} call(s) got no verdict: {}", unknown.len(), unknown[0]));
            let map = calls
                .iter()
                .copied()
                .zip(v)
                .filter(|(_, (o, _))| o.verdict != Verdict::Unknown)
                .map(|(c, (o, _))| (c, o))
                .collect();
            (map, note, calls.len(), started.elapsed().as_micros() as u64)
        }
        Err(why) => (
            HashMap::new(),
            Some(format!("the policy could not be asked: {why}")),
            0,
            started.elapsed().as_micros() as u64,
        ),
    }
}

/// One failure with its causes.
pub fn explain_one(f: &Failure, answer: &SeccompAnswer, ctx: &Context) -> FailureReport {
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
    let fix = causes::fix(&f.call, errno, &causes, rule.as_ref());
    let (result, how) = match f.how {
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
/// was asked. `learn` names the profile in force; it is called once, and
/// only when the policy refused one of the calls.
pub fn explain_all(
    trace: &Trace,
    filter: bool,
    ctx: &Context,
    learn: impl FnOnce() -> ProfileKnowledge,
) -> (Vec<FailureReport>, SeccompAsked) {
    let (verdicts, note, asked, elapsed) = ask_policy(&trace.failures, filter);
    // The naming probes the whole policy: worth it only for a refusal to
    // explain, and only when whatami itself runs under the policy.
    let refused = filter
        && verdicts
            .values()
            .any(|o| !matches!(o.verdict, Verdict::Allowed | Verdict::Exempt));
    let learned;
    let ctx = if refused {
        learned = Context {
            profile: learn(),
            ..ctx.clone()
        };
        &learned
    } else {
        ctx
    };
    let mut order: Vec<&Failure> = trace.failures.iter().collect();
    order.sort_by_key(|f| f.seq);
    let mut out: Vec<FailureReport> = Vec::new();
    let mut merged: HashMap<(String, String), usize> = HashMap::new();
    for f in order {
        let answer = answer_for(f, filter, &verdicts, &note);
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
    (
        out,
        SeccompAsked {
            filter,
            calls_asked: asked,
            elapsed_us: elapsed,
            note,
            profile: ctx.profile.naming().cloned(),
        },
    )
}
