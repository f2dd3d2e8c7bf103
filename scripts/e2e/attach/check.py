#!/usr/bin/env python3
"""Checks what scripts/e2e/attach/run kept: for each engine, whatami attached to the
running service by PID from inside its container and from a container sharing its pid
namespace explained each of its three failures for the reason the service knows, was let
go after its duration, was refused (and said why) without capabilities, and the service ran
on unharmed and answered SIGUSR1.

    scripts/e2e/attach/check.py OUTDIR
"""
import json
import os
import sys


class Checks:
    def __init__(self):
        self.passed = 0
        self.failed = []

    def that(self, ok, what):
        if ok:
            self.passed += 1
        else:
            self.failed.append(what)
        return ok


def load(d, name):
    try:
        rc = int(open(os.path.join(d, name + ".rc")).read())
    except (OSError, ValueError):
        return None, None
    try:
        return rc, json.load(open(os.path.join(d, name + ".json")))
    except (OSError, ValueError):
        return rc, None


def first_cause(v, syscall, needle=None):
    for f in v.get("failures", []):
        if f["syscall"] == syscall and (needle is None or needle in f["call"]):
            return f, (f["causes"][0] if f["causes"] else {})
    return None, {}


def traced_run(c, engine, name, v, rc, same_policy):
    where = f"{engine} {name}"
    if not c.that(rc == 0 and v is not None, f"{where}: exit 0 with JSON (got {rc})"):
        return
    a = v.get("attached") or {}
    c.that(v.get("traced") is True and v.get("pid") == 1, f"{where}: traced pid 1")
    c.that(a.get("ended_by") == "duration" and a.get("detached") is True,
           f"{where}: let go at the end of --for ({a})")
    c.that(1900 <= a.get("traced_ms", 0) <= 10000, f"{where}: traced about 2 s ({a.get('traced_ms')})")
    f, cause = first_cause(v, "clock_settime")
    c.that(f is not None and cause.get("kind") == "seccomp",
           f"{where}: clock_settime refused by the policy ({cause})")
    # 2 s of 20 ms ticks: about 100 failures of each; at least a fifth of them seen.
    c.that(f is not None and f["count"] >= 20, f"{where}: clock_settime counted ({f and f['count']})")
    want = "exact" if same_policy else "likely"
    c.that(cause.get("certainty") == want, f"{where}: the policy's verdict is {want} ({cause.get('certainty')})")
    c.that(bool(a.get("policy_may_differ")) != same_policy,
           f"{where}: policy_may_differ {'empty' if same_policy else 'given'} ({a.get('policy_may_differ')})")
    f, cause = first_cause(v, "setpriority")
    c.that(f is not None and cause.get("kind") == "capability"
           and cause.get("capability") == "CAP_SYS_NICE",
           f"{where}: setpriority for want of CAP_SYS_NICE ({cause})")
    f, cause = first_cause(v, "openat", "/state")
    c.that(f is not None and f["errno_name"] == "EROFS" and cause.get("kind") == "read_only_mount",
           f"{where}: /state on a read-only root ({cause})")


def engine(c, d, engine):
    rc, v = load(d, "exec")
    traced_run(c, engine, "exec", v, rc, same_policy=True)
    rc, v = load(d, "sidecar")
    traced_run(c, engine, "sidecar", v, rc, same_policy=False)
    rc, v = load(d, "refused")
    where = f"{engine} refused"
    if c.that(rc == 125 and v is not None, f"{where}: exit 125 with JSON (got {rc})"):
        r = (v.get("tracing") or {}).get("refused") or {}
        cause = (r.get("causes") or [{}])[0]
        c.that(r.get("syscall") == "ptrace" and r.get("errno_name") == "EPERM",
               f"{where}: the refused call is ptrace = EPERM ({r.get('call')})")
        c.that(cause.get("capability") == "CAP_SYS_PTRACE"
               and "capabilities whatami lacks" in cause.get("summary", ""),
               f"{where}: the cause is the capabilities it lacks ({cause})")
        c.that("SYS_PTRACE" in (r.get("fix") or ""), f"{where}: the fix adds SYS_PTRACE")
    rc, v = load(d, "record")
    where = f"{engine} record"
    if c.that(rc == 0 and v is not None, f"{where}: exit 0 with JSON (got {rc})"):
        calls = {x["syscall"] for x in v.get("calls", [])}
        c.that({"clock_settime", "setpriority", "openat"} <= calls, f"{where}: the service's calls ({sorted(calls)})")
    log = open(os.path.join(d, "service.log")).read().splitlines()
    harm = [l for l in log if "harm:" in l]
    c.that(not harm, f"{engine} service: unharmed ({harm[:3]})")
    start = int(open(os.path.join(d, "start.ms")).read())
    end = int(open(os.path.join(d, "end.ms")).read())
    after = [l for l in log if "tick=" in l and int(l.split()[0][2:]) > end]
    c.that(len(after) >= 2, f"{engine} service: ticks on after the runs ({len(after)})")
    during = [l for l in log if "tick=" in l and start <= int(l.split()[0][2:]) <= end]
    c.that(len(during) >= 4, f"{engine} service: ticked while traced ({len(during)})")
    c.that(any("usr1=1" in l for l in log), f"{engine} service: answered SIGUSR1")


def main():
    out = os.path.join(sys.argv[1], "attach")
    c = Checks()
    engines = [e for e in ("podman", "docker") if os.path.isdir(os.path.join(out, e))]
    for e in engines:
        engine(c, os.path.join(out, e), e)
    for f in c.failed:
        print(f"e2e attach: FAIL {f}")
    print(f"e2e attach: {c.passed} checks passed, {len(c.failed)} failed ({', '.join(engines) or 'no engine'})")
    sys.exit(1 if c.failed else 0)


if __name__ == "__main__":
    main()
