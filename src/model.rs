//! The report model: plain data that probes fill and renderers read.
//!
//! Nothing here does I/O. The JSON form of [`Report`] is a contract
//! (docs/json.md): fields may be added, but a rename or removal needs a
//! `schema_version` bump. Every section is a [`Section`], which serializes
//! either as the section itself or as `{"error": "..."}`, so one failed probe
//! never hides the others.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

// The status file's facts, which the report holds as the kernel states them.
pub use crate::linux::status::{Ids, SeccompMode, SeccompStatus};

mod environment;
pub use environment::*;

/// Version of the JSON contract.
pub const SCHEMA_VERSION: u32 = 1;

/// A section that was either gathered or could not be.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Section<T> {
    /// Listed first so that deserialization tries `{"error": ...}` before `T`.
    Failed {
        error: String,
    },
    Ok(T),
}

impl<T> Section<T> {
    pub fn failed(error: impl Into<String>) -> Self {
        Section::Failed {
            error: error.into(),
        }
    }

    pub fn ok(&self) -> Option<&T> {
        match self {
            Section::Ok(t) => Some(t),
            Section::Failed { .. } => None,
        }
    }

    pub fn error(&self) -> Option<&str> {
        match self {
            Section::Ok(_) => None,
            Section::Failed { error } => Some(error),
        }
    }

    pub fn is_ok(&self) -> bool {
        matches!(self, Section::Ok(_))
    }
}

impl<T, E: std::fmt::Display> From<Result<T, E>> for Section<T> {
    fn from(r: Result<T, E>) -> Self {
        match r {
            Ok(t) => Section::Ok(t),
            Err(e) => Section::failed(e.to_string()),
        }
    }
}

/// The whole report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    pub schema_version: u32,
    pub whatami_version: String,
    /// What the report is about (added in 0.1: absent from older reports).
    #[serde(default)]
    pub subject: Subject,
    pub system: Section<System>,
    pub runtime: Section<Runtime>,
    pub seccomp: Seccomp,
    pub capabilities: Section<Capabilities>,
    pub namespaces: Section<Namespaces>,
    pub user_namespace: Section<UserNamespace>,
    pub identity: Section<Identity>,
    pub lsm: Section<Lsm>,
    // The environment sections (model/environment.rs).
    pub mounts: Section<Mounts>,
    pub cgroups: Section<Cgroups>,
    pub kernel_limits: Section<KernelLimits>,
    pub kubernetes: Section<Kubernetes>,
    /// Drawn from all the sections above.
    pub assessment: Section<Assessment>,
    /// Present only when `--check` was given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub check: Option<Check>,
}

impl Report {
    /// Names of the sections (or sub-sections) that could not be gathered.
    /// Seccomp verdicts the probe should have learned and did not.
    pub fn unlearned_verdicts(&self) -> u32 {
        self.seccomp.probe.ok().map_or(0, |p| p.unlearned)
    }

    pub fn failed_sections(&self) -> Vec<&'static str> {
        let mut out = Vec::new();
        let mut check = |name: &'static str, ok: bool| {
            if !ok {
                out.push(name);
            }
        };
        check("system", self.system.is_ok());
        check("runtime", self.runtime.is_ok());
        check("seccomp", self.seccomp.status.is_ok());
        check("seccomp.probe", self.seccomp.probe.is_ok());
        check("capabilities", self.capabilities.is_ok());
        check("namespaces", self.namespaces.is_ok());
        check("user_namespace", self.user_namespace.is_ok());
        check("identity", self.identity.is_ok());
        check("lsm", self.lsm.is_ok());
        check("mounts", self.mounts.is_ok());
        check("cgroups", self.cgroups.is_ok());
        check("kernel_limits", self.kernel_limits.is_ok());
        check("kubernetes", self.kubernetes.is_ok());
        check("assessment", self.assessment.is_ok());
        out
    }
}

/// What the report is about, as a fleet of reports tells them apart.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Subject {
    /// `identity.hostname`.
    pub hostname: Option<String>,
    /// The Kubernetes namespace and pod (`kubernetes.namespace`, `pod_name`).
    pub namespace: Option<String>,
    pub pod: Option<String>,
    /// The container's 64-hex id, when the runtime's evidence shows it.
    pub container_id: Option<String>,
    /// When the report was made, RFC 3339 in UTC (`SOURCE_DATE_EPOCH` when set).
    pub time: Option<String>,
    pub whatami_version: String,
}

/// Kernel and machine facts that the other sections are read against.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct System {
    /// Kernel release as `uname -r` prints it (from /proc/sys/kernel/osrelease).
    pub kernel_release: Option<String>,
    /// The architecture whatami was built for (the native syscall ABI).
    pub arch: String,
}

// ---------------------------------------------------------------- runtime

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Runtime {
    /// docker, podman, containerd, cri-o, kubernetes, lxc, lxd, incus,
    /// systemd-nspawn, bubblewrap, flatpak, gvisor, wsl, openvz, proot,
    /// none (not in a container), unknown (in a container, runtime unknown).
    pub name: String,
    /// Whether the process runs in a container at all.
    pub container: bool,
    /// The facts that led to `name`, strongest first.
    pub evidence: Vec<String>,
    /// Every runtime the evidence points at, `name` first: a sandbox kernel
    /// or orchestrator and the engine under it (e.g. kubernetes, containerd).
    #[serde(default)]
    pub detected: Vec<String>,
}

// ---------------------------------------------------------------- seccomp

/// The seccomp section: the status line facts plus the probe of the policy.
///
/// Serialized flat: `{"mode": ..., "filters": ..., "no_new_privs": ..., "probe": {...}}`,
/// or `{"error": ..., "probe": {...}}` when /proc/self/status could not be read.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Seccomp {
    #[serde(flatten)]
    pub status: Section<SeccompStatus>,
    pub probe: Section<Probe>,
    /// The policy compared with the known profiles (and `--profile FILE`);
    /// absent when nothing was probed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile: Option<ProfileReport>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProbeMethod {
    /// A user-notification listener stacked in a disposable child: exact, nothing runs.
    Notify,
    /// Calls made in disposable children with arguments the kernel rejects early.
    Direct,
    /// No probe was run.
    None,
}

/// How far a verdict can be trusted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Confidence {
    /// The policy's own answer (notification probing, or the kernel exemption list).
    Exact,
    /// Direct probing where the answer can only come from the filter or from
    /// the syscall's own argument checks.
    Likely,
    /// Direct probing where a capability or credential check could give the same answer.
    Uncertain,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// ALLOW, LOG, or TRACE / USER_NOTIF of another supervisor.
    Allowed,
    /// SECCOMP_RET_ERRNO: the call fails with `errno` without running (0: fake success).
    Errno,
    KillProcess,
    KillThread,
    /// SECCOMP_RET_TRAP: SIGSYS with `trap_data` in si_errno.
    Trap,
    /// The kernel never runs seccomp for this call (x86_64 uretprobe, uprobe).
    Exempt,
    /// Could not be learned (not probed, or the probe did not answer in time).
    Unknown,
}

/// One probed (abi, number) pair.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SyscallResult {
    pub abi: String,
    /// Number in that ABI (x32: with the 0x40000000 bit).
    pub nr: u32,
    pub name: Option<String>,
    pub verdict: Verdict,
    pub errno: Option<u32>,
    pub trap_data: Option<u32>,
    pub method: ProbeMethod,
    pub confidence: Confidence,
    /// The verdict with every argument set to all ones, when it differs from
    /// the verdict with zero arguments: the policy looks at this call's arguments.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub all_ones: Option<Outcome>,
    /// Why the verdict is what it is, when that is not obvious (not probed, timed out).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// Direct probing only: the call made and what came back.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub direct: Option<DirectCall>,
}

/// A call made by the direct prober (method "direct"): its arguments, chosen
/// so that the kernel rejects the call before acting, what the kernel alone
/// answers to them, and what came back.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DirectCall {
    pub args: Vec<u64>,
    /// The errnos a kernel that lets the call through answers.
    pub expected_errnos: Vec<u32>,
    /// Whether such a kernel may also let it succeed (a query, or an act on
    /// the disposable probe child only).
    pub may_succeed: bool,
    /// The raw return value (-errno on failure); null when the call did not
    /// return (a signal, a kill, a time-out).
    pub returned: Option<i64>,
}

impl SyscallResult {
    /// The verdict with its data.
    pub fn outcome(&self) -> Outcome {
        Outcome {
            verdict: self.verdict,
            errno: self.errno,
            trap_data: self.trap_data,
        }
    }
}

impl ArgProbe {
    /// The verdict with its data.
    pub fn outcome(&self) -> Outcome {
        Outcome {
            verdict: self.verdict,
            errno: self.errno,
            trap_data: self.trap_data,
        }
    }
}

/// A verdict with its data, as compared between probes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Outcome {
    pub verdict: Verdict,
    pub errno: Option<u32>,
    pub trap_data: Option<u32>,
}

/// An argument-aware probe such as `unshare(CLONE_NEWUSER)`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ArgProbe {
    /// Human label, e.g. `unshare(CLONE_NEWUSER)`.
    pub label: String,
    /// Syscall name.
    pub syscall: String,
    pub abi: String,
    pub nr: u32,
    pub args: Vec<u64>,
    pub verdict: Verdict,
    pub errno: Option<u32>,
    pub trap_data: Option<u32>,
    pub method: ProbeMethod,
    /// How far the verdict can be trusted; absent means exact (notification probing).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confidence: Option<Confidence>,
    /// Why the verdict is what it is, or how the call differed from `label`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// Direct probing only: the call made and what came back.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub direct: Option<DirectCall>,
}

/// What was learned about one syscall entry point (ABI).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AbiInfo {
    pub abi: String,
    /// Whether this ABI's probes ran.
    pub probed: bool,
    pub probes: u32,
    /// Whether its calls were also probed with all-ones arguments, so that a
    /// result without `all_ones` means no argument rule was seen.
    #[serde(default)]
    pub all_ones_swept: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Probe {
    pub method: ProbeMethod,
    /// Why this method was used (for example why notification probing was not available).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    pub abis: Vec<AbiInfo>,
    pub results: Vec<SyscallResult>,
    pub arg_probes: Vec<ArgProbe>,
    /// Wall-clock time the probe took, in microseconds.
    pub elapsed_us: u64,
    /// Verdicts that should have been learned and were not (a probe child
    /// died, stalled or exited inside the call, or the time limit came
    /// first): each is `unknown` with its reason in `note`, and the report
    /// is incomplete (exit 3).
    #[serde(default)]
    pub unlearned: u32,
}

// ------------------------------------------------------- seccomp profile

/// `seccomp.profile`: which known profile the policy in force is, and how
/// it differs (src/profile/).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProfileReport {
    /// Id of the known profile the policy matches (score at least
    /// `profile::compare::MATCH_SCORE`); null for a custom policy
    /// or no filter at all.
    #[serde(rename = "match")]
    pub matched: Option<String>,
    /// "Docker 20.10 default", "custom" or "no seccomp filter".
    pub title: String,
    /// Id of the closest known profile, even when it does not match.
    pub closest: Option<String>,
    /// Share of the compared probes answered as `closest` expects (0 to 1).
    pub score: Option<f64>,
    /// The runtime whose handling of unnamed calls fits ("runc", "crun"),
    /// null when both fit alike.
    pub runtime: Option<String>,
    /// The libseccomp whose known names fit ("2.5.4", "current"), null when
    /// both fit alike.
    pub libseccomp: Option<String>,
    /// Probes compared (sweeps, all-ones sweeps, argument probes).
    pub compared: u32,
    /// Where the policy differs from `closest`.
    pub differences: Vec<ProfileDifference>,
    /// Every known profile, best first, with its screening score: the
    /// share of the native entry point's zero-argument sweep it expects.
    pub candidates: Vec<ProfileCandidate>,
    pub warnings: Vec<ProfileWarning>,
    /// The comparison with `--profile FILE`, when given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub given: Option<Section<GivenProfile>>,
    /// Time the comparisons took.
    pub elapsed_us: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProfileCandidate {
    pub id: String,
    pub title: String,
    pub score: f64,
}

/// One call (or a run of unnamed numbers) answered unlike the profile says.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProfileDifference {
    /// The name, or "#N" / "#N-M" for numbers without one.
    pub syscall: String,
    /// "blocked" (expected allowed), "allowed" (expected blocked) or "other"
    /// (blocked another way: another errno, a kill instead of an errno...).
    pub change: String,
    pub abis: Vec<String>,
    /// null: the zero-argument sweep; "all-ones": the all-ones sweep; else
    /// the argument probe's label.
    pub args: Option<String>,
    pub expected: Outcome,
    pub got: Outcome,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProfileWarning {
    /// "stale_eperm", "libseccomp_dropped", "other_capabilities", "uncertain".
    pub kind: String,
    pub syscalls: Vec<String>,
    pub message: String,
}

/// The comparison with `--profile FILE`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GivenProfile {
    pub path: String,
    /// "docker", "oci" or "seccompprofile".
    pub format: String,
    pub runtime: Option<String>,
    pub libseccomp: Option<String>,
    pub compared: u32,
    pub score: f64,
    /// Empty: the policy in force answers every probe as FILE says.
    pub differences: Vec<ProfileDifference>,
    pub warnings: Vec<ProfileWarning>,
    /// What the runtimes do with the file that is worth knowing.
    pub notes: Vec<String>,
}

// ----------------------------------------------------------- capabilities

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Capabilities {
    pub effective: Vec<String>,
    pub permitted: Vec<String>,
    pub inheritable: Vec<String>,
    pub bounding: Vec<String>,
    /// `None` before Linux 4.3, which has no ambient set.
    pub ambient: Option<Vec<String>>,
    /// The raw masks as /proc/self/status prints them (hex).
    pub raw: BTreeMap<String, String>,
    /// Effective set compared with Docker's default 14 capabilities.
    pub vs_docker_default: CapDiff,
    /// Dangerous capabilities in the effective set.
    pub dangerous_effective: Vec<String>,
    /// Dangerous capabilities in the bounding set (gainable through exec of a
    /// setuid or file-capability binary, unless no_new_privs is set).
    pub dangerous_bounding: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct CapDiff {
    pub added: Vec<String>,
    pub dropped: Vec<String>,
}

// ------------------------------------------------------------- namespaces

/// The eight namespaces, each with its inode and whether it is the host's.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Namespaces {
    pub cgroup: Section<NamespaceInfo>,
    pub ipc: Section<NamespaceInfo>,
    pub mnt: Section<NamespaceInfo>,
    pub net: Section<NamespaceInfo>,
    pub pid: Section<NamespaceInfo>,
    pub time: Section<NamespaceInfo>,
    pub user: Section<NamespaceInfo>,
    pub uts: Section<NamespaceInfo>,
}

impl Namespaces {
    /// Each namespace with its name, in the order reports list them.
    pub fn by_name(&self) -> [(&'static str, &Section<NamespaceInfo>); 8] {
        [
            ("cgroup", &self.cgroup),
            ("ipc", &self.ipc),
            ("mnt", &self.mnt),
            ("net", &self.net),
            ("pid", &self.pid),
            ("time", &self.time),
            ("user", &self.user),
            ("uts", &self.uts),
        ]
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NamespaceInfo {
    pub inode: u64,
    /// true: the initial (host) namespace; false: a private one; null: cannot tell.
    pub host: Option<bool>,
    /// How `host` was decided.
    pub evidence: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IdMapEntry {
    /// First id inside the namespace.
    pub inside: u32,
    /// First id in the parent namespace.
    pub outside: u32,
    pub count: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UserNamespace {
    pub uid_map: Vec<IdMapEntry>,
    pub gid_map: Vec<IdMapEntry>,
    /// "allow" or "deny" (/proc/self/setgroups); `None` when absent (before Linux 3.19).
    pub setgroups: Option<String>,
    /// Whether uid 0 here is the host's root (kernel uid 0). `None` when that
    /// cannot be known from inside: the uid map only names the parent user
    /// namespace, which is the host's only if this one is its direct child.
    pub root_is_host_root: Option<bool>,
    /// The parent-namespace uid that uid 0 maps to, when it is mapped.
    pub root_maps_to: Option<u32>,
    /// Whether this is the initial (host) user namespace, from its inode.
    #[serde(default)]
    pub initial: Option<bool>,
    /// The uid in this namespace that is the host's root, when it could be
    /// learned (the host's init is visible); `None` otherwise.
    #[serde(default)]
    pub host_root_uid: Option<u32>,
    /// How `root_is_host_root` was decided.
    #[serde(default)]
    pub evidence: String,
}

// --------------------------------------------------------------- identity

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Identity {
    pub uid: Ids,
    pub gid: Ids,
    pub groups: Vec<u32>,
    /// Name of the effective uid in the container's /etc/passwd, when listed.
    pub user_name: Option<String>,
    /// The hostname of this uts namespace (/proc/sys/kernel/hostname).
    pub hostname: Option<String>,
    /// The file mode creation mask in octal, e.g. "0022" (Linux 4.7+).
    #[serde(default)]
    pub umask: Option<String>,
}

// -------------------------------------------------------------------- lsm

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Lsm {
    /// The kernel's active LSMs (/sys/kernel/security/lsm), when readable.
    pub active: Option<Vec<String>>,
    pub apparmor: Option<AppArmor>,
    pub selinux: Option<SeLinux>,
    /// A label in /proc/self/attr/current that is neither AppArmor's nor
    /// SELinux's (e.g. Smack), as the kernel printed it.
    #[serde(default)]
    pub other_label: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AppArmor {
    /// Profile name, e.g. "docker-default"; "unconfined" when none applies.
    pub profile: String,
    /// "enforce", "complain", "kill", "unconfined", ...; `None` when not printed.
    pub mode: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SeLinux {
    /// The full context, e.g. "system_u:system_r:container_t:s0:c1,c2".
    pub context: String,
    /// The type field (third), e.g. "container_t".
    pub domain: Option<String>,
}
