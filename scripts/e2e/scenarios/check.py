#!/usr/bin/env python3
"""Checks the `whatami why` scenarios (run.py's records) against the truth each scenario
establishes (scenarios.py), in two separate groups:

  lab      the scenario is what it claims: the command fails as described (or, for a
           harmless fallback or a failure whatami's tracing causes, succeeds untraced), each
           control ends as expected, the fix, applied, works; and the engines take the
           capability names and set the sysctls the scenarios assume
  whatami  what `whatami why --json` said: ran (it traced the command and passed on its
           status), shown (the failing call), decoded (its arguments, as the cause depends
           on them), first (the cause), certainty, also (each secondary cause the kernel
           checks for this call), only (no other secondary cause), fix (what it must say),
           never (what it must not), fix-works (the flags of its fix, applied, make the
           command succeed), harmless (a fallback is marked harmless, failures[].harmless,
           and has no fix)

Checks on whatami that fail today are listed in known_failures.py: they count as known
failures, never as passes, and one that passes is reported so that the list is emptied as
whatami is fixed. Exit status 1 on a lab failure, an unexpected whatami failure or a known
failure that now passes.

  check.py OUTDIR        check OUTDIR/scenarios/; write OUTDIR/scenarios/table.md and add
                         a line to OUTDIR/summary.txt
  check.py selftest      the checks pass a right explanation and fail wrong ones
"""
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.dont_write_bytecode = True
from scenarios import SCENARIOS, CAP_NAMES, ENGINE_SYSCTLS  # noqa: E402
from known_failures import KNOWN_FAILURES  # noqa: E402


def has(text, item):
    """item: a string, or a tuple of alternatives."""
    alts = item if isinstance(item, tuple) else (item,)
    return any(a in (text or "") for a in alts)


def show(item):
    return " or ".join(repr(a) for a in item) if isinstance(item, tuple) else repr(item)


def cause_matches(c, spec):
    if c.get("kind") != spec["kind"]:
        return False
    if spec["cap"] and c.get("capability") not in spec["cap"]:
        return False
    if spec["sysctl"] and c.get("sysctl") != spec["sysctl"]:
        return False
    if spec["mount"] and c.get("mount_point") != spec["mount"]:
        return False
    return True


def spec_text(spec):
    extra = "/".join(spec["cap"]) if spec["cap"] else spec["sysctl"] or spec["mount"] or ""
    return spec["kind"] + (" " + extra if extra else "")


def cause_text(c):
    extra = c.get("capability") or c.get("sysctl") or c.get("mount_point") or ""
    return "%s%s (%s)" % (c.get("kind"), " " + extra if extra else "", c.get("certainty"))


def ran_ok(r):
    return r is not None and r.get("rc") is not None


# ------------------------------------------------------------------ lab checks

def lab_checks(s, r):
    rows = []
    bare = r["bare"]
    text = bare["out"] + bare["err"]
    if s["kind"] == "failure":
        ok = ran_ok(bare) and bare["rc"] != 0 and s["fails"] in text
        rows.append(("fails as described", ok, "exit %s, output %r" % (bare["rc"], text.strip()[-200:])))
    else:
        rows.append(("succeeds untraced", bare["rc"] == 0, "exit %s: %r" % (bare["rc"], text.strip()[-200:])))
    for i, (c, o) in enumerate(zip(s["controls"], r["controls"])):
        ok = ran_ok(o) and (o["rc"] == 0) == c["ok"]
        rows.append(("control %d (%s) %s" % (i + 1, " ".join(o["opts"]) or " ".join(c["cmd"] or []),
                                             "succeeds" if c["ok"] else "still fails"),
                     ok, "exit %s: %r" % (o["rc"], (o["out"] + o["err"]).strip()[-200:])))
    if s["fix"]:
        o = r.get("fix")
        fx = s["fix"]
        ok = ran_ok(o) and o["rc"] == 0 and (fx["expect"] is None or o["out"].strip() == fx["expect"])
        rows.append(("fix applied works", ok, "exit %s: %r" % (o and o["rc"], o and (o["out"] + o["err"]).strip()[-200:])))
    return rows


def fact_checks(facts):
    rows = []
    for engine, f in sorted(facts.get("engines", {}).items()):
        for cap, want in CAP_NAMES.get(engine, {}).items():
            got = f["cap_names"].get(cap)
            if got is None:
                continue
            ok = (got["rc"] == 0) == want and (want or "unknown capability" in got["err"])
            rows.append(("%s %s --cap-add %s" % (engine, "takes" if want else "rejects", cap), ok,
                         "exit %s: %s" % (got["rc"], got["err"][-200:])))
        for name, want in ENGINE_SYSCTLS.get(engine, {}).items():
            got = f["sysctls"].get(name)
            rows.append(("%s sets %s = %r" % (engine, name, want), got == want, "got %r" % got))
    return rows


# ------------------------------------------------------------------ whatami checks

def failures_of(s, j):
    want = s["call"]["syscalls"]
    return [f for f in (j or {}).get("failures") or [] if f.get("syscall") in want]


def whatami_checks(s, r):
    """[(key, ok, detail)] in a fixed order; when nothing to check on was shown, the checks
    that depend on it fail with that reason."""
    rows = []
    w = r["why"]
    j = w.get("json")
    ok = j is not None and j.get("traced") is True
    rows.append(("ran", ok and (s["kind"] == "observer" or w["rc"] == r["bare"]["rc"]),
                 w.get("error") or "traced %s, exit %s (untraced %s)" % ((j or {}).get("traced"), w["rc"], r["bare"]["rc"])))
    fs = failures_of(s, j)
    others = [x.get("call") for x in (j or {}).get("failures") or []]
    rows.append(("shown", bool(fs), "failures: %s" % (others or "none (nothing explained)")))
    keys = ["decoded", "first"] + (["certainty"] if s["first"]["certainty"] else []) + \
        (["also"] if s["also"] else []) + ["only"]
    if s["kind"] == "failure":
        keys += (["fix"] if s["says"] else []) + (["never"] if s["never"] else []) + ["fix-works"]
    elif s["kind"] == "harmless":
        keys += ["harmless"]
    else:
        keys += ["never"] if s["never"] else []
    if not fs:
        return rows + [(k, False, "no %s failure shown" % "/".join(s["call"]["syscalls"])) for k in keys]
    f = fs[0]
    causes = f.get("causes") or []
    said = " ".join([f.get("fix") or ""] + [c.get("summary") or "" for c in causes])
    for k in keys:
        if k == "decoded":
            text = " ".join([f.get("call") or ""] + [p.get("absolute") or "" for p in f.get("paths") or []])
            miss = [show(d) for d in s["call"]["decoded"] if not has(text, d)]
            rows.append((k, not miss, "%s lacks %s" % (f.get("call"), ", ".join(miss))))
        elif k == "first":
            ok = bool(causes) and cause_matches(causes[0], s["first"])
            rows.append((k, ok, "want %s, got %s" % (spec_text(s["first"]), [cause_text(c) for c in causes])))
        elif k == "certainty":
            got = causes[0].get("certainty") if causes else None
            rows.append((k, got == s["first"]["certainty"], "want %s, got %s" % (s["first"]["certainty"], got)))
        elif k == "also":
            miss = [spec_text(a) for a in s["also"] if not any(cause_matches(c, a) for c in causes[1:])]
            rows.append((k, not miss, "missing %s; got %s" % (", ".join(miss), [cause_text(c) for c in causes])))
        elif k == "only":
            allowed = s["also"] + s["may"]
            extra = [cause_text(c) for c in causes[1:] if not any(cause_matches(c, a) for a in allowed)]
            rows.append((k, not extra, "causes the kernel does not check for this call: %s" % ", ".join(extra)))
        elif k == "fix":
            miss = [show(x) for x in s["says"] if not has(f.get("fix"), x)]
            rows.append((k, not miss, "lacks %s: %r" % (", ".join(miss), f.get("fix"))))
        elif k == "never":
            bad = [x for x in s["never"] if x in said]
            rows.append((k, not bad, "says %s: %r" % (", ".join(repr(b) for b in bad), f.get("fix"))))
        elif k == "fix-works":
            rows.append((k,) + fix_works(s, r, f))
        elif k == "harmless":
            bad = ["%s (harmless %s, fix %r)" % (x.get("call"), x.get("harmless"), x.get("fix"))
                   for x in fs if x.get("harmless") is not True or x.get("fix")]
            shown = {x.get("syscall") for x in fs}
            miss = [c for c in s["call"]["syscalls"] if c not in shown]
            rows.append((k, not bad and not miss, "not marked harmless, or with a fix: %s%s" % (
                "; ".join(bad), "; not shown: %s" % ", ".join(miss) if miss else "")))
    return rows


def fix_works(s, r, f):
    wf = r.get("wfix") or {}
    fx = s["fix"] or {}
    if wf.get("flags"):
        o = wf
        ok = o.get("rc") == 0 and (fx.get("expect") is None or (o.get("out") or "").strip() == fx["expect"])
        return ok, "with %s: exit %s: %r" % (" ".join(wf["flags"]), o.get("rc"),
                                            ((o.get("out") or "") + (o.get("err") or "")).strip()[-200:])
    if not f.get("fix"):
        return False, "no fix"
    # No flag to apply: the fix is right when it says what the verified fix does.
    ok = bool(s["says"]) and all(has(f["fix"], x) for x in s["says"])
    return ok, "names no flag that could be applied, nor the verified fix: %r" % f["fix"]


# ------------------------------------------------------------------ the table

def says_today(r):
    j = r["why"].get("json") or {}
    fs = j.get("failures") or []
    if not fs:
        return "nothing explained"
    parts = []
    for f in fs[:2]:
        cs = f.get("causes") or []
        head = "`%s`: %s" % (f.get("syscall"), cause_text(cs[0]) if cs else "no cause")
        if len(cs) > 1:
            head += "; also " + ", ".join(cause_text(c) for c in cs[1:])
        fix = (f.get("fix") or "no fix").replace("|", "/")
        head += "; fix: " + (fix if len(fix) <= 150 else fix[:147] + "...")
        parts.append(head)
    if len(fs) > 2:
        parts.append("(+%d more)" % (len(fs) - 2))
    return "<br>".join(parts)


def truth(s):
    t = spec_text(s["first"])
    if s["also"]:
        t += " + " + ", ".join(spec_text(a) for a in s["also"])
    if s["kind"] != "failure":
        t = "%s: %s" % (s["kind"], t)
    proofs = ["%s %s" % (" ".join(c["add"] or c["cmd"] or c["opts"] or ["-" + " -".join(c["remove"])]),
                         "ok" if c["ok"] else "still fails") for c in s["controls"]]
    return t + (" (" + "; ".join(proofs) + ")" if proofs else " (succeeds untraced)")


def fix_cell(s, lab):
    fx = s["fix"]
    if not fx:
        return "none needed" if s["kind"] != "failure" else "-"
    what = " ".join(fx["add"]) or (("drop " + " ".join(fx["remove"])) if fx["remove"] else "") or \
        " ".join(fx["opts"] or []) or " ".join(fx["cmd"] or [])
    if fx["verify"]:
        what += " (then `%s` = %s)" % (" ".join(fx["verify"]), fx["expect"])
    ok = all(ok for name, ok, _ in lab if name == "fix applied works")
    return "`%s` %s" % (what, "verified" if ok else "FAILED")


# ------------------------------------------------------------------ selftest

def selftest():
    """The checks must pass an explanation that is right and fail each kind of wrong one;
    whatami's fix must turn into the flags a user would apply."""
    import run  # noqa: E402 (the lab's paths matter only to running containers)
    from scenarios import sc, cause, ctl, fix, call, SECCOMP, DOCKER
    s = sc("t", DOCKER, "t", ["calls", "bpf-map"], fails="x", controls=[ctl(["--cap-add", "SYS_ADMIN"])],
           fix=fix(["--cap-add", "SYS_ADMIN"]), call=call("bpf", "BPF_MAP_CREATE"), first=SECCOMP,
           also=[cause("capability", ("CAP_BPF", "CAP_SYS_ADMIN"))], says=["--cap-add SYS_ADMIN"],
           never=["--cap-add BPF"])
    good_fix = "the profile allows bpf only with CAP_SYS_ADMIN: run with --cap-add SYS_ADMIN"

    def result(**change):
        f = dict(syscall="bpf", call="bpf(BPF_MAP_CREATE, {map_type=BPF_MAP_TYPE_ARRAY}, 144)", fix=good_fix,
                 causes=[dict(kind="seccomp", certainty="exact", summary="refused"),
                         dict(kind="capability", certainty="likely", capability="CAP_BPF", summary="needs")])
        f.update(change)
        return dict(bare=dict(rc=1), why=dict(rc=1, json=dict(traced=True, failures=[f])),
                    wfix=dict(flags=["--cap-add", "SYS_ADMIN"], rc=0, out="", err=""))

    def failing(r):
        return [k for k, ok, _ in whatami_checks(s, r) if not ok]

    problems = []
    if failing(result()):
        problems.append("a right explanation failed %s" % failing(result()))
    wrong = {
        "first": dict(causes=[dict(kind="capability", certainty="likely", capability="CAP_BPF")]),
        "only": dict(causes=result()["why"]["json"]["failures"][0]["causes"] +
                     [dict(kind="sysctl", certainty="likely", sysctl="kernel.perf_event_paranoid")]),
        "also": dict(causes=result()["why"]["json"]["failures"][0]["causes"][:1]),
        "decoded": dict(call="bpf(0, 0x7ffc, 144)"),
        "never": dict(fix=good_fix + "; bpf also needs CAP_BPF: run with --cap-add BPF"),
        "shown": dict(syscall="mount"),
    }
    for key, change in wrong.items():
        if key not in failing(result(**change)):
            problems.append("an explanation with a wrong %s passed" % key)
    r = result()
    r["wfix"]["rc"] = 125
    if "fix-works" not in failing(r):
        problems.append("a fix that fails when applied passed")
    flags = {
        "run with --cap-add SYS_ADMIN; bpf also needs CAP_BPF: run with --cap-add BPF.":
            ["--cap-add", "SYS_ADMIN", "--cap-add", "BPF"],
        "use a custom profile (--security-opt seccomp=PROFILE.json)": ["--security-opt", "seccomp=unconfined"],
        "write to a tmpfs (--tmpfs /path), or drop the option": [],
        "run with --sysctl net.ipv4.ip_unprivileged_port_start=80": ["--sysctl", "net.ipv4.ip_unprivileged_port_start=80"],
    }
    for text, want in flags.items():
        got = run.whatami_flags(DOCKER, text)
        if got != want:
            problems.append("flags of %r: %s, not %s" % (text, got, want))
    got = run.whatami_flags("containerd", 'Kubernetes: securityContext.capabilities.add: ["NET_ADMIN"]')
    if got != ["--cap-add", "CAP_NET_ADMIN"]:
        problems.append("containerd flags: %s" % got)
    applied = {
        (("--cap-drop", "CHOWN"), ("--cap-add", "CHOWN")): ["--cap-add", "CHOWN"],
        (("--user", "1000", "--security-opt", "no-new-privileges"), ("--security-opt", "no-new-privileges")):
            ["--user", "1000"],
        (("--tmpfs", "/scratch"), ("--tmpfs", "/scratch:exec")): ["--tmpfs", "/scratch:exec"],
    }
    for (opts, fl), want in applied.items():
        got = run.with_flags(list(opts), list(fl))
        if got != want:
            problems.append("%s with %s: %s, not %s" % (opts, fl, got, want))
    if problems:
        print("scenarios check.py selftest FAILED:\n  " + "\n  ".join(problems), file=sys.stderr)
        return 1
    print("scenarios check.py selftest: right explanations pass, %d kinds of wrong ones fail, %d fixes read as flags"
          % (len(wrong) + 1, len(flags) + 1 + len(applied)), file=sys.stderr)
    return 0


# ------------------------------------------------------------------ main

def main(argv):
    if argv[1:] == ["selftest"]:
        return selftest()
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    outdir = argv[1]
    d = os.path.join(outdir, "scenarios")
    try:
        with open(os.path.join(d, "facts.json")) as fh:
            facts = json.load(fh)
    except (OSError, ValueError) as e:
        print("scenarios: no results in %s (%s)" % (d, e), file=sys.stderr)
        return 2
    ran = set(facts["scenarios"])
    unknown = sorted(set(KNOWN_FAILURES) - {s["name"] for s in SCENARIOS})
    lab_fail = whatami_fail = xpass = 0
    counts = dict(lab_pass=0, w_pass=0, w_known=0)
    per_area = {}
    table = ["| scenario | true cause (proved by) | what whatami says today | right? | the fix that works (verified) |",
             "|---|---|---|---|---|"]
    print("== whatami why scenarios (scripts/e2e/scenarios): %d run" % len(ran))
    for name, ok, detail in fact_checks(facts):
        counts["lab_pass"] += ok
        lab_fail += not ok
        if not ok or os.environ.get("WHATAMI_E2E_VERBOSE") == "1":
            print("  %s lab: %s%s" % ("PASS" if ok else "FAIL", name, "" if ok else ": " + detail))
    for s in SCENARIOS:
        if s["name"] not in ran:
            continue
        try:
            with open(os.path.join(d, s["name"] + ".json")) as fh:
                r = json.load(fh)
        except (OSError, ValueError) as e:
            lab_fail += 1
            print("  FAIL  %-34s %-10s no record of its runs (%s)" % (s["name"], s["engine"], e))
            continue
        lab = lab_checks(s, r)
        wh = whatami_checks(s, r)
        known = KNOWN_FAILURES.get(s["name"], ())
        lines, wrong = [], []
        for name, ok, detail in lab:
            counts["lab_pass"] += ok
            if not ok:
                lab_fail += 1
                lines.append("    FAIL lab: %s: %s" % (name, detail))
        for key, ok, detail in wh:
            if ok and key in known:
                xpass += 1
                lines.append("    FAIL %s passes now: take it out of known_failures.py" % key)
            elif ok:
                counts["w_pass"] += 1
            elif key in known:
                counts["w_known"] += 1
                wrong.append(key)
                lines.append("    known %s: %s" % (key, detail))
            else:
                whatami_fail += 1
                wrong.append(key)
                lines.append("    FAIL %s: %s" % (key, detail))
        bad = [x for x in known if x not in {k for k, _, _ in wh}]
        for key in bad:
            xpass += 1
            lines.append("    FAIL known_failures.py names %s, a check this scenario does not have" % key)
        status = "FAIL" if any(x.lstrip().startswith("FAIL") for x in lines) else ("known" if wrong else "ok")
        print("  %-5s %-34s %-10s lab %d/%d, whatami %d/%d" % (
            status, s["name"], s["engine"], sum(ok for _, ok, _ in lab), len(lab),
            sum(ok for _, ok, _ in wh), len(wh)))
        if status != "ok" or os.environ.get("WHATAMI_E2E_VERBOSE") == "1":
            for x in lines:
                print(x)
        a = per_area.setdefault(s["area"], [0, 0])
        a[0 if not wrong else 1] += 1
        table.append("| %s (%s) | %s | %s | %s | %s |" % (
            s["name"], s["engine"], truth(s), says_today(r), "yes" if not wrong else "no: " + ", ".join(wrong),
            fix_cell(s, lab)))
    for name in unknown:
        xpass += 1
        print("  FAIL known_failures.py names %s, which is no scenario" % name)
    with open(os.path.join(d, "table.md"), "w") as fh:
        fh.write("\n".join(table) + "\n")
    print("  whatami right, by area (scenarios whose every check passes, of those run): " + ", ".join(
        "%s %d/%d" % (a, v[0], v[0] + v[1]) for a, v in sorted(per_area.items())))
    listed = sum(len(v) for k, v in KNOWN_FAILURES.items() if k in ran)
    print("  expected to fail until fixed (known_failures.py): %d checks in %d scenarios" % (
        listed, sum(1 for k in KNOWN_FAILURES if k in ran)))
    print("scenarios: lab %d passed, %d failed; whatami %d passed, %d known failures, %d failed, "
          "%d known failures that pass now" % (counts["lab_pass"], lab_fail, counts["w_pass"], counts["w_known"],
                                              whatami_fail, xpass))
    try:
        with open(os.path.join(outdir, "summary.txt"), "a") as fh:
            fh.write("%-22s %3d passed %3d failed %3d known\n" % (
                "(why scenarios)", counts["lab_pass"] + counts["w_pass"], lab_fail + whatami_fail + xpass,
                counts["w_known"]))
    except OSError:
        pass
    return 1 if lab_fail or whatami_fail or xpass else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
