//! The prober's own syscall instructions, per architecture: a probe is
//! issued from a dedicated instruction whose address the prober's filter
//! recognises, so the probe child's own set-up and signal returns are never
//! intercepted; and the raw clone that starts the probe thread.

use crate::linux::abi::Entry;

#[cfg(target_arch = "x86_64")]
mod imp {
    use super::*;

    // The dedicated syscall instructions. Only calls made from these exact
    // addresses are turned into notifications by the prober's filter, so the
    // probe child's own setup and signal returns are never intercepted.
    //
    // whatami_probe_syscall(nr, a0, a1, a2, a3, a4, a5) -> raw return value
    // whatami_probe_int80(nr, a0, a1, a2, a3, a4, a5)   -> raw eax
    std::arch::global_asm!(
        ".text",
        ".globl whatami_probe_syscall",
        ".type whatami_probe_syscall,@function",
        "whatami_probe_syscall:",
        "    mov rax, rdi",
        "    mov rdi, rsi",
        "    mov rsi, rdx",
        "    mov rdx, rcx",
        "    mov r10, r8",
        "    mov r8, r9",
        "    mov r9, [rsp + 8]",
        "    syscall",
        ".globl whatami_probe_syscall_ret",
        "whatami_probe_syscall_ret:",
        "    ret",
        ".size whatami_probe_syscall, . - whatami_probe_syscall",
        ".globl whatami_probe_int80",
        ".type whatami_probe_int80,@function",
        "whatami_probe_int80:",
        "    push rbx",
        "    push rbp",
        "    mov rax, rdi",
        "    mov rbx, rsi",
        "    mov r10, rcx",
        "    mov rcx, rdx",
        "    mov rdx, r10",
        "    mov rsi, r8",
        "    mov rdi, r9",
        "    mov rbp, [rsp + 24]",
        "    int 0x80",
        ".globl whatami_probe_int80_ret",
        "whatami_probe_int80_ret:",
        "    pop rbp",
        "    pop rbx",
        "    ret",
        ".size whatami_probe_int80, . - whatami_probe_int80",
        // whatami_clone_thread(flags, stack_top, func, arg) -> tid or -errno.
        // The new thread starts on `stack_top` with func and arg popped from
        // it, calls func(arg), then exit(2)s (this thread only).
        ".globl whatami_clone_thread",
        ".type whatami_clone_thread,@function",
        "whatami_clone_thread:",
        "    sub rsi, 16",
        "    mov [rsi], rdx",
        "    mov [rsi + 8], rcx",
        "    mov eax, 56",
        "    xor edx, edx",
        "    xor r10d, r10d",
        "    xor r8d, r8d",
        "    syscall",
        "    test rax, rax",
        "    jnz 2f",
        "    xor ebp, ebp",
        "    pop rax",
        "    pop rdi",
        "    call rax",
        "    mov edi, eax",
        "    mov eax, 60",
        "    syscall",
        "    ud2",
        "2:",
        "    ret",
        ".size whatami_clone_thread, . - whatami_clone_thread",
    );

    unsafe extern "C" {
        pub fn whatami_clone_thread(
            flags: u64,
            stack_top: *mut u8,
            func: ThreadFn,
            arg: *mut u8,
        ) -> i64;
        pub fn whatami_probe_syscall(
            nr: u64,
            a0: u64,
            a1: u64,
            a2: u64,
            a3: u64,
            a4: u64,
            a5: u64,
        ) -> i64;
        pub fn whatami_probe_int80(
            nr: u64,
            a0: u64,
            a1: u64,
            a2: u64,
            a3: u64,
            a4: u64,
            a5: u64,
        ) -> i64;
        static whatami_probe_syscall_ret: u8;
        static whatami_probe_int80_ret: u8;
    }

    /// Addresses that seccomp_data.instruction_pointer holds for a probe: the
    /// instruction after each dedicated syscall instruction.
    pub fn marker_addresses() -> [u64; 2] {
        // Only the addresses of the labels are taken; nothing is read.
        [
            std::ptr::addr_of!(whatami_probe_syscall_ret) as u64,
            std::ptr::addr_of!(whatami_probe_int80_ret) as u64,
        ]
    }

    /// Issues one probe from the dedicated instruction of its entry point.
    ///
    /// # Safety
    /// The syscall really runs unless something stops it, so this must only
    /// be called in a disposable probe child, and either under that child's
    /// own filter, which turns calls from the marker addresses into
    /// notifications (notification probing), or with a number and arguments
    /// the kernel rejects before acting (direct probing, harmless.rs).
    pub unsafe fn issue(entry: Entry, nr: u32, a: &[u64; 6]) -> i64 {
        // SAFETY: forwarded from the caller's contract.
        unsafe {
            match entry {
                Entry::Native => {
                    whatami_probe_syscall(nr as u64, a[0], a[1], a[2], a[3], a[4], a[5])
                }
                // The i386 entry returns a 32-bit value in eax.
                Entry::Int80 => {
                    whatami_probe_int80(nr as u64, a[0], a[1], a[2], a[3], a[4], a[5]) as i32 as i64
                }
            }
        }
    }
}

#[cfg(target_arch = "aarch64")]
mod imp {
    use super::*;

    // whatami_probe_syscall(nr, a0, a1, a2, a3, a4, a5) -> raw return value
    std::arch::global_asm!(
        ".text",
        ".globl whatami_probe_syscall",
        ".type whatami_probe_syscall,%function",
        "whatami_probe_syscall:",
        "    mov x8, x0",
        "    mov x0, x1",
        "    mov x1, x2",
        "    mov x2, x3",
        "    mov x3, x4",
        "    mov x4, x5",
        "    mov x5, x6",
        ".globl whatami_probe_svc",
        "whatami_probe_svc:",
        "    svc #0",
        ".globl whatami_probe_syscall_ret",
        "whatami_probe_syscall_ret:",
        "    ret",
        ".size whatami_probe_syscall, . - whatami_probe_syscall",
        // whatami_clone_thread(flags, stack_top, func, arg) -> tid or -errno:
        // see the x86_64 version.
        ".globl whatami_clone_thread",
        ".type whatami_clone_thread,%function",
        "whatami_clone_thread:",
        "    stp x2, x3, [x1, #-16]!",
        "    mov x8, #220",
        "    mov x2, xzr",
        "    mov x3, xzr",
        "    mov x4, xzr",
        "    svc #0",
        "    cbnz x0, 2f",
        "    ldp x1, x0, [sp], #16",
        "    blr x1",
        "    mov x8, #93",
        "    svc #0",
        "    brk #0",
        "2:",
        "    ret",
        ".size whatami_clone_thread, . - whatami_clone_thread",
    );

    unsafe extern "C" {
        pub fn whatami_clone_thread(
            flags: u64,
            stack_top: *mut u8,
            func: ThreadFn,
            arg: *mut u8,
        ) -> i64;
        pub fn whatami_probe_syscall(
            nr: u64,
            a0: u64,
            a1: u64,
            a2: u64,
            a3: u64,
            a4: u64,
            a5: u64,
        ) -> i64;
        static whatami_probe_svc: u8;
        static whatami_probe_syscall_ret: u8;
    }

    /// arm64 reports the address after `svc` as the instruction pointer; the
    /// `svc` itself is matched too, so the filter does not depend on that detail.
    pub fn marker_addresses() -> [u64; 2] {
        // Only the addresses of the labels are taken; nothing is read.
        [
            std::ptr::addr_of!(whatami_probe_syscall_ret) as u64,
            std::ptr::addr_of!(whatami_probe_svc) as u64,
        ]
    }

    /// # Safety
    /// The syscall really runs unless something stops it, so this must only
    /// be called in a disposable probe child, and either under that child's
    /// own filter, which turns calls from the marker addresses into
    /// notifications (notification probing), or with a number and arguments
    /// the kernel rejects before acting (direct probing, harmless.rs).
    pub unsafe fn issue(_entry: Entry, nr: u32, a: &[u64; 6]) -> i64 {
        // SAFETY: forwarded from the caller's contract.
        unsafe { whatami_probe_syscall(nr as u64, a[0], a[1], a[2], a[3], a[4], a[5]) }
    }
}

pub use imp::{issue, marker_addresses};

/// The entry function of a thread made by [`clone_thread`].
pub type ThreadFn = extern "C" fn(*mut u8) -> i32;

/// Starts a thread with the raw clone syscall: C libraries refuse or wrap
/// CLONE_THREAD in ways that assume their own thread set-up (musl's clone()
/// rejects it), and the probe thread needs none of that. The thread runs
/// `func(arg)` on `stack_top` and then exits alone. Returns its tid or -errno.
///
/// # Safety
/// `stack_top` must be the 16-byte-aligned top of a stack that stays mapped
/// while the thread runs, and `func` must not touch thread-local storage (the
/// thread shares the creator's thread pointer).
pub unsafe fn clone_thread(flags: u64, stack_top: *mut u8, func: ThreadFn, arg: *mut u8) -> i64 {
    // SAFETY: forwarded from the caller's contract.
    unsafe { imp::whatami_clone_thread(flags, stack_top, func, arg) }
}
