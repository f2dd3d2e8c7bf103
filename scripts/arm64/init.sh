#!/bin/busybox sh
# /init of the arm64 VM (scripts/arm64/run packs it): mounts what a Linux system has, runs the
# aarch64 test binaries and the cases below, and prints everything on the console between
# "@@arm64" marker lines that the host reads back; then powers off. Everything runs as root.
/bin/busybox --install -s /bin
export PATH=/arm64/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root TMPDIR=/tmp NO_COLOR=1
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mkdir -p /dev/pts /dev/shm /tmp /root /run
mount -t devpts devpts /dev/pts
mount -t tmpfs tmpfs /tmp
mount -t tmpfs tmpfs /dev/shm
mount -t tmpfs tmpfs /run
hostname arm64-vm
. /arm64/vm.conf

say() { echo "@@arm64 $*"; }
# file NAME CMD...: the command's stdout as a file the host keeps, its exit status after it
file() {
  name=$1
  shift
  say "file $name"
  "$@" >/tmp/out.$$ 2>/tmp/err.$$
  rc=$?
  cat /tmp/out.$$
  say "endfile $name"
  say "file $name.stderr"
  cat /tmp/err.$$
  say "endfile $name.stderr"
  say "rc $name $rc"
}

say "begin kernel=$(uname -r) machine=$(uname -m) cpus=$(grep -c ^processor /proc/cpuinfo)"

# The test binaries, as `cargo test` runs them, then their ignored tests (root ones: this is
# root; the real profiles are where Debian installs them).
cd "$ARM64_MANIFEST_DIR"
for t in /arm64/tests/*; do
  n=${t##*/}
  say "test $n begin"
  "$t" --test-threads=2
  say "test $n rc=$?"
  say "ignored $n begin"
  "$t" --ignored --test-threads=1
  say "ignored $n rc=$?"
done
cd /

. /arm64/cases.sh

say done
sync
poweroff -f
