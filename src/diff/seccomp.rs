//! The seccomp verdicts of two reports compared: per entry point, the calls
//! blocked in one and allowed in the other, those blocked otherwise (another
//! errno, a kill), the calls whose arguments the policy reads, and the
//! argument probes. Calls are matched by name, so reports of two
//! architectures compare their native entry points call by call; numbers
//! without a name are matched by number on one architecture only.

use super::table::{Change, at, text};
use serde_json::Value;

/// One call's verdict in a report: its number, the verdict in words,
/// whether it is blocked, and whether the policy reads its arguments.
struct Call {
    nr: u64,
    named: bool,
    verdict: String,
    blocked: bool,
    unknown: bool,
    reads_args: bool,
}

/// A verdict object (`verdict`, `errno`, `trap_data`) in words: "allowed",
/// "EPERM", "kill_process", "trap 7".
pub fn outcome(v: &Value) -> String {
    let verdict = v
        .get("verdict")
        .and_then(Value::as_str)
        .unwrap_or("unknown");
    match verdict {
        "errno" => match v.get("errno").and_then(Value::as_u64) {
            Some(0) => "errno 0 (fake success)".to_string(),
            Some(e) => {
                u32::try_from(e).map_or_else(|_| format!("errno {e}"), crate::linux::errno::name)
            }
            None => "errno".to_string(),
        },
        "trap" => match v.get("trap_data").and_then(Value::as_u64) {
            Some(d) => format!("trap {d}"),
            None => "trap".to_string(),
        },
        other => other.to_string(),
    }
}

/// Whether the probe of `r` ran, or why not.
fn probed(r: &Value) -> Result<&Value, String> {
    let probe = at(r, "seccomp.probe").ok_or("no seccomp.probe")?;
    if let Some(e) = probe.get("error").and_then(Value::as_str) {
        return Err(format!("the probe failed ({e})"));
    }
    match probe.get("method").and_then(Value::as_str) {
        Some("none") | None => Err(match probe.get("note").and_then(Value::as_str) {
            Some(n) => format!("not probed ({n})"),
            None => "not probed".to_string(),
        }),
        Some(_) => Ok(probe),
    }
}

/// An entry point's calls, by name ("#N" unnamed), sorted by name.
/// Vectors rather than B-tree maps: each map type costs its own copy of the
/// tree's code in the binary.
type Calls = Vec<(String, Call)>;

/// The calls of `abi` in `list` (sorted by entry point).
fn abi_of<'a>(list: &'a [(String, Calls)], abi: &str) -> Option<&'a Calls> {
    let i = list.binary_search_by(|(a, _)| a.as_str().cmp(abi)).ok()?;
    Some(&list[i].1)
}

/// The entry points probed, and each one's calls. `native` (the report's
/// architecture) is filed as "native" when the two reports' architectures
/// differ.
fn calls(probe: &Value, native: Option<&str>) -> Vec<(String, Calls)> {
    // The entry points first, sorted and each once, then their calls:
    // every lookup a binary search, whatever a hostile report lists.
    let mut keys: Vec<String> = Vec::new();
    let abi_key = |abi: &str| match native {
        Some(n) if n == abi => "native".to_string(),
        _ => abi.to_string(),
    };
    for abi in probe
        .get("abis")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        if abi.get("probed").and_then(Value::as_bool) == Some(true) {
            keys.push(abi_key(&text(abi.get("abi"), "?")));
        }
    }
    crate::sort::sort(&mut keys);
    keys.dedup();
    let mut out: Vec<(String, Calls)> = keys.into_iter().map(|k| (k, Vec::new())).collect();
    for r in probe
        .get("results")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let key = abi_key(&text(r.get("abi"), "?"));
        let Ok(i) = out.binary_search_by(|(a, _)| a.as_str().cmp(&key)) else {
            continue;
        };
        let abi = &mut out[i].1;
        let nr = r.get("nr").and_then(Value::as_u64).unwrap_or(0);
        let name = r.get("name").and_then(Value::as_str);
        let verdict = outcome(r);
        let kind = r
            .get("verdict")
            .and_then(Value::as_str)
            .unwrap_or("unknown");
        abi.push((
            name.map_or_else(|| format!("#{nr}"), str::to_string),
            Call {
                nr,
                named: name.is_some(),
                blocked: !matches!(kind, "allowed" | "exempt" | "unknown"),
                unknown: kind == "unknown",
                verdict,
                reads_args: r.get("all_ones").is_some_and(|v| !v.is_null()),
            },
        ));
    }
    for (_, calls) in &mut out {
        crate::sort::sort_by(calls, |x, y| x.0.cmp(&y.0));
    }
    out
}

/// Items in words, ordered by number, with runs of unnamed numbers of one
/// verdict joined ("#337-423 (EPERM)").
fn listed(mut calls: Vec<(u64, bool, String, String)>) -> Vec<String> {
    crate::sort::sort_by_key(&mut calls, |c| c.0);
    let mut out: Vec<String> = Vec::new();
    let mut run: Option<(u64, u64, String)> = None;
    let flush = |run: &mut Option<(u64, u64, String)>, out: &mut Vec<String>| {
        if let Some((first, last, v)) = run.take() {
            let nrs = if first == last {
                format!("#{first}")
            } else {
                format!("#{first}-{last}")
            };
            out.push(if v.is_empty() {
                nrs
            } else {
                format!("{nrs} ({v})")
            });
        }
    };
    for (nr, named, name, v) in calls {
        if named {
            flush(&mut run, &mut out);
            out.push(if v.is_empty() {
                name
            } else {
                format!("{name} ({v})")
            });
            continue;
        }
        match &mut run {
            Some((_, last, rv)) if last.checked_add(1) == Some(nr) && *rv == v => *last = nr,
            _ => {
                flush(&mut run, &mut out);
                run = Some((nr, nr, v));
            }
        }
    }
    flush(&mut run, &mut out);
    out
}

/// The verdicts' differences, and what could not be compared.
pub fn compare(a: &Value, b: &Value, changes: &mut Vec<Change>, notes: &mut Vec<String>) {
    let (pa, pb) = match (probed(a), probed(b)) {
        (Ok(pa), Ok(pb)) => (pa, pb),
        (ra, rb) => {
            for (which, r) in [("A", ra), ("B", rb)] {
                if let Err(why) = r {
                    notes.push(format!("seccomp verdicts of {which}: {why}; not compared"));
                }
            }
            return;
        }
    };
    let arch = |r: &Value| {
        at(r, "system.arch")
            .and_then(Value::as_str)
            .map(str::to_string)
    };
    let (arch_a, arch_b) = (arch(a), arch(b));
    let cross = arch_a.is_some() && arch_b.is_some() && arch_a != arch_b;
    if cross {
        notes.push(format!(
            "A is {}, B is {}: their native calls are compared by name (the numbers differ), \
             numbers without a name are left out",
            arch_a.as_deref().unwrap_or("?"),
            arch_b.as_deref().unwrap_or("?")
        ));
    }
    let native = |x: &Option<String>| if cross { x.clone() } else { None };
    let (ca, cb) = (
        calls(pa, native(&arch_a).as_deref()),
        calls(pb, native(&arch_b).as_deref()),
    );
    for (abi, _) in ca.iter().filter(|(k, _)| abi_of(&cb, k).is_none()) {
        notes.push(format!(
            "the {abi} entry point was probed in A only; not compared"
        ));
    }
    for (abi, _) in cb.iter().filter(|(k, _)| abi_of(&ca, k).is_none()) {
        notes.push(format!(
            "the {abi} entry point was probed in B only; not compared"
        ));
    }
    // The native entry point first, as the report lists it.
    let mut abis: Vec<&(String, Calls)> = ca.iter().collect();
    crate::sort::sort_by_key(&mut abis, |(abi, _)| {
        *abi != "native" && Some(abi.as_str()) != arch_a.as_deref()
    });
    for (abi, xa) in abis {
        let Some(xb) = abi_of(&cb, abi) else { continue };
        let label = if abi == "native" {
            format!(
                "{}/{}",
                arch_a.as_deref().unwrap_or("?"),
                arch_b.as_deref().unwrap_or("?")
            )
        } else {
            abi.clone()
        };
        let (mut only_a, mut only_b, mut other) = (vec![], vec![], vec![]);
        let (mut args_a, mut args_b) = (vec![], vec![]);
        let mut unknown = 0;
        for (name, x) in xa {
            let Some(y) = xb
                .binary_search_by(|(n, _)| n.as_str().cmp(name))
                .ok()
                .map(|i| &xb[i].1)
            else {
                continue;
            };
            if cross && !x.named {
                continue;
            }
            if x.unknown != y.unknown {
                unknown += 1;
                continue;
            }
            let item = |v: &str| (x.nr, x.named, name.clone(), v.to_string());
            match (x.blocked, y.blocked) {
                (true, false) => only_a.push(item(&x.verdict)),
                (false, true) => only_b.push(item(&y.verdict)),
                (true, true) if x.verdict != y.verdict => {
                    other.push(item(&format!("{} -> {}", x.verdict, y.verdict)))
                }
                _ => {}
            }
            match (x.reads_args, y.reads_args) {
                (true, false) => args_a.push(item("")),
                (false, true) => args_b.push(item("")),
                _ => {}
            }
        }
        if !only_a.is_empty() || !only_b.is_empty() {
            changes.push(Change::items(
                "seccomp",
                format!("{label} blocked"),
                listed(only_a),
                listed(only_b),
            ));
        }
        if !other.is_empty() {
            let mut c = Change::items(
                "seccomp",
                format!("{label} blocked otherwise"),
                vec![],
                vec![],
            );
            c.changed = listed(other);
            changes.push(c);
        }
        if !args_a.is_empty() || !args_b.is_empty() {
            changes.push(Change::items(
                "seccomp",
                format!("{label} reads arguments"),
                listed(args_a),
                listed(args_b),
            ));
        }
        if unknown > 0 {
            notes.push(format!(
                "{label}: {unknown} calls whose verdict one report does not know; not compared"
            ));
        }
    }
    arg_probes(pa, pb, changes);
}

/// The argument probes (`unshare(CLONE_NEWUSER)` ...), by label.
fn arg_probes<'a>(pa: &'a Value, pb: &'a Value, changes: &mut Vec<Change>) {
    let list = |p: &'a Value| -> &'a [Value] {
        p.get("arg_probes")
            .and_then(Value::as_array)
            .map_or(&[], Vec::as_slice)
    };
    let label = |x: &'a Value| x.get("label").and_then(Value::as_str);
    let (xa, xb) = (list(pa), list(pb));
    let mut by_label: Vec<&Value> = xb.iter().collect();
    crate::sort::sort_by(&mut by_label, |x, y| label(x).cmp(&label(y)));
    for x in xa {
        let label_x = label(x);
        let Ok(i) = by_label.binary_search_by(|y| label(y).cmp(&label_x)) else {
            continue;
        };
        let (y, label) = (by_label[i], label_x);
        let (va, vb) = (outcome(x), outcome(y));
        if va != vb {
            changes.push(Change::value(
                "seccomp",
                label.unwrap_or("?").to_string(),
                va,
                vb,
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn report(arch: &str, results: Value) -> Value {
        json!({"system": {"arch": arch}, "seccomp": {"probe": {
            "method": "notify", "abis": [{"abi": arch, "probed": true}],
            "results": results, "arg_probes": [
                {"label": "unshare(CLONE_NEWUSER)", "verdict": "errno", "errno": 1}]}}})
    }

    fn r(abi: &str, nr: u32, name: Option<&str>, verdict: &str, errno: Option<u32>) -> Value {
        json!({"abi": abi, "nr": nr, "name": name, "verdict": verdict, "errno": errno})
    }

    #[test]
    fn blocked_allowed_and_otherwise_per_entry_point() {
        let a = report(
            "x86_64",
            json!([
                r("x86_64", 83, Some("mkdir"), "allowed", None),
                r("x86_64", 165, Some("mount"), "errno", Some(1)),
                r("x86_64", 435, Some("clone3"), "errno", Some(1)),
                r("x86_64", 470, None, "errno", Some(1)),
                r("x86_64", 471, None, "errno", Some(1)),
            ]),
        );
        let b = report(
            "x86_64",
            json!([
                r("x86_64", 83, Some("mkdir"), "errno", Some(1)),
                r("x86_64", 165, Some("mount"), "allowed", None),
                r("x86_64", 435, Some("clone3"), "errno", Some(38)),
                r("x86_64", 470, None, "allowed", None),
                r("x86_64", 471, None, "allowed", None),
            ]),
        );
        let (mut c, mut n) = (vec![], vec![]);
        compare(&a, &b, &mut c, &mut n);
        assert!(n.is_empty(), "{n:?}");
        assert_eq!(c[0].what, "x86_64 blocked");
        assert_eq!(c[0].only_a, ["mount (EPERM)", "#470-471 (EPERM)"]);
        assert_eq!(c[0].only_b, ["mkdir (EPERM)"]);
        assert_eq!(c[1].changed, ["clone3 (EPERM -> ENOSYS)"]);
        assert_eq!(c.len(), 2);
    }

    #[test]
    fn two_architectures_compare_by_name_and_say_so() {
        let a = report(
            "x86_64",
            json!([
                r("x86_64", 83, Some("mkdir"), "allowed", None),
                r("x86_64", 500, None, "errno", Some(38))
            ]),
        );
        let b = report(
            "aarch64",
            json!([
                r("aarch64", 34, Some("mkdirat"), "allowed", None),
                r("aarch64", 83, Some("mkdir"), "errno", Some(1))
            ]),
        );
        let (mut c, mut n) = (vec![], vec![]);
        compare(&a, &b, &mut c, &mut n);
        assert!(n[0].contains("A is x86_64, B is aarch64"), "{n:?}");
        assert_eq!(c[0].what, "x86_64/aarch64 blocked");
        assert_eq!(c[0].only_b, ["mkdir (EPERM)"]);
    }

    #[test]
    fn numbers_at_the_end_of_the_range_join_without_overflow() {
        let items = vec![
            (u64::MAX - 1, false, "#a".to_string(), "EPERM".to_string()),
            (u64::MAX, false, "#b".to_string(), "EPERM".to_string()),
        ];
        assert_eq!(
            listed(items),
            [format!("#{}-{} (EPERM)", u64::MAX - 1, u64::MAX)]
        );
    }

    #[test]
    fn an_unprobed_report_is_said_not_compared() {
        let a =
            json!({"seccomp": {"probe": {"method": "none", "note": "reading a captured tree"}}});
        let (mut c, mut n) = (vec![], vec![]);
        compare(&a, &a, &mut c, &mut n);
        assert!(c.is_empty());
        assert_eq!(n.len(), 2);
        assert!(n[0].contains("not probed (reading a captured tree)"));
    }
}
