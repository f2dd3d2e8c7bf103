//! `--against`: which of the calls a command made a named profile would block,
//! judged by the project's own resolver for the capabilities that runtime gives a
//! default container (for a file: whatami's own bounding set), with the arguments
//! the command used where the profiles' rules look at them.

use crate::linux::abi::Abi;
use crate::linux::caps;
use crate::profile;
use crate::profile::known::{self, Expectation, Known};
use crate::profile::resolve::{Libseccomp, Model, Process, Runtime};
use serde::{Deserialize, Serialize};

fn docker_caps() -> Vec<String> {
    caps::set_names(&caps::DOCKER_DEFAULT)
}

fn podman_caps() -> Vec<String> {
    caps::set_names(&caps::PODMAN_DEFAULT)
}

/// The capabilities `--caps LIST` names: the union of its sets (docker,
/// podman, none) and capabilities, in the order given.
pub fn parse_caps(list: &str) -> Result<Vec<String>, String> {
    let mut out: Vec<String> = Vec::new();
    for item in list.split(',').map(str::trim).filter(|i| !i.is_empty()) {
        let add = match item {
            "docker" => docker_caps(),
            "podman" => podman_caps(),
            "none" => Vec::new(),
            name => vec![caps::parse_name(name).ok_or_else(|| {
                format!("--caps: {name:?} is neither a capability nor one of docker, podman, none")
            })?],
        };
        for c in add {
            if !out.contains(&c) {
                out.push(c);
            }
        }
    }
    Ok(out)
}

/// A profile to judge the calls by, resolved.
pub struct Target {
    /// As given: `docker`, `podman`, `runtime-default`, a built-in id, or a path.
    pub given: String,
    pub title: String,
    pub capabilities: Vec<String>,
    /// Whose capabilities those are.
    pub capabilities_of: String,
    /// The runtime whose handling of unnamed numbers is assumed.
    pub runtime: &'static str,
    expectation: Expectation,
    model: Model,
}

/// The names `--against` takes besides a file, and the built-in profile each means.
const ALIASES: [(&str, &str); 3] = [
    ("docker", "docker-20.10"),
    ("podman", "containers-common-0.50.1"),
    ("runtime-default", "containerd-1.6.20"),
];

/// Resolves `--against WHAT` (before the command runs: a bad one is bad usage),
/// for the capabilities `--caps` gave, if it was given.
pub fn target(
    what: &str,
    own_bounding: &[String],
    given_caps: Option<&[String]>,
) -> Result<Target, String> {
    let id = ALIASES
        .iter()
        .find(|(a, _)| *a == what)
        .map_or(what, |(_, id)| id);
    let runc = Model {
        runtime: Runtime::Runc,
        libseccomp: Libseccomp::Current,
    };
    if let Some(k) = known::ALL.iter().find(|k| k.id() == id) {
        let (caps, of): (Vec<String>, &str) = match k {
            Known::Measured(m) => (
                m.caps.iter().map(|c| c.to_string()).collect(),
                "systemd-nspawn's default capabilities",
            ),
            Known::Rules(t) if t.id.starts_with("containers-common") => {
                (podman_caps(), "podman's default capabilities")
            }
            Known::Rules(t) if t.id.starts_with("containerd") => (
                docker_caps(),
                "containerd's default capabilities (Docker's)",
            ),
            Known::Rules(_) => (docker_caps(), "Docker's default capabilities"),
        };
        let (caps, of) = match given_caps {
            Some(g) => (g.to_vec(), "the capabilities --caps gave"),
            None => (caps, of),
        };
        // podman runs crun by default; Docker and containerd run runc.
        let model = if id.starts_with("containers-common") {
            Model {
                runtime: Runtime::Crun,
                ..runc
            }
        } else {
            runc
        };
        let process = Process {
            caps: caps.clone(),
            kernel: crate::linux::kernel::version(),
        };
        return Ok(Target {
            given: what.to_string(),
            title: k.title().to_string(),
            capabilities: caps,
            capabilities_of: of.to_string(),
            runtime: model.runtime_name(),
            expectation: known::expectation(k, &process),
            model,
        });
    }
    let path = std::path::Path::new(what);
    if std::fs::symlink_metadata(path).is_err() {
        return Err(format!(
            "--against {what}: neither a file nor one of docker, podman, runtime-default, {}",
            known::ALL
                .iter()
                .map(|k| k.id())
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    let text = profile::read::text_of(path, "--against")?;
    let read = profile::read::parse(&text).map_err(|e| format!("--against {what}: {e}"))?;
    let (caps, of) = match given_caps {
        Some(g) => (g.to_vec(), "the capabilities --caps gave"),
        None => (own_bounding.to_vec(), "whatami's own bounding set"),
    };
    let process = Process {
        caps: caps.clone(),
        kernel: crate::linux::kernel::version(),
    };
    Ok(Target {
        given: what.to_string(),
        title: what.to_string(),
        capabilities: caps,
        capabilities_of: of.into(),
        runtime: runc.runtime_name(),
        expectation: Expectation::Filter(profile::resolve::Filter::build(&read.profile, &process)),
        model: runc,
    })
}

/// One call (with its arguments, where they matter) the profile would block.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Blocked {
    pub abi: String,
    pub syscall: String,
    /// The arguments the verdict depends on, as strace shows them.
    pub args: Option<String>,
    pub count: u64,
    /// `errno`, `kill_thread`, `kill_process`, `trap`.
    pub verdict: String,
    pub errno: Option<u32>,
    pub errno_name: Option<String>,
}

/// What one `--against` found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Against {
    pub profile: String,
    pub title: String,
    pub capabilities: Vec<String>,
    pub capabilities_of: String,
    pub runtime: String,
    pub blocked: Vec<Blocked>,
}

/// A call as the trace counted it: entry point, number (without its bit),
/// the arguments kept (`None`: not kept, judged with zeros) and how often.
pub struct Counted {
    pub abi: &'static Abi,
    pub nr: u32,
    pub args: Option<[u64; 6]>,
    pub count: u64,
}

/// The arguments kept of a call, as strace shows them.
pub fn args_text(name: &str, a: &[u64; 6]) -> String {
    use crate::trace::decode;
    match name {
        "clone" | "unshare" => decode::clone_flags(a[0]),
        "personality" => decode::personality(a[0]),
        "socket" => format!(
            "{}, {}, {}",
            decode::domain(a[0]),
            decode::sock_type(a[1]),
            decode::proto(a[0], a[2])
        ),
        _ => String::new(),
    }
}

/// The calls of `calls` that `t` would not let through, in the order given.
pub fn judge(t: &Target, calls: &[Counted]) -> Against {
    let mut blocked = Vec::new();
    for c in calls {
        let name = c.abi.name(c.nr);
        let args = c.args.unwrap_or([0; 6]);
        let Some(e) = t
            .expectation
            .expect(c.abi, c.nr | c.abi.nr_bit, name, &args, None, t.model)
        else {
            continue;
        };
        let o = e.outcome;
        if o.verdict == crate::model::Verdict::Allowed {
            continue;
        }
        let syscall = name
            .map(str::to_string)
            .unwrap_or_else(|| format!("syscall_{}", c.nr));
        blocked.push(Blocked {
            abi: c.abi.name.to_string(),
            args: c.args.map(|a| args_text(&syscall, &a)),
            syscall,
            count: c.count,
            verdict: serde_json::to_value(o.verdict)
                .ok()
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_default(),
            errno: o.errno,
            errno_name: o.errno.map(crate::linux::errno::name),
        });
    }
    Against {
        profile: t.given.clone(),
        title: t.title.clone(),
        capabilities: t.capabilities.clone(),
        capabilities_of: t.capabilities_of.clone(),
        runtime: t.runtime.to_string(),
        blocked,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::linux::abi;

    fn call(name: &str, args: Option<[u64; 6]>) -> Counted {
        let a = abi::native();
        let nr = (0..=abi::max_nr(a))
            .find(|&n| a.name(n) == Some(name))
            .unwrap();
        Counted {
            abi: a,
            nr,
            args,
            count: 1,
        }
    }

    fn names(r: &Against) -> Vec<String> {
        r.blocked
            .iter()
            .map(|b| format!("{} {}", b.syscall, b.errno_name.clone().unwrap_or_default()))
            .collect()
    }

    #[test]
    fn docker_blocks_a_user_namespace_and_keyctl_with_eperm() {
        let t = target("docker", &[], None).unwrap();
        assert_eq!(t.capabilities.len(), 14);
        let calls = [
            call("read", None),
            call("unshare", Some([0x1000_0000, 0, 0, 0, 0, 0])),
            call("keyctl", None),
            call("clone", Some([0x0120_0011, 0, 0, 0, 0, 0])),
        ];
        let r = judge(&t, &calls);
        assert_eq!(names(&r), ["unshare EPERM", "keyctl EPERM"]);
        assert_eq!(r.blocked[0].args.as_deref(), Some("CLONE_NEWUSER"));
        // A clone with a namespace flag is refused too; a plain one is not.
        let r = judge(&t, &[call("clone", Some([0x1000_0011, 0, 0, 0, 0, 0]))]);
        assert_eq!(names(&r), ["clone EPERM"]);
    }

    #[test]
    fn runtime_default_and_podman_judge_by_their_own_tables() {
        // containerd 1.6's RuntimeDefault allows io_uring_setup, as Docker
        // 20.10's does; containers-common's and moby v0.2.3's name no
        // io_uring call, and their default answers it: ENOSYS and EPERM.
        let io = || call("io_uring_setup", None);
        let t = target("runtime-default", &[], None).unwrap();
        assert!(judge(&t, &[io()]).blocked.is_empty());
        assert!(
            judge(&target("docker", &[], None).unwrap(), &[io()])
                .blocked
                .is_empty()
        );
        for (p, e) in [("podman", "ENOSYS"), ("moby-0.2.3", "EPERM")] {
            let r = judge(&target(p, &[], None).unwrap(), &[io(), call("write", None)]);
            assert_eq!(names(&r), [format!("io_uring_setup {e}")], "{p}");
        }
        // moby v0.2.3 refuses AF_VSOCK sockets; an inet one passes.
        let vsock = call("socket", Some([40, 1, 0, 0, 0, 0]));
        let inet = call("socket", Some([2, 1, 0, 0, 0, 0]));
        let r = judge(&target("moby-0.2.3", &[], None).unwrap(), &[vsock, inet]);
        assert_eq!(r.blocked.len(), 1);
        assert!(
            r.blocked[0]
                .args
                .as_deref()
                .unwrap()
                .starts_with("AF_VSOCK"),
            "{:?}",
            r.blocked
        );
        // podman's profile allows mount, which Docker's refuses; podman runs crun.
        let p = target("podman", &[], None).unwrap();
        assert_eq!(p.capabilities.len(), 11);
        assert_eq!(p.runtime, "crun");
        assert!(judge(&p, &[call("mount", None)]).blocked.is_empty());
        let d = target("docker", &[], None).unwrap();
        assert_eq!(names(&judge(&d, &[call("mount", None)])), ["mount EPERM"]);
    }

    #[test]
    fn caps_given_replace_the_runtimes_default_set() {
        let caps = parse_caps("docker, sys_admin").unwrap();
        assert_eq!(caps.len(), 15);
        assert_eq!(caps.last().map(String::as_str), Some("CAP_SYS_ADMIN"));
        // With CAP_SYS_ADMIN Docker's profile lets unshare(CLONE_NEWUSER) and
        // mount through; without it, it does not.
        let newuser = || call("unshare", Some([0x1000_0000, 0, 0, 0, 0, 0]));
        let admin = target("docker", &[], Some(&caps)).unwrap();
        assert_eq!(admin.capabilities_of, "the capabilities --caps gave");
        assert!(
            judge(&admin, &[newuser(), call("mount", None)])
                .blocked
                .is_empty()
        );
        let plain = target("docker", &[], Some(&parse_caps("docker").unwrap())).unwrap();
        assert_eq!(
            names(&judge(&plain, &[newuser(), call("mount", None)])),
            ["unshare EPERM", "mount EPERM"]
        );
        assert_eq!(parse_caps("none,").unwrap(), Vec::<String>::new());
        assert_eq!(parse_caps("podman").unwrap().len(), 11);
        let e = parse_caps("docker,SYS_NOPE").unwrap_err();
        assert!(e.contains("SYS_NOPE"), "{e}");
    }

    #[test]
    fn a_bad_name_is_an_error_that_lists_the_good_ones() {
        let e = target("/no/such/profile.json", &[], None).err().unwrap();
        assert!(e.contains("docker, podman, runtime-default"), "{e}");
    }
}
