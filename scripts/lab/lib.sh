# shellcheck shell=bash
# The lab's configurations: how to run a command inside each one, and how to start a twin
# (a long-running `sleep` started the same way) whose host pid shows, from outside, what the
# kernel really gave a process in that configuration.
#
# Source after scripts/lab/setup.sh has run:
#   lab_prepare CONFIG RUNDIR        fresh rootfs copy at RUNDIR/rootfs (put files in it)
#   lab_run CONFIG RUNDIR CMD...     run CMD in the foreground (name its files with
#                                    lab_hostpath: configurations on the host file system
#                                    see them under RUNDIR/rootfs)
#   lab_twin_start CONFIG RUNDIR     start `sleep TOKEN` in the background; sets TWIN_PID
#   lab_twin_stop CONFIG RUNDIR      kill it and clean up what the runtime left
#   lab_cleanup                      remove every container the lab started
#
# The command runs with a minimal environment (env -i), so nothing from the caller's
# environment reaches the container. Every runtime call is bounded by LAB_TIMEOUT seconds.

# shellcheck source=labdir.sh
. "$(dirname "${BASH_SOURCE[0]}")/labdir.sh"
LAB=$WHATAMI_LAB
LAB_TIMEOUT=${LAB_TIMEOUT:-120}
LAB_PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
LAB_DOCKER=/usr/bin/docker
[ -x "$LAB_DOCKER" ] || LAB_DOCKER=$(command -v docker || echo docker)
LAB_DOCKER_SOCK=unix://$LAB/docker/docker.sock
# The containerd that the lab's dockerd manages, driven with ctr in a namespace of the lab's.
LAB_CTR=(ctr -a "$LAB/docker/exec/containerd/containerd.sock" -n whatami-lab)
LAB_ROOTLESS_USER=whatami-lab

# Configurations the fixtures are captured in (and the e2e runs).
LAB_CONFIGS=(host podman-default podman-runc podman-privileged podman-block-mkdir podman-uidmap
  podman-rootless runc-docker crun-docker dockerd nspawn nspawn-userns bwrap unshare-user
  unshare-all setpriv-nnp
  podman-read-only podman-socket podman-hardened)
# More, for the e2e only: the policies they add are worth checking, not worth fixtures.
LAB_E2E_EXTRA=(podman-cap-drop-all podman-docker-profile podman-unconfined runc-block-mkdir
  runc-unconfined runc-actions crun-actions dockerd-block-mkdir bwrap-seccomp containerd lxc)

# Configurations that run on the host's own file system (no rootfs of their own): the
# command's files are placed in RUNDIR/rootfs and named by their host path. Their PATH is
# busybox's applets, so host tools are named by absolute path (busybox has its own
# unshare and setpriv, with other options).
lab_hostfs() { case $1 in host | unshare-user | setpriv-nnp) return 0 ;; esac; return 1; }

lab_describe() {
  case $1 in
  host) echo "no container: env -i on the host" ;;
  podman-default) echo "podman run --rootfs (crun, containers.conf defaults, --network none)" ;;
  podman-runc) echo "podman run --runtime runc --rootfs" ;;
  podman-privileged) echo "podman run --privileged --rootfs" ;;
  podman-block-mkdir) echo "podman run --security-opt seccomp=<podman's profile with mkdir,mkdirat ERRNO(EPERM)>" ;;
  podman-uidmap) echo "podman run --uidmap 0:100000:65536 --gidmap 0:100000:65536 --rootfs" ;;
  podman-rootless) echo "rootless podman (user $LAB_ROOTLESS_USER, runc, --network none)" ;;
  podman-cap-drop-all) echo "podman run --cap-drop ALL --rootfs" ;;
  podman-image) echo "podman run IMAGE (the repository's Dockerfile built with podman build)" ;;
  podman-docker-profile) echo "podman run --security-opt seccomp=<Docker's default profile>" ;;
  podman-unconfined) echo "podman run --security-opt seccomp=unconfined" ;;
  runc-docker) echo "runc run: Docker-like bundle (14 caps, Docker's profile resolved for them)" ;;
  runc-block-mkdir) echo "runc run: Docker-like bundle, mkdir,mkdirat ERRNO(EPERM)" ;;
  runc-unconfined) echo "runc run: Docker-like bundle without seccomp" ;;
  runc-actions | crun-actions) echo "${1%%-*} run: Docker-like bundle; mkdir KILL_PROCESS, mkdirat TRAP, rmdir KILL_THREAD, chmod LOG, link ERRNO(EACCES)" ;;
  crun-docker) echo "crun run: Docker-like bundle (14 caps, Docker's profile resolved for them)" ;;
  dockerd) echo "docker run (dockerd from docker.io, its built-in profile, --network none)" ;;
  dockerd-block-mkdir) echo "docker run --security-opt seccomp=<Docker's profile with mkdir,mkdirat ERRNO(EPERM)>" ;;
  lxc) echo "lxc-execute with LXC's common.conf (its seccomp profile, capabilities dropped, cgroup and proc mounts)" ;;
  containerd) echo "ctr run --seccomp (containerd's RuntimeDefault profile, as CRI applies it; the containerd dockerd manages)" ;;
  nspawn) echo "systemd-nspawn -D ROOTFS" ;;
  nspawn-userns) echo "systemd-nspawn -U -D ROOTFS" ;;
  bwrap) echo "bwrap --unshare-all (as root)" ;;
  bwrap-seccomp) echo "bwrap --unshare-all --cap-drop ALL --seccomp <Docker's profile as BPF>" ;;
  unshare-user) echo "unshare --user --map-root-user (host file system)" ;;
  unshare-all) echo "unshare --user --map-root-user --pid --fork --mount --uts --net --ipc --root ROOTFS" ;;
  setpriv-nnp) echo "setpriv --no-new-privs --inh-caps=-all --bounding-set=-all (host file system)" ;;
  # The environment checks: a read-only root, podman's API socket mounted in (the lab's
  # service, scripts/lab/podman-api.sh), and a container hardened as the restricted Pod
  # Security Standard asks.
  podman-read-only) echo "podman run --read-only --rootfs" ;;
  podman-socket) echo "podman run -v <the lab's podman API socket>:/run/podman/podman.sock --rootfs" ;;
  podman-hardened) echo "podman run --security-opt no-new-privileges --cap-drop ALL --user 1000:1000 --rootfs" ;;
  *) return 1 ;;
  esac
}

lab_log() { printf 'lab: %s\n' "$*" >&2; }

# Path of a container path, as the runtime's caller names it.
lab_hostpath() { # CONFIG RUNDIR PATH
  if lab_hostfs "$1"; then echo "$2/rootfs$3"; else echo "$3"; fi
}

lab_prepare() { # CONFIG RUNDIR
  local config=$1 dir=$2
  lab_describe "$config" >/dev/null || { lab_log "unknown configuration $config"; return 2; }
  rm -rf "$dir"
  mkdir -p "$dir"
  chmod 755 "$dir"
  if lab_hostfs "$config"; then
    mkdir -p "$dir/rootfs"
  else
    cp -a "$LAB/rootfs-base" "$dir/rootfs"
  fi
  # The container's root must own its rootfs, as it would own an image's files.
  case $config in
  podman-rootless) chown -R "$LAB_ROOTLESS_USER:" "$dir/rootfs" ;;
  podman-uidmap) chown -R 100000:100000 "$dir/rootfs" ;;
  esac
  chmod 755 "$dir/rootfs"
}

# A name for the container, unique per run directory.
lab_name() { echo "whatami-$LAB_TAG-$(basename "$1")-$$"; }

# Builds the runtime command line for CONFIG into the array LAB_ARGV. Hostnames are set
# where the runtime offers it, so the report's hostname can be checked.
_lab_argv() { # CONFIG RUNDIR NAME CMD...
  local config=$1 dir=$2 name=$3; shift 3
  local R=$dir/rootfs
  # -i: the container's stdin is conmon's pipe, fed by _lab_exec's empty one. Without it
  # conmon hands the runtime the host's /dev/null, which crun chowns to the container's
  # root under --uidmap: the host's /dev/null became 100000:100000.
  # LAB_TTY: the command gets a terminal too (a pty sized from the caller's stdin).
  local tty=()
  [ -z "${LAB_TTY:-}" ] || tty=(-t)
  local podman=(env -i "PATH=$LAB_PATH" "CONTAINERS_CONF=$LAB/containers.conf"
    "CONTAINERS_STORAGE_CONF=$LAB/storage.conf" podman run -i --rm "${tty[@]}" --name "$name"
    --network none --hostname whatami-podman)
  local docker=(env -i "PATH=$LAB_PATH" "$LAB_DOCKER" -H "$LAB_DOCKER_SOCK" run --rm "${tty[@]}" --name "$name"
    --network none --hostname whatami-docker)
  case $config in
  host) LAB_ARGV=(env -i "PATH=$LAB/bbbin" "$@") ;;
  podman-default) LAB_ARGV=("${podman[@]}" --rootfs "$R" "$@") ;;
  podman-runc) LAB_ARGV=("${podman[@]}" --runtime runc --rootfs "$R" "$@") ;;
  podman-privileged) LAB_ARGV=("${podman[@]}" --privileged --rootfs "$R" "$@") ;;
  podman-block-mkdir) LAB_ARGV=("${podman[@]}" --security-opt "seccomp=$LAB/profiles/podman-block-mkdir.json" --rootfs "$R" "$@") ;;
  podman-uidmap) LAB_ARGV=("${podman[@]}" --uidmap 0:100000:65536 --gidmap 0:100000:65536 --rootfs "$R" "$@") ;;
  podman-cap-drop-all) LAB_ARGV=("${podman[@]}" --cap-drop ALL --rootfs "$R" "$@") ;;
  podman-image) LAB_ARGV=("${podman[@]}" "${LAB_IMAGE:-localhost/whatami-e2e:latest}" "$@") ;;
  podman-docker-profile) LAB_ARGV=("${podman[@]}" --security-opt "seccomp=$LAB/profiles/docker-default.json" --rootfs "$R" "$@") ;;
  podman-unconfined) LAB_ARGV=("${podman[@]}" --security-opt seccomp=unconfined --rootfs "$R" "$@") ;;
  podman-rootless)
    local home
    home=$(getent passwd "$LAB_ROOTLESS_USER" | cut -d: -f6)
    LAB_ARGV=(runuser -u "$LAB_ROOTLESS_USER" -- env -i "PATH=$LAB_PATH" "HOME=$home"
      "CONTAINERS_CONF=$LAB/containers-rootless.conf" podman run -i --rm "${tty[@]}" --name "$name"
      --network none --hostname whatami-podman --rootfs "$R" "$@") ;;
  runc-docker | runc-block-mkdir | runc-unconfined | runc-actions | crun-docker | crun-actions)
    local rt=runc
    [ "${config%%-*}" != crun ] || rt=$LAB/bin/crun
    _lab_bundle "$config" "$dir" "$@" || return
    LAB_ARGV=(env -i "PATH=$LAB_PATH" "$rt" run --bundle "$dir/bundle" "$name") ;;
  dockerd | dockerd-block-mkdir)
    local image=whatami-lab/$(basename "$dir"):latest
    if [ -n "${LAB_IMAGE:-}" ]; then image=$LAB_IMAGE; fi
    if [ -z "${LAB_IMAGE:-}" ]; then
      tar -C "$R" -c . | timeout "$LAB_TIMEOUT" "$LAB_DOCKER" -H "$LAB_DOCKER_SOCK" import - "$image" >/dev/null || return
    fi
    local opts=()
    [ "$config" != dockerd-block-mkdir ] || opts=(--security-opt "seccomp=$LAB/profiles/docker-block-mkdir.json")
    LAB_ARGV=("${docker[@]}" "${opts[@]}" "$image" "$@") ;;
  containerd)
    # An image, as containerd always runs one: its snapshotter's overlay is part of what a
    # containerd container looks like from inside. dockerd makes it from the rootfs.
    local image=whatami-lab/$(basename "$dir"):latest
    { tar -C "$R" -c . | timeout "$LAB_TIMEOUT" "$LAB_DOCKER" -H "$LAB_DOCKER_SOCK" import - "$image" >/dev/null &&
      timeout "$LAB_TIMEOUT" "$LAB_DOCKER" -H "$LAB_DOCKER_SOCK" save "$image" |
      timeout "$LAB_TIMEOUT" "${LAB_CTR[@]}" images import - >/dev/null; } || return
    LAB_ARGV=(env -i "PATH=$LAB_PATH" "${LAB_CTR[@]}" run --rm "${tty[@]}" --seccomp "docker.io/$image" "$name" "$@") ;;
  lxc)
    # Debian's defaults for every container (common.conf: the seccomp profile, the
    # capabilities dropped, the mounts), no network device; AppArmor left to the host.
    printf '%s\n' "lxc.include = /usr/share/lxc/config/common.conf" "lxc.arch = x86_64" \
      "lxc.uts.name = whatami-lxc" "lxc.rootfs.path = dir:$R" "lxc.net.0.type = empty" \
      "lxc.apparmor.profile = unconfined" >"$dir/lxc.conf"
    LAB_ARGV=(env -i "PATH=$LAB_PATH" lxc-execute -n "$name" -P "$dir" -f "$dir/lxc.conf" -- "$@") ;;
  nspawn) LAB_ARGV=(env -i "PATH=$LAB_PATH" "$LAB/bin/nspawn" -D "$R" -M "$name" --hostname=whatami-nspawn "$@") ;;
  nspawn-userns) LAB_ARGV=(env -i "PATH=$LAB_PATH" "$LAB/bin/nspawn" -U -D "$R" -M "$name" --hostname=whatami-nspawn "$@") ;;
  bwrap) LAB_ARGV=(env -i "PATH=$LAB_PATH" bwrap --bind "$R" / --proc /proc --dev /dev --unshare-all
    --hostname whatami-bwrap --die-with-parent "$@") ;;
  bwrap-seccomp) LAB_ARGV=(env -i "PATH=$LAB_PATH" bwrap --bind "$R" / --proc /proc --dev /dev --unshare-all
    --hostname whatami-bwrap --die-with-parent --cap-drop ALL --seccomp 9 "$@") ;;
  unshare-user) LAB_ARGV=(env -i "PATH=$LAB/bbbin" "$(command -v unshare)" --user --map-root-user "$@") ;;
  unshare-all)
    # The new pid namespace needs its own /proc; the new uts namespace gets a name of its own.
    local q
    q=$(printf ' %q' "$@")
    LAB_ARGV=(env -i "PATH=$LAB_PATH" unshare --user --map-root-user --pid --fork --mount --uts --net --ipc
      "--root=$R" /bin/sh -c "mount -t proc proc /proc && hostname whatami-unshare && exec$q") ;;
  setpriv-nnp) LAB_ARGV=(env -i "PATH=$LAB/bbbin" "$(command -v setpriv)" --no-new-privs --inh-caps=-all --bounding-set=-all "$@") ;;
  podman-read-only) LAB_ARGV=("${podman[@]}" --read-only --rootfs "$R" "$@") ;;
  podman-socket) LAB_ARGV=("${podman[@]}" -v "$LAB/podman-api/podman.sock:/run/podman/podman.sock" --rootfs "$R" "$@") ;;
  podman-hardened) LAB_ARGV=("${podman[@]}" --security-opt no-new-privileges --cap-drop ALL --user 1000:1000 --rootfs "$R" "$@") ;;
  *) lab_log "unknown configuration $config"; return 2 ;;
  esac
}

_lab_bundle() { # CONFIG RUNDIR CMD...
  local config=$1 dir=$2; shift 2
  mkdir -p "$dir/bundle"
  LAB_TTY=${LAB_TTY:-} /usr/bin/python3 - "$LAB/bundles/$config/config.json" "$dir/bundle/config.json" "$dir/rootfs" "$@" <<'PY'
import json, os, sys
src, dst, root, args = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]
c = json.load(open(src))
c["root"]["path"] = root
c["process"]["args"] = args
c["hostname"] = "whatami-oci"
# LAB_TTY: a terminal for the process, which the runtime sizes from its own.
c["process"]["terminal"] = bool(os.environ.get("LAB_TTY"))
json.dump(c, open(dst, "w"), indent=1)
PY
}

# Runs the runtime command with an empty pipe as stdin (at its end at once), from /, so the
# caller's working directory does not show up in PWD. Not /dev/null: a runtime may chown the
# stdio it passes on to the container's root, and the host's /dev/null is no runtime's to
# change. For bwrap-seccomp, fd 9 carries the BPF.
_lab_exec() {
  if [ -n "${LAB_TTY:-}" ]; then
    # stdin stays the terminal: the runtimes size the container's from it. In the
    # terminal's foreground process group, or setting it up would stop them (SIGTTOU).
    if [ "$1" = bwrap-seccomp ]; then
      (cd / && exec timeout --foreground -k 5 "$LAB_TIMEOUT" "${LAB_ARGV[@]}" 9<"$LAB/profiles/docker-default.nocaps.bpf")
    else
      (cd / && exec timeout --foreground -k 5 "$LAB_TIMEOUT" "${LAB_ARGV[@]}")
    fi
  elif [ "$1" = bwrap-seccomp ]; then
    (cd / && exec timeout -k 5 "$LAB_TIMEOUT" "${LAB_ARGV[@]}" < <(:) 9<"$LAB/profiles/docker-default.nocaps.bpf")
  else
    (cd / && exec timeout -k 5 "$LAB_TIMEOUT" "${LAB_ARGV[@]}" < <(:))
  fi
}

lab_run() { # CONFIG RUNDIR CMD...
  local config=$1 dir=$2; shift 2
  local name rc=0
  name=$(lab_name "$dir")
  _lab_argv "$config" "$dir" "$name" "$@" || return
  _lab_exec "$config" || rc=$?
  _lab_remove "$config" "$dir" "$name"
  return "$rc"
}

# Removes what a run may leave when it was cut short (timeout) or by design (bundles).
_lab_remove() { # CONFIG RUNDIR NAME
  local config=$1 dir=$2 name=$3
  case $config in
  podman-rootless)
    runuser -u "$LAB_ROOTLESS_USER" -- env -i "PATH=$LAB_PATH" "HOME=$(getent passwd "$LAB_ROOTLESS_USER" | cut -d: -f6)" \
      "CONTAINERS_CONF=$LAB/containers-rootless.conf" timeout 30 podman rm -f -t 0 "$name" >/dev/null 2>&1 || true ;;
  podman-*)
    env -i "PATH=$LAB_PATH" "CONTAINERS_CONF=$LAB/containers.conf" "CONTAINERS_STORAGE_CONF=$LAB/storage.conf" \
      timeout 30 podman rm -f -t 0 "$name" >/dev/null 2>&1 || true ;;
  runc-*) timeout 30 runc delete -f "$name" >/dev/null 2>&1 || true ;;
  crun-*) timeout 30 "$LAB/bin/crun" delete -f "$name" >/dev/null 2>&1 || true ;;
  lxc) timeout 30 lxc-stop -k -n "$name" -P "$dir" >/dev/null 2>&1 || true ;;
  containerd)
    timeout 30 "${LAB_CTR[@]}" task kill -s SIGKILL "$name" >/dev/null 2>&1 || true
    timeout 30 "${LAB_CTR[@]}" task rm -f "$name" >/dev/null 2>&1 || true
    timeout 30 "${LAB_CTR[@]}" containers rm "$name" >/dev/null 2>&1 || true
    timeout 30 "${LAB_CTR[@]}" images rm "docker.io/whatami-lab/$(basename "$dir"):latest" >/dev/null 2>&1 || true
    timeout 30 "$LAB_DOCKER" -H "$LAB_DOCKER_SOCK" rmi "whatami-lab/$(basename "$dir"):latest" >/dev/null 2>&1 || true ;;
  dockerd*)
    timeout 30 "$LAB_DOCKER" -H "$LAB_DOCKER_SOCK" rm -f "$name" >/dev/null 2>&1 || true
    [ -n "${LAB_IMAGE:-}" ] || timeout 30 "$LAB_DOCKER" -H "$LAB_DOCKER_SOCK" rmi "whatami-lab/$(basename "$dir"):latest" >/dev/null 2>&1 || true ;;
  esac
}

# The host pid of the process whose command line is exactly `sleep TOKEN`.
_lab_find_sleep() { # TOKEN
  local p line
  for p in /proc/[0-9]*; do
    line=$(tr '\0' ' ' 2>/dev/null <"$p/cmdline") || continue
    # Exactly two words, the first one sleep or a path ending in /sleep: the wrappers that
    # start it (timeout, env, unshare) have the same words in a longer command line.
    if [ "${line#* }" = "$1 " ] && { [ "$line" = "sleep $1 " ] || [ "${line##*/}" = "sleep $1 " ]; }; then
      echo "${p#/proc/}"
      return 0
    fi
  done
  return 1
}

lab_twin_start() { # CONFIG RUNDIR ; sets TWIN_PID, TWIN_NAME, TWIN_RUNNER, TWIN_TOKEN
  local config=$1 dir=$2
  local token=$((100000 + RANDOM * 7 + $$ % 7))
  TWIN_NAME=$(lab_name "$dir")
  TWIN_TOKEN=$token
  TWIN_PID=
  local cmd=(sleep "$token")
  if lab_hostfs "$config"; then cmd=("$LAB/bbbin/sleep" "$token"); fi
  _lab_argv "$config" "$dir" "$TWIN_NAME" "${cmd[@]}" || return
  _lab_exec "$config" >"$dir/twin.log" 2>&1 &
  TWIN_RUNNER=$!
  local _
  for _ in $(seq 1 200); do
    TWIN_PID=$(_lab_find_sleep "$token") && return 0
    kill -0 "$TWIN_RUNNER" 2>/dev/null || break
    sleep 0.1
  done
  lab_log "twin in $config did not start: $(tail -3 "$dir/twin.log" 2>/dev/null)"
  lab_twin_stop "$config" "$dir"
  return 1
}

lab_twin_stop() { # CONFIG RUNDIR
  local config=$1 dir=$2 _
  # Callers run with set -e: nothing here may fail (the processes may be gone already).
  # Stopped early (an interrupt while it started), the twin may not have been found yet.
  if [ -z "${TWIN_PID:-}" ] && [ -n "${TWIN_TOKEN:-}" ]; then TWIN_PID=$(_lab_find_sleep "$TWIN_TOKEN") || true; fi
  if [ -n "${TWIN_PID:-}" ]; then kill -KILL "$TWIN_PID" 2>/dev/null || true; fi
  if [ -n "${TWIN_RUNNER:-}" ]; then
    # The runner is `timeout`: once the payload is gone the runtime exits; if it does not,
    # TERM to timeout reaches the runtime's whole process group.
    for _ in $(seq 1 100); do kill -0 "$TWIN_RUNNER" 2>/dev/null || break; sleep 0.1; done
    kill -TERM "$TWIN_RUNNER" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$TWIN_RUNNER" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$TWIN_RUNNER" 2>/dev/null || true
    wait "$TWIN_RUNNER" 2>/dev/null || true
  fi
  _lab_remove "$config" "$dir" "$TWIN_NAME"
  TWIN_PID= TWIN_RUNNER= TWIN_TOKEN=
  return 0
}

# Removes every container this lab may have left behind (an interrupted run): all of them
# are named whatami-<lab tag>-<run>-<pid>.
lab_cleanup() {
  local podman_env=(env -i "PATH=$LAB_PATH" "CONTAINERS_CONF=$LAB/containers.conf"
    "CONTAINERS_STORAGE_CONF=$LAB/storage.conf")
  local id
  for id in $(timeout 30 "${podman_env[@]}" podman ps -a --format '{{.Names}}' 2>/dev/null | grep "^whatami-$LAB_TAG-"); do
    timeout 30 "${podman_env[@]}" podman rm -f -t 0 "$id" >/dev/null 2>&1 || true
  done
  for id in $(timeout 30 runc list -q 2>/dev/null | grep "^whatami-$LAB_TAG-"); do
    timeout 30 runc delete -f "$id" >/dev/null 2>&1 || true
  done
  for id in $(timeout 30 crun list -q 2>/dev/null | grep "^whatami-$LAB_TAG-"); do
    timeout 30 "$LAB/bin/crun" delete -f "$id" >/dev/null 2>&1 || true
  done
  # Only when dockerd's containerd is up: ctr waits for a socket that is not there.
  [ -S "$LAB/docker/exec/containerd/containerd.sock" ] &&
  for id in $(timeout 30 "${LAB_CTR[@]}" containers ls -q 2>/dev/null | grep "^whatami-$LAB_TAG-"); do
    timeout 30 "${LAB_CTR[@]}" task kill -s SIGKILL "$id" >/dev/null 2>&1 || true
    timeout 30 "${LAB_CTR[@]}" task rm -f "$id" >/dev/null 2>&1 || true
    timeout 30 "${LAB_CTR[@]}" containers rm "$id" >/dev/null 2>&1 || true
  done
  if id "$LAB_ROOTLESS_USER" >/dev/null 2>&1; then
    local home
    home=$(getent passwd "$LAB_ROOTLESS_USER" | cut -d: -f6)
    for id in $(runuser -u "$LAB_ROOTLESS_USER" -- env -i "PATH=$LAB_PATH" "HOME=$home" \
      "CONTAINERS_CONF=$LAB/containers-rootless.conf" timeout 30 podman ps -a --format '{{.Names}}' 2>/dev/null | grep "^whatami-$LAB_TAG-"); do
      runuser -u "$LAB_ROOTLESS_USER" -- env -i "PATH=$LAB_PATH" "HOME=$home" \
        "CONTAINERS_CONF=$LAB/containers-rootless.conf" timeout 30 podman rm -f -t 0 "$id" >/dev/null 2>&1 || true
    done
    # Rootless podman keeps a pause process holding its user namespace; it is ours to end.
    local pause uid f
    uid=$(id -u "$LAB_ROOTLESS_USER")
    for f in "/tmp/podman-run-$uid/libpod/tmp/pause.pid" "/run/user/$uid/libpod/tmp/pause.pid"; do
      pause=$(cat "$f" 2>/dev/null || true)
      if [ -n "$pause" ] && [ "$(cat "/proc/$pause/comm" 2>/dev/null)" = catatonit ]; then
        kill -TERM "$pause" 2>/dev/null || true
      fi
    done
  fi
  return 0
}
