//! Command-line interface: the flags, their help text and the exit codes.
//!
//! Doc comments here are the `--help` text. Parsing turns into a plain
//! [`Options`] value; nothing else in whatami looks at clap types.

use clap::{Parser, ValueEnum};
use std::ffi::OsString;
use std::path::PathBuf;

pub const EXIT_HELP: &str = "\
Exit codes:
  0  the report is complete
  1  whatami could not produce a report (for example, stdout is closed)
  2  bad command-line usage
  3  the report was produced, but some sections could not be gathered
     (each says why: see its \"error\" field in --json)
  4  --profile FILE: the policy in force differs from FILE (takes precedence over 3)
  5  --check: a control of the policy failed (the failed ones are listed; takes
     precedence over 3 and 4)";

/// What is this process allowed to do, and why not?
///
/// Reports seccomp (mode, filters, no_new_privs and the policy's verdict for
/// every syscall, learned without running them), capabilities, namespaces,
/// user-namespace maps, identity, LSMs and the container runtime, from inside
/// a container, without privileges.
#[derive(Debug, Parser)]
#[command(
    name = "whatami",
    version,
    after_help = EXIT_HELP,
    args_conflicts_with_subcommands = true
)]
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

    /// Compare the seccomp policy in force with FILE: a Docker/podman profile, an OCI
    /// config.json (its linux.seccomp) or a Kubernetes SeccompProfile (JSON or YAML),
    /// resolved for this process. Lists the calls answered otherwise; exit status 4 when
    /// there are any.
    #[arg(long, value_name = "FILE")]
    pub profile: Option<PathBuf>,

    /// Hold the report to a policy and print each control's result: baseline or restricted
    /// (the Pod Security Standards controls observable from inside), or a JSON file of
    /// required properties (docs/check.md). Exit status 5 when a control fails. With --json
    /// the whole report is printed, the result under "check".
    #[arg(long, value_name = "POLICY")]
    pub check: Option<String>,

    #[command(subcommand)]
    pub command: Option<Command>,
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

// ------------------------------------------------------------- whatami why

#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Run a command and explain every "Operation not permitted" it hits.
    ///
    /// Runs CMD under ptrace (following forks, threads and execs), with its stdin, stdout
    /// and stderr untouched, and records every syscall that fails with EPERM, EACCES,
    /// EROFS, ENOSYS or EAFNOSUPPORT, or with an errno a seccomp filter produced. Then
    /// explains each: the seccomp policy (asked about the exact call), a missing
    /// capability, no_new_privs, a read-only mount, file permissions, sysctl limits, an
    /// LSM. The explanation goes to stderr (or --output) once CMD has ended.
    #[command(after_help = WHY_EXIT_HELP)]
    Why(WhyArgs),
}

pub const WHY_EXIT_HELP: &str = "\
Exit status: the command's own (128+N when signal N ended it), or
  125  the command could not be traced (ptrace is not available here: the
       explanation says why, and what the static report tells); it did not run
  126  the command was found but could not be executed
  127  the command was not found
    2  bad command-line usage";

#[derive(Debug, clap::Args)]
pub struct WhyArgs {
    /// Print the explanation as one JSON object (schema: docs/json.md).
    #[arg(long)]
    pub json: bool,

    /// When to color the explanation. NO_COLOR in the environment means never, unless
    /// --color=always is given.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto, value_name = "WHEN")]
    pub color: ColorChoice,

    /// Write the explanation to FILE instead of stderr.
    #[arg(short = 'o', long, value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// The command to run, and its arguments.
    #[arg(
        required = true,
        trailing_var_arg = true,
        allow_hyphen_values = true,
        value_name = "CMD"
    )]
    pub command: Vec<OsString>,
}
