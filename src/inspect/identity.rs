//! Identity: the credentials of this process (real, effective, saved and
//! filesystem uid and gid, supplementary groups, umask), the user name the
//! container's own /etc/passwd gives the effective uid, and the hostname.
//!
//! Credentials come from the status file, not from getuid() and friends, so
//! a captured tree reports the captured process. The name comes from the
//! root's /etc/passwd because that is what programs in the container see;
//! no NSS lookup is made.

use crate::fsroot::Root;
use crate::linux::status::ProcStatus;
use crate::model::Identity;

/// The name of `uid` in passwd(5) text; malformed lines are skipped.
pub fn user_name(passwd: &str, uid: u32) -> Option<String> {
    passwd.lines().find_map(|line| {
        if line.starts_with('#') {
            return None;
        }
        let mut fields = line.split(':');
        let name = fields.next()?;
        let _password = fields.next()?;
        let id = fields.next()?;
        let parsed = id
            .bytes()
            .all(|b| b.is_ascii_digit())
            .then(|| id.parse::<u32>().ok())
            .flatten()?;
        (parsed == uid && !name.is_empty()).then(|| name.to_string())
    })
}

/// The hostname as the kernel holds it for this uts namespace.
pub fn read_hostname(root: &Root) -> Result<Option<String>, String> {
    root.read_optional("/proc/sys/kernel/hostname")
        .map(|h| h.map(|h| h.trim_end_matches(['\n', '\0']).to_string()))
        .map_err(|e| e.to_string())
}

pub fn read(root: &Root, s: &ProcStatus) -> Result<Identity, String> {
    let uid = s.uids()?;
    let gid = s.gids()?;
    let groups = s.groups()?;
    // A missing or unreadable passwd only costs the name.
    let user_name = root
        .read("/etc/passwd")
        .ok()
        .and_then(|p| user_name(&p, uid.effective));
    Ok(Identity {
        uid,
        gid,
        groups,
        user_name,
        // Like the name, an unreadable hostname costs only itself.
        hostname: read_hostname(root).ok().flatten(),
        // An odd Umask line costs only the umask.
        umask: s.umask().ok().flatten().map(|m| format!("{m:04o}")),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::linux::status::tests::{BWRAP_USER, GVISOR_LIKE, PODMAN_DEFAULT};

    const PASSWD: &str = "root:x:0:0:root:/root:/bin/sh
# a comment
broken line
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
:x:5:5::/:/bin/false
plus:x:+7:7::/:/bin/false
app:x:1000:1000::/home/app:/bin/sh
dup:x:1000:1000::/:/bin/sh
";

    #[test]
    fn names_from_passwd() {
        assert_eq!(user_name(PASSWD, 0).as_deref(), Some("root"));
        assert_eq!(user_name(PASSWD, 65534).as_deref(), Some("nobody"));
        // First entry wins, as getpwuid does.
        assert_eq!(user_name(PASSWD, 1000).as_deref(), Some("app"));
        assert_eq!(user_name(PASSWD, 5), None);
        assert_eq!(user_name(PASSWD, 7), None);
        assert_eq!(user_name(PASSWD, 42), None);
        assert_eq!(user_name("", 0), None);
        assert_eq!(user_name("root:x:99999999999:0::/:/bin/sh", 0), None);
    }

    #[test]
    fn identity_from_status() {
        let root = Root::new("/nonexistent-whatami-root");
        let id = read(&root, &ProcStatus::parse(PODMAN_DEFAULT)).unwrap();
        assert_eq!(id.uid.effective, 0);
        assert_eq!(id.groups, Vec::<u32>::new());
        assert_eq!(id.user_name, None);
        assert_eq!(id.hostname, None);
        let id = read(&root, &ProcStatus::parse(BWRAP_USER)).unwrap();
        assert_eq!(id.gid.saved, 1000);
    }

    #[test]
    fn gvisor_status_fails_on_the_missing_uid_line() {
        let root = Root::new("/nonexistent-whatami-root");
        let e = read(&root, &ProcStatus::parse(GVISOR_LIKE)).unwrap_err();
        assert_eq!(e, "/proc/self/status field Uid: missing");
    }
}
