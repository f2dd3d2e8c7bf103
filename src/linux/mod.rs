//! The ground floor: what whatami knows about Linux itself, used by every
//! part above it and importing none of them (the report's model re-exports
//! the status file's facts from here, not the other way round).
//!
//! - abi.rs: the syscall entry points (ABIs) per architecture, their numbers
//!   and names, and the calls the kernel runs without consulting seccomp
//! - caps.rs: capability numbers, names, and the runtimes' default sets
//! - errno.rs: error numbers, their names, a failed call as strace shows it
//! - kernel.rs: the running kernel's version (/proc/sys/kernel/osrelease)
//! - ns.rs: namespace kinds, the initial namespaces' inodes, link text
//! - status.rs, mountinfo.rs: the parsers of /proc/PID/status and
//!   /proc/PID/mountinfo (pure, bounded); stat.rs: what stat(2) says of a file
//! - tty.rs: the width of the terminal an output is
//! - io.rs: bounded I/O: the one retry rule for EINTR/EAGAIN, whatami's
//!   own output descriptor, the one non-blocking reader of a file by path
//! - child.rs: a disposable child: forked, watched, killed, reaped within a
//!   bound; cpus.rs: the CPUs whatami may run on
//!
//! System calls go through nix where it wraps them safely and says all the
//! kernel can: fork and its pipe, kill with a known signal, the CPU affinity
//! mask, and the ptrace requests that carry no signal. It costs 4,096 bytes
//! of the static x86_64 binary (1,921,336 bytes without it, 1,925,432 with
//! the features used: fs, process, ptrace, sched, signal), and took five
//! unsafe blocks away. Raw libc stays where nix has no wrapper or cannot
//! say what happened: seccomp(2) and the notification ioctls, the probes'
//! own syscall instructions, pidfd_open, PTRACE_LISTEN and the siginfo and
//! syscall-info layouts; wait statuses and signals to deliver, since nix's
//! Signal cannot name a real-time signal (a child killed by SIGRTMIN+3, a
//! tracee stopped by one, would be an error); and all code after a fork,
//! which must stay a few direct, async-signal-safe calls.

pub mod abi;
pub(crate) mod caps;
pub(crate) mod child;
pub(crate) mod cpus;
pub(crate) mod errno;
pub mod io;
pub(crate) mod kernel;
pub(crate) mod mountinfo;
pub(crate) mod ns;
pub(crate) mod stat;
pub(crate) mod status;
pub(crate) mod tty;
