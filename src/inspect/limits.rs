//! Kernel limits that explain a denial nothing in the container's own
//! configuration does: the sysctls that restrict ptrace, user namespaces,
//! unprivileged ping, io_uring, BPF, perf and kernel pointers, the lockdown
//! mode, the Landlock ABI version, and whether SELinux enforces and AppArmor
//! is enabled.
//!
//! Files are read through the [`Root`]. The Landlock version has no file:
//! it is the answer to `landlock_create_ruleset(NULL, 0,
//! LANDLOCK_CREATE_RULESET_VERSION)`, a query that creates nothing. It is
//! asked only on the live system, and from a disposable child
//! (`seccomp::disposable`) whenever a seccomp filter is attached: a policy
//! that kills on that call kills the child, not whatami. Without a filter
//! nothing can turn the query into a kill, and whatami asks it itself,
//! which spares a fork. The query is made first of all ([`ask_landlock`],
//! before the seccomp probe), when whatami has the least memory mapped and
//! a fork costs least, and the child is reaped at once: while it lives,
//! every page whatami writes is copied on write.

use crate::fsroot::Root;
use crate::model::{KernelLimits, Landlock, Probe, Section, Sysctl, Verdict};

/// The sysctls read, by name (their file is /proc/sys/ with dots as slashes).
pub const SYSCTLS: [&str; 10] = [
    "kernel.yama.ptrace_scope",
    "user.max_user_namespaces",
    "kernel.unprivileged_userns_clone",
    "kernel.apparmor_restrict_unprivileged_userns",
    "net.ipv4.ping_group_range",
    "kernel.io_uring_disabled",
    "kernel.unprivileged_bpf_disabled",
    "kernel.perf_event_paranoid",
    "kernel.kptr_restrict",
    "kernel.dmesg_restrict",
];

/// The file of a sysctl.
pub fn sysctl_path(name: &str) -> String {
    format!("/proc/sys/{}", name.replace('.', "/"))
}

/// What a value means for a process here, when it restricts something.
pub fn meaning(name: &str, value: &str) -> Option<String> {
    let n = value.parse::<i64>().ok();
    let m = match (name, n) {
        ("kernel.yama.ptrace_scope", Some(1)) => {
            "ptrace only of descendants, or of processes that allow it (PR_SET_PTRACER)"
        }
        ("kernel.yama.ptrace_scope", Some(2)) => "ptrace only with CAP_SYS_PTRACE",
        ("kernel.yama.ptrace_scope", Some(3)) => "no ptrace at all, until reboot",
        ("user.max_user_namespaces", Some(0)) => "no user namespace can be created",
        ("kernel.unprivileged_userns_clone", Some(0)) => "user namespaces only with CAP_SYS_ADMIN",
        ("kernel.apparmor_restrict_unprivileged_userns", Some(1)) => {
            "unprivileged user namespaces get no capabilities unless an AppArmor profile allows them"
        }
        ("kernel.io_uring_disabled", Some(1)) => {
            "io_uring only for members of kernel.io_uring_group or with CAP_SYS_ADMIN"
        }
        ("kernel.io_uring_disabled", Some(2)) => "io_uring is disabled for every process",
        ("kernel.unprivileged_bpf_disabled", Some(1)) => {
            "bpf() needs CAP_BPF or CAP_SYS_ADMIN (fixed until reboot)"
        }
        ("kernel.unprivileged_bpf_disabled", Some(2)) => "bpf() needs CAP_BPF or CAP_SYS_ADMIN",
        ("kernel.perf_event_paranoid", Some(2)) => {
            "perf_event_open: only user-space events of one's own processes without CAP_PERFMON"
        }
        ("kernel.perf_event_paranoid", Some(v)) if v >= 3 => "perf_event_open needs CAP_PERFMON",
        ("kernel.kptr_restrict", Some(1)) => "kernel addresses are hidden without CAP_SYSLOG",
        ("kernel.kptr_restrict", Some(2)) => "kernel addresses are hidden from every process",
        ("kernel.dmesg_restrict", Some(1)) => "reading the kernel log needs CAP_SYSLOG",
        ("net.ipv4.ping_group_range", _) => return ping_meaning(value),
        _ => return None,
    };
    Some(m.to_string())
}

/// `net.ipv4.ping_group_range` is `LOW HIGH`: the groups that may open
/// ICMP echo sockets without CAP_NET_RAW (per network namespace).
fn ping_meaning(value: &str) -> Option<String> {
    let mut f = value.split_whitespace().map(|v| v.parse::<u64>());
    let (Some(Ok(lo)), Some(Ok(hi))) = (f.next(), f.next()) else {
        return None;
    };
    Some(if lo > hi {
        "ping without CAP_NET_RAW: no group may (unprivileged ICMP sockets are off)".into()
    } else {
        format!("ping without CAP_NET_RAW: groups {lo} to {hi} may")
    })
}

fn read_sysctl(root: &Root, name: &str) -> Sysctl {
    let value = root
        .read_optional(&sysctl_path(name))
        .ok()
        .flatten()
        .map(|v| {
            v.split_whitespace()
                .collect::<Vec<_>>()
                .join(" ")
                .chars()
                .take(64)
                .collect::<String>()
        });
    Sysctl {
        name: name.to_string(),
        meaning: value.as_deref().and_then(|v| meaning(name, v)),
        value,
    }
}

/// The bracketed word of /sys/kernel/security/lockdown (`none [integrity] confidentiality`).
pub fn parse_lockdown(text: &str) -> Option<String> {
    let start = text.find('[')? + 1;
    let len = text[start..].find(']')?;
    let mode = &text[start..start + len];
    (!mode.is_empty() && mode.bytes().all(|b| b.is_ascii_lowercase())).then(|| mode.to_string())
}

fn flag(root: &Root, path: &str, yes: &str, no: &str) -> Option<bool> {
    let text = root.read(path).ok()?;
    match text.trim() {
        t if t == yes => Some(true),
        t if t == no => Some(false),
        _ => None,
    }
}

/// Whether AppArmor is enabled: its module parameter, or, when sysfs shows
/// modules and AppArmor is not among them, not built in.
fn apparmor_enabled(root: &Root) -> Option<bool> {
    use crate::linux::stat::FileKind;
    if let Some(v) = flag(root, "/sys/module/apparmor/parameters/enabled", "Y", "N") {
        return Some(v);
    }
    let dir = |p: &str| matches!(root.stat(p), Ok(Some(s)) if s.kind() == FileKind::Directory);
    let absent = root.stat_is_complete() && matches!(root.stat("/sys/module/apparmor"), Ok(None));
    (dir("/sys/module") && absent).then_some(false)
}

/// The Landlock ABI version as the kernel answered it, or why not.
pub struct LandlockAnswer(Result<u32, Answer>);

impl LandlockAnswer {
    pub fn failed(why: String) -> LandlockAnswer {
        LandlockAnswer(Err(Answer::None(why)))
    }
}

/// Asks the kernel for its Landlock ABI version, always from a disposable
/// child: a status file that says no seccomp filter is attached may be a
/// container's own (a /proc of its making), and a policy that kills the
/// call must kill the child, not whatami. Not asked for a captured tree.
pub fn ask_landlock(root: &Root) -> LandlockAnswer {
    LandlockAnswer(Query::start(root).finish())
}

/// `landlock`: the answer [`ask_landlock`] got.
pub fn read(
    root: &Root,
    landlock: LandlockAnswer,
    probe: &Section<Probe>,
) -> Result<KernelLimits, String> {
    let landlock = describe(landlock.0, probe);
    let sysctls = SYSCTLS.iter().map(|n| read_sysctl(root, n)).collect();
    let lockdown = root
        .read("/sys/kernel/security/lockdown")
        .ok()
        .and_then(|t| parse_lockdown(&t));
    Ok(KernelLimits {
        sysctls,
        lockdown,
        landlock,
        selinux_enforcing: flag(root, "/sys/fs/selinux/enforce", "1", "0"),
        apparmor_enabled: apparmor_enabled(root),
    })
}

/// What the seccomp probe found for landlock_create_ruleset on the native
/// entry point, when it ran and the policy does not allow the call.
fn seccomp_verdict(probe: &Section<Probe>) -> Option<String> {
    let p = probe.ok()?;
    let r = p.results.iter().find(|r| {
        r.abi == std::env::consts::ARCH && r.name.as_deref() == Some("landlock_create_ruleset")
    })?;
    match r.verdict {
        Verdict::Allowed | Verdict::Unknown | Verdict::Exempt => None,
        Verdict::Errno => Some(format!(
            "the seccomp policy answers {}",
            crate::linux::errno::name(r.errno.unwrap_or(0))
        )),
        Verdict::KillProcess | Verdict::KillThread => Some("the seccomp policy kills".into()),
        Verdict::Trap => Some("the seccomp policy traps it".into()),
    }
}

/// Exit codes of the query child: the ABI version itself, or this plus errno.
const FAILED_BASE: i32 = 100;

/// The Landlock version query: asked by a child, then answered.
enum Query {
    /// A captured tree: nothing to ask.
    NotAsked,
    /// Asked by a disposable child, not reaped yet.
    Child {
        child: crate::linux::child::Child,
        _sigchld: crate::linux::child::SigchldDefault,
    },
    Failed(String),
}

impl Query {
    fn start(root: &Root) -> Query {
        use crate::linux::child::{SigchldDefault, spawn};
        if !root.is_live() {
            return Query::NotAsked;
        }
        // An inherited SIG_IGN would let the kernel reap the child itself.
        let sigchld = SigchldDefault::set();
        // SAFETY: whatami is single-threaded here (the seccomp probe has
        // joined its children), and the child only makes direct libc calls.
        match unsafe { spawn(landlock_child) } {
            Ok(child) => Query::Child {
                child,
                _sigchld: sigchld,
            },
            Err(e) => Query::Failed(format!("fork failed: {e}")),
        }
    }

    fn finish(self) -> Result<u32, Answer> {
        use crate::linux::child::WaitStatus;
        match self {
            Query::NotAsked => Err(Answer::None("reading a captured tree (--root)".into())),
            Query::Failed(why) => Err(Answer::None(why)),
            Query::Child { child, .. } => match child.reap() {
                WaitStatus::Exited(c) if c < FAILED_BASE => Ok(c as u32),
                WaitStatus::Exited(c) => Err(Answer::Errno(c - FAILED_BASE)),
                WaitStatus::Signaled(s) => Err(Answer::Signal(s)),
                WaitStatus::Killed | WaitStatus::Unknown => {
                    Err(Answer::None("the query child did not answer".into()))
                }
            },
        }
    }
}

fn describe(answer: Result<u32, Answer>, probe: &Section<Probe>) -> Landlock {
    let by_seccomp = seccomp_verdict(probe);
    let (abi, note) = match answer {
        Ok(v) => (
            Some(v),
            format!("landlock_create_ruleset answers ABI version {v}"),
        ),
        Err(Answer::Errno(e)) => {
            let why = match (&by_seccomp, e) {
                (Some(s), _) => format!("{s} for landlock_create_ruleset"),
                (None, libc::EOPNOTSUPP) => {
                    "built into the kernel but not enabled at boot (lsm=)".into()
                }
                (None, libc::ENOSYS) => {
                    "this kernel has no Landlock (before 5.13, or not built)".into()
                }
                (None, _) => "refused".into(),
            };
            // The policy's verdict already names the errno.
            let errno = match by_seccomp {
                Some(_) => String::new(),
                None => format!(" ({})", crate::linux::errno::name(e.unsigned_abs())),
            };
            (None, format!("unavailable: {why}{errno}"))
        }
        Err(Answer::Signal(sig)) => (
            None,
            match by_seccomp {
                Some(s) => format!(
                    "unavailable: {s} landlock_create_ruleset (the query child died of signal {sig})"
                ),
                None => format!("the query child died of signal {sig}"),
            },
        ),
        Err(Answer::None(why)) => (None, format!("not asked: {why}")),
    };
    Landlock { abi, note }
}

const LANDLOCK_CREATE_RULESET_VERSION: libc::c_uint = 1;

/// The query: the ABI version, or -errno. One raw syscall, nothing else
/// (the child calls it after the fork).
fn landlock_version() -> i64 {
    // SAFETY: a query with a null attribute pointer and size 0, as
    // landlock_create_ruleset(2) defines for the VERSION flag: it creates
    // nothing and reads no memory.
    let r = unsafe {
        libc::syscall(
            libc::SYS_landlock_create_ruleset,
            std::ptr::null::<libc::c_void>(),
            0usize,
            LANDLOCK_CREATE_RULESET_VERSION,
        )
    };
    if r >= 0 {
        r
    } else {
        -i64::from(crate::linux::errno::last())
    }
}

/// The query child: the query, then _exit with its answer. Nothing it
/// does allocates or takes a lock.
fn landlock_child(_done: libc::c_int) {
    let r = landlock_version();
    let code = if r >= 0 {
        r.min(i64::from(FAILED_BASE - 1)) as i32
    } else {
        FAILED_BASE + (-r).clamp(0, 150) as i32
    };
    // SAFETY: ends this child only.
    unsafe { libc::_exit(code) }
}

enum Answer {
    Errno(i32),
    Signal(i32),
    None(String),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn meanings_of_restricting_values() {
        assert_eq!(meaning("kernel.yama.ptrace_scope", "0"), None);
        assert!(
            meaning("kernel.yama.ptrace_scope", "1")
                .unwrap()
                .contains("descendants")
        );
        assert!(meaning("kernel.perf_event_paranoid", "4").is_some());
        assert_eq!(meaning("kernel.perf_event_paranoid", "1"), None);
        assert!(
            meaning("net.ipv4.ping_group_range", "1 0")
                .unwrap()
                .contains("no group")
        );
        assert!(
            meaning("net.ipv4.ping_group_range", "0 2147483647")
                .unwrap()
                .contains("0 to 2147483647")
        );
        for junk in ["", "x", "1 x", "\u{1b}[2J", "99999999999999999999999"] {
            let _ = meaning("net.ipv4.ping_group_range", junk);
            assert_eq!(meaning("kernel.kptr_restrict", junk), None, "{junk:?}");
        }
        assert_eq!(
            sysctl_path("kernel.yama.ptrace_scope"),
            "/proc/sys/kernel/yama/ptrace_scope"
        );
    }

    #[test]
    fn lockdown_modes() {
        assert_eq!(
            parse_lockdown("none [integrity] confidentiality\n").as_deref(),
            Some("integrity")
        );
        assert_eq!(
            parse_lockdown("[none] integrity confidentiality").as_deref(),
            Some("none")
        );
        for junk in ["", "none", "[", "[]", "]x[", "[NONE]", "[a b]"] {
            assert_eq!(parse_lockdown(junk), None, "{junk:?}");
        }
    }

    #[test]
    fn a_captured_tree_is_read_not_asked() {
        let dir = std::env::temp_dir().join(format!("whatami-limits-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("proc/sys/kernel")).unwrap();
        std::fs::create_dir_all(dir.join("proc/sys/net/ipv4")).unwrap();
        std::fs::write(dir.join("proc/sys/kernel/dmesg_restrict"), "1\n").unwrap();
        std::fs::write(dir.join("proc/sys/net/ipv4/ping_group_range"), "1\t0\n").unwrap();
        let probe = Section::failed("none");
        let root = Root::new(&dir);
        let k = read(&root, ask_landlock(&root), &probe).unwrap();
        let get = |n: &str| k.sysctls.iter().find(|s| s.name == n).unwrap().clone();
        assert_eq!(get("kernel.dmesg_restrict").value.as_deref(), Some("1"));
        assert!(get("kernel.dmesg_restrict").meaning.is_some());
        assert_eq!(
            get("net.ipv4.ping_group_range").value.as_deref(),
            Some("1 0")
        );
        assert_eq!(get("kernel.kptr_restrict").value, None);
        assert_eq!(k.landlock.abi, None);
        assert!(k.landlock.note.contains("captured"));
        assert_eq!(
            (k.lockdown, k.selinux_enforcing, k.apparmor_enabled),
            (None, None, None)
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn the_live_kernel_answers_the_landlock_query_in_a_child() {
        // The test process has no seccomp filter that refuses the call: the
        // child's answer is the kernel's, as the call made here gets it.
        let live = Root::live();
        let none = Section::failed("none");
        assert!(matches!(Query::start(&live), Query::Child { .. }));
        let child = describe(Query::start(&live).finish(), &none);
        let here = landlock_version();
        let direct = if here >= 0 {
            Ok(here as u32)
        } else {
            Err(Answer::Errno((-here) as i32))
        };
        assert_eq!(child, describe(direct, &none));
        match child.abi {
            Some(v) => assert!((1..FAILED_BASE as u32).contains(&v), "{child:?}"),
            None => assert!(child.note.starts_with("unavailable"), "{child:?}"),
        }
    }
}
