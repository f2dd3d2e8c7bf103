//! The Landlock version query under real seccomp filters: a policy that
//! kills on landlock_create_ruleset ends only the query child, and the
//! report says what the policy does to the call.

mod common;

use common::seccomp::*;
use whatami::model::Report;

const LANDLOCK_CREATE_RULESET: u32 = 444;
const EPERM: u32 = 1;

fn report_under(rules: Vec<Rule>, probe: &str) -> (Report, std::process::Output) {
    let stack = vec![Policy::native(rules).compile()];
    let out = run_under(&stack, &["--json", "--probe", probe]);
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let r: Report = serde_json::from_str(&text).unwrap_or_else(|e| {
        panic!(
            "no JSON report ({e}): {:?}\n{}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (r, out)
}

#[test]
fn a_kill_on_the_query_ends_the_child_not_whatami() {
    for action in [KILL_PROCESS, KILL_THREAD] {
        let (r, out) = report_under(vec![Rule::new(LANDLOCK_CREATE_RULESET, action)], "none");
        assert_eq!(out.status.code(), Some(0), "{:?}", r.failed_sections());
        let l = &r.kernel_limits.ok().expect("kernel limits").landlock;
        assert_eq!(l.abi, None);
        assert!(l.note.contains("died of signal 31"), "{}", l.note);
        // With the probe, the report names the policy as the reason.
        let (r, out) = report_under(vec![Rule::new(LANDLOCK_CREATE_RULESET, action)], "notify");
        assert_eq!(out.status.code(), Some(0), "{:?}", r.failed_sections());
        let l = &r.kernel_limits.ok().unwrap().landlock;
        assert!(
            l.note.starts_with("unavailable: the seccomp policy kills"),
            "{}",
            l.note
        );
    }
}

#[test]
fn an_errno_on_the_query_is_said() {
    let rules = || vec![Rule::new(LANDLOCK_CREATE_RULESET, ERRNO | EPERM)];
    let (r, _) = report_under(rules(), "notify");
    let l = &r.kernel_limits.ok().unwrap().landlock;
    assert_eq!(l.abi, None);
    assert_eq!(
        l.note,
        "unavailable: the seccomp policy answers EPERM for landlock_create_ruleset"
    );
    // Without the probe the policy cannot be named, only the refusal.
    let (r, _) = report_under(rules(), "none");
    let l = &r.kernel_limits.ok().unwrap().landlock;
    assert_eq!(l.note, "unavailable: refused (EPERM)");
}

#[test]
fn a_filter_that_allows_the_query_gets_the_kernels_answer() {
    let (r, out) = report_under(Vec::new(), "none");
    assert_eq!(out.status.code(), Some(0));
    let under_filter = r.kernel_limits.ok().unwrap().landlock.clone();
    // The same answer as without any filter (asked directly, no child).
    let plain = std::process::Command::new(env!("CARGO_BIN_EXE_whatami"))
        .args(["--json", "--probe", "none"])
        .env_clear()
        .output()
        .unwrap();
    let plain: Report = serde_json::from_slice(&plain.stdout).unwrap();
    assert_eq!(under_filter, plain.kernel_limits.ok().unwrap().landlock);
}
