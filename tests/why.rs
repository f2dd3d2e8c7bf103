//! `whatami why` against real commands that really fail: each test makes a
//! failure happen for a known reason (a seccomp filter installed in
//! whatami's parent-side child, a capability dropped, a read-only bind
//! mount in a user namespace, a file mode, no_new_privs) and checks the
//! call whatami shows, the cause it names first, and its fix.
//!
//! Without root every test runs that can: filters need only no_new_privs,
//! a non-root user lacks every capability already, and mounts happen in a
//! user namespace. Tests that need root (to make a file-capability program,
//! or to run as another user) or a tool a fresh machine lacks (busybox,
//! setcap) are marked ignored with the reason, so they show as not run
//! rather than passing; CI installs the tools and runs them as root with
//! `cargo test -- --ignored`. A missing precondition there is a failure.

// Syscall numbers in the filters below are x86_64's.
#![cfg(target_arch = "x86_64")]

mod common;

use common::seccomp::*;
use serde_json::Value;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

const EPERM: u32 = 1;
const EXDEV: u32 = 18;
const MKDIR: u32 = 83;
const MKDIRAT: u32 = 258;
const CLOCK_SETTIME: u32 = 227;
const SETTIMEOFDAY: u32 = 164;
const ADJTIMEX: u32 = 159;
const CLOCK_ADJTIME: u32 = 305;
const UNSHARE: u32 = 272;
const CLONE: u32 = 56;
const PTRACE: u32 = 101;

const CAP_SYS_ADMIN: u8 = 21;
const CAP_NET_RAW: u8 = 13;
const CAP_SYS_TIME: u8 = 25;

const PATH: &str = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

fn is_root() -> bool {
    // SAFETY: geteuid has no side effect.
    unsafe { libc::geteuid() == 0 }
}

fn which(tool: &str) -> Option<PathBuf> {
    PATH.split(':')
        .map(|d| Path::new(d).join(tool))
        .find(|p| p.is_file())
}

/// A scratch directory everyone may use (whatami may run as nobody).
fn scratch(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("whatami-why-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    std::fs::set_permissions(&d, std::fs::Permissions::from_mode(0o777)).unwrap();
    d
}

/// How whatami is started.
#[derive(Default)]
struct Setup {
    /// Seccomp filters, installed (after no_new_privs) just before whatami runs.
    filters: Vec<Policy>,
    /// Filters already compiled (raw BPF), installed after `filters`.
    raw_filters: Vec<Vec<Ins>>,
    /// Capabilities removed from every set (root only; a non-root user has none).
    drop: Vec<u8>,
    /// As root: a private mount namespace, so a mount that should fail cannot leak.
    private_mounts: bool,
    /// A program whatami is started through (setpriv, unshare).
    wrapper: Vec<String>,
    /// Extra whatami options before `--`.
    opts: Vec<String>,
    stdin: Option<Vec<u8>>,
    env: Vec<(String, String)>,
}

/// Removes `caps` from the bounding, effective, permitted and inheritable sets.
///
/// # Safety
/// Only between fork and exec.
unsafe fn drop_caps(caps: &[u8]) -> std::io::Result<()> {
    #[repr(C)]
    struct Header {
        version: u32,
        pid: i32,
    }
    #[repr(C)]
    #[derive(Clone, Copy)]
    struct Data {
        effective: u32,
        permitted: u32,
        inheritable: u32,
    }
    let mut h = Header {
        version: 0x2008_0522,
        pid: 0,
    };
    let mut d = [Data {
        effective: 0,
        permitted: 0,
        inheritable: 0,
    }; 2];
    // SAFETY: capget/capset with a v3 header and two data words; the caller
    // is the forked child.
    unsafe {
        for &c in caps {
            if libc::prctl(libc::PR_CAPBSET_DROP, c as libc::c_ulong, 0, 0, 0) != 0 {
                return Err(std::io::Error::last_os_error());
            }
        }
        if libc::syscall(libc::SYS_capget, &mut h as *mut Header, d.as_mut_ptr()) != 0 {
            return Err(std::io::Error::last_os_error());
        }
        for &c in caps {
            let (w, bit) = ((c / 32) as usize, 1u32 << (c % 32));
            d[w].effective &= !bit;
            d[w].permitted &= !bit;
            d[w].inheritable &= !bit;
        }
        if libc::syscall(libc::SYS_capset, &mut h as *mut Header, d.as_ptr()) != 0 {
            return Err(std::io::Error::last_os_error());
        }
    }
    Ok(())
}

/// Runs `whatami why --json -o FILE -- cmd` and returns the explanation and
/// what whatami itself printed. Killed after a minute: a hang fails the test.
fn why(name: &str, s: Setup, cmd: &[&str]) -> (Value, Output) {
    let dir = scratch(&format!("out-{name}"));
    let out = dir.join("why.json");
    let mut c = if s.wrapper.is_empty() {
        Command::new(env!("CARGO_BIN_EXE_whatami"))
    } else {
        let mut c = Command::new(&s.wrapper[0]);
        c.args(&s.wrapper[1..]).arg(env!("CARGO_BIN_EXE_whatami"));
        c
    };
    c.arg("why")
        .arg("--json")
        .arg("-o")
        .arg(&out)
        .args(&s.opts)
        .arg("--")
        .args(cmd)
        .env_clear()
        .env("PATH", PATH)
        .env("LC_ALL", "C")
        .envs(s.env.iter().map(|(k, v)| (k, v)))
        .current_dir(&dir)
        .stdin(if s.stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut progs: Vec<Vec<Ins>> = s.filters.iter().map(Policy::compile).collect();
    progs.extend(s.raw_filters.iter().cloned());
    let drop = s.drop.clone();
    let root = is_root();
    let private = s.private_mounts && root;
    // SAFETY: the closure runs in the forked child before exec and only
    // makes direct system calls on memory prepared before the fork.
    unsafe {
        c.pre_exec(move || {
            if private {
                if libc::unshare(libc::CLONE_NEWNS) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
                let none = c"none";
                let root_dir = c"/";
                if libc::mount(
                    none.as_ptr(),
                    root_dir.as_ptr(),
                    std::ptr::null(),
                    libc::MS_REC | libc::MS_PRIVATE,
                    std::ptr::null(),
                ) != 0
                {
                    return Err(std::io::Error::last_os_error());
                }
            }
            if root && !drop.is_empty() {
                drop_caps(&drop)?;
            }
            if !progs.is_empty() && libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            for prog in &progs {
                let fprog = libc::sock_fprog {
                    len: prog.len() as u16,
                    filter: prog.as_ptr() as *mut libc::sock_filter,
                };
                if libc::syscall(
                    libc::SYS_seccomp,
                    libc::SECCOMP_SET_MODE_FILTER,
                    0,
                    &fprog as *const libc::sock_fprog,
                ) != 0
                {
                    return Err(std::io::Error::last_os_error());
                }
            }
            Ok(())
        });
    }
    let mut child = c.spawn().expect("start whatami why");
    if let Some(input) = s.stdin {
        use std::io::Write;
        let mut stdin = child.stdin.take().unwrap();
        stdin.write_all(&input).unwrap();
    }
    let pid = child.id() as libc::pid_t;
    let (tx, rx) = std::sync::mpsc::channel();
    let waiter = std::thread::spawn(move || {
        let _ = tx.send(child.wait_with_output());
    });
    let output = match rx.recv_timeout(Duration::from_secs(60)) {
        Ok(o) => o.expect("wait for whatami"),
        Err(_) => {
            // SAFETY: our own child, not reaped yet (the waiter waits on it).
            unsafe { libc::kill(pid, libc::SIGKILL) };
            let _ = waiter.join();
            panic!("whatami why {cmd:?} still running after a minute: killed");
        }
    };
    let text = std::fs::read_to_string(&out).unwrap_or_default();
    let _ = std::fs::remove_dir_all(&dir);
    let v: Value = serde_json::from_str(&text).unwrap_or_else(|e| {
        panic!(
            "whatami why {cmd:?}: no JSON explanation ({e}); status {:?}\nstderr: {}\nfile: {text}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        )
    });
    // Every explanation parses back into the documented model.
    serde_json::from_value::<whatami::why::report::WhyReport>(v.clone())
        .unwrap_or_else(|e| panic!("the explanation does not parse back: {e}\n{v:#}"));
    (v, output)
}

/// The explained failure of `syscall`, which must exist.
fn failure<'a>(v: &'a Value, syscall: &str) -> &'a Value {
    v["failures"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["syscall"] == syscall)
        .unwrap_or_else(|| panic!("no {syscall} failure in {v:#}"))
}

fn first_cause(f: &Value) -> (&str, &str) {
    let c = &f["causes"][0];
    (
        c["kind"].as_str().unwrap_or("?"),
        c["certainty"].as_str().unwrap_or("?"),
    )
}

fn cause<'a>(f: &'a Value, kind: &str) -> &'a Value {
    f["causes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["kind"] == kind)
        .unwrap_or_else(|| panic!("no {kind} cause in {f:#}"))
}

/// A precondition of the test itself: without it the test cannot say
/// anything, and says so by failing.
fn need(ok: bool, what: &str) {
    assert!(ok, "this test needs {what}");
}

fn errno_rules(nrs: &[u32], errno: u32) -> Policy {
    Policy::native(nrs.iter().map(|&n| Rule::new(n, ERRNO | errno)).collect())
}

#[test]
fn date_without_cap_sys_time_under_dockers_time_rules() {
    // Docker's default profile refuses the clock calls to containers
    // without CAP_SYS_TIME; CAP_SYS_TIME is dropped too (as root), so
    // neither can let the clock be set.
    let setup = Setup {
        filters: vec![errno_rules(
            &[CLOCK_SETTIME, SETTIMEOFDAY, ADJTIMEX, CLOCK_ADJTIME],
            EPERM,
        )],
        drop: vec![CAP_SYS_TIME],
        ..Setup::default()
    };
    let (v, out) = why("date", setup, &["date", "-s", "19 april 2022 18:19:09"]);
    assert_eq!(out.status.code(), Some(1), "date's own status");
    assert_eq!(v["exit"]["code"], 1);
    let f = failure(&v, "clock_settime");
    let call = f["call"].as_str().unwrap();
    assert!(
        call.starts_with("clock_settime(CLOCK_REALTIME, {tv_sec="),
        "{call}"
    );
    assert_eq!(f["result"], "-1 EPERM (Operation not permitted)");
    assert_eq!(first_cause(f), ("seccomp", "exact"));
    assert_eq!(f["seccomp_verdict"]["verdict"], "errno");
    let cap = cause(f, "capability");
    assert_eq!(cap["capability"], "CAP_SYS_TIME");
    if is_root() {
        assert_eq!(cap["in_bounding_set"], false);
    }
    let fix = f["fix"].as_str().unwrap();
    assert!(fix.contains("--cap-add SYS_TIME"), "{fix}");
    // Four rules are no known profile: the policy is named custom, and the
    // fix speaks of profiles in general.
    assert_eq!(
        v["seccomp"]["profile"]["title"], "custom",
        "{:#}",
        v["seccomp"]
    );
    assert_eq!(v["seccomp"]["profile"]["match"], Value::Null);
    assert!(f.get("profile").is_none(), "{f:#}");
    assert!(
        fix.starts_with("blocked by the seccomp profile; clock_settime also needs CAP_SYS_TIME"),
        "{fix}"
    );
    // The summary counts the call and its error.
    let row = v["summary"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["syscall"] == "clock_settime")
        .unwrap();
    assert_eq!(
        (row["calls"].as_u64(), row["errors"].as_u64()),
        (Some(1), Some(1))
    );
}

/// Docker's default profile as a container with Docker's capabilities gets
/// it: resolved as dockerd does and compiled with libseccomp as the
/// runtimes do (scripts/lab/seccomp-profile.py), read back as raw BPF.
fn dockers_profile(dir: &Path) -> Vec<Ins> {
    let script = common::lab::seccomp_profile_script();
    let oci = dir.join("docker-oci.json");
    let bpf = dir.join("docker.bpf");
    let out = Command::new("/usr/bin/python3")
        .arg(&script)
        .args(["resolve", &common::lab::docker_json(), "--caps", "docker"])
        .output()
        .expect("run /usr/bin/python3");
    assert!(
        out.status.success(),
        "resolve: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    std::fs::write(&oci, &out.stdout).unwrap();
    let out = Command::new("/usr/bin/python3")
        .arg(&script)
        .arg("bpf")
        .arg(&oci)
        .arg(&bpf)
        .output()
        .expect("run /usr/bin/python3");
    assert!(
        out.status.success(),
        "bpf (needs python3-seccomp): {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let raw = std::fs::read(&bpf).unwrap();
    assert!(
        !raw.is_empty() && raw.len() % 8 == 0,
        "{} bytes of BPF",
        raw.len()
    );
    raw.chunks_exact(8)
        .map(|i| Ins {
            code: u16::from_ne_bytes([i[0], i[1]]),
            jt: i[2],
            jf: i[3],
            k: u32::from_ne_bytes([i[4], i[5], i[6], i[7]]),
        })
        .collect()
}

/// Every capability outside Docker's default set, up to the kernel's last.
fn beyond_dockers_set() -> Vec<u8> {
    const DOCKER: u64 = 0xa804_25fb;
    let last: u8 = std::fs::read_to_string("/proc/sys/kernel/cap_last_cap")
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(40);
    (0..=last).filter(|b| DOCKER & (1u64 << b) == 0).collect()
}

#[test]
#[ignore = "needs root, the lab's Docker default.json and python3-seccomp (CI runs it as root after setting the lab up)"]
fn date_under_dockers_real_profile_names_it_and_its_condition() {
    need(is_root(), "root (to give whatami Docker's capability set)");
    need(
        Path::new(&common::lab::docker_json()).exists(),
        "Docker's default.json (scripts/lab/setup.sh unpacks it)",
    );
    let dir = scratch("docker-profile");
    let filter = dockers_profile(&dir);
    let _ = std::fs::remove_dir_all(&dir);
    let setup = || Setup {
        raw_filters: vec![filter.clone()],
        drop: beyond_dockers_set(),
        ..Setup::default()
    };
    let (v, _) = why(
        "date-docker",
        setup(),
        &["date", "-s", "19 april 2022 18:19:09"],
    );
    assert_eq!(
        v["seccomp"]["profile"]["match"], "docker-20.10",
        "{:#}",
        v["seccomp"]
    );
    let f = failure(&v, "clock_settime");
    assert_eq!(first_cause(f), ("seccomp", "exact"));
    assert_eq!(f["profile"]["id"], "docker-20.10", "{f:#}");
    assert_eq!(f["profile"]["condition"], "capability");
    assert_eq!(
        f["profile"]["capabilities"],
        serde_json::json!(["CAP_SYS_TIME"])
    );
    assert_eq!(
        f["fix"],
        "blocked by the seccomp profile; Docker's default profile (20.10) allows clock_settime only with CAP_SYS_TIME: run with --cap-add SYS_TIME"
    );

    // unshare is Docker's only with CAP_SYS_ADMIN.
    if which("unshare").is_some() {
        let (v, _) = why("unshare-docker", setup(), &["unshare", "-U", "true"]);
        let f = failure(&v, "unshare");
        assert_eq!(
            f["profile"]["capabilities"],
            serde_json::json!(["CAP_SYS_ADMIN"]),
            "{f:#}"
        );
        let fix = f["fix"].as_str().unwrap();
        assert!(
            fix.contains("Docker's default profile (20.10) allows unshare only with CAP_SYS_ADMIN: run with --cap-add SYS_ADMIN"),
            "{fix}"
        );
    }
}

#[test]
fn mkdir_under_a_profile_that_blocks_it() {
    let setup = Setup {
        filters: vec![errno_rules(&[MKDIR, MKDIRAT], EPERM)],
        ..Setup::default()
    };
    let (v, out) = why("mkdir", setup, &["mkdir", "newdir"]);
    assert_eq!(out.status.code(), Some(1));
    let f = failure(&v, "mkdir");
    assert!(
        f["call"]
            .as_str()
            .unwrap()
            .starts_with("mkdir(\"newdir\", 0777)"),
        "{f}"
    );
    assert_eq!(first_cause(f), ("seccomp", "exact"));
    assert!(f["fix"].as_str().unwrap().contains("allow mkdir"), "{f}");
    assert_eq!(f["paths"][0]["role"], "create");
}

#[test]
fn a_failure_in_a_child_process_is_followed() {
    let setup = Setup {
        filters: vec![errno_rules(&[MKDIR, MKDIRAT], EPERM)],
        ..Setup::default()
    };
    let (v, out) = why("fork", setup, &["sh", "-c", "mkdir newdir; exit 7"]);
    assert_eq!(out.status.code(), Some(7));
    let f = failure(&v, "mkdir");
    assert_eq!(first_cause(f), ("seccomp", "exact"));
    // The failure happened in mkdir's process, not sh's.
    assert!(f["program"].as_str().unwrap().ends_with("mkdir"), "{f}");
}

#[test]
fn a_failure_in_a_thread_is_followed() {
    need(which("python3").is_some(), "python3");
    let setup = Setup {
        filters: vec![errno_rules(&[MKDIR, MKDIRAT], EPERM)],
        ..Setup::default()
    };
    let script = "import os, threading\n\
        def f():\n    try: os.mkdir('from-a-thread')\n    except OSError: pass\n\
        t = threading.Thread(target=f); t.start(); t.join()";
    let (v, out) = why("thread", setup, &["python3", "-c", script]);
    assert_eq!(out.status.code(), Some(0));
    let f = failure(&v, "mkdir");
    assert!(f["call"].as_str().unwrap().contains("from-a-thread"), "{f}");
}

/// glibc's pthread_create tries clone3 first and falls back to clone on
/// ENOSYS, as Docker's profile answers it: the failure is listed after the
/// real one, marked harmless, without a fix.
#[test]
fn a_fallback_the_program_recovers_from_is_harmless_and_comes_last() {
    const CLONE3: u32 = 435;
    need(which("python3").is_some(), "python3");
    let mut rules = errno_rules(&[CLONE3], 38);
    rules
        .native
        .rules
        .extend(errno_rules(&[MKDIR, MKDIRAT], EPERM).native.rules);
    let setup = Setup {
        filters: vec![rules],
        ..Setup::default()
    };
    let script = "import os, threading\n\
        t = threading.Thread(target=lambda: None); t.start(); t.join()\n\
        try: os.mkdir('refused')\n\
        except OSError: pass";
    let (v, out) = why("fallback", setup, &["python3", "-c", script]);
    assert_eq!(out.status.code(), Some(0));
    let fs = v["failures"].as_array().unwrap();
    let clone3 = failure(&v, "clone3");
    assert_eq!(clone3["harmless"], true, "{clone3}");
    assert_eq!(clone3["fallback"], "clone", "{clone3}");
    assert!(clone3["fix"].is_null(), "{clone3}");
    assert_eq!(first_cause(clone3), ("seccomp", "exact"));
    let mkdir = failure(&v, "mkdir");
    assert!(mkdir.get("harmless").is_none(), "{mkdir}");
    assert!(mkdir["fix"].is_string());
    assert_eq!(fs.last().unwrap()["syscall"], "clone3", "{v:#}");
}

#[test]
fn an_unusual_errno_counts_when_the_policy_produced_it() {
    // EXDEV is no errno mkdir gives by itself: shown because the policy
    // confirms it answered so. The ENOENT of an ordinary missing file is not.
    let setup = Setup {
        filters: vec![errno_rules(&[MKDIR, MKDIRAT], EXDEV)],
        ..Setup::default()
    };
    let (v, _) = why(
        "exdev",
        setup,
        &["sh", "-c", "mkdir newdir; cat /nonexistent-file"],
    );
    let f = failure(&v, "mkdir");
    assert_eq!(f["errno_name"], "EXDEV");
    assert_eq!(first_cause(f), ("seccomp", "exact"));
    assert!(
        v["failures"]
            .as_array()
            .unwrap()
            .iter()
            .all(|f| f["errno_name"] != "ENOENT"),
        "{v:#}"
    );
}

#[test]
fn traps_and_kills_by_the_policy() {
    let trap = Setup {
        filters: vec![Policy::native(vec![
            Rule::new(MKDIR, TRAP | 7),
            Rule::new(MKDIRAT, TRAP | 7),
        ])],
        ..Setup::default()
    };
    let (v, out) = why("trap", trap, &["mkdir", "newdir"]);
    // mkdir has no SIGSYS handler: it dies of it, and whatami says so.
    assert_eq!(out.status.code(), Some(128 + libc::SIGSYS));
    assert_eq!(v["exit"]["signal"], libc::SIGSYS);
    let f = failure(&v, "mkdir");
    assert_eq!(f["how"], "trap");
    assert_eq!(first_cause(f), ("seccomp", "exact"));

    let kill = Setup {
        filters: vec![Policy::native(vec![
            Rule::new(MKDIR, KILL_PROCESS),
            Rule::new(MKDIRAT, KILL_PROCESS),
        ])],
        ..Setup::default()
    };
    let (v, out) = why("kill", kill, &["mkdir", "newdir"]);
    assert_eq!(out.status.code(), Some(128 + libc::SIGSYS));
    let f = failure(&v, "mkdir");
    assert_eq!(f["how"], "killed");
    assert_eq!(first_cause(f), ("seccomp", "exact"));
}

#[test]
fn unshare_user_under_dockers_namespace_rules() {
    need(which("unshare").is_some(), "unshare (util-linux)");
    // Docker's default profile refuses unshare, and clone with namespace
    // flags, to containers without CAP_SYS_ADMIN.
    let rules = vec![
        Rule::new(UNSHARE, ERRNO | EPERM),
        Rule::when(CLONE, Arg::AnyBits(0, 0x7E02_0000), ERRNO | EPERM),
    ];
    let setup = Setup {
        filters: vec![Policy::native(rules)],
        ..Setup::default()
    };
    let (v, out) = why("unshare", setup, &["unshare", "-U", "true"]);
    assert_ne!(out.status.code(), Some(0));
    let f = failure(&v, "unshare");
    assert_eq!(f["call"], "unshare(CLONE_NEWUSER)");
    assert_eq!(first_cause(f), ("seccomp", "exact"));
}

#[test]
#[ignore = "needs busybox (busybox-static; CI installs it)"]
fn raw_socket_without_cap_net_raw() {
    let busybox = which("busybox").expect("this test needs busybox (busybox-static)");
    let setup = Setup {
        drop: vec![CAP_NET_RAW],
        ..Setup::default()
    };
    let b = busybox.to_string_lossy().into_owned();
    let (v, _) = why("ping", setup, &[&b, "ping", "-c", "1", "127.0.0.1"]);
    let f = failure(&v, "socket");
    assert_eq!(f["call"], "socket(AF_INET, SOCK_RAW, IPPROTO_ICMP)");
    assert_eq!(first_cause(f).0, "capability");
    let c = cause(f, "capability");
    assert_eq!(c["capability"], "CAP_NET_RAW");
    if is_root() {
        assert_eq!(c["in_bounding_set"], false);
        assert!(f["fix"].as_str().unwrap().contains("--cap-add NET_RAW"));
    }
}

#[test]
#[ignore = "needs busybox (busybox-static; CI installs it)"]
fn mount_without_cap_sys_admin() {
    let busybox = which("busybox").expect("this test needs busybox (busybox-static)");
    let dir = scratch("mnt");
    let setup = Setup {
        drop: vec![CAP_SYS_ADMIN],
        private_mounts: true,
        ..Setup::default()
    };
    let b = busybox.to_string_lossy().into_owned();
    let target = dir.to_string_lossy().into_owned();
    let (v, out) = why(
        "mount",
        setup,
        &[&b, "mount", "-t", "tmpfs", "none", &target],
    );
    let _ = std::fs::remove_dir_all(&dir);
    assert_ne!(out.status.code(), Some(0));
    let f = failure(&v, "mount");
    assert!(
        f["call"]
            .as_str()
            .unwrap()
            .starts_with(&format!("mount(\"none\", \"{target}\", \"tmpfs\"")),
        "{f}"
    );
    assert_eq!(first_cause(f).0, "capability");
    assert_eq!(cause(f, "capability")["capability"], "CAP_SYS_ADMIN");
}

/// Whether unprivileged user namespaces work here (`unshare -U`).
fn userns_available() -> bool {
    which("unshare").is_some()
        && Command::new("unshare")
            .args(["-Urm", "true"])
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
}

#[test]
fn a_write_to_a_read_only_bind_mount() {
    need(userns_available(), "user namespaces (unshare -Urm)");
    let dir = scratch("ro");
    let ro = dir.join("ro");
    std::fs::create_dir(&ro).unwrap();
    let out = dir.join("why.json");
    // In a user and mount namespace: bind-mount the directory onto itself
    // read-only, then try to create a file in it.
    let script = format!(
        "mount --bind {ro} {ro} && mount -o remount,bind,ro {ro} && exec \"$0\" why --json -o {out} -- touch {ro}/f",
        ro = ro.display(),
        out = out.display()
    );
    let o = Command::new("unshare")
        .args(["-Urm", "sh", "-c", &script, env!("CARGO_BIN_EXE_whatami")])
        .env_clear()
        .env("PATH", PATH)
        .output()
        .unwrap();
    let v: Value = serde_json::from_str(&std::fs::read_to_string(&out).unwrap_or_default())
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&o.stderr)));
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(o.status.code(), Some(1), "touch's status");
    let f = v["failures"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["errno_name"] == "EROFS")
        .unwrap_or_else(|| panic!("no EROFS failure: {v:#}"));
    assert_eq!(first_cause(f), ("read_only_mount", "exact"));
    assert_eq!(f["causes"][0]["mount_point"], ro.to_string_lossy().as_ref());
}

/// A copy of busybox named `ping` with cap_net_raw+ep, in a directory
/// nobody may read (root only: setcap needs CAP_SETFCAP).
fn file_caps_ping(dir: &Path) -> Option<PathBuf> {
    let busybox = which("busybox")?;
    let setcap = which("setcap")?;
    let ping = dir.join("ping");
    std::fs::copy(busybox, &ping).ok()?;
    std::fs::set_permissions(&ping, std::fs::Permissions::from_mode(0o755)).ok()?;
    let ok = Command::new(setcap)
        .arg("cap_net_raw+ep")
        .arg(&ping)
        .status()
        .is_ok_and(|s| s.success());
    ok.then_some(ping)
}

fn as_nobody(extra: &[&str]) -> Vec<String> {
    let mut v: Vec<String> = [
        "setpriv",
        "--reuid=65534",
        "--regid=65534",
        "--clear-groups",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    v.extend(extra.iter().map(|s| s.to_string()));
    v
}

#[test]
#[ignore = "needs root, busybox and setcap (CI runs it as root)"]
fn a_file_capability_program_under_no_new_privs() {
    need(is_root(), "root (setcap, and running as another user)");
    let dir = scratch("nnp");
    let Some(ping) = file_caps_ping(&dir) else {
        let _ = std::fs::remove_dir_all(&dir);
        panic!("this test needs busybox (busybox-static) and setcap (libcap2-bin)");
    };
    let p = ping.to_string_lossy().into_owned();
    let setup = Setup {
        wrapper: as_nobody(&["--no-new-privs"]),
        ..Setup::default()
    };
    let (v, _) = why("nnp", setup, &[&p, "-c", "1", "127.0.0.1"]);
    let f = failure(&v, "socket");
    assert_eq!(first_cause(f), ("no_new_privs", "exact"), "{f:#}");
    assert_eq!(cause(f, "capability")["capability"], "CAP_NET_RAW");

    // Without no_new_privs, the program would have its capability, but
    // whatami (as nobody, without CAP_SYS_PTRACE) traces it: the kernel runs
    // it without, and whatami says that this failure is its own doing.
    let setup = Setup {
        wrapper: as_nobody(&[]),
        ..Setup::default()
    };
    let (v, _) = why("traced", setup, &[&p, "-c", "1", "127.0.0.1"]);
    let _ = std::fs::remove_dir_all(&dir);
    let f = failure(&v, "socket");
    assert_eq!(first_cause(f).0, "tracing", "{f:#}");
}

#[test]
#[ignore = "needs root, busybox and setcap (CI runs it as root)"]
fn file_capabilities_beyond_the_bounding_set_refuse_exec() {
    need(is_root(), "root (setcap)");
    let dir = scratch("bnd");
    let Some(ping) = file_caps_ping(&dir) else {
        let _ = std::fs::remove_dir_all(&dir);
        panic!("this test needs busybox (busybox-static) and setcap (libcap2-bin)");
    };
    let p = ping.to_string_lossy().into_owned();
    let setup = Setup {
        drop: vec![CAP_NET_RAW],
        ..Setup::default()
    };
    let (v, out) = why("bnd", setup, &[&p, "-c", "1", "127.0.0.1"]);
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(out.status.code(), Some(126), "cannot execute");
    let f = failure(&v, "execve");
    assert_eq!(f["result"], "-1 EPERM (Operation not permitted)");
    assert_eq!(first_cause(f), ("exec_capabilities", "exact"), "{f:#}");
    assert!(f["fix"].as_str().unwrap().contains("--cap-add NET_RAW"));
}

#[test]
fn a_permission_denied_file_as_a_non_root_user() {
    let dir = scratch("perm");
    let secret = dir.join("secret");
    std::fs::write(&secret, "s").unwrap();
    // As root the file is root's and whatami runs as nobody; otherwise the
    // file is ours, with no permission at all.
    let (mode, setup) = if is_root() {
        (
            0o600,
            Setup {
                wrapper: as_nobody(&[]),
                ..Setup::default()
            },
        )
    } else {
        (0o000, Setup::default())
    };
    std::fs::set_permissions(&secret, std::fs::Permissions::from_mode(mode)).unwrap();
    let s = secret.to_string_lossy().into_owned();
    let (v, out) = why("perm", setup, &["cat", &s]);
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(out.status.code(), Some(1));
    let f = failure(&v, "openat");
    assert_eq!(f["result"], "-1 EACCES (Permission denied)");
    assert_eq!(first_cause(f).0, "file_permissions", "{f:#}");
    let c = &f["causes"][0];
    assert_eq!(c["path"], s.as_str());
    assert!(
        c["evidence"][0]
            .as_str()
            .unwrap()
            .contains(&format!("mode {mode:04o}")),
        "{c}"
    );
}

#[test]
fn without_ptrace_it_says_so_and_does_not_run_the_command() {
    for (label, action) in [("errno", ERRNO | EPERM), ("kill", KILL_PROCESS)] {
        let setup = Setup {
            filters: vec![Policy::native(vec![Rule::new(PTRACE, action)])],
            ..Setup::default()
        };
        let (v, out) = why(label, setup, &["touch", "must-not-exist"]);
        assert_eq!(out.status.code(), Some(125), "{label}");
        assert_eq!(v["traced"], false);
        let why = v["tracing"]["unavailable"].as_str().unwrap();
        assert!(why.contains("ptrace is not available"), "{why}");
        let refused = &v["tracing"]["refused"];
        assert_eq!(first_cause(refused), ("seccomp", "exact"), "{refused:#}");
        assert!(
            v["likely"].as_array().is_some_and(|l| !l.is_empty()),
            "{v:#}"
        );
    }
}

#[test]
fn exit_status_and_standard_streams_pass_through() {
    let (v, out) = why("status", Setup::default(), &["sh", "-c", "exit 7"]);
    assert_eq!(out.status.code(), Some(7));
    assert_eq!(v["exit"]["status"], 7);
    let (v, out) = why("signal", Setup::default(), &["sh", "-c", "kill -TERM $$"]);
    assert_eq!(out.status.code(), Some(128 + libc::SIGTERM));
    assert_eq!(v["exit"]["signal"], libc::SIGTERM);
    let setup = Setup {
        stdin: Some(b"through stdin\n".to_vec()),
        ..Setup::default()
    };
    let (_, out) = why("cat", setup, &["cat"]);
    assert_eq!(out.stdout, b"through stdin\n");
    let o = Command::new(env!("CARGO_BIN_EXE_whatami"))
        .args(["why", "--", "no-such-command-anywhere"])
        .env_clear()
        .env("PATH", PATH)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(127));
}

#[test]
fn the_human_explanation_goes_to_stderr_after_the_command() {
    let setup_filters = [errno_rules(&[MKDIR, MKDIRAT], EPERM)];
    let progs: Vec<Vec<Ins>> = setup_filters.iter().map(Policy::compile).collect();
    let out = run_under(
        &progs,
        &[
            "why",
            "--",
            "sh",
            "-c",
            "echo to-stdout; mkdir /tmp/x-why-human",
        ],
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stdout, "to-stdout\n");
    assert!(
        stderr.contains("mkdir(\"/tmp/x-why-human\", 0777) = -1 EPERM (Operation not permitted)"),
        "{stderr}"
    );
    assert!(
        stderr.contains("  cause     the seccomp policy refuses it"),
        "{stderr}"
    );
    assert!(stderr.contains("% time     seconds  usecs/call     calls    errors syscall"));
}

#[test]
fn a_signal_sent_to_whatami_reaches_the_command() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_whatami"))
        .args(["why", "-o", "/dev/null", "--", "sleep", "30"])
        .env_clear()
        .env("PATH", PATH)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // Wait for the command to run (whatami's handlers are in place before it
    // starts): a process whose parent is whatami and whose name is sleep.
    let parent = child.id();
    let waited = Instant::now();
    let running = || {
        std::fs::read_dir("/proc")
            .into_iter()
            .flatten()
            .flatten()
            .any(|e| {
                let stat = std::fs::read_to_string(e.path().join("stat")).unwrap_or_default();
                let after = stat.rsplit_once(") ").map_or("", |x| x.1);
                stat.contains("(sleep)")
                    && after.split(' ').nth(1) == Some(parent.to_string().as_str())
            })
    };
    while !running() {
        assert!(
            waited.elapsed() < Duration::from_secs(20),
            "sleep never started"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    // SAFETY: signalling our own child.
    unsafe { libc::kill(child.id() as libc::pid_t, libc::SIGINT) };
    let started = Instant::now();
    loop {
        if let Some(st) = child.try_wait().unwrap() {
            assert_eq!(st.code(), Some(128 + libc::SIGINT));
            break;
        }
        if started.elapsed() > Duration::from_secs(10) {
            let _ = child.kill();
            panic!("whatami why did not end after SIGINT");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn the_register_fallback_reads_the_same_failures() {
    // Kernels before 5.3 have no PTRACE_GET_SYSCALL_INFO; the registers
    // path is forced here to check it finds the same calls.
    let setup = Setup {
        filters: vec![errno_rules(&[MKDIR, MKDIRAT], EPERM)],
        env: vec![("WHATAMI_WHY_FORCE_REGISTERS".into(), "1".into())],
        ..Setup::default()
    };
    let (v, out) = why("regs", setup, &["sh", "-c", "mkdir newdir; exit 3"]);
    assert_eq!(out.status.code(), Some(3));
    assert_eq!(v["tracing"]["method"], "registers");
    let f = failure(&v, "mkdir");
    assert!(
        f["call"]
            .as_str()
            .unwrap()
            .starts_with("mkdir(\"newdir\", 0777)"),
        "{f}"
    );
    assert_eq!(first_cause(f), ("seccomp", "exact"));
    let execs = v["summary"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["syscall"] == "execve")
        .unwrap();
    assert_eq!(execs["calls"], 2, "sh and mkdir");
}

#[test]
fn whatami_under_whatami_says_the_process_is_already_traced() {
    let w = env!("CARGO_BIN_EXE_whatami");
    let (v, out) = why(
        "nested",
        Setup::default(),
        &[w, "why", "-o", "/dev/null", "--", "true"],
    );
    // The inner whatami cannot trace (its children are the outer one's
    // tracees) and says so with its own exit status.
    assert_eq!(out.status.code(), Some(125));
    let f = failure(&v, "ptrace");
    assert!(
        f["call"]
            .as_str()
            .unwrap()
            .starts_with("ptrace(PTRACE_SEIZE, "),
        "{f}"
    );
    assert_eq!(first_cause(f), ("already_traced", "exact"));
}

#[test]
fn what_the_command_leaves_running_is_let_go_at_a_signal() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_whatami"))
        .args([
            "why",
            "-o",
            "/dev/null",
            "--",
            "sh",
            "-c",
            "sleep 30 & exit 5",
        ])
        .env_clear()
        .env("PATH", PATH)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let whatami = child.id();
    // The background sleep, once its shell has gone: reparented away from
    // whatami, still traced by it.
    let find_sleep = || {
        std::fs::read_dir("/proc")
            .into_iter()
            .flatten()
            .flatten()
            .find_map(|e| {
                let status = std::fs::read_to_string(e.path().join("status")).unwrap_or_default();
                let field = |k: &str| {
                    status
                        .lines()
                        .find_map(|l| l.strip_prefix(k).map(|v| v.trim().to_string()))
                };
                (field("Name:").as_deref() == Some("sleep")
                    && field("TracerPid:") == Some(whatami.to_string()))
                .then(|| e.file_name().to_string_lossy().parse::<i32>().unwrap())
            })
    };
    let started = Instant::now();
    let sleep = loop {
        if let Some(p) = find_sleep() {
            break p;
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "no traced sleep"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    // Once the shell, whatami's only child, has exited and been reaped,
    // whatami waits for the sleep alone.
    let has_child = || {
        std::fs::read_dir("/proc")
            .into_iter()
            .flatten()
            .flatten()
            .any(|e| {
                std::fs::read_to_string(e.path().join("status"))
                    .unwrap_or_default()
                    .lines()
                    .any(|l| l.strip_prefix("PPid:").map(str::trim) == Some(&whatami.to_string()))
            })
    };
    while has_child() {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "the shell did not end"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    // SAFETY: signalling our own child.
    unsafe { libc::kill(whatami as libc::pid_t, libc::SIGTERM) };
    let status = loop {
        if let Some(st) = child.try_wait().unwrap() {
            break st;
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "whatami did not end"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    // The shell's own status; the sleep lives on, untraced.
    assert_eq!(status.code(), Some(5));
    let tracer = std::fs::read_to_string(format!("/proc/{sleep}/status")).unwrap_or_default();
    let alive_untraced = tracer.lines().any(|l| l == "TracerPid:\t0");
    // SAFETY: ending the sleep this test started.
    unsafe { libc::kill(sleep, libc::SIGKILL) };
    assert!(alive_untraced, "{tracer}");
}
