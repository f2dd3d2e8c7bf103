//! A failing call as strace would show it: `openat(AT_FDCWD, "/x",
//! O_WRONLY|O_CREAT, 0666)`, with its path arguments read from the tracee's
//! memory and kept apart, so that the explanation can name the file and
//! check its mount and permissions.
//!
//! Only calls that fail are decoded, so the table covers the calls that fail
//! for the reasons `why` explains (files, mounts, sockets, credentials,
//! namespaces, time, modules, tracing) plus the most common others. A call
//! without a decoder shows its raw arguments in hex, up to the last non-zero
//! one. Every memory read is bounded (memory.rs): a path by PATH_MAX, a data
//! string by [`STR_MAX`], an argv by [`ARGV_MAX`] entries.

use super::arch::Layout;
use super::memory::{PATH_MAX, Reader};
use super::structs;
pub use super::structs::{CapSets, PerfAttr};
use std::fmt::Write as _;

/// Data strings are cut to this many bytes, as strace's default `-s 32`.
pub const STR_MAX: usize = 32;
/// argv entries shown.
const ARGV_MAX: usize = 32;
/// envp entries counted.
const ENVP_MAX: usize = 4096;

/// How a path argument is used, which decides what the permission check
/// looks at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Opened or read.
    Read,
    /// Opened for writing, truncated.
    Write,
    ReadWrite,
    /// A new name in its directory (open with O_CREAT, mkdir, mknod, link, symlink, rename target).
    Create,
    /// A name removed from its directory (unlink, rmdir, rename source).
    Remove,
    Exec,
    /// Looked up only (stat, chdir, readlink): every directory on the way must be searchable.
    Lookup,
    /// Changed in its attributes (chmod, chown, utimes, xattrs): the owner's business.
    Attributes,
    /// The mount point of mount, umount, pivot_root.
    MountPoint,
    /// A path given to the kernel as data (mount source, swap file, module).
    Other,
}

/// One path argument of a call, as the tracee gave it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PathArg {
    /// The path bytes (lossy UTF-8), without the quotes.
    pub path: String,
    /// The directory descriptor it is relative to (AT_FDCWD: -100), when the call takes one.
    pub dirfd: Option<i64>,
    pub role: Role,
    /// The call follows a final symbolic link.
    pub follow: bool,
}

/// A decoded call.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Decoded {
    /// `name(args)`, without the result.
    pub text: String,
    pub paths: Vec<PathArg>,
    /// A socket address argument: family and, for AF_INET/AF_INET6, the port.
    pub sockaddr: Option<(u16, Option<u16>)>,
    /// adjtimex/clock_adjtime: the `modes` field (0 only reads the clock).
    pub timex_modes: Option<u32>,
    /// An extended attribute's name (setxattr family).
    pub xattr: Option<String>,
    /// clone3: the flags read from its clone_args.
    pub clone3_flags: Option<u64>,
    /// bpf: the map type (BPF_MAP_CREATE) or program type (BPF_PROG_LOAD).
    pub bpf_type: Option<u32>,
    /// perf_event_open: what its perf_event_attr asks for.
    pub perf: Option<PerfAttr>,
    /// setrlimit, prlimit64: the new soft and hard limits.
    pub rlimit: Option<(u64, u64)>,
    /// capset: the sets asked for.
    pub capset: Option<CapSets>,
    /// A netlink request the kernel refused in its ack (the call itself
    /// succeeded): netlink.rs.
    pub netlink: Option<super::netlink::Refused>,
}

/// How each argument is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum K {
    /// A C int.
    Int,
    /// A C long (or off_t).
    Long,
    UInt,
    Hex,
    Ptr,
    Fd,
    Dirfd,
    /// A path, with the index of its directory-descriptor argument if any.
    Path(Option<u8>),
    /// A NUL-terminated data string.
    Str,
    /// A string whose length is the argument with this index.
    StrLen(u8),
    Mode,
    OpenFlags,
    AtFlags,
    AccessMode,
    ClockId,
    Timespec,
    Timespec64,
    Timeval,
    Timex,
    Domain,
    SockType,
    /// A protocol of the domain in the argument with this index.
    Proto(u8),
    /// A socket address whose length is the argument with this index.
    Sockaddr(u8),
    CloneFlags,
    Clone3Args,
    NsFlags,
    MountFlags,
    UmountFlags,
    Signal,
    Id,
    Argv,
    Envp,
    PtraceReq,
    /// ptrace's data: options for PTRACE_SEIZE and PTRACE_SETOPTIONS, a signal
    /// for the resuming requests, a pointer otherwise.
    PtraceData,
    PrctlOpt,
    MknodMode,
    Dev,
    Resource,
    Personality,
    IoctlReq,
    RebootCmd,
    BpfCmd,
    /// bpf's attributes, for the command in argument 0.
    BpfAttr,
    PerfEventAttr,
    /// A struct rlimit (of longs) or, with `true`, a struct rlimit64.
    Rlimit(bool),
    CapHeader,
    /// capset's data, with its header in argument 0.
    CapData,
    SyslogAction,
    SockLevel,
    /// An option of the level in argument 1.
    SockOpt,
}

use K::*;

/// (syscall, arguments). Names of every architecture's table: the *32
/// variants are i386's, the legacy ones (open, mkdir...) do not exist on aarch64.
fn spec(name: &str) -> Option<&'static [K]> {
    Some(match name {
        "open" => &[Path(None), OpenFlags, Mode],
        "openat" => &[Dirfd, Path(Some(0)), OpenFlags, Mode],
        "openat2" => &[Dirfd, Path(Some(0)), Ptr, UInt],
        "creat" => &[Path(None), Mode],
        "access" => &[Path(None), AccessMode],
        "faccessat" => &[Dirfd, Path(Some(0)), AccessMode],
        "faccessat2" => &[Dirfd, Path(Some(0)), AccessMode, AtFlags],
        "stat" | "lstat" | "stat64" | "lstat64" => &[Path(None), Ptr],
        "newfstatat" | "fstatat64" => &[Dirfd, Path(Some(0)), Ptr, AtFlags],
        "statx" => &[Dirfd, Path(Some(0)), AtFlags, Hex, Ptr],
        "fstat" | "fstat64" => &[Fd, Ptr],
        "mkdir" => &[Path(None), Mode],
        "mkdirat" => &[Dirfd, Path(Some(0)), Mode],
        "rmdir" | "unlink" | "chdir" | "chroot" | "acct" | "swapoff" | "umount" => &[Path(None)],
        "unlinkat" => &[Dirfd, Path(Some(0)), AtFlags],
        "rename" | "link" | "pivot_root" => &[Path(None), Path(None)],
        "renameat" => &[Dirfd, Path(Some(0)), Dirfd, Path(Some(2))],
        "renameat2" => &[Dirfd, Path(Some(0)), Dirfd, Path(Some(2)), Hex],
        "linkat" => &[Dirfd, Path(Some(0)), Dirfd, Path(Some(2)), AtFlags],
        "symlink" => &[Str, Path(None)],
        "symlinkat" => &[Str, Dirfd, Path(Some(1))],
        "readlink" => &[Path(None), Ptr, UInt],
        "readlinkat" => &[Dirfd, Path(Some(0)), Ptr, UInt],
        "chmod" => &[Path(None), Mode],
        "fchmod" => &[Fd, Mode],
        "fchmodat" => &[Dirfd, Path(Some(0)), Mode],
        "fchmodat2" => &[Dirfd, Path(Some(0)), Mode, AtFlags],
        "chown" | "lchown" | "chown32" | "lchown32" => &[Path(None), Id, Id],
        "fchown" | "fchown32" => &[Fd, Id, Id],
        "fchownat" => &[Dirfd, Path(Some(0)), Id, Id, AtFlags],
        "truncate" | "truncate64" => &[Path(None), Long],
        "ftruncate" | "ftruncate64" => &[Fd, Long],
        "utime" | "utimes" => &[Path(None), Ptr],
        "utimensat" | "futimesat" => &[Dirfd, Path(Some(0)), Ptr, AtFlags],
        "fchdir" | "close" | "fsync" | "fdatasync" => &[Fd],
        "execve" => &[Path(None), Argv, Envp],
        "execveat" => &[Dirfd, Path(Some(0)), Argv, Envp, AtFlags],
        "mknod" => &[Path(None), MknodMode, Dev],
        "mknodat" => &[Dirfd, Path(Some(0)), MknodMode, Dev],
        "mount" => &[Str, Path(None), Str, MountFlags, Ptr],
        "umount2" => &[Path(None), UmountFlags],
        "swapon" => &[Path(None), Hex],
        "sethostname" | "setdomainname" => &[StrLen(1), UInt],
        "clock_settime" => &[ClockId, Timespec],
        "clock_settime64" => &[ClockId, Timespec64],
        "settimeofday" => &[Timeval, Ptr],
        "stime" => &[Ptr],
        "adjtimex" => &[Timex],
        "clock_adjtime" | "clock_adjtime64" => &[ClockId, Timex],
        "socket" => &[Domain, SockType, Proto(0)],
        "socketpair" => &[Domain, SockType, Proto(0), Ptr],
        "bind" | "connect" => &[Fd, Sockaddr(2), UInt],
        "sendto" => &[Fd, Ptr, UInt, Hex, Sockaddr(5), UInt],
        "listen" => &[Fd, Int],
        "setsockopt" | "getsockopt" => &[Fd, SockLevel, SockOpt, Ptr, UInt],
        "setuid" | "setuid32" | "setgid" | "setgid32" | "setfsuid" | "setfsuid32" | "setfsgid"
        | "setfsgid32" => &[Id],
        "setreuid" | "setreuid32" | "setregid" | "setregid32" => &[Id, Id],
        "setresuid" | "setresuid32" | "setresgid" | "setresgid32" => &[Id, Id, Id],
        "setgroups" | "setgroups32" => &[UInt, Ptr],
        "kill" | "tkill" => &[Int, Signal],
        "tgkill" => &[Int, Int, Signal],
        "ptrace" => &[PtraceReq, Int, Ptr, PtraceData],
        "process_vm_readv" | "process_vm_writev" => &[Int, Ptr, UInt, Ptr, UInt, Hex],
        "unshare" => &[NsFlags],
        "setns" => &[Fd, NsFlags],
        "clone" => &[CloneFlags, Ptr, Ptr, Ptr, Ptr],
        "clone3" => &[Clone3Args, UInt],
        "reboot" => &[Hex, Hex, RebootCmd, Ptr],
        "init_module" => &[Ptr, UInt, Str],
        "finit_module" => &[Fd, Str, Hex],
        "delete_module" => &[Str, Hex],
        "kexec_load" => &[Hex, UInt, Ptr, Hex],
        "kexec_file_load" => &[Fd, Fd, UInt, Str, Hex],
        "iopl" => &[Int],
        "ioperm" => &[Hex, UInt, Int],
        "syslog" => &[SyslogAction, Ptr, Int],
        "setrlimit" => &[Resource, Rlimit(false)],
        "prlimit64" => &[Int, Resource, Rlimit(true), Ptr],
        "setpriority" => &[Int, Int, Int],
        "sched_setscheduler" => &[Int, Int, Ptr],
        "personality" => &[Personality],
        "ioctl" => &[Fd, IoctlReq, Ptr],
        "prctl" => &[PrctlOpt, Hex, Hex, Hex, Hex],
        "seccomp" => &[Int, Hex, Ptr],
        "capset" => &[CapHeader, CapData],
        "bpf" => &[BpfCmd, BpfAttr, UInt],
        "perf_event_open" => &[PerfEventAttr, Int, Int, Int, Hex],
        "io_uring_setup" => &[UInt, Ptr],
        "userfaultfd" => &[Hex],
        "quotactl" => &[Hex, Str, Int, Ptr],
        "setxattr" | "lsetxattr" => &[Path(None), Str, Ptr, UInt, Hex],
        "fsetxattr" => &[Fd, Str, Ptr, UInt, Hex],
        "getxattr" | "lgetxattr" => &[Path(None), Str, Ptr, UInt],
        "removexattr" | "lremovexattr" => &[Path(None), Str],
        "fanotify_init" => &[Hex, Hex],
        "open_by_handle_at" => &[Fd, Ptr, OpenFlags],
        "name_to_handle_at" => &[Dirfd, Path(Some(0)), Ptr, Ptr, AtFlags],
        "mlock" | "munlock" => &[Ptr, UInt],
        "mlockall" => &[Hex],
        "move_mount" => &[Dirfd, Path(Some(0)), Dirfd, Path(Some(2)), Hex],
        "open_tree" => &[Dirfd, Path(Some(0)), Hex],
        "fsopen" => &[Str, Hex],
        "read" | "write" => &[Fd, Ptr, UInt],
        "vhangup" | "getpid" | "sync" => &[],
        _ => return None,
    })
}

/// Decodes `name(args)`, reading what the arguments point at through `mem`.
pub fn decode(name: &str, args: &[u64; 6], layout: Layout, mem: &mut Reader) -> Decoded {
    let mut d = Decoded::default();
    let Some(kinds) = spec(name) else {
        let n = args.iter().rposition(|&a| a != 0).map_or(0, |i| i + 1);
        let shown: Vec<String> = args[..n].iter().map(|a| format!("{a:#x}")).collect();
        d.text = format!("{name}({})", shown.join(", "));
        return d;
    };
    let narrow = |a: u64| if layout.ptr == 4 { a & 0xffff_ffff } else { a };
    let args: Vec<u64> = args.iter().map(|&a| narrow(a)).collect();
    let signed = |a: u64| {
        if layout.ptr == 4 {
            i64::from(a as u32 as i32)
        } else {
            a as i64
        }
    };
    let mut parts = Vec::with_capacity(kinds.len());
    for (i, k) in kinds.iter().enumerate() {
        let a = args[i];
        let s = match *k {
            Int => i64::from(a as u32 as i32).to_string(),
            Long => signed(a).to_string(),
            UInt => a.to_string(),
            Hex => format!("{a:#x}"),
            Ptr => ptr(a),
            Fd => (a as u32 as i32).to_string(),
            Dirfd => dirfd(i64::from(a as u32 as i32)),
            Path(dirfd_arg) => match mem.c_string(a, PATH_MAX) {
                Some((bytes, _)) => {
                    d.paths.push(PathArg {
                        path: String::from_utf8_lossy(&bytes).into_owned(),
                        // A descriptor is a C int: the upper half of the register is not part of it.
                        dirfd: dirfd_arg.map(|j| i64::from(args[j as usize] as u32 as i32)),
                        role: role(name, i, &args),
                        follow: follows(name, &args),
                    });
                    quote(&bytes, false)
                }
                None => ptr(a),
            },
            Str => match mem.c_string(a, STR_MAX + 1) {
                Some((bytes, _)) if bytes.len() > STR_MAX => quote(&bytes[..STR_MAX], true),
                Some((bytes, _)) => {
                    if name.ends_with("xattr") && i == 1 {
                        d.xattr = Some(String::from_utf8_lossy(&bytes).into_owned());
                    }
                    quote(&bytes, false)
                }
                None => ptr(a),
            },
            StrLen(j) => {
                let len = (args[j as usize] as usize).min(STR_MAX + 1);
                let bytes = mem.read(a, len);
                if a == 0 || bytes.is_empty() && len > 0 {
                    ptr(a)
                } else if bytes.len() > STR_MAX {
                    quote(&bytes[..STR_MAX], true)
                } else {
                    quote(&bytes, false)
                }
            }
            Mode => {
                // open and openat show a mode only when it is used.
                let flags = if name == "open" {
                    Some(args[1])
                } else if name == "openat" {
                    Some(args[2])
                } else {
                    None
                };
                let used = flags.is_none_or(|f| {
                    f & libc::O_CREAT as u64 != 0 || f & O_TMPFILE_ONLY == O_TMPFILE_ONLY
                });
                if !used {
                    continue;
                }
                format!("{:#o}", a & 0o7777).replace("0o", "0")
            }
            OpenFlags => open_flags(a),
            AtFlags => at_flags(name, a),
            AccessMode => access_mode(a),
            ClockId => named(a, CLOCKS).unwrap_or_else(|| signed(a).to_string()),
            Timespec => timespec(mem, a, layout.time, "tv_nsec"),
            Timespec64 => timespec(mem, a, 8, "tv_nsec"),
            Timeval => timespec(mem, a, layout.time, "tv_usec"),
            Timex => {
                let modes = mem.int(a, 4).map(|m| m as u32);
                d.timex_modes = modes;
                match modes {
                    Some(m) => format!("{{modes={}, ...}}", flags(u64::from(m), ADJ, "0")),
                    None => ptr(a),
                }
            }
            Domain => domain(a),
            SockType => sock_type(a),
            Proto(j) => proto(args[j as usize], a),
            Sockaddr(j) => {
                let (text, sa) = sockaddr(mem, a, args[j as usize]);
                if sa.is_some() {
                    d.sockaddr = sa;
                }
                text
            }
            CloneFlags => clone_flags(a),
            Clone3Args => {
                let f = mem.int(a, 8);
                d.clone3_flags = f;
                let sig = mem.int(a.wrapping_add(32), 8);
                match (f, sig) {
                    (Some(f), Some(s)) => format!(
                        "{{flags={}, exit_signal={}, ...}}",
                        flags(f, CLONE, "0"),
                        signal(s)
                    ),
                    _ => ptr(a),
                }
            }
            NsFlags => flags(a, CLONE, "0"),
            MountFlags => mount_flags(a),
            UmountFlags => flags(a, UMOUNT, "0"),
            Signal => signal(a),
            Id => {
                if a as u32 == u32::MAX {
                    "-1".into()
                } else {
                    (a as u32).to_string()
                }
            }
            Argv => argv(mem, a, layout.ptr),
            Envp => envp(mem, a, layout.ptr),
            PtraceReq => named(a, PTRACE).unwrap_or_else(|| format!("{a:#x}")),
            PtraceData => match args[0] {
                0x4200 | 0x4206 => flags(a, PTRACE_OPTIONS, "0"),
                7 | 9 | 17 | 24 | 0x4207 => signal(a),
                _ => ptr(a),
            },
            PrctlOpt => named(a, PRCTL).unwrap_or_else(|| a.to_string()),
            MknodMode => mknod_mode(a),
            Dev => {
                let major = ((a >> 8) & 0xfff) | ((a >> 32) & !0xfff);
                let minor = (a & 0xff) | ((a >> 12) & !0xff);
                format!("makedev({major:#x}, {minor:#x})")
            }
            Resource => named(a, RLIMITS).unwrap_or_else(|| a.to_string()),
            Personality => personality(a),
            IoctlReq => named(a, IOCTLS).unwrap_or_else(|| format!("{a:#x}")),
            RebootCmd => named(a, REBOOT).unwrap_or_else(|| format!("{a:#x}")),
            BpfCmd => structs::bpf_cmd(a),
            BpfAttr => {
                let (text, ty) = structs::bpf_attr(mem, args[0], a);
                d.bpf_type = ty;
                text
            }
            PerfEventAttr => {
                let (text, attr) = structs::perf_attr(mem, a);
                d.perf = attr;
                text
            }
            Rlimit(wide) => {
                let (text, l) = structs::rlimit(mem, a, if wide { 8 } else { layout.ptr });
                d.rlimit = l;
                text
            }
            CapHeader => {
                let (head, data, sets) = structs::capset(mem, a, args[1]);
                d.capset = sets;
                parts.push(head);
                parts.push(data);
                break;
            }
            CapData => ptr(a),
            SyslogAction => named(a, SYSLOG).unwrap_or_else(|| a.to_string()),
            SockLevel => sock_level(a),
            SockOpt => sock_opt(args[1], a),
        };
        parts.push(s);
    }
    d.text = format!("{name}({})", parts.join(", "));
    d
}

fn ptr(a: u64) -> String {
    if a == 0 {
        "NULL".into()
    } else {
        format!("{a:#x}")
    }
}

fn dirfd(fd: i64) -> String {
    if fd == i64::from(libc::AT_FDCWD) {
        "AT_FDCWD".into()
    } else {
        fd.to_string()
    }
}

/// A C string literal: printable ASCII as is, the usual escapes, octal for
/// the rest; `cut` adds strace's `...` after the closing quote.
pub fn quote(bytes: &[u8], cut: bool) -> String {
    let mut s = String::with_capacity(bytes.len() + 2);
    s.push('"');
    for &b in bytes {
        match b {
            b'"' => s.push_str("\\\""),
            b'\\' => s.push_str("\\\\"),
            b'\n' => s.push_str("\\n"),
            b'\t' => s.push_str("\\t"),
            b'\r' => s.push_str("\\r"),
            0x0b => s.push_str("\\v"),
            0x0c => s.push_str("\\f"),
            0x20..=0x7e => s.push(b as char),
            _ => {
                let _ = write!(s, "\\{b:03o}");
            }
        }
    }
    s.push('"');
    if cut {
        s.push_str("...");
    }
    s
}

fn named(v: u64, table: &[(u64, &str)]) -> Option<String> {
    table
        .iter()
        .find(|(k, _)| *k == v)
        .map(|(_, n)| (*n).to_string())
}

/// `A|B|0x40` for the bits of `v` named in `table`; `zero` when none is set.
fn flags(v: u64, table: &[(u64, &str)], zero: &str) -> String {
    let mut rest = v;
    let mut out = Vec::new();
    for &(bit, name) in table {
        if bit != 0 && rest & bit == bit {
            out.push(name.to_string());
            rest &= !bit;
        }
    }
    if rest != 0 {
        out.push(format!("{rest:#x}"));
    }
    if out.is_empty() {
        zero.to_string()
    } else {
        out.join("|")
    }
}

// O_TMPFILE includes O_DIRECTORY; its own bit is __O_TMPFILE.
const O_TMPFILE_ONLY: u64 = libc::O_TMPFILE as u64 & !(libc::O_DIRECTORY as u64);

fn open_flags(a: u64) -> String {
    let acc = match a & 3 {
        0 => "O_RDONLY",
        1 => "O_WRONLY",
        2 => "O_RDWR",
        _ => "O_ACCMODE",
    };
    // O_SYNC includes O_DSYNC, O_TMPFILE includes O_DIRECTORY: longer masks first.
    let table: Vec<(u64, &str)> = vec![
        (libc::O_TMPFILE as u64, "O_TMPFILE"),
        (libc::O_SYNC as u64, "O_SYNC"),
        (libc::O_CREAT as u64, "O_CREAT"),
        (libc::O_EXCL as u64, "O_EXCL"),
        (libc::O_NOCTTY as u64, "O_NOCTTY"),
        (libc::O_TRUNC as u64, "O_TRUNC"),
        (libc::O_APPEND as u64, "O_APPEND"),
        (libc::O_NONBLOCK as u64, "O_NONBLOCK"),
        (libc::O_DSYNC as u64, "O_DSYNC"),
        (0o20000, "O_ASYNC"),
        (libc::O_DIRECT as u64, "O_DIRECT"),
        (O_LARGEFILE_KERNEL, "O_LARGEFILE"),
        (libc::O_DIRECTORY as u64, "O_DIRECTORY"),
        (libc::O_NOFOLLOW as u64, "O_NOFOLLOW"),
        (libc::O_NOATIME as u64, "O_NOATIME"),
        (libc::O_CLOEXEC as u64, "O_CLOEXEC"),
        (libc::O_PATH as u64, "O_PATH"),
    ];
    let rest = flags(a & !3, &table, "");
    if rest.is_empty() {
        acc.to_string()
    } else {
        format!("{acc}|{rest}")
    }
}

/// The kernel's O_LARGEFILE (C libraries define it as 0 on 64-bit targets).
#[cfg(target_arch = "x86_64")]
const O_LARGEFILE_KERNEL: u64 = 0o100000;
#[cfg(target_arch = "aarch64")]
const O_LARGEFILE_KERNEL: u64 = 0o400000;

fn at_flags(name: &str, a: u64) -> String {
    let mut table: Vec<(u64, &str)> = vec![
        (0x100, "AT_SYMLINK_NOFOLLOW"),
        (0x400, "AT_SYMLINK_FOLLOW"),
        (0x800, "AT_NO_AUTOMOUNT"),
        (0x1000, "AT_EMPTY_PATH"),
        (0x6000, "AT_STATX_SYNC_TYPE"),
    ];
    table.insert(
        0,
        if name.starts_with("faccessat") {
            (0x200, "AT_EACCESS")
        } else {
            (0x200, "AT_REMOVEDIR")
        },
    );
    flags(a, &table, "0")
}

fn access_mode(a: u64) -> String {
    if a == 0 {
        return "F_OK".into();
    }
    flags(a, &[(4, "R_OK"), (2, "W_OK"), (1, "X_OK")], "F_OK")
}

const CLOCKS: &[(u64, &str)] = &[
    (0, "CLOCK_REALTIME"),
    (1, "CLOCK_MONOTONIC"),
    (2, "CLOCK_PROCESS_CPUTIME_ID"),
    (3, "CLOCK_THREAD_CPUTIME_ID"),
    (4, "CLOCK_MONOTONIC_RAW"),
    (5, "CLOCK_REALTIME_COARSE"),
    (6, "CLOCK_MONOTONIC_COARSE"),
    (7, "CLOCK_BOOTTIME"),
    (8, "CLOCK_REALTIME_ALARM"),
    (9, "CLOCK_BOOTTIME_ALARM"),
    (11, "CLOCK_TAI"),
];

const ADJ: &[(u64, &str)] = &[
    (0x0001, "ADJ_OFFSET"),
    (0x0002, "ADJ_FREQUENCY"),
    (0x0004, "ADJ_MAXERROR"),
    (0x0008, "ADJ_ESTERROR"),
    (0x0010, "ADJ_STATUS"),
    (0x0020, "ADJ_TIMECONST"),
    (0x0080, "ADJ_TAI"),
    (0x0100, "ADJ_SETOFFSET"),
    (0x1000, "ADJ_MICRO"),
    (0x2000, "ADJ_NANO"),
    (0x4000, "ADJ_TICK"),
];

/// `{tv_sec=N, tv_nsec=N}` from two integers of `size` bytes.
fn timespec(mem: &mut Reader, a: u64, size: usize, second: &str) -> String {
    let sec = mem.int(a, size);
    let sub = mem.int(a.wrapping_add(size as u64), size);
    let signed = |v: u64| {
        if size == 4 {
            i64::from(v as u32 as i32)
        } else {
            v as i64
        }
    };
    match (sec, sub) {
        (Some(s), Some(n)) => format!("{{tv_sec={}, {second}={}}}", signed(s), signed(n)),
        _ => ptr(a),
    }
}

const DOMAINS: &[(u64, &str)] = &[
    (0, "AF_UNSPEC"),
    (1, "AF_UNIX"),
    (2, "AF_INET"),
    (3, "AF_AX25"),
    (4, "AF_IPX"),
    (5, "AF_APPLETALK"),
    (9, "AF_X25"),
    (10, "AF_INET6"),
    (15, "AF_KEY"),
    (16, "AF_NETLINK"),
    (17, "AF_PACKET"),
    (29, "AF_CAN"),
    (30, "AF_TIPC"),
    (31, "AF_BLUETOOTH"),
    (38, "AF_ALG"),
    (40, "AF_VSOCK"),
    (41, "AF_KCM"),
    (42, "AF_QIPCRTR"),
    (43, "AF_SMC"),
    (44, "AF_XDP"),
    (45, "AF_MCTP"),
];

pub const AF_INET: u64 = 2;
pub const AF_INET6: u64 = 10;
pub const AF_NETLINK: u64 = 16;
pub const AF_PACKET: u64 = 17;
pub const SOCK_RAW: u64 = 3;
pub const SOCK_DGRAM: u64 = 2;

pub fn domain(a: u64) -> String {
    named(a, DOMAINS).unwrap_or_else(|| format!("AF_{a}"))
}

pub(crate) fn sock_type(a: u64) -> String {
    let base = match a & 0xf {
        1 => "SOCK_STREAM".to_string(),
        2 => "SOCK_DGRAM".to_string(),
        3 => "SOCK_RAW".to_string(),
        4 => "SOCK_RDM".to_string(),
        5 => "SOCK_SEQPACKET".to_string(),
        6 => "SOCK_DCCP".to_string(),
        10 => "SOCK_PACKET".to_string(),
        t => format!("{t:#x}"),
    };
    let rest = flags(
        a & !0xf,
        &[
            (libc::SOCK_NONBLOCK as u64, "SOCK_NONBLOCK"),
            (libc::SOCK_CLOEXEC as u64, "SOCK_CLOEXEC"),
        ],
        "",
    );
    if rest.is_empty() {
        base
    } else {
        format!("{base}|{rest}")
    }
}

pub(crate) fn proto(domain: u64, a: u64) -> String {
    let inet: &[(u64, &str)] = &[
        (0, "IPPROTO_IP"),
        (1, "IPPROTO_ICMP"),
        (2, "IPPROTO_IGMP"),
        (6, "IPPROTO_TCP"),
        (17, "IPPROTO_UDP"),
        (41, "IPPROTO_IPV6"),
        (58, "IPPROTO_ICMPV6"),
        (132, "IPPROTO_SCTP"),
        (136, "IPPROTO_UDPLITE"),
        (255, "IPPROTO_RAW"),
    ];
    let netlink: &[(u64, &str)] = &[
        (0, "NETLINK_ROUTE"),
        (4, "NETLINK_SOCK_DIAG"),
        (6, "NETLINK_XFRM"),
        (9, "NETLINK_AUDIT"),
        (10, "NETLINK_FIB_LOOKUP"),
        (12, "NETLINK_NETFILTER"),
        (15, "NETLINK_KOBJECT_UEVENT"),
        (16, "NETLINK_GENERIC"),
    ];
    match domain & 0xffff {
        AF_INET | AF_INET6 => named(a, inet),
        AF_NETLINK => named(a, netlink),
        AF_PACKET => match (a as u16).swap_bytes() {
            0x0003 => Some("htons(ETH_P_ALL)".into()),
            0x0800 => Some("htons(ETH_P_IP)".into()),
            0x0806 => Some("htons(ETH_P_ARP)".into()),
            _ => None,
        },
        _ => None,
    }
    .unwrap_or_else(|| a.to_string())
}

/// A socket address (at most 128 bytes read): its text, and its family and port.
fn sockaddr(mem: &mut Reader, a: u64, len: u64) -> (String, Option<(u16, Option<u16>)>) {
    let b = mem.read(a, (len as usize).min(128));
    if b.len() < 2 {
        return (ptr(a), None);
    }
    let family = u16::from_ne_bytes([b[0], b[1]]);
    let fam = domain(u64::from(family));
    match u64::from(family) {
        AF_INET if b.len() >= 8 => {
            let port = u16::from_be_bytes([b[2], b[3]]);
            let text = format!(
                "{{sa_family={fam}, sin_port=htons({port}), sin_addr=inet_addr(\"{}.{}.{}.{}\")}}",
                b[4], b[5], b[6], b[7]
            );
            (text, Some((family, Some(port))))
        }
        AF_INET6 if b.len() >= 24 => {
            let port = u16::from_be_bytes([b[2], b[3]]);
            let mut addr = [0u8; 16];
            addr.copy_from_slice(&b[8..24]);
            let ip = std::net::Ipv6Addr::from(addr);
            let text = format!(
                "{{sa_family={fam}, sin6_port=htons({port}), sin6_addr=inet_pton(AF_INET6, \"{ip}\")}}"
            );
            (text, Some((family, Some(port))))
        }
        1 => {
            let path = &b[2..];
            let text = if path.first() == Some(&0) {
                let end = path.len();
                format!(
                    "{{sa_family=AF_UNIX, sun_path=@{}}}",
                    quote(&path[1..end], false)
                )
            } else {
                let end = path.iter().position(|&c| c == 0).unwrap_or(path.len());
                format!(
                    "{{sa_family=AF_UNIX, sun_path={}}}",
                    quote(&path[..end], false)
                )
            };
            (text, Some((family, None)))
        }
        _ => (format!("{{sa_family={fam}, ...}}"), Some((family, None))),
    }
}

pub const CLONE: &[(u64, &str)] = &[
    (0x0000_0080, "CLONE_NEWTIME"),
    (0x0000_0100, "CLONE_VM"),
    (0x0000_0200, "CLONE_FS"),
    (0x0000_0400, "CLONE_FILES"),
    (0x0000_0800, "CLONE_SIGHAND"),
    (0x0000_1000, "CLONE_PIDFD"),
    (0x0000_2000, "CLONE_PTRACE"),
    (0x0000_4000, "CLONE_VFORK"),
    (0x0000_8000, "CLONE_PARENT"),
    (0x0001_0000, "CLONE_THREAD"),
    (0x0002_0000, "CLONE_NEWNS"),
    (0x0004_0000, "CLONE_SYSVSEM"),
    (0x0008_0000, "CLONE_SETTLS"),
    (0x0010_0000, "CLONE_PARENT_SETTID"),
    (0x0020_0000, "CLONE_CHILD_CLEARTID"),
    (0x0040_0000, "CLONE_DETACHED"),
    (0x0080_0000, "CLONE_UNTRACED"),
    (0x0100_0000, "CLONE_CHILD_SETTID"),
    (0x0200_0000, "CLONE_NEWCGROUP"),
    (0x0400_0000, "CLONE_NEWUTS"),
    (0x0800_0000, "CLONE_NEWIPC"),
    (0x1000_0000, "CLONE_NEWUSER"),
    (0x2000_0000, "CLONE_NEWPID"),
    (0x4000_0000, "CLONE_NEWNET"),
    (0x8000_0000, "CLONE_IO"),
];

/// clone's flags: the low byte is the exit signal (CLONE_NEWTIME shares a
/// bit with it there and is not a clone flag).
pub(crate) fn clone_flags(a: u64) -> String {
    let table: Vec<(u64, &str)> = CLONE.iter().copied().filter(|(b, _)| *b > 0xff).collect();
    let mut out = flags(a & !0xff, &table, "");
    let sig = a & 0xff;
    if sig != 0 {
        if !out.is_empty() {
            out.push('|');
        }
        out.push_str(&signal(sig));
    }
    if out.is_empty() { "0".into() } else { out }
}

fn mount_flags(a: u64) -> String {
    const MAGIC: u64 = 0xC0ED_0000;
    let table: &[(u64, &str)] = &[
        (1, "MS_RDONLY"),
        (2, "MS_NOSUID"),
        (4, "MS_NODEV"),
        (8, "MS_NOEXEC"),
        (16, "MS_SYNCHRONOUS"),
        (32, "MS_REMOUNT"),
        (64, "MS_MANDLOCK"),
        (128, "MS_DIRSYNC"),
        (256, "MS_NOSYMFOLLOW"),
        (1024, "MS_NOATIME"),
        (2048, "MS_NODIRATIME"),
        (4096, "MS_BIND"),
        (8192, "MS_MOVE"),
        (16384, "MS_REC"),
        (32768, "MS_SILENT"),
        (1 << 16, "MS_POSIXACL"),
        (1 << 17, "MS_UNBINDABLE"),
        (1 << 18, "MS_PRIVATE"),
        (1 << 19, "MS_SLAVE"),
        (1 << 20, "MS_SHARED"),
        (1 << 21, "MS_RELATIME"),
        (1 << 23, "MS_I_VERSION"),
        (1 << 24, "MS_STRICTATIME"),
        (1 << 25, "MS_LAZYTIME"),
    ];
    if a & 0xFFFF_0000 == MAGIC {
        let rest = flags(a & 0xffff, table, "");
        return if rest.is_empty() {
            "MS_MGC_VAL".into()
        } else {
            format!("MS_MGC_VAL|{rest}")
        };
    }
    flags(a, table, "0")
}

const UMOUNT: &[(u64, &str)] = &[
    (1, "MNT_FORCE"),
    (2, "MNT_DETACH"),
    (4, "MNT_EXPIRE"),
    (8, "UMOUNT_NOFOLLOW"),
];

pub fn signal(a: u64) -> String {
    const NAMES: [&str; 32] = [
        "0",
        "SIGHUP",
        "SIGINT",
        "SIGQUIT",
        "SIGILL",
        "SIGTRAP",
        "SIGABRT",
        "SIGBUS",
        "SIGFPE",
        "SIGKILL",
        "SIGUSR1",
        "SIGSEGV",
        "SIGUSR2",
        "SIGPIPE",
        "SIGALRM",
        "SIGTERM",
        "SIGSTKFLT",
        "SIGCHLD",
        "SIGCONT",
        "SIGSTOP",
        "SIGTSTP",
        "SIGTTIN",
        "SIGTTOU",
        "SIGURG",
        "SIGXCPU",
        "SIGXFSZ",
        "SIGVTALRM",
        "SIGPROF",
        "SIGWINCH",
        "SIGIO",
        "SIGPWR",
        "SIGSYS",
    ];
    match a {
        0..=31 => NAMES[a as usize].to_string(),
        32..=64 => format!("SIGRT_{}", a - 32),
        _ => a.to_string(),
    }
}

fn argv(mem: &mut Reader, a: u64, ptr_size: usize) -> String {
    if a == 0 {
        return "NULL".into();
    }
    let table = mem.read(a, ARGV_MAX * ptr_size + ptr_size);
    let mut items = Vec::new();
    let mut more = false;
    for (i, chunk) in table.chunks_exact(ptr_size).enumerate() {
        let p = word(chunk);
        if p == 0 {
            break;
        }
        if i == ARGV_MAX {
            more = true;
            break;
        }
        items.push(match mem.c_string(p, STR_MAX + 1) {
            Some((b, _)) if b.len() > STR_MAX => quote(&b[..STR_MAX], true),
            Some((b, _)) => quote(&b, false),
            None => ptr(p),
        });
    }
    if more {
        items.push("...".into());
    }
    format!("[{}]", items.join(", "))
}

fn envp(mem: &mut Reader, a: u64, ptr_size: usize) -> String {
    if a == 0 {
        return "NULL".into();
    }
    let table = mem.read(a, ENVP_MAX * ptr_size);
    let n = table
        .chunks_exact(ptr_size)
        .position(|c| word(c) == 0)
        .unwrap_or(table.len() / ptr_size);
    format!("{a:#x} /* {n} vars */")
}

fn word(chunk: &[u8]) -> u64 {
    let mut b = [0u8; 8];
    b[..chunk.len()].copy_from_slice(chunk);
    u64::from_ne_bytes(b)
}

const PTRACE: &[(u64, &str)] = &[
    (0, "PTRACE_TRACEME"),
    (1, "PTRACE_PEEKTEXT"),
    (2, "PTRACE_PEEKDATA"),
    (3, "PTRACE_PEEKUSER"),
    (4, "PTRACE_POKETEXT"),
    (5, "PTRACE_POKEDATA"),
    (6, "PTRACE_POKEUSER"),
    (7, "PTRACE_CONT"),
    (8, "PTRACE_KILL"),
    (9, "PTRACE_SINGLESTEP"),
    (12, "PTRACE_GETREGS"),
    (13, "PTRACE_SETREGS"),
    (16, "PTRACE_ATTACH"),
    (17, "PTRACE_DETACH"),
    (24, "PTRACE_SYSCALL"),
    (0x4200, "PTRACE_SETOPTIONS"),
    (0x4201, "PTRACE_GETEVENTMSG"),
    (0x4202, "PTRACE_GETSIGINFO"),
    (0x4203, "PTRACE_SETSIGINFO"),
    (0x4204, "PTRACE_GETREGSET"),
    (0x4205, "PTRACE_SETREGSET"),
    (0x4206, "PTRACE_SEIZE"),
    (0x4207, "PTRACE_INTERRUPT"),
    (0x4208, "PTRACE_LISTEN"),
    (0x4209, "PTRACE_PEEKSIGINFO"),
    (0x420c, "PTRACE_SECCOMP_GET_FILTER"),
    (0x420e, "PTRACE_GET_SYSCALL_INFO"),
];

const PTRACE_OPTIONS: &[(u64, &str)] = &[
    (0x1, "PTRACE_O_TRACESYSGOOD"),
    (0x2, "PTRACE_O_TRACEFORK"),
    (0x4, "PTRACE_O_TRACEVFORK"),
    (0x8, "PTRACE_O_TRACECLONE"),
    (0x10, "PTRACE_O_TRACEEXEC"),
    (0x20, "PTRACE_O_TRACEVFORKDONE"),
    (0x40, "PTRACE_O_TRACEEXIT"),
    (0x80, "PTRACE_O_TRACESECCOMP"),
    (0x10_0000, "PTRACE_O_EXITKILL"),
    (0x20_0000, "PTRACE_O_SUSPEND_SECCOMP"),
];

const PRCTL: &[(u64, &str)] = &[
    (1, "PR_SET_PDEATHSIG"),
    (3, "PR_GET_DUMPABLE"),
    (4, "PR_SET_DUMPABLE"),
    (8, "PR_SET_KEEPCAPS"),
    (15, "PR_SET_NAME"),
    (16, "PR_GET_NAME"),
    (21, "PR_GET_SECCOMP"),
    (22, "PR_SET_SECCOMP"),
    (23, "PR_CAPBSET_READ"),
    (24, "PR_CAPBSET_DROP"),
    (28, "PR_SET_SECUREBITS"),
    (35, "PR_SET_MM"),
    (36, "PR_SET_CHILD_SUBREAPER"),
    (38, "PR_SET_NO_NEW_PRIVS"),
    (39, "PR_GET_NO_NEW_PRIVS"),
    (47, "PR_CAP_AMBIENT"),
];

fn mknod_mode(a: u64) -> String {
    let kind = match a & 0o170000 {
        0o100000 => "S_IFREG",
        0o020000 => "S_IFCHR",
        0o060000 => "S_IFBLK",
        0o010000 => "S_IFIFO",
        0o140000 => "S_IFSOCK",
        0 => "",
        _ => "S_IF?",
    };
    let perm = format!("{:#o}", a & 0o7777).replace("0o", "0");
    if kind.is_empty() {
        perm
    } else {
        format!("{kind}|{perm}")
    }
}

const RLIMITS: &[(u64, &str)] = &[
    (0, "RLIMIT_CPU"),
    (1, "RLIMIT_FSIZE"),
    (2, "RLIMIT_DATA"),
    (3, "RLIMIT_STACK"),
    (4, "RLIMIT_CORE"),
    (5, "RLIMIT_RSS"),
    (6, "RLIMIT_NPROC"),
    (7, "RLIMIT_NOFILE"),
    (8, "RLIMIT_MEMLOCK"),
    (9, "RLIMIT_AS"),
    (10, "RLIMIT_LOCKS"),
    (11, "RLIMIT_SIGPENDING"),
    (12, "RLIMIT_MSGQUEUE"),
    (13, "RLIMIT_NICE"),
    (14, "RLIMIT_RTPRIO"),
    (15, "RLIMIT_RTTIME"),
];

pub(crate) fn personality(a: u64) -> String {
    if a & 0xffff_ffff == 0xffff_ffff {
        return "0xffffffff /* query */".into();
    }
    let base = match a & 0xff {
        0 => "PER_LINUX".to_string(),
        8 => "PER_LINUX32".to_string(),
        b => format!("{b:#x}"),
    };
    let rest = flags(
        a & !0xff,
        &[
            (0x0020000, "UNAME26"),
            (0x0040000, "ADDR_NO_RANDOMIZE"),
            (0x0200000, "FDPIC_FUNCPTRS"),
            (0x0400000, "READ_IMPLIES_EXEC"),
            (0x0800000, "ADDR_LIMIT_32BIT"),
            (0x1000000, "SHORT_INODE"),
            (0x2000000, "WHOLE_SECONDS"),
            (0x4000000, "STICKY_TIMEOUTS"),
            (0x8000000, "ADDR_LIMIT_3GB"),
        ],
        "",
    );
    if rest.is_empty() {
        base
    } else {
        format!("{base}|{rest}")
    }
}

const IOCTLS: &[(u64, &str)] = &[
    (0x5401, "TCGETS"),
    (0x5402, "TCSETS"),
    (0x540e, "TIOCSCTTY"),
    (0x540f, "TIOCGPGRP"),
    (0x5410, "TIOCSPGRP"),
    (0x5412, "TIOCSTI"),
    (0x5413, "TIOCGWINSZ"),
    (0x5414, "TIOCSWINSZ"),
    (0x541b, "FIONREAD"),
    (0x5421, "FIONBIO"),
    (0x890b, "SIOCADDRT"),
    (0x890c, "SIOCDELRT"),
    (0x8914, "SIOCSIFFLAGS"),
    (0x8916, "SIOCSIFADDR"),
    (0x8918, "SIOCSIFDSTADDR"),
    (0x891a, "SIOCSIFBRDADDR"),
    (0x891c, "SIOCSIFNETMASK"),
    (0x891e, "SIOCSIFMETRIC"),
    (0x8922, "SIOCSIFMTU"),
    (0x8923, "SIOCSIFNAME"),
    (0x8924, "SIOCSIFHWADDR"),
    (0x8943, "SIOCSIFTXQLEN"),
    (0x8953, "SIOCDARP"),
    (0x8955, "SIOCSARP"),
    (0x89a0, "SIOCBRADDBR"),
    (0x89a1, "SIOCBRDELBR"),
    (0x4004_54ca, "TUNSETIFF"),
    (0x4004_54cb, "TUNSETPERSIST"),
    (0x4004_54cc, "TUNSETOWNER"),
    (0x4008_6602, "FS_IOC_SETFLAGS"),
    (0x4004_6602, "FS_IOC32_SETFLAGS"),
];

/// The ioctl requests that change a network interface, a route or the ARP
/// table: the kernel checks CAP_NET_ADMIN in the network namespace's user
/// namespace for each (dev_ioctl, ip_rt_ioctl, arp_ioctl, the bridge's).
pub fn is_net_admin_ioctl(req: u64) -> bool {
    matches!(
        req & 0xffff_ffff,
        0x890b
            | 0x890c
            | 0x8914
            | 0x8916
            | 0x8918
            | 0x891a
            | 0x891c
            | 0x891e
            | 0x8922
            | 0x8923
            | 0x8924
            | 0x8943
            | 0x8953
            | 0x8955
            | 0x89a0
            | 0x89a1
    )
}

fn sock_level(a: u64) -> String {
    named(
        a & 0xffff_ffff,
        &[
            (0, "SOL_IP"),
            (1, "SOL_SOCKET"),
            (6, "SOL_TCP"),
            (17, "SOL_UDP"),
            (41, "SOL_IPV6"),
            (255, "SOL_RAW"),
            (263, "SOL_PACKET"),
            (270, "SOL_NETLINK"),
        ],
    )
    .unwrap_or_else(|| (a as u32 as i32).to_string())
}

/// The socket options whose setting the kernel may refuse for want of a
/// capability (captable.rs), and the common ones next to them.
const SOCK_OPTS: &[(u64, u64, &str)] = &[
    (1, 1, "SO_DEBUG"),
    (1, 7, "SO_SNDBUF"),
    (1, 8, "SO_RCVBUF"),
    (1, 12, "SO_PRIORITY"),
    (1, 25, "SO_BINDTODEVICE"),
    (1, 32, "SO_SNDBUFFORCE"),
    (1, 33, "SO_RCVBUFFORCE"),
    (1, 36, "SO_MARK"),
    (0, 15, "IP_FREEBIND"),
    (0, 19, "IP_TRANSPARENT"),
    (41, 75, "IPV6_TRANSPARENT"),
];

fn sock_opt(level: u64, a: u64) -> String {
    SOCK_OPTS
        .iter()
        .find(|&&(l, o, _)| l == level & 0xffff_ffff && o == a & 0xffff_ffff)
        .map_or_else(
            || (a as u32 as i32).to_string(),
            |(_, _, n)| (*n).to_string(),
        )
}

const SYSLOG: &[(u64, &str)] = &[
    (0, "SYSLOG_ACTION_CLOSE"),
    (1, "SYSLOG_ACTION_OPEN"),
    (2, "SYSLOG_ACTION_READ"),
    (3, "SYSLOG_ACTION_READ_ALL"),
    (4, "SYSLOG_ACTION_READ_CLEAR"),
    (5, "SYSLOG_ACTION_CLEAR"),
    (6, "SYSLOG_ACTION_CONSOLE_OFF"),
    (7, "SYSLOG_ACTION_CONSOLE_ON"),
    (8, "SYSLOG_ACTION_CONSOLE_LEVEL"),
    (9, "SYSLOG_ACTION_SIZE_UNREAD"),
    (10, "SYSLOG_ACTION_SIZE_BUFFER"),
];

const REBOOT: &[(u64, &str)] = &[
    (0x0123_4567, "LINUX_REBOOT_CMD_RESTART"),
    (0xcdef_0123, "LINUX_REBOOT_CMD_HALT"),
    (0x4321_fedc, "LINUX_REBOOT_CMD_POWER_OFF"),
    (0x89ab_cdef, "LINUX_REBOOT_CMD_CAD_ON"),
    (0, "LINUX_REBOOT_CMD_CAD_OFF"),
    (0xa1b2_c3d4, "LINUX_REBOOT_CMD_RESTART2"),
    (0x4558_4543, "LINUX_REBOOT_CMD_KEXEC"),
    (0xd000_fce2, "LINUX_REBOOT_CMD_SW_SUSPEND"),
];

/// The namespace flags of clone and unshare (CLONE_NEWTIME aside: in clone
/// it shares a bit with the exit signal).
pub const NAMESPACE_FLAGS: u64 = 0x7E02_0000;

/// Argument `index` of `name` when it is a number or flags, not a pointer:
/// what the argument is ("domain", "flags") and `value` as the call's text
/// would show it in a call with the other arguments `args`. `None` for an
/// argument that points into memory or that the decoder does not know.
pub fn scalar(
    name: &str,
    index: usize,
    value: u64,
    args: &[u64; 6],
) -> Option<(&'static str, String)> {
    let kind = *spec(name)?.get(index)?;
    let other = |j: u8| args.get(usize::from(j)).copied().unwrap_or(0);
    Some(match kind {
        Int => ("argument", i64::from(value as u32 as i32).to_string()),
        Long => ("argument", (value as i64).to_string()),
        UInt => ("argument", value.to_string()),
        Hex => ("argument", format!("{value:#x}")),
        Fd => ("descriptor", (value as u32 as i32).to_string()),
        Mode => ("mode", format!("{:#o}", value & 0o7777).replace("0o", "0")),
        OpenFlags => ("flags", open_flags(value)),
        AtFlags => ("flags", at_flags(name, value)),
        AccessMode => ("mode", access_mode(value)),
        ClockId => (
            "clock",
            named(value, CLOCKS).unwrap_or_else(|| value.to_string()),
        ),
        Domain => ("domain", domain(value)),
        SockType => ("type", sock_type(value)),
        Proto(j) => ("protocol", proto(other(j), value)),
        CloneFlags => ("flags", clone_flags(value)),
        NsFlags => ("flags", flags(value, CLONE, "0")),
        MountFlags => ("flags", mount_flags(value)),
        UmountFlags => ("flags", flags(value, UMOUNT, "0")),
        Signal => ("signal", signal(value)),
        Id => ("id", (value as u32).to_string()),
        PtraceReq => (
            "request",
            named(value, PTRACE).unwrap_or_else(|| format!("{value:#x}")),
        ),
        PrctlOpt => (
            "option",
            named(value, PRCTL).unwrap_or_else(|| value.to_string()),
        ),
        Resource => (
            "resource",
            named(value, RLIMITS).unwrap_or_else(|| value.to_string()),
        ),
        Personality => ("persona", personality(value)),
        IoctlReq => (
            "request",
            named(value, IOCTLS).unwrap_or_else(|| format!("{value:#x}")),
        ),
        RebootCmd => (
            "command",
            named(value, REBOOT).unwrap_or_else(|| format!("{value:#x}")),
        ),
        MknodMode => ("mode", mknod_mode(value)),
        BpfCmd => ("command", structs::bpf_cmd(value)),
        SockLevel => ("level", sock_level(value)),
        SockOpt => ("option", sock_opt(other(1), value)),
        SyslogAction => (
            "action",
            named(value, SYSLOG).unwrap_or_else(|| value.to_string()),
        ),
        _ => return None,
    })
}

/// How a path argument of `name` is used.
fn role(name: &str, arg: usize, args: &[u64]) -> Role {
    let open_role = |flags: u64| {
        if flags & libc::O_CREAT as u64 != 0 {
            Role::Create
        } else if flags & libc::O_PATH as u64 != 0 {
            Role::Lookup
        } else {
            match flags & 3 {
                0 if flags & libc::O_TRUNC as u64 != 0 => Role::Write,
                0 => Role::Read,
                1 => Role::Write,
                _ => Role::ReadWrite,
            }
        }
    };
    match name {
        "open" => open_role(args[1]),
        "openat" => open_role(args[2]),
        "creat" | "mkdir" | "mkdirat" | "mknod" | "mknodat" | "symlink" | "symlinkat" => {
            Role::Create
        }
        "link" | "rename" if arg == 1 => Role::Create,
        "linkat" | "renameat" | "renameat2" if arg == 3 => Role::Create,
        "link" | "linkat" => Role::Read,
        "rename" | "renameat" | "renameat2" | "unlink" | "unlinkat" | "rmdir" => Role::Remove,
        "execve" | "execveat" => Role::Exec,
        "truncate" | "truncate64" => Role::Write,
        "access" | "faccessat" | "faccessat2" => {
            let mode = if name == "access" { args[1] } else { args[2] };
            match (mode & 2 != 0, mode & 1 != 0) {
                (true, _) => Role::Write,
                (false, true) => Role::Exec,
                _ if mode & 4 != 0 => Role::Read,
                _ => Role::Lookup,
            }
        }
        "chmod" | "fchmodat" | "fchmodat2" | "chown" | "lchown" | "chown32" | "lchown32"
        | "fchownat" | "utime" | "utimes" | "utimensat" | "futimesat" | "setxattr"
        | "lsetxattr" | "removexattr" | "lremovexattr" => Role::Attributes,
        "mount" | "umount" | "umount2" | "pivot_root" | "move_mount" | "open_tree" => {
            Role::MountPoint
        }
        "swapon" | "swapoff" | "acct" | "chroot" => Role::Other,
        _ => Role::Lookup,
    }
}

/// Whether the call follows a final symbolic link.
fn follows(name: &str, args: &[u64]) -> bool {
    match name {
        "lstat" | "lstat64" | "lchown" | "lchown32" | "readlink" | "readlinkat" | "unlink"
        | "unlinkat" | "rmdir" | "rename" | "renameat" | "renameat2" | "symlink" | "symlinkat"
        | "lsetxattr" | "lremovexattr" | "lgetxattr" => false,
        "open" => args[1] & libc::O_NOFOLLOW as u64 == 0,
        "openat" => args[2] & libc::O_NOFOLLOW as u64 == 0,
        "newfstatat" | "fstatat64" | "fchownat" | "utimensat" => args[3] & 0x100 == 0,
        "statx" => args[2] & 0x100 == 0,
        "umount2" => args[1] & 8 == 0,
        _ => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trace::memory::Method;

    fn own() -> Reader {
        // SAFETY: getpid has no side effect.
        Reader::new(unsafe { libc::getpid() }, Method::ProcMem)
    }

    const L64: Layout = Layout { ptr: 8, time: 8 };

    fn p(s: &std::ffi::CStr) -> u64 {
        s.as_ptr() as u64
    }

    #[test]
    fn scalar_arguments_alone() {
        let z = [0u64; 6];
        assert_eq!(
            scalar("socket", 0, 16, &z),
            Some(("domain", "AF_NETLINK".to_string()))
        );
        // A protocol reads with the call's domain.
        assert_eq!(
            scalar("socket", 2, 9, &[16, 3, 9, 0, 0, 0]),
            Some(("protocol", "NETLINK_AUDIT".to_string()))
        );
        assert_eq!(
            scalar("clone", 0, NAMESPACE_FLAGS, &z).map(|(w, _)| w),
            Some("flags")
        );
        assert_eq!(
            scalar("personality", 0, 8, &z),
            Some(("persona", "PER_LINUX32".to_string()))
        );
        // Pointers, paths, unknown calls and indexes: nothing.
        assert_eq!(scalar("openat", 1, 0, &z), None);
        assert_eq!(scalar("no_such_call", 0, 0, &z), None);
        assert_eq!(scalar("socket", 9, 0, &z), None);
    }

    #[test]
    fn opens_show_path_flags_and_mode_when_used() {
        let path = c"/etc/shadow";
        let flags = (libc::O_WRONLY | libc::O_CREAT | libc::O_CLOEXEC) as u64;
        let d = decode(
            "openat",
            &[(-100i64) as u64, p(path), flags, 0o644, 0, 0],
            L64,
            &mut own(),
        );
        assert_eq!(
            d.text,
            "openat(AT_FDCWD, \"/etc/shadow\", O_WRONLY|O_CREAT|O_CLOEXEC, 0644)"
        );
        assert_eq!(d.paths.len(), 1);
        assert_eq!(d.paths[0].role, Role::Create);
        assert_eq!(d.paths[0].dirfd, Some(-100));
        // The upper half of an int argument's register is not part of it.
        let d = decode(
            "openat",
            &[0xffff_ff9c, p(path), 0, 0, 0, 0],
            L64,
            &mut own(),
        );
        assert_eq!(d.text, "openat(AT_FDCWD, \"/etc/shadow\", O_RDONLY)");
        assert_eq!(d.paths[0].dirfd, Some(-100));
        let d = decode("openat", &[3, p(path), 0, 0o644, 0, 0], L64, &mut own());
        assert_eq!(d.text, "openat(3, \"/etc/shadow\", O_RDONLY)");
        assert_eq!(d.paths[0].role, Role::Read);
    }

    #[test]
    fn clock_settime_shows_the_time() {
        let ts: [i64; 2] = [1_650_392_349, 0];
        let d = decode(
            "clock_settime",
            &[0, ts.as_ptr() as u64, 0, 0, 0, 0],
            L64,
            &mut own(),
        );
        assert_eq!(
            d.text,
            "clock_settime(CLOCK_REALTIME, {tv_sec=1650392349, tv_nsec=0})"
        );
        // A bad pointer is shown as the pointer.
        let d = decode("clock_settime", &[0, 8, 0, 0, 0, 0], L64, &mut own());
        assert_eq!(d.text, "clock_settime(CLOCK_REALTIME, 0x8)");
    }

    #[test]
    fn sockets_mounts_and_namespaces() {
        let d = decode("socket", &[2, 3, 1, 0, 0, 0], L64, &mut own());
        assert_eq!(d.text, "socket(AF_INET, SOCK_RAW, IPPROTO_ICMP)");
        let d = decode(
            "socket",
            &[17, 3 | libc::SOCK_CLOEXEC as u64, 0x300, 0, 0, 0],
            L64,
            &mut own(),
        );
        assert_eq!(
            d.text,
            "socket(AF_PACKET, SOCK_RAW|SOCK_CLOEXEC, htons(ETH_P_ALL))"
        );
        let d = decode(
            "mount",
            &[p(c"none"), p(c"/mnt"), p(c"tmpfs"), 0x8000, 0, 0],
            L64,
            &mut own(),
        );
        assert_eq!(
            d.text,
            "mount(\"none\", \"/mnt\", \"tmpfs\", MS_SILENT, NULL)"
        );
        assert_eq!(d.paths[0].role, Role::MountPoint);
        let d = decode("ptrace", &[0x4206, 42, 0, 0x10_0011, 0, 0], L64, &mut own());
        assert_eq!(
            d.text,
            "ptrace(PTRACE_SEIZE, 42, NULL, PTRACE_O_TRACESYSGOOD|PTRACE_O_TRACEEXEC|PTRACE_O_EXITKILL)"
        );
        let d = decode("unshare", &[0x1000_0000, 0, 0, 0, 0, 0], L64, &mut own());
        assert_eq!(d.text, "unshare(CLONE_NEWUSER)");
        let d = decode("setsockopt", &[3, 1, 32, 0x1000, 4, 0], L64, &mut own());
        assert_eq!(
            d.text,
            "setsockopt(3, SOL_SOCKET, SO_SNDBUFFORCE, 0x1000, 4)"
        );
        let d = decode("setsockopt", &[3, 270, 1, 0x1000, 4, 0], L64, &mut own());
        assert_eq!(d.text, "setsockopt(3, SOL_NETLINK, 1, 0x1000, 4)");
        let d = decode("ioctl", &[4, 0x8922, 0x1000, 0, 0, 0], L64, &mut own());
        assert_eq!(d.text, "ioctl(4, SIOCSIFMTU, 0x1000)");
        let d = decode("syslog", &[10, 0, 0, 0, 0, 0], L64, &mut own());
        assert_eq!(d.text, "syslog(SYSLOG_ACTION_SIZE_BUFFER, NULL, 0)");
        let d = decode("clone", &[0x1000_0000 | 17, 0, 0, 0, 0, 0], L64, &mut own());
        assert_eq!(
            d.text,
            "clone(CLONE_NEWUSER|SIGCHLD, NULL, NULL, NULL, NULL)"
        );
    }

    #[test]
    fn bind_shows_the_port() {
        let sa: [u8; 16] = [2, 0, 0, 80, 127, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0];
        let d = decode(
            "bind",
            &[3, sa.as_ptr() as u64, 16, 0, 0, 0],
            L64,
            &mut own(),
        );
        assert_eq!(
            d.text,
            "bind(3, {sa_family=AF_INET, sin_port=htons(80), sin_addr=inet_addr(\"127.0.0.1\")}, 16)"
        );
        assert_eq!(d.sockaddr, Some((2, Some(80))));
    }

    #[test]
    fn execve_shows_argv_and_counts_envp() {
        let a = [c"date".as_ptr(), c"-s".as_ptr(), std::ptr::null()];
        let e = [c"A=1".as_ptr(), c"B=2".as_ptr(), std::ptr::null()];
        let d = decode(
            "execve",
            &[
                p(c"/bin/date"),
                a.as_ptr() as u64,
                e.as_ptr() as u64,
                0,
                0,
                0,
            ],
            L64,
            &mut own(),
        );
        let env = format!("{:#x} /* 2 vars */", e.as_ptr() as u64);
        assert_eq!(
            d.text,
            format!("execve(\"/bin/date\", [\"date\", \"-s\"], {env})")
        );
        assert_eq!(d.paths[0].role, Role::Exec);
    }

    #[test]
    fn strings_are_escaped_and_cut() {
        assert_eq!(quote(b"a\"b\\c\n\x01", false), "\"a\\\"b\\\\c\\n\\001\"");
        let long = c"0123456789012345678901234567890123456789";
        let d = decode("sethostname", &[p(long), 40, 0, 0, 0, 0], L64, &mut own());
        assert_eq!(
            d.text,
            "sethostname(\"01234567890123456789012345678901\"..., 40)"
        );
    }

    #[test]
    fn unknown_calls_show_raw_arguments() {
        let d = decode("frobnicate", &[1, 0x20, 0, 0, 0, 0], L64, &mut own());
        assert_eq!(d.text, "frobnicate(0x1, 0x20)");
        let d = decode("frobnicate", &[0; 6], L64, &mut own());
        assert_eq!(d.text, "frobnicate()");
    }

    #[test]
    fn thirty_two_bit_arguments_are_narrowed() {
        let l32 = Layout { ptr: 4, time: 4 };
        let d = decode(
            "chown32",
            &[0, 0xffff_ffff, 0x1_0000_0005, 0, 0, 0],
            l32,
            &mut own(),
        );
        assert_eq!(d.text, "chown32(NULL, -1, 5)");
    }
}
