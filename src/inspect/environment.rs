//! Gathers the environment sections (mounts, cgroups, kernel limits,
//! Kubernetes) from a [`Root`], reading what more than one of them needs
//! (the mount table, this process's cgroups) once.
//!
//! Like the other sections, each is gathered under its own guard: odd
//! input fails that section only.

use super::guard::guarded;
use super::shared::Shared;
use super::{cgroups, devices, kube, limits, mounts, sockets};
use crate::fsroot::Root;
use crate::linux::mountinfo;
use crate::model::{Cgroups, KernelLimits, Kubernetes, Mounts, Probe, Section};

/// The environment sections of the report.
pub struct Environment {
    pub mounts: Section<Mounts>,
    pub cgroups: Section<Cgroups>,
    pub kernel_limits: Section<KernelLimits>,
    pub kubernetes: Section<Kubernetes>,
}

/// The initial UTS namespace's inode (include/linux/proc_ns.h).
const UTS_INIT_INO: u64 = 0xEFFF_FFFE;

/// `landlock`: the answer [`limits::ask_landlock`] got, first of all.
pub fn gather(
    root: &Root,
    shared: &Shared,
    probe: &Section<Probe>,
    landlock: limits::LandlockAnswer,
) -> Environment {
    let table: Result<Vec<mountinfo::Mount>, String> = shared
        .mountinfo
        .as_deref()
        .map_err(|e| e.clone())
        .and_then(|t| mountinfo::parse_table(t).map_err(|e| format!("/proc/self/mountinfo: {e}")));
    let self_cgroup = shared.self_cgroup.as_deref();

    let mounts = guarded("mounts", || {
        let table = match &table {
            Ok(t) => t,
            Err(e) => return Section::failed(format!("mounts need /proc/self/mountinfo: {e}")),
        };
        Section::Ok(Mounts {
            count: table.len(),
            root: mounts::root_fs(root, table),
            pseudo: mounts::pseudo(root, table),
            masked: mounts::masked(root, table),
            sockets: sockets::find(root, table),
            host_paths: mounts::host_paths(table),
            devices: devices::read(root),
        })
    });
    let cgroups = guarded("cgroups", || {
        let empty = Vec::new();
        let table = table.as_ref().unwrap_or(&empty);
        cgroups::read(root, shared, table, self_cgroup).into()
    });
    let kubernetes = guarded("kubernetes", || {
        let uts_private = shared
            .ns
            .get(crate::linux::ns::Kind::Uts)
            .as_ref()
            .is_ok_and(|&i| i != UTS_INIT_INO);
        let process = kube::Process {
            cgroup: self_cgroup,
            environ: shared.self_environ.as_deref(),
            init_environ: shared.init_environ.as_deref(),
        };
        Section::Ok(kube::read(root, uts_private, &process))
    });
    let kernel_limits = guarded("kernel limits", || {
        limits::read(root, landlock, probe).into()
    });
    Environment {
        mounts,
        cgroups,
        kernel_limits,
        kubernetes,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A captured tree answers "absent" for a path only if the capture
    /// looked at it: every path the environment sections stat or read must
    /// be one that scripts/lab/capture-inside.sh captures.
    #[test]
    fn the_capture_looks_at_every_path_read_here() {
        let script = std::fs::read_to_string("scripts/lab/capture-inside.sh").unwrap();
        let mut paths: Vec<String> = Vec::new();
        paths.extend(mounts::MASKED.iter().map(|p| p.to_string()));
        paths.extend(mounts::PSEUDO.iter().map(|p| p.to_string()));
        paths.extend(devices::stat_paths().iter().map(|p| p.to_string()));
        paths.extend(limits::SYSCTLS.iter().map(|n| limits::sysctl_path(n)));
        paths.extend(
            [
                "/sys/module",
                "/sys/module/apparmor",
                "/sys/module/apparmor/parameters/enabled",
                "/sys/fs/selinux/enforce",
                "/sys/kernel/security/lockdown",
                "/etc/podinfo/name",
                "/etc/podinfo/namespace",
            ]
            .map(String::from),
        );
        for p in &paths {
            assert!(
                script.contains(p.as_str()),
                "capture-inside.sh does not capture {p}"
            );
        }
        for s in sockets::well_known() {
            let rel = s
                .strip_prefix("/var/run/")
                .or_else(|| s.strip_prefix("/run/"))
                .unwrap();
            assert!(script.contains(rel), "capture-inside.sh does not stat {s}");
        }
        for f in [
            "memory.max",
            "cpu.max",
            "pids.max",
            "cgroup.controllers",
            "memory.limit_in_bytes",
            "cpu.cfs_quota_us",
            "cpu.cfs_period_us",
            "devices.list",
            "release_agent",
        ] {
            assert!(script.contains(f), "capture-inside.sh does not capture {f}");
        }
    }

    #[test]
    fn the_live_system_gives_every_section() {
        let root = Root::live();
        let shared = Shared::read(&root);
        let landlock = limits::ask_landlock(&root);
        let e = gather(&root, &shared, &Section::failed("not probed"), landlock);
        assert!(e.mounts.is_ok(), "{:?}", e.mounts.error());
        assert!(e.cgroups.is_ok(), "{:?}", e.cgroups.error());
        assert!(e.kernel_limits.is_ok() && e.kubernetes.is_ok());
        assert!(e.mounts.ok().unwrap().count > 0);
    }
}
