//! Reading a report for `diff` and `fleet`: a file of whatami's `--json`,
//! bounded in size, as a `serde_json::Value` (the comparison walks paths of
//! it, so no typed model is derived for reading), checked to be a report
//! of the schema this build reads.

use crate::model::SCHEMA_VERSION;
use serde_json::Value;
use std::path::Path;

/// A report is about 160 KB (one verdict a line for 1,000 calls); a file
/// past this is no whatami report, and is not read whole.
pub const MAX_BYTES: u64 = 16 << 20;

/// One report read, and what it is called in messages.
pub struct Loaded {
    pub name: String,
    pub value: Value,
}

/// Reads the report at `path`. `Err`: why it is not one, naming the file
/// and the line or the field.
pub fn load(path: &Path) -> Result<Loaded, String> {
    let name = path.display().to_string();
    // Opened without waiting on a named pipe, a regular file only, every read
    // bounded (linux/io.rs).
    let bytes = crate::linux::io::read_bytes(path, MAX_BYTES as usize + 1)
        .map_err(|e| format!("{name}: {e}"))?;
    if bytes.len() as u64 > MAX_BYTES {
        return Err(format!(
            "{name}: larger than {} MB: not a whatami report",
            MAX_BYTES >> 20
        ));
    }
    parse(&name, &bytes).map(|value| Loaded { name, value })
}

/// The report in `bytes`, read from `name`.
pub fn parse(name: &str, bytes: &[u8]) -> Result<Value, String> {
    // Text first, then JSON from it, as the profile reader parses: one
    // instance of serde_json's parser in the binary rather than two.
    // serde_json stops at 128 levels of nesting with an error, before any
    // deep recursion.
    let text = std::str::from_utf8(bytes).map_err(|e| {
        let line = 1 + bytes[..e.valid_up_to()]
            .iter()
            .filter(|&&b| b == b'\n')
            .count();
        format!("{name}: not JSON: not UTF-8 at line {line}")
    })?;
    let value: Value = serde_json::from_str(text).map_err(|e| format!("{name}: not JSON: {e}"))?;
    check(name, &value)?;
    Ok(value)
}

/// Whether `v` is a whatami report of this schema: its version, and the
/// sections the comparison reads, of the right kinds.
fn check(name: &str, v: &Value) -> Result<(), String> {
    let Some(obj) = v.as_object() else {
        return Err(format!(
            "{name}: not a whatami report (the JSON is not an object)"
        ));
    };
    let version = match obj.get("schema_version") {
        Some(Value::Number(n)) => n.as_u64(),
        _ => None,
    };
    let Some(version) = version else {
        return Err(format!(
            "{name}: not a whatami report (no numeric field \"schema_version\")"
        ));
    };
    if version != u64::from(SCHEMA_VERSION) {
        return Err(format!(
            "{name}: schema version {version}, and this whatami reads version {SCHEMA_VERSION}: \
             compare reports of one schema version, made by one whatami release"
        ));
    }
    for section in ["system", "seccomp", "capabilities", "namespaces", "mounts"] {
        if !obj.get(section).is_some_and(Value::is_object) {
            return Err(format!(
                "{name}: field \"{section}\": missing or not an object (a report has it)"
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(text: &str) -> String {
        parse("r.json", text.as_bytes()).unwrap_err()
    }

    #[test]
    fn what_is_not_a_report_says_why_with_the_line_or_the_field() {
        assert!(err("{\"schema_version\": 1,\n \"system\": {").contains("line 2"));
        assert!(err("[1, 2]").contains("not an object"));
        assert!(err("{\"name\": \"x\"}").contains("\"schema_version\""));
        assert!(err("{\"schema_version\": 2}").contains("schema version 2"));
        assert!(err("{\"schema_version\": 1, \"system\": 3}").contains("field \"system\""));
        let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
        assert!(err(&deep).contains("recursion limit"));
    }

    #[test]
    fn a_file_past_the_bound_is_not_read_whole() {
        let dir = std::env::temp_dir().join(format!("whatami-diff-read-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let big = dir.join("big.json");
        let f = std::fs::File::create(&big).unwrap();
        f.set_len(MAX_BYTES + 10).unwrap();
        let e = load(&big).err().unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
        assert!(e.contains("larger than 16 MB"), "{e}");
    }
}
