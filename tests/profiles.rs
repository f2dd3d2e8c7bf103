//! The profile readers and the resolver on the built-in tables and on the
//! real profiles: containers-common's /usr/share/containers/seccomp.json
//! and Docker's default.json (Debian's golang-github-docker-docker-dev).
//! Tests that need those files are ignored by default; .ci/run installs
//! them and runs `cargo test -- --ignored`.

mod common;

use whatami::linux::abi;
use whatami::model::Verdict;
use whatami::profile::known::{self, Expectation, Known};
use whatami::profile::read;
use whatami::profile::resolve::{Filter, Libseccomp, Model, Process, Runtime};

const DOCKER_CAPS: [&str; 14] = [
    "CAP_CHOWN",
    "CAP_DAC_OVERRIDE",
    "CAP_FSETID",
    "CAP_FOWNER",
    "CAP_MKNOD",
    "CAP_NET_RAW",
    "CAP_SETGID",
    "CAP_SETUID",
    "CAP_SETFCAP",
    "CAP_SETPCAP",
    "CAP_NET_BIND_SERVICE",
    "CAP_SYS_CHROOT",
    "CAP_KILL",
    "CAP_AUDIT_WRITE",
];

fn process(caps: &[&str], kernel: (u32, u32)) -> Process {
    Process {
        caps: caps.iter().map(|c| c.to_string()).collect(),
        kernel: Some(kernel),
    }
}

const RUNC: Model = Model {
    runtime: Runtime::Runc,
    libseccomp: Libseccomp::Current,
};

/// (verdict, errno) of `name` with arguments `args` on the native entry point.
fn answer(f: &Filter, name: &str, args: [u64; 6]) -> (Verdict, Option<u32>) {
    let nr = abi::native_nr(name).unwrap_or_else(|| panic!("no number for {name}"));
    let e = f.expect(abi::native(), nr, &args, RUNC);
    (e.outcome.verdict, e.outcome.errno)
}

const Z: [u64; 6] = [0; 6];
const ALLOWED: (Verdict, Option<u32>) = (Verdict::Allowed, None);
const EPERM: (Verdict, Option<u32>) = (Verdict::Errno, Some(1));
const ENOSYS: (Verdict, Option<u32>) = (Verdict::Errno, Some(38));

fn table(id: &str) -> Filter {
    table_for(id, &process(&DOCKER_CAPS, (6, 1)))
}

fn table_for(id: &str, p: &Process) -> Filter {
    let k = known::ALL.iter().find(|k| k.id() == id).unwrap();
    match known::expectation(k, p) {
        Expectation::Filter(f) => f,
        Expectation::Measured(_) => panic!("{id} is measured"),
    }
}

fn check_docker_like(f: &Filter, admin: &Filter) {
    assert_eq!(answer(f, "mkdirat", Z), ALLOWED);
    assert_eq!(answer(f, "reboot", Z), EPERM);
    assert_eq!(answer(f, "unshare", Z), EPERM);
    // clone3: ENOSYS without CAP_SYS_ADMIN, so glibc falls back to clone.
    assert_eq!(answer(f, "clone3", Z), ENOSYS);
    assert_eq!(answer(admin, "clone3", Z), ALLOWED);
    // clone: namespace flags need CAP_SYS_ADMIN.
    assert_eq!(answer(f, "clone", [17, 0, 0, 0, 0, 0]), ALLOWED);
    assert_eq!(answer(f, "clone", [0x1000_0011, 0, 0, 0, 0, 0]), EPERM);
    assert_eq!(
        answer(admin, "clone", [0x1000_0011, 0, 0, 0, 0, 0]),
        ALLOWED
    );
    // personality: a few values only.
    assert_eq!(answer(f, "personality", [8, 0, 0, 0, 0, 0]), ALLOWED);
    assert_eq!(answer(f, "personality", [9, 0, 0, 0, 0, 0]), EPERM);
}

#[test]
fn docker_20_10_table_capabilities_and_arguments() {
    let admin: Vec<&str> = DOCKER_CAPS
        .iter()
        .copied()
        .chain(["CAP_SYS_ADMIN"])
        .collect();
    check_docker_like(
        &table("docker-20.10"),
        &table_for("docker-20.10", &process(&admin, (6, 1))),
    );
    let boot: Vec<&str> = DOCKER_CAPS
        .iter()
        .copied()
        .chain(["CAP_SYS_BOOT"])
        .collect();
    assert_eq!(
        answer(
            &table_for("docker-20.10", &process(&boot, (6, 1))),
            "reboot",
            Z
        ),
        ALLOWED
    );
}

#[test]
fn moby_0_2_3_table_min_kernel() {
    // ptrace is allowed from Linux 4.8 only (seccomp could be bypassed with
    // it before).
    let old = table_for("moby-0.2.3", &process(&DOCKER_CAPS, (4, 4)));
    let new = table("moby-0.2.3");
    assert_eq!(answer(&old, "ptrace", Z), EPERM);
    assert_eq!(answer(&new, "ptrace", Z), ALLOWED);
}

#[test]
fn containerd_table_from_its_go_source() {
    let admin: Vec<&str> = DOCKER_CAPS
        .iter()
        .copied()
        .chain(["CAP_SYS_ADMIN"])
        .collect();
    check_docker_like(
        &table("containerd-1.6.20"),
        &table_for("containerd-1.6.20", &process(&admin, (6, 1))),
    );
}

#[test]
fn containers_common_table_defaults_to_enosys() {
    let f = table("containers-common-0.50.1");
    assert_eq!(answer(&f, "unshare", Z), ALLOWED);
    assert_eq!(answer(&f, "mount", Z), ALLOWED);
    assert_eq!(answer(&f, "kexec_load", Z), EPERM);
    // A call the profile does not name: its ENOSYS default.
    assert_eq!(answer(&f, "mseal", Z), ENOSYS);
}

#[cfg(target_arch = "x86_64")]
#[test]
fn architectures_the_i386_entry_point() {
    let f = table("docker-20.10");
    let i386 = abi::abis()[2];
    // Listed through archMap's sub-architectures: mkdir (39) allowed there too.
    assert_eq!(
        f.expect(i386, 39, &Z, RUNC).outcome.verdict,
        Verdict::Allowed
    );
    // i386-only calls the profile does not allow.
    assert_eq!(
        f.expect(i386, 113, &Z, RUNC).outcome.verdict, // vm86old
        Verdict::Errno
    );
}

// systemd-nspawn's table was measured on x86_64 only: it has no aarch64 entry point.
#[cfg(target_arch = "x86_64")]
#[test]
fn nspawn_table_is_measured() {
    let k = known::ALL
        .iter()
        .find(|k| k.id() == "systemd-nspawn-252")
        .unwrap();
    assert!(matches!(k, Known::Measured(_)));
    let e = known::expectation(k, &process(&[], (6, 1)));
    let nr = abi::native_nr("kexec_load").unwrap();
    let x = e
        .expect(abi::native(), nr, Some("kexec_load"), &Z, None, RUNC)
        .unwrap();
    assert_eq!(x.outcome.verdict, Verdict::Errno);
    let nr = abi::native_nr("read").unwrap();
    let x = e
        .expect(abi::native(), nr, Some("read"), &Z, None, RUNC)
        .unwrap();
    assert_eq!(x.outcome.verdict, Verdict::Allowed);
}

/// A SeccompProfile in the shape the Security Profiles Operator's own
/// examples have: a leading `---`, quoted and plain scalars, compact lists.
#[test]
fn seccomp_profile_objects_as_the_operator_writes_them() {
    let y = "---\napiVersion: security-profiles-operator.x-k8s.io/v1beta1\n\
             kind: SeccompProfile\nmetadata:\n  name: demo\n  namespace: default\n\
             spec:\n  defaultAction: \"SCMP_ACT_ERRNO\"\n  architectures:\n  - SCMP_ARCH_X86_64\n\
             \x20 syscalls:\n  - action: SCMP_ACT_ALLOW\n    names:\n    - capget\n    - write\n\
             \x20 - action: SCMP_ACT_ERRNO\n    errnoRet: 38\n    names: [\"clone3\"]\n";
    let r = read::parse(y).unwrap();
    let f = Filter::build(&r.profile, &process(&[], (6, 1)));
    assert_eq!(answer(&f, "write", Z), ALLOWED);
    assert_eq!(answer(&f, "clone3", Z), ENOSYS);
    assert_eq!(answer(&f, "read", Z), EPERM);
    // Several objects in one file: say so, with their lines.
    let two = format!("{y}---\nkind: SeccompProfile\nspec:\n  defaultAction: SCMP_ACT_LOG\n");
    let e = read::parse(&two).unwrap_err().to_string();
    assert!(e.contains("2 SeccompProfile documents"), "{e}");
}

fn read_file(path: &str) -> read::Read {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    read::parse(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// Every (name, native number) whatami knows.
fn native_names() -> Vec<(&'static str, u32)> {
    let a = abi::native();
    (0..=abi::max_nr(a))
        .filter_map(|nr| a.name(nr).map(|n| (n, nr)))
        .collect()
}

/// The file and the derived table must agree on every call, for several
/// capability sets and kernels.
fn same_as_table(file: &read::Read, id: &str) {
    let caps_sets: [&[&str]; 4] = [
        &[],
        &DOCKER_CAPS,
        &["CAP_SYS_ADMIN"],
        &["CAP_SYS_PTRACE", "CAP_SYS_NICE"],
    ];
    for caps in caps_sets {
        for kernel in [(4, 4), (5, 10), (6, 18)] {
            let p = process(caps, kernel);
            let mine = Filter::build(&file.profile, &p);
            let derived = table_for(id, &p);
            for (name, nr) in native_names() {
                for args in [
                    Z,
                    [u64::MAX; 6],
                    [0x1000_0000, 0, 0, 0, 0, 0],
                    [8, 0, 0, 0, 0, 0],
                ] {
                    for m in Model::ALL {
                        let a = mine.expect(abi::native(), nr, &args, m);
                        let b = derived.expect(abi::native(), nr, &args, m);
                        assert_eq!(a, b, "{id}: {name} {args:?} {caps:?} {kernel:?} {m:?}");
                    }
                }
            }
        }
    }
}

#[test]
#[ignore = "needs /usr/share/containers/seccomp.json (containers-common; CI installs podman)"]
fn real_containers_common_profile() {
    let r = read_file("/usr/share/containers/seccomp.json");
    assert_eq!(r.format, whatami::profile::Format::Docker);
    // The deprecated defaultErrno is noted, and defaultErrnoRet (ENOSYS) decides.
    assert!(r.notes.iter().any(|n| n.contains("defaultErrno")));
    let f = Filter::build(&r.profile, &process(&DOCKER_CAPS, (6, 1)));
    assert_eq!(answer(&f, "mseal", Z), ENOSYS);
    assert_eq!(answer(&f, "kexec_load", Z), EPERM);
    // socket(AF_NETLINK, *, NETLINK_AUDIT) is EINVAL without CAP_AUDIT_WRITE.
    let nocap = Filter::build(&r.profile, &process(&[], (6, 1)));
    assert_eq!(
        answer(&nocap, "socket", [16, 3, 9, 0, 0, 0]),
        (Verdict::Errno, Some(22))
    );
    assert_eq!(answer(&nocap, "socket", [16, 3, 0, 0, 0, 0]), ALLOWED);
    assert_eq!(answer(&f, "socket", [16, 3, 9, 0, 0, 0]), ALLOWED);
    same_as_table(&r, "containers-common-0.50.1");
}

#[test]
#[ignore = "needs Docker's default.json (golang-github-docker-docker-dev; CI unpacks it)"]
fn real_docker_profile() {
    let r = read_file(&common::lab::docker_json());
    assert_eq!(r.format, whatami::profile::Format::Docker);
    let admin: Vec<&str> = DOCKER_CAPS
        .iter()
        .copied()
        .chain(["CAP_SYS_ADMIN"])
        .collect();
    let f = Filter::build(&r.profile, &process(&DOCKER_CAPS, (6, 1)));
    let fa = Filter::build(&r.profile, &process(&admin, (6, 1)));
    check_docker_like(&f, &fa);
    // runc answers ENOSYS above the highest call the profile names; crun
    // the default (EPERM).
    let crun = Model {
        runtime: Runtime::Crun,
        libseccomp: Libseccomp::Current,
    };
    let nr = abi::native_nr("mseal").unwrap();
    assert_eq!(
        f.expect(abi::native(), nr, &Z, RUNC).outcome.errno,
        Some(38)
    );
    assert_eq!(f.expect(abi::native(), nr, &Z, crun).outcome.errno, Some(1));
    same_as_table(&r, "docker-20.10");
}

fn run_whatami(args: &[&str]) -> (Option<i32>, String, String) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_whatami"))
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn a_bad_profile_file_is_a_usage_error_naming_the_line() {
    let dir = std::env::temp_dir().join(format!("whatami-profile-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let bad = dir.join("bad.yaml");
    std::fs::write(
        &bad,
        "kind: SeccompProfile\nspec:\n  defaultAction: SCMP_ACT_ERRNO\n  syscalls:\n  - names: [read]\n    action: SCMP_ACT_NOPE\n",
    )
    .unwrap();
    let (code, _, err) = run_whatami(&["--probe", "none", "--profile", bad.to_str().unwrap()]);
    assert_eq!(code, Some(2), "{err}");
    assert!(
        err.contains("line 6") && err.contains("SCMP_ACT_NOPE"),
        "{err}"
    );
    let (code, _, err) = run_whatami(&["--profile", dir.join("missing.json").to_str().unwrap()]);
    assert_eq!(code, Some(2), "{err}");
    // A good file with no probe to compare: the report says so (exit 3).
    let good = dir.join("good.json");
    std::fs::write(&good, r#"{"defaultAction": "SCMP_ACT_ALLOW"}"#).unwrap();
    let (code, out, _) = run_whatami(&[
        "--json",
        "--probe",
        "none",
        "--profile",
        good.to_str().unwrap(),
    ]);
    assert_eq!(code, Some(3));
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert!(v["seccomp"]["profile"]["given"]["error"].is_string(), "{v}");
    let _ = std::fs::remove_dir_all(&dir);
}

// Measured on x86_64 only, like the table itself.
#[cfg(target_arch = "x86_64")]
#[test]
fn nspawn_table_follows_the_capabilities_nspawn_keeps() {
    let k = known::ALL
        .iter()
        .find(|k| k.id() == "systemd-nspawn-252")
        .unwrap();
    let Known::Measured(m) = k else { panic!() };
    let answer = |caps: &[&str], name: &str| {
        let e = known::expectation(k, &process(caps, (6, 1)));
        let nr = abi::native_nr(name).unwrap();
        let x = e
            .expect(abi::native(), nr, Some(name), &Z, None, RUNC)
            .unwrap();
        (x.outcome.verdict, x.outcome.errno)
    };
    let default: Vec<&str> = m.caps.to_vec();
    assert_eq!(answer(&default, "syslog"), EPERM);
    assert_eq!(answer(&default, "reboot"), ALLOWED);
    let more: Vec<&str> = default.iter().copied().chain(["CAP_SYSLOG"]).collect();
    assert_eq!(answer(&more, "syslog"), ALLOWED);
    let less: Vec<&str> = default
        .iter()
        .copied()
        .filter(|c| *c != "CAP_SYS_BOOT")
        .collect();
    assert_eq!(answer(&less, "reboot"), EPERM);
}

#[test]
fn what_a_known_profile_says_about_one_call() {
    let docker = Known::by_id("docker-20.10").unwrap();
    assert_eq!(docker.caps_for("clock_settime"), ["CAP_SYS_TIME"]);
    assert_eq!(docker.caps_for("clone"), ["CAP_SYS_ADMIN"]);
    assert!(docker.caps_for("read").is_empty());
    assert!(docker.caps_for("no_such_call").is_empty());
    assert!(docker.lists("clock_settime") && docker.lists("read"));
    assert!(!docker.lists("kexec_load"));
    // The rules naming clone for a container without CAP_SYS_ADMIN: one,
    // allowing it without namespace flags.
    let f = table("docker-20.10");
    let nr = abi::native_nr("clone").unwrap();
    let rules = f.rules_naming(abi::native(), nr, RUNC);
    assert_eq!(rules.len(), 1, "{rules:?}");
    let (action, cmps) = rules[0];
    assert_eq!(action, whatami::profile::Action::Allow);
    assert_eq!(cmps.len(), 1);
    assert_eq!(
        (cmps[0].index, cmps[0].value, cmps[0].value_two),
        (0, 0x7E02_0000, 0)
    );
    // No rule names a call it leaves to the default.
    let nr = abi::native_nr("kexec_load").unwrap();
    assert!(f.rules_naming(abi::native(), nr, RUNC).is_empty());
    let podman = Known::by_id("containers-common-0.50.1").unwrap();
    assert!(podman.lists("kexec_load"));
    assert!(Known::by_id("no-such-profile").is_none());
}
