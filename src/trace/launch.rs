//! Starting the command under ptrace: find it as execvp would, fork, seize
//! the child before it executes anything, and let it go once the tracer is
//! ready.
//!
//! The child waits on a pipe until whatami has seized it, then calls
//! execve with whatami's environment. Its stdin, stdout and stderr are
//! whatami's, untouched; it gets back the default SIGPIPE (which the Rust
//! runtime ignores in whatami) and the SIGCHLD disposition whatami found.
//! If whatami dies before letting it go, the pipe closes and the child
//! exits without running anything.

use super::ptrace::{self, Waited};
use std::ffi::{CString, OsStr, OsString};
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// The program execvp would run for `cmd`: a name with a slash as it is,
/// otherwise the first regular file of that name in PATH that has an
/// execute bit, else the first one at all (whose execve then fails, traced).
pub fn resolve(cmd: &OsStr, path_var: Option<&OsStr>) -> Option<PathBuf> {
    if cmd.as_bytes().contains(&b'/') {
        let p = PathBuf::from(cmd);
        return std::fs::symlink_metadata(&p).is_ok().then_some(p);
    }
    if cmd.is_empty() {
        return None;
    }
    let default = OsString::from("/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
    let path_var = path_var.unwrap_or(&default);
    let mut first = None;
    for dir in path_var.as_bytes().split(|&b| b == b':') {
        let dir = if dir.is_empty() { b".".as_slice() } else { dir };
        let candidate = Path::new(OsStr::from_bytes(dir)).join(cmd);
        let Ok(m) = std::fs::metadata(&candidate) else {
            continue;
        };
        if !m.is_file() {
            continue;
        }
        if m.permissions().mode() & 0o111 != 0 {
            return Some(candidate);
        }
        first.get_or_insert(candidate);
    }
    first
}

/// A started, seized child in its first stop.
pub struct Launched {
    pub pid: libc::pid_t,
    go: Option<OwnedFd>,
}

impl Launched {
    /// Lets the child go on to execve.
    pub fn go(&mut self) {
        if let Some(fd) = self.go.take() {
            // SAFETY: writing one byte from a local to our own pipe.
            unsafe { libc::write(fd.as_raw_fd(), b"g".as_ptr().cast(), 1) };
        }
    }
}

fn cstring(b: &[u8]) -> io::Result<CString> {
    CString::new(b).map_err(|_| {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            "a NUL byte in the command line or environment",
        )
    })
}

/// Forks the command, seizes it and waits (bounded) for its first stop.
/// `sigchld` is the disposition whatami found, for the child to get back.
pub fn start(
    program: &Path,
    argv: &[OsString],
    sigchld: libc::sighandler_t,
) -> io::Result<Launched> {
    // Everything the child needs, prepared before the fork.
    let path = cstring(program.as_os_str().as_bytes())?;
    let args: Vec<CString> = argv
        .iter()
        .map(|a| cstring(a.as_bytes()))
        .collect::<io::Result<_>>()?;
    let env: Vec<CString> = std::env::vars_os()
        .map(|(k, v)| {
            let mut b = k.as_bytes().to_vec();
            b.push(b'=');
            b.extend_from_slice(v.as_bytes());
            cstring(&b)
        })
        .collect::<io::Result<_>>()?;
    let mut argp: Vec<*const libc::c_char> = args.iter().map(|a| a.as_ptr()).collect();
    argp.push(std::ptr::null());
    let mut envp: Vec<*const libc::c_char> = env.iter().map(|e| e.as_ptr()).collect();
    envp.push(std::ptr::null());

    let mut p = [-1; 2];
    // SAFETY: p has room for two descriptors.
    if unsafe { libc::pipe2(p.as_mut_ptr(), libc::O_CLOEXEC) } != 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: both descriptors were just created and belong to nobody else.
    let (r, w) = unsafe { (OwnedFd::from_raw_fd(p[0]), OwnedFd::from_raw_fd(p[1])) };
    // SAFETY: whatami is single-threaded; the child makes only direct libc
    // calls on the data prepared above, then executes the command or exits.
    let pid = unsafe { libc::fork() };
    if pid < 0 {
        return Err(io::Error::last_os_error());
    }
    if pid == 0 {
        // SAFETY: in the child: closing, reading our pipe, resetting two
        // signal dispositions, execve, _exit.
        unsafe {
            libc::close(w.as_raw_fd());
            let mut b = 0u8;
            let mut spins = crate::linux::io::Spins::default();
            let n = loop {
                let n = libc::read(r.as_raw_fd(), (&mut b as *mut u8).cast(), 1);
                if n < 0 && *libc::__errno_location() == libc::EINTR && spins.again() {
                    continue;
                }
                break n;
            };
            if n != 1 {
                // whatami is gone before letting it go: run nothing.
                libc::_exit(i32::from(crate::exit::UNTRACEABLE));
            }
            libc::signal(libc::SIGPIPE, libc::SIG_DFL);
            libc::signal(libc::SIGCHLD, sigchld);
            libc::execve(path.as_ptr(), argp.as_ptr(), envp.as_ptr());
            let e = std::io::Error::last_os_error().raw_os_error();
            libc::_exit(i32::from(
                if matches!(e, Some(libc::ENOENT | libc::ENOTDIR)) {
                    crate::exit::NOT_FOUND
                } else {
                    crate::exit::CANNOT_EXECUTE
                },
            ));
        }
    }
    drop(r);
    let fail = |e: io::Error| {
        // SAFETY: our own unreaped child.
        unsafe {
            libc::kill(pid, libc::SIGKILL);
            libc::waitpid(pid, std::ptr::null_mut(), libc::__WALL);
        }
        e
    };
    ptrace::seize(pid).map_err(fail)?;
    ptrace::interrupt(pid).map_err(fail)?;
    // The child is blocked on the pipe: its interrupt stop comes at once.
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        match ptrace::wait(pid, true) {
            Ok(Waited::Changed(_, st)) if libc::WIFSTOPPED(st) => break,
            Ok(Waited::Changed(_, _)) => {
                return Err(io::Error::other(
                    "the child ended before it could be traced",
                ));
            }
            Ok(Waited::Nothing | Waited::Interrupted) if Instant::now() < deadline => {
                std::thread::sleep(Duration::from_millis(1));
            }
            Ok(_) => {
                return Err(fail(io::Error::other(
                    "the child did not stop to be traced",
                )));
            }
            Err(e) => return Err(fail(e)),
        }
    }
    Ok(Launched { pid, go: Some(w) })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_are_found_as_execvp_would() {
        let path = OsStr::new("/nonexistent:/bin:/usr/bin");
        let sh = resolve(OsStr::new("sh"), Some(path)).expect("sh in /bin or /usr/bin");
        assert!(sh.ends_with("sh"));
        assert_eq!(
            resolve(OsStr::new("no-such-command-here"), Some(path)),
            None
        );
        assert_eq!(
            resolve(OsStr::new("/bin/sh"), None),
            Some(PathBuf::from("/bin/sh"))
        );
        assert_eq!(resolve(OsStr::new("./no/such"), None), None);
        assert_eq!(resolve(OsStr::new(""), None), None);
    }
}
