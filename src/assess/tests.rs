//! The assessment on reports gathered from the captured fixtures, and on
//! variations of them that change one fact at a time.

use super::*;
use crate::seccomp::ProbeRequest;

fn report(config: &str) -> Report {
    let r = crate::report::build(
        &crate::report::Inputs::read(&crate::report::Options {
            json: false,
            color: crate::render::color::ColorChoice::Never,
            probe: ProbeRequest::None,
            root: Some(format!("tests/fixtures/{config}").into()),
            profile: None,
            check: None,
        })
        .unwrap(),
    );
    assert!(
        r.failed_sections().is_empty(),
        "{config}: {:?}",
        r.failed_sections()
    );
    r
}

fn assessed(r: &Report) -> Assessment {
    assess(&Sections::of(r)).unwrap()
}

fn control(a: &Assessment, id: &str) -> Status {
    a.pod_security
        .controls
        .iter()
        .find(|c| c.id == id)
        .unwrap_or_else(|| panic!("no control {id}"))
        .status
}

fn risk_ids(a: &Assessment) -> Vec<&str> {
    a.risks.iter().map(|r| r.id.as_str()).collect()
}

#[test]
fn verdicts_of_the_captured_configurations() {
    for (config, verdict) in [
        ("host", "not_in_container"),
        ("setpriv-nnp", "not_in_container"),
        ("podman-default", "docker_default"),
        ("podman-runc", "docker_default"),
        ("podman-rootless", "docker_default"),
        ("podman-read-only", "docker_default"),
        ("dockerd", "docker_default"),
        ("runc-docker", "docker_default"),
        ("podman-privileged", "privileged"),
        ("podman-hardened", "hardened"),
        ("podman-socket", "weakened"),
        // nspawn keeps the host's network and CAP_SYS_ADMIN.
        ("nspawn", "weakened"),
    ] {
        let a = assessed(&report(config));
        assert_eq!(a.verdict, verdict, "{config}: {:?}", a.reasons);
    }
}

#[test]
fn a_privileged_container_fails_baseline_for_what_it_shows() {
    let a = assessed(&report("podman-privileged"));
    assert_eq!(a.summary, "privileged container");
    assert_eq!(a.pod_security.baseline, Status::Fail);
    for id in [
        "privileged",
        "capabilities_baseline",
        "seccomp",
        "proc_mount",
    ] {
        assert_eq!(control(&a, id), Status::Fail, "{id}");
    }
    assert_eq!(control(&a, "host_namespaces"), Status::Pass);
    let ids = risk_ids(&a);
    assert_eq!(ids[0], "cap_sys_admin_no_seccomp");
    for id in [
        "cap_sys_module",
        "sys_writable",
        "proc_sys_writable",
        "block_devices",
    ] {
        assert!(ids.contains(&id), "{id} in {ids:?}");
    }
    // Most severe first.
    assert!(a.risks.windows(2).all(|w| w[0].severity <= w[1].severity));
}

#[test]
fn the_hardened_container_passes_restricted_and_the_default_fails_it() {
    let a = assessed(&report("podman-hardened"));
    assert_eq!(
        a.pod_security.restricted,
        Status::Pass,
        "{:?}",
        a.pod_security
    );
    let a = assessed(&report("podman-default"));
    assert_eq!(
        a.pod_security.baseline,
        Status::Pass,
        "{:?}",
        a.pod_security
    );
    assert_eq!(a.pod_security.restricted, Status::Fail);
    for id in [
        "privilege_escalation",
        "run_as_non_root",
        "capabilities_restricted",
    ] {
        assert_eq!(control(&a, id), Status::Fail, "{id}");
    }
}

#[test]
fn a_mounted_socket_is_the_first_risk() {
    let a = assessed(&report("podman-socket"));
    assert_eq!(a.risks[0].id, "runtime_socket");
    assert_eq!(a.risks[0].severity, Severity::Critical);
    assert!(
        a.risks[0]
            .text
            .starts_with("/run/podman/podman.sock (podman API) is mounted"),
        "{}",
        a.risks[0].text
    );
    assert_eq!(control(&a, "host_path_volumes"), Status::Fail);
    // What the live system adds: a connection that answered.
    let mut r = report("podman-socket");
    if let Section::Ok(m) = &mut r.mounts {
        m.sockets[0].connect = Some("connected".into());
        m.sockets[0].ping = Some(Ping {
            answered: true,
            status: Some(200),
            server: Some("Libpod/4.3.1 (linux)".into()),
            api_version: Some("1.41".into()),
            elapsed_us: 400,
            error: None,
        });
    }
    let a = assessed(&r);
    assert_eq!(
        a.risks[0].text,
        "/run/podman/podman.sock (podman API) is mounted and answers as Libpod/4.3.1 (linux): root on the host"
    );
}

/// podman-default with one fact changed.
fn default_with(change: impl FnOnce(&mut Report)) -> Assessment {
    let mut r = report("podman-default");
    change(&mut r);
    assessed(&r)
}

/// The default isolation is named for the runtime in force when its own
/// default set is what the container has, and for Docker's otherwise.
#[test]
fn the_default_verdict_names_the_runtime_in_force() {
    let summary = |config: &str| assessed(&report(config)).summary;
    assert_eq!(summary("podman-default"), "podman-default isolation");
    assert_eq!(summary("dockerd"), "Docker-default isolation");
    // runc alone: no runtime with a default set of its own.
    assert_eq!(summary("runc-docker"), "Docker-default isolation");
    let a = assessed(&report("podman-default"));
    assert_eq!(a.reasons[0], "capabilities within podman's default set");
    // Under podman with a capability of Docker's set that podman leaves out.
    let a = default_with(|r| {
        if let Section::Ok(c) = &mut r.capabilities {
            c.effective.push("CAP_NET_RAW".into());
        }
    });
    assert_eq!(
        (a.verdict.as_str(), a.summary.as_str()),
        ("docker_default", "Docker-default isolation")
    );
    assert_eq!(a.reasons[0], "capabilities within Docker's default set");
    // containerd under Kubernetes: the engine names it.
    let a = default_with(|r| {
        if let Section::Ok(rt) = &mut r.runtime {
            rt.detected = vec!["kubernetes".into(), "containerd".into()];
        }
    });
    assert_eq!(a.summary, "containerd-default isolation");
}

#[test]
fn one_fact_at_a_time() {
    // No seccomp filter: weakened, said first.
    let a = default_with(|r| {
        if let Section::Ok(s) = &mut r.seccomp.status {
            s.mode = SeccompMode::Disabled;
        }
    });
    assert_eq!(a.verdict, "weakened");
    assert_eq!(a.reasons[0], "no seccomp filter");
    assert!(risk_ids(&a).contains(&"no_seccomp"));
    assert_eq!(control(&a, "seccomp"), Status::Fail);

    // CAP_SYS_ADMIN added, seccomp still on.
    let a = default_with(|r| {
        if let Section::Ok(c) = &mut r.capabilities {
            c.effective.push("CAP_SYS_ADMIN".into());
            c.bounding.push("CAP_SYS_ADMIN".into());
        }
    });
    assert_eq!(a.verdict, "weakened");
    assert!(a.reasons[0].contains("CAP_SYS_ADMIN"), "{:?}", a.reasons);
    assert!(risk_ids(&a).contains(&"cap_sys_admin"));
    assert_eq!(control(&a, "capabilities_baseline"), Status::Fail);
    // ... but not privileged: seccomp, masks and read-only /sys are there.
    assert_eq!(control(&a, "privileged"), Status::Pass);

    // The host's PID namespace.
    let a = default_with(|r| {
        if let Section::Ok(n) = &mut r.namespaces {
            if let Section::Ok(p) = &mut n.pid {
                p.host = Some(true);
            }
        }
    });
    assert_eq!(a.verdict, "weakened");
    assert!(risk_ids(&a).contains(&"host_pid_namespace"));
    assert_eq!(control(&a, "host_namespaces"), Status::Fail);

    // A namespace that cannot be told makes its control cannot-tell, not pass.
    let a = default_with(|r| {
        if let Section::Ok(n) = &mut r.namespaces {
            if let Section::Ok(p) = &mut n.net {
                p.host = None;
            }
        }
    });
    assert_eq!(control(&a, "host_namespaces"), Status::CannotTell);
    assert_eq!(a.pod_security.baseline, Status::CannotTell);

    // A section that failed: the controls that need it cannot be told.
    let a = default_with(|r| r.mounts = Section::failed("no mountinfo"));
    assert_eq!(control(&a, "proc_mount"), Status::CannotTell);
    assert_eq!(control(&a, "host_path_volumes"), Status::CannotTell);
    let a = default_with(|r| r.capabilities = Section::failed("no status"));
    assert_eq!(a.verdict, "unknown");
    assert_eq!(control(&a, "capabilities_restricted"), Status::CannotTell);

    // An AppArmor profile in force, then unconfined where AppArmor is on.
    let a = default_with(|r| {
        if let Section::Ok(l) = &mut r.lsm {
            l.apparmor = Some(AppArmor {
                profile: "unconfined".into(),
                mode: Some("unconfined".into()),
            });
        }
    });
    assert_eq!(control(&a, "apparmor"), Status::Fail);
    let a = default_with(|r| {
        if let Section::Ok(l) = &mut r.lsm {
            l.selinux = Some(SeLinux {
                context: "system_u:system_r:spc_t:s0".into(),
                domain: Some("spc_t".into()),
            });
        }
    });
    assert_eq!(control(&a, "selinux"), Status::Fail);
}

#[test]
fn a_writable_release_agent_with_cap_sys_admin_is_critical() {
    let a = default_with(|r| {
        if let Section::Ok(c) = &mut r.capabilities {
            c.effective.push("CAP_SYS_ADMIN".into());
        }
        if let Section::Ok(c) = &mut r.cgroups {
            c.release_agent = Some("/sys/fs/cgroup/memory/release_agent".into());
        }
    });
    let r = a.risks.iter().find(|r| r.id == "release_agent").unwrap();
    assert_eq!(r.severity, Severity::Critical);
}

#[test]
fn capabilities_in_a_private_user_namespace_are_not_the_hosts() {
    // nspawn -U: CAP_SYS_ADMIN and more, in a user namespace of its own.
    let a = assessed(&report("nspawn-userns"));
    assert!(!risk_ids(&a).contains(&"cap_sys_admin"), "{:?}", a.risks);
    assert!(
        a.reasons
            .iter()
            .any(|r| r.contains("private user namespace")),
        "{:?}",
        a.reasons
    );
}

#[test]
fn a_pod_with_a_token_is_named_as_a_risk() {
    let a = default_with(|r| {
        r.kubernetes = Section::Ok(Kubernetes {
            pod: true,
            evidence: vec!["KUBERNETES_SERVICE_HOST is set".into()],
            namespace: Some("shop".into()),
            service_account: Some("web".into()),
            pod_name: Some("web-0".into()),
            pod_name_from: None,
            node_name: None,
            token: Some("/var/run/secrets/kubernetes.io/serviceaccount/token".into()),
            api_server: None,
        })
    });
    let r = a
        .risks
        .iter()
        .find(|r| r.id == "service_account_token")
        .unwrap();
    assert!(r.text.ends_with("as shop/web"), "{}", r.text);
}

#[test]
fn a_writable_proc_sys_in_a_private_user_namespace_is_not_the_hosts() {
    // bwrap --unshare-all mounts a fresh /proc, writable, in its own user namespace.
    let a = assessed(&report("bwrap"));
    let r = a
        .risks
        .iter()
        .find(|r| r.id == "proc_sys_writable")
        .unwrap();
    assert_eq!(r.severity, Severity::Low, "{}", r.text);
    let a = assessed(&report("podman-privileged"));
    let r = a
        .risks
        .iter()
        .find(|r| r.id == "proc_sys_writable")
        .unwrap();
    assert_eq!(r.severity, Severity::High);
}

/// A probe result for `name` on `abi`: refused with EPERM, or allowed.
fn verdict(abi: &str, name: &str, refused: bool) -> SyscallResult {
    SyscallResult {
        abi: abi.into(),
        nr: 0,
        name: Some(name.into()),
        verdict: if refused {
            Verdict::Errno
        } else {
            Verdict::Allowed
        },
        errno: refused.then_some(1),
        trap_data: None,
        method: ProbeMethod::Notify,
        confidence: Confidence::Exact,
        all_ones: None,
        note: None,
        direct: None,
    }
}

/// podman-default with `caps` added and a probe that gives these verdicts.
fn with_caps_and_verdicts(caps: &[&str], results: Vec<SyscallResult>) -> Assessment {
    default_with(|r| {
        if let Section::Ok(c) = &mut r.capabilities {
            c.effective.extend(caps.iter().map(|c| c.to_string()));
        }
        let mut p = crate::seccomp::not_run("made up");
        p.method = ProbeMethod::Notify;
        p.results = results;
        r.seccomp.probe = Section::Ok(p);
    })
}

#[test]
fn a_capability_whose_calls_the_policy_refuses_everywhere_is_a_lesser_risk() {
    let severity = |a: &Assessment, id: &str| {
        a.risks
            .iter()
            .find(|r| r.id == id)
            .unwrap_or_else(|| panic!("no risk {id}: {:?}", a.risks))
            .severity
    };
    let caps = ["CAP_DAC_READ_SEARCH", "CAP_SYS_MODULE"];
    let calls = ["open_by_handle_at", "init_module", "finit_module"];
    // Refused on both entry points (LXC's profile): medium.
    let all: Vec<SyscallResult> = ["x86_64", "i386"]
        .iter()
        .flat_map(|abi| calls.iter().map(move |c| verdict(abi, c, true)))
        .collect();
    let a = with_caps_and_verdicts(&caps, all);
    assert_eq!(severity(&a, "cap_dac_read_search"), Severity::Medium);
    assert_eq!(severity(&a, "cap_sys_module"), Severity::Medium);
    // Allowed through i386 alone: the way is open.
    let mut some: Vec<SyscallResult> = calls.iter().map(|c| verdict("x86_64", c, true)).collect();
    some.extend(calls.iter().map(|c| verdict("i386", c, false)));
    let a = with_caps_and_verdicts(&caps, some);
    assert_eq!(severity(&a, "cap_dac_read_search"), Severity::High);
    assert_eq!(severity(&a, "cap_sys_module"), Severity::Critical);
    // finit_module allowed: a module can still be loaded.
    let mut one: Vec<SyscallResult> = ["open_by_handle_at", "init_module"]
        .iter()
        .map(|c| verdict("x86_64", c, true))
        .collect();
    one.push(verdict("x86_64", "finit_module", false));
    let a = with_caps_and_verdicts(&caps, one);
    assert_eq!(severity(&a, "cap_sys_module"), Severity::Critical);
    assert_eq!(severity(&a, "cap_dac_read_search"), Severity::Medium);
    // No probe: nothing is known of the calls, the risks stay whole.
    let a = with_caps_and_verdicts(&caps, Vec::new());
    assert_eq!(severity(&a, "cap_dac_read_search"), Severity::High);
    assert_eq!(severity(&a, "cap_sys_module"), Severity::Critical);
}
