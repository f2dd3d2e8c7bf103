//! The running kernel's version, as whatami's own decisions need it (which
//! calls the kernel exempts from seccomp, what a profile resolves to).
//!
//! It is read from /proc/sys/kernel/osrelease rather than asked of uname(2):
//! the report reads the same file (of the root it inspects), and a
//! container's policy may answer uname with anything, which whatami's own
//! process should not have to trust or even make.

/// Longest release string read: the kernel's is at most 64 bytes.
const MAX_RELEASE: usize = 256;

/// Parses "6.18.44-fc" (or "5.10.0-23-amd64") into (major, minor).
pub fn parse_version(release: &str) -> Option<(u32, u32)> {
    let mut it = release.split(|c: char| !c.is_ascii_digit());
    let major = it.next()?.parse().ok()?;
    let minor = it.next()?.parse().ok()?;
    Some((major, minor))
}

/// The running kernel's (major, minor), from /proc/sys/kernel/osrelease;
/// `None` where /proc is missing or the release has no such shape.
pub fn version() -> Option<(u32, u32)> {
    let path = std::path::Path::new("/proc/sys/kernel/osrelease");
    let release = super::io::read_text(path, MAX_RELEASE).ok()?;
    parse_version(release.trim())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kernel_versions_parse() {
        assert_eq!(parse_version("6.18.44-fc-v595"), Some((6, 18)));
        assert_eq!(parse_version("5.10.0-23-amd64"), Some((5, 10)));
        assert_eq!(parse_version("4.4.0"), Some((4, 4)));
        assert_eq!(parse_version("garbage"), None);
        assert_eq!(parse_version(""), None);
    }

    #[test]
    fn the_running_kernel_is_read_as_uname_tells_it() {
        // SAFETY: utsname is plain data that uname fills; release is then a
        // NUL-terminated string inside it.
        let release = unsafe {
            let mut uts: libc::utsname = std::mem::zeroed();
            assert_eq!(libc::uname(&mut uts), 0);
            std::ffi::CStr::from_ptr(uts.release.as_ptr())
                .to_string_lossy()
                .into_owned()
        };
        assert_eq!(version(), parse_version(&release));
        assert!(version().is_some());
    }
}
