//! System facts the other sections are read against: the kernel release
//! (which decides what the status file and the namespace links can hold)
//! and the architecture whatami was built for (the native syscall ABI).
//!
//! The release is read (once, into [`Shared`]) from
//! /proc/sys/kernel/osrelease rather than uname(2) so that a captured tree
//! reports the captured kernel. The hostname is part of the identity.

use super::shared::Shared;
use crate::model::System;

pub fn read(shared: &Shared) -> Result<System, String> {
    Ok(System {
        kernel_release: shared.release.clone()?,
        arch: std::env::consts::ARCH.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fsroot::Root;

    #[test]
    fn absent_files_are_unknown_values_not_errors() {
        let s = read(&Shared::read(&Root::new("/nonexistent-whatami-root"))).unwrap();
        assert_eq!(s.kernel_release, None);
        assert_eq!(s.arch, std::env::consts::ARCH);
    }

    #[test]
    fn live_system_has_a_release() {
        let s = read(&Shared::read(&Root::live())).unwrap();
        let rel = s.kernel_release.unwrap();
        assert!(
            rel.chars().next().is_some_and(|c| c.is_ascii_digit()),
            "{rel}"
        );
        assert!(!rel.ends_with('\n'));
    }
}
