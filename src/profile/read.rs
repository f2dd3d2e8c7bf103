//! Reading a profile file in any of the formats runtimes and Kubernetes use.
//!
//! JSON or YAML, then one of: a Docker/moby profile (`defaultAction`,
//! `archMap`, rules with `includes` / `excludes`), an OCI runtime-spec
//! config.json (its `linux.seccomp`) or that object alone, or a Security
//! Profiles Operator `SeccompProfile` object (its `spec`; a `List` of them
//! must hold exactly one). Unknown keys are ignored, as Go's JSON decoding in
//! dockerd and the runtimes ignores them; a value a runtime would reject is
//! an error naming the field (and, in YAML, its line).

use super::yaml;
use super::{Action, ArchMapEntry, ArgCmp, Cond, Format, Op, Profile, Rule};
use serde_json::Value;
use std::borrow::Cow;

/// A problem with a profile: where (a line and/or a field path) and what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    pub line: Option<usize>,
    pub field: Option<String>,
    pub message: String,
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (self.line, &self.field) {
            (Some(l), Some(p)) => write!(f, "line {l}, {p}: {}", self.message),
            (Some(l), None) => write!(f, "line {l}: {}", self.message),
            (None, Some(p)) => write!(f, "{p}: {}", self.message),
            (None, None) => write!(f, "{}", self.message),
        }
    }
}

/// A profile read from a file, and what the file was.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Read {
    pub profile: Profile,
    pub format: Format,
    /// Things a runtime does with the file that are worth saying (a
    /// deprecated field it ignores, for example).
    pub notes: Vec<String>,
}

/// Reads a profile from the text of a file.
pub fn parse(text: &str) -> Result<Read, Error> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    if text.trim().is_empty() {
        return Err(plain("the file is empty"));
    }
    if text.trim_start().starts_with(['{', '[']) {
        let value: Value = serde_json::from_str(text).map_err(|e| Error {
            line: Some(e.line()),
            field: None,
            message: format!("not valid JSON: {e}"),
        })?;
        return from_value(&value, None);
    }
    let docs = yaml::parse(text).map_err(|e| Error {
        line: Some(e.line),
        field: None,
        message: format!("not valid YAML (or JSON): {}", e.message),
    })?;
    match docs.as_slice() {
        [] => Err(plain("the file holds no document")),
        [one] => from_value(&one.value, Some(one)),
        many => {
            let profiles: Vec<&yaml::Document> = many
                .iter()
                .filter(|d| d.value.get("kind").and_then(Value::as_str) == Some("SeccompProfile"))
                .collect();
            match profiles.as_slice() {
                [one] => from_value(&one.value, Some(one)),
                [] => Err(plain(format!(
                    "{} YAML documents and none is a SeccompProfile",
                    many.len()
                ))),
                several => Err(Error {
                    line: Some(several[1].first_line),
                    field: None,
                    message: format!(
                        "{} SeccompProfile documents (from lines {}): give one",
                        several.len(),
                        several
                            .iter()
                            .map(|d| d.first_line.to_string())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                }),
            }
        }
    }
}

/// Reads the profile file at `path` (for `--profile`): a regular file of at
/// most 16 MiB, opened without waiting on a named pipe. The error says
/// which file and what is wrong.
pub fn from_path(path: &std::path::Path) -> Result<Read, String> {
    let text = text_of(path, "--profile")?;
    parse(&text).map_err(|e| format!("--profile {}: {e}", path.display()))
}

/// The text of a profile file given with `option`: a regular file of at
/// most 16 MiB, opened without waiting on a named pipe. The error names the
/// option, the file and what is wrong.
pub fn text_of(path: &std::path::Path, option: &str) -> Result<String, String> {
    // Profiles are a few kilobytes; refuse anything absurd rather than read it.
    const LIMIT: usize = 16 << 20;
    let fail = |e: &dyn std::fmt::Display| format!("{option} {}: {e}", path.display());
    // Opened without waiting on a named pipe, its type checked on what was
    // opened, every read bounded (linux/io.rs).
    let text = crate::linux::io::read_text(path, LIMIT + 1).map_err(|e| fail(&e))?;
    if text.len() > LIMIT {
        return Err(fail(&"larger than 16 MiB"));
    }
    Ok(text)
}

fn plain(message: impl Into<String>) -> Error {
    Error {
        line: None,
        field: None,
        message: message.into(),
    }
}

/// Where field errors point: the path, and its line when the source was YAML.
struct Ctx<'a> {
    doc: Option<&'a yaml::Document>,
}

impl Ctx<'_> {
    fn err(&self, path: &str, message: impl Into<String>) -> Error {
        Error {
            line: self.doc.and_then(|d| d.line_of(path)),
            field: Some(path.to_string()),
            message: message.into(),
        }
    }
}

fn from_value(v: &Value, doc: Option<&yaml::Document>) -> Result<Read, Error> {
    let ctx = Ctx { doc };
    let Some(obj) = v.as_object() else {
        return Err(plain(format!(
            "expected an object at the top, found {}",
            kind_of(v)
        )));
    };
    let kind = obj.get("kind").and_then(Value::as_str);
    if kind == Some("SeccompProfile") {
        let Some(spec) = obj.get("spec") else {
            return Err(ctx.err("kind", "a SeccompProfile without spec"));
        };
        return seccomp_profile(spec, &ctx);
    }
    if kind == Some("List") {
        let items = obj.get("items").and_then(Value::as_array);
        let profiles: Vec<(usize, &Value)> = items
            .into_iter()
            .flatten()
            .enumerate()
            .filter(|(_, i)| i.get("kind").and_then(Value::as_str) == Some("SeccompProfile"))
            .collect();
        return match profiles.as_slice() {
            [(i, item)] => match item.get("spec") {
                Some(spec) => seccomp_profile_at(spec, &ctx, &format!("items[{i}].spec")),
                None => Err(ctx.err(&format!("items[{i}]"), "a SeccompProfile without spec")),
            },
            [] => Err(ctx.err("items", "a List without a SeccompProfile")),
            more => Err(ctx.err(
                "items",
                format!("a List of {} SeccompProfile objects: give one", more.len()),
            )),
        };
    }
    if let Some(k) = kind {
        return Err(ctx.err(
            "kind",
            format!("a Kubernetes object of kind {k:?}: expected SeccompProfile"),
        ));
    }
    if obj.contains_key("ociVersion") || obj.contains_key("linux") || obj.contains_key("process") {
        return match obj.get("linux").and_then(|l| l.get("seccomp")) {
            Some(s) if !s.is_null() => {
                profile(s, &ctx, "linux.seccomp").map(|(profile, notes, _)| Read {
                    profile,
                    format: Format::Oci,
                    notes,
                })
            }
            _ => Err(ctx.err(
                "linux.seccomp",
                "this OCI config has no linux.seccomp: its container runs without a seccomp filter",
            )),
        };
    }
    if obj.contains_key("defaultAction") || obj.contains_key("syscalls") {
        let (profile, notes, docker_only) = profile(v, &ctx, "")?;
        return Ok(Read {
            profile,
            format: if docker_only {
                Format::Docker
            } else {
                Format::Oci
            },
            notes,
        });
    }
    Err(plain(
        "unknown format: expected a Docker or OCI seccomp profile (with defaultAction), an OCI \
         config.json (with linux.seccomp) or a SeccompProfile object (kind: SeccompProfile)",
    ))
}

fn seccomp_profile(spec: &Value, ctx: &Ctx) -> Result<Read, Error> {
    seccomp_profile_at(spec, ctx, "spec")
}

fn seccomp_profile_at(spec: &Value, ctx: &Ctx, at: &str) -> Result<Read, Error> {
    if let Some(base) = spec.get("baseProfileName").and_then(Value::as_str) {
        return Err(ctx.err(
            &join(at, "baseProfileName"),
            format!(
                "the profile builds on {base:?}, another object: give the merged profile \
                 (the Security Profiles Operator writes it to the node)"
            ),
        ));
    }
    let (profile, notes, _) = profile(spec, ctx, at)?;
    Ok(Read {
        profile,
        format: Format::SeccompProfile,
        notes,
    })
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

fn kind_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

/// The profile object itself (Docker, OCI or a SeccompProfile's spec);
/// also says whether Docker-only fields were seen.
fn profile(v: &Value, ctx: &Ctx, at: &str) -> Result<(Profile, Vec<String>, bool), Error> {
    let Some(obj) = v.as_object() else {
        return Err(ctx.err(at, format!("expected an object, found {}", kind_of(v))));
    };
    let mut notes = Vec::new();
    let mut docker_only = obj.contains_key("archMap");
    let default_errno = match obj.get("defaultErrnoRet") {
        None | Some(Value::Null) => None,
        Some(e) => Some(errno(e, ctx, &join(at, "defaultErrnoRet"))?),
    };
    if obj.contains_key("defaultErrno") {
        docker_only = true;
        notes.push(format!(
            "defaultErrno is a deprecated field runtimes ignore; the default errno is {}",
            match default_errno {
                Some(e) => format!("defaultErrnoRet's {e}"),
                None => "EPERM (no defaultErrnoRet)".to_string(),
            }
        ));
    }
    let path = join(at, "defaultAction");
    let default_action = match obj.get("defaultAction") {
        Some(Value::String(s)) => Action::parse(s, default_errno)
            .ok_or_else(|| ctx.err(&path, format!("unknown action {s:?}")))?,
        Some(other) => {
            return Err(ctx.err(
                &path,
                format!("expected a string, found {}", kind_of(other)),
            ));
        }
        None => return Err(ctx.err(at, "no defaultAction")),
    };
    let architectures = strings(obj.get("architectures"), ctx, &join(at, "architectures"))?;
    for (i, a) in architectures.iter().enumerate() {
        check_arch(a, ctx, &format!("{}[{i}]", join(at, "architectures")))?;
    }
    let mut arch_map = Vec::new();
    if let Some(m) = obj.get("archMap").filter(|m| !m.is_null()) {
        let mp = join(at, "archMap");
        let Some(list) = m.as_array() else {
            return Err(ctx.err(&mp, format!("expected a list, found {}", kind_of(m))));
        };
        for (i, e) in list.iter().enumerate() {
            let ep = format!("{mp}[{i}]");
            let architecture = match e.get("architecture") {
                Some(Value::String(s)) => s.clone(),
                _ => return Err(ctx.err(&ep, "no architecture")),
            };
            check_arch(&architecture, ctx, &join(&ep, "architecture"))?;
            let sub = strings(
                e.get("subArchitectures"),
                ctx,
                &join(&ep, "subArchitectures"),
            )?;
            for (j, s) in sub.iter().enumerate() {
                check_arch(s, ctx, &format!("{}[{j}]", join(&ep, "subArchitectures")))?;
            }
            arch_map.push(ArchMapEntry {
                architecture,
                sub_architectures: sub,
            });
        }
    }
    if !architectures.is_empty() && !arch_map.is_empty() {
        // dockerd refuses this too.
        return Err(ctx.err(at, "architectures and archMap are both given: use one"));
    }
    let mut rules = Vec::new();
    let sp = join(at, "syscalls");
    match obj.get("syscalls") {
        None | Some(Value::Null) => {}
        Some(Value::Array(list)) => {
            for (i, r) in list.iter().enumerate() {
                let (rule, docker) = rule(r, ctx, &format!("{sp}[{i}]"))?;
                docker_only |= docker;
                rules.push(rule);
            }
        }
        Some(other) => {
            return Err(ctx.err(&sp, format!("expected a list, found {}", kind_of(other))));
        }
    }
    Ok((
        Profile {
            default_action,
            architectures,
            arch_map,
            rules,
        },
        notes,
        docker_only,
    ))
}

fn check_arch(a: &str, ctx: &Ctx, path: &str) -> Result<(), Error> {
    if a.starts_with("SCMP_ARCH_") && a.len() > 10 {
        Ok(())
    } else {
        Err(ctx.err(
            path,
            format!("{a:?} is not an architecture (SCMP_ARCH_X86_64, ...)"),
        ))
    }
}

fn strings(v: Option<&Value>, ctx: &Ctx, path: &str) -> Result<Vec<String>, Error> {
    match v {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Array(list)) => list
            .iter()
            .enumerate()
            .map(|(i, s)| match s {
                Value::String(s) => Ok(s.clone()),
                other => Err(ctx.err(
                    &format!("{path}[{i}]"),
                    format!("expected a string, found {}", kind_of(other)),
                )),
            })
            .collect(),
        Some(other) => Err(ctx.err(path, format!("expected a list, found {}", kind_of(other)))),
    }
}

fn errno(v: &Value, ctx: &Ctx, path: &str) -> Result<u32, Error> {
    // libseccomp carries the errno in 16 bits.
    match v.as_u64() {
        Some(n) if n <= 0xFFFF => Ok(n as u32),
        _ => Err(ctx.err(
            path,
            format!("expected an errno number (0-65535), found {v}"),
        )),
    }
}

fn number(v: Option<&Value>, ctx: &Ctx, path: &str) -> Result<Option<u64>, Error> {
    match v {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => match n.as_u64().or_else(|| n.as_i64().map(|i| i as u64)) {
            Some(u) => Ok(Some(u)),
            None => Err(ctx.err(path, format!("expected an integer, found {n}"))),
        },
        Some(other) => Err(ctx.err(
            path,
            format!("expected an integer, found {}", kind_of(other)),
        )),
    }
}

/// One entry of `syscalls`; also says whether it used Docker-only fields.
fn rule(v: &Value, ctx: &Ctx, at: &str) -> Result<(Rule, bool), Error> {
    let Some(obj) = v.as_object() else {
        return Err(ctx.err(at, format!("expected an object, found {}", kind_of(v))));
    };
    let mut docker = obj.contains_key("includes") || obj.contains_key("excludes");
    let mut names = strings(obj.get("names"), ctx, &join(at, "names"))?;
    match obj.get("name") {
        None | Some(Value::Null) => {}
        Some(Value::String(n)) if !n.is_empty() => {
            docker = true;
            if !names.is_empty() {
                return Err(ctx.err(at, "a rule has name and names: use one"));
            }
            names.push(n.clone());
        }
        Some(Value::String(_)) => {}
        Some(other) => {
            return Err(ctx.err(
                &join(at, "name"),
                format!("expected a string, found {}", kind_of(other)),
            ));
        }
    }
    if names.is_empty() {
        return Err(ctx.err(at, "a rule without names"));
    }
    if let Some((i, _)) = names.iter().enumerate().find(|(_, n)| n.is_empty()) {
        return Err(ctx.err(&format!("{}[{i}]", join(at, "names")), "an empty name"));
    }
    let errno_ret = match obj.get("errnoRet") {
        None | Some(Value::Null) => None,
        Some(e) => Some(errno(e, ctx, &join(at, "errnoRet"))?),
    };
    let ap = join(at, "action");
    let action = match obj.get("action") {
        Some(Value::String(s)) => Action::parse(s, errno_ret)
            .ok_or_else(|| ctx.err(&ap, format!("unknown action {s:?}")))?,
        Some(other) => {
            return Err(ctx.err(&ap, format!("expected a string, found {}", kind_of(other))));
        }
        None => return Err(ctx.err(at, "a rule without action")),
    };
    let mut args = Vec::new();
    let argp = join(at, "args");
    match obj.get("args") {
        None | Some(Value::Null) => {}
        Some(Value::Array(list)) => {
            for (i, a) in list.iter().enumerate() {
                let p = format!("{argp}[{i}]");
                let index = number(a.get("index"), ctx, &join(&p, "index"))?
                    .ok_or_else(|| ctx.err(&p, "an argument without index"))?;
                if index > 5 {
                    return Err(ctx.err(
                        &join(&p, "index"),
                        format!("argument index {index}: syscalls have arguments 0 to 5"),
                    ));
                }
                let value = number(a.get("value"), ctx, &join(&p, "value"))?.unwrap_or(0);
                let value_two = number(a.get("valueTwo"), ctx, &join(&p, "valueTwo"))?.unwrap_or(0);
                let op = match a.get("op") {
                    Some(Value::String(s)) => Op::parse(s).ok_or_else(|| {
                        ctx.err(&join(&p, "op"), format!("unknown operator {s:?}"))
                    })?,
                    _ => return Err(ctx.err(&p, "an argument without op")),
                };
                args.push(ArgCmp {
                    index: index as u8,
                    value,
                    value_two,
                    op,
                });
            }
        }
        Some(other) => {
            return Err(ctx.err(&argp, format!("expected a list, found {}", kind_of(other))));
        }
    }
    let includes = cond(obj.get("includes"), ctx, &join(at, "includes"))?;
    let excludes = cond(obj.get("excludes"), ctx, &join(at, "excludes"))?;
    Ok((
        Rule {
            names: names.into_iter().map(Cow::Owned).collect(),
            action,
            args,
            includes,
            excludes,
        },
        docker,
    ))
}

fn cond(v: Option<&Value>, ctx: &Ctx, at: &str) -> Result<Cond, Error> {
    let Some(v) = v.filter(|v| !v.is_null()) else {
        return Ok(Cond::default());
    };
    if !v.is_object() {
        return Err(ctx.err(at, format!("expected an object, found {}", kind_of(v))));
    }
    let caps = strings(v.get("caps"), ctx, &join(at, "caps"))?;
    let arches = strings(v.get("arches"), ctx, &join(at, "arches"))?;
    let kp = join(at, "minKernel");
    let min_kernel = match v.get("minKernel") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) if s.is_empty() => None,
        Some(Value::String(s)) => {
            Some(crate::linux::kernel::parse_version(s).ok_or_else(|| {
                ctx.err(&kp, format!("{s:?} is not a kernel version like \"4.8\""))
            })?)
        }
        Some(other) => {
            return Err(ctx.err(&kp, format!("expected a string, found {}", kind_of(other))));
        }
    };
    Ok(Cond {
        caps: caps.into_iter().map(Cow::Owned).collect(),
        arches: arches.into_iter().map(Cow::Owned).collect(),
        min_kernel,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOCKER: &str = r#"{
        "defaultAction": "SCMP_ACT_ERRNO",
        "defaultErrnoRet": 1,
        "archMap": [{"architecture": "SCMP_ARCH_X86_64",
                     "subArchitectures": ["SCMP_ARCH_X86", "SCMP_ARCH_X32"]}],
        "syscalls": [
            {"names": ["read", "write"], "action": "SCMP_ACT_ALLOW"},
            {"name": "reboot", "action": "SCMP_ACT_ALLOW", "includes": {"caps": ["CAP_SYS_BOOT"]}},
            {"names": ["ptrace"], "action": "SCMP_ACT_ALLOW", "includes": {"minKernel": "4.8"}},
            {"names": ["clone"], "action": "SCMP_ACT_ALLOW",
             "args": [{"index": 0, "value": 2114060288, "valueTwo": 0, "op": "SCMP_CMP_MASKED_EQ"}],
             "excludes": {"caps": ["CAP_SYS_ADMIN"], "arches": ["s390", "s390x"]}},
            {"names": ["clone3"], "action": "SCMP_ACT_ERRNO", "errnoRet": 38}
        ]
    }"#;

    #[test]
    fn docker_format_with_every_field() {
        let r = parse(DOCKER).unwrap();
        assert_eq!(r.format, Format::Docker);
        let p = r.profile;
        assert_eq!(p.default_action, Action::Errno(1));
        assert_eq!(
            p.arch_map[0].sub_architectures,
            ["SCMP_ARCH_X86", "SCMP_ARCH_X32"]
        );
        assert_eq!(p.rules.len(), 5);
        assert_eq!(p.rules[1].names, ["reboot"]);
        assert_eq!(p.rules[1].includes.caps, ["CAP_SYS_BOOT"]);
        assert_eq!(p.rules[2].includes.min_kernel, Some((4, 8)));
        assert_eq!(p.rules[3].args[0].op, Op::MaskedEq);
        assert_eq!(p.rules[3].args[0].value, 0x7E02_0000);
        assert_eq!(p.rules[3].excludes.arches, ["s390", "s390x"]);
        assert_eq!(p.rules[4].action, Action::Errno(38));
    }

    #[test]
    fn oci_config_and_bare_object() {
        let cfg = r#"{"ociVersion": "1.0.2", "process": {}, "linux": {"seccomp":
            {"defaultAction": "SCMP_ACT_ERRNO", "architectures": ["SCMP_ARCH_X86_64"],
             "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ALLOW"}]}}}"#;
        let r = parse(cfg).unwrap();
        assert_eq!(r.format, Format::Oci);
        // ERRNO without errnoRet is EPERM in runc and crun.
        assert_eq!(r.profile.default_action, Action::Errno(1));
        assert_eq!(r.profile.architectures, ["SCMP_ARCH_X86_64"]);
        let bare = r#"{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [
            {"names": ["mkdir"], "action": "SCMP_ACT_KILL_PROCESS"}]}"#;
        let r = parse(bare).unwrap();
        assert_eq!(r.format, Format::Oci);
        assert_eq!(r.profile.rules[0].action, Action::KillProcess);
        let e = parse(r#"{"ociVersion": "1.0.2", "linux": {}}"#).unwrap_err();
        assert!(e.to_string().contains("without a seccomp filter"), "{e}");
    }

    #[test]
    fn seccomp_profile_yaml() {
        let y = "apiVersion: security-profiles-operator.x-k8s.io/v1beta1\n\
                 kind: SeccompProfile\nmetadata:\n  name: demo\nspec:\n\
                 \x20 defaultAction: SCMP_ACT_ERRNO\n  architectures:\n  - SCMP_ARCH_X86_64\n\
                 \x20 syscalls:\n  - action: SCMP_ACT_ALLOW\n    names:\n    - read\n    - write\n";
        let r = parse(y).unwrap();
        assert_eq!(r.format, Format::SeccompProfile);
        assert_eq!(r.profile.rules[0].names, ["read", "write"]);
    }

    #[test]
    fn deprecated_default_errno_is_noted_not_used() {
        let r = parse(
            r#"{"defaultAction": "SCMP_ACT_ERRNO", "defaultErrno": "ENOSYS", "syscalls": []}"#,
        )
        .unwrap();
        assert_eq!(r.profile.default_action, Action::Errno(1));
        assert_eq!(r.format, Format::Docker);
        assert!(r.notes[0].contains("deprecated"));
    }

    #[test]
    fn errors_name_the_problem_and_where() {
        let cases: [(&str, &str); 9] = [
            ("", "empty"),
            (
                "{\"defaultAction\": \"SCMP_ACT_ERRNO\",\n \"syscalls\": [\n}",
                "line 3",
            ),
            (r#"{"hello": 1}"#, "unknown format"),
            (r#"{"syscalls": []}"#, "no defaultAction"),
            (
                r#"{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["a"], "action": "SCMP_ACT_NOPE"}]}"#,
                "syscalls[0].action: unknown action \"SCMP_ACT_NOPE\"",
            ),
            (
                r#"{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["a"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 9, "op": "SCMP_CMP_EQ"}]}]}"#,
                "syscalls[0].args[0].index",
            ),
            (
                r#"{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"name": "a", "names": ["b"], "action": "SCMP_ACT_ALLOW"}]}"#,
                "name and names",
            ),
            (
                r#"{"defaultAction": "SCMP_ACT_ALLOW", "architectures": ["x86_64"]}"#,
                "architectures[0]",
            ),
            ("kind: Pod\nmetadata: {}\n", "kind \"Pod\""),
        ];
        for (text, want) in cases {
            let e = parse(text).unwrap_err().to_string();
            assert!(e.contains(want), "{text:?}: {e:?} lacks {want:?}");
        }
    }

    #[test]
    fn no_input_makes_it_panic() {
        // Random edits of valid profiles with the characters JSON and YAML
        // give meaning to, and some that are more than one byte long.
        let alphabet: Vec<char> = "{}[]:,-'\"#|>&*!? \n\t0123456789abcxyz_\u{e9}\u{1f600}"
            .chars()
            .collect();
        let mut seed: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut next = || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        let seeds = [
            "{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"syscalls\": [{\"names\": [\"read\"], \"action\": \"SCMP_ACT_ALLOW\"}]}",
            "kind: SeccompProfile\nspec:\n  defaultAction: SCMP_ACT_ERRNO\n  syscalls:\n  - action: SCMP_ACT_ALLOW\n    names: [read]\n",
        ];
        for round in 0..3000 {
            let mut text: Vec<char> = seeds[round % 2].chars().collect();
            for _ in 0..(next() % 6) {
                let at = (next() as usize) % (text.len() + 1);
                let c = alphabet[(next() as usize) % alphabet.len()];
                match next() % 3 {
                    0 if at < text.len() => {
                        text.remove(at);
                    }
                    1 if at < text.len() => text[at] = c,
                    _ => text.insert(at, c),
                }
            }
            let text: String = text.into_iter().collect();
            let _ = parse(&text);
        }
    }

    #[test]
    fn yaml_field_errors_carry_the_line() {
        let y = "kind: SeccompProfile\nspec:\n  defaultAction: SCMP_ACT_ERRNO\n  syscalls:\n\
                 \x20 - names: [read]\n    action: SCMP_ACT_ALOW\n";
        let e = parse(y).unwrap_err();
        assert_eq!(e.line, Some(6), "{e}");
        assert_eq!(e.field.as_deref(), Some("spec.syscalls[0].action"));
        let e = parse("kind: SeccompProfile\nspec:\n  baseProfileName: runc-v1.1.5\n").unwrap_err();
        assert_eq!(e.line, Some(3), "{e}");
    }
}
