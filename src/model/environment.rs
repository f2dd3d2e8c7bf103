//! The report's environment sections: mounts and sensitive paths, cgroups,
//! kernel limits, the Kubernetes context, and the assessment drawn from
//! every section (verdict, risks, Pod Security Standards controls), plus
//! the result of `--check`.
//!
//! Plain data, like the rest of the model; docs/json.md is the contract.

use serde::{Deserialize, Serialize};

// ----------------------------------------------------------------- mounts

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Mounts {
    /// Lines of /proc/self/mountinfo that were parsed.
    pub count: usize,
    /// The root file system as mounted for this process.
    pub root: RootFs,
    /// /proc, /proc/sys, /proc/sysrq-trigger, /sys: whether each is writable.
    pub pseudo: Vec<PseudoFs>,
    /// The /proc and /sys paths runtimes hide, and whether they are hidden.
    pub masked: Vec<MaskedPath>,
    /// Container-runtime API sockets found at well-known paths or through
    /// the mount table.
    pub sockets: Vec<RuntimeSocket>,
    /// Bind mounts of host directories and files (the runtime's own
    /// /etc/hostname and the like left out).
    pub host_paths: Vec<HostPath>,
    pub devices: Devices,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RootFs {
    /// `None` when mountinfo has no mount on `/` (a chroot).
    pub read_only: Option<bool>,
    pub fs_type: Option<String>,
    pub source: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PseudoFs {
    pub path: String,
    /// Whether the path exists (`/proc/sysrq-trigger` needs
    /// CONFIG_MAGIC_SYSRQ); `None` when a captured tree does not say.
    pub present: Option<bool>,
    /// The mount point of the mount that holds it.
    pub mount_point: Option<String>,
    /// `None` when it is absent or no mount holds it (not mounted).
    pub writable: Option<bool>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MaskState {
    /// Covered by /dev/null or an empty read-only file system.
    Masked,
    /// Present and not covered.
    Exposed,
    /// Not present at all (nothing to hide).
    Absent,
    /// Not covered, and whether it exists cannot be told (a captured tree
    /// without its stat table).
    Unknown,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MaskedPath {
    pub path: String,
    pub state: MaskState,
    pub evidence: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RuntimeSocket {
    pub path: String,
    /// docker, containerd, cri-o, podman, buildkit.
    pub runtime: String,
    /// Whether it serves the Docker Engine API (docker, podman).
    pub docker_api: bool,
    /// How it was found: a well-known path, or the mount that brings it.
    pub found_by: String,
    /// Where it comes from on the host, when a mount says.
    pub host_path: Option<String>,
    /// What connect(2) answered: `connected`, or the error.
    pub connect: Option<String>,
    /// The bounded `GET /_ping`, for a Docker API socket that connected.
    pub ping: Option<Ping>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Ping {
    /// Whether an HTTP status line came back.
    pub answered: bool,
    pub status: Option<u16>,
    /// The `Server` header (e.g. `Docker/20.10.24 (linux)`, `Libpod/4.3.1 (linux)`).
    pub server: Option<String>,
    /// `Api-Version` (Docker) or `Libpod-Api-Version` (podman).
    pub api_version: Option<String>,
    pub elapsed_us: u64,
    /// Why there was no answer (time-out, reset, ...).
    pub error: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HostPath {
    pub mount_point: String,
    /// The path on its file system (mountinfo's root field): for a file
    /// system that is the host's root, the host path.
    pub host_path: String,
    pub fs_type: String,
    pub source: String,
    pub read_only: bool,
    /// What makes it sensitive (`the host's root file system`, `/etc`,
    /// `a home directory`, ...); `None` for other host paths.
    pub sensitive: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Devices {
    /// Entries in /dev; `None` when it could not be listed (`error` says why).
    pub entries: Option<usize>,
    pub error: Option<String>,
    /// Character devices of note (kernel log, memory, fuse, tun, GPUs, kvm...).
    pub notable: Vec<Device>,
    /// Block devices in /dev (disks, partitions, loop devices).
    pub block: Vec<Device>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Device {
    pub path: String,
    /// `char` or `block`.
    pub kind: String,
    pub major: u32,
    pub minor: u32,
    pub what: String,
}

// ---------------------------------------------------------------- cgroups

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Cgroups {
    /// `v1`, `v2`, `hybrid` or `unknown`.
    pub version: String,
    pub evidence: Vec<String>,
    /// This process's cgroup in the unified (v2) hierarchy (`0::PATH`).
    pub unified_path: Option<String>,
    /// This process's cgroup in each v1 hierarchy.
    pub v1: Vec<CgroupV1>,
    /// Whether this process has a cgroup namespace of its own (from its
    /// inode); `None` when that cannot be told.
    pub private_namespace: Option<bool>,
    pub limits: CgroupLimits,
    /// cgroup file systems mounted writable here.
    pub writable: Vec<String>,
    /// A v1 `release_agent` file on a writable mount: with CAP_SYS_ADMIN,
    /// a program the host kernel runs as root.
    pub release_agent: Option<String>,
    /// v1 only: whether this cgroup's `devices.list` allows every device
    /// (`a *:* rwm`); `None` on v2 (a BPF program) or when unreadable.
    pub devices_allow_all: Option<bool>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CgroupV1 {
    /// The hierarchy's controllers as /proc/self/cgroup names them (`cpu,cpuacct`, `name=systemd`).
    pub controllers: String,
    pub path: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CgroupLimits {
    pub memory: Option<Limit>,
    pub cpu: Option<CpuLimit>,
    pub pids: Option<Limit>,
    /// Why a limit is missing (file not found, unreadable, not mounted).
    pub notes: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Limit {
    pub file: String,
    pub raw: String,
    /// `None`: no limit.
    pub max: Option<u64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CpuLimit {
    pub file: String,
    pub raw: String,
    /// Quota over period, in CPUs; `None`: no limit.
    pub cpus: Option<f64>,
}

// ----------------------------------------------------------- kernel limits

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KernelLimits {
    pub sysctls: Vec<Sysctl>,
    /// The selected lockdown mode (`none`, `integrity`, `confidentiality`);
    /// `None` when /sys/kernel/security/lockdown is not readable.
    pub lockdown: Option<String>,
    pub landlock: Landlock,
    /// /sys/fs/selinux/enforce; `None` when SELinux is not visible.
    pub selinux_enforcing: Option<bool>,
    /// /sys/module/apparmor/parameters/enabled; `None` when not visible.
    pub apparmor_enabled: Option<bool>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Sysctl {
    pub name: String,
    /// The value as the kernel prints it (whitespace collapsed); `None`
    /// when the file is absent or unreadable.
    pub value: Option<String>,
    /// What this value means for a process here, when it limits something.
    pub meaning: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Landlock {
    /// The ABI version the kernel serves; `None` when unavailable or not asked.
    pub abi: Option<u32>,
    pub note: String,
}

// -------------------------------------------------------------- kubernetes

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Kubernetes {
    /// Whether this process runs in a Kubernetes pod.
    pub pod: bool,
    pub evidence: Vec<String>,
    pub namespace: Option<String>,
    pub service_account: Option<String>,
    pub pod_name: Option<String>,
    /// Where the pod name was read.
    pub pod_name_from: Option<String>,
    pub node_name: Option<String>,
    /// The mounted service-account token file, when there is one.
    pub token: Option<String>,
    /// `KUBERNETES_SERVICE_HOST:PORT`.
    pub api_server: Option<String>,
}

// -------------------------------------------------------------- assessment

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Assessment {
    /// `not_in_container`, `privileged`, `hardened`, `docker_default`,
    /// `weakened` or `unknown`.
    pub verdict: String,
    /// The verdict in words, as the human report heads with it.
    pub summary: String,
    pub reasons: Vec<String>,
    /// The most important risks, most severe first.
    pub risks: Vec<Risk>,
    pub pod_security: PodSecurity,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Critical,
    High,
    Medium,
    Low,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Risk {
    pub severity: Severity,
    /// A stable identifier (`runtime_socket`, `cap_sys_admin_no_seccomp`, ...).
    pub id: String,
    pub text: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Pass,
    Fail,
    CannotTell,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PodSecurity {
    /// `fail` when a baseline control fails, `cannot_tell` when none fails
    /// but one cannot be told, `pass` otherwise.
    pub baseline: Status,
    /// The same over the baseline and restricted controls.
    pub restricted: Status,
    pub controls: Vec<Control>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Control {
    /// A stable identifier (`host_namespaces`, `capabilities_restricted`, ...).
    pub id: String,
    /// The control's name in the Pod Security Standards, or the policy's key.
    pub name: String,
    /// `baseline`, `restricted`, or `policy` for a control of a policy file.
    pub level: String,
    pub status: Status,
    pub evidence: String,
}

/// The result of `--check`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Check {
    /// `baseline`, `restricted`, or the policy file's path.
    pub policy: String,
    pub passed: bool,
    /// The identifiers of the controls that failed.
    pub failed: Vec<String>,
    pub controls: Vec<Control>,
}
