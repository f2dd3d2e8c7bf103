//! Where the tests find what the lab prepares (scripts/lab/setup.sh): the
//! real profiles, and the lab's own tools.

#![allow(dead_code)]

use std::path::{Path, PathBuf};

/// The lab's directory, as scripts/lab/labdir.sh computes it: WHATAMI_LAB,
/// or /tmp/whatami-lab-<checkout directory>.
pub fn dir() -> String {
    let checkout = Path::new(env!("CARGO_MANIFEST_DIR"))
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    std::env::var("WHATAMI_LAB")
        .ok()
        .filter(|l| !l.is_empty())
        .unwrap_or_else(|| format!("/tmp/whatami-lab-{checkout}"))
}

/// Docker's default.json: where the lab unpacks Debian's
/// golang-github-docker-docker-dev, or where the package installs it.
pub fn docker_json() -> String {
    let rel = "usr/share/gocode/src/github.com/docker/docker/profiles/seccomp/default.json";
    let unpacked = format!("{}/deb/x/{rel}", dir());
    if Path::new(&unpacked).exists() {
        unpacked
    } else {
        format!("/{rel}")
    }
}

/// scripts/lab/seccomp-profile.py, which resolves a profile as dockerd does
/// and compiles it with libseccomp as runc and crun do.
pub fn seccomp_profile_script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/lab/seccomp-profile.py")
}
