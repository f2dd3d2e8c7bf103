#!/usr/bin/env python3
"""Checks what `whatami why` said about real failures in real runtimes (scripts/e2e/why.sh).

Each case failed for a reason the case knows: the expectations below say which call must be
shown, which cause must come first (and how sure), what else must be named, and what the fix
must say. Where a case runs under exactly the policy of its base configuration, the policy's
verdict that whatami reports for each failing call is also compared with what the filters
attached to that configuration's twin (target/e2e/<config>/facts.json) return for the same
call with the same arguments (seccomp_truth.py): the probe's answer must be the kernel's.

  why_check.py OUTDIR       check OUTDIR/why/<case>/ (check.py calls check() itself)
"""
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.dont_write_bytecode = True
import seccomp_truth  # noqa: E402


def case(config, rc, failure=None, first=None, also=(), capability=None, in_bounding=None, fix=None,
         call=None, mount_point=None, evidence=None, how="errno", truth=False, traced=True, named=None,
         profile=None):
    """named: the id seccomp.profile.match must have. profile: what failures[].profile must hold
    (a dict of its fields), or False when it must be absent (the policy is custom there, or not
    the named profile at that call)."""
    return dict(config=config, rc=rc, failure=failure, first=first, also=also, capability=capability,
                in_bounding=in_bounding, fix=fix, call=call, mount_point=mount_point, evidence=evidence,
                how=how, truth=truth, traced=traced, named=named, profile=profile)


DATE_CALL = "clock_settime(CLOCK_REALTIME, {tv_sec=1650392349, tv_nsec=0})"
PING_CALL = "socket(AF_INET, SOCK_RAW, IPPROTO_ICMP)"
DOCKER = "docker-20.10"
PODMAN = "containers-common-0.50.1"
DOCKER_NOUN = "Docker's default profile (20.10)"
PODMAN_NOUN = "podman's default profile (containers-common 0.50.1, also CRI-O's)"
DOCKER_TIME = dict(id=DOCKER, condition="capability", capabilities=["CAP_SYS_TIME"], listed=True)
CASES = {
    # Docker's profile refuses clock_settime without CAP_SYS_TIME, which Docker does not give:
    # whatami names the profile and its condition.
    "date-docker": case("dockerd", 0, "clock_settime", ("seccomp", "exact"), ("capability",), "CAP_SYS_TIME",
                        False, DOCKER_NOUN + " allows clock_settime only with CAP_SYS_TIME: run with --cap-add SYS_TIME",
                        DATE_CALL, truth=True, named=DOCKER, profile=DOCKER_TIME),
    "date-runc": case("runc-docker", 0, "clock_settime", ("seccomp", "exact"), ("capability",), "CAP_SYS_TIME",
                      False, DOCKER_NOUN + " allows clock_settime only with CAP_SYS_TIME: run with --cap-add SYS_TIME",
                      DATE_CALL, truth=True, named=DOCKER, profile=DOCKER_TIME),
    # podman's profile does the same, with its own default capabilities.
    "date-podman": case("podman-default", 0, "clock_settime", ("seccomp", "exact"), ("capability",),
                        "CAP_SYS_TIME", False,
                        PODMAN_NOUN + " allows clock_settime only with CAP_SYS_TIME: run with --cap-add SYS_TIME",
                        DATE_CALL, truth=True, named=PODMAN,
                        profile=dict(id=PODMAN, condition="capability", capabilities=["CAP_SYS_TIME"])),
    # containerd's RuntimeDefault too; the fix speaks of where containerd's users set it.
    "date-containerd": case("containerd", 0, "clock_settime", ("seccomp", "exact"), ("capability",),
                            "CAP_SYS_TIME", False,
                            "containerd's RuntimeDefault profile (1.6.20) allows clock_settime only with "
                            "CAP_SYS_TIME: add SYS_TIME to the container's capabilities (Kubernetes: "
                            "securityContext.capabilities.add", DATE_CALL, truth=True, named="containerd-1.6.20",
                            profile=dict(id="containerd-1.6.20", condition="capability",
                                         capabilities=["CAP_SYS_TIME"])),
    # LXC's profile lets clock_settime through; LXC drops CAP_SYS_TIME, and the fix says
    # how LXC gives it back.
    "date-lxc": case("lxc", 0, "clock_settime", ("capability", "likely"), capability="CAP_SYS_TIME",
                     in_bounding=False, fix="take sys_time out of lxc.cap.drop", call=DATE_CALL, truth=True),
    # swapon: podman's profile refuses it to every container; Docker's does not list it.
    "swapon-podman": case("podman-default", 1, "swapon", ("seccomp", "exact"),
                          fix=PODMAN_NOUN + " refuses swapon to every container: use a custom profile "
                          "(--security-opt seccomp=FILE)", truth=True, named=PODMAN,
                          profile=dict(id=PODMAN, condition="never", capabilities=[], listed=True)),
    "swapon-docker": case("dockerd", 1, "swapon", ("seccomp", "exact"),
                          fix=DOCKER_NOUN + " refuses swapon to every container (it does not list it): use a "
                          "custom profile (--security-opt seccomp=FILE)", truth=True, named=DOCKER,
                          profile=dict(id=DOCKER, condition="never", capabilities=[], listed=False)),
    # With CAP_SYS_TIME, podman's profile lets it through; the kernel wants it in the host's
    # user namespace, and --uidmap gives the container a private one.
    "date-userns": case("podman-uidmap", 0, "clock_settime", ("user_namespace", "exact"), call=DATE_CALL),
    # A default profile with mkdir blocked is named, but its rules allow mkdir: they say nothing
    # about this refusal, and the fix is the generic one.
    "mkdir-podman": case("podman-block-mkdir", 1, "mkdir", ("seccomp", "exact"), fix="allow mkdir", truth=True,
                         named=PODMAN, profile=False),
    "mkdir-docker": case("dockerd-block-mkdir", 1, "mkdir", ("seccomp", "exact"), fix="allow mkdir", truth=True,
                         named=DOCKER, profile=False),
    "mkdir-runc": case("runc-block-mkdir", 1, "mkdir", ("seccomp", "exact"), fix="allow mkdir", truth=True,
                       named=DOCKER, profile=False),
    # podman's default set has no CAP_NET_RAW; --cap-drop ALL none at all.
    "ping-podman": case("podman-default", 1, "socket", ("capability", "likely"), capability="CAP_NET_RAW",
                        in_bounding=False, fix="--cap-add NET_RAW", call=PING_CALL, truth=True),
    "ping-cap-drop-all": case("podman-cap-drop-all", 1, "socket", ("capability", "likely"),
                              capability="CAP_NET_RAW", in_bounding=False, fix="--cap-add NET_RAW",
                              call=PING_CALL, truth=True),
    # podman's profile allows mount; Docker's refuses it without CAP_SYS_ADMIN.
    "mount-podman": case("podman-default", 1, "mount", ("capability", "likely"), capability="CAP_SYS_ADMIN",
                         in_bounding=False, fix="--cap-add SYS_ADMIN", truth=True),
    "mount-docker": case("dockerd", 1, "mount", ("seccomp", "exact"), ("capability",), "CAP_SYS_ADMIN",
                         False, DOCKER_NOUN + " allows mount only with CAP_SYS_ADMIN: run with --cap-add SYS_ADMIN",
                         truth=True, named=DOCKER,
                         profile=dict(id=DOCKER, condition="capability", capabilities=["CAP_SYS_ADMIN"])),
    "rofs-podman": case("podman-default", 1, "openat", ("read_only_mount", "exact"), mount_point="/data",
                        truth=True),
    "unshare-docker": case("dockerd", 1, "unshare", ("seccomp", "exact"), call="unshare(CLONE_NEWUSER)",
                           fix=DOCKER_NOUN + " allows unshare only with CAP_SYS_ADMIN: run with --cap-add SYS_ADMIN",
                           truth=True, named=DOCKER,
                           profile=dict(id=DOCKER, condition="capability", capabilities=["CAP_SYS_ADMIN"])),
    # A file-capability ping as uid 65534: no_new_privs ignores its capability...
    "nnp-docker": case("dockerd", 1, "socket", ("no_new_privs", "exact"), ("capability",), "CAP_NET_RAW",
                       call=PING_CALL),
    # ... and so does the kernel when a tracer without CAP_SYS_PTRACE traces it: whatami says
    # the failure is its own doing.
    "traced-docker": case("dockerd", 1, "socket", ("tracing", "likely"), ("capability",), "CAP_NET_RAW",
                          call=PING_CALL),
    # Without CAP_NET_RAW in the bounding set, its effective bit makes execve refuse it.
    "bounding-docker": case("dockerd", 126, "execve", ("exec_capabilities", "exact"), capability="CAP_NET_RAW",
                            in_bounding=False, fix="--cap-add NET_RAW"),
    "eacces-docker": case("dockerd", 1, "openat", ("file_permissions", "likely"),
                          call='openat(AT_FDCWD, "/root/secret", O_RDONLY)', evidence="mode 0600"),
    # A profile that refuses ptrace: nothing is traced, the command does not run, whatami says
    # why and exits 125; one that kills on ptrace kills only the rehearsal child.
    # podman's profile with ptrace blocked: named as podman's, whose rules allow ptrace.
    "noptrace-podman": case("podman-default", 125, first=("seccomp", "exact"), traced=False, named=PODMAN,
                            profile=False),
    "noptrace-kill-podman": case("podman-default", 125, first=("seccomp", "exact"), how="killed", traced=False,
                                 named=PODMAN, profile=False),
}


class Rows:
    def __init__(self):
        self.rows = []

    def check(self, name, ok, detail="", info=None):
        self.rows.append(("PASS", name, info or "") if ok else ("FAIL", name, detail))
        return ok


def cause_kinds(f):
    return [(c.get("kind"), c.get("certainty")) for c in f.get("causes") or []]


def load(outdir, name):
    d = os.path.join(outdir, "why", name)
    try:
        with open(os.path.join(d, "out.txt")) as fh:
            text = fh.read()
    except OSError:
        return None, None, "no output"
    first, _, rest = text.partition("\n")
    if not first.startswith("==why rc "):
        return None, None, "no status line: %r" % text[:300]
    rc = int(first.split()[-1])
    try:
        return rc, json.loads(rest), None
    except ValueError as e:
        return rc, None, "the explanation is not JSON (%s): %r" % (e, rest[:300])


def twin_filters(outdir, config):
    try:
        with open(os.path.join(outdir, config, "facts.json")) as fh:
            return json.load(fh)["filters"]
    except (OSError, ValueError, KeyError):
        return None


def check_case(res, outdir, name, exp):
    p = "why %s: " % name
    rc, j, err = load(outdir, name)
    if not res.check(p + "ran and printed its explanation", j is not None, err):
        return
    res.check(p + "exit status %s" % exp["rc"], rc == exp["rc"], "got %s" % rc)
    res.check(p + "traced: %s" % exp["traced"], j.get("traced") == exp["traced"], "got %s" % j.get("traced"))
    if not exp["traced"]:
        why = (j.get("tracing") or {}).get("unavailable") or ""
        res.check(p + "says ptrace is not available", "ptrace is not available" in why, why)
        f = (j.get("tracing") or {}).get("refused")
        res.check(p + "the refused call is explained", isinstance(f, dict), json.dumps(j.get("tracing"))[:300])
        res.check(p + "the static report's likely failures are said", bool(j.get("likely")), "none")
        if not isinstance(f, dict):
            return
    else:
        fs = [f for f in j.get("failures") or [] if f.get("syscall") == exp["failure"]]
        if not res.check(p + "a %s failure is shown" % exp["failure"], bool(fs),
                         "failures: %s" % [x.get("call") for x in j.get("failures") or []]):
            return
        f = fs[0]
    res.check(p + "failed as %s" % exp["how"], f.get("how") == exp["how"], "got %s" % f.get("how"))
    kinds = cause_kinds(f)
    res.check(p + "first cause %s/%s" % exp["first"], bool(kinds) and kinds[0] == exp["first"],
              "causes: %s" % kinds, info=f["causes"][0].get("summary") if kinds else None)
    for k in exp["also"]:
        res.check(p + "also names %s" % k, any(x[0] == k for x in kinds), "causes: %s" % kinds)
    if exp["capability"]:
        caps = [c for c in f.get("causes") or [] if c.get("capability") == exp["capability"]]
        res.check(p + "names %s" % exp["capability"], bool(caps), json.dumps(f.get("causes"))[:400])
        if exp["in_bounding"] is not None and caps:
            res.check(p + "%s in the bounding set: %s" % (exp["capability"], exp["in_bounding"]),
                      caps[0].get("in_bounding_set") == exp["in_bounding"], json.dumps(caps[0]))
    if exp["fix"]:
        res.check(p + "the fix says %r" % exp["fix"], exp["fix"] in (f.get("fix") or ""), f.get("fix") or "no fix")
    if exp["call"]:
        res.check(p + "shows %s" % exp["call"], f.get("call") == exp["call"], "got %s" % f.get("call"))
    if exp["named"]:
        sp = (j.get("seccomp") or {}).get("profile") or {}
        res.check(p + "the policy is named %s" % exp["named"], sp.get("match") == exp["named"],
                  json.dumps(sp)[:300], info=sp.get("summary"))
    if exp["profile"] is False:
        res.check(p + "no profile rule for the call", f.get("profile") is None, json.dumps(f.get("profile")))
    elif exp["profile"]:
        got = f.get("profile") or {}
        bad = {k: got.get(k) for k, v in exp["profile"].items() if got.get(k) != v}
        res.check(p + "the profile rule %s" % json.dumps(exp["profile"], sort_keys=True), not bad,
                  "got %s" % json.dumps(got))
    if exp["mount_point"]:
        res.check(p + "names the mount %s" % exp["mount_point"],
                  f["causes"][0].get("mount_point") == exp["mount_point"], json.dumps(f["causes"][0]))
    if exp["evidence"]:
        ev = " ".join(e for c in f.get("causes") or [] for e in c.get("evidence") or [])
        res.check(p + "evidence has %r" % exp["evidence"], exp["evidence"] in ev, ev[:300])
    if exp["truth"]:
        filters = twin_filters(outdir, exp["config"])
        if filters is None:
            res.check(p + "policy verdicts vs the attached filter", False,
                      "no facts for %s (run its configuration too)" % exp["config"])
            return
        bad = []
        for x in j.get("failures") or []:
            want = seccomp_truth.truth(filters, x["abi"], x["nr"], x["args"])
            got = x.get("seccomp_verdict")
            got = {k: got.get(k) for k in ("verdict", "errno", "trap_data")} if got else None
            if got != want:
                bad.append("%s: whatami %s, filter %s" % (x.get("call"), got, want))
        res.check(p + "policy verdicts of %d failing calls match the attached filter" % len(j.get("failures") or []),
                  not bad, "; ".join(bad[:5]))


def check(outdir, selected=None):
    """A Rows of every case that ran (None when none did)."""
    if not os.path.isdir(os.path.join(outdir, "why")):
        return None
    res = Rows()
    for name, exp in sorted(CASES.items()):
        if selected and exp["config"] not in selected:
            continue
        check_case(res, outdir, name, exp)
    return res


def main(argv):
    return cli(argv, check, "why", __doc__)


def cli(argv, check_fn, label, doc):
    """`CHECKER OUTDIR`: runs check_fn(OUTDIR) and prints its rows; the exit status."""
    if len(argv) != 2:
        print(doc, file=sys.stderr)
        return 2
    res = check_fn(argv[1])
    if res is None:
        print("no %s results in %s" % (label, argv[1]), file=sys.stderr)
        return 2
    return print_rows(res, label)


def print_rows(res, label):
    """Prints the failed rows (all with WHATAMI_E2E_VERBOSE=1) and the counts; 1 if any failed."""
    for status, name, detail in res.rows:
        if status != "PASS" or os.environ.get("WHATAMI_E2E_VERBOSE") == "1":
            print("  %s %s%s" % (status, name, (": " + detail) if detail else ""))
    failed = sum(1 for r in res.rows if r[0] == "FAIL")
    print("%s: %d passed, %d failed" % (label, len(res.rows) - failed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
