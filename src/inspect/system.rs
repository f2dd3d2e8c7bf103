//! System facts the other sections are read against: the kernel release
//! (which decides what the status file and the namespace links can hold),
//! the architecture whatami was built for (the native syscall ABI), and the
//! hostname of this uts namespace.
//!
//! The release is read from /proc/sys/kernel/osrelease rather than uname(2)
//! so that a captured tree reports the captured kernel.

use super::Shared;
use super::identity::read_hostname;
use crate::fsroot::Root;
use crate::model::System;

pub fn read(root: &Root, shared: &Shared) -> Result<System, String> {
    Ok(System {
        kernel_release: shared.release.clone()?,
        arch: std::env::consts::ARCH.to_string(),
        hostname: read_hostname(root)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn absent_files_are_unknown_values_not_errors() {
        let root = Root::new("/nonexistent-whatami-root");
        let s = read(&root, &Shared::read(&root)).unwrap();
        assert_eq!(s.kernel_release, None);
        assert_eq!(s.hostname, None);
        assert_eq!(s.arch, std::env::consts::ARCH);
    }

    #[test]
    fn live_system_has_a_release() {
        let s = read(&Root::live(), &Shared::read(&Root::live())).unwrap();
        let rel = s.kernel_release.unwrap();
        assert!(
            rel.chars().next().is_some_and(|c| c.is_ascii_digit()),
            "{rel}"
        );
        assert!(!rel.ends_with('\n'));
    }
}
