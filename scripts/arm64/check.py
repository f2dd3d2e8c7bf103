#!/usr/bin/env python3
"""Reads what the arm64 VM printed on its console (scripts/arm64/init.sh: "@@arm64" marker
lines) and checks it: the test binaries' results, every verdict of each report against the
filter the VM attached (interpreted here with e2e/seccomp_truth.py's interpreter, on the same
BPF bytes), the profile each report names, `why` and `record` on aarch64, and the AArch32
entry point. Prints one line per check and a closing "arm64: N passed, N failed" line; exit
status 1 on any failure.

  check.py --console LOG --out DIR --filters DIR [--vm-seconds N] [--total-seconds N] [--cpu C]
"""
import argparse
import json
import os
import re
import struct
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "e2e"))
sys.dont_write_bytecode = True
import seccomp_truth as T  # noqa: E402

MARK = "@@arm64 "
# What each policy must be named (seccomp.profile.match) on aarch64.
EXPECTED_MATCH = {"docker": "docker-20.10", "docker-noarm": "docker-20.10",
                  "podman": "containers-common-0.50.1", "mixed": None}
# Every policy lists SCMP_ARCH_ARM but docker-noarm: the AArch32 entry point is probed under
# them, and under docker-noarm whatami's 32-bit program is killed at its first call.
ARM_UNPROBED = {"docker-noarm": "the policy killed it at one of its first calls"}


class Checks:
    def __init__(self):
        self.passed = self.failed = 0

    def check(self, name, ok, detail=""):
        if ok:
            self.passed += 1
            print("ok    %s" % name)
        else:
            self.failed += 1
            print("FAIL  %s%s" % (name, ("\n      " + str(detail).replace("\n", "\n      ")) if detail else ""))
        return ok


def parse_console(path):
    """(files {name: text}, rcs {name: int}, tests [(binary, mode, text, rc)], marks [str])."""
    files, rcs, tests, marks = {}, {}, [], []
    cur_file = None
    cur_test = None
    buf = []
    with open(path, errors="replace") as f:
        for line in f:
            line = line.rstrip("\n")
            if not line.startswith(MARK):
                if cur_file is not None or cur_test is not None:
                    buf.append(line)
                continue
            words = line[len(MARK):].split(" ")
            marks.append(line[len(MARK):])
            kind = words[0]
            if kind == "file":
                cur_file, buf = words[1], []
            elif kind == "endfile" and cur_file is not None:
                files[cur_file] = "\n".join(buf) + ("\n" if buf else "")
                cur_file, buf = None, []
            elif kind == "rc":
                rcs[words[1]] = int(words[2])
            elif kind in ("test", "ignored") and len(words) == 3 and words[2] == "begin":
                cur_test, buf = (kind, words[1]), []
            elif kind in ("test", "ignored") and len(words) == 3 and words[2].startswith("rc="):
                if cur_test == (kind, words[1]):
                    tests.append((words[1], kind, "\n".join(buf), int(words[2][3:])))
                cur_test, buf = None, []
    return files, rcs, tests, marks


RESULT = re.compile(r"^test result: (\w+)\. (\d+) passed; (\d+) failed; (\d+) ignored")


def check_tests(c, tests):
    totals = {"test": [0, 0, 0], "ignored": [0, 0, 0]}
    for binary, mode, text, rc in tests:
        m = None
        for line in text.splitlines():
            m = RESULT.match(line) or m
        if not m:
            c.check("tests %s (%s): a result line" % (binary, mode), False, text[-2000:])
            continue
        passed, failed, ignored = int(m.group(2)), int(m.group(3)), int(m.group(4))
        t = totals[mode]
        t[0] += passed
        t[1] += failed
        t[2] += ignored
        failing = re.findall(r"^    (\S+)$", text.split("\nfailures:\n")[-1], re.M) if failed else []
        c.check("tests %s (%s): %d passed, %d failed" % (binary, mode, passed, failed),
                rc == 0 and failed == 0, "failing: %s\n%s" % (failing, text[-6000:]))
    return totals


def load_bpf(path):
    b = open(path, "rb").read()
    return [list(struct.unpack_from("<HBBI", b, 8 * i)) for i in range(len(b) // 8)]


def verdict(v):
    return {k: (v or {}).get(k) for k in ("verdict", "errno", "trap_data")}


def check_report(c, name, report, filters):
    """Every verdict of the report against the filter stack; returns the number compared."""
    probe = (report.get("seccomp") or {}).get("probe") or {}
    if not c.check("%s: notification probe ran" % name, probe.get("method") == "notify",
                   "method %s, note %s" % (probe.get("method"), probe.get("note"))):
        return 0
    results = probe.get("results") or []
    arm64 = sorted(r["nr"] for r in results if r.get("abi") == "aarch64")
    c.check("%s: aarch64 swept 0..%d without gaps" % (name, arm64[-1] if arm64 else -1),
            bool(arm64) and arm64 == list(range(arm64[-1] + 1)) and arm64[-1] >= 450,
            "numbers %s" % arm64[:5])
    bad = []
    n = 0
    for r in results:
        abi, nr = r["abi"], r["nr"]
        if abi not in T.ABI_ARCH:
            bad.append("%s %d: unknown entry point" % (abi, nr))
            continue
        want = T.truth(filters, abi, nr)
        n += 1
        if verdict(r) != want:
            bad.append("%s %d %s: probe %s, filter %s" % (abi, nr, r.get("name"), verdict(r), want))
        want1 = T.truth(filters, abi, nr, [0xFFFFFFFFFFFFFFFF] * 6)
        swept = any(a.get("abi") == abi and a.get("all_ones_swept") for a in probe.get("abis") or [])
        if r.get("all_ones") is not None:
            n += 1
            if verdict(r["all_ones"]) != want1:
                bad.append("%s %d %s all-ones: probe %s, filter %s" % (abi, nr, r.get("name"), verdict(r["all_ones"]), want1))
        elif swept and r.get("name") and want1 != want:
            n += 1
            bad.append("%s %d %s all-ones: no argument dependence reported, filter %s" % (abi, nr, r.get("name"), want1))
        elif swept and r.get("name"):
            n += 1
    for a in probe.get("arg_probes") or []:
        n += 1
        want = T.truth(filters, a["abi"], a["nr"], a["args"])
        if verdict(a) != want:
            bad.append("arg probe %s: probe %s, filter %s" % (a["label"], verdict(a), want))
    c.check("%s: %d verdicts equal the filter's" % (name, n), not bad and n > 0, "\n".join(bad[:40]))
    return n


def load_json(c, files, name):
    """The JSON in a case's stdout, or (why and record: the command owns stdout) the JSON
    object that closes its stderr."""
    text = files.get(name) or ""
    try:
        return json.loads(text)
    except ValueError:
        pass
    err = files.get(name + ".stderr") or ""
    at = err.find("{\n")
    try:
        return json.loads(err[at:] if at >= 0 else "")
    except ValueError as e:
        c.check("%s: JSON" % name, False, "%s; stderr: %s" % (e, files.get(name + ".stderr")))
        return None


def check_why(c, files, rcs, filter_dir):
    """`why` under the mixed policy (mkdir(1) is mkdirat, refused with EPERM) and Docker's
    (unshare(CLONE_NEWUSER) refused without CAP_SYS_ADMIN): the call, its arguments read from
    the registers and decoded, the cause, and the policy's verdict equal to the filter's."""
    cases = [
        ("why-mkdir.json", "mixed", "mkdirat", 34, 'mkdirat(AT_FDCWD, "/tmp/why-dir", 0777)', None),
        ("why-unshare.json", "docker", "unshare", 97, "unshare(CLONE_NEWUSER)", "docker-20.10"),
    ]
    for name, pol, syscall, nr, call, profile in cases:
        w = load_json(c, files, name)
        if w is None:
            continue
        fails = w.get("failures") or []
        f = next((x for x in fails if x.get("syscall") == syscall), None)
        if not c.check("%s: the refused %s is shown" % (name, syscall), f is not None,
                       "failures: %s" % [x.get("call") for x in fails]):
            continue
        c.check("%s: aarch64 call %d with its arguments decoded: %s" % (name, nr, call),
                f.get("abi") == "aarch64" and f.get("nr") == nr and f.get("call") == call,
                "abi %s nr %s call %s args %s" % (f.get("abi"), f.get("nr"), f.get("call"), f.get("args")))
        cause = (f.get("causes") or [{}])[0]
        c.check("%s: the cause is the seccomp policy, exactly, with EPERM" % name,
                cause.get("kind") == "seccomp" and cause.get("certainty") == "exact"
                and f.get("errno_name") == "EPERM",
                "cause %s, errno %s" % (cause, f.get("errno_name")))
        filters = [load_bpf(os.path.join(filter_dir, pol + ".bpf"))]
        want = T.truth(filters, "aarch64", nr, f.get("args") or [])
        c.check("%s: the policy's verdict for the exact call is the filter's (%s)" % (name, want),
                verdict(f.get("seccomp_verdict")) == want, "got %s" % f.get("seccomp_verdict"))
        if profile:
            p = f.get("profile") or {}
            c.check("%s: named %s, which allows it with CAP_SYS_ADMIN" % (name, profile),
                    p.get("id") == profile and "CAP_SYS_ADMIN" in (p.get("capabilities") or []),
                    "profile %s; fix %s" % (p, f.get("fix")))
        c.check("%s: the command's own status (1) is kept" % name, rcs.get(name) == 1,
                "exit %s" % rcs.get(name))


def check_why_more(c, files, rcs, filter_dir):
    """`why` through the registers, and on a TRAP and a KILL_THREAD of the mixed policy."""
    filters = [load_bpf(os.path.join(filter_dir, "mixed.bpf"))]
    w = load_json(c, files, "why-regs.json")
    if w is not None:
        f = next((x for x in w.get("failures") or [] if x.get("syscall") == "mkdirat"), {})
        c.check("why-regs.json: read through the registers, the same call and cause, the "
                "script's status (3) kept",
                (w.get("tracing") or {}).get("method") == "registers"
                and f.get("call") == 'mkdirat(AT_FDCWD, "/tmp/why-regs", 0777)'
                and (f.get("causes") or [{}])[0].get("kind") == "seccomp"
                and rcs.get("why-regs.json") == 3,
                "method %s, call %s, exit %s" % ((w.get("tracing") or {}).get("method"),
                                                f.get("call"), rcs.get("why-regs.json")))
    for name, syscall, nr, how in (("why-trap.json", "swapon", 224, "trap"),
                                   ("why-kill.json", "swapoff", 225, "killed")):
        w = load_json(c, files, name)
        if w is None:
            continue
        f = next((x for x in w.get("failures") or [] if x.get("syscall") == syscall), {})
        want = T.truth(filters, "aarch64", nr, f.get("args") or [])
        c.check("%s: %s %s by the policy (%s), the cause exact, the command died of SIGSYS"
                % (name, syscall, how, want["verdict"]),
                f.get("how") == how and (f.get("causes") or [{}])[0].get("kind") == "seccomp"
                and verdict(f.get("seccomp_verdict")) == want and rcs.get(name) == 128 + 31,
                "how %s, verdict %s (filter %s), exit %s, failures %s" % (
                    f.get("how"), f.get("seccomp_verdict"), want, rcs.get(name),
                    [x.get("call") for x in w.get("failures") or []]))


def check_record(c, files, rcs):
    r = load_json(c, files, "record.json")
    prof = load_json(c, files, "record-profile.json")
    if r is None or prof is None:
        return
    c.check("record: tar ran and was traced (exit 0)", rcs.get("record.json") == 0 and r.get("traced") is True,
            "exit %s traced %s" % (rcs.get("record.json"), r.get("traced")))
    calls = r.get("calls") or []
    c.check("record: the calls were seen on the aarch64 entry point",
            calls and all(x.get("abi") == "aarch64" for x in calls)
            and any(x.get("syscall") == "openat" for x in calls), calls[:5])
    c.check("record: the profile lists SCMP_ARCH_AARCH64", prof.get("architectures") == ["SCMP_ARCH_AARCH64"],
            prof.get("architectures"))


def check_a32_traced(c, files, rcs):
    """record and why on a 32-bit ARM program: its AArch32 calls (write, getpid, exit) are not
    followed, and both say so rather than calling the result complete."""
    for name in ("record-a32.json", "why-a32.json"):
        w = load_json(c, files, name)
        if w is None:
            continue
        notes = " ".join(w.get("notes") or [])
        c.check("%s: says the 32-bit ARM calls were not followed (the program's status 42 kept)" % name,
                "AArch32" in notes and "calls through an entry point whatami does not follow" in notes
                and rcs.get(name) == 42, "notes %s, exit %s" % (w.get("notes"), rcs.get(name)))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--console", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--filters", required=True)
    ap.add_argument("--vm-seconds", type=int, default=0)
    ap.add_argument("--total-seconds", type=int, default=0)
    ap.add_argument("--cpu", default="?")
    a = ap.parse_args()
    c = Checks()
    files, rcs, tests, marks = parse_console(a.console)
    for name, text in files.items():
        with open(os.path.join(a.out, name), "w") as f:
            f.write(text)
    begin = next((m for m in marks if m.startswith("begin ")), None)
    c.check("the VM booted and ran /init (%s)" % (begin or "no begin line"), begin is not None)
    c.check("the VM finished every step", "done" in marks, "last markers: %s" % marks[-3:])

    totals = check_tests(c, tests)

    compared = {}
    for f in sorted(os.listdir(a.filters)):
        if not f.endswith(".bpf"):
            continue
        pol = f[:-4]
        text = files.get("report-%s.json" % pol)
        try:
            report = json.loads(text or "")
        except ValueError as e:
            c.check("report under %s: JSON" % pol, False, "%s; stderr: %s" % (e, files.get("report-%s.json.stderr" % pol)))
            continue
        filters = [load_bpf(os.path.join(a.filters, f))]
        compared[pol] = check_report(c, "report under %s" % pol, report, filters)
        arm = next((x for x in (report["seccomp"].get("probe") or {}).get("abis") or [] if x.get("abi") == "arm"), {})
        arm_results = [r for r in report["seccomp"]["probe"].get("results") or [] if r.get("abi") == "arm"]
        if pol in ARM_UNPROBED:
            c.check("report under %s: AArch32 served, not probed: %s" % (pol, ARM_UNPROBED[pol]),
                    arm.get("probed") is False and ARM_UNPROBED[pol] in (arm.get("note") or "")
                    and "served by this kernel" in (arm.get("note") or "") and not arm_results, arm)
        else:
            nrs = sorted(r["nr"] for r in arm_results)
            c.check("report under %s: AArch32 probed: 0..%d and ARM's private calls (%d verdicts, "
                    "compared above)" % (pol, nrs[-7] if len(nrs) > 7 else -1, len(nrs)),
                    arm.get("probed") is True and len(nrs) > 450 and nrs[:-6] == list(range(len(nrs) - 6))
                    and nrs[-6:] == list(range(0xF0001, 0xF0007)), "%s; %d results" % (arm, len(nrs)))
        prof = (report.get("seccomp") or {}).get("profile") or {}
        want = EXPECTED_MATCH.get(pol)
        c.check("report under %s: profile named %s" % (pol, want), prof.get("match") == want,
                "match %s, title %s, closest %s (%s)" % (prof.get("match"), prof.get("title"),
                                                         prof.get("closest"), prof.get("score")))
    try:
        none = json.loads(files.get("report-none.json") or "")
        c.check("report without a filter: mode disabled, no profile",
                (none.get("seccomp") or {}).get("mode") == "disabled", none.get("seccomp", {}).get("mode"))
    except ValueError as e:
        c.check("report without a filter: JSON", False, e)

    check_why(c, files, rcs, a.filters)
    check_why_more(c, files, rcs, a.filters)
    check_record(c, files, rcs)
    check_a32_traced(c, files, rcs)
    a32 = files.get("a32.txt", "")
    c.check("AArch32: a 32-bit ARM program runs (this CPU offers AArch32 at EL0, the kernel serves it)",
            "AArch32 runs" in a32 and rcs.get("a32.txt") == 42,
            "output %r, status %s, stderr %r" % (a32, rcs.get("a32.txt"), files.get("a32.txt.stderr")))

    print()
    print("arm64 VM (%s): tests %d passed, %d failed; ignored tests run as root: %d passed, %d failed"
          % (a.cpu, totals["test"][0], totals["test"][1], totals["ignored"][0], totals["ignored"][1]))
    print("verdicts compared: %s" % ", ".join("%s %d" % kv for kv in sorted(compared.items())))
    print("VM %ds, whole run %ds" % (a.vm_seconds, a.total_seconds))
    print("arm64: %d passed, %d failed" % (c.passed, c.failed))
    return 1 if c.failed else 0


if __name__ == "__main__":
    sys.exit(main())
