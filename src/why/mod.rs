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
use crate::trace::session::{self, NotTraced, Traced};
use crate::trace::summary::{self, Totals};
use crate::trace::{decode, evidence, launch, memory, rehearse, tracer};
use causes::{Context, SeccompAnswer};
use report::{Tracing, WhyReport};
use std::io::{self, Write};
use std::path::PathBuf;
use std::process::ExitCode;

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

fn own_pid() -> libc::pid_t {
    std::process::id() as libc::pid_t
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
        totals: Totals::none(),
        likely: Vec::new(),
        notes: Vec::new(),
    };

    let traced = match session::trace_command(&program, &args.command, filter, None) {
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
    let (exit, status) = session::exit_of(trace.ended);
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
    let (summary, totals) = summary::summary(&trace);
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
    let static_report = crate::report::build(&crate::report::Inputs::live(
        crate::seccomp::ProbeRequest::Auto,
    ));
    let learned;
    let ctx = if filter {
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
    let (how, reason) = session::refusal_reason(refusal);
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
                false,
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
