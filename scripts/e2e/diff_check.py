#!/usr/bin/env python3
"""Checks `whatami diff` and `whatami fleet` on the configurations' reports
(scripts/e2e/diff.sh wrote OUTDIR/diff/).

  diff_check.py OUTDIR [CONFIG...]    (check.py calls check() itself)

- a configuration's report against its second run: exit 0, "same";
- every pair: exit 4 with differences (0 only when nothing differs), valid JSON, no panic,
  and the two orders of a pair list the same differences with A and B swapped;
- the known differences of the configurations, each named where both ran: the blocked
  mkdir, the added and dropped capabilities, no_new_privs, host and private namespaces,
  the read-only root, the socket, seccomp turned off;
- fleet: every report a row, in every format; the configurations with one policy grouped
  (podman's default, read-only and socket runs; the unfiltered ones), the others apart;
- inputs that are no report: exit 2, a message naming the problem, never a panic.
"""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from why_check import Rows  # noqa: E402


def load(path):
    try:
        with open(path) as f:
            return f.read()
    except OSError:
        return None


def rc_of(d, name):
    t = load(os.path.join(d, name + ".rc"))
    return int(t) if t and t.strip().lstrip("-").isdigit() else None


def diff_of(d, a, b):
    t = load(os.path.join(d, "%s--%s.json" % (a, b)))
    try:
        return json.loads(t) if t else None
    except ValueError:
        return None


def find(j, what, pred=lambda c: True):
    return [c for c in (j or {}).get("differences", []) if c.get("what") == what and pred(c)]


def named(j, what, side, prefix):
    """A list change `what` whose items on `side` (only_a / only_b) include one starting
    with `prefix`."""
    return any(any(i.startswith(prefix) for i in c.get(side, [])) for c in find(j, what))


def value(j, what, a, b):
    return any(c.get("a") == a and c.get("b") == b for c in find(j, what))


# (A, B, what is checked, the check): the differences the configurations are known to have.
KNOWN = [
    ("podman-default", "podman-block-mkdir", "mkdir and mkdirat blocked in B only",
     lambda j: named(j, "x86_64 blocked", "only_b", "mkdir (EPERM)")
     and named(j, "x86_64 blocked", "only_b", "mkdirat (EPERM)")),
    ("dockerd", "dockerd-block-mkdir", "mkdir blocked in B only",
     lambda j: named(j, "x86_64 blocked", "only_b", "mkdir (EPERM)")),
    ("runc-docker", "runc-block-mkdir", "mkdir blocked in B only",
     lambda j: named(j, "x86_64 blocked", "only_b", "mkdir (EPERM)")),
    ("podman-default", "podman-privileged", "CAP_SYS_ADMIN added to the effective set",
     lambda j: named(j, "effective", "only_b", "CAP_SYS_ADMIN")),
    ("podman-default", "podman-privileged", "seccomp turned off",
     lambda j: value(j, "mode", "filter", "disabled")),
    ("podman-default", "podman-privileged", "/proc/sys writable",
     lambda j: value(j, "writable /proc/sys", "no", "yes")),
    ("podman-default", "podman-cap-drop-all", "every capability dropped, none added",
     lambda j: named(j, "effective", "only_a", "CAP_CHOWN") and not find(j, "effective", lambda c: c.get("only_b"))),
    ("podman-default", "podman-hardened", "no_new_privs set",
     lambda j: value(j, "no_new_privs", "no", "yes")),
    ("podman-default", "podman-hardened", "uid 0 to 1000",
     lambda j: value(j, "uid", "0", "1000")),
    ("podman-default", "podman-read-only", "the root read-only",
     lambda j: value(j, "root", "writable", "read-only")),
    ("podman-default", "podman-socket", "podman's socket mounted in B",
     lambda j: any(c.get("what", "").startswith("socket ") and c.get("a") == "absent"
                   and c.get("b") == "podman" for c in j.get("differences", []))),
    ("host", "podman-default", "pid and net namespaces host to private",
     lambda j: value(j, "pid", "host", "private") and value(j, "net", "host", "private")),
    ("podman-default", "podman-uidmap", "a private user namespace",
     lambda j: value(j, "user", "host", "private")),
    ("host", "podman-default", "a seccomp filter in B",
     lambda j: value(j, "mode", "disabled", "filter")),
]

# Configurations whose reports have one seccomp policy, and pairs whose policies differ.
SAME_POLICY = [("podman-default", "podman-read-only", "podman-socket"),
               ("host", "podman-privileged", "podman-unconfined", "runc-unconfined")]
OTHER_POLICY = [("podman-default", "podman-block-mkdir"), ("dockerd", "dockerd-block-mkdir"),
                ("podman-default", "podman-privileged")]

BAD = {"truncated": "not JSON", "nested": "recursion limit", "huge": "larger than",
       "schema99": "schema version 99", "other": "not a whatami report",
       "binary": "not JSON"}


def swapped(x, y):
    """Whether diff B A lists what diff A B does, A and B swapped."""
    def key(c, flip):
        a, b = (c.get("b"), c.get("a")) if flip else (c.get("a"), c.get("b"))
        oa, ob = (c.get("only_b"), c.get("only_a")) if flip else (c.get("only_a"), c.get("only_b"))
        return json.dumps([c.get("group"), c.get("what"), a, b, oa, ob], sort_keys=True)
    return (sorted(key(c, False) for c in x["differences"])
            == sorted(key(c, True) for c in y["differences"]))


def check(outdir, configs):
    d = os.path.join(outdir, "diff")
    res = Rows()
    if not os.path.isdir(d):
        return res
    have = sorted(f[:-5] for f in os.listdir(os.path.join(d, "reports")) if f.endswith(".json"))
    have = [c for c in have if not configs or c in configs]
    for c in have:
        rc = rc_of(d, c + "--again")
        if rc is None:
            continue
        j = diff_of(d, c, "again")
        res.check("diff %s with its second run: exit 0, the same" % c,
                  rc == 0 and j is not None and j.get("same") is True,
                  "exit %s, differences %s" % (rc, j and [x.get("what") for x in j.get("differences", [])][:8]))
    pairs = bad_pairs = 0
    for a in have:
        for b in have:
            if a >= b:
                continue
            pairs += 1
            x, y = diff_of(d, a, b), diff_of(d, b, a)
            ra, rb = rc_of(d, "%s--%s" % (a, b)), rc_of(d, "%s--%s" % (b, a))
            err = (load(os.path.join(d, "%s--%s.err" % (a, b))) or "") + (load(os.path.join(d, "%s--%s.err" % (b, a))) or "")
            ok = (x is not None and y is not None and "panicked" not in err
                  and ra == (0 if x.get("same") else 4) and rb == ra
                  and x.get("same") == (not x.get("differences")) and swapped(x, y))
            if not ok:
                bad_pairs += 1
                res.check("diff %s %s: exit 0 or 4 as it says, both orders alike" % (a, b), False,
                          "exit %s/%s, %s" % (ra, rb, err.strip()[:300]))
    res.check("every pair of %d reports diffed both ways, consistently (%d pairs)" % (len(have), pairs),
              bad_pairs == 0, "%d pairs failed (above)" % bad_pairs)
    for a, b, what, test in KNOWN:
        if a in have and b in have:
            j = diff_of(d, a, b)
            res.check("diff %s %s names it: %s" % (a, b, what), j is not None and bool(test(j)),
                      "differences: %s" % (j and [(c.get("what"), c.get("a"), c.get("b")) for c in j["differences"]][:12]))
    # fleet
    fleet = load(os.path.join(d, "fleet.json"))
    try:
        f = json.loads(fleet) if fleet else None
    except ValueError:
        f = None
    res.check("fleet --json: one row per report", f is not None and len(f.get("reports", [])) == len(have),
              "rows %s of %d" % (f and len(f.get("reports", [])), len(have)))
    for fmt in ("table", "csv", "markdown"):
        out = load(os.path.join(d, "fleet." + fmt)) or ""
        rows = [c for c in have if c + ".json" in out]
        res.check("fleet --format %s: exit 0, every report listed" % fmt,
                  rc_of(d, "fleet." + fmt) == 0 and len(rows) == len(have),
                  "exit %s, %d of %d listed" % (rc_of(d, "fleet." + fmt), len(rows), len(have)))
    if f:
        policy = {os.path.basename(r["file"])[:-5]: r.get("policy") for r in f["reports"]}
        for group in SAME_POLICY:
            present = [c for c in group if c in policy]
            if len(present) >= 2:
                ps = {policy[c] for c in present}
                res.check("fleet groups %s as one policy" % ", ".join(present), len(ps) == 1 and None not in ps,
                          "policies %s" % {c: policy[c] for c in present})
        for a, b in OTHER_POLICY:
            if a in policy and b in policy:
                res.check("fleet tells %s and %s apart" % (a, b), policy[a] != policy[b] and None not in (policy[a], policy[b]),
                          "policies %s %s" % (policy[a], policy[b]))
        risk = {os.path.basename(r["file"])[:-5]: r.get("worst_risk") for r in f["reports"]}
        for c, want in (("podman-socket", "critical runtime_socket"), ("podman-privileged", "critical ")):
            if c in risk:
                res.check("fleet: the worst risk of %s is %r" % (c, want), (risk[c] or "").startswith(want),
                          "worst risk %r" % risk[c])
        n = len(f.get("policies", []))
        res.check("fleet: %d distinct policies across %d reports, each report in its policy" % (n, len(have)),
                  sum(len(p["reports"]) for p in f["policies"]) == sum(1 for p in policy.values() if p),
                  "policies %s" % f.get("policies"))
    for name, want in BAD.items():
        rc = rc_of(d, "bad-" + name)
        if rc is None:
            continue
        err = load(os.path.join(d, "bad-%s.err" % name)) or ""
        res.check("diff on %s input: exit 2, %r" % (name, want),
                  rc == 2 and want in err and "panicked" not in err, "exit %s: %s" % (rc, err.strip()[:300]))
    return res


def main(argv):
    if len(argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    res = check(argv[1], argv[2:])
    fails = [r for r in res.rows if r[0] == "FAIL"]
    for status, name, detail in res.rows:
        print("  %s %s%s" % (status, name, (": " + detail) if status == "FAIL" and detail else ""))
    print("== whatami diff: %d passed, %d failed" % (len(res.rows) - len(fails), len(fails)))
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
