//! What the assessment reads: the sections it draws on, the facts pulled
//! out of them once, and what those facts say together that both the
//! verdict and the Pod Security controls use (a privileged container).

use crate::model::*;

/// The sections the assessment reads, borrowed from a report, or from what
/// was gathered before there is one.
pub struct Sections<'a> {
    pub runtime: &'a Section<Runtime>,
    pub seccomp: &'a Seccomp,
    pub capabilities: &'a Section<Capabilities>,
    pub namespaces: &'a Section<Namespaces>,
    pub identity: &'a Section<Identity>,
    pub lsm: &'a Section<Lsm>,
    pub mounts: &'a Section<Mounts>,
    pub cgroups: &'a Section<Cgroups>,
    pub kernel_limits: &'a Section<KernelLimits>,
    pub kubernetes: &'a Section<Kubernetes>,
}

impl<'a> Sections<'a> {
    pub fn of(r: &'a Report) -> Sections<'a> {
        Sections {
            runtime: &r.runtime,
            seccomp: &r.seccomp,
            capabilities: &r.capabilities,
            namespaces: &r.namespaces,
            identity: &r.identity,
            lsm: &r.lsm,
            mounts: &r.mounts,
            cgroups: &r.cgroups,
            kernel_limits: &r.kernel_limits,
            kubernetes: &r.kubernetes,
        }
    }
}

/// What the assessment reads, pulled out of the sections once. `None` means
/// the section that would say could not be gathered.
pub struct Facts<'a> {
    pub container: Option<bool>,
    /// The runtimes the evidence points at, the engine among them.
    pub runtimes: &'a [String],
    pub effective: Option<&'a [String]>,
    pub bounding: Option<&'a [String]>,
    pub dangerous_bounding: Option<&'a [String]>,
    pub seccomp: Option<SeccompMode>,
    pub no_new_privs: Option<bool>,
    /// Per namespace kind: whether it is the host's.
    pub host_ns: Vec<(&'static str, Option<bool>)>,
    pub uid: Option<u32>,
    pub mounts: Option<&'a Mounts>,
    pub cgroups: Option<&'a Cgroups>,
    pub kube: Option<&'a Kubernetes>,
    pub lsm: Option<&'a Lsm>,
    pub limits: Option<&'a KernelLimits>,
    /// The seccomp policy's verdicts, when the probe ran.
    pub probe: Option<&'a Probe>,
}

impl<'a> Facts<'a> {
    pub fn of(r: &Sections<'a>) -> Facts<'a> {
        let caps = r.capabilities.ok();
        let ns = r.namespaces.ok();
        let host = |s: Option<&Section<NamespaceInfo>>| s.and_then(|s| s.ok()).and_then(|i| i.host);
        let host_ns = [
            ("pid", ns.map(|n| &n.pid)),
            ("net", ns.map(|n| &n.net)),
            ("ipc", ns.map(|n| &n.ipc)),
            ("uts", ns.map(|n| &n.uts)),
            ("mnt", ns.map(|n| &n.mnt)),
            ("user", ns.map(|n| &n.user)),
            ("cgroup", ns.map(|n| &n.cgroup)),
            ("time", ns.map(|n| &n.time)),
        ]
        .into_iter()
        .map(|(k, s)| (k, host(s)))
        .collect();
        Facts {
            container: r.runtime.ok().map(|rt| rt.container),
            runtimes: r.runtime.ok().map_or(&[], |rt| rt.detected.as_slice()),
            effective: caps.map(|c| c.effective.as_slice()),
            bounding: caps.map(|c| c.bounding.as_slice()),
            dangerous_bounding: caps.map(|c| c.dangerous_bounding.as_slice()),
            seccomp: r.seccomp.status.ok().map(|s| s.mode),
            no_new_privs: r.seccomp.status.ok().map(|s| s.no_new_privs),
            host_ns,
            uid: r.identity.ok().map(|i| i.uid.effective),
            mounts: r.mounts.ok(),
            cgroups: r.cgroups.ok(),
            kube: r.kubernetes.ok(),
            lsm: r.lsm.ok(),
            limits: r.kernel_limits.ok(),
            probe: r.seccomp.probe.ok(),
        }
    }

    /// Whether the seccomp policy refuses every call named `name` (an errno,
    /// a kill or a trap: it does not run) on every entry point the probe
    /// asked; `None` when the probe did not say, or not for sure. An entry
    /// point the kernel does not serve has no results: nothing runs there.
    pub fn refused(&self, name: &str) -> Option<bool> {
        let results: Vec<&SyscallResult> = self
            .probe?
            .results
            .iter()
            .filter(|r| r.name.as_deref() == Some(name))
            .collect();
        if results.is_empty()
            || results
                .iter()
                .any(|r| r.verdict == Verdict::Unknown || r.confidence == Confidence::Uncertain)
        {
            return None;
        }
        Some(results.iter().all(|r| {
            matches!(
                r.verdict,
                Verdict::Errno | Verdict::KillProcess | Verdict::KillThread | Verdict::Trap
            )
        }))
    }

    pub fn host(&self, kind: &str) -> Option<bool> {
        self.host_ns
            .iter()
            .find(|(k, _)| *k == kind)
            .and_then(|(_, h)| *h)
    }

    pub fn has_effective(&self, cap: &str) -> bool {
        self.effective.is_some_and(|e| e.iter().any(|c| c == cap))
    }

    /// Whether capabilities here act on the host: true unless this is a
    /// private user namespace (where they act on what it owns).
    pub fn caps_act_on_host(&self) -> bool {
        self.host("user") != Some(false)
    }

    /// /sys, /proc/sys... writable, when the mount table says.
    pub fn writable(&self, path: &str) -> Option<bool> {
        self.mounts?
            .pseudo
            .iter()
            .find(|p| p.path == path)
            .and_then(|p| p.writable)
    }

    pub fn exposed(&self) -> Vec<&'a str> {
        self.mounts
            .map(|m| {
                m.masked
                    .iter()
                    .filter(|x| x.state == MaskState::Exposed)
                    .map(|x| x.path.as_str())
                    .collect()
            })
            .unwrap_or_default()
    }

    pub fn caps_outside_docker_default(&self) -> Option<Vec<&'a str>> {
        let defaults: Vec<String> = crate::linux::caps::DOCKER_DEFAULT
            .iter()
            .map(|c| c.to_string())
            .collect();
        Some(
            self.effective?
                .iter()
                .filter(|c| !defaults.contains(c))
                .map(String::as_str)
                .collect(),
        )
    }
}

/// Capabilities whose presence, all together, is what `--privileged` (or
/// `privileged: true`) grants and no ordinary configuration does.
pub const PRIVILEGED_CORE: [&str; 6] = [
    "CAP_SYS_ADMIN",
    "CAP_SYS_MODULE",
    "CAP_SYS_RAWIO",
    "CAP_SYS_PTRACE",
    "CAP_NET_ADMIN",
    "CAP_DAC_READ_SEARCH",
];

/// Whether this looks like a privileged container, with the signs seen:
/// every core capability effective in the host's user namespace, and at
/// least two of: no seccomp, /sys writable, masked paths exposed, host
/// devices.
pub fn privileged(f: &Facts) -> (Option<bool>, Vec<String>) {
    let Some(eff) = f.effective else {
        return (None, vec![]);
    };
    let core = PRIVILEGED_CORE.iter().all(|c| eff.iter().any(|e| e == c));
    if !core || !f.caps_act_on_host() {
        return (Some(false), vec![]);
    }
    let mut signs = vec![format!(
        "{} capabilities effective, {} among them",
        eff.len(),
        PRIVILEGED_CORE.join(", ")
    )];
    if f.seccomp == Some(SeccompMode::Disabled) {
        signs.push("no seccomp filter".into());
    }
    if f.writable("/sys") == Some(true) {
        signs.push("/sys is mounted writable".into());
    }
    let exposed = f.exposed();
    if !exposed.is_empty() {
        signs.push(format!("{} not masked", exposed.join(", ")));
    }
    let devices = f.mounts.map(|m| &m.devices);
    let host_devices = devices.is_some_and(|d| !d.block.is_empty())
        || f.cgroups.and_then(|c| c.devices_allow_all) == Some(true);
    if host_devices {
        let n = devices.map_or(0, |d| d.block.len());
        signs.push(if n > 0 {
            format!("{n} block devices in /dev")
        } else {
            "the device cgroup allows every device".into()
        });
    }
    (Some(signs.len() >= 3), signs)
}
