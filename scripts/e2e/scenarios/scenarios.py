"""The everyday-failure scenarios of `whatami why`: what runs, what proves its cause, what
whatami must say, and the fix that works. Data only: run.py runs them, check.py checks them.

Each scenario is a command that fails in a real container of the lab (docker: the lab's
dockerd with its built-in profile; podman: the lab's podman, crun, 11 capabilities,
containers-common's profile; containerd: `ctr run --seccomp`, as the lab drives it), and:

  cmd, opts      the command and the container options of the failing run
  fails          text the failing run prints (its exit status must be non-zero)
  controls       the same command with exactly one thing flipped (an option added, removed
                 or replaced, another user, another command); `ok` says whether it must
                 succeed. A control that succeeds proves the cause; one that must still fail
                 proves that a second check stands behind the first
  fix            the fix that works, in the form the runtime in force accepts, applied to
                 the failing run; `verify` (a command and its expected output) replaces the
                 command where the fix is declarative (a sysctl the runtime sets)
  call           the failing call whatami must show: the syscalls it may be, and the decoded
                 text its line must hold (each item a string, or a tuple of alternatives)
  first          the cause (kind as in docs/json.md's causes[].kind, and the capability,
                 sysctl or mount concerned)
  also, may      the secondary causes the kernel checks for this exact call and these
                 arguments (also: must be named; may: may be named; anything else must not)
  says, never    what whatami's fix must hold (each item a string or a tuple of
                 alternatives), and what it must not (a flag the engine rejects, a cause
                 that does not apply)
  kind           "failure" (the default); "harmless": the command succeeds, the failing
                 call is a fallback glibc recovers from, which whatami must mark harmless
                 (failures[].harmless) and give no fix; "observer": the command fails only
                 under whatami (its own tracing is the cause)

Options may name {run}, a directory of the run's own on the host (run.py creates it empty,
with a data/ subdirectory, before each run), and {lab}, the suite's directory in the lab
(where run.py writes the profiles scenarios use).
"""

DOCKER, PODMAN, CONTAINERD = "docker", "podman", "containerd"
NETLINK = ("sendmsg", "sendto", "recvmsg", "recvfrom")


def cause(kind, cap=None, sysctl=None, mount=None, certainty=None):
    """cap: a capability or a tuple of those any of which is right."""
    if isinstance(cap, str):
        cap = (cap,)
    return dict(kind=kind, cap=cap, sysctl=sysctl, mount=mount, certainty=certainty)


def ctl(add=(), remove=(), opts=None, cmd=None, ok=True, proves=""):
    """A control run: options added to or removed from the failing run's (or all of them
    replaced), or another command."""
    return dict(add=list(add), remove=list(remove), opts=opts, cmd=cmd, ok=ok, proves=proves)


def fix(add=(), remove=(), opts=None, cmd=None, verify=None, expect=None, note=""):
    """The fix, as a control: options added, removed or replaced, or another command; verify
    and expect: the command whose output shows the fix worked, instead of the command."""
    return dict(add=list(add), remove=list(remove), opts=opts, cmd=cmd, verify=verify, expect=expect, note=note)


def call(syscalls, *decoded):
    if isinstance(syscalls, str):
        syscalls = (syscalls,)
    return dict(syscalls=tuple(syscalls), decoded=list(decoded))


def sc(name, engine, area, cmd, *, opts=(), fails="", controls=(), fix=None, call=None, first=None,
       also=(), may=(), says=(), never=(), kind="failure", note=""):
    return dict(name=name, engine=engine, area=area, cmd=list(cmd), opts=list(opts), fails=fails,
                controls=list(controls), fix=fix, call=call, first=first, also=list(also), may=list(may),
                says=list(says), never=list(never), kind=kind, note=note)


EPERM = "Operation not permitted"
CAP = "capability"
SECCOMP = cause("seccomp", certainty="exact")
K8S_CAPS = "securityContext.capabilities.add"
UNCONFINED = ["--security-opt", "seccomp=unconfined"]


def netlink(name, engine, cmd, types, fails="RTNETLINK answers: Operation not permitted", note=""):
    """A netlink request that changes network state: the kernel answers EPERM in the ack,
    after checking CAP_NET_ADMIN in the user namespace owning the network namespace."""
    add = ["--cap-add", "CAP_NET_ADMIN" if engine == CONTAINERD else "NET_ADMIN"]
    says = [(K8S_CAPS,), "NET_ADMIN"] if engine == CONTAINERD else ["--cap-add NET_ADMIN"]
    return sc(name, engine, "netlink", cmd, fails=fails,
              controls=[ctl(add, proves="CAP_NET_ADMIN is what the kernel checks")], fix=fix(add),
              call=call(NETLINK, types), first=cause(CAP, "CAP_NET_ADMIN"), says=says, note=note)


# iproute2's tools by their path: busybox's shell runs its own applets (ip, tc) by name.
IP, TC = "/usr/sbin/ip", "/usr/sbin/tc"
ADDR = [IP, "addr", "add", "10.9.0.1/24", "dev", "lo"]
TMPFS = ["mount", "-t", "tmpfs", "none", "/mnt"]
SYSCTL_FWD = ["sysctl", "-w", "net.ipv4.ip_forward=1"]
NOFILE = ["sh", "-c", "ulimit -H -n 4096"]
NOEXEC = ["sh", "-c", "cp /bin/busybox /scratch/ && /scratch/busybox true"]
PODMAN_NOFILE = ["--ulimit", "nofile=1024:2048", "--ulimit", "nproc=32768:32768"]
UIDMAP = ["--uidmap", "0:100000:65536", "--gidmap", "0:100000:65536"]

SCENARIOS = [
    # ------------------------------------------------------------------ netlink
    netlink("ip-addr-add-docker", DOCKER, ADDR, "RTM_NEWADDR"),
    netlink("ip-addr-add-podman", PODMAN, ADDR, "RTM_NEWADDR"),
    netlink("ip-addr-add-containerd", CONTAINERD, ADDR, "RTM_NEWADDR"),
    netlink("ip-link-add-docker", DOCKER, [IP, "link", "add", "veth0", "type", "veth", "peer", "name", "veth1"],
            "RTM_NEWLINK"),
    netlink("ip-route-add-podman", PODMAN, [IP, "route", "add", "10.10.0.0/24", "dev", "lo"], "RTM_NEWROUTE"),
    netlink("tc-qdisc-docker", DOCKER,
            [TC, "qdisc", "add", "dev", "lo", "root", "tbf", "rate", "1mbit", "burst", "32kbit", "latency", "400ms"],
            "RTM_NEWQDISC"),
    # The interface older tools use: an ioctl on any socket, CAP_NET_ADMIN all the same.
    sc("ifconfig-mtu-docker", DOCKER, "netlink", ["ifconfig", "lo", "mtu", "1280"], fails="SIOCSIFMTU: " + EPERM,
       controls=[ctl(["--cap-add", "NET_ADMIN"], proves="CAP_NET_ADMIN is what the kernel checks")],
       fix=fix(["--cap-add", "NET_ADMIN"]), call=call("ioctl", "SIOCSIFMTU"),
       first=cause(CAP, "CAP_NET_ADMIN"), says=["--cap-add NET_ADMIN"]),
    # nfnetlink checks CAP_NET_ADMIN for every request. nft first asks for the ruleset's
    # generation (NFT_MSG_GETGEN, refused), then sends its batch, which the kernel refuses
    # as a whole, acking its first message (the batch's begin).
    netlink("nft-add-table-docker", DOCKER, ["nft", "add", "table", "inet", "filter"],
            ("NFT_MSG_GETGEN", "NFT_MSG_NEWTABLE", "NFNL_MSG_BATCH_BEGIN"), fails=EPERM),
    # iptables-nft first asks nft_compat for the tcp match's revisions, then for the
    # generation; both are refused.
    netlink("iptables-nft-podman", PODMAN, ["iptables-nft", "-A", "INPUT", "-p", "tcp", "--dport", "80", "-j", "ACCEPT"],
            ("NFT_MSG_GETGEN", "NFNL_MSG_COMPAT_GET"), fails="Permission denied (you must be root)"),

    # ------------------------------------------------------------------ bpf
    # kernel.unprivileged_bpf_disabled is 2 here: map creation and program loading need
    # CAP_BPF (or CAP_SYS_ADMIN) whatever the profile says. Docker 20.10's profile allows bpf
    # only with CAP_SYS_ADMIN, and its engine rejects --cap-add BPF: SYS_ADMIN grants both.
    sc("bpf-map-docker", DOCKER, "bpf", ["calls", "bpf-map"], fails=EPERM,
       controls=[ctl(["--cap-add", "SYS_ADMIN"], proves="SYS_ADMIN satisfies the profile and the kernel"),
                 ctl(UNCONFINED, ok=False, proves="without the profile, the kernel still wants CAP_BPF")],
       fix=fix(["--cap-add", "SYS_ADMIN"]), call=call("bpf", "BPF_MAP_CREATE", "BPF_MAP_TYPE_ARRAY"),
       first=SECCOMP, also=[cause(CAP, ("CAP_BPF", "CAP_SYS_ADMIN"))],
       may=[cause("sysctl", sysctl="kernel.unprivileged_bpf_disabled")],
       says=["--cap-add SYS_ADMIN"], never=["--cap-add BPF", "load BPF programs"]),
    sc("bpf-prog-docker", DOCKER, "bpf", ["calls", "bpf-prog"], fails=EPERM,
       controls=[ctl(["--cap-add", "SYS_ADMIN"], proves="SYS_ADMIN satisfies the profile and the kernel"),
                 ctl(UNCONFINED, ok=False, proves="without the profile, the kernel still wants CAP_BPF")],
       fix=fix(["--cap-add", "SYS_ADMIN"]), call=call("bpf", "BPF_PROG_LOAD", "BPF_PROG_TYPE_SOCKET_FILTER"),
       first=SECCOMP, also=[cause(CAP, ("CAP_BPF", "CAP_SYS_ADMIN"))],
       may=[cause("sysctl", sysctl="kernel.unprivileged_bpf_disabled")],
       says=["--cap-add SYS_ADMIN"], never=["--cap-add BPF"]),
    # podman accepts --cap-add BPF, but containers-common's profile lets bpf through only
    # with CAP_SYS_ADMIN: BPF alone changes nothing.
    sc("bpf-map-podman", PODMAN, "bpf", ["calls", "bpf-map"], fails=EPERM,
       controls=[ctl(["--cap-add", "SYS_ADMIN"], proves="SYS_ADMIN satisfies the profile and the kernel"),
                 ctl(["--cap-add", "BPF"], ok=False, proves="the profile ignores CAP_BPF"),
                 ctl(UNCONFINED, ok=False, proves="without the profile, the kernel still wants CAP_BPF")],
       fix=fix(["--cap-add", "SYS_ADMIN"]), call=call("bpf", "BPF_MAP_CREATE", "BPF_MAP_TYPE_ARRAY"),
       first=SECCOMP, also=[cause(CAP, ("CAP_BPF", "CAP_SYS_ADMIN"))],
       may=[cause("sysctl", sysctl="kernel.unprivileged_bpf_disabled")],
       says=["--cap-add SYS_ADMIN"], never=["load BPF programs"]),
    # containerd's profile allows bpf with CAP_BPF, and containerd knows the name.
    sc("bpf-map-containerd", CONTAINERD, "bpf", ["calls", "bpf-map"], fails=EPERM,
       controls=[ctl(["--cap-add", "CAP_BPF"], proves="CAP_BPF satisfies the profile and the kernel")],
       fix=fix(["--cap-add", "CAP_BPF"]), call=call("bpf", "BPF_MAP_CREATE"),
       first=SECCOMP, also=[cause(CAP, ("CAP_BPF", "CAP_SYS_ADMIN"))],
       may=[cause("sysctl", sysctl="kernel.unprivileged_bpf_disabled")],
       says=[K8S_CAPS, "BPF"]),

    # ------------------------------------------------------------------ perf_event_open
    # kernel.perf_event_paranoid is 2: a process may count its own user-space events without
    # any capability; counting the kernel too needs CAP_PERFMON (or CAP_SYS_ADMIN).
    sc("perf-self-user-docker", DOCKER, "perf", ["calls", "perf", "user"], fails=EPERM,
       controls=[ctl(UNCONFINED, proves="the profile alone refuses it: no capability, no sysctl in the way")],
       fix=fix(["--cap-add", "SYS_ADMIN"], note="the profile's condition"),
       call=call("perf_event_open", "PERF_TYPE_SOFTWARE", "exclude_kernel=1"),
       first=SECCOMP, says=["--cap-add SYS_ADMIN"], never=["PERFMON", "perf_event_paranoid"]),
    sc("perf-kernel-docker", DOCKER, "perf", ["calls", "perf", "kernel"], fails=EPERM,
       controls=[ctl(["--cap-add", "SYS_ADMIN"], proves="SYS_ADMIN satisfies the profile and the kernel"),
                 ctl(UNCONFINED, ok=False, proves="without the profile, perf_event_paranoid still refuses (EACCES)")],
       fix=fix(["--cap-add", "SYS_ADMIN"]), call=call("perf_event_open", "exclude_kernel=0"),
       first=SECCOMP, also=[cause(CAP, ("CAP_PERFMON", "CAP_SYS_ADMIN"))],
       may=[cause("sysctl", sysctl="kernel.perf_event_paranoid")],
       says=["--cap-add SYS_ADMIN"], never=["--cap-add PERFMON"]),
    sc("perf-self-user-podman", PODMAN, "perf", ["calls", "perf", "user"], fails=EPERM,
       controls=[ctl(UNCONFINED, proves="the profile alone refuses it")],
       fix=fix(["--cap-add", "SYS_ADMIN"], note="the profile's condition"),
       call=call("perf_event_open", "exclude_kernel=1"),
       first=SECCOMP, says=["--cap-add SYS_ADMIN"], never=["PERFMON", "perf_event_paranoid"]),
    sc("perf-kernel-containerd", CONTAINERD, "perf", ["calls", "perf", "kernel"], fails=EPERM,
       controls=[ctl(["--cap-add", "CAP_PERFMON"], proves="CAP_PERFMON satisfies the profile and the kernel")],
       fix=fix(["--cap-add", "CAP_PERFMON"]), call=call("perf_event_open", "exclude_kernel=0"),
       first=SECCOMP, also=[cause(CAP, ("CAP_PERFMON", "CAP_SYS_ADMIN"))],
       may=[cause("sysctl", sysctl="kernel.perf_event_paranoid")],
       says=[K8S_CAPS, "PERFMON"]),

    # ------------------------------------------------------------------ sysctls and ports
    # /proc/sys is read-only by the runtime's default; made writable, ip_forward's handler
    # still wants CAP_NET_ADMIN. The runtime sets a namespaced sysctl for the container.
    sc("sysctl-ip-forward-docker", DOCKER, "sysctl", SYSCTL_FWD, fails="Read-only file system",
       controls=[ctl(["--security-opt", "systempaths=unconfined"], ok=False,
                     proves="/proc/sys writable, the write still needs CAP_NET_ADMIN"),
                 ctl(["--cap-add", "NET_ADMIN"], ok=False, proves="CAP_NET_ADMIN alone: /proc/sys is still read-only"),
                 ctl(["--security-opt", "systempaths=unconfined", "--cap-add", "NET_ADMIN"],
                     proves="both together: the two causes, and nothing else")],
       fix=fix(["--sysctl", "net.ipv4.ip_forward=1"], verify=["sysctl", "-n", "net.ipv4.ip_forward"], expect="1"),
       call=call(("openat", "open"), "net/ipv4/ip_forward"),
       first=cause("read_only_mount", mount="/proc/sys"), also=[cause(CAP, "CAP_NET_ADMIN")],
       says=["--sysctl net.ipv4.ip_forward=1"], never=[":ro volume"]),
    sc("sysctl-ip-forward-podman", PODMAN, "sysctl", SYSCTL_FWD, fails="Read-only file system",
       controls=[ctl(["--security-opt", "unmask=/proc/sys"], ok=False,
                     proves="/proc/sys writable, the write still needs CAP_NET_ADMIN"),
                 ctl(["--security-opt", "unmask=/proc/sys", "--cap-add", "NET_ADMIN"], proves="both together")],
       fix=fix(["--sysctl", "net.ipv4.ip_forward=1"], verify=["sysctl", "-n", "net.ipv4.ip_forward"], expect="1"),
       call=call(("openat", "open"), "net/ipv4/ip_forward"),
       first=cause("read_only_mount", mount="/proc/sys"), also=[cause(CAP, "CAP_NET_ADMIN")],
       says=["--sysctl net.ipv4.ip_forward=1"], never=[":ro volume"]),
    # podman leaves ip_unprivileged_port_start at 1024 (Docker 20.10 sets it to 0: a lab check).
    sc("port-80-user-podman", PODMAN, "ports", ["calls", "bind", "80"], opts=["--user", "1000"],
       fails="Permission denied",
       controls=[ctl(["--user", "0"], remove=["--user", "1000"], proves="root, with CAP_NET_BIND_SERVICE, may")],
       fix=fix(["--sysctl", "net.ipv4.ip_unprivileged_port_start=80"]), call=call("bind", "80"),
       first=cause(CAP, "CAP_NET_BIND_SERVICE"), may=[cause("sysctl", sysctl="net.ipv4.ip_unprivileged_port_start")],
       says=["--sysctl net.ipv4.ip_unprivileged_port_start="]),
    sc("port-80-nocap-podman", PODMAN, "ports", ["calls", "bind", "80"], opts=["--cap-drop", "NET_BIND_SERVICE"],
       fails="Permission denied",
       controls=[ctl(remove=["--cap-drop", "NET_BIND_SERVICE"], proves="with podman's default capabilities it binds")],
       fix=fix(["--cap-add", "NET_BIND_SERVICE"], remove=["--cap-drop", "NET_BIND_SERVICE"]), call=call("bind", "80"),
       first=cause(CAP, "CAP_NET_BIND_SERVICE"), may=[cause("sysctl", sysctl="net.ipv4.ip_unprivileged_port_start")],
       says=[("--cap-add NET_BIND_SERVICE", "--sysctl net.ipv4.ip_unprivileged_port_start=")]),

    # ------------------------------------------------------------------ file capabilities, no_new_privs
    # A file capability the bounding set lacks, with its effective bit: execve refuses it.
    sc("filecap-bounding-podman", PODMAN, "file capabilities", ["/opt/ip-netadmin", "addr", "add", "10.9.0.1/24", "dev", "lo"],
       opts=["--user", "1000"], fails=EPERM,
       controls=[ctl(["--cap-add", "NET_ADMIN"], proves="with NET_ADMIN in the bounding set it runs, and works")],
       fix=fix(["--cap-add", "NET_ADMIN"]), call=call("execve", "/opt/ip-netadmin"),
       first=cause("exec_capabilities", "CAP_NET_ADMIN"), says=["--cap-add NET_ADMIN"]),
    sc("filecap-nnp-docker", DOCKER, "no_new_privs", ["/opt/ping", "-c", "1", "127.0.0.1"],
       opts=["--user", "1000", "--security-opt", "no-new-privileges"], fails="permission denied",
       controls=[ctl(remove=["--security-opt", "no-new-privileges"], proves="without no_new_privs the file capability counts")],
       fix=fix(remove=["--security-opt", "no-new-privileges"]), call=call("socket", "SOCK_RAW"),
       first=cause("no_new_privs"), also=[cause(CAP, "CAP_NET_RAW")], may=[cause("tracing")],
       says=["no-new-privileges"]),
    sc("setuid-nnp-docker", DOCKER, "no_new_privs", ["/opt/calls-suid", "read", "/srv/secret"],
       opts=["--user", "1000", "--security-opt", "no-new-privileges"], fails="Permission denied",
       controls=[ctl(remove=["--security-opt", "no-new-privileges"], proves="without no_new_privs the set-user-ID bit counts")],
       fix=fix(remove=["--security-opt", "no-new-privileges"]), call=call(("openat", "open"), "/srv/secret"),
       first=cause("no_new_privs"), also=[cause("file_permissions")], may=[cause("tracing")],
       says=["no-new-privileges"]),
    # setcap first raises CAP_SETFCAP in its effective set (capset), which needs it permitted.
    sc("setcap-nofcap-podman", PODMAN, "file capabilities", ["setcap", "cap_net_raw+ep", "/opt/ping"],
       opts=["--cap-drop", "SETFCAP"], fails="unable to set CAP_SETFCAP",
       controls=[ctl(remove=["--cap-drop", "SETFCAP"], proves="with podman's default SETFCAP it works")],
       fix=fix(["--cap-add", "SETFCAP"], remove=["--cap-drop", "SETFCAP"]), call=call("capset", "CAP_SETFCAP"),
       first=cause(CAP, "CAP_SETFCAP"), says=["--cap-add SETFCAP"]),
    # Untraced, the file capability works; traced by a tracer without CAP_SYS_PTRACE, the
    # kernel runs the program without it.
    sc("traced-filecap-docker", DOCKER, "file capabilities", ["/opt/ping", "-c", "1", "127.0.0.1"],
       opts=["--user", "1000"], kind="observer",
       controls=[ctl(["--cap-add", "SYS_PTRACE"], cmd=["/whatami", "why", "--", "/opt/ping", "-c", "1", "127.0.0.1"],
                     ok=False, proves="--cap-add SYS_PTRACE gives whatami, a non-root user's process, nothing")],
       call=call("socket", "SOCK_RAW"), first=cause("tracing"), may=[cause(CAP, "CAP_NET_RAW")],
       never=["--cap-add SYS_PTRACE"]),

    # ------------------------------------------------------------------ read-only and noexec mounts
    sc("ro-volume-docker", DOCKER, "mounts", ["touch", "/data/f"], opts=["-v", "{run}/data:/data:ro"],
       fails="Read-only file system",
       controls=[ctl(opts=["-v", "{run}/data:/data:rw"], proves="the same volume read-write")],
       fix=fix(opts=["-v", "{run}/data:/data:rw"]), call=call(("openat", "open", "utimensat"), "/data/f"),
       first=cause("read_only_mount", mount="/data"), says=[("read-write", ":rw")]),
    sc("read-only-root-podman", PODMAN, "mounts", ["touch", "/etc/x"], opts=["--read-only"],
       fails="Read-only file system",
       controls=[ctl(remove=["--read-only"], proves="the root read-write")],
       fix=fix(remove=["--read-only"]), call=call(("openat", "open", "utimensat"), "/etc/x"),
       first=cause("read_only_mount", mount="/"), says=["--read-only"]),
    sc("noexec-tmpfs-docker", DOCKER, "mounts", NOEXEC, opts=["--tmpfs", "/scratch"], fails="Permission denied",
       controls=[ctl(opts=["--tmpfs", "/scratch:exec"], proves="the same tmpfs with exec")],
       fix=fix(opts=["--tmpfs", "/scratch:exec"]), call=call("execve", "/scratch/busybox"),
       first=cause("noexec_mount", mount="/scratch"), says=[("--tmpfs /scratch:exec", ":exec")]),
    sc("noexec-tmpfs-podman", PODMAN, "mounts", NOEXEC, opts=["--tmpfs", "/scratch:noexec"], fails="Permission denied",
       controls=[ctl(opts=["--tmpfs", "/scratch:exec"], proves="the same tmpfs with exec")],
       fix=fix(opts=["--tmpfs", "/scratch:exec"]), call=call("execve", "/scratch/busybox"),
       first=cause("noexec_mount", mount="/scratch"), says=[("--tmpfs /scratch:exec", ":exec")]),

    # ------------------------------------------------------------------ permissions
    sc("eacces-file-docker", DOCKER, "permissions", ["cat", "/srv/secret"], opts=["--user", "1000"],
       fails="Permission denied",
       controls=[ctl(opts=["--user", "0"], proves="its owner reads it")],
       fix=fix(opts=["--user", "0"]), call=call(("openat", "open"), "/srv/secret"),
       first=cause("file_permissions"), says=[("--user", "chmod", "chown")]),
    sc("eacces-dir-podman", PODMAN, "permissions", ["touch", "/srv/shared/new"], opts=["--user", "1000"],
       fails="Permission denied",
       controls=[ctl(opts=["--user", "0"], proves="the directory's owner writes in it")],
       fix=fix(opts=["--user", "0"]), call=call(("openat", "open", "utimensat"), "/srv/shared/new"),
       first=cause("file_permissions"), says=[("--user", "chmod", "chown")]),
    sc("sticky-tmp-podman", PODMAN, "permissions", ["rm", "/tmp/others-file"], opts=["--user", "1000"],
       fails=EPERM,
       controls=[ctl(opts=["--user", "1001"], proves="the file's owner removes it")],
       fix=fix(opts=["--user", "1001"]), call=call(("unlinkat", "unlink"), "/tmp/others-file"),
       first=cause("sticky_directory"), says=[("--user 1001", "owner")]),
    sc("chown-nocap-podman", PODMAN, "permissions", ["chown", "1000", "/tmp/others-file"],
       opts=["--cap-drop", "CHOWN"], fails=EPERM,
       controls=[ctl(remove=["--cap-drop", "CHOWN"], proves="with podman's default CHOWN it works")],
       fix=fix(["--cap-add", "CHOWN"], remove=["--cap-drop", "CHOWN"]), call=call(("fchownat", "chown", "lchown"), "/tmp/others-file"),
       first=cause(CAP, "CAP_CHOWN"), says=["--cap-add CHOWN"]),

    # ------------------------------------------------------------------ user namespaces
    sc("unshare-user-docker", DOCKER, "user namespaces", ["unshare", "-U", "true"], fails=EPERM,
       controls=[ctl(UNCONFINED, proves="the profile alone refuses it (no capability needed for a user namespace)")],
       fix=fix(["--cap-add", "SYS_ADMIN"], note="the profile's condition"), call=call("unshare", "CLONE_NEWUSER"),
       first=SECCOMP, says=["--cap-add SYS_ADMIN"]),
    sc("unshare-mount-podman", PODMAN, "user namespaces", ["unshare", "-m", "true"], fails=EPERM,
       controls=[ctl(["--cap-add", "SYS_ADMIN"], proves="a mount namespace needs CAP_SYS_ADMIN")],
       fix=fix(["--cap-add", "SYS_ADMIN"]), call=call("unshare", "CLONE_NEWNS"),
       first=cause(CAP, "CAP_SYS_ADMIN"), says=["--cap-add SYS_ADMIN"]),
    # In a user namespace CAP_MKNOD does not count for devices.
    sc("mknod-userns-podman", PODMAN, "user namespaces", ["mknod", "/tmp/null", "c", "1", "3"],
       opts=UIDMAP + ["--cap-add", "MKNOD"], fails=EPERM,
       controls=[ctl(remove=UIDMAP, proves="with the same capability outside a user namespace it works")],
       fix=fix(remove=UIDMAP), call=call(("mknodat", "mknod"), "S_IFCHR", "makedev(0x1, 0x3)"),
       first=cause("user_namespace", "CAP_MKNOD"), says=[("--device", "user namespace")]),

    # ------------------------------------------------------------------ io_uring, keyrings
    sc("io-uring-podman", PODMAN, "io_uring", ["calls", "io-uring"], fails="Function not implemented",
       controls=[ctl(UNCONFINED, proves="the profile alone refuses it (kernel.io_uring_disabled is 0)")],
       fix=fix(UNCONFINED, note="or a profile that lists io_uring_setup"), call=call("io_uring_setup", "8"),
       first=SECCOMP, says=[("seccomp=", "profile")], never=["--cap-add"]),
    sc("add-key-docker", DOCKER, "keyrings", ["calls", "add-key"], fails=EPERM,
       controls=[ctl(UNCONFINED, proves="the profile alone refuses it")],
       fix=fix(UNCONFINED, note="or a profile that lists add_key"), call=call("add_key"),
       first=SECCOMP, says=["seccomp="], never=["--cap-add"]),

    # ------------------------------------------------------------------ ptrace
    # Untraced, root attaches to its own child; under whatami the child is whatami's already.
    sc("ptrace-own-child-docker", DOCKER, "ptrace", ["calls", "ptrace-child"], kind="observer",
       call=call("ptrace", "PTRACE_ATTACH"), first=cause("already_traced"), never=["--cap-add SYS_PTRACE"]),
    # A user attaching to root's process (pid 1, the container's shell): the uids differ, so
    # the kernel wants CAP_SYS_PTRACE, which a non-root user does not get from --cap-add.
    sc("ptrace-other-user-docker", DOCKER, "ptrace", ["su", "-s", "/bin/sh", "app", "-c", "calls ptrace-attach 1"],
       fails=EPERM,
       controls=[ctl(cmd=["calls", "ptrace-attach", "1"], proves="as the target's user, it attaches"),
                 ctl(["--cap-add", "SYS_PTRACE"], ok=False, proves="--cap-add gives the user's process nothing")],
       fix=fix(cmd=["calls", "ptrace-attach", "1"], note="trace as the target's user"),
       call=call("ptrace", "PTRACE_ATTACH"), first=cause(CAP, "CAP_SYS_PTRACE"), says=["the target's user"],
       never=["--cap-add SYS_PTRACE"]),
    sc("vm-read-docker", DOCKER, "ptrace", ["calls", "vm-read"], fails=EPERM,
       controls=[ctl(["--cap-add", "SYS_PTRACE"], proves="the profile's condition; the kernel wants nothing (same user)")],
       fix=fix(["--cap-add", "SYS_PTRACE"]), call=call("process_vm_readv"),
       first=SECCOMP, says=["--cap-add SYS_PTRACE"]),

    # ------------------------------------------------------------------ rlimits
    # Raising a hard limit needs CAP_SYS_RESOURCE, which this machine's bounding set lacks
    # (so no runtime here can grant it): the runtime's own limit is the fix.
    sc("rlimit-hard-docker", DOCKER, "rlimits", NOFILE, opts=["--ulimit", "nofile=1024:2048"],
       fails="error setting limit",
       controls=[ctl(opts=["--ulimit", "nofile=1024:4096"], proves="a hard limit the command need not raise")],
       fix=fix(opts=["--ulimit", "nofile=1024:4096"]), call=call(("prlimit64", "setrlimit"), "RLIMIT_NOFILE", "4096"),
       first=cause(CAP, "CAP_SYS_RESOURCE"), says=["--ulimit nofile="]),
    sc("rlimit-hard-podman", PODMAN, "rlimits", NOFILE, opts=PODMAN_NOFILE, fails="error setting limit",
       controls=[ctl(opts=["--ulimit", "nofile=1024:4096", "--ulimit", "nproc=32768:32768"],
                     proves="a hard limit the command need not raise")],
       fix=fix(opts=["--ulimit", "nofile=1024:4096", "--ulimit", "nproc=32768:32768"]),
       call=call(("prlimit64", "setrlimit"), "RLIMIT_NOFILE", "4096"),
       first=cause(CAP, "CAP_SYS_RESOURCE"), says=["--ulimit nofile="]),

    # ------------------------------------------------------------------ mount, chroot, mknod, set*id
    sc("mount-tmpfs-docker", DOCKER, "mount", TMPFS, fails="permission denied",
       controls=[ctl(["--cap-add", "SYS_ADMIN"], proves="SYS_ADMIN satisfies the profile and the kernel"),
                 ctl(UNCONFINED, ok=False, proves="without the profile, the kernel still wants CAP_SYS_ADMIN")],
       fix=fix(["--cap-add", "SYS_ADMIN"]), call=call("mount", '"tmpfs"'),
       first=SECCOMP, also=[cause(CAP, "CAP_SYS_ADMIN")], says=["--cap-add SYS_ADMIN"]),
    sc("mount-tmpfs-podman", PODMAN, "mount", TMPFS, fails="permission denied",
       controls=[ctl(["--cap-add", "SYS_ADMIN"], proves="the kernel wants CAP_SYS_ADMIN; podman's profile allows mount")],
       fix=fix(["--cap-add", "SYS_ADMIN"]), call=call("mount", '"tmpfs"'),
       first=cause(CAP, "CAP_SYS_ADMIN"), says=["--cap-add SYS_ADMIN"]),
    sc("mount-tmpfs-containerd", CONTAINERD, "mount", TMPFS, fails="permission denied",
       controls=[ctl(["--cap-add", "CAP_SYS_ADMIN"], proves="SYS_ADMIN satisfies the profile and the kernel")],
       fix=fix(["--cap-add", "CAP_SYS_ADMIN"]), call=call("mount", '"tmpfs"'),
       first=SECCOMP, also=[cause(CAP, "CAP_SYS_ADMIN")], says=[K8S_CAPS, "SYS_ADMIN"]),
    sc("chroot-nocap-podman", PODMAN, "chroot", ["chroot", "/", "true"], opts=["--cap-drop", "SYS_CHROOT"],
       fails=EPERM,
       controls=[ctl(remove=["--cap-drop", "SYS_CHROOT"], proves="with podman's default SYS_CHROOT it works")],
       fix=fix(["--cap-add", "SYS_CHROOT"], remove=["--cap-drop", "SYS_CHROOT"]), call=call("chroot", '"/"'),
       first=SECCOMP, also=[cause(CAP, "CAP_SYS_CHROOT")], says=["--cap-add SYS_CHROOT"]),
    sc("mknod-podman", PODMAN, "mknod", ["mknod", "/tmp/null", "c", "1", "3"], fails=EPERM,
       controls=[ctl(["--cap-add", "MKNOD"], proves="podman's default set lacks MKNOD")],
       fix=fix(["--cap-add", "MKNOD"]), call=call(("mknodat", "mknod"), "S_IFCHR"),
       first=cause(CAP, "CAP_MKNOD"), says=["--cap-add MKNOD"]),
    sc("setuid-nocap-docker", DOCKER, "setuid", ["calls", "setuid", "1000"], opts=["--cap-drop", "SETUID"],
       fails=EPERM,
       controls=[ctl(remove=["--cap-drop", "SETUID"], proves="with Docker's default SETUID it works")],
       fix=fix(["--cap-add", "SETUID"], remove=["--cap-drop", "SETUID"]), call=call("setuid", "1000"),
       first=cause(CAP, "CAP_SETUID"), says=["--cap-add SETUID"]),
    # podman gives a non-root user the capabilities --cap-add names (as ambient ones);
    # Docker 20.10 does not: there only another user helps.
    sc("setgid-user-podman", PODMAN, "setuid", ["calls", "setgid", "0"], opts=["--user", "1000"], fails=EPERM,
       controls=[ctl(opts=["--user", "0"], proves="root, with CAP_SETGID, may"),
                 ctl(["--cap-add", "SETGID"], proves="podman hands the user the capability added")],
       fix=fix(["--cap-add", "SETGID"]), call=call("setgid", "0"), first=cause(CAP, "CAP_SETGID"),
       says=[("--cap-add SETGID", "--user 0")]),
    sc("setgid-user-docker", DOCKER, "setuid", ["calls", "setgid", "0"], opts=["--user", "1000"], fails=EPERM,
       controls=[ctl(opts=["--user", "0"], proves="root, with CAP_SETGID, may"),
                 ctl(["--cap-add", "SETGID"], ok=False, proves="Docker gives a non-root user nothing of --cap-add")],
       fix=fix(opts=["--user", "0"]), call=call("setgid", "0"), first=cause(CAP, "CAP_SETGID"),
       never=["--cap-add SETGID"]),

    # ------------------------------------------------------------------ fallbacks glibc recovers from
    sc("clone3-fallback-docker", DOCKER, "fallbacks", ["calls", "thread"], kind="harmless",
       controls=[ctl(UNCONFINED, proves="clone3 allowed, the same outcome")],
       call=call("clone3"), first=SECCOMP),
    sc("faccessat2-statx-fallback-podman", PODMAN, "fallbacks", ["calls", "fallbacks"],
       opts=["--security-opt", "seccomp={lab}/old-podman.json"], kind="harmless",
       controls=[ctl(opts=[], proves="with calls the profile lists, the same outcome")],
       call=call(("faccessat2", "statx")), first=SECCOMP,
       note="a profile older than faccessat2 and statx (podman's, with both answered ENOSYS)"),

    # ------------------------------------------------------------------ more everyday refusals
    sc("hostname-docker", DOCKER, "uts", ["hostname", "newname"], fails=EPERM,
       controls=[ctl(["--cap-add", "SYS_ADMIN"], proves="SYS_ADMIN satisfies the profile and the kernel"),
                 ctl(UNCONFINED, ok=False, proves="without the profile, the kernel still wants CAP_SYS_ADMIN")],
       fix=fix(["--cap-add", "SYS_ADMIN"]), call=call("sethostname", '"newname"'),
       first=SECCOMP, also=[cause(CAP, "CAP_SYS_ADMIN")], says=["--cap-add SYS_ADMIN"]),
    sc("dmesg-docker", DOCKER, "syslog", ["dmesg"], fails=EPERM,
       controls=[ctl(["--cap-add", "SYSLOG"], proves="SYSLOG satisfies the profile and the kernel"),
                 ctl(UNCONFINED, ok=False, proves="without the profile, dmesg_restrict still wants CAP_SYSLOG")],
       fix=fix(["--cap-add", "SYSLOG"]), call=call("syslog", "SYSLOG_ACTION_"),
       first=SECCOMP, also=[cause(CAP, "CAP_SYSLOG")], may=[cause("sysctl", sysctl="kernel.dmesg_restrict")],
       says=["--cap-add SYSLOG"]),
    sc("dmesg-podman", PODMAN, "syslog", ["dmesg"], fails=EPERM,
       controls=[ctl(["--cap-add", "SYSLOG"], proves="kernel.dmesg_restrict=1: CAP_SYSLOG")],
       fix=fix(["--cap-add", "SYSLOG"]), call=call("syslog", "SYSLOG_ACTION_"),
       first=cause(CAP, "CAP_SYSLOG"), may=[cause("sysctl", sysctl="kernel.dmesg_restrict")],
       says=["--cap-add SYSLOG"]),
    sc("renice-docker", DOCKER, "scheduling", ["renice", "-n", "-5", "-p", "1"], fails="Permission denied",
       controls=[ctl(["--cap-add", "SYS_NICE"], proves="lowering the nice value needs CAP_SYS_NICE")],
       fix=fix(["--cap-add", "SYS_NICE"]), call=call("setpriority", "-5"),
       first=cause(CAP, "CAP_SYS_NICE"), says=["--cap-add SYS_NICE"]),
    sc("personality-docker", DOCKER, "personality", ["calls", "norandom"], fails=EPERM,
       controls=[ctl(UNCONFINED, proves="the profile alone refuses this persona")],
       fix=fix(UNCONFINED, note="or a profile that allows it"), call=call("personality", "ADDR_NO_RANDOMIZE"),
       first=SECCOMP, says=["seccomp="], never=["--cap-add"]),
    sc("nsenter-net-docker", DOCKER, "namespaces", ["nsenter", "-t", "1", "-n", "true"], fails=EPERM,
       controls=[ctl(["--cap-add", "SYS_ADMIN"], proves="SYS_ADMIN satisfies the profile and the kernel"),
                 ctl(UNCONFINED, ok=False, proves="without the profile, the kernel still wants CAP_SYS_ADMIN")],
       fix=fix(["--cap-add", "SYS_ADMIN"]), call=call("setns", "CLONE_NEWNET"),
       first=SECCOMP, also=[cause(CAP, "CAP_SYS_ADMIN")], says=["--cap-add SYS_ADMIN"]),
    sc("packet-socket-podman", PODMAN, "sockets", ["calls", "packet-socket"], fails=EPERM,
       controls=[ctl(["--cap-add", "NET_RAW"], proves="podman's default set lacks NET_RAW")],
       fix=fix(["--cap-add", "NET_RAW"]), call=call("socket", "AF_PACKET"),
       first=cause(CAP, "CAP_NET_RAW"), says=["--cap-add NET_RAW"]),
    sc("userfaultfd-docker", DOCKER, "userfaultfd", ["calls", "userfaultfd"], fails=EPERM,
       controls=[ctl(UNCONFINED, ok=False, proves="without the profile, vm.unprivileged_userfaultfd=0 wants CAP_SYS_PTRACE"),
                 ctl(UNCONFINED + ["--cap-add", "SYS_PTRACE"], proves="both together")],
       fix=fix(UNCONFINED + ["--cap-add", "SYS_PTRACE"], note="or a profile that lists userfaultfd"),
       call=call("userfaultfd"), first=SECCOMP, also=[cause(CAP, "CAP_SYS_PTRACE")],
       may=[cause("sysctl", sysctl="vm.unprivileged_userfaultfd")], says=["SYS_PTRACE", "seccomp="]),
]

# Which capability names each engine takes (lab checks): Docker 20.10 validates names
# against its own list, which predates CAP_BPF, CAP_PERFMON and CAP_CHECKPOINT_RESTORE.
CAP_NAMES = {
    DOCKER: {"BPF": False, "PERFMON": False, "CHECKPOINT_RESTORE": False, "SYS_ADMIN": True, "NET_ADMIN": True},
    PODMAN: {"BPF": True, "PERFMON": True, "CHECKPOINT_RESTORE": True, "SYS_ADMIN": True, "NET_ADMIN": True},
    CONTAINERD: {"CAP_BPF": True, "CAP_PERFMON": True, "CAP_CHECKPOINT_RESTORE": True, "CAP_SYS_ADMIN": True},
}
# Sysctls the engines set in every container (lab checks): Docker 20.10 opens low ports and
# ICMP sockets to everyone, so the port scenarios run under podman.
ENGINE_SYSCTLS = {
    DOCKER: {"net.ipv4.ip_unprivileged_port_start": "0", "net.ipv4.ping_group_range": "0\t2147483647"},
    PODMAN: {"net.ipv4.ip_unprivileged_port_start": "1024"},
}
