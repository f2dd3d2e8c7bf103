//! Namespaces: the eight /proc/self/ns links, and whether each is the host's.
//!
//! The kernel gives the initial ipc, uts, user, pid, cgroup and time
//! namespaces fixed inode numbers (include/linux/proc_ns.h, since 3.8, 4.6
//! and 5.6), while every other namespace gets one from a pool that starts at
//! 0xF0000000, so an inode comparison proves which is which. The initial mnt
//! and net namespaces only got fixed numbers in 2025 (exported in
//! uapi/linux/nsfs.h; present in 6.18, the oldest release trusted here); on
//! older kernels they are decided by comparing with the host's init when it
//! is visible, and are otherwise reported as unknown.
//!
//! Under gVisor the inode numbers are the sandbox kernel's, so no verdict is
//! given there.

use super::shared::Shared;
use super::shared::read_inode;
use crate::fsroot::Root;
use crate::linux::ns::{ALL, Kind, PID_INIT_INO};
use crate::model::{NamespaceInfo, Namespaces, Section};

/// Oldest kernel release known to number the initial mnt and net namespaces.
const FIXED_MNT_NET_SINCE: (u32, u32) = (6, 18);

/// What, besides the inode itself, can decide whether a namespace is the host's.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Context {
    /// Set when the kernel is a sandbox (gVisor) whose inode numbers say
    /// nothing about the host; holds the reason shown as evidence.
    pub sandbox: Option<String>,
    /// The kernel numbers the initial mnt and net namespaces too.
    pub fixed_mnt_net: bool,
    /// This kind's inode for the host's init, when PID 1 is the host's init
    /// (the pid namespace is the initial one) and its link was readable.
    pub host_init: Option<u64>,
}

/// Decides whether `inode` is the initial namespace of its kind, and says why.
pub fn classify(kind: Kind, inode: u64, ctx: &Context) -> (Option<bool>, String) {
    if let Some(why) = &ctx.sandbox {
        return (
            None,
            format!("{why}: inode numbers are the sandbox kernel's, not the host's"),
        );
    }
    let (initial, late) = kind.initial_inode();
    if inode == initial {
        let when = if late { ", Linux 6.18+" } else { "" };
        return (
            Some(true),
            format!("the initial namespace's fixed inode ({initial:#x}{when})"),
        );
    }
    if !late {
        return (
            Some(false),
            format!("not the initial namespace's fixed inode {initial:#x}"),
        );
    }
    if ctx.fixed_mnt_net {
        return (
            Some(false),
            format!("not {initial:#x}, the initial namespace's inode on Linux 6.18+"),
        );
    }
    match ctx.host_init {
        Some(i) if i == inode => (
            Some(true),
            "same as the host init's (PID 1 of the host pid namespace)".into(),
        ),
        Some(_) => (
            Some(false),
            "differs from the host init's (PID 1 of the host pid namespace)".into(),
        ),
        None => (
            None,
            "no fixed initial inode before Linux 6.18, and the host's init is not visible".into(),
        ),
    }
}

/// Whether the host init's inode of this kind could decide what `ctx`
/// alone leaves open: mnt and net on kernels that do not number their
/// initial namespaces, outside a sandbox, with an inode that is not the
/// fixed one.
pub fn wants_host_init(kind: Kind, inode: u64, ctx: &Context) -> bool {
    let (initial, late) = kind.initial_inode();
    late && ctx.sandbox.is_none() && !ctx.fixed_mnt_net && inode != initial
}

/// Decides each of the eight links read into `shared`. Only when none of
/// them could be read does the section fail; a single missing link is that
/// entry's error.
pub fn read(root: &Root, shared: &Shared) -> Result<Namespaces, String> {
    let links = &shared.ns;
    if ALL.iter().all(|&k| links.get(k).is_err()) {
        let first = links.get(ALL[0]).clone().err().unwrap_or_default();
        return Err(format!("no namespace link could be read: {first}"));
    }

    let sandbox = shared.gvisor.as_ref().map(|_| "gVisor".to_string());
    let fixed_mnt_net = shared
        .kernel_version()
        .is_some_and(|v| v >= FIXED_MNT_NET_SINCE);
    let host_pid_ns = links.get(Kind::Pid) == &Ok(PID_INIT_INO);

    let mut out: Vec<Section<NamespaceInfo>> = Vec::with_capacity(ALL.len());
    for kind in ALL {
        out.push(match links.get(kind) {
            Err(e) => Section::failed(e.clone()),
            Ok(inode) => {
                let mut ctx = Context {
                    sandbox: sandbox.clone(),
                    fixed_mnt_net,
                    host_init: None,
                };
                // PID 1's link is read only when it can decide (mnt and net
                // before Linux 6.18) and only when PID 1 is the host's init
                // (this is the host's pid namespace).
                if host_pid_ns && wants_host_init(kind, *inode, &ctx) {
                    ctx.host_init = read_inode(root, "1", kind).ok();
                }
                let (host, evidence) = classify(kind, *inode, &ctx);
                Section::Ok(NamespaceInfo {
                    inode: *inode,
                    host,
                    evidence,
                })
            }
        });
    }
    let mut it = out.into_iter();
    let mut next = || {
        it.next()
            .unwrap_or_else(|| Section::failed("internal error: namespace list too short"))
    };
    Ok(Namespaces {
        cgroup: next(),
        ipc: next(),
        mnt: next(),
        net: next(),
        pid: next(),
        time: next(),
        user: next(),
        uts: next(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx() -> Context {
        Context::default()
    }

    #[test]
    fn fixed_numbers_decide_the_six() {
        // podman default: private ipc/uts/pid/mnt/net, host cgroup/user/time.
        assert_eq!(classify(Kind::Cgroup, 4026531835, &ctx()).0, Some(true));
        assert_eq!(classify(Kind::Ipc, 4026532180, &ctx()).0, Some(false));
        assert_eq!(classify(Kind::Time, 4026531834, &ctx()).0, Some(true));
        assert_eq!(classify(Kind::User, 4026531837, &ctx()).0, Some(true));
        assert_eq!(classify(Kind::Uts, 4026531838, &ctx()).0, Some(true));
        let (host, why) = classify(Kind::Pid, 4026532181, &ctx());
        assert_eq!(host, Some(false));
        assert!(why.contains("0xeffffffc"), "{why}");
    }

    #[test]
    fn mnt_and_net_need_evidence() {
        // The 6.18 fixed numbers are proof on any kernel: the dynamic pool
        // starts above them.
        assert_eq!(classify(Kind::Mnt, 4026531832, &ctx()).0, Some(true));
        assert_eq!(classify(Kind::Net, 4026531833, &ctx()).0, Some(true));
        // Otherwise unknown...
        let (host, why) = classify(Kind::Net, 4026532182, &ctx());
        assert_eq!(host, None);
        assert!(why.contains("not visible"), "{why}");
        // ...unless the kernel is known to number them...
        let c = Context {
            fixed_mnt_net: true,
            ..ctx()
        };
        assert_eq!(classify(Kind::Net, 4026532182, &c).0, Some(false));
        // ...or the host's init can be compared with.
        let c = Context {
            host_init: Some(4026531992),
            ..ctx()
        };
        assert_eq!(classify(Kind::Mnt, 4026531992, &c).0, Some(true));
        assert_eq!(classify(Kind::Mnt, 4026532178, &c).0, Some(false));
    }

    #[test]
    fn pid_1_is_asked_only_when_it_can_decide() {
        let old = ctx();
        let new = Context {
            fixed_mnt_net: true,
            ..ctx()
        };
        let gvisor = Context {
            sandbox: Some("gVisor".into()),
            ..ctx()
        };
        for k in ALL {
            let late = matches!(k, Kind::Mnt | Kind::Net);
            assert_eq!(wants_host_init(k, 4026532180, &old), late, "{}", k.name());
            assert!(!wants_host_init(k, 4026532180, &new), "{}", k.name());
            assert!(!wants_host_init(k, 4026532180, &gvisor), "{}", k.name());
            // The fixed number decides on any kernel.
            let initial = k.initial_inode().0;
            assert!(!wants_host_init(k, initial, &old), "{}", k.name());
            // Whenever it is not asked, the verdict does not depend on it.
            for c in [&old, &new, &gvisor] {
                if !wants_host_init(k, 4026532180, c) {
                    let with = Context {
                        host_init: Some(4026532180),
                        ..c.clone()
                    };
                    assert_eq!(
                        classify(k, 4026532180, c),
                        classify(k, 4026532180, &with),
                        "{}",
                        k.name()
                    );
                }
            }
        }
    }

    #[test]
    fn the_host_init_decides_mnt_and_net_on_older_kernels() {
        let dir = tempdir("ns-host-init");
        for (pid, k, t) in [
            ("self", "pid", "pid:[4026531836]"),
            ("self", "mnt", "mnt:[4026531841]"),
            ("self", "net", "net:[4026532300]"),
            ("1", "mnt", "mnt:[4026531841]"),
            ("1", "net", "net:[4026531840]"),
        ] {
            let ns = dir.join(format!("proc/{pid}/ns"));
            std::fs::create_dir_all(&ns).unwrap();
            std::os::unix::fs::symlink(t, ns.join(k)).unwrap();
        }
        let kernel = dir.join("proc/sys/kernel");
        std::fs::create_dir_all(&kernel).unwrap();
        std::fs::write(kernel.join("osrelease"), "6.1.0-18-amd64\n").unwrap();
        let root = Root::new(&dir);
        let n = read(&root, &Shared::read(&root)).unwrap();
        assert_eq!(n.mnt.ok().unwrap().host, Some(true));
        assert_eq!(n.net.ok().unwrap().host, Some(false));
        // From 6.18 the inode alone decides, whatever PID 1 shows.
        std::fs::write(kernel.join("osrelease"), "6.18.44\n").unwrap();
        let n = read(&root, &Shared::read(&root)).unwrap();
        assert_eq!(n.mnt.ok().unwrap().host, Some(false));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_sandbox_kernel_gets_no_verdict() {
        let c = Context {
            sandbox: Some("gVisor (/proc/cmdline)".into()),
            fixed_mnt_net: true,
            host_init: Some(1),
        };
        for k in ALL {
            let (host, why) = classify(k, 0xEFFF_FFFC, &c);
            assert_eq!(host, None);
            assert!(why.starts_with("gVisor"), "{why}");
        }
    }

    #[test]
    fn missing_links_are_per_namespace_errors() {
        let dir = tempdir("ns-partial");
        let ns = dir.join("proc/self/ns");
        std::fs::create_dir_all(&ns).unwrap();
        for (k, t) in [("pid", "pid:[4026532181]"), ("user", "user:[4026531837]")] {
            std::os::unix::fs::symlink(t, ns.join(k)).unwrap();
        }
        let root = Root::new(&dir);
        let n = read(&root, &Shared::read(&root)).unwrap();
        assert_eq!(n.pid.ok().unwrap().host, Some(false));
        assert_eq!(n.user.ok().unwrap().host, Some(true));
        let e = n.time.error().unwrap();
        assert!(e.contains("before Linux 5.6"), "{e}");
        assert!(n.mnt.error().unwrap().contains("/proc/self/ns/mnt"));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn no_links_at_all_fails_the_section() {
        let root = Root::new("/nonexistent-whatami-root");
        let e = read(&root, &Shared::read(&root)).unwrap_err();
        assert!(e.contains("no namespace link"), "{e}");
    }

    pub(crate) fn tempdir(tag: &str) -> std::path::PathBuf {
        let d = std::env::temp_dir().join(format!(
            "whatami-test-{tag}-{}-{:?}",
            std::process::id(),
            std::thread::current().id()
        ));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        d
    }
}
