//! Gathers the report: each section read independently from a [`Root`].
//!
//! Sections never depend on each other's success: a failure (or a bug that
//! panics while parsing odd input) fills that section with an error and the
//! rest are still gathered.

pub mod caps;
pub mod identity;
pub mod lsm;
pub mod namespaces;
pub mod runtime;
pub mod status;
pub mod system;
pub mod userns;

use crate::cli::ProbeChoice;
use crate::fsroot::Root;
use crate::model::*;
use std::panic::{AssertUnwindSafe, catch_unwind};

/// Gathers every section. `probe` says whether and how to probe seccomp.
pub fn gather(root: &Root, probe: ProbeChoice) -> Report {
    quiet_panics();
    // The probe runs first, so the status read below (Seccomp,
    // Seccomp_filters, NoNewPrivs) shows whatami's state after probing: the
    // report itself shows that probing changed nothing in this process.
    let probe = if root.is_live() {
        guarded("seccomp probe", || crate::seccomp::probe(probe))
    } else {
        // A captured tree has no live policy to ask.
        Section::Ok(crate::seccomp::not_run("reading a captured tree (--root)"))
    };
    let status = guarded("/proc/self/status", || {
        root.read("/proc/self/status")
            .map(|text| status::ProcStatus::parse(&text))
            .into()
    });
    let from_status = |name: &str| -> Result<&status::ProcStatus, String> {
        status.ok().ok_or_else(|| {
            format!(
                "{name} needs /proc/self/status: {}",
                status.error().unwrap_or("")
            )
        })
    };

    Report {
        schema_version: SCHEMA_VERSION,
        whatami_version: env!("CARGO_PKG_VERSION").to_string(),
        system: guarded("system", || system::read(root).into()),
        runtime: guarded("runtime", || runtime::detect(root).into()),
        seccomp: Seccomp {
            status: guarded("seccomp", || {
                from_status("seccomp").and_then(|s| s.seccomp()).into()
            }),
            probe,
        },
        capabilities: guarded("capabilities", || {
            from_status("capabilities")
                .and_then(caps::from_status)
                .into()
        }),
        namespaces: guarded("namespaces", || namespaces::read(root).into()),
        user_namespace: guarded("user namespace", || userns::read(root).into()),
        identity: guarded("identity", || {
            from_status("identity")
                .and_then(|s| identity::read(root, s))
                .into()
        }),
        lsm: guarded("lsm", || lsm::read(root).into()),
    }
}

/// Runs one section's gatherer, turning a panic into that section's error.
fn guarded<T>(what: &str, f: impl FnOnce() -> Section<T>) -> Section<T> {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(s) => s,
        Err(payload) => {
            let msg = payload
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".into());
            Section::failed(format!("internal error while reading {what}: {msg}"))
        }
    }
}

/// A panic inside a section is reported in that section; the default hook
/// would also print it to stderr, in the middle of the report.
fn quiet_panics() {
    std::panic::set_hook(Box::new(|_| {}));
}
