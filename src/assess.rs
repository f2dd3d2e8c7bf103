//! The assessment: a verdict on how isolated this process is, the most
//! important risks in plain words, and the Pod Security Standards controls
//! (pss.rs), all drawn from the other sections of the report through the
//! facts they state (facts.rs).
//!
//! Pure: it reads the model and nothing else, so it runs the same on a live
//! report, a captured tree and a test's hand-made report. A section that
//! could not be gathered makes what depends on it "cannot tell", never a
//! guess.

mod facts;
pub mod pss;

use facts::privileged;
pub use facts::{Facts, Sections};

use crate::model::*;

pub fn assess(s: &Sections) -> Result<Assessment, String> {
    let f = Facts::of(s);
    let risks = risks(&f);
    let (verdict, summary, reasons) = verdict(&f);
    Ok(Assessment {
        verdict: verdict.into(),
        summary,
        reasons,
        risks,
        pod_security: pss::assess(&f),
    })
}

fn verdict(f: &Facts) -> (&'static str, String, Vec<String>) {
    match f.container {
        Some(false) => return ("not_in_container", "not in a container".into(), vec![]),
        None => {
            return (
                "unknown",
                "cannot tell: the runtime section could not be gathered".into(),
                vec![],
            );
        }
        Some(true) => {}
    }
    let (Some(eff), Some(bnd), Some(mode), Some(nnp)) =
        (f.effective, f.bounding, f.seccomp, f.no_new_privs)
    else {
        return (
            "unknown",
            "cannot tell: capabilities or seccomp could not be read".into(),
            vec![],
        );
    };
    let (privileged, signs) = privileged(f);
    if privileged == Some(true) {
        return ("privileged", "privileged container".into(), signs);
    }
    let filter = mode != SeccompMode::Disabled;
    let only_bind_service = bnd.iter().all(|c| c == "CAP_NET_BIND_SERVICE");
    if eff.is_empty() && only_bind_service && nnp && filter {
        let mut reasons = vec![
            "no effective capabilities, and none in the bounding set".to_string(),
            "no_new_privs: nothing gained through exec".into(),
            "a seccomp filter is in force".into(),
        ];
        if bnd.len() == 1 {
            reasons[0] =
                "no effective capabilities; CAP_NET_BIND_SERVICE alone in the bounding set".into();
        }
        let weak = weaknesses(f);
        if weak.is_empty() {
            read_only_root(f, &mut reasons);
            return (
                "hardened",
                "hardened: no capabilities, no_new_privs, seccomp".into(),
                reasons,
            );
        }
        return ("weakened", "weakened isolation".into(), weak);
    }
    let mut weak = weaknesses(f);
    let added = f.caps_outside_docker_default().unwrap_or_default();
    if !added.is_empty() {
        let where_ = if f.caps_act_on_host() {
            ""
        } else {
            " (in a private user namespace)"
        };
        weak.insert(
            0,
            format!(
                "capabilities beyond Docker's default{where_}: {}",
                added.join(" ")
            ),
        );
    }
    if !filter {
        weak.insert(0, "no seccomp filter".into());
    }
    if weak.is_empty() {
        // Named for the runtime in force when that is its own default
        // (podman's set is smaller than Docker's), else for Docker's.
        let runtime = crate::linux::caps::runtime_default(f.runtimes)
            .filter(|(_, set)| crate::linux::caps::all_in(eff, set))
            .map_or("Docker", |(name, _)| name);
        let mut reasons = vec![
            format!("capabilities within {runtime}'s default set"),
            "a seccomp filter is in force".into(),
            "private pid, network, ipc, uts and mount namespaces".into(),
        ];
        if f.host("user") == Some(false) {
            reasons.push("a private user namespace".into());
        }
        read_only_root(f, &mut reasons);
        let summary = format!("{runtime}-default isolation");
        return ("docker_default", summary, reasons);
    }
    ("weakened", "weakened isolation".into(), weak)
}

fn read_only_root(f: &Facts, reasons: &mut Vec<String>) {
    if f.mounts.and_then(|m| m.root.read_only) == Some(true) {
        reasons.push("a read-only root file system".into());
    }
}

/// What takes a container below the isolation Docker gives by default,
/// apart from capabilities and seccomp (which the caller weighs).
fn weaknesses(f: &Facts) -> Vec<String> {
    let mut out = Vec::new();
    for kind in ["pid", "net", "ipc", "uts", "mnt"] {
        if f.host(kind) == Some(true) {
            out.push(format!("the host's {kind} namespace"));
        }
    }
    if let Some(m) = f.mounts {
        for s in &m.sockets {
            out.push(format!(
                "{} ({} API socket) within reach",
                s.path, s.runtime
            ));
        }
        for h in m.host_paths.iter().filter(|h| h.sensitive.is_some()) {
            out.push(format!(
                "{} mounted at {}",
                h.sensitive.as_deref().unwrap_or(""),
                h.mount_point
            ));
        }
        let exposed = f.exposed();
        if !exposed.is_empty() {
            out.push(format!("not masked: {}", exposed.join(", ")));
        }
        for p in ["/sys", "/proc/sys"] {
            if f.writable(p) == Some(true) {
                out.push(format!("{p} mounted writable"));
            }
        }
        if !m.devices.block.is_empty() {
            out.push(format!("{} block devices in /dev", m.devices.block.len()));
        }
    }
    if let Some(release_file) = f.cgroups.and_then(|c| c.release_agent.as_ref()) {
        out.push(format!("{release_file} on a writable cgroup mount"));
    }
    out
}

fn risk(severity: Severity, id: &str, text: impl Into<String>) -> Risk {
    Risk {
        severity,
        id: id.into(),
        text: text.into(),
    }
}

/// One step less severe (a read-only mount of a sensitive path).
fn milder(s: Severity) -> Severity {
    match s {
        Severity::Critical => Severity::High,
        Severity::High => Severity::Medium,
        _ => Severity::Low,
    }
}

fn risks(f: &Facts) -> Vec<Risk> {
    let mut out = Vec::new();
    if f.container == Some(false) {
        // Outside a container the host's namespaces and devices are simply
        // the host's: only what reaches further is worth saying.
        socket_risks(f, &mut out);
        crate::sort::sort_by_key(&mut out, |r| r.severity);
        return out;
    }
    socket_risks(f, &mut out);
    let host_caps = f.caps_act_on_host();
    let no_seccomp = f.seccomp == Some(SeccompMode::Disabled);
    let cap = |c: &str| host_caps && f.has_effective(c);
    if cap("CAP_SYS_ADMIN") {
        if no_seccomp {
            out.push(risk(
                Severity::Critical,
                "cap_sys_admin_no_seccomp",
                "CAP_SYS_ADMIN without seccomp: mount, cgroups, BPF and most kernel interfaces are open",
            ));
        } else {
            out.push(risk(
                Severity::High,
                "cap_sys_admin",
                "CAP_SYS_ADMIN: mount and most kernel interfaces (the seccomp filter narrows the calls)",
            ));
        }
    }
    if cap("CAP_SYS_MODULE") {
        // The capability is checked by init_module and finit_module, which a
        // policy may refuse (LXC's does).
        if f.refused("init_module") == Some(true) && f.refused("finit_module") == Some(true) {
            out.push(risk(
                Severity::Medium,
                "cap_sys_module",
                "CAP_SYS_MODULE: the seccomp filter refuses init_module and finit_module, so no module can be loaded directly; it could be if the filter went",
            ));
        } else {
            out.push(risk(
                Severity::Critical,
                "cap_sys_module",
                "CAP_SYS_MODULE: can load kernel modules, i.e. run code in the host kernel",
            ));
        }
    }
    if cap("CAP_SYS_PTRACE") {
        if f.host("pid") == Some(true) {
            out.push(risk(
                Severity::Critical,
                "cap_sys_ptrace_host_pid",
                "CAP_SYS_PTRACE with the host's PID namespace: can inject code into host processes",
            ));
        } else {
            out.push(risk(
                Severity::Medium,
                "cap_sys_ptrace",
                "CAP_SYS_PTRACE: can trace any process of this container",
            ));
        }
    }
    if cap("CAP_DAC_READ_SEARCH") {
        // The escape goes through open_by_handle_at, which a policy may
        // refuse (LXC's and Docker's do); what stays is reading past file
        // permissions in what the container sees.
        if f.refused("open_by_handle_at") == Some(true) {
            out.push(risk(
                Severity::Medium,
                "cap_dac_read_search",
                "CAP_DAC_READ_SEARCH: reads any file it can see, whatever its permissions; open_by_handle_at, the way to host files, is refused by the seccomp filter",
            ));
        } else {
            out.push(risk(
                Severity::High,
                "cap_dac_read_search",
                "CAP_DAC_READ_SEARCH: open_by_handle_at reads host files on any mounted file system",
            ));
        }
    }
    if cap("CAP_SYS_RAWIO") {
        out.push(risk(
            Severity::High,
            "cap_sys_rawio",
            "CAP_SYS_RAWIO: raw I/O to devices and memory",
        ));
    }
    if cap("CAP_NET_ADMIN") && f.host("net") == Some(true) {
        out.push(risk(
            Severity::High,
            "cap_net_admin_host_net",
            "CAP_NET_ADMIN in the host's network namespace: can reconfigure the host's network",
        ));
    }
    if cap("CAP_BPF") || cap("CAP_PERFMON") {
        out.push(risk(
            Severity::Medium,
            "cap_bpf_perfmon",
            "CAP_BPF or CAP_PERFMON: BPF programs and kernel tracing",
        ));
    }
    if no_seccomp && !cap("CAP_SYS_ADMIN") {
        out.push(risk(
            Severity::Medium,
            "no_seccomp",
            "no seccomp filter: every system call reaches the kernel",
        ));
    }
    let gainable: Vec<&str> = f
        .dangerous_bounding
        .unwrap_or(&[])
        .iter()
        .filter(|c| !f.has_effective(c))
        .map(String::as_str)
        .collect();
    if host_caps && f.no_new_privs == Some(false) && !gainable.is_empty() {
        out.push(risk(
            Severity::Medium,
            "gainable_caps",
            format!(
                "a setuid or file-capability binary can grant {} (no no_new_privs)",
                gainable.join(", ")
            ),
        ));
    }
    for (kind, sev, text) in [
        (
            "pid",
            Severity::High,
            "host PID namespace: every host process is visible",
        ),
        (
            "net",
            Severity::High,
            "host network namespace: host interfaces and services on localhost are reachable",
        ),
        (
            "ipc",
            Severity::Medium,
            "host IPC namespace: host shared memory and semaphores",
        ),
        (
            "uts",
            Severity::Low,
            "host UTS namespace: can see (and with CAP_SYS_ADMIN set) the host's name",
        ),
    ] {
        if f.host(kind) == Some(true) {
            out.push(risk(sev, &format!("host_{kind}_namespace"), text));
        }
    }
    mount_risks(f, &mut out);
    if let Some(c) = f.cgroups {
        if let Some(release_file) = &c.release_agent {
            if cap("CAP_SYS_ADMIN") {
                out.push(risk(
                    Severity::Critical,
                    "release_agent",
                    format!("{release_file} is writable with CAP_SYS_ADMIN: the host runs a program of your choice as root"),
                ));
            } else {
                out.push(risk(
                    Severity::Medium,
                    "writable_cgroupfs",
                    format!("a cgroup v1 hierarchy is mounted writable ({release_file})"),
                ));
            }
        } else if !c.writable.is_empty() && cap("CAP_SYS_ADMIN") {
            out.push(risk(
                Severity::Medium,
                "writable_cgroupfs",
                format!(
                    "cgroup file systems mounted writable: {}",
                    c.writable.join(", ")
                ),
            ));
        }
        if c.limits.pids.as_ref().is_some_and(|l| l.max.is_none()) {
            out.push(risk(
                Severity::Low,
                "no_pids_limit",
                "no pids limit on this cgroup: a fork bomb reaches the host's limit",
            ));
        }
        if c.limits.memory.as_ref().is_some_and(|l| l.max.is_none()) {
            out.push(risk(
                Severity::Low,
                "no_memory_limit",
                "no memory limit on this cgroup",
            ));
        }
    }
    if let Some(k) = f.kube.filter(|k| k.token.is_some()) {
        let who = match (&k.namespace, &k.service_account) {
            (Some(ns), Some(sa)) => format!(" as {ns}/{sa}"),
            _ => String::new(),
        };
        out.push(risk(
            Severity::Medium,
            "service_account_token",
            format!("a service-account token is mounted: the pod can call the API server{who}"),
        ));
    }
    crate::sort::sort_by_key(&mut out, |r| r.severity);
    out
}

fn socket_risks(f: &Facts, out: &mut Vec<Risk>) {
    let Some(m) = f.mounts else { return };
    for s in &m.sockets {
        let what = format!("{} ({} API)", s.path, s.runtime);
        let answers = s.ping.as_ref().filter(|p| p.answered);
        let (sev, text) = match (answers, s.connect.as_deref()) {
            (Some(p), _) => {
                let server = p
                    .server
                    .as_ref()
                    .map(|v| format!(" as {v}"))
                    .unwrap_or_default();
                (
                    Severity::Critical,
                    format!("{what} is mounted and answers{server}: root on the host"),
                )
            }
            (None, Some("connected")) => (
                Severity::Critical,
                format!("{what} is mounted and accepts connections: root on the host"),
            ),
            // A captured tree: nothing was contacted.
            (None, None) => (
                Severity::Critical,
                format!("{what} is mounted: root on the host for whoever can connect to it"),
            ),
            (None, Some(refused)) => (
                Severity::High,
                format!(
                    "{what} is mounted: root on the host for whoever can connect to it (here: {refused})"
                ),
            ),
        };
        out.push(risk(sev, "runtime_socket", text));
    }
}

fn mount_risks(f: &Facts, out: &mut Vec<Risk>) {
    let Some(m) = f.mounts else { return };
    for h in &m.host_paths {
        let Some(what) = &h.sensitive else { continue };
        // Sockets are said once, above.
        if m.sockets.iter().any(|s| s.path == h.mount_point) {
            continue;
        }
        let sev = if h.host_path == "/" && !h.fs_type.starts_with("devtmpfs") {
            Severity::Critical
        } else if what.starts_with("a home") || what.contains("logs") {
            Severity::Medium
        } else {
            Severity::High
        };
        let sev = if h.read_only && sev != Severity::Critical {
            milder(sev)
        } else {
            sev
        };
        let rw = if h.read_only { "read-only" } else { "writable" };
        out.push(risk(
            sev,
            "host_path",
            format!(
                "{what} is mounted at {} ({rw}, from {})",
                h.mount_point, h.host_path
            ),
        ));
    }
    for (path, id, what) in [
        (
            "/proc/sys",
            "proc_sys_writable",
            "the host kernel's settings are one write away",
        ),
        (
            "/proc/sysrq-trigger",
            "sysrq_writable",
            "SysRq commands (reboot, crash) reach the host kernel",
        ),
        (
            "/sys",
            "sys_writable",
            "kernel and device settings are one write away",
        ),
    ] {
        if f.writable(path) != Some(true) || f.container != Some(true) {
            continue;
        }
        // In a private user namespace the kernel lets only the namespace's
        // own settings be changed (network, ipc, uts), not the host's.
        if f.caps_act_on_host() {
            out.push(risk(
                Severity::High,
                id,
                format!("{path} is mounted writable: {what}"),
            ));
        } else {
            out.push(risk(
                Severity::Low,
                id,
                format!(
                    "{path} is mounted writable (in a private user namespace: only the namespace's own settings)"
                ),
            ));
        }
    }
    let exposed = f.exposed();
    if !exposed.is_empty() {
        out.push(risk(
            Severity::Medium,
            "unmasked_paths",
            format!("not masked: {}", exposed.join(", ")),
        ));
    }
    let d = &m.devices;
    if !d.block.is_empty() {
        let names: Vec<&str> = d
            .block
            .iter()
            .take(6)
            .map(|b| b.path.trim_start_matches("/dev/"))
            .collect();
        let more = if d.block.len() > 6 { " ..." } else { "" };
        out.push(risk(
            Severity::High,
            "block_devices",
            format!(
                "block devices in /dev ({}{more}): raw access to disks",
                names.join(" ")
            ),
        ));
    }
    let memory: Vec<&str> = d
        .notable
        .iter()
        .filter(|x| matches!(x.path.as_str(), "/dev/mem" | "/dev/kmem" | "/dev/port"))
        .map(|x| x.path.as_str())
        .collect();
    if !memory.is_empty() {
        out.push(risk(
            Severity::Critical,
            "memory_devices",
            format!("{}: physical memory and I/O ports", memory.join(", ")),
        ));
    }
    let others: Vec<&str> = d
        .notable
        .iter()
        .filter(|x| !memory.contains(&x.path.as_str()))
        .map(|x| x.path.as_str())
        .collect();
    if !others.is_empty() {
        out.push(risk(
            Severity::Low,
            "devices",
            format!(
                "device nodes a default container does not have: {}",
                others.join(" ")
            ),
        ));
    }
}

#[cfg(test)]
pub(crate) mod tests;
