//! The ptrace engine `why` and `record` stand on: it runs a command under
//! ptrace and hands back what happened.
//!
//! - rehearse.rs: whether tracing works here, tried in a disposable child
//! - launch.rs: find the program, fork, seize, let it execute
//! - attach.rs: seize a running process instead, and what decides whether it may be
//! - tracer.rs (+ ptrace.rs, arch.rs): the syscall-stop loop and what it records
//! - memory.rs, decode.rs, structs.rs: the failing call as strace shows it
//! - netlink.rs: netlink requests and the errors the kernel acks them with
//! - evidence.rs: what is true when the call fails
//! - session.rs: a session from the rehearsal to the command's end
//! - summary.rs: the strace -c summary

pub mod arch;
pub mod attach;
pub mod decode;
pub mod evidence;
pub mod launch;
pub mod memory;
pub mod netlink;
pub mod ptrace;
pub mod rehearse;
pub mod session;
pub mod structs;
pub mod summary;
pub mod tracer;
