//! The syscall entry points (ABIs) of each architecture, in one place: their
//! audit arch values, number ranges and name tables, and the syscalls the
//! kernel runs without consulting seccomp.

/// How a probe enters the kernel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Entry {
    /// The architecture's native instruction (`syscall`, `svc #0`).
    Native,
    /// `int $0x80` from 64-bit code: the i386 entry point on x86_64.
    #[cfg_attr(not(target_arch = "x86_64"), allow(dead_code))]
    Int80,
}

/// One syscall entry point, with its own numbering.
#[derive(Debug)]
pub struct Abi {
    /// Name as the report prints it ("x86_64", "i386", "x32", "aarch64").
    pub name: &'static str,
    /// AUDIT_ARCH_* value that seccomp_data.arch carries for this entry point.
    pub audit_arch: u32,
    pub entry: Entry,
    /// Bit or'ed into every number (x32's __X32_SYSCALL_BIT).
    pub nr_bit: u32,
    /// Highest number probed, without `nr_bit`: the highest known number plus
    /// a margin, so rules on numbers this build does not know are seen too.
    pub max_nr: u32,
    name_of: fn(u32) -> Option<&'static str>,
}

impl Abi {
    /// getpid in this ABI (with `nr_bit`): harmless, so it may really run to
    /// learn whether the kernel serves this entry point at all.
    pub fn getpid_nr(&self) -> Option<u32> {
        (0..=max_nr(self))
            .find(|&n| self.name(n) == Some("getpid"))
            .map(|n| n | self.nr_bit)
    }

    /// The syscall's name in this ABI, for a number without `nr_bit`.
    pub fn name(&self, nr: u32) -> Option<&'static str> {
        // The tables spell names that are Rust keywords as raw identifiers.
        (self.name_of)(nr).map(|n| n.strip_prefix("r#").unwrap_or(n))
    }
}

/// x32's __X32_SYSCALL_BIT: or'ed into the number of every x32 call. An x86
/// fact, defined for every architecture so reports can be read anywhere.
pub const X32_SYSCALL_BIT: u32 = 0x4000_0000;

/// The audit arch of arm64's AArch32 entry point (32-bit ARM programs). An
/// arm fact, defined for every architecture, as X32_SYSCALL_BIT is.
pub const AUDIT_ARCH_ARM: u32 = 0x4000_0028;

/// Numbers probed past the highest known syscall: runtimes answer unknown
/// numbers differently (runc: ENOSYS above the highest number the profile
/// names), and newer kernels add calls this build does not know.
const MARGIN: u32 = 32;

#[cfg(target_arch = "x86_64")]
mod imp {
    use super::*;
    use syscalls::{x86, x86_64};

    pub const AUDIT_ARCH_X86_64: u32 = 0xC000_003E;
    pub const AUDIT_ARCH_I386: u32 = 0x4000_0003;

    fn name64(nr: u32) -> Option<&'static str> {
        x86_64::Sysno::new(nr as usize).map(|s| s.name())
    }

    fn name32(nr: u32) -> Option<&'static str> {
        x86::Sysno::new(nr as usize).map(|s| s.name())
    }

    /// x32 shares the x86_64 numbers of the "common" entries of the kernel's
    /// syscall_64.tbl; the "64"-only entries are not x32 calls (their x32
    /// variants live at 512..=547, listed here from the same table).
    fn name_x32(nr: u32) -> Option<&'static str> {
        const X32_ONLY: [&str; 36] = [
            "rt_sigaction",
            "rt_sigreturn",
            "ioctl",
            "readv",
            "writev",
            "recvfrom",
            "sendmsg",
            "recvmsg",
            "execve",
            "ptrace",
            "rt_sigpending",
            "rt_sigtimedwait",
            "rt_sigqueueinfo",
            "sigaltstack",
            "timer_create",
            "mq_notify",
            "kexec_load",
            "waitid",
            "set_robust_list",
            "get_robust_list",
            "vmsplice",
            "move_pages",
            "preadv",
            "pwritev",
            "rt_tgsigqueueinfo",
            "recvmmsg",
            "sendmmsg",
            "process_vm_readv",
            "process_vm_writev",
            "setsockopt",
            "getsockopt",
            "io_setup",
            "io_submit",
            "execveat",
            "preadv2",
            "pwritev2",
        ];
        const SIXTY_FOUR_ONLY: [u32; 45] = [
            13, 15, 16, 19, 20, 45, 46, 47, 54, 55, 59, 101, 127, 128, 129, 131, 134, 156, 174,
            177, 178, 180, 205, 206, 209, 211, 222, 236, 244, 246, 247, 273, 274, 278, 279, 295,
            296, 297, 299, 307, 310, 311, 322, 327, 328,
        ];
        if (512..512 + X32_ONLY.len() as u32).contains(&nr) {
            return X32_ONLY.get((nr - 512) as usize).copied();
        }
        if SIXTY_FOUR_ONLY.contains(&nr) {
            return None;
        }
        name64(nr)
    }

    fn highest(last: u32) -> u32 {
        last + MARGIN
    }

    pub static ABIS: [Abi; 3] = [
        Abi {
            name: "x86_64",
            audit_arch: AUDIT_ARCH_X86_64,
            entry: Entry::Native,
            nr_bit: 0,
            max_nr: 0, // set by abis()
            name_of: name64,
        },
        Abi {
            name: "x32",
            audit_arch: AUDIT_ARCH_X86_64,
            entry: Entry::Native,
            nr_bit: X32_SYSCALL_BIT,
            max_nr: 547,
            name_of: name_x32,
        },
        Abi {
            name: "i386",
            audit_arch: AUDIT_ARCH_I386,
            entry: Entry::Int80,
            nr_bit: 0,
            max_nr: 0, // set by abis()
            name_of: name32,
        },
    ];

    pub fn max_native() -> u32 {
        highest(x86_64::Sysno::last().id() as u32)
    }

    pub fn max_i386() -> u32 {
        highest(x86::Sysno::last().id() as u32)
    }

    /// x86_64 calls that never reach seccomp: uretprobe (335, Linux 6.11, the
    /// exemption backported to 6.12 and 6.13) and uprobe (336, Linux 6.17).
    /// Issued for real they would run (and kill the caller with SIGILL), so
    /// they are never issued on kernels that have them.
    pub fn exempt(abi: &Abi, nr: u32, kernel: Option<(u32, u32)>) -> Option<&'static str> {
        if abi.name != "x86_64" {
            return None;
        }
        let at_least = |v: (u32, u32)| kernel.is_none_or(|k| k >= v);
        match nr {
            335 if at_least((6, 11)) => {
                Some("uretprobe: the kernel runs it without consulting seccomp")
            }
            336 if at_least((6, 17)) => {
                Some("uprobe: the kernel runs it without consulting seccomp")
            }
            _ => None,
        }
    }
}

#[cfg(target_arch = "aarch64")]
mod imp {
    use super::*;
    use syscalls::aarch64;

    pub const AUDIT_ARCH_AARCH64: u32 = 0xC000_00B7;

    /// The kernel's names, as its syscall table, libseccomp and every
    /// profile spell them. The syscalls crate's aarch64 table differs in two
    /// places: it calls 79 by the C library's name (fstatat; the kernel's is
    /// newfstatat), and it lists the time64 calls at 403..=423, which
    /// asm-generic defines for 32-bit ABIs only: arm64 has no syscall there
    /// (ENOSYS), and a profile allowing them by name allows nothing there.
    fn name64(nr: u32) -> Option<&'static str> {
        match nr {
            79 => Some("newfstatat"),
            TIME64_GAP_START..=TIME64_GAP_END => None,
            _ => aarch64::Sysno::new(nr as usize).map(|s| s.name()),
        }
    }

    const TIME64_GAP_START: u32 = 403;
    const TIME64_GAP_END: u32 = 423;

    pub static ABIS: [Abi; 1] = [Abi {
        name: "aarch64",
        audit_arch: AUDIT_ARCH_AARCH64,
        entry: Entry::Native,
        nr_bit: 0,
        max_nr: 0, // set by abis()
        name_of: name64,
    }];

    pub fn max_native() -> u32 {
        aarch64::Sysno::last().id() as u32 + MARGIN
    }

    pub fn max_i386() -> u32 {
        0
    }

    /// No aarch64 syscall bypasses seccomp.
    pub fn exempt(_abi: &Abi, _nr: u32, _kernel: Option<(u32, u32)>) -> Option<&'static str> {
        None
    }
}

/// arm64's AArch32 entry point (32-bit ARM programs, AUDIT_ARCH_ARM), with
/// its own numbering. Not one of [`abis`]: 64-bit code cannot enter it, so
/// the prober reaches it through a 32-bit program of its own
/// (seccomp/aarch32.rs).
#[cfg(target_arch = "aarch64")]
pub mod aarch32 {
    use syscalls::arm;

    /// The name the report gives this entry point.
    pub const NAME: &str = "arm";

    /// ARM's private syscalls (arch/arm/include/uapi/asm/unistd.h, 0x0f0000 +
    /// n), named as libseccomp names them.
    pub const PRIVATE: [(u32, &str); 6] = [
        (0x0f_0001, "breakpoint"),
        (0x0f_0002, "cacheflush"),
        (0x0f_0003, "usr26"),
        (0x0f_0004, "usr32"),
        (0x0f_0005, "set_tls"),
        (0x0f_0006, "get_tls"),
    ];

    /// The AArch32 name of a number.
    pub fn name(nr: u32) -> Option<&'static str> {
        PRIVATE
            .iter()
            .find(|(n, _)| *n == nr)
            .map(|(_, s)| *s)
            .or_else(|| arm::Sysno::new(nr as usize).map(|s| s.name()))
            .map(|n| n.strip_prefix("r#").unwrap_or(n))
    }

    /// The highest number of the table probed, with the margin of the other
    /// entry points (ARM's private calls lie above it).
    pub fn max_nr() -> u32 {
        arm::Sysno::last().id() as u32 + super::MARGIN
    }
}

#[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64")))]
compile_error!("whatami supports x86_64 and aarch64");

pub(crate) use imp::exempt;

/// The number of a syscall on the native entry point, by its name.
///
/// Looked up in the sorted table rather than with the syscalls crate's
/// `FromStr`, a match over every name that compiles to 12.6 kB of code: the
/// table is built anyway to name profiles' calls, and this took 16,320 bytes
/// off the static x86_64 binary (1,868,088 to 1,851,768).
pub fn native_nr(name: &str) -> Option<u32> {
    let table = by_name(0);
    let at = table.binary_search_by(|(n, _)| (*n).cmp(name)).ok()?;
    Some(table[at].1)
}

/// How many entry points [`abis`] lists.
pub const COUNT: usize = imp::ABIS.len();

/// The entry point at `index` of [`abis`]: its (name, number) pairs sorted
/// by name, built once on first use. Sorting some 500 pairs once is cheaper
/// than a hash map of them, and much cheaper than matching names against the
/// syscall table one by one.
pub fn by_name(index: usize) -> &'static [(&'static str, u32)] {
    use std::sync::OnceLock;
    static TABLES: [OnceLock<Vec<(&str, u32)>>; COUNT] = [const { OnceLock::new() }; COUNT];
    TABLES[index].get_or_init(|| {
        let a = &imp::ABIS[index];
        // x32 shares the 64-bit numbers below 512 (a.name() knows which of
        // them x32 has) and has its own from 512.
        let mut v: Vec<(&'static str, u32)> = (0..=max_nr(a))
            .filter_map(|nr| a.name(nr).map(|n| (n, nr)))
            .collect();
        crate::sort::sort(&mut v);
        v
    })
}

/// The entry points to probe on this architecture, native first, with their
/// number ranges filled in.
pub fn abis() -> Vec<&'static Abi> {
    imp::ABIS.iter().collect()
}

/// Highest number probed for an ABI.
pub fn max_nr(abi: &Abi) -> u32 {
    match (abi.entry, abi.max_nr) {
        (_, n) if n != 0 => n,
        (Entry::Int80, _) => imp::max_i386(),
        (Entry::Native, _) => imp::max_native(),
    }
}

/// The position of `abi` in [`abis`] (0 is the native one).
pub(crate) fn index_of(abi: &Abi) -> u8 {
    imp::ABIS
        .iter()
        .position(|a| std::ptr::eq(a, abi))
        .unwrap_or(0) as u8
}

/// The native ABI (the one whatami itself uses).
pub fn native() -> &'static Abi {
    &imp::ABIS[0]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn native_abi_covers_the_known_table_plus_margin() {
        let n = native();
        assert!(max_nr(n) >= 400 + MARGIN);
        assert!(n.name(0).is_some());
        assert_eq!(native_nr("clone3"), Some(435));
    }

    #[test]
    fn native_numbers_by_name_are_the_syscalls_crates() {
        let n = native();
        for nr in 0..=max_nr(n) {
            if let Some(name) = n.name(nr) {
                assert_eq!(native_nr(name), Some(nr), "{name}");
            }
        }
        #[cfg(target_arch = "x86_64")]
        for s in syscalls::x86_64::Sysno::iter() {
            assert_eq!(native_nr(s.name()), Some(s.id() as u32), "{}", s.name());
        }
        assert_eq!(native_nr("no_such_call"), None);
        assert_eq!(native_nr(""), None);
    }

    #[cfg(target_arch = "x86_64")]
    #[test]
    fn x86_names_per_abi() {
        let [x64, x32, i386] = [&imp::ABIS[0], &imp::ABIS[1], &imp::ABIS[2]];
        assert_eq!(x64.name(83), Some("mkdir"));
        assert_eq!(i386.name(39), Some("mkdir"));
        assert_eq!(i386.name(1), Some("exit"));
        assert_eq!(i386.name(17), Some("break"));
        // x32: common entries share the 64-bit number; "64"-only ones are not x32 calls.
        assert_eq!(x32.name(83), Some("mkdir"));
        assert_eq!(x32.name(16), None);
        assert_eq!(x32.name(514), Some("ioctl"));
        assert_eq!(x32.name(547), Some("pwritev2"));
        assert_eq!(x32.name(548), None);
        assert_eq!(max_nr(x32), 547);
    }

    #[cfg(target_arch = "aarch64")]
    #[test]
    fn aarch32_names_follow_the_arm_table() {
        assert_eq!(aarch32::name(39), Some("mkdir"));
        assert_eq!(aarch32::name(20), Some("getpid"));
        assert_eq!(aarch32::name(403), Some("clock_gettime64"));
        assert_eq!(aarch32::name(0x0f_0005), Some("set_tls"));
        // Past clone3 (435 in ARM's table too), below ARM's private calls.
        assert!((435 + MARGIN..0x0f_0001).contains(&aarch32::max_nr()));
    }

    #[cfg(target_arch = "aarch64")]
    #[test]
    fn aarch64_names_are_the_kernels() {
        let a = native();
        assert_eq!(a.name(79), Some("newfstatat"));
        assert_eq!(native_nr("newfstatat"), Some(79));
        assert_eq!(native_nr("fstatat"), None);
        assert_eq!(a.name(34), Some("mkdirat"));
        // The 32-bit time64 calls are no aarch64 syscalls.
        for nr in 403..=423 {
            assert_eq!(a.name(nr), None, "{nr}");
        }
        assert_eq!(native_nr("clock_gettime64"), None);
        assert_eq!(a.name(424), Some("pidfd_send_signal"));
    }

    #[cfg(target_arch = "x86_64")]
    #[test]
    fn exemptions_follow_the_kernel_version() {
        let x64 = native();
        assert!(exempt(x64, 335, Some((6, 18))).is_some());
        assert!(exempt(x64, 336, Some((6, 18))).is_some());
        assert!(exempt(x64, 335, Some((6, 6))).is_none());
        assert!(exempt(x64, 336, Some((6, 12))).is_none());
        // Unknown kernel: never issue them.
        assert!(exempt(x64, 336, None).is_some());
        assert!(exempt(&imp::ABIS[2], 335, Some((6, 18))).is_none());
    }
}
