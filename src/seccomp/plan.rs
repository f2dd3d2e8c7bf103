//! The probe plan: which (entry point, number, arguments) to ask the policy
//! about, in which order.
//!
//! Order matters only for speed and robustness: the native sweep first, then
//! the argument-aware probes, the all-ones sweep, x32, and i386 last, since
//! the i386 entry point may be missing (a fault there ends the i386 block).

use crate::linux::abi::{self, Abi};

/// Why a probe is in the plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Kind {
    /// getpid through a non-native entry point, let run for real where the
    /// policy allows it, to learn whether the kernel serves that entry point
    /// at all (ENOSYS: it does not, and its sweep is skipped). First in the
    /// plan; every probe child makes it.
    EntryCheck,
    /// Every number of an ABI, with all arguments zero.
    Sweep,
    /// Every native number again, with all arguments set to all ones: a verdict
    /// that differs from the zero sweep means the policy reads the arguments.
    AllOnes,
    /// A named argument-aware probe such as `unshare(CLONE_NEWUSER)`.
    Arg {
        label: String,
        syscall: &'static str,
    },
}

#[derive(Debug, Clone)]
pub struct Probe {
    pub abi: &'static Abi,
    /// Number with the ABI's bit (x32) included.
    pub nr: u32,
    pub args: [u64; 6],
    pub kind: Kind,
    /// Set when the probe must not be issued; the reason is reported.
    pub skip: Option<&'static str>,
}

impl Probe {
    /// Number without the ABI bit.
    pub fn base_nr(&self) -> u32 {
        self.nr & !self.abi.nr_bit
    }
}

// Namespace flags (linux/sched.h).
pub const CLONE_NEWTIME: u64 = 0x0000_0080;
pub const CLONE_NEWNS: u64 = 0x0002_0000;
pub const CLONE_NEWCGROUP: u64 = 0x0200_0000;
pub const CLONE_NEWUTS: u64 = 0x0400_0000;
pub const CLONE_NEWIPC: u64 = 0x0800_0000;
pub const CLONE_NEWUSER: u64 = 0x1000_0000;
pub const CLONE_NEWPID: u64 = 0x2000_0000;
pub const CLONE_NEWNET: u64 = 0x4000_0000;
const SIGCHLD: u64 = 17;

const NAMESPACE_FLAGS: [(&str, u64); 8] = [
    ("CLONE_NEWUSER", CLONE_NEWUSER),
    ("CLONE_NEWNS", CLONE_NEWNS),
    ("CLONE_NEWNET", CLONE_NEWNET),
    ("CLONE_NEWPID", CLONE_NEWPID),
    ("CLONE_NEWIPC", CLONE_NEWIPC),
    ("CLONE_NEWUTS", CLONE_NEWUTS),
    ("CLONE_NEWCGROUP", CLONE_NEWCGROUP),
    ("CLONE_NEWTIME", CLONE_NEWTIME),
];

/// The argument-aware probes: (label, syscall, args). The first probe of each
/// syscall is its baseline, the call as ordinary programs make it; the
/// human report states the others relative to it.
fn arg_probe_specs() -> Vec<(String, &'static str, [u64; 6])> {
    let mut v: Vec<(String, &'static str, [u64; 6])> = Vec::new();
    let a = |x0: u64, x1: u64, x2: u64| [x0, x1, x2, 0, 0, 0];
    // clone: flags are the first argument on x86_64 and aarch64. CLONE_NEWTIME
    // shares its bit with the exit signal in clone(), so it is only probed for
    // unshare.
    v.push(("clone(SIGCHLD)".into(), "clone", a(SIGCHLD, 0, 0)));
    for (name, flag) in NAMESPACE_FLAGS
        .iter()
        .filter(|(n, _)| *n != "CLONE_NEWTIME")
    {
        v.push((format!("clone({name})"), "clone", a(flag | SIGCHLD, 0, 0)));
    }
    v.push(("unshare(CLONE_FILES)".into(), "unshare", a(0x400, 0, 0)));
    for (name, flag) in NAMESPACE_FLAGS {
        v.push((format!("unshare({name})"), "unshare", a(flag, 0, 0)));
    }
    // clone3 takes a pointer; filters cannot read it, so they allow or deny it whole.
    v.push(("clone3(&args, 88)".into(), "clone3", a(0x1000, 88, 0)));
    // personality: Docker allows exactly these values and refuses the rest.
    for (label, val) in [
        ("personality(PER_LINUX)", 0x0),
        ("personality(PER_LINUX32)", 0x8),
        ("personality(UNAME26)", 0x20000),
        ("personality(PER_LINUX32|UNAME26)", 0x20008),
        ("personality(0xffffffff: query)", 0xffff_ffff),
        ("personality(ADDR_NO_RANDOMIZE)", 0x0040000),
    ] {
        v.push((label.into(), "personality", a(val, 0, 0)));
    }
    // socket(domain, type, protocol)
    for (label, dom, ty, proto) in [
        ("socket(AF_INET, SOCK_STREAM)", 2, 1, 0),
        ("socket(AF_VSOCK, SOCK_STREAM)", 40, 1, 0),
        ("socket(AF_ALG, SOCK_SEQPACKET)", 38, 5, 0),
        ("socket(AF_NETLINK, SOCK_RAW, NETLINK_ROUTE)", 16, 3, 0),
        ("socket(AF_NETLINK, SOCK_RAW, NETLINK_AUDIT)", 16, 3, 9),
    ] {
        v.push((label.into(), "socket", a(dom, ty, proto)));
    }
    v.push(("ioctl(0, TCGETS)".into(), "ioctl", a(0, 0x5401, 0)));
    v.push(("ioctl(0, TIOCSTI)".into(), "ioctl", a(0, 0x5412, 0)));
    v
}

/// Everything to probe, for the kernel `kernel` (major, minor) when known.
pub fn build(kernel: Option<(u32, u32)>) -> Vec<Probe> {
    let abis = abi::abis();
    let native = abi::native();
    let mut plan = Vec::new();
    for a in abis.iter().filter(|a| !std::ptr::eq(**a, native)) {
        if let Some(nr) = a.getpid_nr() {
            plan.push(Probe {
                abi: a,
                nr,
                args: [0; 6],
                kind: Kind::EntryCheck,
                skip: None,
            });
        }
    }
    // `every`: all numbers up to the margin, gaps included; otherwise only
    // numbers that are syscalls of that ABI.
    let sweep = |plan: &mut Vec<Probe>, abi: &'static Abi, fill: u64, kind: Kind, every: bool| {
        for n in (0..=abi::max_nr(abi)).filter(|&n| every || abi.name(n).is_some()) {
            plan.push(Probe {
                abi,
                nr: n | abi.nr_bit,
                args: [fill; 6],
                kind: kind.clone(),
                skip: abi::exempt(abi, n, kernel),
            });
        }
    };
    sweep(&mut plan, native, 0, Kind::Sweep, true);
    for (label, syscall, args) in arg_probe_specs() {
        // A syscall this architecture lacks (none today) is left out, not guessed.
        if let Some(nr) = abi::native_nr(syscall) {
            plan.push(Probe {
                abi: native,
                nr,
                args,
                kind: Kind::Arg { label, syscall },
                skip: abi::exempt(native, nr, kernel),
            });
        }
    }
    // Argument rules only matter for real syscalls.
    sweep(&mut plan, native, u64::MAX, Kind::AllOnes, false);
    // x32 numbers that are not x32 syscalls fail in the kernel whatever the
    // policy says; i386 is swept whole (its table has few gaps, and the
    // margin shows how the policy treats numbers it does not know).
    for abi in abis.into_iter().filter(|a| !std::ptr::eq(*a, native)) {
        let every = abi.nr_bit == 0;
        sweep(&mut plan, abi, 0, Kind::Sweep, every);
    }
    plan
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plan_covers_every_number_of_every_abi() {
        let plan = build(Some((6, 18)));
        for a in abi::abis() {
            let swept: Vec<u32> = plan
                .iter()
                .filter(|p| std::ptr::eq(p.abi, a) && p.kind == Kind::Sweep)
                .map(|p| p.base_nr())
                .collect();
            let want: Vec<u32> = (0..=abi::max_nr(a))
                .filter(|&n| a.nr_bit == 0 || a.name(n).is_some())
                .collect();
            assert_eq!(swept, want, "{}", a.name);
        }
        let native = abi::native();
        let all_ones: Vec<u32> = plan
            .iter()
            .filter(|p| p.kind == Kind::AllOnes)
            .map(|p| p.nr)
            .collect();
        let named: Vec<u32> = (0..=abi::max_nr(native))
            .filter(|&n| native.name(n).is_some())
            .collect();
        assert_eq!(all_ones, named);
    }

    #[test]
    fn entry_checks_come_first_one_per_other_entry_point() {
        let plan = build(Some((6, 18)));
        let checks: Vec<&Probe> = plan
            .iter()
            .take_while(|p| p.kind == Kind::EntryCheck)
            .collect();
        assert_eq!(checks.len(), abi::abis().len() - 1);
        for c in checks {
            assert!(!std::ptr::eq(c.abi, abi::native()));
            assert_eq!(c.abi.name(c.base_nr()), Some("getpid"));
        }
        assert!(
            plan.iter()
                .skip(abi::abis().len() - 1)
                .all(|p| p.kind != Kind::EntryCheck)
        );
    }

    #[test]
    fn argument_probes_name_real_syscalls() {
        let plan = build(Some((6, 18)));
        let args: Vec<&Probe> = plan
            .iter()
            .filter(|p| matches!(p.kind, Kind::Arg { .. }))
            .collect();
        assert!(args.len() >= 30);
        for p in &args {
            let Kind::Arg { syscall, .. } = &p.kind else {
                unreachable!()
            };
            assert_eq!(p.abi.name(p.nr), Some(*syscall));
        }
        let userns = args
            .iter()
            .find(
                |p| matches!(&p.kind, Kind::Arg { label, .. } if label == "unshare(CLONE_NEWUSER)"),
            )
            .expect("unshare(CLONE_NEWUSER) is probed");
        assert_eq!(userns.args[0], CLONE_NEWUSER);
    }

    #[cfg(target_arch = "x86_64")]
    #[test]
    fn exempt_calls_are_never_issued_on_kernels_that_exempt_them() {
        let plan = build(Some((6, 18)));
        let skipped: Vec<(&str, u32)> = plan
            .iter()
            .filter(|p| p.skip.is_some())
            .map(|p| (p.abi.name, p.nr))
            .collect();
        // Both sweeps of x86_64, nothing in x32 or i386.
        assert_eq!(
            skipped,
            vec![
                ("x86_64", 335),
                ("x86_64", 336),
                ("x86_64", 335),
                ("x86_64", 336)
            ]
        );
        let old = build(Some((5, 10)));
        assert!(old.iter().all(|p| p.skip.is_none()));
    }
}
