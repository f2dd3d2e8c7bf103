//! The calls a recording saw, and the profile that allows exactly them: written in
//! the Docker, OCI and Kubernetes formats, and read back (with the counts) to merge
//! several recordings.
//!
//! The counts ride where every consumer accepts them unchanged: the `comment` of
//! each rule (moby's format has it; dockerd, podman, runc and crun ignore it in an
//! OCI `linux.seccomp` too), and for a `SeccompProfile` object, whose schema
//! rejects unknown fields, the annotation [`COMMENTS`]: the same comments, one per
//! rule, as a JSON list.

use crate::linux::abi;
use crate::profile::read::{self, Error};
use crate::profile::resolve::scmp_arch;
use crate::profile::{Action, ArgCmp, Op, Profile};
use serde::Serialize;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

/// The annotation of a `SeccompProfile` object that holds the rules' comments.
pub const COMMENTS: &str = "whatami/comments";
/// Every comment whatami writes starts so; counts follow as `abi=N`.
const SEEN: &str = "seen ";
/// CLONE_NEWNS and CLONE_NEWCGROUP to CLONE_NEWNET: the bits Docker's profile
/// masks clone's flags with.
pub(crate) const CLONE_NS_MASK: u64 = 0x7E02_0000;
/// unshare also takes CLONE_NEWTIME (0x80, an exit-signal bit for clone).
pub(crate) const UNSHARE_NS_MASK: u64 = CLONE_NS_MASK | 0x80;
const ENOSYS: u32 = 38;

/// The calls runc 1.1 and crun 1.8 make in the container's process between
/// installing the filter and executing the command: the filter must allow them or
/// the container never starts. Measured with strace on both runtimes, with and
/// without no_new_privs (without it the filter comes before the change of user
/// and capabilities, so the list is longest); runc's are its Go runtime's too.
/// pselect6: crun waits for `crun start` (as podman runs it) after installing
/// the filter; found by podman failing without it. write: crun then writes to
/// its sync pipe, and exit_group ends a runtime process that fails; both are
/// found by a program that makes no call of its own but getpid and exit
/// (tests/record.rs, scripts/e2e/record.sh), which no runtime could start
/// without them.
pub(crate) const RUNTIME_CALLS: [&str; 30] = [
    "capget",
    "capset",
    "chdir",
    "close",
    "epoll_ctl",
    "execve",
    "exit_group",
    "faccessat2",
    "fcntl",
    "fstat",
    "fstatfs",
    "futex",
    "getcwd",
    "getdents64",
    "getpid",
    "getppid",
    "newfstatat",
    "openat",
    "prctl",
    "pselect6",
    "read",
    "rt_sigaction",
    "rt_sigprocmask",
    "rt_sigreturn",
    "setgid",
    "setgroups",
    "setresgid",
    "setresuid",
    "setuid",
    "write",
];
const RUNTIME_NOTE: &str = "runc and crun make this call after installing the filter";

/// The calls whose arguments a recording keeps, and which arguments: those the
/// runtimes' profiles have rules on (namespace flags, personality values, socket
/// families and protocols).
pub(crate) fn arg_key(name: &str, a: &[u64; 6]) -> Option<[u64; 6]> {
    match name {
        "clone" | "unshare" | "personality" => Some([a[0], 0, 0, 0, 0, 0]),
        "socket" => Some([a[0], a[1], a[2], 0, 0, 0]),
        _ => None,
    }
}

/// What one or more recordings saw. Entry points are named as the report names
/// them ("x86_64", "i386", "x32", "aarch64").
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Seen {
    /// (entry point, name) to calls.
    pub calls: BTreeMap<(String, String), u64>,
    /// (entry point, name, the arguments `arg_key` keeps) to calls.
    pub tuples: BTreeMap<(String, String, [u64; 6]), u64>,
    /// Names a merged profile allows whatever the arguments: they stay so.
    pub unconditional: BTreeSet<String>,
    /// Architectures a merged profile lists (SCMP_ARCH_*).
    pub arches: BTreeSet<String>,
}

impl Seen {
    pub(crate) fn add(&mut self, abi: &str, name: &str, count: u64) {
        *self
            .calls
            .entry((abi.to_string(), name.to_string()))
            .or_insert(0) += count;
    }

    pub(crate) fn add_tuple(&mut self, abi: &str, name: &str, key: [u64; 6], count: u64) {
        *self
            .tuples
            .entry((abi.to_string(), name.to_string(), key))
            .or_insert(0) += count;
    }

    /// Adds what a profile written by [`write`] (or any profile: its allowed
    /// names, without counts) allows. `text` is the file's content.
    pub fn merge_text(&mut self, text: &str) -> Result<(), Error> {
        let r = read::parse(text)?;
        let comments = comments_of(text);
        let native = abi::native().name;
        let p: &Profile = &r.profile;
        self.arches.extend(p.architectures.iter().cloned());
        for e in &p.arch_map {
            self.arches.insert(e.architecture.clone());
            self.arches.extend(e.sub_architectures.iter().cloned());
        }
        for (i, rule) in p.rules.iter().enumerate() {
            if rule.action != Action::Allow {
                continue;
            }
            let counts = comments.get(i).map(|c| parse_counts(c)).unwrap_or_default();
            let counts = if counts.is_empty() {
                vec![(native.to_string(), 0)]
            } else {
                counts
            };
            let key = tuple_of(&rule.args);
            for name in &rule.names {
                for (a, n) in &counts {
                    self.add(a, name, *n);
                    if let Some(k) = key {
                        self.add_tuple(a, name, k, *n);
                    }
                }
                if key.is_none() {
                    self.unconditional.insert(name.to_string());
                }
            }
        }
        Ok(())
    }

    /// The count of `name` on every entry point.
    fn counts_of(&self, name: &str) -> Vec<(&str, u64)> {
        self.calls
            .iter()
            .filter(|((_, n), _)| n == name)
            .map(|((a, _), c)| (a.as_str(), *c))
            .collect()
    }
}

/// The arguments an allow rule of [`write`] compares, as [`arg_key`] keeps them;
/// `None` for a rule without comparisons or with others than EQ and MASKED_EQ.
fn tuple_of(args: &[ArgCmp]) -> Option<[u64; 6]> {
    if args.is_empty() {
        return None;
    }
    let mut key = [0u64; 6];
    for c in args {
        let slot = key.get_mut(c.index as usize)?;
        *slot = match c.op {
            Op::Eq => c.value,
            Op::MaskedEq => c.value_two,
            _ => return None,
        };
    }
    Some(key)
}

/// The comment of each rule, in order ("" where there is none), from the file's
/// text: the rules' `comment` fields, or a SeccompProfile's [`COMMENTS`].
fn comments_of(text: &str) -> Vec<String> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let value: Option<Value> = if text.trim_start().starts_with('{') {
        serde_json::from_str(text).ok()
    } else {
        crate::profile::yaml::parse(text)
            .ok()
            .and_then(|docs| docs.into_iter().next().map(|d| d.value))
    };
    let Some(v) = value else {
        return Vec::new();
    };
    if v.get("kind").and_then(Value::as_str) == Some("SeccompProfile") {
        return v
            .pointer("/metadata/annotations")
            .and_then(|a| a.get(COMMENTS))
            .and_then(Value::as_str)
            .and_then(|s| serde_json::from_str::<Vec<String>>(s).ok())
            .unwrap_or_default();
    }
    let rules = v
        .pointer("/linux/seccomp/syscalls")
        .or_else(|| v.get("syscalls"))
        .and_then(Value::as_array);
    rules
        .into_iter()
        .flatten()
        .map(|r| {
            r.get("comment")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string()
        })
        .collect()
}

/// `seen x86_64=12 i386=3; ...` to its counts; anything else to none.
pub(crate) fn parse_counts(comment: &str) -> Vec<(String, u64)> {
    let Some(rest) = comment.strip_prefix(SEEN) else {
        return Vec::new();
    };
    let rest = rest.split(';').next().unwrap_or("");
    rest.split_whitespace()
        .filter_map(|w| {
            let (a, n) = w.split_once('=')?;
            Some((a.to_string(), n.parse().ok()?))
        })
        .collect()
}

fn counts_text(counts: &[(&str, u64)]) -> Option<String> {
    let seen: Vec<String> = counts
        .iter()
        .filter(|(_, n)| *n > 0)
        .map(|(a, n)| format!("{a}={n}"))
        .collect();
    (!seen.is_empty()).then(|| format!("{SEEN}{}", seen.join(" ")))
}

/// The output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// A Docker/podman profile (also a Kubernetes Localhost profile file).
    Docker,
    /// `{"linux": {"seccomp": ...}}`, to merge into an OCI config.json.
    Oci,
    /// A Security Profiles Operator SeccompProfile object (JSON).
    K8s,
}

#[derive(Debug, Clone)]
pub(crate) struct Options {
    pub format: Format,
    /// The errno every call not seen gets.
    pub default_errno: u32,
    /// Argument rules for clone, unshare, personality and socket.
    pub arg_rules: bool,
    /// The SeccompProfile object's name.
    pub name: String,
}

/// One rule of the written profile.
struct OutRule {
    name: String,
    action: Action,
    args: Vec<ArgCmp>,
    comment: String,
}

/// The architectures to list: the native one, those with calls seen, those
/// a merged profile listed; native first, then in the entry points' order.
fn arches(seen: &Seen) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for (i, a) in abi::abis().iter().enumerate() {
        let used = seen.calls.keys().any(|(x, _)| x == a.name);
        let s = scmp_arch(a);
        if (i == 0 || used || seen.arches.contains(s)) && !s.is_empty() {
            out.push(s.to_string());
        }
    }
    for a in &seen.arches {
        if !out.contains(a) {
            out.push(a.clone());
        }
    }
    out
}

/// The comparisons that let one [`arg_key`] key through, or `None` for a
/// call that gets no argument rule.
fn arg_rule(name: &str, key: &[u64; 6]) -> Option<Vec<ArgCmp>> {
    let masked = |mask: u64| ArgCmp {
        index: 0,
        value: mask,
        value_two: key[0] & mask,
        op: Op::MaskedEq,
    };
    let eq = ArgCmp {
        index: 0,
        value: key[0],
        value_two: 0,
        op: Op::Eq,
    };
    match name {
        "clone" => Some(vec![masked(CLONE_NS_MASK)]),
        "unshare" => Some(vec![masked(UNSHARE_NS_MASK)]),
        "personality" | "socket" => Some(vec![eq]),
        _ => None,
    }
}

/// A comparison as a sortable key: index, value, value two, EQ (else MASKED_EQ).
type CmpId = (u8, u64, u64, bool);
/// An argument rule's comparisons, and the calls it covers per entry point.
type Covered<'a> = (Vec<ArgCmp>, BTreeMap<&'a str, u64>);

fn rules(seen: &Seen, o: &Options) -> Vec<OutRule> {
    // Extended, not collected: see crate::sort.
    let mut names: BTreeSet<&str> = BTreeSet::new();
    names.extend(seen.calls.keys().map(|(_, n)| n.as_str()));
    names.extend(RUNTIME_CALLS);
    let mut out = Vec::new();
    for name in names {
        let counts = seen.counts_of(name);
        let runtime = RUNTIME_CALLS.contains(&name);
        if o.arg_rules && !seen.unconditional.contains(name) {
            // One rule per distinct comparison, with the calls it covers.
            let mut by_rule: BTreeMap<Vec<CmpId>, Covered> = BTreeMap::new();
            for ((a, n, key), c) in &seen.tuples {
                if n != name {
                    continue;
                }
                let Some(cmps) = arg_rule(name, key) else {
                    continue;
                };
                let id = cmps
                    .iter()
                    .map(|c| (c.index, c.value, c.value_two, c.op == Op::Eq))
                    .collect();
                let e = by_rule.entry(id).or_insert((cmps, BTreeMap::new()));
                *e.1.entry(a.as_str()).or_insert(0) += c;
            }
            if !by_rule.is_empty() {
                for (_, (args, counts)) in by_rule {
                    let counts: Vec<(&str, u64)> = counts.into_iter().collect();
                    out.push(OutRule {
                        name: name.to_string(),
                        action: Action::Allow,
                        args,
                        comment: counts_text(&counts)
                            .map(|c| format!("{c}; with these arguments"))
                            .unwrap_or_else(|| "allowed by a merged profile".into()),
                    });
                }
                continue;
            }
        }
        let comment = match (counts_text(&counts), runtime) {
            (Some(c), true) => format!("{c}; {RUNTIME_NOTE} too"),
            (Some(c), false) => c,
            (None, true) => format!("not seen: {RUNTIME_NOTE}"),
            (None, false) => "allowed by a merged profile".into(),
        };
        out.push(OutRule {
            name: name.to_string(),
            action: Action::Allow,
            args: Vec::new(),
            comment,
        });
    }
    // clone3's arguments are behind a pointer no filter can read: unseen, it
    // answers ENOSYS (as Docker's profile does), and libc falls back to clone,
    // whose flags the rules above can judge.
    let clone3_seen = seen.calls.keys().any(|(_, n)| n == "clone3");
    if !clone3_seen && o.default_errno != ENOSYS {
        out.push(OutRule {
            name: "clone3".into(),
            action: Action::Errno(ENOSYS),
            args: Vec::new(),
            comment: "not seen: ENOSYS, so that libc falls back to clone".into(),
        });
    }
    out
}

fn op_name(op: Op) -> &'static str {
    match op {
        Op::Ne => "SCMP_CMP_NE",
        Op::Lt => "SCMP_CMP_LT",
        Op::Le => "SCMP_CMP_LE",
        Op::Eq => "SCMP_CMP_EQ",
        Op::Ge => "SCMP_CMP_GE",
        Op::Gt => "SCMP_CMP_GT",
        Op::MaskedEq => "SCMP_CMP_MASKED_EQ",
    }
}

/// A profile as runtimes read it (the fields in the order people read them).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Body<'a> {
    default_action: &'static str,
    default_errno_ret: u32,
    architectures: Vec<String>,
    syscalls: Vec<RuleOut<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct RuleOut<'a> {
    names: [&'a str; 1],
    action: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    errno_ret: Option<u32>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    args: Vec<ArgOut>,
    #[serde(skip_serializing_if = "Option::is_none")]
    comment: Option<&'a str>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ArgOut {
    index: u8,
    value: u64,
    value_two: u64,
    op: &'static str,
}

#[derive(Serialize)]
struct Oci<'a> {
    linux: OciLinux<'a>,
}

#[derive(Serialize)]
struct OciLinux<'a> {
    seccomp: Body<'a>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct K8s<'a> {
    api_version: &'static str,
    kind: &'static str,
    metadata: K8sMeta<'a>,
    spec: Body<'a>,
}

#[derive(Serialize)]
struct K8sMeta<'a> {
    name: &'a str,
    annotations: BTreeMap<&'static str, String>,
}

fn rule_out(r: &OutRule, with_comment: bool) -> RuleOut<'_> {
    let (action, errno_ret) = match r.action {
        Action::Errno(e) => ("SCMP_ACT_ERRNO", Some(e)),
        _ => ("SCMP_ACT_ALLOW", None),
    };
    RuleOut {
        names: [r.name.as_str()],
        action,
        errno_ret,
        args: r
            .args
            .iter()
            .map(|c| ArgOut {
                index: c.index,
                value: c.value,
                value_two: c.value_two,
                op: op_name(c.op),
            })
            .collect(),
        comment: with_comment.then_some(r.comment.as_str()),
    }
}

/// The profile, as the file's text.
#[cfg(test)]
pub(crate) fn write(seen: &Seen, o: &Options) -> String {
    write_counted(seen, o).0
}

/// The profile, as the file's text, and how many rules it has.
pub(crate) fn write_counted(seen: &Seen, o: &Options) -> (String, usize) {
    let rules = rules(seen, o);
    let k8s = o.format == Format::K8s;
    let body = Body {
        default_action: "SCMP_ACT_ERRNO",
        default_errno_ret: o.default_errno,
        architectures: arches(seen),
        syscalls: rules.iter().map(|r| rule_out(r, !k8s)).collect(),
    };
    let text = match o.format {
        Format::Docker => serde_json::to_string_pretty(&body),
        Format::Oci => serde_json::to_string_pretty(&Oci {
            linux: OciLinux { seccomp: body },
        }),
        Format::K8s => {
            let comments: Vec<&str> = rules.iter().map(|r| r.comment.as_str()).collect();
            let mut annotations = BTreeMap::new();
            annotations.insert(
                COMMENTS,
                serde_json::to_string(&comments).unwrap_or_default(),
            );
            serde_json::to_string_pretty(&K8s {
                api_version: "security-profiles-operator.x-k8s.io/v1beta1",
                kind: "SeccompProfile",
                metadata: K8sMeta {
                    name: &o.name,
                    annotations,
                },
                spec: body,
            })
        }
    };
    let mut s = text.unwrap_or_default();
    s.push('\n');
    (s, rules.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seen() -> Seen {
        let mut s = Seen::default();
        let n = abi::native().name;
        s.add(n, "read", 12);
        s.add(n, "exit_group", 1);
        s.add(n, "clone", 3);
        s.add_tuple(n, "clone", [0x0120_0011, 0, 0, 0, 0, 0], 2);
        s.add_tuple(n, "clone", [0x1000_0000 | 0x11, 0, 0, 0, 0, 0], 1);
        s.add(n, "socket", 1);
        s.add_tuple(n, "socket", [1, 0x80001, 0, 0, 0, 0], 1);
        s
    }

    fn opts(format: Format, arg_rules: bool) -> Options {
        Options {
            format,
            default_errno: 1,
            arg_rules,
            name: "demo".into(),
        }
    }

    #[test]
    fn every_format_reads_back_with_the_counts() {
        for format in [Format::Docker, Format::Oci, Format::K8s] {
            for arg_rules in [false, true] {
                let text = write(&seen(), &opts(format, arg_rules));
                let r = read::parse(&text).unwrap_or_else(|e| panic!("{format:?}: {e}\n{text}"));
                // A Docker profile without Docker-only fields reads as the
                // OCI object it also is.
                let want: &[crate::profile::Format] = match format {
                    Format::Docker => {
                        &[crate::profile::Format::Docker, crate::profile::Format::Oci]
                    }
                    Format::Oci => &[crate::profile::Format::Oci],
                    Format::K8s => &[crate::profile::Format::SeccompProfile],
                };
                assert!(want.contains(&r.format), "{format:?}: {:?}", r.format);
                assert_eq!(r.profile.default_action, Action::Errno(1));
                let mut back = Seen::default();
                back.merge_text(&text).unwrap();
                let n = abi::native().name.to_string();
                assert_eq!(back.calls[&(n.clone(), "read".into())], 12, "{text}");
                assert_eq!(back.calls[&(n.clone(), "clone".into())], 3, "{text}");
                // Calls the runtime needs are allowed, with no count.
                assert_eq!(back.calls[&(n.clone(), "capset".into())], 0);
                if arg_rules {
                    assert!(!back.unconditional.contains("clone"));
                    let k = [0x1000_0000, 0, 0, 0, 0, 0];
                    assert_eq!(back.tuples[&(n.clone(), "clone".into(), k)], 1, "{text}");
                } else {
                    assert!(back.unconditional.contains("clone"));
                }
            }
        }
    }

    #[test]
    fn merging_adds_the_counts() {
        let text = write(&seen(), &opts(Format::Docker, true));
        let mut s = seen();
        s.merge_text(&text).unwrap();
        let n = abi::native().name.to_string();
        assert_eq!(s.calls[&(n.clone(), "read".into())], 24);
        let again = write(&s, &opts(Format::Docker, true));
        assert!(again.contains(&format!("\"seen {n}=24;")), "{again}");
        let mut t = Seen::default();
        t.merge_text(&again).unwrap();
        assert_eq!(t.calls[&(n, "read".into())], 24);
    }

    #[test]
    fn argument_rules_are_those_of_the_runtimes_profiles() {
        let text = write(&seen(), &opts(Format::Docker, true));
        let p = read::parse(&text).unwrap().profile;
        let clone: Vec<&crate::profile::Rule> =
            p.rules.iter().filter(|r| r.names[0] == "clone").collect();
        // Two distinct namespace masks: none, and CLONE_NEWUSER.
        assert_eq!(clone.len(), 2);
        let twos: BTreeSet<u64> = clone.iter().map(|r| r.args[0].value_two).collect();
        assert_eq!(twos, BTreeSet::from([0, 0x1000_0000]));
        assert!(
            clone
                .iter()
                .all(|r| r.args[0].op == Op::MaskedEq && r.args[0].value == CLONE_NS_MASK)
        );
        let socket: Vec<_> = p.rules.iter().filter(|r| r.names[0] == "socket").collect();
        assert_eq!(socket.len(), 1);
        assert_eq!((socket[0].args[0].op, socket[0].args[0].value), (Op::Eq, 1));
        // clone3, not seen, answers ENOSYS.
        let c3 = p.rules.iter().find(|r| r.names[0] == "clone3").unwrap();
        assert_eq!(c3.action, Action::Errno(38));
        // Without argument rules: one unconditional rule per name.
        let plain = read::parse(&write(&seen(), &opts(Format::Docker, false)))
            .unwrap()
            .profile;
        let clone: Vec<_> = plain
            .rules
            .iter()
            .filter(|r| r.names[0] == "clone")
            .collect();
        assert_eq!(clone.len(), 1);
        assert!(clone[0].args.is_empty());
    }

    #[test]
    fn only_the_architectures_used_are_listed() {
        let mut s = seen();
        let text = write(&s, &opts(Format::Docker, false));
        let p = read::parse(&text).unwrap().profile;
        assert_eq!(p.architectures, [scmp_arch(abi::native())]);
        if cfg!(target_arch = "x86_64") {
            s.add("i386", "write", 2);
            let p = read::parse(&write(&s, &opts(Format::Docker, false)))
                .unwrap()
                .profile;
            assert_eq!(p.architectures, ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86"]);
        }
    }

    #[test]
    fn a_foreign_profile_merges_as_unconditional_allows() {
        let text = r#"{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [
            {"names": ["mkdir", "rmdir"], "action": "SCMP_ACT_ALLOW"},
            {"names": ["socket"], "action": "SCMP_ACT_ALLOW",
             "args": [{"index": 0, "value": 40, "op": "SCMP_CMP_NE"}]},
            {"names": ["kill"], "action": "SCMP_ACT_ERRNO"}]}"#;
        let mut s = Seen::default();
        s.merge_text(text).unwrap();
        let n = abi::native().name.to_string();
        assert_eq!(s.calls.get(&(n.clone(), "mkdir".into())), Some(&0));
        assert!(!s.calls.contains_key(&(n, "kill".into())));
        assert!(s.unconditional.contains("socket"));
        let out = write(&s, &opts(Format::Docker, true));
        let p = read::parse(&out).unwrap().profile;
        let sock = p.rules.iter().find(|r| r.names[0] == "socket").unwrap();
        assert!(sock.args.is_empty(), "never narrower than a merged profile");
    }

    #[test]
    fn counts_parse_from_comments_only() {
        assert_eq!(
            parse_counts("seen x86_64=3 i386=2; with these arguments"),
            [("x86_64".to_string(), 3), ("i386".to_string(), 2)]
        );
        assert!(parse_counts("not seen: ENOSYS").is_empty());
        assert!(parse_counts("seen x86_64=lots").is_empty());
        assert!(parse_counts("").is_empty());
    }
}
