//! Command-line interface: the flags, their help text and the exit codes.
//!
//! Doc comments here are the `--help` text. Parsing turns into a plain
//! [`Options`] value; nothing else in whatami looks at clap types.

use clap::{Parser, ValueEnum};
use std::path::PathBuf;

pub const EXIT_HELP: &str = "\
Exit codes:
  0  the report is complete
  1  whatami could not produce a report (for example, stdout is closed)
  2  bad command-line usage
  3  the report was produced, but some sections could not be gathered
     (each says why: see its \"error\" field in --json)";

/// What is this process allowed to do, and why not?
///
/// Reports seccomp (mode, filters, no_new_privs and the policy's verdict for
/// every syscall, learned without running them), capabilities, namespaces,
/// user-namespace maps, identity, LSMs and the container runtime, from inside
/// a container, without privileges.
#[derive(Debug, Parser)]
#[command(name = "whatami", version, after_help = EXIT_HELP)]
pub struct Cli {
    /// Print the report as one JSON object (schema: docs/json.md).
    #[arg(long)]
    pub json: bool,

    /// When to color the human output. NO_COLOR in the environment means never, unless
    /// --color=always is given.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto, value_name = "WHEN")]
    pub color: ColorChoice,

    /// How to learn the seccomp policy's verdicts: notify (exact, via a user-notification
    /// listener in a disposable child), direct (call each syscall in disposable children with
    /// arguments the kernel rejects early; less exact), auto (notify, else direct), none.
    #[arg(long, value_enum, default_value_t = ProbeChoice::Auto, value_name = "METHOD")]
    pub probe: ProbeChoice,

    /// Read /proc and the other files under DIR instead of / (a tree captured from a
    /// container). No syscall probe is run for a captured tree.
    #[arg(long, value_name = "DIR")]
    pub root: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ProbeChoice {
    Auto,
    Notify,
    Direct,
    None,
}
