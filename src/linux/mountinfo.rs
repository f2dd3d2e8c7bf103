//! A tolerant parser for `/proc/<pid>/mountinfo`, and the questions the
//! environment sections ask of it (which mount holds a path, is it
//! read-only, where on its file system does it come from).
//!
//! Each line is
//! `ID PARENT MAJOR:MINOR ROOT MOUNT-POINT OPTIONS [OPTIONAL...] - TYPE SOURCE SUPER-OPTIONS`
//! (proc(5)). The kernel escapes space, tab, newline and backslash in paths
//! as `\040`, `\011`, `\012`, `\134`; the optional fields (`shared:N`,
//! `master:N`, ...) are zero or more, ended by a lone `-`. A line without
//! that shape is skipped rather than failing the whole table: a container
//! can hide its mountinfo behind a file of its own, and a truncated or
//! hostile one must cost only the lines it breaks.
//!
//! No I/O here: [`parse`] takes the text.

/// Most lines parsed: a mount table of a real container has tens to a few
/// hundred; one with more is cut, not parsed without bound.
pub const MAX_MOUNTS: usize = 10_000;

/// One mount, as mountinfo describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mount {
    pub id: u32,
    pub parent: u32,
    /// The device number of the mounted file system (`0:N` for pseudo and
    /// tmpfs file systems).
    pub dev: (u32, u32),
    /// The directory or file of the file system that is mounted here: for a
    /// bind mount, where on its file system it comes from.
    pub root: String,
    pub mount_point: String,
    /// Per-mount options as printed (`rw,nosuid,...`).
    pub options: String,
    /// Propagation fields: `shared:N`, `master:N`, `propagate_from:N`, `unbindable`.
    pub optional: Vec<String>,
    pub fs_type: String,
    /// The device or name the file system was mounted from (`/dev/vda`,
    /// `tmpfs`, `overlay`); empty when the line was cut before it.
    pub source: String,
    pub super_options: String,
}

impl Mount {
    /// Whether this mount is read-only (its own option; a read-only
    /// superblock shows as `ro` in the mount options too).
    pub fn read_only(&self) -> bool {
        self.options.split(',').any(|o| o == "ro")
            || self.super_options.split(',').any(|o| o == "ro")
    }

    /// Whether `path` is this mount's mount point or lies under it.
    pub fn covers(&self, path: &str) -> bool {
        under(path, &self.mount_point)
    }

    /// Whether the per-mount options name `opt` (`ro`, `nosuid`, `noexec`).
    pub fn has_option(&self, opt: &str) -> bool {
        self.options.split(',').any(|o| o == opt)
    }

    /// Whether the super options name `opt` (a cgroup v1 controller, say).
    pub fn has_super_option(&self, opt: &str) -> bool {
        self.super_options.split(',').any(|o| o == opt)
    }
}

/// Whether `path` is `dir` or lies under it, component-wise (`/proc2` is
/// not under `/proc`).
pub fn under(path: &str, dir: &str) -> bool {
    if dir == "/" {
        return path.starts_with('/');
    }
    match path.strip_prefix(dir) {
        Some("") => true,
        Some(rest) => rest.starts_with('/'),
        None => false,
    }
}

/// Parses mountinfo text as the report's mount table: as [`parse`] (a bad
/// line costs only itself), but a text of which no line is a mountinfo line
/// (random bytes, another file bind-mounted over it) is an error rather
/// than a table without mounts, from which the report would state false
/// facts ("/proc is not mounted"). An empty text is an empty table.
pub fn parse_table(text: &str) -> Result<Vec<Mount>, String> {
    let lines = text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .take(MAX_MOUNTS)
        .count();
    let mounts = parse(text);
    if mounts.is_empty() && lines > 0 {
        return Err(format!(
            "not a mount table: none of its first {lines} lines has the shape of mountinfo"
        ));
    }
    Ok(mounts)
}

/// Parses mountinfo text, skipping lines without its shape.
pub fn parse(text: &str) -> Vec<Mount> {
    text.lines()
        .filter_map(parse_line)
        .take(MAX_MOUNTS)
        .collect()
}

fn parse_line(line: &str) -> Option<Mount> {
    // Field by field, without collecting the line: a container's table is
    // parsed on every run.
    let mut f = line.split(' ');
    let id = f.next()?.parse().ok()?;
    let parent = f.next()?.parse().ok()?;
    let (major, minor) = f.next()?.split_once(':')?;
    let dev = (major.parse().ok()?, minor.parse().ok()?);
    let root = unescape(f.next()?);
    let mount_point = unescape(f.next()?);
    if !mount_point.starts_with('/') {
        return None;
    }
    let options = f.next()?.to_string();
    // Optional fields up to the lone "-".
    let mut optional = Vec::new();
    loop {
        match f.next()? {
            "-" => break,
            x => optional.push(x.to_string()),
        }
    }
    let fs_type = unescape(f.next().filter(|t| !t.is_empty())?);
    Some(Mount {
        id,
        parent,
        dev,
        root,
        mount_point,
        options,
        optional,
        fs_type,
        source: unescape(f.next().unwrap_or("")),
        super_options: unescape(f.next().unwrap_or("")),
    })
}

/// Undoes the kernel's octal escapes (`\040` for a space, ...); anything
/// else, a lone backslash included, is kept as it is.
pub fn unescape(s: &str) -> String {
    if !s.contains('\\') {
        return s.to_string();
    }
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let octal = b
            .get(i + 1..i + 4)
            .filter(|d| d.iter().all(|c| (b'0'..=b'7').contains(c)));
        match (b[i], octal) {
            (b'\\', Some(d)) => {
                let v = (u32::from(d[0] - b'0') << 6)
                    | (u32::from(d[1] - b'0') << 3)
                    | u32::from(d[2] - b'0');
                out.push(u8::try_from(v).unwrap_or(b'?'));
                i += 4;
            }
            (c, _) => {
                out.push(c);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The mount that holds `path`: the one with the longest mount point that
/// covers it, and of several on the same mount point the last listed (the
/// one stacked on top).
pub fn containing<'a>(mounts: &'a [Mount], path: &str) -> Option<&'a Mount> {
    let mut best: Option<&Mount> = None;
    for m in mounts.iter().filter(|m| m.covers(path)) {
        if best.is_none_or(|b| m.mount_point.len() >= b.mount_point.len()) {
            best = Some(m);
        }
    }
    best
}

/// The mount that holds `path`, a file on device `dev` (or, for a path that
/// does not exist, its nearest existing ancestor's): of the mounts of that
/// device, the one [`containing`] picks; by mount point alone when no mount
/// of that device holds it (btrfs subvolumes report another device than
/// mountinfo).
pub fn containing_on<'a>(
    mounts: &'a [Mount],
    path: &str,
    dev: Option<(u32, u32)>,
) -> Option<&'a Mount> {
    let mut best: Option<&Mount> = None;
    for m in mounts
        .iter()
        .filter(|m| dev == Some(m.dev) && m.covers(path))
    {
        if best.is_none_or(|b| m.mount_point.len() >= b.mount_point.len()) {
            best = Some(m);
        }
    }
    best.or_else(|| containing(mounts, path))
}

/// The mount whose mount point is exactly `path` (the top one).
pub fn at<'a>(mounts: &'a [Mount], path: &str) -> Option<&'a Mount> {
    mounts.iter().rev().find(|m| m.mount_point == path)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// `podman run --rootfs` (podman 4.3.1, crun) on this machine, cut to
    /// the lines the tests use.
    pub(crate) const PODMAN: &str = "\
90 67 254:0 /tmp/whatami-lab/runs/manual-podman-default/rootfs / rw,relatime - ext4 /dev/vda rw,discard,resv_strict,resuid=65534,resgid=65534
91 90 0:41 / /proc rw,nosuid,nodev,noexec,relatime - proc proc rw
92 90 0:42 / /dev rw,nosuid,noexec - tmpfs tmpfs rw,size=65536k,mode=755
93 90 0:43 / /sys ro,nosuid,nodev,noexec,relatime - sysfs sysfs rw
110 91 0:46 / /proc/acpi ro,relatime - tmpfs tmpfs rw,size=0k
111 91 0:6 /null /proc/keys ro,relatime - devtmpfs devtmpfs rw,size=12334524k,nr_inodes=3083631,mode=755
113 93 0:47 / /sys/firmware ro,relatime - tmpfs tmpfs rw,size=0k
118 91 0:41 /sys /proc/sys ro,relatime - proc proc rw
";

    #[test]
    fn every_field_of_a_real_line() {
        let m = parse(PODMAN);
        assert_eq!(m.len(), 8);
        let root = &m[0];
        assert_eq!((root.id, root.parent, root.dev), (90, 67, (254, 0)));
        assert_eq!(
            root.root,
            "/tmp/whatami-lab/runs/manual-podman-default/rootfs"
        );
        assert_eq!(root.mount_point, "/");
        assert_eq!(root.options, "rw,relatime");
        assert!(root.optional.is_empty());
        assert_eq!(
            (root.fs_type.as_str(), root.source.as_str()),
            ("ext4", "/dev/vda")
        );
        assert!(root.super_options.starts_with("rw,discard"));
        assert!(!root.read_only());
        assert!(m[3].read_only());
        assert_eq!(m[5].root, "/null");
    }

    #[test]
    fn escapes_optional_fields_and_garbage() {
        let m = parse(
            "36 35 98:0 /a\\040b /mnt\\011x rw,noatime shared:1 master:2 - ext3 /dev/my\\040disk rw\n\
             garbage\n\n1 2 3\n\
             1 2 0:1 / / rw -\n\
             1 2 0:1 / / rw - tmpfs\n\
             x 2 0:1 / / rw - tmpfs t rw\n\
             1 2 01 / / rw - tmpfs t rw\n\
             1 2 0:1 / relative rw - tmpfs t rw\n\
             7 1 0:5 / /ro ro - tmpfs t rw\n\
             \\\\\\ \\777 \\0",
        );
        assert_eq!(m.len(), 3, "{m:?}");
        assert_eq!(m[0].root, "/a b");
        assert_eq!(m[0].mount_point, "/mnt\tx");
        assert_eq!(m[0].optional, ["shared:1", "master:2"]);
        assert_eq!(m[0].source, "/dev/my disk");
        // A line cut after its type keeps the type, with no source.
        assert_eq!((m[1].fs_type.as_str(), m[1].source.as_str()), ("tmpfs", ""));
        assert!(m[2].read_only());
    }

    #[test]
    fn read_only_superblocks_count() {
        let m = parse("1 0 0:1 / /sys rw,nosuid - sysfs sysfs ro\n");
        assert!(m[0].read_only());
    }

    #[test]
    fn unescape_never_panics() {
        for s in [
            "\\", "\\0", "\\07", "\\777", "\\999", "é\\040", "\\\\040", "\\400",
        ] {
            let _ = unescape(s);
        }
        assert_eq!(unescape("a\\134b"), "a\\b");
        assert_eq!(unescape("\\012"), "\n");
    }

    #[test]
    fn the_mount_holding_a_path() {
        let m = parse(PODMAN);
        let at_path = |p: &str| containing(&m, p).map(|m| m.mount_point.as_str());
        assert_eq!(at_path("/proc/sys/kernel/hostname"), Some("/proc/sys"));
        assert_eq!(at_path("/proc/sysrq-trigger"), Some("/proc"));
        assert_eq!(at_path("/proc"), Some("/proc"));
        assert_eq!(at_path("/procx"), Some("/"));
        assert_eq!(at_path("/sys/firmware/acpi"), Some("/sys/firmware"));
        assert_eq!(at_path("/etc/passwd"), Some("/"));
        assert_eq!(containing(&[], "/"), None);
        assert_eq!(at(&m, "/proc/keys").unwrap().root, "/null");
        assert!(at(&m, "/proc/kcore").is_none());
        // Stacked on the same mount point: the last one listed is on top.
        let stacked = parse("1 0 0:1 / / rw - ext4 a rw\n2 1 0:2 / / ro - tmpfs b rw\n");
        assert_eq!(containing(&stacked, "/x").unwrap().fs_type, "tmpfs");
    }

    #[test]
    fn under_is_component_wise() {
        assert!(under("/proc/sys", "/proc"));
        assert!(under("/proc", "/proc"));
        assert!(!under("/proc2", "/proc"));
        assert!(under("/anything", "/"));
        assert!(!under("relative", "/"));
    }

    #[test]
    fn a_huge_table_is_cut() {
        let line = "1 0 0:1 / /x rw - tmpfs t rw\n";
        let text = line.repeat(MAX_MOUNTS + 5);
        assert_eq!(parse(&text).len(), MAX_MOUNTS);
    }

    #[test]
    fn a_text_that_is_not_mountinfo_is_an_error_not_an_empty_table() {
        assert_eq!(parse_table("").unwrap(), vec![]);
        assert_eq!(parse_table(MOUNTINFO).unwrap(), parse(MOUNTINFO));
        let noise = "\u{1}\u{2}garbage\nmore garbage here\n\u{fffd}\u{fffd}\n";
        let e = parse_table(noise).unwrap_err();
        assert_eq!(
            e,
            "not a mount table: none of its first 3 lines has the shape of mountinfo"
        );
        // One odd line among real ones costs only itself.
        let mixed = format!("{MOUNTINFO}odd line\n");
        assert_eq!(parse_table(&mixed).unwrap().len(), parse(MOUNTINFO).len());
    }

    const MOUNTINFO: &str = "\
22 1 0:21 / / rw,relatime - overlay overlay rw,lowerdir=/l,upperdir=/u
23 22 0:22 / /proc rw,nosuid,nodev,noexec - proc proc rw
30 22 8:1 /srv/data /ro ro,relatime - ext4 /dev/sda1 rw
31 22 8:1 /srv/x /with\\040space rw - ext4 /dev/sda1 ro
";

    #[test]
    fn the_mount_of_a_file_on_its_device() {
        let m = parse(MOUNTINFO);
        assert_eq!(m.len(), 4);
        assert_eq!(m[3].mount_point, "/with space");
        assert!(m[2].has_option("ro") && !m[2].has_super_option("ro"));
        assert!(m[3].has_super_option("ro"));
        assert_eq!(
            containing_on(&m, "/ro/f", Some((8, 1)))
                .unwrap()
                .mount_point,
            "/ro"
        );
        assert_eq!(
            containing_on(&m, "/rob", Some((0, 21)))
                .unwrap()
                .mount_point,
            "/"
        );
        assert_eq!(
            containing_on(&m, "/proc/1", None).unwrap().mount_point,
            "/proc"
        );
        // A device no line has: by mount point alone.
        assert_eq!(
            containing_on(&m, "/ro/x", Some((9, 9)))
                .unwrap()
                .mount_point,
            "/ro"
        );
    }
}
