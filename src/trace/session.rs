//! A tracing session from start to end: the rehearsal, the start step, the
//! session loop (tracer.rs) with whatami's signals passed on and SIGCHLD at
//! its default, and how the command ended.
//!
//! The start step hands the session a seized, stopped tracee; today it is
//! [`launch::start`] (fork and execute a command). Attaching to a running
//! process would be another start step that seizes it and hands over the
//! same [`Launched`]: nothing after it depends on how the tracee came.

use super::launch::{self, Launched};
use super::rehearse::{self, Refusal, Rehearsal};
use super::tracer::{self, ArgKey, Ended, How, InfoMethod, Trace};
use serde::{Deserialize, Serialize};
use std::ffi::OsString;
use std::path::Path;

/// Why a command was not traced.
pub enum NotTraced {
    /// The rehearsal found tracing impossible here; the command did not run.
    Refused(Refusal),
    /// The command could not be started under ptrace (the message says why).
    NotStarted(String),
}

/// A command traced to its end, and what the rehearsal found tracing may use.
pub struct Traced {
    pub rehearsal: Rehearsal,
    pub trace: Trace,
}

/// How the command ended (`exit` of why's and record's JSON).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Exit {
    /// The exit code, when it exited.
    pub code: Option<i32>,
    /// The signal that ended it, when one did.
    pub signal: Option<i32>,
    /// whatami's own exit status: the code, or 128 + the signal.
    pub status: i32,
}

/// Rehearses tracing, then runs `program` (`argv` its arguments, `argv[0]`
/// included) under ptrace until it and everything it started are gone.
/// `filter`: a seccomp filter applies to whatami; `arg_key`: which
/// arguments to keep (see [`tracer::Config::arg_key`]).
pub fn trace_command(
    program: &Path,
    argv: &[OsString],
    filter: bool,
    arg_key: Option<ArgKey>,
) -> Result<Traced, NotTraced> {
    let rehearsal = rehearse()?;
    let trace = run(&rehearsal, filter, arg_key, |sigchld| {
        launch::start(program, argv, sigchld)
    })?;
    Ok(Traced { rehearsal, trace })
}

/// What tracing may use here, tried in a disposable child first.
fn rehearse() -> Result<Rehearsal, NotTraced> {
    let mut rehearsal = rehearse::run().map_err(NotTraced::Refused)?;
    // The tests' way to cover kernels before 5.3, which lack
    // PTRACE_GET_SYSCALL_INFO: read the registers even where it exists.
    if std::env::var_os("WHATAMI_WHY_FORCE_REGISTERS").is_some() {
        rehearsal.info = InfoMethod::Registers;
    }
    Ok(rehearsal)
}

/// Traces the tracee `start` hands over until it and everything it started
/// are gone. `start` gets the SIGCHLD disposition whatami found, for a
/// command it launches to get back.
fn run(
    rehearsal: &Rehearsal,
    filter: bool,
    arg_key: Option<ArgKey>,
    start: impl FnOnce(libc::sighandler_t) -> std::io::Result<Launched>,
) -> Result<Trace, NotTraced> {
    let guard = tracer::SignalGuard::install();
    // SIGCHLD at its default while tracing (an inherited SIG_IGN would have
    // the kernel reap the command and hide its status); the command gets
    // back what whatami found.
    // SAFETY: changing and restoring whatami's own disposition.
    let old_sigchld = unsafe { libc::signal(libc::SIGCHLD, libc::SIG_DFL) };
    let trace = match start(old_sigchld) {
        Ok(mut l) => {
            let pid = l.pid;
            Ok(tracer::run(
                pid,
                tracer::Config {
                    info: rehearsal.info,
                    mem: rehearsal.mem,
                    seccomp_active: filter,
                    arg_key,
                    xattr: rehearsal.xattr,
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
    trace
}

/// How the command ended, and the status whatami passes on (125 when its
/// end was not seen).
pub fn exit_of(ended: Option<Ended>) -> (Option<Exit>, i32) {
    match ended {
        Some(Ended::Exited(c)) => (
            Some(Exit {
                code: Some(c),
                signal: None,
                status: c,
            }),
            c,
        ),
        Some(Ended::Signaled(s)) => (
            Some(Exit {
                code: None,
                signal: Some(s),
                status: 128 + s,
            }),
            128 + s,
        ),
        None => (None, i32::from(crate::exit::UNTRACEABLE)),
    }
}

/// The call that showed tracing impossible, as it failed, and the sentence
/// that says so.
pub fn refusal_reason(refusal: &Refusal) -> (Option<How>, String) {
    let (_, _, text) = refusal.step.call(refusal.pid);
    let how = match (refusal.errno, refusal.signal) {
        (Some(e), _) => Some(How::Errno(e)),
        (None, Some(libc::SIGSYS)) => Some(How::Killed),
        _ => None,
    };
    let reason = match (how, refusal.signal, &refusal.other) {
        (Some(How::Errno(e)), _, _) => {
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
            super::decode::signal(s as u64)
        ),
        (None, None, Some(o)) => format!("ptrace is not available here: {o}"),
        (None, None, None) => "ptrace is not available here".into(),
    };
    (how, reason)
}
