//! `whatami record -- CMD`: runs a command under the ptrace engine
//! (src/trace/) and writes the seccomp profile that allows exactly the
//! calls it made, merges runs, and says which of its calls a named profile
//! would block. It stands on trace/ and profile/, never on why/.
//!
//! - profile.rs: the calls seen, the profile in each format, reading it back
//! - against.rs: `--against`, judged by the project's own resolver
//! - report.rs: what was seen, as data (the JSON); render.rs: for people

pub(crate) mod against;
pub mod profile;
mod render;
pub(crate) mod report;

use crate::exit;
use crate::linux::io::{Out, OutputFile, warn};
use crate::render::Clean;
use crate::render::color::{self, ColorChoice, Stream};
use crate::render::writer::untrusted;
pub use crate::trace::session::Target;
use crate::trace::session::{self, Traced};
use crate::trace::summary;
use crate::trace::tracer::Trace;
use report::{ArgCount, CallCount, RecordReport, Written};
use std::io::{self, Write};

fn format_name(f: profile::Format) -> &'static str {
    match f {
        profile::Format::Docker => "docker",
        profile::Format::Oci => "oci",
        profile::Format::K8s => "k8s",
    }
}

/// What `whatami record` is asked to do.
#[derive(Debug, Clone)]
pub struct Options {
    /// What was seen, as JSON.
    pub json: bool,
    pub color: ColorChoice,
    /// Where the profile goes ("-": stdout); `None` with `--against` only.
    pub output: Option<std::path::PathBuf>,
    pub format: profile::Format,
    /// The errno every call not seen gets.
    pub default_errno: u32,
    /// Profiles written before, whose calls are added.
    pub merge: Vec<std::path::PathBuf>,
    /// The profiles (names or files) the calls are judged against.
    pub against: Vec<String>,
    /// The capabilities every `against` profile is judged for.
    pub caps: Option<String>,
    /// Argument rules for clone, unshare, personality and socket.
    pub arg_rules: bool,
    /// The SeccompProfile object's name.
    pub name: String,
    /// The command run, or the running process attached to.
    pub target: Target,
}

/// Runs `whatami record`. The steps: what the options name (read before
/// the command runs), the program, the output opened, the trace, what it
/// saw counted, the --against profiles judged, the profile written, and
/// what was seen shown.
pub fn main(args: &Options) -> u8 {
    // What was seen goes to stderr, as why's explanation does.
    let color = color::enabled(args.color, Stream::Stderr);
    let width = crate::render::width::width(Stream::Stderr);
    let usage = |msg: &str| {
        warn(&format!("whatami record: {msg}"));
        exit::USAGE
    };
    // Everything given is read before the command runs: a bad file is bad
    // usage, found before anything happens.
    let Given {
        filter,
        targets,
        mut seen,
    } = match Given::read(args) {
        Ok(g) => g,
        Err(e) => return usage(&e),
    };
    // The command's program, or the process's facts.
    let (command, start) = match &args.target {
        Target::Command(argv) => {
            let command: Vec<String> = argv
                .iter()
                .map(|a| a.to_string_lossy().into_owned())
                .collect();
            let path_var = std::env::var_os("PATH");
            let Some(program) = crate::trace::launch::resolve(&argv[0], path_var.as_deref()) else {
                warn(&format!(
                    "whatami record: {}: command not found",
                    untrusted(&command[0])
                ));
                return exit::NOT_FOUND;
            };
            (command, Ok((program, argv)))
        }
        Target::Pid(pid, duration) => {
            let t = crate::trace::attach::Target::read(*pid);
            let filter = t
                .creds
                .as_ref()
                .is_none_or(|c| c.seccomp_mode.as_deref() != Some("0"));
            (t.cmdline, Err((*pid, *duration, filter)))
        }
    };
    // The output is opened before the command runs, so a wrong -o is found
    // first, and so that a run that ends early leaves FILE (perhaps also a
    // --merge input) as it was (see Output).
    let mut out_file: Option<Output> = match &args.output {
        None => None,
        Some(p) if p.as_os_str() == "-" => Some(Output::Stdout),
        Some(p) => match Output::open(p) {
            Ok(o) => Some(o),
            Err(e) => return usage(&format!("{}: {e}", p.display())),
        },
    };
    let mut report = RecordReport::begin(command);
    let traced = match start {
        Ok((program, argv)) => {
            session::trace_command(&program, argv, filter, Some(profile::arg_key))
        }
        Err((pid, duration, filter)) => {
            report.pid = Some(pid);
            session::trace_pid(pid, duration, filter, Some(profile::arg_key))
        }
    };
    let Traced { trace, .. } = match traced {
        Ok(t) => t,
        Err(e) => {
            report.unavailable = Some(e.reason());
            let _ = show(&report, args.json, (color, width));
            return exit::UNTRACEABLE;
        }
    };
    report.traced = true;
    let (exit, mut status) = session::exit_of(trace.ended);
    if report.pid.is_some() {
        // A process let go: whatami's status is its own.
        status = 0;
        report.notes.push(
            "only the calls made while traced are in the profile (--merge a record of its start)"
                .into(),
        );
    } else if exit.is_none() {
        report.notes.push("the command's end was not seen".into());
    }
    report.exit = exit;
    report.notes.extend(trace.notes.iter().cloned());

    let counts = Counts::of(&trace);
    for c in &counts.calls {
        seen.add(&c.abi, &c.syscall, c.count);
    }
    for c in &counts.arg_calls {
        let mut key = [0u64; 6];
        key.iter_mut().zip(&c.values).for_each(|(k, v)| *k = *v);
        seen.add_tuple(&c.abi, &c.syscall, key, c.count);
    }
    report.notes.extend(counts.notes(args.arg_rules));
    report.against = targets
        .iter()
        .map(|t| against::judge(t, &counts.judged))
        .collect();
    report.blocked = report.against.iter().any(|r| !r.blocked.is_empty());
    (report.calls, report.arg_calls, report.unnamed) =
        (counts.calls, counts.arg_calls, counts.unnamed);
    (report.summary, report.totals) = summary::summary(&trace);

    let mut failed = false;
    if let (Some(out), Some(path)) = (out_file.as_mut(), &args.output) {
        match write_profile(out, &seen, args) {
            Ok(rules) => {
                report.profile = Some(Written {
                    path: path.display().to_string(),
                    format: format_name(args.format).into(),
                    default_errno: args.default_errno,
                    arg_rules: args.arg_rules,
                    merged: args.merge.iter().map(|m| m.display().to_string()).collect(),
                    rules,
                })
            }
            Err(e) => {
                warn(&format!("whatami record: {}: {e}", path.display()));
                failed = true;
            }
        }
    }
    if let Err(e) = show(&report, args.json, (color, width))
        && e.kind() != io::ErrorKind::BrokenPipe
    {
        warn(&format!("whatami record: cannot write the report: {e}"));
    }
    if failed {
        exit::FAILED
    } else if report.blocked && (report.exit.is_some() || report.pid.is_some()) {
        exit::BLOCKED
    } else {
        status.clamp(0, 255) as u8
    }
}

/// What the options name, read before the command runs: whether a filter
/// applies to whatami, the --against profiles and the --merge files' calls.
struct Given {
    filter: bool,
    targets: Vec<against::Target>,
    seen: profile::Seen,
}

impl Given {
    /// `Err`: the message for bad usage.
    fn read(args: &Options) -> Result<Given, String> {
        let own = crate::trace::evidence::Creds::read(std::process::id() as libc::pid_t);
        let bounding = own
            .as_ref()
            .map(|c| crate::linux::caps::names(c.bounding))
            .unwrap_or_default();
        let given_caps = args.caps.as_deref().map(against::parse_caps).transpose()?;
        let targets = args
            .against
            .iter()
            .map(|a| against::target(a, &bounding, given_caps.as_deref()))
            .collect::<Result<Vec<_>, _>>()?;
        let mut seen = profile::Seen::default();
        for m in &args.merge {
            let text = crate::profile::read::text_of(m, "--merge")?;
            seen.merge_text(&text)
                .map_err(|e| format!("--merge {}: {e}", m.display()))?;
        }
        let filter = own
            .as_ref()
            .is_none_or(|c| c.seccomp_mode.as_deref() != Some("0"));
        Ok(Given {
            filter,
            targets,
            seen,
        })
    }
}

/// What a trace saw, counted: every call per entry point, the distinct
/// arguments of the calls judged by them, the calls without a name, and
/// each as the --against profiles judge it.
struct Counts {
    calls: Vec<CallCount>,
    arg_calls: Vec<ArgCount>,
    unnamed: Vec<CallCount>,
    judged: Vec<against::Counted>,
}

impl Counts {
    fn of(trace: &Trace) -> Counts {
        let mut c = Counts {
            calls: Vec::new(),
            arg_calls: Vec::new(),
            unnamed: Vec::new(),
            judged: Vec::new(),
        };
        let mut stats: Vec<_> = trace.stats.iter().collect();
        crate::sort::sort_by_key(&mut stats, |(a, nr, _)| {
            (crate::linux::abi::index_of(a), *nr)
        });
        for (a, nr, s) in &stats {
            let count = CallCount {
                abi: a.name.to_string(),
                syscall: a
                    .name(*nr)
                    .map(str::to_string)
                    .unwrap_or_else(|| format!("syscall_{nr}")),
                nr: *nr | a.nr_bit,
                count: s.calls,
            };
            match a.name(*nr) {
                Some(_) => c.calls.push(count),
                None => c.unnamed.push(count),
            }
            // Calls judged argument by argument are counted below, per key.
            if !trace
                .arg_calls
                .iter()
                .any(|(x, n, _, _)| std::ptr::eq(*x, *a) && n == nr)
            {
                c.judged.push(against::Counted {
                    abi: a,
                    nr: *nr,
                    args: None,
                    count: s.calls,
                });
            }
        }
        let mut arg_calls: Vec<_> = trace.arg_calls.iter().collect();
        crate::sort::sort_by_key(&mut arg_calls, |(a, nr, key, _)| {
            (crate::linux::abi::index_of(a), *nr, *key)
        });
        for (a, nr, key, count) in arg_calls {
            let Some(name) = a.name(*nr) else {
                continue;
            };
            c.arg_calls.push(ArgCount {
                abi: a.name.to_string(),
                syscall: name.to_string(),
                args: against::args_text(name, key),
                values: key.to_vec(),
                count: *count,
            });
            c.judged.push(against::Counted {
                abi: a,
                nr: *nr,
                args: Some(*key),
                count: *count,
            });
        }
        c
    }

    /// What the counts leave out of the profile, or allow more widely than seen.
    fn notes(&self, arg_rules: bool) -> Vec<String> {
        let mut notes = Vec::new();
        if !self.unnamed.is_empty() {
            notes.push(format!(
                "{} call(s) without a name on their entry point are left out of the profile: \
                 a profile names calls, and these have none",
                self.unnamed.len()
            ));
        }
        if arg_rules && self.calls.iter().any(|c| c.syscall == "clone3") {
            notes.push(
                "clone3 was seen: it is allowed whatever its flags (they are behind a pointer \
                 no filter can read)"
                    .into(),
            );
        }
        notes
    }
}

/// Writes the profile of `seen` as `args` ask; the number of its rules.
fn write_profile(out: &mut Output, seen: &profile::Seen, args: &Options) -> io::Result<usize> {
    let opts = profile::Options {
        format: args.format,
        default_errno: args.default_errno,
        arg_rules: args.arg_rules,
        name: args.name.clone(),
    };
    let (text, rules) = profile::write_counted(seen, &opts);
    out.commit(text.as_bytes())?;
    Ok(rules)
}

/// Where the profile goes: stdout; a regular file (or a missing one)
/// written beside its path and renamed over it (the temporary file removed
/// if never committed); or the file itself, written through: a device
/// node, a named pipe or a symbolic link (`-o /dev/null`, `-o /dev/stdout`),
/// which renaming would replace for the whole machine, and a file where
/// nothing can be written beside it or renamed over it (a file bind-mounted
/// into a container, in a directory that may be read-only), opened early
/// without truncating it, truncated (if regular) only when the profile is
/// written.
enum Output {
    Stdout,
    Beside {
        tmp: std::path::PathBuf,
        dest: std::path::PathBuf,
        file: Option<std::fs::File>,
    },
    Through(OutputFile),
}

/// Whether `path` is a regular file or missing: what may be replaced by a
/// rename.
fn replaceable(path: &std::path::Path) -> io::Result<bool> {
    match std::fs::symlink_metadata(path) {
        Ok(m) => Ok(m.file_type().is_file()),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(true),
        Err(e) => Err(e),
    }
}

impl Output {
    fn open(dest: &std::path::Path) -> io::Result<Output> {
        let through = || OutputFile::open(dest).map(Output::Through);
        let Some(name) = dest.file_name() else {
            return through();
        };
        if !replaceable(dest)? {
            return through();
        }
        let mut tmp_name = std::ffi::OsString::from(".");
        tmp_name.push(name);
        tmp_name.push(format!(".whatami-{}", std::process::id()));
        let tmp = dest.with_file_name(tmp_name);
        match std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&tmp)
        {
            Ok(file) => Ok(Output::Beside {
                tmp,
                dest: dest.to_path_buf(),
                file: Some(file),
            }),
            Err(_) => through(),
        }
    }

    fn commit(&mut self, text: &[u8]) -> io::Result<()> {
        use std::os::fd::AsRawFd;
        match self {
            Output::Stdout => Out::stdout().write_all(text),
            Output::Beside { tmp, dest, file } => {
                let f = file
                    .take()
                    .ok_or_else(|| io::Error::other("written already"))?;
                Out(f.as_raw_fd()).write_all(text)?;
                f.sync_all()?;
                // Looked at again: what was a regular file when the command
                // started may be something else now, and is then written
                // through rather than replaced.
                if !replaceable(dest)? {
                    return OutputFile::open(dest)?.replace_with(text);
                }
                match std::fs::rename(&*tmp, &*dest) {
                    Ok(()) => Ok(()),
                    // A mount point (EBUSY) is written in place.
                    Err(_) => OutputFile::open(dest)?.replace_with(text),
                }
            }
            Output::Through(f) => f.replace_with(text),
        }
    }
}

impl Drop for Output {
    fn drop(&mut self) {
        if let Output::Beside { tmp, .. } = self {
            // Gone already once renamed; otherwise nothing of it is wanted.
            let _ = std::fs::remove_file(tmp);
        }
    }
}

/// `look`: whether to color, and the width to lay out for.
fn show(r: &RecordReport, json: bool, look: (bool, usize)) -> io::Result<()> {
    let mut err = io::BufWriter::with_capacity(64 << 10, Out::stderr());
    if json {
        crate::render::json::write(&mut err, r)?;
    } else {
        render::human(&mut Clean::new(&mut err, look.0), r, look.0, look.1)?;
    }
    err.flush()
}
