//! whatami: what is this process allowed to do, and why not?
//!
//! `main` parses the command line (cli.rs) into a command's options and
//! runs that command: the report (built by `whatami::report`, printed by one
//! of its two renderers), `why` or `record`. Probes never print; renderers
//! never probe.

use clap::Parser;
use std::io::Write;
use std::process::ExitCode;
use whatami::{exit, render, report};

mod cli;

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    match &cli.command {
        Some(cli::Command::Why(args)) => return whatami::why::main(&args.options()),
        Some(cli::Command::Record(args)) => return whatami::record::main(&args.options()),
        Some(cli::Command::Diff(args)) => return whatami::diff::main(&args.options()),
        Some(cli::Command::Fleet(args)) => {
            return whatami::diff::fleet::main(&args.reports, args.format());
        }
        None => {}
    }
    match run(&cli.report_options()) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            // A closed stdout (`whatami | head -1`) is not worth a message.
            if e.kind() != std::io::ErrorKind::BrokenPipe {
                eprintln!("whatami: {e}");
            }
            ExitCode::from(exit::FAILED)
        }
    }
}

fn run(opts: &report::Options) -> std::io::Result<u8> {
    let inputs = match report::Inputs::read(opts) {
        Ok(i) => i,
        Err(msg) => {
            eprintln!("whatami: {msg}");
            return Ok(exit::USAGE);
        }
    };
    let report = report::build(&inputs);

    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let color = render::color::enabled(opts.color, render::color::Stream::Stdout);
    let width = render::width::width(render::color::Stream::Stdout);
    if opts.json {
        render::json::write_report(&mut out, &report)?;
    } else if let Some(c) = &report.check {
        render::check::write(&mut out, &report, c, color, width)?;
    } else {
        render::human::write(&mut out, &report, color, width)?;
    }
    out.flush()?;
    Ok(report::exit_status(&report, opts.profile.is_some()))
}
