//! `whatami why -- CMD`: runs a command under ptrace (src/trace/) and
//! explains every "Operation not permitted" it hits, with the cause and the
//! fix.
//!
//! - live.rs: what the pipeline learns from the live system around the trace
//!   (sysctls, the policy's verdicts on the failing calls, the profile in
//!   force, the static report), handed to the explanation
//! - captable.rs, causes.rs, profile.rs: the causes and the fixes, pure
//! - report.rs, render.rs: the explanation, for people and as JSON
//! - likely.rs: what the static report says when tracing is impossible

pub(crate) mod captable;
pub(crate) mod causes;
mod likely;
mod live;
pub(crate) mod profile;
pub(crate) mod render;
pub mod report;

use crate::exit;
use crate::linux::io::{Out, OutputFile, warn};
use crate::render::Clean;
use crate::render::color::{self, ColorChoice, Stream};
use crate::render::writer::untrusted;
use crate::trace::session::{self, NotTraced, Traced};
use crate::trace::summary;
use crate::trace::{decode, evidence, launch, rehearse, tracer};
use causes::{Context, SeccompAnswer};
use report::{Tracing, WhyReport};
use std::io::{self, Write};
use std::path::PathBuf;

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

/// Runs `whatami why`; the exit status is the command's. The steps: where
/// the explanation goes, the program, what is known before tracing, the
/// trace, then the explanation (or, when tracing is impossible, the call
/// that showed it and what the static report says).
pub fn main(args: &Options) -> u8 {
    // The destination is opened first: a wrong --output is found before
    // the command runs.
    // Written through, never blocking, every write bounded (linux/io.rs): a
    // device node or a pipe is written as it is, a regular file truncated.
    let file = match args.output.as_deref().map(OutputFile::open).transpose() {
        Ok(f) => f,
        Err(e) => {
            let p = args.output.as_deref().unwrap_or(std::path::Path::new("-"));
            warn(&format!("whatami why: {}: {e}", p.display()));
            return exit::USAGE;
        }
    };
    if let Some(f) = &file
        && let Err(e) = f.replace_with(b"")
    {
        warn(&format!("whatami why: {e}"));
        return exit::USAGE;
    }
    let sink = file.as_ref().map_or(Out::stderr(), OutputFile::out);
    let mut out = io::BufWriter::with_capacity(64 << 10, sink);
    let to = if args.output.is_some() {
        Stream::File
    } else {
        Stream::Stderr
    };
    let color = color::enabled(args.color, to);
    let width = crate::render::width::width(to);
    let command: Vec<String> = args
        .command
        .iter()
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    let path_var = std::env::var_os("PATH");
    let Some(program) = launch::resolve(&args.command[0], path_var.as_deref()) else {
        warn(&format!(
            "whatami why: {}: command not found",
            untrusted(&command[0])
        ));
        return exit::NOT_FOUND;
    };
    let mut before = Before::read();
    before.ctx.command = command.clone();
    let mut report = WhyReport::begin(command, &program, before.filter);
    let status = match session::trace_command(&program, &args.command, before.filter, None) {
        Ok(traced) => explain(&mut report, traced, &before),
        Err(NotTraced::Refused(refusal)) => {
            untraceable(&mut report, &refusal, &before, &program);
            i32::from(exit::UNTRACEABLE)
        }
        Err(NotTraced::NotStarted(why)) => {
            report.tracing.unavailable = Some(why);
            i32::from(exit::UNTRACEABLE)
        }
    };
    if let Err(e) = write(&mut out, &report, args.json, (color, width))
        && e.kind() != io::ErrorKind::BrokenPipe
        && report.traced
    {
        warn(&format!("whatami why: cannot write the explanation: {e}"));
    }
    status.clamp(0, 255) as u8
}

/// What is known before tracing: whatami's own credentials, whether a
/// seccomp filter applies to it (and so to the command), and the context
/// the causes read.
struct Before {
    own: Option<evidence::Creds>,
    filter: bool,
    sysctls: Vec<(String, String)>,
    ctx: Context,
}

impl Before {
    fn read() -> Before {
        let own = evidence::Creds::read(live::own_pid());
        let filter = own
            .as_ref()
            .is_none_or(|c| c.seccomp_mode.as_deref() != Some("0"));
        let sysctls = live::sysctls();
        let ctx = Context {
            sysctls: sysctls.iter().cloned().collect(),
            tracer_sys_ptrace: own
                .as_ref()
                .is_some_and(|c| c.has(crate::linux::caps::cap::SYS_PTRACE)),
            profile: profile::ProfileKnowledge::unknown(),
            runtime: live::runtime(),
            command: Vec::new(),
        };
        Before {
            own,
            filter,
            sysctls,
            ctx,
        }
    }
}

/// The command traced to its end, explained: how it was traced, how it
/// ended, the policy asked about its failing calls (and named when it
/// refused one), each failure explained, the strace -c summary and the
/// notes. Returns the status whatami passes on.
fn explain(report: &mut WhyReport, traced: Traced, before: &Before) -> i32 {
    let Traced { rehearsal, trace } = traced;
    report.traced = true;
    report.tracing = Tracing::of(&rehearsal);
    report.notes.extend(rehearsal.notes.iter().cloned());
    let (exit, status) = session::exit_of(trace.ended);
    if exit.is_none() {
        report.notes.push("the command's end was not seen".into());
    }
    report.exit = exit;
    let answers = live::ask_policy(&trace.failures, before.filter);
    // Naming the profile probes the whole policy: worth it only for a
    // refusal to explain, and only when whatami itself runs under the policy.
    let learned;
    let named = if answers.refused(before.filter) {
        learned = Context {
            profile: before
                .own
                .as_ref()
                .map(|c| live::name_profile(c.bounding))
                .unwrap_or_default(),
            ..before.ctx.clone()
        };
        &learned
    } else {
        &before.ctx
    };
    (report.failures, report.seccomp) = report::explain_all(&trace, before.filter, named, &answers);
    (report.summary, report.totals) = summary::summary(&trace);
    report.notes.extend(trace.notes.iter().cloned());
    // One note per distinct privileged program that ran without its privileges.
    let mut seen = std::collections::HashSet::new();
    report.notes.extend(
        trace
            .privileged_execs
            .iter()
            .filter_map(|e| causes::exec_note(e, &before.ctx))
            .filter(|n| seen.insert(n.clone())),
    );
    status
}

/// `look`: whether to color, and the width to lay out for.
fn write(out: &mut impl Write, r: &WhyReport, json: bool, look: (bool, usize)) -> io::Result<()> {
    if json {
        crate::render::json::write(out, r)?;
    } else {
        render::human(&mut Clean::new(&mut *out, look.0), r, look.0, look.1)?;
    }
    out.flush()
}

/// Tracing is impossible: explain the call that showed it, like any
/// failure, and add what the static report says.
fn untraceable(
    report: &mut WhyReport,
    refusal: &rehearse::Refusal,
    before: &Before,
    program: &std::path::Path,
) {
    let filter = before.filter;
    let ctx = &before.ctx;
    // The static report first: its probe also names the profile in force,
    // which the refused call's fix may need.
    let static_report = live::static_report();
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
            live::ask_one(crate::seccomp::ExactCall { abi, nr, args })
        };
        let failure = tracer::Failure {
            call,
            how,
            count: 1,
            pids: vec![live::own_pid()],
            seq: 0,
            decoded: decode::Decoded {
                text,
                ..decode::Decoded::default()
            },
            snapshot: Some(evidence::Snapshot::take(
                live::own_pid(),
                &[],
                &mut evidence::MountCache::default(),
                false,
            )),
            recovered: 0,
            fallback: None,
            exec: None,
            own_filter: false,
            listed: true,
            target_traced: false,
        };
        let mut r = report::explain_one(&failure, &answer, ctx);
        // whatami itself may run under a tracer that follows its children
        // (whatami why -- whatami why ..., strace -f): they cannot have two.
        let tracer = live::own_tracer();
        if refusal.step == rehearse::Step::Seize
            && refusal.errno == Some(libc::EPERM as u32)
            && tracer != 0
        {
            r.causes.retain(|c| c.kind != causes::Kind::Unknown);
            r.causes.insert(0, causes::already_traced(tracer));
            r.fix = r.causes[0].fix.clone();
        }
        r.program = None;
        r.pids.clear();
        report.tracing.refused = Some(Box::new(r));
    }
    report.likely = likely::hints(&static_report, Some(program), &before.sysctls);
}
