//! `whatami why --pid PID`: a running process attached to (trace/attach.rs),
//! followed for a while and explained as a command is, then let go; when
//! attaching is refused, the refused PTRACE_SEIZE explained by the cause
//! engine, with what is true of the process that the kernel checks (its
//! tracer, its uid, whether it is dumpable) first.

use super::causes::{Cause, Certainty, Kind};
use super::report::{Attached, WhyReport};
use super::{Before, live, own_call};
use crate::exit;
use crate::linux::caps::cap;
use crate::trace::attach::Target;
use crate::trace::evidence::Creds;
use crate::trace::session::{self, NotTraced, Traced};
use crate::trace::{decode, ptrace, tracer};
use std::path::Path;
use std::time::{Duration, Instant};

/// A process being attached to: what /proc showed of it first, and when.
pub(super) struct Attaching {
    target: Target,
    duration: Option<Duration>,
    started: Instant,
}

/// Attaches to `pid` for `duration` (or until its end or a signal of
/// whatami's) with the explanation begun: the process's command line, its
/// program, whether a filter applies to it.
pub(super) fn trace(
    pid: i32,
    duration: Option<Duration>,
) -> (WhyReport, Result<Traced, NotTraced>, Attaching) {
    let target = Target::read(pid);
    // A process without a filter can meet none; one whose mode cannot be
    // read may.
    let filter = target
        .creds
        .as_ref()
        .is_none_or(|c| c.seccomp_mode.as_deref() != Some("0"));
    let exe = target.exe.clone().unwrap_or_default();
    let mut report = WhyReport::begin(target.cmdline.clone(), Path::new(&exe), filter);
    report.pid = Some(pid);
    if target.exe.is_none() {
        report.program = None;
    }
    let started = Instant::now();
    let traced = if pid == live::own_pid() {
        Err(NotTraced::NotStarted("whatami cannot trace itself".into()))
    } else {
        session::trace_pid(pid, duration, filter, None)
    };
    let a = Attaching {
        target,
        duration,
        started,
    };
    (report, traced, a)
}

impl Attaching {
    /// How the tracing went.
    pub(super) fn attached(&self, traced: &Traced) -> Attached {
        let t = &traced.trace;
        let (ended_by, signal) = match (t.detached_on, t.ended) {
            (Some(libc::SIGALRM), _) => ("duration", None),
            (Some(s), _) => ("signal", Some(decode::signal(s as u64))),
            (None, Some(_)) => ("exit", None),
            (None, None) => ("error", None),
        };
        Attached {
            pid: self.target.pid,
            threads: traced.threads,
            duration_ms: self.duration.map(|d| d.as_millis() as u64),
            traced_ms: self.started.elapsed().as_millis() as u64,
            ended_by: ended_by.into(),
            signal,
            detached: t.undetached == 0,
            policy_may_differ: Vec::new(),
        }
    }

    /// The verdicts are whatami's policy's: when the process's may differ,
    /// the causes resting on one are lowered to likely, with the reason.
    /// Returns whatami's status: 0, the process was let go.
    pub(super) fn whose_policy(&self, report: &mut WhyReport, before: &Before) -> i32 {
        let reasons = if report.seccomp.filter {
            policy_differences(&self.target, before.own.as_ref())
        } else {
            Vec::new()
        };
        if !reasons.is_empty() {
            let why = format!(
                "the policy asked is whatami's; the process's may differ: {}",
                reasons.join("; ")
            );
            for f in &mut report.failures {
                for c in f.causes.iter_mut().filter(|c| c.kind == Kind::Seccomp) {
                    c.certainty = c.certainty.max(Certainty::Likely);
                    c.evidence.push(why.clone());
                }
            }
            report
                .notes
                .push(format!("{why} (what rests on it is at most likely)"));
        }
        if let Some(a) = report.attached.as_mut() {
            a.policy_may_differ = reasons;
        }
        i32::from(exit::OK)
    }

    /// PTRACE_SEIZE of the process failed with `errno`: the call
    /// explained, the process's own facts first.
    pub(super) fn refused(&self, report: &mut WhyReport, errno: i32, before: &Before) {
        let target = &self.target;
        let pid = target.pid;
        let result = crate::linux::errno::strace_result(errno as u32);
        if errno == libc::ESRCH {
            report.tracing.unavailable = Some(format!("no process {pid} here ({result})"));
            return;
        }
        let text = format!(
            "ptrace(PTRACE_SEIZE, {pid}, NULL, {})",
            ptrace::ATTACH_OPTIONS_TEXT
        );
        report.tracing.unavailable = Some(format!("cannot attach: {text} = {result}"));
        let args = [
            ptrace::PTRACE_SEIZE as u64,
            pid as u64,
            0,
            ptrace::ATTACH_OPTIONS,
            0,
            0,
        ];
        let how = tracer::How::Errno(errno as u32);
        let Some(mut r) = own_call("ptrace", args, text, how, before.filter, &before.ctx) else {
            return;
        };
        let own = before.own.as_ref();
        let mut first = target_causes(target, own, before.ctx.runtime.as_deref());
        if !first.is_empty() {
            // The process's own facts say why CAP_SYS_PTRACE is needed; the
            // engine's cause for it says only that it may be.
            let sys_ptrace = first.iter().any(|c| c.capability.is_some());
            r.causes
                .retain(|c| c.kind != Kind::Unknown && !(sys_ptrace && c.kind == Kind::Capability));
            first.append(&mut r.causes);
            r.causes = first;
            r.fix = r.causes[0].fix.clone();
        }
        report.tracing.refused = Some(Box::new(r));
    }
}

/// Why the process's seccomp policy may not be whatami's own, the one
/// asked: what /proc shows of both.
fn policy_differences(t: &Target, own: Option<&Creds>) -> Vec<String> {
    let mut out = Vec::new();
    let (Some(theirs), Some(own)) = (t.creds.as_ref(), own) else {
        out.push("its seccomp state cannot be read".into());
        return out;
    };
    let filters = |c: &Creds| match (c.seccomp_mode.as_deref(), c.seccomp_filters) {
        (Some("0"), _) => "no filter".to_string(),
        (_, Some(n)) => format!("{n} seccomp filter(s)"),
        (m, None) => format!("seccomp mode {}", m.unwrap_or("unknown")),
    };
    let (a, b) = (filters(theirs), filters(own));
    if a != b {
        out.push(format!("the process runs under {a}, whatami under {b}"));
    }
    if theirs.no_new_privs != own.no_new_privs {
        out.push(format!(
            "no_new_privs {} (whatami: {})",
            u8::from(theirs.no_new_privs),
            u8::from(own.no_new_privs)
        ));
    }
    let other: Vec<&str> = t
        .namespaces
        .iter()
        .filter(|(_, same)| !same)
        .map(|(n, _)| *n)
        .collect();
    if !other.is_empty() {
        out.push(format!(
            "it is in other namespaces ({}): another container",
            other.join(", ")
        ));
    }
    out
}

/// How the runtime in force lets a process trace another.
fn sys_ptrace_fix(runtime: Option<&str>) -> String {
    match runtime {
        Some("lxc" | "lxd" | "incus") => {
            "take sys_ptrace out of lxc.cap.drop".into()
        }
        Some("systemd-nspawn") => "systemd-nspawn --capability=CAP_SYS_PTRACE".into(),
        _ => "docker/podman run --pid container:TARGET --cap-add SYS_PTRACE; Kubernetes: kubectl debug --target=CONTAINER --profile=general".into(),
    }
}

fn cause(
    kind: Kind,
    certainty: Certainty,
    summary: String,
    evidence: Vec<String>,
    fix: String,
) -> Cause {
    Cause {
        kind,
        certainty,
        summary,
        evidence,
        fix: Some(fix),
        capability: None,
        in_bounding_set: None,
        sysctl: None,
        mount_point: None,
        path: None,
    }
}

/// What the kernel checks of the process before letting whatami (`own`)
/// attach, in its order: one tracer per process, the same user (all of its
/// uids and gids whatami's real ones), a dumpable process; the last two
/// unless whatami has CAP_SYS_PTRACE.
fn target_causes(t: &Target, own: Option<&Creds>, runtime: Option<&str>) -> Vec<Cause> {
    let pid = t.pid;
    let mut out = Vec::new();
    if let Some(tracer) = t.tracer.filter(|&p| p != 0) {
        out.push(cause(
            Kind::AlreadyTraced,
            Certainty::Exact,
            format!("process {pid} is traced already, by pid {tracer}: a process has one tracer"),
            vec![format!("TracerPid: {tracer} in /proc/{pid}/status")],
            format!("stop pid {tracer} first"),
        ));
        return out;
    }
    let (Some(own), Some(theirs)) = (own, t.creds.as_ref()) else {
        return out;
    };
    let has = own.has(cap::SYS_PTRACE);
    let uids = [theirs.uid.real, theirs.uid.effective, theirs.uid.saved];
    let gids = [theirs.gid.real, theirs.gid.effective, theirs.gid.saved];
    let with_cap = |what: String, ev: Vec<String>| {
        let mut c = cause(
            Kind::Capability,
            Certainty::Likely,
            format!("{what}: attaching needs CAP_SYS_PTRACE, which whatami lacks"),
            ev,
            sys_ptrace_fix(runtime),
        );
        c.capability = Some("CAP_SYS_PTRACE".into());
        c.in_bounding_set = Some(own.in_bounding(cap::SYS_PTRACE));
        c
    };
    if !has && (uids.iter().any(|&u| u != own.uid.real) || gids.iter().any(|&g| g != own.gid.real))
    {
        out.push(with_cap(
            format!("process {pid} is another user's"),
            vec![format!(
                "it runs as uid {}, whatami as uid {}",
                theirs.uid.effective, own.uid.real
            )],
        ));
    } else if !has && t.not_dumpable() == Some(true) {
        out.push(with_cap(
            format!("process {pid} is not dumpable"),
            vec![format!(
                "/proc/{pid} is root's, the process runs as uid {}",
                theirs.uid.effective
            )],
        ));
    }
    // The capability check of every kernel (commoncap): the tracer must
    // hold every capability the process may use.
    let more = theirs.permitted & !own.permitted;
    if !has && more != 0 {
        let names = crate::linux::caps::names(more);
        out.push(with_cap(
            format!(
                "process {pid} has capabilities whatami lacks ({})",
                names.join(", ")
            ),
            vec![format!(
                "{} of its permitted set are not whatami's",
                names.len()
            )],
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Ids;

    fn creds(uid: u32, caps: u64) -> Creds {
        let ids = |n| Ids {
            real: n,
            effective: n,
            saved: n,
            filesystem: n,
        };
        Creds {
            uid: ids(uid),
            gid: ids(uid),
            groups: Vec::new(),
            effective: caps,
            permitted: caps,
            inheritable: 0,
            bounding: caps,
            ambient: None,
            no_new_privs: false,
            seccomp_filters: None,
            seccomp_mode: Some("0".into()),
        }
    }

    fn target(uid: u32, owner: u32, tracer: u32) -> Target {
        Target {
            pid: 42,
            creds: Some(creds(uid, 0)),
            tracer: Some(tracer),
            proc_owner: Some(owner),
            ..Target::default()
        }
    }

    #[test]
    fn the_policy_may_differ_for_what_proc_shows_differently() {
        let mut own = creds(0, 0);
        own.seccomp_mode = Some("2".into());
        own.seccomp_filters = Some(1);
        let mut t = target(0, 0, 0);
        t.creds = Some(own.clone());
        t.namespaces = vec![("mnt", true), ("pid", true)];
        assert!(policy_differences(&t, Some(&own)).is_empty());
        let mut theirs = own.clone();
        theirs.seccomp_filters = Some(2);
        theirs.no_new_privs = true;
        t.creds = Some(theirs);
        t.namespaces = vec![("mnt", false), ("pid", true)];
        let r = policy_differences(&t, Some(&own));
        assert_eq!(r.len(), 3, "{r:?}");
        assert!(
            r[0].contains("2 seccomp filter(s), whatami under 1"),
            "{}",
            r[0]
        );
        assert!(r[2].contains("(mnt)"), "{}", r[2]);
    }

    #[test]
    fn a_tracer_already_there_is_named_first() {
        let c = target_causes(&target(0, 0, 7), Some(&creds(0, 0)), None);
        assert_eq!(c.len(), 1);
        assert_eq!(c[0].kind, Kind::AlreadyTraced);
        assert_eq!(c[0].certainty, Certainty::Exact);
        assert!(c[0].summary.contains("by pid 7"), "{}", c[0].summary);
    }

    #[test]
    fn another_users_process_needs_sys_ptrace() {
        let c = target_causes(&target(1000, 1000, 0), Some(&creds(0, 0)), None);
        assert_eq!(c.len(), 1);
        assert_eq!(c[0].capability.as_deref(), Some("CAP_SYS_PTRACE"));
        assert!(c[0].summary.contains("another user's"));
        assert!(c[0].fix.as_deref().unwrap().contains("SYS_PTRACE"));
        // With CAP_SYS_PTRACE the uid is no reason.
        let sys_ptrace = 1u64 << cap::SYS_PTRACE;
        assert!(
            target_causes(&target(1000, 1000, 0), Some(&creds(0, sys_ptrace)), None).is_empty()
        );
    }

    #[test]
    fn a_process_with_more_capabilities_needs_sys_ptrace() {
        let mut t = target(0, 0, 0);
        t.creds = Some(creds(0, 1 << cap::NET_ADMIN));
        let c = target_causes(&t, Some(&creds(0, 0)), None);
        assert_eq!(c.len(), 1);
        assert!(c[0].summary.contains("CAP_NET_ADMIN"), "{}", c[0].summary);
        // The same capabilities, or fewer: no reason.
        assert!(target_causes(&t, Some(&creds(0, 1 << cap::NET_ADMIN)), None).is_empty());
    }

    #[test]
    fn a_process_that_is_not_dumpable_is_told_by_its_proc_owner() {
        let c = target_causes(&target(1000, 0, 0), Some(&creds(1000, 0)), None);
        assert_eq!(c.len(), 1);
        assert!(c[0].summary.contains("not dumpable"), "{}", c[0].summary);
        // Same user, dumpable: nothing of the process's is in the way.
        assert!(target_causes(&target(1000, 1000, 0), Some(&creds(1000, 0)), None).is_empty());
    }
}
