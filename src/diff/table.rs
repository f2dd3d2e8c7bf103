//! What `diff` compares, as a table: each row a JSON path of the report,
//! the words a user reads for it, its group (the groups in order of
//! consequence: what the container may do first, where it runs last) and
//! how its two values are compared. The reports are walked as
//! `serde_json::Value`s: typed structs with derived readers per section
//! cost tens of kilobytes of the binary, this table a few.
//!
//! The seccomp verdicts are compared per entry point and call, by name
//! (seccomp.rs); everything else goes through [`ROWS`].

use serde::Serialize;
use serde_json::Value;

/// One difference between report A and report B.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Change {
    /// Its group ("seccomp", "capabilities", "namespaces", ...).
    pub group: &'static str,
    /// What differs, e.g. "net namespace", "x86_64 blocked".
    pub what: String,
    /// A value in each report (absent for a list).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub a: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub b: Option<String>,
    /// Items of a list only in A, only in B.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub only_a: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub only_b: Vec<String>,
    /// Items in both whose value differs ("mkdir: EPERM -> ENOSYS").
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub changed: Vec<String>,
}

impl Change {
    pub fn value(group: &'static str, what: String, a: String, b: String) -> Change {
        Change {
            group,
            what,
            a: Some(a),
            b: Some(b),
            only_a: vec![],
            only_b: vec![],
            changed: vec![],
        }
    }

    pub fn items(
        group: &'static str,
        what: String,
        only_a: Vec<String>,
        only_b: Vec<String>,
    ) -> Change {
        Change {
            group,
            what,
            a: None,
            b: None,
            only_a,
            only_b,
            changed: vec![],
        }
    }
}

/// How a row's two values are compared and shown.
#[derive(Clone, Copy)]
pub enum How {
    /// Equal or not; null shown as the word given.
    Plain(&'static str),
    /// A bool, shown as the first word for true, the second for false
    /// (null: "unknown").
    Flag(&'static str, &'static str),
    /// A list: items only in A, only in B.
    Set,
    /// A list of objects, each named by the first field, its value the
    /// second (absent: the whole object is the value).
    Keyed(&'static str, Option<&'static str>),
}

/// A row: group, path, what it is called, how it is compared.
pub type Row = (&'static str, &'static str, &'static str, How);

use How::*;

/// The groups, in order of consequence.
pub const GROUPS: &[&str] = &[
    "verdict",
    "seccomp",
    "capabilities",
    "identity",
    "namespaces",
    "user namespace",
    "mounts",
    "lsm",
    "cgroups",
    "kernel limits",
    "runtime",
    "kubernetes",
    "pod security",
];

/// Every compared path but the seccomp verdicts, group by group.
pub const ROWS: &[Row] = &[
    ("verdict", "assessment.summary", "verdict", Plain("unknown")),
    (
        "verdict",
        "assessment.risks",
        "risk",
        Keyed("id", Some("text")),
    ),
    ("seccomp", "seccomp.mode", "mode", Plain("unknown")),
    ("seccomp", "seccomp.filters", "filters", Plain("unknown")),
    (
        "seccomp",
        "seccomp.no_new_privs",
        "no_new_privs",
        Flag("yes", "no"),
    ),
    (
        "seccomp",
        "seccomp.profile.title",
        "profile",
        Plain("not named"),
    ),
    ("capabilities", "capabilities.effective", "effective", Set),
    ("capabilities", "capabilities.permitted", "permitted", Set),
    (
        "capabilities",
        "capabilities.inheritable",
        "inheritable",
        Set,
    ),
    ("capabilities", "capabilities.bounding", "bounding", Set),
    ("capabilities", "capabilities.ambient", "ambient", Set),
    (
        "identity",
        "identity.uid.effective",
        "uid",
        Plain("unknown"),
    ),
    (
        "identity",
        "identity.gid.effective",
        "gid",
        Plain("unknown"),
    ),
    ("identity", "identity.groups", "groups", Set),
    (
        "namespaces",
        "namespaces.cgroup.host",
        "cgroup",
        Flag("host", "private"),
    ),
    (
        "namespaces",
        "namespaces.ipc.host",
        "ipc",
        Flag("host", "private"),
    ),
    (
        "namespaces",
        "namespaces.mnt.host",
        "mnt",
        Flag("host", "private"),
    ),
    (
        "namespaces",
        "namespaces.net.host",
        "net",
        Flag("host", "private"),
    ),
    (
        "namespaces",
        "namespaces.pid.host",
        "pid",
        Flag("host", "private"),
    ),
    (
        "namespaces",
        "namespaces.time.host",
        "time",
        Flag("host", "private"),
    ),
    (
        "namespaces",
        "namespaces.user.host",
        "user",
        Flag("host", "private"),
    ),
    (
        "namespaces",
        "namespaces.uts.host",
        "uts",
        Flag("host", "private"),
    ),
    (
        "user namespace",
        "user_namespace.uid_map",
        "uid_map",
        Plain("none"),
    ),
    (
        "user namespace",
        "user_namespace.gid_map",
        "gid_map",
        Plain("none"),
    ),
    (
        "user namespace",
        "user_namespace.root_is_host_root",
        "uid 0",
        Flag("the host's root", "not the host's root"),
    ),
    (
        "mounts",
        "mounts.root.read_only",
        "root",
        Flag("read-only", "writable"),
    ),
    ("mounts", "mounts.root.fs_type", "root fs", Plain("unknown")),
    (
        "mounts",
        "mounts.pseudo",
        "writable",
        Keyed("path", Some("writable")),
    ),
    ("mounts", "mounts.masked", "", Keyed("path", Some("state"))),
    (
        "mounts",
        "mounts.sockets",
        "socket",
        Keyed("path", Some("runtime")),
    ),
    (
        "mounts",
        "mounts.host_paths",
        "host path at",
        Keyed("mount_point", Some("host_path")),
    ),
    (
        "mounts",
        "mounts.devices.notable",
        "device",
        Keyed("path", Some("what")),
    ),
    (
        "mounts",
        "mounts.devices.block",
        "block device",
        Keyed("path", Some("what")),
    ),
    ("lsm", "lsm.apparmor.profile", "AppArmor", Plain("none")),
    ("lsm", "lsm.apparmor.mode", "AppArmor mode", Plain("none")),
    ("lsm", "lsm.selinux.context", "SELinux", Plain("none")),
    ("lsm", "lsm.active", "active LSMs", Set),
    ("cgroups", "cgroups.version", "version", Plain("unknown")),
    (
        "cgroups",
        "cgroups.private_namespace",
        "namespace",
        Flag("private", "the host's"),
    ),
    (
        "cgroups",
        "cgroups.limits.memory.max",
        "memory limit",
        Plain("none"),
    ),
    (
        "cgroups",
        "cgroups.limits.pids.max",
        "pids limit",
        Plain("none"),
    ),
    (
        "cgroups",
        "cgroups.limits.cpu.cpus",
        "cpu limit",
        Plain("none"),
    ),
    ("cgroups", "cgroups.writable", "writable", Set),
    (
        "cgroups",
        "cgroups.release_agent",
        "release_agent",
        Plain("none"),
    ),
    (
        "cgroups",
        "cgroups.devices_allow_all",
        "devices",
        Flag("all allowed", "restricted"),
    ),
    (
        "kernel limits",
        "kernel_limits.sysctls",
        "",
        Keyed("name", Some("value")),
    ),
    (
        "kernel limits",
        "kernel_limits.lockdown",
        "lockdown",
        Plain("unknown"),
    ),
    (
        "kernel limits",
        "kernel_limits.landlock.abi",
        "Landlock ABI",
        Plain("none"),
    ),
    (
        "kernel limits",
        "kernel_limits.selinux_enforcing",
        "SELinux",
        Flag("enforcing", "not enforcing"),
    ),
    (
        "kernel limits",
        "kernel_limits.apparmor_enabled",
        "AppArmor",
        Flag("enabled", "disabled"),
    ),
    ("runtime", "runtime.name", "runtime", Plain("unknown")),
    ("runtime", "runtime.detected", "detected", Set),
    (
        "runtime",
        "system.kernel_release",
        "kernel",
        Plain("unknown"),
    ),
    ("kubernetes", "kubernetes.pod", "pod", Flag("yes", "no")),
    (
        "kubernetes",
        "kubernetes.namespace",
        "namespace",
        Plain("none"),
    ),
    (
        "kubernetes",
        "kubernetes.service_account",
        "service account",
        Plain("none"),
    ),
    (
        "pod security",
        "assessment.pod_security.baseline",
        "baseline",
        Plain("unknown"),
    ),
    (
        "pod security",
        "assessment.pod_security.restricted",
        "restricted",
        Plain("unknown"),
    ),
    (
        "pod security",
        "assessment.pod_security.controls",
        "",
        Keyed("id", Some("status")),
    ),
];

/// The value at a dotted `path`, if every step is there; a number steps
/// into an array.
pub fn at<'a>(v: &'a Value, path: &str) -> Option<&'a Value> {
    path.split('.')
        .try_fold(v, |v, key| match (v, key.parse::<usize>()) {
            (Value::Array(a), Ok(i)) => a.get(i),
            _ => v.get(key),
        })
}

/// The error of the section `path` lies in, when it could not be gathered.
pub fn section_error<'a>(v: &'a Value, path: &str) -> Option<&'a str> {
    let section = path.split('.').next()?;
    at(v, section)?.get("error")?.as_str()
}

/// A value in words: strings as they are, numbers, JSON for the rest.
pub fn text(v: Option<&Value>, null: &str) -> String {
    match v {
        None | Some(Value::Null) => null.to_string(),
        Some(Value::String(s)) => s.clone(),
        Some(Value::Bool(b)) => if *b { "yes" } else { "no" }.to_string(),
        Some(Value::Object(o)) => match o.get("error").and_then(Value::as_str) {
            Some(e) => format!("not gathered ({e})"),
            None => {
                let fields: Vec<String> = o
                    .iter()
                    .map(|(k, v)| format!("{k} {}", text(Some(v), "null")))
                    .collect();
                format!("{{{}}}", fields.join(", "))
            }
        },
        Some(Value::Array(a)) => {
            let items: Vec<String> = a.iter().map(|v| text(Some(v), "null")).collect();
            format!("[{}]", items.join(", "))
        }
        Some(Value::Number(n)) => n.to_string(),
    }
}

/// A list's items in words (a value that is no list: one item).
fn items(v: Option<&Value>) -> Vec<String> {
    match v {
        None | Some(Value::Null) => vec![],
        Some(Value::Array(a)) => a.iter().map(|x| text(Some(x), "null")).collect(),
        Some(v) => vec![text(Some(v), "null")],
    }
}

/// A keyed list as (key, value in words) pairs, sorted by key. A vector,
/// not a B-tree map: each map type is its own copy of the tree's code in
/// the binary. Looked up by binary search, so that a report of a million
/// items costs n log n, not n squared.
fn keyed(v: Option<&Value>, key: &str, field: Option<&str>) -> Vec<(String, String)> {
    let Some(Value::Array(list)) = v else {
        return Vec::new();
    };
    let mut out: Vec<(String, String)> = list
        .iter()
        .map(|o| {
            let value = match field {
                Some(f) => text(o.get(f), "unknown"),
                None => text(Some(o), "unknown"),
            };
            (text(o.get(key), "?"), value)
        })
        .collect();
    crate::sort::sort_by(&mut out, |x, y| x.0.cmp(&y.0));
    out
}

/// The value of `key` in a keyed list.
fn lookup<'a>(list: &'a [(String, String)], key: &str) -> Option<&'a String> {
    let i = list.binary_search_by(|(k, _)| k.as_str().cmp(key)).ok()?;
    Some(&list[i].1)
}

/// The items of `list` that `other` (sorted) lacks, in `list`'s order.
fn missing(list: &[String], other: &[String]) -> Vec<String> {
    list.iter()
        .filter(|x| other.binary_search(x).is_err())
        .cloned()
        .collect()
}

/// The rows' differences between `a` and `b`, in table order; a section
/// gathered in one report only is one difference, a section gathered in
/// neither is left out (and said in `notes`).
pub fn compare_rows(a: &Value, b: &Value, changes: &mut Vec<Change>, notes: &mut Vec<String>) {
    let mut seen_failed: Vec<&str> = Vec::new();
    for &(group, path, label, how) in ROWS {
        let section = path.split('.').next().unwrap_or(path);
        match (section_error(a, path), section_error(b, path)) {
            (None, None) => {}
            (ea, eb) => {
                if !seen_failed.contains(&section) {
                    seen_failed.push(section);
                    let said = |e: Option<&str>| match e {
                        Some(e) => format!("not gathered ({e})"),
                        None => "gathered".to_string(),
                    };
                    if ea.is_some() && eb.is_some() {
                        notes.push(format!("{section}: gathered in neither report"));
                    } else {
                        changes.push(Change::value(
                            group,
                            section.to_string(),
                            said(ea),
                            said(eb),
                        ));
                    }
                }
                continue;
            }
        }
        let (va, vb) = (at(a, path), at(b, path));
        match how {
            Plain(null) => {
                let (ta, tb) = (text(va, null), text(vb, null));
                if ta != tb {
                    changes.push(Change::value(group, label.to_string(), ta, tb));
                }
            }
            Flag(yes, no) => {
                let word =
                    |v: Option<&serde_json::Value>| match v.and_then(serde_json::Value::as_bool) {
                        Some(true) => yes.to_string(),
                        Some(false) => no.to_string(),
                        None => text(v, "unknown"),
                    };
                let (ta, tb) = (word(va), word(vb));
                if ta != tb {
                    changes.push(Change::value(group, label.to_string(), ta, tb));
                }
            }
            Set => {
                let (ia, ib) = (items(va), items(vb));
                let (mut sa, mut sb) = (ia.clone(), ib.clone());
                crate::sort::sort(&mut sa);
                crate::sort::sort(&mut sb);
                let (only_a, only_b) = (missing(&ia, &sb), missing(&ib, &sa));
                if !only_a.is_empty() || !only_b.is_empty() {
                    changes.push(Change::items(group, label.to_string(), only_a, only_b));
                }
            }
            Keyed(key, field) => {
                let (ka, kb) = (keyed(va, key, field), keyed(vb, key, field));
                // In name order, whichever report has them: B A lists as A B.
                let mut keys: Vec<&String> = ka.iter().chain(&kb).map(|(k, _)| k).collect();
                crate::sort::sort(&mut keys);
                keys.dedup();
                for k in keys {
                    let (xa, xb) = (lookup(&ka, k), lookup(&kb, k));
                    if xa != xb {
                        let what = if label.is_empty() {
                            k.clone()
                        } else {
                            format!("{label} {k}")
                        };
                        let absent = || "absent".to_string();
                        changes.push(Change::value(
                            group,
                            what,
                            xa.cloned().unwrap_or_else(absent),
                            xb.cloned().unwrap_or_else(absent),
                        ));
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn changes(a: Value, b: Value) -> (Vec<Change>, Vec<String>) {
        let (mut c, mut n) = (vec![], vec![]);
        compare_rows(&a, &b, &mut c, &mut n);
        (c, n)
    }

    #[test]
    fn every_row_s_group_is_a_group() {
        for (group, path, _, _) in ROWS {
            assert!(GROUPS.contains(group), "{path}: {group}");
        }
    }

    #[test]
    fn values_flags_sets_and_keyed_lists_differ_as_said() {
        let a = json!({
            "seccomp": {"no_new_privs": false},
            "capabilities": {"effective": ["CAP_CHOWN", "CAP_KILL"]},
            "namespaces": {"net": {"host": false}},
            "mounts": {"masked": [{"path": "/proc/kcore", "state": "masked"}]},
            "cgroups": {"limits": {"pids": {"max": null}}},
        });
        let b = json!({
            "seccomp": {"no_new_privs": true},
            "capabilities": {"effective": ["CAP_KILL", "CAP_SYS_ADMIN"]},
            "namespaces": {"net": {"host": true}},
            "mounts": {"masked": [{"path": "/proc/kcore", "state": "exposed"}],
                       "sockets": [{"path": "/run/docker.sock", "runtime": "docker"}]},
            "cgroups": {"limits": {"pids": {"max": 2048}}},
        });
        let (c, n) = changes(a.clone(), b);
        assert!(n.is_empty());
        let find = |what: &str| {
            c.iter()
                .find(|x| x.what == what)
                .unwrap_or_else(|| panic!("{what}: {c:?}"))
        };
        assert_eq!(find("no_new_privs").b.as_deref(), Some("yes"));
        assert_eq!(find("effective").only_a, ["CAP_CHOWN"]);
        assert_eq!(find("effective").only_b, ["CAP_SYS_ADMIN"]);
        assert_eq!(find("net").a.as_deref(), Some("private"));
        assert_eq!(find("net").b.as_deref(), Some("host"));
        assert_eq!(find("/proc/kcore").b.as_deref(), Some("exposed"));
        assert_eq!(find("socket /run/docker.sock").a.as_deref(), Some("absent"));
        assert_eq!(find("pids limit").a.as_deref(), Some("none"));
        assert_eq!(changes(a.clone(), a).0, vec![]);
    }

    #[test]
    fn a_section_gathered_in_one_report_only_is_one_difference() {
        let a = json!({"capabilities": {"error": "no status"}});
        let b = json!({"capabilities": {"effective": ["CAP_KILL"]}});
        let (c, _) = changes(a.clone(), b);
        assert_eq!(c.len(), 1);
        assert_eq!(c[0].a.as_deref(), Some("not gathered (no status)"));
        let (c, n) = changes(a.clone(), a);
        assert!(c.is_empty());
        assert_eq!(n, ["capabilities: gathered in neither report"]);
    }

    #[test]
    fn long_lists_are_matched_by_key_not_pairwise() {
        // 50,000 items a side: pairwise matching would be 2.5 * 10^9 steps.
        let n = 50_000;
        let list = |last: &str| {
            let mut v: Vec<Value> = (0..n)
                .map(|i| json!({"path": format!("/p{i}"), "state": "masked"}))
                .collect();
            v[n - 1] = json!({"path": format!("/p{}", n - 1), "state": last});
            Value::Array(v)
        };
        let caps = |extra: &str| {
            let mut v: Vec<String> = (0..n).map(|i| format!("CAP_{i}")).collect();
            v.push(extra.to_string());
            v
        };
        let a =
            json!({"mounts": {"masked": list("masked")}, "capabilities": {"effective": caps("A")}});
        let b = json!({"mounts": {"masked": list("exposed")}, "capabilities": {"effective": caps("B")}});
        let (c, _) = changes(a, b);
        assert_eq!(c.len(), 2, "{:?}", &c[..c.len().min(3)]);
        assert_eq!(
            (c[0].only_a.as_slice(), c[0].only_b.as_slice()),
            (&["A".to_string()][..], &["B".to_string()][..])
        );
        assert_eq!(c[1].b.as_deref(), Some("exposed"));
    }

    #[test]
    fn odd_values_are_words_not_a_panic() {
        let a = json!({"capabilities": {"effective": 7}, "mounts": {"masked": [1, "x", null]}});
        let b =
            json!({"capabilities": {"effective": {"x": [1]}}, "mounts": {"masked": {"path": 1}}});
        let (c, _) = changes(a, b);
        assert!(!c.is_empty());
    }
}
