//! The notification prober against real filters: each test installs a stack
//! of seccomp filters in whatami's parent-side child (with no_new_privs, so
//! no privilege is needed), runs `whatami --json --probe notify`, and
//! compares the verdict of EVERY probed (entry point, number) and every
//! argument probe with what an independent interpreter of the same filters
//! says (tests/common/seccomp.rs).

// Numbers, entry points and filters below are x86_64's.
#![cfg(target_arch = "x86_64")]

mod common;

use common::seccomp::*;
use serde_json::Value;

// x86_64 numbers
const MKDIR: u32 = 83;
const MKDIRAT: u32 = 258;
const CLONE: u32 = 56;
const CLONE3: u32 = 435;
const ACCT: u32 = 163;
const SYSLOG: u32 = 103;
const SWAPON: u32 = 167;
const SWAPOFF: u32 = 168;
const UNAME: u32 = 63;
const PERSONALITY: u32 = 135;
const UNSHARE: u32 = 272;
const SOCKET: u32 = 41;
const IOCTL: u32 = 16;
// i386 numbers
const I386_MKDIR: u32 = 39;
const I386_SYSLOG: u32 = 103;
const I386_SWAPON: u32 = 87;
const I386_GETPID: u32 = 20;

const EPERM: u32 = 1;
const EACCES: u32 = 13;
const EXDEV: u32 = 18;
const ENOSYS: u32 = 38;
const CLONE_NEWUSER: u64 = 0x1000_0000;

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
        // Everything else must be probed.
        let skipped_x32 = abi["abi"] == "x32"
            && !kernel_serves_x32()
            && abi["note"]
                .as_str()
                .is_some_and(|n| n.contains("not served by this kernel"));
        assert!(
            abi["probed"] == true || skipped_x32,
            "entry point not probed: {abi}"
        );
        // The all-ones sweep covers the native entry point, and says so.
        assert_eq!(abi["all_ones_swept"], abi["abi"] == "x86_64", "{abi}");
    }

    let arch_of = |abi: &str| {
        if abi == "i386" {
            ARCH_I386
        } else {
            ARCH_X86_64
        }
    };
    let mut mismatches = Vec::new();
    let mut compare = |what: String, got: &Value, want: &Expect| {
        let got = reported(got);
        if &got != want {
            mismatches.push(format!("{what}: got {got:?}, want {want:?}"));
        }
    };

    let results = probe["results"].as_array().expect("results");
    assert!(results.len() > 1000, "only {} results", results.len());
    for r in results {
        let abi = r["abi"].as_str().unwrap();
        let nr = r["nr"].as_u64().unwrap() as u32;
        let what = format!("{abi} {nr} ({})", r["name"]);
        let exempt = abi == "x86_64" && (nr == 335 || nr == 336);
        let at = |fill: u64| {
            let mut args = [fill; 6];
            if abi == "i386" {
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
        if abi == "x86_64" && !exempt && !r["name"].is_null() {
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
        assert_eq!(result(&r, "x86_64", nr)["verdict"], "errno");
        assert_eq!(result(&r, "x86_64", nr)["errno"], EPERM);
    }
    // The same call through the i386 entry point is untouched.
    assert_eq!(result(&r, "i386", I386_MKDIR)["verdict"], "allowed");
}

#[test]
fn errno_enosys_on_clone3_is_blocked_not_allowed() {
    let r = check(&[Policy::native(vec![Rule::new(CLONE3, ERRNO | ENOSYS)])]);
    assert_eq!(result(&r, "x86_64", CLONE3)["verdict"], "errno");
    assert_eq!(result(&r, "x86_64", CLONE3)["errno"], ENOSYS);
}

#[test]
fn errno_eacces_per_entry_point() {
    let mut p = Policy::native(vec![Rule::new(SYSLOG, ERRNO | EACCES)]);
    p.i386.rules = vec![Rule::new(I386_SYSLOG, ERRNO | EACCES)];
    let r = check(&[p]);
    assert_eq!(result(&r, "x86_64", SYSLOG)["errno"], EACCES);
    assert_eq!(result(&r, "i386", I386_SYSLOG)["errno"], EACCES);
}

#[test]
fn kill_process() {
    let r = check(&[Policy::native(vec![Rule::new(ACCT, KILL_PROCESS)])]);
    assert_eq!(result(&r, "x86_64", ACCT)["verdict"], "kill_process");
    // Probing went on after the kill.
    assert_eq!(result(&r, "x86_64", ACCT + 1)["verdict"], "allowed");
}

#[test]
fn a_run_of_kills_each_ending_a_fresh_child_at_its_first_probe() {
    // Numbers 337-423 are unnamed on x86_64: killing them all makes every
    // replacement child die on its very first probe.
    let rules = (337..=423).map(|n| Rule::new(n, KILL_PROCESS)).collect();
    let r = check(&[Policy::native(rules)]);
    for nr in 337..=423 {
        assert_eq!(result(&r, "x86_64", nr)["verdict"], "kill_process", "{nr}");
    }
}

#[test]
fn kill_thread_is_told_apart_from_kill_process() {
    let r = check(&[Policy::native(vec![
        Rule::new(SWAPOFF, KILL_THREAD),
        Rule::new(ACCT, KILL_PROCESS),
    ])]);
    assert_eq!(result(&r, "x86_64", SWAPOFF)["verdict"], "kill_thread");
    assert_eq!(result(&r, "x86_64", ACCT)["verdict"], "kill_process");
}

#[test]
fn trap_with_its_data() {
    let mut p = Policy::native(vec![Rule::new(SWAPON, TRAP | 0x1234)]);
    p.i386.rules = vec![Rule::new(I386_SWAPON, TRAP | 0x386)];
    let r = check(&[p]);
    assert_eq!(result(&r, "x86_64", SWAPON)["trap_data"], 0x1234);
    assert_eq!(result(&r, "i386", I386_SWAPON)["trap_data"], 0x386);
}

#[test]
fn log_and_errno_zero() {
    let r = check(&[Policy::native(vec![
        Rule::new(UNAME, LOG),
        // ERRNO(0): the call "succeeds" without running.
        Rule::new(153, ERRNO),
    ])]);
    assert_eq!(result(&r, "x86_64", UNAME)["verdict"], "allowed");
    assert_eq!(result(&r, "x86_64", 153)["verdict"], "errno");
    assert_eq!(result(&r, "x86_64", 153)["errno"], 0);
}

/// The calls whatami itself needs (startup, report, probe children): a
/// default-deny policy must allow them or whatami could not run at all.
const WHATAMI_NEEDS: &[u32] = &[
    0, 1, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 21, 24, 28, 39, 56, 57, 59, 60, 61,
    62, 63, 72, 79, 89, 96, 97, 98, 99, 102, 104, 107, 108, 131, 157, 158, 160, 186, 202, 203, 204,
    218, 219, 228, 231, 234, 247, 257, 262, 267, 271, 273, 293, 302, 317, 318, 332, 334, 435,
];

#[test]
fn default_deny_allowlist() {
    let p = Policy {
        x86_64: Table {
            rules: WHATAMI_NEEDS.iter().map(|&n| Rule::new(n, ALLOW)).collect(),
            default: ERRNO | EPERM,
        },
        x32: Table {
            rules: Vec::new(),
            default: ERRNO | EPERM,
        },
        i386: Table {
            rules: vec![Rule::new(I386_GETPID, ALLOW)],
            default: ERRNO | EACCES,
        },
        other_arch: KILL_PROCESS,
    };
    let r = check(&[p]);
    assert_eq!(result(&r, "x86_64", MKDIR)["errno"], EPERM);
    assert_eq!(result(&r, "x86_64", 0)["verdict"], "allowed");
    assert_eq!(result(&r, "i386", I386_GETPID)["verdict"], "allowed");
    assert_eq!(result(&r, "i386", I386_MKDIR)["errno"], EACCES);
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
    assert_eq!(result(&r, "x86_64", MKDIR)["errno"], EACCES);
    assert_eq!(result(&r, "x86_64", SWAPON)["verdict"], "trap");
    assert_eq!(result(&r, "x86_64", CLONE3)["errno"], ENOSYS);
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
    assert_eq!(
        result(&r, "x86_64", PERSONALITY)["all_ones"]["errno"],
        EPERM
    );
    assert_eq!(result(&r, "x86_64", UNSHARE)["all_ones"]["errno"], EPERM);
    assert!(result(&r, "x86_64", MKDIR)["all_ones"].is_null());
}

#[test]
fn x32_and_i386_rules_are_reported_per_entry_point() {
    let mut p = Policy::allow_all();
    // The policy answers x32 itself, so whatami cannot learn whether the
    // kernel serves x32 and sweeps it.
    p.x32.default = ERRNO | EXDEV;
    p.i386.rules = vec![Rule::new(I386_MKDIR, ERRNO | EPERM)];
    let r = check(&[p]);
    assert_eq!(result(&r, "x32", MKDIR | X32_BIT)["errno"], EXDEV);
    assert_eq!(result(&r, "i386", I386_MKDIR)["errno"], EPERM);
    assert_eq!(result(&r, "x86_64", MKDIR)["verdict"], "allowed");
}

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
