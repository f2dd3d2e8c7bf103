//! `whatami why --pid`: attached to a running process (a shell loop that
//! fails a call every few milliseconds), the failure is explained, and the
//! process is let go as it was: at the end of --for, at a signal of
//! whatami's, and when the process ends. A process traced already is
//! refused with its tracer named.
//!
//! Runs as any user: the targets are the test's own children, and the
//! failing call (opening a read-only sysctl for writing) fails for root
//! too.

use serde_json::Value;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const WHATAMI: &str = env!("CARGO_BIN_EXE_whatami");

/// A shell that tries to write a read-only sysctl (EACCES, even for root)
/// in a loop, forever.
fn service() -> Child {
    Command::new("sh")
        .args([
            "-c",
            "while :; do echo x > /proc/sys/kernel/osrelease; sleep 0.02; done 2>/dev/null",
        ])
        .stdin(Stdio::null())
        .spawn()
        .expect("sh")
}

fn status_field(pid: u32, field: &str) -> Option<String> {
    let s = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    s.lines()
        .find_map(|l| l.strip_prefix(&format!("{field}:")))
        .map(|v| v.trim().to_string())
}

/// Waits (bounded) until `pid`'s tracer is `tracer` (0: none).
fn wait_tracer(pid: u32, tracer: u32) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while status_field(pid, "TracerPid") != Some(tracer.to_string()) {
        assert!(
            Instant::now() < deadline,
            "TracerPid of {pid} never became {tracer}"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// The process is running or sleeping, not stopped and not traced.
fn unharmed(pid: u32) {
    let state = status_field(pid, "State").expect("the service is gone");
    assert!(state.starts_with('S') || state.starts_with('R'), "{state}");
    assert_eq!(status_field(pid, "TracerPid").as_deref(), Some("0"));
    // No stop or trap signal left behind by the tracing.
    for field in ["ShdPnd", "SigPnd"] {
        let mask = u64::from_str_radix(&status_field(pid, field).unwrap(), 16).unwrap();
        for sig in [libc::SIGSTOP, libc::SIGTRAP, libc::SIGTSTP] {
            assert_eq!(mask & (1 << (sig - 1)), 0, "{field} {mask:#x}");
        }
    }
}

fn why_json(out: &std::process::Output) -> Value {
    serde_json::from_slice(&out.stderr)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)))
}

fn explains_the_sysctl(v: &Value) {
    let f = v["failures"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| {
            f["call"]
                .as_str()
                .unwrap()
                .contains("/proc/sys/kernel/osrelease")
        })
        .unwrap_or_else(|| panic!("no failure on the sysctl: {v:#}"));
    assert_eq!(f["errno_name"], "EACCES");
    assert!(f["count"].as_u64().unwrap() >= 1);
}

#[test]
fn a_running_process_is_explained_for_a_duration_and_let_go() {
    let mut svc = service();
    let pid = svc.id();
    let out = Command::new(WHATAMI)
        .args(["why", "--json", "--pid", &pid.to_string(), "--for", "500ms"])
        .output()
        .unwrap();
    let v = why_json(&out);
    assert_eq!(out.status.code(), Some(0), "{v:#}");
    assert_eq!(v["traced"], true);
    assert_eq!(v["pid"], pid);
    assert_eq!(v["attached"]["ended_by"], "duration");
    assert_eq!(v["attached"]["detached"], true);
    assert_eq!(v["attached"]["duration_ms"], 500);
    assert!(v["exit"].is_null());
    explains_the_sysctl(&v);
    // Counted from the attach: the loop's own calls are in the summary.
    assert!(v["totals"]["calls"].as_u64().unwrap() > 0);
    unharmed(pid);
    svc.kill().unwrap();
    svc.wait().unwrap();
}

#[test]
fn sigterm_lets_the_process_go_and_its_end_ends_the_tracing() {
    // SIGTERM to whatami: the process is let go, not sent the signal.
    let mut svc = service();
    let pid = svc.id();
    let w = Command::new(WHATAMI)
        .args(["why", "--json", "--pid", &pid.to_string()])
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    wait_tracer(pid, w.id());
    // SAFETY: a signal to our own child.
    unsafe { libc::kill(w.id() as i32, libc::SIGTERM) };
    let out = w.wait_with_output().unwrap();
    let v = why_json(&out);
    assert_eq!(out.status.code(), Some(0), "{v:#}");
    assert_eq!(v["attached"]["ended_by"], "signal");
    assert_eq!(v["attached"]["signal"], "SIGTERM");
    unharmed(pid);

    // The process ends while traced: its end ends the tracing.
    let w = Command::new(WHATAMI)
        .args(["why", "--json", "--pid", &pid.to_string()])
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    wait_tracer(pid, w.id());
    svc.kill().unwrap();
    let out = w.wait_with_output().unwrap();
    let v = why_json(&out);
    assert_eq!(v["attached"]["ended_by"], "exit", "{v:#}");
    assert_eq!(v["exit"]["signal"], libc::SIGKILL);
    svc.wait().unwrap();
}

#[test]
fn a_process_traced_already_is_refused_with_its_tracer_named() {
    // whatami why -- sleep: the sleep is traced by that whatami.
    let mut first = Command::new(WHATAMI)
        .args(["why", "--", "sleep", "30"])
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let tracer = first.id();
    let deadline = Instant::now() + Duration::from_secs(10);
    let sleep = loop {
        let kids = std::fs::read_to_string(format!("/proc/{tracer}/task/{tracer}/children"))
            .unwrap_or_default();
        // Its first child is the rehearsal's; the command's runs sleep.
        let sleeping = kids.split_whitespace().find(|p| {
            std::fs::read_to_string(format!("/proc/{p}/comm")).is_ok_and(|c| c.trim() == "sleep")
        });
        if let Some(p) = sleeping {
            break p.parse::<u32>().unwrap();
        }
        assert!(Instant::now() < deadline, "whatami started no sleep");
        std::thread::sleep(Duration::from_millis(5));
    };
    wait_tracer(sleep, tracer);
    let out = Command::new(WHATAMI)
        .args(["why", "--json", "--pid", &sleep.to_string()])
        .output()
        .unwrap();
    let v = why_json(&out);
    assert_eq!(out.status.code(), Some(125), "{v:#}");
    assert_eq!(v["traced"], false);
    let refused = &v["tracing"]["refused"];
    assert_eq!(refused["errno_name"], "EPERM");
    assert_eq!(refused["causes"][0]["kind"], "already_traced", "{v:#}");
    assert!(
        refused["causes"][0]["summary"]
            .as_str()
            .unwrap()
            .contains(&format!("by pid {tracer}"))
    );
    first.kill().unwrap();
    first.wait().unwrap();
}

#[test]
fn a_pid_that_does_not_exist_is_refused() {
    let out = Command::new(WHATAMI)
        .args(["why", "--pid", "4194304"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(125));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("no process 4194304"), "{err}");
}

#[test]
fn for_needs_a_pid_and_a_duration_that_makes_sense() {
    for args in [
        &["why", "--for", "1s", "--", "true"][..],
        &["why", "--pid", "1", "--for", "0s"],
        &["why", "--pid", "1", "--for", "2d"],
        &["why", "--pid", "1", "--", "true"],
        &["why", "--pid", "0"],
        &["why", "--pid", "4194305"],
    ] {
        let out = Command::new(WHATAMI).args(args).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
    }
}

#[test]
fn a_running_process_is_recorded_for_a_duration() {
    let mut svc = service();
    let pid = svc.id();
    let dir = std::env::temp_dir().join(format!("whatami-attach-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let profile = dir.join("profile.json");
    let out = Command::new(WHATAMI)
        .args([
            "record",
            "--json",
            "--pid",
            &pid.to_string(),
            "--for",
            "500ms",
            "-o",
        ])
        .arg(&profile)
        .output()
        .unwrap();
    let v = why_json(&out);
    assert_eq!(out.status.code(), Some(0), "{v:#}");
    assert_eq!(v["pid"], pid);
    assert_eq!(v["traced"], true);
    // The loop's failing open is among the calls seen, and allowed.
    let calls: Vec<&str> = v["calls"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["syscall"].as_str().unwrap())
        .collect();
    assert!(
        calls.contains(&"openat") || calls.contains(&"open"),
        "{calls:?}"
    );
    let p: Value = serde_json::from_str(&std::fs::read_to_string(&profile).unwrap()).unwrap();
    let allowed: Vec<&str> = p["syscalls"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|r| r["names"].as_array().unwrap())
        .map(|n| n.as_str().unwrap())
        .collect();
    assert!(allowed.contains(&"openat") || allowed.contains(&"open"));
    unharmed(pid);
    svc.kill().unwrap();
    svc.wait().unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
}
