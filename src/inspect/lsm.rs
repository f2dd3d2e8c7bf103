//! Linux security modules: the AppArmor profile and mode, the SELinux
//! context, and the kernel's list of active LSMs, each under its own name.
//!
//! /proc/self/attr/current belongs to whichever major LSM registered first,
//! so its text alone does not say whose label it is. AppArmor also answers
//! at /proc/self/attr/apparmor/current (Linux 5.1+), which is read first.
//! For attr/current the owner is taken from /sys/kernel/security/lsm when
//! securityfs is readable, else from the label's shape: AppArmor prints
//! `profile (mode)` or `unconfined`, SELinux `user:role:type:level`. A
//! kernel with no LSM providing the file answers EINVAL.

use crate::fsroot::{ReadError, Root};
use crate::model::{AppArmor, Lsm, SeLinux};
use std::io;

/// Parses an AppArmor label: `docker-default (enforce)`, `unconfined`.
pub fn parse_apparmor(label: &str) -> Option<AppArmor> {
    let label = clean(label);
    if label.is_empty() {
        return None;
    }
    if label == "unconfined" {
        return Some(AppArmor {
            profile: "unconfined".into(),
            mode: Some("unconfined".into()),
        });
    }
    match label.strip_suffix(')').and_then(|l| l.rsplit_once(" (")) {
        Some((profile, mode)) if !profile.is_empty() && !mode.is_empty() => Some(AppArmor {
            profile: profile.to_string(),
            mode: Some(mode.to_string()),
        }),
        _ => Some(AppArmor {
            profile: label.to_string(),
            mode: None,
        }),
    }
}

/// Parses an SELinux context: at least `user:role:type`, usually with a level.
pub fn parse_selinux(label: &str) -> Option<SeLinux> {
    let label = clean(label);
    let mut fields = label.split(':');
    let (user, role, domain) = (fields.next()?, fields.next()?, fields.next()?);
    let plain = |f: &str| !f.is_empty() && !f.contains(char::is_whitespace);
    (plain(user) && plain(role) && plain(domain)).then(|| SeLinux {
        context: label.to_string(),
        // A context that parses always has its type; the model keeps the
        // field optional as the JSON contract has it.
        domain: Some(domain.to_string()),
    })
}

/// The label as printed: AppArmor ends it with a newline, SELinux with a NUL.
fn clean(label: &str) -> &str {
    label.trim_matches(|c: char| c == '\0' || c.is_whitespace())
}

/// Parses /sys/kernel/security/lsm (`lockdown,capability,landlock,bpf`).
pub fn parse_active(text: &str) -> Vec<String> {
    clean(text)
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

/// Whose label /proc/self/attr/current holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Owner {
    AppArmor,
    SeLinux,
    /// Another LSM (Smack) that is active while neither of the two is.
    Other,
    Unknown,
}

fn owner(active: Option<&[String]>) -> Owner {
    let Some(active) = active else {
        return Owner::Unknown;
    };
    let has = |n: &str| active.iter().any(|a| a == n);
    match (has("apparmor"), has("selinux"), has("smack")) {
        (true, false, _) => Owner::AppArmor,
        (false, true, _) => Owner::SeLinux,
        (false, false, true) => Owner::Other,
        _ => Owner::Unknown,
    }
}

/// Classifies the text of /proc/self/attr/current.
fn classify_current(text: &str, active: Option<&[String]>, lsm: &mut Lsm) {
    let label = clean(text);
    if label.is_empty() {
        return;
    }
    let by_shape = || {
        if parse_selinux(label).is_some() {
            Owner::SeLinux
        } else if label == "unconfined" || label.ends_with(')') {
            Owner::AppArmor
        } else {
            Owner::Other
        }
    };
    let who = match owner(active) {
        Owner::Unknown => by_shape(),
        known => known,
    };
    match who {
        Owner::SeLinux => match parse_selinux(label) {
            Some(s) => lsm.selinux = Some(s),
            None => lsm.other_label = Some(label.to_string()),
        },
        Owner::AppArmor => {
            if lsm.apparmor.is_none() {
                lsm.apparmor = parse_apparmor(label);
            }
        }
        Owner::Other | Owner::Unknown => lsm.other_label = Some(label.to_string()),
    }
}

/// Absent, or present but refused because no LSM behind it is active.
fn no_lsm_here(e: &ReadError) -> bool {
    e.source.kind() == io::ErrorKind::NotFound
        || matches!(
            e.source.raw_os_error(),
            Some(libc::EINVAL) | Some(libc::EOPNOTSUPP) | Some(libc::ENOENT)
        )
}

fn read_attr(root: &Root, path: &str) -> Result<Option<String>, String> {
    match root.read(path) {
        Ok(t) => Ok(Some(t)),
        Err(e) if no_lsm_here(&e) => Ok(None),
        Err(e) => Err(e.to_string()),
    }
}

pub fn read(root: &Root) -> Result<Lsm, String> {
    let active = root
        .read("/sys/kernel/security/lsm")
        .ok()
        .map(|t| parse_active(&t));
    let mut lsm = Lsm {
        active: None,
        apparmor: None,
        selinux: None,
        other_label: None,
    };
    if let Some(t) = read_attr(root, "/proc/self/attr/apparmor/current")? {
        lsm.apparmor = parse_apparmor(&t);
    }
    if let Some(t) = read_attr(root, "/proc/self/attr/current")? {
        classify_current(&t, active.as_deref(), &mut lsm);
    }
    // Moved in last: classify_current reads the list while it fills `lsm`.
    Ok(Lsm { active, ..lsm })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn empty() -> Lsm {
        Lsm {
            active: None,
            apparmor: None,
            selinux: None,
            other_label: None,
        }
    }

    fn v(s: &[&str]) -> Vec<String> {
        s.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn apparmor_labels() {
        let a = parse_apparmor("docker-default (enforce)\n").unwrap();
        assert_eq!(
            (a.profile.as_str(), a.mode.as_deref()),
            ("docker-default", Some("enforce"))
        );
        let a = parse_apparmor("unconfined\n").unwrap();
        assert_eq!(
            (a.profile.as_str(), a.mode.as_deref()),
            ("unconfined", Some("unconfined"))
        );
        let a = parse_apparmor("/usr/bin/evince (complain)").unwrap();
        assert_eq!(a.profile, "/usr/bin/evince");
        let a = parse_apparmor("my profile (x) (kill)").unwrap();
        assert_eq!(
            (a.profile.as_str(), a.mode.as_deref()),
            ("my profile (x)", Some("kill"))
        );
        let a = parse_apparmor("odd ()").unwrap();
        assert_eq!(a.mode, None);
        assert!(parse_apparmor("\0\n").is_none());
    }

    #[test]
    fn selinux_contexts() {
        let s = parse_selinux("system_u:system_r:container_t:s0:c123,c456\0").unwrap();
        assert_eq!(s.context, "system_u:system_r:container_t:s0:c123,c456");
        assert_eq!(s.domain.as_deref(), Some("container_t"));
        let s = parse_selinux("unconfined_u:unconfined_r:unconfined_t:s0-s0:c0.c1023").unwrap();
        assert_eq!(s.domain.as_deref(), Some("unconfined_t"));
        for bad in [
            "unconfined",
            "docker-default (enforce)",
            "a::b",
            "a:b",
            "",
            "a b:c:d",
        ] {
            assert!(parse_selinux(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn active_list() {
        assert_eq!(
            parse_active("lockdown,capability,landlock,bpf"),
            v(&["lockdown", "capability", "landlock", "bpf"])
        );
        assert_eq!(parse_active(""), Vec::<String>::new());
        assert_eq!(parse_active(",,x,\n"), v(&["x"]));
    }

    #[test]
    fn an_selinux_label_is_never_called_apparmor() {
        let mut l = empty();
        classify_current("system_u:system_r:container_t:s0:c1,c2\0", None, &mut l);
        assert!(l.apparmor.is_none());
        assert_eq!(l.selinux.unwrap().domain.as_deref(), Some("container_t"));
    }

    #[test]
    fn the_active_list_decides_the_owner() {
        let active = v(&["capability", "apparmor"]);
        let mut l = empty();
        classify_current("unconfined\n", Some(&active), &mut l);
        assert_eq!(l.apparmor.unwrap().profile, "unconfined");
        // Smack labels are neither; they are kept as they are.
        let active = v(&["capability", "smack"]);
        let mut l = empty();
        classify_current("_\n", Some(&active), &mut l);
        assert_eq!(l.other_label.as_deref(), Some("_"));
        assert!(l.apparmor.is_none() && l.selinux.is_none());
        // SELinux active but a label that is not a context: kept, not guessed.
        let active = v(&["selinux"]);
        let mut l = empty();
        classify_current("garbage", Some(&active), &mut l);
        assert_eq!(l.other_label.as_deref(), Some("garbage"));
    }

    #[test]
    fn shape_decides_without_securityfs() {
        let mut l = empty();
        classify_current("docker-default (enforce)\n", None, &mut l);
        assert_eq!(l.apparmor.unwrap().mode.as_deref(), Some("enforce"));
        let mut l = empty();
        classify_current("\n", None, &mut l);
        assert_eq!(l, empty());
    }

    #[test]
    fn no_lsm_files_means_none() {
        let l = read(&Root::new("/nonexistent-whatami-root")).unwrap();
        assert_eq!(l, empty());
    }

    #[test]
    fn attr_files_in_a_tree() {
        let dir = std::env::temp_dir().join(format!("whatami-test-lsm-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("proc/self/attr/apparmor")).unwrap();
        std::fs::create_dir_all(dir.join("sys/kernel/security")).unwrap();
        std::fs::write(
            dir.join("proc/self/attr/apparmor/current"),
            "docker-default (enforce)\n",
        )
        .unwrap();
        std::fs::write(
            dir.join("proc/self/attr/current"),
            "docker-default (enforce)\n",
        )
        .unwrap();
        std::fs::write(
            dir.join("sys/kernel/security/lsm"),
            "lockdown,capability,apparmor",
        )
        .unwrap();
        let l = read(&Root::new(&dir)).unwrap();
        assert_eq!(l.apparmor.unwrap().profile, "docker-default");
        assert!(l.selinux.is_none() && l.other_label.is_none());
        assert_eq!(l.active.unwrap().len(), 3);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
