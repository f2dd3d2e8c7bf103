//! The AArch32 (32-bit ARM) entry point of arm64 kernels: whether this
//! kernel serves it to this process, learned by running a 32-bit program
//! whatami carries, and what the policy did to that program's first call.
//!
//! arm64 kernels built with COMPAT run 32-bit ARM programs on CPUs that
//! offer AArch32 at EL0, with their own syscall numbers and audit arch
//! (AUDIT_ARCH_ARM): a bypass route like i386 on x86_64, which Docker's and
//! podman's profiles cover through archMap (SCMP_ARCH_ARM). Unlike int $0x80
//! on x86_64, 64-bit code cannot enter it: only a 32-bit process can. So
//! the calls are not probed one by one; a disposable child runs the program
//! below from a memfd (never anything from the container's file system),
//! and how it ends says whether the entry point is served.

use super::runtime::EXIT_SETUP;
use crate::linux::child::{self, WaitStatus};
use crate::model::AbiInfo;
use std::os::fd::AsRawFd;

/// The name the report gives this entry point.
pub const NAME: &str = "arm";

/// A static A32 program (EABI 5, 112 bytes), written here so that no 32-bit
/// toolchain is needed: getpid through `svc #0`, then exit(42) when it
/// returned a pid, exit(43) when the policy answered with an error.
static PROGRAM: [u8; 112] = program();

const fn put(mut b: [u8; 112], at: usize, bytes: &[u8]) -> [u8; 112] {
    let mut i = 0;
    while i < bytes.len() {
        b[at + i] = bytes[i];
        i += 1;
    }
    b
}

const fn program() -> [u8; 112] {
    const BASE: u32 = 0x0001_0000;
    const CODE_AT: u32 = 52 + 32;
    const SIZE: u32 = 112;
    let code: [u32; 7] = [
        0xE3A0_7014, // mov r7, #20 (getpid)
        0xEF00_0000, // svc #0
        0xE350_0000, // cmp r0, #0
        0xC3A0_002A, // movgt r0, #42
        0xD3A0_002B, // movle r0, #43
        0xE3A0_7001, // mov r7, #1 (exit)
        0xEF00_0000, // svc #0
    ];
    // ELF header: 32-bit, little-endian, version 1, ET_EXEC, EM_ARM.
    let mut b = put([0; 112], 0, b"\x7fELF\x01\x01\x01");
    b = put(b, 16, &2u16.to_le_bytes());
    b = put(b, 18, &40u16.to_le_bytes());
    // version, entry, program headers right after this header, no sections,
    // flags: EABI version 5 (the kernel runs no ARM program without one).
    let words = [1, BASE + CODE_AT, 52, 0, 0x0500_0000];
    let mut i = 0;
    while i < words.len() {
        b = put(b, 20 + 4 * i, &words[i].to_le_bytes());
        i += 1;
    }
    // header size, program header size and count, no section headers.
    let halves: [u16; 6] = [52, 32, 1, 0, 0, 0];
    let mut i = 0;
    while i < halves.len() {
        b = put(b, 40 + 2 * i, &halves[i].to_le_bytes());
        i += 1;
    }
    // One PT_LOAD of the whole file at BASE, read and execute.
    let ph: [u32; 8] = [1, 0, BASE, BASE, SIZE, SIZE, 5, 0x1000];
    let mut i = 0;
    while i < ph.len() {
        b = put(b, 52 + 4 * i, &ph[i].to_le_bytes());
        i += 1;
    }
    let mut i = 0;
    while i < code.len() {
        b = put(b, CODE_AT as usize + 4 * i, &code[i].to_le_bytes());
        i += 1;
    }
    b
}

/// Steps of the child, reported with errno when one fails.
const STEP_MEMFD: u8 = 1;
const STEP_WRITE: u8 = 2;
const STEP_EXEC: u8 = 3;

fn step_name(s: u8) -> &'static str {
    match s {
        STEP_MEMFD => "memfd_create",
        STEP_WRITE => "write",
        _ => "execveat",
    }
}

/// The entry point's line in the probe's `abis`: never probed call by
/// call; the note says whether the kernel serves it and what the policy
/// did to the program's getpid.
pub fn entry_info() -> AbiInfo {
    AbiInfo {
        abi: NAME.to_string(),
        probed: false,
        probes: 0,
        all_ones_swept: false,
        note: Some(check()),
    }
}

const NOT_ONE_BY_ONE: &str = "its calls are not probed one by one (only a 32-bit program \
    can make them, and the prober runs 64-bit code)";

fn check() -> String {
    let unknown = |what: String| format!("unknown whether this kernel serves it: {what}");
    let (r, w) = match nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC) {
        Ok(p) => p,
        Err(e) => return unknown(format!("pipe2: {e}")),
    };
    let report = w.as_raw_fd();
    let _sigchld = child::SigchldDefault::set();
    // SAFETY: whatami is single-threaded; the child uses only PROGRAM and
    // `report`, prepared before the fork, and makes direct libc calls.
    let child = unsafe { child::spawn(|_done| child_main(report)) };
    drop(w);
    let child = match child {
        Ok(c) => c,
        Err(e) => return unknown(format!("fork: {e}")),
    };
    let status = child.reap();
    // The child is gone: every write end is closed, so this read cannot block.
    let mut buf = [0u8; 5];
    // SAFETY: reading into a local buffer of its size.
    let n = unsafe { libc::read(r.as_raw_fd(), buf.as_mut_ptr().cast(), buf.len()) };
    if n == 5 {
        let errno = i32::from_le_bytes([buf[1], buf[2], buf[3], buf[4]]);
        let err = std::io::Error::from_raw_os_error(errno);
        return match (buf[0], errno) {
            (STEP_EXEC, libc::ENOEXEC) => "not served by this kernel (a 32-bit ARM program is \
                refused with ENOEXEC: this CPU has no AArch32 at EL0, or the kernel was built \
                without COMPAT): no call can come through it"
                .to_string(),
            (s, _) => unknown(format!(
                "running a 32-bit ARM program failed at {}: {err}",
                step_name(s)
            )),
        };
    }
    match status {
        WaitStatus::Exited(42) => format!(
            "served by this kernel (a 32-bit ARM program whatami carries ran, and the policy \
             let its getpid through); {NOT_ONE_BY_ONE}"
        ),
        WaitStatus::Exited(43) => format!(
            "served by this kernel (a 32-bit ARM program whatami carries ran; the policy \
             answered its getpid with an error); {NOT_ONE_BY_ONE}"
        ),
        WaitStatus::Signaled(libc::SIGSYS) => format!(
            "served by this kernel, and the policy kills or traps 32-bit ARM calls (a 32-bit \
             program whatami carries died of SIGSYS at its first call, getpid: a profile \
             without SCMP_ARCH_ARM does this); {NOT_ONE_BY_ONE}"
        ),
        other => unknown(format!(
            "a 32-bit ARM program whatami carries ended unexpectedly ({other:?})"
        )),
    }
}

/// Runs in the forked child: the program into a memfd, then executed from
/// it. Never returns.
fn child_main(report: libc::c_int) -> ! {
    let fail = |step: u8| -> ! {
        let e = std::io::Error::last_os_error().raw_os_error().unwrap_or(0);
        let mut msg = [0u8; 5];
        msg[0] = step;
        msg[1..].copy_from_slice(&e.to_le_bytes());
        // SAFETY: writing a local buffer to our own pipe, then ending this child.
        unsafe {
            libc::write(report, msg.as_ptr().cast(), msg.len());
            libc::_exit(EXIT_SETUP)
        }
    };
    // SAFETY: plain calls on this child's own state and descriptors; the
    // program comes from whatami's own memory, never from a file.
    unsafe {
        child::no_core_dumps();
        child::die_with_parent();
        let fd = libc::syscall(
            libc::SYS_memfd_create,
            c"whatami-aarch32".as_ptr(),
            libc::MFD_CLOEXEC,
        ) as libc::c_int;
        if fd < 0 {
            fail(STEP_MEMFD);
        }
        if libc::write(fd, PROGRAM.as_ptr().cast(), PROGRAM.len()) != PROGRAM.len() as isize {
            fail(STEP_WRITE);
        }
        let argv = [c"whatami-aarch32".as_ptr(), std::ptr::null()];
        let envp = [std::ptr::null::<libc::c_char>()];
        libc::syscall(
            libc::SYS_execveat,
            fd,
            c"".as_ptr(),
            argv.as_ptr(),
            envp.as_ptr(),
            libc::AT_EMPTY_PATH,
        );
        fail(STEP_EXEC)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_program_is_a_32_bit_arm_executable() {
        assert_eq!(&PROGRAM[..7], b"\x7fELF\x01\x01\x01");
        assert_eq!(u16::from_le_bytes([PROGRAM[18], PROGRAM[19]]), 40);
        let entry = u32::from_le_bytes(PROGRAM[24..28].try_into().unwrap());
        assert_eq!(entry, 0x0001_0000 + 84);
        // The first instruction loads getpid's AArch32 number into r7.
        assert_eq!(&PROGRAM[84..88], &0xE3A0_7014u32.to_le_bytes());
    }
}
