"""The end-to-end checks of the environment sections (mounts, cgroups, kernel limits,
Kubernetes, the assessment) and of `--check restricted`, called by check.py for every
configuration.

As in check.py, what is expected comes from the configuration and from the host, never from
whatami: which configurations have a read-only root, a mounted socket, masked paths, host
devices; the twin's cgroup limits read from the host's cgroup file systems; the host's
sysctls and Landlock ABI; an answer of the lab's podman socket to the checker's own ping.

  twin_facts(pid)       what the host shows of a twin's cgroups (called by check.py facts)
  check(res, config, report, read, twin, exp)
"""
import ctypes
import os
import socket
import stat

import seccomp_truth

# What each configuration is, for the assessment.
VERDICTS = {
    "host": "not_in_container", "unshare-user": "not_in_container", "setpriv-nnp": "not_in_container",
    "podman-default": "docker_default", "podman-runc": "docker_default", "podman-image": "docker_default",
    "podman-read-only": "docker_default", "podman-block-mkdir": "docker_default",
    "podman-uidmap": "docker_default", "podman-rootless": "docker_default",
    "podman-cap-drop-all": "docker_default", "podman-docker-profile": "docker_default",
    "runc-docker": "docker_default", "crun-docker": "docker_default", "runc-block-mkdir": "docker_default",
    "runc-actions": "docker_default", "crun-actions": "docker_default", "dockerd": "docker_default",
    "dockerd-block-mkdir": "docker_default", "containerd": "docker_default",
    "podman-privileged": "privileged",
    "podman-hardened": "hardened",
    # A mounted socket, no seccomp, the host's network (nspawn), a /proc that masks nothing
    # (bwrap's and unshare's own): less than Docker gives by default.
    "podman-socket": "weakened", "podman-unconfined": "weakened", "runc-unconfined": "weakened",
    "nspawn": "weakened", "nspawn-userns": "weakened", "lxc": "weakened", "bwrap": "weakened", "bwrap-seccomp": "weakened",
    "unshare-all": "weakened",
}
# Runtimes that mask /proc/keys and /proc/timer_list (present on this kernel) unless privileged.
MASKING = ("podman-", "runc-", "crun-", "dockerd", "containerd")
READ_ONLY_ROOT = {"podman-read-only"}
# The lab's socket, as podman-socket mounts it.
SOCKET_IN_CONTAINER = "/run/podman/podman.sock"
# The restricted check: these must pass it, these must fail it for the reasons listed.
CHECK_PASSES = {"podman-hardened"}
CHECK_FAILS = {"podman-default": ["privilege_escalation", "run_as_non_root", "capabilities_restricted"]}
# Global sysctls: a container shows the host's value (user.* and net.* are per namespace).
GLOBAL_SYSCTLS = ["kernel.yama.ptrace_scope", "kernel.io_uring_disabled", "kernel.unprivileged_bpf_disabled",
                  "kernel.perf_event_paranoid", "kernel.kptr_restrict", "kernel.dmesg_restrict"]
PING_BUDGET_US = 100_000


def _read(path):
    try:
        with open(path) as f:
            return f.read()
    except OSError:
        return None


def _cgroup_mounts():
    """(fs type, mount point, super options) of the host's cgroup file systems."""
    out = []
    for line in (_read("/proc/self/mountinfo") or "").splitlines():
        f = line.split(" ")
        if "-" not in f[6:]:
            continue
        sep = f.index("-", 6)
        if f[sep + 1] in ("cgroup", "cgroup2"):
            out.append((f[sep + 1], f[4], f[sep + 3].split(",")))
    return out


def twin_facts(pid):
    """The limits of the twin's cgroup, read from the host's cgroup file systems."""
    members = []
    for line in (_read("/proc/%s/cgroup" % pid) or "").splitlines():
        parts = line.split(":", 2)
        if len(parts) == 3:
            members.append((parts[1].split(","), parts[2]))
    mounts = _cgroup_mounts()

    def limit(controller, v1_file, v2_file):
        for ctrls, path in members:
            if controller in ctrls:
                for kind, mp, opts in mounts:
                    if kind == "cgroup" and controller in opts:
                        return _read(os.path.join(mp + path, v1_file))
        for ctrls, path in members:
            if ctrls == [""]:
                for kind, mp, _ in mounts:
                    if kind == "cgroup2":
                        v = _read(os.path.join(mp + path, v2_file))
                        if v is not None:
                            return v
        return None

    return {"memory": limit("memory", "memory.limit_in_bytes", "memory.max"),
            "pids": limit("pids", "pids.max", "pids.max")}


def _limit_value(raw):
    """None for no limit, else the number (v1's page-rounded LONG_MAX is no limit)."""
    if raw is None:
        return "unread"
    raw = raw.strip()
    if raw == "max":
        return None
    n = int(raw)
    return None if n >= 1 << 62 else n


def host_landlock_abi():
    libc = ctypes.CDLL(None, use_errno=True)
    libc.syscall.restype = ctypes.c_long
    r = libc.syscall(ctypes.c_long(444), None, ctypes.c_size_t(0), ctypes.c_uint(1))
    return r if r > 0 else None


def lab_dir():
    """The lab's directory, as scripts/lab/labdir.sh chooses it."""
    top = os.path.realpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
    return os.environ.get("WHATAMI_LAB") or "/tmp/whatami-lab-" + os.path.basename(top)


def host_ping(path):
    """The checker's own GET /_ping on the lab's socket: the lab check that it answers."""
    s = socket.socket(socket.AF_UNIX)
    s.settimeout(2)
    try:
        s.connect(path)
        s.sendall(b"GET /_ping HTTP/1.1\r\nHost: docker\r\nConnection: close\r\n\r\n")
        return s.recv(4096).split(b"\r\n", 1)[0].decode(errors="replace")
    except OSError as e:
        return "error: %s" % e
    finally:
        s.close()


def _get(d, *path):
    for p in path:
        if not isinstance(d, dict) or p not in d:
            return None
        d = d[p]
    return d


def check(res, config, report, read, twin, exp):
    container = exp["container"]
    mounts, cgroups = report.get("mounts") or {}, report.get("cgroups") or {}
    limits, kube = report.get("kernel_limits") or {}, report.get("kubernetes") or {}
    a = report.get("assessment") or {}
    for name, sec in (("mounts", mounts), ("cgroups", cgroups), ("kernel_limits", limits),
                      ("kubernetes", kube), ("assessment", a)):
        if not sec or "error" in sec:
            res.check("%s gathered" % name, False, "got %s" % sec)
            return

    # --- the assessment
    if config in VERDICTS:
        res.eq("assessment.verdict", a.get("verdict"), VERDICTS[config])
    risks = a.get("risks") or []
    res.check("risks most severe first", [r.get("severity") for r in risks] == sorted(
        (r.get("severity") for r in risks), key=["critical", "high", "medium", "low"].index),
        str([r.get("severity") for r in risks]))
    if config == "lxc":
        # LXC keeps CAP_DAC_READ_SEARCH, and its profile refuses open_by_handle_at.
        dac = [r.get("severity") for r in risks if r.get("id") == "cap_dac_read_search"]
        res.eq("CAP_DAC_READ_SEARCH, open_by_handle_at refused: a medium risk", dac, ["medium"])

    # --- mounts
    if container:
        # A chroot (unshare --root) has no mount on / in its mountinfo: statvfs tells.
        res.eq("mounts.root.read_only", _get(mounts, "root", "read_only"), config in READ_ONLY_ROOT)
    masked = {m["path"]: m["state"] for m in mounts.get("masked") or []}
    if config.startswith(MASKING) and config != "podman-privileged":
        for p in ("/proc/keys", "/proc/timer_list"):
            res.eq("mounts.masked %s" % p, masked.get(p), "masked")
        res.eq("mounts: no block device", mounts.get("devices", {}).get("block"), [])
    if config == "podman-privileged":
        res.eq("mounts.masked /proc/keys (privileged)", masked.get("/proc/keys"), "exposed")
        pseudo = {p["path"]: p["writable"] for p in mounts.get("pseudo") or []}
        res.eq("mounts: /sys writable (privileged)", pseudo.get("/sys"), True)
        host_blocks = sorted(n for n in os.listdir("/dev") if stat.S_ISBLK(os.stat("/dev/" + n).st_mode))
        got = sorted(b["path"][len("/dev/"):] for b in mounts.get("devices", {}).get("block") or [])
        res.eq("mounts: the host's block devices (privileged)", got, host_blocks)
    sockets = mounts.get("sockets") or []
    if config == "podman-socket":
        lab = os.path.join(lab_dir(), "podman-api", "podman.sock")
        status = host_ping(lab)
        res.check("lab: the podman API socket answers the checker", status.startswith("HTTP/1.1 200"), status)
        s = next((x for x in sockets if x.get("path") == SOCKET_IN_CONTAINER), None)
        if res.check("mounts.sockets has %s" % SOCKET_IN_CONTAINER, s is not None, str(sockets)):
            res.eq("socket runtime, Docker API", (s.get("runtime"), s.get("docker_api")), ("podman", True))
            res.eq("socket host path", s.get("host_path"), lab)
            res.eq("socket connect", s.get("connect"), "connected")
            p = s.get("ping") or {}
            res.eq("socket GET /_ping status", (p.get("answered"), p.get("status")), (True, 200))
            res.check("socket server is podman's", (p.get("server") or "").startswith("Libpod/"), str(p))
            res.check("socket ping within %d us" % PING_BUDGET_US, (p.get("elapsed_us") or 1e9) < PING_BUDGET_US,
                      str(p.get("elapsed_us")), info="%s us" % p.get("elapsed_us"))
        first = risks[0] if risks else {}
        res.eq("first risk: the socket", (first.get("id"), first.get("severity")), ("runtime_socket", "critical"))
        res.check("the socket risk names it", SOCKET_IN_CONTAINER in (first.get("text") or ""), first.get("text"))
    elif container:
        res.eq("mounts.sockets", sockets, [])

    # --- cgroups: the twin's limits as the host sees them
    tl = (twin.get("environment") or {}) if twin else {}
    # Left out: configurations without their own cgroup, or (containerd's default spec and
    # lxc-execute on a hybrid host) without a cgroup file system inside, where the limits
    # cannot be read.
    if container and tl and config not in ("bwrap", "bwrap-seccomp", "unshare-all", "podman-rootless",
                                           "containerd", "lxc"):
        got = cgroups.get("limits") or {}
        for key in ("memory", "pids"):
            want = _limit_value(tl.get(key))
            mine = got.get(key)
            res.eq("cgroups.limits.%s.max" % key, mine.get("max") if isinstance(mine, dict) else "unread", want)
    private_cg = twin["ns"]["cgroup"] != 0xEFFFFFFB if twin else None
    res.eq("cgroups.private_namespace", cgroups.get("private_namespace"), private_cg)

    # --- kernel limits
    sysctls = {s["name"]: s.get("value") for s in limits.get("sysctls") or []}
    for name in GLOBAL_SYSCTLS:
        host = _read("/proc/sys/" + name.replace(".", "/"))
        host = " ".join(host.split()) if host is not None else None
        if sysctls.get(name) is not None or host is None:
            res.eq("kernel_limits %s" % name, sysctls.get(name), host)
    ll = limits.get("landlock") or {}
    allowed = twin is not None and seccomp_truth.truth(twin["filters"], "x86_64", 444)["verdict"] == "allowed"
    if allowed:
        res.eq("kernel_limits.landlock.abi", ll.get("abi"), host_landlock_abi())
    else:
        res.check("kernel_limits.landlock: the policy refuses the query and it says so",
                  ll.get("abi") is None and "seccomp" in (ll.get("note") or ""), str(ll), info=ll.get("note"))

    # --- Kubernetes: none in this lab
    res.eq("kubernetes.pod", kube.get("pod"), False)

    # --- --check restricted
    rc = (read("check.txt.rc") or "").strip()
    out = read("check.txt") or ""
    restricted = _get(a, "pod_security", "restricted")
    res.check("--check restricted exits 5 exactly when restricted fails", rc in ("0", "3", "5") and
              (rc == "5") == (restricted == "fail"), "exit %s, pod_security.restricted %s" % (rc, restricted))
    if config in CHECK_PASSES:
        res.eq("--check restricted passes (exit 0)", rc, "0")
        res.check("--check restricted says passed", "check restricted: passed" in out, out[-300:])
    if config in CHECK_FAILS:
        res.eq("--check restricted fails (exit 5)", rc, "5")
        want = "FAILED (%d of " % len(CHECK_FAILS[config])
        # The closing line, wrapped at the width: its words, joined again.
        closing = " ".join(out.rstrip().split("\n\n")[-1].split())
        named = all(c in closing for c in CHECK_FAILS[config]) if out else False
        res.check("--check restricted names why: %s" % ", ".join(CHECK_FAILS[config]),
                  want in out and named, out[-400:])
