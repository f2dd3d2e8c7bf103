//! Human rendering of the environment: the mounts, cgroups, kernel limits
//! and Kubernetes sections.

use super::color::Paint;
use super::writer::{VALUE_COL, Writer, plain, untrusted};
use crate::model::*;
use std::io::{self, Write};

fn yes_no(b: Option<bool>, yes: &str, no: &str) -> String {
    match b {
        Some(true) => yes.to_string(),
        Some(false) => no.to_string(),
        None => "unknown".to_string(),
    }
}

/// `container`: whether the runtime section found a container; outside
/// one, every mount is the host's own and is not listed as a host path.
pub(super) fn mounts<W: Write>(
    w: &mut Writer<'_, W>,
    s: &Section<Mounts>,
    container: Option<bool>,
) -> io::Result<()> {
    w.section("Mounts")?;
    let m = match s {
        Section::Ok(m) => m,
        Section::Failed { error } => return w.failed(error),
    };
    let root = match (&m.root.fs_type, m.root.read_only) {
        (Some(t), Some(true)) => format!("{}, {}", w.p.good("read-only"), untrusted(t)),
        (Some(t), _) => format!("writable, {}", untrusted(t)),
        _ => w.p.dim("no mount on / (a chroot?)"),
    };
    w.row("root", &root)?;
    for p in &m.pseudo {
        let v = match (p.present, p.writable) {
            (Some(false), _) => w.p.dim("absent"),
            (_, Some(true)) => w.p.warn("writable"),
            (_, Some(false)) => w.p.good("read-only"),
            (_, None) => w.p.dim("not mounted"),
        };
        // A label longer than the label column is cut to its last part.
        let label = if p.path.len() > VALUE_COL - 3 {
            p.path.rsplit('/').next().unwrap_or(&p.path)
        } else {
            &p.path
        };
        w.row(label, &v)?;
    }
    let of = |state: MaskState| -> Vec<String> {
        m.masked
            .iter()
            .filter(|x| x.state == state)
            .map(|x| x.path.clone())
            .collect()
    };
    w.list_row("masked", &of(MaskState::Masked), |p, s| p.good(s))?;
    let exposed = of(MaskState::Exposed);
    if !exposed.is_empty() {
        w.list_row("not masked", &exposed, |p, s| p.warn(s))?;
    }
    let unknown = of(MaskState::Unknown);
    if !unknown.is_empty() {
        w.list_row("unknown", &unknown, |p, s| p.dim(s))?;
    }
    if m.sockets.is_empty() {
        w.row("sockets", &w.p.good("no runtime socket found"))?;
    }
    for (i, s) in m.sockets.iter().enumerate() {
        let label = if i == 0 { "sockets" } else { "" };
        let api = if s.docker_api { ", Docker API" } else { "" };
        let from = s
            .host_path
            .as_ref()
            .map(|h| format!(", from {h}"))
            .unwrap_or_default();
        w.wrapped(
            label,
            &format!("{} ({}{api}{from})", s.path, s.runtime),
            Paint::bad,
        )?;
        let contact = match (&s.connect, &s.ping) {
            (None, _) => "not contacted (a captured tree)".to_string(),
            (Some(_), Some(p)) if p.answered => format!(
                "GET /_ping: {} {}in {:.1} ms",
                p.status.map(|s| s.to_string()).unwrap_or_default(),
                p.server
                    .as_ref()
                    .map(|s| format!("({s}) "))
                    .unwrap_or_default(),
                p.elapsed_us as f64 / 1000.0
            ),
            (Some(_), Some(p)) => format!(
                "connected; GET /_ping: {}",
                p.error.as_deref().unwrap_or("no answer")
            ),
            (Some(c), None) => format!("connect: {c}"),
        };
        w.wrapped("", &contact, Paint::dim)?;
    }
    let host: Vec<&HostPath> = m.host_paths.iter().collect();
    if container == Some(false) {
        w.row(
            "host paths",
            &w.p.dim("not in a container: every mount is the host's"),
        )?;
    } else if host.is_empty() {
        w.row("host paths", &w.p.good("none bind-mounted"))?;
    }
    for (i, h) in host.iter().enumerate().filter(|_| container != Some(false)) {
        let label = if i == 0 { "host paths" } else { "" };
        let rw = if h.read_only { "read-only" } else { "writable" };
        let text = format!(
            "{} <- {} ({} {}, {rw})",
            h.mount_point, h.host_path, h.fs_type, h.source
        );
        match &h.sensitive {
            Some(what) => {
                w.wrapped(label, &text, Paint::bad)?;
                w.wrapped("", what, Paint::dim)?;
            }
            None => w.wrapped(label, &text, plain)?,
        }
    }
    let d = &m.devices;
    let entries = match (d.entries, &d.error) {
        (Some(n), _) => format!("{n} entries in /dev"),
        (None, Some(e)) => format!("/dev not listed: {e}"),
        (None, None) => "/dev not listed".into(),
    };
    if d.notable.is_empty() && d.block.is_empty() {
        w.row(
            "devices",
            &format!("{entries}, {}", w.p.good("none of note")),
        )?;
    } else {
        w.row("devices", &entries)?;
        for x in &d.notable {
            w.cont(&format!(
                "{} {}",
                w.p.warn(&format!("{} ({}:{})", untrusted(&x.path), x.major, x.minor)),
                w.p.dim(&x.what)
            ))?;
        }
        if !d.block.is_empty() {
            let names: Vec<String> = d
                .block
                .iter()
                .map(|b| untrusted(b.path.trim_start_matches("/dev/")).into_owned())
                .collect();
            w.list_row("block devices", &names, |p, s| p.bad(s))?;
        }
    }
    Ok(())
}

fn bytes(n: u64) -> String {
    const UNITS: [(&str, u64); 4] = [
        ("TiB", 1 << 40),
        ("GiB", 1 << 30),
        ("MiB", 1 << 20),
        ("KiB", 1 << 10),
    ];
    for (unit, size) in UNITS {
        if n >= size {
            let v = n as f64 / size as f64;
            return if v.fract() == 0.0 {
                format!("{v:.0} {unit}")
            } else {
                format!("{v:.1} {unit}")
            };
        }
    }
    format!("{n} bytes")
}

pub(super) fn cgroups<W: Write>(w: &mut Writer<'_, W>, s: &Section<Cgroups>) -> io::Result<()> {
    w.section("Cgroups")?;
    let c = match s {
        Section::Ok(c) => c,
        Section::Failed { error } => return w.failed(error),
    };
    w.row("version", &c.version)?;
    for e in &c.evidence {
        w.wrapped("", e, Paint::dim)?;
    }
    let ns = match c.private_namespace {
        Some(true) => w.p.good("private"),
        Some(false) => w.p.warn("the host's"),
        None => w.p.dim("unknown"),
    };
    w.row("namespace", &ns)?;
    // The path of the memory hierarchy when there is one (the most telling
    // on v1), else the unified one.
    let path =
        c.v1.iter()
            .find(|h| h.controllers.split(',').any(|x| x == "memory"))
            .map(|h| h.path.clone())
            .or(c.unified_path.clone());
    if let Some(p) = path {
        w.wrapped("cgroup", &p, plain)?;
    }
    let none = |w: &Writer<'_, W>| w.p.warn("no limit");
    let unknown = |w: &Writer<'_, W>| w.p.dim("unknown");
    let memory = match &c.limits.memory {
        Some(Limit { max: Some(n), .. }) => bytes(*n),
        Some(_) => none(w),
        None => unknown(w),
    };
    w.row("memory", &memory)?;
    let cpu = match &c.limits.cpu {
        Some(CpuLimit { cpus: Some(n), .. }) => format!("{n:.2} CPUs"),
        Some(_) => none(w),
        None => unknown(w),
    };
    w.row("cpu", &cpu)?;
    let pids = match &c.limits.pids {
        Some(Limit { max: Some(n), .. }) => n.to_string(),
        Some(_) => none(w),
        None => unknown(w),
    };
    w.row("pids", &pids)?;
    for n in &c.limits.notes {
        w.wrapped("", n, Paint::dim)?;
    }
    if c.writable.is_empty() {
        w.row("writable", &w.p.good("no cgroup file system"))?;
    } else {
        let list: Vec<String> = c
            .writable
            .iter()
            .map(|x| untrusted(x).into_owned())
            .collect();
        w.list_row("writable", &list, |p, s| p.warn(s))?;
    }
    if let Some(a) = &c.release_agent {
        w.row("release_agent", &w.p.bad(&untrusted(a)))?;
    }
    if let Some(all) = c.devices_allow_all {
        w.row(
            "devices",
            &if all {
                w.p.warn("every device allowed (a *:* rwm)")
            } else {
                w.p.good("restricted by the device cgroup")
            },
        )?;
    }
    Ok(())
}

pub(super) fn kernel_limits<W: Write>(
    w: &mut Writer<'_, W>,
    s: &Section<KernelLimits>,
) -> io::Result<()> {
    w.section("Kernel limits")?;
    let k = match s {
        Section::Ok(k) => k,
        Section::Failed { error } => return w.failed(error),
    };
    // Only what is there: an absent sysctl is a kernel without that knob.
    let mut label = "sysctls";
    for x in &k.sysctls {
        let Some(v) = &x.value else { continue };
        let text = format!("{} = {v}", x.name);
        match &x.meaning {
            Some(m) => w.wrapped(label, &format!("{text}: {m}"), Paint::warn)?,
            None => w.wrapped(label, &text, plain)?,
        }
        label = "";
    }
    let absent: Vec<String> = k
        .sysctls
        .iter()
        .filter(|x| x.value.is_none())
        .map(|x| x.name.clone())
        .collect();
    if !absent.is_empty() {
        w.list_row("not present", &absent, |p, s| p.dim(s))?;
    }
    w.row(
        "lockdown",
        &k.lockdown
            .clone()
            .unwrap_or_else(|| w.p.dim("unknown (securityfs not readable)")),
    )?;
    let landlock = match k.landlock.abi {
        Some(v) => format!("ABI {v}"),
        None => w.p.dim(&k.landlock.note),
    };
    w.wrapped("Landlock", &landlock, plain)?;
    w.row(
        "SELinux",
        &yes_no(k.selinux_enforcing, "enforcing", "permissive")
            .replace("unknown", &w.p.dim("not visible")),
    )?;
    w.row(
        "AppArmor",
        &yes_no(k.apparmor_enabled, "enabled", "not enabled")
            .replace("unknown", &w.p.dim("not visible")),
    )
}

pub(super) fn kubernetes<W: Write>(
    w: &mut Writer<'_, W>,
    s: &Section<Kubernetes>,
) -> io::Result<()> {
    w.section("Kubernetes")?;
    let k = match s {
        Section::Ok(k) => k,
        Section::Failed { error } => return w.failed(error),
    };
    if !k.pod {
        return w.row("pod", &w.p.dim("not in a Kubernetes pod"));
    }
    w.row(
        "pod",
        k.pod_name.as_deref().unwrap_or("a pod, name unknown"),
    )?;
    if let Some(from) = &k.pod_name_from {
        w.wrapped("", &format!("from {from}"), Paint::dim)?;
    }
    for (label, v) in [
        ("namespace", &k.namespace),
        ("service account", &k.service_account),
        ("node", &k.node_name),
        ("API server", &k.api_server),
    ] {
        if let Some(v) = v {
            w.row(label, &untrusted(v))?;
        }
    }
    match &k.token {
        Some(t) => w.wrapped("token", &format!("mounted at {t}"), Paint::warn)?,
        None => w.row("token", &w.p.good("none mounted"))?,
    }
    for e in &k.evidence {
        w.wrapped("", e, Paint::dim)?;
    }
    Ok(())
}
