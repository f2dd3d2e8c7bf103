//! Direct probing: the fallback when notification probing is unavailable
//! (seccomp() refused, kernel older than 5.0, a listener already attached,
//! gVisor). Each syscall is really called, with the arguments of
//! harmless.rs that the kernel rejects before acting, in disposable children,
//! and the answer is compared with what the kernel alone would have said.
//!
//! This module owns the probe child of that method (raw code only after the
//! fork, like child.rs), whatami's side that forks, watches and reaps it, and
//! the classification of what was seen. Nothing here runs a probe in
//! whatami's own process.
//!
//! The child, before its first probe, and best effort where the policy
//! allows, makes itself unable to reach anything outside itself even if a
//! table entry were wrong: it closes every inherited fd (stdin, the
//! terminal, whatami's files), enters new user, mount, IPC, UTS and network
//! namespaces, drops every capability, sets RLIMIT_CORE to 0 and is not
//! dumpable (a KILL verdict leaves no core), and dies with whatami
//! (PR_SET_PDEATHSIG). It then probes from a thread of its own, so that a
//! KILL_THREAD verdict ends the thread and not the child. A child killed by a
//! verdict is replaced by a fresh one that resumes at the next call; one that
//! stops answering is killed, and its call is "unknown".

use super::abi::{self, Entry};
use super::harmless::{self, Expect, Harmless};
use super::plan;
use crate::model::{
    AbiInfo, ArgProbe, Confidence, DirectCall, Probe, ProbeMethod, SyscallResult, Verdict,
};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::sync::atomic::{
    AtomicI32, AtomicI64, AtomicPtr, AtomicU32, AtomicU64, AtomicUsize, Ordering::SeqCst,
};
use std::time::{Duration, Instant};

/// The whole probe, however many children it takes.
const TOTAL_LIMIT: Duration = Duration::from_secs(20);
/// A child that makes no progress for this long is killed by whatami (the
/// child's own main thread gives up on a stalled call well before).
const CHILD_STALL_LIMIT: Duration = Duration::from_secs(2);
/// The child's main thread polls its probe thread this often, and gives up
/// after this many silent intervals on one call.
const POLL_MS: i32 = 100;
const STALL_POLLS: u32 = 5;

/// One call as the child issues it: plain data, prepared before the fork.
#[derive(Debug, Clone, Copy)]
pub struct Call {
    pub nr: u32,
    pub args: [u64; 6],
    /// false: never issued (not harmless, exempt, or not provably unimplemented).
    pub issue: bool,
    /// The syscall returns an `int` zero-extended to 64 bits (x86 modify_ldt),
    /// so its errors arrive as 0xfffff001..=0xffffffff.
    pub ret32: bool,
}

/// What happened to one call, before classification.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Raw {
    /// The syscall returned this raw value.
    Returned(i64),
    /// SIGSYS with si_code SYS_SECCOMP at the probe instruction; SECCOMP_RET_DATA.
    Trap(u32),
    /// The probe thread died and the child lived on.
    KillThread,
    /// The child died with SIGSYS inside the call.
    KillProcess,
    /// The child died with another signal (or exited) inside the call.
    Died(i32),
    /// The call did not return in time; the child was killed.
    TimedOut,
    /// Never issued.
    NotIssued,
    /// The overall time limit ran out first.
    NotReached,
}

/// The result of a run, one [`Raw`] per call.
pub struct Outcome {
    pub raw: Vec<Raw>,
    /// Whether the calls were made from a thread (KILL_THREAD told apart from KILL_PROCESS).
    pub threaded: bool,
    /// The safety nets in place in the probe children, in words.
    pub nets: Vec<&'static str>,
    /// Facts worth reporting about how the run went.
    pub notes: Vec<String>,
}

// ------------------------------------------------------------ the report

/// What to do about one item of the plan, and how to report it.
struct Item {
    call: Call,
    expectation: Option<Expectation>,
    /// The verdict when the call is not issued (exempt, not probed), with why.
    fixed: Option<(Verdict, Confidence, String)>,
    /// How the issued call differs from the plan's, for argument probes.
    note: Option<String>,
    kind: ItemKind,
}

enum ItemKind {
    Sweep {
        nr: u32,
        name: Option<&'static str>,
    },
    Arg {
        label: String,
        syscall: &'static str,
    },
}

/// CLONE_THREAD without CLONE_SIGHAND: copy_process() refuses it first.
const CLONE_THREAD: u64 = 0x10000;
/// Not an unshare flag on any kernel: check_unshare_flags() refuses it first.
const UNSHARE_UNDEFINED: u64 = 0x1;
/// A socket type flag other than SOCK_CLOEXEC and SOCK_NONBLOCK: refused
/// before any family is looked up (so no module is loaded for it).
const SOCK_UNDEFINED_FLAG: u64 = 0x10;

/// The native sweep's item for number `nr`.
fn sweep_item(p: &plan::Probe, unnamed_ok: bool, kernel: Option<(u32, u32)>) -> Item {
    let nr = p.nr;
    let name = p.abi.name(p.base_nr());
    let kind = ItemKind::Sweep { nr, name };
    let skipped = |fixed: (Verdict, Confidence, String)| Item {
        call: Call {
            nr,
            args: [0; 6],
            issue: false,
            ret32: false,
        },
        expectation: None,
        fixed: Some(fixed),
        note: None,
        kind: ItemKind::Sweep { nr, name },
    };
    if let Some(why) = p.skip {
        return skipped((Verdict::Exempt, Confidence::Exact, why.to_string()));
    }
    let not_probed = |why: String| {
        skipped((
            Verdict::Unknown,
            Confidence::Uncertain,
            format!("not probed: {why}"),
        ))
    };
    match name {
        Some(n) => {
            if let Some(why) = harmless::not_harmless(n) {
                return not_probed(format!("cannot be made harmless ({why})"));
            }
            match harmless::lookup(n) {
                Some(h) => Item {
                    call: Call {
                        nr,
                        args: h.args,
                        issue: true,
                        ret32: n == "modify_ldt",
                    },
                    expectation: Some(Expectation::of(h, kernel)),
                    fixed: None,
                    note: None,
                    kind,
                },
                None => not_probed("cannot be made harmless (no arguments known that the kernel rejects before acting)".into()),
            }
        }
        None if unnamed_ok => Item {
            call: Call {
                nr,
                args: [0; 6],
                issue: true,
                ret32: false,
            },
            expectation: Some(Expectation::unimplemented()),
            fixed: None,
            note: None,
            kind,
        },
        None => {
            let k = kernel.map_or("of unknown version".to_string(), |(a, b)| {
                format!("{a}.{b}")
            });
            let (ta, tb) = harmless::TABLES_KERNEL;
            not_probed(format!(
                "no known syscall has this number, but this kernel ({k}) may be newer than \
                 the syscall tables ({ta}.{tb}) and implement it"
            ))
        }
    }
}

/// An argument probe as the direct method issues it: changed where needed
/// so that the kernel refuses it before acting, saying how.
fn arg_item(
    p: &plan::Probe,
    label: &str,
    syscall: &'static str,
    kernel: Option<(u32, u32)>,
) -> Item {
    let mut args = p.args;
    let (expect, note): (Expect, Option<&str>) = match syscall {
        "clone" => {
            args[0] |= CLONE_THREAD;
            (
                Expect::fails(&[libc::EINVAL]),
                Some(
                    "issued with CLONE_THREAD added, which the kernel refuses (EINVAL) \
                     before creating anything; the policy saw that flag too",
                ),
            )
        }
        "unshare" => {
            args[0] |= UNSHARE_UNDEFINED;
            (
                Expect::fails(&[libc::EINVAL]),
                Some(
                    "issued with the undefined flag 0x1 added, which the kernel refuses \
                     (EINVAL) before unsharing anything; a policy comparing the whole \
                     flags word would see the difference",
                ),
            )
        }
        "clone3" => {
            args = [1, 1, 0, 0, 0, 0];
            (
                Expect::fails(&[libc::EINVAL]),
                Some(
                    "issued with size 1, below the smallest struct clone_args (EINVAL \
                     before it is read); a policy cannot read the struct anyway",
                ),
            )
        }
        "socket" => {
            args[1] |= SOCK_UNDEFINED_FLAG;
            (
                Expect::fails(&[libc::EINVAL]),
                Some(
                    "issued with the undefined type flag 0x10 added, which the kernel \
                     refuses (EINVAL) before creating a socket or loading a module",
                ),
            )
        }
        "ioctl" => {
            args[0] = u64::MAX;
            (
                Expect::fails(&[libc::EBADF]),
                Some(
                    "issued on fd -1 (EBADF before any terminal is touched); the policy \
                     saw fd -1 instead of 0",
                ),
            )
        }
        // Changes only the probe child's own execution domain. aarch64
        // refuses PER_LINUX32 on CPUs without 32-bit support.
        "personality" => (
            Expect {
                errnos: &[libc::EINVAL],
                succeeds: true,
            },
            None,
        ),
        _ => {
            return Item {
                call: Call {
                    nr: p.nr,
                    args,
                    issue: false,
                    ret32: false,
                },
                expectation: None,
                fixed: Some((
                    Verdict::Unknown,
                    Confidence::Uncertain,
                    "not probed by the direct method".into(),
                )),
                note: None,
                kind: ItemKind::Arg {
                    label: label.to_string(),
                    syscall,
                },
            };
        }
    };
    Item {
        call: Call {
            nr: p.nr,
            args,
            issue: true,
            ret32: false,
        },
        expectation: Some(Expectation {
            expect,
            may_lack: harmless::lookup(syscall).is_some_and(|h| harmless::may_lack(h, kernel)),
            // Policies answer socket() rules with EINVAL too (podman's
            // NETLINK_AUDIT rule), the very errno the extra flag brings.
            ambiguous: if syscall == "socket" {
                &[libc::EINVAL]
            } else {
                &[]
            },
        }),
        fixed: None,
        note: note.map(str::to_string),
        kind: ItemKind::Arg {
            label: label.to_string(),
            syscall,
        },
    }
}

/// Whether /proc/self/status says no seccomp filter is attached to whatami
/// (then none is attached to its children either, before they add one).
fn no_filter_attached() -> bool {
    std::fs::read_to_string("/proc/self/status").is_ok_and(|t| {
        crate::inspect::status::ProcStatus::parse(&t).seccomp_mode()
            == Ok(crate::model::SeccompMode::Disabled)
    })
}

/// Why the other entry points are not probed by this method.
fn other_abi_note(a: &abi::Abi) -> String {
    let why = match a.entry {
        Entry::Int80 => {
            "the i386 entry point reads arguments differently (32-bit registers, 64-bit \
             values split in two, other struct layouts, the socketcall and ipc \
             multiplexers), so the native table's arguments are not proven harmless there"
        }
        Entry::Native => {
            "x32 has compat handlers of its own, and a kernel without x32 answers every \
             call through it with ENOSYS whatever the policy says"
        }
    };
    format!("the direct method does not use this entry point: {why}")
}

/// Runs direct probing and builds the report's probe section. `why` says
/// why notification probing was not used, when it was tried first.
pub fn probe(kernel: Option<(u32, u32)>, why: Option<String>, started: Instant) -> Probe {
    let plan = plan::build(kernel, &[]);
    let native = abi::native();
    let unnamed_ok = harmless::unnamed_numbers_unimplemented(kernel);
    let items: Vec<Item> = plan
        .iter()
        .filter_map(|p| match &p.kind {
            plan::Kind::Sweep if std::ptr::eq(p.abi, native) => {
                Some(sweep_item(p, unnamed_ok, kernel))
            }
            plan::Kind::Arg { label, syscall } => Some(arg_item(p, label, syscall, kernel)),
            // The all-ones sweep and the other entry points: see the notes.
            _ => None,
        })
        .collect();
    let calls: Vec<Call> = items.iter().map(|i| i.call).collect();
    let mut notes: Vec<String> = why.into_iter().collect();
    let outcome = match run(&calls) {
        Ok(o) => o,
        Err(Unavailable(e)) => {
            notes.push(format!("direct probing unavailable: {e}"));
            return super::not_run(&notes.join("; "));
        }
    };
    // With no filter attached, every answer is the kernel's own.
    let unfiltered = no_filter_attached();
    let mut results = Vec::new();
    let mut arg_probes = Vec::new();
    for (item, raw) in items.iter().zip(&outcome.raw) {
        let c = match &item.fixed {
            None if unfiltered && matches!(raw, Raw::Returned(_)) => {
                verdict(Verdict::Allowed, None, Confidence::Exact, None)
            }
            Some((v, conf, note)) => Classified {
                verdict: *v,
                errno: None,
                trap_data: None,
                confidence: *conf,
                note: Some(note.clone()),
            },
            None => classify(*raw, item.expectation, outcome.threaded),
        };
        let direct = item.call.issue.then(|| DirectCall {
            args: item.call.args.to_vec(),
            expected_errnos: item
                .expectation
                .map(|e| e.expect.errnos.iter().map(|&n| n as u32).collect())
                .unwrap_or_default(),
            may_succeed: item.expectation.is_some_and(|e| e.expect.succeeds),
            returned: match raw {
                Raw::Returned(v) => Some(*v),
                _ => None,
            },
        });
        match &item.kind {
            ItemKind::Sweep { nr, name } => results.push(SyscallResult {
                abi: native.name.to_string(),
                nr: *nr,
                name: name.map(str::to_string),
                verdict: c.verdict,
                errno: c.errno,
                trap_data: c.trap_data,
                method: ProbeMethod::Direct,
                confidence: c.confidence,
                all_ones: None,
                note: c.note,
                direct,
            }),
            ItemKind::Arg { label, syscall } => {
                let note = match (&item.note, c.note) {
                    (Some(a), Some(b)) => Some(format!("{b}; {a}")),
                    (a, b) => b.or(a.clone()),
                };
                arg_probes.push(ArgProbe {
                    label: label.clone(),
                    syscall: syscall.to_string(),
                    abi: native.name.to_string(),
                    nr: item.call.nr,
                    args: item.call.args.to_vec(),
                    verdict: c.verdict,
                    errno: c.errno,
                    trap_data: c.trap_data,
                    method: ProbeMethod::Direct,
                    confidence: Some(c.confidence),
                    note,
                    direct,
                })
            }
        }
    }
    let abis = abi::abis()
        .into_iter()
        .map(|a| {
            let native_one = std::ptr::eq(a, native);
            AbiInfo {
                abi: a.name.to_string(),
                probed: native_one,
                probes: if native_one { results.len() as u32 } else { 0 },
                note: (!native_one).then(|| other_abi_note(a)),
            }
        })
        .collect();
    if unfiltered {
        notes.push(
            "no seccomp filter is attached (Seccomp: 0): every answer is the kernel's".into(),
        );
    }
    notes.push(format!(
        "direct calls in disposable children ({}); arguments the kernel rejects before acting",
        outcome.nets.join(", ")
    ));
    if !outcome.threaded {
        notes.push("no probe thread: kill_thread and kill_process cannot be told apart".into());
    }
    notes.push("no all-ones sweep: all-ones arguments are not provably harmless".into());
    notes.extend(outcome.notes);
    Probe {
        method: ProbeMethod::Direct,
        note: Some(notes.join("; ")),
        abis,
        results,
        arg_probes,
        elapsed_us: started.elapsed().as_micros() as u64,
    }
}

// ------------------------------------------------------------ classification

/// What the kernel would answer to one call, as far as the table knows.
#[derive(Debug, Clone, Copy)]
pub struct Expectation {
    pub expect: Expect,
    pub may_lack: bool,
    /// Expected errnos that policies also give this very call (podman
    /// answers socket(AF_NETLINK, .., NETLINK_AUDIT) with EINVAL): seeing
    /// one does not tell the kernel's answer from the policy's.
    pub ambiguous: &'static [i32],
}

impl Expectation {
    pub fn of(h: &Harmless, kernel: Option<(u32, u32)>) -> Expectation {
        Expectation {
            expect: h.expect,
            may_lack: harmless::may_lack(h, kernel),
            ambiguous: &[],
        }
    }

    /// A number the kernel does not implement: ENOSYS whatever the arguments.
    pub fn unimplemented() -> Expectation {
        Expectation {
            expect: Expect::fails(&[libc::ENOSYS]),
            may_lack: false,
            ambiguous: &[],
        }
    }
}

/// A verdict with its confidence and, where it matters, why.
#[derive(Debug, Clone, PartialEq)]
pub struct Classified {
    pub verdict: Verdict,
    pub errno: Option<u32>,
    pub trap_data: Option<u32>,
    pub confidence: Confidence,
    pub note: Option<String>,
}

fn verdict(
    verdict: Verdict,
    errno: Option<u32>,
    confidence: Confidence,
    note: Option<String>,
) -> Classified {
    Classified {
        verdict,
        errno,
        trap_data: None,
        confidence,
        note,
    }
}

fn errno_name(e: i32) -> String {
    syscalls::Errno::new(e)
        .name()
        .map(str::to_string)
        .unwrap_or_else(|| format!("errno {e}"))
}

fn expected_words(exp: &Expect) -> String {
    let mut parts: Vec<String> = exp.errnos.iter().map(|&e| errno_name(e)).collect();
    if exp.succeeds {
        parts.push("success".into());
    }
    parts.join(" or ")
}

/// Turns one observation into a verdict.
///
/// The filter runs before the syscall, so a KILL or TRAP is always the
/// policy's. An errno is the policy's unless it is one the kernel itself
/// gives to these arguments: then the call was let through ("allowed"),
/// except where that errno is EPERM or EACCES (a capability or credential
/// check answers the same) or ENOSYS (a policy's ERRNO(ENOSYS) looks the
/// same), which stay uncertain.
pub fn classify(raw: Raw, exp: Option<Expectation>, threaded: bool) -> Classified {
    use Confidence::*;
    use Verdict::*;
    const MAX_ERRNO: i64 = 4095;
    let Some(exp) = exp else {
        return verdict(Unknown, None, Uncertain, None);
    };
    match raw {
        Raw::Returned(v) if (-MAX_ERRNO..0).contains(&v) => {
            let e = (-v) as i32;
            let eu = Some(e as u32);
            let name = errno_name(e);
            if exp.expect.errnos.contains(&e) {
                if harmless::is_credential_errno(e) {
                    verdict(
                        Errno,
                        eu,
                        Uncertain,
                        Some(format!(
                            "{name} is also the kernel's own answer to these arguments \
                             (a capability or credential check): the policy may allow it"
                        )),
                    )
                } else if e == libc::ENOSYS {
                    verdict(
                        Allowed,
                        None,
                        Uncertain,
                        Some(
                            "ENOSYS is the kernel's own answer here; a policy answering \
                             ENOSYS looks the same"
                                .into(),
                        ),
                    )
                } else if exp.ambiguous.contains(&e) {
                    verdict(
                        Allowed,
                        None,
                        Uncertain,
                        Some(format!(
                            "{name} is the kernel's answer to these arguments, and also \
                             one policies give to this call"
                        )),
                    )
                } else {
                    verdict(Allowed, None, Likely, None)
                }
            } else if e == libc::ENOSYS {
                if exp.may_lack {
                    verdict(
                        Errno,
                        eu,
                        Uncertain,
                        Some("ENOSYS: the policy's answer, or a kernel without this call".into()),
                    )
                } else {
                    verdict(Errno, eu, Likely, None)
                }
            } else if harmless::is_credential_errno(e) {
                // The kernel answers these arguments with something else
                // before any privilege check.
                verdict(Errno, eu, Likely, None)
            } else {
                verdict(
                    Errno,
                    eu,
                    Uncertain,
                    Some(format!(
                        "{name} where the kernel answers {}: the policy's errno, or a \
                         kernel that checks these arguments differently",
                        expected_words(&exp.expect)
                    )),
                )
            }
        }
        Raw::Returned(v) if v >= 0 => {
            if exp.expect.succeeds {
                verdict(Allowed, None, Likely, None)
            } else if v == 0 {
                verdict(
                    Errno,
                    Some(0),
                    Likely,
                    Some(format!(
                        "returned 0 where the kernel answers {}: the policy fakes success",
                        expected_words(&exp.expect)
                    )),
                )
            } else {
                verdict(
                    Unknown,
                    None,
                    Uncertain,
                    Some(format!(
                        "unexpected success (returned {v}) where the kernel answers {}",
                        expected_words(&exp.expect)
                    )),
                )
            }
        }
        Raw::Returned(v) => verdict(
            Unknown,
            None,
            Uncertain,
            Some(format!("unexpected return value {v}")),
        ),
        Raw::Trap(data) => Classified {
            trap_data: Some(data),
            ..verdict(Trap, None, Exact, None)
        },
        Raw::KillThread => verdict(KillThread, None, Likely, None),
        Raw::KillProcess if threaded => verdict(KillProcess, None, Likely, None),
        Raw::KillProcess => verdict(
            KillProcess,
            None,
            Uncertain,
            Some(
                "called without a probe thread: kill_thread and kill_process cannot be told apart"
                    .into(),
            ),
        ),
        Raw::Died(sig) => verdict(
            Unknown,
            None,
            Uncertain,
            Some(format!("the probe child died with signal {sig}")),
        ),
        Raw::TimedOut => verdict(
            Unknown,
            None,
            Uncertain,
            Some("no answer in time; the probe child was killed".into()),
        ),
        Raw::NotIssued => verdict(Unknown, None, Uncertain, None),
        Raw::NotReached => verdict(
            Unknown,
            None,
            Uncertain,
            Some("not probed: the time limit ran out first".into()),
        ),
    }
}

// ------------------------------------------------------------ shared page

/// Where the probe thread is.
mod state {
    pub const OUT: u32 = 0;
    pub const IN_CALL: u32 = 1;
    pub const DONE: u32 = 2;
}

/// How far the child's setup got. The optional steps can be left out when
/// the policy kills or traps the calls they make.
mod stage {
    pub const FORKED: u32 = 0;
    pub const SIGNALS: u32 = 1;
    pub const LIMITS: u32 = 2;
    pub const PARENT: u32 = 3;
    pub const FDS: u32 = 4;
    pub const NAMESPACES: u32 = 5;
    pub const CAPS: u32 = 6;
    pub const THREAD: u32 = 7;
    pub const PROBING: u32 = 8;

    pub fn describe(s: u32) -> &'static str {
        match s {
            FORKED => "preparing the probe child",
            SIGNALS => "installing the SIGSYS handler (rt_sigaction, rt_sigprocmask)",
            LIMITS => "setting RLIMIT_CORE to 0 and PR_SET_DUMPABLE (prlimit64, prctl)",
            PARENT => "tying the child to whatami (prctl(PR_SET_PDEATHSIG))",
            FDS => "closing inherited file descriptors (close)",
            NAMESPACES => "entering new namespaces (unshare)",
            CAPS => "dropping capabilities (capset)",
            THREAD => "starting the probe thread (pipe2, poll, clone)",
            _ => "probing",
        }
    }
}

/// The optional safety steps and features, as bits.
mod feature {
    pub const UNSHARE: u32 = 1;
    pub const DROP_CAPS: u32 = 2;
    pub const THREAD: u32 = 4;
    pub const ALL: u32 = UNSHARE | DROP_CAPS | THREAD;
}

/// Which safety nets a child managed to put in place.
mod net {
    pub const NO_CORE: u32 = 1;
    pub const USERNS: u32 = 2;
    pub const OTHER_NS: u32 = 4;
    pub const NO_CAPS: u32 = 8;
    pub const THREAD: u32 = 16;
}

mod slot_kind {
    pub const PENDING: u32 = 0;
    pub const RETURNED: u32 = 1;
    pub const TRAP: u32 = 2;
    pub const KILL_THREAD: u32 = 3;
    // Written by whatami once the child is gone.
    pub const KILL_PROCESS: u32 = 10;
    pub const TIMED_OUT: u32 = 11;
    pub const DIED: u32 = 12;
}

/// Child exit codes.
const EXIT_DONE: i32 = 0;
const EXIT_SETUP: i32 = 3;
const EXIT_CONFUSED: i32 = 4;
const EXIT_STALLED: i32 = 5;

#[repr(C)]
struct Header {
    cur: AtomicUsize,
    state: AtomicU32,
    stage: AtomicU32,
    setup_errno: AtomicI32,
    /// SIGSYS outside a call (a TRAP rule hit by the child's own setup).
    stray_sigsys: AtomicI32,
    nets: AtomicU32,
    _pad: AtomicU32,
}

#[repr(C)]
struct Slot {
    kind: AtomicU32,
    _pad: AtomicU32,
    value: AtomicI64,
}

/// A MAP_SHARED mapping that outlives the children: one header, one slot per call.
struct Page {
    base: *mut u8,
    len: usize,
    slots: usize,
}

impl Page {
    fn new(slots: usize) -> std::io::Result<Page> {
        let len = std::mem::size_of::<Header>() + slots.max(1) * std::mem::size_of::<Slot>();
        // SAFETY: an anonymous shared mapping; the result is checked below.
        let base = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                len,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_SHARED | libc::MAP_ANONYMOUS,
                -1,
                0,
            )
        };
        if base == libc::MAP_FAILED {
            return Err(std::io::Error::last_os_error());
        }
        // Zero-filled memory is a valid Header and valid Slots (atomics at 0).
        Ok(Page {
            base: base.cast(),
            len,
            slots,
        })
    }

    fn header(&self) -> &Header {
        // SAFETY: the mapping starts with a Header, is page aligned and lives
        // as long as self.
        unsafe { &*(self.base as *const Header) }
    }

    fn slots(&self) -> &[Slot] {
        // SAFETY: `slots` Slots follow the Header (its size is a multiple of
        // 8, so they are aligned) inside the mapping, which lives as long as self.
        unsafe {
            std::slice::from_raw_parts(
                self.base.add(std::mem::size_of::<Header>()) as *const Slot,
                self.slots,
            )
        }
    }
}

impl Drop for Page {
    fn drop(&mut self) {
        // SAFETY: unmapping exactly what new() mapped; nothing borrows it past self.
        unsafe {
            libc::munmap(self.base.cast(), self.len);
        }
    }
}

/// The probe thread's stack, mapped before the fork (each child has its own copy).
struct Stack {
    base: *mut u8,
    len: usize,
}

impl Stack {
    fn new() -> std::io::Result<Stack> {
        let len = 64 * 1024;
        // SAFETY: an anonymous private mapping; the result is checked below.
        let base = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                len,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_STACK,
                -1,
                0,
            )
        };
        if base == libc::MAP_FAILED {
            return Err(std::io::Error::last_os_error());
        }
        Ok(Stack {
            base: base.cast(),
            len,
        })
    }

    fn top(&self) -> *mut u8 {
        // SAFETY: one past the end of the mapping, where a downward-growing
        // stack starts; page aligned, so 16-byte aligned.
        unsafe { self.base.add(self.len) }
    }
}

impl Drop for Stack {
    fn drop(&mut self) {
        // SAFETY: unmapping exactly what new() mapped.
        unsafe {
            libc::munmap(self.base.cast(), self.len);
        }
    }
}

// ------------------------------------------------------------ the child

/// Everything the child reads, prepared before the fork.
struct Ctx<'a> {
    calls: &'a [Call],
    page: &'a Page,
    stack: &'a Stack,
    start: usize,
    features: u32,
    /// The write end of the pipe whatami watches; the only fd the child keeps.
    keep_fd: libc::c_int,
    /// Every other fd whatami had open at the fork.
    close_fds: &'a [libc::c_int],
}

// The SIGSYS handler takes no arguments of ours: it finds the page through
// these, set by the child itself after the fork (in its own copy of them).
static H_HEADER: AtomicPtr<Header> = AtomicPtr::new(std::ptr::null_mut());
static H_SLOTS: AtomicPtr<Slot> = AtomicPtr::new(std::ptr::null_mut());
static H_NSLOTS: AtomicUsize = AtomicUsize::new(0);
static H_MARKER: AtomicU64 = AtomicU64::new(0);

/// The parts of siginfo_t that SIGSYS fills (`_sigsys`), as on 64-bit kernels.
#[repr(C)]
struct SigsysInfo {
    signo: i32,
    errno: i32,
    code: i32,
    _pad: i32,
    call_addr: u64,
    syscall: i32,
    arch: u32,
}

const SYS_SECCOMP: i32 = 1;

extern "C" fn on_sigsys(_sig: libc::c_int, info: *mut libc::siginfo_t, _ctx: *mut libc::c_void) {
    // SAFETY: the kernel passes a valid siginfo_t to SA_SIGINFO handlers;
    // SigsysInfo is a prefix view of it.
    let si = unsafe { &*(info as *const SigsysInfo) };
    // SAFETY: null, or set at child start to the live shared page.
    let Some(h) = (unsafe { H_HEADER.load(SeqCst).as_ref() }) else {
        return;
    };
    let from_call = si.code == SYS_SECCOMP
        && si.call_addr == H_MARKER.load(SeqCst)
        && h.state.load(SeqCst) == state::IN_CALL;
    if from_call {
        let i = h.cur.load(SeqCst);
        if i < H_NSLOTS.load(SeqCst) {
            // SAFETY: i is within the slot array of the shared page.
            let slot = unsafe { &*H_SLOTS.load(SeqCst).add(i) };
            // SECCOMP_RET_DATA arrives in si_errno.
            slot.value.store(si.errno as u16 as i64, SeqCst);
            slot.kind.store(slot_kind::TRAP, SeqCst);
        }
    } else {
        h.stray_sigsys.store(si.syscall.max(1), SeqCst);
    }
    // Returning resumes after the syscall, which did not run.
}

fn errno() -> i32 {
    std::io::Error::last_os_error().raw_os_error().unwrap_or(0)
}

fn setup_failed(h: &Header) -> ! {
    h.setup_errno.store(errno(), SeqCst);
    // SAFETY: _exit ends this child only.
    unsafe { libc::_exit(EXIT_SETUP) }
}

/// Runs in the forked child; never returns.
///
/// # Safety
/// Only in the child of a fork, with `ctx` prepared before it.
unsafe fn child_main(ctx: &Ctx) -> ! {
    let h = ctx.page.header();
    h.stage.store(stage::FORKED, SeqCst);
    H_HEADER.store(h as *const Header as *mut Header, SeqCst);
    H_SLOTS.store(ctx.page.slots().as_ptr() as *mut Slot, SeqCst);
    H_NSLOTS.store(ctx.page.slots().len(), SeqCst);
    H_MARKER.store(abi::marker_addresses()[0], SeqCst);
    // SAFETY: plain libc calls in the forked child, each checked; nothing here
    // allocates, locks or unwinds.
    unsafe {
        h.stage.store(stage::SIGNALS, SeqCst);
        let mut sa: libc::sigaction = std::mem::zeroed();
        sa.sa_sigaction = on_sigsys as *const () as usize;
        sa.sa_flags = libc::SA_SIGINFO | libc::SA_NODEFER;
        libc::sigemptyset(&mut sa.sa_mask);
        if libc::sigaction(libc::SIGSYS, &sa, std::ptr::null_mut()) != 0 {
            setup_failed(h);
        }
        // A blocked SIGSYS would turn a TRAP into a kill.
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        libc::sigaddset(&mut set, libc::SIGSYS);
        if libc::sigprocmask(libc::SIG_UNBLOCK, &set, std::ptr::null_mut()) != 0 {
            setup_failed(h);
        }

        // A KILL verdict must leave no core behind: RLIMIT_CORE 0 stops core
        // files, a non-dumpable process also stops piped core handlers.
        h.stage.store(stage::LIMITS, SeqCst);
        let no_core = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        let core0 = libc::setrlimit(libc::RLIMIT_CORE, &no_core) == 0;
        let undumpable = libc::prctl(libc::PR_SET_DUMPABLE, 0, 0, 0, 0) == 0;
        if !(core0 || undumpable) {
            setup_failed(h);
        }
        if core0 && undumpable {
            h.nets.fetch_or(net::NO_CORE, SeqCst);
        }

        h.stage.store(stage::PARENT, SeqCst);
        if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL, 0, 0, 0) != 0 {
            setup_failed(h);
        }
        // No getppid() check for a whatami that died before this point:
        // such an orphan only finishes its harmless calls and exits, while
        // a policy that holds getppid in a notification would stall every
        // child here.

        // Nothing whatami has open stays reachable: not stdin, not the terminal.
        h.stage.store(stage::FDS, SeqCst);
        for &fd in ctx.close_fds {
            if fd != ctx.keep_fd {
                libc::close(fd);
            }
        }

        if ctx.features & feature::UNSHARE != 0 {
            h.stage.store(stage::NAMESPACES, SeqCst);
            let others = libc::CLONE_NEWNS | libc::CLONE_NEWIPC | libc::CLONE_NEWUTS;
            let all = others | libc::CLONE_NEWNET;
            // A new user namespace first: it lets an unprivileged child make
            // the others, and leaves it no capability over anything outside.
            if libc::unshare(libc::CLONE_NEWUSER | all) == 0 {
                h.nets.fetch_or(net::USERNS | net::OTHER_NS, SeqCst);
            } else if libc::unshare(all) == 0 {
                h.nets.fetch_or(net::OTHER_NS, SeqCst);
            }
        }

        if ctx.features & feature::DROP_CAPS != 0 {
            h.stage.store(stage::CAPS, SeqCst);
            let mut hdr = libc_cap_header {
                version: 0x2008_0522, // _LINUX_CAPABILITY_VERSION_3
                pid: 0,
            };
            let data = [libc_cap_data::default(); 2];
            if libc::syscall(
                libc::SYS_capset,
                &mut hdr as *mut libc_cap_header,
                data.as_ptr(),
            ) == 0
            {
                h.nets.fetch_or(net::NO_CAPS, SeqCst);
            }
        }

        h.stage.store(stage::THREAD, SeqCst);
        if ctx.features & feature::THREAD != 0 {
            supervise_threads(ctx, h);
        }
        // No thread: call from this one (KILL_THREAD then ends the child).
        h.stage.store(stage::PROBING, SeqCst);
        run_calls(ctx, ctx.start);
        libc::_exit(EXIT_DONE)
    }
}

#[repr(C)]
#[allow(non_camel_case_types)]
struct libc_cap_header {
    version: u32,
    pid: i32,
}

#[repr(C)]
#[derive(Clone, Copy, Default)]
#[allow(non_camel_case_types)]
struct libc_cap_data {
    effective: u32,
    permitted: u32,
    inheritable: u32,
}

/// Probes from a thread and replaces it whenever a KILL_THREAD verdict ends
/// it. Returns only if no thread can be started at all (the caller then
/// probes from the main thread).
///
/// # Safety
/// Only in the probe child, after its setup.
unsafe fn supervise_threads(ctx: &Ctx, h: &Header) {
    let mut next = ctx.start;
    let mut first = true;
    loop {
        let mut pipe = [-1; 2];
        // SAFETY: pipe has room for two fds.
        if unsafe { libc::pipe2(pipe.as_mut_ptr(), libc::O_CLOEXEC) } != 0 {
            if first {
                return;
            }
            setup_failed(h);
        }
        let mut pfd = libc::pollfd {
            fd: pipe[0],
            events: libc::POLLIN,
            revents: 0,
        };
        // SAFETY: one valid pollfd.
        if first && unsafe { libc::poll(&mut pfd, 1, 0) } < 0 {
            // The policy refuses poll: supervise nothing, probe inline.
            // SAFETY: closing our own fds.
            unsafe {
                libc::close(pipe[0]);
                libc::close(pipe[1]);
            }
            return;
        }
        h.state.store(state::OUT, SeqCst);
        let stray_before = h.stray_sigsys.load(SeqCst);
        let arg = ThreadArg { ctx, start: next };
        // No CLONE_FILES: the thread has its own copy of the fd table,
        // holding the only write end of the pipe, which therefore hangs up
        // the moment the thread dies, however it dies.
        let flags = libc::CLONE_VM
            | libc::CLONE_FS
            | libc::CLONE_SIGHAND
            | libc::CLONE_THREAD
            | libc::CLONE_SYSVSEM;
        // SAFETY: the stack is ours (mapped before the fork, page aligned)
        // and `arg` outlives the thread: this function waits for the pipe
        // to hang up. probe_thread uses no thread-local storage.
        let tid = unsafe {
            abi::clone_thread(
                flags as u64,
                ctx.stack.top(),
                probe_thread,
                &arg as *const ThreadArg as *mut u8,
            )
        };
        // A TRAP on clone returns (a positive number) without a thread:
        // only the handler knows.
        let trapped = h.stray_sigsys.load(SeqCst) != stray_before;
        // SAFETY: closing our copy of the write end.
        unsafe { libc::close(pipe[1]) };
        if tid <= 0 || trapped {
            // SAFETY: closing our own fd.
            unsafe { libc::close(pipe[0]) };
            if first {
                return;
            }
            setup_failed(h);
        }
        first = false;
        wait_for_thread(h, &mut pfd);
        // SAFETY: closing our own fd.
        unsafe { libc::close(pipe[0]) };
        match h.state.load(SeqCst) {
            // SAFETY: _exit ends this child only.
            state::DONE => unsafe { libc::_exit(EXIT_DONE) },
            state::IN_CALL => {
                // The thread died inside a call while the child lived:
                // KILL_THREAD. Resume at the next call in a new thread.
                let i = h.cur.load(SeqCst);
                if let Some(slot) = ctx.page.slots().get(i) {
                    slot.kind.store(slot_kind::KILL_THREAD, SeqCst);
                }
                next = i + 1;
            }
            // SAFETY: _exit ends this child only.
            _ => unsafe { libc::_exit(EXIT_CONFUSED) },
        }
    }
}

/// Waits until the probe thread is gone, or leaves the child when one call
/// makes no progress for STALL_POLLS intervals.
fn wait_for_thread(h: &Header, pfd: &mut libc::pollfd) {
    let mut silent = 0;
    let mut last = usize::MAX;
    loop {
        pfd.revents = 0;
        // SAFETY: one valid pollfd.
        let n = unsafe { libc::poll(pfd, 1, POLL_MS) };
        if n > 0 {
            return;
        }
        if n < 0 && errno() != libc::EINTR {
            // SAFETY: _exit ends this child only.
            unsafe { libc::_exit(EXIT_CONFUSED) }
        }
        let cur = h.cur.load(SeqCst);
        if cur != last {
            last = cur;
            silent = 0;
        } else {
            silent += 1;
            if silent >= STALL_POLLS {
                // SAFETY: _exit ends this child; whatami marks the call in
                // flight as unanswered and resumes after it.
                unsafe { libc::_exit(EXIT_STALLED) }
            }
        }
    }
}

struct ThreadArg<'a> {
    ctx: &'a Ctx<'a>,
    start: usize,
}

extern "C" fn probe_thread(arg: *mut u8) -> i32 {
    // SAFETY: `arg` points at the ThreadArg on the main thread's stack, which
    // outlives this thread.
    let arg = unsafe { &*(arg as *const ThreadArg) };
    // Said here, before the first call, not by the main thread after
    // clone() returns: this thread may be killed by its first call before
    // the main thread runs again, and that death must read as a verdict,
    // not as a failed setup.
    let h = arg.ctx.page.header();
    h.nets.fetch_or(net::THREAD, SeqCst);
    h.stage.store(stage::PROBING, SeqCst);
    run_calls(arg.ctx, arg.start);
    // The clone trampoline then calls exit(2) for this thread only.
    0
}

/// Issues the calls from `start` on. Touches only the shared page and the
/// prepared calls (the thread has no thread-local storage of its own).
fn run_calls(ctx: &Ctx, start: usize) {
    let h = ctx.page.header();
    let slots = ctx.page.slots();
    for (i, (c, slot)) in ctx.calls.iter().zip(slots).enumerate().skip(start) {
        if !c.issue {
            continue;
        }
        h.cur.store(i, SeqCst);
        slot.kind.store(slot_kind::PENDING, SeqCst);
        h.state.store(state::IN_CALL, SeqCst);
        // SAFETY: the call really runs here, in the disposable child: only
        // numbers and arguments vetted by harmless.rs (the kernel rejects
        // them before acting, or acting touches only this child) or numbers
        // this kernel does not implement reach this point. It goes through
        // the dedicated probe instruction so that a SIGSYS can be attributed.
        let r = unsafe { abi::issue(Entry::Native, c.nr, &c.args) };
        h.state.store(state::OUT, SeqCst);
        if slot.kind.load(SeqCst) != slot_kind::TRAP {
            slot.value.store(r, SeqCst);
            slot.kind.store(slot_kind::RETURNED, SeqCst);
        }
    }
    h.state.store(state::DONE, SeqCst);
}

// ------------------------------------------------------------ whatami's side

/// Why direct probing could not run at all.
#[derive(Debug)]
pub struct Unavailable(pub String);

/// Runs `calls` in as many children as it takes.
pub fn run(calls: &[Call]) -> Result<Outcome, Unavailable> {
    let page = Page::new(calls.len()).map_err(|e| Unavailable(format!("mmap: {e}")))?;
    let stack = Stack::new().map_err(|e| Unavailable(format!("mmap: {e}")))?;
    let _sigchld = SigchldDefault::set();
    let deadline = Instant::now() + TOTAL_LIMIT;
    let mut features = feature::ALL;
    let mut notes = Vec::new();
    let mut next = 0usize;
    let mut nets = u32::MAX;
    let mut probing_started = false;
    let mut children = 0u32;

    while next < calls.len() && calls[next..].iter().any(|c| c.issue) {
        if Instant::now() >= deadline {
            notes.push(format!("time limit of {}s reached", TOTAL_LIMIT.as_secs()));
            break;
        }
        let h = page.header();
        h.stage.store(stage::FORKED, SeqCst);
        h.state.store(state::OUT, SeqCst);
        h.nets.store(0, SeqCst);
        h.setup_errno.store(0, SeqCst);
        h.stray_sigsys.store(0, SeqCst);
        h.cur.store(usize::MAX, SeqCst);
        let status = spawn_and_wait(calls, &page, &stack, next, features, deadline)
            .map_err(|e| Unavailable(format!("fork: {e}")))?;
        children += 1;
        let st = h.stage.load(SeqCst);
        if st < stage::PROBING {
            // The child ended during its setup.
            let optional = match st {
                stage::NAMESPACES => Some(feature::UNSHARE),
                stage::CAPS => Some(feature::DROP_CAPS),
                stage::THREAD => Some(feature::THREAD),
                _ => None,
            };
            match optional {
                Some(f) if features & f != 0 && status.died() => {
                    // The policy kills a call of an optional step: go without it.
                    features &= !f;
                    notes.push(format!(
                        "{} killed the probe child: left out",
                        stage::describe(st)
                    ));
                    continue;
                }
                _ => return Err(Unavailable(setup_failure(h, st, status))),
            }
        }
        probing_started = true;
        nets &= h.nets.load(SeqCst);
        let cur = h.cur.load(SeqCst);
        let in_call = h.state.load(SeqCst) == state::IN_CALL;
        let slot = page.slots().get(cur);
        let mark = |k: u32, v: i64| {
            if let Some(s) = slot {
                s.value.store(v, SeqCst);
                s.kind.store(k, SeqCst);
            }
        };
        match status {
            Status::Exited(EXIT_DONE) if h.state.load(SeqCst) == state::DONE => break,
            _ if !in_call || cur < next || cur >= calls.len() => {
                notes.push(format!(
                    "the probe child ended outside a call ({status:?}); the rest was not probed"
                ));
                break;
            }
            Status::Signaled(libc::SIGSYS) => mark(slot_kind::KILL_PROCESS, 0),
            Status::Exited(EXIT_STALLED) | Status::Killed => mark(slot_kind::TIMED_OUT, 0),
            Status::Signaled(sig) => mark(slot_kind::DIED, sig as i64),
            Status::Exited(code) => mark(slot_kind::DIED, -(code as i64)),
        }
        next = cur + 1;
    }
    if !probing_started && calls.iter().any(|c| c.issue) {
        return Err(Unavailable("no probe child got as far as probing".into()));
    }
    if children > 1 {
        notes.push(format!("{children} probe children"));
    }
    let nets = if nets == u32::MAX { 0 } else { nets };
    let raw = calls
        .iter()
        .zip(page.slots())
        .map(|(c, slot)| {
            if !c.issue {
                return Raw::NotIssued;
            }
            let value = slot.value.load(SeqCst);
            match slot.kind.load(SeqCst) {
                slot_kind::RETURNED if c.ret32 => Raw::Returned(value as i32 as i64),
                slot_kind::RETURNED => Raw::Returned(value),
                slot_kind::TRAP => Raw::Trap(value as u32),
                slot_kind::KILL_THREAD => Raw::KillThread,
                slot_kind::KILL_PROCESS => Raw::KillProcess,
                slot_kind::TIMED_OUT => Raw::TimedOut,
                slot_kind::DIED => Raw::Died(value as i32),
                _ => Raw::NotReached,
            }
        })
        .collect();
    Ok(Outcome {
        raw,
        threaded: nets & net::THREAD != 0,
        nets: describe_nets(nets),
        notes,
    })
}

fn describe_nets(nets: u32) -> Vec<&'static str> {
    let mut v = Vec::new();
    v.push("no inherited file descriptors");
    if nets & net::USERNS != 0 {
        v.push("own user namespace");
    }
    if nets & net::OTHER_NS != 0 {
        v.push("own mount, IPC, UTS and network namespaces");
    }
    if nets & net::NO_CAPS != 0 {
        v.push("no capabilities");
    }
    if nets & net::NO_CORE != 0 {
        v.push("no core dumps");
    }
    v
}

fn setup_failure(h: &Header, st: u32, status: Status) -> String {
    let mut msg = format!("{} failed", stage::describe(st));
    let e = h.setup_errno.load(SeqCst);
    match status {
        Status::Signaled(sig) => {
            msg.push_str(&format!(": the probe child was killed by signal {sig}"));
            if sig == libc::SIGSYS {
                msg.push_str(" (the policy kills this call)");
            }
        }
        _ if e != 0 => msg.push_str(&format!(": {}", std::io::Error::from_raw_os_error(e))),
        other => msg.push_str(&format!(": probe child status {other:?}")),
    }
    let stray = h.stray_sigsys.load(SeqCst);
    if stray != 0 {
        msg.push_str(&format!("; SIGSYS from syscall {stray} outside a call"));
    }
    msg
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Status {
    Exited(i32),
    Signaled(i32),
    /// Killed by whatami's watchdog.
    Killed,
}

impl Status {
    fn died(self) -> bool {
        matches!(self, Status::Signaled(_) | Status::Killed)
    }
}

/// Forks one child starting at `start` and waits, bounded, until it ends.
fn spawn_and_wait(
    calls: &[Call],
    page: &Page,
    stack: &Stack,
    start: usize,
    features: u32,
    deadline: Instant,
) -> std::io::Result<Status> {
    let mut p = [-1; 2];
    // SAFETY: p has room for two fds.
    if unsafe { libc::pipe2(p.as_mut_ptr(), libc::O_CLOEXEC) } != 0 {
        return Err(std::io::Error::last_os_error());
    }
    // SAFETY: both fds were just created and belong to nobody else.
    let (r, w) = unsafe { (OwnedFd::from_raw_fd(p[0]), OwnedFd::from_raw_fd(p[1])) };
    let close_fds = open_fds();
    let ctx = Ctx {
        calls,
        page,
        stack,
        start,
        features,
        keep_fd: w.as_raw_fd(),
        close_fds: &close_fds,
    };
    // SAFETY: whatami is single-threaded here, and the child runs only
    // child_main, which uses nothing allocated after this point.
    let pid = unsafe { libc::fork() };
    if pid < 0 {
        return Err(std::io::Error::last_os_error());
    }
    if pid == 0 {
        // SAFETY: in the child of the fork above, with ctx prepared before it.
        unsafe { child_main(&ctx) }
    }
    drop(w);
    let h = page.header();
    let mut killed = false;
    let mut progress = (h.stage.load(SeqCst), h.cur.load(SeqCst), Instant::now());
    loop {
        let mut pfd = libc::pollfd {
            fd: r.as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        };
        // SAFETY: one valid pollfd.
        let n = unsafe { libc::poll(&mut pfd, 1, 100) };
        if n > 0 || killed {
            break;
        }
        let now_at = (h.stage.load(SeqCst), h.cur.load(SeqCst));
        if now_at != (progress.0, progress.1) {
            progress = (now_at.0, now_at.1, Instant::now());
        } else if progress.2.elapsed() >= CHILD_STALL_LIMIT || Instant::now() >= deadline {
            // SAFETY: signalling our own child, not reaped yet, so the pid
            // cannot have been reused.
            unsafe { libc::kill(pid, libc::SIGKILL) };
            killed = true;
        }
    }
    Ok(reap(pid, killed))
}

/// Reaps the child, bounded: after its pipe hung up it is gone or going; if
/// it lingers (something else holds the pipe), it is killed.
fn reap(pid: libc::pid_t, mut killed: bool) -> Status {
    let started = Instant::now();
    let mut status = 0;
    loop {
        // SAFETY: waiting for our own child by pid.
        let r = unsafe { libc::waitpid(pid, &mut status, libc::__WALL | libc::WNOHANG) };
        if r == pid {
            break;
        }
        if r < 0 && errno() != libc::EINTR {
            return Status::Exited(-1);
        }
        if !killed && started.elapsed() >= Duration::from_millis(500) {
            // SAFETY: our own child, not reaped yet.
            unsafe { libc::kill(pid, libc::SIGKILL) };
            killed = true;
        }
        std::thread::sleep(Duration::from_micros(200));
    }
    if libc::WIFEXITED(status) {
        Status::Exited(libc::WEXITSTATUS(status))
    } else {
        match libc::WTERMSIG(status) {
            libc::SIGKILL if killed => Status::Killed,
            sig => Status::Signaled(sig),
        }
    }
}

/// The fds whatami has open, for the child to close. Listed from
/// /proc/self/fd; without /proc, every fd below the soft RLIMIT_NOFILE
/// (capped) that answers F_GETFD.
fn open_fds() -> Vec<libc::c_int> {
    if let Ok(dir) = std::fs::read_dir("/proc/self/fd") {
        let fds: Vec<libc::c_int> = dir
            .filter_map(|e| e.ok()?.file_name().to_str()?.parse().ok())
            .collect();
        if !fds.is_empty() {
            return fds;
        }
    }
    let mut lim = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: lim is a valid rlimit to fill.
    let max = if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) } == 0 {
        lim.rlim_cur.min(65536) as libc::c_int
    } else {
        1024
    };
    // SAFETY: F_GETFD only reads the descriptor's flags.
    (0..max)
        .filter(|&fd| unsafe { libc::fcntl(fd, libc::F_GETFD) } >= 0)
        .collect()
}

/// Restores SIGCHLD to its default while probing: an inherited SIG_IGN
/// would let the kernel reap the children and hide how they died.
struct SigchldDefault {
    old: libc::sighandler_t,
}

impl SigchldDefault {
    fn set() -> Self {
        // SAFETY: changing our own SIGCHLD disposition; restored in Drop.
        let old = unsafe { libc::signal(libc::SIGCHLD, libc::SIG_DFL) };
        SigchldDefault { old }
    }
}

impl Drop for SigchldDefault {
    fn drop(&mut self) {
        if self.old != libc::SIG_ERR && self.old != libc::SIG_DFL {
            // SAFETY: restoring the disposition saved in set().
            unsafe {
                libc::signal(libc::SIGCHLD, self.old);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Verdict;

    fn exp(errnos: &'static [i32]) -> Option<Expectation> {
        Some(Expectation {
            expect: Expect::fails(errnos),
            may_lack: false,
            ambiguous: &[],
        })
    }

    fn errno(e: i32) -> Raw {
        Raw::Returned(-(e as i64))
    }

    #[test]
    fn the_kernels_own_answer_means_allowed() {
        let c = classify(errno(libc::EBADF), exp(&[libc::EBADF]), true);
        assert_eq!(
            (c.verdict, c.confidence),
            (Verdict::Allowed, Confidence::Likely)
        );
    }

    #[test]
    fn another_errno_is_the_policys() {
        let c = classify(errno(libc::EPERM), exp(&[libc::EBADF]), true);
        assert_eq!(
            (c.verdict, c.errno, c.confidence),
            (Verdict::Errno, Some(1), Confidence::Likely)
        );
        let c = classify(errno(libc::EACCES), exp(&[libc::EFAULT]), true);
        assert_eq!((c.verdict, c.errno), (Verdict::Errno, Some(13)));
        // ENOSYS from a call every kernel has.
        let c = classify(errno(libc::ENOSYS), exp(&[libc::EINVAL]), true);
        assert_eq!(
            (c.verdict, c.errno, c.confidence),
            (Verdict::Errno, Some(38), Confidence::Likely)
        );
    }

    #[test]
    fn eperm_the_kernel_may_give_is_uncertain() {
        let c = classify(errno(libc::EPERM), exp(&[libc::EPERM, libc::EINVAL]), true);
        assert_eq!(
            (c.verdict, c.errno, c.confidence),
            (Verdict::Errno, Some(1), Confidence::Uncertain)
        );
        assert!(c.note.unwrap().contains("capability"));
        // The other expected answer still means allowed.
        let c = classify(errno(libc::EINVAL), exp(&[libc::EPERM, libc::EINVAL]), true);
        assert_eq!(c.verdict, Verdict::Allowed);
    }

    #[test]
    fn enosys_is_uncertain_where_the_kernel_may_give_it() {
        let c = classify(
            errno(libc::ENOSYS),
            Some(Expectation::unimplemented()),
            true,
        );
        assert_eq!(
            (c.verdict, c.confidence),
            (Verdict::Allowed, Confidence::Uncertain)
        );
        let lacking = Some(Expectation {
            expect: Expect::fails(&[libc::EINVAL]),
            may_lack: true,
            ambiguous: &[],
        });
        let c = classify(errno(libc::ENOSYS), lacking, true);
        assert_eq!(
            (c.verdict, c.errno, c.confidence),
            (Verdict::Errno, Some(38), Confidence::Uncertain)
        );
        // Anything else for an unimplemented number is the policy's.
        let c = classify(errno(libc::EPERM), Some(Expectation::unimplemented()), true);
        assert_eq!(
            (c.verdict, c.confidence),
            (Verdict::Errno, Confidence::Likely)
        );
    }

    #[test]
    fn an_errno_policies_also_give_is_uncertain() {
        let e = Some(Expectation {
            expect: Expect::fails(&[libc::EINVAL]),
            may_lack: false,
            ambiguous: &[libc::EINVAL],
        });
        let c = classify(errno(libc::EINVAL), e, true);
        assert_eq!(
            (c.verdict, c.confidence),
            (Verdict::Allowed, Confidence::Uncertain)
        );
    }

    #[test]
    fn an_unexpected_success_is_errno_zero_or_unknown() {
        let c = classify(Raw::Returned(0), exp(&[libc::EBADF]), true);
        assert_eq!((c.verdict, c.errno), (Verdict::Errno, Some(0)));
        let c = classify(Raw::Returned(5), exp(&[libc::EBADF]), true);
        assert_eq!(c.verdict, Verdict::Unknown);
        let ok = Some(Expectation {
            expect: Expect::SUCCEEDS,
            may_lack: false,
            ambiguous: &[],
        });
        assert_eq!(
            classify(Raw::Returned(1234), ok, true).verdict,
            Verdict::Allowed
        );
        // A call expected to succeed that fails is the policy's errno.
        let c = classify(errno(libc::EPERM), ok, true);
        assert_eq!((c.verdict, c.errno), (Verdict::Errno, Some(1)));
    }

    #[test]
    fn signals_and_deaths() {
        let e = exp(&[libc::EBADF]);
        let c = classify(Raw::Trap(0x42), e, true);
        assert_eq!(
            (c.verdict, c.trap_data, c.confidence),
            (Verdict::Trap, Some(0x42), Confidence::Exact)
        );
        assert_eq!(
            classify(Raw::KillThread, e, true).verdict,
            Verdict::KillThread
        );
        let c = classify(Raw::KillProcess, e, true);
        assert_eq!(
            (c.verdict, c.confidence),
            (Verdict::KillProcess, Confidence::Likely)
        );
        let c = classify(Raw::KillProcess, e, false);
        assert_eq!(c.confidence, Confidence::Uncertain);
        assert!(c.note.unwrap().contains("cannot be told apart"));
        for raw in [Raw::TimedOut, Raw::Died(11), Raw::NotReached] {
            let c = classify(raw, e, true);
            assert_eq!(c.verdict, Verdict::Unknown, "{raw:?}");
            assert!(c.note.is_some());
        }
    }
}
