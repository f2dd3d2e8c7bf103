//! A captured tree's stat table. Device nodes, sockets and paths that are
//! absent say as much as file contents (a /dev/kmsg, a docker.sock, a masked
//! /proc/kcore), but git cannot hold a device node or a socket, so a tree
//! captured from a container records them in a table, `STAT.txt` at the top
//! of the tree (tests/fixtures/README.md has the format). [`crate::fsroot::Root`]
//! answers from it for the paths it lists.

use crate::linux::stat::{FileKind, FileStat};
use std::collections::HashMap;

/// Most directory entries [`crate::fsroot::Root::list_dir`] returns: a /dev with more than
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
    /// What the table says of `path`: `Some(None)` when it was absent,
    /// `None` when the table does not list it.
    pub fn stat(&self, path: &str) -> Option<Option<FileStat>> {
        self.stats.get(path).copied()
    }

    /// The names in `dir` with their kinds, when the table lists it.
    pub fn listing(&self, dir: &str) -> Option<&[(String, FileKind)]> {
        self.listings.get(dir).map(Vec::as_slice)
    }

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

#[cfg(test)]
mod tests {
    use super::*;

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
}
