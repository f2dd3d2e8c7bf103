//! `whatami why -- CMD`: runs a command under ptrace (src/trace/) and
//! explains every "Operation not permitted" it hits, with the cause and the
//! fix; `whatami why --pid PID` does the same for a running process, traced
//! for a while.
//!
//! - attach.rs: the running process: attached to, explained, or why it
//!   could not be
//! - live.rs: what the pipeline learns from the live system around the trace
//!   (sysctls, the policy's verdicts on the failing calls, the profile in
//!   force, the static report), handed to the explanation
//! - captable.rs, causes.rs, profile.rs: the causes and the fixes, pure
//! - report.rs, render.rs: the explanation, for people and as JSON
//! - likely.rs: what the static report says when tracing is impossible

mod attach;
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
pub use crate::trace::session::Target;
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
    pub target: Target,
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
    let mut before = Before::read();
    // The trace: of a command run, or of a process attached to.
    let (mut report, traced, attaching) = match &args.target {
        Target::Command(cmd) => match command(cmd, &before) {
            Ok((r, t)) => (r, t, None),
            Err(code) => return code,
        },
        Target::Pid(pid, duration) => {
            let (r, t, a) = attach::trace(*pid, *duration);
            (r, t, Some(a))
        }
    };
    before.ctx.command = report.command.clone();
    let filter = report.seccomp.filter;
    let status = match traced {
        Ok(traced) => {
            if let Some(a) = &attaching {
                report.attached = Some(a.attached(&traced));
            }
            let status = explain(&mut report, traced, &before, filter);
            match &attaching {
                Some(a) => a.whose_policy(&mut report, &before),
                None => status,
            }
        }
        Err(NotTraced::Refused(refusal)) => {
            let program = report.program.clone().map(std::path::PathBuf::from);
            untraceable(&mut report, &refusal, &before, program.as_deref());
            i32::from(exit::UNTRACEABLE)
        }
        Err(NotTraced::AttachRefused(errno)) if let Some(a) = &attaching => {
            a.refused(&mut report, errno, &before);
            i32::from(exit::UNTRACEABLE)
        }
        Err(e) => {
            report.tracing.unavailable = Some(e.reason());
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

/// The command run traced to its end, with the explanation begun; `Err`
/// when it was not found.
fn command(
    args: &[std::ffi::OsString],
    before: &Before,
) -> Result<(WhyReport, Result<Traced, NotTraced>), u8> {
    let command: Vec<String> = args
        .iter()
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    let path_var = std::env::var_os("PATH");
    let Some(program) = launch::resolve(&args[0], path_var.as_deref()) else {
        warn(&format!(
            "whatami why: {}: command not found",
            untrusted(&command[0])
        ));
        return Err(exit::NOT_FOUND);
    };
    let report = WhyReport::begin(command, &program, before.filter);
    let traced = session::trace_command(&program, args, before.filter, None);
    Ok((report, traced))
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

/// The command traced to its end (or the process traced for a while),
/// explained: how it was traced, how it ended, the policy asked about its
/// failing calls (and named when it refused one), each failure explained,
/// the strace -c summary and the notes. `filter`: a seccomp filter applies
/// to the traced process. Returns the status whatami passes on.
fn explain(report: &mut WhyReport, traced: Traced, before: &Before, filter: bool) -> i32 {
    let Traced {
        rehearsal, trace, ..
    } = traced;
    report.traced = true;
    report.tracing = Tracing::of(&rehearsal);
    report.notes.extend(rehearsal.notes.iter().cloned());
    let (exit, status) = session::exit_of(trace.ended);
    if exit.is_none() && report.attached.is_none() {
        report.notes.push("the command's end was not seen".into());
    }
    report.exit = exit;
    // The policy asked is whatami's own: with none, a filtered process's
    // cannot be asked from here.
    let answers = if filter && !before.filter {
        report::PolicyAnswers {
            note: Some("whatami runs under no filter: the process's policy cannot be asked".into()),
            ..Default::default()
        }
    } else {
        live::ask_policy(&trace.failures, filter)
    };
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
    (report.failures, report.seccomp) = report::explain_all(&trace, filter, named, &answers);
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
    program: Option<&std::path::Path>,
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
    let (how, reason) = session::refusal_reason(refusal);
    report.tracing.unavailable = Some(reason);
    if let Some(how) = how
        && let Some(mut r) = own_call(name, args, text, how, filter, ctx)
    {
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
        report.tracing.refused = Some(Box::new(r));
    }
    report.likely = likely::hints(&static_report, program, &before.sysctls);
}

/// A call of whatami's own that failed (`how`), explained like a failure
/// of the command, with whatami's credentials as the evidence; `None` for
/// a call this build cannot name.
fn own_call(
    name: &str,
    args: [u64; 6],
    text: String,
    how: tracer::How,
    filter: bool,
    ctx: &Context,
) -> Option<report::FailureReport> {
    let abi = crate::linux::abi::native();
    let nr = crate::linux::abi::native_nr(name)?;
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
    r.program = None;
    r.pids.clear();
    Some(r)
}
