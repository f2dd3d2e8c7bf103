//! Everything about tracing that depends on the CPU architecture, in one
//! place: which entry point (ABI) a traced call came through, the register
//! layout read when PTRACE_GET_SYSCALL_INFO is missing (kernels before 5.3),
//! and the sizes of the C types a decoder reads from a tracee's memory.

use crate::linux::abi::{self, Abi};

/// The entry point of a call, from the audit arch the kernel reports for it
/// and its number (x32 calls carry the x32 bit on the x86_64 arch).
///
/// Called at every syscall entry: it allocates nothing.
pub fn abi_of(audit_arch: u32, nr: u64) -> Option<&'static Abi> {
    static ABIS: std::sync::OnceLock<Vec<&'static Abi>> = std::sync::OnceLock::new();
    let abis = ABIS.get_or_init(abi::abis);
    let same = || abis.iter().filter(|a| a.audit_arch == audit_arch);
    same()
        .find(|a| a.nr_bit != 0 && nr & u64::from(a.nr_bit) != 0)
        .or_else(|| same().find(|a| a.nr_bit == 0))
        .copied()
}

/// Sizes of the C types the decoder reads, for one entry point.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Layout {
    /// A pointer (and `long`).
    pub ptr: usize,
    /// `time_t` in the timespec and timeval of the classic calls.
    pub time: usize,
}

/// The native entry points are 64-bit; i386 has 32-bit pointers and times
/// (its `*_time64` calls take 64-bit times, which the decoder knows by name).
pub fn layout(abi: &Abi) -> Layout {
    if abi.name == "i386" {
        Layout { ptr: 4, time: 4 }
    } else if abi.name == "x32" {
        Layout { ptr: 4, time: 8 }
    } else {
        Layout { ptr: 8, time: 8 }
    }
}

/// A syscall stop read from the registers (no PTRACE_GET_SYSCALL_INFO): the
/// number, the arguments as they were at entry, and the return register.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RegsCall {
    pub audit_arch: u32,
    pub nr: u64,
    pub args: [u64; 6],
    pub ret: i64,
}

#[cfg(target_arch = "x86_64")]
mod imp {
    use super::RegsCall;
    use crate::trace::ptrace;

    const PTRACE_GETREGS: libc::c_long = 12;
    const AUDIT_ARCH_X86_64: u32 = 0xC000_003E;
    const AUDIT_ARCH_I386: u32 = 0x4000_0003;
    /// The user code segment of 32-bit processes (__USER32_CS).
    const USER32_CS: u64 = 0x23;

    pub fn regs(pid: libc::pid_t) -> std::io::Result<RegsCall> {
        // SAFETY: user_regs_struct is plain data, all zeroes is valid.
        let mut r: libc::user_regs_struct = unsafe { std::mem::zeroed() };
        // SAFETY: PTRACE_GETREGS writes exactly one user_regs_struct.
        unsafe {
            ptrace::read_into(
                PTRACE_GETREGS,
                pid,
                0,
                &mut r as *mut libc::user_regs_struct as *mut u8,
            )?
        };
        // A 32-bit process (or int $0x80 from one) passes its arguments in
        // ebx, ecx, edx, esi, edi, ebp.
        let compat = r.cs == USER32_CS;
        let args = if compat {
            [r.rbx, r.rcx, r.rdx, r.rsi, r.rdi, r.rbp].map(|a| a & 0xffff_ffff)
        } else {
            [r.rdi, r.rsi, r.rdx, r.r10, r.r8, r.r9]
        };
        Ok(RegsCall {
            audit_arch: if compat {
                AUDIT_ARCH_I386
            } else {
                AUDIT_ARCH_X86_64
            },
            nr: r.orig_rax,
            args,
            ret: if compat {
                r.rax as i32 as i64
            } else {
                r.rax as i64
            },
        })
    }
}

#[cfg(target_arch = "aarch64")]
mod imp {
    use super::RegsCall;
    use crate::trace::ptrace;

    const PTRACE_GETREGSET: libc::c_long = 0x4204;
    const NT_PRSTATUS: u64 = 1;
    const AUDIT_ARCH_AARCH64: u32 = 0xC000_00B7;

    pub fn regs(pid: libc::pid_t) -> std::io::Result<RegsCall> {
        // SAFETY: user_regs_struct is plain data, all zeroes is valid.
        let mut r: libc::user_regs_struct = unsafe { std::mem::zeroed() };
        let mut iov = libc::iovec {
            iov_base: &mut r as *mut libc::user_regs_struct as *mut libc::c_void,
            iov_len: std::mem::size_of::<libc::user_regs_struct>(),
        };
        // SAFETY: PTRACE_GETREGSET writes at most iov_len bytes at iov_base
        // (and updates iov_len), both alive for the call.
        unsafe {
            ptrace::read_into(
                PTRACE_GETREGSET,
                pid,
                NT_PRSTATUS,
                &mut iov as *mut libc::iovec as *mut u8,
            )?
        };
        // A 32-bit (AArch32) tracee's NT_PRSTATUS is its own: 18 32-bit
        // registers (r0-r15, cpsr, orig_r0), the number in r7.
        if iov.iov_len == 18 * 4 {
            let w = |i: usize| (r.regs[i / 2] >> (32 * (i % 2))) as u32;
            return Ok(RegsCall {
                audit_arch: crate::linux::abi::AUDIT_ARCH_ARM,
                nr: u64::from(w(7)),
                args: [0, 1, 2, 3, 4, 5].map(|i| u64::from(w(i))),
                ret: w(0) as i32 as i64,
            });
        }
        // The number is in x8; x0 holds the first argument at entry and the
        // return value at exit (the tracer keeps the entry's copy).
        Ok(RegsCall {
            audit_arch: AUDIT_ARCH_AARCH64,
            nr: r.regs[8],
            args: [
                r.regs[0], r.regs[1], r.regs[2], r.regs[3], r.regs[4], r.regs[5],
            ],
            ret: r.regs[0] as i64,
        })
    }
}

pub use imp::regs;

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(target_arch = "x86_64")]
    #[test]
    fn entry_points_from_the_audit_arch() {
        assert_eq!(abi_of(0xC000_003E, 83).map(|a| a.name), Some("x86_64"));
        assert_eq!(
            abi_of(0xC000_003E, 0x4000_0000 | 83).map(|a| a.name),
            Some("x32")
        );
        assert_eq!(abi_of(0x4000_0003, 39).map(|a| a.name), Some("i386"));
        assert!(abi_of(0xC000_00B7, 34).is_none());
        assert_eq!(layout(abi_of(0x4000_0003, 39).unwrap()).ptr, 4);
    }

    #[cfg(target_arch = "aarch64")]
    #[test]
    fn entry_points_from_the_audit_arch() {
        assert_eq!(abi_of(0xC000_00B7, 34).map(|a| a.name), Some("aarch64"));
        assert!(abi_of(0xC000_003E, 83).is_none());
    }
}
