//! The causes of one failure, each with its evidence and a fix, weighed in
//! this order: the seccomp policy (its own answer to the exact call, which
//! is authoritative), a missing capability (and why it is missing: a user
//! namespace, no_new_privs, a nosuid mount, or whatami's own tracing), an
//! executable's file capabilities beyond the bounding set, a read-only or
//! noexec mount, file permissions, sysctl and user-namespace limits, then
//! an active LSM when nothing else explains it, and "unknown" last.
//!
//! Pure: everything was read when the call failed (evidence.rs) or once
//! afterwards (the policy's verdicts, the sysctls, the name of the profile
//! in force and its rule for the call, profile.rs); nothing here does I/O,
//! so every rule is tested on made-up facts.

use super::captable::{self, Need, Scope};
use super::profile::{ProfileKnowledge, ProfileRule};
use crate::linux::caps::cap;
use crate::linux::errno::{EACCES, EAFNOSUPPORT, ENOSPC, ENOSYS, EPERM, EROFS, EUSERS};
use crate::linux::stat::FileStat;
use crate::model::{Outcome, Verdict};
use crate::trace::decode::{self, Decoded, Role};
use crate::trace::evidence::{Creds, PathEvidence, PrivilegedExec, Snapshot};
use crate::trace::structs;
use crate::trace::tracer::{Call, How};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// What the seccomp policy says about the exact call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SeccompAnswer {
    /// No filter applies: neither whatami nor the command has one.
    NoFilter,
    /// The policy's verdict for this call with these arguments.
    Verdict(Outcome),
    /// The policy could not be asked; the reason.
    NotAsked(String),
}

/// What kind of cause.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Seccomp,
    /// A seccomp filter the command installed itself (not the one probed).
    OwnSeccompFilter,
    /// The program lost the privileges of its set-user-ID bit or file
    /// capabilities: no_new_privs...
    NoNewPrivs,
    /// ... a nosuid mount ...
    Nosuid,
    /// ... or whatami's tracing without CAP_SYS_PTRACE.
    Tracing,
    Capability,
    /// The capability is held, but counts only in the host's user namespace.
    UserNamespace,
    /// execve refused: the file's capabilities exceed the bounding set.
    ExecCapabilities,
    ReadOnlyMount,
    NoexecMount,
    FilePermissions,
    StickyDirectory,
    Sysctl,
    /// ptrace of a process that whatami already traces.
    AlreadyTraced,
    Lsm,
    /// The kernel lacks the call or the address family.
    Kernel,
    Unknown,
}

/// How sure a cause is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Certainty {
    /// The kernel's own answer: the policy's verdict, a read-only mount for
    /// EROFS, mode bits that deny, a sysctl that forbids.
    Exact,
    /// The kernel checks this and the process fails the check.
    Likely,
    /// It could be; nothing more specific was found.
    Possible,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cause {
    pub kind: Kind,
    pub certainty: Certainty,
    /// The cause in plain words.
    pub summary: String,
    /// The facts it rests on.
    pub evidence: Vec<String>,
    /// What would change the outcome.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fix: Option<String>,
    /// The capability concerned (`CAP_SYS_TIME`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub capability: Option<String>,
    /// Whether that capability is in the bounding set: adding it to the
    /// container is needed (false) or the process could gain it (true).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub in_bounding_set: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sysctl: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mount_point: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
}

impl Cause {
    fn new(kind: Kind, certainty: Certainty, summary: impl Into<String>) -> Cause {
        Cause {
            kind,
            certainty,
            summary: summary.into(),
            evidence: Vec::new(),
            fix: None,
            capability: None,
            in_bounding_set: None,
            sysctl: None,
            mount_point: None,
            path: None,
        }
    }

    fn ev(mut self, e: impl Into<String>) -> Cause {
        self.evidence.push(e.into());
        self
    }

    fn fix(mut self, f: impl Into<String>) -> Cause {
        self.fix = Some(f.into());
        self
    }
}

/// One failure, as the causes see it.
pub struct Input<'a> {
    pub call: &'a Call,
    pub how: How,
    pub decoded: &'a Decoded,
    pub snapshot: Option<&'a Snapshot>,
    pub exec: Option<&'a PrivilegedExec>,
    pub own_filter: bool,
    pub target_traced: bool,
    pub seccomp: &'a SeccompAnswer,
    /// The named profile's rule for this call, when the policy refused it
    /// and is a known profile there.
    pub profile: Option<&'a ProfileRule>,
}

/// What holds for every failure.
#[derive(Debug, Clone, Default)]
pub struct Context {
    /// Sysctl values by dotted name ("net.ipv4.ping_group_range").
    pub sysctls: BTreeMap<String, String>,
    /// Whether whatami (the tracer) holds CAP_SYS_PTRACE.
    pub tracer_sys_ptrace: bool,
    pub profile: ProfileKnowledge,
    /// The runtime the report names ("lxc", "systemd-nspawn"...), for the
    /// way a fix is written.
    pub runtime: Option<String>,
    /// The command whatami runs, as given: the value a sysctl command
    /// meant to write (`net.ipv4.ip_forward=1`) is in its arguments.
    pub command: Vec<String>,
}

impl Context {
    fn sysctl(&self, name: &str) -> Option<&str> {
        self.sysctls.get(name).map(|s| s.trim())
    }

    fn sysctl_int(&self, name: &str) -> Option<i64> {
        self.sysctl(name).and_then(|v| v.parse().ok())
    }
}

/// Whether perf_event_open and bpf, with these arguments and the sysctls in
/// force, reach the kernel's privileged check (true when unknown): a
/// process may count its own user-space events, and create the common maps
/// and socket filters when unprivileged BPF is allowed.
fn privileged_use(name: &str, i: &Input, ctx: &Context) -> bool {
    match name {
        "perf_event_open" => {
            let Some(p) = ctx.sysctl_int("kernel.perf_event_paranoid") else {
                return true;
            };
            let cpu_wide = i.call.args[1] as u32 as i32 == -1;
            let kernel = i.decoded.perf.is_none_or(|a| !a.exclude_kernel);
            // 3 and above: Debian's and Android's "no unprivileged use".
            p >= 3 || (kernel && p >= 2) || (cpu_wide && p >= 1)
        }
        "bpf" => {
            if ctx.sysctl_int("kernel.unprivileged_bpf_disabled") != Some(0) {
                return true;
            }
            let ty = i.decoded.bpf_type;
            match i.call.args[0] as u32 {
                // map_create's types open to everyone.
                structs::BPF_MAP_CREATE => {
                    !ty.is_some_and(|t| matches!(t, 1..=6 | 8 | 12 | 13 | 19 | 21 | 27))
                }
                structs::BPF_PROG_LOAD => !ty.is_some_and(|t| {
                    t == structs::BPF_PROG_TYPE_SOCKET_FILTER
                        || t == structs::BPF_PROG_TYPE_CGROUP_SKB
                }),
                _ => true,
            }
        }
        _ => true,
    }
}

/// capset asks for capabilities beyond the permitted set: the first of
/// them is the one the process lacks (CAP_SETPCAP only widens the
/// inheritable set, within the bounding set).
fn capset_need(name: &str, d: &Decoded, creds: Option<&Creds>) -> Option<Need> {
    if name != "capset" {
        return None;
    }
    let (asked, c) = (d.capset?, creds?);
    let beyond = (asked.permitted | asked.effective) & !c.permitted;
    let cap = (0..64u8).find(|b| beyond & (1u64 << b) != 0)?;
    Some(Need {
        cap,
        scope: Scope::Namespace,
        what: "raise it into its sets (capset cannot go beyond the permitted set)",
        when: None,
        or: None,
    })
}

/// The capabilities a Docker engine older than 23.0 rejects ("unknown
/// capability"), which CAP_SYS_ADMIN grants too.
fn docker_lacks(short: &str) -> bool {
    matches!(short, "BPF" | "PERFMON" | "CHECKPOINT_RESTORE")
}

/// How the runtime in force is told to give a container a capability.
fn add_capability(runtime: Option<&str>, capn: &str, short: &str) -> String {
    if docker_lacks(short) && !matches!(runtime, Some("lxc" | "lxd" | "incus" | "systemd-nspawn")) {
        return format!(
            "docker/podman run --cap-add {short} (Docker before 23.0 rejects it: --cap-add SYS_ADMIN grants it too); Kubernetes: securityContext.capabilities.add: [\"{short}\"]"
        );
    }
    match runtime {
        Some("lxc" | "lxd" | "incus") => format!(
            "LXC: take {} out of lxc.cap.drop, or list it in lxc.cap.keep; LXD and Incus: the same keys in raw.lxc",
            short.to_ascii_lowercase()
        ),
        Some("systemd-nspawn") => format!("systemd-nspawn --capability={capn}"),
        _ => format!(
            "docker/podman run --cap-add {short}; Kubernetes: securityContext.capabilities.add: [\"{short}\"]"
        ),
    }
}

fn cap_name(cap: u8) -> String {
    crate::linux::caps::name(cap)
}

fn oct(mode: u32) -> String {
    format!("{:04o}", mode & 0o7777)
}

/// The causes, most certain first, then in the order of the module doc.
pub fn explain(i: &Input, ctx: &Context) -> Vec<Cause> {
    let name = i.call.display_name();
    let name = name.as_str();
    let errno = match i.how {
        How::Errno(e) => Some(e),
        _ => None,
    };
    let creds = i.snapshot.and_then(|s| s.creds.as_ref());
    let mut out = Vec::new();

    // 1. The seccomp policy, asked about the exact call.
    let seccomp = seccomp_cause(i, name, ctx);
    let by_policy = seccomp.is_some();
    out.extend(seccomp);

    // 2. A capability the kernel checks (also when the policy refused the
    // call: the fix needs both).
    let need = capset_need(name, i.decoded, creds).or_else(|| {
        errno
            .and_then(|e| captable::needed(name, &i.call.args, i.decoded, e))
            .filter(|_| privileged_use(name, i, ctx))
            // A process traced by whatami already: the refusal is the tracer's.
            .filter(|_| !(name == "ptrace" && i.target_traced))
    });
    // Behind a policy refusal, a check that applies only in some cases
    // ("when the target is another user's") cannot be said to be next.
    if let (Some(need), Some(c), Some(e)) = (&need, creds, errno)
        && (e == EPERM || e == EACCES)
        && !(by_policy && need.when.is_some())
    {
        let mut found = capability_causes(i, need, c, ctx, name, by_policy);
        if i.decoded.netlink.is_some() {
            netlink_evidence(&mut found);
        }
        out.extend(found);
    }

    if !by_policy
        && matches!(errno, Some(EPERM | EACCES))
        && let (Some(e), Some(c)) = (i.exec, creds)
        && !out
            .iter()
            .any(|k| matches!(k.kind, Kind::NoNewPrivs | Kind::Nosuid | Kind::Tracing))
    {
        out.extend(identity_downgrade(e, c, ctx));
    }
    if !by_policy {
        match errno {
            Some(EROFS) => {
                out.push(read_only(i, ctx));
                out.extend(sysctl_capability(i, creds, ctx));
            }
            Some(EPERM | EACCES) if matches!(name, "execve" | "execveat") => {
                out.extend(exec_causes(i, creds));
            }
            Some(EPERM | EACCES) => out.extend(permission_causes(i, creds, ctx, name)),
            _ => {}
        }
        if i.target_traced && name == "ptrace" && errno == Some(EPERM) {
            out.push(
                Cause::new(
                    Kind::AlreadyTraced,
                    Certainty::Exact,
                    "the target is already traced, by whatami itself: a process has one tracer",
                )
                .fix("run the command without whatami to let it trace its own processes"),
            );
        }
    }
    // Sysctl and user-namespace limits: also after a policy refusal, for
    // what the next obstacle would be.
    if let Some(e) = errno {
        out.extend(limit_causes(i, creds, ctx, name, e));
    }

    if !by_policy && let Some(e) = errno {
        let allowed = match i.seccomp {
            SeccompAnswer::Verdict(o) => o.verdict == Verdict::Allowed,
            SeccompAnswer::NoFilter => true,
            SeccompAnswer::NotAsked(_) => false,
        };
        let native = std::ptr::eq(i.call.abi, crate::linux::abi::native());
        if allowed && e == ENOSYS && !native {
            let abi = i.call.abi.name;
            out.push(
                Cause::new(
                    Kind::Kernel,
                    Certainty::Likely,
                    format!("the kernel does not serve the {abi} entry point"),
                )
                .ev(format!("the seccomp policy lets {name} through the {abi} entry point, and the kernel answers ENOSYS"))
                .fix(format!("nothing to change in the container: the kernel was built without {abi} support (or it is off at boot); a program built for another ABI cannot run here")),
            );
        } else if allowed && e == ENOSYS {
            out.push(
                Cause::new(
                    Kind::Kernel,
                    Certainty::Likely,
                    format!("the kernel does not provide {name}"),
                )
                .ev("the seccomp policy lets the call through, and the kernel answers ENOSYS")
                .fix("nothing to change in the container: the kernel is older than the program expects, was built without the call, or is a sandbox kernel (gVisor); most programs fall back by themselves"),
            );
        }
        if allowed && e == EAFNOSUPPORT {
            let fam = if name == "socket" {
                decode::domain(i.call.args[0] & 0xffff)
            } else {
                "this address family".into()
            };
            out.push(
                Cause::new(
                    Kind::Kernel,
                    Certainty::Likely,
                    format!("the kernel offers no {fam} sockets here"),
                )
                .ev("the seccomp policy lets the call through, and the kernel answers EAFNOSUPPORT")
                .fix(format!("the host's kernel must have {fam} support built in or its module loaded (a container cannot load modules)")),
            );
        }
    }

    let explained = out.iter().any(|c| c.certainty != Certainty::Possible);
    if !explained {
        match i.seccomp {
            SeccompAnswer::NotAsked(why) => out.push(
                Cause::new(
                    Kind::Seccomp,
                    Certainty::Possible,
                    "the seccomp policy may refuse this call; it could not be asked",
                )
                .ev(why.clone()),
            ),
            SeccompAnswer::Verdict(o) if o.verdict == Verdict::Allowed && i.own_filter => out.push(
                Cause::new(
                    Kind::OwnSeccompFilter,
                    Certainty::Possible,
                    "the command installed a seccomp filter of its own, which may refuse this call",
                )
                .ev("the policy whatami runs under allows the call; the command's own filter was not asked"),
            ),
            _ => {}
        }
        // Immutable and append-only files refuse writes and removal with
        // EPERM even to their owner (reading the flag would take an ioctl).
        let modifies = i.snapshot.is_some_and(|s| {
            s.paths.iter().any(|p| {
                p.exists
                    && matches!(
                        p.arg.role,
                        Role::Write | Role::ReadWrite | Role::Remove | Role::Attributes
                    )
            })
        });
        let special = i
            .snapshot
            .and_then(|s| s.paths.iter().find_map(|p| p.mount.as_ref()))
            .filter(|m| {
                matches!(
                    m.fs_type.as_str(),
                    "proc"
                        | "sysfs"
                        | "cgroup"
                        | "cgroup2"
                        | "devpts"
                        | "securityfs"
                        | "debugfs"
                        | "tracefs"
                        | "bpf"
                        | "configfs"
                        | "efivarfs"
                )
            });
        if let (Some(EPERM | EACCES), Some(m)) = (errno, special) {
            out.push(
                Cause::new(
                    Kind::FilePermissions,
                    Certainty::Possible,
                    format!("{} is a {} file system, whose files refuse most changes whatever their mode", m.mount_point, m.fs_type),
                )
                .ev(format!("{} is mounted from {} ({})", m.mount_point, m.source, m.fs_type)),
            );
        } else if errno == Some(EPERM) && modifies {
            out.push(
                Cause::new(
                    Kind::FilePermissions,
                    Certainty::Possible,
                    "the file may be immutable or append-only (chattr +i or +a), which refuses this with EPERM even to its owner and to root",
                )
                .fix("lsattr shows the flag; chattr -i (-a) removes it, with CAP_LINUX_IMMUTABLE"),
            );
        }
        if let Some(label) = i.snapshot.and_then(|s| s.lsm.confining())
            && matches!(errno, Some(EPERM | EACCES))
        {
            out.push(
                Cause::new(
                    Kind::Lsm,
                    Certainty::Possible,
                    format!("the {label} may deny it: nothing else whatami checks explains it"),
                )
                .ev(format!("the process runs under {label}"))
                .fix("look for the denial in the kernel log (apparmor=\"DENIED\", avc: denied); to confirm, run once with the LSM profile relaxed (--security-opt apparmor=unconfined or label=disable)"),
            );
        }
    }
    if out.is_empty() {
        out.push(Cause::new(
            Kind::Unknown,
            Certainty::Possible,
            "nothing whatami checks explains this failure",
        ));
    }
    // Most certain first; among equals, the order above.
    crate::sort::sort_by_key(&mut out, |c| (c.certainty, c.kind));
    out.dedup_by(|a, b| a.kind == b.kind && a.summary == b.summary);
    out
}

fn seccomp_cause(i: &Input, name: &str, ctx: &Context) -> Option<Cause> {
    let SeccompAnswer::Verdict(o) = i.seccomp else {
        return None;
    };
    let ask = "asked the policy about this call with these arguments; nothing ran";
    // Which profile gave that answer: the naming's evidence, once the named
    // profile is known to answer this call as the policy did.
    let named = i.profile.zip(ctx.profile.naming()).map(|(_, n)| {
        let score = n
            .score
            .map(|s| {
                format!(
                    ": {:.1}% of {} probes answered as it expects",
                    s * 100.0,
                    n.compared
                )
            })
            .unwrap_or_default();
        format!(
            "the policy in force is {}{score}, this call included",
            n.summary
        )
    });
    let c = match (i.how, o.verdict) {
        (How::Errno(e), Verdict::Errno) if o.errno == Some(e) => Cause::new(
            Kind::Seccomp,
            Certainty::Exact,
            format!(
                "the seccomp policy refuses it: it answers {} to {name} with these arguments",
                crate::linux::errno::name(e)
            ),
        )
        .ev(ask),
        (How::Trap(_), Verdict::Trap) => Cause::new(
            Kind::Seccomp,
            Certainty::Exact,
            format!("the seccomp policy traps {name}: the process got SIGSYS instead of a result"),
        )
        .ev(ask),
        (How::Killed, Verdict::KillProcess | Verdict::KillThread) => Cause::new(
            Kind::Seccomp,
            Certainty::Exact,
            format!("the seccomp policy kills the caller of {name} (SIGSYS)"),
        )
        .ev(ask),
        _ => return None,
    };
    let c = match named {
        Some(n) => c.ev(n),
        None => c,
    };
    if i.own_filter {
        return Some(c.ev("the command also installed a filter of its own, which was not asked"));
    }
    Some(c)
}

/// What the policy's refusal means to change, with what the capability
/// table and the profile knowledge say.
fn seccomp_fix(
    name: &str,
    errno: Option<u32>,
    cap: Option<&Cause>,
    rule: Option<&ProfileRule>,
) -> String {
    if let Some(rule) = rule {
        // The kernel's own check comes next; a capability the process
        // could gain is added by the caller.
        let kernel = cap
            .filter(|c| c.in_bounding_set == Some(false))
            .and_then(|c| c.capability.as_deref());
        return format!(
            "blocked by the seccomp profile; {}",
            rule.sentence(name, errno, kernel)
        );
    }
    if errno == Some(ENOSYS) {
        return format!(
            "the profile answers ENOSYS, as runtimes do for calls their profile does not list (often calls newer than the profile): a newer runtime or profile, or one that lists {name}, allows it; most programs fall back by themselves"
        );
    }
    match cap.and_then(|c| c.capability.clone()) {
        Some(capname) => {
            let short = capname.trim_start_matches("CAP_");
            let old = if docker_lacks(short) {
                " (Docker before 23.0: --cap-add SYS_ADMIN)"
            } else {
                ""
            };
            format!(
                "blocked by the seccomp profile; {name} also needs {capname}. Profiles that allow {name} only to containers with {capname} (runtimes' default profiles are built that way) let it through once the container has it: run with --cap-add {short}{old}. Otherwise also allow {name} in a custom profile (--security-opt seccomp=PROFILE.json)"
            )
        }
        None => format!(
            "blocked by the seccomp profile: allow {name} in a custom profile (docker/podman run --security-opt seccomp=PROFILE.json; Kubernetes: a Localhost seccompProfile)"
        ),
    }
}

/// Why the kernel ran a privileged program without its privileges:
/// no_new_privs, a nosuid mount, or a tracer without CAP_SYS_PTRACE (in that
/// order: the first two hold without whatami too).
pub fn not_granted(exec: &PrivilegedExec, nnp: bool, tracer_sys_ptrace: bool) -> Option<Kind> {
    if nnp {
        Some(Kind::NoNewPrivs)
    } else if exec.mount.as_ref().is_some_and(|m| m.has_option("nosuid")) {
        Some(Kind::Nosuid)
    } else if !tracer_sys_ptrace {
        Some(Kind::Tracing)
    } else {
        None
    }
}

/// whatami itself runs under a tracer (pid `tracer`) that follows its
/// children (`whatami why -- whatami why ...`, `strace -f`): a process has
/// one tracer, so whatami cannot seize the command.
pub fn already_traced(tracer: u32) -> Cause {
    Cause {
        kind: Kind::AlreadyTraced,
        certainty: Certainty::Likely,
        summary: format!(
            "whatami itself runs traced (by pid {tracer}), and its tracer follows its children: a process has one tracer"
        ),
        evidence: vec![format!("TracerPid: {tracer} in whatami's status")],
        fix: Some(
            "run whatami why outside the other tracer, or let that tracer not follow forks".into(),
        ),
        capability: None,
        in_bounding_set: None,
        sysctl: None,
        mount_point: None,
        path: None,
    }
}

/// A note for a privileged program that ran without what it brings.
pub fn exec_note(exec: &PrivilegedExec, ctx: &Context) -> Option<String> {
    let lost = exec.lost()?;
    let nnp = exec.after.as_ref().is_some_and(|a| a.no_new_privs);
    let why = match not_granted(exec, nnp, ctx.tracer_sys_ptrace) {
        Some(Kind::NoNewPrivs) => "no_new_privs is set".to_string(),
        Some(Kind::Nosuid) => format!(
            "{} is mounted nosuid",
            exec.mount.as_ref().map_or("its mount", |m| m.mount_point.as_str())
        ),
        Some(_) => "whatami traced it without CAP_SYS_PTRACE, and the kernel does not grant privileges under such a tracer: untraced it would have them, so what fails after this exec may be whatami's doing".into(),
        None => "the bounding set or the process's own sets did not allow them".into(),
    };
    Some(format!("{} ran without {lost}: {why}", exec.exe))
}

/// Whether an executed program would have brought `cap`, and if the
/// process lacks it, why the kernel did not grant it.
fn downgrade(exec: &PrivilegedExec, cap: u8, c: &Creds, ctx: &Context) -> Option<Cause> {
    let bit = 1u64 << cap;
    let caps = exec.file_caps.filter(|f| f.permitted & bit != 0);
    // A set-user-ID-root program runs with the bounding set as its capabilities.
    let by_root = exec.setuid == Some(0) && c.bounding & bit != 0;
    if !(caps.is_some() || by_root) || c.has(cap) {
        return None;
    }
    let capn = cap_name(cap);
    let exe = &exec.exe;
    let (grant, what) = match caps {
        Some(f) => (
            format!("the file capability {capn} of {exe}"),
            format!(
                "{exe} has the file capabilities {}{}",
                crate::linux::caps::names(f.permitted).join(","),
                if f.effective {
                    " (effective bit set)"
                } else {
                    ""
                }
            ),
        ),
        None => (
            format!("the set-user-ID-root bit of {exe}"),
            format!("{exe} is set-user-ID, owned by root"),
        ),
    };
    let cause = match not_granted(exec, c.no_new_privs, ctx.tracer_sys_ptrace)? {
        Kind::NoNewPrivs => Cause::new(
            Kind::NoNewPrivs,
            Certainty::Exact,
            format!("no_new_privs is set, so the kernel ignored {grant}"),
        )
        .ev(what)
        .ev("NoNewPrivs: 1 in the process's status")
        .fix(format!("no_new_privs comes from --security-opt no-new-privileges, Kubernetes allowPrivilegeEscalation: false, or setpriv --no-new-privs: drop it, or give {capn} another way (run as root, or as an ambient capability)")),
        Kind::Nosuid => {
            let m = exec.mount.as_ref()?;
            Cause::new(
                Kind::Nosuid,
                Certainty::Exact,
                format!("{} is mounted nosuid, so the kernel ignored {grant}", m.mount_point),
            )
            .ev(what)
            .ev(format!("{} is mounted with {}", m.mount_point, m.options))
            .fix(format!("run the program from a mount without nosuid, or remount {} without it", m.mount_point))
        }
        _ => Cause::new(
            Kind::Tracing,
            Certainty::Likely,
            format!("whatami's own tracing: traced by a tracer without CAP_SYS_PTRACE, the kernel ignored {grant}"),
        )
        .ev(what)
        .ev("whatami lacks CAP_SYS_PTRACE")
        .fix(if c.uid.real == 0 {
            format!("untraced, the program would have {capn}; to trace it as it really runs, give whatami CAP_SYS_PTRACE (as root on the host, or --cap-add SYS_PTRACE)")
        } else {
            format!("untraced, the program would have {capn}; tracing it as it runs needs CAP_SYS_PTRACE, which uid {} cannot get: run whatami as root in a container given SYS_PTRACE", c.uid.real)
        }),
    };
    Some(cause)
}

/// A set-user-ID or set-group-ID program that runs without that identity:
/// file and credential checks then see the caller's.
fn identity_downgrade(exec: &PrivilegedExec, c: &Creds, ctx: &Context) -> Option<Cause> {
    let exe = &exec.exe;
    let (what, lost) = match (exec.setuid, exec.setgid) {
        (Some(u), _) if c.uid.effective != u => (
            format!("{exe} is set-user-ID (owner uid {u})"),
            format!("it runs as uid {} instead of uid {u}", c.uid.effective),
        ),
        (_, Some(g)) if c.gid.effective != g => (
            format!("{exe} is set-group-ID (group {g})"),
            format!("it runs with gid {} instead of gid {g}", c.gid.effective),
        ),
        _ => return None,
    };
    let (kind, certainty, why) = match not_granted(exec, c.no_new_privs, ctx.tracer_sys_ptrace)? {
        Kind::NoNewPrivs => (
            Kind::NoNewPrivs,
            Certainty::Exact,
            "no_new_privs is set".to_string(),
        ),
        Kind::Nosuid => (
            Kind::Nosuid,
            Certainty::Exact,
            format!("{} is mounted nosuid", exec.mount.as_ref()?.mount_point),
        ),
        _ => (
            Kind::Tracing,
            Certainty::Likely,
            "whatami traces it without CAP_SYS_PTRACE".to_string(),
        ),
    };
    Some(
        Cause::new(kind, certainty, format!("{why}, so the kernel ignored the set-ID bit: {lost}"))
            .ev(what)
            .fix(match kind {
                Kind::NoNewPrivs => "drop no_new_privs (--security-opt no-new-privileges, allowPrivilegeEscalation: false), or run the command as the identity it needs".to_string(),
                Kind::Nosuid => "run the program from a mount without nosuid".to_string(),
                _ => "untraced, the program would run with its set-ID identity; give whatami CAP_SYS_PTRACE to trace it as it really runs".to_string(),
            }),
    )
}

fn capability_causes(
    i: &Input,
    need: &Need,
    c: &Creds,
    ctx: &Context,
    name: &str,
    by_policy: bool,
) -> Vec<Cause> {
    let capn = cap_name(need.cap);
    let short = captable::short(need.cap);
    let private_userns = i.snapshot.and_then(|s| s.initial_userns) == Some(false);
    let mut out = Vec::new();
    if c.has(need.cap) || need.or.is_some_and(|o| c.has(o)) {
        if need.scope == Scope::Initial && private_userns && !by_policy {
            let mut k = Cause::new(
                Kind::UserNamespace,
                Certainty::Exact,
                format!("{name} needs {capn} in the host's user namespace; this process has it only in a private one"),
            )
            .ev(format!("the kernel checks {capn} against the initial user namespace ({})", need.what))
            .ev("the process's user namespace is not the host's")
            .fix(format!("no capability granted inside a user namespace (rootless containers, --userns, Kubernetes user namespaces) allows this: only a process in the host's user namespace with {capn} can {}", need.what));
            k.capability = Some(capn);
            out.push(k);
        }
        return out;
    }
    if let Some(d) = i.exec.and_then(|e| downgrade(e, need.cap, c, ctx)) {
        out.push(d);
    }
    let in_bnd = c.in_bounding(need.cap);
    let cond = need.when.map(|w| format!(" ({w})")).unwrap_or_default();
    let or = need
        .or
        .map(|o| format!(" (or {})", cap_name(o)))
        .unwrap_or_default();
    let mut k = Cause::new(
        Kind::Capability,
        Certainty::Likely,
        format!(
            "{name} needs {capn}{or} to {}{cond}; the process lacks it",
            need.what
        ),
    )
    .ev(format!("effective capabilities lack {capn}"))
    .ev(if in_bnd {
        format!("the bounding set has {capn}: the process could gain it")
    } else {
        format!("the bounding set lacks {capn}: no process here can gain it")
    });
    if name == "bind"
        && let Some(start) = ctx.sysctl_int("net.ipv4.ip_unprivileged_port_start")
    {
        let port = i.decoded.sockaddr.and_then(|s| s.1).unwrap_or(0);
        k = k.ev(format!(
            "net.ipv4.ip_unprivileged_port_start is {start}, and the port is {port}"
        ));
    }
    let host_only = need.scope == Scope::Initial && private_userns;
    if host_only {
        k = k.ev(format!(
            "{capn} counts only in the host's user namespace, and this process is in a private one"
        ));
    }
    let fix = if host_only {
        format!(
            "no capability granted inside a user namespace allows this: only a process in the host's user namespace with {capn} can {}",
            need.what
        )
    } else if !in_bnd {
        let mut f = format!(
            "start the container with {capn} ({})",
            add_capability(ctx.runtime.as_deref(), &capn, &short)
        );
        if c.uid.effective != 0 {
            f.push_str(&format!(", and run the command as root or give the program the capability (setcap, or an ambient capability): uid {} does not get it by itself", c.uid.effective));
        }
        f
    } else if c.uid.effective != 0 {
        let nnp = if c.no_new_privs {
            "; no_new_privs is set, so set-user-ID and file capabilities cannot bring it"
        } else {
            ""
        };
        format!(
            "the bounding set allows {capn}, but uid {} does not have it: run the command as root (docker run --user 0), or give the program the capability (setcap cap_{}+ep PROGRAM, or an ambient capability){nnp}",
            c.uid.effective,
            short.to_ascii_lowercase()
        )
    } else {
        format!(
            "the process runs as root but dropped {capn} from its effective set: whatever started it (setpriv, capsh, the program itself) took it away"
        )
    };
    // The port's floor is a sysctl of the container's network namespace,
    // which the runtime sets: no capability, no other user.
    let port = i.decoded.sockaddr.and_then(|s| s.1).unwrap_or(0);
    let tracing = matches!(
        name,
        "ptrace" | "process_vm_readv" | "process_vm_writev" | "kcmp" | "pidfd_getfd"
    );
    let fix = if let Some(u) = ulimit_fix(name, i) {
        u
    } else if tracing && c.uid.effective != 0 && !host_only {
        format!(
            "without CAP_SYS_PTRACE a process traces only its own user's processes: run the tracer as the target's user; Docker gives uid {} no capability it adds (podman does, as ambient ones)",
            c.uid.effective
        )
    } else if name == "bind" && port != 0 && !host_only {
        format!(
            "let everyone bind from port {port}: docker/podman run --sysctl net.ipv4.ip_unprivileged_port_start={port} (Kubernetes: securityContext.sysctls); or: {fix}"
        )
    } else {
        fix
    };
    if need.cap == cap::SYS_TIME {
        k = k.ev("the system clock is not namespaced: setting it sets the host's time");
    }
    k = k.fix(fix);
    k.capability = Some(capn);
    k.in_bounding_set = Some(in_bnd);
    out.push(k);
    out
}

/// The sysctl a path under /proc/sys is (`net.ipv4.ip_forward`).
fn sysctl_key(path: &str) -> Option<String> {
    let k = path.strip_prefix("/proc/sys/")?;
    (!k.is_empty()).then(|| k.trim_end_matches('/').replace('/', "."))
}

/// Whether a runtime can set `key` for one container (docker/podman
/// --sysctl, Kubernetes securityContext.sysctls): the sysctls of the
/// container's own IPC and network namespaces.
fn namespaced_sysctl(key: &str) -> bool {
    key.starts_with("net.")
        || key.starts_with("fs.mqueue.")
        || matches!(
            key,
            "kernel.msgmax"
                | "kernel.msgmnb"
                | "kernel.msgmni"
                | "kernel.sem"
                | "kernel.shmall"
                | "kernel.shmmax"
                | "kernel.shmmni"
                | "kernel.shm_rmid_forced"
        )
}

/// A write to a sysctl whose handler checks CAP_NET_ADMIN in the network
/// namespace's user namespace besides the file's mode (devinet_sysctl_forward:
/// IPv4 forwarding), when the process lacks it: what would refuse the write
/// once /proc/sys is writable.
fn sysctl_capability(i: &Input, creds: Option<&Creds>, ctx: &Context) -> Option<Cause> {
    let p = i.snapshot?.paths.first()?;
    let key = sysctl_key(p.absolute.as_deref()?)?;
    let forwarding = key == "net.ipv4.ip_forward"
        || (key.starts_with("net.ipv4.conf.") && key.ends_with(".forwarding"));
    let c = creds?;
    if !forwarding || c.has(cap::NET_ADMIN) {
        return None;
    }
    let in_bnd = c.in_bounding(cap::NET_ADMIN);
    let mut k = Cause::new(
        Kind::Capability,
        Certainty::Likely,
        format!("writing {key} also needs CAP_NET_ADMIN (its handler checks it), which the process lacks"),
    )
    .ev("effective capabilities lack CAP_NET_ADMIN")
    .fix(format!(
        "--sysctl needs neither; writing it from inside needs a writable /proc/sys and CAP_NET_ADMIN ({})",
        add_capability(ctx.runtime.as_deref(), "CAP_NET_ADMIN", "NET_ADMIN")
    ));
    k.capability = Some("CAP_NET_ADMIN".into());
    k.in_bounding_set = Some(in_bnd);
    Some(k)
}

/// The fix for a sysctl under a read-only /proc/sys: set by the runtime
/// when the container starts, if it is the container's own.
fn sysctl_fix(key: &str, ctx: &Context) -> String {
    if !namespaced_sysctl(key) {
        return format!(
            "{key} is not namespaced: it is the host's, set on the host (sysctl -w {key}=VALUE on the node), not from a container"
        );
    }
    let want = format!("{key}=");
    let value = ctx
        .command
        .iter()
        .find_map(|a| a.strip_prefix(&want))
        .filter(|v| !v.is_empty())
        .unwrap_or("VALUE");
    format!(
        "/proc/sys is read-only in containers; {key} is the container's own: have the runtime set it, docker/podman run --sysctl {key}={value} (Kubernetes: securityContext.sysctls; unsafe ones need the kubelet's --allowed-unsafe-sysctls)"
    )
}

/// setrlimit/prlimit64 raising a hard limit: the runtime sets the
/// container's limits when it starts (`--ulimit nofile=SOFT:HARD`), which
/// no capability inside is needed for.
fn ulimit_fix(name: &str, i: &Input) -> Option<String> {
    let res = match name {
        "setrlimit" => i.call.args[0],
        "prlimit64" => i.call.args[1],
        _ => return None,
    };
    let (cur, max) = i.decoded.rlimit?;
    let what = decode::scalar(
        name,
        if name == "setrlimit" { 0 } else { 1 },
        res,
        &i.call.args,
    )?
    .1;
    // A name from the decoder's table, ASCII: see captable::short on why
    // not to_lowercase.
    let key = what.strip_prefix("RLIMIT_")?.to_ascii_lowercase();
    let v = |x: u64| {
        if x == u64::MAX {
            "-1".to_string()
        } else {
            x.to_string()
        }
    };
    Some(format!(
        "raising a hard limit needs CAP_SYS_RESOURCE; have the runtime set it: docker/podman run --ulimit {key}={}:{}",
        v(cur),
        v(max)
    ))
}

/// The call succeeded; the kernel refused the request it carried: say so,
/// and where the capability is checked.
fn netlink_evidence(causes: &mut [Cause]) {
    for k in causes.iter_mut().filter(|k| k.kind == Kind::Capability) {
        k.evidence.insert(
            0,
            "the kernel refused the request in its netlink ack; it checks the capability in the user namespace that owns the network namespace".into(),
        );
    }
}

fn read_only(i: &Input, ctx: &Context) -> Cause {
    let p = i
        .snapshot
        .and_then(|s| s.paths.iter().find(|p| p.mount.is_some()));
    let Some((p, m)) = p.and_then(|p| p.mount.as_ref().map(|m| (p, m))) else {
        return Cause::new(
            Kind::ReadOnlyMount,
            Certainty::Exact,
            "the file is on a read-only file system",
        )
        .ev("EROFS is the kernel's answer to a write on a read-only mount")
        .fix("write somewhere that is mounted read-write (a volume, /tmp)");
    };
    let path = p.absolute.clone().unwrap_or_else(|| p.arg.path.clone());
    let (how, ev) = if m.has_option("ro") {
        (
            format!("{} is mounted read-only", m.mount_point),
            format!("mount options of {}: {}", m.mount_point, m.options),
        )
    } else if m.has_super_option("ro") {
        (
            format!("the file system at {} is read-only", m.mount_point),
            format!(
                "file system options ({} {}): {}",
                m.fs_type, m.source, m.super_options
            ),
        )
    } else {
        (
            format!("{} lies on the mount {}", path, m.mount_point),
            format!(
                "mount options of {}: {} (not ro now: remounted since?)",
                m.mount_point, m.options
            ),
        )
    };
    let mut c = Cause::new(Kind::ReadOnlyMount, Certainty::Exact, how)
        .ev(format!("{path} is on {} ({} from {})", m.mount_point, m.fs_type, m.source))
        .ev(ev)
        .fix(if let Some(key) = sysctl_key(&path).filter(|_| m.mount_point.starts_with("/proc")) {
            sysctl_fix(&key, ctx)
        } else if m.mount_point == "/" {
            "the root file system is read-only (docker run --read-only, Kubernetes readOnlyRootFilesystem): write to a volume or a tmpfs (--tmpfs /path), or drop the option".to_string()
        } else {
            format!("{} is mounted read-only (a :ro volume, or readOnly: true): write elsewhere, or mount it read-write", m.mount_point)
        });
    c.mount_point = Some(m.mount_point.clone());
    c.path = Some(path);
    c
}

/// Whether `want` (4 read, 2 write, 1 execute/search) is refused by the
/// mode bits and no DAC capability overrides them.
fn mode_denies(c: &Creds, st: &FileStat, want: u32) -> Option<&'static str> {
    let (bits, class) = if c.uid.filesystem == st.uid {
        ((st.mode >> 6) & 7, "owner")
    } else if c.gid.filesystem == st.gid || c.groups.contains(&st.gid) {
        ((st.mode >> 3) & 7, "group")
    } else {
        (st.mode & 7, "others")
    };
    let mut missing = want & !bits;
    if missing == 0 {
        return None;
    }
    let dir = st.is_dir();
    if c.has(cap::DAC_OVERRIDE) && (dir || missing & 1 == 0 || st.mode & 0o111 != 0) {
        return None;
    }
    if c.has(cap::DAC_READ_SEARCH) {
        missing &= if dir { !5 } else { !4 };
    }
    (missing != 0).then_some(class)
}

fn want_name(w: u32) -> &'static str {
    match w {
        1 => "search",
        2 => "write",
        3 => "write and search",
        4 => "read",
        6 => "read and write",
        _ => "use",
    }
}

fn who(c: &Creds) -> String {
    let groups: Vec<String> = c.groups.iter().map(u32::to_string).collect();
    format!(
        "the process runs as uid {}, gid {}{}",
        c.uid.filesystem,
        c.gid.filesystem,
        if groups.is_empty() {
            String::new()
        } else {
            format!(", groups {}", groups.join(","))
        }
    )
}

/// What the call wants on the target when it exists.
fn target_want(name: &str, args: &[u64; 6], role: Role) -> u32 {
    let acc = |f: u64| match f & 3 {
        0 if f & libc::O_TRUNC as u64 != 0 => 6,
        0 => 4,
        1 => 2,
        _ => 6,
    };
    match (name, role) {
        ("open", Role::Create) => acc(args[1]),
        ("openat", Role::Create) => acc(args[2]),
        ("creat", Role::Create) => 2,
        (_, Role::Read) => 4,
        (_, Role::Write) => 2,
        (_, Role::ReadWrite) => 6,
        (_, Role::Exec) => 1,
        _ => 0,
    }
}

/// The first place on the way to `p` where the mode bits refuse the call.
fn walk(
    p: &PathEvidence,
    c: &Creds,
    name: &str,
    args: &[u64; 6],
) -> Option<(String, FileStat, u32, &'static str)> {
    let existing: Vec<_> = p
        .chain
        .iter()
        .filter_map(|n| n.stat.map(|s| (n.path.clone(), s)))
        .collect();
    let dirs = if p.exists {
        &existing[..existing.len().saturating_sub(1)]
    } else {
        &existing[..]
    };
    for (path, st) in dirs {
        if let Some(class) = mode_denies(c, st, 1) {
            return Some((path.clone(), *st, 1, class));
        }
    }
    let role = p.arg.role;
    let parent = dirs.last();
    let needs_parent = match role {
        Role::Create => !p.exists,
        Role::Remove => true,
        _ => false,
    };
    // A missing directory above the target is ENOENT, not a permission.
    let direct_parent = p.chain.len() >= 2 && p.chain[p.chain.len() - 2].stat.is_some();
    if needs_parent
        && direct_parent
        && let Some((path, st)) = parent
        && let Some(class) = mode_denies(c, st, 3)
    {
        return Some((path.clone(), *st, 3, class));
    }
    if p.exists
        && let Some((path, st)) = existing.last()
    {
        let want = target_want(name, args, role);
        if want != 0
            && let Some(class) = mode_denies(c, st, want)
        {
            return Some((path.clone(), *st, want, class));
        }
    }
    None
}

fn exec_causes(i: &Input, creds: Option<&Creds>) -> Vec<Cause> {
    let mut out = Vec::new();
    let errno = match i.how {
        How::Errno(e) => e,
        _ => return out,
    };
    let Some(p) = i.snapshot.and_then(|s| s.paths.first()) else {
        return out;
    };
    let path = p.absolute.clone().unwrap_or_else(|| p.arg.path.clone());
    if errno == EPERM
        && let (Some(fc), Some(c)) = (p.file_caps, creds)
    {
        let granted = (fc.permitted & c.bounding) | (fc.inheritable & c.inheritable);
        let missing = fc.permitted & !granted;
        if fc.effective && missing != 0 {
            let names = crate::linux::caps::names(missing);
            let shorts: Vec<String> = names
                .iter()
                .map(|n| format!("--cap-add {}", n.trim_start_matches("CAP_")))
                .collect();
            let mut k = Cause::new(
                Kind::ExecCapabilities,
                Certainty::Exact,
                format!("{path} has file capabilities the bounding set lacks ({}), and its effective bit asks for all of them: the kernel refuses to run it", names.join(", ")),
            )
            .ev(format!("file capabilities of {path}: permitted {}, effective bit set", crate::linux::caps::names(fc.permitted).join(",")))
            .ev(format!("the bounding set lacks {}", names.join(", ")))
            .fix(format!("start the container with them ({}), or take them off the file if it can do without (setcap -r {path})", shorts.join(" ")));
            k.capability = names.first().cloned();
            k.in_bounding_set = Some(false);
            k.path = Some(path.clone());
            out.push(k);
            return out;
        }
    }
    if errno == EACCES {
        if let Some(m) = p.mount.as_ref().filter(|m| m.has_option("noexec")) {
            let mut k = Cause::new(
                Kind::NoexecMount,
                Certainty::Exact,
                format!(
                    "{} is mounted noexec: nothing on it may be executed",
                    m.mount_point
                ),
            )
            .ev(format!("{path} is on {} ({})", m.mount_point, m.options))
            .fix(if m.fs_type == "tmpfs" {
                // Runtimes mount a --tmpfs noexec unless told otherwise.
                format!(
                    "mount the tmpfs with exec: docker/podman run --tmpfs {0}:exec; or run the program from another mount",
                    m.mount_point
                )
            } else {
                format!(
                    "run the program from another mount, or mount {} without noexec",
                    m.mount_point
                )
            });
            k.mount_point = Some(m.mount_point.clone());
            k.path = Some(path.clone());
            out.push(k);
            return out;
        }
        if let Some(c) = creds {
            out.extend(mode_cause(p, c, "execve", &[0; 6]));
            if out.is_empty()
                && let Some(st) = p.target()
                && st.mode & libc::S_IFMT != libc::S_IFREG
            {
                out.push(
                    Cause::new(
                        Kind::FilePermissions,
                        Certainty::Exact,
                        format!("{path} is not a regular file"),
                    )
                    .ev(format!("mode {:o}", st.mode)),
                );
            }
        }
    }
    out
}

fn mode_cause(p: &PathEvidence, c: &Creds, name: &str, args: &[u64; 6]) -> Option<Cause> {
    let (path, st, want, class) = walk(p, c, name, args)?;
    let target = p.absolute.clone().unwrap_or_else(|| p.arg.path.clone());
    let what = want_name(want);
    let subject = if path == target {
        path.clone()
    } else {
        format!("the directory {path} (on the way to {target})")
    };
    let mut k = Cause::new(
        Kind::FilePermissions,
        Certainty::Likely,
        format!("{subject} does not let this process {what} it"),
    )
    .ev(format!(
        "{path}: owner uid {}, group {}, mode {}",
        st.uid,
        st.gid,
        oct(st.mode)
    ))
    .ev(format!("{}: the {class} bits apply, and they lack {what}", who(c)))
    .ev("no CAP_DAC_OVERRIDE or CAP_DAC_READ_SEARCH overrides them (ACLs, if any, are not read)")
    .fix(format!(
        "run as a user the mode allows (uid {} owns it; docker run --user), or change the owner or mode of {path} (chown/chmod, or in the image)",
        st.uid
    ));
    k.path = Some(path);
    Some(k)
}

fn permission_causes(i: &Input, creds: Option<&Creds>, ctx: &Context, name: &str) -> Vec<Cause> {
    let mut out = Vec::new();
    let (Some(c), Some(s)) = (creds, i.snapshot) else {
        return out;
    };
    for p in &s.paths {
        if let Some(k) = mode_cause(p, c, name, &i.call.args) {
            out.push(k);
            continue;
        }
        if let Some(k) = proc_access_cause(p, c) {
            out.push(k);
            continue;
        }
        let path = p.absolute.clone().unwrap_or_else(|| p.arg.path.clone());
        let parent = p
            .chain
            .iter()
            .rev()
            .filter_map(|n| n.stat.map(|st| (n.path.clone(), st)))
            .nth(usize::from(p.exists));
        // A sticky directory (/tmp): only the owner of a file, or of the
        // directory, may remove or rename it.
        if p.arg.role == Role::Remove
            && let (Some((dir, dst)), Some(t)) = (&parent, p.target())
            && dst.mode & libc::S_ISVTX != 0
            && c.uid.filesystem != t.uid
            && c.uid.filesystem != dst.uid
            && !c.has(cap::FOWNER)
        {
            let mut k = Cause::new(
                Kind::StickyDirectory,
                Certainty::Likely,
                format!("{dir} is sticky: only the owner of {path} (uid {}) or of the directory may remove or rename it", t.uid),
            )
            .ev(format!("{dir}: mode {} (sticky), owner uid {}", oct(dst.mode), dst.uid))
            .ev(who(c))
            .fix(format!(
                "remove it as its owner (docker/podman run --user {0}, or su), or the directory's; or with CAP_FOWNER",
                t.uid
            ));
            k.path = Some(path.clone());
            out.push(k);
            continue;
        }
        // fs.protected_regular / protected_fifos: O_CREAT of someone else's
        // file in a world-writable sticky directory.
        if p.arg.role == Role::Create
            && p.exists
            && let (Some((dir, dst)), Some(t)) = (&parent, p.target())
            && dst.mode & 0o1002 == 0o1002
            && t.uid != c.uid.filesystem
            && t.uid != dst.uid
        {
            let (key, kind) = if t.mode & libc::S_IFMT == libc::S_IFIFO {
                ("fs.protected_fifos", "FIFOs")
            } else {
                ("fs.protected_regular", "regular files")
            };
            if ctx.sysctl_int(key).unwrap_or(0) >= 1 {
                let mut k = Cause::new(
                    Kind::Sysctl,
                    Certainty::Likely,
                    format!("{key} refuses O_CREAT on {kind} that others own in world-writable sticky directories ({dir})"),
                )
                .ev(format!("{key} = {}", ctx.sysctl(key).unwrap_or("?")))
                .ev(format!("{path} belongs to uid {}, {dir} to uid {}", t.uid, dst.uid))
                .fix(format!("open {path} without O_CREAT, or use a file of your own"));
                k.sysctl = Some(key.into());
                k.path = Some(path.clone());
                out.push(k);
            }
        }
        // fs.protected_hardlinks: a hard link to someone else's file.
        if matches!(name, "link" | "linkat")
            && p.arg.role == Role::Read
            && let Some(t) = p.target()
            && t.uid != c.uid.filesystem
            && ctx.sysctl_int("fs.protected_hardlinks") == Some(1)
            && !c.has(cap::FOWNER)
        {
            let mut k = Cause::new(
                Kind::Sysctl,
                Certainty::Likely,
                format!("fs.protected_hardlinks forbids hard links to files of other users ({path} belongs to uid {})", t.uid),
            )
            .ev("fs.protected_hardlinks = 1")
            .ev(who(c))
            .fix("copy the file, or link a file of your own");
            k.sysctl = Some("fs.protected_hardlinks".into());
            out.push(k);
        }
    }
    out
}

/// /proc/PID/environ, mem, auxv, stack...: the kernel lets a process open
/// them only with ptrace read access to PID.
fn proc_access_cause(p: &PathEvidence, c: &Creds) -> Option<Cause> {
    let abs = p.absolute.as_deref()?;
    let rest = abs.strip_prefix("/proc/")?;
    let (pid, file) = rest.split_once('/')?;
    let guarded = [
        "environ",
        "mem",
        "auxv",
        "stack",
        "syscall",
        "pagemap",
        "maps",
        "smaps",
        "personality",
        "io",
        "timerslack_ns",
        "cwd",
        "root",
        "exe",
        "fd",
        "map_files",
    ];
    let first = file.split('/').next().unwrap_or("");
    if !pid.bytes().all(|b| b.is_ascii_digit()) || !guarded.contains(&first) {
        return None;
    }
    let mut k = Cause::new(
        Kind::Capability,
        Certainty::Likely,
        format!("{abs} opens only with ptrace read access to process {pid}: the same user as the process, which must be dumpable, or CAP_SYS_PTRACE"),
    )
    .ev(if c.has(cap::SYS_PTRACE) {
        "the process has CAP_SYS_PTRACE: the target is then not dumpable across user namespaces, or an LSM or Yama refuses".to_string()
    } else {
        format!("the process lacks CAP_SYS_PTRACE; {}", who(c))
    })
    .fix(format!("read it as the user process {pid} runs as, or with CAP_SYS_PTRACE (--cap-add SYS_PTRACE)"));
    k.capability = Some(cap_name(cap::SYS_PTRACE));
    k.in_bounding_set = Some(c.in_bounding(cap::SYS_PTRACE));
    k.path = Some(abs.to_string());
    Some(k)
}

fn gid_in(c: &Creds, lo: u32, hi: u32) -> bool {
    std::iter::once(c.gid.effective)
        .chain(c.groups.iter().copied())
        .any(|g| (lo..=hi).contains(&g))
}

fn sysctl_cause(
    key: &str,
    value: &str,
    certainty: Certainty,
    summary: String,
    fix: String,
) -> Cause {
    let mut k = Cause::new(Kind::Sysctl, certainty, summary)
        .ev(format!("{key} = {value}"))
        .fix(fix);
    k.sysctl = Some(key.to_string());
    k
}

fn limit_causes(
    i: &Input,
    creds: Option<&Creds>,
    ctx: &Context,
    name: &str,
    errno: u32,
) -> Vec<Cause> {
    let mut out = Vec::new();
    let args = &i.call.args;
    let userns = match name {
        "unshare" => args[0] & captable::CLONE_NEWUSER != 0,
        "clone" => args[0] & captable::CLONE_NEWUSER != 0,
        "clone3" => i
            .decoded
            .clone3_flags
            .is_some_and(|f| f & captable::CLONE_NEWUSER != 0),
        _ => false,
    };
    let has_admin = creds.is_some_and(|c| c.has(cap::SYS_ADMIN));
    if userns {
        if let Some(v) = ctx.sysctl_int("user.max_user_namespaces")
            && (errno == ENOSPC || v == 0)
        {
            let (cert, summary) = if v == 0 {
                (
                    Certainty::Exact,
                    "user namespaces are disabled: user.max_user_namespaces is 0".to_string(),
                )
            } else {
                (
                    Certainty::Likely,
                    format!(
                        "the limit of {v} user namespaces (user.max_user_namespaces, or the per-user count) is reached"
                    ),
                )
            };
            out.push(sysctl_cause(
                "user.max_user_namespaces",
                &v.to_string(),
                cert,
                summary,
                "raise user.max_user_namespaces on the host (it is not namespaced per container)"
                    .into(),
            ));
        }
        if errno == EUSERS {
            out.push(Cause::new(
                Kind::Sysctl,
                Certainty::Exact,
                "user namespaces nest at most 32 deep, and this one would be deeper",
            ));
        }
        if errno == EPERM {
            if ctx.sysctl_int("kernel.unprivileged_userns_clone") == Some(0) && !has_admin {
                out.push(sysctl_cause(
                    "kernel.unprivileged_userns_clone",
                    "0",
                    Certainty::Exact,
                    "this kernel lets only processes with CAP_SYS_ADMIN create user namespaces".into(),
                    "set kernel.unprivileged_userns_clone=1 on the host, or create the namespace with CAP_SYS_ADMIN".into(),
                ));
            }
            if ctx.sysctl_int("kernel.apparmor_restrict_unprivileged_userns") == Some(1)
                && !has_admin
            {
                out.push(sysctl_cause(
                    "kernel.apparmor_restrict_unprivileged_userns",
                    "1",
                    Certainty::Likely,
                    "AppArmor restricts user namespaces to programs whose profile allows them".into(),
                    "give the program an AppArmor profile with the userns rule, or set kernel.apparmor_restrict_unprivileged_userns=0 on the host".into(),
                ));
            }
            if let Some(root) = i.snapshot.and_then(|s| s.root.as_deref())
                && root != "/"
            {
                out.push(
                    Cause::new(
                        Kind::UserNamespace,
                        Certainty::Exact,
                        "a chrooted process may not create user namespaces",
                    )
                    .ev(format!("its root directory is {root}, not /"))
                    .fix("create the namespace before chroot, or use pivot_root in a mount namespace instead"),
                );
            }
        }
    }
    if name == "socket"
        && errno == EACCES
        && matches!(args[0] & 0xffff, decode::AF_INET | decode::AF_INET6)
        && args[1] & 0xf == decode::SOCK_DGRAM
        && matches!(args[2], 1 | 58)
        && let Some(range) = ctx.sysctl("net.ipv4.ping_group_range")
    {
        let mut it = range.split_whitespace().map(|x| x.parse::<u32>().ok());
        if let (Some(Some(lo)), Some(Some(hi))) = (it.next(), it.next())
            && !creds.is_some_and(|c| gid_in(c, lo, hi))
        {
            out.push(sysctl_cause(
                "net.ipv4.ping_group_range",
                range,
                Certainty::Exact,
                format!("ICMP echo sockets are allowed only to groups {lo}-{hi}, and none of the process's groups is in that range"),
                "docker/podman run --sysctl net.ipv4.ping_group_range=\"0 2147483647\", or a raw socket with CAP_NET_RAW".into(),
            ));
        }
    }
    if matches!(name, "setgroups" | "setgroups32")
        && errno == EPERM
        && i.snapshot.and_then(|s| s.setgroups.as_deref()) == Some("deny")
    {
        out.push(
            Cause::new(
                Kind::UserNamespace,
                Certainty::Exact,
                "setgroups is denied in this user namespace",
            )
            .ev("/proc/PID/setgroups reads deny (written before the gid map, as unprivileged user namespaces must)")
            .fix("keep the supplementary groups, or create the user namespace with a gid map written by a privileged helper (newgidmap), which leaves setgroups allowed"),
        );
    }
    if name == "io_uring_setup" && errno == EPERM {
        match ctx.sysctl_int("kernel.io_uring_disabled") {
            Some(2) => out.push(sysctl_cause(
                "kernel.io_uring_disabled",
                "2",
                Certainty::Exact,
                "io_uring is disabled for every process".into(),
                "set kernel.io_uring_disabled=0 on the host".into(),
            )),
            Some(1) if !has_admin => out.push(sysctl_cause(
                "kernel.io_uring_disabled",
                "1",
                Certainty::Exact,
                "io_uring is allowed only to members of kernel.io_uring_group and to CAP_SYS_ADMIN".into(),
                "add the user to the group kernel.io_uring_group names, or set kernel.io_uring_disabled=0 on the host".into(),
            )),
            _ => {}
        }
    }
    if name == "ptrace" && errno == EPERM && !i.target_traced && args[0] != 0 {
        let has_ptrace = creds.is_some_and(|c| c.has(cap::SYS_PTRACE));
        match ctx.sysctl_int("kernel.yama.ptrace_scope") {
            Some(3) => out.push(sysctl_cause(
                "kernel.yama.ptrace_scope",
                "3",
                Certainty::Exact,
                "Yama forbids every ptrace attach on this host".into(),
                "nothing short of a reboot lowers ptrace_scope 3".into(),
            )),
            Some(2) if !has_ptrace => out.push(sysctl_cause(
                "kernel.yama.ptrace_scope",
                "2",
                Certainty::Exact,
                "Yama allows ptrace attach only with CAP_SYS_PTRACE".into(),
                "give the tracer CAP_SYS_PTRACE (--cap-add SYS_PTRACE), or lower kernel.yama.ptrace_scope on the host".into(),
            )),
            Some(1) if !has_ptrace => out.push(sysctl_cause(
                "kernel.yama.ptrace_scope",
                "1",
                Certainty::Likely,
                "Yama allows a process to attach only to its own descendants (or to processes that allowed it with PR_SET_PTRACER)".into(),
                "start the target from the tracer, give the tracer CAP_SYS_PTRACE, or lower kernel.yama.ptrace_scope on the host".into(),
            )),
            _ => {}
        }
    }
    let simple: &[(&str, &str, i64, &str, &str)] = &[
        (
            "perf_event_open",
            "kernel.perf_event_paranoid",
            2,
            "unprivileged performance monitoring is restricted",
            "lower kernel.perf_event_paranoid on the host, or give CAP_PERFMON",
        ),
        (
            "bpf",
            "kernel.unprivileged_bpf_disabled",
            1,
            "unprivileged BPF is disabled",
            "give CAP_BPF (and CAP_PERFMON or CAP_NET_ADMIN for most program types)",
        ),
        (
            "syslog",
            "kernel.dmesg_restrict",
            1,
            "reading the kernel log needs CAP_SYSLOG (dmesg_restrict)",
            "give CAP_SYSLOG, or set kernel.dmesg_restrict=0 on the host",
        ),
        (
            "userfaultfd",
            "vm.unprivileged_userfaultfd",
            0,
            "unprivileged userfaultfd is disabled",
            "pass UFFD_USER_MODE_ONLY, give CAP_SYS_PTRACE, or set vm.unprivileged_userfaultfd=1",
        ),
        (
            "kexec_load",
            "kernel.kexec_load_disabled",
            1,
            "kexec is disabled",
            "nothing: kexec_load_disabled cannot be turned off until reboot",
        ),
        (
            "init_module",
            "kernel.modules_disabled",
            1,
            "module loading is disabled",
            "nothing: modules_disabled cannot be turned off until reboot",
        ),
        (
            "finit_module",
            "kernel.modules_disabled",
            1,
            "module loading is disabled",
            "nothing: modules_disabled cannot be turned off until reboot",
        ),
    ];
    // The capability that lifts each sysctl's restriction.
    let lifted = |call: &str| match call {
        "perf_event_open" => Some([cap::PERFMON, cap::SYS_ADMIN]),
        "bpf" => Some([cap::BPF, cap::SYS_ADMIN]),
        "syslog" => Some([cap::SYSLOG, cap::SYS_ADMIN]),
        "userfaultfd" => Some([cap::SYS_PTRACE, cap::SYS_PTRACE]),
        _ => None,
    };
    for (call, key, bad, summary, fix) in simple {
        if name == *call
            && matches!(errno, EPERM | EACCES)
            && privileged_use(name, i, ctx)
            && !lifted(call).is_some_and(|cs| creds.is_some_and(|c| cs.iter().any(|&k| c.has(k))))
        {
            let v = ctx.sysctl_int(key);
            let hit = match *key {
                "vm.unprivileged_userfaultfd" => v == Some(0),
                "kernel.perf_event_paranoid" => v.is_some_and(|v| v >= *bad),
                _ => v.is_some_and(|v| v >= *bad),
            };
            if hit {
                out.push(sysctl_cause(
                    key,
                    &v.unwrap_or(0).to_string(),
                    Certainty::Likely,
                    (*summary).to_string(),
                    (*fix).to_string(),
                ));
            }
        }
    }
    out
}

/// The fix for a failure: the first cause's, with the policy's refusal
/// phrased from what else is known (`rule`: the named profile's rule for
/// the call).
pub fn fix(
    call: &Call,
    errno: Option<u32>,
    causes: &[Cause],
    rule: Option<&ProfileRule>,
) -> Option<String> {
    let first = causes.first()?;
    if first.kind == Kind::Seccomp && first.certainty == Certainty::Exact {
        let cap = causes
            .iter()
            .find(|c| c.kind == Kind::Capability && c.capability.is_some());
        let mut f = seccomp_fix(&call.display_name(), errno, cap, rule);
        if let Some(c) = cap
            && c.in_bounding_set == Some(true)
            && let Some(cf) = &c.fix
        {
            f.push_str(&format!("; then: {cf}"));
        }
        return Some(f);
    }
    first.fix.clone()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::linux::mountinfo::Mount;
    use crate::model::Ids;
    use crate::trace::decode::PathArg;
    use crate::trace::decode::{CapSets, PerfAttr};
    use crate::trace::evidence::{FileCaps, LsmLabel, Node};

    fn abi() -> &'static crate::linux::abi::Abi {
        crate::linux::abi::native()
    }

    fn call(name: &str, args: [u64; 6]) -> Call {
        let nr = crate::linux::abi::native_nr(name).expect(name);
        Call {
            abi: abi(),
            nr,
            args,
        }
    }

    fn ids(v: u32) -> Ids {
        Ids {
            real: v,
            effective: v,
            saved: v,
            filesystem: v,
        }
    }

    fn creds(uid: u32, eff: u64, bnd: u64) -> Creds {
        Creds {
            uid: ids(uid),
            gid: ids(uid),
            groups: vec![],
            effective: eff,
            permitted: eff,
            inheritable: 0,
            bounding: bnd,
            ambient: Some(0),
            no_new_privs: false,
            seccomp_filters: Some(1),
            seccomp_mode: Some("2".into()),
        }
    }

    const DOCKER: u64 = 0x00000000a80425fb;

    fn snap(c: Creds) -> Snapshot {
        Snapshot {
            exe: None,
            creds: Some(c),
            initial_userns: Some(true),
            root: Some("/".into()),
            setgroups: Some("allow".into()),
            lsm: LsmLabel::default(),
            paths: vec![],
        }
    }

    fn run(
        c: &Call,
        how: How,
        s: Option<&Snapshot>,
        d: &Decoded,
        sec: SeccompAnswer,
        ctx: &Context,
    ) -> Vec<Cause> {
        let rule = match &sec {
            SeccompAnswer::Verdict(o) => ctx.profile.rule_for(c, o),
            _ => None,
        };
        explain(
            &Input {
                call: c,
                how,
                decoded: d,
                snapshot: s,
                exec: None,
                own_filter: false,
                target_traced: false,
                seccomp: &sec,
                profile: rule.as_ref(),
            },
            ctx,
        )
    }

    fn errno_verdict(e: u32) -> SeccompAnswer {
        SeccompAnswer::Verdict(Outcome {
            verdict: Verdict::Errno,
            errno: Some(e),
            trap_data: None,
        })
    }

    fn allowed() -> SeccompAnswer {
        SeccompAnswer::Verdict(Outcome {
            verdict: Verdict::Allowed,
            errno: None,
            trap_data: None,
        })
    }

    #[test]
    fn date_in_docker_is_the_policy_then_the_capability() {
        let c = call("clock_settime", [0; 6]);
        let s = snap(creds(0, DOCKER, DOCKER));
        let ctx = Context::default();
        let causes = run(
            &c,
            How::Errno(EPERM),
            Some(&s),
            &Decoded::default(),
            errno_verdict(EPERM),
            &ctx,
        );
        assert_eq!(causes[0].kind, Kind::Seccomp);
        assert_eq!(causes[0].certainty, Certainty::Exact);
        assert_eq!(causes[1].kind, Kind::Capability);
        assert_eq!(causes[1].capability.as_deref(), Some("CAP_SYS_TIME"));
        assert_eq!(causes[1].in_bounding_set, Some(false));
        let f = fix(&c, Some(EPERM), &causes, None).unwrap();
        assert!(f.contains("--cap-add SYS_TIME"), "{f}");
        assert!(f.starts_with("blocked by the seccomp profile"), "{f}");
    }

    #[test]
    fn a_missing_capability_is_added_the_way_the_runtime_takes_it() {
        let c = call("clock_settime", [0; 6]);
        let s = snap(creds(0, DOCKER, DOCKER));
        let fix_in = |runtime: Option<&str>| {
            let ctx = Context {
                runtime: runtime.map(str::to_string),
                ..Context::default()
            };
            let causes = run(
                &c,
                How::Errno(EPERM),
                Some(&s),
                &Decoded::default(),
                allowed(),
                &ctx,
            );
            assert_eq!(causes[0].kind, Kind::Capability, "{causes:?}");
            fix(&c, Some(EPERM), &causes, None).unwrap()
        };
        let lxc = fix_in(Some("lxc"));
        assert!(lxc.contains("take sys_time out of lxc.cap.drop"), "{lxc}");
        assert!(!lxc.contains("--cap-add"), "{lxc}");
        let nspawn = fix_in(Some("systemd-nspawn"));
        assert!(
            nspawn.contains("systemd-nspawn --capability=CAP_SYS_TIME"),
            "{nspawn}"
        );
        for other in [Some("docker"), Some("podman"), Some("unknown"), None] {
            let f = fix_in(other);
            assert!(f.contains("--cap-add SYS_TIME"), "{other:?}: {f}");
        }
    }

    #[test]
    fn date_under_dockers_profile_names_it_and_its_condition() {
        let c = call("clock_settime", [0; 6]);
        let s = snap(creds(0, DOCKER, DOCKER));
        let caps = crate::linux::caps::names(DOCKER);
        let ctx = Context {
            profile: ProfileKnowledge::known("docker-20.10", &caps, Some((6, 1))),
            ..Context::default()
        };
        let sec = errno_verdict(EPERM);
        let causes = run(
            &c,
            How::Errno(EPERM),
            Some(&s),
            &Decoded::default(),
            sec.clone(),
            &ctx,
        );
        assert_eq!(causes[0].kind, Kind::Seccomp);
        assert!(
            causes[0]
                .evidence
                .iter()
                .any(|e| e.starts_with("the policy in force is Docker 20.10 default")),
            "{:?}",
            causes[0].evidence
        );
        let SeccompAnswer::Verdict(o) = &sec else {
            unreachable!()
        };
        let rule = ctx.profile.rule_for(&c, o);
        assert_eq!(
            fix(&c, Some(EPERM), &causes, rule.as_ref()).unwrap(),
            "blocked by the seccomp profile; Docker's default profile (20.10) allows clock_settime only with CAP_SYS_TIME: run with --cap-add SYS_TIME"
        );
        // A custom policy keeps the generic wording.
        let generic = fix(&c, Some(EPERM), &causes, None).unwrap();
        assert!(
            generic
                .contains("Profiles that allow clock_settime only to containers with CAP_SYS_TIME"),
            "{generic}"
        );
    }

    // Names calls x86_64 has and aarch64 does not (mkdir, uretprobe).
    #[cfg(target_arch = "x86_64")]
    #[test]
    fn a_different_errno_from_the_policy_is_not_the_policys() {
        let c = call("mkdir", [0; 6]);
        let s = snap(creds(0, DOCKER, DOCKER));
        let causes = run(
            &c,
            How::Errno(EACCES),
            Some(&s),
            &Decoded::default(),
            errno_verdict(EPERM),
            &Context::default(),
        );
        assert!(causes.iter().all(|k| k.kind != Kind::Seccomp));
    }

    #[test]
    fn without_a_filter_the_capability_is_the_cause() {
        let c = call("socket", [2, 3, 1, 0, 0, 0]);
        let s = snap(creds(0, 0, DOCKER & !(1 << 13)));
        let causes = run(
            &c,
            How::Errno(EPERM),
            Some(&s),
            &Decoded::default(),
            SeccompAnswer::NoFilter,
            &Context::default(),
        );
        assert_eq!(causes[0].kind, Kind::Capability);
        assert!(
            causes[0]
                .fix
                .as_deref()
                .unwrap()
                .contains("--cap-add NET_RAW")
        );
    }

    #[test]
    fn a_host_only_capability_in_a_user_namespace() {
        let c = call("clock_settime", [0; 6]);
        let mut s = snap(creds(0, u64::MAX >> 23, u64::MAX >> 23));
        s.initial_userns = Some(false);
        let causes = run(
            &c,
            How::Errno(EPERM),
            Some(&s),
            &Decoded::default(),
            allowed(),
            &Context::default(),
        );
        assert_eq!(causes[0].kind, Kind::UserNamespace);
    }

    fn path_ev(
        path: &str,
        role: Role,
        chain: Vec<(&str, Option<FileStat>)>,
        exists: bool,
        mount: Option<Mount>,
    ) -> PathEvidence {
        PathEvidence {
            arg: PathArg {
                path: path.into(),
                dirfd: None,
                role,
                follow: true,
            },
            absolute: Some(path.into()),
            chain: chain
                .into_iter()
                .map(|(p, s)| Node {
                    path: p.into(),
                    stat: s,
                })
                .collect(),
            exists,
            mount,
            file_caps: None,
        }
    }

    fn st(uid: u32, mode: u32) -> Option<FileStat> {
        Some(FileStat {
            uid,
            gid: uid,
            mode,
            dev: (8, 1),
            rdev: (0, 0),
        })
    }

    #[test]
    fn file_permissions_name_the_mode_and_the_user() {
        let c = call("openat", [(-100i64) as u64, 0, 0, 0, 0, 0]);
        let mut s = snap(creds(65534, 0, 0));
        s.paths = vec![path_ev(
            "/root/secret",
            Role::Read,
            vec![
                ("/", st(0, 0o40755)),
                ("/root", st(0, 0o40755)),
                ("/root/secret", st(0, 0o100600)),
            ],
            true,
            None,
        )];
        let causes = run(
            &c,
            How::Errno(EACCES),
            Some(&s),
            &Decoded::default(),
            SeccompAnswer::NoFilter,
            &Context::default(),
        );
        assert_eq!(causes[0].kind, Kind::FilePermissions);
        assert!(causes[0].summary.contains("/root/secret"));
        assert!(causes[0].evidence.iter().any(|e| e.contains("mode 0600")));
        // An unsearchable directory on the way is named instead.
        s.paths[0].chain[1].stat = st(0, 0o40700);
        let causes = run(
            &c,
            How::Errno(EACCES),
            Some(&s),
            &Decoded::default(),
            SeccompAnswer::NoFilter,
            &Context::default(),
        );
        assert!(
            causes[0].summary.contains("the directory /root"),
            "{:?}",
            causes[0]
        );
        // Root with CAP_DAC_OVERRIDE passes the mode bits: not the reason.
        let mut s2 = s.clone();
        s2.creds = Some(creds(0, DOCKER, DOCKER));
        let causes = run(
            &c,
            How::Errno(EACCES),
            Some(&s2),
            &Decoded::default(),
            SeccompAnswer::NoFilter,
            &Context::default(),
        );
        assert_eq!(causes[0].kind, Kind::Unknown);
    }

    #[test]
    fn a_read_only_mount_is_named() {
        let c = call("openat", [0; 6]);
        let m =
            crate::linux::mountinfo::parse("30 22 8:1 /srv /ro ro,relatime - ext4 /dev/sda1 rw\n");
        let mut s = snap(creds(0, DOCKER, DOCKER));
        s.paths = vec![path_ev(
            "/ro/f",
            Role::Create,
            vec![
                ("/", st(0, 0o40755)),
                ("/ro", st(0, 0o40755)),
                ("/ro/f", None),
            ],
            false,
            m.first().cloned(),
        )];
        let causes = run(
            &c,
            How::Errno(EROFS),
            Some(&s),
            &Decoded::default(),
            allowed(),
            &Context::default(),
        );
        assert_eq!(causes[0].kind, Kind::ReadOnlyMount);
        assert_eq!(causes[0].mount_point.as_deref(), Some("/ro"));
    }

    #[test]
    fn a_read_only_proc_sys_is_set_with_the_runtime_and_forwarding_wants_net_admin() {
        let c = call("openat", [0; 6]);
        let m =
            crate::linux::mountinfo::parse("40 30 0:5 /sys /proc/sys ro,nosuid - proc proc rw\n");
        let mut s = snap(creds(0, DOCKER, DOCKER));
        let sysctl = |key: &str| {
            path_ev(
                &format!("/proc/sys/{}", key.replace('.', "/")),
                Role::Write,
                vec![],
                true,
                m.first().cloned(),
            )
        };
        s.paths = vec![sysctl("net.ipv4.ip_forward")];
        let ctx = Context {
            command: vec!["sysctl".into(), "-w".into(), "net.ipv4.ip_forward=1".into()],
            ..Context::default()
        };
        let causes = run(
            &c,
            How::Errno(EROFS),
            Some(&s),
            &Decoded::default(),
            allowed(),
            &ctx,
        );
        assert_eq!(causes[0].kind, Kind::ReadOnlyMount);
        let f = causes[0].fix.as_deref().unwrap();
        assert!(f.contains("--sysctl net.ipv4.ip_forward=1"), "{f}");
        assert!(!f.contains(":ro volume"), "{f}");
        assert_eq!(causes[1].capability.as_deref(), Some("CAP_NET_ADMIN"));
        // Another net sysctl: no second cause; a host-wide one: not --sysctl.
        s.paths = vec![sysctl("net.ipv4.ip_local_port_range")];
        let causes = run(
            &c,
            How::Errno(EROFS),
            Some(&s),
            &Decoded::default(),
            allowed(),
            &ctx,
        );
        assert_eq!(causes.len(), 1, "{causes:?}");
        assert!(
            causes[0]
                .fix
                .as_deref()
                .unwrap()
                .contains("--sysctl net.ipv4.ip_local_port_range=VALUE")
        );
        s.paths = vec![sysctl("vm.swappiness")];
        let causes = run(
            &c,
            How::Errno(EROFS),
            Some(&s),
            &Decoded::default(),
            allowed(),
            &ctx,
        );
        let f = causes[0].fix.as_deref().unwrap();
        assert!(
            f.contains("not namespaced") && !f.contains("--sysctl"),
            "{f}"
        );
    }

    #[test]
    fn perf_and_bpf_name_a_capability_only_where_the_kernel_checks_one() {
        let caps = crate::linux::caps::names(DOCKER);
        let mut ctx = Context {
            profile: ProfileKnowledge::known("docker-20.10", &caps, Some((6, 1))),
            ..Context::default()
        };
        ctx.sysctls
            .insert("kernel.perf_event_paranoid".into(), "2".into());
        ctx.sysctls
            .insert("kernel.unprivileged_bpf_disabled".into(), "2".into());
        let s = snap(creds(0, DOCKER, DOCKER));
        let perf = |exclude_kernel: bool| Decoded {
            perf: Some(PerfAttr {
                kind: 1,
                exclude_kernel,
                exclude_hv: true,
            }),
            ..Decoded::default()
        };
        let c = call("perf_event_open", [0x1000, 0, u64::MAX, u64::MAX, 0, 0]);
        let sec = errno_verdict(EPERM);
        let SeccompAnswer::Verdict(o) = &sec else {
            unreachable!()
        };
        let rule = ctx.profile.rule_for(&c, o);
        // Its own user-space events: the profile alone refuses it.
        let causes = run(
            &c,
            How::Errno(EPERM),
            Some(&s),
            &perf(true),
            sec.clone(),
            &ctx,
        );
        assert_eq!(causes.len(), 1, "{causes:?}");
        let f = fix(&c, Some(EPERM), &causes, rule.as_ref()).unwrap();
        assert!(
            f.contains("--cap-add SYS_ADMIN") && !f.contains("PERFMON"),
            "{f}"
        );
        // Counting the kernel: CAP_PERFMON (or CAP_SYS_ADMIN) and the sysctl,
        // and SYS_ADMIN, the profile's condition, grants both.
        let causes = run(
            &c,
            How::Errno(EPERM),
            Some(&s),
            &perf(false),
            sec.clone(),
            &ctx,
        );
        assert_eq!(causes[1].capability.as_deref(), Some("CAP_PERFMON"));
        assert!(causes[1].summary.contains("(or CAP_SYS_ADMIN)"));
        assert_eq!(
            causes[2].sysctl.as_deref(),
            Some("kernel.perf_event_paranoid")
        );
        let f = fix(&c, Some(EPERM), &causes, rule.as_ref()).unwrap();
        assert!(
            f.contains("--cap-add SYS_ADMIN") && !f.contains("--cap-add PERFMON"),
            "{f}"
        );
        // With CAP_SYS_ADMIN held, neither is a cause.
        let admin = snap(creds(
            0,
            DOCKER | 1 << cap::SYS_ADMIN,
            DOCKER | 1 << cap::SYS_ADMIN,
        ));
        let causes = run(
            &c,
            How::Errno(EACCES),
            Some(&admin),
            &perf(false),
            allowed(),
            &ctx,
        );
        assert!(causes.iter().all(|k| k.kind == Kind::Unknown), "{causes:?}");
        // bpf: map creation, not program loading, and no --cap-add BPF for Docker 20.10.
        let c = call("bpf", [0, 0x1000, 144, 0, 0, 0]);
        let d = Decoded {
            bpf_type: Some(2),
            ..Decoded::default()
        };
        let rule = ctx.profile.rule_for(&c, o);
        let causes = run(&c, How::Errno(EPERM), Some(&s), &d, sec.clone(), &ctx);
        assert!(causes[1].summary.contains("create BPF maps"), "{causes:?}");
        let f = fix(&c, Some(EPERM), &causes, rule.as_ref()).unwrap();
        assert!(
            f.contains("--cap-add SYS_ADMIN") && !f.contains("--cap-add BPF"),
            "{f}"
        );
        // Unprivileged BPF allowed: an array map needs nothing.
        ctx.sysctls
            .insert("kernel.unprivileged_bpf_disabled".into(), "0".into());
        let causes = run(&c, How::Errno(EPERM), Some(&s), &d, sec, &ctx);
        assert_eq!(causes.len(), 1, "{causes:?}");
    }

    #[test]
    fn limits_capset_and_ports_get_the_fix_that_works() {
        let s = snap(creds(0, DOCKER, DOCKER));
        let c = call("prlimit64", [0, 7, 0x1000, 0, 0, 0]);
        let d = Decoded {
            rlimit: Some((1024, 4096)),
            ..Decoded::default()
        };
        let causes = run(
            &c,
            How::Errno(EPERM),
            Some(&s),
            &d,
            allowed(),
            &Context::default(),
        );
        assert_eq!(causes[0].capability.as_deref(), Some("CAP_SYS_RESOURCE"));
        let f = causes[0].fix.as_deref().unwrap();
        assert!(
            f.contains("--ulimit nofile=1024:4096") && !f.contains("--cap-add"),
            "{f}"
        );
        // capset asking for a capability beyond the permitted set.
        let c = call("capset", [0x1000, 0x2000, 0, 0, 0, 0]);
        let d = Decoded {
            capset: Some(CapSets {
                effective: DOCKER | 1 << cap::SYS_TIME,
                permitted: DOCKER,
                inheritable: 0,
            }),
            ..Decoded::default()
        };
        let causes = run(
            &c,
            How::Errno(EPERM),
            Some(&s),
            &d,
            allowed(),
            &Context::default(),
        );
        assert_eq!(causes[0].capability.as_deref(), Some("CAP_SYS_TIME"));
        // A user binding port 80: the runtime's sysctl comes first.
        let c = call("bind", [3, 0x1000, 16, 0, 0, 0]);
        let d = Decoded {
            sockaddr: Some((2, Some(80))),
            ..Decoded::default()
        };
        let u = snap(creds(1000, 0, DOCKER));
        let causes = run(
            &c,
            How::Errno(EACCES),
            Some(&u),
            &d,
            allowed(),
            &Context::default(),
        );
        let f = causes[0].fix.as_deref().unwrap();
        assert!(
            f.starts_with("let everyone bind from port 80: docker/podman run --sysctl net.ipv4.ip_unprivileged_port_start=80"),
            "{f}"
        );
    }

    #[test]
    fn file_capabilities_beyond_the_bounding_set_refuse_exec() {
        let c = call("execve", [0; 6]);
        let mut s = snap(creds(0, DOCKER & !(1 << 13), DOCKER & !(1 << 13)));
        let mut p = path_ev(
            "/bin/ping",
            Role::Exec,
            vec![
                ("/", st(0, 0o40755)),
                ("/bin", st(0, 0o40755)),
                ("/bin/ping", st(0, 0o100755)),
            ],
            true,
            None,
        );
        p.file_caps = Some(FileCaps {
            permitted: 1 << 13,
            inheritable: 0,
            effective: true,
            rootid: None,
        });
        s.paths = vec![p];
        let causes = run(
            &c,
            How::Errno(EPERM),
            Some(&s),
            &Decoded::default(),
            allowed(),
            &Context::default(),
        );
        assert_eq!(causes[0].kind, Kind::ExecCapabilities);
        assert!(
            causes[0]
                .fix
                .as_deref()
                .unwrap()
                .contains("--cap-add NET_RAW")
        );
    }

    #[test]
    fn no_new_privs_explains_a_lost_file_capability() {
        let c = call("socket", [2, 3, 1, 0, 0, 0]);
        let mut cr = creds(65534, 0, DOCKER);
        cr.no_new_privs = true;
        let s = snap(cr.clone());
        let exec = PrivilegedExec {
            exe: "/opt/ping".into(),
            setuid: None,
            setgid: None,
            file_caps: Some(FileCaps {
                permitted: 1 << 13,
                inheritable: 0,
                effective: true,
                rootid: None,
            }),
            after: Some(cr),
            mount: None,
        };
        let sec = SeccompAnswer::NoFilter;
        let d = Decoded::default();
        let i = Input {
            call: &c,
            how: How::Errno(EPERM),
            decoded: &d,
            snapshot: Some(&s),
            exec: Some(&exec),
            own_filter: false,
            target_traced: false,
            seccomp: &sec,
            profile: None,
        };
        let causes = explain(
            &i,
            &Context {
                tracer_sys_ptrace: true,
                ..Context::default()
            },
        );
        assert_eq!(causes[0].kind, Kind::NoNewPrivs, "{causes:?}");
        assert_eq!(causes[1].kind, Kind::Capability);
        // Without no_new_privs and with a tracer lacking CAP_SYS_PTRACE: whatami's own doing.
        let mut cr2 = s.creds.clone().unwrap();
        cr2.no_new_privs = false;
        let s2 = snap(cr2);
        let i = Input {
            snapshot: Some(&s2),
            ..i
        };
        let causes = explain(&i, &Context::default());
        assert_eq!(causes[0].kind, Kind::Tracing, "{causes:?}");
    }

    #[test]
    fn a_set_user_id_program_that_runs_as_its_caller() {
        let c = call("openat", [0; 6]);
        let mut cr = creds(1000, 0, DOCKER);
        cr.no_new_privs = true;
        let mut s = snap(cr.clone());
        s.paths = vec![path_ev(
            "/etc/shadow",
            Role::Read,
            vec![
                ("/", st(0, 0o40755)),
                ("/etc", st(0, 0o40755)),
                ("/etc/shadow", st(0, 0o100600)),
            ],
            true,
            None,
        )];
        let exec = PrivilegedExec {
            exe: "/usr/bin/passwd".into(),
            setuid: Some(0),
            setgid: None,
            file_caps: None,
            after: Some(cr),
            mount: None,
        };
        let sec = SeccompAnswer::NoFilter;
        let d = Decoded::default();
        let i = Input {
            call: &c,
            how: How::Errno(EACCES),
            decoded: &d,
            snapshot: Some(&s),
            exec: Some(&exec),
            own_filter: false,
            target_traced: false,
            seccomp: &sec,
            profile: None,
        };
        let causes = explain(&i, &Context::default());
        assert_eq!(causes[0].kind, Kind::NoNewPrivs, "{causes:?}");
        assert!(causes[0].summary.contains("uid 1000 instead of uid 0"));
        assert_eq!(causes[1].kind, Kind::FilePermissions);
    }

    #[test]
    fn sysctl_limits() {
        let mut ctx = Context::default();
        ctx.sysctls
            .insert("net.ipv4.ping_group_range".into(), "1\t0".into());
        let c = call("socket", [2, 2, 1, 0, 0, 0]);
        let s = snap(creds(1000, 0, 0));
        let causes = run(
            &c,
            How::Errno(EACCES),
            Some(&s),
            &Decoded::default(),
            SeccompAnswer::NoFilter,
            &ctx,
        );
        assert_eq!(causes[0].kind, Kind::Sysctl);
        assert_eq!(
            causes[0].sysctl.as_deref(),
            Some("net.ipv4.ping_group_range")
        );
        ctx.sysctls
            .insert("user.max_user_namespaces".into(), "0".into());
        let c = call("unshare", [captable::CLONE_NEWUSER, 0, 0, 0, 0, 0]);
        let causes = run(
            &c,
            How::Errno(ENOSPC),
            Some(&s),
            &Decoded::default(),
            SeccompAnswer::NoFilter,
            &ctx,
        );
        assert_eq!(
            causes[0].sysctl.as_deref(),
            Some("user.max_user_namespaces")
        );
        // Behind a policy refusal, the limit is still said.
        let causes = run(
            &c,
            How::Errno(EPERM),
            Some(&s),
            &Decoded::default(),
            errno_verdict(EPERM),
            &ctx,
        );
        assert_eq!(causes[0].kind, Kind::Seccomp);
        assert!(
            causes
                .iter()
                .any(|k| k.sysctl.as_deref() == Some("user.max_user_namespaces"))
        );
    }

    // Names calls x86_64 has and aarch64 does not (mkdir, uretprobe).
    #[cfg(target_arch = "x86_64")]
    #[test]
    fn kernel_lacks_and_unknowns() {
        let c = call("mkdir", [0; 6]);
        let causes = run(
            &c,
            How::Errno(ENOSYS),
            None,
            &Decoded::default(),
            allowed(),
            &Context::default(),
        );
        assert_eq!(causes[0].kind, Kind::Kernel);
        let causes = run(
            &c,
            How::Errno(ENOSYS),
            None,
            &Decoded::default(),
            errno_verdict(ENOSYS),
            &Context::default(),
        );
        assert_eq!(causes[0].kind, Kind::Seccomp);
        let f = fix(&c, Some(ENOSYS), &causes, None).unwrap();
        assert!(f.contains("ENOSYS"));
        let causes = run(
            &c,
            How::Errno(EPERM),
            None,
            &Decoded::default(),
            SeccompAnswer::NotAsked("no".into()),
            &Context::default(),
        );
        assert_eq!(
            (causes[0].kind, causes[0].certainty),
            (Kind::Seccomp, Certainty::Possible)
        );
        let causes = run(
            &c,
            How::Errno(EPERM),
            None,
            &Decoded::default(),
            allowed(),
            &Context::default(),
        );
        assert_eq!(causes[0].kind, Kind::Unknown);
    }

    // Names calls x86_64 has and aarch64 does not (mkdir, uretprobe).
    #[cfg(target_arch = "x86_64")]
    #[test]
    fn an_lsm_only_when_nothing_else_explains() {
        let c = call("mkdir", [0; 6]);
        let mut s = snap(creds(0, DOCKER, DOCKER));
        s.lsm.apparmor = Some("docker-default (enforce)".into());
        let causes = run(
            &c,
            How::Errno(EACCES),
            Some(&s),
            &Decoded::default(),
            allowed(),
            &Context::default(),
        );
        assert_eq!(causes[0].kind, Kind::Lsm);
        let causes = run(
            &c,
            How::Errno(EACCES),
            Some(&s),
            &Decoded::default(),
            errno_verdict(EACCES),
            &Context::default(),
        );
        assert!(causes.iter().all(|k| k.kind != Kind::Lsm));
    }

    #[test]
    fn possible_causes_of_an_unexplained_eperm() {
        let c = call("fchmodat", [0; 6]);
        let mut s = snap(creds(0, DOCKER, DOCKER));
        s.paths = vec![path_ev(
            "/data/f",
            Role::Attributes,
            vec![
                ("/", st(0, 0o40755)),
                ("/data", st(0, 0o40755)),
                ("/data/f", st(0, 0o100644)),
            ],
            true,
            None,
        )];
        let causes = run(
            &c,
            How::Errno(EPERM),
            Some(&s),
            &Decoded::default(),
            allowed(),
            &Context::default(),
        );
        assert_eq!(
            (causes[0].kind, causes[0].certainty),
            (Kind::FilePermissions, Certainty::Possible)
        );
        assert!(causes[0].summary.contains("immutable"));
        let m = crate::linux::mountinfo::parse("23 22 0:22 / /proc rw,nosuid - proc proc rw\n");
        s.paths[0].mount = m.first().cloned();
        let causes = run(
            &c,
            How::Errno(EPERM),
            Some(&s),
            &Decoded::default(),
            allowed(),
            &Context::default(),
        );
        assert!(causes[0].summary.contains("proc file system"), "{causes:?}");
        // setgroups in a user namespace that denies it.
        let c = call("setgroups", [0; 6]);
        let mut s = snap(creds(0, u64::MAX >> 23, u64::MAX >> 23));
        s.setgroups = Some("deny".into());
        let causes = run(
            &c,
            How::Errno(EPERM),
            Some(&s),
            &Decoded::default(),
            allowed(),
            &Context::default(),
        );
        assert_eq!(causes[0].kind, Kind::UserNamespace, "{causes:?}");
    }

    // Names calls x86_64 has and aarch64 does not (mkdir, uretprobe).
    #[cfg(target_arch = "x86_64")]
    #[test]
    fn traps_and_kills_need_the_policys_word() {
        let c = call("mkdir", [0; 6]);
        let trap = SeccompAnswer::Verdict(Outcome {
            verdict: Verdict::Trap,
            errno: None,
            trap_data: Some(0),
        });
        let causes = run(
            &c,
            How::Trap(0),
            None,
            &Decoded::default(),
            trap,
            &Context::default(),
        );
        assert_eq!(
            (causes[0].kind, causes[0].certainty),
            (Kind::Seccomp, Certainty::Exact)
        );
        let kill = SeccompAnswer::Verdict(Outcome {
            verdict: Verdict::KillProcess,
            errno: None,
            trap_data: None,
        });
        let causes = run(
            &c,
            How::Killed,
            None,
            &Decoded::default(),
            kill,
            &Context::default(),
        );
        assert_eq!(causes[0].kind, Kind::Seccomp);
        let causes = run(
            &c,
            How::Killed,
            None,
            &Decoded::default(),
            allowed(),
            &Context::default(),
        );
        assert_eq!(causes[0].kind, Kind::Unknown);
    }

    #[test]
    fn a_refused_netlink_request_is_the_capability_the_kernel_checks() {
        use crate::trace::netlink::{NETLINK_ROUTE, Refused};
        let c = call("sendmsg", [3, 0x7ffc_0000, 0, 0, 0, 0]);
        let refused = |ty: u16| Decoded {
            text: "sendmsg(3, ...)".into(),
            netlink: Some(Refused {
                protocol: "NETLINK_ROUTE".into(),
                protocol_nr: NETLINK_ROUTE,
                message: "RTM_NEWADDR".into(),
                nlmsg_type: ty,
                nlmsg_flags: 0x605,
                nlmsg_seq: 1,
                family: None,
                errno: EPERM,
                returned: 40,
                sent: true,
            }),
            ..Decoded::default()
        };
        let s = snap(creds(0, DOCKER, DOCKER));
        let causes = run(
            &c,
            How::Errno(EPERM),
            Some(&s),
            &refused(20),
            allowed(),
            &Context::default(),
        );
        assert_eq!(causes.len(), 1, "{causes:?}");
        assert_eq!(causes[0].kind, Kind::Capability);
        assert_eq!(causes[0].capability.as_deref(), Some("CAP_NET_ADMIN"));
        assert!(causes[0].evidence[0].contains("netlink ack"), "{causes:?}");
        let f = fix(&c, Some(EPERM), &causes, None).unwrap();
        assert!(f.contains("--cap-add NET_ADMIN"), "{f}");
        // With CAP_NET_ADMIN held, or for a request that needs none (a
        // GET), the capability is not the cause.
        let admin = snap(creds(0, DOCKER | 1 << cap::NET_ADMIN, DOCKER));
        for (s, ty) in [(&admin, 20), (&s, 22)] {
            let causes = run(
                &c,
                How::Errno(EPERM),
                Some(s),
                &refused(ty),
                allowed(),
                &Context::default(),
            );
            assert!(
                causes.iter().all(|k| k.kind != Kind::Capability),
                "{causes:?}"
            );
        }
    }
}
