#!/usr/bin/env python3
"""The seccomp profile checks of the end-to-end run: the report names the profile each
configuration applies, and `--profile FILE` reports no difference with the profile applied and
the real differences with another one.

  profile_checks.py runs CONFIG      what run does for CONFIG: lines "NAME FILE" (FILE under
                                     $WHATAMI_LAB), each a `whatami --json --profile FILE` run
                                     saved as profile-NAME.json (its exit status in .rc)

check.py calls check(res, outdir, config) for every configuration.
"""
import json
import os
import sys

# The lab's default place, as scripts/lab/labdir.sh computes it.
_TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
LAB = os.environ.get("WHATAMI_LAB") or "/tmp/whatami-lab-" + os.path.basename(_TOP)

DOCKER = "docker-20.10"  # Debian's packaged profile is the one dockerd 20.10 compiles in
PODMAN = "containers-common-0.50.1"
NSPAWN = "systemd-nspawn-252"
CONTAINERD = "containerd-1.6.20"  # Debian 12's containerd, which docker.io runs
MKDIR = {"mkdir", "mkdirat"}
# configuration -> (the known profile it applies, or None for no filter; calls it blocks on top)
EXPECT = {
    "dockerd": (DOCKER, set()), "dockerd-block-mkdir": (DOCKER, MKDIR),
    "runc-docker": (DOCKER, set()), "crun-docker": (DOCKER, set()),
    "runc-block-mkdir": (DOCKER, MKDIR), "podman-docker-profile": (DOCKER, set()),
    "bwrap-seccomp": (DOCKER, set()), "containerd": (CONTAINERD, set()),
    # chmod gets SCMP_ACT_LOG, which runs the call: not a difference a probe can see.
    "runc-actions": (DOCKER, {"mkdir", "mkdirat", "rmdir", "link"}),
    "crun-actions": (DOCKER, {"mkdir", "mkdirat", "rmdir", "link"}),
    "podman-default": (PODMAN, set()), "podman-image": (PODMAN, set()), "podman-runc": (PODMAN, set()),
    "podman-uidmap": (PODMAN, set()), "podman-rootless": (PODMAN, set()),
    "podman-cap-drop-all": (PODMAN, set()), "podman-block-mkdir": (PODMAN, MKDIR),
    "nspawn": (NSPAWN, set()), "nspawn-userns": (NSPAWN, set()),
    # LXC's own short denylist: no known profile.
    "lxc": (None, set()),
    "host": (None, set()), "podman-privileged": (None, set()), "podman-unconfined": (None, set()),
    "runc-unconfined": (None, set()), "bwrap": (None, set()), "unshare-user": (None, set()),
    "unshare-all": (None, set()), "setpriv-nnp": (None, set()),
}

# --profile runs: configuration -> [(name, file, differs, calls the policy must block that
# the file allows (None: any))]. The files are the ones the lab applies (setup.sh), an OCI
# config.json, and a SeccompProfile written from Docker's resolved profile.
P = os.path.join(LAB, "profiles")
RUNS = {
    "runc-docker": [("same", os.path.join(P, "docker-default.json"), False, set()),
                    ("newcalls", os.path.join(P, "docker-new-calls.json"), False, set()),
                    ("spo", os.path.join(P, "docker-default.seccompprofile.yaml"), False, set()),
                    ("podman", os.path.join(P, "podman-default.json"), True, {"mount", "unshare", "setns"})],
    "crun-docker": [("oci", os.path.join(LAB, "bundles", "crun-docker", "config.json"), False, set()),
                    ("newcalls", os.path.join(P, "docker-new-calls.json"), False, set())],
    "runc-block-mkdir": [("docker", os.path.join(P, "docker-default.json"), True, MKDIR),
                         ("same", os.path.join(LAB, "bundles", "runc-block-mkdir", "config.json"), False, set())],
    "podman-default": [("same", os.path.join(P, "podman-default.json"), False, set()),
                       ("docker", os.path.join(P, "docker-default.json"), True, {"io_uring_setup", "vmsplice"})],
    "podman-block-mkdir": [("same", os.path.join(P, "podman-block-mkdir.json"), False, set()),
                           ("podman", os.path.join(P, "podman-default.json"), True, MKDIR)],
}


def spo_yaml(oci_path, out_path):
    """A SeccompProfile object (the Security Profiles Operator's CRD) holding an OCI profile,
    written the way kubectl prints YAML."""
    with open(oci_path) as f:
        oci = json.load(f)
    lines = ["apiVersion: security-profiles-operator.x-k8s.io/v1beta1", "kind: SeccompProfile",
             "metadata:", "  name: docker-default", "  namespace: default", "spec:",
             "  defaultAction: %s" % oci["defaultAction"]]
    if oci.get("defaultErrnoRet") is not None:
        lines.append("  defaultErrnoRet: %d" % oci["defaultErrnoRet"])
    lines.append("  architectures:")
    lines += ["  - %s" % a for a in oci.get("architectures") or []]
    lines.append("  syscalls:")
    for r in oci["syscalls"]:
        lines.append("  - action: %s" % r["action"])
        if r.get("errnoRet") is not None:
            lines.append("    errnoRet: %d" % r["errnoRet"])
        if r.get("args"):
            lines.append("    args:")
            for a in r["args"]:
                lines.append("    - index: %d" % a["index"])
                lines.append("      value: %d" % a["value"])
                if a.get("valueTwo"):
                    lines.append("      valueTwo: %d" % a["valueTwo"])
                lines.append("      op: %s" % a["op"])
        lines.append("    names:")
        lines += ["    - %s" % n for n in r["names"]]
    with open(out_path, "w") as f:
        f.write("\n".join(lines) + "\n")


# Calls newer than libseccomp 2.5.4 (Debian 12's, which runc and crun use here): a profile that
# allows them loses those rules, and --profile must say so rather than count differences.
NEW_CALLS = ["mseal", "listmount", "statmount"]


def new_calls(src, out_path):
    """Docker's profile with NEW_CALLS allowed."""
    with open(src) as f:
        profile = json.load(f)
    profile["syscalls"].append({"names": NEW_CALLS, "action": "SCMP_ACT_ALLOW"})
    with open(out_path, "w") as f:
        json.dump(profile, f, indent=1)


def runs(config):
    for name, path, _, _ in RUNS.get(config, []):
        if path.endswith(".seccompprofile.yaml"):
            spo_yaml(os.path.join(P, "docker-default.oci.json"), path)
        if path.endswith("docker-new-calls.json"):
            new_calls(os.path.join(P, "docker-default.json"), path)
        print(name, path)


def _load(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def _rc(path):
    try:
        with open(path) as f:
            return int(f.read().strip())
    except (OSError, ValueError):
        return None


def _blocked(diffs):
    return {d.get("syscall") for d in diffs or [] if d.get("change") == "blocked" and d.get("args") is None}


def check(res, outdir, config):
    want = EXPECT.get(config)
    if want is None:
        return
    report = _load(os.path.join(outdir, config, "whatami.json"))
    prof = ((report or {}).get("seccomp") or {}).get("profile")
    if not isinstance(prof, dict):
        res.check("seccomp.profile present", False, "no seccomp.profile in the report")
        return
    known, extra = want
    got = "%s (%s, score %s)" % (prof.get("match"), prof.get("title"), prof.get("score"))
    res.check("seccomp.profile.match is %s" % known, prof.get("match") == known, got)
    if known is not None:
        diffs = prof.get("differences") or []
        blocked = _blocked(diffs)
        others = [d for d in diffs if d.get("syscall") not in extra]
        res.check("seccomp.profile differences are exactly the blocked %s" % (sorted(extra) or "nothing"),
                  blocked == extra and not others,
                  "blocked %s; other differences %s" % (sorted(blocked), json.dumps(others[:5])))
    for name, path, differs, must in RUNS.get(config, []):
        f = os.path.join(outdir, config, "profile-%s.json" % name)
        rep, rc = _load(f), _rc(f + ".rc")
        given = (((rep or {}).get("seccomp") or {}).get("profile") or {}).get("given") or {}
        diffs = given.get("differences")
        label = "--profile %s" % os.path.relpath(path, LAB)
        if diffs is None:
            res.check(label, False, "no seccomp.profile.given in the report (exit %s): %s" % (rc, json.dumps(given)[:200]))
            continue
        if differs:
            blocked = _blocked(diffs)
            ok = rc == 4 and bool(diffs) and must <= blocked
            if must == MKDIR:
                ok = ok and blocked == MKDIR and all(d.get("syscall") in MKDIR for d in diffs)
            res.check("%s: exit 4, differences include blocked %s" % (label, sorted(must)), ok,
                      "exit %s, %d differences, blocked %s" % (rc, len(diffs), sorted(blocked)[:20]))
        else:
            res.check("%s: exit 0, no difference" % label, rc == 0 and diffs == [],
                      "exit %s, differences %s" % (rc, json.dumps(diffs[:5])))
        if name == "newcalls":
            dropped = [w for w in given.get("warnings") or [] if w.get("kind") == "libseccomp_dropped"]
            got = sorted(dropped[0].get("syscalls") or []) if dropped else []
            res.check("%s: libseccomp 2.5.4 dropped %s" % (label, sorted(NEW_CALLS)),
                      given.get("libseccomp") == "2.5.4" and got == sorted(NEW_CALLS),
                      "libseccomp %s, dropped %s" % (given.get("libseccomp"), got))


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "runs":
        runs(sys.argv[2])
        sys.exit(0)
    print(__doc__, file=sys.stderr)
    sys.exit(2)
