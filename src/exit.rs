//! whatami's exit statuses, in one table: the report, `why` and `record`
//! return these numbers, and each command's `--help` prints its part of the
//! table from here.
//!
//! `why` and `record` otherwise pass on the command's own status (128+N when
//! signal N ended it); the numbers they add are the shell's for a command
//! that could not run (126, 127) and one below them (125), as `env`,
//! `timeout` and `podman run` use them.

/// The report is complete.
pub const OK: u8 = 0;
/// whatami could not produce its output (a closed stdout; a profile that
/// could not be written).
pub const FAILED: u8 = 1;
/// A bad command line, or a file it names that cannot be read or understood
/// (as clap uses 2 for its own errors).
pub const USAGE: u8 = 2;
/// The report was produced, but some sections could not be gathered.
pub const INCOMPLETE: u8 = 3;
/// `--profile FILE`: the policy in force differs from FILE.
pub const PROFILE_DIFFERS: u8 = 4;
/// `record --against`: a named profile would block a call the command made.
pub const BLOCKED: u8 = 4;
/// `diff`: the two reports differ.
pub const DIFFERS: u8 = 4;
/// `--check`: a control of the policy failed.
pub const CHECK_FAILED: u8 = 5;
/// The command could not be traced; it did not run.
pub const UNTRACEABLE: u8 = 125;
/// The command was found but could not be executed.
pub const CANNOT_EXECUTE: u8 = 126;
/// The command was not found.
pub const NOT_FOUND: u8 = 127;

/// One status and what it means for one command; a `\n` in the text breaks
/// the line in `--help`.
pub struct Meaning {
    pub code: u8,
    pub text: &'static str,
}

/// A command's exit statuses, as its `--help` lists them.
pub struct Table {
    pub heading: &'static str,
    pub rows: &'static [Meaning],
}

/// `whatami` (the report).
pub const REPORT: Table = Table {
    heading: "Exit codes:",
    rows: &[
        Meaning {
            code: OK,
            text: "the report is complete",
        },
        Meaning {
            code: FAILED,
            text: "whatami could not produce a report (for example, stdout is closed)",
        },
        Meaning {
            code: USAGE,
            text: "bad command-line usage",
        },
        Meaning {
            code: INCOMPLETE,
            text: "the report was produced, but some sections could not be gathered\n\
                   (each says why: see its \"error\" field in --json), or some seccomp\n\
                   verdicts could not be learned (seccomp.probe.unlearned)",
        },
        Meaning {
            code: PROFILE_DIFFERS,
            text: "--profile FILE: the policy in force differs from FILE (takes precedence over 3)",
        },
        Meaning {
            code: CHECK_FAILED,
            text: "--check: a control of the policy failed (the failed ones are listed; takes\n\
                   precedence over 3 and 4)",
        },
    ],
};

/// The heading of the commands that pass on the command's status.
const PASSED_ON: &str = "Exit status: the command's own (128+N when signal N ended it), or";

/// `whatami why`.
pub const WHY: Table = Table {
    heading: PASSED_ON,
    rows: &[
        Meaning {
            code: OK,
            text: "--pid: the process was traced and let go",
        },
        Meaning {
            code: UNTRACEABLE,
            text: "the command could not be traced (ptrace is not available here: the\n\
                   explanation says why, and what the static report tells); it did not run.\n\
                   --pid: it could not be attached to",
        },
        Meaning {
            code: CANNOT_EXECUTE,
            text: "the command was found but could not be executed",
        },
        Meaning {
            code: NOT_FOUND,
            text: "the command was not found",
        },
        Meaning {
            code: USAGE,
            text: "bad command-line usage",
        },
    ],
};

/// `whatami record`.
pub const RECORD: Table = Table {
    heading: PASSED_ON,
    rows: &[
        Meaning {
            code: BLOCKED,
            text: "--against: a named profile would block a call the command made (takes\n\
                   precedence over the command's status, which the output gives)",
        },
        Meaning {
            code: UNTRACEABLE,
            text: "the command could not be traced (ptrace is not available here); it did not run",
        },
        Meaning {
            code: CANNOT_EXECUTE,
            text: "the command was found but could not be executed",
        },
        Meaning {
            code: NOT_FOUND,
            text: "the command was not found",
        },
        Meaning {
            code: USAGE,
            text: "bad command-line usage, or a --merge or --against file that cannot be read",
        },
        Meaning {
            code: FAILED,
            text: "the profile could not be written",
        },
    ],
};

/// `whatami diff` and `whatami fleet`.
pub const DIFF: Table = Table {
    heading: "Exit codes:",
    rows: &[
        Meaning {
            code: OK,
            text: "diff: the reports are the same (in what it compares); fleet: the table was printed",
        },
        Meaning {
            code: FAILED,
            text: "the output could not be written",
        },
        Meaning {
            code: USAGE,
            text: "bad command-line usage, or a file that is no whatami report of this schema\n\
                   (the message names the file and the line or field)",
        },
        Meaning {
            code: DIFFERS,
            text: "diff: the reports differ",
        },
    ],
};

impl Table {
    /// The table as `--help` ends: the heading, then each status right-aligned
    /// in a column as wide as the widest, its text after two spaces, and the
    /// text's further lines under it.
    pub fn help(&self) -> String {
        let width = self
            .rows
            .iter()
            .map(|m| m.code.to_string().len())
            .max()
            .unwrap_or(1);
        let mut out = self.heading.to_string();
        for m in self.rows {
            for (i, line) in m.text.split('\n').enumerate() {
                let code = if i == 0 {
                    m.code.to_string()
                } else {
                    String::new()
                };
                out.push_str(&format!("\n  {code:>width$}  {line}"));
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_help_aligns_codes_and_continuation_lines() {
        let t = Table {
            heading: "Exit:",
            rows: &[
                Meaning {
                    code: 4,
                    text: "four\nmore",
                },
                Meaning {
                    code: 125,
                    text: "many",
                },
            ],
        };
        assert_eq!(t.help(), "Exit:\n    4  four\n       more\n  125  many");
    }

    #[test]
    fn each_status_means_one_thing_per_command() {
        for t in [&REPORT, &WHY, &RECORD, &DIFF] {
            let mut codes: Vec<u8> = t.rows.iter().map(|m| m.code).collect();
            codes.sort();
            codes.dedup();
            assert_eq!(codes.len(), t.rows.len(), "{}", t.help());
        }
    }
}
