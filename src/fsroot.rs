//! The one seam between whatami and the files it reads.
//!
//! Every probe that reads /proc, /sys, /run or /etc goes through a [`Root`],
//! so the same code reads the live system (`/`) or a tree captured from a real
//! container (tests/fixtures, `--root DIR`). Errors carry the path that failed.
//!
//! Only regular files are read. Every path read here is one the container
//! controls, and a named pipe there would block a plain open() forever, a
//! device node could act when opened: see [`Root::read`].
//!
//! What a path is, without opening it, is asked too: stat(2) of a known
//! path, and the names in one directory. For a captured tree its stat table
//! (stat.rs) answers for the paths it lists; every other path is looked up
//! in the tree itself, as on the live system. Nothing here opens a file,
//! reads a directory other than the one named, or follows a path into an
//! automount point: stat is `fstatat(..., AT_NO_AUTOMOUNT)`, so looking at a
//! path never mounts anything.

use crate::linux::io as io_bounded;
use crate::linux::stat::{FileKind, FileStat};
use std::fmt;
use std::fs::FileType;
use std::io;
use std::os::unix::fs::FileTypeExt;
use std::path::{Path, PathBuf};

mod stat;
pub use stat::{MAX_ENTRIES, STAT_TABLE, StatTable};

use io_bounded::MAX_READ;

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
        // Opened non-blocking, its type checked again on the descriptor,
        // every read bounded (linux/io.rs).
        io_bounded::read_text(&path, MAX_READ).map_err(|e| Self::err(p, e))
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

// What a path is, without opening it.
impl Root {
    /// The captured tree's stat table, read once; `None` for the live
    /// system and for a tree without one.
    fn stat_table(&self) -> Option<&StatTable> {
        if self.is_live() {
            return None;
        }
        self.stat_table
            .get_or_init(|| {
                self.read_optional(&format!("/{STAT_TABLE}"))
                    .ok()
                    .flatten()
                    .map(|t| std::sync::Arc::new(StatTable::parse(&t)))
            })
            .as_deref()
    }

    /// Whether [`stat`](Self::stat) saying "absent" can be trusted for any
    /// path: on the live system, and in a captured tree that has a stat
    /// table (the capture stats every path whatami asks about). In a tree
    /// without one, only what was copied is there.
    pub fn stat_is_complete(&self) -> bool {
        self.is_live() || self.stat_table().is_some()
    }

    /// stat(2) of a path inside the root, following symbolic links but
    /// never triggering an automount: `Ok(None)` when it does not exist.
    pub fn stat(&self, p: &str) -> Result<Option<FileStat>, ReadError> {
        if let Some(s) = self.stat_table().and_then(|t| t.stat(p)) {
            return Ok(s);
        }
        FileStat::at(&self.path(p)).map_err(|source| ReadError {
            path: p.to_string(),
            source,
        })
    }

    /// The names in one directory with their types (links not followed),
    /// sorted, at most [`MAX_ENTRIES`]. Only that directory is read.
    pub fn list_dir(&self, p: &str) -> Result<Vec<(String, FileKind)>, ReadError> {
        if let Some(list) = self.stat_table().and_then(|t| t.listing(p)) {
            let mut list = list.to_vec();
            crate::sort::sort(&mut list);
            return Ok(list);
        }
        let err = |source| ReadError {
            path: p.to_string(),
            source,
        };
        let mut out = Vec::new();
        for entry in std::fs::read_dir(self.path(p)).map_err(err)? {
            if out.len() >= MAX_ENTRIES {
                break;
            }
            let Ok(entry) = entry else { continue };
            // The entry's type comes from the directory itself (d_type) on
            // the file systems /dev lives on; std falls back to lstat.
            let kind = match entry.file_type() {
                Ok(t) if t.is_symlink() => FileKind::Symlink,
                Ok(t) if t.is_dir() => FileKind::Directory,
                Ok(t) if t.is_file() => FileKind::Regular,
                Ok(t) if t.is_char_device() => FileKind::CharDevice,
                Ok(t) if t.is_block_device() => FileKind::BlockDevice,
                Ok(t) if t.is_socket() => FileKind::Socket,
                Ok(t) if t.is_fifo() => FileKind::Fifo,
                _ => FileKind::Other,
            };
            out.push((entry.file_name().to_string_lossy().into_owned(), kind));
        }
        crate::sort::sort(&mut out);
        Ok(out)
    }
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

    #[test]
    fn the_live_system_is_stat_without_a_table() {
        let live = Root::live();
        let null = live.stat("/dev/null").unwrap().unwrap();
        assert_eq!((null.kind(), null.rdev), (FileKind::CharDevice, (1, 3)));
        assert_eq!(
            live.stat("/proc").unwrap().unwrap().kind(),
            FileKind::Directory
        );
        assert_eq!(live.stat("/nonexistent-whatami/x").unwrap(), None);
        // A path through a regular file is absent, not an error.
        assert_eq!(live.stat("/proc/self/status/x").unwrap(), None);
        let names = live.list_dir("/proc/self").unwrap();
        assert!(names.contains(&("status".to_string(), FileKind::Regular)));
        assert!(names.contains(&("exe".to_string(), FileKind::Symlink)));
        assert!(live.list_dir("/nonexistent-whatami").is_err());
    }

    #[test]
    fn a_captured_tree_uses_its_table_then_itself() {
        let dir = std::env::temp_dir().join(format!("whatami-test-stat-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("etc")).unwrap();
        std::fs::write(dir.join("etc/hostname"), "x\n").unwrap();
        std::fs::write(
            dir.join(STAT_TABLE),
            "stat\t/dev/mem\tchar\t1:1\t640\t0\nlisted\t/dev\nentry\t/dev\tmem\tchar\n",
        )
        .unwrap();
        let r = Root::new(&dir);
        assert_eq!(r.stat("/dev/mem").unwrap().unwrap().rdev, (1, 1));
        assert_eq!(
            r.stat("/etc/hostname").unwrap().unwrap().kind(),
            FileKind::Regular
        );
        assert_eq!(r.stat("/dev/kmsg").unwrap(), None);
        assert_eq!(
            r.list_dir("/dev").unwrap(),
            vec![("mem".to_string(), FileKind::CharDevice)]
        );
        assert_eq!(r.list_dir("/etc").unwrap().len(), 1);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
