//! The Pod Security Standards (baseline and restricted), checked against
//! what is in force rather than what a manifest declared: each control that
//! can be observed from inside a container is `pass`, `fail` or
//! `cannot_tell`, with the evidence.
//!
//! How each control is observed:
//! - Host Namespaces: the pid, network and ipc namespaces' inodes against
//!   the initial namespaces' (the namespaces section).
//! - Privileged Containers: the signs `--privileged` leaves (every core
//!   capability, no seccomp, /sys writable, masked paths exposed, host
//!   devices).
//! - Capabilities: the bounding set, which holds every capability a
//!   container was given (added ones included) whatever its uid. Baseline
//!   allows its list plus NET_RAW, which the runtimes' default set holds
//!   and the policy only forbids adding; restricted allows
//!   NET_BIND_SERVICE alone.
//! - HostPath Volumes: host directories bind-mounted (the mounts section,
//!   the runtime's and kubelet's own files and volumes left out).
//! - AppArmor, SELinux: the label in force.
//! - /proc Mount Type: the masked paths.
//! - Seccomp: the mode in force (a filter is RuntimeDefault or Localhost;
//!   which one cannot be told, and both are allowed).
//! - Privilege Escalation: no_new_privs, which allowPrivilegeEscalation:
//!   false sets.
//! - Running as Non-root: the effective uid.
//!
//! Not observable from inside, so not listed: Host Ports, Sysctls (which
//! ones a pod set), the volume types other than hostPath, HostProcess
//! (Windows).

use super::facts::{Facts, PRIVILEGED_CORE, privileged};
use crate::model::{Control, MaskState, PodSecurity, SeccompMode, Status};

/// The capabilities the baseline policy lets a container keep: its list,
/// and NET_RAW from the runtimes' default set.
pub const BASELINE_CAPS: [&str; 14] = [
    "CAP_AUDIT_WRITE",
    "CAP_CHOWN",
    "CAP_DAC_OVERRIDE",
    "CAP_FOWNER",
    "CAP_FSETID",
    "CAP_KILL",
    "CAP_MKNOD",
    "CAP_NET_BIND_SERVICE",
    "CAP_SETFCAP",
    "CAP_SETGID",
    "CAP_SETPCAP",
    "CAP_SETUID",
    "CAP_SYS_CHROOT",
    "CAP_NET_RAW",
];

/// The SELinux types the baseline policy allows.
const SELINUX_TYPES: [&str; 4] = [
    "container_t",
    "container_init_t",
    "container_kvm_t",
    "container_engine_t",
];

fn control(
    id: &str,
    name: &str,
    level: &str,
    status: Status,
    evidence: impl Into<String>,
) -> Control {
    Control {
        id: id.into(),
        name: name.into(),
        level: level.into(),
        status,
        evidence: evidence.into(),
    }
}

fn cannot(what: &str) -> (Status, String) {
    (Status::CannotTell, format!("{what} could not be read"))
}

pub fn controls(f: &Facts) -> Vec<Control> {
    let b = "baseline";
    let r = "restricted";
    vec![
        {
            let (s, e) = host_namespaces(f);
            control("host_namespaces", "Host Namespaces", b, s, e)
        },
        {
            let (s, e) = privileged_control(f);
            control("privileged", "Privileged Containers", b, s, e)
        },
        {
            let (s, e) = capabilities(
                f,
                &BASELINE_CAPS,
                "the baseline list (with NET_RAW of the runtimes' default set)",
            );
            control("capabilities_baseline", "Capabilities", b, s, e)
        },
        {
            let (s, e) = host_paths(f);
            control("host_path_volumes", "HostPath Volumes", b, s, e)
        },
        {
            let (s, e) = apparmor(f);
            control("apparmor", "AppArmor", b, s, e)
        },
        {
            let (s, e) = selinux(f);
            control("selinux", "SELinux", b, s, e)
        },
        {
            let (s, e) = proc_mount(f);
            control("proc_mount", "/proc Mount Type", b, s, e)
        },
        {
            let (s, e) = seccomp(f);
            control("seccomp", "Seccomp", b, s, e)
        },
        {
            let (s, e) = privilege_escalation(f);
            control("privilege_escalation", "Privilege Escalation", r, s, e)
        },
        {
            let (s, e) = non_root(f);
            control("run_as_non_root", "Running as Non-root", r, s, e)
        },
        {
            let (s, e) = capabilities(f, &["CAP_NET_BIND_SERVICE"], "NET_BIND_SERVICE alone");
            control("capabilities_restricted", "Capabilities", r, s, e)
        },
    ]
}

/// fail if any fails, else cannot_tell if any cannot be told, else pass.
pub fn overall<'a>(controls: impl IntoIterator<Item = &'a Control>) -> Status {
    let mut out = Status::Pass;
    for c in controls {
        match c.status {
            Status::Fail => return Status::Fail,
            Status::CannotTell => out = Status::CannotTell,
            Status::Pass => {}
        }
    }
    out
}

pub fn assess(f: &Facts) -> PodSecurity {
    let controls = controls(f);
    PodSecurity {
        baseline: overall(controls.iter().filter(|c| c.level == "baseline")),
        restricted: overall(&controls),
        controls,
    }
}

fn host_namespaces(f: &Facts) -> (Status, String) {
    let kinds = [
        ("pid", "hostPID"),
        ("net", "hostNetwork"),
        ("ipc", "hostIPC"),
    ];
    let host: Vec<&str> = kinds
        .iter()
        .filter(|(k, _)| f.host(k) == Some(true))
        .map(|(_, n)| *n)
        .collect();
    let unknown: Vec<&str> = kinds
        .iter()
        .filter(|(k, _)| f.host(k).is_none())
        .map(|(k, _)| *k)
        .collect();
    if !host.is_empty() {
        (
            Status::Fail,
            format!("the host's namespaces are in use: {}", host.join(", ")),
        )
    } else if !unknown.is_empty() {
        (
            Status::CannotTell,
            format!(
                "cannot tell whether the {} namespace is the host's",
                unknown.join(", ")
            ),
        )
    } else {
        (
            Status::Pass,
            "private pid, network and ipc namespaces".into(),
        )
    }
}

fn privileged_control(f: &Facts) -> (Status, String) {
    match privileged(f) {
        (Some(true), signs) => (Status::Fail, signs.join("; ")),
        (None, _) => cannot("the capabilities"),
        (Some(false), _) => {
            let missing: Vec<&str> = PRIVILEGED_CORE
                .iter()
                .filter(|c| !f.has_effective(c))
                .copied()
                .collect();
            if !missing.is_empty() {
                (
                    Status::Pass,
                    format!("not privileged: {} not effective", missing.join(", ")),
                )
            } else if !f.caps_act_on_host() {
                (
                    Status::Pass,
                    "not privileged: the capabilities are held in a private user namespace".into(),
                )
            } else {
                (
                    Status::Pass,
                    "not privileged: every capability, but seccomp, masked paths and read-only /sys are in place"
                        .into(),
                )
            }
        }
    }
}

fn capabilities(f: &Facts, allowed: &[&str], named: &str) -> (Status, String) {
    let Some(bnd) = f.bounding else {
        return cannot("the capabilities");
    };
    let extra: Vec<&str> = bnd
        .iter()
        .filter(|c| !allowed.contains(&c.as_str()))
        .map(String::as_str)
        .collect();
    if extra.is_empty() {
        (
            Status::Pass,
            if bnd.is_empty() {
                "the bounding set is empty".to_string()
            } else {
                format!("the bounding set is within {named}")
            },
        )
    } else {
        (
            Status::Fail,
            format!("in the bounding set beyond {named}: {}", list(&extra, 8)),
        )
    }
}

/// At most `n` names, then how many more.
fn list(items: &[&str], n: usize) -> String {
    let shown = items[..items.len().min(n)].join(" ");
    match items.len().saturating_sub(n) {
        0 => shown,
        more => format!("{shown} and {more} more"),
    }
}

fn host_paths(f: &Facts) -> (Status, String) {
    let Some(m) = f.mounts else {
        return cannot("the mount table");
    };
    if m.host_paths.is_empty() {
        return (Status::Pass, "no host directory is bind-mounted".into());
    }
    let list: Vec<String> = m
        .host_paths
        .iter()
        .take(6)
        .map(|h| format!("{} (from {})", h.mount_point, h.host_path))
        .collect();
    (
        Status::Fail,
        format!("host paths are mounted: {}", list.join(", ")),
    )
}

fn apparmor(f: &Facts) -> (Status, String) {
    let label = f.lsm.and_then(|l| l.apparmor.as_ref());
    let enabled = f.limits.and_then(|k| k.apparmor_enabled);
    match (label, enabled) {
        (Some(a), _) if a.profile == "unconfined" => (
            Status::Fail,
            "AppArmor is enabled and this process is unconfined".into(),
        ),
        (Some(a), _) => (Status::Pass, format!("AppArmor profile {}", a.profile)),
        (None, Some(true)) => (
            Status::CannotTell,
            "AppArmor is enabled but this process's label could not be read".into(),
        ),
        (None, Some(false)) => (
            Status::Pass,
            "AppArmor is not enabled here: there is no profile to override".into(),
        ),
        (None, None) => {
            if f.lsm.is_some() {
                (
                    Status::Pass,
                    "no AppArmor label: AppArmor does not confine processes here".into(),
                )
            } else {
                cannot("the LSM section")
            }
        }
    }
}

fn selinux(f: &Facts) -> (Status, String) {
    let Some(lsm) = f.lsm else {
        return cannot("the LSM section");
    };
    match &lsm.selinux {
        None => (
            Status::Pass,
            "no SELinux label: SELinux does not confine processes here".into(),
        ),
        Some(s) => match s.domain.as_deref() {
            Some(t) if SELINUX_TYPES.contains(&t) => (Status::Pass, format!("SELinux type {t}")),
            Some(t) => (
                Status::Fail,
                format!(
                    "SELinux type {t} is not one the policy allows ({})",
                    SELINUX_TYPES.join(", ")
                ),
            ),
            None => (
                Status::CannotTell,
                format!("SELinux context {} has no type", s.context),
            ),
        },
    }
}

fn proc_mount(f: &Facts) -> (Status, String) {
    let Some(m) = f.mounts else {
        return cannot("the mount table");
    };
    let exposed = f.exposed();
    if !exposed.is_empty() {
        return (
            Status::Fail,
            format!("/proc is unmasked: {} visible", exposed.join(", ")),
        );
    }
    let unknown: Vec<&str> = m
        .masked
        .iter()
        .filter(|x| x.state == MaskState::Unknown)
        .map(|x| x.path.as_str())
        .collect();
    if !unknown.is_empty() {
        return (
            Status::CannotTell,
            format!("cannot tell whether {} exist", unknown.join(", ")),
        );
    }
    let masked = m
        .masked
        .iter()
        .filter(|x| x.state == MaskState::Masked)
        .count();
    (
        Status::Pass,
        format!("the default masks are in place ({masked} paths masked, the others absent)"),
    )
}

fn seccomp(f: &Facts) -> (Status, String) {
    match f.seccomp {
        None => cannot("the seccomp status"),
        Some(SeccompMode::Disabled) => (Status::Fail, "no seccomp filter (Unconfined)".into()),
        Some(SeccompMode::Strict) => (Status::Pass, "strict seccomp mode".into()),
        Some(SeccompMode::Filter) => (
            Status::Pass,
            "a seccomp filter is in force (RuntimeDefault or Localhost)".into(),
        ),
    }
}

fn privilege_escalation(f: &Facts) -> (Status, String) {
    match f.no_new_privs {
        None => cannot("no_new_privs"),
        Some(true) => (Status::Pass, "no_new_privs is set".into()),
        Some(false) => (
            Status::Fail,
            "no_new_privs is not set (allowPrivilegeEscalation is not false)".into(),
        ),
    }
}

fn non_root(f: &Facts) -> (Status, String) {
    match f.uid {
        None => cannot("the uid"),
        Some(0) => (Status::Fail, "runs as uid 0".into()),
        Some(u) => (Status::Pass, format!("runs as uid {u}")),
    }
}
