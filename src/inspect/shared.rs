//! What more than one section is read against (the status file, the kernel
//! release, this process's namespace links, whether the kernel is a
//! sandbox's, and the files the runtime and the environment sections both
//! read), each read once from the root and handed to the sections; their
//! parsers stay pure functions of text.

use super::guard::catch;
use crate::fsroot::Root;
use crate::linux::ns::{ALL, Kind, parse_link};
use std::io;

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
    pub ns: Links,
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
        let ns = catch("the namespace links", || Links::read(root, "self"))
            .unwrap_or_else(Links::failed);
        // Unreadable files only take a piece of evidence away.
        let gvisor = catch("the kernel's self-description", || {
            let text = |p: &str| root.read(p).ok();
            gvisor_hint(
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

/// Reads the inode of `/proc/<pid>/ns/<kind>`.
pub fn read_inode(root: &Root, pid: &str, kind: Kind) -> Result<u64, String> {
    let path = format!("/proc/{pid}/ns/{}", kind.name());
    match root.read_link(&path) {
        Ok(t) => parse_link(kind, &t),
        Err(e) if e.source.kind() == io::ErrorKind::NotFound => Err(match kind.since() {
            Some(v) => format!(
                "{path} is absent (no {} namespaces before Linux {v})",
                kind.name()
            ),
            None => format!("{path} is absent"),
        }),
        Err(e) => Err(e.to_string()),
    }
}

/// The eight links of one process, each an inode or why it cannot be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Links([Result<u64, String>; 8]);

impl Links {
    /// Reads `/proc/<pid>/ns/*` through the root.
    pub fn read(root: &Root, pid: &str) -> Links {
        Links(ALL.map(|k| read_inode(root, pid, k)))
    }

    /// Every link failed for the same reason.
    pub fn failed(error: String) -> Links {
        Links(ALL.map(|_| Err(error.clone())))
    }

    pub fn get(&self, kind: Kind) -> &Result<u64, String> {
        // ALL lists the kinds in declaration order (a test checks it).
        &self.0[kind as usize]
    }
}

/// Which of the kernel's self-descriptions mentions gVisor, as evidence:
/// gVisor's sentry boots with `BOOT_IMAGE=/vmlinuz-<version>-gvisor`, and
/// some releases say so in /proc/version or the release string.
pub fn gvisor_hint(
    cmdline: Option<&str>,
    osrelease: Option<&str>,
    version: Option<&str>,
) -> Option<String> {
    let mentions = |s: Option<&str>| s.is_some_and(|s| s.to_ascii_lowercase().contains("gvisor"));
    if mentions(cmdline) {
        Some("/proc/cmdline names a gVisor boot image".into())
    } else if mentions(osrelease) {
        Some("the kernel release names gVisor".into())
    } else if mentions(version) {
        Some("/proc/version names gVisor".into())
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shared_with_release(release: &str) -> Shared {
        Shared {
            status: Err("none".into()),
            release: Ok(Some(release.into())),
            ns: Links::failed("none".into()),
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
        assert!(s.ns.get(Kind::Pid).is_ok());
        assert_eq!(s.gvisor, None);
        let s = Shared::read(&Root::new("/nonexistent-whatami-root"));
        assert!(s.status.unwrap_err().contains("/proc/self/status"));
        assert_eq!(s.release, Ok(None));
        assert!(s.ns.get(Kind::User).is_err());
    }
}
