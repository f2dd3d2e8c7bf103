//! Capabilities: their numbers and capabilities(7) names, and the default
//! sets of the runtimes (Docker's, podman's) that reports, fixes and
//! profiles are measured against.
//!
//! Names come from the `caps` crate's [`Capability`]; a bit it does not
//! know, from a kernel newer than the crate, is printed `CAP_<n>` so nothing
//! the kernel grants is ever hidden.

use caps::Capability;
use std::sync::OnceLock;

/// Capability numbers (include/uapi/linux/capability.h).
pub mod cap {
    pub const CHOWN: u8 = 0;
    pub const DAC_OVERRIDE: u8 = 1;
    pub const DAC_READ_SEARCH: u8 = 2;
    pub const FOWNER: u8 = 3;
    pub const KILL: u8 = 5;
    pub const SETGID: u8 = 6;
    pub const SETUID: u8 = 7;
    pub const SETPCAP: u8 = 8;
    pub const NET_BIND_SERVICE: u8 = 10;
    pub const NET_ADMIN: u8 = 12;
    pub const NET_RAW: u8 = 13;
    pub const IPC_LOCK: u8 = 14;
    pub const SYS_MODULE: u8 = 16;
    pub const SYS_RAWIO: u8 = 17;
    pub const SYS_CHROOT: u8 = 18;
    pub const SYS_PTRACE: u8 = 19;
    pub const SYS_PACCT: u8 = 20;
    pub const SYS_ADMIN: u8 = 21;
    pub const SYS_BOOT: u8 = 22;
    pub const SYS_NICE: u8 = 23;
    pub const SYS_RESOURCE: u8 = 24;
    pub const SYS_TIME: u8 = 25;
    pub const SYS_TTY_CONFIG: u8 = 26;
    pub const MKNOD: u8 = 27;
    pub const SYSLOG: u8 = 34;
    pub const PERFMON: u8 = 38;
    pub const BPF: u8 = 39;
}

/// Docker's default capability set (moby `oci/caps/defaults.go`), which is
/// also containerd's and CRI-O's historical default. The yardstick users know.
pub const DOCKER_DEFAULT: [Capability; 14] = [
    Capability::CAP_CHOWN,
    Capability::CAP_DAC_OVERRIDE,
    Capability::CAP_FSETID,
    Capability::CAP_FOWNER,
    Capability::CAP_MKNOD,
    Capability::CAP_NET_RAW,
    Capability::CAP_SETGID,
    Capability::CAP_SETUID,
    Capability::CAP_SETFCAP,
    Capability::CAP_SETPCAP,
    Capability::CAP_NET_BIND_SERVICE,
    Capability::CAP_SYS_CHROOT,
    Capability::CAP_KILL,
    Capability::CAP_AUDIT_WRITE,
];

/// podman's default capability set (containers.conf `default_capabilities`
/// since containers-common 0.38): Docker's without MKNOD, NET_RAW and
/// AUDIT_WRITE.
pub const PODMAN_DEFAULT: [Capability; 11] = [
    Capability::CAP_CHOWN,
    Capability::CAP_DAC_OVERRIDE,
    Capability::CAP_FOWNER,
    Capability::CAP_FSETID,
    Capability::CAP_KILL,
    Capability::CAP_NET_BIND_SERVICE,
    Capability::CAP_SETFCAP,
    Capability::CAP_SETGID,
    Capability::CAP_SETPCAP,
    Capability::CAP_SETUID,
    Capability::CAP_SYS_CHROOT,
];

/// The engine among the runtimes `detected` (found under an orchestrator:
/// kubernetes, containerd) as its users name it, and its default capability
/// set: "Docker", "podman", "containerd" (the same 14 as Docker's). `None`
/// for a runtime without such a set known here.
pub fn runtime_default(detected: &[String]) -> Option<(&'static str, &'static [Capability])> {
    detected.iter().find_map(|r| match r.as_str() {
        "docker" => Some(("Docker", &DOCKER_DEFAULT[..])),
        "podman" => Some(("podman", &PODMAN_DEFAULT[..])),
        "containerd" => Some(("containerd", &DOCKER_DEFAULT[..])),
        _ => None,
    })
}

/// Whether every one of `names` is in `set`.
pub fn all_in(names: &[String], set: &[Capability]) -> bool {
    names
        .iter()
        .all(|n| set.iter().any(|c| name(c.index()) == *n))
}

/// The capability the crate knows at each of the 64 bits, built on first use:
/// `caps::all()` builds a hash set, too much to do again for every bit of
/// every set.
fn known() -> &'static [Option<Capability>; 64] {
    static KNOWN: OnceLock<[Option<Capability>; 64]> = OnceLock::new();
    KNOWN.get_or_init(|| {
        let mut table = [None; 64];
        for c in caps::all() {
            if let Some(slot) = table.get_mut(usize::from(c.index())) {
                *slot = Some(c);
            }
        }
        table
    })
}

/// The capabilities(7) name of bit `bit`, or `CAP_<bit>` when unknown.
pub fn name(bit: u8) -> String {
    match known().get(usize::from(bit)) {
        Some(Some(c)) => c.to_string(),
        _ => format!("CAP_{bit}"),
    }
}

/// The names of the bits set in `mask`, lowest bit first.
pub fn names(mask: u64) -> Vec<String> {
    (0u8..64)
        .filter(|b| mask & (1u64 << b) != 0)
        .map(name)
        .collect()
}

/// `SYS_ADMIN`, `cap_sys_admin` or `CAP_SYS_ADMIN` as capabilities(7) spells
/// it; `None` for a name the kernel does not know.
pub fn parse_name(s: &str) -> Option<String> {
    let upper = s.trim().to_ascii_uppercase();
    let full = if upper.starts_with("CAP_") {
        upper
    } else {
        format!("CAP_{upper}")
    };
    known()
        .iter()
        .flatten()
        .any(|c| c.to_string() == full)
        .then_some(full)
}

/// The names of a set of capabilities, in its order.
pub fn set_names(list: &[Capability]) -> Vec<String> {
    list.iter().map(|c| c.to_string()).collect()
}

pub fn mask_of(list: &[Capability]) -> u64 {
    list.iter().fold(0, |m, c| m | c.bitmask())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(names: &[&str]) -> Vec<String> {
        names.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn capability_names_parse_with_or_without_the_prefix() {
        assert_eq!(parse_name("sys_admin").as_deref(), Some("CAP_SYS_ADMIN"));
        assert_eq!(parse_name("CAP_NET_RAW").as_deref(), Some("CAP_NET_RAW"));
        assert_eq!(parse_name(" bpf ").as_deref(), Some("CAP_BPF"));
        assert_eq!(parse_name("SYS_NOPE"), None);
        assert_eq!(parse_name(""), None);
    }

    #[test]
    fn names_follow_capabilities_7() {
        assert_eq!(name(0), "CAP_CHOWN");
        assert_eq!(name(21), "CAP_SYS_ADMIN");
        assert_eq!(name(38), "CAP_PERFMON");
        assert_eq!(name(39), "CAP_BPF");
        assert_eq!(name(40), "CAP_CHECKPOINT_RESTORE");
        assert_eq!(name(41), "CAP_41");
        assert_eq!(name(63), "CAP_63");
        assert_eq!(names(0), Vec::<String>::new());
        assert_eq!(names(u64::MAX).len(), 64);
        assert_eq!(names(1 << 63), v(&["CAP_63"]));
        // Past the mask's width: a number, never a panic.
        assert_eq!(name(200), "CAP_200");
        // Every capability the crate knows is in the table under its bit.
        for c in caps::all() {
            assert_eq!(name(c.index()), c.to_string());
        }
    }

    #[test]
    fn dockers_default_mask_is_what_dockerd_grants() {
        // CapEff of `docker run` under dockerd 20.10.24 on this kind of machine.
        assert_eq!(mask_of(&DOCKER_DEFAULT), 0xa80425fb);
    }
}
