//! The one seam between whatami and the files it reads.
//!
//! Every probe that reads /proc, /sys, /run or /etc goes through a [`Root`],
//! so the same code reads the live system (`/`) or a tree captured from a real
//! container (tests/fixtures, `--root DIR`). Errors carry the path that failed.

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};

/// Files larger than this are cut: nothing whatami reads is legitimately this
/// big, and a hostile or broken file must not make it allocate without bound.
const MAX_READ: u64 = 4 << 20;

#[derive(Debug, Clone)]
pub struct Root {
    base: PathBuf,
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
        Root { base: base.into() }
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
    pub fn read(&self, p: &str) -> Result<String, ReadError> {
        use std::io::Read;
        let f = std::fs::File::open(self.path(p)).map_err(|e| Self::err(p, e))?;
        let mut buf = Vec::new();
        f.take(MAX_READ)
            .read_to_end(&mut buf)
            .map_err(|e| Self::err(p, e))?;
        Ok(match String::from_utf8(buf) {
            Ok(s) => s,
            Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
        })
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
}
