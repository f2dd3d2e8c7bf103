//! Golden files for the unit tests that pin printed output: `tests/snapshots/`
//! holds what was printed once and reviewed; a test compares what it prints
//! now, and `UPDATE_SNAPSHOTS=1 cargo test` writes it anew after an intended
//! change (review the diff).

use std::path::PathBuf;

/// The snapshot directory of the source tree.
pub fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/snapshots")
}

/// Compares `got` with the snapshot at `rel` (or writes it, with
/// UPDATE_SNAPSHOTS=1); a difference is added to `failures`, with the first
/// line that differs.
pub fn compare(rel: &str, got: &str, failures: &mut Vec<String>) {
    let path = dir().join(rel);
    if std::env::var_os("UPDATE_SNAPSHOTS").is_some_and(|v| v == "1") {
        std::fs::create_dir_all(path.parent().expect("a snapshot has a directory"))
            .expect("create the snapshot directory");
        std::fs::write(&path, got).expect("write the snapshot");
        return;
    }
    let want = std::fs::read_to_string(&path).unwrap_or_default();
    if got != want {
        let line = got
            .lines()
            .zip(want.lines())
            .position(|(a, b)| a != b)
            .unwrap_or_else(|| got.lines().count().min(want.lines().count()));
        failures.push(format!(
            "differs from {} at line {}:\n  got:  {:?}\n  want: {:?}",
            path.display(),
            line + 1,
            got.lines().nth(line).unwrap_or("<end>"),
            want.lines().nth(line).unwrap_or("<end>"),
        ));
    }
}

/// [`compare`] for text printed from a capture of an x86_64 run. A build for
/// another architecture prints those calls as another entry point's
/// ("[x86_64] call", "call (x86_64)"); the marks take room, so its lines also
/// wrap elsewhere: without the marks, its words must be the snapshot's, in
/// the same order.
pub fn compare_x86_64_capture(rel: &str, got: &str, failures: &mut Vec<String>) {
    if cfg!(target_arch = "x86_64") {
        return compare(rel, got, failures);
    }
    let unmarked = got.replace("[x86_64] ", "").replace(" (x86_64)", "");
    let want = std::fs::read_to_string(dir().join(rel)).unwrap_or_default();
    // Each wrapped line closes and reopens its color: words without the codes.
    let words = |t: &str| {
        let mut plain = String::new();
        let mut rest = t;
        while let Some(at) = rest.find("\x1b[") {
            plain.push_str(&rest[..at]);
            rest = rest[at..].find('m').map_or("", |m| &rest[at + m + 1..]);
        }
        plain.push_str(rest);
        plain.split_whitespace().collect::<Vec<_>>().join(" ")
    };
    if words(&unmarked) != words(&want) {
        compare(rel, &unmarked, failures)
    }
}

/// Adds to `failures` each line of `text` that takes more than `width`
/// columns on a terminal (color codes left out), but a word longer than a
/// line on a line of its own: words are never broken.
pub fn fits(what: &str, text: &str, width: usize, failures: &mut Vec<String>) {
    for line in text.lines() {
        let n = crate::render::writer::visible_len(line);
        if n > width && line.split_whitespace().nth(1).is_some() {
            failures.push(format!("{what}: a line of {n} columns: {line:?}"));
        }
    }
}

/// Fails the test with every difference found.
pub fn assert_none(failures: &[String]) {
    assert!(
        failures.is_empty(),
        "{}\n(UPDATE_SNAPSHOTS=1 cargo test regenerates them)",
        failures.join("\n")
    );
}

/// The names (without `.json`) of the captured JSON files in `sub`, sorted.
pub fn captured(sub: &str) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir().join(sub))
        .expect("the snapshot directory")
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            e.file_name()
                .to_str()
                .and_then(|n| n.strip_suffix(".json"))
                .map(str::to_string)
        })
        .collect();
    names.sort();
    assert!(
        !names.is_empty(),
        "no captured JSON in tests/snapshots/{sub}"
    );
    names
}

/// JSON text with every float value replaced by `F`: serde_json reads
/// floats back to within a unit of the last place, so a float may print
/// one digit differently after a round trip; everything else (keys, their
/// order, spacing, integers, strings) must print back as it was.
pub fn mask_floats(json: &str) -> String {
    json.lines()
        .map(|line| match line.split_once(": ") {
            Some((key, v)) => {
                let bare = v.trim_end_matches(',');
                let float = bare.contains(['.', 'e']) && bare.parse::<f64>().is_ok();
                if float {
                    format!("{key}: F{}\n", &v[bare.len()..])
                } else {
                    format!("{line}\n")
                }
            }
            None => format!("{line}\n"),
        })
        .collect()
}
