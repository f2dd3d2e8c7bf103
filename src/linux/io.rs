//! Bounded I/O on descriptors and files the container can make misbehave:
//! the one retry rule for EINTR and EAGAIN, the one writer of whatami's own
//! output (stdout, stderr), and the one reader of a file by path.
//!
//! A seccomp policy chooses what every call of whatami's returns. One that
//! answers EINTR to `write` or `read` makes the standard library's
//! `write_all` and `read_to_end` retry forever (they treat EINTR as "try
//! again" without a count); an EAGAIN on a descriptor left non-blocking
//! does the same to a plain loop. Here a call is retried at most
//! [`MAX_RETRIES`] times in a row without progress, an EAGAIN first waits
//! for the descriptor (at most [`READY_WAIT`]), and what could not be done
//! becomes an error that says so, which no caller retries again.
//!
//! The standard library's stdout and stderr also call a closed descriptor
//! (EBADF) a success, and its runtime opens /dev/null on a standard
//! descriptor that was closed at start: `whatami >&-` would end with 0 and
//! no report. whatami starts without that runtime (main.rs); here
//! [`standard_fds`] puts a placeholder on a closed one, as the runtime
//! would (so that no file whatami opens takes its number and receives the
//! report), and remembers it, so the writer reports EBADF for it.

use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// Calls retried in a row without progress (EINTR, or EAGAIN although poll
/// said the descriptor was ready) before whatami gives up on them.
pub const MAX_RETRIES: u32 = 64;
/// Longest wait for a descriptor that answered EAGAIN to become ready.
pub const READY_WAIT: Duration = Duration::from_secs(5);

/// A loop's count of consecutive calls that made no progress (EINTR, a
/// failed poll, EAGAIN): a wait that retries must stop once
/// [`MAX_RETRIES`] are spent, whatever the policy answers.
#[derive(Debug, Default)]
pub struct Spins(u32);

impl Spins {
    /// One more fruitless call: whether the loop may try again.
    pub fn again(&mut self) -> bool {
        self.0 += 1;
        self.0 < MAX_RETRIES
    }

    /// The call made progress: the count starts over.
    pub fn reset(&mut self) {
        self.0 = 0;
    }
}

/// Runs `call` (one raw call: a negative result means failure, with errno
/// set) again while it fails with EINTR, or EAGAIN once `fd` is ready for
/// `events` (POLLIN, POLLOUT), at most [`MAX_RETRIES`] times in a row. The
/// error once the bound is reached names `what` and the errno; its kind is
/// never `Interrupted` or `WouldBlock`, so no caller loops on it again.
pub fn retry(
    what: &str,
    fd: RawFd,
    events: libc::c_short,
    mut call: impl FnMut() -> isize,
) -> io::Result<usize> {
    let mut last = 0;
    for _ in 0..MAX_RETRIES {
        let n = call();
        if n >= 0 {
            return Ok(n as usize);
        }
        let e = io::Error::last_os_error();
        last = e.raw_os_error().unwrap_or(0);
        match last {
            libc::EINTR => {}
            libc::EAGAIN => {
                let mut pfd = libc::pollfd {
                    fd,
                    events,
                    revents: 0,
                };
                // SAFETY: one pollfd on the stack; poll only writes revents.
                let r = unsafe { libc::poll(&mut pfd, 1, READY_WAIT.as_millis() as libc::c_int) };
                if r == 0 {
                    return Err(io::Error::new(
                        io::ErrorKind::TimedOut,
                        format!("{what}: not ready within {} s", READY_WAIT.as_secs()),
                    ));
                }
            }
            _ => return Err(e),
        }
    }
    Err(io::Error::other(format!(
        "{what}: {} {MAX_RETRIES} times in a row",
        super::errno::name(last as u32)
    )))
}

/// Whether stdin, stdout and stderr were closed when whatami started.
static CLOSED: [AtomicBool; 3] = [const { AtomicBool::new(false) }; 3];

/// Puts a placeholder on each of stdin, stdout and stderr that is closed
/// (/dev/null, as the standard library's runtime does; "/" where there is
/// no /dev/null: a directory, which reads and writes refuse) and remembers
/// which were: writes to those through [`Out`] fail with EBADF. Called once,
/// first thing in `main`.
pub fn standard_fds() {
    for fd in 0..3 {
        // SAFETY: F_GETFD only asks whether the descriptor is open.
        if unsafe { libc::fcntl(fd, libc::F_GETFD) } != -1 {
            continue;
        }
        CLOSED[fd as usize].store(true, Ordering::Relaxed);
        for (path, flags) in [(c"/dev/null", libc::O_RDWR), (c"/", libc::O_RDONLY)] {
            // SAFETY: a constant path; the descriptor is checked and kept as
            // the placeholder (or closed when it landed elsewhere).
            let got = unsafe { libc::open(path.as_ptr(), flags | libc::O_NOCTTY) };
            if got < 0 {
                continue;
            }
            if got != fd {
                // SAFETY: our own descriptors; dup2 onto the closed number.
                unsafe {
                    libc::dup2(got, fd);
                    libc::close(got);
                }
            }
            break;
        }
    }
}

/// A descriptor whatami writes its output to (stdout, stderr, a file),
/// borrowed: dropping it closes nothing. Unbuffered; wrap it in a
/// `BufWriter` to write in few calls.
#[derive(Debug, Clone, Copy)]
pub struct Out(pub RawFd);

impl Out {
    pub fn stdout() -> Out {
        Out(libc::STDOUT_FILENO)
    }
    pub fn stderr() -> Out {
        Out(libc::STDERR_FILENO)
    }
}

impl io::Write for Out {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let fd = self.0;
        if (0..3).contains(&fd) && CLOSED[fd as usize].load(Ordering::Relaxed) {
            return Err(io::Error::from_raw_os_error(libc::EBADF));
        }
        retry("write", fd, libc::POLLOUT, || {
            // SAFETY: writes from a live buffer of the length given.
            unsafe { libc::write(fd, buf.as_ptr().cast(), buf.len()) }
        })
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// A message for the user on stderr, with a newline, written with the
/// bounded retries of [`Out`]; a stderr that takes nothing loses it.
pub fn warn(msg: &str) {
    let mut line = String::with_capacity(msg.len() + 1);
    line.push_str(msg);
    line.push('\n');
    let _ = io::Write::write_all(&mut Out::stderr(), line.as_bytes());
}

/// Reads up to `buf.len()` bytes from `fd` with the bounded retries.
pub fn read_fd(fd: RawFd, buf: &mut [u8]) -> io::Result<usize> {
    retry("read", fd, libc::POLLIN, || {
        // SAFETY: reads into a live buffer of the length given.
        unsafe { libc::read(fd, buf.as_mut_ptr().cast(), buf.len()) }
    })
}

/// Opens `path` read-only, non-blocking and without taking a controlling
/// terminal: a named pipe without a writer opens at once instead of never.
/// openat(2) is called directly: the C library's open() may add an fcntl()
/// for O_CLOEXEC (musl does), a syscall per file read.
pub fn open_read(path: &Path) -> io::Result<OwnedFd> {
    use std::os::unix::ffi::OsStrExt;
    let c = std::ffi::CString::new(path.as_os_str().as_bytes())
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "a NUL byte in the path"))?;
    let flags = libc::O_RDONLY | libc::O_NONBLOCK | libc::O_NOCTTY | libc::O_CLOEXEC;
    let fd = retry("open", -1, 0, || {
        // SAFETY: a valid NUL-terminated path; the result is checked.
        unsafe { libc::syscall(libc::SYS_openat, libc::AT_FDCWD, c.as_ptr(), flags, 0) as isize }
    })?;
    // SAFETY: a descriptor just opened and owned by nobody else.
    Ok(unsafe { OwnedFd::from_raw_fd(fd as RawFd) })
}

/// An output file named on the command line, opened to be written through:
/// created if missing, never blocking (a named pipe without a reader is an
/// error at once, not a wait), never truncated here. `regular` says whether
/// it is a regular file (which the caller may truncate); a character device
/// (/dev/null, a terminal) or a pipe is written as it is. A directory or a
/// socket is refused with an error saying what it is.
pub struct OutputFile {
    pub fd: OwnedFd,
    pub regular: bool,
}

impl OutputFile {
    pub fn open(path: &Path) -> io::Result<OutputFile> {
        use std::os::unix::ffi::OsStrExt;
        let c = std::ffi::CString::new(path.as_os_str().as_bytes())
            .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "a NUL byte in the path"))?;
        let flags =
            libc::O_WRONLY | libc::O_CREAT | libc::O_NONBLOCK | libc::O_NOCTTY | libc::O_CLOEXEC;
        let fd = retry("open", -1, 0, || {
            // SAFETY: a valid NUL-terminated path; the result is checked.
            unsafe {
                libc::syscall(libc::SYS_openat, libc::AT_FDCWD, c.as_ptr(), flags, 0o666) as isize
            }
        })
        .map_err(|e| match e.raw_os_error() {
            Some(libc::ENXIO) => io::Error::new(
                io::ErrorKind::InvalidInput,
                "a named pipe without a reader, or a socket: nothing to write to",
            ),
            _ => e,
        })?;
        // SAFETY: a descriptor just opened and owned by nobody else.
        let fd = unsafe { OwnedFd::from_raw_fd(fd as RawFd) };
        let mode = mode_of(&fd)?;
        match mode & libc::S_IFMT {
            libc::S_IFREG => Ok(OutputFile { fd, regular: true }),
            libc::S_IFCHR | libc::S_IFIFO => Ok(OutputFile { fd, regular: false }),
            _ => Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!(
                    "not a file to write to but {}",
                    not_regular(mode).unwrap_or("?")
                ),
            )),
        }
    }

    /// Writes `text` as the whole content: a regular file is truncated
    /// first; anything else is written as it is.
    pub fn replace_with(&self, text: &[u8]) -> io::Result<()> {
        if self.regular {
            // SAFETY: a descriptor we own.
            if unsafe { libc::ftruncate(self.fd.as_raw_fd(), 0) } != 0 {
                return Err(io::Error::last_os_error());
            }
        }
        io::Write::write_all(&mut self.out(), text)
    }

    /// The writer of this file, with the bounded retries.
    pub fn out(&self) -> Out {
        Out(self.fd.as_raw_fd())
    }
}

/// What a file that is not a regular file is, for an error; `None` for a
/// regular file.
pub fn not_regular(mode: u32) -> Option<&'static str> {
    Some(match mode & libc::S_IFMT {
        libc::S_IFREG => return None,
        libc::S_IFIFO => "a named pipe (FIFO)",
        libc::S_IFDIR => "a directory",
        libc::S_IFCHR => "a character device",
        libc::S_IFBLK => "a block device",
        libc::S_IFSOCK => "a socket",
        _ => "a file of unknown type",
    })
}

/// The mode of an open descriptor (fstat).
pub fn mode_of(fd: &OwnedFd) -> io::Result<u32> {
    // SAFETY: `stat` is plain data that fstat fills; zeroed is a valid value.
    let mut st: libc::stat = unsafe { std::mem::zeroed() };
    // SAFETY: a descriptor we own and a stat buffer of the right type.
    if unsafe { libc::fstat(fd.as_raw_fd(), &mut st) } != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(st.st_mode)
}

/// Reads the regular file at `path`, at most `max` bytes, as text (invalid
/// UTF-8 replaced). The open never blocks ([`open_read`]); anything but a
/// regular file (checked on the open descriptor, so a path swapped in
/// between is caught too) is refused with an `InvalidInput` error saying
/// what it is; every read is bounded ([`retry`]). The first 4 KiB go to the
/// stack, which is enough for nearly every file whatami reads and spares
/// the allocator a grown buffer per file; procfs may return a file in
/// several short reads, so reading goes on until end of file or `max`.
pub fn read_text(path: &Path, max: usize) -> io::Result<String> {
    read_bytes(path, max).map(text)
}

/// [`read_text`]'s bytes, as they are.
pub fn read_bytes(path: &Path, max: usize) -> io::Result<Vec<u8>> {
    let fd = open_read(path)?;
    if let Some(what) = not_regular(mode_of(&fd)?) {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("not a regular file but {what}"),
        ));
    }
    let raw = fd.as_raw_fd();
    let mut first = [0u8; 4096];
    let mut n = 0;
    let cap = first.len().min(max);
    while n < cap {
        match read_fd(raw, &mut first[n..cap])? {
            0 => return Ok(first[..n].to_vec()),
            k => n += k,
        }
    }
    let mut buf = first[..n].to_vec();
    while buf.len() < max {
        let start = buf.len();
        let want = (max - start).min(64 << 10);
        buf.resize(start + want, 0);
        let k = read_fd(raw, &mut buf[start..])?;
        buf.truncate(start + k);
        if k == 0 {
            break;
        }
    }
    Ok(buf)
}

/// Files larger than this are cut: nothing whatami reads from /proc, /sys
/// or a container's /etc is legitimately this big, and a hostile or broken
/// file must not make it allocate without bound.
pub const MAX_READ: usize = 4 << 20;

/// [`read_text`] with the bound of [`MAX_READ`]: how /proc files (the
/// tracee's, whatami's own) are read.
pub fn read_file(path: impl AsRef<Path>) -> io::Result<String> {
    read_text(path.as_ref(), MAX_READ)
}

/// Bytes as text; invalid UTF-8 is replaced rather than rejected.
fn text(buf: Vec<u8>) -> String {
    match String::from_utf8(buf) {
        Ok(s) => s,
        Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::Cell;

    fn fail_with(errno: i32) -> isize {
        // SAFETY: sets this thread's errno, as a failed call would.
        unsafe { *libc::__errno_location() = errno };
        -1
    }

    #[test]
    fn eintr_is_retried_a_bounded_number_of_times() {
        let calls = Cell::new(0);
        let e = retry("write", -1, libc::POLLOUT, || {
            calls.set(calls.get() + 1);
            fail_with(libc::EINTR)
        })
        .unwrap_err();
        assert_eq!(calls.get(), MAX_RETRIES);
        assert_eq!(
            e.to_string(),
            format!("write: EINTR {MAX_RETRIES} times in a row")
        );
        assert!(!matches!(
            e.kind(),
            io::ErrorKind::Interrupted | io::ErrorKind::WouldBlock
        ));
        // A call that succeeds after a few interruptions succeeds.
        calls.set(0);
        let n = retry("read", -1, libc::POLLIN, || {
            calls.set(calls.get() + 1);
            if calls.get() < 3 {
                fail_with(libc::EINTR)
            } else {
                7
            }
        });
        assert_eq!(n.unwrap(), 7);
        // Any other error is returned at once.
        calls.set(0);
        let e = retry("read", -1, libc::POLLIN, || {
            calls.set(calls.get() + 1);
            fail_with(libc::EBADF)
        })
        .unwrap_err();
        assert_eq!((calls.get(), e.raw_os_error()), (1, Some(libc::EBADF)));
    }

    #[test]
    fn eagain_waits_for_the_descriptor_and_is_bounded_too() {
        // A pipe with room to write: poll says ready at once, so a call that
        // answers EAGAIN regardless is retried MAX_RETRIES times, no more.
        let (_r, w) = nix::unistd::pipe().unwrap();
        let calls = Cell::new(0);
        let e = retry("write", w.as_raw_fd(), libc::POLLOUT, || {
            calls.set(calls.get() + 1);
            fail_with(libc::EAGAIN)
        })
        .unwrap_err();
        assert_eq!(calls.get(), MAX_RETRIES);
        assert!(e.to_string().starts_with("write: EAGAIN"), "{e}");
    }

    #[test]
    fn a_closed_descriptor_is_an_error_not_a_success() {
        let (r, w) = nix::unistd::pipe().unwrap();
        let fd = w.as_raw_fd();
        drop(w);
        drop(r);
        let e = io::Write::write(&mut Out(fd), b"x").unwrap_err();
        assert_eq!(e.raw_os_error(), Some(libc::EBADF));
    }

    #[test]
    fn output_files_are_written_through_and_never_block() {
        let dir = std::env::temp_dir().join(format!("whatami-test-out-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let f = dir.join("f");
        std::fs::write(&f, "old content, longer").unwrap();
        let o = OutputFile::open(&f).unwrap();
        assert!(o.regular);
        o.replace_with(b"new").unwrap();
        assert_eq!(std::fs::read_to_string(&f).unwrap(), "new");
        let null = OutputFile::open(Path::new("/dev/null")).unwrap();
        assert!(!null.regular);
        null.replace_with(b"x").unwrap();
        let fifo = dir.join("fifo");
        nix::unistd::mkfifo(&fifo, nix::sys::stat::Mode::from_bits_truncate(0o600)).unwrap();
        let e = OutputFile::open(&fifo).err().unwrap();
        assert!(
            e.to_string().starts_with("a named pipe without a reader"),
            "{e}"
        );
        let e = OutputFile::open(&dir).err().unwrap();
        assert_eq!(e.raw_os_error(), Some(libc::EISDIR));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn files_are_read_within_their_bound_and_only_regular_ones() {
        let dir = std::env::temp_dir().join(format!("whatami-test-io-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let big = dir.join("big");
        std::fs::write(&big, "x".repeat(100_000)).unwrap();
        assert_eq!(read_text(&big, 10).unwrap(), "x".repeat(10));
        assert_eq!(read_text(&big, 5000).unwrap().len(), 5000);
        assert_eq!(read_text(&big, 1 << 20).unwrap().len(), 100_000);
        let fifo = dir.join("fifo");
        nix::unistd::mkfifo(&fifo, nix::sys::stat::Mode::from_bits_truncate(0o600)).unwrap();
        // Opened without blocking, then refused.
        let e = read_text(&fifo, 100).unwrap_err();
        assert_eq!(e.to_string(), "not a regular file but a named pipe (FIFO)");
        let e = read_text(Path::new("/dev/null"), 100).unwrap_err();
        assert_eq!(e.to_string(), "not a regular file but a character device");
        assert!(
            read_text(Path::new("/proc/self/status"), 1 << 20)
                .unwrap()
                .contains("Pid:")
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
