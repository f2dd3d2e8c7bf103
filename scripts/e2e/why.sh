#!/bin/bash
# `whatami why` end to end: real commands that really fail, inside real runtimes, each for a
# reason the case knows (Docker's profile, a profile that blocks mkdir, a missing capability,
# a read-only volume, no_new_privs, a file mode, a profile that refuses ptrace).
#
#   scripts/e2e/why.sh BIN OUTDIR [CONFIG...]      (root; scripts/e2e/run calls it)
#
# Runs each case whose base configuration is among CONFIG (all without any) as
#   whatami why --json -o /tmp/why.json -- COMMAND...
# inside a fresh copy of the lab's rootfs, and keeps in OUTDIR/why/<case>/: out.txt (whatami's
# exit status, then the explanation), case.txt (what ran). scripts/e2e/why_check.py holds the
# expectations; check.py calls it. Needs the lab (scripts/lab/setup.sh) and, for the dockerd
# cases, the lab's dockerd running.
set -euo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck source=../lab/lib.sh
. "$top/scripts/lab/lib.sh"
BIN=$1 OUT=$2/why
shift 2
selected=" $* "
PY=/usr/bin/python3
say() { printf 'e2e why: %s\n' "$*" >&2; }

rm -rf "$OUT"
mkdir -p "$OUT"
P=$LAB/runs/why-profiles
mkdir -p "$P"
sp() { "$PY" "$top/scripts/lab/seccomp-profile.py" "$@"; }
sp block "$LAB/profiles/podman-default.json" --block ptrace >"$P/podman-errno-ptrace.json"
sp block "$LAB/profiles/podman-default.json" --actions ptrace=SCMP_ACT_KILL_PROCESS >"$P/podman-kill-ptrace.json"

# Inside: run whatami on the command, then print its status and the explanation.
INNER='w=$1; shift; "$w" why --json -o /tmp/why.json -- "$@" >/tmp/why.out 2>/tmp/why.err; echo "==why rc $?"; cat /tmp/why.json'

# What a case may need in its rootfs.
setup_ping_caps() { # ROOTFS: /opt/ping, busybox with cap_net_raw+ep
  mkdir -p "$1/opt"
  cp "$1/bin/busybox" "$1/opt/ping"
  setcap cap_net_raw+ep "$1/opt/ping"
}
setup_secret() { # ROOTFS: /root/secret, root's, mode 0600
  printf 'secret\n' >"$1/root/secret"
  chmod 600 "$1/root/secret"
}
setup_swapfile() { # ROOTFS: /swapfile, 64 KiB of zeros (no swap signature: the kernel would refuse it too)
  head -c 65536 /dev/zero >"$1/swapfile"
  chmod 600 "$1/swapfile"
}

podman_run() { # CONFIG NAME ROOTFS OPTIONS... -- CMD...
  local config=$1 name=$2 R=$3
  shift 3
  local opts=()
  while [ "$1" != -- ]; do opts+=("$1"); shift; done
  shift
  [ "$config" != podman-uidmap ] || opts+=(--uidmap 0:100000:65536 --gidmap 0:100000:65536)
  (cd / && env -i "PATH=$LAB_PATH" "CONTAINERS_CONF=$LAB/containers.conf" "CONTAINERS_STORAGE_CONF=$LAB/storage.conf" \
    timeout -k 5 "$LAB_TIMEOUT" podman run -i --rm --name "$name" --network none --hostname whatami-podman \
    "${opts[@]}" --rootfs "$R" "$@" < <(:))
}

docker_run() { # NAME ROOTFS OPTIONS... -- CMD...
  local name=$1 R=$2
  shift 2
  local opts=()
  while [ "$1" != -- ]; do opts+=("$1"); shift; done
  shift
  local image=whatami-lab/why-$name:latest rc=0
  # File capabilities travel in the image only as extended attributes of the tar.
  tar --xattrs --xattrs-include='security.capability' -C "$R" -c . |
    timeout "$LAB_TIMEOUT" "$LAB_DOCKER" -H "$LAB_DOCKER_SOCK" import - "$image" >/dev/null
  (cd / && timeout -k 5 "$LAB_TIMEOUT" "$LAB_DOCKER" -H "$LAB_DOCKER_SOCK" run --rm --name "$name" \
    --network none --hostname whatami-docker "${opts[@]}" "$image" "$@" < <(:)) || rc=$?
  timeout 30 "$LAB_DOCKER" -H "$LAB_DOCKER_SOCK" rmi "$image" >/dev/null 2>&1 || true
  return "$rc"
}

# why_case NAME CONFIG SETUP [OPTIONS...] -- COMMAND...
#   CONFIG: the lab configuration the case runs in; the case runs when CONFIG is selected.
#   SETUP: a function given the rootfs, or -.
#   OPTIONS: extra podman/docker run options (runc configurations take none).
why_case() {
  local name=$1 config=$2 setup=$3
  shift 3
  if [ "$selected" != "  " ] && [[ $selected != *" $config "* ]]; then return 0; fi
  local opts=()
  while [ "$1" != -- ]; do opts+=("$1"); shift; done
  shift
  local o=$OUT/$name dir=$LAB/runs/why-$name rc=0
  mkdir -p "$o"
  say "$name ($config)"
  lab_prepare "$config" "$dir"
  cp "$BIN" "$dir/rootfs/whatami"
  [ "$setup" = - ] || "$setup" "$dir/rootfs"
  {
    echo "config: $config ($(lab_describe "$config"))"
    echo "options: ${opts[*]}"
    echo "command: $*"
  } >"$o/case.txt"
  local cname
  cname=$(lab_name "$dir")
  case $config in
  podman-*) podman_run "$config" "$cname" "$dir/rootfs" "${opts[@]}" -- /bin/sh -c "$INNER" sh /whatami "$@" >"$o/out.txt" 2>"$o/err.txt" || rc=$? ;;
  dockerd*) docker_run "$cname" "$dir/rootfs" "${opts[@]}" -- /bin/sh -c "$INNER" sh /whatami "$@" >"$o/out.txt" 2>"$o/err.txt" || rc=$? ;;
  *) lab_run "$config" "$dir" /bin/sh -c "$INNER" sh /whatami "$@" >"$o/out.txt" 2>"$o/err.txt" || rc=$? ;;
  esac
  echo "$rc" >"$o/runtime.rc"
  rm -rf "$dir"
}

DATE=(date -s "2022-04-19 18:19:09")
why_case date-docker dockerd - -- "${DATE[@]}"
why_case date-runc runc-docker - -- "${DATE[@]}"
why_case date-podman podman-default - -- "${DATE[@]}"
why_case date-containerd containerd - -- "${DATE[@]}"
why_case date-lxc lxc - -- "${DATE[@]}"
why_case date-userns podman-uidmap - --cap-add SYS_TIME -- "${DATE[@]}"
why_case swapon-podman podman-default setup_swapfile -- swapon /swapfile
why_case swapon-docker dockerd setup_swapfile -- swapon /swapfile
why_case mkdir-podman podman-block-mkdir - --security-opt "seccomp=$LAB/profiles/podman-block-mkdir.json" -- mkdir /tmp/newdir
why_case mkdir-docker dockerd-block-mkdir - --security-opt "seccomp=$LAB/profiles/docker-block-mkdir.json" -- mkdir /tmp/newdir
why_case mkdir-runc runc-block-mkdir - -- mkdir /tmp/newdir
why_case ping-podman podman-default - -- ping -c 1 127.0.0.1
why_case ping-cap-drop-all podman-cap-drop-all - --cap-drop ALL -- ping -c 1 127.0.0.1
why_case mount-podman podman-default - -- mount -t tmpfs none /mnt
why_case mount-docker dockerd - -- mount -t tmpfs none /mnt
ro_volume() { mkdir -p "$1/../data" "$1/data"; }
why_case rofs-podman podman-default ro_volume -v "$LAB/runs/why-rofs-podman/data:/data:ro" -- touch /data/f
why_case unshare-docker dockerd - -- unshare -U true
why_case nnp-docker dockerd setup_ping_caps --user 65534 --security-opt no-new-privileges -- /opt/ping -c 1 127.0.0.1
why_case traced-docker dockerd setup_ping_caps --user 65534 -- /opt/ping -c 1 127.0.0.1
why_case bounding-docker dockerd setup_ping_caps --user 65534 --cap-drop NET_RAW -- /opt/ping -c 1 127.0.0.1
why_case eacces-docker dockerd setup_secret --user 65534 -- cat /root/secret
why_case noptrace-podman podman-default - --security-opt "seccomp=$P/podman-errno-ptrace.json" -- touch /tmp/must-not-exist
why_case noptrace-kill-podman podman-default - --security-opt "seccomp=$P/podman-kill-ptrace.json" -- touch /tmp/must-not-exist
exit 0
