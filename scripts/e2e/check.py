#!/usr/bin/env python3
"""Checks whatami's reports from real containers against facts established without it.

  check.py facts PID > facts.json     what the kernel shows, from the host, about a twin
                                      process of a configuration: /proc/PID/status, its
                                      namespaces, id maps and every attached seccomp filter
  check.py host > host.json           the same for the checker itself (the host's view)
  check.py selftest                   the comparison catches a wrong probe (synthetic reports)
  check.py check OUTDIR [CONFIG...]   compare OUTDIR/<config>/{whatami.json,human.txt,...}
                                      with the configuration (EXPECT below) and the facts

Expected facts come from two places and never from whatami's output: what each
configuration asked its runtime for (EXPECT), and the twin seen from the host. Where both
exist they are also checked against each other ("lab" checks), so a lab that does not do
what it claims is caught before whatami is blamed.

The seccomp ground truth compares every verdict of seccomp.probe.results and
seccomp.probe.arg_probes with what the filters attached to the twin return for that call
(seccomp_truth.py). While the probe is not implemented (method "none") there is nothing to
compare: that is reported as skipped, never as passed, and fails the run when
WHATAMI_E2E_REQUIRE_PROBE=1.
"""
import ctypes
import json
import os
import socket
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [HERE, os.path.join(HERE, "..", "lab")]
# Importing must not leave __pycache__ directories in the source tree.
sys.dont_write_bytecode = True
import seccomp_truth  # noqa: E402
import why_check  # noqa: E402
import record_check  # noqa: E402
import diff_check  # noqa: E402
import profile_checks  # noqa: E402
import environment  # noqa: E402
from capsets import ALL_CAPS, DOCKER_CAPS, PODMAN_CAPS  # noqa: E402

# systemd-nspawn's default retained set (nspawn.c, DEFAULT_CAPABILITIES), intersected with
# the bounding set it starts from.
NSPAWN_CAPS = ["CAP_AUDIT_CONTROL", "CAP_AUDIT_WRITE", "CAP_CHOWN", "CAP_DAC_OVERRIDE",
               "CAP_DAC_READ_SEARCH", "CAP_FOWNER", "CAP_FSETID", "CAP_IPC_OWNER", "CAP_KILL",
               "CAP_LEASE", "CAP_LINUX_IMMUTABLE", "CAP_MKNOD", "CAP_NET_BIND_SERVICE",
               "CAP_NET_BROADCAST", "CAP_NET_RAW", "CAP_SETFCAP", "CAP_SETGID", "CAP_SETPCAP",
               "CAP_SETUID", "CAP_SYS_ADMIN", "CAP_SYS_BOOT", "CAP_SYS_CHROOT", "CAP_SYS_NICE",
               "CAP_SYS_PTRACE", "CAP_SYS_RESOURCE", "CAP_SYS_TTY_CONFIG"]
NAMESPACES = ["cgroup", "ipc", "mnt", "net", "pid", "time", "user", "uts"]
# Namespaces whose initial (host) instance has a fixed inode number (include/linux/proc_ns.h).
INITIAL_INODES = {"ipc": 0xEFFFFFFF, "uts": 0xEFFFFFFE, "user": 0xEFFFFFFD, "pid": 0xEFFFFFFC,
                  "cgroup": 0xEFFFFFFB, "time": 0xEFFFFFFA}
IDENTITY_MAP = [{"inside": 0, "outside": 0, "count": 4294967295}]

HOST = socket.gethostname()
PRIVATE_ALL = {"ipc", "mnt", "net", "pid", "uts"}


def cfg(runtime, container, hostname, caps, seccomp, nnp, private, uid_map=IDENTITY_MAP, spot=None, uid=0):
    """caps: a list, or "host" (the host's bounding set: the runtime keeps what it has),
    or "full" (a new user namespace's full set). private: namespaces that are not the
    host's. uid_map: a list, or "picked" (a private range the runtime chose). uid: the
    process's uid inside."""
    return dict(runtime=runtime, container=container, hostname=hostname, caps=caps,
                seccomp=seccomp, nnp=nnp, private=set(private), uid_map=uid_map, spot=spot or {},
                uid=uid)


# Known verdicts of the policies the lab applies, checked on the attached filter so that a
# lab that silently applied another profile is caught. (abi, nr, args) -> (verdict, errno)
MKDIR_BLOCKED = {("x86_64", 83, ()): ("errno", 1), ("x86_64", 258, ()): ("errno", 1),
                 ("i386", 39, ()): ("errno", 1), ("x32", 0x40000000 | 83, ()): ("errno", 1)}
MKDIR_ALLOWED = {("x86_64", 83, ()): ("allowed", None), ("x86_64", 258, ()): ("allowed", None)}
DOCKER_SPOT = {**MKDIR_ALLOWED, **{
    ("x86_64", 169, ()): ("errno", 1),     # reboot: needs CAP_SYS_BOOT
    ("x86_64", 435, ()): ("errno", 38),    # clone3: ENOSYS without CAP_SYS_ADMIN
    ("x86_64", 272, (0x10000000,)): ("errno", 1),  # unshare(CLONE_NEWUSER)
    ("x86_64", 135, (8,)): ("allowed", None),      # personality(PER_LINUX32)
    ("x86_64", 135, (9,)): ("errno", 1),           # personality(another value)
    ("i386", 88, ()): ("errno", 1),                # reboot, i386 entry point
}}

# What containerd's RuntimeDefault shares with Docker's profile.
CONTAINERD_SPOT = {k: DOCKER_SPOT[k] for k in (("x86_64", 83, ()), ("x86_64", 169, ()), ("x86_64", 435, ()),
                                               ("x86_64", 272, (0x10000000,)), ("i386", 88, ()))}

# LXC's common.seccomp refuses these with EPERM; mkdir passes.
LXC_SPOT = {**MKDIR_ALLOWED, ("x86_64", 246, ()): ("errno", 1), ("x86_64", 304, ()): ("errno", 1),
            ("x86_64", 175, ()): ("errno", 1), ("x86_64", 313, ()): ("errno", 1)}

ACTIONS_SPOT = {("x86_64", 83, ()): ("kill_process", None), ("x86_64", 258, ()): ("trap", None),
                ("x86_64", 84, ()): ("kill_thread", None), ("x86_64", 90, ()): ("allowed", None),
                ("x86_64", 86, ()): ("errno", 13)}

PODMAN = "podman"
EXPECT = {
    "host": cfg("none", False, HOST, "host", "disabled", False, set()),
    "podman-default": cfg(PODMAN, True, "whatami-podman", PODMAN_CAPS, "filter", False, PRIVATE_ALL, spot=MKDIR_ALLOWED),
    "podman-image": cfg(PODMAN, True, "whatami-podman", PODMAN_CAPS, "filter", False, PRIVATE_ALL, spot=MKDIR_ALLOWED),
    "podman-runc": cfg(PODMAN, True, "whatami-podman", PODMAN_CAPS, "filter", False, PRIVATE_ALL, spot=MKDIR_ALLOWED),
    "podman-privileged": cfg(PODMAN, True, "whatami-podman", "host", "disabled", False, PRIVATE_ALL),
    "podman-block-mkdir": cfg(PODMAN, True, "whatami-podman", PODMAN_CAPS, "filter", False, PRIVATE_ALL, spot=MKDIR_BLOCKED),
    "podman-uidmap": cfg(PODMAN, True, "whatami-podman", PODMAN_CAPS, "filter", False, PRIVATE_ALL | {"user"},
                         uid_map=[{"inside": 0, "outside": 100000, "count": 65536}]),
    "podman-rootless": cfg(PODMAN, True, "whatami-podman", PODMAN_CAPS, "filter", False, PRIVATE_ALL | {"user"},
                           uid_map="rootless"),
    "podman-cap-drop-all": cfg(PODMAN, True, "whatami-podman", [], "filter", False, PRIVATE_ALL),
    "podman-docker-profile": cfg(PODMAN, True, "whatami-podman", PODMAN_CAPS, "filter", False, PRIVATE_ALL, spot=DOCKER_SPOT),
    "podman-unconfined": cfg(PODMAN, True, "whatami-podman", PODMAN_CAPS, "disabled", False, PRIVATE_ALL),
    "runc-docker": cfg("unknown", True, "whatami-oci", DOCKER_CAPS, "filter", False, PRIVATE_ALL, spot=DOCKER_SPOT),
    "crun-docker": cfg("unknown", True, "whatami-oci", DOCKER_CAPS, "filter", False, PRIVATE_ALL, spot=DOCKER_SPOT),
    "runc-block-mkdir": cfg("unknown", True, "whatami-oci", DOCKER_CAPS, "filter", False, PRIVATE_ALL, spot=MKDIR_BLOCKED),
    "runc-actions": cfg("unknown", True, "whatami-oci", DOCKER_CAPS, "filter", False, PRIVATE_ALL, spot=ACTIONS_SPOT),
    "crun-actions": cfg("unknown", True, "whatami-oci", DOCKER_CAPS, "filter", False, PRIVATE_ALL, spot=ACTIONS_SPOT),
    "runc-unconfined": cfg("unknown", True, "whatami-oci", DOCKER_CAPS, "disabled", False, PRIVATE_ALL),
    "dockerd": cfg("docker", True, "whatami-docker", DOCKER_CAPS, "filter", False, PRIVATE_ALL, spot=DOCKER_SPOT),
    # ctr run --seccomp: containerd's own default spec (Docker's 14 capabilities,
    # no_new_privs) and RuntimeDefault; a UTS namespace, but the host's name in it.
    "containerd": cfg("containerd", True, HOST, DOCKER_CAPS, "filter", True, PRIVATE_ALL, spot=CONTAINERD_SPOT),
    # lxc-execute with Debian's common.conf: the host's bounding set without the five it
    # drops, its own seccomp profile, and a cgroup namespace of its own.
    "lxc": cfg("lxc", True, "whatami-lxc", "lxc", "filter", False, PRIVATE_ALL | {"cgroup"}, spot=LXC_SPOT),
    "dockerd-block-mkdir": cfg("docker", True, "whatami-docker", DOCKER_CAPS, "filter", False, PRIVATE_ALL, spot=MKDIR_BLOCKED),
    # nspawn keeps the host's network unless asked otherwise, and makes a cgroup namespace.
    "nspawn": cfg("systemd-nspawn", True, "whatami-nspawn", "nspawn", "filter", False,
                  {"ipc", "mnt", "pid", "uts", "cgroup"}),
    # With a user namespace and the host's network, nspawn also drops CAP_NET_BIND_SERVICE;
    # the new user namespace's bounding set is full, so CAP_SYS_RESOURCE stays.
    "nspawn-userns": cfg("systemd-nspawn", True, "whatami-nspawn",
                         [c for c in NSPAWN_CAPS if c != "CAP_NET_BIND_SERVICE"], "filter", False,
                         {"ipc", "mnt", "pid", "uts", "cgroup", "user"}, uid_map="picked"),
    # bwrap run by root keeps the caller's capabilities and always sets no_new_privs.
    "bwrap": cfg("bubblewrap", True, "whatami-bwrap", "host", "disabled", True,
                 PRIVATE_ALL | {"user", "cgroup"}, uid_map=[{"inside": 0, "outside": 0, "count": 1}]),
    "bwrap-seccomp": cfg("bubblewrap", True, "whatami-bwrap", [], "filter", True,
                         PRIVATE_ALL | {"user", "cgroup"}, uid_map=[{"inside": 0, "outside": 0, "count": 1}]),
    # A user namespace alone, with the host's pid, mount, network, uts and ipc namespaces,
    # is a privilege sandbox (what browsers and rootless build tools use), not a container:
    # systemd-detect-virt draws the same line.
    "unshare-user": cfg("none", False, HOST, "full", "disabled", False, {"user"},
                        uid_map=[{"inside": 0, "outside": 0, "count": 1}]),
    "unshare-all": cfg("unknown", True, "whatami-unshare", "full", "disabled", False,
                       {"user", "pid", "mnt", "uts", "net", "ipc"}, uid_map=[{"inside": 0, "outside": 0, "count": 1}]),
    "setpriv-nnp": cfg("none", False, HOST, [], "disabled", True, set()),
    # The environment configurations (environment.py checks what they are for).
    "podman-read-only": cfg(PODMAN, True, "whatami-podman", PODMAN_CAPS, "filter", False, PRIVATE_ALL, spot=MKDIR_ALLOWED),
    "podman-socket": cfg(PODMAN, True, "whatami-podman", PODMAN_CAPS, "filter", False, PRIVATE_ALL, spot=MKDIR_ALLOWED),
    "podman-hardened": cfg(PODMAN, True, "whatami-podman", [], "filter", True, PRIVATE_ALL, uid=1000),
}


# ------------------------------------------------------------------ facts from the host

def read_status(pid):
    out = {}
    with open("/proc/%s/status" % pid) as f:
        for line in f:
            k, _, v = line.partition(":")
            out[k] = v.strip()
    return out


def read_map(path):
    rows = []
    with open(path) as f:
        for line in f:
            p = line.split()
            if len(p) == 3:
                rows.append({"inside": int(p[0]), "outside": int(p[1]), "count": int(p[2])})
    return rows


def facts(pid):
    st = read_status(pid)
    ns = {}
    for n in NAMESPACES:
        t = os.readlink("/proc/%s/ns/%s" % (pid, n))
        ns[n] = int(t[t.index("[") + 1:-1])
    out = {
        "pid": os.getpid() if pid == "self" else int(pid),
        "status": {k: st.get(k) for k in ("CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb", "NoNewPrivs",
                                          "Seccomp", "Seccomp_filters", "Uid", "Gid")},
        "ns": ns,
        "uid_map": read_map("/proc/%s/uid_map" % pid),
        "gid_map": read_map("/proc/%s/gid_map" % pid),
        "filters": seccomp_truth.read_filters(int(pid)) if st.get("Seccomp") == "2" else [],
        "environment": environment.twin_facts(pid),
    }
    return out


def host_facts():
    f = facts("self")
    f["filters"] = []
    f["hostname"] = HOST
    with open("/proc/sys/kernel/cap_last_cap") as fh:
        f["cap_last_cap"] = int(fh.read())
    try:
        with open("/proc/self/attr/current") as fh:
            f["lsm_label"] = fh.read().strip("\0\n")
    except OSError:
        f["lsm_label"] = None  # no LSM that labels processes (no AppArmor, no SELinux)
    return f


def cap_names(hexmask):
    v = int(hexmask, 16)
    return sorted(ALL_CAPS[i] if i < len(ALL_CAPS) else "CAP_%d" % i for i in range(64) if v >> i & 1)


# ------------------------------------------------------------------ checking

class Result:
    def __init__(self, config):
        self.config = config
        self.rows = []  # (status, name, detail)

    def check(self, name, ok, detail="", info=None):
        """detail explains a failure; info, when given, is shown for a pass (verbose)."""
        self.rows.append(("PASS", name, info or "") if ok else ("FAIL", name, detail))
        return ok

    def skip(self, name, detail):
        self.rows.append(("SKIP", name, detail))

    def eq(self, name, got, want):
        return self.check(name, got == want, "" if got == want else "expected %s, got %s" % (
            json.dumps(want, sort_keys=True), json.dumps(got, sort_keys=True)))


def section(report, path, res, name):
    """The value at a dotted path, or None after recording a failure that says why."""
    cur = report
    for part in path.split("."):
        if isinstance(cur, dict) and "error" in cur and part not in cur:
            res.check(name, False, "%s: section error: %s" % (path, cur["error"]))
            return None
        if not isinstance(cur, dict) or part not in cur:
            res.check(name, False, "%s missing from the JSON" % path)
            return None
        cur = cur[part]
    if isinstance(cur, dict) and "error" in cur:
        res.check(name, False, "%s: section error: %s" % (path, cur["error"]))
        return None
    return cur


def expected_caps(exp, host, twin):
    c = exp["caps"]
    if c == "host":
        return cap_names(host["status"]["CapBnd"])
    if c == "full":
        return sorted(ALL_CAPS[: host["cap_last_cap"] + 1])
    if c == "lxc":
        dropped = {"CAP_MAC_ADMIN", "CAP_MAC_OVERRIDE", "CAP_SYS_TIME", "CAP_SYS_MODULE", "CAP_SYS_RAWIO"}
        return sorted(x for x in cap_names(host["status"]["CapBnd"]) if x not in dropped)
    if c == "nspawn":
        hb = set(cap_names(host["status"]["CapBnd"]))
        return sorted(x for x in NSPAWN_CAPS if x in hb)
    return sorted(c)


def check_tty(res, read):
    """The runs in an 80x24 tmux pane (tty.sh): no line of the brief form or of the report
    is one the terminal had to wrap, and the brief form fits the screen."""
    for form, last in (("brief", "  pod security "), ("full", "Pod Security Standards")):
        what = "%s in an 80x24 terminal" % ("--brief" if form == "brief" else "the report")
        text = read("tty-%s.txt" % form)
        rc = (read("tty-%s.txt.rc" % form) or "").strip()
        res.check("%s: exit code 0 or 3" % what, rc in ("0", "3"), "exit code %r" % rc)
        lines = (text or "").split("\n")
        # What the runtime printed before whatami's first line (nspawn's notice about its
        # console) is not whatami's.
        start = next((i for i, l in enumerate(lines) if l.startswith("whatami ")), None)
        res.check("%s: printed whole" % what, start is not None and any(l.startswith(last) for l in lines),
                  (text or "no capture")[:300])
        if start is None:
            continue
        mine = [l.rstrip() for l in lines[start:]]
        while mine and not mine[-1]:
            mine.pop()
        # A word longer than any line (a path) is never broken: it has a line of its own.
        wrapped = [l for l in mine if len(l) > 80 and len(l.split()) > 1]
        res.check("%s: no line wrapped by the terminal but a word longer than a line, alone"
                  % what, not wrapped, "%d lines longer than 80: %r" % (len(wrapped), wrapped[:3]))
        if form == "brief":
            res.check("%s: fits the screen" % what, len(mine) <= 24, "%d lines" % len(mine))


def check_config(outdir, config, host, require_probe):
    res = Result(config)
    exp = EXPECT[config]
    d = os.path.join(outdir, config)

    def read(name, default=None):
        try:
            with open(os.path.join(d, name)) as f:
                return f.read()
        except OSError:
            return default

    # --- the runs themselves
    for kind, fname in (("json", "whatami.json"), ("human", "human.txt")):
        rc = (read(fname + ".rc") or "").strip()
        err = read(fname + ".err", "")
        res.check("%s exit code 0 or 3" % kind, rc in ("0", "3"), "exit code %s; stderr: %s" % (rc, err.strip()[-400:]))
        res.check("%s no panic" % kind, "panicked" not in err and "RUST_BACKTRACE" not in err, err.strip()[-400:])
    res.check("human output not empty", bool((read("human.txt") or "").strip()))
    check_tty(res, read)
    default = read("default-cmd.txt")
    if default is not None:
        # The image run with no command: its CMD must give the human report.
        rc = (read("default-cmd.txt.rc") or "").strip()
        res.check("image's default command prints the report (exit %s)" % rc,
                  rc in ("0", "3") and default.startswith("whatami "), default[:200])
    try:
        report = json.loads(read("whatami.json") or "")
    except ValueError as e:
        res.check("json parses", False, str(e))
        return res
    res.check("json parses", True)
    res.eq("schema_version", report.get("schema_version"), 1)

    twin = json.loads(read("facts.json") or "null")
    if twin is None:
        res.check("twin facts", False, "no facts.json: the twin process did not start")
        return res
    st = twin["status"]

    # --- the lab did what it claims (configuration vs kernel)
    want_caps = expected_caps(exp, host, twin)
    for key in ("CapEff", "CapPrm", "CapBnd"):
        res.eq("lab: twin %s is the configured set" % key, cap_names(st[key]), want_caps)
    res.eq("lab: twin seccomp mode", {"0": "disabled", "1": "strict", "2": "filter"}.get(st["Seccomp"]), exp["seccomp"])
    res.eq("lab: twin no_new_privs", st["NoNewPrivs"] == "1", exp["nnp"])
    for n in NAMESPACES:
        res.eq("lab: twin %s namespace private" % n, twin["ns"][n] != host["ns"][n], n in exp["private"])
    um = exp["uid_map"]
    if um == "picked":
        ok = len(twin["uid_map"]) == 1 and twin["uid_map"][0]["inside"] == 0 and \
            twin["uid_map"][0]["outside"] != 0 and twin["uid_map"][0]["count"] == 65536
        res.check("lab: twin uid_map is a picked range of 65536", ok, json.dumps(twin["uid_map"]), info=json.dumps(twin["uid_map"]))
    elif um == "rootless":
        ok = len(twin["uid_map"]) == 2 and twin["uid_map"][0]["inside"] == 0 and twin["uid_map"][0]["outside"] != 0
        res.check("lab: twin uid_map maps root to the rootless user", ok, json.dumps(twin["uid_map"]))
    else:
        res.eq("lab: twin uid_map", twin["uid_map"], um)
    for (abi, nr, args), (verdict, errno) in sorted(exp["spot"].items()):
        t = seccomp_truth.truth(twin["filters"], abi, nr, args)
        res.eq("lab: attached filter %s %d%s" % (abi, nr, list(args) if args else ""),
               (t["verdict"], t["errno"]), (verdict, errno))

    # --- whatami vs the facts
    rt = section(report, "runtime", res, "runtime")
    if rt is not None:
        res.eq("runtime.name", rt.get("name"), exp["runtime"])
        res.eq("runtime.container", rt.get("container"), exp["container"])
        ev = json.dumps(rt.get("evidence"))
        res.check("runtime.evidence not empty", bool(rt.get("evidence")), ev, info=ev)

    sc = report.get("seccomp", {})
    if "error" in sc:
        res.check("seccomp status", False, "section error: %s" % sc["error"])
    else:
        res.eq("seccomp.mode", sc.get("mode"), {"0": "disabled", "1": "strict", "2": "filter"}[st["Seccomp"]])
        res.eq("seccomp.filters", sc.get("filters"), int(st["Seccomp_filters"]))
        res.eq("seccomp.no_new_privs", sc.get("no_new_privs"), st["NoNewPrivs"] == "1")

    caps = section(report, "capabilities", res, "capabilities")
    if caps is not None:
        for js, key in (("effective", "CapEff"), ("permitted", "CapPrm"), ("inheritable", "CapInh"),
                        ("bounding", "CapBnd"), ("ambient", "CapAmb")):
            got = caps.get(js)
            res.eq("capabilities.%s" % js, sorted(got) if isinstance(got, list) else got, cap_names(st[key]))

    nss = section(report, "namespaces", res, "namespaces")
    if nss is not None:
        for n in NAMESPACES:
            e = nss.get(n)
            if not isinstance(e, dict) or "error" in e:
                res.check("namespaces.%s" % n, False, "got %s" % json.dumps(e))
                continue
            is_host = twin["ns"][n] == host["ns"][n]
            got = e.get("host")
            if n in ("mnt", "net") and got is None:
                res.check("namespaces.%s.host" % n, True, info="null (allowed for mnt and net)")
            else:
                res.eq("namespaces.%s.host" % n, got, is_host)
            if is_host:
                res.eq("namespaces.%s.inode" % n, e.get("inode"), host["ns"][n])
            else:
                msg = "got %s, the host's is %s" % (e.get("inode"), host["ns"][n])
                res.check("namespaces.%s.inode" % n, isinstance(e.get("inode"), int) and e.get("inode") != host["ns"][n],
                          msg, info=msg)

    un = section(report, "user_namespace", res, "user_namespace")
    if un is not None:
        # Inside the container the maps are shown relative to the parent namespace, which is
        # the host's for every configuration here, so they read as from the host.
        if exp["uid_map"] == "picked":
            # Each run picks its own range: the twin's cannot be whatami's.
            for key in ("uid_map", "gid_map"):
                m = un.get(key)
                ok = isinstance(m, list) and len(m) == 1 and m[0].get("inside") == 0 and \
                    m[0].get("outside") != 0 and m[0].get("count") == 65536
                res.check("user_namespace.%s is a picked range of 65536" % key, ok, json.dumps(m))
            mine = un.get("uid_map") or []
        else:
            res.eq("user_namespace.uid_map", un.get("uid_map"), twin["uid_map"])
            res.eq("user_namespace.gid_map", un.get("gid_map"), twin["gid_map"])
            mine = twin["uid_map"]
        root = [m.get("outside") for m in mine if m.get("inside") == 0]
        res.eq("user_namespace.root_maps_to", un.get("root_maps_to"), root[0] if root else None)
        # From inside, the parent of a private user namespace cannot always be seen, so
        # "cannot tell" (null) is an honest answer; a wrong true/false is not.
        got = un.get("root_is_host_root")
        want = bool(root) and root[0] == 0
        if got is None and twin["ns"]["user"] != host["ns"]["user"]:
            res.check("user_namespace.root_is_host_root", True, info="null (the parent namespace is not visible)")
        else:
            res.eq("user_namespace.root_is_host_root", got, want)

    ident = section(report, "identity", res, "identity")
    if ident is not None:
        uid = ident.get("uid") or {}
        res.eq("identity.uid", [uid.get(k) for k in ("real", "effective", "saved")], [exp["uid"]] * 3)
        res.eq("identity.hostname", ident.get("hostname"), exp["hostname"])

    lsm = section(report, "lsm", res, "lsm")
    if lsm is not None and host["lsm_label"] is None:
        res.eq("lsm.apparmor (none active here)", lsm.get("apparmor"), None)
        res.eq("lsm.selinux (none active here)", lsm.get("selinux"), None)

    check_probe(res, report, twin, require_probe)
    profile_checks.check(res, outdir, config)
    environment.check(res, config, report, read, twin, exp)
    return res


# Entry points the probe sweeps a second time with all-ones arguments (unless its abis[]
# entry says otherwise): the native one.
ALL_ONES_ABIS = ("x86_64", "aarch64")


def check_probe(res, report, twin, require_probe):
    probe = (report.get("seccomp") or {}).get("probe")
    if not isinstance(probe, dict) or "error" in probe:
        res.check("seccomp ground truth", False, "seccomp.probe: %s" % json.dumps(probe))
        return
    method = probe.get("method")
    if method == "none":
        if require_probe:
            res.check("seccomp ground truth", False,
                      "seccomp.probe.method is \"none\" (note: %s) but a probe is required "
                      "(WHATAMI_E2E_REQUIRE_PROBE=1)" % probe.get("note"))
        else:
            res.skip("seccomp ground truth", "probe method \"none\": nothing to compare "
                                             "(set WHATAMI_E2E_REQUIRE_PROBE=1 to fail on this)")
        return
    filters = twin["filters"]
    results = probe.get("results") or []
    mismatches = []
    seen = set()
    # Where the probe swept with all-ones arguments, a result without `all_ones` claims the
    # verdict does not depend on the arguments, and that claim is checked. The prober sweeps
    # the native entry point; an ABI entry says so itself with "all_ones_swept": true|false.
    swept = {a.get("abi") for a in probe.get("abis") or [] if a.get("all_ones_swept") is True}
    unswept = {a.get("abi") for a in probe.get("abis") or [] if a.get("all_ones_swept") is False}
    swept |= set(ALL_ONES_ABIS) - unswept
    for r in results:
        abi, nr = r.get("abi"), r.get("nr")
        if abi not in seccomp_truth.ABI_ARCH:
            mismatches.append("%s %s: unknown abi" % (abi, nr))
            continue
        seen.add((abi, nr))
        got = {k: r.get(k) for k in ("verdict", "errno", "trap_data")}
        want = seccomp_truth.truth(filters, abi, nr)
        if got != want:
            mismatches.append("%-7s %4d %-22s probe %-40s filter %s" % (
                abi, nr, r.get("name") or "?", _fmt(got), _fmt(want)))
        ones = [0xFFFFFFFFFFFFFFFF] * 6
        want1 = seccomp_truth.truth(filters, abi, nr, ones)
        if r.get("all_ones") is not None:
            got1 = {k: r["all_ones"].get(k) for k in ("verdict", "errno", "trap_data")}
            if got1 != want1:
                mismatches.append("%-7s %4d %-22s all-ones args: probe %-27s filter %s" % (
                    abi, nr, r.get("name") or "?", _fmt(got1), _fmt(want1)))
        elif want1 != want and r.get("verdict") != "exempt" and abi in swept:
            mismatches.append("%-7s %4d %-22s all-ones args: probe reports no argument dependence, "
                              "filter gives %s" % (abi, nr, r.get("name") or "?", _fmt(want1)))
    x86 = sorted(nr for abi, nr in seen if abi == "x86_64")
    if x86:
        missing = sorted(set(range(0, max(x86) + 1)) - set(x86))
        res.check("probe covers x86_64 0..%d without gaps" % max(x86), not missing and max(x86) >= 462,
                  "missing %s, highest %d" % (missing[:20], max(x86)))
        for abi in ("i386", "x32"):
            info = next((a for a in probe.get("abis") or [] if a.get("abi") == abi), {})
            if any(a == abi for a, _ in seen):
                res.check("probe covers %s" % abi, True, "")
            elif info.get("probed") is False and "not served" in (info.get("note") or ""):
                # whatami skips an entry point the kernel does not serve: hold it to that.
                res.check("%s skipped only because the kernel does not serve it" % abi,
                          abi == "x32" and not kernel_serves_x32(),
                          "note %r, kernel serves x32: %s" % (info.get("note"), kernel_serves_x32()))
            else:
                res.check("probe covers %s" % abi, False, "no %s results" % abi)
    else:
        res.check("probe covers x86_64", False, "no x86_64 results")
    for ap in probe.get("arg_probes") or []:
        abi, nr, args = ap.get("abi"), ap.get("nr"), ap.get("args") or []
        if abi not in seccomp_truth.ABI_ARCH or not isinstance(nr, int):
            mismatches.append("arg probe %s: no abi/nr to evaluate" % ap.get("label"))
            continue
        got = {k: ap.get(k) for k in ("verdict", "errno", "trap_data")}
        want = seccomp_truth.truth(filters, abi, nr, args)
        if got != want:
            mismatches.append("arg probe %-34s probe %-40s filter %s" % (ap.get("label"), _fmt(got), _fmt(want)))
    res.check("seccomp ground truth (%d verdicts, %d arg probes, method %s)" % (
        len(results), len(probe.get("arg_probes") or []), method), not mismatches,
        "%d mismatches:\n      %s" % (len(mismatches), "\n      ".join(mismatches[:60])))


def kernel_serves_x32():
    """Whether this kernel runs x32 calls: getpid through the x32 entry point, issued here
    (on the host, unfiltered), returns the pid, or fails with ENOSYS when x32 is not built
    or disabled at boot."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.syscall.restype = ctypes.c_long
    r = libc.syscall(ctypes.c_long(0x40000000 | 39))
    return r == os.getpid()


# Argument sets under which two filters must agree to count as the same policy: zero, all
# ones, and the values real profiles test (namespace flags, personality values, families).
ARG_SAMPLES = [(), (0xFFFFFFFFFFFFFFFF,) * 6, (0x10000000,), (0x20000,), (0x40000000,), (8,), (0x20008,),
               (0xFFFFFFFF,), (40,), (38,), (16, 3, 9)]


def same_policy(a, b):
    """The first (abi, nr, args) where filter stacks a and b answer differently, or None."""
    for abi, base in (("x86_64", 0), ("i386", 0), ("x32", 0x40000000)):
        for nr in range(base, base + 600):
            for args in ARG_SAMPLES:
                ta, tb = seccomp_truth.truth(a, abi, nr, args), seccomp_truth.truth(b, abi, nr, args)
                if ta != tb:
                    return "%s %d %s: %s vs %s" % (abi, nr, list(args), _fmt(ta), _fmt(tb))
    return None


def check_cross(outdir, configs):
    """The bare runc bundle claims to be what dockerd hands runc: same profile resolution,
    same capabilities. If so, runc attaches the same policy in both (libseccomp may lay the
    BPF out differently from one run to the next, so the verdicts are compared)."""
    res = Result("across configurations")

    def filters(config):
        try:
            with open(os.path.join(outdir, config, "facts.json")) as f:
                return json.load(f)["filters"]
        except (OSError, ValueError):
            return None

    if "dockerd" in configs and "runc-docker" in configs:
        a, b = filters("dockerd"), filters("runc-docker")
        diff = "no facts" if a is None or b is None else same_policy(a, b)
        res.check("lab: runc-docker's attached filter answers as dockerd's for every call",
                  diff is None, "dockerd vs runc-docker differ at %s" % diff)
    return res


def selftest():
    """The ground-truth comparison must pass a probe that agrees with the filter and fail
    one that does not (a wrong verdict, a missed argument rule, a gap, a wrong arg probe)."""
    A = seccomp_truth
    # x86_64 only: mkdir -> ERRNO(1); unshare with CLONE_NEWUSER in args[0] -> ERRNO(1);
    # reboot -> KILL_PROCESS; anything else allowed (i386, x32 included).
    prog = [
        [0x20, 0, 0, 4], [0x15, 0, 9, A.AUDIT_ARCH_X86_64],
        [0x20, 0, 0, 0],
        [0x15, 0, 1, 83], [0x06, 0, 0, A.RET_ERRNO | 1],
        [0x15, 0, 1, 169], [0x06, 0, 0, A.RET_KILL_PROCESS],
        [0x15, 0, 3, 272], [0x20, 0, 0, 16], [0x45, 0, 1, 0x10000000], [0x06, 0, 0, A.RET_ERRNO | 1],
        [0x06, 0, 0, A.RET_ALLOW],
    ]
    filters = [prog]

    def report():
        results = []
        for abi, base in (("x86_64", 0), ("i386", 0), ("x32", 0x40000000)):
            for nr in range(base, base + 470):
                r = dict(abi=abi, nr=nr, name=None, **A.truth(filters, abi, nr))
                ones = A.truth(filters, abi, nr, [0xFFFFFFFFFFFFFFFF] * 6)
                if ones != {k: r[k] for k in ("verdict", "errno", "trap_data")}:
                    r["all_ones"] = ones
                results.append(r)
        arg = dict(label="unshare(CLONE_NEWUSER)", syscall="unshare", abi="x86_64", nr=272, args=[0x10000000],
                   **A.truth(filters, "x86_64", 272, [0x10000000]))
        return {"seccomp": {"probe": {"method": "notify", "results": results, "arg_probes": [arg]}}}

    def failures(rep):
        res = Result("selftest")
        check_probe(res, rep, {"filters": filters}, True)
        return [r for r in res.rows if r[0] == "FAIL"]

    problems = []
    if failures(report()):
        problems.append("a probe that agrees with the filter failed: %s" % failures(report()))
    broken = {
        "wrong verdict": lambda r: r["seccomp"]["probe"]["results"][83].update(verdict="allowed", errno=None),
        "wrong errno": lambda r: r["seccomp"]["probe"]["results"][83].update(errno=38),
        "kill reported as errno": lambda r: r["seccomp"]["probe"]["results"][169].update(verdict="errno", errno=1),
        "missed argument rule": lambda r: r["seccomp"]["probe"]["results"][272].pop("all_ones"),
        "gap in x86_64": lambda r: r["seccomp"]["probe"]["results"].pop(100),
        "no i386": lambda r: r["seccomp"]["probe"].update(
            results=[x for x in r["seccomp"]["probe"]["results"] if x["abi"] != "i386"]),
        "exempt call not exempt": lambda r: r["seccomp"]["probe"]["results"][335].update(verdict="allowed"),
        "wrong arg probe": lambda r: r["seccomp"]["probe"]["arg_probes"][0].update(verdict="allowed", errno=None),
        "method none": lambda r: r["seccomp"]["probe"].update(method="none"),
    }
    for name, breakit in broken.items():
        rep = report()
        breakit(rep)
        if not failures(rep):
            problems.append("a probe with a %s passed" % name)
    if problems:
        print("check.py selftest FAILED:\n  " + "\n  ".join(problems), file=sys.stderr)
        return 1
    print("check.py selftest: the ground-truth comparison passes a faithful probe and catches %d kinds of error"
          % len(broken))
    return 0


def _fmt(v):
    if v["verdict"] == "errno":
        return "errno(%s)" % v["errno"]
    if v["verdict"] == "trap":
        return "trap(%s)" % v["trap_data"]
    return v["verdict"]


def main(argv):
    if len(argv) == 3 and argv[1] == "facts":
        json.dump(facts(argv[2]), sys.stdout)
        return 0
    if len(argv) == 2 and argv[1] == "selftest":
        return selftest()
    if len(argv) == 2 and argv[1] == "host":
        json.dump(host_facts(), sys.stdout)
        return 0
    if len(argv) >= 3 and argv[1] == "check":
        outdir = argv[2]
        configs = argv[3:] or sorted(c for c in os.listdir(outdir) if c in EXPECT)
        with open(os.path.join(outdir, "host.json")) as f:
            host = json.load(f)
        require_probe = os.environ.get("WHATAMI_E2E_REQUIRE_PROBE") == "1"
        for n, inode in INITIAL_INODES.items():
            if host["ns"][n] != inode:
                print("e2e: the checker does not run in the host's %s namespace; cannot tell host "
                      "from private namespaces" % n, file=sys.stderr)
                return 2
        totals = {"PASS": 0, "FAIL": 0, "SKIP": 0}
        per_config = []
        for config in configs:
            res = check_config(outdir, config, host, require_probe)
            counts = {k: sum(1 for r in res.rows if r[0] == k) for k in totals}
            for k in totals:
                totals[k] += counts[k]
            per_config.append((config, counts))
            print("== %s: %d passed, %d failed, %d skipped" % (config, counts["PASS"], counts["FAIL"], counts["SKIP"]))
            for status, name, detail in res.rows:
                if status != "PASS" or os.environ.get("WHATAMI_E2E_VERBOSE") == "1":
                    print("  %s %s%s" % (status, name, (": " + detail) if detail else ""))
        # The `whatami why`, `whatami record` and `whatami diff` cases (scripts/e2e/why.sh,
        # why_check.py, record.sh, record_check.py, diff.sh, diff_check.py) count like a
        # configuration.
        for label, short, cross in (("across configurations", "(across configs)", check_cross(outdir, configs)),
                                    ("whatami why", "(whatami why)", why_check.check(outdir, configs)),
                                    ("whatami record", "(whatami record)", record_check.check(outdir, configs)),
                                    ("whatami diff", "(whatami diff)", diff_check.check(outdir, configs))):
            if cross is None or not cross.rows:
                continue
            counts = {k: sum(1 for r in cross.rows if r[0] == k) for k in totals}
            for k in totals:
                totals[k] += counts[k]
            per_config.append((short, counts))
            print("== %s: %d passed, %d failed" % (label, counts["PASS"], counts["FAIL"]))
            for status, name, detail in cross.rows:
                if status != "PASS" or os.environ.get("WHATAMI_E2E_VERBOSE") == "1":
                    print("  %s %s%s" % (status, name, (": " + detail) if detail else ""))
        with open(os.path.join(outdir, "summary.txt"), "w") as f:
            for config, c in per_config:
                f.write("%-22s %3d passed %3d failed %3d skipped\n" % (config, c["PASS"], c["FAIL"], c["SKIP"]))
        print()
        print("%-22s %s" % ("configuration", "checks"))
        for config, c in per_config:
            print("%-22s %3d passed %3d failed %3d skipped%s" % (
                config, c["PASS"], c["FAIL"], c["SKIP"], "" if c["FAIL"] == 0 else "   <- FAILED"))
        print("e2e: %d passed, %d failed, %d skipped" % (totals["PASS"], totals["FAIL"], totals["SKIP"]))
        return 1 if totals["FAIL"] else 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
