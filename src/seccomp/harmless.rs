//! Arguments that make each syscall fail before it acts, for direct probing.
//!
//! When notification probing is unavailable, the direct prober really calls
//! each syscall (in a disposable child, see direct.rs). This table is what
//! makes that safe: for every syscall it knows, it gives arguments that the
//! kernel rejects before doing anything (fd -1 -> EBADF, pointer 1 -> EFAULT,
//! reserved flag bits -> EINVAL, a pid that cannot exist -> ESRCH, ...), and
//! what a kernel that lets the call through answers to them. Comparing the
//! answer with that expectation tells the filter's answer from the syscall's
//! own argument check.
//!
//! Entries are keyed by syscall name, so one table serves every architecture
//! whose syscalls share the generic kernel code (x86_64 and aarch64).
//!
//! Rules every entry follows:
//! - The expected answers hold from Linux 3.17 (the first kernel with
//!   seccomp()) to the newest release the name tables know. Where the order
//!   of checks changed between versions, or a capability check may come
//!   first, every possible answer is listed.
//! - A call may also succeed ([`Expect::SUCCEEDS`]) only when success acts on
//!   nothing but the probe child itself and later probes do not depend on it:
//!   pure queries about the caller (getpid), no-op settings (setfsuid(-1)),
//!   or an object owned by the child that goes away with it (eventfd).
//! - Pointers are 1: never mapped (the first page is never mapped), so any
//!   copy from or to it fails. Pids are 2^31 - 1, above PID_MAX_LIMIT, so no
//!   process can have them; signals sent are 0 (no signal at all).
//! - A call whose failure path cannot be shown to act on nothing, or that has
//!   no argument that stops it, is in [`NOT_HARMLESS`] and is never issued.
//!
//! Numbers without a name are issued (with all arguments zero) only when the
//! kernel provably does not implement them: see [`unnamed_numbers_unimplemented`].

use libc::{
    EACCES, EAFNOSUPPORT, EBADF, EFAULT, EINVAL, ENOENT, ENOEXEC, ENOMEM, ENOSYS, EOPNOTSUPP,
    EPERM, ERANGE, ESRCH,
};

/// What a kernel that lets the call through (no filter in the way) answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Expect {
    /// The errnos it may fail with.
    pub errnos: &'static [i32],
    /// Whether it may succeed (with a non-negative value), acting only on the probe child.
    pub succeeds: bool,
}

impl Expect {
    pub const fn fails(errnos: &'static [i32]) -> Expect {
        Expect {
            errnos,
            succeeds: false,
        }
    }

    pub const SUCCEEDS: Expect = Expect {
        errnos: &[],
        succeeds: true,
    };
}

/// One syscall's harmless arguments and the kernel's answer to them.
#[derive(Debug, Clone, Copy)]
pub struct Harmless {
    pub name: &'static str,
    pub args: [u64; 6],
    pub expect: Expect,
    /// The kernel may not have this call at all (added after 3.17, behind a
    /// build option, or removed since): ENOSYS may then be the kernel's answer.
    pub may_lack: bool,
}

/// fd -1 (as `int`; 0xffffffff as `unsigned int`, which no fd table reaches).
const FD: u64 = u64::MAX;
/// A user address that is never mapped.
const PTR: u64 = 1;
/// Above PID_MAX_LIMIT (2^22): no process, thread or group has this id.
const NOPID: u64 = i32::MAX as u64;
/// Bit 31 of a flags word: reserved in every flags argument it is used for here.
const BIT31: u64 = 0x8000_0000;
/// A clock id above every static clock (MAX_CLOCKS is 16) and not a dynamic one.
const NOCLOCK: u64 = 0x7fff;
/// An option, command or selector number that no kernel defines.
const NOOP: u64 = 0x7ec0;

const fn fails(name: &'static str, args: [u64; 6], errnos: &'static [i32]) -> Harmless {
    Harmless {
        name,
        args,
        expect: Expect::fails(errnos),
        may_lack: false,
    }
}

/// Like [`fails`], for a call the kernel may not have.
const fn optional(name: &'static str, args: [u64; 6], errnos: &'static [i32]) -> Harmless {
    Harmless {
        may_lack: true,
        ..fails(name, args, errnos)
    }
}

const fn succeeds(name: &'static str, args: [u64; 6]) -> Harmless {
    Harmless {
        name,
        args,
        expect: Expect::SUCCEEDS,
        may_lack: false,
    }
}

/// Calls that were removed long ago and are sys_ni_syscall on every kernel
/// with seccomp(): they answer ENOSYS whatever the arguments.
const fn gone(name: &'static str) -> Harmless {
    fails(name, [0; 6], &[ENOSYS])
}

const fn a1(a: u64) -> [u64; 6] {
    [a, 0, 0, 0, 0, 0]
}
const fn a2(a: u64, b: u64) -> [u64; 6] {
    [a, b, 0, 0, 0, 0]
}
const fn a3(a: u64, b: u64, c: u64) -> [u64; 6] {
    [a, b, c, 0, 0, 0]
}
const fn a4(a: u64, b: u64, c: u64, d: u64) -> [u64; 6] {
    [a, b, c, d, 0, 0]
}
const fn a5(a: u64, b: u64, c: u64, d: u64, e: u64) -> [u64; 6] {
    [a, b, c, d, e, 0]
}
const fn a6(a: u64, b: u64, c: u64, d: u64, e: u64, f: u64) -> [u64; 6] {
    [a, b, c, d, e, f]
}

// Shorthands for the most common answers.
const BADF: &[i32] = &[EBADF];
const FAULT: &[i32] = &[EFAULT];
const INVAL: &[i32] = &[EINVAL];
const SRCH: &[i32] = &[ESRCH];
const INVAL_FAULT: &[i32] = &[EINVAL, EFAULT];
const BADF_FAULT: &[i32] = &[EBADF, EFAULT];
const BADF_INVAL: &[i32] = &[EBADF, EINVAL];
/// A capability check comes first: EPERM without it, EINVAL with it.
const PERM_INVAL: &[i32] = &[EPERM, EINVAL];
const PERM_FAULT: &[i32] = &[EPERM, EFAULT];

/// The table. The comment on each group says which check answers first.
pub static TABLE: &[Harmless] = &[
    // ---- file descriptors: fdget(-1) fails first -> EBADF
    fails("read", a3(FD, PTR, 1), BADF),
    fails("write", a3(FD, PTR, 1), BADF),
    fails("close", a1(FD), BADF),
    fails("fstat", a2(FD, PTR), BADF),
    fails("lseek", a3(FD, 0, 0), BADF),
    // The command is TCGETS (a read), so even a real fd would only be queried.
    fails("ioctl", a3(FD, 0x5401, PTR), BADF),
    // pos 0 passes the "pos < 0" check that precedes the fd lookup.
    fails("pread64", a4(FD, PTR, 1, 0), BADF),
    fails("pwrite64", a4(FD, PTR, 1, 0), BADF),
    fails("readv", a3(FD, PTR, 1), BADF),
    fails("writev", a3(FD, PTR, 1), BADF),
    fails("preadv", a5(FD, PTR, 1, 0, 0), BADF),
    fails("pwritev", a5(FD, PTR, 1, 0, 0), BADF),
    fails("preadv2", a6(FD, PTR, 1, 0, 0, 0), BADF),
    fails("pwritev2", a6(FD, PTR, 1, 0, 0, 0), BADF),
    fails("dup", a1(FD), BADF),
    // oldfd == newfd == -1: the "same fd" path looks it up and fails.
    fails("dup2", a2(FD, FD), BADF),
    // Reserved flag first, then oldfd == newfd, then the lookup.
    fails("dup3", a3(FD, FD, 1), BADF_INVAL),
    fails("fcntl", a3(FD, 1, 0), BADF),
    // LOCK_SH is a valid command, so only the fd can fail.
    fails("flock", a2(FD, 1), BADF_INVAL),
    fails("fsync", a1(FD), BADF),
    fails("fdatasync", a1(FD), BADF),
    fails("syncfs", a1(FD), BADF),
    fails("getdents", a3(FD, PTR, 1), BADF),
    fails("getdents64", a3(FD, PTR, 1), BADF),
    fails("fchdir", a1(FD), BADF),
    fails("fchmod", a2(FD, 0), BADF),
    fails("fchown", a3(FD, FD, FD), BADF),
    fails("fstatfs", a2(FD, PTR), BADF),
    fails("readahead", a3(FD, 0, 0), BADF),
    optional("fadvise64", a4(FD, 0, 0, 0), BADF),
    // len 1 passes the "!len" early return; the fd fails next.
    fails("splice", a6(FD, PTR, FD, PTR, 1, 0), BADF_INVAL),
    fails("tee", a4(FD, FD, 1, 0), BADF_INVAL),
    fails("vmsplice", a4(FD, PTR, 1, 0), &[EBADF, EFAULT, EINVAL]),
    fails("sync_file_range", a4(FD, 0, 0, 0), BADF_INVAL),
    fails("fallocate", a4(FD, 0, 0, 1), BADF_INVAL),
    fails("timerfd_gettime", a2(FD, PTR), BADF),
    fails("flistxattr", a3(FD, PTR, 1), BADF),
    fails("fgetxattr", a4(FD, PTR, PTR, 1), BADF_FAULT),
    fails("fsetxattr", a5(FD, PTR, PTR, 1, 0), BADF_FAULT),
    fails("fremovexattr", a2(FD, PTR), BADF_FAULT),
    fails("inotify_rm_watch", a2(FD, 0), BADF_INVAL),
    // The offset pointer is read before the fds are looked up.
    fails("sendfile", a4(FD, FD, PTR, 1), BADF_FAULT),
    // flags 1 is reserved (the check comes before the fds).
    fails("copy_file_range", a6(FD, 0, FD, 0, 1, 1), BADF_INVAL),
    fails("setns", a2(FD, 0), BADF_INVAL),
    optional("cachestat", a4(FD, PTR, PTR, 1), BADF_INVAL),
    // ---- sockets: the socket fd is looked up first -> EBADF (some versions
    // copy the address or iovec first -> EFAULT)
    fails("connect", a3(FD, PTR, 16), BADF_FAULT),
    fails("accept", a3(FD, PTR, PTR), BADF_FAULT),
    fails("sendto", a6(FD, PTR, 1, 0, PTR, 16), BADF_FAULT),
    fails("recvfrom", a6(FD, PTR, 1, 0, PTR, PTR), BADF_FAULT),
    fails("sendmsg", a3(FD, PTR, 0), BADF_FAULT),
    fails("recvmsg", a3(FD, PTR, 0), BADF_FAULT),
    fails("sendmmsg", a4(FD, PTR, 1, 0), &[EBADF, EFAULT, EINVAL]),
    // The timeout pointer is read first.
    fails("recvmmsg", a5(FD, PTR, 1, 0, PTR), &[EBADF, EFAULT, EINVAL]),
    fails("shutdown", a2(FD, 0), BADF),
    fails("bind", a3(FD, PTR, 16), BADF_FAULT),
    fails("listen", a2(FD, 0), BADF),
    fails("getsockname", a3(FD, PTR, PTR), BADF_FAULT),
    fails("getpeername", a3(FD, PTR, PTR), BADF_FAULT),
    fails("setsockopt", a5(FD, 0, 0, PTR, 4), BADF_FAULT),
    fails("getsockopt", a5(FD, 0, 0, PTR, PTR), BADF_FAULT),
    // Reserved accept flag (bit 0) is checked before the fd.
    fails("accept4", a4(FD, PTR, PTR, 1), BADF_INVAL),
    // Family -1 is refused before any protocol module is looked up (no
    // request_module upcall).
    fails("socket", a3(FD, 1, 0), &[EAFNOSUPPORT]),
    // Type carries the reserved flag bit 0x10: refused before any fd or socket exists.
    fails("socketpair", a4(FD, 0x11, 0, PTR), INVAL),
    // ---- paths: getname(1) or the user copy fails first -> EFAULT
    fails("open", a3(PTR, 0, 0), FAULT),
    fails("openat", a4(FD, PTR, 0, 0), FAULT),
    fails("creat", a2(PTR, 0), FAULT),
    fails("stat", a2(PTR, PTR), FAULT),
    fails("lstat", a2(PTR, PTR), FAULT),
    fails("newfstatat", a4(FD, PTR, PTR, 0), INVAL_FAULT),
    fails("statfs", a2(PTR, PTR), FAULT),
    // Mode 8 is not a combination of R_OK, W_OK, X_OK: refused before the path is read.
    fails("access", a2(PTR, 8), INVAL_FAULT),
    fails("faccessat", a3(FD, PTR, 8), INVAL_FAULT),
    optional("faccessat2", a4(FD, PTR, 8, BIT31), INVAL_FAULT),
    fails("chdir", a1(PTR), FAULT),
    fails("chroot", a1(PTR), FAULT),
    fails("rename", a2(PTR, PTR), FAULT),
    fails("renameat", a4(FD, PTR, FD, PTR), FAULT),
    fails("renameat2", a5(FD, PTR, FD, PTR, BIT31), INVAL_FAULT),
    fails("mkdir", a2(PTR, 0), FAULT),
    fails("mkdirat", a3(FD, PTR, 0), FAULT),
    fails("rmdir", a1(PTR), FAULT),
    fails("unlink", a1(PTR), FAULT),
    // Reserved flag: refused before the path is read.
    fails("unlinkat", a3(FD, PTR, BIT31), INVAL_FAULT),
    fails("link", a2(PTR, PTR), FAULT),
    fails("linkat", a5(FD, PTR, FD, PTR, BIT31), INVAL_FAULT),
    fails("symlink", a2(PTR, PTR), FAULT),
    fails("symlinkat", a3(PTR, FD, PTR), FAULT),
    // bufsiz 0 is refused first.
    fails("readlink", a3(PTR, PTR, 0), INVAL_FAULT),
    fails("readlinkat", a4(FD, PTR, PTR, 0), INVAL_FAULT),
    fails("chmod", a2(PTR, 0), FAULT),
    fails("fchmodat", a3(FD, PTR, 0), FAULT),
    optional("fchmodat2", a4(FD, PTR, 0, BIT31), INVAL_FAULT),
    fails("chown", a3(PTR, FD, FD), FAULT),
    fails("lchown", a3(PTR, FD, FD), FAULT),
    fails("fchownat", a5(FD, PTR, FD, FD, BIT31), INVAL_FAULT),
    // File type 0170000 is no type: may_mknod() refuses it before the path is read.
    fails("mknod", a3(PTR, 0o170000, 0), INVAL_FAULT),
    fails("mknodat", a4(FD, PTR, 0o170000, 0), INVAL_FAULT),
    // Length -1 is refused before the path is read.
    fails("truncate", a2(PTR, FD), INVAL_FAULT),
    fails("ftruncate", a2(FD, FD), BADF_INVAL),
    // The times pointer is read first.
    fails("utime", a2(PTR, PTR), FAULT),
    fails("utimes", a2(PTR, PTR), FAULT),
    fails("futimesat", a3(FD, PTR, PTR), FAULT),
    fails("utimensat", a4(FD, PTR, PTR, BIT31), INVAL_FAULT),
    fails("setxattr", a5(PTR, PTR, PTR, 1, 0), FAULT),
    fails("lsetxattr", a5(PTR, PTR, PTR, 1, 0), FAULT),
    fails("getxattr", a4(PTR, PTR, PTR, 1), FAULT),
    fails("lgetxattr", a4(PTR, PTR, PTR, 1), FAULT),
    fails("listxattr", a3(PTR, PTR, 1), FAULT),
    fails("llistxattr", a3(PTR, PTR, 1), FAULT),
    fails("removexattr", a2(PTR, PTR), FAULT),
    fails("lremovexattr", a2(PTR, PTR), FAULT),
    // Reserved at-flag, and a zero-sized argument struct.
    optional("setxattrat", a6(FD, PTR, BIT31, PTR, PTR, 0), INVAL_FAULT),
    optional("getxattrat", a6(FD, PTR, BIT31, PTR, PTR, 0), INVAL_FAULT),
    optional("listxattrat", a5(FD, PTR, BIT31, PTR, 1), INVAL_FAULT),
    optional("removexattrat", a4(FD, PTR, BIT31, PTR), INVAL_FAULT),
    optional(
        "file_getattr",
        a5(FD, PTR, PTR, 0, BIT31),
        &[EINVAL, EFAULT, EBADF],
    ),
    optional(
        "file_setattr",
        a5(FD, PTR, PTR, 0, BIT31),
        &[EINVAL, EFAULT, EBADF],
    ),
    // STATX__RESERVED in the mask.
    fails("statx", a5(FD, PTR, 0, BIT31, PTR), INVAL_FAULT),
    // The buffer is too small for any path, or (cwd gone) ENOENT; a query either way.
    fails("getcwd", a2(PTR, 0), &[ERANGE, EFAULT, ENOENT]),
    // usize 0 is below the first version of struct open_how.
    optional("openat2", a4(FD, PTR, PTR, 0), INVAL),
    // Reserved flag bit 0x10 (only O_CLOEXEC, O_NONBLOCK, O_DIRECT and
    // O_NOTIFICATION_PIPE are allowed): refused before a pipe exists.
    fails("pipe2", a2(PTR, 0x10), INVAL),
    // pipe() has no argument to refuse: it makes the pipe in the child's fd
    // table, fails to store the two fds at address 1 and closes both again.
    fails("pipe", a1(PTR), FAULT),
    // Flags beyond GRND_NONBLOCK, GRND_RANDOM and GRND_INSECURE, refused
    // before any entropy is read or waited for.
    fails("getrandom", a3(PTR, 1, 0x8000), INVAL),
    // fd above max_fd: refused before any descriptor is closed.
    optional("close_range", a3(1, 0, BIT31), INVAL),
    // ---- memory: a misaligned address (1) is refused before any mapping is touched
    // Offset 1 is not page aligned: refused before the fd or the length.
    fails("mmap", a6(0, 0, 0, 0, FD, 1), BADF_INVAL),
    fails("mprotect", a3(PTR, 1, 0), INVAL),
    optional("pkey_mprotect", a4(PTR, 1, 0, FD), INVAL),
    fails("munmap", a2(PTR, 1), INVAL),
    // Reserved flag and misaligned address.
    fails("mremap", a5(PTR, 1, 1, 0x80, 0), INVAL),
    fails("msync", a3(PTR, 1, 0x80), INVAL),
    fails("mincore", a3(PTR, 1, PTR), INVAL),
    optional("madvise", a3(PTR, 1, 0xffff), INVAL),
    // The page holding address 1 is never mapped: nothing to lock. EPERM
    // when RLIMIT_MEMLOCK is 0 and CAP_IPC_LOCK is missing.
    fails("mlock", a2(PTR, 1), &[ENOMEM, EPERM]),
    fails("munlock", a2(PTR, 1), &[ENOMEM, EPERM]),
    fails("mlock2", a3(PTR, 1, 0xff), INVAL),
    // flags 0 is not a valid combination.
    fails("mlockall", a1(0), INVAL),
    // Mode above MPOL_MAX with a misaligned start.
    optional("mbind", a6(PTR, 1, NOOP, 0, 0, 0), INVAL),
    optional("set_mempolicy", a3(NOOP, 0, 0), INVAL),
    optional("get_mempolicy", a5(PTR, 0, 0, 0, 0x80), INVAL),
    optional("set_mempolicy_home_node", a4(PTR, 1, 0, 0xff), INVAL),
    // Reserved flag first; pid that cannot exist next.
    optional("migrate_pages", a4(NOPID, 0, PTR, PTR), &[ESRCH, EINVAL]),
    optional(
        "move_pages",
        a6(NOPID, 1, PTR, 0, PTR, 0x80),
        &[EINVAL, ESRCH],
    ),
    optional("mseal", a3(PTR, 1, 0xff), INVAL),
    optional("map_shadow_stack", a3(PTR, 0, 0xff), &[EOPNOTSUPP, EINVAL]),
    optional("process_madvise", a5(FD, PTR, 1, 0, 0xff), INVAL),
    optional("process_mrelease", a2(FD, 0xff), INVAL),
    optional("memfd_secret", a1(0xff), &[EINVAL, ENOSYS]),
    // Reserved flag 0x100 is checked before the name is read.
    optional("memfd_create", a2(PTR, 0x100), INVAL),
    optional("pkey_alloc", a2(1, 0), INVAL),
    optional("pkey_free", a1(FD), INVAL),
    // ---- signals: a wrong sigset size is refused first
    fails("rt_sigaction", a4(0, PTR, PTR, 0), INVAL),
    fails("rt_sigprocmask", a4(0, PTR, PTR, 0), INVAL),
    fails("rt_sigpending", a2(PTR, 0xffff), INVAL),
    fails("rt_sigtimedwait", a4(PTR, PTR, PTR, 0), INVAL),
    fails("rt_sigsuspend", a2(PTR, 0), INVAL),
    fails("sigaltstack", a2(PTR, PTR), FAULT),
    optional("signalfd", a3(FD, PTR, 0), INVAL),
    optional("signalfd4", a4(FD, PTR, 0, 0), INVAL),
    // Signal 0 to an id no task has: nothing can be delivered.
    fails("kill", a2(NOPID, 0), SRCH),
    fails("tkill", a2(NOPID, 0), SRCH),
    fails("tgkill", a3(NOPID, NOPID, 0), SRCH),
    // The siginfo is copied from address 1 first.
    fails("rt_sigqueueinfo", a3(NOPID, 0, PTR), &[EFAULT, ESRCH]),
    fails(
        "rt_tgsigqueueinfo",
        a4(NOPID, NOPID, 0, PTR),
        &[EFAULT, ESRCH, EINVAL],
    ),
    optional("pidfd_send_signal", a4(FD, 0, PTR, BIT31), BADF_INVAL),
    // ---- time: the user copy or the clock id fails first
    fails("nanosleep", a2(PTR, PTR), FAULT),
    fails("getitimer", a2(NOOP, PTR), INVAL),
    fails("setitimer", a3(NOOP, PTR, PTR), INVAL_FAULT),
    fails("gettimeofday", a2(PTR, PTR), FAULT),
    fails("settimeofday", a2(PTR, PTR), FAULT),
    fails("time", a1(PTR), FAULT),
    fails("times", a1(PTR), FAULT),
    fails("adjtimex", a1(PTR), FAULT),
    fails("clock_settime", a2(NOCLOCK, PTR), INVAL_FAULT),
    fails("clock_gettime", a2(NOCLOCK, PTR), INVAL),
    fails("clock_getres", a2(NOCLOCK, PTR), INVAL),
    fails("clock_nanosleep", a4(NOCLOCK, 0, PTR, PTR), INVAL_FAULT),
    fails("clock_adjtime", a2(NOCLOCK, PTR), INVAL_FAULT),
    fails("timer_create", a3(NOCLOCK, PTR, PTR), INVAL_FAULT),
    fails("timer_settime", a4(FD, 0, PTR, PTR), INVAL_FAULT),
    fails("timer_gettime", a2(FD, PTR), INVAL),
    fails("timer_getoverrun", a1(FD), INVAL),
    fails("timer_delete", a1(FD), INVAL),
    optional("timerfd_create", a2(NOCLOCK, 0), INVAL),
    optional(
        "timerfd_settime",
        a4(FD, 0, PTR, PTR),
        &[EFAULT, EBADF, EINVAL],
    ),
    // ---- waiting: reserved or missing options are refused before any wait
    fails("select", a5(FD, PTR, PTR, PTR, PTR), INVAL_FAULT),
    fails("pselect6", a6(FD, PTR, PTR, PTR, PTR, PTR), INVAL_FAULT),
    fails("poll", a3(PTR, 1, 0), FAULT),
    fails("ppoll", a5(PTR, 1, PTR, PTR, 8), INVAL_FAULT),
    optional("epoll_create", a1(0), INVAL),
    optional("epoll_create1", a1(1), INVAL),
    optional("epoll_ctl", a4(FD, 1, FD, PTR), BADF_FAULT),
    // Newer kernels look the fd up before checking maxevents.
    optional("epoll_wait", a4(FD, PTR, 0, 0), BADF_INVAL),
    optional("epoll_pwait", a6(FD, PTR, 0, 0, PTR, 0), INVAL_FAULT),
    optional("epoll_pwait2", a6(FD, PTR, 0, PTR, 0, 0), INVAL_FAULT),
    // Unknown option bit 0x10000.
    fails("wait4", a4(NOPID, PTR, 0x10000, PTR), INVAL),
    // No WEXITED, WSTOPPED or WCONTINUED. No infop either: the kernel would
    // report the error through it and answer EFAULT instead.
    fails("waitid", a5(0, NOPID, 0, 0, 0), INVAL),
    // FUTEX_WAKE_PRIVATE on a misaligned address: wakes nobody.
    fails("futex", a6(PTR, 0x81, 1, 0, 0, 0), INVAL),
    optional("futex_waitv", a5(PTR, 0, 0xff, 0, 0), INVAL),
    // Reserved futex2 flag bit 30.
    optional("futex_wake", a4(PTR, 1, 0, 0x4000_0000), INVAL),
    optional("futex_wait", a6(PTR, 0, 0, 0x4000_0000, 0, 0), INVAL),
    optional("futex_requeue", a4(PTR, 0xff, 1, 1), INVAL),
    fails("set_robust_list", a2(PTR, 0), INVAL),
    fails("get_robust_list", a3(NOPID, PTR, PTR), SRCH),
    // ---- processes and credentials
    // CLONE_THREAD without CLONE_SIGHAND: copy_process() refuses it first,
    // before anything is created. No namespace flag, so argument rules on
    // namespaces see an ordinary clone.
    fails("clone", a5(0x10000 | 17, 0, 0, 0, 0), INVAL),
    // A size below the first version of struct clone_args.
    optional("clone3", a2(PTR, 1), INVAL),
    // Bit 0 is not an unshare flag.
    fails("unshare", a1(1), INVAL),
    fails("ptrace", a4(3, NOPID, PTR, PTR), SRCH),
    // -1 is never a valid id.
    fails("setuid", a1(FD), INVAL),
    fails("setgid", a1(FD), INVAL),
    fails("setpgid", a2(NOPID, FD), INVAL),
    fails("getpgid", a1(NOPID), SRCH),
    fails("getsid", a1(NOPID), SRCH),
    fails("getgroups", a2(FD, PTR), INVAL),
    fails("setgroups", a2(FD, PTR), PERM_INVAL),
    fails("getresuid", a3(PTR, PTR, PTR), FAULT),
    fails("getresgid", a3(PTR, PTR, PTR), FAULT),
    fails("capget", a2(PTR, PTR), FAULT),
    fails("capset", a2(PTR, PTR), FAULT),
    // -1 everywhere means "leave unchanged": the credentials stay as they are.
    succeeds("setreuid", a2(FD, FD)),
    succeeds("setregid", a2(FD, FD)),
    succeeds("setresuid", a3(FD, FD, FD)),
    succeeds("setresgid", a3(FD, FD, FD)),
    succeeds("setfsuid", a1(FD)),
    succeeds("setfsgid", a1(FD)),
    // Queries about the caller.
    succeeds("getpid", [0; 6]),
    succeeds("getppid", [0; 6]),
    succeeds("gettid", [0; 6]),
    succeeds("getpgrp", [0; 6]),
    succeeds("getuid", [0; 6]),
    succeeds("geteuid", [0; 6]),
    succeeds("getgid", [0; 6]),
    succeeds("getegid", [0; 6]),
    succeeds("sched_yield", [0; 6]),
    // 0xffffffff only queries the execution domain.
    succeeds("personality", a1(0xffff_ffff)),
    // brk(0) is below the heap start: it returns the current break unchanged.
    succeeds("brk", a1(0)),
    // Cancels the child's own alarm, which it never set.
    succeeds("alarm", a1(0)),
    // A umask of 0777 in the child only makes any file it could create unreadable.
    succeeds("umask", a1(0o777)),
    // Clears the thread's clear-child-tid address, which raw clone left unset.
    succeeds("set_tid_address", a1(0)),
    // The child has no locked memory (locks are not inherited across fork).
    succeeds("munlockall", [0; 6]),
    // Makes the child (never a group leader: it is a fork) lead a new
    // session of its own; nothing outside it changes, and it still dies with whatami.
    succeeds("setsid", [0; 6]),
    // Objects owned by the child's own fd table, gone when it exits.
    optional("eventfd", a1(0), &[]).succeeding(),
    optional("inotify_init", [0; 6], &[]).succeeding(),
    optional("eventfd2", a2(0, 2), INVAL),
    optional("inotify_init1", a1(1), INVAL),
    optional("inotify_add_watch", a3(FD, PTR, 0), BADF_INVAL),
    fails("getrlimit", a2(0xff, PTR), INVAL),
    fails("setrlimit", a2(0xff, PTR), INVAL_FAULT),
    fails(
        "prlimit64",
        a4(NOPID, 0xff, PTR, PTR),
        &[EFAULT, ESRCH, EINVAL],
    ),
    fails("getrusage", a2(NOOP, PTR), INVAL),
    fails("getpriority", a2(0xff, 0), INVAL),
    fails("setpriority", a3(0xff, 0, 0), INVAL),
    fails("ioprio_get", a2(0xff, 0), INVAL),
    fails("ioprio_set", a3(0xff, 0, 0), INVAL),
    // Negative pids are refused first.
    fails("sched_setparam", a2(FD, PTR), INVAL),
    fails("sched_getparam", a2(FD, PTR), INVAL),
    fails("sched_setscheduler", a3(FD, 0, PTR), INVAL),
    fails("sched_getscheduler", a1(FD), INVAL),
    fails("sched_get_priority_max", a1(0xff), INVAL),
    fails("sched_get_priority_min", a1(0xff), INVAL),
    fails("sched_rr_get_interval", a2(FD, PTR), INVAL),
    fails("sched_setattr", a3(FD, PTR, 0), INVAL),
    fails("sched_getattr", a4(FD, PTR, 0, 0), INVAL),
    fails("sched_setaffinity", a3(NOPID, 8, PTR), &[EFAULT, ESRCH]),
    fails("sched_getaffinity", a3(NOPID, 8, PTR), &[ESRCH, EINVAL]),
    fails("getcpu", a3(PTR, PTR, 0), FAULT),
    fails("uname", a1(PTR), FAULT),
    fails("sysinfo", a1(PTR), FAULT),
    optional("kcmp", a5(NOPID, NOPID, 0xff, 0, 0), SRCH),
    // Non-zero flags are refused before the pid is looked up.
    fails("process_vm_readv", a6(NOPID, PTR, 1, PTR, 1, 0xff), INVAL),
    fails("process_vm_writev", a6(NOPID, PTR, 1, PTR, 1, 0xff), INVAL),
    optional("pidfd_open", a2(NOPID, BIT31), INVAL),
    optional("pidfd_getfd", a3(FD, 0, 0xff), INVAL),
    // An option no kernel defines (options are small numbers or 4-letter tags).
    fails("prctl", a5(NOOP, 0, 0, 0, 0), INVAL),
    // An invalid operation: never strict mode, never a filter.
    fails("seccomp", a3(NOOP, 0, 0), INVAL),
    optional("rseq", a4(PTR, 0, 0x2, 0), INVAL),
    optional(
        "landlock_create_ruleset",
        a3(PTR, 0, BIT31),
        &[EINVAL, EOPNOTSUPP],
    ),
    optional(
        "landlock_add_rule",
        a4(FD, 0, PTR, 0xff),
        &[EINVAL, EOPNOTSUPP],
    ),
    optional(
        "landlock_restrict_self",
        a2(FD, BIT31),
        &[EINVAL, EOPNOTSUPP, EPERM, EBADF],
    ),
    optional("lsm_get_self_attr", a4(0, PTR, PTR, 0xff), INVAL_FAULT),
    optional("lsm_set_self_attr", a4(0, PTR, 0, 0xff), INVAL_FAULT),
    optional("lsm_list_modules", a3(PTR, PTR, 0xff), INVAL_FAULT),
    // ---- SysV IPC: negative ids and impossible sizes are refused before
    // any object is created or touched
    optional("shmget", a3(0, 0, 0), INVAL),
    optional("shmat", a3(FD, 0, 0), INVAL),
    optional("shmctl", a3(FD, 2, PTR), INVAL),
    optional("shmdt", a1(PTR), INVAL),
    optional("semget", a3(0, FD, 0), INVAL),
    // Newer kernels copy the operations before checking the id.
    optional("semop", a3(FD, PTR, 1), INVAL_FAULT),
    optional("semtimedop", a4(FD, PTR, 1, PTR), INVAL_FAULT),
    optional("semctl", a4(FD, 0, 2, 0), INVAL),
    // No IPC_CREAT: only looks the key up, and no queue has it.
    optional("msgget", a2(0x7ec0_de11, 0), &[ENOENT]),
    optional("msgsnd", a4(FD, PTR, 1, 0), INVAL_FAULT),
    optional("msgrcv", a5(FD, PTR, 1, 0, 0), INVAL),
    optional("msgctl", a3(FD, 2, PTR), INVAL),
    optional("mq_open", a4(PTR, 0, 0, 0), FAULT),
    optional("mq_unlink", a1(PTR), FAULT),
    optional(
        "mq_timedsend",
        a5(FD, PTR, 1, 0, PTR),
        &[EFAULT, EBADF, EINVAL],
    ),
    optional("mq_timedreceive", a5(FD, PTR, 1, PTR, PTR), BADF_FAULT),
    optional("mq_notify", a2(FD, PTR), BADF_FAULT),
    optional("mq_getsetattr", a3(FD, PTR, PTR), BADF_FAULT),
    // ---- asynchronous I/O: context 0 never exists
    optional("io_setup", a2(0, PTR), FAULT),
    optional("io_destroy", a1(0), INVAL),
    optional("io_getevents", a5(0, 1, 0, PTR, PTR), INVAL_FAULT),
    optional("io_pgetevents", a6(0, 1, 0, PTR, PTR, PTR), INVAL_FAULT),
    optional("io_submit", a3(0, 1, PTR), INVAL),
    optional("io_cancel", a3(0, PTR, PTR), INVAL_FAULT),
    // io_uring_disabled gives EPERM before the parameters are read.
    optional("io_uring_setup", a2(0, PTR), &[EPERM, EFAULT, EINVAL]),
    optional("io_uring_enter", a6(FD, 0, 0, BIT31, 0, 0), BADF_INVAL),
    optional("io_uring_register", a4(FD, NOOP, 0, 0), BADF_INVAL),
    // ---- system-wide state: a capability check may come first (EPERM);
    // the arguments are refused before anything changes
    // Bad magic numbers: the kernel's own guard against accidental reboots.
    fails("reboot", a4(0, 0, 0, 0), PERM_INVAL),
    // Length above __NEW_UTS_LEN.
    fails("sethostname", a2(PTR, 0xffff), PERM_INVAL),
    fails("setdomainname", a2(PTR, 0xffff), PERM_INVAL),
    // Type 0 (oldval) of the old syscall form: the args struct is read first.
    optional("_sysctl", a1(PTR), &[EFAULT, ENOSYS]),
    // An action number no kernel defines (actions 5 to 8 would change the log).
    fails("syslog", a3(NOOP, PTR, 1), PERM_INVAL),
    fails("acct", a1(PTR), PERM_FAULT),
    // The mount type string is copied from address 1 first.
    fails("mount", a5(PTR, PTR, PTR, 0, PTR), FAULT),
    // UMOUNT_UNUSED, the flag the kernel keeps reserved.
    fails("umount2", a2(PTR, BIT31), INVAL),
    fails("pivot_root", a2(PTR, PTR), PERM_FAULT),
    optional("swapon", a2(PTR, BIT31), INVAL),
    optional("swapoff", a1(PTR), PERM_FAULT),
    // A length too short for any module: refused before a byte is read.
    optional("init_module", a3(PTR, 0, PTR), &[EPERM, ENOEXEC]),
    optional("finit_module", a3(FD, PTR, BIT31), &[EPERM, EINVAL, EBADF]),
    optional("delete_module", a2(PTR, 0), PERM_FAULT),
    // Flag bit 0x80 is no kexec flag; too many segments as well.
    optional("kexec_load", a4(0, FD, PTR, 0x80), PERM_INVAL),
    optional("kexec_file_load", a5(FD, FD, 0, PTR, BIT31), PERM_INVAL),
    // Quota type 0xff is above MAXQUOTAS.
    optional("quotactl", a4(0xff, PTR, 0, PTR), INVAL),
    optional("quotactl_fd", a4(FD, 0xff, 0, PTR), BADF_INVAL),
    // An unknown command with a zero-sized attribute.
    optional("bpf", a3(NOOP, PTR, 0), PERM_INVAL),
    optional("perf_event_open", a5(PTR, FD, FD, FD, BIT31), INVAL),
    optional("fanotify_init", a2(BIT31, 0), PERM_INVAL),
    // Neither add, remove nor flush.
    optional("fanotify_mark", a5(FD, 0, 0, FD, PTR), BADF_INVAL),
    optional("name_to_handle_at", a5(FD, PTR, PTR, PTR, BIT31), INVAL),
    optional("open_by_handle_at", a3(FD, PTR, 0), &[EPERM, EFAULT, EBADF]),
    // UFFD_USER_MODE_ONLY plus the reserved bit 0x2.
    optional("userfaultfd", a1(3), PERM_INVAL),
    // A query command with a non-zero flag.
    optional("membarrier", a2(0, 1), INVAL),
    optional("open_tree", a3(FD, PTR, BIT31), &[EINVAL, EFAULT, EPERM]),
    optional(
        "open_tree_attr",
        a5(FD, PTR, BIT31, PTR, 0),
        &[EINVAL, EFAULT, EPERM],
    ),
    optional("move_mount", a5(FD, PTR, FD, PTR, BIT31), PERM_INVAL),
    optional("fsopen", a2(PTR, BIT31), &[EPERM, EINVAL, EFAULT]),
    optional(
        "fsconfig",
        a5(FD, NOOP, 0, 0, 0),
        &[EINVAL, EBADF, EOPNOTSUPP],
    ),
    optional("fsmount", a3(FD, BIT31, 0xffff), &[EPERM, EINVAL, EBADF]),
    optional("fspick", a3(FD, PTR, BIT31), &[EPERM, EINVAL, EFAULT]),
    optional("mount_setattr", a5(FD, PTR, BIT31, PTR, 0), INVAL_FAULT),
    optional("statmount", a4(PTR, PTR, 0, 0xff), INVAL_FAULT),
    optional("listmount", a4(PTR, PTR, 0, 0xff), INVAL_FAULT),
    // add_key refuses a payload of 1 MiB before reading the type.
    optional("add_key", a5(PTR, PTR, PTR, 0x10_0000, 0), INVAL_FAULT),
    // The type string is read first: no upcall to request-key can start.
    optional("request_key", a4(PTR, PTR, PTR, 0), FAULT),
    optional("keyctl", a5(NOOP, 0, 0, 0, 0), &[EOPNOTSUPP]),
    optional("lookup_dcookie", a3(0, PTR, 0), &[ENOSYS, EPERM, EINVAL]),
    optional("uselib", a1(PTR), &[EFAULT, ENOSYS]),
    optional("ustat", a2(0, PTR), INVAL_FAULT),
    optional("sysfs", a3(NOOP, 0, 0), INVAL),
    // ---- x86 only
    // Reading the default LDT into address 1.
    optional("modify_ldt", a3(2, PTR, 1), FAULT),
    fails("arch_prctl", a2(NOOP, PTR), INVAL),
    optional("iopl", a1(4), INVAL),
    optional("ioperm", a3(0, 0, 0), INVAL),
    // sys_ni_syscall on x86_64 (32-bit TLS is set through arch_prctl there).
    fails("set_thread_area", a1(PTR), &[ENOSYS, EFAULT]),
    fails("get_thread_area", a1(PTR), &[ENOSYS, EFAULT]),
    gone("create_module"),
    gone("get_kernel_syms"),
    gone("query_module"),
    gone("nfsservctl"),
    gone("getpmsg"),
    gone("putpmsg"),
    gone("afs_syscall"),
    gone("tuxcall"),
    gone("security"),
    gone("vserver"),
    gone("epoll_ctl_old"),
    gone("epoll_wait_old"),
];

impl Harmless {
    const fn succeeding(self) -> Harmless {
        Harmless {
            expect: Expect::SUCCEEDS,
            ..self
        }
    }
}

/// Syscalls that are never issued by the direct prober, with the reason.
pub static NOT_HARMLESS: &[(&str, &str)] = &[
    ("exit", "ends the calling thread"),
    ("exit_group", "ends the probe child"),
    ("rt_sigreturn", "restores registers from the stack"),
    ("fork", "creates a process; no argument makes it fail"),
    ("vfork", "creates a process and suspends the caller"),
    ("execve", "replaces the running program"),
    ("execveat", "replaces the running program"),
    ("pause", "blocks until a signal arrives; takes no argument"),
    (
        "sync",
        "takes no argument: it always writes back every file system",
    ),
    (
        "vhangup",
        "hangs up the controlling terminal; takes no argument",
    ),
    (
        "restart_syscall",
        "what it does depends on the thread's saved restart state",
    ),
    (
        "remap_file_pages",
        "writes a deprecation warning to the kernel log before checking its arguments",
    ),
    (
        "uretprobe",
        "runs the uprobe machinery; issued for real it kills the caller",
    ),
    (
        "uprobe",
        "runs the uprobe machinery; issued for real it kills the caller",
    ),
];

/// Calls of [`TABLE`] marked optional that every kernel has from the given
/// release on, whatever its build options: there, ENOSYS cannot be the
/// kernel's own answer.
pub static ALWAYS_SINCE: &[(&str, (u32, u32))] = &[
    ("pidfd_send_signal", (5, 1)),
    ("open_tree", (5, 2)),
    ("move_mount", (5, 2)),
    ("fsopen", (5, 2)),
    ("fsconfig", (5, 2)),
    ("fsmount", (5, 2)),
    ("fspick", (5, 2)),
    ("clone3", (5, 3)),
    ("pidfd_open", (5, 3)),
    ("pidfd_getfd", (5, 6)),
    ("openat2", (5, 6)),
    ("faccessat2", (5, 8)),
    ("close_range", (5, 9)),
    ("mount_setattr", (5, 12)),
    ("fchmodat2", (6, 6)),
    ("statmount", (6, 8)),
    ("listmount", (6, 8)),
    ("mseal", (6, 10)),
    ("setxattrat", (6, 13)),
    ("getxattrat", (6, 13)),
    ("listxattrat", (6, 13)),
    ("removexattrat", (6, 13)),
    ("open_tree_attr", (6, 15)),
    ("file_getattr", (6, 17)),
    ("file_setattr", (6, 17)),
];

/// Whether the running kernel may lack `h` (so that ENOSYS may be its own answer).
pub fn may_lack(h: &Harmless, kernel: Option<(u32, u32)>) -> bool {
    let present = ALWAYS_SINCE
        .iter()
        .any(|(n, since)| *n == h.name && kernel.is_some_and(|k| k >= *since));
    h.may_lack && !present
}

/// The table entry for `name`, if there is one.
pub fn lookup(name: &str) -> Option<&'static Harmless> {
    TABLE.iter().find(|h| h.name == name)
}

/// Why `name` is never issued, if it is on the list.
pub fn not_harmless(name: &str) -> Option<&'static str> {
    NOT_HARMLESS
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, why)| *why)
}

/// The newest kernel release whose syscalls the name tables (the `syscalls`
/// crate) list in full.
pub const TABLES_KERNEL: (u32, u32) = (6, 18);

/// Whether numbers the name tables do not list are certainly unimplemented
/// by the running kernel, so that issuing them (with all arguments zero)
/// reaches only the kernel's "no such syscall" path (ENOSYS) and runs nothing.
///
/// A kernel no newer than [`TABLES_KERNEL`] implements no syscall the tables
/// do not name: every syscall upstream added up to that release is named,
/// gaps included (x86_64's 335 and 336 took numbers inside a gap, and they
/// are named). A newer kernel, or one whose version is unknown, may
/// implement any unnamed number, with effects nobody can vouch for: those
/// numbers are then not issued. The residual risk is a vendor kernel that
/// backports a syscall newer than its own version number; none is known.
pub fn unnamed_numbers_unimplemented(kernel: Option<(u32, u32)>) -> bool {
    kernel.is_some_and(|k| k <= TABLES_KERNEL)
}

/// Errnos that a capability or credential check answers: the same number
/// from the filter and from the kernel cannot be told apart.
pub fn is_credential_errno(errno: i32) -> bool {
    errno == EPERM || errno == EACCES
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::linux::abi;

    /// Entries for names only the other architecture has: each table entry
    /// must be a syscall of the native table or on this list.
    #[cfg(target_arch = "x86_64")]
    const OTHER_ARCH_ONLY: &[&str] = &[];
    #[cfg(target_arch = "aarch64")]
    const OTHER_ARCH_ONLY: &[&str] = &[
        "_sysctl",
        "access",
        "afs_syscall",
        "alarm",
        "arch_prctl",
        "chmod",
        "chown",
        "creat",
        "create_module",
        "dup2",
        "epoll_create",
        "epoll_ctl_old",
        "epoll_wait",
        "epoll_wait_old",
        "eventfd",
        "futimesat",
        "get_kernel_syms",
        "get_thread_area",
        "getdents",
        "getpgrp",
        "getpmsg",
        "inotify_init",
        "ioperm",
        "iopl",
        "lchown",
        "link",
        "lstat",
        "mkdir",
        "mknod",
        "modify_ldt",
        "open",
        "pipe",
        "poll",
        "putpmsg",
        "query_module",
        "readlink",
        "rename",
        "rmdir",
        "security",
        "select",
        "set_thread_area",
        "signalfd",
        "stat",
        "symlink",
        "sysfs",
        "time",
        "tuxcall",
        "unlink",
        "uselib",
        "ustat",
        "utime",
        "utimes",
        "vserver",
    ];

    fn native_names() -> Vec<&'static str> {
        let n = abi::native();
        (0..=abi::max_nr(n)).filter_map(|nr| n.name(nr)).collect()
    }

    #[test]
    fn every_entry_names_a_syscall_once() {
        let names = native_names();
        let mut seen = std::collections::BTreeSet::new();
        for h in TABLE {
            assert!(seen.insert(h.name), "{} is listed twice", h.name);
            let known = names.contains(&h.name) || OTHER_ARCH_ONLY.contains(&h.name);
            assert!(known, "{} is not a syscall of either architecture", h.name);
            assert!(
                !(names.contains(&h.name) && OTHER_ARCH_ONLY.contains(&h.name)),
                "{} is native here",
                h.name
            );
        }
    }

    #[test]
    fn no_entry_for_a_call_that_cannot_be_made_harmless() {
        for (name, _) in NOT_HARMLESS {
            assert!(lookup(name).is_none(), "{name} must never be issued");
        }
        // The calls that must never run, whatever else changes.
        for name in [
            "exit",
            "exit_group",
            "rt_sigreturn",
            "fork",
            "vfork",
            "execve",
            "execveat",
            "pause",
            "sync",
            "vhangup",
        ] {
            assert!(lookup(name).is_none(), "{name} must never be issued");
            assert!(not_harmless(name).is_some(), "{name} needs a reason");
        }
    }

    #[test]
    fn every_native_syscall_is_decided() {
        let undecided: Vec<&str> = native_names()
            .into_iter()
            .filter(|n| lookup(n).is_none() && not_harmless(n).is_none())
            .collect();
        assert!(undecided.is_empty(), "no decision for {undecided:?}");
    }

    #[test]
    fn signals_go_nowhere_and_pids_do_not_exist() {
        for name in ["kill", "tkill", "tgkill"] {
            let h = lookup(name).unwrap();
            let sig = h.args[if name == "tgkill" { 2 } else { 1 }];
            assert_eq!(sig, 0, "{name} must send signal 0");
            assert!(h.args[0] > (1 << 22), "{name} must target no process");
        }
        // ptrace must never be PTRACE_TRACEME (0), which needs no pid.
        assert_ne!(lookup("ptrace").unwrap().args[0], 0);
    }

    #[test]
    fn expectations_are_never_empty_for_failing_calls() {
        for h in TABLE {
            assert!(
                h.expect.succeeds || !h.expect.errnos.is_empty(),
                "{} has no expected answer",
                h.name
            );
        }
    }

    #[test]
    fn calls_newer_than_the_kernel_may_be_missing() {
        let clone3 = lookup("clone3").unwrap();
        assert!(may_lack(clone3, Some((5, 2))));
        assert!(may_lack(clone3, None));
        assert!(!may_lack(clone3, Some((6, 1))));
        // Behind a build option: missing whatever the version.
        assert!(may_lack(lookup("bpf").unwrap(), Some((6, 18))));
        assert!(!may_lack(lookup("read").unwrap(), None));
        for (name, _) in ALWAYS_SINCE {
            assert!(lookup(name).is_some_and(|h| h.may_lack), "{name}");
        }
    }

    #[test]
    fn unnamed_numbers_only_on_kernels_the_tables_cover() {
        assert!(unnamed_numbers_unimplemented(Some((6, 18))));
        assert!(unnamed_numbers_unimplemented(Some((4, 4))));
        assert!(!unnamed_numbers_unimplemented(Some((6, 19))));
        assert!(!unnamed_numbers_unimplemented(Some((7, 0))));
        assert!(!unnamed_numbers_unimplemented(None));
    }
}
