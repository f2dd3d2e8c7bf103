//! What `whatami record` tells, as data: what `--json` prints (docs/json.md)
//! and the human printer reads.

use super::against;
use crate::trace::session::Exit;
use crate::trace::summary::{SyscallSummary, Totals};
use serde::{Deserialize, Serialize};

/// The JSON schema's version (docs/json.md, `whatami record --json`).
pub const SCHEMA_VERSION: u32 = 1;

/// A call seen in this run, counted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallCount {
    pub abi: String,
    pub syscall: String,
    /// With the entry point's bit (x32).
    pub nr: u32,
    pub count: u64,
}

/// Distinct arguments of a call whose rules look at them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ArgCount {
    pub abi: String,
    pub syscall: String,
    /// As strace shows them.
    pub args: String,
    /// The arguments kept (the others are zero).
    pub values: Vec<u64>,
    pub count: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Written {
    /// The file ("-": stdout).
    pub path: String,
    pub format: String,
    pub default_errno: u32,
    pub arg_rules: bool,
    pub merged: Vec<String>,
    /// Rules in the profile: allowed calls (and argument rules), and clone3's ENOSYS.
    pub rules: usize,
}

/// What `whatami record` tells, as `--json` prints it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RecordReport {
    pub schema_version: u32,
    pub whatami_version: String,
    /// The command as given (with --pid: the process's command line).
    pub command: Vec<String>,
    /// With --pid: the running process recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pid: Option<i32>,
    pub traced: bool,
    /// Why the command was not traced.
    pub unavailable: Option<String>,
    pub exit: Option<Exit>,
    pub profile: Option<Written>,
    /// Every call seen in this run, per entry point.
    pub calls: Vec<CallCount>,
    pub arg_calls: Vec<ArgCount>,
    /// Calls without a name on their entry point: no profile can name them.
    pub unnamed: Vec<CallCount>,
    pub against: Vec<against::Against>,
    /// Whether some --against profile would block a call.
    pub blocked: bool,
    pub summary: Vec<SyscallSummary>,
    pub totals: Totals,
    pub notes: Vec<String>,
}

impl RecordReport {
    /// Nothing seen yet of `command`.
    pub fn begin(command: Vec<String>) -> RecordReport {
        RecordReport {
            schema_version: SCHEMA_VERSION,
            whatami_version: env!("CARGO_PKG_VERSION").to_string(),
            command,
            pid: None,
            traced: false,
            unavailable: None,
            exit: None,
            profile: None,
            calls: Vec::new(),
            arg_calls: Vec::new(),
            unnamed: Vec::new(),
            against: Vec::new(),
            blocked: false,
            summary: Vec::new(),
            totals: Totals::none(),
            notes: Vec::new(),
        }
    }
}
