//! Direct probing: the fallback when notification probing is unavailable
//! (seccomp() refused, kernel older than 5.0, a listener already attached,
//! gVisor). Each syscall is really called, with the arguments of
//! harmless.rs that the kernel rejects before acting, in disposable children,
//! and the answer is compared with what the kernel alone would have said.
//!
//! This module owns what to call and how to read the answers (the report
//! items, the classification) and whatami's side that forks, watches and
//! reaps the children; direct/child.rs is the child itself, the only raw
//! code. Nothing here runs a probe in whatami's own process.
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

mod child;

use super::harmless::{self, Expect, Harmless};
use super::plan;
use super::runtime::{Header, Probing, RawProbe, STAGE_PROBING};
use super::supervisor::{self, Prober, Raw, SetupFailure, Unavailable, describe_failure};
use crate::linux::abi::{self, Entry};
use crate::linux::child::WaitStatus;
use crate::model::{
    AbiInfo, ArgProbe, Confidence, DirectCall, Probe, ProbeMethod, SyscallResult, Verdict,
};
use child::{Ctx, feature, net, stage};
use std::sync::atomic::Ordering::SeqCst;
use std::time::Instant;

/// One call as a child issues it, prepared before the fork.
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

impl Call {
    fn raw(&self) -> RawProbe {
        RawProbe {
            entry: Entry::Native,
            abi: 0,
            nr: self.nr,
            args: self.args,
            skip: !self.issue,
            let_run: false,
        }
    }
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
    crate::linux::io::read_file("/proc/self/status").is_ok_and(|t| {
        crate::linux::status::ProcStatus::parse(&t).seccomp_mode()
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
pub fn probe(
    kernel: Option<(u32, u32)>,
    why: Option<String>,
    started: Instant,
) -> Result<Probe, String> {
    let plan = plan::build(kernel);
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
            return Err(notes.join("; "));
        }
    };
    // With no filter attached, every answer is the kernel's own.
    let unfiltered = no_filter_attached();
    let mut results = Vec::new();
    let mut arg_probes = Vec::new();
    let unlearned = outcome.raw.iter().filter(|r| r.lost()).count() as u32;
    for (item, raw) in items.iter().zip(&outcome.raw) {
        let c = match &item.fixed {
            None if unfiltered && matches!(raw, Raw::Returned { .. }) => {
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
                Raw::Returned { value, .. } => Some(*value),
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
                // Direct probing never calls with all-ones arguments: they
                // are not provably harmless.
                all_ones_swept: false,
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
    Ok(Probe {
        method: ProbeMethod::Direct,
        note: Some(notes.join("; ")),
        abis,
        results,
        arg_probes,
        elapsed_us: started.elapsed().as_micros() as u64,
        unlearned,
    })
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

fn expected_words(exp: &Expect) -> String {
    let mut parts: Vec<String> = exp
        .errnos
        .iter()
        .map(|&e| crate::linux::errno::name(e as u32))
        .collect();
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
    let Some(exp) = exp else {
        return verdict(Unknown, None, Uncertain, None);
    };
    match raw {
        Raw::Returned { value: v, .. } if (-crate::linux::errno::MAX_ERRNO..0).contains(&v) => {
            let e = (-v) as i32;
            let eu = Some(e as u32);
            let name = crate::linux::errno::name(e as u32);
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
        Raw::Returned { value: v, .. } if v >= 0 => {
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
        Raw::Returned { value: v, .. } => verdict(
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
        Raw::Exited(code) => verdict(
            Unknown,
            None,
            Uncertain,
            Some(format!(
                "the probe child exited with code {code} inside the call"
            )),
        ),
        Raw::TimedOut => verdict(
            Unknown,
            None,
            Uncertain,
            Some("no answer in time; the probe child was killed".into()),
        ),
        Raw::Skipped | Raw::EntryUnavailable | Raw::Unserved => {
            verdict(Unknown, None, Uncertain, None)
        }
        Raw::NotReached => verdict(
            Unknown,
            None,
            Uncertain,
            Some("not probed: the time limit ran out first".into()),
        ),
    }
}

// ------------------------------------------------------------ whatami's side

/// Runs `calls` in as many children as it takes.
pub fn run(calls: &[Call]) -> Result<Outcome, Unavailable> {
    let probes: Vec<RawProbe> = calls.iter().map(Call::raw).collect();
    let mut prober = DirectProber {
        features: feature::ALL,
        close_fds: open_fds(),
        nets: None,
    };
    let run = supervisor::run_plan(&probes, 0, supervisor::MAX_WORKERS, &mut prober)?;
    let nets = prober.nets.unwrap_or(0);
    let raw = calls
        .iter()
        .zip(run.raw)
        .map(|(c, r)| match r {
            // modify_ldt's int result arrives zero-extended.
            Raw::Returned { value, notified } if c.ret32 => Raw::Returned {
                value: value as i32 as i64,
                notified,
            },
            r => r,
        })
        .collect();
    Ok(Outcome {
        raw,
        threaded: nets & net::THREAD != 0,
        nets: describe_nets(nets),
        notes: run.notes,
    })
}

/// Direct probing's part of the machinery: its child, and its optional
/// safety steps, left out when the policy kills the calls they make.
struct DirectProber {
    features: u32,
    /// The fds whatami has open, listed once, for every child to close.
    close_fds: Vec<libc::c_int>,
    /// The safety nets every child that probed had in place.
    nets: Option<u32>,
}

impl Prober for DirectProber {
    unsafe fn child_main(
        &self,
        probing: &Probing,
        _worker: usize,
        start: usize,
        done: libc::c_int,
    ) {
        let ctx = Ctx {
            probing: Probing {
                page: probing.page,
                stack: probing.stack,
                probes: probing.probes,
            },
            start,
            features: self.features,
            keep_fd: done,
            close_fds: &self.close_fds,
        };
        // SAFETY: forwarded from the caller's contract.
        unsafe { child::child_main(&ctx) }
    }

    fn describe_stage(&self, s: u32) -> &'static str {
        stage::describe(s)
    }

    fn on_setup_failure(&mut self, h: &Header, status: WaitStatus) -> SetupFailure {
        let st = h.stage.load(SeqCst);
        let optional = match st {
            stage::NAMESPACES => Some(feature::UNSHARE),
            stage::CAPS => Some(feature::DROP_CAPS),
            stage::THREAD => Some(feature::THREAD),
            _ => None,
        };
        match optional {
            Some(f) if matches!(status, WaitStatus::Signaled(_) | WaitStatus::Killed) => {
                // The policy kills a call of an optional step: go without it.
                // Children started before it was left out may fail the same
                // way; they are retried without a second note.
                let was_on = self.features & f != 0;
                self.features &= !f;
                SetupFailure::Retry(if was_on {
                    format!("{} killed the probe child: left out", stage::describe(st))
                } else {
                    String::new()
                })
            }
            _ => SetupFailure::Fail(describe_failure(h, stage::describe(st), status)),
        }
    }

    fn after_child(&mut self, h: &Header) {
        if h.stage.load(SeqCst) >= STAGE_PROBING {
            let flags = h.flags.load(SeqCst);
            self.nets = Some(self.nets.map_or(flags, |n| n & flags));
        }
    }
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
        Raw::Returned {
            value: -(e as i64),
            notified: 0,
        }
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
        let c = classify(
            Raw::Returned {
                value: 0,
                notified: 0,
            },
            exp(&[libc::EBADF]),
            true,
        );
        assert_eq!((c.verdict, c.errno), (Verdict::Errno, Some(0)));
        let c = classify(
            Raw::Returned {
                value: 5,
                notified: 0,
            },
            exp(&[libc::EBADF]),
            true,
        );
        assert_eq!(c.verdict, Verdict::Unknown);
        let ok = Some(Expectation {
            expect: Expect::SUCCEEDS,
            may_lack: false,
            ambiguous: &[],
        });
        assert_eq!(
            classify(
                Raw::Returned {
                    value: 1234,
                    notified: 0
                },
                ok,
                true
            )
            .verdict,
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
