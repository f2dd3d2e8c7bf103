//! The ground floor: what whatami knows about Linux itself, used by every
//! part above it and importing none of them.
//!
//! - abi.rs: the syscall entry points (ABIs) per architecture, their numbers
//!   and names, and the calls the kernel runs without consulting seccomp

pub mod abi;
