//! The one seam between whatami and the files it reads.
//!
//! Every probe that reads /proc, /sys, /run or /etc goes through a [`Root`],
//! so the same code reads the live system (`/`) or a tree captured from a real
//! container (tests/fixtures, `--root DIR`). Errors carry the path that failed.
//!
//! Only regular files are read. Every path read here is one the container
//! controls, and a named pipe there would block a plain open() forever, a
//! device node could act when opened: see [`Root::read`].

use std::fmt;
use std::fs::{File, FileType};
use std::io;
use std::os::unix::fs::FileTypeExt;
use std::path::{Path, PathBuf};

mod stat;
pub use stat::{MAX_ENTRIES, STAT_TABLE, StatTable};

/// Files larger than this are cut: nothing whatami reads is legitimately this
/// big, and a hostile or broken file must not make it allocate without bound.
const MAX_READ: u64 = 4 << 20;

#[derive(Debug, Clone)]
pub struct Root {
    base: PathBuf,
    /// A captured tree's table of special files, read on first use (stat.rs).
    stat_table: std::sync::OnceLock<Option<std::sync::Arc<StatTable>>>,
}

/// A failed read, naming the path as the report should show it (relative to
/// the root, i.e. the path inside the container).
#[derive(Debug)]
pub struct ReadError {
    pub path: String,
    pub source: io::Error,
}

impl fmt::Display for ReadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path, self.source)
    }
}

impl std::error::Error for ReadError {}

impl Root {
    pub fn new(base: impl Into<PathBuf>) -> Self {
        Root {
            base: base.into(),
            stat_table: std::sync::OnceLock::new(),
        }
    }

    /// The live system.
    pub fn live() -> Self {
        Root::new("/")
    }

    pub fn is_live(&self) -> bool {
        self.base == Path::new("/")
    }

    /// Maps an absolute path inside the root to a path on this machine.
    pub fn path(&self, p: &str) -> PathBuf {
        self.base.join(p.trim_start_matches('/'))
    }

    fn err(p: &str, source: io::Error) -> ReadError {
        ReadError {
            path: p.to_string(),
            source,
        }
    }

    /// Reads a text file; invalid UTF-8 is replaced rather than rejected.
    ///
    /// Anything but a regular file is refused, with an error naming the path
    /// and what it is. A container can put a named pipe at /etc/passwd or
    /// /run/.containerenv, and open() of a pipe without a writer never
    /// returns; opening a device node can itself do something (a watchdog
    /// arms, a tape rewinds). So the type is checked before opening, the
    /// open is non-blocking and takes no controlling terminal, and the type
    /// is checked again on the open descriptor, in case the path was swapped
    /// in between. /proc and /sys files are regular files (of size 0).
    pub fn read(&self, p: &str) -> Result<String, ReadError> {
        let path = self.path(p);
        let regular = |t: FileType| match not_regular(t) {
            None => Ok(()),
            Some(what) => Err(Self::err(
                p,
                io::Error::new(
                    io::ErrorKind::InvalidInput,
                    format!("not a regular file but {what}"),
                ),
            )),
        };
        // procfs and sysfs hold no device nodes or pipes under the names read
        // here, so on the live system the check before opening is spared
        // there: most reads are theirs, and each costs a syscall.
        let kernel_fs = self.is_live() && (p.starts_with("/proc/") || p.starts_with("/sys/"));
        if !kernel_fs {
            regular(
                std::fs::metadata(&path)
                    .map_err(|e| Self::err(p, e))?
                    .file_type(),
            )?;
        }
        let f = open_for_reading(&path).map_err(|e| Self::err(p, e))?;
        regular(f.metadata().map_err(|e| Self::err(p, e))?.file_type())?;
        read_bounded(f).map_err(|e| Self::err(p, e))
    }

    /// Reads a file that may legitimately be absent: `Ok(None)` when it does not exist.
    pub fn read_optional(&self, p: &str) -> Result<Option<String>, ReadError> {
        match self.read(p) {
            Ok(s) => Ok(Some(s)),
            Err(e) if e.source.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// The target of a symbolic link, as text (e.g. `pid:[4026531836]`).
    pub fn read_link(&self, p: &str) -> Result<String, ReadError> {
        std::fs::read_link(self.path(p))
            .map(|t| t.to_string_lossy().into_owned())
            .map_err(|e| Self::err(p, e))
    }

    /// Whether the path exists (without following a final symlink).
    pub fn exists(&self, p: &str) -> bool {
        std::fs::symlink_metadata(self.path(p)).is_ok()
    }
}

/// Opens `path` read-only, non-blocking and without taking a controlling
/// terminal. openat(2) is called directly: the C library's open() may add
/// an fcntl() for O_CLOEXEC (musl does), a syscall per file read.
fn open_for_reading(path: &Path) -> io::Result<File> {
    use std::os::fd::FromRawFd;
    use std::os::unix::ffi::OsStrExt;
    let c = std::ffi::CString::new(path.as_os_str().as_bytes())
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "a NUL byte in the path"))?;
    let flags = libc::O_RDONLY | libc::O_NONBLOCK | libc::O_NOCTTY | libc::O_CLOEXEC;
    // SAFETY: a valid NUL-terminated path; the result is checked before use.
    let fd = unsafe { libc::syscall(libc::SYS_openat, libc::AT_FDCWD, c.as_ptr(), flags, 0) };
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: a descriptor just opened and owned by nobody else.
    Ok(unsafe { File::from_raw_fd(fd as i32) })
}

/// Reads at most MAX_READ bytes. The first 4 KiB go to the stack, which is
/// enough for nearly every file read here and spares the allocator a grown
/// buffer per file; procfs may return a file in several short reads, so
/// reading goes on until end of file.
fn read_bounded(mut f: File) -> io::Result<String> {
    use std::io::Read;
    let mut first = [0u8; 4096];
    let mut n = 0;
    while n < first.len() {
        match f.read(&mut first[n..]) {
            Ok(0) => return Ok(text(first[..n].to_vec())),
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    let mut buf = first.to_vec();
    f.take(MAX_READ - n as u64).read_to_end(&mut buf)?;
    Ok(text(buf))
}

/// Bytes as text; invalid UTF-8 is replaced rather than rejected.
fn text(buf: Vec<u8>) -> String {
    match String::from_utf8(buf) {
        Ok(s) => s,
        Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
    }
}

/// What a file that is not a regular file is, for the error; `None` for a
/// regular file.
fn not_regular(t: FileType) -> Option<&'static str> {
    let what = if t.is_file() {
        return None;
    } else if t.is_fifo() {
        "a named pipe (FIFO)"
    } else if t.is_dir() {
        "a directory"
    } else if t.is_char_device() {
        "a character device"
    } else if t.is_block_device() {
        "a block device"
    } else if t.is_socket() {
        "a socket"
    } else {
        "a file of unknown type"
    };
    Some(what)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_joined_under_the_base() {
        let r = Root::new("/tmp/x");
        assert_eq!(
            r.path("/proc/self/status"),
            PathBuf::from("/tmp/x/proc/self/status")
        );
        assert!(!r.is_live());
        assert!(Root::live().is_live());
    }

    #[test]
    fn missing_files_name_their_path() {
        let r = Root::new("/nonexistent-whatami-root");
        let e = r.read("/proc/self/status").unwrap_err();
        assert_eq!(e.path, "/proc/self/status");
        assert!(e.to_string().starts_with("/proc/self/status: "));
        assert!(r.read_optional("/proc/self/status").unwrap().is_none());
    }

    /// A scratch directory for one test.
    fn tempdir(tag: &str) -> PathBuf {
        let d =
            std::env::temp_dir().join(format!("whatami-test-fsroot-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        d
    }

    /// Reads `p` on another thread and waits at most 10 s for the answer: a
    /// read that blocks fails the test instead of hanging it (the blocked
    /// thread ends with the test process).
    fn read_bounded(root: &Root, p: &str) -> Result<String, ReadError> {
        let (tx, rx) = std::sync::mpsc::channel();
        let (root, path) = (root.clone(), p.to_string());
        std::thread::spawn(move || {
            let _ = tx.send(root.read(&path));
        });
        rx.recv_timeout(std::time::Duration::from_secs(10))
            .unwrap_or_else(|_| panic!("reading {p} did not return within 10 s"))
    }

    #[test]
    fn anything_but_a_regular_file_is_refused_without_blocking() {
        let dir = tempdir("types");
        std::fs::create_dir_all(dir.join("etc")).unwrap();
        let fifo =
            std::ffi::CString::new(dir.join("etc/passwd").into_os_string().into_encoded_bytes())
                .unwrap();
        // SAFETY: a valid NUL-terminated path; mkfifo only creates the node.
        assert_eq!(unsafe { libc::mkfifo(fifo.as_ptr(), 0o600) }, 0);
        std::fs::create_dir_all(dir.join("run/.containerenv")).unwrap();
        // A character device without needing root to make one.
        std::os::unix::fs::symlink("/dev/null", dir.join("etc/hostname")).unwrap();
        std::fs::write(dir.join("etc/group"), "root:x:0:\n").unwrap();
        let r = Root::new(&dir);
        for (p, what) in [
            ("/etc/passwd", "a named pipe (FIFO)"),
            ("/run/.containerenv", "a directory"),
            ("/etc/hostname", "a character device"),
        ] {
            let e = read_bounded(&r, p).unwrap_err();
            assert_eq!(e.path, p);
            assert_eq!(e.to_string(), format!("{p}: not a regular file but {what}"));
            // Present but refused: an error, not "absent".
            assert!(r.read_optional(p).is_err(), "{p}");
        }
        assert_eq!(read_bounded(&r, "/etc/group").unwrap(), "root:x:0:\n");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn proc_and_sys_files_are_still_read() {
        let live = Root::live();
        assert!(live.read("/proc/self/status").unwrap().contains("Pid:"));
        assert!(!live.read("/proc/sys/kernel/osrelease").unwrap().is_empty());
    }
}
