//! Probing has no side effect: whatami probes every syscall as root with
//! every capability, inside fresh uts, ipc, net and mount namespaces (and a
//! user namespace when the test is not run as root) as a safety net, and
//! afterwards the hostname, the domain name, the SysV IPC objects, the files
//! in its working directory, its stdin, and its own umask, Seccomp,
//! Seccomp_filters and NoNewPrivs are what they were.
//!
//! As root (as in CI) the probes run with the host's full capability set,
//! where any call that really ran (sethostname, msgget, mkdir, umask, read on
//! stdin) would show. Without root the same checks run with every
//! capability of a private user namespace.

use std::fs;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::Command;

/// Runs in the namespaces: records the state, runs whatami with a canary on
/// stdin, records the state again.
const SCRIPT: &str = r#"
set -eu
W="$1"; OUT="$2"; WORK="$3"
# sethostname/setdomainname, which work in a user namespace's own uts
# namespace (writing /proc/sys/kernel/* does not).
hostname whatami-probe-test
domainname whatami-probe-domain
umask 0027
state() {
    cat /proc/sys/kernel/hostname /proc/sys/kernel/domainname
    cat /proc/sysvipc/msg /proc/sysvipc/sem /proc/sysvipc/shm
    ls -la --time-style=full-iso "$WORK"
}
state > "$OUT/before"
cd "$WORK"
printf 'stdin-canary' | { "$W" --json --probe notify > "$OUT/report.json"; cat > "$OUT/stdin-rest"; }
state > "$OUT/after"
"#;

fn run_in_namespaces(out: &Path, work: &Path) -> std::process::Output {
    let root = unsafe { libc::geteuid() } == 0;
    let (uid, gid) = unsafe { (libc::getuid(), libc::getgid()) };
    let maps = (format!("0 {uid} 1\n"), format!("0 {gid} 1\n"));
    let mut cmd = Command::new("/bin/sh");
    cmd.arg("-c")
        .arg(SCRIPT)
        .arg("sh")
        .arg(env!("CARGO_BIN_EXE_whatami"))
        .arg(out)
        .arg(work)
        .env_clear()
        .env("PATH", "/usr/bin:/bin");
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

#[test]
fn probing_changes_nothing_outside_its_children() {
    let base = std::env::temp_dir().join(format!("whatami-side-effects-{}", std::process::id()));
    let (out, work) = (base.join("out"), base.join("work"));
    fs::create_dir_all(&out).unwrap();
    fs::create_dir_all(&work).unwrap();
    fs::write(work.join("keep.txt"), "unchanged").unwrap();

    let o = run_in_namespaces(&out, &work);
    assert!(
        o.status.success(),
        "the namespace script failed: {:?}\n{}",
        o.status,
        String::from_utf8_lossy(&o.stderr)
    );
    let before = fs::read_to_string(out.join("before")).unwrap();
    let after = fs::read_to_string(out.join("after")).unwrap();
    assert!(before.contains("whatami-probe-test"), "{before}");
    assert_eq!(
        before, after,
        "hostname, domainname, SysV IPC or the working directory changed"
    );
    assert_eq!(
        fs::read_to_string(out.join("stdin-rest")).unwrap(),
        "stdin-canary"
    );

    let report: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(out.join("report.json")).unwrap()).unwrap();
    let probe = &report["seccomp"]["probe"];
    assert_eq!(probe["method"], "notify", "{}", probe["note"]);
    assert!(probe["results"].as_array().unwrap().len() > 1000);
    // Read after probing: whatami's own state is as the script left it.
    assert_eq!(report["identity"]["umask"], "0027");
    assert_eq!(report["seccomp"]["mode"], "disabled");
    assert_eq!(report["seccomp"]["filters"], 0);
    assert_eq!(report["seccomp"]["no_new_privs"], false);
    // Every capability, as the test promises.
    let eff = report["capabilities"]["effective"].as_array().unwrap();
    assert!(eff.iter().any(|c| c == "CAP_SYS_ADMIN"), "{eff:?}");
    fs::remove_dir_all(&base).ok();
}
