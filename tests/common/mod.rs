//! Helpers shared by the integration tests.

pub mod lab;
pub mod seccomp;
pub mod tree;
