//! whatami: what is this process allowed to do, and why not?
//!
//! `main` parses the command line, gathers the report and hands it to one of
//! the two renderers. Probes never print; renderers never probe.

use clap::Parser;
use std::io::Write;
use std::process::ExitCode;
use whatami::{check, exit, fsroot, inspect, profile, render};

mod cli;

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    if let Some(cli::Command::Why(args)) = &cli.command {
        return whatami::why::main(&args.options());
    }
    if let Some(cli::Command::Record(args)) = &cli.command {
        return whatami::record::main(&args.options());
    }
    match run(&cli) {
        Ok(code) => code,
        Err(e) => {
            // A closed stdout (`whatami | head -1`) is not worth a message.
            if e.kind() != std::io::ErrorKind::BrokenPipe {
                eprintln!("whatami: {e}");
            }
            ExitCode::from(exit::FAILED)
        }
    }
}

fn run(cli: &cli::Cli) -> std::io::Result<ExitCode> {
    let root = match &cli.root {
        Some(dir) => fsroot::Root::new(dir),
        None => fsroot::Root::live(),
    };
    // --profile FILE and --check POLICY are read before probing: a bad file
    // is bad usage, found before anything is gathered.
    let given = match cli
        .profile
        .as_deref()
        .map(|path| profile::read::from_path(path).map(|read| (path, read)))
    {
        Some(Err(msg)) => {
            eprintln!("whatami: {msg}");
            return Ok(ExitCode::from(exit::USAGE));
        }
        Some(Ok(g)) => Some(g),
        None => None,
    };
    let policy = match cli.check.as_deref().map(check::Policy::load).transpose() {
        Ok(p) => p,
        Err(e) => {
            eprintln!("whatami: --check: {e}");
            return Ok(ExitCode::from(exit::USAGE));
        }
    };
    let mut report = inspect::gather(&root, cli.probe);
    let given = given
        .as_ref()
        .map(|(path, read)| profile::compare::Given { path, read });
    profile::compare::attach(&mut report, given);
    report.check = policy.as_ref().map(|p| check::evaluate(p, &report));

    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let color = render::color::enabled(cli.output.color, render::color::Stream::Stdout);
    if cli.output.json {
        render::json::write(&mut out, &report)?;
    } else if let Some(c) = &report.check {
        render::check::write(&mut out, &report, c, color)?;
    } else {
        render::human::write(&mut out, &report, color)?;
    }
    out.flush()?;

    let differs = profile::compare::given_differs(&report);
    Ok(if report.check.as_ref().is_some_and(|c| !c.passed) {
        ExitCode::from(exit::CHECK_FAILED)
    } else if differs == Some(true) {
        ExitCode::from(exit::PROFILE_DIFFERS)
    } else if !report.failed_sections().is_empty() || (cli.profile.is_some() && differs.is_none()) {
        ExitCode::from(exit::INCOMPLETE)
    } else {
        ExitCode::SUCCESS
    })
}
