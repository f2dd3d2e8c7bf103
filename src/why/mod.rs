//! `whatami why -- CMD`: runs a command under ptrace (src/trace/) and
//! explains every "Operation not permitted" it hits, with the cause and the
//! fix.
//!
//! - captable.rs, causes.rs, profile.rs: the causes and the fixes
//! - report.rs, render.rs: the explanation, for people and as JSON
//! - likely.rs: what the static report says when tracing is impossible

pub mod captable;
pub mod causes;
mod likely;
pub mod profile;
pub(crate) mod render;
pub mod report;

use crate::exit;
use crate::render::color::{self, ColorChoice, Stream};
use crate::trace::{decode, evidence, launch, memory, rehearse, tracer};
use causes::{Context, SeccompAnswer};
use report::{Exit, Tracing, WhyReport};
use std::io::{self, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::Ordering;

/// The sysctls the causes read: user namespaces, ICMP sockets, io_uring,
/// Yama, low ports, perf, BPF, the kernel log, userfaultfd, protected links
/// and files, kexec and modules.
const SYSCTLS: [&str; 17] = [
    "user.max_user_namespaces",
    "kernel.unprivileged_userns_clone",
    "kernel.apparmor_restrict_unprivileged_userns",
    "net.ipv4.ping_group_range",
    "kernel.io_uring_disabled",
    "kernel.yama.ptrace_scope",
    "net.ipv4.ip_unprivileged_port_start",
    "kernel.perf_event_paranoid",
    "kernel.unprivileged_bpf_disabled",
    "kernel.dmesg_restrict",
    "vm.unprivileged_userfaultfd",
    "fs.protected_hardlinks",
    "fs.protected_fifos",
    "fs.protected_regular",
    "kernel.kexec_load_disabled",
    "kernel.modules_disabled",
    "kernel.io_uring_group",
];

fn read_sysctls() -> Vec<(String, String)> {
    SYSCTLS
        .iter()
        .filter_map(|k| {
            let path = format!("/proc/sys/{}", k.replace('.', "/"));
            std::fs::read_to_string(path)
                .ok()
                .map(|v| (k.to_string(), v.trim().to_string()))
        })
        .collect()
}

/// The pid of whatami's own tracer, 0 when none.
fn own_tracer() -> u32 {
    std::fs::read_to_string(format!("/proc/{}/status", own_pid()))
        .ok()
        .and_then(|t| {
            crate::linux::status::ProcStatus::parse(&t)
                .tracer_pid()
                .ok()
        })
        .unwrap_or(0)
}

/// The runtime the report would name here, for the wording of fixes.
fn live_runtime() -> Option<String> {
    let root = crate::fsroot::Root::live();
    let shared = crate::inspect::Shared::read(&root);
    crate::inspect::runtime::detect(&root, &shared)
        .ok()
        .map(|r| r.name)
}

pub(crate) fn own_pid() -> libc::pid_t {
    // SAFETY: getpid has no side effect.
    unsafe { libc::getpid() }
}

/// What `whatami why` is asked to do.
#[derive(Debug, Clone)]
pub struct Options {
    /// The explanation as JSON.
    pub json: bool,
    pub color: ColorChoice,
    /// Where the explanation goes (stderr when `None`).
    pub output: Option<PathBuf>,
    /// The command and its arguments (at least the command).
    pub command: Vec<std::ffi::OsString>,
}

/// Runs `whatami why`; the exit status is the command's.
pub fn main(args: &Options) -> ExitCode {
    // The destination is opened first: a wrong --output is found before
    // the command runs.
    let mut out: Box<dyn Write> = match &args.output {
        Some(p) => match std::fs::File::create(p) {
            Ok(f) => Box::new(io::BufWriter::new(f)),
            Err(e) => {
                eprintln!("whatami why: {}: {e}", p.display());
                return ExitCode::from(exit::USAGE);
            }
        },
        None => Box::new(io::stderr()),
    };
    let color = color::enabled(
        args.color,
        if args.output.is_some() {
            Stream::File
        } else {
            Stream::Stderr
        },
    );
    let command: Vec<String> = args
        .command
        .iter()
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    let path_var = std::env::var_os("PATH");
    let Some(program) = launch::resolve(&args.command[0], path_var.as_deref()) else {
        eprintln!("whatami why: {}: command not found", command[0]);
        return ExitCode::from(exit::NOT_FOUND);
    };
    let own = evidence::Creds::read(own_pid());
    let filter = own
        .as_ref()
        .is_none_or(|c| c.seccomp_mode.as_deref() != Some("0"));
    let sysctls = read_sysctls();
    let ctx = Context {
        sysctls: sysctls.iter().cloned().collect(),
        tracer_sys_ptrace: own
            .as_ref()
            .is_some_and(|c| c.has(crate::linux::caps::cap::SYS_PTRACE)),
        profile: profile::ProfileKnowledge::unknown(),
        runtime: live_runtime(),
    };
    let mut report = WhyReport {
        schema_version: report::SCHEMA_VERSION,
        whatami_version: env!("CARGO_PKG_VERSION").to_string(),
        command,
        program: Some(program.to_string_lossy().into_owned()),
        traced: false,
        tracing: Tracing {
            method: None,
            memory: None,
            unavailable: None,
            refused: None,
        },
        exit: None,
        failures: Vec::new(),
        seccomp: report::SeccompAsked {
            filter,
            calls_asked: 0,
            elapsed_us: 0,
            note: None,
            profile: None,
        },
        summary: Vec::new(),
        totals: report::Totals {
            calls: 0,
            errors: 0,
            seconds: 0.0,
            failures_not_kept: 0,
        },
        likely: Vec::new(),
        notes: Vec::new(),
    };

    let traced = match trace_command(&program, &args.command, filter, None) {
        Ok(t) => t,
        Err(NotTraced::Refused(refusal)) => {
            untraceable(&mut report, &refusal, filter, &ctx, &sysctls, &program);
            let _ = write(&mut out, &report, args.json, color);
            return ExitCode::from(exit::UNTRACEABLE);
        }
        Err(NotTraced::NotStarted(why)) => {
            report.tracing.unavailable = Some(why);
            let _ = write(&mut out, &report, args.json, color);
            return ExitCode::from(exit::UNTRACEABLE);
        }
    };
    let Traced { rehearsal, trace } = traced;
    report.tracing.method = Some(
        match rehearsal.info {
            tracer::InfoMethod::SyscallInfo => "syscall_info",
            tracer::InfoMethod::Registers => "registers",
        }
        .into(),
    );
    report.tracing.memory = Some(
        match rehearsal.mem {
            memory::Method::ProcMem => "proc_mem",
            memory::Method::Peek => "peek",
        }
        .into(),
    );
    report.notes.extend(rehearsal.notes.iter().cloned());

    report.traced = true;
    let (exit, status) = exit_of(trace.ended);
    if exit.is_none() {
        report.notes.push("the command's end was not seen".into());
    }
    report.exit = exit;
    let (failures, asked) = report::explain_all(&trace, filter, &ctx, || {
        own.as_ref()
            .map(|c| profile::ProfileKnowledge::learn(c.bounding))
            .unwrap_or_default()
    });
    report.failures = failures;
    report.seccomp = asked;
    let (summary, totals) = report::summary(&trace);
    report.summary = summary;
    report.totals = totals;
    report.notes.extend(trace.notes.iter().cloned());
    // One note per distinct privileged program that ran without its privileges.
    let mut seen = std::collections::HashSet::new();
    report.notes.extend(
        trace
            .privileged_execs
            .iter()
            .filter_map(|e| causes::exec_note(e, &ctx))
            .filter(|n| seen.insert(n.clone())),
    );
    if let Err(e) = write(&mut out, &report, args.json, color)
        && e.kind() != io::ErrorKind::BrokenPipe
    {
        eprintln!("whatami why: cannot write the explanation: {e}");
    }
    ExitCode::from(status.clamp(0, 255) as u8)
}

/// Why a command was not traced.
pub(crate) enum NotTraced {
    /// The rehearsal found tracing impossible here; the command did not run.
    Refused(rehearse::Refusal),
    /// The command could not be started under ptrace (the message says why).
    NotStarted(String),
}

/// A command traced to its end, and what the rehearsal found tracing may use.
pub(crate) struct Traced {
    pub rehearsal: rehearse::Rehearsal,
    pub trace: tracer::Trace,
}

/// Rehearses tracing, then runs `program` (`argv` its arguments, `argv[0]`
/// included) under ptrace until it and everything it started are gone.
/// `filter`: a seccomp filter applies to whatami; `arg_key`: which
/// arguments to keep (see [`tracer::Config::arg_key`]).
pub(crate) fn trace_command(
    program: &std::path::Path,
    argv: &[std::ffi::OsString],
    filter: bool,
    arg_key: Option<tracer::ArgKey>,
) -> Result<Traced, NotTraced> {
    let mut rehearsal = rehearse::run().map_err(NotTraced::Refused)?;
    // The tests' way to cover kernels before 5.3, which lack
    // PTRACE_GET_SYSCALL_INFO: read the registers even where it exists.
    if std::env::var_os("WHATAMI_WHY_FORCE_REGISTERS").is_some() {
        rehearsal.info = tracer::InfoMethod::Registers;
    }
    evidence::XATTR_ALLOWED.store(rehearsal.xattr, Ordering::Relaxed);
    let guard = tracer::SignalGuard::install();
    // SIGCHLD at its default while tracing (an inherited SIG_IGN would have
    // the kernel reap the command and hide its status); the command gets
    // back what whatami found.
    // SAFETY: changing and restoring whatami's own disposition.
    let old_sigchld = unsafe { libc::signal(libc::SIGCHLD, libc::SIG_DFL) };
    let launched = launch::start(program, argv, old_sigchld);
    let trace = match launched {
        Ok(mut l) => {
            let pid = l.pid;
            Ok(tracer::run(
                pid,
                tracer::Config {
                    info: rehearsal.info,
                    mem: rehearsal.mem,
                    seccomp_active: filter,
                    arg_key,
                },
                || l.go(),
            ))
        }
        Err(e) => Err(NotTraced::NotStarted(format!(
            "the command could not be started under ptrace: {e}"
        ))),
    };
    drop(guard);
    if old_sigchld != libc::SIG_ERR {
        // SAFETY: restoring the disposition saved above.
        unsafe { libc::signal(libc::SIGCHLD, old_sigchld) };
    }
    trace.map(|trace| Traced { rehearsal, trace })
}

/// How the command ended, and the status whatami passes on (125 when its
/// end was not seen).
pub(crate) fn exit_of(ended: Option<tracer::Ended>) -> (Option<Exit>, i32) {
    match ended {
        Some(tracer::Ended::Exited(c)) => (
            Some(Exit {
                code: Some(c),
                signal: None,
                status: c,
            }),
            c,
        ),
        Some(tracer::Ended::Signaled(s)) => (
            Some(Exit {
                code: None,
                signal: Some(s),
                status: 128 + s,
            }),
            128 + s,
        ),
        None => (None, i32::from(exit::UNTRACEABLE)),
    }
}

/// The call that showed tracing impossible, as it failed, and the sentence
/// that says so.
pub(crate) fn refusal_reason(refusal: &rehearse::Refusal) -> (Option<tracer::How>, String) {
    let (_, _, text) = refusal.step.call(refusal.pid);
    let how = match (refusal.errno, refusal.signal) {
        (Some(e), _) => Some(tracer::How::Errno(e)),
        (None, Some(libc::SIGSYS)) => Some(tracer::How::Killed),
        _ => None,
    };
    let reason = match (how, refusal.signal, &refusal.other) {
        (Some(tracer::How::Errno(e)), _, _) => {
            format!(
                "ptrace is not available here: {text} = {}",
                crate::linux::errno::strace_result(e)
            )
        }
        (Some(_), _, _) => {
            format!("ptrace is not available here: {text} killed the process with SIGSYS")
        }
        (None, Some(s), _) => format!(
            "ptrace is not available here: {text} ended the process with {}",
            decode::signal(s as u64)
        ),
        (None, None, Some(o)) => format!("ptrace is not available here: {o}"),
        (None, None, None) => "ptrace is not available here".into(),
    };
    (how, reason)
}

fn write(out: &mut Box<dyn Write>, r: &WhyReport, json: bool, color: bool) -> io::Result<()> {
    if json {
        crate::render::json::write(out, r)?;
    } else {
        render::human(out, r, color)?;
    }
    out.flush()
}

/// Tracing is impossible: explain the call that showed it, like any
/// failure, and add what the static report says.
fn untraceable(
    report: &mut WhyReport,
    refusal: &rehearse::Refusal,
    filter: bool,
    ctx: &Context,
    sysctls: &[(String, String)],
    program: &std::path::Path,
) {
    // The static report first: its probe also names the profile in force,
    // which the refused call's fix may need.
    let root = crate::fsroot::Root::live();
    let mut static_report = crate::inspect::gather(&root, crate::seccomp::ProbeRequest::Auto);
    let learned;
    let ctx = if filter {
        crate::profile::compare::attach(&mut static_report, None);
        learned = Context {
            profile: profile::ProfileKnowledge::from_report(&static_report),
            ..ctx.clone()
        };
        report.seccomp.profile = learned.profile.naming().cloned();
        &learned
    } else {
        ctx
    };
    let (name, args, text) = refusal.step.call(refusal.pid);
    let abi = crate::linux::abi::native();
    let (how, reason) = refusal_reason(refusal);
    report.tracing.unavailable = Some(reason);
    if let (Some(how), Some(nr)) = (how, crate::linux::abi::native_nr(name)) {
        let call = tracer::Call { abi, nr, args };
        let answer = if !filter {
            SeccompAnswer::NoFilter
        } else {
            match crate::seccomp::verdicts(&[crate::seccomp::ExactCall { abi, nr, args }]) {
                Ok(v) => match v.first() {
                    Some((o, _)) if o.verdict != crate::model::Verdict::Unknown => {
                        SeccompAnswer::Verdict(*o)
                    }
                    Some((_, n)) => SeccompAnswer::NotAsked(n.clone().unwrap_or_default()),
                    None => SeccompAnswer::NotAsked("no verdict".into()),
                },
                Err(why) => SeccompAnswer::NotAsked(why),
            }
        };
        let failure = tracer::Failure {
            call,
            how,
            count: 1,
            pids: vec![own_pid()],
            seq: 0,
            decoded: decode::Decoded {
                text,
                ..decode::Decoded::default()
            },
            snapshot: Some(evidence::Snapshot::take(
                own_pid(),
                &[],
                &mut evidence::MountCache::default(),
            )),
            exec: None,
            own_filter: false,
            listed: true,
            target_traced: false,
        };
        let mut r = report::explain_one(&failure, &answer, ctx);
        // whatami itself may run under a tracer that follows its children
        // (whatami why -- whatami why ..., strace -f): they cannot have two.
        let tracer = own_tracer();
        if refusal.step == rehearse::Step::Seize
            && refusal.errno == Some(libc::EPERM as u32)
            && tracer != 0
        {
            r.causes.retain(|c| c.kind != causes::Kind::Unknown);
            r.causes.insert(
                0,
                causes::Cause {
                    kind: causes::Kind::AlreadyTraced,
                    certainty: causes::Certainty::Likely,
                    summary: format!("whatami itself runs traced (by pid {tracer}), and its tracer follows its children: a process has one tracer"),
                    evidence: vec![format!("TracerPid: {tracer} in whatami's status")],
                    fix: Some("run whatami why outside the other tracer, or let that tracer not follow forks".into()),
                    capability: None,
                    in_bounding_set: None,
                    sysctl: None,
                    mount_point: None,
                    path: None,
                },
            );
            r.fix = r.causes[0].fix.clone();
        }
        r.program = None;
        r.pids.clear();
        report.tracing.refused = Some(Box::new(r));
    }
    report.likely = likely::hints(&static_report, Some(program), sysctls);
}
