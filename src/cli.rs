//! Command-line interface: the flags and their help text (the exit codes'
//! come from [`whatami::exit`]).
//!
//! Doc comments here are the `--help` text. Parsing turns argv into plain
//! option values of the domain (`report::Options`, `why::Options`,
//! `record::Options`, whose
//! enums are `ProbeRequest`, `ColorChoice`, `Format`); the library below
//! does not know clap. The domain enums get their spelling on the command
//! line here ([`one_of`]).

use clap::Parser;
use clap::builder::{PossibleValue, PossibleValuesParser, TypedValueParser};
use std::ffi::OsString;
use std::path::PathBuf;
use std::time::Duration;
use whatami::exit;
use whatami::record::profile::Format;
use whatami::render::color::ColorChoice;
use whatami::render::human::{Form, SECTIONS};
use whatami::seccomp::ProbeRequest;

/// What is this process allowed to do, and why not?
///
/// Reports seccomp (mode, filters, no_new_privs, the policy's verdict for
/// every syscall, learned without running them, and the profile it is),
/// capabilities, namespaces, user-namespace maps, identity, LSMs, the
/// container runtime, mounts and sensitive paths, cgroups, the kernel limits
/// that explain denials and the Kubernetes context, with a verdict and the
/// risks in plain words, from inside a container, without privileges.
#[derive(Debug, Parser)]
#[command(
    name = "whatami",
    version,
    after_help = exit::REPORT.help(),
    args_conflicts_with_subcommands = true
)]
pub struct Cli {
    #[command(flatten)]
    pub output: OutputArgs,

    /// How to learn the seccomp policy's verdicts: notify (exact, via a user-notification
    /// listener in a disposable child), direct (call each syscall in disposable children with
    /// arguments the kernel rejects early; less exact), auto (notify, else direct unless a
    /// seccomp supervisor would be sent the calls), none.
    #[arg(long, value_parser = one_of(PROBES), default_value = "auto", value_name = "METHOD")]
    pub probe: ProbeRequest,

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

    /// One screen: the verdict, the risks, a line per section.
    #[arg(long, conflicts_with_all = ["json", "check", "section"])]
    pub brief: bool,

    /// Only these sections (comma-separated).
    #[arg(
        long,
        value_name = "NAME",
        value_delimiter = ',',
        value_parser = PossibleValuesParser::new(SECTIONS),
        conflicts_with_all = ["json", "check"]
    )]
    pub section: Vec<String>,

    #[command(subcommand)]
    pub command: Option<Command>,
}

/// How every command prints: as JSON or for people, and when in color. Each
/// command words the help for what it prints (`mut_arg`).
#[derive(Debug, clap::Args)]
pub struct OutputArgs {
    /// Print the report as one JSON object (schema: docs/json.md).
    #[arg(long)]
    pub json: bool,

    /// When to color the human output. NO_COLOR in the environment means never, unless
    /// --color=always is given.
    #[arg(long, value_parser = one_of(COLORS), default_value = "auto", value_name = "WHEN")]
    pub color: ColorChoice,
}

/// What `why` and `record` trace: the command they run, or the running
/// process they attach to.
#[derive(Debug, clap::Args)]
pub struct CommandArgs {
    /// Attach to the running process PID instead, until --for, Ctrl-C, SIGTERM or its end.
    /// Needs the same user, or CAP_SYS_PTRACE.
    #[arg(long, value_name = "PID", value_parser = clap::value_parser!(u32).range(1..=4_194_304))]
    pub pid: Option<u32>,

    /// With --pid: how long to trace (30s, 500ms, 2m, 1h; a bare number is seconds).
    #[arg(
        long = "for",
        value_name = "DURATION",
        requires = "pid",
        conflicts_with = "command"
    )]
    pub duration: Option<String>,

    /// The command to run, and its arguments.
    #[arg(
        required_unless_present = "pid",
        conflicts_with = "pid",
        trailing_var_arg = true,
        allow_hyphen_values = true,
        value_name = "CMD"
    )]
    pub command: Vec<OsString>,
}

impl CommandArgs {
    /// What is traced; a bad --for ends whatami here, as clap would.
    fn target(&self) -> whatami::why::Target {
        use whatami::why::Target;
        match self.pid {
            Some(pid) => Target::Pid(
                pid as i32,
                self.duration.as_deref().map(|d| {
                    duration(d).unwrap_or_else(|e| {
                        whatami::linux::io::warn(&format!("whatami: --for {e}"));
                        std::process::exit(i32::from(exit::USAGE))
                    })
                }),
            ),
            None => Target::Command(self.command.clone()),
        }
    }
}

/// A value of the command line and the domain value it stands for, with
/// its help when the value needs one.
type Spelling<T> = (&'static str, Option<&'static str>, T);

/// The parser of a domain enum spelled as `values`: clap lists the
/// spellings (and their help), and hands over the domain value.
fn one_of<T: Clone + Send + Sync + 'static>(
    values: &'static [Spelling<T>],
) -> impl TypedValueParser<Value = T> {
    PossibleValuesParser::new(values.iter().map(|(name, help, _)| match help {
        Some(h) => PossibleValue::new(*name).help(*h),
        None => PossibleValue::new(*name),
    }))
    .try_map(move |s| {
        values
            .iter()
            .find(|(name, _, _)| *name == s)
            .map(|(_, _, v)| v.clone())
            .ok_or_else(|| format!("{s}: not one of the values"))
    })
}

const COLORS: &[Spelling<ColorChoice>] = &[
    ("auto", None, ColorChoice::Auto),
    ("always", None, ColorChoice::Always),
    ("never", None, ColorChoice::Never),
];

const PROBES: &[Spelling<ProbeRequest>] = &[
    ("auto", None, ProbeRequest::Auto),
    ("notify", None, ProbeRequest::Notify),
    ("direct", None, ProbeRequest::Direct),
    ("none", None, ProbeRequest::None),
];

const FORMATS: &[Spelling<Format>] = &[
    (
        "docker",
        Some(
            "A Docker/podman profile (--security-opt seccomp=FILE), also a Kubernetes \
             Localhost profile file",
        ),
        Format::Docker,
    ),
    (
        "oci",
        Some("{\"linux\": {\"seccomp\": ...}}, to merge into an OCI runtime config.json"),
        Format::Oci,
    ),
    (
        "k8s",
        Some("A Security Profiles Operator SeccompProfile object"),
        Format::K8s,
    ),
];

impl Cli {
    /// How much of the report to print.
    pub fn form(&self) -> Form {
        if self.brief {
            Form::Brief
        } else if self.section.is_empty() {
            Form::Full
        } else {
            Form::Only(self.section.clone())
        }
    }

    /// The report's options.
    pub fn report_options(&self) -> whatami::report::Options {
        whatami::report::Options {
            json: self.output.json,
            color: self.output.color,
            probe: self.probe,
            root: self.root.clone(),
            profile: self.profile.clone(),
            check: self.check.clone(),
        }
    }
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
    /// LSM. The explanation goes to stderr (or --output) once CMD has ended, or with --pid
    /// once the running process is let go.
    #[command(after_help = exit::WHY.help())]
    Why(WhyArgs),

    /// Run a command and write a seccomp profile that allows exactly the calls it made.
    ///
    /// Runs CMD under ptrace (following forks, threads and execs) with its stdin, stdout and
    /// stderr untouched, and writes a profile that allows the calls it made from its execve
    /// on (and those runc and crun make after installing the filter), and answers every
    /// other call with an errno. Each rule's comment counts the calls seen, so that --merge
    /// adds runs up. --against lists the calls a named profile would block. What was seen
    /// (and a strace -c table) goes to stderr once CMD has ended.
    #[command(after_help = exit::RECORD.help())]
    Record(RecordArgs),

    /// Compare two reports of `whatami --json`, or one with the environment whatami runs in.
    ///
    /// Lists what differs, most consequential first: the seccomp verdicts per entry point
    /// (calls blocked in one and allowed in the other, blocked otherwise, argument rules)
    /// and the profile named, capabilities per set, identity, namespaces turned host or
    /// private, user-namespace maps, no_new_privs, mounts (read-only root, masked paths,
    /// sockets, host paths, devices), LSMs, cgroup limits, kernel limits, the runtime,
    /// Kubernetes, the verdict, its risks and the Pod Security levels. Reports of two
    /// architectures compare their native calls by name.
    #[command(after_help = exit::DIFF.help())]
    Diff(DiffArgs),

    /// One row per report (files, or directories of *.json), and the seccomp policies grouped.
    ///
    /// Each report's environment (hostname, Kubernetes pod, container id, time), runtime,
    /// profile named, capabilities beyond the runtime's default, no_new_privs, read-only
    /// root, worst risk and Pod Security levels; then the distinct seccomp policies (a
    /// fingerprint of every verdict) and the reports that share each.
    #[command(after_help = exit::DIFF.help())]
    Fleet(FleetArgs),
}

#[derive(Debug, clap::Args)]
#[command(
    mut_arg("json", |a| a.help("Print the differences as one JSON object (schema: docs/json.md)")),
    mut_arg("color", |a| a.help(
        "When to color the output. NO_COLOR in the environment means never, unless \
         --color=always is given"
    )),
)]
pub struct DiffArgs {
    #[command(flatten)]
    pub output_format: OutputArgs,

    /// A report of `whatami --json`.
    #[arg(value_name = "A.json")]
    pub a: PathBuf,

    /// Another; without it, A is compared with the environment whatami runs in.
    #[arg(value_name = "B.json")]
    pub b: Option<PathBuf>,
}

impl DiffArgs {
    /// `whatami diff`'s options.
    pub fn options(&self) -> whatami::diff::Options {
        whatami::diff::Options {
            json: self.output_format.json,
            color: self.output_format.color,
            a: self.a.clone(),
            b: self.b.clone(),
        }
    }
}

#[derive(Debug, clap::Args)]
pub struct FleetArgs {
    /// Print the rows and the policies as one JSON object (schema: docs/json.md).
    #[arg(long, conflicts_with = "format")]
    pub json: bool,

    /// How to print the rows.
    #[arg(long, value_parser = one_of(FLEET_FORMATS), default_value = "table", value_name = "FORMAT")]
    pub format: FleetFormat,

    /// Reports of `whatami --json`, or directories of them.
    #[arg(required = true, value_name = "REPORT")]
    pub reports: Vec<PathBuf>,
}

type FleetFormat = whatami::diff::fleet::Format;

const FLEET_FORMATS: &[Spelling<FleetFormat>] = &[
    ("table", None, FleetFormat::Table),
    ("json", None, FleetFormat::Json),
    ("csv", None, FleetFormat::Csv),
    ("markdown", None, FleetFormat::Markdown),
];

impl FleetArgs {
    /// The format asked for (`--json` is `--format json`).
    pub fn format(&self) -> FleetFormat {
        if self.json {
            FleetFormat::Json
        } else {
            self.format
        }
    }
}

#[derive(Debug, clap::Args)]
#[command(
    mut_arg("json", |a| a.help("Print what was seen as one JSON object (schema: docs/json.md)")),
    mut_arg("color", |a| a.help(
        "When to color the output. NO_COLOR in the environment means never, unless \
         --color=always is given"
    )),
)]
pub struct RecordArgs {
    #[command(flatten)]
    pub output_format: OutputArgs,

    /// Write the profile to FILE ("-": stdout, shared with the command's). Needed unless
    /// --against is given.
    #[arg(
        short = 'o',
        long,
        value_name = "FILE",
        required_unless_present = "against"
    )]
    pub output: Option<PathBuf>,

    /// The profile's format.
    #[arg(long, value_parser = one_of(FORMATS), default_value = "docker", value_name = "FORMAT")]
    pub format: Format,

    /// The errno every call not seen gets (1: EPERM).
    #[arg(long, default_value_t = 1, value_name = "N",
          value_parser = clap::value_parser!(u32).range(1..=4095))]
    pub default_errno: u32,

    /// Add the calls (and counts) of a profile written before: one run rarely covers every
    /// path. Repeatable; FILE may be the --output file itself.
    #[arg(long, value_name = "FILE")]
    pub merge: Vec<PathBuf>,

    /// List the calls the command made that PROFILE would block: docker, podman,
    /// runtime-default (containerd), a built-in profile's id, or a profile file (judged for
    /// whatami's own bounding set, unless --caps). Repeatable.
    #[arg(long, value_name = "PROFILE")]
    pub against: Vec<String>,

    /// The container's capabilities every --against profile is judged for, as a
    /// comma-separated list of sets (docker, podman, none) and capabilities (SYS_ADMIN or
    /// CAP_SYS_ADMIN), so that "docker,SYS_ADMIN" reads as --cap-add SYS_ADMIN. Default:
    /// the runtime's default set for a built-in profile, whatami's own bounding set for a
    /// file.
    #[arg(long, value_name = "CAPS", requires = "against")]
    pub caps: Option<String>,

    /// Allow clone and unshare only with the namespace flags seen, personality only with
    /// the values seen and socket only with the families seen, as runtimes' profiles do.
    #[arg(long)]
    pub arg_rules: bool,

    /// The SeccompProfile object's name (--format k8s).
    #[arg(long, default_value = "whatami-recorded", value_name = "NAME")]
    pub name: String,

    #[command(flatten)]
    pub run: CommandArgs,
}

impl RecordArgs {
    /// `whatami record`'s options.
    pub fn options(&self) -> whatami::record::Options {
        whatami::record::Options {
            json: self.output_format.json,
            color: self.output_format.color,
            output: self.output.clone(),
            format: self.format,
            default_errno: self.default_errno,
            merge: self.merge.clone(),
            against: self.against.clone(),
            caps: self.caps.clone(),
            arg_rules: self.arg_rules,
            name: self.name.clone(),
            target: self.run.target(),
        }
    }
}

#[derive(Debug, clap::Args)]
#[command(
    mut_arg("json", |a| a.help("Print the explanation as one JSON object (schema: docs/json.md)")),
    mut_arg("color", |a| a.help(
        "When to color the explanation. NO_COLOR in the environment means never, unless \
         --color=always is given"
    )),
)]
pub struct WhyArgs {
    #[command(flatten)]
    pub output_format: OutputArgs,

    /// Write the explanation to FILE instead of stderr.
    #[arg(short = 'o', long, value_name = "FILE")]
    pub output: Option<PathBuf>,

    #[command(flatten)]
    pub run: CommandArgs,
}

impl WhyArgs {
    /// `whatami why`'s options.
    pub fn options(&self) -> whatami::why::Options {
        whatami::why::Options {
            json: self.output_format.json,
            color: self.output_format.color,
            output: self.output.clone(),
            target: self.run.target(),
        }
    }
}

/// A duration as 30s, 500ms, 2m, 1h or a bare number of seconds; more than
/// nothing, at most a day.
fn duration(s: &str) -> Result<Duration, String> {
    let (num, unit) = s.split_at(s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len()));
    let ms = match unit {
        "" | "s" => 1000,
        "ms" => 1,
        "m" => 60_000,
        "h" => 3_600_000,
        _ => 0,
    };
    match num.parse::<u64>() {
        Ok(n) if (1..=86_400_000).contains(&n.saturating_mul(ms)) => {
            Ok(Duration::from_millis(n * ms))
        }
        _ => Err(format!("{s:?}: from 1ms to 24h, as 30s, 500ms, 2m, 1h")),
    }
}
