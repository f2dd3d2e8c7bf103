//! The report, built in one visible pipeline: what the options name is read
//! first (a file that cannot be read or understood is bad usage, found
//! before anything is gathered), then the sections are gathered from the
//! root (inspect/), assessed (assess.rs), the seccomp policy is named as a
//! known profile and compared with `--profile FILE` (profile/compare.rs),
//! and the whole is held to `--check POLICY` (check.rs). `whatami` and
//! `why` (when it cannot trace, it tells what the report says) build it
//! here, and nowhere else.

use crate::assess::{self, Sections};
use crate::check::{self, Policy};
use crate::exit;
use crate::fsroot::Root;
use crate::inspect::{self, Gathered};
use crate::model::{Report, SCHEMA_VERSION};
use crate::profile::compare::{self, Given};
use crate::profile::read::{self, Read};
use crate::render::color::ColorChoice;
use crate::seccomp::ProbeRequest;
use std::path::PathBuf;

/// What `whatami` (the report) is asked to do.
#[derive(Debug, Clone)]
pub struct Options {
    /// The report as JSON.
    pub json: bool,
    pub color: ColorChoice,
    pub probe: ProbeRequest,
    /// A captured tree to read instead of `/`.
    pub root: Option<PathBuf>,
    /// A profile to compare the policy in force with.
    pub profile: Option<PathBuf>,
    /// A policy to hold the report to.
    pub check: Option<String>,
}

/// What the report is built from: the root, the probe asked for, and the
/// files the options name, read.
pub struct Inputs {
    root: Root,
    probe: ProbeRequest,
    given: Option<(PathBuf, Read)>,
    policy: Option<Policy>,
}

impl Inputs {
    /// Reads what `opts` name. `Err`: the message for bad usage.
    pub fn read(opts: &Options) -> Result<Inputs, String> {
        let given = match &opts.profile {
            Some(path) => Some((path.clone(), read::from_path(path)?)),
            None => None,
        };
        let policy = match opts.check.as_deref().map(Policy::load).transpose() {
            Ok(p) => p,
            Err(e) => return Err(format!("--check: {e}")),
        };
        // A tree that is not there is bad usage, not a report of errors.
        if let Some(dir) = &opts.root {
            match std::fs::metadata(dir) {
                Ok(m) if m.is_dir() => {}
                Ok(_) => return Err(format!("--root {}: not a directory", dir.display())),
                Err(e) => return Err(format!("--root {}: {e}", dir.display())),
            }
        }
        Ok(Inputs {
            root: match &opts.root {
                Some(dir) => Root::new(dir),
                None => Root::live(),
            },
            probe: opts.probe,
            given,
            policy,
        })
    }

    /// The live system, probed as `probe` says, with nothing to compare or
    /// check.
    pub fn live(probe: ProbeRequest) -> Inputs {
        Inputs {
            root: Root::live(),
            probe,
            given: None,
            policy: None,
        }
    }
}

/// The pipeline: gather, assess, name the profile, check.
pub fn build(inputs: &Inputs) -> Report {
    let gathered = inspect::gather(&inputs.root, inputs.probe);
    let mut report = assessed(gathered);
    let given = inputs
        .given
        .as_ref()
        .map(|(path, read)| Given { path, read });
    compare::attach(&mut report, given);
    report.check = inputs.policy.as_ref().map(|p| check::evaluate(p, &report));
    report
}

/// The report of the gathered sections and their assessment, which reads
/// every one of them.
fn assessed(g: Gathered) -> Report {
    let assessment = inspect::guarded("assessment", || {
        assess::assess(&Sections {
            runtime: &g.runtime,
            seccomp: &g.seccomp,
            capabilities: &g.capabilities,
            namespaces: &g.namespaces,
            identity: &g.identity,
            lsm: &g.lsm,
            mounts: &g.mounts,
            cgroups: &g.cgroups,
            kernel_limits: &g.kernel_limits,
            kubernetes: &g.kubernetes,
        })
        .into()
    });
    Report {
        schema_version: SCHEMA_VERSION,
        whatami_version: env!("CARGO_PKG_VERSION").to_string(),
        subject: inspect::subject::of(
            &g.identity,
            &g.kubernetes,
            &g.runtime,
            inspect::subject::now(),
        ),
        system: g.system,
        runtime: g.runtime,
        seccomp: g.seccomp,
        capabilities: g.capabilities,
        namespaces: g.namespaces,
        user_namespace: g.user_namespace,
        identity: g.identity,
        lsm: g.lsm,
        mounts: g.mounts,
        cgroups: g.cgroups,
        kernel_limits: g.kernel_limits,
        kubernetes: g.kubernetes,
        assessment,
        check: None,
    }
}

/// The exit status the report ends with: a failed check first, then a
/// `--profile FILE` that differs, then a report that is not complete (a
/// section that could not be gathered, or a FILE that could not be
/// compared).
pub fn exit_status(report: &Report, profile_given: bool) -> u8 {
    let differs = compare::given_differs(report);
    if report.check.as_ref().is_some_and(|c| !c.passed) {
        exit::CHECK_FAILED
    } else if differs == Some(true) {
        exit::PROFILE_DIFFERS
    } else if !report.failed_sections().is_empty()
        || report.unlearned_verdicts() > 0
        || (profile_given && differs.is_none())
    {
        exit::INCOMPLETE
    } else {
        exit::OK
    }
}
