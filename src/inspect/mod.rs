//! Gathers the report's sections: each read independently from a [`Root`].
//!
//! Sections never depend on each other's success: a failure (or a bug that
//! panics while parsing odd input) fills that section with an error and the
//! rest are still gathered.
//!
//! What several sections are read against (the status file, the kernel
//! release, this process's namespace links, whether the kernel is a
//! sandbox's) is read once, into [`Shared`], and handed to each of them; the
//! sections' parsers stay pure functions of text.

pub mod caps;
pub mod identity;
pub mod lsm;
pub mod namespaces;
pub mod runtime;
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

use crate::fsroot::Root;
use crate::model::*;
use crate::seccomp::ProbeRequest;
use std::panic::{AssertUnwindSafe, catch_unwind};

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

/// What more than one section is read against, each file read once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shared {
    /// /proc/self/status, parsed, or why it could not be read.
    pub status: Result<crate::linux::status::ProcStatus, String>,
    /// /proc/sys/kernel/osrelease, trimmed; `Ok(None)` when absent or empty.
    /// It is read rather than uname(2) so that a captured tree reports the
    /// captured kernel.
    pub release: Result<Option<String>, String>,
    /// This process's namespace links.
    pub ns: namespaces::Links,
    /// Why the kernel is taken for gVisor's sentry rather than Linux (then
    /// namespace inode numbers are the sandbox's, and prove nothing).
    pub gvisor: Option<String>,
    /// Files that the runtime and the environment sections both read:
    /// /proc/self/mountinfo (or why it could not be read), and this
    /// process's cgroups and environment and PID 1's environment (`None`
    /// when unreadable: each is only one piece of evidence).
    pub mountinfo: Result<String, String>,
    pub self_cgroup: Option<String>,
    pub self_environ: Option<String>,
    pub init_environ: Option<String>,
}

impl Shared {
    /// Reads each part through its own guard: a panic on odd input costs
    /// only the sections that need that part.
    pub fn read(root: &Root) -> Shared {
        let status = catch("/proc/self/status", || {
            root.read("/proc/self/status")
                .map(|text| crate::linux::status::ProcStatus::parse(&text))
                .map_err(|e| e.to_string())
        })
        .and_then(|r| r);
        let release = catch("the kernel release", || {
            root.read_optional("/proc/sys/kernel/osrelease")
                .map(|r| r.map(|r| r.trim().to_string()).filter(|r| !r.is_empty()))
                .map_err(|e| e.to_string())
        })
        .and_then(|r| r);
        let ns = catch("the namespace links", || {
            namespaces::Links::read(root, "self")
        })
        .unwrap_or_else(namespaces::Links::failed);
        // Unreadable files only take a piece of evidence away.
        let gvisor = catch("the kernel's self-description", || {
            let text = |p: &str| root.read(p).ok();
            runtime::gvisor_hint(
                text("/proc/cmdline").as_deref(),
                release.as_ref().ok().and_then(|r| r.as_deref()),
                text("/proc/version").as_deref(),
            )
        })
        .unwrap_or(None);
        Shared {
            status,
            release,
            ns,
            gvisor,
            mountinfo: root.read("/proc/self/mountinfo").map_err(|e| e.to_string()),
            self_cgroup: root.read("/proc/self/cgroup").ok(),
            self_environ: root.read("/proc/self/environ").ok(),
            init_environ: root.read("/proc/1/environ").ok(),
        }
    }

    /// `(major, minor)` of the kernel release, when it has that shape.
    pub fn kernel_version(&self) -> Option<(u32, u32)> {
        let release = self.release.as_ref().ok()?.as_deref()?;
        crate::linux::kernel::parse_version(release)
    }
}

/// Runs `f`, turning a panic into an error that says what was being read.
///
/// The default panic hook would also print the panic to stderr, in the
/// middle of the report. One hook, installed once, stays silent while the
/// current thread is inside `catch` and hands every other panic (a renderer,
/// main, another thread) to the hook that was there before, which prints it.
/// Swapping the global hook around each section instead would race with any
/// other thread doing the same.
fn catch<T>(what: &str, f: impl FnOnce() -> T) -> Result<T, String> {
    install_quiet_hook();
    QUIET.with(|q| q.set(q.get() + 1));
    let outcome = catch_unwind(AssertUnwindSafe(f));
    QUIET.with(|q| q.set(q.get() - 1));
    outcome.map_err(|payload| {
        let msg = payload
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown panic".into());
        format!("internal error while reading {what}: {msg}")
    })
}

thread_local! {
    /// How many `catch` calls the current thread is inside.
    static QUIET: std::cell::Cell<u32> = const { std::cell::Cell::new(0) };
}

fn install_quiet_hook() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if QUIET.with(|q| q.get()) == 0 {
                previous(info);
            }
        }));
    });
}

/// Runs one section's gatherer, turning a panic into that section's error.
pub(crate) fn guarded<T>(what: &str, f: impl FnOnce() -> Section<T>) -> Section<T> {
    catch(what, f).unwrap_or_else(Section::failed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_in_a_section_becomes_its_error_and_quiet_ends_with_it() {
        let s: Section<()> = guarded("a test section", || panic!("odd input"));
        assert_eq!(
            s.error(),
            Some("internal error while reading a test section: odd input")
        );
        // Nested sections, and the thread is back to printing panics after.
        let outer: Section<u32> = guarded("outer", || {
            let inner: Section<()> = guarded("inner", || panic!("deeper"));
            assert!(inner.error().is_some_and(|e| e.contains("deeper")));
            Section::Ok(QUIET.with(|q| q.get()))
        });
        assert_eq!(outer.ok(), Some(&1));
        assert_eq!(QUIET.with(|q| q.get()), 0);
    }

    fn shared_with_release(release: &str) -> Shared {
        Shared {
            status: Err("none".into()),
            release: Ok(Some(release.into())),
            ns: namespaces::Links::failed("none".into()),
            gvisor: None,
            mountinfo: Err("none".into()),
            self_cgroup: None,
            self_environ: None,
            init_environ: None,
        }
    }

    #[test]
    fn kernel_versions_from_the_release() {
        for (release, want) in [
            ("6.18.44-fc-v595", Some((6, 18))),
            ("5.10.0-21-amd64", Some((5, 10))),
            ("6.19-rc1", Some((6, 19))),
            ("4.4.0", Some((4, 4))),
            ("6", None),
            ("x.y", None),
            ("99999999999.1", None),
        ] {
            assert_eq!(
                shared_with_release(release).kernel_version(),
                want,
                "{release}"
            );
        }
        let mut s = shared_with_release("6.18");
        s.release = Ok(None);
        assert_eq!(s.kernel_version(), None);
    }

    #[test]
    fn a_tree_is_read_once_into_the_shared_part() {
        let s = Shared::read(&Root::new("tests/fixtures/podman-default"));
        assert!(s.status.is_ok());
        assert!(
            s.release
                .as_ref()
                .unwrap()
                .as_ref()
                .unwrap()
                .starts_with("6.18")
        );
        assert!(
            !s.release
                .as_ref()
                .unwrap()
                .as_ref()
                .unwrap()
                .ends_with('\n')
        );
        assert_eq!(s.kernel_version().map(|v| v.0), Some(6));
        assert!(s.ns.get(namespaces::Kind::Pid).is_ok());
        assert_eq!(s.gvisor, None);
        let s = Shared::read(&Root::new("/nonexistent-whatami-root"));
        assert!(s.status.unwrap_err().contains("/proc/self/status"));
        assert_eq!(s.release, Ok(None));
        assert!(s.ns.get(namespaces::Kind::User).is_err());
    }
}
