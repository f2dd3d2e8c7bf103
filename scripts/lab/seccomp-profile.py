#!/usr/bin/env python3
"""Turn a Docker/moby-format seccomp profile into what a runtime really receives.

dockerd and podman do not hand their JSON profile to runc/crun as it is: they first
resolve it for the container (keep the rules whose `includes` match and drop those whose
`excludes` match, for the container's bounding capabilities, the native architecture and
the running kernel; pick the architectures from `archMap`) and write the result into the
OCI config as linux.seccomp. A bundle run by bare runc or crun must get the same resolved
object, or it would not be the configuration dockerd would have made.

Subcommands:
  resolve PROFILE [--caps SET] [--block a,b] [--actions NAME=ACTION[:ERRNO],...]
                                                     print OCI linux.seccomp
  block PROFILE --block a,b                          print the profile (moby format) with
                                                     those syscalls forced to ERRNO(EPERM)
  patch-bundle CONFIG [--profile P | --unconfined] [--caps SET] [--block a,b]
                                                     write linux.seccomp and the capability
                                                     sets into an OCI config.json
  bpf OCI_JSON OUT.bpf [--arch ARCH]                 compile linux.seccomp to raw BPF with
                                                     libseccomp (for bwrap --seccomp FD), for
                                                     this machine or, as runc/crun there would,
                                                     for ARCH (arm64: an aarch64 filter made
                                                     here); needs the python3-seccomp bindings

SET is a comma list of capability names and/or the named sets docker (Docker's default
14), podman (containers.conf's 11), all, none.
"""
import argparse
import json
import os
import platform
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
# Importing must not leave a __pycache__ directory in the source tree.
sys.dont_write_bytecode = True
from capsets import ALL_CAPS, DOCKER_CAPS, PODMAN_CAPS  # noqa: E402

NAMED_SETS = {"docker": DOCKER_CAPS, "podman": PODMAN_CAPS, "all": ALL_CAPS, "none": []}

# platform.machine() -> the architecture names profiles use in includes/excludes.arches
NATIVE = {"x86_64": "amd64", "aarch64": "arm64", "i686": "x86", "armv7l": "arm",
          "ppc64le": "ppc64le", "s390x": "s390x", "riscv64": "riscv64"}
NATIVE_SCMP = {"amd64": "SCMP_ARCH_X86_64", "arm64": "SCMP_ARCH_AARCH64", "x86": "SCMP_ARCH_X86",
               "arm": "SCMP_ARCH_ARM", "ppc64le": "SCMP_ARCH_PPC64LE", "s390x": "SCMP_ARCH_S390X",
               "riscv64": "SCMP_ARCH_RISCV64"}


def caps_of(spec):
    out = []
    for part in (p.strip() for p in spec.split(",")):
        if not part:
            continue
        names = NAMED_SETS.get(part.lower())
        if names is None:
            up = part.upper()
            names = [up if up.startswith("CAP_") else "CAP_" + up]
        out += [n for n in names if n not in out]
    return out


def kernel_tuple(text):
    m = re.match(r"(\d+)\.(\d+)", text)
    if not m:
        raise SystemExit("cannot read a kernel version from %r" % text)
    return int(m.group(1)), int(m.group(2))


def block(profile, names, errno=1, action="SCMP_ACT_ERRNO"):
    """Force `names` to `action` (ERRNO(errno) by default): take them out of every rule so
    that no other rule can decide them, then add one rule of their own."""
    names = [n for n in names if n]
    if not names:
        return profile
    rules = []
    for rule in profile.get("syscalls", []):
        rule = dict(rule)
        if rule.get("name") in names:
            continue
        if rule.get("names"):
            rule["names"] = [n for n in rule["names"] if n not in names]
            if not rule["names"]:
                continue
        rules.append(rule)
    rule = {"names": names, "action": action}
    if action == "SCMP_ACT_ERRNO":
        rule["errnoRet"] = errno
    rules.append(rule)
    profile["syscalls"] = rules
    return profile


def set_actions(profile, spec):
    """spec: comma list of NAME=ACTION[:ERRNO], e.g. mkdir=SCMP_ACT_KILL_PROCESS,link=SCMP_ACT_ERRNO:13"""
    for item in (i.strip() for i in spec.split(",")):
        if not item:
            continue
        name, _, action = item.partition("=")
        action, _, errno = action.partition(":")
        block(profile, [name], int(errno or 1), action)
    return profile


def resolve(profile, caps, native, kernel):
    """linux.seccomp for a container with bounding set `caps`, as dockerd builds it
    (profiles/seccomp/seccomp_linux.go: setupSeccomp)."""
    if not profile.get("defaultAction") and not profile.get("syscalls"):
        return None
    if profile.get("architectures") and profile.get("archMap"):
        raise SystemExit("a profile may have architectures or archMap, not both")
    out = {"defaultAction": profile["defaultAction"]}
    for key in ("defaultErrnoRet", "flags", "listenerPath", "listenerMetadata"):
        if profile.get(key) not in (None, [], ""):
            out[key] = profile[key]
    arches = list(profile.get("architectures") or [])
    for entry in profile.get("archMap") or []:
        if entry["architecture"] == NATIVE_SCMP.get(native):
            arches = [entry["architecture"]] + list(entry.get("subArchitectures") or [])
            break
    if arches:
        out["architectures"] = arches
    rules = []
    for rule in profile.get("syscalls", []):
        if rule.get("name") and rule.get("names"):
            raise SystemExit("a rule may have name or names, not both")
        names = rule.get("names") or [rule["name"]]
        exc = rule.get("excludes") or {}
        inc = rule.get("includes") or {}
        if native in (exc.get("arches") or []):
            continue
        if any(c in caps for c in exc.get("caps") or []):
            continue
        if exc.get("minKernel") and kernel >= kernel_tuple(exc["minKernel"]):
            continue
        if inc.get("arches") and native not in inc["arches"]:
            continue
        if not all(c in caps for c in inc.get("caps") or []):
            continue
        if inc.get("minKernel") and kernel < kernel_tuple(inc["minKernel"]):
            continue
        kept = {"names": names, "action": rule["action"]}
        if rule.get("errnoRet") is not None:
            kept["errnoRet"] = rule["errnoRet"]
        if rule.get("args"):
            kept["args"] = [{k: a[k] for k in ("index", "value", "valueTwo", "op") if k in a}
                            for a in rule["args"]]
        rules.append(kept)
    out["syscalls"] = rules
    return out


def load(path, blocked, actions=""):
    with open(path) as f:
        profile = json.load(f)
    # containers-common spells the default errno "defaultErrno" in older files; the OCI
    # field is defaultErrnoRet and runtimes ignore the other one.
    profile.pop("defaultErrno", None)
    return set_actions(block(profile, blocked), actions)


def compile_bpf(oci, out_path, native=None):
    """`native`: the architecture (amd64, arm64) the filter is for, as a runtime running there
    would build it: that one is the filter's native arch, the profile's others are added."""
    import seccomp  # python3-seccomp (Debian); not on PyPI under that name

    actions = {
        "SCMP_ACT_ALLOW": lambda e: seccomp.ALLOW,
        "SCMP_ACT_ERRNO": lambda e: seccomp.ERRNO(1 if e is None else e),
        "SCMP_ACT_KILL": lambda e: seccomp.KILL,
        "SCMP_ACT_KILL_THREAD": lambda e: seccomp.KILL,
        "SCMP_ACT_KILL_PROCESS": lambda e: seccomp.KILL_PROCESS,
        "SCMP_ACT_TRAP": lambda e: seccomp.TRAP,
        "SCMP_ACT_TRACE": lambda e: seccomp.TRACE(0 if e is None else e),
        "SCMP_ACT_LOG": lambda e: seccomp.LOG,
    }
    ops = {"SCMP_CMP_NE": seccomp.NE, "SCMP_CMP_LT": seccomp.LT, "SCMP_CMP_LE": seccomp.LE,
           "SCMP_CMP_EQ": seccomp.EQ, "SCMP_CMP_GE": seccomp.GE, "SCMP_CMP_GT": seccomp.GT,
           "SCMP_CMP_MASKED_EQ": seccomp.MASKED_EQ}
    arches = {"SCMP_ARCH_X86_64": seccomp.Arch.X86_64, "SCMP_ARCH_X86": seccomp.Arch.X86,
              "SCMP_ARCH_X32": seccomp.Arch.X32, "SCMP_ARCH_AARCH64": seccomp.Arch.AARCH64,
              "SCMP_ARCH_ARM": seccomp.Arch.ARM}
    default = oci["defaultAction"], oci.get("defaultErrnoRet")
    filt = seccomp.SyscallFilter(actions[default[0]](default[1]))
    # bwrap sets no_new_privs itself; leave it to the caller like runc and crun do.
    filt.set_attr(seccomp.Attr.CTL_NNP, 0)
    host = arches.get(NATIVE_SCMP.get(NATIVE.get(platform.machine(), "")), seccomp.Arch.NATIVE)
    own = arches.get(NATIVE_SCMP.get(native or ""), host)
    if own != host:
        filt.add_arch(own)
        filt.remove_arch(seccomp.Arch.NATIVE)
    for name in oci.get("architectures", []):
        arch = arches.get(name)
        if arch is not None and arch != own:
            try:
                filt.add_arch(arch)
            except Exception:
                pass  # already present (the native one under another name)
    unknown = []
    for rule in oci.get("syscalls", []):
        # runc and crun skip rules that only repeat the default action.
        if rule["action"] == default[0] and rule.get("errnoRet") == default[1]:
            continue
        act = actions[rule["action"]](rule.get("errnoRet"))
        args = [seccomp.Arg(a["index"], ops[a["op"]], a["value"], a.get("valueTwo", 0))
                if a["op"] == "SCMP_CMP_MASKED_EQ" else seccomp.Arg(a["index"], ops[a["op"]], a["value"])
                for a in rule.get("args") or []]
        for name in rule["names"]:
            try:
                # On the filter's native arch; -1 means libseccomp does not know the name,
                # which runc and crun also skip.
                nr = seccomp.resolve_syscall(own, name)
            except Exception:
                nr = -1
            if nr == -1:
                unknown.append(name)
                continue
            filt.add_rule(act, name, *args)
    with open(out_path, "wb") as f:
        filt.export_bpf(f)
    if unknown:
        print("seccomp-profile: names libseccomp does not know, skipped: " + " ".join(unknown),
              file=sys.stderr)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--caps", default="docker")
    common.add_argument("--block", default="")
    common.add_argument("--actions", default="", help="NAME=ACTION[:ERRNO],... (see set_actions)")
    common.add_argument("--arch", default=NATIVE.get(platform.machine(), platform.machine()))
    common.add_argument("--kernel", default=platform.release())
    p = sub.add_parser("resolve", parents=[common])
    p.add_argument("profile")
    p = sub.add_parser("block", parents=[common])
    p.add_argument("profile")
    p = sub.add_parser("patch-bundle", parents=[common])
    p.add_argument("config")
    p.add_argument("--profile")
    p.add_argument("--unconfined", action="store_true")
    p = sub.add_parser("bpf")
    p.add_argument("oci")
    p.add_argument("out")
    p.add_argument("--arch", default=None, help="the architecture the filter is for (amd64, arm64)")
    a = ap.parse_args()

    blocked = [n.strip() for n in getattr(a, "block", "").split(",")]
    if a.cmd == "resolve":
        json.dump(resolve(load(a.profile, blocked, a.actions), caps_of(a.caps), a.arch, kernel_tuple(a.kernel)),
                  sys.stdout, indent=1)
        print()
    elif a.cmd == "block":
        json.dump(load(a.profile, blocked, a.actions), sys.stdout, indent=1)
        print()
    elif a.cmd == "patch-bundle":
        caps = caps_of(a.caps)
        with open(a.config) as f:
            cfg = json.load(f)
        linux = cfg.setdefault("linux", {})
        if a.unconfined or not a.profile:
            linux.pop("seccomp", None)
        else:
            linux["seccomp"] = resolve(load(a.profile, blocked, a.actions), caps, a.arch, kernel_tuple(a.kernel))
        # dockerd gives the same list to bounding, effective and permitted, and nothing
        # to inheritable and ambient.
        cfg.setdefault("process", {})["capabilities"] = {
            "bounding": caps, "effective": caps, "permitted": caps, "inheritable": [], "ambient": []}
        tmp = a.config + ".tmp"
        with open(tmp, "w") as f:
            json.dump(cfg, f, indent=1)
        os.replace(tmp, a.config)
    elif a.cmd == "bpf":
        with open(a.oci) as f:
            oci = json.load(f)
        compile_bpf(oci.get("linux", {}).get("seccomp", oci), a.out, a.arch)


if __name__ == "__main__":
    main()
