//! The probe's verdicts against profiles: scores, differences, the name of
//! the closest known profile, and the stale-profile warnings.
//!
//! Every probe counts once: each (entry point, number) of the zero-argument
//! sweep, of the all-ones sweep where it ran, and each argument probe. The
//! score is the share answered as the profile expects, under the runtime
//! model that fits best (runc or crun, libseccomp 2.5.4 or one that knows
//! every call): what a runtime does to a profile is modelled, not counted
//! as a difference. Expectations libseccomp's layout decides (overlapping
//! rules) and verdicts direct probing is unsure of are left out.

use super::known::{self, Expectation, Known};
use super::read::Read;
use super::resolve::{self, Filter, Libseccomp, Model, Process, Runtime};
use crate::linux::abi::{self, Abi};
use crate::model::*;
use std::path::Path;
use std::time::Instant;

/// The score from which the closest known profile is named as the policy.
/// A one-call change (mkdir blocked) costs a few probes of about a thousand;
/// podman's and Docker's defaults differ in about a tenth of them.
pub const MATCH_SCORE: f64 = 0.97;

/// Calls a C library tries first and replaces by an older one only on
/// ENOSYS: answered EPERM, programs fail (glibc 2.34's clone3, glibc 2.33's
/// and musl 1.2.2's faccessat2 under older Docker releases).
const FALLBACK_ON_ENOSYS: [&str; 2] = ["clone3", "faccessat2"];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Zero,
    AllOnes,
    Arg,
}

/// One verdict the probe learned.
#[derive(Debug, Clone)]
struct Obs<'a> {
    abi: &'static Abi,
    nr: u32,
    name: Option<&'a str>,
    args: [u64; 6],
    label: Option<&'a str>,
    kind: Kind,
    got: Outcome,
}

fn abi_named(name: &str) -> Option<&'static Abi> {
    static ABIS: std::sync::OnceLock<Vec<&'static Abi>> = std::sync::OnceLock::new();
    ABIS.get_or_init(abi::abis)
        .iter()
        .copied()
        .find(|a| a.name == name)
}

fn comparable(v: Verdict) -> bool {
    !matches!(v, Verdict::Unknown | Verdict::Exempt)
}

/// The probe, with each result's entry point looked up once for the many
/// passes over it.
pub(crate) struct Probed<'a> {
    p: &'a Probe,
    result_abis: Vec<Option<&'static Abi>>,
    swept: Vec<&'a str>,
}

impl<'a> Probed<'a> {
    pub(crate) fn new(p: &'a Probe) -> Probed<'a> {
        let mut last: Option<(&str, Option<&'static Abi>)> = None;
        let result_abis = p
            .results
            .iter()
            .map(|r| match last {
                Some((n, a)) if n == r.abi => a,
                _ => {
                    let a = abi_named(&r.abi);
                    last = Some((&r.abi, a));
                    a
                }
            })
            .collect();
        let swept = p
            .abis
            .iter()
            .filter(|a| a.all_ones_swept)
            .map(|a| a.abi.as_str())
            .collect();
        Probed {
            p,
            result_abis,
            swept,
        }
    }
}

/// Calls `f` with every comparable verdict of the probe, built on the
/// stack: the probe has some 1500 of them, and a vector of them would be a
/// large allocation, which musl's allocator maps and unmaps each time.
/// `screen`: only the native entry point's zero-argument sweep.
fn each_obs<'a>(pr: &Probed<'a>, screen: bool, mut f: impl FnMut(&Obs<'a>)) {
    let native = abi::native();
    let p = pr.p;
    for (r, a) in p.results.iter().zip(&pr.result_abis) {
        let Some(a) = *a else { continue };
        if !comparable(r.verdict) || r.confidence == Confidence::Uncertain {
            continue;
        }
        if screen && !std::ptr::eq(a, native) {
            continue;
        }
        let got = r.outcome();
        let mut obs = Obs {
            abi: a,
            nr: r.nr,
            name: r.name.as_deref(),
            args: [0; 6],
            label: None,
            kind: Kind::Zero,
            got,
        };
        f(&obs);
        if !screen && pr.swept.contains(&r.abi.as_str()) {
            let ones = r.all_ones.unwrap_or(got);
            if comparable(ones.verdict) {
                obs.args = [u64::MAX; 6];
                obs.kind = Kind::AllOnes;
                obs.got = ones;
                f(&obs);
            }
        }
    }
    if screen {
        return;
    }
    for ap in &p.arg_probes {
        let Some(a) = abi_named(&ap.abi) else {
            continue;
        };
        if !comparable(ap.verdict) || ap.confidence == Some(Confidence::Uncertain) {
            continue;
        }
        let mut args = [0u64; 6];
        for (slot, v) in args.iter_mut().zip(&ap.args) {
            *slot = *v;
        }
        f(&Obs {
            abi: a,
            nr: ap.nr,
            name: Some(&ap.syscall),
            args,
            label: Some(&ap.label),
            kind: Kind::Arg,
            got: ap.outcome(),
        });
    }
}

/// How well one expectation fits, per runtime model.
#[derive(Debug, Clone, Copy)]
struct Fit {
    model: Model,
    matched: u32,
    compared: u32,
    uncertain: u32,
}

impl Fit {
    fn score(&self) -> f64 {
        if self.compared == 0 {
            0.0
        } else {
            self.matched as f64 / self.compared as f64
        }
    }
}

fn fits(e: &Expectation, p: &Probed, screen: bool) -> Vec<Fit> {
    let models = match e {
        Expectation::Filter(f) => f.distinct_models(),
        Expectation::Measured(_) => e.models().to_vec(),
    };
    let mut fits: Vec<Fit> = models
        .iter()
        .map(|&model| Fit {
            model,
            matched: 0,
            compared: 0,
            uncertain: 0,
        })
        .collect();
    let count = |f: &mut Fit, x: Option<resolve::Expected>, got: Outcome| match x {
        Some(x) if x.certain => {
            f.compared += 1;
            if x.outcome == got {
                f.matched += 1;
            }
        }
        Some(_) => f.uncertain += 1,
        None => {}
    };
    each_obs(p, screen, |o| match e {
        Expectation::Filter(filter) => {
            for f in fits.iter_mut() {
                let x = filter.expect(o.abi, o.nr, &o.args, f.model);
                count(f, Some(x), o.got);
            }
        }
        Expectation::Measured(_) => {
            for f in fits.iter_mut() {
                let x = e.expect(o.abi, o.nr, o.name, &o.args, o.label, f.model);
                count(f, x, o.got);
            }
        }
    });
    fits
}

/// The best model, and the runtime / libseccomp it names only when the
/// other choice would score lower.
fn best(fits: &[Fit]) -> (Fit, Option<Runtime>, Option<Libseccomp>) {
    let top = fits
        .iter()
        .copied()
        .fold(None::<Fit>, |acc, f| match acc {
            Some(a) if a.matched >= f.matched => Some(a),
            _ => Some(f),
        })
        .unwrap_or(Fit {
            model: Model::ALL[0],
            matched: 0,
            compared: 0,
            uncertain: 0,
        });
    let best_with = |pred: &dyn Fn(Model) -> bool| {
        fits.iter()
            .filter(|f| pred(f.model))
            .map(|f| f.matched)
            .max()
    };
    // Named only when a model with the other choice was tried and fits worse.
    let worse = |other: Option<u32>| other.is_some_and(|m| m < top.matched);
    let runtime =
        worse(best_with(&|m| m.runtime != top.model.runtime)).then_some(top.model.runtime);
    let lib =
        worse(best_with(&|m| m.libseccomp != top.model.libseccomp)).then_some(top.model.libseccomp);
    (top, runtime, lib)
}

fn change(expected: Outcome, got: Outcome) -> &'static str {
    match (expected.verdict, got.verdict) {
        (Verdict::Allowed, _) => "blocked",
        (_, Verdict::Allowed) => "allowed",
        _ => "other",
    }
}

fn differences(e: &Expectation, p: &Probed, model: Model) -> Vec<ProfileDifference> {
    // (syscall or nr, change, args, expected, got) -> abis, in probe order.
    struct D {
        name: Option<String>,
        nr: u32,
        change: &'static str,
        args: Option<String>,
        expected: Outcome,
        got: Outcome,
        abis: Vec<String>,
    }
    let mut ds: Vec<D> = Vec::new();
    each_obs(p, false, |o| {
        let Some(x) = e.expect(o.abi, o.nr, o.name, &o.args, o.label, model) else {
            return;
        };
        if !x.certain || x.outcome == o.got {
            return;
        }
        let args = match o.kind {
            Kind::Zero => None,
            Kind::AllOnes => Some("all-ones".to_string()),
            Kind::Arg => o.label.map(str::to_string),
        };
        let name = o.name.map(str::to_string);
        let nr = o.nr & !o.abi.nr_bit;
        // The all-ones probe of a call already listed with the same answers
        // says nothing more.
        if o.kind == Kind::AllOnes
            && ds.iter().any(|d| {
                d.name == name
                    && (name.is_some() || d.nr == nr)
                    && d.args.is_none()
                    && d.expected == x.outcome
                    && d.got == o.got
                    && d.abis.iter().any(|a| a == o.abi.name)
            })
        {
            return;
        }
        let same = |d: &D| {
            d.name == name
                && (name.is_some() || d.nr == nr)
                && d.args == args
                && d.expected == x.outcome
                && d.got == o.got
        };
        match ds.iter_mut().find(|d| same(d)) {
            Some(d) => {
                if !d.abis.iter().any(|a| a == o.abi.name) {
                    d.abis.push(o.abi.name.to_string());
                }
            }
            None => ds.push(D {
                name,
                nr,
                change: change(x.outcome, o.got),
                args,
                expected: x.outcome,
                got: o.got,
                abis: vec![o.abi.name.to_string()],
            }),
        }
    });
    // Named calls first (in probe order), then runs of unnamed numbers.
    let mut out: Vec<ProfileDifference> = Vec::new();
    for d in ds.iter().filter(|d| d.name.is_some()) {
        out.push(ProfileDifference {
            syscall: d.name.clone().unwrap_or_default(),
            change: d.change.to_string(),
            abis: d.abis.clone(),
            args: d.args.clone(),
            expected: d.expected,
            got: d.got,
        });
    }
    let mut unnamed: Vec<&D> = ds.iter().filter(|d| d.name.is_none()).collect();
    crate::sort::sort_by_key(&mut unnamed, |d| (d.abis.clone(), d.args.clone(), d.nr));
    let mut i = 0;
    while i < unnamed.len() {
        let first = unnamed[i];
        let mut last = first.nr;
        let mut j = i + 1;
        while j < unnamed.len()
            && unnamed[j].nr == last + 1
            && unnamed[j].abis == first.abis
            && unnamed[j].args == first.args
            && unnamed[j].expected == first.expected
            && unnamed[j].got == first.got
        {
            last = unnamed[j].nr;
            j += 1;
        }
        out.push(ProfileDifference {
            syscall: if last == first.nr {
                format!("#{}", first.nr)
            } else {
                format!("#{}-{last}", first.nr)
            },
            change: first.change.to_string(),
            abis: first.abis.clone(),
            args: first.args.clone(),
            expected: first.expected,
            got: first.got,
        });
        i = j;
    }
    out
}

/// Named calls newer than anything the policy allows (or that a C library
/// falls back from only on ENOSYS), answered with another errno.
fn stale_eperm(p: &Probed) -> Option<ProfileWarning> {
    let mut highest_allowed = None;
    each_obs(p, true, |o| {
        if o.name.is_some() && o.got.verdict == Verdict::Allowed {
            highest_allowed = highest_allowed.max(Some(o.nr));
        }
    });
    let highest_allowed = highest_allowed?;
    let mut stale: Vec<String> = Vec::new();
    each_obs(p, true, |o| {
        if let Some(n) = o.name
            && o.got.verdict == Verdict::Errno
            && o.got.errno != Some(38)
            && (o.nr > highest_allowed || FALLBACK_ON_ENOSYS.contains(&n))
        {
            stale.push(n.to_string());
        }
    });
    if stale.is_empty() {
        return None;
    }
    Some(ProfileWarning {
        kind: "stale_eperm".into(),
        message: format!(
            "{} answered with an errno other than ENOSYS although newer than every call the \
             policy allows (or tried first by C libraries): programs that fall back to an older \
             call only on ENOSYS fail instead (how clone3 under glibc 2.34, and faccessat2 \
             under glibc 2.33 and musl 1.2.2, broke with older Docker releases)",
            plural(stale.len(), "call")
        ),
        syscalls: stale,
    })
}

/// Calls the profile allows that this runtime's libseccomp dropped.
fn dropped(f: &Filter, p: &Probed, model: Model) -> Option<ProfileWarning> {
    if model.libseccomp != Libseccomp::V2_5_4 || f.dropped(Libseccomp::V2_5_4).is_empty() {
        return None;
    }
    let knows_all = Model {
        libseccomp: Libseccomp::Current,
        ..model
    };
    let gone = f.dropped(Libseccomp::V2_5_4);
    let mut names: Vec<String> = Vec::new();
    each_obs(p, true, |o| {
        if let Some(n) = o.name
            && gone.iter().any(|g| g == n)
            && f.expect(o.abi, o.nr, &o.args, model).outcome == o.got
            && f.expect(o.abi, o.nr, &o.args, knows_all).outcome != o.got
        {
            names.push(n.to_string());
        }
    });
    if names.is_empty() {
        return None;
    }
    Some(ProfileWarning {
        kind: "libseccomp_dropped".into(),
        message: format!(
            "the profile names {} that the runtime's libseccomp (2.5.4 or older) does not know: \
             it dropped them, and they get what unnamed calls get",
            plural(names.len(), "call")
        ),
        syscalls: names,
    })
}

fn plural(n: usize, what: &str) -> String {
    if n == 1 {
        format!("1 {what}")
    } else {
        format!("{n} {what}s")
    }
}

/// This process as the engine saw the container.
pub(crate) fn process_of(r: &Report) -> Process {
    Process {
        caps: r
            .capabilities
            .ok()
            .map(|c| c.bounding.clone())
            .unwrap_or_default(),
        kernel: r
            .system
            .ok()
            .and_then(|s| s.kernel_release.as_deref())
            .and_then(crate::linux::kernel::parse_version),
    }
}

fn runtime_name(r: Runtime) -> String {
    Model {
        runtime: r,
        libseccomp: Libseccomp::Current,
    }
    .runtime_name()
    .to_string()
}

fn lib_name(l: Libseccomp) -> String {
    Model {
        runtime: Runtime::Runc,
        libseccomp: l,
    }
    .libseccomp_name()
    .to_string()
}

/// A profile given with `--profile`.
pub struct Given<'a> {
    pub path: &'a Path,
    pub read: &'a Read,
}

/// Fills `report.seccomp.profile` from the probe (nothing when no probe ran
/// and no profile was given).
pub fn attach(report: &mut Report, given: Option<Given>) {
    let started = Instant::now();
    let process = process_of(report);
    let filtering = report
        .seccomp
        .status
        .ok()
        .is_some_and(|s| s.mode == SeccompMode::Filter);
    let probe = report
        .seccomp
        .probe
        .ok()
        .filter(|p| p.method != ProbeMethod::None);
    let Some(probe) = probe else {
        if given.is_some() {
            let why = match &report.seccomp.probe {
                Section::Failed { error } => format!("the probe failed: {error}"),
                Section::Ok(p) => format!(
                    "no probe ran ({}): nothing to compare",
                    p.note.as_deref().unwrap_or("--probe none")
                ),
            };
            report.seccomp.profile = Some(ProfileReport {
                matched: None,
                title: "unknown (no probe)".into(),
                closest: None,
                score: None,
                runtime: None,
                libseccomp: None,
                compared: 0,
                differences: Vec::new(),
                candidates: Vec::new(),
                warnings: Vec::new(),
                given: Some(Section::failed(why)),
                elapsed_us: started.elapsed().as_micros() as u64,
            });
        }
        return;
    };
    let probed = Probed::new(probe);
    let mut out = if filtering {
        name_known(&probed, &process)
    } else {
        ProfileReport {
            matched: None,
            title: "no seccomp filter".into(),
            closest: None,
            score: None,
            runtime: None,
            libseccomp: None,
            compared: 0,
            differences: Vec::new(),
            candidates: Vec::new(),
            warnings: Vec::new(),
            given: None,
            elapsed_us: 0,
        }
    };
    if let Some(g) = given {
        out.given = Some(Section::Ok(compare_given(&probed, &process, &g)));
    }
    out.elapsed_us = started.elapsed().as_micros() as u64;
    report.seccomp.profile = Some(out);
}

/// Names the policy in force from a probe of a process under a seccomp
/// filter: what `seccomp.profile` of the report says (no `--profile`
/// comparison).
pub fn name_policy(probe: &Probe, process: &Process) -> ProfileReport {
    let started = Instant::now();
    let mut out = name_known(&Probed::new(probe), process);
    out.elapsed_us = started.elapsed().as_micros() as u64;
    out
}

fn name_known(p: &Probed, process: &Process) -> ProfileReport {
    // A screen first: every known profile against the native entry point's
    // zero-argument sweep (a third of the probes); then every probe, for
    // the best of them only. It keeps naming well under a millisecond.
    let mut zero: Vec<(u32, Outcome)> = Vec::with_capacity(600);
    each_obs(p, true, |o| zero.push((o.nr, o.got)));
    let mut screened: Vec<(&Known, f64)> = known::ALL
        .iter()
        .map(|k| {
            let score = match k {
                Known::Rules(t) => resolve::screen(*t, process, &zero),
                Known::Measured(_) => {
                    let e = known::expectation(k, process);
                    best(&fits(&e, p, true)).0.score()
                }
            };
            (k, score)
        })
        .collect();
    crate::sort::sort_by(&mut screened, |a, b| b.1.total_cmp(&a.1));
    let candidates = screened
        .iter()
        .map(|(k, score)| ProfileCandidate {
            id: k.id().into(),
            title: k.title().into(),
            score: round(*score),
        })
        .collect();
    let Some(&(k, _)) = screened.first() else {
        return ProfileReport {
            matched: None,
            title: "custom".into(),
            closest: None,
            score: None,
            runtime: None,
            libseccomp: None,
            compared: 0,
            differences: Vec::new(),
            candidates,
            warnings: Vec::new(),
            given: None,
            elapsed_us: 0,
        };
    };
    let full = known::expectation(k, process);
    let e = &full;
    let (fit, rt, lib) = best(&fits(e, p, false));
    let matched = fit.score() >= MATCH_SCORE;
    let mut warnings = Vec::new();
    warnings.extend(stale_eperm(p));
    if let Expectation::Filter(f) = e {
        warnings.extend(dropped(f, p, fit.model));
    }
    if let (Known::Measured(m), true) = (k, matched) {
        let unmeasured: Vec<String> = process
            .caps
            .iter()
            .filter(|c| !m.measured_caps.contains(&c.as_str()))
            .cloned()
            .collect();
        if !unmeasured.is_empty() {
            warnings.push(ProfileWarning {
                kind: "other_capabilities".into(),
                message: format!(
                    "{}'s filters depend on the capabilities it keeps, and the effect of \
                     these was not measured",
                    m.title
                ),
                syscalls: unmeasured,
            });
        }
    }
    if fit.uncertain > 0 {
        warnings.push(uncertain(fit.uncertain));
    }
    ProfileReport {
        matched: matched.then(|| k.id().to_string()),
        title: if matched {
            k.title().to_string()
        } else {
            "custom".into()
        },
        closest: Some(k.id().to_string()),
        score: Some(round(fit.score())),
        runtime: rt.map(runtime_name),
        libseccomp: lib.map(lib_name),
        compared: fit.compared,
        differences: if fit.matched == fit.compared {
            Vec::new()
        } else {
            differences(e, p, fit.model)
        },
        candidates,
        warnings,
        given: None,
        elapsed_us: 0,
    }
}

fn uncertain(n: u32) -> ProfileWarning {
    ProfileWarning {
        kind: "uncertain".into(),
        syscalls: Vec::new(),
        message: format!(
            "{} not compared: rules with different actions hold at once there, and \
             libseccomp's layout decides which wins",
            plural(n as usize, "probe")
        ),
    }
}

fn round(x: f64) -> f64 {
    (x * 10000.0).round() / 10000.0
}

fn compare_given(p: &Probed, process: &Process, g: &Given) -> GivenProfile {
    let f = Filter::build(&g.read.profile, process);
    let e = Expectation::Filter(f);
    let (fit, rt, lib) = best(&fits(&e, p, false));
    let mut warnings = Vec::new();
    warnings.extend(stale_eperm(p));
    if let Expectation::Filter(f) = &e {
        warnings.extend(dropped(f, p, fit.model));
    }
    if fit.uncertain > 0 {
        warnings.push(uncertain(fit.uncertain));
    }
    GivenProfile {
        path: g.path.display().to_string(),
        format: g.read.format.name().to_string(),
        runtime: rt.map(runtime_name),
        libseccomp: lib.map(lib_name),
        compared: fit.compared,
        score: round(fit.score()),
        differences: differences(&e, p, fit.model),
        warnings,
        notes: g.read.notes.clone(),
    }
}

/// What `--profile FILE` found: `Some(true)` when the policy in force
/// differs from FILE, `Some(false)` when it answers every probe as FILE
/// says, `None` when nothing was compared (no FILE, or no probe).
pub fn given_differs(r: &Report) -> Option<bool> {
    let given = r.seccomp.profile.as_ref()?.given.as_ref()?.ok()?;
    Some(!given.differences.is_empty())
}

/// "Docker 20.10 default, plus blocked: mkdir, mkdirat" from a report's
/// differences.
pub fn summary(title: &str, diffs: &[ProfileDifference]) -> String {
    let mut parts = vec![title.to_string()];
    for (change, words) in [
        ("blocked", "plus blocked"),
        ("allowed", "plus allowed"),
        ("other", "answered otherwise"),
    ] {
        let mut names: Vec<&str> = Vec::new();
        for d in diffs.iter().filter(|d| d.change == change) {
            if !names.contains(&d.syscall.as_str()) {
                names.push(&d.syscall);
            }
        }
        if !names.is_empty() {
            parts.push(format!("{words}: {}", names.join(", ")));
        }
    }
    parts.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profile::read;

    fn outcome(v: Verdict, errno: Option<u32>) -> Outcome {
        Outcome {
            verdict: v,
            errno,
            trap_data: None,
        }
    }

    /// A probe of the native entry point answered by `f` (as runc would
    /// build it), with `tweak` applied to some verdicts.
    fn probe_from(f: &Filter, tweak: &dyn Fn(&str) -> Option<Outcome>) -> Probe {
        let a = abi::native();
        let model = Model::ALL[0];
        let results = (0..=abi::max_nr(a))
            .map(|nr| {
                let name = a.name(nr);
                let mut o = f.expect(a, nr, &[0; 6], model).outcome;
                if let Some(t) = name.and_then(tweak) {
                    o = t;
                }
                SyscallResult {
                    abi: a.name.into(),
                    nr,
                    name: name.map(str::to_string),
                    verdict: o.verdict,
                    errno: o.errno,
                    trap_data: o.trap_data,
                    method: ProbeMethod::Notify,
                    confidence: Confidence::Exact,
                    all_ones: None,
                    note: None,
                    direct: None,
                }
            })
            .collect();
        Probe {
            method: ProbeMethod::Notify,
            note: None,
            abis: vec![AbiInfo {
                abi: a.name.into(),
                probed: true,
                probes: 0,
                all_ones_swept: false,
                note: None,
            }],
            results,
            arg_probes: Vec::new(),
            elapsed_us: 0,
            unlearned: 0,
        }
    }

    const SMALL: &str = r#"{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [
        {"names": ["read", "write", "mkdir", "mkdirat", "getpid", "clone", "futex_waitv"],
         "action": "SCMP_ACT_ALLOW"}]}"#;

    fn process() -> Process {
        Process {
            caps: Vec::new(),
            kernel: Some((6, 1)),
        }
    }

    #[test]
    fn a_blocked_call_is_a_difference_by_name() {
        let read = read::parse(SMALL).unwrap();
        let f = Filter::build(&read.profile, &process());
        let p = probe_from(&f, &|n| {
            matches!(n, "mkdir" | "mkdirat").then(|| outcome(Verdict::Errno, Some(1)))
        });
        let g = compare_given(
            &Probed::new(&p),
            &process(),
            &Given {
                path: Path::new("small.json"),
                read: &read,
            },
        );
        let names: Vec<&str> = g.differences.iter().map(|d| d.syscall.as_str()).collect();
        // aarch64 has no mkdir: mkdirat alone.
        let (want, said): (&[&str], &str) = if cfg!(target_arch = "x86_64") {
            (&["mkdir", "mkdirat"], "Small, plus blocked: mkdir, mkdirat")
        } else {
            (&["mkdirat"], "Small, plus blocked: mkdirat")
        };
        assert_eq!(names, want);
        assert!(g.differences.iter().all(|d| d.change == "blocked"));
        assert_eq!(summary("Small", &g.differences), said);
        assert!(g.score > 0.99 && g.score < 1.0);
    }

    #[test]
    fn the_runtime_is_modelled_not_counted() {
        let read = read::parse(SMALL).unwrap();
        let f = Filter::build(&read.profile, &process());
        // crun: EPERM above futex_waitv instead of runc's ENOSYS.
        let a = abi::native();
        let crun = Model {
            runtime: Runtime::Crun,
            libseccomp: Libseccomp::Current,
        };
        let mut p = probe_from(&f, &|_| None);
        for r in &mut p.results {
            let o = f.expect(a, r.nr, &[0; 6], crun).outcome;
            (r.verdict, r.errno) = (o.verdict, o.errno);
        }
        let g = compare_given(
            &Probed::new(&p),
            &process(),
            &Given {
                path: Path::new("small.json"),
                read: &read,
            },
        );
        assert!(g.differences.is_empty(), "{:?}", g.differences);
        assert_eq!(g.runtime.as_deref(), Some("crun"));
        // And crun's EPERM for calls newer than the profile is the stale warning.
        assert!(g.warnings.iter().any(|w| w.kind == "stale_eperm"));
    }

    #[test]
    fn calls_an_old_libseccomp_dropped_are_a_warning_not_a_difference() {
        let text = r#"{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [
            {"names": ["read", "write", "futex_waitv", "mseal", "listmount"],
             "action": "SCMP_ACT_ALLOW"}]}"#;
        let read = read::parse(text).unwrap();
        let f = Filter::build(&read.profile, &process());
        // What runc with libseccomp 2.5.4 attaches: mseal and listmount
        // dropped, ENOSYS above futex_waitv.
        let old = Model {
            runtime: Runtime::Runc,
            libseccomp: Libseccomp::V2_5_4,
        };
        let a = abi::native();
        let mut p = probe_from(&f, &|_| None);
        for r in &mut p.results {
            let o = f.expect(a, r.nr, &[0; 6], old).outcome;
            (r.verdict, r.errno) = (o.verdict, o.errno);
        }
        let g = compare_given(
            &Probed::new(&p),
            &process(),
            &Given {
                path: Path::new("new.json"),
                read: &read,
            },
        );
        assert!(g.differences.is_empty(), "{:?}", g.differences);
        assert_eq!(g.libseccomp.as_deref(), Some("2.5.4"));
        let w = g
            .warnings
            .iter()
            .find(|w| w.kind == "libseccomp_dropped")
            .unwrap();
        // In probe order (by number).
        assert_eq!(w.syscalls, ["listmount", "mseal"]);
    }

    #[test]
    fn unnamed_numbers_collapse_into_ranges() {
        let read = read::parse(SMALL).unwrap();
        let f = Filter::build(&read.profile, &process());
        let mut p = probe_from(&f, &|_| None);
        for r in p.results.iter_mut().filter(|r| r.name.is_none()) {
            (r.verdict, r.errno) = (Verdict::Allowed, None);
        }
        let e = Expectation::Filter(f);
        let d = differences(&e, &Probed::new(&p), Model::ALL[0]);
        assert!(
            d.iter()
                .any(|d| d.syscall.starts_with('#') && d.syscall.contains('-'))
        );
        assert!(d.iter().all(|d| d.change == "allowed"));
    }
}
