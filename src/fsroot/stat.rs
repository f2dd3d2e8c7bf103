//! What a path is, without opening it: stat(2) of a known path, and the
//! names in one directory.
//!
//! Device nodes, sockets and paths that are absent say as much as file
//! contents (a /dev/kmsg, a docker.sock, a masked /proc/kcore), but git
//! cannot hold a device node or a socket, so a tree captured from a
//! container records them in a table, `STAT.txt` at the top of the tree
//! (tests/fixtures/README.md has the format). For a captured tree the table
//! answers for the paths it lists; every other path is looked up in the tree
//! itself, as on the live system.
//!
//! Nothing here opens a file, reads a directory other than the one named, or
//! follows a path into an automount point: stat is `fstatat(...,
//! AT_NO_AUTOMOUNT)`, so looking at a path never mounts anything.

use super::{ReadError, Root};
use crate::linux::stat::{FileKind, FileStat};
use std::collections::HashMap;
use std::ffi::CString;
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::FileTypeExt;

/// Most directory entries [`Root::list_dir`] returns: a /dev with more than
/// this is cut, not read without end.
pub const MAX_ENTRIES: usize = 4096;

/// The name of the table of special files at the top of a captured tree.
pub const STAT_TABLE: &str = "STAT.txt";

/// The kind a word of the stat table names.
fn kind_of_word(w: &str) -> Option<FileKind> {
    Some(match w {
        "file" => FileKind::Regular,
        "dir" => FileKind::Directory,
        "char" => FileKind::CharDevice,
        "block" => FileKind::BlockDevice,
        "socket" => FileKind::Socket,
        "fifo" => FileKind::Fifo,
        "link" => FileKind::Symlink,
        "other" => FileKind::Other,
        _ => return None,
    })
}

/// The parsed `STAT.txt` of a captured tree.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StatTable {
    /// Path → its stat, or `None` when it was absent.
    stats: HashMap<String, Option<FileStat>>,
    /// Directory → the names in it with their kinds (not following links).
    listings: HashMap<String, Vec<(String, FileKind)>>,
}

impl StatTable {
    /// Parses the table; lines that do not have one of its shapes are
    /// skipped, so a damaged table costs only its damaged lines.
    ///
    /// ```text
    /// stat    PATH  KIND  MAJOR:MINOR  MODE(octal)  UID
    /// stat    PATH  absent
    /// listed  DIR
    /// entry   DIR   NAME  KIND
    /// ```
    pub fn parse(text: &str) -> StatTable {
        let mut t = StatTable::default();
        for line in text.lines() {
            let f: Vec<&str> = line.split('\t').collect();
            match f.as_slice() {
                ["stat", path, "absent"] => {
                    t.stats.insert(path.to_string(), None);
                }
                ["stat", path, kind, dev, mode, uid] => {
                    let Some(kind) = kind_of_word(kind) else {
                        continue;
                    };
                    let Some((ma, mi)) = dev.split_once(':') else {
                        continue;
                    };
                    let (Ok(ma), Ok(mi), Ok(mode), Ok(uid)) = (
                        ma.parse::<u32>(),
                        mi.parse::<u32>(),
                        u32::from_str_radix(mode, 8),
                        uid.parse::<u32>(),
                    ) else {
                        continue;
                    };
                    // The table keeps no group and no device of its own:
                    // nothing that reads a captured tree asks for them.
                    t.stats.insert(
                        path.to_string(),
                        Some(FileStat {
                            mode: kind.mode_bits() | (mode & 0o7777),
                            uid,
                            gid: 0,
                            dev: (0, 0),
                            rdev: (ma, mi),
                        }),
                    );
                }
                ["listed", dir] => {
                    t.listings.entry(dir.to_string()).or_default();
                }
                ["entry", dir, name, kind] if !name.is_empty() && !name.contains('/') => {
                    let Some(kind) = kind_of_word(kind) else {
                        continue;
                    };
                    let list = t.listings.entry(dir.to_string()).or_default();
                    if list.len() < MAX_ENTRIES {
                        list.push((name.to_string(), kind));
                    }
                }
                _ => {}
            }
        }
        t
    }
}

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
        if let Some(s) = self.stat_table().and_then(|t| t.stats.get(p)) {
            return Ok(*s);
        }
        let c = CString::new(self.path(p).as_os_str().as_bytes()).map_err(|_| ReadError {
            path: p.to_string(),
            source: io::Error::new(io::ErrorKind::InvalidInput, "a NUL byte in the path"),
        })?;
        // SAFETY: `stat` is plain data that fstatat fills; zeroed is a valid value.
        let mut st: libc::stat = unsafe { std::mem::zeroed() };
        // SAFETY: a valid NUL-terminated path and a stat buffer of the right
        // type; fstatat only writes into the buffer.
        let r =
            unsafe { libc::fstatat(libc::AT_FDCWD, c.as_ptr(), &mut st, libc::AT_NO_AUTOMOUNT) };
        if r != 0 {
            let e = io::Error::last_os_error();
            return match e.raw_os_error() {
                Some(libc::ENOENT) | Some(libc::ENOTDIR) => Ok(None),
                _ => Err(ReadError {
                    path: p.to_string(),
                    source: e,
                }),
            };
        }
        Ok(Some(FileStat::from_stat(&st)))
    }

    /// The names in one directory with their types (links not followed),
    /// sorted, at most [`MAX_ENTRIES`]. Only that directory is read.
    pub fn list_dir(&self, p: &str) -> Result<Vec<(String, FileKind)>, ReadError> {
        if let Some(list) = self.stat_table().and_then(|t| t.listings.get(p)) {
            let mut list = list.clone();
            list.sort();
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
        out.sort();
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
    fn a_table_answers_for_what_it_lists_and_skips_damaged_lines() {
        let t = StatTable::parse(
            "stat\t/dev/kmsg\tchar\t1:11\t644\t0\n\
             stat\t/run/docker.sock\tsocket\t0:0\t660\t0\n\
             stat\t/proc/kcore\tabsent\n\
             stat\t/bad\tchar\tx:1\t644\t0\n\
             stat\t/bad2\tweird\t1:1\t644\t0\n\
             stat\t/bad3\tchar\t1:1\t999\t0\n\
             listed\t/dev\n\
             entry\t/dev\tnull\tchar\n\
             entry\t/dev\tcore\tlink\n\
             entry\t/dev\ta/b\tchar\n\
             entry\t/dev\t\tchar\n\
             garbage\n\n\t\t\t",
        );
        assert_eq!(t.stats.len(), 3, "{t:?}");
        assert_eq!(
            t.stats["/dev/kmsg"],
            Some(FileStat {
                mode: libc::S_IFCHR | 0o644,
                uid: 0,
                gid: 0,
                dev: (0, 0),
                rdev: (1, 11),
            })
        );
        assert_eq!(t.stats["/proc/kcore"], None);
        assert_eq!(t.listings["/dev"].len(), 2);
        assert_eq!(StatTable::parse(""), StatTable::default());
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
