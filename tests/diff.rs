//! `whatami diff` and `whatami fleet` on the reports of the trees under
//! tests/fixtures/, captured inside real containers: the differences the
//! configurations are known to have are each named, a report against
//! itself is the same, every pair reads alike both ways, and inputs that
//! are no report are refused with exit 2. `--root` runs no probe, so the
//! seccomp verdicts are compared in scripts/e2e/diff_check.py, on the
//! reports of the live configurations.

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn whatami(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_whatami"))
        .args(args)
        .env_clear()
        .env("SOURCE_DATE_EPOCH", "1796697398")
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("run whatami")
}

/// A directory of its own for a test's reports, under the target dir.
fn scratch(name: &str) -> PathBuf {
    let d = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("diff-{name}"));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// The report of the fixture `config`, written to `dir/config.json`.
fn report(dir: &Path, config: &str) -> PathBuf {
    let o = whatami(&["--json", "--root", &format!("tests/fixtures/{config}")]);
    assert_eq!(o.status.code(), Some(0), "{config}");
    let f = dir.join(format!("{config}.json"));
    std::fs::write(&f, &o.stdout).unwrap();
    f
}

const CONFIGS: &[&str] = &[
    "host",
    "podman-default",
    "podman-privileged",
    "podman-read-only",
    "podman-socket",
    "podman-hardened",
    "podman-uidmap",
    "dockerd",
    "nspawn",
];

/// `diff --json A B`: its exit status and object.
fn diff(a: &Path, b: &Path) -> (i32, Value) {
    let o = whatami(&["diff", "--json", a.to_str().unwrap(), b.to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    let v = serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}: {stderr}"));
    (o.status.code().unwrap_or(-1), v)
}

fn changes<'a>(d: &'a Value, what: &str) -> Vec<&'a Value> {
    d["differences"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["what"] == what)
        .collect()
}

fn value_change(d: &Value, what: &str) -> Option<(String, String)> {
    let c = changes(d, what).into_iter().next()?;
    Some((c["a"].as_str()?.to_string(), c["b"].as_str()?.to_string()))
}

fn pair(a: &str, b: &str) -> (String, String) {
    (a.to_string(), b.to_string())
}

#[test]
fn each_known_difference_of_the_configurations_is_named() {
    let dir = scratch("known");
    let r = |c: &str| report(&dir, c);
    let (default, privileged) = (r("podman-default"), r("podman-privileged"));

    let (code, d) = diff(&default, &privileged);
    assert_eq!(code, 4);
    assert_eq!(d["same"], false);
    let added = &changes(&d, "effective")[0]["only_b"];
    assert!(
        added
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c == "CAP_SYS_ADMIN"),
        "{added}"
    );
    assert_eq!(value_change(&d, "mode"), Some(pair("filter", "disabled")));
    assert_eq!(
        value_change(&d, "writable /proc/sys"),
        Some(pair("no", "yes"))
    );
    assert_eq!(
        value_change(&d, "/proc/keys"),
        Some(pair("masked", "exposed"))
    );
    assert_eq!(d["differences"][0]["group"], "verdict");

    let (_, d) = diff(&default, &r("podman-read-only"));
    assert_eq!(
        value_change(&d, "root"),
        Some(pair("writable", "read-only"))
    );

    let (_, d) = diff(&default, &r("podman-socket"));
    let socket = d["differences"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["what"].as_str().unwrap().starts_with("socket "));
    assert_eq!(
        socket.map(|c| (&c["a"], &c["b"])),
        Some((&"absent".into(), &"podman".into()))
    );

    let (_, d) = diff(&default, &r("podman-hardened"));
    assert_eq!(value_change(&d, "no_new_privs"), Some(pair("no", "yes")));
    assert_eq!(value_change(&d, "uid"), Some(pair("0", "1000")));
    assert!(changes(&d, "effective")[0]["only_b"].is_null());

    let (_, d) = diff(&r("host"), &default);
    assert_eq!(value_change(&d, "pid"), Some(pair("host", "private")));
    assert_eq!(value_change(&d, "net"), Some(pair("host", "private")));

    let (_, d) = diff(&default, &r("podman-uidmap"));
    assert_eq!(value_change(&d, "user"), Some(pair("host", "private")));
    // No probe ran on a captured tree: said, not taken for "the same".
    let notes = d["notes"].to_string();
    assert!(notes.contains("not probed"), "{notes}");
}

#[test]
fn a_report_is_the_same_as_itself_and_pairs_read_alike_both_ways() {
    let dir = scratch("pairs");
    let files: Vec<PathBuf> = CONFIGS.iter().map(|c| report(&dir, c)).collect();
    for a in &files {
        let (code, d) = diff(a, a);
        assert_eq!(
            (code, &d["same"]),
            (0, &Value::Bool(true)),
            "{}",
            a.display()
        );
        let o = whatami(&[
            "diff",
            "--color",
            "never",
            a.to_str().unwrap(),
            a.to_str().unwrap(),
        ]);
        assert!(String::from_utf8_lossy(&o.stdout).contains("the same in everything compared"));
    }
    for (i, a) in files.iter().enumerate() {
        for b in &files[i + 1..] {
            let ((ca, x), (cb, y)) = (diff(a, b), diff(b, a));
            assert_eq!((ca, cb), (4, 4), "{} {}", a.display(), b.display());
            let n = |v: &Value| v["differences"].as_array().unwrap().len();
            assert_eq!(n(&x), n(&y), "{} {}", a.display(), b.display());
            for (p, q) in x["differences"]
                .as_array()
                .unwrap()
                .iter()
                .zip(y["differences"].as_array().unwrap())
            {
                assert_eq!(
                    (&p["what"], &p["a"], &p["only_a"]),
                    (&q["what"], &q["b"], &q["only_b"])
                );
            }
        }
    }
}

#[test]
fn fleet_lists_every_report_in_every_format() {
    let dir = scratch("fleet");
    for c in CONFIGS {
        report(&dir, c);
    }
    let d = dir.to_str().unwrap();
    let o = whatami(&["fleet", "--json", d]);
    assert_eq!(o.status.code(), Some(0));
    let f: Value = serde_json::from_slice(&o.stdout).unwrap();
    let rows = f["reports"].as_array().unwrap();
    assert_eq!(rows.len(), CONFIGS.len());
    let row = rows
        .iter()
        .find(|r| {
            r["file"]
                .as_str()
                .unwrap()
                .ends_with("podman-read-only.json")
        })
        .unwrap();
    assert_eq!(
        (&row["runtime"], &row["read_only_root"]),
        (&"podman".into(), &true.into())
    );
    assert_eq!(row["hostname"], "whatami-podman");
    assert_eq!(row["time"], "2026-12-08T02:36:38Z");
    // No verdicts were probed: no policy to group.
    assert_eq!(f["policies"], Value::Array(vec![]));
    let privileged = rows
        .iter()
        .find(|r| {
            r["file"]
                .as_str()
                .unwrap()
                .ends_with("podman-privileged.json")
        })
        .unwrap();
    assert!(
        privileged["extra_capabilities"]
            .to_string()
            .contains("CAP_SYS_ADMIN")
    );
    for format in ["table", "csv", "markdown"] {
        let o = whatami(&["fleet", "--format", format, d]);
        assert_eq!(o.status.code(), Some(0), "{format}");
        let text = String::from_utf8(o.stdout).unwrap();
        for c in CONFIGS {
            assert!(text.contains(&format!("{c}.json")), "{format}: {c}\n{text}");
        }
    }
}

#[test]
fn what_is_no_report_is_refused_with_exit_2_and_the_reason() {
    let dir = scratch("bad");
    let good = report(&dir, "podman-default");
    let text = std::fs::read_to_string(&good).unwrap();
    let cases: &[(&str, String, &str)] = &[
        ("truncated", text[..text.len() / 2].to_string(), "not JSON"),
        (
            "schema",
            text.replacen("\"schema_version\": 1", "\"schema_version\": 7", 1),
            "schema version 7",
        ),
        (
            "other",
            "{\"kind\": \"Pod\"}".to_string(),
            "not a whatami report",
        ),
        (
            "section",
            "{\"schema_version\": 1, \"system\": {}}".to_string(),
            "field \"seccomp\"",
        ),
    ];
    for (name, content, want) in cases {
        let f = dir.join(format!("{name}.json"));
        std::fs::write(&f, content).unwrap();
        for args in [
            vec!["diff", f.to_str().unwrap(), good.to_str().unwrap()],
            vec!["fleet", f.to_str().unwrap()],
        ] {
            let o = whatami(&args);
            let err = String::from_utf8_lossy(&o.stderr);
            assert_eq!(o.status.code(), Some(2), "{name} {args:?}: {err}");
            assert!(
                err.contains(want) && err.contains(&format!("{name}.json")),
                "{name}: {err}"
            );
        }
    }
    let o = whatami(&["diff", "/nonexistent.json", good.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
}
