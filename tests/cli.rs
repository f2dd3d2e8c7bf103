//! Runs the built binary the way users do and checks what it prints.
//!
//! Every run gets an empty environment, so a NO_COLOR or TERM of the
//! developer's shell cannot change the output. The output on each tree
//! under tests/fixtures/ (captured inside real containers) is compared with
//! snapshots: the human report with tests/snapshots/<config>.txt (and, laid
//! out for 80 and 120 columns, columns-80/ and columns-120/), the JSON
//! with json/<config>.json, `--brief` with brief/, `--check baseline|restricted` with
//! check/<config>-<policy>.txt; the --help texts with help/. After an
//! intended change of the output, regenerate them with
//!
//!     UPDATE_SNAPSHOTS=1 cargo test --test cli
//!
//! and review the diff. A fixture without a snapshot fails until then.

mod common;

use common::tree::copy_tree;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::Duration;
use whatami::model::{Report, SeccompMode};

fn manifest_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn whatami(args: &[&str]) -> Output {
    whatami_env(args, &[])
}

fn whatami_env(args: &[&str], env: &[(&str, &str)]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_whatami"))
        .args(args)
        .env_clear()
        .envs(env.iter().copied())
        .current_dir(manifest_dir())
        .output()
        .expect("run whatami")
}

/// Runs whatami and waits at most `limit` for it: on time, its output; past
/// the deadline it is killed and the test fails, so a whatami that blocks
/// cannot hang the suite.
fn whatami_within(args: &[&str], limit: Duration) -> Output {
    let child = Command::new(env!("CARGO_BIN_EXE_whatami"))
        .args(args)
        .env_clear()
        .current_dir(manifest_dir())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run whatami");
    let pid = libc::pid_t::try_from(child.id()).expect("pid fits pid_t");
    let (tx, rx) = std::sync::mpsc::channel();
    let waiter = std::thread::spawn(move || {
        let _ = tx.send(child.wait_with_output());
    });
    match rx.recv_timeout(limit) {
        Ok(out) => out.expect("wait for whatami"),
        Err(_) => {
            // The child has not been reaped (the waiter still waits on it),
            // so the pid is still its own.
            // SAFETY: kill(2) on our own unreaped child.
            unsafe { libc::kill(pid, libc::SIGKILL) };
            let _ = waiter.join();
            panic!("whatami {args:?} still running after {limit:?}: killed");
        }
    }
}

fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).expect("stdout is UTF-8")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn fixtures() -> Vec<(String, PathBuf)> {
    let dir = manifest_dir().join("tests/fixtures");
    let mut out: Vec<(String, PathBuf)> = std::fs::read_dir(&dir)
        .expect("tests/fixtures")
        .filter_map(|e| e.ok())
        .filter(|e| e.path().is_dir())
        .map(|e| (e.file_name().to_string_lossy().into_owned(), e.path()))
        .collect();
    out.sort();
    assert!(!out.is_empty(), "no fixture under {}", dir.display());
    out
}

fn json_report(args: &[&str]) -> (Report, Output) {
    let mut all = vec!["--json"];
    all.extend_from_slice(args);
    let o = whatami(&all);
    let text = stdout(&o);
    let report: Report = serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("--json {args:?} does not parse back: {e}\n{text}"));
    (report, o)
}

fn fixture_report(config: &str) -> Report {
    let root = format!("tests/fixtures/{config}");
    let (r, o) = json_report(&["--root", &root]);
    assert_eq!(o.status.code(), Some(0), "{config}: {}", stderr(&o));
    r
}

/// A scratch tree under the target directory, removed first if it exists.
fn scratch(name: &str) -> PathBuf {
    let d = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn write(root: &Path, path: &str, text: &str) {
    let p = root.join(path);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, text).unwrap();
}

/// Replaces `path` under `root` by a named pipe with no writer.
fn fifo(root: &Path, path: &str) {
    let p = root.join(path);
    let _ = std::fs::remove_file(&p);
    let c = std::ffi::CString::new(p.into_os_string().into_encoded_bytes()).unwrap();
    // SAFETY: a valid NUL-terminated path; mkfifo only creates the node.
    let r = unsafe { libc::mkfifo(c.as_ptr(), 0o600) };
    assert_eq!(r, 0, "mkfifo {path}");
}

fn link(root: &Path, path: &str, target: &str) {
    let p = root.join(path);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::os::unix::fs::symlink(target, p).unwrap();
}

#[test]
fn json_on_the_live_system_parses_back() {
    let (r, o) = json_report(&["--probe", "none"]);
    assert!(
        matches!(o.status.code(), Some(0) | Some(3)),
        "{}",
        stderr(&o)
    );
    assert_eq!(r.schema_version, 1);
    assert_eq!(r.whatami_version, env!("CARGO_PKG_VERSION"));
    // This process can always read its own status file and namespaces.
    assert!(r.capabilities.is_ok(), "{:?}", r.capabilities);
    assert!(r.namespaces.is_ok(), "{:?}", r.namespaces);
    assert_eq!(o.status.code() == Some(0), r.failed_sections().is_empty());
}

#[test]
fn json_on_every_fixture_parses_back_and_is_complete() {
    for (config, _) in fixtures() {
        let r = fixture_report(&config);
        assert!(
            r.failed_sections().is_empty(),
            "{config}: {:?}",
            r.failed_sections()
        );
    }
}

#[test]
fn json_has_the_contract_paths() {
    let o = whatami(&["--json", "--root", "tests/fixtures/podman-default"]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    for p in [
        "/schema_version",
        "/whatami_version",
        "/seccomp/mode",
        "/seccomp/filters",
        "/seccomp/no_new_privs",
        "/seccomp/probe/method",
        "/capabilities/effective",
        "/capabilities/permitted",
        "/capabilities/inheritable",
        "/capabilities/bounding",
        "/capabilities/ambient",
        "/runtime/name",
        "/runtime/evidence",
        "/identity/hostname",
        "/system/kernel_release",
        "/system/arch",
    ] {
        assert!(v.pointer(p).is_some(), "{p} missing");
    }
    // The hostname is in one place only.
    assert!(v.pointer("/system/hostname").is_none());
    assert_eq!(v.pointer("/identity/hostname").unwrap(), "whatami-podman");
    for ns in ["cgroup", "ipc", "mnt", "net", "pid", "time", "user", "uts"] {
        assert!(
            v.pointer(&format!("/namespaces/{ns}/inode"))
                .is_some_and(|i| i.is_u64())
        );
        assert!(v.pointer(&format!("/namespaces/{ns}/host")).is_some());
    }
    assert_eq!(v.pointer("/seccomp/probe/method").unwrap(), "none");
    assert_eq!(v.pointer("/seccomp/mode").unwrap(), "filter");
}

#[test]
fn fixtures_report_what_each_container_was_given() {
    // podman 4.3.1, containers.conf defaults: 11 caps, one filter, private
    // pid/net/mnt/ipc/uts, the host's cgroup/user/time namespaces.
    let r = fixture_report("podman-default");
    assert_eq!(r.runtime.ok().unwrap().name, "podman");
    let s = r.seccomp.status.ok().unwrap();
    assert_eq!(
        (s.mode, s.filters, s.no_new_privs),
        (SeccompMode::Filter, Some(1), false)
    );
    let c = r.capabilities.ok().unwrap();
    assert_eq!(c.effective.len(), 11);
    assert_eq!(
        c.vs_docker_default.dropped,
        ["CAP_NET_RAW", "CAP_MKNOD", "CAP_AUDIT_WRITE"]
    );
    let n = r.namespaces.ok().unwrap();
    let host = |s: &whatami::model::Section<whatami::model::NamespaceInfo>| s.ok().unwrap().host;
    assert_eq!(host(&n.pid), Some(false));
    assert_eq!(host(&n.net), Some(false));
    assert_eq!(host(&n.user), Some(true));
    assert_eq!(host(&n.cgroup), Some(true));
    assert_eq!(r.user_namespace.ok().unwrap().root_is_host_root, Some(true));

    // dockerd: Docker's own 14 capabilities, /.dockerenv and its mounts.
    let r = fixture_report("dockerd");
    let rt = r.runtime.ok().unwrap();
    assert_eq!(rt.name, "docker");
    assert!(
        rt.evidence
            .iter()
            .any(|e| e.contains("/containers/") && e.contains("bind-mounted"))
    );
    let c = r.capabilities.ok().unwrap();
    assert!(c.vs_docker_default.added.is_empty() && c.vs_docker_default.dropped.is_empty());

    // systemd-nspawn shares the host's network namespace by default.
    let r = fixture_report("nspawn");
    assert_eq!(r.runtime.ok().unwrap().name, "systemd-nspawn");
    assert_eq!(host(&r.namespaces.ok().unwrap().net), Some(true));
    assert_eq!(r.seccomp.status.ok().unwrap().filters, Some(5));

    // podman --uidmap 0:100000:65536: root is uid 100000 outside.
    let u = fixture_report("podman-uidmap")
        .user_namespace
        .ok()
        .unwrap()
        .clone();
    assert_eq!(u.root_maps_to, Some(100000));
    assert_eq!(u.initial, Some(false));
    assert_eq!(u.root_is_host_root, None);

    // bubblewrap: its own pid 1, no_new_privs always.
    let r = fixture_report("bwrap");
    assert_eq!(r.runtime.ok().unwrap().name, "bubblewrap");
    assert!(r.seccomp.status.ok().unwrap().no_new_privs);

    // A runc bundle leaves no marker: a container, runtime unknown.
    let rt = fixture_report("runc-docker").runtime.ok().unwrap().clone();
    assert_eq!((rt.name.as_str(), rt.container), ("unknown", true));

    // This machine's root file system has a stray /.dockerenv.
    let rt = fixture_report("host").runtime.ok().unwrap().clone();
    assert_eq!((rt.name.as_str(), rt.container), ("none", false));
    assert!(rt.evidence.iter().any(|e| e.contains("leftover")));
}

/// Compares `got` with the snapshot at `rel` (under tests/snapshots), or
/// writes it there with UPDATE_SNAPSHOTS=1; a difference is added to
/// `failures` with the first line that differs.
fn snapshot(rel: &str, got: &str, failures: &mut Vec<String>) {
    let path = manifest_dir().join("tests/snapshots").join(rel);
    if std::env::var_os("UPDATE_SNAPSHOTS").is_some_and(|v| v == "1") {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, got).unwrap();
        return;
    }
    let want = for_this_arch(&std::fs::read_to_string(&path).unwrap_or_default());
    if got != want {
        let line = got
            .lines()
            .zip(want.lines())
            .position(|(a, b)| a != b)
            .unwrap_or_else(|| got.lines().count().min(want.lines().count()));
        failures.push(format!(
            "differs from {} at line {}:\n  got:  {:?}\n  want: {:?}",
            path.display(),
            line + 1,
            got.lines().nth(line).unwrap_or("<end>"),
            want.lines().nth(line).unwrap_or("<end>"),
        ));
    }
}

/// A snapshot as a build for this architecture prints it: the snapshots were
/// rendered by an x86_64 build, and the kernel line and the JSON's system
/// arch name the architecture whatami was built for.
fn for_this_arch(want: &str) -> String {
    let arch = std::env::consts::ARCH;
    if arch == "x86_64" {
        return want.to_string();
    }
    want.lines()
        .map(|l| match l.strip_suffix(" (x86_64)") {
            Some(k) if l.trim_start().starts_with("kernel ") => format!("{k} ({arch})\n"),
            _ if l.trim() == r#""arch": "x86_64""# => {
                format!("{}\n", l.replace("x86_64", arch))
            }
            _ => format!("{l}\n"),
        })
        .collect()
}

fn no_snapshot_failed(failures: &[String]) {
    assert!(
        failures.is_empty(),
        "{}\n(UPDATE_SNAPSHOTS=1 cargo test --test cli regenerates them)",
        failures.join("\n")
    );
}

#[test]
fn human_output_matches_the_snapshots() {
    let mut failures = Vec::new();
    for (config, _) in fixtures() {
        let root = format!("tests/fixtures/{config}");
        let o = whatami(&["--color", "never", "--root", &root]);
        assert_eq!(o.status.code(), Some(0), "{config}: {}", stderr(&o));
        let got = stdout(&o);
        assert!(
            !got.contains('\u{1b}'),
            "{config}: color codes with --color never"
        );
        snapshot(&format!("{config}.txt"), &got, &mut failures);
    }
    no_snapshot_failed(&failures);
}

/// The report of every fixture laid out for an 80- and a 120-column
/// terminal (COLUMNS, as a shell exports it), pinned in columns-N/, and no
/// line longer than the terminal: the terminal never has to wrap one.
#[test]
fn human_output_fits_the_terminal_width() {
    let mut failures = Vec::new();
    for (config, _) in fixtures() {
        let root = format!("tests/fixtures/{config}");
        for cols in ["80", "120"] {
            let o = whatami_env(&["--color", "never", "--root", &root], &[("COLUMNS", cols)]);
            assert_eq!(o.status.code(), Some(0), "{config}: {}", stderr(&o));
            let got = stdout(&o);
            let width: usize = cols.parse().unwrap();
            for line in got.lines() {
                let n = line.chars().count();
                if n > width {
                    failures.push(format!("{config} at {cols}: a line of {n}: {line:?}"));
                }
            }
            snapshot(&format!("columns-{cols}/{config}.txt"), &got, &mut failures);
        }
    }
    no_snapshot_failed(&failures);
}

/// The brief report of every fixture, in an 80-column terminal: pinned in
/// brief/, one 80x24 screen (23 lines, the prompt's left), no line longer
/// than 80, and the exit status of the full report.
#[test]
fn brief_output_fits_one_screen() {
    let mut failures = Vec::new();
    for (config, _) in fixtures() {
        let root = format!("tests/fixtures/{config}");
        let o = whatami_env(
            &["--brief", "--color", "never", "--root", &root],
            &[("COLUMNS", "80")],
        );
        assert_eq!(o.status.code(), Some(0), "{config}: {}", stderr(&o));
        let got = stdout(&o);
        let lines = got.lines().count();
        assert!(lines <= 23, "{config}: {lines} lines\n{got}");
        assert!(
            got.contains("  verdict ") && got.contains("  pod security "),
            "{got}"
        );
        for line in got.lines().filter(|l| l.chars().count() > 80) {
            failures.push(format!("{config}: a line longer than 80: {line:?}"));
        }
        snapshot(&format!("brief/{config}.txt"), &got, &mut failures);
    }
    no_snapshot_failed(&failures);
}

/// `--section` prints the sections named, in the report's order, each as
/// the full report prints it, and nothing else; a name it does not know is
/// bad usage.
#[test]
fn sections_print_only_those_named() {
    let root = "tests/fixtures/podman-default";
    let full = stdout(&whatami(&["--color", "never", "--root", root]));
    let o = whatami(&[
        "--color",
        "never",
        "--root",
        root,
        "--section",
        "namespaces,runtime",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let got = stdout(&o);
    let block = |title: &str| -> String {
        let start = full.find(&format!("\n{title}\n")).unwrap();
        let end = full[start + 1..]
            .find("\n\n")
            .map_or(full.len(), |e| start + 1 + e);
        full[start..end].to_string()
    };
    // Each block starts with its blank line and ends before the next one.
    let want = format!(
        "whatami {}\n{}\n{}\n",
        env!("CARGO_PKG_VERSION"),
        block("Runtime"),
        block("Namespaces")
    );
    assert_eq!(got, want);
    // Repeated, the same.
    let again = whatami(&[
        "--color",
        "never",
        "--root",
        root,
        "--section",
        "runtime",
        "--section",
        "namespaces",
    ]);
    assert_eq!(stdout(&again), want);
    for bad in [
        &["--section", "nope"][..],
        &["--section", "runtime", "--json"][..],
    ] {
        let o = whatami(&[&["--root", root][..], bad].concat());
        assert_eq!(o.status.code(), Some(2), "{bad:?}");
        assert!(stderr(&o).contains("error:"), "{bad:?}");
    }
    let o = whatami(&["--root", root, "--brief", "--check", "baseline"]);
    assert_eq!(o.status.code(), Some(2));
}

/// The JSON of every fixture, byte for byte: `--root` runs no probe, so the
/// whole object is a function of the tree (docs/json.md is the contract;
/// this pins what the contract leaves open, such as key order and spacing).
#[test]
fn json_output_matches_the_snapshots() {
    let mut failures = Vec::new();
    for (config, _) in fixtures() {
        let root = format!("tests/fixtures/{config}");
        // The report's time (subject.time) is the one SOURCE_DATE_EPOCH gives.
        let o = whatami_env(
            &["--json", "--root", &root],
            &[("SOURCE_DATE_EPOCH", "1796697398")],
        );
        assert_eq!(o.status.code(), Some(0), "{config}: {}", stderr(&o));
        snapshot(&format!("json/{config}.json"), &stdout(&o), &mut failures);
    }
    no_snapshot_failed(&failures);
}

/// `--check baseline` and `--check restricted` on every fixture, as printed,
/// with the exit status that goes with the result.
#[test]
fn check_output_matches_the_snapshots() {
    let mut failures = Vec::new();
    for (config, _) in fixtures() {
        let root = format!("tests/fixtures/{config}");
        for policy in ["baseline", "restricted"] {
            let o = whatami(&["--color", "never", "--root", &root, "--check", policy]);
            let got = stdout(&o);
            let failed = got.contains(&format!("check {policy}: FAILED"));
            assert_eq!(
                o.status.code(),
                Some(if failed { 5 } else { 0 }),
                "{config} --check {policy}: {}",
                stderr(&o)
            );
            snapshot(&format!("check/{config}-{policy}.txt"), &got, &mut failures);
        }
    }
    no_snapshot_failed(&failures);
}

/// The --help of the report, `why` and `record`: the options and the exit
/// codes each documents.
#[test]
fn help_matches_the_snapshots() {
    let mut failures = Vec::new();
    for (name, args) in [
        ("whatami", &["--help"][..]),
        ("why", &["why", "--help"][..]),
        ("record", &["record", "--help"][..]),
        ("diff", &["diff", "--help"][..]),
        ("fleet", &["fleet", "--help"][..]),
    ] {
        let o = whatami(args);
        assert_eq!(o.status.code(), Some(0), "{name}: {}", stderr(&o));
        snapshot(&format!("help/{name}.txt"), &stdout(&o), &mut failures);
    }
    no_snapshot_failed(&failures);
}

#[test]
fn color_follows_the_flag_and_no_color() {
    let args = ["--root", "tests/fixtures/podman-default"];
    let always = whatami(&[&args[..], &["--color", "always"]].concat());
    assert!(stdout(&always).contains("\u{1b}["));
    // Explicit --color=always wins over NO_COLOR.
    let forced = whatami_env(
        &[&args[..], &["--color=always"]].concat(),
        &[("NO_COLOR", "1")],
    );
    assert!(stdout(&forced).contains("\u{1b}["));
    // Auto: stdout is a pipe here, so no color, and NO_COLOR agrees.
    for env in [&[][..], &[("NO_COLOR", "1")][..]] {
        let auto = whatami_env(&args, env);
        assert!(!stdout(&auto).contains('\u{1b}'));
    }
}

#[test]
fn bad_usage_exits_2_with_a_message() {
    let o = whatami(&["--bogus"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("--bogus"), "{}", stderr(&o));
    assert!(o.stdout.is_empty());

    let o = whatami(&["--color", "sometimes"]);
    assert_eq!(o.status.code(), Some(2));
    let e = stderr(&o);
    assert!(e.contains("sometimes") && e.contains("always"), "{e}");

    let o = whatami(&["--root"]);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn help_documents_the_exit_codes() {
    let o = whatami(&["--help"]);
    assert_eq!(o.status.code(), Some(0));
    let h = stdout(&o);
    assert!(h.contains("Exit codes:") && h.contains("  3  "), "{h}");
}

#[test]
fn a_tree_without_a_status_file_exits_3_and_keeps_the_other_sections() {
    let root = scratch("no-status");
    for (ns, ino) in [
        ("pid", 4026532181u64),
        ("user", 4026531837),
        ("net", 4026532182),
    ] {
        link(
            &root,
            &format!("proc/self/ns/{ns}"),
            &format!("{ns}:[{ino}]"),
        );
    }
    write(&root, "proc/sys/kernel/osrelease", "6.18.44-fc-v595\n");
    let root_arg = root.to_string_lossy().into_owned();
    let (r, o) = json_report(&["--root", &root_arg]);
    assert_eq!(o.status.code(), Some(3));
    for (name, err) in [
        ("seccomp", r.seccomp.status.error()),
        ("capabilities", r.capabilities.error()),
        ("identity", r.identity.error()),
    ] {
        let err = err.unwrap_or_else(|| panic!("{name} should have failed"));
        assert!(err.contains("/proc/self/status"), "{name}: {err}");
    }
    // What does not need the status file is still there.
    let n = r.namespaces.ok().expect("namespaces");
    assert_eq!(n.pid.ok().unwrap().host, Some(false));
    assert!(n.time.error().is_some());
    assert_eq!(r.runtime.ok().unwrap().name, "unknown");
    // The human output says what is missing and still exits 3.
    let o = whatami(&["--color", "never", "--root", &root_arg]);
    assert_eq!(o.status.code(), Some(3));
    let text = stdout(&o);
    assert!(
        text.contains("incomplete report: could not gather"),
        "{text}"
    );
    assert!(text.contains("seccomp, capabilities"), "{text}");
}

#[test]
fn a_gvisor_like_tree_fails_only_what_its_status_file_lacks() {
    // The fields gVisor's sentry prints in /proc/<pid>/status, and its boot line.
    let root = scratch("gvisor-like");
    write(
        &root,
        "proc/self/status",
        "Name:\tsh\nState:\tR (running)\nTgid:\t1\nPid:\t1\nPPid:\t0\nTracerPid:\t0\n\
         FDSize:\t3\nVmSize:\t2332 kB\nVmRSS:\t1460 kB\nVmData:\t240 kB\nThreads:\t1\n\
         CapInh:\t0000000000000000\nCapPrm:\t00000000a80425fb\nCapEff:\t00000000a80425fb\n\
         CapBnd:\t00000000a80425fb\nSeccomp:\t0\nMems_allowed:\t1\nMems_allowed_list:\t0\n",
    );
    write(
        &root,
        "proc/cmdline",
        "BOOT_IMAGE=/vmlinuz-4.4.0-gvisor quiet\n",
    );
    write(&root, "proc/sys/kernel/osrelease", "4.4.0\n");
    write(
        &root,
        "proc/self/uid_map",
        "         0          0 4294967295\n",
    );
    write(
        &root,
        "proc/self/gid_map",
        "         0          0 4294967295\n",
    );
    write(&root, ".dockerenv", "");
    for (ns, ino) in [
        ("pid", 1u64),
        ("user", 2),
        ("mnt", 3),
        ("net", 4),
        ("ipc", 5),
        ("uts", 6),
        ("cgroup", 7),
    ] {
        link(
            &root,
            &format!("proc/self/ns/{ns}"),
            &format!("{ns}:[{ino}]"),
        );
    }
    let root_arg = root.to_string_lossy().into_owned();
    let (r, o) = json_report(&["--root", &root_arg]);
    assert_eq!(o.status.code(), Some(3));
    assert!(r.seccomp.status.error().unwrap().contains("NoNewPrivs"));
    assert!(r.identity.error().unwrap().contains("Uid"));
    let c = r.capabilities.ok().expect("capabilities");
    assert_eq!(c.ambient, None);
    let rt = r.runtime.ok().unwrap();
    assert_eq!(rt.detected, ["gvisor", "docker"]);
    let n = r.namespaces.ok().unwrap();
    assert_eq!(n.pid.ok().unwrap().host, None);
    assert!(n.pid.ok().unwrap().evidence.starts_with("gVisor"));
    assert_eq!(r.user_namespace.ok().unwrap().root_is_host_root, None);
}

#[test]
fn an_empty_root_is_incomplete_not_a_crash() {
    let root = scratch("empty");
    let root_arg = root.to_string_lossy().into_owned();
    let (r, o) = json_report(&["--root", &root_arg]);
    assert_eq!(o.status.code(), Some(3));
    assert!(stderr(&o).is_empty(), "{}", stderr(&o));
    for s in [
        "seccomp",
        "capabilities",
        "namespaces",
        "user_namespace",
        "identity",
        "runtime",
    ] {
        assert!(
            r.failed_sections().contains(&s),
            "{s}: {:?}",
            r.failed_sections()
        );
    }
    // System and LSM hold "unknown" values, not errors.
    assert!(r.system.is_ok() && r.lsm.is_ok());
}

#[test]
fn named_pipes_in_the_tree_are_refused_not_waited_on() {
    // Nothing ever writes to these pipes: a plain open() of any of them
    // would block whatami forever.
    let root = scratch("fifo");
    copy_tree(&manifest_dir().join("tests/fixtures/podman-default"), &root);
    for p in ["etc/passwd", "run/.containerenv"] {
        fifo(&root, p);
    }
    let root_arg = root.to_string_lossy().into_owned();
    let limit = Duration::from_secs(30);
    let o = whatami_within(&["--json", "--root", &root_arg], limit);
    // Each only costs what it would have said: the user name, the
    // .containerenv content (its presence still says podman).
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let r: Report = serde_json::from_slice(&o.stdout).expect("JSON report");
    let id = r.identity.ok().expect("identity");
    assert_eq!((id.uid.effective, id.user_name.as_deref()), (0, None));
    assert_eq!(r.runtime.ok().unwrap().name, "podman");

    // A section that cannot do without the file fails with the path and
    // its type, and the report is still printed.
    fifo(&root, "proc/self/status");
    let o = whatami_within(&["--json", "--root", &root_arg], limit);
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    let r: Report = serde_json::from_slice(&o.stdout).expect("JSON report");
    let e = r.capabilities.error().expect("capabilities fail");
    assert!(
        e.contains("/proc/self/status: not a regular file but a named pipe (FIFO)"),
        "{e}"
    );
    assert!(r.namespaces.is_ok());
    let o = whatami_within(&["--color", "never", "--root", &root_arg], limit);
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    assert!(stdout(&o).contains("named pipe"), "{}", stdout(&o));
}

// ------------------------------------------------------------ environment

#[test]
fn fixtures_report_the_environment() {
    use whatami::model::{MaskState, Severity, Status};
    // podman --read-only: the root mount says so, and so does the verdict.
    let r = fixture_report("podman-read-only");
    assert_eq!(r.mounts.ok().unwrap().root.read_only, Some(true));
    let a = r.assessment.ok().unwrap();
    assert_eq!(a.verdict, "docker_default");
    assert!(a.reasons.iter().any(|x| x.contains("read-only root")));
    assert_eq!(
        fixture_report("podman-default")
            .mounts
            .ok()
            .unwrap()
            .root
            .read_only,
        Some(false)
    );

    // The lab's podman API socket, bind-mounted at its usual path.
    let r = fixture_report("podman-socket");
    let m = r.mounts.ok().unwrap();
    assert_eq!(m.sockets.len(), 1, "{:?}", m.sockets);
    let s = &m.sockets[0];
    assert_eq!(
        (s.path.as_str(), s.runtime.as_str(), s.docker_api),
        ("/run/podman/podman.sock", "podman", true)
    );
    assert!(
        s.host_path
            .as_deref()
            .unwrap()
            .ends_with("/podman-api/podman.sock")
    );
    let a = r.assessment.ok().unwrap();
    assert_eq!(
        (a.risks[0].id.as_str(), a.risks[0].severity),
        ("runtime_socket", Severity::Critical)
    );

    // --privileged: writable /sys and /proc/sys, nothing masked, host devices.
    let r = fixture_report("podman-privileged");
    let m = r.mounts.ok().unwrap();
    let writable = |p: &str| m.pseudo.iter().find(|x| x.path == p).unwrap().writable;
    assert_eq!(
        (writable("/sys"), writable("/proc/sys")),
        (Some(true), Some(true))
    );
    assert!(m.masked.iter().all(|x| x.state != MaskState::Masked));
    assert!(!m.devices.block.is_empty());
    assert!(m.devices.notable.iter().any(|d| d.path == "/dev/kmsg"));
    let c = r.cgroups.ok().unwrap();
    assert!(!c.writable.is_empty());
    assert_eq!(c.devices_allow_all, Some(true));
    assert_eq!(r.assessment.ok().unwrap().verdict, "privileged");

    // The default: masked, read-only kernel interfaces, podman's pids limit.
    let r = fixture_report("podman-default");
    let m = r.mounts.ok().unwrap();
    for p in ["/proc/keys", "/proc/timer_list", "/sys/firmware"] {
        let x = m.masked.iter().find(|x| x.path == p).unwrap();
        assert_eq!(x.state, MaskState::Masked, "{p}");
    }
    assert!(m.host_paths.is_empty() && m.sockets.is_empty());
    let c = r.cgroups.ok().unwrap();
    assert_eq!(c.version, "v1");
    assert_eq!(c.private_namespace, Some(false));
    assert_eq!(c.limits.pids.as_ref().unwrap().max, Some(2048));
    assert!(c.writable.is_empty() && c.release_agent.is_none());
    let k = r.kernel_limits.ok().unwrap();
    assert_eq!(k.apparmor_enabled, Some(false));
    assert!(k.landlock.note.contains("captured"));
    assert!(!r.kubernetes.ok().unwrap().pod);

    // The hardened container passes restricted; nothing is cannot-tell.
    let a = fixture_report("podman-hardened")
        .assessment
        .ok()
        .unwrap()
        .clone();
    assert_eq!(a.verdict, "hardened");
    assert_eq!(
        a.pod_security.restricted,
        Status::Pass,
        "{:?}",
        a.pod_security
    );
}

#[test]
fn check_passes_the_hardened_container_and_fails_the_default_naming_why() {
    let root = "tests/fixtures/podman-hardened";
    let o = whatami(&["--check", "restricted", "--color", "never", "--root", root]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    let text = stdout(&o);
    assert!(text.contains("check restricted: passed"), "{text}");
    assert!(text.starts_with("whatami ") && text.contains("Verdict"));

    let root = "tests/fixtures/podman-default";
    let o = whatami(&["--check", "restricted", "--color", "never", "--root", root]);
    assert_eq!(o.status.code(), Some(5), "{}", stdout(&o));
    let text = stdout(&o);
    // The closing line may be wrapped: its words, joined again.
    let words = text.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        words.contains(
            "check restricted: FAILED (3 of 11 controls): privilege_escalation, \
             run_as_non_root, capabilities_restricted"
        ),
        "{text}"
    );
    // Baseline alone passes.
    let o = whatami(&["--check", "baseline", "--root", root]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));

    // JSON: the whole report, the result under "check", the same exit status.
    let o = whatami(&["--json", "--check", "restricted", "--root", root]);
    assert_eq!(o.status.code(), Some(5));
    let r: Report = serde_json::from_slice(&o.stdout).unwrap();
    let c = r.check.expect("check");
    assert!(!c.passed);
    assert_eq!(
        c.failed,
        [
            "privilege_escalation",
            "run_as_non_root",
            "capabilities_restricted"
        ]
    );
    // Without --check there is no "check" key.
    let v: serde_json::Value =
        serde_json::from_slice(&whatami(&["--json", "--root", root]).stdout).unwrap();
    assert!(v.get("check").is_none());
}

#[test]
fn check_reads_a_policy_file_and_refuses_a_bad_one() {
    let dir = scratch("policy");
    let policy = dir.join("policy.json");
    std::fs::write(
        &policy,
        r#"{"read_only_root": true, "pids_limit": true, "private_namespaces": ["pid", "net"],
            "allowed_capabilities": [], "max_risk": "high"}"#,
    )
    .unwrap();
    let p = policy.to_string_lossy().into_owned();
    let o = whatami(&["--check", &p, "--root", "tests/fixtures/podman-read-only"]);
    let text = stdout(&o);
    assert_eq!(o.status.code(), Some(5), "{text}");
    // The line wraps where the scratch path's length puts it: compare words.
    let words = text.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        words.contains(&format!(
            "check {p}: FAILED (1 of 5 controls): allowed_capabilities"
        )),
        "{text}"
    );
    let o = whatami(&["--check", &p, "--root", "tests/fixtures/podman-hardened"]);
    assert_eq!(o.status.code(), Some(5), "{}", stdout(&o));
    assert!(stdout(&o).contains("read_only_root"));
    // A misspelt key, a missing file: bad usage, nothing gathered.
    std::fs::write(&policy, r#"{"read_only_rot": true}"#).unwrap();
    for arg in [p.as_str(), "/nonexistent/policy.json"] {
        let o = whatami(&["--check", arg]);
        assert_eq!(o.status.code(), Some(2), "{arg}");
        assert!(o.stdout.is_empty());
        assert!(
            stderr(&o).starts_with("whatami: --check: "),
            "{}",
            stderr(&o)
        );
    }
}

#[test]
fn a_pod_is_seen_from_its_service_account_mount() {
    let root = scratch("pod");
    copy_tree(&manifest_dir().join("tests/fixtures/podman-default"), &root);
    // A service-account mount whose token carries the claims of a projected
    // token (header and signature are placeholders: only claims are read).
    let claims = r#"{"kubernetes.io":{"namespace":"shop","pod":{"name":"web-0","uid":"u"},"serviceaccount":{"name":"web","uid":"s"}},"sub":"system:serviceaccount:shop:web"}"#;
    let b64 = |s: &str| {
        const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        let mut out = String::new();
        for chunk in s.as_bytes().chunks(3) {
            let n =
                chunk.iter().fold(0u32, |a, &b| (a << 8) | u32::from(b)) << (8 * (3 - chunk.len()));
            for i in 0..=chunk.len() {
                out.push(T[((n >> (18 - 6 * i)) & 63) as usize] as char);
            }
        }
        out
    };
    let sa = "var/run/secrets/kubernetes.io/serviceaccount";
    write(&root, &format!("{sa}/namespace"), "shop");
    write(
        &root,
        &format!("{sa}/token"),
        &format!("e30.{}.c2ln", b64(claims)),
    );
    let root_arg = root.to_string_lossy().into_owned();
    let (r, o) = json_report(&["--root", &root_arg]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let k = r.kubernetes.ok().unwrap();
    assert!(k.pod);
    assert_eq!(
        (
            k.namespace.as_deref(),
            k.service_account.as_deref(),
            k.pod_name.as_deref()
        ),
        (Some("shop"), Some("web"), Some("web-0"))
    );
    let a = r.assessment.ok().unwrap();
    assert!(a.risks.iter().any(|x| x.id == "service_account_token"));
    let o = whatami(&["--color", "never", "--root", &root_arg]);
    let text = stdout(&o);
    assert!(text.contains("service account web"), "{text}");
    // The token itself is never printed.
    assert!(
        !text.contains("c2ln")
            && !stdout(&whatami(&["--json", "--root", &root_arg])).contains("c2ln")
    );
}

#[test]
fn hostile_environment_files_cost_only_what_they_say() {
    let root = scratch("hostile-env");
    copy_tree(&manifest_dir().join("tests/fixtures/podman-default"), &root);
    // A mount table of garbage, a damaged stat table, odd cgroup files.
    write(
        &root,
        "proc/self/mountinfo",
        "garbage\n\u{1b}[2J\n1 2 3\n99 1 0:1 / / ro - \\\\\\777 x\n-\n",
    );
    write(
        &root,
        "STAT.txt",
        "stat\t/dev/kmsg\tchar\n\u{0}\u{0}\nlisted\n",
    );
    write(&root, "proc/self/cgroup", "::\n0::relative\n\n");
    write(
        &root,
        "proc/sys/kernel/kptr_restrict",
        "\u{1b}[31m99999999999999999999\n",
    );
    let root_arg = root.to_string_lossy().into_owned();
    let limit = Duration::from_secs(30);
    let o = whatami_within(&["--json", "--root", &root_arg], limit);
    assert!(stderr(&o).is_empty(), "{}", stderr(&o));
    let r: Report = serde_json::from_slice(&o.stdout).expect("JSON report");
    let m = r.mounts.ok().expect("mounts");
    assert_eq!(m.count, 1);
    assert_eq!(m.root.read_only, Some(true));
    assert!(r.cgroups.is_ok() && r.kernel_limits.is_ok() && r.assessment.is_ok());
    let o = whatami_within(&["--color", "never", "--root", &root_arg], limit);
    assert!(
        !stdout(&o).contains('\u{1b}'),
        "escape codes from a file reached the output"
    );
}
