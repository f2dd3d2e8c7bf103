//! Probing has no side effect. whatami probes every syscall as root with
//! every capability, inside fresh uts, ipc, net and mount namespaces (and a
//! user namespace when the test is not run as root) as a safety net for
//! this test; afterwards the hostname, the domain name, the SysV IPC
//! objects, the files in its working directory, its stdin, and its own
//! umask, Seccomp, Seccomp_filters and NoNewPrivs are what they were.
//!
//! As root (as in CI) the probes run with the host's full capability set,
//! where any call that really ran (sethostname, msgget, mkdir, umask, read on
//! stdin) would show. Without root the same checks run with every
//! capability of a private user namespace.
//!
//! Notification probing must change nothing because nothing runs. Direct
//! probing really makes calls; it is checked once as is and once under a
//! policy that refuses unshare() and capset(), so its children keep every
//! capability and the test's namespaces: then only its table of harmless
//! arguments stands between a wrong entry and a change.

use std::fs;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Runs in the namespaces: records the state, runs whatami with a canary on
/// stdin, records the state again.
const SCRIPT: &str = r#"
set -eu
W="$1"; OUT="$2"; WORK="$3"; METHOD="$4"
# sethostname/setdomainname, which work in a user namespace's own uts
# namespace (writing /proc/sys/kernel/* does not).
hostname whatami-probe-test
domainname whatami-probe-domain
umask 0027
state() {
    cat /proc/sys/kernel/hostname /proc/sys/kernel/domainname
    cat /proc/sysvipc/msg /proc/sysvipc/sem /proc/sysvipc/shm
    ls -la --full-time "$WORK"
}
state > "$OUT/before"
cd "$WORK"
printf 'stdin-canary' | { "$W" --json --probe "$METHOD" > "$OUT/report.json"; cat > "$OUT/stdin-rest"; }
state > "$OUT/after"
"#;

/// A seccomp filter: unshare and capset answer EPERM, everything else is allowed.
fn refuse_safety_nets() -> Vec<libc::sock_filter> {
    let f = |code, jt, jf, k| libc::sock_filter { code, jt, jf, k };
    vec![
        f(0x20, 0, 0, 0), // ld nr
        f(0x15, 2, 0, libc::SYS_unshare as u32),
        f(0x15, 1, 0, libc::SYS_capset as u32),
        f(0x06, 0, 0, 0x7fff_0000),                      // allow
        f(0x06, 0, 0, 0x0005_0000 | libc::EPERM as u32), // errno
    ]
}

fn run_in_namespaces(
    out: &Path,
    work: &Path,
    method: &str,
    filter: Option<Vec<libc::sock_filter>>,
) -> std::process::Output {
    // SAFETY: these calls only read this process's credentials.
    let (root, uid, gid) = unsafe { (libc::geteuid() == 0, libc::getuid(), libc::getgid()) };
    let maps = (format!("0 {uid} 1\n"), format!("0 {gid} 1\n"));
    let mut cmd = Command::new("/bin/sh");
    cmd.arg("-c")
        .arg(SCRIPT)
        .arg("sh")
        .arg(env!("CARGO_BIN_EXE_whatami"))
        .arg(out)
        .arg(work)
        .arg(method)
        .env_clear()
        .env("PATH", "/usr/bin:/bin:/usr/sbin:/sbin");
    // SAFETY: the closure runs in the forked child before exec and only
    // makes direct system calls on memory prepared before the fork.
    unsafe {
        cmd.pre_exec(move || {
            let mut flags =
                libc::CLONE_NEWUTS | libc::CLONE_NEWIPC | libc::CLONE_NEWNET | libc::CLONE_NEWNS;
            if !root {
                flags |= libc::CLONE_NEWUSER;
            }
            if libc::unshare(flags) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            if !root {
                write_file(c"/proc/self/setgroups", b"deny")?;
                write_file(c"/proc/self/uid_map", maps.0.as_bytes())?;
                write_file(c"/proc/self/gid_map", maps.1.as_bytes())?;
            }
            if let Some(prog) = &filter {
                let fprog = libc::sock_fprog {
                    len: prog.len() as u16,
                    filter: prog.as_ptr() as *mut libc::sock_filter,
                };
                // Installed without no_new_privs, as container runtimes do:
                // CAP_SYS_ADMIN (of the host, or of the new user namespace) allows it.
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
    cmd.output().expect("run the probe in fresh namespaces")
}

/// open + write + close, usable between fork and exec.
fn write_file(path: &std::ffi::CStr, data: &[u8]) -> std::io::Result<()> {
    // SAFETY: plain system calls on a valid C string and buffer.
    unsafe {
        let fd = libc::open(path.as_ptr(), libc::O_WRONLY | libc::O_CLOEXEC);
        if fd < 0 {
            return Err(std::io::Error::last_os_error());
        }
        let n = libc::write(fd, data.as_ptr().cast(), data.len());
        libc::close(fd);
        if n != data.len() as isize {
            return Err(std::io::Error::last_os_error());
        }
    }
    Ok(())
}

/// Probes with `method` (under `filter`, if any), checks that nothing
/// changed, and returns the report for the method's own assertions.
fn probe_and_compare(
    tag: &str,
    method: &str,
    filter: Option<Vec<libc::sock_filter>>,
) -> serde_json::Value {
    let base: PathBuf =
        std::env::temp_dir().join(format!("whatami-side-effects-{tag}-{}", std::process::id()));
    let (out, work) = (base.join("out"), base.join("work"));
    fs::create_dir_all(&out).unwrap();
    fs::create_dir_all(&work).unwrap();
    fs::write(work.join("keep.txt"), "unchanged").unwrap();
    let filtered = filter.is_some();

    let o = run_in_namespaces(&out, &work, method, filter);
    assert!(
        o.status.success(),
        "{tag}: the namespace script failed: {:?}\n{}",
        o.status,
        String::from_utf8_lossy(&o.stderr)
    );
    let before = fs::read_to_string(out.join("before")).unwrap();
    let after = fs::read_to_string(out.join("after")).unwrap();
    assert!(before.contains("whatami-probe-test"), "{before}");
    assert_eq!(
        before, after,
        "{tag}: hostname, domainname, SysV IPC or the working directory changed"
    );
    assert_eq!(
        fs::read_to_string(out.join("stdin-rest")).unwrap(),
        "stdin-canary",
        "{tag}: stdin was read"
    );
    let report: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(out.join("report.json")).unwrap()).unwrap();
    assert_eq!(
        report["seccomp"]["probe"]["method"], method,
        "{tag}: {}",
        report["seccomp"]["probe"]["note"]
    );
    // Read after probing: whatami's own state is as the script left it.
    assert_eq!(report["identity"]["umask"], "0027", "{tag}");
    let (mode, filters) = if filtered {
        ("filter", 1)
    } else {
        ("disabled", 0)
    };
    assert_eq!(report["seccomp"]["mode"], mode, "{tag}");
    assert_eq!(report["seccomp"]["filters"], filters, "{tag}");
    assert_eq!(report["seccomp"]["no_new_privs"], false, "{tag}");
    // Every capability, as the test promises.
    let eff = report["capabilities"]["effective"].as_array().unwrap();
    assert!(eff.iter().any(|c| c == "CAP_SYS_ADMIN"), "{tag}: {eff:?}");
    fs::remove_dir_all(&base).ok();
    report
}

#[test]
fn notification_probing_changes_nothing_outside_its_children() {
    let report = probe_and_compare("notify", "notify", None);
    // Every number of every entry point: x86_64, x32 and i386 make over a
    // thousand, aarch64 alone about five hundred.
    let least = if cfg!(target_arch = "x86_64") {
        1000
    } else {
        450
    };
    let probed = report["seccomp"]["probe"]["results"]
        .as_array()
        .unwrap()
        .len();
    assert!(probed > least, "only {probed} probes");
}

#[test]
fn direct_probing_changes_nothing_outside_its_children() {
    let report = probe_and_compare("direct", "direct", None);
    let issued = report["seccomp"]["probe"]["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["direct"].is_object())
        .count();
    assert!(issued > 300, "only {issued} calls were made");
}

#[test]
fn direct_probing_without_its_safety_nets_still_changes_nothing() {
    let report = probe_and_compare("direct-bare", "direct", Some(refuse_safety_nets()));
    let note = report["seccomp"]["probe"]["note"].as_str().unwrap();
    // The children really kept every capability and the test's namespaces.
    assert!(!note.contains("no capabilities"), "{note}");
    assert!(!note.contains("own user namespace"), "{note}");
}
