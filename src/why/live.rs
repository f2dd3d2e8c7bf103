//! What `why` learns from the live system around a trace, each a step of
//! its pipeline that hands its result to the explanation: the sysctls the
//! causes read, whatami's own tracer, the runtime in force, the policy's
//! verdict for every failing call (notification probing in disposable
//! children: nothing runs), which known profile the policy is (a probe of
//! the whole policy), and the static report.

use super::causes::SeccompAnswer;
use super::profile::ProfileKnowledge;
use super::report::{self, PolicyAnswers};
use crate::model::{Section, Verdict};
use crate::profile::compare;
use crate::profile::resolve::Process;
use crate::seccomp::{self, ExactCall, ProbeRequest};
use crate::trace::tracer::Failure;
use std::collections::HashMap;
use std::time::Instant;

/// The sysctls the causes read: user namespaces, ICMP sockets, io_uring,
/// Yama, low ports, perf, BPF, the kernel log, userfaultfd, protected links
/// and files, kexec and modules.
const SYSCTLS: [&str; 17] = [
    "user.max_user_namespaces",
    "kernel.unprivileged_userns_clone",
    "kernel.apparmor_restrict_unprivileged_userns",
    "net.ipv4.ping_group_range",
    "kernel.io_uring_disabled",
    "kernel.yama.ptrace_scope",
    "net.ipv4.ip_unprivileged_port_start",
    "kernel.perf_event_paranoid",
    "kernel.unprivileged_bpf_disabled",
    "kernel.dmesg_restrict",
    "vm.unprivileged_userfaultfd",
    "fs.protected_hardlinks",
    "fs.protected_fifos",
    "fs.protected_regular",
    "kernel.kexec_load_disabled",
    "kernel.modules_disabled",
    "kernel.io_uring_group",
];

pub fn sysctls() -> Vec<(String, String)> {
    SYSCTLS
        .iter()
        .filter_map(|k| {
            let path = format!("/proc/sys/{}", k.replace('.', "/"));
            crate::linux::io::read_file(path)
                .ok()
                .map(|v| (k.to_string(), v.trim().to_string()))
        })
        .collect()
}

/// whatami's own pid.
pub fn own_pid() -> libc::pid_t {
    std::process::id() as libc::pid_t
}

/// The pid of whatami's own tracer, 0 when none.
pub fn own_tracer() -> u32 {
    crate::linux::io::read_file(format!("/proc/{}/status", own_pid()))
        .ok()
        .and_then(|t| {
            crate::linux::status::ProcStatus::parse(&t)
                .tracer_pid()
                .ok()
        })
        .unwrap_or(0)
}

/// The runtime the report would name here, for the wording of fixes.
pub fn runtime() -> Option<String> {
    let root = crate::fsroot::Root::live();
    let shared = crate::inspect::Shared::read(&root);
    crate::inspect::runtime::detect(&root, &shared)
        .ok()
        .map(|r| r.name)
}

/// The report of the live system, as `whatami` would print it.
pub fn static_report() -> crate::model::Report {
    crate::report::build(&crate::report::Inputs::live(ProbeRequest::Auto))
}

/// The policy's answers for the failures that need one, asked together.
pub fn ask_policy(failures: &[Failure], filter: bool) -> PolicyAnswers {
    let calls = report::calls_to_ask(failures, filter);
    let started = Instant::now();
    if calls.is_empty() {
        return PolicyAnswers::default();
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
            let verdicts: HashMap<_, _> = calls
                .iter()
                .copied()
                .zip(v)
                .filter(|(_, (o, _))| o.verdict != Verdict::Unknown)
                .map(|(c, (o, _))| (c, o))
                .collect();
            PolicyAnswers {
                verdicts,
                note,
                asked: calls.len(),
                elapsed_us: started.elapsed().as_micros() as u64,
            }
        }
        Err(why) => PolicyAnswers {
            verdicts: HashMap::new(),
            note: Some(format!("the policy could not be asked: {why}")),
            asked: 0,
            elapsed_us: started.elapsed().as_micros() as u64,
        },
    }
}

/// The policy's answer for one call (the one that showed tracing refused).
pub fn ask_one(call: ExactCall) -> SeccompAnswer {
    match seccomp::verdicts(&[call]) {
        Ok(v) => match v.first() {
            Some((o, _)) if o.verdict != Verdict::Unknown => SeccompAnswer::Verdict(*o),
            Some((_, n)) => SeccompAnswer::NotAsked(n.clone().unwrap_or_default()),
            None => SeccompAnswer::NotAsked("no verdict".into()),
        },
        Err(why) => SeccompAnswer::NotAsked(why),
    }
}

/// Names the policy in force with a probe of its own (notification
/// probing, in disposable children: nothing runs), for a process with
/// bounding set `bounding`. Only worth it under a seccomp filter.
pub fn name_profile(bounding: u64) -> ProfileKnowledge {
    let started = Instant::now();
    let process = Process {
        caps: crate::linux::caps::names(bounding),
        kernel: crate::linux::kernel::version(),
    };
    match seccomp::probe(ProbeRequest::Notify) {
        Section::Ok(probe) => {
            let named = compare::name_policy(&probe, &process);
            ProfileKnowledge::from_naming(&named, process)
                .took(started.elapsed().as_micros() as u64)
        }
        Section::Failed { error } => ProfileKnowledge::unnamed(
            format!("the policy could not be probed: {error}"),
            started.elapsed().as_micros() as u64,
        ),
    }
}
