//! whatami: what is this process allowed to do, and why not?
//!
//! `main` parses the command line, gathers the report and hands it to one of
//! the two renderers. Probes never print; renderers never probe.

use clap::Parser;
use std::io::Write;
use std::process::ExitCode;
use whatami::{cli, fsroot, inspect, render};

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
    let report = inspect::gather(&root, cli.probe);

    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    if cli.json {
        render::json::write(&mut out, &report)?;
    } else {
        let color = render::color_enabled(cli.color);
        render::human::write(&mut out, &report, color)?;
    }
    out.flush()?;

    Ok(if report.failed_sections().is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(EXIT_INCOMPLETE)
    })
}
