"""What `whatami why` gets wrong today in the scenarios (scenarios.py): the checks, by
scenario, expected to fail until whatami is fixed. check.py counts them as known failures,
never as passes, and fails when one of them passes, so that each is taken out of this list
(the one place that says which) as the fix lands. The check names are check.py's."""

NOT_SHOWN = ("shown", "decoded", "first", "only", "fix", "fix-works")

KNOWN_FAILURES = {
    # The EPERM is the nlmsgerr of the kernel's ack to sendmsg/sendto on a netlink socket,
    # read by recvmsg/recvfrom: no syscall fails, and whatami explains nothing.
    "ip-addr-add-docker": NOT_SHOWN,
    "ip-addr-add-podman": NOT_SHOWN,
    "ip-addr-add-containerd": NOT_SHOWN,
    "ip-link-add-docker": NOT_SHOWN,
    "ip-route-add-podman": NOT_SHOWN,
    "tc-qdisc-docker": NOT_SHOWN,
    # Only nft's SO_SNDBUFFORCE setsockopt (it falls back by itself) is shown.
    "nft-add-table-docker": NOT_SHOWN,
    "iptables-nft-podman": NOT_SHOWN,
    # ioctl requests are not decoded; SIOCSIFMTU's CAP_NET_ADMIN is not in the table.
    "ifconfig-mtu-docker": ("decoded", "first", "fix", "fix-works"),
    # bpf's command and attributes are not decoded (map creation is called "loading BPF
    # programs"); the fix adds --cap-add BPF, which Docker 20.10 rejects and which
    # CAP_SYS_ADMIN, the profile's condition, already covers.
    "bpf-map-docker": ("decoded", "never", "fix-works"),
    "bpf-prog-docker": ("decoded", "never", "fix-works"),
    "bpf-map-podman": ("decoded", "never"),
    "bpf-map-containerd": ("decoded",),
    # perf_event_attr is not decoded; for a process's own user-space events the kernel
    # checks neither CAP_PERFMON nor perf_event_paranoid, yet both are named and the fix
    # adds --cap-add PERFMON (rejected by Docker 20.10; SYS_ADMIN covers it).
    "perf-self-user-docker": ("decoded", "only", "never", "fix-works"),
    "perf-kernel-docker": ("decoded", "never", "fix-works"),
    "perf-self-user-podman": ("decoded", "only", "never"),
    "perf-kernel-containerd": ("decoded",),
    # /proc/sys read-only is blamed on "a :ro volume"; the fix is not --sysctl, and the
    # CAP_NET_ADMIN that ip_forward's handler checks once /proc/sys is writable is missed.
    "sysctl-ip-forward-docker": ("also", "fix", "never", "fix-works"),
    "sysctl-ip-forward-podman": ("also", "fix", "never", "fix-works"),
    # --sysctl net.ipv4.ip_unprivileged_port_start is not offered.
    "port-80-user-podman": ("fix",),
    # capset is not decoded, nor explained (a set beyond the permitted one).
    "setcap-nofcap-podman": ("decoded", "first", "fix", "fix-works"),
    # --cap-add SYS_PTRACE gives a non-root whatami nothing.
    "traced-filecap-docker": ("never",),
    # The fix is not in the runtime's form (--tmpfs /scratch:exec).
    "noexec-tmpfs-docker": ("fix", "fix-works"),
    "noexec-tmpfs-podman": ("fix", "fix-works"),
    # No fix for a sticky directory.
    "sticky-tmp-podman": ("fix", "fix-works"),
    # CAP_SYS_PTRACE is named although the child is already whatami's.
    "ptrace-own-child-docker": ("only",),
    # Across users the fix is to trace as the target's user; --cap-add SYS_PTRACE does
    # nothing for a non-root user.
    "ptrace-other-user-docker": ("never", "fix-works"),
    # prlimit64's limits are not decoded; the fix is --cap-add SYS_RESOURCE although the
    # bounding set lacks it (Docker cannot start such a container, podman drops it): the
    # runtime's --ulimit is what works.
    "rlimit-hard-docker": ("decoded", "fix", "fix-works"),
    "rlimit-hard-podman": ("decoded", "fix", "fix-works"),
    # A fallback glibc recovers from is listed like a failure, with a fix.
    "clone3-fallback-docker": ("harmless",),
    "faccessat2-statx-fallback-podman": ("harmless",),
    # syslog's action is not decoded.
    "dmesg-docker": ("decoded",),
    "dmesg-podman": ("decoded",),
}
