//! What stat(2) says about a file, in the one shape every reader of it uses:
//! the report's sections (through [`crate::fsroot::Root::stat`], or a
//! captured tree's table) and why's evidence (the directories on a path, a
//! program's set-user-ID bit and the device it lives on).

/// The type of a file, as stat(2) tells it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum FileKind {
    Regular,
    Directory,
    CharDevice,
    BlockDevice,
    Socket,
    Fifo,
    /// Only from a directory listing, which does not follow links.
    Symlink,
    Other,
}

impl FileKind {
    /// The type of `st_mode`.
    pub fn of_mode(mode: u32) -> FileKind {
        match mode & libc::S_IFMT {
            libc::S_IFREG => FileKind::Regular,
            libc::S_IFDIR => FileKind::Directory,
            libc::S_IFCHR => FileKind::CharDevice,
            libc::S_IFBLK => FileKind::BlockDevice,
            libc::S_IFSOCK => FileKind::Socket,
            libc::S_IFIFO => FileKind::Fifo,
            libc::S_IFLNK => FileKind::Symlink,
            _ => FileKind::Other,
        }
    }

    /// The type bits (`S_IFMT`) of `st_mode` for this type; 0 for `Other`.
    pub fn mode_bits(self) -> u32 {
        match self {
            FileKind::Regular => libc::S_IFREG,
            FileKind::Directory => libc::S_IFDIR,
            FileKind::CharDevice => libc::S_IFCHR,
            FileKind::BlockDevice => libc::S_IFBLK,
            FileKind::Socket => libc::S_IFSOCK,
            FileKind::Fifo => libc::S_IFIFO,
            FileKind::Symlink => libc::S_IFLNK,
            FileKind::Other => 0,
        }
    }
}

/// What stat(2) says about a file that exists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileStat {
    /// `st_mode`: the file's type and permission bits.
    pub mode: u32,
    pub uid: u32,
    pub gid: u32,
    /// (major, minor) of the device the file is on (`st_dev`).
    pub dev: (u32, u32),
    /// (major, minor) of a device node (`st_rdev`); (0, 0) for anything else.
    pub rdev: (u32, u32),
}

impl FileStat {
    /// The file's type.
    pub fn kind(&self) -> FileKind {
        FileKind::of_mode(self.mode)
    }

    pub fn is_dir(&self) -> bool {
        self.kind() == FileKind::Directory
    }

    /// From a `struct stat` the kernel filled.
    pub fn from_stat(st: &libc::stat) -> FileStat {
        FileStat::from_parts(st.st_mode, st.st_uid, st.st_gid, st.st_dev, st.st_rdev)
    }

    fn from_parts(mode: u32, uid: u32, gid: u32, dev: u64, rdev: u64) -> FileStat {
        let kind = FileKind::of_mode(mode);
        FileStat {
            mode,
            uid,
            gid,
            dev: split_dev(dev),
            rdev: match kind {
                FileKind::CharDevice | FileKind::BlockDevice => split_dev(rdev),
                _ => (0, 0),
            },
        }
    }

    /// stat(2) of `path`, following symbolic links but never triggering an
    /// automount (AT_NO_AUTOMOUNT: a path the tracee or the container names
    /// may lie under an autofs mount, and looking at it must not mount
    /// anything); `None` when it cannot be stat'ed.
    pub fn of(path: &str) -> Option<FileStat> {
        FileStat::at(std::path::Path::new(path)).ok().flatten()
    }

    /// As [`of`](Self::of), telling a missing path (`Ok(None)`: ENOENT,
    /// ENOTDIR) from one that could not be stat'ed.
    pub fn at(path: &std::path::Path) -> std::io::Result<Option<FileStat>> {
        use std::os::unix::ffi::OsStrExt;
        let c = std::ffi::CString::new(path.as_os_str().as_bytes()).map_err(|_| {
            std::io::Error::new(std::io::ErrorKind::InvalidInput, "a NUL byte in the path")
        })?;
        // SAFETY: `stat` is plain data that fstatat fills; zeroed is a valid value.
        let mut st: libc::stat = unsafe { std::mem::zeroed() };
        // SAFETY: a valid NUL-terminated path and a stat buffer of the right
        // type; fstatat only writes into the buffer.
        let r =
            unsafe { libc::fstatat(libc::AT_FDCWD, c.as_ptr(), &mut st, libc::AT_NO_AUTOMOUNT) };
        if r == 0 {
            return Ok(Some(FileStat::from_stat(&st)));
        }
        let e = std::io::Error::last_os_error();
        match e.raw_os_error() {
            Some(libc::ENOENT) | Some(libc::ENOTDIR) => Ok(None),
            _ => Err(e),
        }
    }
}

/// Splits a dev_t into (major, minor) as the kernel's new_encode_dev does
/// (what glibc's and musl's major() and minor() undo).
pub fn split_dev(dev: u64) -> (u32, u32) {
    let major = ((dev >> 32) & 0xffff_f000) | ((dev >> 8) & 0xfff);
    let minor = ((dev >> 12) & 0xffff_ff00) | (dev & 0xff);
    // Both fit in 32 bits by construction of the masks.
    (major as u32, minor as u32)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn device_numbers_split_as_the_kernel_encodes_them() {
        // /dev/null 1:3, /dev/vda 254:0, and a large minor (4095:1048575).
        assert_eq!(split_dev(0x0103), (1, 3));
        assert_eq!(split_dev(254 << 8), (254, 0));
        let big: u64 = ((4095 & 0xfff) << 8) | 0xff | ((1_048_575 & !0xff) << 12);
        assert_eq!(split_dev(big), (4095, 1_048_575));
        // As the C library splits them.
        for dev in [0x0103u64, 254 << 8, big, 0x1234_5678_9abc] {
            assert_eq!(split_dev(dev), (libc::major(dev), libc::minor(dev)));
        }
    }

    #[test]
    fn a_file_is_stat_with_its_type_and_devices() {
        let null = FileStat::of("/dev/null").unwrap();
        assert_eq!((null.kind(), null.rdev), (FileKind::CharDevice, (1, 3)));
        let proc = FileStat::of("/proc").unwrap();
        assert!(proc.is_dir());
        assert_eq!(proc.rdev, (0, 0));
        assert_eq!(FileStat::of("/nonexistent-whatami"), None);
        for kind in [
            FileKind::Regular,
            FileKind::Directory,
            FileKind::CharDevice,
            FileKind::BlockDevice,
            FileKind::Socket,
            FileKind::Fifo,
            FileKind::Symlink,
        ] {
            assert_eq!(FileKind::of_mode(kind.mode_bits() | 0o644), kind);
        }
        assert_eq!(FileKind::of_mode(0o644), FileKind::Other);
    }
}
