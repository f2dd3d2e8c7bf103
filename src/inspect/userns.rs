//! The user namespace: uid_map, gid_map, setgroups, and whether root here
//! is the host's root.
//!
//! A uid map names ids of the *parent* user namespace, and from inside there
//! is no way to ask who the parent is (NS_GET_PARENT refuses to go above the
//! caller's own namespace). So "uid 0 maps to 0" is proof of host root only
//! when this is the initial namespace itself. One more proof is available
//! when the host's init is visible (the pid namespace is the initial one):
//! the kernel prints a map relative to the reader's namespace, so the host
//! init's /proc/1/uid_map, read from here, shows which uid here is kernel
//! uid 0, i.e. the host's root, or 4294967295 when it is not mapped here.
//! Everything else is reported as unknown, with the first hop stated.

use super::shared::Shared;
use crate::fsroot::Root;
use crate::linux::ns::{Kind, PID_INIT_INO, USER_INIT_INO};
use crate::model::{IdMapEntry, UserNamespace};

/// The value `from_kuid` prints for an id with no mapping: (uid_t)-1.
const UNMAPPED: u32 = u32::MAX;

/// Parses `/proc/<pid>/uid_map` or gid_map: lines of `inside outside count`.
pub fn parse_map(text: &str) -> Result<Vec<IdMapEntry>, String> {
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(n, line)| {
            let bad = || {
                let shown: String = line.chars().take(60).collect();
                format!(
                    "line {}: expected \"inside outside count\", found {shown:?}",
                    n + 1
                )
            };
            let nums: Vec<u32> = line
                .split_whitespace()
                .map(|w| {
                    if w.bytes().all(|b| b.is_ascii_digit()) {
                        w.parse().ok()
                    } else {
                        None
                    }
                })
                .collect::<Option<_>>()
                .ok_or_else(bad)?;
            match nums[..] {
                [inside, outside, count] => Ok(IdMapEntry {
                    inside,
                    outside,
                    count,
                }),
                _ => Err(bad()),
            }
        })
        .collect()
}

/// The parent-namespace id that `id` maps to, if any.
pub fn lookup(map: &[IdMapEntry], id: u32) -> Option<u32> {
    map.iter().find_map(|e| {
        let offset = u64::from(id).checked_sub(u64::from(e.inside))?;
        if offset >= u64::from(e.count) {
            return None;
        }
        u32::try_from(u64::from(e.outside) + offset).ok()
    })
}

/// What is known about the namespace besides its own maps.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Context {
    /// This process's user namespace inode.
    pub user_ns: Option<u64>,
    /// The host init's uid_map as read from here, when PID 1 is the host's
    /// init (the pid namespace is the initial one).
    pub host_init_uid_map: Option<Vec<IdMapEntry>>,
}

/// The pure part: maps and context in, section out.
pub fn build(
    uid_map: Vec<IdMapEntry>,
    gid_map: Vec<IdMapEntry>,
    setgroups: Option<String>,
    ctx: &Context,
) -> UserNamespace {
    let root_maps_to = lookup(&uid_map, 0);
    let initial = ctx.user_ns.map(|i| i == USER_INIT_INO);
    // In the host init's map the only entry starts at 0 and covers every id;
    // its "outside" column is kernel uid 0 seen from this namespace.
    let host_root_seen = ctx
        .host_init_uid_map
        .as_ref()
        .and_then(|m| m.iter().find(|e| e.inside == 0))
        .map(|e| e.outside);

    let (root_is_host_root, host_root_uid, evidence) = if initial == Some(true) {
        (
            Some(true),
            Some(0),
            format!("this is the host's user namespace (inode {USER_INIT_INO:#x})"),
        )
    } else if let Some(seen) = host_root_seen {
        let via = "read through the host init's /proc/1/uid_map";
        if seen == UNMAPPED {
            (
                Some(false),
                None,
                format!("the host's root is not mapped into this namespace ({via})"),
            )
        } else {
            (
                Some(seen == 0),
                Some(seen),
                format!("the host's root is uid {seen} here ({via})"),
            )
        }
    } else {
        match root_maps_to {
            None => (
                Some(false),
                None,
                "uid 0 is not mapped into this namespace".to_string(),
            ),
            Some(0) => (
                None,
                None,
                "the host's root only if the parent user namespace is the host's, \
                 which cannot be seen from inside"
                    .to_string(),
            ),
            Some(n) => (
                None,
                None,
                format!(
                    "not root in the parent user namespace; whether uid {n} there is the \
                     host's root depends on that namespace, which cannot be seen from inside"
                ),
            ),
        }
    };
    UserNamespace {
        uid_map,
        gid_map,
        setgroups,
        root_is_host_root,
        root_maps_to,
        initial,
        host_root_uid,
        evidence,
    }
}

/// Reads the maps through the root; the rest of the context is in `shared`.
pub fn read(root: &Root, shared: &Shared) -> Result<UserNamespace, String> {
    let uid_map = parse_map(&root.read("/proc/self/uid_map").map_err(|e| e.to_string())?)
        .map_err(|e| format!("/proc/self/uid_map: {e}"))?;
    let gid_map = parse_map(&root.read("/proc/self/gid_map").map_err(|e| e.to_string())?)
        .map_err(|e| format!("/proc/self/gid_map: {e}"))?;
    let setgroups = root
        .read_optional("/proc/self/setgroups")
        .map_err(|e| e.to_string())?
        .map(|s| s.trim().to_string());
    let sandbox = shared.gvisor.is_some();
    let host_pid_ns = shared.ns.get(Kind::Pid) == &Ok(PID_INIT_INO);
    let ctx = Context {
        // gVisor numbers its namespaces its own way: no inode is proof there.
        user_ns: shared.ns.get(Kind::User).clone().ok().filter(|_| !sandbox),
        host_init_uid_map: if host_pid_ns && !sandbox {
            root.read("/proc/1/uid_map")
                .ok()
                .and_then(|t| parse_map(&t).ok())
        } else {
            None
        },
    };
    Ok(build(uid_map, gid_map, setgroups, &ctx))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn e(inside: u32, outside: u32, count: u32) -> IdMapEntry {
        IdMapEntry {
            inside,
            outside,
            count,
        }
    }

    #[test]
    fn parses_real_maps() {
        // Host / rootful podman without --uidmap.
        assert_eq!(
            parse_map("         0          0 4294967295\n").unwrap(),
            vec![e(0, 0, u32::MAX)]
        );
        // Rootless podman 4.3.1 as user 1001.
        assert_eq!(
            parse_map("         0       1001          1\n         1     100000      65536\n")
                .unwrap(),
            vec![e(0, 1001, 1), e(1, 100000, 65536)]
        );
        // An unmapped namespace (unshare -U without -r) has an empty map.
        assert_eq!(parse_map("").unwrap(), vec![]);
    }

    #[test]
    fn rejects_bad_maps_with_the_line() {
        for t in [
            "0 0",
            "0 0 1 1",
            "0 x 1",
            "0 -1 1",
            "0 +1 1",
            "0 0 4294967296",
            "\u{0}",
            "0 0 1\n1 2",
        ] {
            let err = parse_map(t).unwrap_err();
            assert!(err.starts_with("line "), "{t:?}: {err}");
        }
    }

    #[test]
    fn lookup_handles_ranges_and_overflow() {
        let m = vec![e(0, 1001, 1), e(1, 100000, 65536)];
        assert_eq!(lookup(&m, 0), Some(1001));
        assert_eq!(lookup(&m, 1), Some(100000));
        assert_eq!(lookup(&m, 65536), Some(165535));
        assert_eq!(lookup(&m, 65537), None);
        assert_eq!(lookup(&[e(0, u32::MAX, u32::MAX)], 5), None);
        assert_eq!(lookup(&[], 0), None);
    }

    #[test]
    fn host_namespace_root_is_host_root() {
        let u = build(
            vec![e(0, 0, u32::MAX)],
            vec![e(0, 0, u32::MAX)],
            Some("allow".into()),
            &Context {
                user_ns: Some(USER_INIT_INO),
                host_init_uid_map: None,
            },
        );
        assert_eq!(u.root_is_host_root, Some(true));
        assert_eq!(u.initial, Some(true));
        assert_eq!(u.root_maps_to, Some(0));
    }

    #[test]
    fn identity_map_in_a_child_namespace_is_not_proof() {
        // bwrap --unshare-all as root: uid_map "0 0 1", own pid namespace.
        let u = build(
            vec![e(0, 0, 1)],
            vec![e(0, 0, 1)],
            Some("deny".into()),
            &Context {
                user_ns: Some(4026532179),
                host_init_uid_map: None,
            },
        );
        assert_eq!(u.root_is_host_root, None);
        assert_eq!(u.root_maps_to, Some(0));
        assert_eq!(u.initial, Some(false));
        assert!(u.evidence.contains("cannot be seen"), "{}", u.evidence);
    }

    #[test]
    fn the_host_init_map_proves_it() {
        // `unshare -U -r` reads the host init's map as "0 0 4294967295".
        let child = Context {
            user_ns: Some(4026532177),
            host_init_uid_map: Some(vec![e(0, 0, u32::MAX)]),
        };
        let u = build(vec![e(0, 0, 1)], vec![e(0, 0, 1)], None, &child);
        assert_eq!(
            (u.root_is_host_root, u.host_root_uid),
            (Some(true), Some(0))
        );
        // `unshare -U --map-user=5`: the host's root is uid 5 here.
        let ctx = Context {
            host_init_uid_map: Some(vec![e(0, 5, u32::MAX)]),
            ..child.clone()
        };
        let u = build(vec![e(5, 0, 1)], vec![], None, &ctx);
        assert_eq!(
            (u.root_is_host_root, u.host_root_uid),
            (Some(false), Some(5))
        );
        assert_eq!(u.root_maps_to, None);
        // `unshare -U` without a map: 4294967295, not mapped.
        let ctx = Context {
            host_init_uid_map: Some(vec![e(0, u32::MAX, u32::MAX)]),
            ..child
        };
        let u = build(vec![], vec![], None, &ctx);
        assert_eq!((u.root_is_host_root, u.host_root_uid), (Some(false), None));
        assert!(u.evidence.contains("not mapped"));
    }

    #[test]
    fn shifted_and_unmapped_roots() {
        let child = Context {
            user_ns: Some(4026532178),
            host_init_uid_map: None,
        };
        // podman --uidmap 0:100000:65536
        let u = build(vec![e(0, 100000, 65536)], vec![], None, &child);
        assert_eq!((u.root_is_host_root, u.root_maps_to), (None, Some(100000)));
        assert!(u.evidence.contains("uid 100000 there"), "{}", u.evidence);
        let u = build(vec![e(1000, 1000, 1)], vec![], None, &child);
        assert_eq!((u.root_is_host_root, u.root_maps_to), (Some(false), None));
    }
}
