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
///
/// The default panic hook would also print the panic to stderr, in the
/// middle of the report, so a quiet hook is installed for the section only
/// and the previous one put back afterwards: a panic anywhere else (a
/// renderer, main) still prints its message before whatami exits.
fn guarded<T>(what: &str, f: impl FnOnce() -> Section<T>) -> Section<T> {
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let outcome = catch_unwind(AssertUnwindSafe(f));
    std::panic::set_hook(previous);
    match outcome {
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[test]
    fn a_section_panics_quietly_and_later_panics_still_reach_the_hook() {
        static SEEN: AtomicUsize = AtomicUsize::new(0);
        let original = std::panic::take_hook();
        std::panic::set_hook(Box::new(|_| {
            SEEN.fetch_add(1, Ordering::SeqCst);
        }));
        let s: Section<()> = guarded("a test section", || panic!("odd input"));
        let seen_inside = SEEN.load(Ordering::SeqCst);
        let _ = catch_unwind(|| panic!("outside any section"));
        let seen_after = SEEN.load(Ordering::SeqCst);
        std::panic::set_hook(original);
        assert_eq!(
            s.error(),
            Some("internal error while reading a test section: odd input")
        );
        assert_eq!(seen_inside, 0, "the section's panic reached the hook");
        assert_eq!(seen_after, 1, "the hook was not put back after the section");
    }
}
