#!/bin/bash
# Installs what the arm64 VM check needs, only what is missing, and keeps the arm64 packages
# it boots (Debian's arm64 kernel, a static arm64 busybox) in a cache directory, so that a
# second run touches no network at all.
#
#   scripts/arm64/deps.sh CACHE_DIR      prints the paths of the kernel, busybox and
#                                        golang-github-docker-docker-dev .debs, one a line
#
# Host packages: qemu-system-arm (it holds qemu-system-aarch64), cpio (the initramfs),
# python3-seccomp (libseccomp's bindings export Docker's and podman's profiles as aarch64 BPF
# on this x86_64 host), binutils-arm-linux-gnueabihf (to check that whatami's 32-bit ARM
# prober is what its source assembles to) and golang-github-containers-common (podman's
# seccomp.json). Docker's default profile ships as JSON in golang-github-docker-docker-dev
# (architecture all), downloaded, not installed. The arm64 packages come from Debian's archive
# too, by apt-get download once dpkg knows the arm64 architecture: nothing arm64 is installed
# on the host.
set -euo pipefail
cache=${1:?usage: deps.sh CACHE_DIR}
mkdir -p "$cache"

missing() { for p in "$@"; do dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed' || echo "$p"; done; }
export DEBIAN_FRONTEND=noninteractive
updated=
update() { [ -n "$updated" ] || { timeout 300 apt-get update -qq; updated=1; }; }

need=$(missing qemu-system-arm cpio python3-seccomp binutils-arm-linux-gnueabihf golang-github-containers-common)
if [ -n "$need" ]; then
  echo "arm64 deps: installing $need" >&2
  update
  # shellcheck disable=SC2086
  timeout 900 apt-get install -y -qq --no-install-recommends $need >/dev/null
fi

# The cached packages: one kernel image and one busybox-static, whatever their versions.
kernel=$(find "$cache" -maxdepth 1 -name 'linux-image-*-arm64_*_arm64.deb' | sort | tail -n 1)
busybox=$(find "$cache" -maxdepth 1 -name 'busybox-static_*_arm64.deb' | sort | tail -n 1)
docker=$(find "$cache" -maxdepth 1 -name 'golang-github-docker-docker-dev_*_all.deb' | sort | tail -n 1)
if [ -z "$docker" ]; then
  update
  (cd "$cache" && timeout 600 apt-get download -qq golang-github-docker-docker-dev 2>/dev/null)
  docker=$(find "$cache" -maxdepth 1 -name 'golang-github-docker-docker-dev_*_all.deb' | sort | tail -n 1)
fi
if [ -z "$kernel" ] || [ -z "$busybox" ]; then
  if ! dpkg --print-foreign-architectures | grep -qx arm64; then
    echo "arm64 deps: dpkg --add-architecture arm64 (for apt-get download)" >&2
    dpkg --add-architecture arm64
    updated=
  fi
  update
  # linux-image-arm64 is the metapackage; it depends on the current kernel's own package.
  pkg=$(apt-cache depends linux-image-arm64:arm64 | sed -n 's/^ *Depends: \(linux-image-[0-9][^:]*-arm64\).*/\1/p' | head -n 1)
  [ -n "$pkg" ] || { echo "arm64 deps: no kernel package named by linux-image-arm64:arm64" >&2; exit 1; }
  echo "arm64 deps: downloading $pkg:arm64 busybox-static:arm64 into $cache" >&2
  (cd "$cache" && timeout 600 apt-get download -qq "$pkg:arm64" busybox-static:arm64 2>/dev/null)
  kernel=$(find "$cache" -maxdepth 1 -name "${pkg}_*_arm64.deb" | sort | tail -n 1)
  busybox=$(find "$cache" -maxdepth 1 -name 'busybox-static_*_arm64.deb' | sort | tail -n 1)
fi
[ -s "$kernel" ] && [ -s "$busybox" ] && [ -s "$docker" ] || { echo "arm64 deps: packages missing in $cache" >&2; exit 1; }
echo "$kernel"
echo "$busybox"
echo "$docker"
