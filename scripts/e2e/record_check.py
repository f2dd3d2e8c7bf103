#!/usr/bin/env python3
"""Checks `whatami record` end to end (scripts/e2e/record.sh).

The profiles recorded inside podman-default must hold the calls seen with their counts; the
same commands must succeed under them in podman (crun and runc) and in runc and crun
directly; the script with one more call (mkdir) must fail there on that call with EPERM;
`--against docker` must name unshare(CLONE_NEWUSER); the Kubernetes object must be read by
whatami's reader and merged with its counts added.

  record_check.py OUTDIR       check OUTDIR/record/ (check.py calls check() itself)
"""
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.dont_write_bytecode = True
from why_check import Rows, cli  # noqa: E402

RUNTIMES = ("crun", "runc")


def read(d, name):
    try:
        with open(os.path.join(d, name)) as fh:
            return fh.read()
    except OSError:
        return None


def rc(d, step):
    t = read(d, step + ".rc")
    return int(t) if t is not None and t.strip().lstrip("-").isdigit() else None


def report(d, step):
    """The JSON report at the end of a step's stderr."""
    err = read(d, step + ".err") or ""
    at = err.find("{\n")
    if at < 0:
        return None
    try:
        return json.loads(err[at:])
    except ValueError:
        return None


def counts(profile):
    """name -> count, from the rules' comments (or a SeccompProfile's annotation)."""
    if profile.get("kind") == "SeccompProfile":
        comments = json.loads(profile["metadata"]["annotations"]["whatami/comments"])
        rules = profile["spec"]["syscalls"]
    else:
        body = profile.get("linux", {}).get("seccomp", profile)
        rules = body["syscalls"]
        comments = [r.get("comment", "") for r in rules]
    out = {}
    for r, c in zip(rules, comments):
        if r.get("action") != "SCMP_ACT_ALLOW":
            continue
        n = 0
        if c.startswith("seen "):
            for w in c[5:].split(";")[0].split():
                n += int(w.split("=")[1])
        for name in r["names"]:
            out[name] = out.get(name, 0) + n
    return out


def tail(d, step):
    return ((read(d, step + ".err") or "")[-300:]).replace("\n", " | ")


def check(outdir, selected=None):
    """A Rows of the record checks (None when record.sh did not run)."""
    d = os.path.join(outdir, "record")
    if not os.path.isdir(d):
        return None
    res = Rows()
    p = "record: "
    # The recordings.
    for step, fmt in (("rec-tar", "docker"), ("rec-tar-oci", "oci"), ("rec-tar-k8s", "k8s"),
                      ("rec-sh", "docker"), ("rec-sh-oci", "oci")):
        res.check(p + "%s exits 0" % step, rc(d, step) == 0, "rc %s: %s" % (rc(d, step), tail(d, step)))
        j = report(d, step)
        if not res.check(p + "%s printed its JSON report" % step, j is not None, tail(d, step)):
            continue
        res.check(p + "%s wrote a %s profile" % (step, fmt),
                  (j.get("profile") or {}).get("format") == fmt, json.dumps(j.get("profile")))
        seen = {c["syscall"]: c["count"] for c in j.get("calls") or []}
        res.check(p + "%s saw execve and exit_group" % step,
                  seen.get("execve", 0) >= 1 and seen.get("exit_group", 0) >= 1, json.dumps(seen)[:300])
    for name in ("tar.json", "tar.oci.json", "tar.k8s.json", "sh.json"):
        text = read(os.path.join(d, "rec"), name)
        try:
            prof = json.loads(text) if text else None
        except ValueError:
            prof = None
        if not res.check(p + "rec/%s is JSON" % name, prof is not None, (text or "missing")[:200]):
            continue
        c = counts(prof)
        res.check(p + "rec/%s counts execve and exit_group" % name,
                  c.get("execve", 0) >= 1 and c.get("exit_group", 0) >= 1, json.dumps(c)[:300])
        res.check(p + "rec/%s allows what runc and crun need (capset, pselect6)" % name,
                  "capset" in c and "pselect6" in c, json.dumps(sorted(c))[:300])
    # The i386 program: recorded on its own entry point, run under its profile by podman, runc,
    # crun (and dockerd, when selected).
    j = report(d, "rec-i386")
    res.check(p + "rec-i386 exits with the program's 7", rc(d, "rec-i386") == 7,
              "rc %s: %s" % (rc(d, "rec-i386"), tail(d, "rec-i386")))
    calls = {(c.get("abi"), c.get("syscall")) for c in (j or {}).get("calls") or []}
    res.check(p + "rec-i386 counts getpid and exit on i386", {("i386", "getpid"), ("i386", "exit")} <= calls,
              json.dumps(sorted(calls))[:300])
    try:
        arches = json.loads(read(os.path.join(d, "rec"), "i386.json") or "").get("architectures")
    except ValueError:
        arches = None
    res.check(p + "rec/i386.json lists SCMP_ARCH_X86", arches == ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86"], str(arches))
    vias = ["podman-%s" % rt for rt in RUNTIMES] + list(RUNTIMES)
    if rc(d, "docker-i386") is not None:
        vias.append("docker")
    for via in vias:
        step = "%s-i386" % via
        res.check(p + "%s: the i386 program runs under its profile (exit 7)" % step, rc(d, step) == 7,
                  "rc %s: %s" % (rc(d, step), tail(d, step)))
    for rt in RUNTIMES:
        step = "podman-%s-i386-64" % rt
        res.check(p + "%s: under a profile without i386 it does not" % step, rc(d, step) not in (None, 7),
                  "rc %s: %s" % (rc(d, step), tail(d, step)))
    # A file bind-mounted on its own is written in place.
    res.check(p + "rec-mounted (-o to a bind-mounted file) exits 0", rc(d, "rec-mounted") == 0,
              "rc %s: %s" % (rc(d, "rec-mounted"), tail(d, "rec-mounted")))
    try:
        c = counts(json.loads(read(d, "mounted.json") or ""))
        res.check(p + "the bind-mounted file holds the profile (exit_group counted)", c.get("exit_group", 0) >= 1,
                  json.dumps(c)[:300])
    except (ValueError, KeyError, TypeError) as e:
        res.check(p + "the bind-mounted file holds the profile", False, "%s: %s" % (e, read(d, "mounted.json")))
    # Under the recorded profiles.
    vias = [v for rt in RUNTIMES for v in ("podman-%s" % rt, rt)]
    if rc(d, "docker-tar") is not None:
        vias.append("docker")
    for via in vias:
        for what in ("tar", "sh"):
            step = "%s-%s" % (via, what)
            res.check(p + "%s succeeds under its recorded profile" % step, rc(d, step) == 0,
                      "rc %s: %s" % (rc(d, step), tail(d, step)))
        step = "%s-variant" % via
        err = read(d, step + ".err") or ""
        res.check(p + "%s (one more call: mkdir) fails" % step, rc(d, step) not in (None, 0),
                  "rc %s" % rc(d, step))
        res.check(p + "%s fails on mkdir with EPERM" % step,
                  "mkdir" in err and "Operation not permitted" in err, tail(d, step))
    # --against docker.
    step = "against-docker"
    j = report(d, step)
    res.check(p + "--against docker exits 4", rc(d, step) == 4, "rc %s: %s" % (rc(d, step), tail(d, step)))
    blocked = [b for a in (j or {}).get("against") or [] for b in a.get("blocked") or []]
    res.check(p + "--against docker names unshare(CLONE_NEWUSER) = EPERM",
              any(b.get("syscall") == "unshare" and "CLONE_NEWUSER" in (b.get("args") or "")
                  and b.get("errno_name") == "EPERM" for b in blocked), json.dumps(blocked)[:300])
    # The Kubernetes object, read back and merged.
    res.check(p + "whatami --profile reads the SeccompProfile object", rc(d, "read-k8s") in (0, 3, 4),
              "rc %s: %s" % (rc(d, "read-k8s"), tail(d, "read-k8s")))
    res.check(p + "record --merge of the SeccompProfile object exits 0", rc(d, "merge-k8s") == 0,
              "rc %s: %s" % (rc(d, "merge-k8s"), tail(d, "merge-k8s")))
    try:
        before = counts(json.loads(read(os.path.join(d, "rec"), "tar.k8s.json")))
        after = counts(json.loads(read(d, "merged.k8s.json")))
        ok = after.get("exit_group") == before.get("exit_group", 0) + 1
        res.check(p + "merging adds the counts (exit_group %s + 1)" % before.get("exit_group"), ok,
                  "after: %s" % after.get("exit_group"))
    except (TypeError, ValueError, KeyError) as e:
        res.check(p + "merging adds the counts", False, str(e))
    return res


def main(argv):
    return cli(argv, check, "record", __doc__)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
