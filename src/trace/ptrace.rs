//! The ptrace(2) and wait4(2) calls of the tracer, and nothing else.
//!
//! The requests that carry no signal (seize, interrupt, the event message,
//! a word of memory) go through nix, whose PEEKDATA reads errno as the C
//! library's in-band result requires. The others are one direct system call
//! each: resuming, detaching and PTRACE_LISTEN deliver whatever signal the
//! tracee had stopped with, real-time ones included, which nix's Signal
//! cannot name (and it has no PTRACE_LISTEN); the siginfo and the syscall
//! info are read field by field from the kernel's layout; and wait4's status
//! is decoded here, since nix's WaitStatus cannot hold a stop or a death by
//! a real-time signal either. Requests, options and event numbers are the
//! kernel's (include/uapi/linux/ptrace.h); they are the same on every
//! architecture. Register layouts, which are not, live in `arch.rs`.

use std::io;

pub const PTRACE_PEEKDATA: libc::c_long = 2;
pub const PTRACE_DETACH: libc::c_long = 17;
pub const PTRACE_SYSCALL: libc::c_long = 24;
pub const PTRACE_GETEVENTMSG: libc::c_long = 0x4201;
pub const PTRACE_GETSIGINFO: libc::c_long = 0x4202;
pub const PTRACE_SEIZE: libc::c_long = 0x4206;
pub const PTRACE_INTERRUPT: libc::c_long = 0x4207;
pub const PTRACE_LISTEN: libc::c_long = 0x4208;
pub const PTRACE_GET_SYSCALL_INFO: libc::c_long = 0x420e;

pub const O_TRACESYSGOOD: u64 = 0x1;
pub const O_TRACEFORK: u64 = 0x2;
pub const O_TRACEVFORK: u64 = 0x4;
pub const O_TRACECLONE: u64 = 0x8;
pub const O_TRACEEXEC: u64 = 0x10;
pub const O_EXITKILL: u64 = 0x10_0000;

/// The options every tracee gets: syscall stops marked with 0x80, every new
/// process and thread followed, exec reported, and every tracee killed if
/// whatami dies (a tracee left in a ptrace-stop would hang forever).
pub const OPTIONS: u64 =
    O_TRACESYSGOOD | O_TRACEFORK | O_TRACEVFORK | O_TRACECLONE | O_TRACEEXEC | O_EXITKILL;

/// The options of a running process whatami attaches to: the same, without
/// PTRACE_O_EXITKILL. Should whatami die, the kernel then detaches the
/// process, which runs on (the command whatami started is its own to end).
pub const ATTACH_OPTIONS: u64 = OPTIONS & !O_EXITKILL;
/// [`ATTACH_OPTIONS`] as strace writes them.
pub const ATTACH_OPTIONS_TEXT: &str = "PTRACE_O_TRACESYSGOOD|PTRACE_O_TRACEFORK|PTRACE_O_TRACEVFORK|PTRACE_O_TRACECLONE|PTRACE_O_TRACEEXEC";

pub const EVENT_FORK: i32 = 1;
pub const EVENT_VFORK: i32 = 2;
pub const EVENT_CLONE: i32 = 3;
pub const EVENT_EXEC: i32 = 4;
pub const EVENT_STOP: i32 = 128;

/// si_code of a SIGSYS raised by a seccomp TRAP rule.
pub const SYS_SECCOMP: i32 = 1;

fn check(r: libc::c_long) -> io::Result<libc::c_long> {
    if r < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(r)
    }
}

fn request(req: libc::c_long, pid: libc::pid_t, addr: u64, data: u64) -> io::Result<libc::c_long> {
    // SAFETY: every request made through here either takes plain integers,
    // or a pointer that its caller sizes and keeps alive for the call (see
    // each caller); none of them touches whatami's own memory otherwise.
    check(unsafe { libc::syscall(libc::SYS_ptrace, req, pid, addr, data) })
}

/// Attaches to `pid` without stopping it, with [`OPTIONS`].
pub fn seize(pid: libc::pid_t) -> io::Result<()> {
    seize_with(pid, OPTIONS)
}

/// Attaches to `pid` without stopping it, with `options`.
pub fn seize_with(pid: libc::pid_t, options: u64) -> io::Result<()> {
    nix::sys::ptrace::seize(
        nix::unistd::Pid::from_raw(pid),
        nix::sys::ptrace::Options::from_bits_retain(options as _),
    )
    .map_err(io::Error::from)
}

/// Stops a seized tracee (it reports PTRACE_EVENT_STOP).
pub fn interrupt(pid: libc::pid_t) -> io::Result<()> {
    nix::sys::ptrace::interrupt(nix::unistd::Pid::from_raw(pid)).map_err(io::Error::from)
}

/// Resumes a stopped tracee until its next syscall stop, delivering `sig` (0: none).
pub fn resume(pid: libc::pid_t, sig: i32) -> io::Result<()> {
    request(PTRACE_SYSCALL, pid, 0, sig as u64).map(drop)
}

/// Leaves a tracee in group-stop stopped, but lets whatami hear of its end.
pub fn listen(pid: libc::pid_t) -> io::Result<()> {
    request(PTRACE_LISTEN, pid, 0, 0).map(drop)
}

/// Lets a stopped tracee go, delivering `sig` (0: none).
pub fn detach(pid: libc::pid_t, sig: i32) -> io::Result<()> {
    request(PTRACE_DETACH, pid, 0, sig as u64).map(drop)
}

/// The event message: a new tracee's pid, or the former tid after an exec.
pub fn event_msg(pid: libc::pid_t) -> io::Result<u64> {
    nix::sys::ptrace::getevent(nix::unistd::Pid::from_raw(pid))
        .map(|m| m as u64)
        .map_err(io::Error::from)
}

/// The fields of a siginfo that the tracer reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SigInfo {
    pub signo: i32,
    pub errno: i32,
    pub code: i32,
    /// SIGSYS only: the syscall number and audit arch of the trapped call.
    pub syscall: i32,
    pub arch: u32,
}

/// The siginfo of a signal-delivery-stop.
pub fn siginfo(pid: libc::pid_t) -> io::Result<SigInfo> {
    // siginfo_t is 128 bytes on every Linux architecture; SIGSYS keeps
    // call_addr at 16, syscall at 24 and arch at 28 on 64-bit ones.
    let mut buf = [0u64; 16];
    request(PTRACE_GETSIGINFO, pid, 0, buf.as_mut_ptr() as u64)?;
    let word = |i: usize| buf[i / 8].to_ne_bytes();
    let int_at = |off: usize| {
        let w = word(off);
        let b = &w[off % 8..off % 8 + 4];
        i32::from_ne_bytes([b[0], b[1], b[2], b[3]])
    };
    Ok(SigInfo {
        signo: int_at(0),
        errno: int_at(4),
        code: int_at(8),
        syscall: int_at(24),
        arch: int_at(28) as u32,
    })
}

/// What PTRACE_GET_SYSCALL_INFO (Linux 5.3) says about a stop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SyscallInfo {
    /// Not a syscall stop.
    None,
    Entry {
        arch: u32,
        nr: u64,
        args: [u64; 6],
    },
    Exit {
        rval: i64,
        is_error: bool,
    },
}

/// struct ptrace_syscall_info: op, arch, ip, sp, then the entry or exit union.
#[repr(C)]
struct RawSyscallInfo {
    op: u8,
    pad: [u8; 3],
    arch: u32,
    instruction_pointer: u64,
    stack_pointer: u64,
    /// entry: nr, six args; exit: rval, is_error; seccomp: nr, six args, ret_data.
    data: [u64; 8],
}

pub fn syscall_info(pid: libc::pid_t) -> io::Result<SyscallInfo> {
    let mut raw = RawSyscallInfo {
        op: 0,
        pad: [0; 3],
        arch: 0,
        instruction_pointer: 0,
        stack_pointer: 0,
        data: [0; 8],
    };
    // The kernel writes at most `addr` bytes at `data`.
    request(
        PTRACE_GET_SYSCALL_INFO,
        pid,
        std::mem::size_of::<RawSyscallInfo>() as u64,
        &mut raw as *mut RawSyscallInfo as u64,
    )?;
    Ok(match raw.op {
        1 => SyscallInfo::Entry {
            arch: raw.arch,
            nr: raw.data[0],
            args: [
                raw.data[1],
                raw.data[2],
                raw.data[3],
                raw.data[4],
                raw.data[5],
                raw.data[6],
            ],
        },
        2 => SyscallInfo::Exit {
            rval: raw.data[0] as i64,
            is_error: raw.data[1] & 0xff != 0,
        },
        // A seccomp stop (op 3) needs PTRACE_O_TRACESECCOMP, which is never set.
        _ => SyscallInfo::None,
    })
}

/// One word of the tracee's memory (the slow way, when /proc/PID/mem cannot be read).
pub fn peek(pid: libc::pid_t, addr: u64) -> io::Result<u64> {
    nix::sys::ptrace::read(
        nix::unistd::Pid::from_raw(pid),
        addr as nix::sys::ptrace::AddressType,
    )
    .map(|w| w as u64)
    .map_err(io::Error::from)
}

/// A request on a register set (`arch.rs` knows the layouts): `buf` receives
/// at most `len` bytes.
///
/// # Safety
/// `buf` must be valid for writes of `len` bytes and `req`, `addr` a request
/// that writes no more than that.
pub unsafe fn read_into(
    req: libc::c_long,
    pid: libc::pid_t,
    addr: u64,
    buf: *mut u8,
) -> io::Result<()> {
    request(req, pid, addr, buf as u64).map(drop)
}

/// How a wait ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Waited {
    /// A tracee changed state: its tid and the raw wait status.
    Changed(libc::pid_t, i32),
    /// WNOHANG and nothing changed.
    Nothing,
    /// A signal arrived first (EINTR).
    Interrupted,
    /// No child or tracee is left (ECHILD).
    NoChildren,
}

/// wait4 for `pid` (-1: any) among this thread's children and tracees only
/// (`__WNOTHREAD`), clone children included (`__WALL`).
pub fn wait(pid: libc::pid_t, nohang: bool) -> io::Result<Waited> {
    let mut status = 0;
    let flags =
        libc::__WALL | 0x2000_0000 /* __WNOTHREAD */ | if nohang { libc::WNOHANG } else { 0 };
    // SAFETY: status is a valid int for the kernel to fill; no rusage.
    let r = unsafe { libc::wait4(pid, &mut status, flags, std::ptr::null_mut()) };
    if r > 0 {
        return Ok(Waited::Changed(r, status));
    }
    if r == 0 {
        return Ok(Waited::Nothing);
    }
    let e = io::Error::last_os_error();
    match e.raw_os_error() {
        Some(libc::EINTR) => Ok(Waited::Interrupted),
        Some(libc::ECHILD) => Ok(Waited::NoChildren),
        _ => Err(e),
    }
}

/// The ptrace event of a stop status (0 for none).
pub fn event_of(status: i32) -> i32 {
    (status >> 16) & 0xffff
}
