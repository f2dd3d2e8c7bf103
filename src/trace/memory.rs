//! Reading a stopped tracee's memory, always bounded: the strings and
//! structures a failing call pointed at, so the explanation can name the file
//! and show the flags.
//!
//! The reads go through /proc/PID/mem (one pread per page touched) rather
//! than process_vm_readv, which Docker's default profile refuses to
//! processes without CAP_SYS_PTRACE; where /proc is missing they fall back
//! to PTRACE_PEEKDATA, one word at a time. A tracee that exits mid-read, an
//! unmapped address or a string without its NUL only shortens the result.

use super::ptrace;
use std::fs::File;
use std::os::unix::fs::FileExt;

/// Longest path read (PATH_MAX).
pub const PATH_MAX: usize = 4096;
const PAGE: u64 = 4096;

/// How memory is read, decided once by the rehearsal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    ProcMem,
    Peek,
}

/// A reader for one tracee, opened lazily and dropped after one failure's
/// decoding (an exec replaces the address space behind an open file).
pub struct Reader {
    pid: libc::pid_t,
    method: Method,
    file: Option<Option<File>>,
}

impl Reader {
    pub fn new(pid: libc::pid_t, method: Method) -> Reader {
        Reader {
            pid,
            method,
            file: None,
        }
    }

    fn file(&mut self) -> Option<&File> {
        if self.file.is_none() {
            let f = match self.method {
                Method::ProcMem => File::open(format!("/proc/{}/mem", self.pid)).ok(),
                Method::Peek => None,
            };
            self.file = Some(f);
        }
        self.file.as_ref().and_then(|f| f.as_ref())
    }

    /// Up to `len` bytes at `addr`; fewer where the memory ends or cannot be read.
    pub fn read(&mut self, addr: u64, len: usize) -> Vec<u8> {
        let len = len.min(PATH_MAX * 2);
        let mut out = Vec::with_capacity(len);
        if addr == 0 {
            return out;
        }
        while out.len() < len {
            let at = addr.wrapping_add(out.len() as u64);
            // Never cross a page in one read: the next page may be unmapped.
            let in_page = (PAGE - at % PAGE) as usize;
            let want = in_page.min(len - out.len());
            let got = self.read_chunk(at, want);
            let short = got.len() < want;
            out.extend_from_slice(&got);
            if short {
                break;
            }
        }
        out
    }

    fn read_chunk(&mut self, at: u64, want: usize) -> Vec<u8> {
        let mut buf = vec![0u8; want];
        if let Some(f) = self.file() {
            return match f.read_at(&mut buf, at) {
                Ok(n) => {
                    buf.truncate(n);
                    buf
                }
                Err(_) => Vec::new(),
            };
        }
        // PTRACE_PEEKDATA reads aligned words.
        let mut out = Vec::with_capacity(want);
        let mut word_at = at & !7;
        while out.len() < want {
            let Ok(w) = ptrace::peek(self.pid, word_at) else {
                break;
            };
            let bytes = w.to_ne_bytes();
            let skip = if word_at < at {
                (at - word_at) as usize
            } else {
                0
            };
            for b in &bytes[skip..] {
                if out.len() < want {
                    out.push(*b);
                }
            }
            word_at += 8;
        }
        out
    }

    /// A NUL-terminated string at `addr`, at most `max` bytes: the bytes and
    /// whether the NUL was found within them.
    pub fn c_string(&mut self, addr: u64, max: usize) -> Option<(Vec<u8>, bool)> {
        if addr == 0 {
            return None;
        }
        let mut out = Vec::new();
        while out.len() < max {
            let at = addr.wrapping_add(out.len() as u64);
            let in_page = (PAGE - at % PAGE) as usize;
            let want = in_page.min(max - out.len()).min(256);
            let got = self.read_chunk(at, want);
            if let Some(nul) = got.iter().position(|&b| b == 0) {
                out.extend_from_slice(&got[..nul]);
                return Some((out, true));
            }
            if got.is_empty() {
                break;
            }
            let short = got.len() < want;
            out.extend_from_slice(&got);
            if short {
                break;
            }
        }
        if out.is_empty() {
            None
        } else {
            Some((out, false))
        }
    }

    /// An integer of `size` bytes (4 or 8) at `addr`, as the tracee stores it.
    pub fn int(&mut self, addr: u64, size: usize) -> Option<u64> {
        let b = self.read(addr, size);
        match (size, b.len()) {
            (4, 4) => Some(u64::from(u32::from_ne_bytes([b[0], b[1], b[2], b[3]]))),
            (8, 8) => Some(u64::from_ne_bytes([
                b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7],
            ])),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_own_memory_through_proc() {
        // A process may read its own /proc/self/mem.
        let text = b"whatami\0rest";
        // SAFETY: getpid has no side effect.
        let pid = unsafe { libc::getpid() };
        let mut r = Reader::new(pid, Method::ProcMem);
        let addr = text.as_ptr() as u64;
        let (s, nul) = r.c_string(addr, 64).unwrap();
        assert_eq!((s.as_slice(), nul), (&b"whatami"[..], true));
        let (s, nul) = r.c_string(addr, 3).unwrap();
        assert_eq!((s.as_slice(), nul), (&b"wha"[..], false));
        assert_eq!(r.read(addr, 4), b"what");
        assert!(r.c_string(0, 10).is_none());
        let n: u64 = 0x1122_3344_5566_7788;
        assert_eq!(r.int(&n as *const u64 as u64, 8), Some(n));
        // An unmapped address gives nothing, not an error.
        assert!(r.read(8, 16).is_empty());
    }

    #[test]
    fn a_process_that_is_gone_reads_as_nothing() {
        // pid_max is at most 2^22: this pid cannot exist.
        for method in [Method::ProcMem, Method::Peek] {
            let mut r = Reader::new(0x7fff_fff0, method);
            assert!(r.read(0x1000, 64).is_empty());
            assert!(r.c_string(0x1000, 64).is_none());
            assert_eq!(r.int(0x1000, 8), None);
        }
    }
}
