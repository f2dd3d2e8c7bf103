//! A tracing session from start to end: the rehearsal, the start step, the
//! session loop (tracer.rs) with whatami's signals passed on and SIGCHLD at
//! its default, and how the command ended.
//!
//! The start step is [`launch::start`] (fork and execute a command, traced
//! to its end) or [`attach::seize_all`] (seize a running process, traced
//! for a while and let go as it was): the same tracer follows both.

use super::attach::{self, Seized};
use super::launch::{self, Launched};
use super::rehearse::{self, Refusal, Rehearsal};
use super::tracer::{self, ArgKey, Ended, How, InfoMethod, Trace};
use serde::{Deserialize, Serialize};
use std::ffi::OsString;
use std::path::Path;

/// What `why` and `record` trace.
#[derive(Debug, Clone)]
pub enum Target {
    /// The command and its arguments (at least the command), run traced.
    Command(Vec<OsString>),
    /// A running process, attached to for a while (until its end, a signal
    /// of whatami's, or this long).
    Pid(libc::pid_t, Option<std::time::Duration>),
}

/// Why a command was not traced.
pub enum NotTraced {
    /// The rehearsal found tracing impossible here; the command did not run.
    Refused(Refusal),
    /// The command could not be started under ptrace (the message says why).
    NotStarted(String),
    /// The running process refused PTRACE_SEIZE with this errno.
    AttachRefused(i32),
}

impl NotTraced {
    /// Why, in a sentence.
    pub fn reason(&self) -> String {
        match self {
            NotTraced::Refused(r) => refusal_reason(r).1,
            NotTraced::NotStarted(s) => s.clone(),
            NotTraced::AttachRefused(e) => format!(
                "PTRACE_SEIZE failed: {}",
                crate::linux::errno::strace_result(*e as u32)
            ),
        }
    }
}

/// A command traced to its end, and what the rehearsal found tracing may use.
pub struct Traced {
    pub rehearsal: Rehearsal,
    pub trace: Trace,
    /// A process attached to: its threads seized when attaching.
    pub threads: usize,
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
    Ok(Traced {
        rehearsal,
        trace,
        threads: 0,
    })
}

/// Rehearses tracing, then attaches to the running process `pid` (every
/// thread, and what they start from then on) and follows it until it ends,
/// whatami gets SIGINT, SIGTERM, SIGHUP or SIGQUIT, or `duration` is over;
/// then lets it go as it was. `filter`: a seccomp filter may apply to it.
pub fn trace_pid(
    pid: libc::pid_t,
    duration: Option<std::time::Duration>,
    filter: bool,
    arg_key: Option<ArgKey>,
) -> Result<Traced, NotTraced> {
    let rehearsal = rehearse()?;
    let guard = tracer::SignalGuard::install(duration.is_some());
    let Seized { tids, missed } =
        attach::seize_all(pid).map_err(|r| NotTraced::AttachRefused(r.errno))?;
    let timer = duration.map(Alarm::set);
    let mut trace = tracer::run(&tids, true, config(&rehearsal, filter, arg_key), &mut || {});
    // The timer is off before SIGALRM is whatami's default again.
    drop(timer);
    drop(guard);
    if missed > 0 {
        trace.notes.push(format!(
            "{missed} thread(s) not seized: their calls are not seen"
        ));
    }
    Ok(Traced {
        rehearsal,
        trace,
        threads: tids.len(),
    })
}

/// The tracer's configuration: what the rehearsal found tracing may use,
/// whether a filter may answer the tracee's calls, which arguments to keep.
fn config(rehearsal: &Rehearsal, filter: bool, arg_key: Option<ArgKey>) -> tracer::Config {
    tracer::Config {
        info: rehearsal.info,
        mem: rehearsal.mem,
        seccomp_active: filter,
        arg_key,
        xattr: rehearsal.xattr,
    }
}

/// A SIGALRM after a duration (setitimer), off when dropped.
struct Alarm;

impl Alarm {
    fn set(d: std::time::Duration) -> Alarm {
        Alarm::arm(d);
        Alarm
    }

    fn arm(d: std::time::Duration) {
        let it = libc::itimerval {
            it_interval: libc::timeval {
                tv_sec: 0,
                tv_usec: 0,
            },
            it_value: libc::timeval {
                // The field types are musl's and glibc's own (`as _`: not the
                // deprecated aliases).
                tv_sec: d.as_secs() as _,
                tv_usec: d.subsec_micros() as _,
            },
        };
        // SAFETY: a valid itimerval; the old value is not wanted.
        unsafe { libc::setitimer(libc::ITIMER_REAL, &it, std::ptr::null_mut()) };
    }
}

impl Drop for Alarm {
    fn drop(&mut self) {
        Alarm::arm(std::time::Duration::ZERO);
    }
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
    let guard = tracer::SignalGuard::install(false);
    // SIGCHLD at its default while tracing (an inherited SIG_IGN would have
    // the kernel reap the command and hide its status); the command gets
    // back what whatami found.
    // SAFETY: changing and restoring whatami's own disposition.
    let old_sigchld = unsafe { libc::signal(libc::SIGCHLD, libc::SIG_DFL) };
    let trace = match start(old_sigchld) {
        Ok(mut l) => {
            let pid = l.pid;
            Ok(tracer::run(
                &[pid],
                false,
                config(rehearsal, filter, arg_key),
                &mut || l.go(),
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
