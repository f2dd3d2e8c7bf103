//! The size of the terminal a file descriptor is, when it is one
//! (TIOCGWINSZ).

use std::os::fd::AsRawFd;

/// The columns of the terminal `fd` is, 0 when it does not say (a serial
/// line, a pty nobody sized: crun's), or `None` when it is not a terminal.
pub fn columns(fd: &impl AsRawFd) -> Option<u16> {
    let mut ws = libc::winsize {
        ws_row: 0,
        ws_col: 0,
        ws_xpixel: 0,
        ws_ypixel: 0,
    };
    // SAFETY: TIOCGWINSZ only writes a struct winsize, which `ws` is, to
    // the pointer given; on a descriptor that is not a terminal it fails
    // with ENOTTY and writes nothing.
    let rc = unsafe { libc::ioctl(fd.as_raw_fd(), libc::TIOCGWINSZ, &mut ws) };
    (rc == 0).then_some(ws.ws_col)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_is_no_terminal() {
        let f = std::fs::File::open("/proc/self/status").unwrap();
        assert_eq!(columns(&f), None);
    }

    #[test]
    fn a_pty_says_the_size_it_was_given() {
        let (mut master, mut slave) = (0, 0);
        let ws = libc::winsize {
            ws_row: 24,
            ws_col: 132,
            ws_xpixel: 0,
            ws_ypixel: 0,
        };
        // SAFETY: openpty writes two descriptors to the pointers given and
        // reads the winsize; the name and termios pointers may be null.
        let rc = unsafe {
            libc::openpty(
                &mut master,
                &mut slave,
                std::ptr::null_mut(),
                std::ptr::null(),
                &ws,
            )
        };
        assert_eq!(rc, 0, "openpty: {}", std::io::Error::last_os_error());
        // SAFETY: both descriptors were just opened and are owned here alone.
        let (master, slave) = unsafe {
            use std::os::fd::{FromRawFd, OwnedFd};
            (OwnedFd::from_raw_fd(master), OwnedFd::from_raw_fd(slave))
        };
        assert_eq!(columns(&slave), Some(132));
        drop(master);
    }
}
