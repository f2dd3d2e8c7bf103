//! whatami: what is this process allowed to do, and why not?
//!
//! `main` parses the command line, gathers the report and hands it to one of
//! the two renderers. Probes never print; renderers never probe.

use clap::Parser;
use std::io::Write;
use std::process::ExitCode;
use whatami::{cli, fsroot, inspect, profile, render};

/// Exit status when the report is incomplete (see cli::EXIT_HELP).
const EXIT_INCOMPLETE: u8 = 3;

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    if let Some(cli::Command::Why(args)) = &cli.command {
        return whatami::why::main(args);
    }
    match run(&cli) {
        Ok(code) => code,
        Err(e) => {
            // A closed stdout (`whatami | head -1`) is not worth a message.
            if e.kind() != std::io::ErrorKind::BrokenPipe {
                eprintln!("whatami: {e}");
            }
            ExitCode::from(1)
        }
    }
}

fn run(cli: &cli::Cli) -> std::io::Result<ExitCode> {
    let root = match &cli.root {
        Some(dir) => fsroot::Root::new(dir),
        None => fsroot::Root::live(),
    };
    // --profile FILE is read before probing: a bad file fails fast.
    let given = match cli.profile.as_deref().map(read_profile).transpose() {
        Ok(g) => g,
        Err(msg) => {
            eprintln!("whatami: {msg}");
            return Ok(ExitCode::from(EXIT_USAGE));
        }
    };
    let mut report = inspect::gather(&root, cli.probe);
    profile::compare::attach(
        &mut report,
        cli.profile
            .as_deref()
            .zip(given.as_ref())
            .map(|(path, read)| profile::compare::Given { path, read }),
    );

    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    if cli.json {
        render::json::write(&mut out, &report)?;
    } else {
        let color = render::color_enabled(cli.color);
        render::human::write(&mut out, &report, color)?;
    }
    out.flush()?;

    let differs = report
        .seccomp
        .profile
        .as_ref()
        .and_then(|p| p.given.as_ref())
        .and_then(|g| g.ok())
        .is_some_and(|g| !g.differences.is_empty());
    let incomplete = !report.failed_sections().is_empty()
        || report
            .seccomp
            .profile
            .as_ref()
            .and_then(|p| p.given.as_ref())
            .is_some_and(|g| !g.is_ok());
    Ok(if differs {
        ExitCode::from(EXIT_PROFILE_DIFFERS)
    } else if incomplete {
        ExitCode::from(EXIT_INCOMPLETE)
    } else {
        ExitCode::SUCCESS
    })
}

/// Exit status for a bad command line, including a --profile FILE that
/// cannot be read or understood (as clap uses for its own errors).
const EXIT_USAGE: u8 = 2;
/// Exit status when --profile FILE differs from the policy in force.
const EXIT_PROFILE_DIFFERS: u8 = 4;

fn read_profile(path: &std::path::Path) -> Result<profile::read::Read, String> {
    use std::io::Read;
    use std::os::unix::fs::OpenOptionsExt;
    // Profiles are a few kilobytes; refuse anything absurd rather than read it.
    const LIMIT: u64 = 16 << 20;
    let fail = |e: &dyn std::fmt::Display| format!("--profile {}: {e}", path.display());
    // O_NONBLOCK: opening a named pipe must not wait for a writer (regular
    // files ignore the flag); the file type is checked on what was opened.
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(path)
        .map_err(|e| fail(&e))?;
    let meta = file.metadata().map_err(|e| fail(&e))?;
    if !meta.is_file() || meta.len() > LIMIT {
        return Err(fail(&"not a regular file of at most 16 MiB"));
    }
    let mut text = String::new();
    file.take(LIMIT)
        .read_to_string(&mut text)
        .map_err(|e| fail(&e))?;
    profile::read::parse(&text).map_err(|e| fail(&e))
}
