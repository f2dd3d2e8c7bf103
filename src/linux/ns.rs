//! Namespaces as the kernel names them: the eight kinds and their
//! /proc/PID/ns link names, the fixed inode numbers of the initial
//! namespaces (include/linux/proc_ns.h), and the link text `pid:[N]`.

/// One of the eight namespace kinds, by its `/proc/<pid>/ns` name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Cgroup,
    Ipc,
    Mnt,
    Net,
    Pid,
    Time,
    User,
    Uts,
}

pub const ALL: [Kind; 8] = [
    Kind::Cgroup,
    Kind::Ipc,
    Kind::Mnt,
    Kind::Net,
    Kind::Pid,
    Kind::Time,
    Kind::User,
    Kind::Uts,
];

/// The initial user namespace's inode.
pub const USER_INIT_INO: u64 = 0xEFFF_FFFD;
/// The initial pid namespace's inode.
pub const PID_INIT_INO: u64 = 0xEFFF_FFFC;

impl Kind {
    pub fn name(self) -> &'static str {
        match self {
            Kind::Cgroup => "cgroup",
            Kind::Ipc => "ipc",
            Kind::Mnt => "mnt",
            Kind::Net => "net",
            Kind::Pid => "pid",
            Kind::Time => "time",
            Kind::User => "user",
            Kind::Uts => "uts",
        }
    }

    /// The initial namespace's inode number. `late` is true for the two that
    /// older kernels allocate dynamically.
    pub fn initial_inode(self) -> (u64, bool) {
        match self {
            Kind::Ipc => (0xEFFF_FFFF, false),
            Kind::Uts => (0xEFFF_FFFE, false),
            Kind::User => (USER_INIT_INO, false),
            Kind::Pid => (PID_INIT_INO, false),
            Kind::Cgroup => (0xEFFF_FFFB, false),
            Kind::Time => (0xEFFF_FFFA, false),
            Kind::Net => (0xEFFF_FFF9, true),
            Kind::Mnt => (0xEFFF_FFF8, true),
        }
    }

    /// When a link is absent, the kernel predates this kind of namespace.
    pub fn since(self) -> Option<&'static str> {
        match self {
            Kind::Cgroup => Some("4.6"),
            Kind::Time => Some("5.6"),
            _ => None,
        }
    }
}

/// Parses a namespace link target such as `pid:[4026531836]`.
pub fn parse_link(kind: Kind, target: &str) -> Result<u64, String> {
    let bad = || format!("unexpected {} namespace link {:?}", kind.name(), target);
    let rest = target
        .strip_prefix(kind.name())
        .and_then(|r| r.strip_prefix(":["))
        .and_then(|r| r.strip_suffix(']'))
        .ok_or_else(bad)?;
    if rest.is_empty() || !rest.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    rest.parse().map_err(|_| bad())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn all_is_in_declaration_order() {
        for (i, k) in ALL.into_iter().enumerate() {
            assert_eq!(k as usize, i, "{}", k.name());
        }
    }

    #[test]
    fn parses_real_link_targets() {
        assert_eq!(
            parse_link(Kind::Pid, "pid:[4026531836]").unwrap(),
            0xEFFF_FFFC
        );
        assert_eq!(
            parse_link(Kind::Mnt, "mnt:[4026532178]").unwrap(),
            4026532178
        );
        assert_eq!(
            parse_link(Kind::Time, "time:[4026531834]").unwrap(),
            0xEFFF_FFFA
        );
    }

    #[test]
    fn rejects_odd_link_targets() {
        for t in [
            "",
            "pid:",
            "pid:[]",
            "pid:[-1]",
            "pid:[+1]",
            "pid:[12",
            "net:[4026531836]",
            "pid:[99999999999999999999999]",
            "pid:[4026531836]x",
            "/proc/1/ns/pid",
        ] {
            let e = parse_link(Kind::Pid, t).unwrap_err();
            assert!(e.contains("pid namespace link"), "{t}: {e}");
        }
    }
}
