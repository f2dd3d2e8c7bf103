//! Tolerant parser for `/proc/<pid>/status`.
//!
//! The status file is the one place where the kernel prints seccomp mode,
//! filter count, no_new_privs, the five capability sets, credentials and the
//! tracer. Its lines are `Key:\tvalue`; fields were added over the years
//! (NoNewPrivs in 4.10, CapAmb in 4.3, Seccomp_filters in 5.9) and gVisor
//! prints a much shorter file. So parsing keeps every line it can split and
//! never fails as a whole: each accessor checks its own field and, when the
//! field is missing or malformed, returns an error naming it. A section that
//! needs a field fails; the others are still gathered.
//!
//! No I/O here: [`ProcStatus::parse`] takes the text.

use serde::{Deserialize, Serialize};
use std::fmt;

/// The seccomp facts of a status file (`seccomp` in the report).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SeccompStatus {
    pub mode: SeccompMode,
    /// `Seccomp_filters` (Linux 5.9+); `None` when the kernel does not say.
    pub filters: Option<u32>,
    pub no_new_privs: bool,
}

/// `Seccomp:` 0, 1 or 2.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SeccompMode {
    Disabled,
    Strict,
    Filter,
}

/// `Uid:` or `Gid:`: the real, effective, saved set and filesystem id.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Ids {
    pub real: u32,
    pub effective: u32,
    pub saved: u32,
    pub filesystem: u32,
}

/// The parsed lines of a status file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProcStatus {
    fields: Vec<(String, String)>,
}

/// A field that is missing or does not hold what the kernel prints there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    pub field: &'static str,
    pub problem: String,
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "/proc/self/status field {}: {}",
            self.field, self.problem
        )
    }
}

impl std::error::Error for FieldError {}

impl From<FieldError> for String {
    fn from(e: FieldError) -> String {
        e.to_string()
    }
}

/// Longest value quoted back in an error: the text may be hostile or huge.
const QUOTE_MAX: usize = 40;

fn quote(v: &str) -> String {
    let mut s: String = v.chars().take(QUOTE_MAX).collect();
    if v.chars().count() > QUOTE_MAX {
        s.push('…');
    }
    format!("{s:?}")
}

impl ProcStatus {
    /// Splits every `Key: value` line. Lines without a colon or with an empty
    /// key are skipped rather than rejected: a truncated or padded file still
    /// yields the fields it does hold.
    pub fn parse(text: &str) -> Self {
        let fields = text
            .lines()
            .filter_map(|line| {
                let (key, value) = line.split_once(':')?;
                let key = key.trim();
                if key.is_empty() || key.contains(char::is_whitespace) {
                    return None;
                }
                Some((key.to_string(), value.trim().to_string()))
            })
            .collect();
        ProcStatus { fields }
    }

    /// The value of `key`, trimmed. When a key repeats, the last one wins:
    /// `Name:` comes first in the file, so a process name crafted to look
    /// like another field can never shadow the kernel's own line.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.fields
            .iter()
            .rev()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    fn required(&self, field: &'static str) -> Result<&str, FieldError> {
        self.get(field).ok_or_else(|| FieldError {
            field,
            problem: "missing".into(),
        })
    }

    /// `Seccomp:` 0, 1 or 2 (Linux 2.6.23+; absent when built without seccomp).
    pub fn seccomp_mode(&self) -> Result<SeccompMode, FieldError> {
        let v = self.required("Seccomp")?;
        match v {
            "0" => Ok(SeccompMode::Disabled),
            "1" => Ok(SeccompMode::Strict),
            "2" => Ok(SeccompMode::Filter),
            other => Err(FieldError {
                field: "Seccomp",
                problem: format!("expected 0, 1 or 2, found {}", quote(other)),
            }),
        }
    }

    /// `Seccomp_filters:` the number of attached filters (Linux 5.9+), `None`
    /// on older kernels that do not print it.
    pub fn seccomp_filters(&self) -> Result<Option<u32>, FieldError> {
        match self.get("Seccomp_filters") {
            None => Ok(None),
            Some(v) => parse_dec("Seccomp_filters", v).map(Some),
        }
    }

    /// `NoNewPrivs:` 0 or 1 (Linux 4.10+).
    pub fn no_new_privs(&self) -> Result<bool, FieldError> {
        match self.required("NoNewPrivs")? {
            "0" => Ok(false),
            "1" => Ok(true),
            other => Err(FieldError {
                field: "NoNewPrivs",
                problem: format!("expected 0 or 1, found {}", quote(other)),
            }),
        }
    }

    /// The seccomp facts of the status file.
    pub fn seccomp(&self) -> Result<SeccompStatus, String> {
        Ok(SeccompStatus {
            mode: self.seccomp_mode()?,
            filters: self.seccomp_filters()?,
            no_new_privs: self.no_new_privs()?,
        })
    }

    /// A capability mask (`CapInh`, `CapPrm`, `CapEff`, `CapBnd`, `CapAmb`).
    pub fn cap_mask(&self, field: &'static str) -> Result<u64, FieldError> {
        parse_hex(field, self.required(field)?)
    }

    /// `CapAmb:`, which kernels before 4.3 do not print.
    pub fn cap_ambient(&self) -> Result<Option<u64>, FieldError> {
        match self.get("CapAmb") {
            None => Ok(None),
            Some(v) => parse_hex("CapAmb", v).map(Some),
        }
    }

    /// `Uid:` real, effective, saved set and filesystem uid.
    pub fn uids(&self) -> Result<Ids, FieldError> {
        parse_ids("Uid", self.required("Uid")?)
    }

    /// `Gid:` real, effective, saved set and filesystem gid.
    pub fn gids(&self) -> Result<Ids, FieldError> {
        parse_ids("Gid", self.required("Gid")?)
    }

    /// `Groups:` supplementary groups; the field is present but empty when
    /// there are none.
    pub fn groups(&self) -> Result<Vec<u32>, FieldError> {
        self.required("Groups")?
            .split_whitespace()
            .map(|g| parse_dec("Groups", g))
            .collect()
    }

    /// `Umask:` the file mode creation mask in octal (Linux 4.7+), `None` on
    /// kernels that do not print it.
    pub fn umask(&self) -> Result<Option<u32>, FieldError> {
        let Some(v) = self.get("Umask") else {
            return Ok(None);
        };
        let bad = || FieldError {
            field: "Umask",
            problem: format!("expected an octal mask, found {}", quote(v)),
        };
        if v.is_empty() || v.len() > 4 || !v.bytes().all(|b| (b'0'..=b'7').contains(&b)) {
            return Err(bad());
        }
        u32::from_str_radix(v, 8).map(Some).map_err(|_| bad())
    }

    /// `TracerPid:` the pid (in this pid namespace) of the tracer, 0 if none.
    pub fn tracer_pid(&self) -> Result<u32, FieldError> {
        parse_dec("TracerPid", self.required("TracerPid")?)
    }
}

/// Decimal digits only: `u32::from_str` would also take a leading `+`.
fn parse_dec(field: &'static str, v: &str) -> Result<u32, FieldError> {
    let bad = |why: &str| FieldError {
        field,
        problem: format!("{why}, found {}", quote(v)),
    };
    if v.is_empty() || !v.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad("expected a decimal number"));
    }
    v.parse().map_err(|_| bad("number out of range"))
}

/// Hex digits only, at most 64 bits once leading zeros are dropped (the
/// kernel prints 16 digits; a longer mask would hide bits we cannot name).
fn parse_hex(field: &'static str, v: &str) -> Result<u64, FieldError> {
    let bad = |why: &str| FieldError {
        field,
        problem: format!("{why}, found {}", quote(v)),
    };
    if v.is_empty() || !v.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(bad("expected a hexadecimal mask"));
    }
    let digits = v.trim_start_matches('0');
    if digits.len() > 16 {
        return Err(bad("mask wider than 64 bits"));
    }
    if digits.is_empty() {
        return Ok(0);
    }
    u64::from_str_radix(digits, 16).map_err(|_| bad("expected a hexadecimal mask"))
}

fn parse_ids(field: &'static str, v: &str) -> Result<Ids, FieldError> {
    let parts: Vec<&str> = v.split_whitespace().collect();
    let [real, effective, saved, filesystem] = parts[..] else {
        return Err(FieldError {
            field,
            problem: format!(
                "expected 4 ids (real, effective, saved, filesystem), found {}",
                quote(v)
            ),
        });
    };
    Ok(Ids {
        real: parse_dec(field, real)?,
        effective: parse_dec(field, effective)?,
        saved: parse_dec(field, saved)?,
        filesystem: parse_dec(field, filesystem)?,
    })
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// `cat /proc/self/status` under rootful podman 4.3.1 (crun, default
    /// seccomp profile, containers.conf default caps), kernel 6.18.
    pub(crate) const PODMAN_DEFAULT: &str = "Name:\tcat
Umask:\t0022
State:\tR (running)
Tgid:\t2
Ngid:\t0
Pid:\t2
PPid:\t1
TracerPid:\t0
Uid:\t0\t0\t0\t0
Gid:\t0\t0\t0\t0
FDSize:\t64
Groups:\t 
NStgid:\t2
NSpid:\t2
NSpgid:\t1
NSsid:\t1
Kthread:\t0
VmPeak:\t    2332 kB
VmSize:\t    2332 kB
Threads:\t1
SigQ:\t1/96365
SigPnd:\t0000000000000000
ShdPnd:\t0000000000000000
SigBlk:\t0000000000000000
SigIgn:\t0000000000000000
SigCgt:\t0000000000000000
CapInh:\t0000000000000000
CapPrm:\t00000000800405fb
CapEff:\t00000000800405fb
CapBnd:\t00000000800405fb
CapAmb:\t0000000000000000
NoNewPrivs:\t0
Seccomp:\t2
Seccomp_filters:\t1
Speculation_Store_Bypass:\tvulnerable
SpeculationIndirectBranch:\talways enabled
Cpus_allowed:\t3
Cpus_allowed_list:\t0-1
Mems_allowed_list:\t0
voluntary_ctxt_switches:\t0
nonvoluntary_ctxt_switches:\t0
";

    /// The credential part of `bwrap --unshare-all --uid 1000 --gid 1000`
    /// (bubblewrap 0.8.0): no effective caps, full bounding set, NoNewPrivs 1.
    pub(crate) const BWRAP_USER: &str = "Name:\tcat
TracerPid:\t0
Uid:\t1000\t1000\t1000\t1000
Gid:\t1000\t1000\t1000\t1000
Groups:\t 
CapInh:\t0000000000000000
CapPrm:\t0000000000000000
CapEff:\t0000000000000000
CapBnd:\t000001fffeffffff
CapAmb:\t0000000000000000
NoNewPrivs:\t1
Seccomp:\t0
Seccomp_filters:\t0
";

    /// What gVisor's sentry prints: no Uid/Gid/Groups, no CapAmb, no
    /// NoNewPrivs, no Seccomp_filters.
    pub(crate) const GVISOR_LIKE: &str = "Name:\tcat
State:\tR (running)
Tgid:\t1
Pid:\t1
PPid:\t0
TracerPid:\t0
FDSize:\t3
VmSize:\t2332 kB
VmRSS:\t1460 kB
VmData:\t240 kB
Threads:\t1
CapInh:\t0000000000000000
CapPrm:\t00000000a80425fb
CapEff:\t00000000a80425fb
CapBnd:\t00000000a80425fb
Seccomp:\t0
Mems_allowed:\t1
Mems_allowed_list:\t0
";

    #[test]
    fn umask_is_octal_and_optional() {
        assert_eq!(
            ProcStatus::parse(PODMAN_DEFAULT).umask().unwrap(),
            Some(0o022)
        );
        assert_eq!(ProcStatus::parse("Name:\tx\n").umask().unwrap(), None);
        for bad in ["Umask:\t0088", "Umask:\t", "Umask:\t012345", "Umask:\t-1"] {
            assert!(ProcStatus::parse(bad).umask().is_err(), "{bad}");
        }
    }

    #[test]
    fn podman_default_status() {
        let s = ProcStatus::parse(PODMAN_DEFAULT);
        assert_eq!(
            s.seccomp().unwrap(),
            SeccompStatus {
                mode: SeccompMode::Filter,
                filters: Some(1),
                no_new_privs: false
            }
        );
        assert_eq!(s.cap_mask("CapEff").unwrap(), 0x800405fb);
        assert_eq!(s.cap_mask("CapInh").unwrap(), 0);
        assert_eq!(s.cap_ambient().unwrap(), Some(0));
        assert_eq!(s.uids().unwrap().effective, 0);
        assert_eq!(s.groups().unwrap(), Vec::<u32>::new());
        assert_eq!(s.tracer_pid().unwrap(), 0);
        // Values keep their inner spaces; keys with spaces are not keys.
        assert_eq!(s.get("SpeculationIndirectBranch"), Some("always enabled"));
        assert_eq!(s.get("VmPeak"), Some("2332 kB"));
    }

    #[test]
    fn bwrap_user_status() {
        let s = ProcStatus::parse(BWRAP_USER);
        let u = s.uids().unwrap();
        assert_eq!(
            (u.real, u.effective, u.saved, u.filesystem),
            (1000, 1000, 1000, 1000)
        );
        assert!(s.no_new_privs().unwrap());
        assert_eq!(s.seccomp_mode().unwrap(), SeccompMode::Disabled);
        assert_eq!(s.seccomp_filters().unwrap(), Some(0));
        assert_eq!(s.cap_mask("CapBnd").unwrap(), 0x1fffeffffff);
    }

    #[test]
    fn gvisor_short_status_fails_field_by_field() {
        let s = ProcStatus::parse(GVISOR_LIKE);
        // What is there still parses.
        assert_eq!(s.seccomp_mode().unwrap(), SeccompMode::Disabled);
        assert_eq!(s.cap_mask("CapEff").unwrap(), 0xa80425fb);
        assert_eq!(s.seccomp_filters().unwrap(), None);
        assert_eq!(s.cap_ambient().unwrap(), None);
        // What is not names the missing field.
        let e = s.seccomp().unwrap_err();
        assert!(e.contains("NoNewPrivs") && e.contains("missing"), "{e}");
        let e = s.uids().unwrap_err();
        assert_eq!(e.field, "Uid");
        assert_eq!(e.to_string(), "/proc/self/status field Uid: missing");
        assert!(s.groups().is_err());
    }

    #[test]
    fn older_kernels_without_late_fields() {
        // Before 5.9 there is no Seccomp_filters; before 4.3 no CapAmb.
        let s = ProcStatus::parse("Seccomp:\t2\nNoNewPrivs:\t1\nCapEff:\t0\n");
        let st = s.seccomp().unwrap();
        assert_eq!(st.filters, None);
        assert!(st.no_new_privs);
        assert_eq!(s.cap_ambient().unwrap(), None);
        assert_eq!(s.cap_mask("CapEff").unwrap(), 0);
    }

    #[test]
    fn empty_and_garbage_input_never_panics() {
        for text in [
            "",
            "\n\n\n",
            ":",
            ":\t:\t:",
            "Seccomp",
            "Seccomp:",
            "\u{0}\u{1}\u{ff}",
            "Uid:\t0\t0",
            "Uid:\t0\t0\t0\t0\t0",
            "Uid:\t-1\t0\t0\t0",
            "Uid:\t4294967296\t0\t0\t0",
            "CapEff:\tzzzz",
            "CapEff:\t+1",
            "CapEff:\t10000000000000000",
            "Groups:\t1 2 x",
            "Seccomp_filters:\t+3",
            "Seccomp:\t2 extra",
        ] {
            let s = ProcStatus::parse(text);
            let _ = s.seccomp();
            let _ = s.uids();
            let _ = s.gids();
            let _ = s.groups();
            let _ = s.cap_mask("CapEff");
            let _ = s.cap_ambient();
            let _ = s.tracer_pid();
        }
    }

    #[test]
    fn malformed_fields_are_named_errors() {
        let s = ProcStatus::parse("Seccomp:\t7\nNoNewPrivs:\tyes\nCapEff:\tzz\n");
        let e = s.seccomp_mode().unwrap_err();
        assert_eq!(e.field, "Seccomp");
        assert!(e.problem.contains("\"7\""), "{e}");
        assert_eq!(s.no_new_privs().unwrap_err().field, "NoNewPrivs");
        assert_eq!(s.cap_mask("CapEff").unwrap_err().field, "CapEff");
        let s = ProcStatus::parse("Uid:\t0\t0\n");
        assert!(s.uids().unwrap_err().problem.contains("expected 4 ids"));
    }

    #[test]
    fn huge_numbers_are_rejected_not_wrapped() {
        let s = ProcStatus::parse(
            "CapEff:\t1ffffffffffffffff\nTracerPid:\t99999999999\nSeccomp_filters:\t4294967296\n",
        );
        assert!(
            s.cap_mask("CapEff")
                .unwrap_err()
                .problem
                .contains("64 bits")
        );
        assert!(s.tracer_pid().is_err());
        assert!(s.seccomp_filters().is_err());
        // Leading zeros are fine, all 64 bits are kept.
        let s = ProcStatus::parse("CapEff:\t00000ffffffffffffffff\n");
        assert_eq!(s.cap_mask("CapEff").unwrap(), u64::MAX);
    }

    #[test]
    fn truncated_last_line_is_an_error_not_a_guess() {
        // A read cut in the middle of "Seccomp_filters:\t1".
        let s = ProcStatus::parse("Seccomp:\t2\nNoNewPrivs:\t0\nSeccomp_filt");
        assert_eq!(s.seccomp().unwrap().filters, None);
        let s = ProcStatus::parse("Seccomp:\t2\nNoNewPrivs:\t0\nSeccomp_filters:");
        assert!(s.seccomp().is_err());
    }

    #[test]
    fn a_forged_line_in_the_name_cannot_shadow_the_real_field() {
        let s = ProcStatus::parse("Name:\tx\nSeccomp:\t0\nSeccomp:\t2\nNoNewPrivs:\t1\n");
        assert_eq!(s.seccomp_mode().unwrap(), SeccompMode::Filter);
    }

    #[test]
    fn long_values_are_cut_in_errors() {
        let long = format!("Seccomp:\t{}\n", "9".repeat(10_000));
        let e = ProcStatus::parse(&long).seccomp_mode().unwrap_err();
        assert!(e.to_string().len() < 120, "{e}");
    }
}
