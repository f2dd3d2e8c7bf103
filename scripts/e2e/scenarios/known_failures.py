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
}
