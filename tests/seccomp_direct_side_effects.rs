//! Direct probing has no side effect, even as root with every capability.
//!
//! whatami runs `--probe direct` inside fresh uts, ipc, net and mount
//! namespaces (a safety net for this test, not something the prober relies
//! on), as the real root with every capability of the host. Afterwards the
//! hostname, the domain name, the SysV IPC objects, the files in the
//! working directory, stdin, and whatami's own umask, Seccomp,
//! Seccomp_filters and NoNewPrivs must be what they were.
//!
//! It runs twice: once as is, and once under a policy that refuses
//! unshare() and capset(), so the probe children keep root's capabilities
//! and the test's namespaces: then only the table of harmless arguments
//! stands between a wrong entry and a change, which is what this checks.
//!
//! It needs root (CI runs as root); without root it says so and checks nothing.

use std::fs;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::Command;

const SCRIPT: &str = r#"
set -eu
W="$1"; OUT="$2"; WORK="$3"
hostname whatami-direct-test
domainname whatami-direct-domain
umask 0027
state() {
    cat /proc/sys/kernel/hostname /proc/sys/kernel/domainname
    cat /proc/sysvipc/msg /proc/sysvipc/sem /proc/sysvipc/shm
    ls -la --time-style=full-iso "$WORK"
}
state > "$OUT/before"
cd "$WORK"
printf 'stdin-canary' | { "$W" --json --probe direct > "$OUT/report.json"; cat > "$OUT/stdin-rest"; }
state > "$OUT/after"
"#;

/// seccomp filter: unshare and capset answer EPERM, everything else is allowed.
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

fn run(out: &Path, work: &Path, refuse_nets: bool) -> std::process::Output {
    let prog = refuse_safety_nets();
    let mut cmd = Command::new("/bin/sh");
    cmd.arg("-c")
        .arg(SCRIPT)
        .arg("sh")
        .arg(env!("CARGO_BIN_EXE_whatami"))
        .arg(out)
        .arg(work)
        .env_clear()
        .env("PATH", "/usr/bin:/bin:/usr/sbin:/sbin");
    // SAFETY: the closure runs between fork and exec and makes only direct
    // system calls on memory prepared before the fork.
    unsafe {
        cmd.pre_exec(move || {
            let ns =
                libc::CLONE_NEWUTS | libc::CLONE_NEWIPC | libc::CLONE_NEWNET | libc::CLONE_NEWNS;
            if libc::unshare(ns) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            if refuse_nets {
                let fprog = libc::sock_fprog {
                    len: prog.len() as u16,
                    filter: prog.as_ptr() as *mut libc::sock_filter,
                };
                // Root installs without no_new_privs, as container runtimes do.
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

fn check(refuse_nets: bool) {
    let tag = if refuse_nets { "bare" } else { "nets" };
    let base = std::env::temp_dir().join(format!(
        "whatami-direct-side-effects-{tag}-{}",
        std::process::id()
    ));
    let (out, work) = (base.join("out"), base.join("work"));
    fs::create_dir_all(&out).unwrap();
    fs::create_dir_all(&work).unwrap();
    fs::write(work.join("keep.txt"), "unchanged").unwrap();

    let o = run(&out, &work, refuse_nets);
    assert!(
        o.status.success(),
        "{tag}: the namespace script failed: {:?}\n{}",
        o.status,
        String::from_utf8_lossy(&o.stderr)
    );
    let before = fs::read_to_string(out.join("before")).unwrap();
    let after = fs::read_to_string(out.join("after")).unwrap();
    assert!(before.contains("whatami-direct-test"), "{before}");
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
    let probe = &report["seccomp"]["probe"];
    assert_eq!(probe["method"], "direct", "{tag}: {}", probe["note"]);
    let issued = probe["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["direct"].is_object())
        .count();
    assert!(issued > 300, "{tag}: only {issued} calls were made");
    let note = probe["note"].as_str().unwrap();
    if refuse_nets {
        // The children really kept root's capabilities and our namespaces.
        assert!(!note.contains("no capabilities"), "{note}");
        assert!(!note.contains("own user namespace"), "{note}");
    }
    // Read after probing: whatami's own state is as the script left it.
    assert_eq!(report["identity"]["umask"], "0027");
    let mode = if refuse_nets { "filter" } else { "disabled" };
    assert_eq!(report["seccomp"]["mode"], mode);
    assert_eq!(
        report["seccomp"]["filters"],
        if refuse_nets { 1 } else { 0 }
    );
    assert_eq!(report["seccomp"]["no_new_privs"], false);
    let eff = report["capabilities"]["effective"].as_array().unwrap();
    assert!(eff.iter().any(|c| c == "CAP_SYS_ADMIN"), "{eff:?}");
    fs::remove_dir_all(&base).ok();
}

#[test]
fn direct_probing_as_root_changes_nothing_outside_its_children() {
    // SAFETY: geteuid cannot fail.
    if unsafe { libc::geteuid() } != 0 {
        eprintln!(
            "direct_probing_as_root_changes_nothing_outside_its_children needs root \
             (it probes with every capability); not run"
        );
        return;
    }
    check(false);
    check(true);
}
