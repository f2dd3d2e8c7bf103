//! The notification prober against real filters: each test installs a stack
//! of seccomp filters in whatami's parent-side child (with no_new_privs, so
//! no privilege is needed), runs `whatami --json --probe notify`, and
//! compares the verdict of EVERY probed (entry point, number) and every
//! argument probe with what an independent interpreter of the same filters
//! says (tests/common/seccomp.rs).

mod common;

use common::seccomp::*;
use nr::*;
use serde_json::Value;

/// The numbers the filters below name, per architecture; COMPAT_* are the
/// 32-bit compat entry point's (i386's and AArch32's happen to agree).
#[cfg(target_arch = "x86_64")]
mod nr {
    pub const MKDIR: u32 = 83;
    pub const MKDIRAT: u32 = 258;
    pub const CLONE: u32 = 56;
    pub const CLONE3: u32 = 435;
    pub const ACCT: u32 = 163;
    pub const SYSLOG: u32 = 103;
    pub const SWAPON: u32 = 167;
    pub const SWAPOFF: u32 = 168;
    pub const UNAME: u32 = 63;
    pub const VHANGUP: u32 = 153;
    pub const PERSONALITY: u32 = 135;
    pub const UNSHARE: u32 = 272;
    pub const SOCKET: u32 = 41;
    pub const IOCTL: u32 = 16;
    /// Numbers without a syscall, one after the other.
    pub const UNNAMED: std::ops::RangeInclusive<u32> = 337..=423;
    /// Calls x86_64 exempts from seccomp (uretprobe, uprobe on recent kernels).
    pub const EXEMPT: &[u32] = &[335, 336];
    pub const COMPAT: &str = "i386";
}

#[cfg(target_arch = "aarch64")]
mod nr {
    // aarch64 has no mkdir: mkdir(2) is mkdirat there.
    pub const MKDIR: u32 = 34;
    pub const MKDIRAT: u32 = 34;
    pub const CLONE: u32 = 220;
    pub const CLONE3: u32 = 435;
    pub const ACCT: u32 = 89;
    pub const SYSLOG: u32 = 116;
    pub const SWAPON: u32 = 224;
    pub const SWAPOFF: u32 = 225;
    pub const UNAME: u32 = 160;
    pub const VHANGUP: u32 = 58;
    pub const PERSONALITY: u32 = 92;
    pub const UNSHARE: u32 = 97;
    pub const SOCKET: u32 = 198;
    pub const IOCTL: u32 = 29;
    /// The 32-bit time64 calls' numbers: no aarch64 syscall.
    pub const UNNAMED: std::ops::RangeInclusive<u32> = 403..=423;
    pub const EXEMPT: &[u32] = &[];
    pub const COMPAT: &str = "arm";
}

// The compat entry point's numbers (i386 and AArch32 EABI share these).
const COMPAT_MKDIR: u32 = 39;
const COMPAT_SYSLOG: u32 = 103;
const COMPAT_SWAPON: u32 = 87;
const COMPAT_GETPID: u32 = 20;

const EPERM: u32 = 1;
const EACCES: u32 = 13;
#[cfg(target_arch = "x86_64")]
const EXDEV: u32 = 18;
const ENOSYS: u32 = 38;
const CLONE_NEWUSER: u64 = 0x1000_0000;

/// Whether whatami probed the compat entry point (it says why not when it did not).
fn compat_probed(report: &Value) -> bool {
    report["seccomp"]["probe"]["abis"]
        .as_array()
        .unwrap()
        .iter()
        .any(|a| a["abi"] == COMPAT && a["probed"] == true)
}

/// Runs whatami under `policies` (installation order) and checks every verdict.
/// Returns the JSON report for extra assertions.
fn check(policies: &[Policy]) -> Value {
    let stack: Vec<Vec<Ins>> = policies.iter().map(Policy::compile).collect();
    let out = run_under(&stack, &["--json", "--probe", "notify"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let report: Value = serde_json::from_str(&stdout).unwrap_or_else(|e| {
        panic!(
            "whatami did not print a JSON report ({e}); status {:?}\nstderr: {}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        )
    });
    let probe = &report["seccomp"]["probe"];
    assert_eq!(probe["method"], "notify", "probe: {}", probe["note"]);
    for abi in probe["abis"].as_array().expect("abis") {
        // On a kernel without x32, where the policy lets x32 getpid through,
        // whatami sees ENOSYS and skips that entry point, saying why.
        // Everything else must be probed, but for an entry point whatami
        // says it does not probe, and why.
        let skipped_x32 = abi["abi"] == "x32"
            && !kernel_serves_x32()
            && abi["note"]
                .as_str()
                .is_some_and(|n| n.contains("not served by this kernel"));
        let said_why = abi["abi"] == COMPAT && abi["note"].as_str().is_some_and(|n| !n.is_empty());
        assert!(
            abi["probed"] == true || skipped_x32 || said_why,
            "entry point not probed: {abi}"
        );
        // The all-ones sweep covers the native entry point, and says so.
        assert_eq!(abi["all_ones_swept"], abi["abi"] == NATIVE, "{abi}");
    }

    let mut mismatches = Vec::new();
    let mut compare = |what: String, got: &Value, want: &Expect| {
        let got = reported(got);
        if &got != want {
            mismatches.push(format!("{what}: got {got:?}, want {want:?}"));
        }
    };

    let results = probe["results"].as_array().expect("results");
    assert!(results.len() > 450, "only {} results", results.len());
    for r in results {
        let abi = r["abi"].as_str().unwrap();
        let nr = r["nr"].as_u64().unwrap() as u32;
        let what = format!("{abi} {nr} ({})", r["name"]);
        let exempt = abi == NATIVE && EXEMPT.contains(&nr);
        let at = |fill: u64| {
            let mut args = [fill; 6];
            if abi == COMPAT {
                args = args.map(|a| a & 0xffff_ffff);
            }
            run_stack(
                &stack,
                &Data {
                    nr,
                    arch: arch_of(abi),
                    ip: 0,
                    args,
                },
            )
        };
        let want = if exempt {
            Expect {
                verdict: "exempt".into(),
                errno: None,
                trap_data: None,
            }
        } else {
            expect_of(at(0))
        };
        compare(what.clone(), r, &want);
        // The all-ones sweep covers the named native calls; whatami reports
        // its verdict only where it differs from the zero sweep.
        if abi == NATIVE && !exempt && !r["name"].is_null() {
            let ones = expect_of(at(u64::MAX));
            // Equal verdicts: all_ones must be absent (null reads as "missing").
            let want_ones = if ones == want {
                Expect {
                    verdict: "missing".into(),
                    errno: None,
                    trap_data: None,
                }
            } else {
                ones
            };
            compare(format!("{what} all-ones"), &r["all_ones"], &want_ones);
        }
    }
    for a in probe["arg_probes"].as_array().expect("arg_probes") {
        let abi = a["abi"].as_str().unwrap();
        let args: Vec<u64> = a["args"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_u64().unwrap())
            .collect();
        let mut arr = [0u64; 6];
        arr.copy_from_slice(&args);
        let d = Data {
            nr: a["nr"].as_u64().unwrap() as u32,
            arch: arch_of(abi),
            ip: 0,
            args: arr,
        };
        compare(
            a["label"].as_str().unwrap().to_string(),
            a,
            &expect_of(run_stack(&stack, &d)),
        );
    }
    assert!(
        mismatches.is_empty(),
        "{} verdicts differ from the filters:\n{}",
        mismatches.len(),
        mismatches.join("\n")
    );
    report
}

fn result<'a>(report: &'a Value, abi: &str, nr: u32) -> &'a Value {
    report["seccomp"]["probe"]["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["abi"] == abi && r["nr"] == nr)
        .unwrap_or_else(|| panic!("no result for {abi} {nr}"))
}

fn arg_probe<'a>(report: &'a Value, label: &str) -> &'a Value {
    report["seccomp"]["probe"]["arg_probes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["label"] == label)
        .unwrap_or_else(|| panic!("no argument probe {label}"))
}

#[test]
fn errno_eperm_on_mkdir_and_mkdirat() {
    let p = Policy::native(vec![
        Rule::new(MKDIR, ERRNO | EPERM),
        Rule::new(MKDIRAT, ERRNO | EPERM),
    ]);
    let r = check(&[p]);
    for nr in [MKDIR, MKDIRAT] {
        assert_eq!(result(&r, NATIVE, nr)["verdict"], "errno");
        assert_eq!(result(&r, NATIVE, nr)["errno"], EPERM);
    }
    // The same call through the compat entry point is untouched.
    if compat_probed(&r) {
        assert_eq!(result(&r, COMPAT, COMPAT_MKDIR)["verdict"], "allowed");
    }
}

#[test]
fn errno_enosys_on_clone3_is_blocked_not_allowed() {
    let r = check(&[Policy::native(vec![Rule::new(CLONE3, ERRNO | ENOSYS)])]);
    assert_eq!(result(&r, NATIVE, CLONE3)["verdict"], "errno");
    assert_eq!(result(&r, NATIVE, CLONE3)["errno"], ENOSYS);
}

#[test]
fn errno_eacces_per_entry_point() {
    let mut p = Policy::native(vec![Rule::new(SYSLOG, ERRNO | EACCES)]);
    p.compat.rules = vec![Rule::new(COMPAT_SYSLOG, ERRNO | EACCES)];
    let r = check(&[p]);
    assert_eq!(result(&r, NATIVE, SYSLOG)["errno"], EACCES);
    if compat_probed(&r) {
        assert_eq!(result(&r, COMPAT, COMPAT_SYSLOG)["errno"], EACCES);
    }
}

#[test]
fn kill_process() {
    let r = check(&[Policy::native(vec![Rule::new(ACCT, KILL_PROCESS)])]);
    assert_eq!(result(&r, NATIVE, ACCT)["verdict"], "kill_process");
    // Probing went on after the kill.
    assert_eq!(result(&r, NATIVE, ACCT + 1)["verdict"], "allowed");
}

#[test]
fn a_run_of_kills_each_ending_a_fresh_child_at_its_first_probe() {
    // Unnamed numbers, one after the other: killing them all makes every
    // replacement child die on its very first probe.
    let rules = UNNAMED.map(|n| Rule::new(n, KILL_PROCESS)).collect();
    let r = check(&[Policy::native(rules)]);
    for nr in UNNAMED {
        assert_eq!(result(&r, NATIVE, nr)["verdict"], "kill_process", "{nr}");
    }
}

#[test]
fn kill_thread_is_told_apart_from_kill_process() {
    let r = check(&[Policy::native(vec![
        Rule::new(SWAPOFF, KILL_THREAD),
        Rule::new(ACCT, KILL_PROCESS),
    ])]);
    assert_eq!(result(&r, NATIVE, SWAPOFF)["verdict"], "kill_thread");
    assert_eq!(result(&r, NATIVE, ACCT)["verdict"], "kill_process");
}

#[test]
fn trap_with_its_data() {
    let mut p = Policy::native(vec![Rule::new(SWAPON, TRAP | 0x1234)]);
    p.compat.rules = vec![Rule::new(COMPAT_SWAPON, TRAP | 0x386)];
    let r = check(&[p]);
    assert_eq!(result(&r, NATIVE, SWAPON)["trap_data"], 0x1234);
    if compat_probed(&r) {
        assert_eq!(result(&r, COMPAT, COMPAT_SWAPON)["trap_data"], 0x386);
    }
}

#[test]
fn log_and_errno_zero() {
    let r = check(&[Policy::native(vec![
        Rule::new(UNAME, LOG),
        // ERRNO(0): the call "succeeds" without running.
        Rule::new(VHANGUP, ERRNO),
    ])]);
    assert_eq!(result(&r, NATIVE, UNAME)["verdict"], "allowed");
    assert_eq!(result(&r, NATIVE, VHANGUP)["verdict"], "errno");
    assert_eq!(result(&r, NATIVE, VHANGUP)["errno"], 0);
}

/// The calls whatami itself needs (startup, report, probe children): a
/// default-deny policy must allow them or whatami could not run at all.
#[cfg(target_arch = "x86_64")]
const WHATAMI_NEEDS: &[u32] = &[
    0, 1, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 21, 24, 28, 39, 56, 57, 59, 60, 61,
    62, 63, 72, 79, 89, 96, 97, 98, 99, 102, 104, 107, 108, 131, 157, 158, 160, 186, 202, 203, 204,
    218, 219, 228, 231, 234, 247, 257, 262, 267, 271, 273, 293, 302, 317, 318, 332, 334, 435,
];
/// The same calls on aarch64 (its equivalents of the legacy ones: openat,
/// newfstatat, ppoll, faccessat, readlinkat, clone).
#[cfg(target_arch = "aarch64")]
const WHATAMI_NEEDS: &[u32] = &[
    17, 24, 25, 29, 48, 56, 57, 59, 61, 62, 63, 64, 67, 73, 78, 79, 80, 93, 94, 95, 96, 98, 99,
    113, 122, 123, 124, 128, 129, 131, 132, 134, 135, 139, 160, 163, 164, 165, 167, 169, 172, 174,
    175, 176, 177, 178, 179, 214, 215, 220, 221, 222, 226, 233, 260, 261, 277, 278, 291, 293, 434,
    435, 439,
];

#[test]
fn default_deny_allowlist() {
    let p = Policy {
        native: Table {
            rules: WHATAMI_NEEDS.iter().map(|&n| Rule::new(n, ALLOW)).collect(),
            default: ERRNO | EPERM,
        },
        x32: Table {
            rules: Vec::new(),
            default: ERRNO | EPERM,
        },
        compat: Table {
            rules: vec![Rule::new(COMPAT_GETPID, ALLOW)],
            default: ERRNO | EACCES,
        },
        other_arch: KILL_PROCESS,
    };
    let r = check(&[p]);
    assert_eq!(result(&r, NATIVE, MKDIR)["errno"], EPERM);
    assert_eq!(result(&r, NATIVE, WHATAMI_NEEDS[0])["verdict"], "allowed");
    if compat_probed(&r) {
        assert_eq!(result(&r, COMPAT, COMPAT_GETPID)["verdict"], "allowed");
        assert_eq!(result(&r, COMPAT, COMPAT_MKDIR)["errno"], EACCES);
    }
}

#[test]
fn a_stack_of_filters_combines_by_precedence() {
    let outer = Policy::native(vec![
        Rule::new(MKDIR, ERRNO | EPERM),
        Rule::new(UNAME, LOG),
        Rule::new(SWAPON, ERRNO | EPERM),
    ]);
    let middle = Policy::native(vec![
        Rule::new(CLONE3, ERRNO | ENOSYS),
        // Same action as the outer filter, other data: the newer one wins.
        Rule::new(MKDIR, ERRNO | EACCES),
    ]);
    let inner = Policy::native(vec![
        // TRAP outranks the outer ERRNO.
        Rule::new(SWAPON, TRAP | 7),
        Rule::new(ACCT, KILL_PROCESS),
    ]);
    let r = check(&[outer, middle, inner]);
    assert_eq!(r["seccomp"]["filters"], 3);
    assert_eq!(result(&r, NATIVE, MKDIR)["errno"], EACCES);
    assert_eq!(result(&r, NATIVE, SWAPON)["verdict"], "trap");
    assert_eq!(result(&r, NATIVE, CLONE3)["errno"], ENOSYS);
}

#[test]
fn argument_rules_are_seen_by_the_argument_probes() {
    let p = Policy::native(vec![
        Rule::when(PERSONALITY, Arg::Eq(0, 0), ALLOW),
        Rule::when(PERSONALITY, Arg::Eq(0, 8), ALLOW),
        Rule::when(PERSONALITY, Arg::Eq(0, 0xffff_ffff), ALLOW),
        Rule::new(PERSONALITY, ERRNO | EPERM),
        Rule::when(
            UNSHARE,
            Arg::AnyBits(0, CLONE_NEWUSER as u32),
            ERRNO | EPERM,
        ),
        Rule::when(CLONE, Arg::AnyBits(0, 0x7E02_0000), ERRNO | EPERM),
        Rule::when(SOCKET, Arg::Eq(0, 40), ERRNO | EACCES),
        Rule::when(IOCTL, Arg::Eq(1, 0x5412), ERRNO | EPERM),
    ]);
    let r = check(&[p]);
    assert_eq!(arg_probe(&r, "unshare(CLONE_NEWUSER)")["errno"], EPERM);
    assert_eq!(arg_probe(&r, "unshare(CLONE_NEWNS)")["verdict"], "allowed");
    assert_eq!(arg_probe(&r, "clone(CLONE_NEWNET)")["errno"], EPERM);
    assert_eq!(arg_probe(&r, "clone(SIGCHLD)")["verdict"], "allowed");
    assert_eq!(
        arg_probe(&r, "personality(PER_LINUX32)")["verdict"],
        "allowed"
    );
    assert_eq!(
        arg_probe(&r, "personality(ADDR_NO_RANDOMIZE)")["errno"],
        EPERM
    );
    assert_eq!(
        arg_probe(&r, "socket(AF_VSOCK, SOCK_STREAM)")["errno"],
        EACCES
    );
    assert_eq!(
        arg_probe(&r, "socket(AF_INET, SOCK_STREAM)")["verdict"],
        "allowed"
    );
    assert_eq!(arg_probe(&r, "ioctl(0, TIOCSTI)")["errno"], EPERM);
    // The all-ones sweep marks the calls whose verdict depends on arguments.
    assert_eq!(result(&r, NATIVE, PERSONALITY)["all_ones"]["errno"], EPERM);
    assert_eq!(result(&r, NATIVE, UNSHARE)["all_ones"]["errno"], EPERM);
    assert!(result(&r, NATIVE, MKDIR)["all_ones"].is_null());
}

#[cfg(target_arch = "x86_64")]
#[test]
fn x32_and_i386_rules_are_reported_per_entry_point() {
    let mut p = Policy::allow_all();
    // The policy answers x32 itself, so whatami cannot learn whether the
    // kernel serves x32 and sweeps it.
    p.x32.default = ERRNO | EXDEV;
    p.compat.rules = vec![Rule::new(COMPAT_MKDIR, ERRNO | EPERM)];
    let r = check(&[p]);
    assert_eq!(result(&r, "x32", MKDIR | X32_BIT)["errno"], EXDEV);
    assert_eq!(result(&r, "i386", COMPAT_MKDIR)["errno"], EPERM);
    assert_eq!(result(&r, NATIVE, MKDIR)["verdict"], "allowed");
}

#[cfg(target_arch = "x86_64")]
#[test]
fn x32_is_skipped_exactly_when_the_kernel_does_not_serve_it() {
    // x32 allowed by the policy: whatami lets getpid through it run.
    let r = check(&[Policy::allow_all()]);
    let x32 = r["seccomp"]["probe"]["abis"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["abi"] == "x32")
        .unwrap();
    if kernel_serves_x32() {
        assert_eq!(x32["probed"], true, "{x32}");
    } else {
        assert_eq!(x32["probed"], false, "{x32}");
        assert!(x32["note"].as_str().unwrap().contains("ENOSYS"), "{x32}");
        let any = r["seccomp"]["probe"]["results"]
            .as_array()
            .unwrap()
            .iter()
            .any(|res| res["abi"] == "x32");
        assert!(!any, "results for an unserved entry point");
    }
}

#[test]
fn whatamis_own_status_is_unchanged_by_probing() {
    // The filters stacked for probing live in children only.
    let r = check(&[Policy::native(vec![Rule::new(MKDIR, ERRNO | EPERM)])]);
    assert_eq!(r["seccomp"]["mode"], "filter");
    assert_eq!(r["seccomp"]["filters"], 1);
    assert_eq!(r["seccomp"]["no_new_privs"], true);
}
