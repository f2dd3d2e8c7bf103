//! Mounts and sensitive paths: whether the root file system is read-only,
//! whether /proc, /proc/sys and /sys are writable, whether the paths
//! runtimes hide are hidden, which host directories are bind-mounted in,
//! and (through [`sockets`](super::sockets) and [`devices`](super::devices))
//! the runtime sockets and device nodes within reach.
//!
//! Everything comes from /proc/self/mountinfo plus stat(2) of a fixed list
//! of paths; nothing walks the file system. A bind mount's mountinfo root
//! field is the path on the file system it comes from, which for the host's
//! root file system is the host path: that is how a host /etc or /var/run
//! is told from the container's own. For a file system that is not the
//! host's root (a separate /home partition) the field is relative to that
//! file system, and the category is told only where the path itself says.

use crate::fsroot::Root;
use crate::linux::mountinfo::{self, Mount};
use crate::model::{HostPath, MaskState, MaskedPath, PseudoFs, RootFs};

/// The paths Docker, podman, CRI-O and containerd hide from a container by
/// default (their `maskedPaths`), which a privileged container sees. Only
/// those that exist on a kernel are masked.
pub const MASKED: [&str; 11] = [
    "/proc/acpi",
    "/proc/asound",
    "/proc/kcore",
    "/proc/keys",
    "/proc/latency_stats",
    "/proc/timer_list",
    "/proc/timer_stats",
    "/proc/sched_debug",
    "/proc/scsi",
    "/sys/firmware",
    "/sys/devices/virtual/powercap",
];

/// The kernel interfaces whose writability matters: kernel parameters
/// (/proc/sys), SysRq (/proc/sysrq-trigger) and sysfs. (The cgroup file
/// systems are the cgroups section's.)
pub const PSEUDO: [&str; 4] = ["/proc", "/proc/sys", "/proc/sysrq-trigger", "/sys"];

/// The root file system: mountinfo's mount on `/`. In a chroot (`unshare
/// --root`, a bare chroot) the mount that holds the root is outside it and
/// mountinfo does not list it; on the live system statvfs("/") still says
/// whether it is read-only.
pub fn root_fs(root: &Root, mounts: &[Mount]) -> RootFs {
    match mountinfo::at(mounts, "/") {
        Some(m) => RootFs {
            read_only: Some(m.read_only()),
            fs_type: Some(m.fs_type.clone()),
            source: Some(m.source.clone()),
        },
        None => RootFs {
            read_only: if root.is_live() {
                statvfs_read_only()
            } else {
                None
            },
            fs_type: None,
            source: None,
        },
    }
}

/// ST_RDONLY of the mount that holds this process's root directory.
fn statvfs_read_only() -> Option<bool> {
    // SAFETY: statvfs is plain data that the call fills; zeroed is valid.
    let mut st: libc::statvfs = unsafe { std::mem::zeroed() };
    // SAFETY: a NUL-terminated path and a buffer of the right type; the
    // call only writes into the buffer.
    let r = unsafe { libc::statvfs(c"/".as_ptr(), &mut st) };
    (r == 0).then_some(st.f_flag & libc::ST_RDONLY != 0)
}

/// Whether each of [`PSEUDO`] is writable, from the mount that holds it. A
/// path held only by the root file system is not mounted at all; one that
/// does not exist is not writable either.
pub fn pseudo(root: &Root, mounts: &[Mount]) -> Vec<PseudoFs> {
    let complete = root.stat_is_complete();
    PSEUDO
        .iter()
        .map(|&path| {
            let present = match root.stat(path) {
                Ok(Some(_)) => Some(true),
                Ok(None) if complete => Some(false),
                _ => None,
            };
            let m = mountinfo::containing(mounts, path)
                .filter(|m| m.mount_point != "/" && present != Some(false));
            PseudoFs {
                path: path.to_string(),
                present,
                mount_point: m.map(|m| m.mount_point.clone()),
                writable: m.map(|m| !m.read_only()),
            }
        })
        .collect()
}

/// How a mount on a masked path hides it, if it does: a bind of /dev/null
/// (a file) or an empty read-only tmpfs (a directory).
fn masking(m: &Mount) -> Option<String> {
    let null = m.root == "/null" || m.root.ends_with("/null");
    if null && matches!(m.fs_type.as_str(), "devtmpfs" | "tmpfs") {
        return Some(format!(
            "/dev/null is bound over it ({} {})",
            m.fs_type, m.root
        ));
    }
    if m.fs_type == "tmpfs" && m.read_only() {
        return Some("an empty read-only tmpfs is mounted over it".into());
    }
    None
}

/// Whether each of [`MASKED`] is hidden. `complete` says whether stat of a
/// path that was not captured can be trusted to mean "absent" (the live
/// system, or a captured tree with its stat table).
pub fn masked(root: &Root, mounts: &[Mount]) -> Vec<MaskedPath> {
    let complete = root.stat_is_complete();
    MASKED
        .iter()
        .map(|&path| {
            let (state, evidence) = match mountinfo::at(mounts, path) {
                Some(m) => match masking(m) {
                    Some(how) => (MaskState::Masked, how),
                    None => (
                        MaskState::Exposed,
                        format!(
                            "a {} mount ({}{}) that does not hide it",
                            m.fs_type,
                            m.root,
                            if m.read_only() { ", read-only" } else { "" }
                        ),
                    ),
                },
                None => match root.stat(path) {
                    Ok(Some(_)) => (
                        MaskState::Exposed,
                        "present, nothing mounted over it".into(),
                    ),
                    Ok(None) if complete => (MaskState::Absent, "not present".into()),
                    Ok(None) => (
                        MaskState::Unknown,
                        "nothing mounted over it; the captured tree does not say whether it exists"
                            .into(),
                    ),
                    Err(e) => (MaskState::Unknown, format!("nothing mounted over it; {e}")),
                },
            };
            MaskedPath {
                path: path.to_string(),
                state,
                evidence,
            }
        })
        .collect()
}

/// Mount points whose bind mounts a runtime makes for every container from
/// its own state directory: not the host's files in any sense that matters.
fn runtime_own(mount_point: &str) -> bool {
    matches!(
        mount_point,
        "/etc/hostname"
            | "/etc/hosts"
            | "/etc/resolv.conf"
            | "/run/.containerenv"
            | "/.containerenv"
            | "/dev/termination-log"
            | "/etc/localtime"
    ) || mountinfo::under(mount_point, "/run/host")
        || mountinfo::under(mount_point, "/run/secrets")
        || mountinfo::under(mount_point, "/var/run/secrets")
}

/// File systems that are no host directory: the kernel's interfaces (seen
/// apart, below), per-container instances, and layer stores.
fn virtual_fs(fs_type: &str) -> bool {
    matches!(
        fs_type,
        "tmpfs"
            | "devpts"
            | "mqueue"
            | "cgroup"
            | "cgroup2"
            | "overlay"
            | "securityfs"
            | "debugfs"
            | "tracefs"
            | "bpf"
            | "fusectl"
            | "configfs"
            | "pstore"
            | "hugetlbfs"
            | "binfmt_misc"
            | "autofs"
            | "nsfs"
            | "ramfs"
            | "efivarfs"
            | "rpc_pipefs"
            | "selinuxfs"
            | "shm"
    )
}

/// A volume of a container engine or of the kubelet: on the host's disk,
/// but made for the container, not a host directory.
fn engine_volume(path: &str) -> bool {
    let volume = |prefix: &str| {
        path.split_once(prefix)
            .is_some_and(|(_, rest)| rest.contains("/_data"))
    };
    volume("/docker/volumes/")
        || volume("/containers/storage/volumes/")
        || (path.contains("/pods/") && path.contains("/volumes/kubernetes.io~"))
}

/// What makes a host path sensitive, by what the path says.
pub fn sensitive(host_path: &str) -> Option<&'static str> {
    let u = |dir: &str| mountinfo::under(host_path, dir);
    Some(if host_path == "/" {
        "the root of a host file system"
    } else if u("/etc") {
        "host configuration (/etc)"
    } else if u("/var/run") || u("/run") {
        "host runtime state (/run)"
    } else if u("/home") || u("/root") {
        "a home directory"
    } else if u("/var/lib/docker")
        || u("/var/lib/containerd")
        || u("/var/lib/containers")
        || u("/var/lib/kubelet")
    {
        "a container runtime's state"
    } else if u("/boot") || u("/lib/modules") || u("/usr/lib/modules") {
        "the host's kernel and boot files"
    } else if u("/var/log") {
        "the host's logs"
    } else if u("/proc") || u("/sys") || u("/dev") {
        "a kernel interface"
    } else {
        return None;
    })
}

/// The bind mounts of host paths: file systems backed by a disk (or a
/// network or FUSE file system) mounted anywhere but `/`, and kernel
/// interfaces (procfs, sysfs, devtmpfs) mounted where the container's own
/// would not be. The runtime's own files and engine volumes are left out.
pub fn host_paths(mounts: &[Mount]) -> Vec<HostPath> {
    let own_proc_dev = mountinfo::at(mounts, "/proc").map(|m| m.dev);
    let mut out = Vec::new();
    for m in mounts {
        if m.mount_point == "/" || runtime_own(&m.mount_point) {
            continue;
        }
        let sensitive: Option<String> = match m.fs_type.as_str() {
            // devtmpfs is one instance for the whole kernel: mounted whole,
            // it is the host's /dev. Single nodes bound from it (/dev/null
            // over a masked path, rootless podman's /dev/null) are devices.
            "devtmpfs" if m.root == "/" => Some("the host's /dev (devtmpfs)".into()),
            "devtmpfs" => continue,
            // A procfs other than the container's own /proc instance shows
            // another pid namespace's processes.
            "proc" if m.root == "/" && m.mount_point != "/proc" && Some(m.dev) != own_proc_dev => {
                Some("another /proc (procfs of another pid namespace)".into())
            }
            "proc" => continue,
            "sysfs" if m.root == "/" && m.mount_point != "/sys" => {
                Some("another /sys (sysfs)".into())
            }
            "sysfs" => continue,
            t if virtual_fs(t) => continue,
            _ => {
                if engine_volume(&m.root) {
                    continue;
                }
                sensitive(&m.root).map(str::to_string)
            }
        };
        out.push(HostPath {
            mount_point: m.mount_point.clone(),
            host_path: m.root.clone(),
            fs_type: m.fs_type.clone(),
            source: m.source.clone(),
            read_only: m.read_only(),
            sensitive,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::linux::mountinfo::{parse, tests::PODMAN};

    /// `docker run` (dockerd 20.10.24): its masks are /dev/null bound from
    /// the container's own /dev tmpfs.
    const DOCKER: &str = "\
72 48 0:39 / / rw,relatime master:2 - overlay overlay rw,lowerdir=/l,upperdir=/u,workdir=/w
73 72 0:42 / /proc rw,nosuid,nodev,noexec,relatime - proc proc rw
74 72 0:43 / /dev rw,nosuid - tmpfs tmpfs rw,size=65536k,mode=755
76 72 0:45 / /sys ro,nosuid,nodev,noexec,relatime - sysfs sysfs ro
77 76 0:46 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime - tmpfs tmpfs rw,mode=755
78 77 0:29 /docker/8249 /sys/fs/cgroup/cpu ro,nosuid,nodev,noexec,relatime - cgroup cgroup rw,cpu
90 72 254:0 /var/lib/docker/containers/8249/hostname /etc/hostname rw,relatime - ext4 /dev/vda rw
52 73 0:42 /sys /proc/sys ro,nosuid,nodev,noexec,relatime - proc proc rw
53 73 0:48 / /proc/acpi ro,relatime - tmpfs tmpfs ro
54 73 0:43 /null /proc/keys rw,nosuid - tmpfs tmpfs rw,size=65536k,mode=755
55 73 0:43 /null /proc/timer_list rw,nosuid - tmpfs tmpfs rw,size=65536k,mode=755
56 76 0:49 / /sys/firmware ro,relatime - tmpfs tmpfs ro
";

    #[test]
    fn the_root_and_the_kernel_interfaces() {
        let m = parse(DOCKER);
        let none = Root::new("/nonexistent-whatami-root");
        let r = root_fs(&none, &m);
        assert_eq!(
            (r.read_only, r.fs_type.as_deref()),
            (Some(false), Some("overlay"))
        );
        let ro = parse("1 0 0:1 / / ro,relatime - overlay overlay rw\n");
        assert_eq!(root_fs(&none, &ro).read_only, Some(true));
        assert_eq!(root_fs(&none, &[]).read_only, None);
        // The live root, even without a mount table: this machine's is writable.
        assert_eq!(root_fs(&Root::live(), &[]).read_only, Some(false));
        let p = pseudo(&none, &m);
        let w = |path: &str| p.iter().find(|x| x.path == path).unwrap().writable;
        assert_eq!(w("/proc"), Some(true));
        assert_eq!(w("/proc/sys"), Some(false));
        assert_eq!(w("/proc/sysrq-trigger"), Some(true));
        assert_eq!(w("/sys"), Some(false));
        // Not mounted at all: held by the root file system only.
        assert_eq!(pseudo(&none, &ro)[0].writable, None);
        // On this machine's kernel (no CONFIG_MAGIC_SYSRQ) the trigger is
        // absent, whatever holds /proc.
        let live = pseudo(&Root::live(), &m);
        let trigger = live
            .iter()
            .find(|x| x.path == "/proc/sysrq-trigger")
            .unwrap();
        if trigger.present == Some(false) {
            assert_eq!(trigger.writable, None);
        }
    }

    #[test]
    fn masks_of_docker_and_podman() {
        let root = Root::new("/nonexistent-whatami-root");
        for text in [DOCKER, PODMAN] {
            let m = masked(&root, &parse(text));
            let state = |p: &str| m.iter().find(|x| x.path == p).unwrap().state;
            assert_eq!(state("/proc/keys"), MaskState::Masked);
            assert_eq!(state("/proc/acpi"), MaskState::Masked);
            assert_eq!(state("/sys/firmware"), MaskState::Masked);
            // Not captured, no stat table: cannot tell.
            assert_eq!(state("/proc/kcore"), MaskState::Unknown);
        }
        // A read-only bind of proc's own directory (systemd-nspawn) does not hide it.
        let nspawn = parse(
            "161 147 0:46 / /proc rw,nosuid - proc proc rw\n\
             165 161 0:46 /acpi /proc/acpi ro,nosuid,nodev,noexec,relatime shared:12 - proc proc rw\n",
        );
        let m = masked(&root, &nspawn);
        assert_eq!(m[0].state, MaskState::Exposed);
        assert!(m[0].evidence.contains("read-only"), "{}", m[0].evidence);
    }

    #[test]
    fn masks_on_the_live_system_are_decided() {
        // This process is not in a container that masks: every path is
        // either present (exposed) or absent, never unknown.
        let m = masked(&Root::live(), &[]);
        assert!(m.iter().all(|x| x.state != MaskState::Unknown), "{m:?}");
        assert!(m.iter().any(|x| x.state == MaskState::Absent));
    }

    #[test]
    fn host_paths_and_what_makes_them_sensitive() {
        let m = parse(
            "1 0 0:39 / / rw - overlay overlay rw\n\
             2 1 0:42 / /proc rw - proc proc rw\n\
             3 1 254:0 / /host rw - ext4 /dev/vda rw\n\
             4 1 254:0 /run/podman/podman.sock /run/podman/podman.sock rw - ext4 /dev/vda rw\n\
             5 1 254:0 /etc /host-etc ro - ext4 /dev/vda rw\n\
             6 1 254:0 /home/alice /work rw - ext4 /dev/vda rw\n\
             7 1 254:0 /var/lib/docker/volumes/data/_data /data rw - ext4 /dev/vda rw\n\
             8 1 254:0 /var/lib/docker/containers/x/hostname /etc/hostname rw - ext4 /dev/vda rw\n\
             9 1 0:6 / /dev rw - devtmpfs udev rw\n\
             10 1 0:6 /null /proc/keys rw - devtmpfs udev rw\n\
             11 1 0:50 / /host/proc rw - proc proc rw\n\
             12 1 0:42 / /proc2 rw - proc proc rw\n\
             13 1 0:51 / /host/sys ro - sysfs sysfs rw\n\
             14 1 0:52 / /tmp rw - tmpfs tmpfs rw\n\
             15 1 254:0 /usr/share/zoneinfo/UTC /etc/timezone ro - ext4 /dev/vda rw\n\
             16 1 8:1 /var/lib/kubelet/pods/u/volumes/kubernetes.io~empty-dir/cache /cache rw - ext4 /dev/sda1 rw\n\
             17 1 0:60 / /mnt/share rw - fuse.sshfs host:/srv rw\n",
        );
        let h = host_paths(&m);
        let got: Vec<(&str, Option<&str>)> = h
            .iter()
            .map(|x| (x.mount_point.as_str(), x.sensitive.as_deref()))
            .collect();
        assert_eq!(
            got,
            vec![
                ("/host", Some("the root of a host file system")),
                ("/run/podman/podman.sock", Some("host runtime state (/run)")),
                ("/host-etc", Some("host configuration (/etc)")),
                ("/work", Some("a home directory")),
                ("/dev", Some("the host's /dev (devtmpfs)")),
                (
                    "/host/proc",
                    Some("another /proc (procfs of another pid namespace)")
                ),
                ("/host/sys", Some("another /sys (sysfs)")),
                ("/etc/timezone", None),
                ("/mnt/share", Some("the root of a host file system")),
            ]
        );
        assert!(h[2].read_only);
        assert_eq!(host_paths(&parse(PODMAN)), Vec::new());
    }
}
