//! `whatami fleet REPORT...`: one row per report (which environment, its
//! runtime, the profile named, capabilities beyond the runtime's default,
//! no_new_privs, a read-only root, the worst risk, the Pod Security levels)
//! and the seccomp policies grouped by a fingerprint of their verdicts, so
//! that "3 distinct policies across 40 containers" reads at a glance. As a
//! table, JSON, CSV or markdown.

use super::read;
use super::table::{at, text};
use crate::linux::caps::{DOCKER_DEFAULT, PODMAN_DEFAULT};
use serde::Serialize;
use serde_json::Value;
use std::io::{self, Write};
use std::path::PathBuf;

/// How the fleet is printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Table,
    Json,
    Csv,
    Markdown,
}

/// One report's row.
#[derive(Debug, Serialize)]
pub struct Row {
    pub file: String,
    pub hostname: Option<String>,
    /// "namespace/pod" in Kubernetes.
    pub pod: Option<String>,
    pub container_id: Option<String>,
    pub time: Option<String>,
    pub runtime: String,
    pub profile: String,
    /// Effective capabilities beyond the runtime's default set (podman's
    /// for podman, Docker's for every other).
    pub extra_capabilities: Vec<String>,
    pub no_new_privs: Option<bool>,
    pub read_only_root: Option<bool>,
    /// "severity id" of the most severe risk.
    pub worst_risk: Option<String>,
    pub baseline: String,
    pub restricted: String,
    /// The seccomp policy's fingerprint; null when its verdicts were not
    /// probed.
    pub policy: Option<String>,
}

/// Reports with one policy.
#[derive(Debug, Serialize)]
pub struct Policy {
    pub fingerprint: String,
    /// The profile the first of them names.
    pub profile: String,
    pub reports: Vec<String>,
}

#[derive(Debug, Serialize)]
pub struct Fleet {
    pub schema_version: u32,
    pub reports: Vec<Row>,
    pub policies: Vec<Policy>,
}

/// The report files `paths` name: files as given, directories' `*.json`
/// files in name order.
pub fn files(paths: &[PathBuf]) -> Result<Vec<PathBuf>, String> {
    let mut out = Vec::new();
    for p in paths {
        if p.is_dir() {
            let mut found: Vec<PathBuf> = std::fs::read_dir(p)
                .map_err(|e| format!("{}: {e}", p.display()))?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|f| f.extension().is_some_and(|x| x == "json") && f.is_file())
                .collect();
            crate::sort::sort(&mut found);
            out.extend(found);
        } else {
            out.push(p.clone());
        }
    }
    if out.is_empty() {
        return Err("no report files".to_string());
    }
    Ok(out)
}

/// A stable fingerprint of the policy's verdicts: FNV-1a (64 bits) over
/// one line per probed call and per argument probe (entry point, number,
/// verdict and its data, the all-ones verdict), in sorted order; 16 hex
/// digits. How the verdicts were learned and how long it took are left
/// out. None when nothing was probed.
pub fn fingerprint(r: &Value) -> Option<String> {
    let probe = at(r, "seccomp.probe")?;
    if !matches!(
        probe.get("method").and_then(Value::as_str),
        Some("notify" | "direct")
    ) {
        return None;
    }
    let mut lines: Vec<String> = Vec::new();
    let outcome = |x: &Value| {
        format!(
            "{} {} {}",
            text(x.get("verdict"), "-"),
            text(x.get("errno"), "-"),
            text(x.get("trap_data"), "-")
        )
    };
    for x in probe
        .get("results")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let ones = x
            .get("all_ones")
            .filter(|v| !v.is_null())
            .map(outcome)
            .unwrap_or_default();
        lines.push(format!(
            "{} {} {} {ones}",
            text(x.get("abi"), "-"),
            text(x.get("nr"), "-"),
            outcome(x)
        ));
    }
    for x in probe
        .get("arg_probes")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        lines.push(format!(
            "{} {} {}",
            text(x.get("abi"), "-"),
            text(x.get("label"), "-"),
            outcome(x)
        ));
    }
    crate::sort::sort(&mut lines);
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for line in &lines {
        for b in line.bytes().chain([b'\n']) {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    Some(format!("{h:016x}"))
}

fn string(r: &Value, path: &str) -> Option<String> {
    at(r, path).and_then(Value::as_str).map(str::to_string)
}

/// The row of the report `r`, read from `file`.
pub fn row(file: &str, r: &Value) -> Row {
    let runtime = string(r, "runtime.name").unwrap_or_else(|| "unknown".to_string());
    let default: Vec<String> = if runtime == "podman" {
        PODMAN_DEFAULT.iter().map(ToString::to_string).collect()
    } else {
        DOCKER_DEFAULT.iter().map(ToString::to_string).collect()
    };
    let extra = at(r, "capabilities.effective")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|c| text(Some(c), "?"))
        .filter(|c| !default.contains(c))
        .collect();
    let pod = string(r, "subject.pod").or_else(|| string(r, "kubernetes.pod_name"));
    let ns = string(r, "subject.namespace").or_else(|| string(r, "kubernetes.namespace"));
    let risk = at(r, "assessment.risks.0").map(|x| {
        format!(
            "{} {}",
            text(x.get("severity"), "?"),
            text(x.get("id"), "?")
        )
    });
    Row {
        file: file.to_string(),
        hostname: string(r, "subject.hostname").or_else(|| string(r, "identity.hostname")),
        pod: pod.map(|p| match ns {
            Some(ns) => format!("{ns}/{p}"),
            None => p,
        }),
        container_id: string(r, "subject.container_id"),
        time: string(r, "subject.time"),
        runtime,
        profile: string(r, "seccomp.profile.title").unwrap_or_else(|| "not probed".to_string()),
        extra_capabilities: extra,
        no_new_privs: at(r, "seccomp.no_new_privs").and_then(Value::as_bool),
        read_only_root: at(r, "mounts.root.read_only").and_then(Value::as_bool),
        worst_risk: risk,
        baseline: string(r, "assessment.pod_security.baseline").unwrap_or_else(|| "unknown".into()),
        restricted: string(r, "assessment.pod_security.restricted")
            .unwrap_or_else(|| "unknown".into()),
        policy: fingerprint(r),
    }
}

/// The fleet of the reports at `paths`. `Err`: a file that is no report.
pub fn gather(paths: &[PathBuf]) -> Result<Fleet, String> {
    let mut reports = Vec::new();
    for f in files(paths)? {
        let loaded = read::load(&f)?;
        reports.push(row(&loaded.name, &loaded.value));
    }
    let mut policies: Vec<Policy> = Vec::new();
    for r in &reports {
        let Some(fp) = &r.policy else { continue };
        match policies.iter_mut().find(|p| p.fingerprint == *fp) {
            Some(p) => p.reports.push(r.file.clone()),
            None => policies.push(Policy {
                fingerprint: fp.clone(),
                profile: r.profile.clone(),
                reports: vec![r.file.clone()],
            }),
        }
    }
    // Most widespread first; equal ones in the order first seen.
    crate::sort::sort_by_key(&mut policies, |p| std::cmp::Reverse(p.reports.len()));
    Ok(Fleet {
        schema_version: crate::model::SCHEMA_VERSION,
        reports,
        policies,
    })
}

const HEAD: [&str; 13] = [
    "report",
    "host",
    "pod",
    "container",
    "time",
    "runtime",
    "profile",
    "caps beyond default",
    "nnp",
    "ro root",
    "worst risk",
    "baseline",
    "restricted",
];

/// A row's cells, in [`HEAD`]'s order, and its policy last.
fn cells(r: &Row) -> Vec<String> {
    let opt = |o: &Option<String>| o.clone().unwrap_or_else(|| "-".to_string());
    let yes = |b: Option<bool>| match b {
        Some(true) => "yes",
        Some(false) => "no",
        None => "?",
    };
    let short = r
        .container_id
        .as_deref()
        .map(|id| id.get(..12).unwrap_or(id).to_string());
    let caps: Vec<&str> = r
        .extra_capabilities
        .iter()
        .map(|c| c.trim_start_matches("CAP_"))
        .collect();
    vec![
        r.file.clone(),
        opt(&r.hostname),
        opt(&r.pod),
        opt(&short),
        opt(&r.time),
        r.runtime.clone(),
        r.profile.clone(),
        if caps.is_empty() {
            "-".to_string()
        } else {
            caps.join(" ")
        },
        yes(r.no_new_privs).to_string(),
        yes(r.read_only_root).to_string(),
        opt(&r.worst_risk),
        r.baseline.clone(),
        r.restricted.clone(),
        r.policy
            .as_deref()
            .map_or("-".to_string(), |p| p[..p.len().min(8)].to_string()),
    ]
}

/// A cell made safe: control characters shown, never sent; for CSV a
/// leading `=`, `+`, `-` or `@` (a formula to a spreadsheet) is quoted
/// away, for markdown a `|` escaped.
fn safe(s: &str, format: Format) -> String {
    let s = crate::render::writer::untrusted(s).into_owned();
    match format {
        Format::Csv => {
            let s = if s.starts_with(['=', '+', '-', '@']) && s != "-" {
                format!("'{s}")
            } else {
                s
            };
            if s.contains([',', '"', '\n']) {
                format!("\"{}\"", s.replace('"', "\"\""))
            } else {
                s
            }
        }
        Format::Markdown => s.replace('|', "\\|"),
        _ => s,
    }
}

pub fn write(out: &mut impl Write, f: &Fleet, format: Format) -> io::Result<()> {
    let mut head: Vec<String> = HEAD.iter().map(|h| h.to_string()).collect();
    head.push("policy".to_string());
    let rows: Vec<Vec<String>> = f
        .reports
        .iter()
        .map(|r| cells(r).iter().map(|c| safe(c, format)).collect())
        .collect();
    match format {
        Format::Json => return crate::render::json::write_report(out, f),
        Format::Csv => {
            // The full fingerprint, for joining with the JSON.
            for (i, line) in std::iter::once(&head).chain(&rows).enumerate() {
                let mut line = line.clone();
                if i > 0 {
                    let fp = f.reports[i - 1].policy.clone().unwrap_or_default();
                    if let Some(last) = line.last_mut() {
                        *last = fp;
                    }
                }
                writeln!(out, "{}", line.join(","))?;
            }
            return Ok(());
        }
        Format::Markdown => {
            writeln!(out, "| {} |", head.join(" | "))?;
            writeln!(out, "|{}", "---|".repeat(head.len()))?;
            for r in &rows {
                writeln!(out, "| {} |", r.join(" | "))?;
            }
            writeln!(out)?;
        }
        Format::Table => {
            let mut widths: Vec<usize> = head.iter().map(|h| h.chars().count()).collect();
            for r in &rows {
                for (w, c) in widths.iter_mut().zip(r) {
                    *w = (*w).max(c.chars().count());
                }
            }
            for r in std::iter::once(&head).chain(&rows) {
                let mut line = String::new();
                for (c, w) in r.iter().zip(&widths) {
                    line.push_str(c);
                    line.push_str(&" ".repeat(w - c.chars().count() + 2));
                }
                writeln!(out, "{}", line.trim_end())?;
            }
            writeln!(out)?;
        }
    }
    let n = f.policies.len();
    let counted = f.reports.iter().filter(|r| r.policy.is_some()).count();
    writeln!(
        out,
        "{n} distinct seccomp {} across {counted} probed reports (of {})",
        if n == 1 { "policy" } else { "policies" },
        f.reports.len()
    )?;
    for p in &f.policies {
        let members: Vec<String> = p.reports.iter().map(|m| safe(m, format)).collect();
        let bullet = if format == Format::Markdown {
            "- "
        } else {
            "  "
        };
        writeln!(
            out,
            "{bullet}{} {} ({}): {}",
            &p.fingerprint[..8],
            safe(&p.profile, format),
            p.reports.len(),
            members.join(", ")
        )?;
    }
    Ok(())
}

/// Runs `whatami fleet`: 0 printed, 2 a file that is no report.
pub fn main(paths: &[PathBuf], format: Format) -> u8 {
    use crate::exit;
    use crate::linux::io::{Out, warn};
    let fleet = match gather(paths) {
        Ok(f) => f,
        Err(e) => {
            warn(&format!("whatami: {e}"));
            return exit::USAGE;
        }
    };
    // Every write bounded (linux/io.rs); the text formats through the
    // sanitising sink (the cells are made safe already), JSON and CSV exact.
    let mut out = io::BufWriter::with_capacity(64 << 10, Out::stdout());
    let written = match format {
        Format::Json | Format::Csv => write(&mut out, &fleet, format),
        Format::Table | Format::Markdown => write(
            &mut crate::render::Clean::new(&mut out, false),
            &fleet,
            format,
        ),
    };
    match written.and_then(|_| out.flush()) {
        Ok(()) => exit::OK,
        Err(e) => {
            if e.kind() != io::ErrorKind::BrokenPipe {
                warn(&format!("whatami fleet: {e}"));
            }
            exit::FAILED
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn report(mkdir: &str, method: &str) -> Value {
        json!({"seccomp": {"no_new_privs": false, "probe": {"method": method, "results": [
            {"abi": "x86_64", "nr": 83, "name": "mkdir", "verdict": mkdir, "errno": 1,
             "trap_data": null, "method": method, "confidence": "exact"}], "arg_probes": []}},
            "runtime": {"name": "podman"},
            "assessment": {"risks": [{"severity": "high", "id": "runtime_socket"}]},
            "capabilities": {"effective": ["CAP_CHOWN", "CAP_SYS_ADMIN"]},
            "subject": {"hostname": "=cmd|x", "container_id": "ab".repeat(32)}})
    }

    #[test]
    fn one_fingerprint_per_policy_whatever_probed_it() {
        let (a, b) = (report("errno", "notify"), report("errno", "direct"));
        assert_eq!(fingerprint(&a), fingerprint(&b));
        assert_ne!(fingerprint(&a), fingerprint(&report("allowed", "notify")));
        assert_eq!(fingerprint(&report("errno", "none")), None);
        assert_eq!(fingerprint(&a).unwrap().len(), 16);
    }

    #[test]
    fn rows_name_the_extra_capabilities_and_cells_are_safe() {
        let r = row("a.json", &report("errno", "notify"));
        assert_eq!(r.extra_capabilities, ["CAP_SYS_ADMIN"]);
        assert_eq!(r.profile, "not probed");
        assert_eq!(r.worst_risk.as_deref(), Some("high runtime_socket"));
        let f = Fleet {
            schema_version: 1,
            reports: vec![r],
            policies: vec![],
        };
        let mut csv = Vec::new();
        write(&mut csv, &f, Format::Csv).unwrap();
        let csv = String::from_utf8(csv).unwrap();
        assert!(csv.lines().nth(1).unwrap().contains(",'=cmd|x,"), "{csv}");
        let mut md = Vec::new();
        write(&mut md, &f, Format::Markdown).unwrap();
        assert!(String::from_utf8(md).unwrap().contains("=cmd\\|x"));
    }
}
