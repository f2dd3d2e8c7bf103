//! From a profile to the verdict the kernel's filter gives each probe.
//!
//! Two steps, as in real life. The engine's (dockerd, podman, containerd):
//! keep the rules whose `includes` hold and whose `excludes` do not, for
//! the container's bounding set (the set dockerd, podman and containerd
//! consult), the native architecture and the running kernel, and pick the
//! architectures (`archMap`'s entry for the native one). Then the runtime's:
//! runc and crun skip rules whose action is the default one, libseccomp
//! drops names it does not know, and the filter answers:
//!
//! - a number of an entry point the filter does not list: libseccomp's
//!   bad-architecture action (KILL_THREAD);
//! - a number some rule names: the first unconditional rule's action
//!   (libseccomp lets an unconditional rule replace conditional ones and
//!   keeps the first of two unconditional ones); otherwise the action of
//!   the conditional rules whose comparisons all hold, or the default when
//!   none does. When rules with different actions hold at once, libseccomp's
//!   tree layout picks one: the expectation is then marked uncertain;
//! - any other number: the default action, except that runc answers ENOSYS
//!   for numbers above the highest one the profile names on that entry point
//!   (unless the default action allows, or already is ENOSYS). crun has no
//!   such rule. Which runtime built the filter is a [`Runtime`] parameter,
//!   not a difference.
//!
//! Comparisons on the i386 entry point see 32-bit arguments, as libseccomp
//! compiles them there.

use super::{Action, Profile, Rule};
use crate::linux::abi::{self, Abi};
use crate::model::{Outcome, Verdict};

/// What the engine knows about the container when it resolves a profile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Process {
    /// The bounding set, by name ("CAP_SYS_ADMIN").
    pub caps: Vec<String>,
    /// (major, minor) of the running kernel; `None`: minKernel conditions hold.
    pub kernel: Option<(u32, u32)>,
}

/// Which runtime compiled the filter: they differ for numbers no rule names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Runtime {
    /// ENOSYS above the highest number the profile names.
    Runc,
    /// The default action for every number no rule names.
    Crun,
}

/// Which names the runtime's libseccomp knows (it drops the others).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Libseccomp {
    /// 2.5.4 (Debian 12, Ubuntu 22.04): nothing after futex_requeue (456),
    /// nor uretprobe and uprobe.
    V2_5_4,
    /// One that knows every name whatami knows.
    Current,
}

/// A runtime and its libseccomp.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Model {
    pub runtime: Runtime,
    pub libseccomp: Libseccomp,
}

impl Model {
    pub const ALL: [Model; 4] = [
        Model {
            runtime: Runtime::Runc,
            libseccomp: Libseccomp::Current,
        },
        Model {
            runtime: Runtime::Runc,
            libseccomp: Libseccomp::V2_5_4,
        },
        Model {
            runtime: Runtime::Crun,
            libseccomp: Libseccomp::Current,
        },
        Model {
            runtime: Runtime::Crun,
            libseccomp: Libseccomp::V2_5_4,
        },
    ];

    pub fn runtime_name(self) -> &'static str {
        match self.runtime {
            Runtime::Runc => "runc",
            Runtime::Crun => "crun",
        }
    }

    pub fn libseccomp_name(self) -> &'static str {
        match self.libseccomp {
            Libseccomp::V2_5_4 => "2.5.4",
            Libseccomp::Current => "current",
        }
    }
}

/// Whether a libseccomp knows a syscall name (a name whatami does not
/// know counts as known: it has no number to probe anyway).
pub fn libseccomp_knows(lib: Libseccomp, name: &str) -> bool {
    match lib {
        Libseccomp::Current => true,
        Libseccomp::V2_5_4 => name_info(name).is_none_or(|i| !i.old),
    }
}

/// libseccomp's architecture name for an entry point.
pub fn scmp_arch(abi: &Abi) -> &'static str {
    match abi.name {
        "x86_64" => "SCMP_ARCH_X86_64",
        "i386" => "SCMP_ARCH_X86",
        "x32" => "SCMP_ARCH_X32",
        "aarch64" => "SCMP_ARCH_AARCH64",
        _ => "",
    }
}

/// Go's name for the native architecture, as `includes.arches` spells it.
pub fn go_arch() -> &'static str {
    match abi::native().name {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        other => other,
    }
}

/// What a name is on every entry point, looked up once per name.
#[derive(Debug, Clone, Copy)]
pub struct NameInfo {
    /// Number per entry point of [`abi::abis`] (u32::MAX: none), without
    /// the x32 bit.
    pub nrs: [u32; 3],
    /// libseccomp 2.5.4 does not know it.
    pub old: bool,
}

pub fn name_info(name: &str) -> Option<NameInfo> {
    let mut nrs = [u32::MAX; 3];
    let mut any = false;
    for (index, slot) in nrs.iter_mut().enumerate().take(abi::COUNT) {
        let table = abi::by_name(index);
        if let Ok(i) = table.binary_search_by(|(n, _)| (*n).cmp(name)) {
            *slot = table[i].1;
            any = true;
        }
    }
    any.then(|| NameInfo {
        nrs,
        old: old_in_2_5_4(name, nrs),
    })
}

/// libseccomp 2.5.4 knows nothing after futex_requeue (456), nor uretprobe
/// and uprobe. Numbers from 424 on are the same on every architecture, so
/// one test on the first entry point that has the name does.
pub(crate) fn old_in_2_5_4(name: &str, nrs: [u32; 3]) -> bool {
    if matches!(name, "uretprobe" | "uprobe") {
        return true;
    }
    nrs.iter()
        .find(|&&n| n != u32::MAX)
        .is_some_and(|&n| n >= 457)
}

/// i386 socket and IPC calls: libseccomp 2.5 resolves their names to the
/// multiplexers (socketcall, ipc) when runc looks for the highest number.
fn multiplexed_i386(a: &Abi, nr: u32) -> bool {
    a.name == "i386"
        && ((359..=373).contains(&nr) || (393..=402).contains(&nr) || nr == 337 || nr == 345)
}

/// A profile as the resolver reads it: a user's file ([`Profile`]) or a
/// built-in table, without converting one into the other.
pub trait RuleSet {
    fn default_action(&self) -> Action;
    /// The filter's architectures (SCMP_ARCH_*), `archMap` already applied
    /// for the native architecture.
    fn arches(&self) -> Vec<&str>;
    fn rule_count(&self) -> usize;
    fn action(&self, i: usize) -> Action;
    fn args(&self, i: usize) -> &[super::ArgCmp];
    /// Whether rule `i`'s includes hold and its excludes do not.
    fn applies(&self, i: usize, process: &Process) -> bool;
    /// Rule `i`'s names, each with what it is on every entry point (`None`:
    /// no entry point has it).
    fn each_name(&self, i: usize, f: &mut dyn FnMut(&str, Option<NameInfo>));
}

/// The engine's test of one rule's conditions (dockerd's, podman's and
/// containerd's are the same): excluded when the native architecture, any
/// capability or the kernel version matches `excludes`; included only when
/// `includes` holds entirely.
pub(crate) fn conditions_hold<S: AsRef<str>, T: AsRef<str>>(
    inc: (&[S], &[S], Option<(u32, u32)>),
    exc: (&[T], &[T], Option<(u32, u32)>),
    process: &Process,
) -> bool {
    let native = go_arch();
    let has_cap = |c: &str| process.caps.iter().any(|x| x == c);
    let kernel_at_least = |v: (u32, u32)| process.kernel.is_none_or(|k| k >= v);
    let (inc_caps, inc_arches, inc_kernel) = inc;
    let (exc_caps, exc_arches, exc_kernel) = exc;
    !(exc_arches.iter().any(|a| a.as_ref() == native)
        || exc_caps.iter().any(|c| has_cap(c.as_ref()))
        || exc_kernel.is_some_and(kernel_at_least)
        || (!inc_arches.is_empty() && !inc_arches.iter().any(|a| a.as_ref() == native))
        || !inc_caps.iter().all(|c| has_cap(c.as_ref()))
        || inc_kernel.is_some_and(|k| !kernel_at_least(k)))
}

/// The architectures of a filter: `archMap`'s entry for the native one, or
/// `architectures` as given.
pub(crate) fn pick_arches<'a>(
    architectures: impl Iterator<Item = &'a str>,
    arch_map: impl Iterator<Item = (&'a str, Vec<&'a str>)>,
) -> Vec<&'a str> {
    let native = scmp_arch(abi::native());
    let mut map = arch_map.peekable();
    if map.peek().is_none() {
        return architectures.collect();
    }
    map.filter(|(a, _)| *a == native)
        .flat_map(|(a, subs)| std::iter::once(a).chain(subs))
        .collect()
}

impl RuleSet for Profile {
    fn default_action(&self) -> Action {
        self.default_action
    }
    fn arches(&self) -> Vec<&str> {
        pick_arches(
            self.architectures.iter().map(String::as_str),
            self.arch_map.iter().map(|e| {
                (
                    e.architecture.as_str(),
                    e.sub_architectures.iter().map(String::as_str).collect(),
                )
            }),
        )
    }
    fn rule_count(&self) -> usize {
        self.rules.len()
    }
    fn action(&self, i: usize) -> Action {
        self.rules[i].action
    }
    fn args(&self, i: usize) -> &[super::ArgCmp] {
        &self.rules[i].args
    }
    fn applies(&self, i: usize, process: &Process) -> bool {
        let r: &Rule = &self.rules[i];
        let (inc, exc) = (&r.includes, &r.excludes);
        conditions_hold(
            (&inc.caps[..], &inc.arches[..], inc.min_kernel),
            (&exc.caps[..], &exc.arches[..], exc.min_kernel),
            process,
        )
    }
    fn each_name(&self, i: usize, f: &mut dyn FnMut(&str, Option<NameInfo>)) {
        for n in &self.rules[i].names {
            f(n, name_info(n));
        }
    }
}

/// The expected answer to one probe.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Expected {
    pub outcome: Outcome,
    /// False when overlapping rules make libseccomp's layout decide.
    pub certain: bool,
    /// Whether a rule names this call (false: the default, or runc's ENOSYS).
    pub named: bool,
}

pub fn outcome_of(a: Action) -> Outcome {
    let (verdict, errno, trap_data) = match a {
        Action::Allow | Action::Log | Action::Trace | Action::Notify => {
            (Verdict::Allowed, None, None)
        }
        Action::Errno(e) => (
            Verdict::Errno,
            Some(e.min(crate::linux::errno::MAX_ERRNO as u32)),
            None,
        ),
        Action::KillThread => (Verdict::KillThread, None, None),
        Action::KillProcess => (Verdict::KillProcess, None, None),
        Action::Trap => (Verdict::Trap, None, Some(0)),
    };
    Outcome {
        verdict,
        errno,
        trap_data,
    }
}

/// One entry point's part of the filter.
#[derive(Debug, Clone)]
struct AbiFilter {
    abi: &'static Abi,
    listed: bool,
    /// The rules naming number n (without the ABI bit) are
    /// `entries[offsets[n]..offsets[n + 1]]`: (index into `Filter::rules`,
    /// whether libseccomp 2.5.4 drops the name), in profile order.
    offsets: Vec<u32>,
    entries: Vec<(u32, bool)>,
    /// The highest number a known name of the profile has here, for a
    /// libseccomp that knows every name and for 2.5.4 (runc's ENOSYS line).
    highest: [Option<u32>; 2],
}

impl AbiFilter {
    fn rules_of(&self, base: u32) -> &[(u32, bool)] {
        let n = base as usize;
        match (self.offsets.get(n), self.offsets.get(n + 1)) {
            (Some(&a), Some(&b)) => self.entries.get(a as usize..b as usize).unwrap_or(&[]),
            _ => &[],
        }
    }
}

/// A profile resolved for this process, ready to answer for any runtime
/// model: one build serves all of them, since they differ only in names
/// libseccomp drops and in what unnamed numbers get.
#[derive(Debug, Clone)]
pub struct Filter {
    default: Action,
    rules: Vec<(Action, Vec<super::ArgCmp>)>,
    abis: Vec<AbiFilter>,
    /// Names of applicable rules that libseccomp 2.5.4 does not know.
    dropped_by_2_5_4: Vec<String>,
}

fn lib_index(l: Libseccomp) -> usize {
    match l {
        Libseccomp::Current => 0,
        Libseccomp::V2_5_4 => 1,
    }
}

impl Filter {
    pub fn build(p: &impl RuleSet, process: &Process) -> Filter {
        let arches = p.arches();
        let rules: Vec<usize> = (0..p.rule_count())
            .filter(|&i| p.applies(i, process))
            .collect();
        let default = p.default_action();
        let mut kept: Vec<(Action, Vec<super::ArgCmp>)> = Vec::new();
        let mut dropped: Vec<String> = Vec::new();
        let all = abi::abis();
        let listed: Vec<bool> = all
            .iter()
            .map(|a| {
                // runc and crun start from libseccomp's filter for the native
                // architecture and add the profile's: the native one is in
                // every filter, listed or not (a profile listing only
                // SCMP_ARCH_X86_64 still rules an arm64 container's calls).
                arches.iter().any(|x| *x == scmp_arch(a)) || std::ptr::eq(*a, abi::native())
            })
            .collect();
        // (abi, number, rule, dropped by 2.5.4)
        // Sized up front: musl's allocator gives memory back eagerly, and
        // growing (then sorting with a buffer) costs page faults each time.
        let mut named: Vec<(u8, u32, u32, bool)> =
            Vec::with_capacity(512 * listed.iter().filter(|l| **l).count());
        let mut highest = vec![[None::<u32>; 2]; all.len()];
        for r in rules {
            let action = p.action(r);
            // runc and crun never hand libseccomp a rule that repeats the
            // default action (libseccomp refuses it).
            let skip = action == default;
            let idx = kept.len() as u32;
            let mut used = false;
            p.each_name(r, &mut |name, info| {
                // A name no entry point has: libseccomp does not know it either.
                let Some(info) = info else {
                    return;
                };
                let old = info.old;
                if old && !dropped.iter().any(|d| d == name) {
                    dropped.push(name.to_string());
                }
                for (i, a) in all.iter().enumerate() {
                    let nr = info.nrs.get(i).copied().unwrap_or(u32::MAX);
                    if !listed[i] || nr == u32::MAX {
                        continue;
                    }
                    if !multiplexed_i386(a, nr) {
                        for (lib, h) in highest[i].iter_mut().enumerate() {
                            if lib == 0 || !old {
                                *h = Some(h.map_or(nr, |x| x.max(nr)));
                            }
                        }
                    }
                    if !skip {
                        named.push((i as u8, nr, idx, old));
                        used = true;
                    }
                }
            });
            if used {
                kept.push((action, p.args(r).to_vec()));
            }
        }
        // Laid out by number with a counting pass: rules keep their profile
        // order within a number, and nothing is sorted.
        let abis = all
            .iter()
            .enumerate()
            .map(|(i, a)| {
                let size = abi::max_nr(a) as usize + 2;
                let mut offsets = vec![0u32; size];
                let mut count = 0usize;
                for &(j, nr, _, _) in &named {
                    if j as usize == i && (nr as usize) < size - 1 {
                        offsets[nr as usize + 1] += 1;
                        count += 1;
                    }
                }
                for k in 1..size {
                    offsets[k] += offsets[k - 1];
                }
                let mut fill = offsets.clone();
                let mut entries = vec![(0u32, false); count];
                for &(j, nr, idx, old) in &named {
                    if j as usize == i && (nr as usize) < size - 1 {
                        let at = &mut fill[nr as usize];
                        if let Some(slot) = entries.get_mut(*at as usize) {
                            *slot = (idx, old);
                        }
                        *at += 1;
                    }
                }
                AbiFilter {
                    abi: a,
                    listed: listed[i],
                    offsets,
                    entries,
                    highest: highest[i],
                }
            })
            .collect();
        Filter {
            default,
            rules: kept,
            abis,
            dropped_by_2_5_4: dropped,
        }
    }

    /// What the rules naming a call say: `None` when no rule (that this
    /// libseccomp keeps) names it.
    fn by_rules(
        &self,
        entries: &[(u32, bool)],
        args: &[u64; 6],
        width32: bool,
        keep_new: bool,
    ) -> Option<Expected> {
        let mut any = false;
        let mut chosen: Option<Action> = None;
        let mut certain = true;
        for &(i, old) in entries {
            if old && !keep_new {
                continue;
            }
            any = true;
            let (action, cmps) = &self.rules[i as usize];
            if cmps.is_empty() {
                // libseccomp: an unconditional rule replaces conditional
                // ones, and the first of two unconditional ones stays.
                return Some(Expected {
                    outcome: outcome_of(*action),
                    certain: true,
                    named: true,
                });
            }
            if cmps
                .iter()
                .all(|c| c.holds(args[c.index as usize % 6], width32))
            {
                match chosen {
                    None => chosen = Some(*action),
                    Some(a) if a != *action => certain = false,
                    Some(_) => {}
                }
            }
        }
        if !any {
            return None;
        }
        // A later unconditional rule would have returned above; only
        // conditional ones are left.
        Some(Expected {
            outcome: outcome_of(chosen.unwrap_or(self.default)),
            certain,
            named: true,
        })
    }

    /// What a number no rule names gets.
    fn unnamed(&self, f: &AbiFilter, base: u32, model: Model) -> Expected {
        // runc's stub: ENOSYS above the highest named number, unless the
        // default allows or already is ENOSYS.
        let stub = model.runtime == Runtime::Runc
            && !self.default.permits()
            && self.default != Action::Errno(38);
        let action = match f.highest[lib_index(model.libseccomp)] {
            Some(h) if stub && base > h => Action::Errno(38),
            _ => self.default,
        };
        Expected {
            outcome: outcome_of(action),
            certain: true,
            named: false,
        }
    }

    /// The verdict for a call through `a` with number `nr` (x32: with its
    /// bit) and arguments `args`, when `model` built the filter.
    pub fn expect(&self, a: &Abi, nr: u32, args: &[u64; 6], model: Model) -> Expected {
        let Some(f) = self
            .abis
            .iter()
            .find(|f| std::ptr::eq(f.abi, a) && f.listed)
        else {
            return bad_arch();
        };
        let base = nr & !a.nr_bit;
        let width32 = a.entry == abi::Entry::Int80;
        let keep_new = model.libseccomp == Libseccomp::Current;
        self.by_rules(f.rules_of(base), args, width32, keep_new)
            .unwrap_or_else(|| self.unnamed(f, base, model))
    }

    /// The rules that name a call through `a` (number `nr`, x32: with its
    /// bit), in profile order, as `model`'s libseccomp keeps them: each
    /// rule's action and argument comparisons (none: unconditional). Empty
    /// when no rule names it. What [`Filter::expect`] decides from, for
    /// whoever needs to say under which arguments a call would pass.
    pub fn rules_naming(&self, a: &Abi, nr: u32, model: Model) -> Vec<(Action, &[super::ArgCmp])> {
        let Some(f) = self
            .abis
            .iter()
            .find(|f| std::ptr::eq(f.abi, a) && f.listed)
        else {
            return Vec::new();
        };
        let keep_new = model.libseccomp == Libseccomp::Current;
        f.rules_of(nr & !a.nr_bit)
            .iter()
            .filter(|(_, old)| keep_new || !old)
            .filter_map(|(i, _)| self.rules.get(*i as usize))
            .map(|(action, cmps)| (*action, cmps.as_slice()))
            .collect()
    }

    /// The models of [`Model::ALL`] that can answer differently here: the
    /// libseccomp matters only when the profile names calls 2.5.4 does not
    /// know, the runtime only when runc's ENOSYS rule can apply.
    pub fn distinct_models(&self) -> Vec<Model> {
        let stub = !self.default.permits() && self.default != Action::Errno(38);
        let libs_differ = !self.dropped_by_2_5_4.is_empty();
        Model::ALL
            .iter()
            .copied()
            .filter(|m| {
                (stub || m.runtime == Runtime::Runc)
                    && (libs_differ || m.libseccomp == Libseccomp::Current)
            })
            .collect()
    }

    /// Names the profile gives (for this process) that `lib` drops.
    pub fn dropped(&self, lib: Libseccomp) -> &[String] {
        match lib {
            Libseccomp::Current => &[],
            Libseccomp::V2_5_4 => &self.dropped_by_2_5_4,
        }
    }

    /// Whether `a`'s calls pass through this filter's rules at all.
    pub fn lists(&self, a: &Abi) -> bool {
        self.abis.iter().any(|f| std::ptr::eq(f.abi, a) && f.listed)
    }
}

/// How a number fares in [`screen`].
#[derive(Clone, Copy)]
enum Slot {
    Unnamed,
    /// An unconditional rule decided it.
    Fixed(Action),
    /// Only conditional rules name it: the action of those that hold for
    /// all-zero arguments, if any.
    Conditional(Option<Action>),
}

/// The share of the native entry point's zero-argument sweep (`observed`:
/// number, verdict) that `p` expects, under runc's and crun's handling of
/// unnamed numbers (the better of the two), with a libseccomp that knows
/// every name. With all arguments zero, conditional rules can be decided
/// while reading the rules, so no filter is built: ranking every known
/// profile this way costs a few dozen microseconds.
pub fn screen(p: &impl RuleSet, process: &Process, observed: &[(u32, Outcome)]) -> f64 {
    let native = abi::native();
    let at = abi::index_of(native) as usize;
    let default = p.default_action();
    let mut slots = vec![Slot::Unnamed; abi::max_nr(native) as usize + 1];
    let mut highest: Option<u32> = None;
    for r in (0..p.rule_count()).filter(|&r| p.applies(r, process)) {
        let action = p.action(r);
        let args = p.args(r);
        let unconditional = args.is_empty();
        let holds = args.iter().all(|c| c.holds(0, false));
        p.each_name(r, &mut |_, info| {
            let Some(nr) = info.and_then(|i| i.nrs.get(at).copied()) else {
                return;
            };
            if nr == u32::MAX {
                return;
            }
            highest = highest.max(Some(nr));
            if action == default {
                return;
            }
            let Some(slot) = slots.get_mut(nr as usize) else {
                return;
            };
            *slot = match (*slot, unconditional) {
                (Slot::Fixed(a), _) => Slot::Fixed(a),
                (_, true) => Slot::Fixed(action),
                (Slot::Conditional(m), false) => Slot::Conditional(m.or(holds.then_some(action))),
                (Slot::Unnamed, false) => Slot::Conditional(holds.then_some(action)),
            };
        });
    }
    let stub = !default.permits() && default != Action::Errno(38);
    let (mut runc, mut crun) = (0usize, 0usize);
    for &(nr, got) in observed {
        // The native architecture is in every filter (see Filter::build).
        let (r, c) = match slots.get(nr as usize).copied().unwrap_or(Slot::Unnamed) {
            Slot::Fixed(a) | Slot::Conditional(Some(a)) => (outcome_of(a), outcome_of(a)),
            Slot::Conditional(None) => (outcome_of(default), outcome_of(default)),
            Slot::Unnamed => {
                let runc = match highest {
                    Some(h) if stub && nr > h => Action::Errno(38),
                    _ => default,
                };
                (outcome_of(runc), outcome_of(default))
            }
        };
        runc += usize::from(r == got);
        crun += usize::from(c == got);
    }
    if observed.is_empty() {
        0.0
    } else {
        runc.max(crun) as f64 / observed.len() as f64
    }
}

fn bad_arch() -> Expected {
    Expected {
        outcome: outcome_of(Action::KillThread),
        certain: true,
        named: false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profile::read;

    fn proc_with(caps: &[&str], kernel: (u32, u32)) -> Process {
        Process {
            caps: caps.iter().map(|c| c.to_string()).collect(),
            kernel: Some(kernel),
        }
    }

    /// A filter and the model it is read with.
    struct F(Filter, Model);

    impl F {
        fn expect(&self, a: &Abi, nr: u32, args: &[u64; 6]) -> Expected {
            self.0.expect(a, nr, args, self.1)
        }
    }

    fn filter(json: &str, p: &Process, model: Model) -> F {
        F(Filter::build(&read::parse(json).unwrap().profile, p), model)
    }

    const RUNC: Model = Model {
        runtime: Runtime::Runc,
        libseccomp: Libseccomp::Current,
    };
    const CRUN: Model = Model {
        runtime: Runtime::Crun,
        libseccomp: Libseccomp::Current,
    };

    fn nr(name: &str) -> u32 {
        abi::native_nr(name).unwrap()
    }

    fn verdict(f: &F, name: &str, args: &[u64; 6]) -> (Verdict, Option<u32>) {
        let e = f.expect(abi::native(), nr(name), args);
        (e.outcome.verdict, e.outcome.errno)
    }

    const Z: [u64; 6] = [0; 6];
    const ALLOWED: (Verdict, Option<u32>) = (Verdict::Allowed, None);
    const EPERM: (Verdict, Option<u32>) = (Verdict::Errno, Some(1));
    #[cfg(target_arch = "x86_64")]
    const ENOSYS: (Verdict, Option<u32>) = (Verdict::Errno, Some(38));

    const CONDITIONS: &str = r#"{
        "defaultAction": "SCMP_ACT_ERRNO",
        "archMap": [{"architecture": "SCMP_ARCH_X86_64", "subArchitectures": ["SCMP_ARCH_X86"]},
                    {"architecture": "SCMP_ARCH_AARCH64", "subArchitectures": ["SCMP_ARCH_ARM"]}],
        "syscalls": [
            {"names": ["read", "write", "getpid", "clone3"], "action": "SCMP_ACT_ALLOW",
             "includes": {}},
            {"names": ["reboot"], "action": "SCMP_ACT_ALLOW", "includes": {"caps": ["CAP_SYS_BOOT"]}},
            {"names": ["syslog"], "action": "SCMP_ACT_ALLOW",
             "includes": {"caps": ["CAP_SYSLOG", "CAP_SYS_ADMIN"]}},
            {"names": ["ptrace"], "action": "SCMP_ACT_ALLOW", "includes": {"minKernel": "4.8"}},
            {"names": ["mkdir"], "action": "SCMP_ACT_ALLOW", "excludes": {"minKernel": "5.0"}},
            {"names": ["arch_prctl"], "action": "SCMP_ACT_ALLOW", "includes": {"arches": ["amd64", "x32"]}},
            {"names": ["set_tls"], "action": "SCMP_ACT_ALLOW", "includes": {"arches": ["arm64"]}},
            {"names": ["chroot"], "action": "SCMP_ACT_ALLOW", "excludes": {"arches": ["amd64"]}},
            {"names": ["clone3"], "action": "SCMP_ACT_ERRNO", "errnoRet": 38,
             "excludes": {"caps": ["CAP_SYS_ADMIN"]}}
        ]
    }"#;

    #[test]
    fn names_map_back_to_their_numbers_on_every_entry_point() {
        for a in abi::abis() {
            for nr in 0..=abi::max_nr(a) {
                if let Some(n) = a.name(nr) {
                    let i = abi::index_of(a) as usize;
                    assert_eq!(name_info(n).map(|x| x.nrs[i]), Some(nr), "{} {n}", a.name);
                }
            }
        }
        assert!(name_info("no_such_call").is_none());
    }

    #[test]
    fn capabilities_decide_includes_and_excludes() {
        let none = filter(CONDITIONS, &proc_with(&[], (6, 1)), RUNC);
        assert_eq!(verdict(&none, "reboot", &Z), EPERM);
        assert_eq!(verdict(&none, "syslog", &Z), EPERM);
        let boot = filter(CONDITIONS, &proc_with(&["CAP_SYS_BOOT"], (6, 1)), RUNC);
        assert_eq!(verdict(&boot, "reboot", &Z), ALLOWED);
        // includes.caps needs all of them.
        let one = filter(CONDITIONS, &proc_with(&["CAP_SYSLOG"], (6, 1)), RUNC);
        assert_eq!(verdict(&one, "syslog", &Z), EPERM);
        let both = filter(
            CONDITIONS,
            &proc_with(&["CAP_SYSLOG", "CAP_SYS_ADMIN"], (6, 1)),
            RUNC,
        );
        assert_eq!(verdict(&both, "syslog", &Z), ALLOWED);
        // clone3: the first unconditional rule wins when both apply
        // (without CAP_SYS_ADMIN); with it, the ENOSYS rule is excluded.
        assert_eq!(verdict(&none, "clone3", &Z), ALLOWED);
        assert_eq!(verdict(&both, "clone3", &Z), ALLOWED);
    }

    // Names calls x86_64 has and aarch64 does not (mkdir, uretprobe).
    #[cfg(target_arch = "x86_64")]
    #[test]
    fn kernel_versions_decide_min_kernel() {
        let old = filter(CONDITIONS, &proc_with(&[], (4, 4)), RUNC);
        assert_eq!(verdict(&old, "ptrace", &Z), EPERM);
        assert_eq!(verdict(&old, "mkdir", &Z), ALLOWED);
        let new = filter(CONDITIONS, &proc_with(&[], (5, 0)), RUNC);
        assert_eq!(verdict(&new, "ptrace", &Z), ALLOWED);
        assert_eq!(verdict(&new, "mkdir", &Z), EPERM);
    }

    #[test]
    fn the_native_architecture_is_ruled_even_when_not_listed() {
        // runc and crun add the listed architectures to libseccomp's native one.
        let other = if cfg!(target_arch = "x86_64") {
            "SCMP_ARCH_AARCH64"
        } else {
            "SCMP_ARCH_X86_64"
        };
        let p = format!(
            r#"{{"defaultAction": "SCMP_ACT_ERRNO", "architectures": ["{other}"],
                "syscalls": [{{"names": ["getpid"], "action": "SCMP_ACT_ALLOW"}}]}}"#
        );
        let f = filter(&p, &proc_with(&[], (6, 1)), CRUN);
        assert!(f.0.lists(abi::native()));
        assert_eq!(verdict(&f, "getpid", &Z), ALLOWED);
        assert_eq!(verdict(&f, "mkdirat", &Z), EPERM);
    }

    #[cfg(target_arch = "x86_64")]
    #[test]
    fn architectures_come_from_arch_map_and_decide_arch_rules() {
        let f = filter(CONDITIONS, &proc_with(&[], (6, 1)), RUNC);
        assert_eq!(verdict(&f, "arch_prctl", &Z), ALLOWED);
        assert_eq!(verdict(&f, "chroot", &Z), EPERM);
        let [_, x32, i386] = [abi::abis()[0], abi::abis()[1], abi::abis()[2]];
        // i386 is listed (a sub-architecture of x86_64), x32 is not.
        assert!(f.0.lists(i386));
        assert!(!f.0.lists(x32));
        let getpid32 = f.expect(i386, 20, &Z);
        assert_eq!(getpid32.outcome.verdict, Verdict::Allowed);
        assert_eq!(
            f.expect(x32, 39 | abi::X32_SYSCALL_BIT, &Z).outcome.verdict,
            Verdict::KillThread
        );
    }

    // Names calls x86_64 has and aarch64 does not (mkdir, uretprobe).
    #[cfg(target_arch = "x86_64")]
    #[test]
    fn runc_answers_enosys_above_the_highest_named_call_crun_the_default() {
        let p = r#"{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [
            {"names": ["read", "clone3"], "action": "SCMP_ACT_ALLOW"}]}"#;
        let process = proc_with(&[], (6, 1));
        let runc = filter(p, &process, RUNC);
        let crun = filter(p, &process, CRUN);
        // Below the highest named call, both give the default.
        assert_eq!(verdict(&runc, "mkdir", &Z), EPERM);
        assert_eq!(verdict(&crun, "mkdir", &Z), EPERM);
        // Above it (clone3 is 435), runc's stub answers ENOSYS.
        assert_eq!(verdict(&runc, "futex_waitv", &Z), ENOSYS);
        assert_eq!(verdict(&crun, "futex_waitv", &Z), EPERM);
        // No stub when the default already is ENOSYS or allows.
        let allow = r#"{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [
            {"names": ["mkdir"], "action": "SCMP_ACT_ERRNO"}]}"#;
        let f = filter(allow, &process, RUNC);
        assert_eq!(verdict(&f, "futex_waitv", &Z), ALLOWED);
        assert_eq!(verdict(&f, "mkdir", &Z), EPERM);
    }

    // Names calls x86_64 has and aarch64 does not (mkdir, uretprobe).
    #[cfg(target_arch = "x86_64")]
    #[test]
    fn old_libseccomp_drops_names_it_does_not_know() {
        let p = r#"{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [
            {"names": ["read", "futex_requeue", "mseal", "listmount"], "action": "SCMP_ACT_ALLOW"}]}"#;
        let process = proc_with(&[], (6, 12));
        let old = Model {
            runtime: Runtime::Runc,
            libseccomp: Libseccomp::V2_5_4,
        };
        let f = filter(p, &process, old);
        assert_eq!(f.0.dropped(Libseccomp::V2_5_4), ["mseal", "listmount"]);
        assert_eq!(verdict(&f, "futex_requeue", &Z), ALLOWED);
        // Dropped, and above the highest known named call (456): ENOSYS.
        assert_eq!(verdict(&f, "mseal", &Z), ENOSYS);
        let f = filter(p, &process, RUNC);
        assert!(f.0.dropped(Libseccomp::Current).is_empty());
        assert_eq!(verdict(&f, "mseal", &Z), ALLOWED);
        assert!(libseccomp_knows(Libseccomp::V2_5_4, "clone3"));
        assert!(!libseccomp_knows(Libseccomp::V2_5_4, "uretprobe"));
    }

    // Names calls x86_64 has and aarch64 does not (mkdir, uretprobe).
    #[cfg(target_arch = "x86_64")]
    #[test]
    fn argument_rules_every_operator() {
        let p = r#"{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [
            {"names": ["read"], "action": "SCMP_ACT_ALLOW"},
            {"names": ["socket"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 0, "value": 38, "op": "SCMP_CMP_LT"}]},
            {"names": ["socket"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 0, "value": 40, "op": "SCMP_CMP_GT"}]},
            {"names": ["clone"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 0, "value": 2114060288, "valueTwo": 0, "op": "SCMP_CMP_MASKED_EQ"}]},
            {"names": ["personality"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 0, "value": 4294967295, "op": "SCMP_CMP_EQ"}]},
            {"names": ["kill"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 1, "value": 9, "op": "SCMP_CMP_NE"}]},
            {"names": ["tkill"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 1, "value": 9, "op": "SCMP_CMP_LE"}, {"index": 0, "value": 5, "op": "SCMP_CMP_GE"}]},
            {"names": ["mkdir"], "action": "SCMP_ACT_ERRNO", "errnoRet": 13, "args": [{"index": 1, "value": 511, "op": "SCMP_CMP_EQ"}]}
        ]}"#;
        let f = filter(p, &proc_with(&[], (6, 1)), RUNC);
        let a = |x0: u64, x1: u64| [x0, x1, 0, 0, 0, 0];
        assert_eq!(verdict(&f, "socket", &a(2, 0)), ALLOWED);
        assert_eq!(verdict(&f, "socket", &a(38, 0)), EPERM);
        assert_eq!(verdict(&f, "socket", &a(39, 0)), EPERM);
        assert_eq!(verdict(&f, "socket", &a(u64::MAX, 0)), ALLOWED);
        assert_eq!(verdict(&f, "clone", &a(17, 0)), ALLOWED);
        assert_eq!(verdict(&f, "clone", &a(0x1000_0011, 0)), EPERM);
        // 64-bit comparison: all ones is not 0xffffffff on x86_64.
        assert_eq!(verdict(&f, "personality", &a(0xFFFF_FFFF, 0)), ALLOWED);
        assert_eq!(verdict(&f, "personality", &a(u64::MAX, 0)), EPERM);
        assert_eq!(verdict(&f, "kill", &a(1, 9)), EPERM);
        assert_eq!(verdict(&f, "kill", &a(1, 15)), ALLOWED);
        assert_eq!(verdict(&f, "tkill", &a(5, 9)), ALLOWED);
        assert_eq!(verdict(&f, "tkill", &a(4, 9)), EPERM);
        assert_eq!(verdict(&f, "tkill", &a(5, 10)), EPERM);
        assert_eq!(verdict(&f, "mkdir", &a(0, 511)), (Verdict::Errno, Some(13)));
        assert_eq!(verdict(&f, "mkdir", &a(0, 0)), EPERM);
    }

    // Names calls x86_64 has and aarch64 does not (mkdir, uretprobe).
    #[cfg(target_arch = "x86_64")]
    #[test]
    fn overlapping_rules_follow_libseccomp() {
        // Measured with libseccomp 2.5.4: an unconditional rule beats
        // conditional ones in either order; of two unconditional ones the
        // first stays.
        let p = r#"{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [
            {"names": ["mkdir"], "action": "SCMP_ACT_ERRNO", "errnoRet": 5, "args": [{"index": 0, "value": 7, "op": "SCMP_CMP_EQ"}]},
            {"names": ["mkdir", "rmdir"], "action": "SCMP_ACT_ALLOW"},
            {"names": ["rmdir"], "action": "SCMP_ACT_ERRNO", "errnoRet": 5},
            {"names": ["chdir"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 0, "value": 10, "op": "SCMP_CMP_LT"}]},
            {"names": ["chdir"], "action": "SCMP_ACT_TRAP", "args": [{"index": 0, "value": 5, "op": "SCMP_CMP_GT"}]}
        ]}"#;
        let f = filter(p, &proc_with(&[], (6, 1)), RUNC);
        assert_eq!(verdict(&f, "mkdir", &[7, 0, 0, 0, 0, 0]), ALLOWED);
        assert_eq!(verdict(&f, "rmdir", &Z), ALLOWED);
        let e = f.expect(abi::native(), nr("chdir"), &[7, 0, 0, 0, 0, 0]);
        assert!(!e.certain);
        let e = f.expect(abi::native(), nr("chdir"), &[2, 0, 0, 0, 0, 0]);
        assert!(e.certain);
        assert_eq!(e.outcome.verdict, Verdict::Allowed);
        let e = f.expect(abi::native(), nr("chdir"), &[20, 0, 0, 0, 0, 0]);
        assert_eq!(
            (e.outcome.verdict, e.outcome.trap_data),
            (Verdict::Trap, Some(0))
        );
    }

    // Names calls x86_64 has and aarch64 does not (mkdir, uretprobe).
    #[cfg(target_arch = "x86_64")]
    #[test]
    fn rules_repeating_the_default_are_skipped() {
        // An ERRNO(EPERM) rule under an EPERM default never reaches
        // libseccomp, so it cannot hide a later ALLOW.
        let p = r#"{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [
            {"names": ["mkdir"], "action": "SCMP_ACT_ERRNO"},
            {"names": ["mkdir"], "action": "SCMP_ACT_ALLOW"}]}"#;
        let f = filter(p, &proc_with(&[], (6, 1)), RUNC);
        assert_eq!(verdict(&f, "mkdir", &Z), ALLOWED);
    }

    #[cfg(target_arch = "x86_64")]
    #[test]
    fn i386_compares_32_bits() {
        let p = r#"{"defaultAction": "SCMP_ACT_ERRNO", "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86"],
            "syscalls": [{"names": ["personality"], "action": "SCMP_ACT_ALLOW",
            "args": [{"index": 0, "value": 4294967295, "op": "SCMP_CMP_EQ"}]}]}"#;
        let f = filter(p, &proc_with(&[], (6, 1)), RUNC);
        let i386 = abi::abis()[2];
        let e = f.expect(i386, 136, &[u64::MAX, 0, 0, 0, 0, 0]);
        assert_eq!(e.outcome.verdict, Verdict::Allowed);
        let e = f.expect(abi::native(), 135, &[u64::MAX, 0, 0, 0, 0, 0]);
        assert_eq!(e.outcome.verdict, Verdict::Errno);
    }
}
