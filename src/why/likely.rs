//! What the static report can still say about a command's likely failures
//! when it cannot be traced: the calls the seccomp policy refuses, the
//! capabilities nothing here can gain, no_new_privs, a private user
//! namespace, read-only mounts, the LSM, the sysctls that refuse, and
//! whether the program itself can be executed and keep its privileges.

use crate::linux::mountinfo::{self, Mount};
use crate::linux::stat::FileStat;
use crate::model::{Report, Verdict};
use std::path::Path;

/// Calls named when the policy refuses many.
const NAMES_SHOWN: usize = 30;

pub fn hints(r: &Report, program: Option<&Path>, sysctls: &[(String, String)]) -> Vec<String> {
    let mut out = Vec::new();
    let native = crate::linux::abi::native().name;
    if let Some(p) = r.seccomp.probe.ok() {
        let refused: Vec<&str> = p
            .results
            .iter()
            .filter(|x| x.abi == native)
            .filter(|x| {
                matches!(
                    x.verdict,
                    Verdict::Errno | Verdict::KillProcess | Verdict::KillThread | Verdict::Trap
                )
            })
            .filter_map(|x| x.name.as_deref())
            .collect();
        if !refused.is_empty() {
            let more = refused.len().saturating_sub(NAMES_SHOWN);
            out.push(format!(
                "the seccomp policy refuses {} calls whatever their arguments: {}{}",
                refused.len(),
                refused[..refused.len().min(NAMES_SHOWN)].join(" "),
                if more > 0 {
                    format!(" (and {more} more; `whatami` lists them)")
                } else {
                    String::new()
                }
            ));
        }
        let by_args: Vec<&str> = p
            .arg_probes
            .iter()
            .filter(|a| a.verdict != Verdict::Allowed && a.verdict != Verdict::Unknown)
            .map(|a| a.label.as_str())
            .collect();
        if !by_args.is_empty() {
            out.push(format!(
                "with these arguments it refuses: {}",
                by_args.join(", ")
            ));
        }
    }
    if let Some(c) = r.capabilities.ok() {
        let all = crate::linux::caps::names(u64::MAX >> (64 - 41));
        let missing: Vec<&String> = all.iter().filter(|n| !c.bounding.contains(n)).collect();
        if !missing.is_empty() {
            let (it, they) = if missing.len() == 1 {
                ("it", "it")
            } else {
                ("them", "they")
            };
            out.push(format!(
                "the bounding set lacks {}: calls that need {it} fail here whoever makes them; only a container started with {it} (--cap-add) can make them ({they} cannot be gained inside)",
                missing.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(" ")
            ));
        }
        if c.effective.is_empty() && !c.bounding.is_empty() {
            out.push("the process has no effective capabilities (a non-root user): privileged calls fail unless run as root or through a program with file capabilities".into());
        }
    }
    if let Some(s) = r.seccomp.status.ok()
        && s.no_new_privs
    {
        out.push(
            "no_new_privs is set: set-user-ID programs and file capabilities bring no privilege"
                .into(),
        );
    }
    if let Some(ns) = r.namespaces.ok()
        && let Some(u) = ns.user.ok()
        && u.host == Some(false)
    {
        out.push("the user namespace is private: capabilities count only inside it, so setting the clock, loading modules or creating device nodes is impossible".into());
    }
    if let Some(l) = r.lsm.ok() {
        if let Some(a) = &l.apparmor
            && a.profile != "unconfined"
        {
            out.push(format!(
                "AppArmor profile {} ({}) confines the process: it may deny files, mounts and signals",
                a.profile,
                a.mode.as_deref().unwrap_or("?")
            ));
        }
        if let Some(s) = &l.selinux {
            out.push(format!(
                "SELinux context {} confines the process",
                s.context
            ));
        }
    }
    // SAFETY: getpid has no side effect.
    let pid = unsafe { libc::getpid() };
    let mounts = crate::linux::io::read_file(format!("/proc/{pid}/mountinfo"))
        .map(|t| mountinfo::parse(&t))
        .unwrap_or_default();
    let ro: Vec<&str> = mounts
        .iter()
        .filter(|m| m.has_option("ro") || m.has_super_option("ro"))
        .filter(|m| !m.mount_point.starts_with("/proc") && !m.mount_point.starts_with("/sys"))
        .map(|m| m.mount_point.as_str())
        .collect();
    if !ro.is_empty() {
        out.push(format!(
            "these mounts are read-only (writes there fail with EROFS): {}",
            ro.join(" ")
        ));
    }
    for (k, v) in sysctls {
        let v = v.trim();
        let note = match (k.as_str(), v) {
            ("user.max_user_namespaces", "0") => Some("user namespaces are disabled (user.max_user_namespaces = 0)".to_string()),
            ("kernel.unprivileged_userns_clone", "0") => Some("only CAP_SYS_ADMIN may create user namespaces (kernel.unprivileged_userns_clone = 0)".into()),
            ("kernel.io_uring_disabled", "1" | "2") => Some(format!("io_uring is restricted (kernel.io_uring_disabled = {v})")),
            ("kernel.yama.ptrace_scope", "1" | "2" | "3") => Some(format!("Yama restricts ptrace (kernel.yama.ptrace_scope = {v})")),
            ("net.ipv4.ping_group_range", _) => {
                let mut it = v.split_whitespace().filter_map(|x| x.parse::<u64>().ok());
                match (it.next(), it.next()) {
                    (Some(lo), Some(hi)) if lo > hi => Some("ICMP echo sockets are disabled (net.ipv4.ping_group_range is empty): ping needs CAP_NET_RAW".into()),
                    _ => None,
                }
            }
            _ => None,
        };
        out.extend(note);
    }
    if let Some(prog) = program {
        out.extend(program_hints(prog, &mounts, r));
    }
    out
}

fn program_hints(prog: &Path, mounts: &[Mount], r: &Report) -> Vec<String> {
    let mut out = Vec::new();
    let shown = prog.display();
    let Some(st) = FileStat::of(&prog.to_string_lossy()) else {
        return out;
    };
    let canon = std::fs::canonicalize(prog)
        .map(|p| p.to_string_lossy().into_owned())
        .unwrap_or_else(|_| prog.to_string_lossy().into_owned());
    if let Some(m) = mountinfo::containing_on(mounts, &canon, Some(st.dev)) {
        if m.has_option("noexec") {
            out.push(format!(
                "{shown} is on {}, mounted noexec: it cannot be executed",
                m.mount_point
            ));
        }
        if m.has_option("nosuid") && st.mode & (libc::S_ISUID | libc::S_ISGID) != 0 {
            out.push(format!(
                "{shown} is set-user-ID, but {} is mounted nosuid: it runs without that privilege",
                m.mount_point
            ));
        }
    }
    if st.mode & 0o111 == 0 {
        out.push(format!(
            "{shown} has no execute bit (mode {:04o}): execve fails with EACCES",
            st.mode & 0o7777
        ));
    }
    let nnp = r.seccomp.status.ok().is_some_and(|s| s.no_new_privs);
    if st.mode & libc::S_ISUID != 0 && nnp {
        out.push(format!(
            "{shown} is set-user-ID (owner uid {}), but no_new_privs makes the kernel ignore that",
            st.uid
        ));
    }
    out
}
