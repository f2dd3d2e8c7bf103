#!/bin/bash
# Captures, from inside real containers on this machine, the files whatami reads, into
# tests/fixtures/<configuration>/ with the paths they have inside the container. The parser
# tests and `whatami --root` read these trees.
#
#   scripts/capture-fixtures.sh [CONFIG...]     (root; all configurations by default)
#
# Runs scripts/lab/setup.sh first and starts (and afterwards stops) a private dockerd for
# the dockerd configuration. Every container gets a minimal environment, so no variable of
# the caller's environment can end up in git. A configuration that cannot run here is
# reported and skipped; its old fixture is kept. MANIFEST.txt in each tree names the
# configuration and every path that was absent or unreadable inside it.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=lab/labdir.sh
. "$(dirname "$0")/lab/labdir.sh"
"$top/scripts/lab/install-deps.sh"
"$top/scripts/lab/setup.sh"
# shellcheck source=lab/lib.sh
. "$top/scripts/lab/lib.sh"

configs=("$@")
[ ${#configs[@]} -gt 0 ] || configs=("${LAB_CONFIGS[@]}")

docker_started= podman_api_started=
cleanup() {
  lab_cleanup
  [ -z "$docker_started" ] || "$top/scripts/lab/dockerd.sh" stop >/dev/null 2>&1 || true
  [ -z "$podman_api_started" ] || "$top/scripts/lab/podman-api.sh" stop >/dev/null 2>&1 || true
}
trap cleanup EXIT
trap 'exit 130' INT TERM

DIRS=(/proc/self/ns /proc/self/attr/apparmor /proc/1/ns /proc/sys/kernel /sys/kernel/security
  /etc /run/systemd /run/host /var/run/secrets/kubernetes.io/serviceaccount
  /proc/sys/kernel/yama /proc/sys/user /proc/sys/net/ipv4 /sys/fs/selinux
  /sys/module/apparmor/parameters /etc/podinfo /sys/fs/cgroup/memory /sys/fs/cgroup/cpu
  /sys/fs/cgroup/pids /sys/fs/cgroup/devices /sys/fs/cgroup/unified)
ok=() failed=()
for config in "${configs[@]}"; do
  lab_describe "$config" >/dev/null || { echo "unknown configuration: $config" >&2; exit 2; }
  if [[ $config == dockerd* ]] && [ -z "$docker_started" ]; then
    "$top/scripts/lab/dockerd.sh" start >/dev/null
    docker_started=1
  fi
  if [ "$config" = podman-socket ] && [ -z "$podman_api_started" ]; then
    "$top/scripts/lab/podman-api.sh" start >/dev/null
    podman_api_started=1
  fi
  dir=$LAB/runs/capture-$config
  lab_prepare "$config" "$dir"
  cp "$top/scripts/lab/capture-inside.sh" "$dir/rootfs/capture-inside.sh"
  stage=/tmp/.whatami-capture shell=/bin/sh
  if lab_hostfs "$config"; then stage=$dir/rootfs/stage shell=$LAB/bbbin/sh; fi
  # The staging tree exists before the container starts (mkdir may be what it blocks),
  # writable by whatever uid the container's root is on the host.
  hoststage=$dir/rootfs${stage#"$dir/rootfs"}
  for d in "${DIRS[@]}"; do mkdir -p "$hoststage$d"; done
  chmod -R 777 "$hoststage"
  echo "== $config: $(lab_describe "$config")" >&2
  if lab_run "$config" "$dir" "$shell" "$(lab_hostpath "$config" "$dir" /capture-inside.sh)" "$stage" \
    >"$dir/capture.tar" 2>"$dir/capture.err" && [ -s "$dir/capture.tar" ]; then
    out=$top/tests/fixtures/$config
    rm -rf "$out.new"
    mkdir -p "$out.new"
    tar -C "$out.new" -xf "$dir/capture.tar"
    {
      echo "configuration: $config"
      echo "how: $(lab_describe "$config")"
      echo "captured by: scripts/capture-fixtures.sh $config"
      echo "kernel: $(uname -r)"
      cat "$out.new/MANIFEST.txt"
    } >"$out.new/MANIFEST.tmp"
    mv "$out.new/MANIFEST.tmp" "$out.new/MANIFEST.txt"
    rm -rf "$out"
    mv "$out.new" "$out"
    ok+=("$config")
  else
    echo "   failed: $(tail -5 "$dir/capture.err")" >&2
    failed+=("$config")
  fi
  rm -rf "$dir"
done

echo "captured: ${ok[*]:-none}" >&2
[ ${#failed[@]} -eq 0 ] || { echo "failed: ${failed[*]}" >&2; exit 1; }
