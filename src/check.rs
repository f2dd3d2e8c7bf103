//! `--check`: holds the report to a policy and says which controls fail.
//!
//! A policy is `baseline` or `restricted` (the Pod Security Standards
//! controls of the assessment), or a JSON file of required properties
//! (docs/check.md):
//!
//! ```json
//! {
//!   "extends": "restricted",
//!   "read_only_root": true,
//!   "allowed_capabilities": ["CAP_NET_BIND_SERVICE"],
//!   "private_namespaces": ["pid", "net", "ipc", "uts", "mnt", "user"],
//!   "no_runtime_sockets": true,
//!   "max_risk": "medium"
//! }
//! ```
//!
//! Every key is optional; a key set to `false` (or absent) requires
//! nothing. Unknown keys are refused, so a misspelt requirement is an error
//! rather than a silent pass. A control that cannot be told does not fail
//! the check unless `"cannot_tell_fails": true`.

use crate::assess::{Facts, Sections, pss};
use crate::model::*;
use serde::Deserialize;

/// Largest policy file read.
const MAX_POLICY: usize = 1 << 20;

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Policy {
    /// Where the policy came from: `baseline`, `restricted` or the file.
    #[serde(skip)]
    pub name: String,
    /// Include the Pod Security Standards controls of this level.
    #[serde(default)]
    pub extends: Option<Level>,
    #[serde(default)]
    pub read_only_root: bool,
    #[serde(default)]
    pub seccomp: bool,
    #[serde(default)]
    pub no_new_privs: bool,
    #[serde(default)]
    pub run_as_non_root: bool,
    /// The bounding set must be within this list.
    #[serde(default)]
    pub allowed_capabilities: Option<Vec<String>>,
    /// These namespaces must not be the host's.
    #[serde(default)]
    pub private_namespaces: Vec<String>,
    #[serde(default)]
    pub no_runtime_sockets: bool,
    /// No host path may be bind-mounted.
    #[serde(default)]
    pub no_host_paths: bool,
    /// The paths runtimes hide must be hidden (or absent).
    #[serde(default)]
    pub masked_paths: bool,
    #[serde(default)]
    pub memory_limit: bool,
    #[serde(default)]
    pub cpu_limit: bool,
    #[serde(default)]
    pub pids_limit: bool,
    #[serde(default)]
    pub no_service_account_token: bool,
    /// No risk more severe than this (`critical`, `high`, `medium`, `low`).
    #[serde(default)]
    pub max_risk: Option<Severity>,
    #[serde(default)]
    pub cannot_tell_fails: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    Baseline,
    Restricted,
}

const NAMESPACES: [&str; 8] = ["cgroup", "ipc", "mnt", "net", "pid", "time", "user", "uts"];

impl Policy {
    /// `baseline`, `restricted`, or the path of a policy file.
    pub fn load(arg: &str) -> Result<Policy, String> {
        let level = |l| Policy {
            name: arg.to_string(),
            extends: Some(l),
            ..Policy::default()
        };
        match arg {
            "baseline" => return Ok(level(Level::Baseline)),
            "restricted" => return Ok(level(Level::Restricted)),
            _ => {}
        }
        // Opened without waiting on a named pipe, a regular file only, read
        // within its bound (linux/io.rs).
        let text = crate::linux::io::read_text(std::path::Path::new(arg), MAX_POLICY)
            .map_err(|e| format!("{arg}: {e}"))?;
        let mut p = Policy::parse(&text).map_err(|e| format!("{arg}: {e}"))?;
        p.name = arg.to_string();
        Ok(p)
    }

    pub fn parse(text: &str) -> Result<Policy, String> {
        // An object, not the array serde would also take for a struct.
        if !text.trim_start().starts_with('{') {
            return Err("a policy is a JSON object".into());
        }
        let p: Policy = serde_json::from_str(text).map_err(|e| e.to_string())?;
        if let Some(bad) = p
            .private_namespaces
            .iter()
            .find(|n| !NAMESPACES.contains(&n.as_str()))
        {
            return Err(format!(
                "private_namespaces: unknown namespace {bad:?} (one of {})",
                NAMESPACES.join(", ")
            ));
        }
        if let Some(bad) = p
            .allowed_capabilities
            .iter()
            .flatten()
            .find(|c| !c.starts_with("CAP_"))
        {
            return Err(format!(
                "allowed_capabilities: {bad:?} is not a capability name (CAP_...)"
            ));
        }
        Ok(p)
    }
}

fn control(id: &str, status: Status, evidence: impl Into<String>) -> Control {
    Control {
        id: id.into(),
        name: id.into(),
        level: "policy".into(),
        status,
        evidence: evidence.into(),
    }
}

fn unknown(id: &str, what: &str) -> Control {
    control(id, Status::CannotTell, format!("{what} could not be read"))
}

fn pass_fail(id: &str, ok: bool, pass: impl Into<String>, fail: impl Into<String>) -> Control {
    if ok {
        control(id, Status::Pass, pass)
    } else {
        control(id, Status::Fail, fail)
    }
}

/// Evaluates the policy against the report.
pub fn evaluate(p: &Policy, r: &Report) -> Check {
    let f = Facts::of(&Sections::of(r));
    let mut controls: Vec<Control> = match p.extends {
        None => Vec::new(),
        Some(level) => pss::controls(&f)
            .into_iter()
            .filter(|c| level == Level::Restricted || c.level == "baseline")
            .collect(),
    };
    let m = f.mounts;
    if p.read_only_root {
        controls.push(match m.and_then(|m| m.root.read_only) {
            None => unknown("read_only_root", "the root mount"),
            Some(ro) => pass_fail(
                "read_only_root",
                ro,
                "the root file system is read-only",
                "the root file system is writable",
            ),
        });
    }
    if p.seccomp {
        controls.push(match f.seccomp {
            None => unknown("seccomp", "the seccomp status"),
            Some(mode) => pass_fail(
                "seccomp",
                mode != SeccompMode::Disabled,
                "a seccomp filter is in force",
                "no seccomp filter",
            ),
        });
    }
    if p.no_new_privs {
        controls.push(match f.no_new_privs {
            None => unknown("no_new_privs", "no_new_privs"),
            Some(n) => pass_fail(
                "no_new_privs",
                n,
                "no_new_privs is set",
                "no_new_privs is not set",
            ),
        });
    }
    if p.run_as_non_root {
        controls.push(match f.uid {
            None => unknown("run_as_non_root", "the uid"),
            Some(u) => pass_fail(
                "run_as_non_root",
                u != 0,
                format!("runs as uid {u}"),
                "runs as uid 0",
            ),
        });
    }
    if let Some(allowed) = &p.allowed_capabilities {
        controls.push(match f.bounding {
            None => unknown("allowed_capabilities", "the capabilities"),
            Some(b) => {
                let extra: Vec<&str> = b
                    .iter()
                    .filter(|c| !allowed.contains(c))
                    .map(String::as_str)
                    .collect();
                pass_fail(
                    "allowed_capabilities",
                    extra.is_empty(),
                    "the bounding set is within the allowed list",
                    format!("not allowed, in the bounding set: {}", extra.join(" ")),
                )
            }
        });
    }
    if !p.private_namespaces.is_empty() {
        let host: Vec<&str> = p
            .private_namespaces
            .iter()
            .filter(|n| f.host(n) == Some(true))
            .map(String::as_str)
            .collect();
        let unknown_ns: Vec<&str> = p
            .private_namespaces
            .iter()
            .filter(|n| f.host(n).is_none())
            .map(String::as_str)
            .collect();
        controls.push(if !host.is_empty() {
            control(
                "private_namespaces",
                Status::Fail,
                format!("the host's: {}", host.join(", ")),
            )
        } else if !unknown_ns.is_empty() {
            control(
                "private_namespaces",
                Status::CannotTell,
                format!("cannot tell: {}", unknown_ns.join(", ")),
            )
        } else {
            control(
                "private_namespaces",
                Status::Pass,
                format!("private: {}", p.private_namespaces.join(", ")),
            )
        });
    }
    if p.no_runtime_sockets {
        controls.push(match m {
            None => unknown("no_runtime_sockets", "the mounts"),
            Some(m) => {
                let list: Vec<&str> = m.sockets.iter().map(|s| s.path.as_str()).collect();
                pass_fail(
                    "no_runtime_sockets",
                    list.is_empty(),
                    "no runtime socket found",
                    format!("within reach: {}", list.join(", ")),
                )
            }
        });
    }
    if p.no_host_paths {
        controls.push(match m {
            None => unknown("no_host_paths", "the mounts"),
            Some(m) => {
                let list: Vec<String> = m
                    .host_paths
                    .iter()
                    .map(|h| format!("{} (from {})", h.mount_point, h.host_path))
                    .collect();
                pass_fail(
                    "no_host_paths",
                    list.is_empty(),
                    "no host path is bind-mounted",
                    format!("bind-mounted: {}", list.join(", ")),
                )
            }
        });
    }
    if p.masked_paths {
        let mut c = pss::controls(&f)
            .into_iter()
            .find(|c| c.id == "proc_mount")
            .unwrap_or_else(|| unknown("masked_paths", "the mounts"));
        c.id = "masked_paths".into();
        c.name = "masked_paths".into();
        c.level = "policy".into();
        controls.push(c);
    }
    let limits = f.cgroups.map(|c| &c.limits);
    for (on, id, got) in [
        (
            p.memory_limit,
            "memory_limit",
            limits.map(|l| l.memory.as_ref().map(|x| x.max.is_some())),
        ),
        (
            p.cpu_limit,
            "cpu_limit",
            limits.map(|l| l.cpu.as_ref().map(|x| x.cpus.is_some())),
        ),
        (
            p.pids_limit,
            "pids_limit",
            limits.map(|l| l.pids.as_ref().map(|x| x.max.is_some())),
        ),
    ] {
        if !on {
            continue;
        }
        controls.push(match got.flatten() {
            None => unknown(id, "the limit"),
            Some(limited) => pass_fail(id, limited, "a limit is set", "no limit on this cgroup"),
        });
    }
    if p.no_service_account_token {
        controls.push(match f.kube {
            None => unknown("no_service_account_token", "the Kubernetes section"),
            Some(k) => pass_fail(
                "no_service_account_token",
                k.token.is_none(),
                "no service-account token is mounted",
                format!("mounted: {}", k.token.as_deref().unwrap_or("")),
            ),
        });
    }
    if let Some(max) = p.max_risk {
        controls.push(match r.assessment.ok() {
            None => unknown("max_risk", "the assessment"),
            Some(a) => {
                let worse: Vec<&str> = a
                    .risks
                    .iter()
                    .filter(|x| x.severity < max)
                    .map(|x| x.text.as_str())
                    .collect();
                pass_fail(
                    "max_risk",
                    worse.is_empty(),
                    "no risk above the allowed severity",
                    worse.join("; "),
                )
            }
        });
    }
    let failed: Vec<String> = controls
        .iter()
        .filter(|c| {
            c.status == Status::Fail || (p.cannot_tell_fails && c.status == Status::CannotTell)
        })
        .map(|c| c.id.clone())
        .collect();
    Check {
        policy: p.name.clone(),
        passed: failed.is_empty(),
        failed,
        controls,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policies_parse_strictly() {
        let p = Policy::parse(
            r#"{"extends": "baseline", "read_only_root": true, "max_risk": "high",
                "allowed_capabilities": ["CAP_NET_BIND_SERVICE"], "private_namespaces": ["pid", "user"]}"#,
        )
        .unwrap();
        assert_eq!(p.extends, Some(Level::Baseline));
        assert!(p.read_only_root && !p.seccomp);
        assert_eq!(p.max_risk, Some(Severity::High));
        assert_eq!(Policy::parse("{}").unwrap(), Policy::default());
        for bad in [
            r#"{"read_only_rot": true}"#,
            r#"{"extends": "strict"}"#,
            r#"{"private_namespaces": ["pidd"]}"#,
            r#"{"allowed_capabilities": ["NET_BIND_SERVICE"]}"#,
            r#"{"max_risk": "severe"}"#,
            "[]",
            "",
            "{",
        ] {
            assert!(Policy::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(
            Policy::load("restricted").unwrap().extends,
            Some(Level::Restricted)
        );
        assert!(
            Policy::load("/nonexistent/policy.json")
                .unwrap_err()
                .contains("/nonexistent")
        );
    }
}
