//! whatami: what is this process allowed to do, and why not?
//!
//! `main` parses the command line (cli.rs) into a command's options and
//! runs that command: the report (built by `whatami::report`, printed by one
//! of its two renderers), `why` or `record`. Probes never print; renderers
//! never probe.

#![cfg_attr(not(test), no_main)]
// The unit tests of this crate have their own entry, which calls none of it.
#![cfg_attr(test, allow(dead_code))]

use clap::Parser;
use std::ffi::OsString;
use std::io::Write;
use whatami::linux::io::{Out, warn};
use whatami::render::Clean;
use whatami::{exit, render, report};

mod cli;

/// The process's entry, called by the C library's start code: whatami runs
/// without the standard library's runtime set-up, which would open
/// /dev/null on a closed stdout (so `whatami >&-` ended with 0 and the
/// report went nowhere) and abort before `main` where a policy answers
/// ERRNO to its sigaction calls. What of it whatami needs is done here,
/// each step tolerant of a refusal: the closed standard descriptors
/// (linux/io.rs), SIGPIPE ignored (a write to a pipe whose reader is gone
/// is an EPIPE error, not death), and the arguments, from argv (the
/// standard library captures them only on glibc without its runtime).
#[cfg(not(test))]
#[unsafe(no_mangle)]
extern "C" fn main(argc: libc::c_int, argv: *const *const libc::c_char) -> libc::c_int {
    use std::os::unix::ffi::OsStringExt;
    whatami::linux::io::standard_fds();
    // SAFETY: changes this process's own SIGPIPE disposition; a refusal
    // leaves the default, which only makes a broken pipe end whatami.
    unsafe { libc::signal(libc::SIGPIPE, libc::SIG_IGN) };
    let args = (0..usize::try_from(argc).unwrap_or(0)).filter_map(|i| {
        // SAFETY: the C start code passes argc valid, NUL-terminated strings.
        let arg = unsafe { *argv.add(i) };
        // SAFETY: as above; a null entry (never expected) is skipped.
        (!arg.is_null()).then(|| unsafe { std::ffi::CStr::from_ptr(arg) })
    });
    let args: Vec<OsString> = args
        .map(|a| OsString::from_vec(a.to_bytes().to_vec()))
        .collect();
    // A panic must not unwind out of an extern "C" function.
    match std::panic::catch_unwind(|| start(args)) {
        Ok(code) => libc::c_int::from(code),
        Err(_) => 101,
    }
}

/// Parses the command line and runs the command; the exit status.
fn start(args: Vec<OsString>) -> u8 {
    let cli = match cli::Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(e) => {
            // Usage errors on stderr, --help and --version on stdout, written
            // with the bounded writer like everything else.
            let mut to = if e.use_stderr() {
                Out::stderr()
            } else {
                Out::stdout()
            };
            let _ = to.write_all(e.render().to_string().as_bytes());
            return u8::try_from(e.exit_code()).unwrap_or(exit::USAGE);
        }
    };
    match &cli.command {
        Some(cli::Command::Why(args)) => return whatami::why::main(&args.options()),
        Some(cli::Command::Record(args)) => return whatami::record::main(&args.options()),
        Some(cli::Command::Diff(args)) => return whatami::diff::main(&args.options()),
        Some(cli::Command::Fleet(args)) => {
            return whatami::diff::fleet::main(&args.reports, args.format());
        }
        None => {}
    }
    match run(&cli.report_options(), &cli.form()) {
        Ok(code) => code,
        Err(e) => {
            // A closed pipe (`whatami | head -1`) is not worth a message.
            if e.kind() != std::io::ErrorKind::BrokenPipe {
                warn(&format!("whatami: cannot write the report: {e}"));
            }
            exit::FAILED
        }
    }
}

fn run(opts: &report::Options, form: &render::human::Form) -> std::io::Result<u8> {
    let inputs = match report::Inputs::read(opts) {
        Ok(i) => i,
        Err(msg) => {
            warn(&format!("whatami: {msg}"));
            return Ok(exit::USAGE);
        }
    };
    let report = report::build(&inputs);

    // Written with bounded retries, a closed stdout an error (linux/io.rs);
    // the human text through the one sanitising sink.
    let mut out = std::io::BufWriter::with_capacity(64 << 10, Out::stdout());
    let color = render::color::enabled(opts.color, render::color::Stream::Stdout);
    let width = render::width::width(render::color::Stream::Stdout);
    if opts.json {
        render::json::write_report(&mut out, &report)?;
    } else {
        let mut clean = Clean::new(&mut out, color);
        match &report.check {
            Some(c) => render::check::write(&mut clean, &report, c, color, width)?,
            None => render::human::write(&mut clean, &report, color, width, form)?,
        }
    }
    out.flush()?;
    Ok(report::exit_status(&report, opts.profile.is_some()))
}
