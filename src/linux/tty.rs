//! The size of the terminal a file descriptor is, when it is one
//! (TIOCGWINSZ).

use std::os::fd::AsRawFd;

/// The columns of the terminal `fd` is, or `None` when it is not a
/// terminal or the terminal does not say (0 columns: a serial line, a pty
/// nobody sized).
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
    (rc == 0 && ws.ws_col > 0).then_some(ws.ws_col)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_is_no_terminal() {
        let f = std::fs::File::open("/proc/self/status").unwrap();
        assert_eq!(columns(&f), None);
    }
}
