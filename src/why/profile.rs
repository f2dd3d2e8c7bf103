//! What is known about the seccomp profile in force, beyond the policy's
//! answer to one call: which known profile it is, and under which condition
//! that profile would allow a call it refuses.
//!
//! The policy's verdict for the exact call is always asked (that is what
//! makes a seccomp cause exact); what it cannot say is *which* profile it is
//! and what would change its answer. When the policy refuses a call, the
//! profile is named once per run, exactly as the report names it
//! (src/profile/compare.rs, from a probe of whatami's own policy, which the
//! command inherits). For a known profile, the resolver then answers the
//! question a fix needs: resolved for a bounding set with one more of the
//! capabilities its rules for that call mention, would it allow this exact
//! call? Its argument rules say with which arguments it would. Hence
//! "Docker's default profile (20.10) allows clock_settime only with
//! CAP_SYS_TIME: run with --cap-add SYS_TIME". A custom policy, or one that
//! differs from the named profile at that very call, says nothing here, and
//! the fix keeps the generic wording.

use crate::model::{Outcome, ProfileReport, Verdict};
use crate::profile::compare;
use crate::profile::known::{self, Engine, Known};
use crate::profile::resolve::{Model, Process};
use crate::profile::{Action, ArgCmp, Op};
use crate::trace::decode;
use crate::trace::tracer::Call;
use crate::why::captable;
use serde::{Deserialize, Serialize};

/// Under which condition a named profile would allow a call it refuses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Condition {
    /// With one of [`ProfileRule::capabilities`] in the bounding set.
    Capability,
    /// With other arguments ([`ProfileRule::arguments`]).
    Arguments,
    /// Either.
    CapabilityOrArguments,
    /// Never: not with any capability, and no argument rule lets it pass.
    Never,
}

/// How a named profile treats one refused call (`failures[].profile` in
/// the JSON).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProfileRule {
    /// The known profile's id ("docker-20.10").
    pub id: String,
    /// Its title ("Docker 20.10 default").
    pub title: String,
    pub condition: Condition,
    /// Capabilities any one of which, added to the bounding set the profile
    /// is resolved for, makes it allow this exact call.
    pub capabilities: Vec<String>,
    /// The arguments with which it allows the call, in words ("without
    /// namespace flags").
    pub arguments: Option<String>,
    /// Whether the profile names the call at all, under any condition
    /// (false: it gets what the profile, or the runtime, gives calls it
    /// does not list).
    pub listed: bool,
}

/// How the policy in force was named (`seccomp.profile` of the
/// explanation): the report's naming, in short.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PolicyNaming {
    /// The known profile the policy is; null for a custom policy.
    #[serde(rename = "match")]
    pub matched: Option<String>,
    /// "Docker 20.10 default", "custom".
    pub title: String,
    /// The title and where the policy differs ("Docker 20.10 default, plus
    /// blocked: mkdir, mkdirat"), as the report's profile line; the title
    /// alone for a custom policy.
    pub summary: String,
    /// The closest known profile, even when it does not match.
    pub closest: Option<String>,
    /// Share of the compared probes answered as the closest profile expects.
    pub score: Option<f64>,
    pub compared: u32,
    /// Time the probe and the naming took.
    pub elapsed_us: u64,
    /// Why the policy could not be named.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// A known profile named as the policy in force, with what it was
/// resolved for.
#[derive(Clone)]
struct Named {
    known: &'static Known,
    /// The process the engine resolved the profile for: whatami's bounding
    /// set (the container's) and the kernel.
    process: Process,
    /// The runtime models that fit the probe (all of them when it could
    /// not tell).
    models: Vec<Model>,
}

impl std::fmt::Debug for Named {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Named")
            .field("known", &self.known.id())
            .field("process", &self.process)
            .field("models", &self.models)
            .finish()
    }
}

/// What is known about the profile in force.
#[derive(Debug, Clone, Default)]
pub struct ProfileKnowledge {
    named: Option<Named>,
    naming: Option<PolicyNaming>,
}

impl ProfileKnowledge {
    /// Nothing is known: fixes speak of "the profile".
    pub fn unknown() -> ProfileKnowledge {
        ProfileKnowledge::default()
    }

    /// The policy could not be named (the message says why); naming it
    /// took `elapsed_us`.
    pub fn unnamed(error: String, elapsed_us: u64) -> ProfileKnowledge {
        ProfileKnowledge {
            named: None,
            naming: Some(PolicyNaming {
                matched: None,
                title: "unknown".into(),
                summary: "unknown".into(),
                closest: None,
                score: None,
                compared: 0,
                elapsed_us,
                error: Some(error),
            }),
        }
    }

    /// The same, saying that the probe and the naming took `elapsed_us`.
    pub fn took(mut self, elapsed_us: u64) -> ProfileKnowledge {
        if let Some(n) = &mut self.naming {
            n.elapsed_us = elapsed_us;
        }
        self
    }

    /// From a report whose profile was named already (its probe reused).
    pub fn from_report(r: &crate::model::Report) -> ProfileKnowledge {
        match &r.seccomp.profile {
            Some(p) if p.matched.is_some() || p.score.is_some() => {
                ProfileKnowledge::from_naming(p, compare::process_of(r))
            }
            _ => ProfileKnowledge::unknown(),
        }
    }

    /// From the naming of the policy (`seccomp.profile`) and the process it
    /// was named for.
    pub fn from_naming(p: &ProfileReport, process: Process) -> ProfileKnowledge {
        let naming = PolicyNaming {
            matched: p.matched.clone(),
            title: p.title.clone(),
            // The differences from a profile the policy is not are no
            // description of it.
            summary: if p.matched.is_some() {
                compare::summary(&p.title, &p.differences)
            } else {
                p.title.clone()
            },
            closest: p.closest.clone(),
            score: p.score,
            compared: p.compared,
            elapsed_us: p.elapsed_us,
            error: None,
        };
        let models: Vec<Model> = Model::ALL
            .iter()
            .copied()
            .filter(|m| p.runtime.as_deref().is_none_or(|r| r == m.runtime_name()))
            .filter(|m| {
                p.libseccomp
                    .as_deref()
                    .is_none_or(|l| l == m.libseccomp_name())
            })
            .collect();
        let named = p
            .matched
            .as_deref()
            .and_then(Known::by_id)
            .map(|known| Named {
                known,
                process,
                models: if models.is_empty() {
                    Model::ALL.to_vec()
                } else {
                    models
                },
            });
        ProfileKnowledge {
            named,
            naming: Some(naming),
        }
    }

    /// The known profile `id` in force for a process with these
    /// capabilities in its bounding set, whatever the runtime.
    #[cfg(test)]
    pub fn known(
        id: &str,
        caps: &[impl AsRef<str>],
        kernel: Option<(u32, u32)>,
    ) -> ProfileKnowledge {
        let named = Known::by_id(id).map(|known| Named {
            known,
            process: Process {
                caps: caps.iter().map(|c| c.as_ref().to_string()).collect(),
                kernel,
            },
            models: Model::ALL.to_vec(),
        });
        let naming = named.as_ref().map(|n| PolicyNaming {
            matched: Some(n.known.id().into()),
            title: n.known.title().into(),
            summary: n.known.title().into(),
            closest: Some(n.known.id().into()),
            score: Some(1.0),
            compared: 0,
            elapsed_us: 0,
            error: None,
        });
        ProfileKnowledge { named, naming }
    }

    /// How the policy was named, when it was.
    pub fn naming(&self) -> Option<&PolicyNaming> {
        self.naming.as_ref()
    }

    /// The named profile's rule for `call`, which the policy answered
    /// `observed`: `None` unless a known profile is in force, refuses the
    /// call, and answers it just as the policy did (where they differ, the
    /// policy is not that profile at this call, and its conditions say
    /// nothing about it).
    pub fn rule_for(&self, call: &Call, observed: &Outcome) -> Option<ProfileRule> {
        let n = self.named.as_ref()?;
        if matches!(
            observed.verdict,
            Verdict::Allowed | Verdict::Exempt | Verdict::Unknown
        ) {
            return None;
        }
        let name = call.name()?;
        let expect = |process: &Process, model: Model| {
            known::expectation(n.known, process).expect(
                call.abi,
                call.nr,
                Some(name),
                &call.args,
                None,
                model,
            )
        };
        // The runtime model under which the profile gives what the policy gave.
        let base = known::expectation(n.known, &n.process);
        let (model, expected) = n.models.iter().find_map(|&m| {
            base.expect(call.abi, call.nr, Some(name), &call.args, None, m)
                .filter(|x| x.certain && x.outcome == *observed)
                .map(|x| (m, x))
        })?;
        let allowed = |x: Option<crate::profile::resolve::Expected>| {
            x.is_some_and(|x| x.certain && x.outcome.verdict == Verdict::Allowed)
        };
        let with = |extra: &[&str]| {
            let mut p = n.process.clone();
            p.caps.extend(extra.iter().map(|c| c.to_string()));
            p
        };
        let mut capabilities: Vec<String> = n
            .known
            .caps_for(name)
            .into_iter()
            .filter(|c| !n.process.caps.iter().any(|h| h == c))
            .filter(|c| allowed(expect(&with(&[c]), model)))
            .map(str::to_string)
            .collect();
        // The fix names the first: CAP_SYS_ADMIN, which profiles accept for
        // many calls (syslog: CAP_SYSLOG or CAP_SYS_ADMIN), comes last, so
        // the narrower capability is the one suggested.
        crate::sort::sort_by_key(&mut capabilities, |c| c == "CAP_SYS_ADMIN");
        let arguments = match &base {
            known::Expectation::Filter(f) => {
                describe_arguments(name, &f.rules_naming(call.abi, call.nr, model), &call.args)
            }
            // A measured table knows no argument rules beyond its probes.
            known::Expectation::Measured(_) => None,
        };
        let condition = match (capabilities.is_empty(), arguments.is_some()) {
            (false, false) => Condition::Capability,
            (true, true) => Condition::Arguments,
            (false, true) => Condition::CapabilityOrArguments,
            (true, false) => {
                // "Refused to every container" only when every capability
                // at once changes nothing; a pair of them that would is not
                // a case the known profiles have, and is not guessed at.
                let all: Vec<String> = caps::all().iter().map(|c| c.to_string()).collect();
                let all: Vec<&str> = all.iter().map(String::as_str).collect();
                if allowed(expect(&with(&all), model)) {
                    return None;
                }
                Condition::Never
            }
        };
        Some(ProfileRule {
            id: n.known.id().into(),
            title: n.known.title().into(),
            condition,
            capabilities,
            arguments,
            listed: expected.named || n.known.lists(name),
        })
    }
}

impl ProfileRule {
    /// The profile as a sentence names it.
    fn noun(&self) -> &str {
        match Known::by_id(&self.id) {
            Some(k) => k.noun(),
            None => &self.title,
        }
    }

    fn engine(&self) -> Engine {
        Known::by_id(&self.id).map_or(Engine::Docker, Known::engine)
    }

    /// Whether the engine that gives this profile takes `cap` by name:
    /// Docker 20.10 rejects the capabilities newer than its list
    /// ("unknown capability": CAP_BPF, CAP_PERFMON, CAP_CHECKPOINT_RESTORE).
    fn takes(&self, cap: &str) -> bool {
        !(self.id == "docker-20.10" && captable::also_granted_by(cap).is_some())
    }

    /// How to give the container `cap`, for this profile's engine.
    fn add(&self, cap: &str) -> String {
        if !self.takes(cap)
            && let Some(admin) = captable::also_granted_by(cap)
        {
            return format!(
                "run with --cap-add {} (Docker 20.10 rejects {}; {admin} grants it too)",
                admin.trim_start_matches("CAP_"),
                cap.trim_start_matches("CAP_")
            );
        }
        let short = cap.trim_start_matches("CAP_");
        match self.engine() {
            Engine::Docker | Engine::Podman => format!("run with --cap-add {short}"),
            Engine::Containerd => format!(
                "add {short} to the container's capabilities (Kubernetes: securityContext.capabilities.add; nerdctl: --cap-add {short})"
            ),
            Engine::Nspawn => format!("run with --capability={cap}"),
        }
    }

    /// How to give the container another profile that allows `name`.
    fn custom(&self, name: &str) -> String {
        match self.engine() {
            Engine::Docker | Engine::Podman => {
                "use a custom profile (--security-opt seccomp=FILE)".into()
            }
            Engine::Containerd => "use a custom profile (Kubernetes: a Localhost seccompProfile; nerdctl: --security-opt seccomp=FILE)".into(),
            Engine::Nspawn => format!("allow it with --system-call-filter={name}"),
        }
    }

    /// What the profile does to `name` and what would let the call through,
    /// in a sentence; `errno` is the policy's answer (ENOSYS reads apart:
    /// programs fall back on it); `kernel` the capability the kernel checks
    /// next and the container lacks, when there is one.
    pub fn sentence(&self, name: &str, errno: Option<u32>, kernel: Option<&str>) -> String {
        let mut s = self.profile_sentence(name, errno);
        // When the capability the fix adds for the profile is the kernel's
        // too, one flag does both.
        let added = match self.condition {
            Condition::Capability | Condition::CapabilityOrArguments => self.first_taken(),
            Condition::Arguments | Condition::Never => None,
        };
        if let Some(k) = kernel
            && added != Some(k)
            && added.is_none_or(|a| captable::also_granted_by(k) != Some(a))
        {
            s.push_str(&format!("; {name} also needs {k}: {}", self.add(k)));
        }
        s
    }

    /// The capability a fix adds: the first the engine takes by name.
    fn first_taken(&self) -> Option<&str> {
        self.capabilities
            .iter()
            .find(|c| self.takes(c))
            .or(self.capabilities.first())
            .map(String::as_str)
    }

    fn profile_sentence(&self, name: &str, errno: Option<u32>) -> String {
        let p = self.noun();
        let caps = self.capabilities.join(" or ");
        let add = self.first_taken().map(|c| self.add(c)).unwrap_or_default();
        let args = self.arguments.as_deref().unwrap_or_default();
        let enosys = errno == Some(38);
        match self.condition {
            Condition::Capability if enosys => format!(
                "{p} answers ENOSYS to {name} unless the container has {caps}, so that programs fall back to an older call, as most do by themselves; to let {name} through, {add}"
            ),
            Condition::Capability => format!("{p} allows {name} only with {caps}: {add}"),
            Condition::CapabilityOrArguments => {
                format!("{p} allows {name} only {args}, or with {caps}: {add}")
            }
            Condition::Arguments => format!(
                "{p} allows {name} only {args}: to allow it with these arguments, {}",
                self.custom(name)
            ),
            Condition::Never if enosys => format!(
                "{p} answers ENOSYS to {name} for every container{}: most programs then do without it or fall back to an older call by themselves; otherwise {}",
                if self.listed {
                    ""
                } else {
                    ", as to the calls it does not list"
                },
                self.custom(name)
            ),
            Condition::Never => format!(
                "{p} refuses {name} to every container{}: {}",
                if self.listed {
                    ""
                } else {
                    " (it does not list it)"
                },
                self.custom(name)
            ),
        }
    }
}

/// The arguments with which the rules naming a call (`rules`, as the
/// filter holds them) allow it, in words: "without namespace flags", "with
/// persona PER_LINUX or PER_LINUX32". `None` when no conditional rule
/// allows it, or an unconditional one decides whatever the arguments.
fn describe_arguments(
    name: &str,
    rules: &[(Action, &[ArgCmp])],
    args: &[u64; 6],
) -> Option<String> {
    if rules.iter().any(|(_, c)| c.is_empty()) {
        return None;
    }
    let allowing: Vec<&[ArgCmp]> = rules
        .iter()
        .filter(|(a, c)| a.permits() && !c.is_empty())
        .map(|(_, c)| *c)
        .collect();
    // Rules that each allow one value of the same argument read as a list.
    let mut equal: Vec<(usize, Vec<String>)> = Vec::new();
    let mut parts: Vec<String> = Vec::new();
    for cmps in &allowing {
        if let [c] = cmps
            && c.op == Op::Eq
        {
            let i = usize::from(c.index);
            let (_, v) = shown(name, i, c.value, args);
            match equal.iter_mut().find(|(j, _)| *j == i) {
                Some((_, vs)) => {
                    if !vs.contains(&v) {
                        vs.push(v);
                    }
                }
                None => equal.push((i, vec![v])),
            }
            continue;
        }
        let words: Vec<String> = cmps.iter().map(|c| comparison(name, c, args)).collect();
        let text = words.join(" and ");
        if !parts.contains(&text) {
            parts.push(text);
        }
    }
    let mut out: Vec<String> = equal
        .into_iter()
        .map(|(i, vs)| {
            let (arg, _) = shown(name, i, 0, args);
            format!("with {arg} {}", or_list(&vs))
        })
        .collect();
    out.extend(parts);
    if out.is_empty() {
        None
    } else {
        Some(out.join(", or "))
    }
}

/// "a, b or c".
fn or_list(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [rest @ .., last] => format!("{} or {last}", rest.join(", ")),
    }
}

/// What argument `i` is, and `value` as the call would show it.
fn shown(name: &str, i: usize, value: u64, args: &[u64; 6]) -> (String, String) {
    // Prose, not C: "0xffffffff (query)" rather than strace's comment.
    let prose = |v: String| v.replace("/* ", "(").replace(" */", ")");
    match decode::scalar(name, i, value, args).map(|(w, v)| (w, prose(v))) {
        Some((what, v)) if what != "argument" => (what.to_string(), v),
        Some((_, v)) => (format!("argument {}", i + 1), v),
        None => (format!("argument {}", i + 1), format!("{value:#x}")),
    }
}

/// "a domain", "an option", "argument 2".
fn some(arg: &str) -> String {
    if arg.starts_with("argument") {
        arg.to_string()
    } else if arg.starts_with(['a', 'e', 'i', 'o', 'u']) {
        format!("an {arg}")
    } else {
        format!("a {arg}")
    }
}

/// One comparison of an allowing rule, in words.
fn comparison(name: &str, c: &ArgCmp, args: &[u64; 6]) -> String {
    let i = usize::from(c.index);
    let (arg, v) = shown(name, i, c.value, args);
    match c.op {
        Op::Eq => format!("with {arg} {v}"),
        Op::Ne => format!("with {} other than {v}", some(&arg)),
        Op::Lt => format!("with {arg} below {v}"),
        Op::Le => format!("with {arg} at most {v}"),
        Op::Gt => format!("with {arg} above {v}"),
        Op::Ge => format!("with {arg} at least {v}"),
        Op::MaskedEq if c.value_two == 0 => {
            if matches!(name, "clone" | "unshare") && c.value == decode::NAMESPACE_FLAGS {
                "without namespace flags".into()
            } else {
                format!("without {v}")
            }
        }
        Op::MaskedEq => format!("with {arg} & {:#x} equal to {:#x}", c.value, c.value_two),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::linux::abi;
    use crate::linux::caps;

    fn docker() -> Vec<String> {
        caps::set_names(&caps::DOCKER_DEFAULT)
    }
    fn podman() -> Vec<String> {
        caps::set_names(&caps::PODMAN_DEFAULT)
    }
    const KERNEL: Option<(u32, u32)> = Some((6, 1));

    fn call(name: &str, args: [u64; 6]) -> Call {
        Call {
            abi: abi::native(),
            nr: abi::native_nr(name).expect(name),
            args,
        }
    }

    fn errno(e: u32) -> Outcome {
        Outcome {
            verdict: Verdict::Errno,
            errno: Some(e),
            trap_data: None,
        }
    }

    #[test]
    fn docker_allows_clock_settime_only_with_cap_sys_time() {
        let k = ProfileKnowledge::known("docker-20.10", &docker(), KERNEL);
        let r = k
            .rule_for(&call("clock_settime", [0; 6]), &errno(1))
            .unwrap();
        assert_eq!(r.condition, Condition::Capability);
        assert_eq!(r.capabilities, ["CAP_SYS_TIME"]);
        assert_eq!(r.arguments, None);
        assert!(r.listed);
        assert_eq!(
            r.sentence("clock_settime", Some(1), None),
            "Docker's default profile (20.10) allows clock_settime only with CAP_SYS_TIME: run with --cap-add SYS_TIME"
        );
        // The kernel wants the same capability: the one flag does both.
        assert_eq!(
            r.sentence("clock_settime", Some(1), Some("CAP_SYS_TIME")),
            r.sentence("clock_settime", Some(1), None)
        );
    }

    #[test]
    fn with_cap_sys_time_docker_allows_it_so_a_refusal_is_not_dockers() {
        let mut caps = docker();
        caps.push("CAP_SYS_TIME".into());
        let k = ProfileKnowledge::known("docker-20.10", &caps, KERNEL);
        // The profile allows the call: a policy that refuses it is not
        // Docker's at this call, and nothing is said of Docker's rules.
        assert_eq!(k.rule_for(&call("clock_settime", [0; 6]), &errno(1)), None);
        // Nor of a call the profile answers otherwise than the policy did.
        let k = ProfileKnowledge::known("docker-20.10", &docker(), KERNEL);
        assert_eq!(k.rule_for(&call("clock_settime", [0; 6]), &errno(13)), None);
    }

    #[test]
    fn podman_refuses_kexec_load_to_every_container() {
        let k = ProfileKnowledge::known("containers-common-0.50.1", &podman(), KERNEL);
        let r = k.rule_for(&call("kexec_load", [0; 6]), &errno(1)).unwrap();
        assert_eq!(r.condition, Condition::Never);
        assert!(r.capabilities.is_empty());
        assert_eq!(
            r.sentence("kexec_load", Some(1), None),
            "podman's default profile (containers-common 0.50.1, also CRI-O's) refuses kexec_load to every container: use a custom profile (--security-opt seccomp=FILE)"
        );
        // swapon too; the kernel then wants CAP_SYS_ADMIN, which the
        // container lacks: one more flag.
        let r = k.rule_for(&call("swapon", [0; 6]), &errno(1)).unwrap();
        assert_eq!(
            r.sentence("swapon", Some(1), Some("CAP_SYS_ADMIN")),
            "podman's default profile (containers-common 0.50.1, also CRI-O's) refuses swapon to every container: use a custom profile (--security-opt seccomp=FILE); swapon also needs CAP_SYS_ADMIN: run with --cap-add SYS_ADMIN"
        );
        // And calls it does not list get its default, ENOSYS, whatever the
        // capabilities.
        let r = k.rule_for(&call("mseal", [0; 6]), &errno(38)).unwrap();
        assert_eq!((r.condition, r.listed), (Condition::Never, false));
        let s = r.sentence("mseal", Some(38), None);
        assert!(
            s.contains(
                "answers ENOSYS to mseal for every container, as to the calls it does not list"
            ),
            "{s}"
        );
    }

    #[test]
    fn podman_allows_clock_settime_only_with_cap_sys_time() {
        let k = ProfileKnowledge::known("containers-common-0.50.1", &podman(), KERNEL);
        let r = k
            .rule_for(&call("clock_settime", [0; 6]), &errno(1))
            .unwrap();
        assert_eq!(
            r.sentence("clock_settime", Some(1), None),
            "podman's default profile (containers-common 0.50.1, also CRI-O's) allows clock_settime only with CAP_SYS_TIME: run with --cap-add SYS_TIME"
        );
    }

    #[test]
    fn docker_allows_clone_only_without_namespace_flags() {
        let k = ProfileKnowledge::known("docker-20.10", &docker(), KERNEL);
        // clone(CLONE_NEWUSER|SIGCHLD)
        let r = k
            .rule_for(&call("clone", [0x1000_0011, 0, 0, 0, 0, 0]), &errno(1))
            .unwrap();
        assert_eq!(r.condition, Condition::CapabilityOrArguments);
        assert_eq!(r.arguments.as_deref(), Some("without namespace flags"));
        assert_eq!(
            r.sentence("clone", Some(1), None),
            "Docker's default profile (20.10) allows clone only without namespace flags, or with CAP_SYS_ADMIN: run with --cap-add SYS_ADMIN"
        );
    }

    #[test]
    fn docker_allows_personality_only_with_some_personas() {
        let k = ProfileKnowledge::known("docker-20.10", &docker(), KERNEL);
        // personality(ADDR_NO_RANDOMIZE), as setarch -R asks.
        let r = k
            .rule_for(&call("personality", [0x0040000, 0, 0, 0, 0, 0]), &errno(1))
            .unwrap();
        assert_eq!(r.condition, Condition::Arguments);
        assert_eq!(
            r.sentence("personality", Some(1), None),
            "Docker's default profile (20.10) allows personality only with persona PER_LINUX, PER_LINUX32, PER_LINUX|UNAME26, PER_LINUX32|UNAME26 or 0xffffffff (query): to allow it with these arguments, use a custom profile (--security-opt seccomp=FILE)"
        );
    }

    #[test]
    fn podman_refuses_the_audit_socket_without_cap_audit_write() {
        let k = ProfileKnowledge::known("containers-common-0.50.1", &podman(), KERNEL);
        // socket(AF_NETLINK, SOCK_RAW, NETLINK_AUDIT): EINVAL from the profile.
        let r = k
            .rule_for(&call("socket", [16, 3, 9, 0, 0, 0]), &errno(22))
            .unwrap();
        assert_eq!(r.condition, Condition::CapabilityOrArguments);
        assert_eq!(r.capabilities, ["CAP_AUDIT_WRITE"]);
        assert_eq!(
            r.arguments.as_deref(),
            Some(
                "with a protocol other than NETLINK_AUDIT, or with a domain other than AF_NETLINK"
            )
        );
    }

    #[test]
    fn docker_answers_enosys_to_clone3_without_cap_sys_admin() {
        let k = ProfileKnowledge::known("docker-20.10", &docker(), KERNEL);
        let r = k.rule_for(&call("clone3", [0; 6]), &errno(38)).unwrap();
        assert_eq!(r.capabilities, ["CAP_SYS_ADMIN"]);
        let s = r.sentence("clone3", Some(38), None);
        assert!(s.starts_with("Docker's default profile (20.10) answers ENOSYS to clone3 unless the container has CAP_SYS_ADMIN, so that programs fall back"), "{s}");
    }

    #[test]
    fn the_narrower_capability_is_suggested_first() {
        let k = ProfileKnowledge::known("docker-20.10", &docker(), KERNEL);
        let r = k.rule_for(&call("syslog", [0; 6]), &errno(1)).unwrap();
        assert_eq!(r.capabilities, ["CAP_SYSLOG", "CAP_SYS_ADMIN"]);
        assert_eq!(
            r.sentence("syslog", Some(1), None),
            "Docker's default profile (20.10) allows syslog only with CAP_SYSLOG or CAP_SYS_ADMIN: run with --cap-add SYSLOG"
        );
    }

    // systemd-nspawn's table was measured on x86_64 only.
    #[cfg(target_arch = "x86_64")]
    #[test]
    fn nspawn_measured_filters_follow_the_capabilities_it_keeps() {
        let Some(Known::Measured(m)) = Known::by_id("systemd-nspawn-252") else {
            panic!("no nspawn table");
        };
        let k = ProfileKnowledge::known("systemd-nspawn-252", m.caps, KERNEL);
        let r = k
            .rule_for(&call("clock_settime", [0; 6]), &errno(1))
            .unwrap();
        assert_eq!(
            r.sentence("clock_settime", Some(1), None),
            "systemd-nspawn's default policy (252) allows clock_settime only with CAP_SYS_TIME: run with --capability=CAP_SYS_TIME"
        );
        let r = k.rule_for(&call("swapon", [0; 6]), &errno(1)).unwrap();
        assert_eq!(
            r.sentence("swapon", Some(1), None),
            "systemd-nspawn's default policy (252) refuses swapon to every container: allow it with --system-call-filter=swapon"
        );
    }

    #[test]
    fn nothing_is_said_without_a_known_profile_or_for_odd_calls() {
        let none = ProfileKnowledge::unknown();
        assert_eq!(
            none.rule_for(&call("clock_settime", [0; 6]), &errno(1)),
            None
        );
        let custom = ProfileKnowledge::known("no-such-profile", &docker(), KERNEL);
        assert_eq!(
            custom.rule_for(&call("clock_settime", [0; 6]), &errno(1)),
            None
        );
        let k = ProfileKnowledge::known("docker-20.10", &docker(), KERNEL);
        // A number without a name, all-ones arguments, an allowed call.
        let odd = Call {
            abi: abi::native(),
            nr: 4000,
            args: [u64::MAX; 6],
        };
        assert_eq!(k.rule_for(&odd, &errno(38)), None);
        let allowed = Outcome {
            verdict: Verdict::Allowed,
            errno: None,
            trap_data: None,
        };
        assert_eq!(k.rule_for(&call("read", [0; 6]), &allowed), None);
        let r = k
            .rule_for(&call("clone", [u64::MAX; 6]), &errno(1))
            .unwrap();
        assert_eq!(r.condition, Condition::CapabilityOrArguments);
    }
}
