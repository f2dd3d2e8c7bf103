//! Which capability the kernel checks for a call with given arguments, and
//! in which user namespace it must be held.
//!
//! The table follows the kernel's checks (capable() for the initial user
//! namespace, ns_capable() for the namespace that owns the resource), for
//! the calls whose EPERM or EACCES usually means a missing capability. It
//! says "the kernel checks CAP_X here", not "CAP_X is the reason": the
//! causes weigh it against the process's sets.

use crate::linux::caps::cap;
use crate::trace::decode::{self, Decoded};
use crate::trace::structs;

/// Where the capability must be held.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// In the initial (host's) user namespace: capable(). A process in a
    /// private user namespace can never pass it.
    Initial,
    /// In the user namespace that owns the resource (the process's own for
    /// its mount, network, uts... namespaces when it created them).
    Namespace,
}

/// What the kernel checks for a call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Need {
    pub cap: u8,
    pub scope: Scope,
    /// What the capability allows here, in a few words ("set the system clock").
    pub what: &'static str,
    /// Whether the check is conditional on something whatami cannot see
    /// (e.g. "when the file belongs to someone else").
    pub when: Option<&'static str>,
    /// Another capability the kernel accepts instead: CAP_SYS_ADMIN, for
    /// the capabilities split from it (bpf_capable(), perfmon_capable(),
    /// checkpoint_restore_ns_capable()).
    pub or: Option<u8>,
}

fn need(cap: u8, scope: Scope, what: &'static str) -> Option<Need> {
    Some(Need {
        cap,
        scope,
        what,
        when: None,
        or: None,
    })
}

fn need_when(cap: u8, scope: Scope, what: &'static str, when: &'static str) -> Option<Need> {
    Some(Need {
        cap,
        scope,
        what,
        when: Some(when),
        or: None,
    })
}

/// A capability split from CAP_SYS_ADMIN, which the kernel still takes instead.
fn need_split(cap: u8, what: &'static str) -> Option<Need> {
    Some(Need {
        cap,
        scope: Scope::Initial,
        what,
        when: None,
        or: Some(cap::SYS_ADMIN),
    })
}

/// The capability that grants `cap` too: CAP_SYS_ADMIN for CAP_BPF,
/// CAP_PERFMON and CAP_CHECKPOINT_RESTORE (by name, as profiles and
/// runtimes spell them).
pub fn also_granted_by(cap: &str) -> Option<&'static str> {
    matches!(cap, "CAP_BPF" | "CAP_PERFMON" | "CAP_CHECKPOINT_RESTORE").then_some("CAP_SYS_ADMIN")
}

/// The namespace flags that need CAP_SYS_ADMIN unless CLONE_NEWUSER comes along.
const NEW_NS_BUT_USER: u64 = 0x0000_0080 // CLONE_NEWTIME
    | 0x0002_0000 // CLONE_NEWNS
    | 0x0200_0000 // CLONE_NEWCGROUP
    | 0x0400_0000 // CLONE_NEWUTS
    | 0x0800_0000 // CLONE_NEWIPC
    | 0x2000_0000 // CLONE_NEWPID
    | 0x4000_0000; // CLONE_NEWNET
pub const CLONE_NEWUSER: u64 = 0x1000_0000;

/// The capability the kernel checks for `name` with these arguments, if any.
pub fn needed(name: &str, args: &[u64; 6], d: &Decoded, errno: u32) -> Option<Need> {
    use Scope::*;
    use cap::*;
    let ns_flags = |flags: u64| flags & NEW_NS_BUT_USER != 0 && flags & CLONE_NEWUSER == 0;
    // A netlink request refused in the kernel's ack: what it asked decides.
    if let Some(n) = &d.netlink {
        let (what, when) = n.admin()?;
        return Some(Need {
            cap: NET_ADMIN,
            scope: Namespace,
            what,
            when,
            or: None,
        });
    }
    match name {
        "clock_settime" | "clock_settime64" | "settimeofday" | "stime" => {
            need(SYS_TIME, Initial, "set the system clock")
        }
        "adjtimex" | "clock_adjtime" | "clock_adjtime64" if d.timex_modes != Some(0) => {
            need(SYS_TIME, Initial, "adjust the system clock")
        }
        "mount" | "umount" | "umount2" | "pivot_root" | "move_mount" | "fsopen" | "fsmount"
        | "fsconfig" | "fspick" | "open_tree" | "mount_setattr" => {
            need(SYS_ADMIN, Namespace, "mount and unmount file systems")
        }
        "sethostname" | "setdomainname" => need(SYS_ADMIN, Namespace, "set the host name"),
        "swapon" | "swapoff" => need(SYS_ADMIN, Initial, "manage swap"),
        "quotactl" => need(SYS_ADMIN, Namespace, "manage disk quotas"),
        "setns" => need(SYS_ADMIN, Namespace, "join namespaces"),
        "unshare" if ns_flags(args[0]) => need(SYS_ADMIN, Namespace, "create namespaces"),
        "clone" if ns_flags(args[0]) => need(SYS_ADMIN, Namespace, "create namespaces"),
        "clone3" if d.clone3_flags.is_some_and(ns_flags) => {
            need(SYS_ADMIN, Namespace, "create namespaces")
        }
        "socket" => {
            let (dom, ty) = (args[0] & 0xffff, args[1] & 0xf);
            let inet = dom == decode::AF_INET || dom == decode::AF_INET6;
            if (inet && ty == decode::SOCK_RAW) || dom == decode::AF_PACKET || ty == 10 {
                need(NET_RAW, Namespace, "open raw and packet sockets")
            } else {
                None
            }
        }
        "bind" if errno == 13 => match d.sockaddr {
            Some((f, Some(port)))
                if (u64::from(f) == decode::AF_INET || u64::from(f) == decode::AF_INET6)
                    && port != 0 =>
            {
                need(
                    NET_BIND_SERVICE,
                    Namespace,
                    "bind to ports below the unprivileged start",
                )
            }
            _ => None,
        },
        "chown" | "fchown" | "lchown" | "fchownat" | "chown32" | "fchown32" | "lchown32" => {
            need_when(
                CHOWN,
                Namespace,
                "change a file's owner or group",
                "to another user, or to a group it is not in",
            )
        }
        "chmod" | "fchmod" | "fchmodat" | "fchmodat2" | "utime" | "utimes" | "utimensat"
        | "futimesat" => need_when(
            FOWNER,
            Namespace,
            "change the mode or times of a file",
            "when the file belongs to someone else",
        ),
        "mknod" | "mknodat" => {
            let kind = args[if name == "mknod" { 1 } else { 2 }] & 0o170000;
            if kind == 0o020000 || kind == 0o060000 {
                need(MKNOD, Initial, "create device nodes")
            } else {
                None
            }
        }
        "setuid" | "setuid32" | "setreuid" | "setreuid32" | "setresuid" | "setresuid32"
        | "setfsuid" | "setfsuid32" => need(SETUID, Namespace, "change its user ids"),
        "setgid" | "setgid32" | "setregid" | "setregid32" | "setresgid" | "setresgid32"
        | "setfsgid" | "setfsgid32" | "setgroups" | "setgroups32" => {
            need(SETGID, Namespace, "change its group ids")
        }
        "kill" | "tkill" | "tgkill" | "rt_sigqueueinfo" | "rt_tgsigqueueinfo"
        | "pidfd_send_signal" => need_when(
            KILL,
            Namespace,
            "signal processes of other users",
            "when the target runs as another user",
        ),
        "ptrace" if args[0] != 0 => need_when(
            SYS_PTRACE,
            Namespace,
            "trace processes",
            "when the target is another user's, or not traceable by its own",
        ),
        "process_vm_readv" | "process_vm_writev" | "kcmp" | "pidfd_getfd" => need_when(
            SYS_PTRACE,
            Namespace,
            "read or compare other processes",
            "when the target is another user's",
        ),
        "reboot" => need(SYS_BOOT, Namespace, "reboot"),
        "kexec_load" | "kexec_file_load" => need(SYS_BOOT, Initial, "load a new kernel"),
        "init_module" | "finit_module" | "delete_module" => {
            need(SYS_MODULE, Initial, "load and unload kernel modules")
        }
        "acct" => need(SYS_PACCT, Initial, "switch process accounting"),
        "chroot" => need(SYS_CHROOT, Namespace, "change its root directory"),
        "iopl" | "ioperm" => need(SYS_RAWIO, Initial, "access I/O ports"),
        "syslog" => need(SYSLOG, Initial, "read or control the kernel log"),
        // setrlimit answers EPERM only to a hard limit raised (or one past
        // fs.nr_open); a NULL new limit only reads.
        "setrlimit" | "prlimit64" if d.rlimit.is_some() || errno == 1 => {
            need(SYS_RESOURCE, Namespace, "raise a hard resource limit")
        }
        "setpriority" | "nice" | "sched_setscheduler" | "sched_setattr" | "sched_setparam" => {
            need_when(
                SYS_NICE,
                Namespace,
                "raise priorities or use real-time scheduling",
                "when it raises a priority or asks for a real-time policy",
            )
        }
        "mlock" | "mlock2" | "mlockall" => {
            need_when(IPC_LOCK, Namespace, "lock memory", "beyond RLIMIT_MEMLOCK")
        }
        "capset" => need(SETPCAP, Namespace, "change capability sets beyond its own"),
        "prctl" if args[0] == 24 => need(SETPCAP, Namespace, "drop from the bounding set"),
        "prctl" if args[0] == 35 => need(SYS_RESOURCE, Namespace, "change its memory map fields"),
        "setxattr" | "lsetxattr" | "fsetxattr" | "removexattr" | "lremovexattr"
        | "fremovexattr"
            if d.xattr
                .as_deref()
                .is_some_and(|n| n.starts_with("trusted.") || n.starts_with("security.")) =>
        {
            need(SYS_ADMIN, Namespace, "set trusted and security attributes")
        }
        "open_by_handle_at" => need(DAC_READ_SEARCH, Initial, "open files by handle"),
        "bpf" => need_split(
            BPF,
            match args[0] as u32 {
                structs::BPF_MAP_CREATE => "create BPF maps",
                structs::BPF_PROG_LOAD => "load BPF programs",
                _ => "use bpf",
            },
        ),
        // Whether the kernel checks it for these arguments depends on
        // kernel.perf_event_paranoid (causes.rs weighs it).
        "perf_event_open" => need_split(PERFMON, "monitor performance events"),
        "ioctl" if decode::is_net_admin_ioctl(args[1]) => need(
            NET_ADMIN,
            Namespace,
            "configure network interfaces and routes",
        ),
        "vhangup" => need(SYS_TTY_CONFIG, Namespace, "hang up the terminal"),
        "ioctl" if args[1] == 0x5412 => need(SYS_ADMIN, Namespace, "push input into a terminal"),
        "seccomp" if args[0] == 1 && errno == 13 => need(
            SYS_ADMIN,
            Namespace,
            "install a seccomp filter without no_new_privs",
        ),
        "userfaultfd" => need(SYS_PTRACE, Initial, "handle kernel page faults"),
        // sk_setsockopt, do_ip_setsockopt, do_ipv6_setsockopt: the options
        // that check a capability; any other is refused for another reason.
        "setsockopt" => match (args[1] as u32, args[2] as u32) {
            (1, 1 | 32 | 33) => need(NET_ADMIN, Namespace, "set this socket option"),
            (1, 12) => need_when(
                NET_ADMIN,
                Namespace,
                "set a socket priority",
                "above 6; CAP_NET_RAW does too on Linux 5.17 and later",
            ),
            (1, 36) => need_when(
                NET_ADMIN,
                Namespace,
                "mark its packets",
                "or CAP_NET_RAW on Linux 5.17 and later",
            ),
            (0, 19) | (41, 75) => need_when(
                NET_ADMIN,
                Namespace,
                "make a transparent proxy socket",
                "or CAP_NET_RAW",
            ),
            _ => None,
        },
        _ => None,
    }
}

/// The capability's name without `CAP_`, as `--cap-add` takes it.
///
/// Capability names are ASCII, so callers lower-case them with
/// `to_ascii_lowercase`: `str::to_lowercase`, the only Unicode case mapping
/// in whatami, linked its tables and code, 16,992 bytes of the static x86_64
/// binary (1,817,376 to 1,800,384 without it).
pub fn short(cap: u8) -> String {
    let n = crate::linux::caps::name(cap);
    n.strip_prefix("CAP_").unwrap_or(&n).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(name: &str, args: [u64; 6]) -> Option<(u8, Scope)> {
        needed(name, &args, &Decoded::default(), 1).map(|n| (n.cap, n.scope))
    }

    #[test]
    fn socket_options_and_interface_ioctls() {
        // SO_SNDBUFFORCE, SO_MARK, IP_TRANSPARENT; SO_SNDBUF checks nothing.
        assert_eq!(
            n("setsockopt", [3, 1, 32, 0, 4, 0]).map(|x| x.0),
            Some(cap::NET_ADMIN)
        );
        assert!(
            needed("setsockopt", &[3, 1, 36, 0, 4, 0], &Decoded::default(), 1)
                .unwrap()
                .when
                .is_some()
        );
        assert!(n("setsockopt", [3, 0, 19, 0, 4, 0]).is_some());
        assert_eq!(n("setsockopt", [3, 1, 7, 0, 4, 0]), None);
        assert_eq!(
            n("ioctl", [3, 0x8922, 0, 0, 0, 0]).map(|x| x.0),
            Some(cap::NET_ADMIN)
        );
        assert_eq!(n("ioctl", [3, 0x5401, 0, 0, 0, 0]), None);
        // bpf and perf_event_open: CAP_SYS_ADMIN is taken instead.
        let b = needed("bpf", &[0; 6], &Decoded::default(), 1).unwrap();
        assert_eq!(
            (b.cap, b.or, b.what),
            (cap::BPF, Some(cap::SYS_ADMIN), "create BPF maps")
        );
        assert_eq!(also_granted_by("CAP_PERFMON"), Some("CAP_SYS_ADMIN"));
        assert_eq!(also_granted_by("CAP_NET_ADMIN"), None);
    }

    #[test]
    fn the_kernels_checks() {
        assert_eq!(
            n("clock_settime", [0; 6]),
            Some((cap::SYS_TIME, Scope::Initial))
        );
        assert_eq!(n("mount", [0; 6]), Some((cap::SYS_ADMIN, Scope::Namespace)));
        assert_eq!(
            n("socket", [2, 3, 1, 0, 0, 0]),
            Some((cap::NET_RAW, Scope::Namespace))
        );
        assert_eq!(n("socket", [2, 1, 0, 0, 0, 0]), None);
        assert_eq!(
            n("socket", [17, 2, 0, 0, 0, 0]).map(|x| x.0),
            Some(cap::NET_RAW)
        );
        // A new user namespace brings the capabilities for the others.
        assert_eq!(n("unshare", [CLONE_NEWUSER, 0, 0, 0, 0, 0]), None);
        assert_eq!(
            n("unshare", [0x2_0000, 0, 0, 0, 0, 0]).map(|x| x.0),
            Some(cap::SYS_ADMIN)
        );
        assert_eq!(
            n("unshare", [0x2_0000 | CLONE_NEWUSER, 0, 0, 0, 0, 0]),
            None
        );
        assert_eq!(
            n("mknod", [0, 0o020666, 0, 0, 0, 0]).map(|x| x.1),
            Some(Scope::Initial)
        );
        assert_eq!(n("mknod", [0, 0o010666, 0, 0, 0, 0]), None);
        assert_eq!(n("ptrace", [0; 6]), None);
        assert_eq!(short(cap::SYS_TIME), "SYS_TIME");
        let adj = Decoded {
            timex_modes: Some(0),
            ..Decoded::default()
        };
        assert!(needed("adjtimex", &[0; 6], &adj, 1).is_none());
    }
}
