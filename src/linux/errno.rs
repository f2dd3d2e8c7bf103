//! Error numbers: their names (`EPERM`), a failed call's result as strace
//! prints it, and the numbers the tracer and the explanations name.

/// The largest errno a syscall returns as -errno (and the largest
/// SECCOMP_RET_ERRNO data the kernel passes on).
pub const MAX_ERRNO: i64 = 4095;

pub const EPERM: u32 = 1;
pub const EACCES: u32 = 13;
pub const ENOSPC: u32 = 28;
pub const EROFS: u32 = 30;
pub const ENOSYS: u32 = 38;
pub const EUSERS: u32 = 87;
pub const EAFNOSUPPORT: u32 = 97;

/// The calling thread's errno, as the last failed call through libc left it.
pub fn last() -> i32 {
    std::io::Error::last_os_error().raw_os_error().unwrap_or(0)
}

/// "EPERM" for 1; "errno N" for a number without a name.
pub fn name(e: u32) -> String {
    syscalls::Errno::new(e as i32)
        .name()
        .map(str::to_string)
        .unwrap_or_else(|| format!("errno {e}"))
}

/// `-1 EPERM (Operation not permitted)`: a call that failed with `e`, as
/// strace shows its result.
pub fn strace_result(e: u32) -> String {
    let msg = std::io::Error::from_raw_os_error(e as i32).to_string();
    let msg = msg.split(" (os error").next().unwrap_or(&msg).to_string();
    format!("-1 {} ({msg})", name(e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_read_as_strace_prints_them() {
        assert_eq!(strace_result(1), "-1 EPERM (Operation not permitted)");
        assert_eq!(strace_result(30), "-1 EROFS (Read-only file system)");
    }

    #[test]
    fn a_number_without_a_name_says_so() {
        assert_eq!(name(1), "EPERM");
        assert_eq!(name(4000), "errno 4000");
    }
}
