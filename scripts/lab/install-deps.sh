#!/bin/bash
# Installs, from Debian's archive, what the runtime lab (and the benchmark: hyperfine) needs,
# and only what is missing, so that a machine that already has everything does not touch
# the network. The `why` scenarios build a static C program (gcc, libc6-dev) and copy
# iproute2's, nftables' and iptables' tools into their rootfs.
set -euo pipefail
pkgs=(crun runc podman bubblewrap systemd-container busybox-static libcap2-bin uidmap
      catatonit python3 python3-seccomp util-linux tar hyperfine tmux
      gcc libc6-dev iproute2 nftables iptables)
# dockerd from Debian's docker.io and LXC, without their recommends (no extra services).
norec=(docker.io lxc)
missing() { for p in "$@"; do dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed' || echo "$p"; done; }
need=$(missing "${pkgs[@]}")
need_norec=$(missing "${norec[@]}")
if [ -n "$need$need_norec" ]; then
  echo "install-deps: installing $need $need_norec" >&2
  export DEBIAN_FRONTEND=noninteractive
  timeout 300 apt-get update -qq
  # shellcheck disable=SC2086
  [ -z "$need" ] || timeout 900 apt-get install -y -qq $need >/dev/null
  # shellcheck disable=SC2086
  [ -z "$need_norec" ] || timeout 900 apt-get install -y -qq --no-install-recommends $need_norec >/dev/null
fi
