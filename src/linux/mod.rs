//! The ground floor: what whatami knows about Linux itself, used by every
//! part above it and importing none of them.
//!
//! - abi.rs: the syscall entry points (ABIs) per architecture, their numbers
//!   and names, and the calls the kernel runs without consulting seccomp
//! - caps.rs: capability numbers, names, and the runtimes' default sets
//! - child.rs: a disposable child: forked, watched, killed, reaped within a bound
//! - cpus.rs: the CPUs whatami may run on
//! - errno.rs: error numbers, their names, a failed call as strace shows it
//! - kernel.rs: the running kernel's version
//! - mountinfo.rs: the parser of /proc/PID/mountinfo (bounded)
//! - stat.rs: what stat(2) says about a file
//! - ns.rs: namespace kinds, the initial namespaces' inodes, link text
//! - status.rs: the parser of /proc/PID/status

pub mod abi;
pub(crate) mod caps;
pub(crate) mod child;
pub(crate) mod cpus;
pub(crate) mod errno;
pub(crate) mod kernel;
pub(crate) mod mountinfo;
pub(crate) mod ns;
pub(crate) mod stat;
pub(crate) mod status;
