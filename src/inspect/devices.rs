//! Device nodes within reach: block devices (raw disks), and the character
//! devices that give a way into the kernel or the hardware (the kernel log,
//! physical memory, FUSE, TUN/TAP, KVM, GPUs).
//!
//! Found by listing /dev (that one directory, not what is below it) and by
//! stat(2) of a few known paths in its subdirectories. A node that is
//! present can still be refused on open by the device cgroup; its presence
//! is what a runtime's default /dev never has.

use crate::fsroot::Root;
use crate::linux::stat::FileKind;
use crate::model::{Device, Devices};

/// Character devices worth naming, by their name in /dev.
const NOTABLE: [(&str, &str); 17] = [
    ("kmsg", "the kernel log (read, and write into it)"),
    ("mem", "physical memory"),
    ("kmem", "kernel virtual memory"),
    ("port", "I/O ports"),
    ("fuse", "FUSE: user-space file systems"),
    ("kvm", "KVM: virtual machines"),
    ("vhost-net", "vhost-net: in-kernel virtio networking"),
    ("vhost-vsock", "vhost-vsock: host-guest sockets"),
    ("loop-control", "loop device control: attach files as disks"),
    ("btrfs-control", "btrfs control"),
    ("autofs", "autofs control"),
    ("nvidiactl", "NVIDIA GPU control"),
    ("nvidia-uvm", "NVIDIA unified memory"),
    ("kfd", "AMD GPU compute (ROCm)"),
    (
        "watchdog",
        "the hardware watchdog: opening it can arm a reboot",
    ),
    ("hwrng", "the hardware random number generator"),
    ("cpu_dma_latency", "CPU power-state latency control"),
];

/// Known paths below /dev, looked at only when their directory is listed.
const BELOW: [(&str, &str); 5] = [
    ("/dev/net/tun", "TUN/TAP: virtual network devices"),
    ("/dev/dri/card0", "a GPU (DRM card)"),
    ("/dev/dri/card1", "a GPU (DRM card)"),
    ("/dev/dri/renderD128", "a GPU (DRM render node)"),
    ("/dev/dri/renderD129", "a GPU (DRM render node)"),
];

/// Most block devices listed: a host with hundreds of disks or loop
/// devices is summed up by the count of /dev entries.
const MAX_BLOCK: usize = 64;

/// Every path outside the /dev listing that [`read`] may stat (the test of
/// the capture script checks it captures them).
#[cfg(test)]
pub fn stat_paths() -> Vec<&'static str> {
    BELOW.iter().map(|(p, _)| *p).collect()
}

fn what_char(name: &str) -> Option<String> {
    if let Some((_, w)) = NOTABLE.iter().find(|(n, _)| *n == name) {
        return Some(w.to_string());
    }
    let rest = name.strip_prefix("nvidia")?;
    (!rest.is_empty() && rest.bytes().all(|b| b.is_ascii_digit()))
        .then(|| "an NVIDIA GPU".to_string())
}

fn device(root: &Root, path: &str, what: String) -> Option<Device> {
    let st = root.stat(path).ok()??;
    let kind = match st.kind() {
        FileKind::CharDevice => "char",
        FileKind::BlockDevice => "block",
        _ => return None,
    };
    Some(Device {
        path: path.to_string(),
        kind: kind.into(),
        major: st.rdev.0,
        minor: st.rdev.1,
        what,
    })
}

fn what_block(name: &str) -> String {
    let starts = |p: &str| name.starts_with(p);
    if starts("loop") {
        "a loop device".into()
    } else if starts("dm-") {
        "a device-mapper volume".into()
    } else if starts("md") {
        "a RAID array".into()
    } else if starts("nbd") {
        "a network block device".into()
    } else if starts("zram") || starts("ram") {
        "a RAM disk".into()
    } else {
        "a disk or partition".into()
    }
}

pub fn read(root: &Root) -> Devices {
    let (listing, error) = match root.list_dir("/dev") {
        Ok(l) => (Some(l), None),
        Err(e) => (None, Some(e.to_string())),
    };
    let mut notable = Vec::new();
    let mut block = Vec::new();
    let mut subdirs: Vec<&str> = Vec::new();
    for (name, kind) in listing.iter().flatten() {
        let path = format!("/dev/{name}");
        match kind {
            FileKind::BlockDevice if block.len() < MAX_BLOCK => {
                block.extend(device(root, &path, what_block(name)));
            }
            FileKind::CharDevice => {
                if let Some(what) = what_char(name) {
                    notable.extend(device(root, &path, what));
                }
            }
            FileKind::Directory if name == "net" => subdirs.push("/dev/net/"),
            FileKind::Directory if name == "dri" => subdirs.push("/dev/dri/"),
            _ => {}
        }
    }
    for (path, what) in BELOW {
        if subdirs.iter().any(|d| path.starts_with(d)) {
            notable.extend(device(root, path, what.to_string()));
        }
    }
    Devices {
        entries: listing.as_ref().map(Vec::len),
        error,
        notable,
        block,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_tell_what_a_device_is() {
        assert_eq!(what_char("kmsg").unwrap(), NOTABLE[0].1);
        assert_eq!(what_char("nvidia0").unwrap(), "an NVIDIA GPU");
        assert_eq!(what_char("nvidia"), None);
        assert_eq!(what_char("nvidiaX"), None);
        assert_eq!(what_char("null"), None);
        assert_eq!(what_block("loop3"), "a loop device");
        assert_eq!(what_block("vda1"), "a disk or partition");
    }

    #[test]
    fn a_captured_dev_is_read_from_its_table() {
        let dir = std::env::temp_dir().join(format!("whatami-dev-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(
            dir.join(crate::fsroot::STAT_TABLE),
            "listed\t/dev\n\
             entry\t/dev\tnull\tchar\nentry\t/dev\tkmsg\tchar\nentry\t/dev\tvda\tblock\n\
             entry\t/dev\tnet\tdir\nentry\t/dev\tcore\tlink\n\
             stat\t/dev/kmsg\tchar\t1:11\t644\t0\nstat\t/dev/vda\tblock\t254:0\t660\t0\n\
             stat\t/dev/net/tun\tchar\t10:200\t666\t0\n",
        )
        .unwrap();
        let d = read(&Root::new(&dir));
        assert_eq!(d.entries, Some(5));
        let paths: Vec<(&str, u32, u32)> = d
            .notable
            .iter()
            .map(|x| (x.path.as_str(), x.major, x.minor))
            .collect();
        assert_eq!(paths, vec![("/dev/kmsg", 1, 11), ("/dev/net/tun", 10, 200)]);
        assert_eq!(d.block.len(), 1);
        assert_eq!(d.block[0].kind, "block");
        std::fs::remove_dir_all(&dir).unwrap();
        // No /dev at all: said, not fatal.
        let d = read(&Root::new("/nonexistent-whatami-root"));
        assert_eq!(d.entries, None);
        assert!(d.error.unwrap().starts_with("/dev: "));
    }

    #[test]
    fn the_live_dev_is_listed() {
        let d = read(&Root::live());
        assert!(d.entries.unwrap() > 0);
    }
}
