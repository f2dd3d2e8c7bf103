//! `whatami record` on real commands: the profile it writes reads back (with
//! its counts) through whatami's own reader, and a command run again under
//! that profile (resolved by whatami's resolver, compiled to BPF by the
//! tests' own compiler, installed with no_new_privs in a child) succeeds,
//! while a variant making one more call fails on exactly that call.
//!
//! None of these needs root: filters need only no_new_privs.

mod common;

use common::seccomp::*;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use whatami::linux::abi;
use whatami::model::Verdict;
use whatami::profile::read;
use whatami::profile::resolve::{Filter, Libseccomp, Model, Process, Runtime};
use whatami::record::profile::Seen;

const PATH: &str = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
const PTRACE: u32 = libc::SYS_ptrace as u32;
/// The script the profiles are recorded from: shell builtins only, so the
/// variant below adds exactly one call (kill, of `kill -0`).
const SCRIPT: &str = "echo recorded";
const VARIANT: &str = "echo recorded; kill -0 $$";

fn scratch(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("whatami-record-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn whatami(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_whatami"))
        .args(args)
        .env_clear()
        .env("PATH", PATH)
        .output()
        .unwrap()
}

/// The JSON report, the last thing on stderr (the command's own stderr comes first).
fn report(out: &Output) -> Value {
    let err = String::from_utf8_lossy(&out.stderr);
    let at = err
        .find("{\n")
        .unwrap_or_else(|| panic!("no JSON on stderr: {err}"));
    serde_json::from_str(&err[at..]).unwrap_or_else(|e| panic!("{e}: {err}"))
}

/// The profile at `path`, resolved as runtimes resolve it, compiled to one
/// test filter: every number of every entry point gets the profile's answer
/// (crun's model: the default for numbers no rule names).
fn compile(path: &Path) -> Vec<Ins> {
    let r = read::from_path(path).unwrap();
    let process = Process {
        caps: Vec::new(),
        kernel: None,
    };
    let f = Filter::build(&r.profile, &process);
    let model = Model {
        runtime: Runtime::Crun,
        libseccomp: Libseccomp::Current,
    };
    let action = |a: &abi::Abi, nr: u32| {
        let o = f.expect(a, nr | a.nr_bit, &[0; 6], model).outcome;
        match o.verdict {
            Verdict::Allowed => ALLOW,
            Verdict::Errno => ERRNO | o.errno.unwrap_or(1),
            Verdict::KillProcess => KILL_PROCESS,
            Verdict::Trap => TRAP,
            _ => KILL_THREAD,
        }
    };
    let table = |name: &str| {
        // An entry point this architecture lacks: no call comes through it.
        let Some(a) = abi::abis().into_iter().find(|a| a.name == name) else {
            return Table {
                rules: Vec::new(),
                default: KILL_THREAD,
            };
        };
        // The profile's default, then only the numbers answered otherwise:
        // a filter stays far below the kernel's 4096 instructions.
        let default = action(a, abi::max_nr(a) + 1);
        let rules = (0..=abi::max_nr(a))
            .filter(|&n| action(a, n) != default)
            .map(|n| Rule::new(n, action(a, n)))
            .collect();
        Table { rules, default }
    };
    Policy {
        native: table(abi::native().name),
        x32: table("x32"),
        compat: table("i386"),
        other_arch: KILL_PROCESS,
    }
    .compile()
}

fn record(name: &str, extra: &[&str], cmd: &[&str]) -> (PathBuf, Output) {
    let d = scratch(name);
    let path = d.join("profile.json");
    let mut args = vec!["record", "--json", "-o", path.to_str().unwrap()];
    args.extend(extra);
    args.push("--");
    args.extend(cmd);
    let out = whatami(&args);
    (path, out)
}

fn count(seen: &Seen, name: &str) -> u64 {
    seen.calls
        .iter()
        .filter(|((_, n), _)| n == name)
        .map(|(_, c)| *c)
        .sum()
}

#[test]
fn true_is_recorded_and_runs_under_its_profile() {
    let (path, out) = record("true", &[], &["/bin/true"]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let v = report(&out);
    assert_eq!(v["traced"], true);
    assert_eq!(v["profile"]["path"], path.to_str().unwrap());
    let text = std::fs::read_to_string(&path).unwrap();
    let mut seen = Seen::default();
    seen.merge_text(&text).unwrap();
    assert!(count(&seen, "execve") >= 1, "{text}");
    assert_eq!(count(&seen, "exit_group"), 1, "{text}");
    // The JSON's counts are the profile's.
    let calls = v["calls"].as_array().unwrap();
    let exits: u64 = calls
        .iter()
        .filter(|c| c["syscall"] == "exit_group")
        .map(|c| c["count"].as_u64().unwrap())
        .sum();
    assert_eq!(exits, 1);
    let run = run_program_under(&[compile(&path)], "/bin/true", &[], false);
    assert_eq!(run.status.code(), Some(0), "{run:?}");
}

#[test]
fn a_variant_making_one_more_call_fails_on_exactly_that_call() {
    let (path, out) = record("script", &[], &["/bin/sh", "-c", SCRIPT]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    assert_eq!(out.stdout, b"recorded\n", "the command's stdout is its own");
    let filter = compile(&path);
    let sh = |script: &str| {
        run_program_under(
            std::slice::from_ref(&filter),
            "/bin/sh",
            &["-c", script],
            false,
        )
    };
    let same = sh(SCRIPT);
    assert_eq!(same.status.code(), Some(0), "{same:?}");
    assert_eq!(same.stdout, b"recorded\n");
    let variant = sh(VARIANT);
    assert_ne!(variant.status.code(), Some(0), "{variant:?}");
    let err = String::from_utf8_lossy(&variant.stderr);
    assert!(err.contains("Operation not permitted"), "{err}");
    // kill is the one call missing: recording the variant adds exactly it,
    // and the variant then runs under its own profile.
    let (path2, out) = record("script-kill", &[], &["/bin/sh", "-c", VARIANT]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let text = std::fs::read_to_string(&path2).unwrap();
    let mut seen = Seen::default();
    seen.merge_text(&text).unwrap();
    assert_eq!(count(&seen, "kill"), 1, "{text}");
    let mut before = Seen::default();
    before
        .merge_text(&std::fs::read_to_string(&path).unwrap())
        .unwrap();
    let added: Vec<&String> = seen
        .calls
        .keys()
        .map(|(_, n)| n)
        .filter(|n| !before.calls.keys().any(|(_, m)| m == *n))
        .collect();
    assert_eq!(added, ["kill"], "the variant makes exactly one more call");
    let run = run_program_under(&[compile(&path2)], "/bin/sh", &["-c", VARIANT], false);
    assert_eq!(run.status.code(), Some(0), "{run:?}");
}

#[test]
fn merging_adds_the_counts_of_each_run() {
    let (path, out) = record("merge", &[], &["/bin/true"]);
    assert_eq!(out.status.code(), Some(0));
    let p = path.to_str().unwrap();
    for _ in 0..2 {
        let out = whatami(&["record", "--merge", p, "-o", p, "--", "/bin/true"]);
        assert_eq!(out.status.code(), Some(0), "{out:?}");
    }
    let mut seen = Seen::default();
    seen.merge_text(&std::fs::read_to_string(&path).unwrap())
        .unwrap();
    assert_eq!(count(&seen, "exit_group"), 3);
    let bad = whatami(&[
        "record",
        "--merge",
        "/nonexistent.json",
        "-o",
        p,
        "--",
        "true",
    ]);
    assert_eq!(bad.status.code(), Some(2), "{bad:?}");
    // The file was not touched by the refused run.
    let mut again = Seen::default();
    again
        .merge_text(&std::fs::read_to_string(&path).unwrap())
        .unwrap();
    assert_eq!(count(&again, "exit_group"), 3);
}

#[test]
fn every_format_is_read_back_by_whatamis_reader() {
    for (format, want) in [
        ("docker", None),
        ("oci", Some(whatami::profile::Format::Oci)),
        ("k8s", Some(whatami::profile::Format::SeccompProfile)),
    ] {
        let (path, out) = record(
            &format!("fmt-{format}"),
            &["--format", format, "--arg-rules"],
            &["/bin/sh", "-c", SCRIPT],
        );
        assert_eq!(out.status.code(), Some(0), "{out:?}");
        let r = read::from_path(&path).unwrap();
        if let Some(f) = want {
            assert_eq!(r.format, f, "{format}");
        }
        let mut seen = Seen::default();
        seen.merge_text(&std::fs::read_to_string(&path).unwrap())
            .unwrap();
        assert!(count(&seen, "execve") >= 1, "{format}");
    }
}

#[test]
fn against_names_what_a_profile_would_block_and_exits_4() {
    let d = scratch("against");
    let file = d.join("no-kill.json");
    std::fs::write(
        &file,
        r#"{"defaultAction": "SCMP_ACT_ALLOW",
            "syscalls": [{"names": ["kill"], "action": "SCMP_ACT_ERRNO", "errnoRet": 13}]}"#,
    )
    .unwrap();
    let f = file.to_str().unwrap();
    let out = whatami(&[
        "record",
        "--json",
        "--against",
        f,
        "--against",
        "docker",
        "--",
        "/bin/sh",
        "-c",
        VARIANT,
    ]);
    assert_eq!(out.status.code(), Some(4), "{out:?}");
    let v = report(&out);
    assert_eq!(v["blocked"], true);
    assert_eq!(v["exit"]["status"], 0, "the command's own status is given");
    let mine = &v["against"][0];
    assert_eq!(mine["profile"], f);
    let blocked = mine["blocked"].as_array().unwrap();
    assert_eq!(blocked.len(), 1, "{mine:#}");
    assert_eq!(blocked[0]["syscall"], "kill");
    assert_eq!(blocked[0]["errno_name"], "EACCES");
    assert_eq!(mine["capabilities_of"], "whatami's own bounding set");
    // Docker's profile lets a shell's kill through: nothing to block there.
    assert_eq!(v["against"][1]["blocked"].as_array().unwrap().len(), 0);
    assert!(v["profile"].is_null(), "no -o: no profile");
    // When no profile blocks anything, the command's status is whatami's.
    let out = whatami(&[
        "record",
        "--against",
        "docker",
        "--",
        "/bin/sh",
        "-c",
        "exit 7",
    ]);
    assert_eq!(out.status.code(), Some(7));
}

#[test]
fn without_ptrace_it_exits_125_and_does_not_run_the_command() {
    let d = scratch("noptrace");
    let marker = d.join("ran");
    let filter = Policy::native(vec![Rule::new(PTRACE, ERRNO | 1)]).compile();
    let script = format!("touch {}", marker.display());
    let out = run_under(
        &[filter],
        &[
            "record",
            "--against",
            "docker",
            "--",
            "/bin/sh",
            "-c",
            &script,
        ],
    );
    assert_eq!(out.status.code(), Some(125), "{out:?}");
    let err = String::from_utf8_lossy(&out.stderr);
    // Wrapped at the width: its words, joined again.
    let words = err.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(words.contains("ptrace is not available here"), "{err}");
    assert!(!marker.exists(), "the command must not have run");
}

#[test]
fn a_run_that_is_not_traced_leaves_the_output_file_as_it_was() {
    let d = scratch("keep");
    let out_path = d.join("profile.json");
    let before = "{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"syscalls\": []}\n";
    std::fs::write(&out_path, before).unwrap();
    let path = out_path.to_str().unwrap();
    let filter = Policy::native(vec![Rule::new(PTRACE, ERRNO | 1)]).compile();
    let out = run_under(
        &[filter],
        &["record", "-o", path, "--merge", path, "--", "/bin/true"],
    );
    assert_eq!(out.status.code(), Some(125), "{out:?}");
    assert_eq!(std::fs::read_to_string(&out_path).unwrap(), before);
    // Nothing is left beside it either.
    let names: Vec<_> = std::fs::read_dir(&d)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, ["profile.json"], "{names:?}");
}

#[test]
fn bad_usage_is_exit_2_with_a_message() {
    for args in [
        &["record", "--", "true"][..],
        &["record", "--against", "no-such-profile", "--", "true"],
        &[
            "record",
            "--default-errno",
            "0",
            "-o",
            "/tmp/x",
            "--",
            "true",
        ],
        &["record", "--format", "yaml", "-o", "/tmp/x", "--", "true"],
        &["record", "-o", "/nonexistent-dir/p.json", "--", "true"],
        &[
            "record",
            "--against",
            "docker",
            "--caps",
            "SYS_NOPE",
            "--",
            "true",
        ],
        &["record", "-o", "/tmp/x", "--caps", "docker", "--", "true"],
    ] {
        let out = whatami(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {out:?}");
        assert!(!out.stderr.is_empty(), "{args:?}");
    }
    let out = whatami(&[
        "record",
        "--against",
        "docker",
        "--",
        "no-such-command-anywhere",
    ]);
    assert_eq!(out.status.code(), Some(127));
}

#[test]
fn the_human_output_ends_with_the_strace_table_and_follows_color() {
    let d = scratch("human");
    let p = d.join("p.json");
    let p = p.to_str().unwrap();
    let out = whatami(&["record", "-o", p, "--color", "never", "--", "/bin/true"]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.starts_with("whatami record: `/bin/true` exited with status 0"),
        "{err}"
    );
    assert!(
        err.contains(&format!("  profile     {p} (docker format, ")),
        "{err}"
    );
    assert!(err.contains("% time     seconds  usecs/call     calls    errors syscall"));
    assert!(err.contains(" exit_group\n"), "{err}");
    assert!(!err.contains('\x1b'), "no color with --color never");
    let out = whatami(&["record", "-o", p, "--color", "always", "--", "/bin/true"]);
    assert!(String::from_utf8_lossy(&out.stderr).contains('\x1b'));
}

/// A static i386 program of 100 bytes: getpid(), then exit(status) through
/// `int $0x80`. Written here, so that no 32-bit toolchain is needed.
#[cfg(target_arch = "x86_64")]
fn i386_program(dir: &Path, status: u8) -> PathBuf {
    const BASE: u32 = 0x0804_8000;
    const HEADERS: u32 = 52 + 32;
    let code: [u8; 16] = [
        0xb8, 20, 0, 0, 0, // mov eax, 20 (getpid)
        0xcd, 0x80, // int $0x80
        0xb8, 1, 0, 0, 0, // mov eax, 1 (exit)
        0xb3, status, // mov bl, status
        0xcd, 0x80, // int $0x80
    ];
    let size = HEADERS + code.len() as u32;
    let mut elf = Vec::new();
    elf.extend_from_slice(b"\x7fELF\x01\x01\x01");
    elf.resize(16, 0);
    for half in [2u16, 3] {
        elf.extend_from_slice(&half.to_le_bytes()); // ET_EXEC, EM_386
    }
    for word in [1, BASE + HEADERS, 52, 0, 0] {
        elf.extend_from_slice(&word.to_le_bytes()); // version, entry, phoff, shoff, flags
    }
    for half in [52u16, 32, 1, 0, 0, 0] {
        elf.extend_from_slice(&half.to_le_bytes()); // ehsize, phentsize, phnum, sh*
    }
    // One PT_LOAD of the whole file, read and execute.
    for word in [1, 0, BASE, BASE, size, size, 5, 0x1000] {
        elf.extend_from_slice(&word.to_le_bytes());
    }
    elf.extend_from_slice(&code);
    // ebx starts at zero in a new process: `mov bl` sets the whole status.
    let path = dir.join(format!("i386-exit-{status}"));
    std::fs::write(&path, &elf).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    path
}

#[cfg(target_arch = "x86_64")]
#[test]
fn an_i386_program_is_recorded_on_its_own_entry_point_and_runs_under_its_profile() {
    let d = scratch("i386");
    let prog = i386_program(&d, 7);
    // The kernel runs it (x86_64 kernels run i386 programs unless built
    // without IA32 emulation): the status is the program's own.
    let direct = Command::new(&prog).output().unwrap();
    assert_eq!(direct.status.code(), Some(7), "{direct:?}");
    let (path, out) = record("i386-rec", &[], &[prog.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(7), "{out:?}");
    let v = report(&out);
    let on = |abi: &str, name: &str| {
        v["calls"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["abi"] == abi && c["syscall"] == name)
    };
    assert!(on("i386", "getpid") && on("i386", "exit"), "{}", v["calls"]);
    assert!(!on("x86_64", "getpid"), "{}", v["calls"]);
    let text = std::fs::read_to_string(&path).unwrap();
    let profile: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(
        profile["architectures"],
        serde_json::json!(["SCMP_ARCH_X86_64", "SCMP_ARCH_X86"]),
        "{text}"
    );
    // Under its profile it runs; its i386 calls are allowed, and through
    // the i386 entry point only what it made (and the runtimes' calls).
    let filter = compile(&path);
    let run = run_program_under(
        std::slice::from_ref(&filter),
        prog.to_str().unwrap(),
        &[],
        false,
    );
    assert_eq!(run.status.code(), Some(7), "{run:?}");
    // A profile recorded from a 64-bit program lists no i386: the
    // program's first i386 call gets what the resolver expects for an
    // architecture the profile does not list (SIGSYS), not its own status.
    let (path64, out) = record("i386-64", &[], &["/bin/true"]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let run = run_program_under(&[compile(&path64)], prog.to_str().unwrap(), &[], false);
    use std::os::unix::process::ExitStatusExt;
    assert_eq!(run.status.signal(), Some(libc::SIGSYS), "{run:?}");
}
