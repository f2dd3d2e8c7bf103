//! What is true at the moment a call fails, read while the tracee is still
//! stopped in that call: its credentials and capabilities, its user
//! namespace, its LSM label, and for each path argument the owner and mode
//! of every directory on the way, whether the target exists, the mount it
//! lies on, and an executable's file capabilities.
//!
//! Only ordinary reads are made here (open/read of /proc files, stat,
//! readlink) plus getxattr for file capabilities, which the rehearsal made
//! first in a disposable child. Everything that cannot be read is left out,
//! never guessed: the causes then say less.

use super::decode::{PathArg, Role};
use crate::linux::mountinfo::{self, Mount};
use crate::linux::stat::FileStat;
use crate::linux::status::ProcStatus;
use crate::model::Ids;

/// The credentials of a tracee, from /proc/TID/status.
#[derive(Debug, Clone, PartialEq)]
pub struct Creds {
    pub uid: Ids,
    pub gid: Ids,
    pub groups: Vec<u32>,
    pub effective: u64,
    pub permitted: u64,
    pub inheritable: u64,
    pub bounding: u64,
    pub ambient: Option<u64>,
    pub no_new_privs: bool,
    /// `Seccomp_filters`, when the kernel prints it.
    pub seccomp_filters: Option<u32>,
    pub seccomp_mode: Option<String>,
}

impl Creds {
    pub fn parse(text: &str) -> Option<Creds> {
        let s = ProcStatus::parse(text);
        Some(Creds {
            uid: s.uids().ok()?,
            gid: s.gids().ok()?,
            groups: s.groups().unwrap_or_default(),
            effective: s.cap_mask("CapEff").ok()?,
            permitted: s.cap_mask("CapPrm").ok()?,
            inheritable: s.cap_mask("CapInh").unwrap_or(0),
            bounding: s.cap_mask("CapBnd").ok()?,
            ambient: s.cap_ambient().ok().flatten(),
            no_new_privs: s.no_new_privs().unwrap_or(false),
            seccomp_filters: s.seccomp_filters().ok().flatten(),
            seccomp_mode: s.get("Seccomp").map(str::to_string),
        })
    }

    pub fn read(tid: libc::pid_t) -> Option<Creds> {
        crate::linux::io::read_file(format!("/proc/{tid}/status"))
            .ok()
            .and_then(|t| Creds::parse(&t))
    }

    pub fn has(&self, cap: u8) -> bool {
        self.effective & (1u64 << cap) != 0
    }

    pub fn in_bounding(&self, cap: u8) -> bool {
        self.bounding & (1u64 << cap) != 0
    }
}

/// File capabilities (security.capability), as the kernel stores them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileCaps {
    pub permitted: u64,
    pub inheritable: u64,
    /// The effective bit: the program is "capability-dumb" and gets its
    /// permitted set as effective at exec (exec fails if it cannot have all of it).
    pub effective: bool,
    /// Version 3: the uid of the namespace root the capabilities belong to.
    pub rootid: Option<u32>,
}

impl FileCaps {
    /// Parses struct vfs_cap_data (revisions 1, 2 and 3).
    pub fn parse(b: &[u8]) -> Option<FileCaps> {
        let u = |i: usize| -> Option<u32> {
            Some(u32::from_le_bytes(
                b.get(i * 4..i * 4 + 4)?.try_into().ok()?,
            ))
        };
        let magic = u(0)?;
        let (words, v3) = match magic & 0xFF00_0000 {
            0x0100_0000 => (1, false),
            0x0200_0000 => (2, false),
            0x0300_0000 => (2, true),
            _ => return None,
        };
        let mut permitted = 0u64;
        let mut inheritable = 0u64;
        for w in 0..words {
            permitted |= u64::from(u(1 + 2 * w)?) << (32 * w);
            inheritable |= u64::from(u(2 + 2 * w)?) << (32 * w);
        }
        Some(FileCaps {
            permitted,
            inheritable,
            effective: magic & 1 != 0,
            rootid: if v3 { u(5) } else { None },
        })
    }

    /// Reads a file's capabilities; `None` when it has none (or they cannot
    /// be read). `xattr`: getxattr came back when the rehearsal made it in a
    /// disposable child; only then does whatami make it itself.
    pub fn read(path: &str, xattr: bool) -> Option<FileCaps> {
        if !xattr {
            return None;
        }
        let c = std::ffi::CString::new(path).ok()?;
        let mut buf = [0u8; 64];
        // SAFETY: a NUL-terminated path and name, and a buffer of the size
        // passed; the call only reads the file's attribute.
        let n = unsafe {
            libc::getxattr(
                c.as_ptr(),
                c"security.capability".as_ptr(),
                buf.as_mut_ptr().cast(),
                buf.len(),
            )
        };
        if n <= 0 {
            return None;
        }
        FileCaps::parse(&buf[..n as usize])
    }
}

/// One directory or file on the way to a path, with what stat says of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Node {
    /// The path as the tracee sees it.
    pub path: String,
    pub stat: Option<FileStat>,
}

/// What is known about one path argument when the call failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PathEvidence {
    pub arg: PathArg,
    /// The absolute path as the tracee sees it (relative ones resolved
    /// against its working directory or directory descriptor).
    pub absolute: Option<String>,
    /// `/`, each directory, then the target itself while they exist.
    pub chain: Vec<Node>,
    /// Whether the target itself exists.
    pub exists: bool,
    /// The mount the target (or its nearest existing ancestor) lies on.
    pub mount: Option<Mount>,
    /// An executable's file capabilities.
    pub file_caps: Option<FileCaps>,
}

impl PathEvidence {
    /// The target's own stat, when it exists.
    pub fn target(&self) -> Option<&FileStat> {
        if self.exists {
            self.chain.last().and_then(|n| n.stat.as_ref())
        } else {
            None
        }
    }
}

/// The LSM label of a tracee.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LsmLabel {
    pub apparmor: Option<String>,
    pub selinux: Option<String>,
}

impl LsmLabel {
    /// The AppArmor profile or SELinux context that confines the process, if any.
    pub fn confining(&self) -> Option<String> {
        if let Some(a) = &self.apparmor
            && a != "unconfined"
        {
            return Some(format!("AppArmor profile {a}"));
        }
        self.selinux
            .as_ref()
            .map(|s| format!("SELinux context {s}"))
    }
}

fn read_label(tid: libc::pid_t) -> LsmLabel {
    let read = |p: String| {
        crate::linux::io::read_file(p)
            .ok()
            .map(|s| {
                s.trim_matches(|c: char| c == '\0' || c.is_whitespace())
                    .to_string()
            })
            .filter(|s| !s.is_empty())
    };
    let mut l = LsmLabel::default();
    if let Some(a) = read(format!("/proc/{tid}/attr/apparmor/current")) {
        l.apparmor = Some(a);
        return l;
    }
    if let Some(cur) = read(format!("/proc/{tid}/attr/current")) {
        if crate::inspect::lsm::parse_selinux(&cur).is_some() {
            l.selinux = Some(cur);
        } else if cur == "unconfined" || cur.ends_with(')') {
            l.apparmor = Some(cur);
        }
    }
    l
}

/// The mount tables read so far, one per mount namespace, valid until the
/// tracees change a mount (`changed`): a command whose calls fail by the
/// thousand would otherwise have a large mountinfo parsed for each.
#[derive(Debug, Default)]
pub struct MountCache {
    tables: std::collections::HashMap<String, Vec<Mount>>,
}

impl MountCache {
    /// The mounts `tid` sees.
    pub fn of(&mut self, tid: libc::pid_t) -> &[Mount] {
        let read = || {
            crate::linux::io::read_file(format!("/proc/{tid}/mountinfo"))
                .map(|t| mountinfo::parse(&t))
                .unwrap_or_default()
        };
        // mountinfo names mount points from the reader's root: the table
        // depends on the root directory as well as the namespace.
        let key = match (
            link(format!("/proc/{tid}/ns/mnt")),
            link(format!("/proc/{tid}/root")),
        ) {
            (Some(ns), Some(root)) => format!("{ns} {root}"),
            _ => format!("tid {tid}"),
        };
        self.tables.entry(key).or_insert_with(read)
    }

    /// A tracee mounted, unmounted or entered another mount namespace.
    pub fn changed(&mut self) {
        self.tables.clear();
    }
}

/// The initial user namespace's fixed inode (include/linux/proc_ns.h).
const INIT_USER_NS: u64 = 0xEFFF_FFFD;

/// Whether a tracee is in the initial user namespace (None: cannot tell).
pub fn in_initial_userns(tid: libc::pid_t) -> Option<bool> {
    let link = std::fs::read_link(format!("/proc/{tid}/ns/user")).ok()?;
    let s = link.to_string_lossy();
    let inode: u64 = s.strip_prefix("user:[")?.strip_suffix(']')?.parse().ok()?;
    Some(inode == INIT_USER_NS)
}

/// Everything read when a call failed.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Snapshot {
    /// The program the process runs.
    pub exe: Option<String>,
    pub creds: Option<Creds>,
    pub initial_userns: Option<bool>,
    /// The tracee's root directory as whatami sees it ("/" unless it chrooted).
    pub root: Option<String>,
    /// /proc/TID/setgroups: "deny" forbids setgroups in this user namespace.
    pub setgroups: Option<String>,
    pub lsm: LsmLabel,
    pub paths: Vec<PathEvidence>,
}

fn link(p: String) -> Option<String> {
    std::fs::read_link(p)
        .ok()
        .map(|l| l.to_string_lossy().into_owned())
}

/// Joins and normalizes a path lexically (`.` and `..` resolved by name).
pub fn normalize(base: &str, path: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    let full = if path.starts_with('/') {
        path.to_string()
    } else {
        format!("{base}/{path}")
    };
    for c in full.split('/') {
        match c {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            c => parts.push(c),
        }
    }
    format!("/{}", parts.join("/"))
}

impl Snapshot {
    /// Reads what is needed to explain a failure of `tid` on `paths`
    /// (`xattr`: see [`FileCaps::read`]).
    pub fn take(
        tid: libc::pid_t,
        paths: &[PathArg],
        mounts: &mut MountCache,
        xattr: bool,
    ) -> Snapshot {
        let root = link(format!("/proc/{tid}/root"));
        let to_host = |p: &str| match root.as_deref() {
            Some("/") | None => p.to_string(),
            Some(r) => format!("{r}{p}"),
        };
        let mounts: &[Mount] = if paths.is_empty() {
            &[]
        } else {
            mounts.of(tid)
        };
        let mut out = Vec::new();
        for arg in paths {
            // A relative path is relative to the working directory or the
            // directory descriptor, both of which the kernel prints as seen
            // from whatami's root; the tracee's own view drops its root prefix.
            let base = match arg.dirfd {
                _ if arg.path.starts_with('/') => Some("/".to_string()),
                None | Some(-100) => link(format!("/proc/{tid}/cwd")),
                Some(fd) => link(format!("/proc/{tid}/fd/{fd}")),
            };
            let base = base.map(|b| match root.as_deref() {
                Some(r) if r != "/" => b.strip_prefix(r).unwrap_or(&b).to_string(),
                _ => b,
            });
            let absolute = base.map(|b| normalize(&b, &arg.path));
            let mut chain = Vec::new();
            let mut exists = false;
            if let Some(abs) = &absolute {
                let parts: Vec<&str> = abs.split('/').filter(|p| !p.is_empty()).collect();
                let mut cur = String::new();
                chain.push(Node {
                    path: "/".into(),
                    stat: FileStat::of(&to_host("/")),
                });
                exists = parts.is_empty();
                for (i, p) in parts.iter().enumerate() {
                    cur.push('/');
                    cur.push_str(p);
                    let st = FileStat::of(&to_host(&cur));
                    let found = st.is_some();
                    chain.push(Node {
                        path: cur.clone(),
                        stat: st,
                    });
                    if !found {
                        break;
                    }
                    if i + 1 == parts.len() {
                        exists = true;
                    }
                }
            }
            let dev = chain.iter().rev().find_map(|n| n.stat.map(|s| s.dev));
            let mount = absolute
                .as_deref()
                .and_then(|a| mountinfo::containing_on(mounts, a, dev))
                .cloned();
            let file_caps = match (&absolute, arg.role, exists) {
                (Some(a), Role::Exec, true) => FileCaps::read(&to_host(a), xattr),
                _ => None,
            };
            out.push(PathEvidence {
                arg: arg.clone(),
                absolute,
                chain,
                exists,
                mount,
                file_caps,
            });
        }
        Snapshot {
            exe: link(format!("/proc/{tid}/exe")),
            creds: Creds::read(tid),
            initial_userns: in_initial_userns(tid),
            root,
            setgroups: crate::linux::io::read_file(format!("/proc/{tid}/setgroups"))
                .ok()
                .map(|s| s.trim().to_string()),
            lsm: read_label(tid),
            paths: out,
        }
    }
}

/// A program that would gain privileges at exec: set-user-ID or
/// set-group-ID, or with file capabilities; and what the process got.
#[derive(Debug, Clone, PartialEq)]
pub struct PrivilegedExec {
    pub exe: String,
    /// The owner, when the set-user-ID bit is set.
    pub setuid: Option<u32>,
    /// The group, when the set-group-ID bit is set.
    pub setgid: Option<u32>,
    pub file_caps: Option<FileCaps>,
    /// The credentials right after the exec.
    pub after: Option<Creds>,
    /// The mount of the program (nosuid makes the kernel ignore both).
    pub mount: Option<Mount>,
}

impl PrivilegedExec {
    /// What the program would bring and the process did not get (a
    /// set-user-ID or set-group-ID identity, file capabilities), in words.
    pub fn lost(&self) -> Option<String> {
        let after = self.after.as_ref()?;
        let mut lost = Vec::new();
        if let Some(u) = self.setuid
            && after.uid.effective != u
        {
            lost.push(format!("its set-user-ID identity (uid {u})"));
        }
        if let Some(g) = self.setgid
            && after.gid.effective != g
        {
            lost.push(format!("its set-group-ID identity (gid {g})"));
        }
        if let Some(f) = self.file_caps {
            let missing = f.permitted & !after.permitted;
            if missing != 0 {
                lost.push(format!(
                    "its file capabilities {}",
                    crate::linux::caps::names(missing).join(",")
                ));
            }
        }
        (!lost.is_empty()).then(|| lost.join(" and "))
    }

    /// Reads the program `tid` has just executed; `None` when it is an
    /// ordinary program (the common case: one stat).
    pub fn after_exec(tid: libc::pid_t, xattr: bool) -> Option<PrivilegedExec> {
        let exe = link(format!("/proc/{tid}/exe"))?;
        let st = FileStat::of(&format!("/proc/{tid}/exe"))?;
        let setuid = (st.mode & libc::S_ISUID != 0).then_some(st.uid);
        let setgid =
            (st.mode & libc::S_ISGID != 0 && st.mode & libc::S_IXGRP != 0).then_some(st.gid);
        let file_caps = FileCaps::read(&format!("/proc/{tid}/exe"), xattr);
        if setuid.is_none() && setgid.is_none() && file_caps.is_none() {
            return None;
        }
        let mounts = crate::linux::io::read_file(format!("/proc/{tid}/mountinfo"))
            .map(|t| mountinfo::parse(&t))
            .unwrap_or_default();
        Some(PrivilegedExec {
            mount: mountinfo::containing_on(&mounts, &exe, Some(st.dev)).cloned(),
            exe,
            setuid,
            setgid,
            file_caps,
            after: Creds::read(tid),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_capabilities_of_each_revision() {
        // cap_net_raw+ep, revision 2 (setcap's default).
        let v2 = [
            0x01, 0, 0, 0x02, 0x00, 0x20, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        ];
        let c = FileCaps::parse(&v2).unwrap();
        assert_eq!(c.permitted, 1 << 13);
        assert!(c.effective && c.rootid.is_none());
        // Revision 3 adds the namespace root's uid.
        let mut v3 = v2.to_vec();
        v3[3] = 0x03;
        v3.extend_from_slice(&1000u32.to_le_bytes());
        assert_eq!(FileCaps::parse(&v3).unwrap().rootid, Some(1000));
        assert!(FileCaps::parse(&[1, 2]).is_none());
        assert!(FileCaps::parse(&[0, 0, 0, 0x09, 0, 0, 0, 0]).is_none());
    }

    #[test]
    fn paths_normalize_lexically() {
        assert_eq!(normalize("/home/u", "x/../y/./z"), "/home/u/y/z");
        assert_eq!(normalize("/home", "/etc//passwd"), "/etc/passwd");
        assert_eq!(normalize("/", ".."), "/");
    }

    #[test]
    fn own_credentials_and_namespace_read() {
        // SAFETY: getpid has no side effect.
        let pid = unsafe { libc::getpid() };
        let c = Creds::read(pid).expect("own status");
        // SAFETY: geteuid has no side effect.
        assert_eq!(c.uid.effective, unsafe { libc::geteuid() });
        assert!(in_initial_userns(pid).is_some());
    }
}
