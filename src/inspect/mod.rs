//! Gathers the report's sections: each read independently from a [`Root`].
//! The assessment, the profile's name and `--check` come after, in the
//! report's pipeline (src/report.rs); nothing here calls them.
//!
//! Sections never depend on each other's success: a failure (or a bug that
//! panics while parsing odd input) fills that section with an error and the
//! rest are still gathered (guard.rs).
//!
//! What several sections are read against (the status file, the kernel
//! release, this process's namespace links, whether the kernel is a
//! sandbox's) is read once, into [`Shared`] (shared.rs), and handed to each
//! of them; the sections' parsers stay pure functions of text.

pub mod caps;
mod guard;
pub mod identity;
pub mod lsm;
pub mod namespaces;
pub mod runtime;
mod shared;
pub mod system;
pub mod userns;
// The environment sections (environment.rs gathers them).
pub mod cgroups;
pub mod devices;
pub mod environment;
pub mod kube;
pub mod limits;
pub mod mounts;
pub mod sockets;
// What the report is about, from the sections above.
pub mod subject;

use crate::fsroot::Root;
use crate::model::*;
use crate::seccomp::ProbeRequest;
use guard::catch;
pub(crate) use guard::guarded;
pub use shared::Shared;

/// Every section of the report that is read from the root; the pipeline
/// (src/report.rs) assesses them and assembles the report.
pub struct Gathered {
    pub system: Section<System>,
    pub runtime: Section<Runtime>,
    pub seccomp: Seccomp,
    pub capabilities: Section<Capabilities>,
    pub namespaces: Section<Namespaces>,
    pub user_namespace: Section<UserNamespace>,
    pub identity: Section<Identity>,
    pub lsm: Section<Lsm>,
    pub mounts: Section<Mounts>,
    pub cgroups: Section<Cgroups>,
    pub kernel_limits: Section<KernelLimits>,
    pub kubernetes: Section<Kubernetes>,
}

/// Gathers every section. `probe` says whether and how to probe seccomp.
pub fn gather(root: &Root, probe: ProbeRequest) -> Gathered {
    // The Landlock version is asked before anything else: if that takes a
    // disposable child, a fork now, with little memory mapped, costs least.
    let landlock = catch("the Landlock query", || limits::ask_landlock(root))
        .unwrap_or_else(limits::LandlockAnswer::failed);
    // The probe runs first, so the status read below (Seccomp,
    // Seccomp_filters, NoNewPrivs) shows whatami's state after probing: the
    // report itself shows that probing changed nothing in this process.
    let probe = if root.is_live() {
        guarded("seccomp probe", || crate::seccomp::probe(probe))
    } else {
        // A captured tree has no live policy to ask.
        Section::Ok(crate::seccomp::not_run("reading a captured tree (--root)"))
    };
    let shared = Shared::read(root);
    let from_status = |name: &str| -> Result<&crate::linux::status::ProcStatus, String> {
        shared
            .status
            .as_ref()
            .map_err(|e| format!("{name} needs /proc/self/status: {e}"))
    };

    let env = environment::gather(root, &shared, &probe, landlock);
    Gathered {
        system: guarded("system", || system::read(&shared).into()),
        runtime: guarded("runtime", || runtime::detect(root, &shared).into()),
        seccomp: Seccomp {
            status: guarded("seccomp", || {
                from_status("seccomp").and_then(|s| s.seccomp()).into()
            }),
            probe,
            profile: None,
        },
        capabilities: guarded("capabilities", || {
            from_status("capabilities")
                .and_then(caps::from_status)
                .into()
        }),
        namespaces: guarded("namespaces", || namespaces::read(root, &shared).into()),
        user_namespace: guarded("user namespace", || userns::read(root, &shared).into()),
        identity: guarded("identity", || {
            from_status("identity")
                .and_then(|s| identity::read(root, s))
                .into()
        }),
        lsm: guarded("lsm", || lsm::read(root).into()),
        mounts: env.mounts,
        cgroups: env.cgroups,
        kernel_limits: env.kernel_limits,
        kubernetes: env.kubernetes,
    }
}
