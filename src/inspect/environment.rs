//! Gathers the environment sections (mounts, cgroups, kernel limits,
//! Kubernetes) from a [`Root`], reading what more than one of them needs
//! (the mount table, this process's cgroups) once.
//!
//! Like the other sections, each is gathered under its own guard: odd
//! input fails that section only.

use super::{Shared, cgroups, devices, guarded, kube, limits, mountinfo, mounts, sockets};
use crate::fsroot::Root;
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

pub fn gather(root: &Root, shared: &Shared, probe: &Section<Probe>) -> Environment {
    let mountinfo_text = root.read("/proc/self/mountinfo").map_err(|e| e.to_string());
    let table: Result<Vec<mountinfo::Mount>, String> = mountinfo_text
        .as_deref()
        .map(mountinfo::parse)
        .map_err(|e| e.clone());
    let self_cgroup = root.read("/proc/self/cgroup").ok();

    let mounts = guarded("mounts", || {
        let table = match &table {
            Ok(t) => t,
            Err(e) => return Section::failed(format!("mounts need /proc/self/mountinfo: {e}")),
        };
        Section::Ok(Mounts {
            count: table.len(),
            root: mounts::root_fs(table),
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
        cgroups::read(root, shared, table, self_cgroup.as_deref()).into()
    });
    let kernel_limits = guarded("kernel limits", || limits::read(root, probe).into());
    let kubernetes = guarded("kubernetes", || {
        let uts_private = shared
            .ns
            .get(super::namespaces::Kind::Uts)
            .as_ref()
            .is_ok_and(|&i| i != UTS_INIT_INO);
        Section::Ok(kube::read(root, uts_private, self_cgroup.as_deref()))
    });
    Environment {
        mounts,
        cgroups,
        kernel_limits,
        kubernetes,
    }
}
