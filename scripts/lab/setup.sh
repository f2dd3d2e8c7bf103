#!/bin/bash
# Prepares the runtime lab: everything scripts/capture-fixtures.sh and scripts/e2e/run need
# to start real containers on this machine without an image registry.
#
#   scripts/lab/setup.sh            (root; the lab is /tmp/whatami-lab-<checkout> unless WHATAMI_LAB says)
#
# Idempotent: a second run only redoes what is missing or out of date. Installs nothing by
# itself unless WHATAMI_LAB_INSTALL=1 (scripts/lab/install-deps.sh does the installing).
#
# Lays out, under $WHATAMI_LAB:
#   rootfs-base/          busybox-static rootfs; every run gets a fresh copy of it, because
#                         runtimes leave files behind (podman: run/.containerenv) that would
#                         make a later configuration look like an earlier one
#   bbbin/                busybox applets, the PATH of commands run on the host file system
#   bin/crun, bin/nspawn  wrappers with this machine's workarounds (see each file)
#   containers.conf, containers-rootless.conf, storage.conf
#   profiles/             podman's and Docker's default profiles, their "block mkdir" variants,
#                         Docker's resolved for its 14 caps (OCI) and as raw BPF
#   bundles/<name>/config.json   OCI configs for bare runc and crun (rootfs and args are
#                         filled in per run by lib.sh)
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=labdir.sh
. "$(dirname "${BASH_SOURCE[0]}")/labdir.sh"
LAB=$WHATAMI_LAB
PY=/usr/bin/python3
log() { printf 'lab: %s\n' "$*" >&2; }

[ "$(id -u)" = 0 ] || { log "needs root"; exit 1; }
if [ "${WHATAMI_LAB_INSTALL:-0}" = 1 ]; then "$here/install-deps.sh"; fi
for tool in busybox podman runc crun bwrap systemd-nspawn unshare setpriv dockerd "$PY"; do
  command -v "$tool" >/dev/null || { log "missing $tool (run scripts/lab/install-deps.sh)"; exit 1; }
done

mkdir -p "$LAB"/{bin,profiles,bundles,runs,podman} "$LAB/bbbin"
chmod 755 "$LAB" "$LAB/runs"

# ---------------------------------------------------------------- rootfs
busybox=$(command -v busybox)
stamp="$(sha256sum "$busybox" | cut -c1-16) v2"
if [ "$(cat "$LAB/rootfs-base.stamp" 2>/dev/null)" != "$stamp" ]; then
  log "building rootfs-base from $busybox"
  R=$LAB/rootfs-base
  rm -rf "$R"
  mkdir -p "$R"/{bin,sbin,usr/bin,usr/sbin,etc,proc,sys,dev,tmp,root,mnt,run,var/tmp}
  chmod 1777 "$R/tmp" "$R/var/tmp"
  cp "$busybox" "$R/bin/busybox"
  # Applets as symlinks next to busybox, so PATH lookups inside the container find them.
  for applet in $("$busybox" --list-full); do
    [ -e "$R/$applet" ] || ln -s /bin/busybox "$R/$applet"
  done
  printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' >"$R/etc/passwd"
  printf 'root:x:0:\nnogroup:x:65534:\n' >"$R/etc/group"
  : >"$R/etc/hosts"; : >"$R/etc/resolv.conf"; : >"$R/etc/hostname"
  # systemd-nspawn refuses a directory without an os-release file.
  printf 'ID=busybox\nNAME=whatami-lab\n' >"$R/etc/os-release"
  echo "$stamp" >"$LAB/rootfs-base.stamp"
fi
[ -e "$LAB/bbbin/sh" ] || "$busybox" --install -s "$LAB/bbbin"

# ---------------------------------------------------------------- wrappers
cat >"$LAB/bin/crun" <<'EOF'
#!/bin/sh
# crun 1.8 refuses a hybrid cgroup layout (v1 controllers plus cgroup2 at
# /sys/fs/cgroup/unified): "cgroups in hybrid mode not supported". Hide the cgroup2 mount
# in a private mount namespace so crun sees plain cgroup v1; elsewhere run crun as it is.
if grep -q ' /sys/fs/cgroup/unified ' /proc/self/mountinfo 2>/dev/null; then
  exec unshare -m sh -c 'umount /sys/fs/cgroup/unified 2>/dev/null; exec crun "$@"' crun "$@"
fi
exec crun "$@"
EOF
cat >"$LAB/bin/nspawn" <<'EOF'
#!/bin/sh
# systemd-nspawn on a machine where systemd is not PID 1:
#  --register=no --keep-unit: there is no machined and no system bus to register with;
#  a tmpfs on /run/systemd/nspawn (in a private mount namespace): nspawn refuses to clean up
#  its propagation directory when /run is not a tmpfs, and fails although the payload ran.
mkdir -p /run/systemd/nspawn
exec unshare -m sh -c 'mount -t tmpfs tmpfs /run/systemd/nspawn && exec systemd-nspawn --register=no --keep-unit --pipe -q "$@"' nspawn "$@"
EOF
chmod 755 "$LAB/bin/crun" "$LAB/bin/nspawn"

# ---------------------------------------------------------------- podman configuration
# CONTAINERS_CONF replaces the distribution's containers.conf, so its 11 default
# capabilities are repeated here (podman's built-in default would be Docker's 14).
# ulimits: this machine's bounding set has no CAP_SYS_RESOURCE and its hard nofile limit is
# 20000, so podman's defaults (1048576 files, 4194304 processes) fail with "setrlimit: Operation
# not permitted"; ask for what can be had. No systemd: cgroupfs and file events.
conf_common='[containers]
default_capabilities = ["CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID", "KILL", "NET_BIND_SERVICE",
  "SETFCAP", "SETGID", "SETPCAP", "SETUID", "SYS_CHROOT"]
default_sysctls = ["net.ipv4.ping_group_range=0 0"]'
cat >"$LAB/containers.conf" <<EOF
$conf_common
default_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]

[engine]
runtime = "crun"
cgroup_manager = "cgroupfs"
events_logger = "file"
tmp_dir = "$LAB/podman/tmp"

[engine.runtimes]
crun = ["$LAB/bin/crun"]
runc = ["$(command -v runc)"]
EOF
# Rootless: no limits can be raised and crun's cgroup workaround needs root; use runc.
cat >"$LAB/containers-rootless.conf" <<EOF
$conf_common
default_ulimits = []

[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"

[engine.runtimes]
runc = ["$(command -v runc)"]
EOF
cat >"$LAB/storage.conf" <<EOF
[storage]
driver = "overlay"
graphroot = "$LAB/podman/storage"
runroot = "$LAB/podman/run"
EOF

# ---------------------------------------------------------------- profiles
P=$LAB/profiles
cp /usr/share/containers/seccomp.json "$P/podman-default.json"
docker_json=/usr/share/gocode/src/github.com/docker/docker/profiles/seccomp/default.json
if [ ! -f "$docker_json" ]; then
  # The profile dockerd compiles in ships as JSON in golang-github-docker-docker-dev; unpack
  # that one package rather than installing it with its many Go dependencies.
  docker_json=$LAB/deb/x$docker_json
  if [ ! -f "$docker_json" ]; then
    log "fetching golang-github-docker-docker-dev for Docker's default profile"
    rm -rf "$LAB/deb"; mkdir -p "$LAB/deb"
    fetch() { (cd "$LAB/deb" && timeout 300 apt-get download golang-github-docker-docker-dev >/dev/null 2>&1); }
    # A machine whose package lists were never fetched knows no such package yet.
    fetch || { timeout 300 apt-get update -qq && fetch; } \
      || { log "apt-get download golang-github-docker-docker-dev failed"; exit 1; }
    dpkg -x "$LAB"/deb/*.deb "$LAB/deb/x"
  fi
fi
cp "$docker_json" "$P/docker-default.json"
sp() { "$PY" "$here/seccomp-profile.py" "$@"; }
sp block "$P/podman-default.json" --block mkdir,mkdirat >"$P/podman-block-mkdir.json"
sp block "$P/docker-default.json" --block mkdir,mkdirat >"$P/docker-block-mkdir.json"
sp resolve "$P/docker-default.json" --caps docker >"$P/docker-default.oci.json"
sp resolve "$P/docker-default.json" --caps none >"$P/docker-default.nocaps.oci.json"
# bwrap takes raw BPF; compile Docker's profile for a process with no capabilities (bwrap
# runs with --cap-drop ALL in that configuration).
sp bpf "$P/docker-default.nocaps.oci.json" "$P/docker-default.nocaps.bpf" 2>"$P/docker-default.nocaps.bpf.log"

# ---------------------------------------------------------------- OCI bundles
# Like the config dockerd hands to runc: pid, ipc, uts, mount and network namespaces,
# Docker's 14 capabilities, no_new_privs off, Docker's profile resolved for those caps.
bundle() { # runtime name seccomp-args...
  local rt=$1 name=$2; shift 2
  local B=$P/../bundles/$name
  rm -rf "$B"; mkdir -p "$B"
  (cd "$B" && timeout 30 "$rt" spec)
  "$PY" - "$B/config.json" <<'PY'
import json, sys
p = sys.argv[1]
c = json.load(open(p))
c["process"]["terminal"] = False
c["process"]["noNewPrivileges"] = False
c["process"]["env"] = ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"]
c["root"] = {"path": "rootfs", "readonly": False}
c["linux"]["namespaces"] = [{"type": t} for t in ("pid", "ipc", "uts", "mount", "network")]
json.dump(c, open(p, "w"), indent=1)
PY
  sp patch-bundle "$B/config.json" "$@"
}
bundle runc runc-docker --profile "$P/docker-default.json" --caps docker
bundle crun crun-docker --profile "$P/docker-default.json" --caps docker
bundle runc runc-block-mkdir --profile "$P/docker-default.json" --caps docker --block mkdir,mkdirat
bundle runc runc-unconfined --unconfined --caps docker
# Every action a profile can take, on syscalls whatami and busybox sleep never make, so a
# probe's kill, trap, log and errno answers are checked against real runtimes.
actions=mkdir=SCMP_ACT_KILL_PROCESS,mkdirat=SCMP_ACT_TRAP,rmdir=SCMP_ACT_KILL_THREAD,chmod=SCMP_ACT_LOG,link=SCMP_ACT_ERRNO:13
bundle runc runc-actions --profile "$P/docker-default.json" --caps docker --actions "$actions"
bundle crun crun-actions --profile "$P/docker-default.json" --caps docker --actions "$actions"

# ---------------------------------------------------------------- rootless user
# A user with a subordinate id range, for rootless podman.
if ! id whatami-lab >/dev/null 2>&1; then
  useradd -m -s /bin/sh whatami-lab
fi
grep -q '^whatami-lab:' /etc/subuid 2>/dev/null || echo 'whatami-lab:300000:65536' >>/etc/subuid
grep -q '^whatami-lab:' /etc/subgid 2>/dev/null || echo 'whatami-lab:300000:65536' >>/etc/subgid

log "ready: $LAB"
