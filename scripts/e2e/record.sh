#!/bin/bash
# `whatami record` end to end: profiles recorded inside a real container, then used by real
# runtimes unchanged.
#
#   scripts/e2e/record.sh BIN OUTDIR [CONFIG...]      (root; scripts/e2e/run calls it)
#
# Runs when podman-default, runc-docker or crun-docker is among CONFIG (or CONFIG is empty).
# Inside podman-default (its own profile, which allows ptrace), whatami records busybox tar of
# a directory and a busybox sh script, in the Docker, OCI and Kubernetes formats, and runs
# `--against docker` on `unshare -U true`. Then the same commands run again under the recorded
# profiles: with podman (crun and runc, --security-opt seccomp=FILE) and with runc and crun
# directly (the runc-docker bundle with linux.seccomp from --format oci), and with dockerd when
# dockerd is among CONFIG and running; the script with one more call (mkdir) must fail with
# EPERM there. The Kubernetes object is read back by
# `whatami --profile` and merged by `whatami record --merge` on the host.
#
# Keeps in OUTDIR/record/: NAME.rc, NAME.out, NAME.err for each step, the profiles (rec/);
# scripts/e2e/record_check.py holds the expectations (check.py calls it).
set -euo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck source=../lab/lib.sh
. "$top/scripts/lab/lib.sh"
BIN=$(realpath "$1") OUT=$2/record
shift 2
selected=" $* "
want() { [ "$selected" = "  " ] || [[ $selected == *" $1 "* ]]; }
want podman-default || want runc-docker || want crun-docker || exit 0
say() { printf 'e2e record: %s\n' "$*" >&2; }

rm -rf "$OUT"
mkdir -p "$OUT"
dir=$LAB/runs/record
lab_prepare podman-default "$dir"
R=$dir/rootfs
cp "$BIN" "$R/whatami"
mkdir -p "$R/data/sub" "$R/rec"
for i in 1 2 3; do echo "file $i" >"$R/data/f$i"; done
echo nested >"$R/data/sub/g"

# An i386 program (getpid, then exit 7, through int $0x80): 100 bytes, no 32-bit toolchain.
/usr/bin/python3 - "$R/i386prog" <<'PY'
import os, struct, sys
base, headers = 0x08048000, 52 + 32
code = bytes([0xb8, 20, 0, 0, 0, 0xcd, 0x80, 0xb8, 1, 0, 0, 0, 0xb3, 7, 0xcd, 0x80])
size = headers + len(code)
elf = b"\x7fELF\x01\x01\x01" + bytes(9)
elf += struct.pack("<HHIIIIIHHHHHH", 2, 3, 1, base + headers, 52, 0, 0, 52, 32, 1, 0, 0, 0)
elf += struct.pack("<IIIIIIII", 1, 0, base, base, size, size, 5, 0x1000) + code
open(sys.argv[1], "wb").write(elf)
os.chmod(sys.argv[1], 0o755)
PY

TAR=(tar -cf /tmp/data.tar /data)
SCRIPT='for f in /data/*; do if [ -f "$f" ]; then cat "$f"; fi; done >/dev/null; ls -l /data >/dev/null; echo script-done'
VARIANT="$SCRIPT; mkdir /tmp/newdir"

# step NAME CMD...: runs CMD (bounded by a timeout, there or in podman_in / bundle) from /,
# stdin an empty pipe (not /dev/null, which a runtime may chown: scripts/lab/lib.sh);
# keeps its status and output.
step() {
  local name=$1 rc=0
  shift
  (cd / && "$@" < <(:) >"$OUT/$name.out" 2>"$OUT/$name.err") || rc=$?
  echo "$rc" >"$OUT/$name.rc"
}
bounded() { timeout -k 5 "$LAB_TIMEOUT" "$@"; }

podman_in() { # RUNTIME OPTIONS... -- CMD...
  local rt=$1
  shift
  local opts=()
  while [ "$1" != -- ]; do opts+=("$1"); shift; done
  shift
  bounded env -i "PATH=$LAB_PATH" "CONTAINERS_CONF=$LAB/containers.conf" "CONTAINERS_STORAGE_CONF=$LAB/storage.conf" \
    podman run -i --rm --runtime "$rt" --network none --hostname whatami-podman "${opts[@]}" --rootfs "$R" "$@"
}

# bundle RUNTIME NAME PROFILE CMD...: the runc-docker bundle (Docker's capabilities, no
# no_new_privs) with linux.seccomp from the recorded OCI file, run by RUNTIME.
bundle() {
  local rt=$1 name=$2 profile=$3
  shift 3
  local b=$dir/bundle-$name
  mkdir -p "$b"
  /usr/bin/python3 - "$LAB/bundles/runc-docker/config.json" "$b/config.json" "$R" "$profile" "$@" <<'PY'
import json, sys
src, dst, root, profile, args = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5:]
c = json.load(open(src))
c["root"]["path"] = root
c["process"]["args"] = args
c["linux"]["seccomp"] = json.load(open(profile))["linux"]["seccomp"]
json.dump(c, open(dst, "w"), indent=1)
PY
  local id="whatami-$LAB_TAG-record-$name-$$" bin=runc rc=0
  [ "$rt" != crun ] || bin=$LAB/bin/crun
  bounded env -i "PATH=$LAB_PATH" "$bin" run --bundle "$b" "$id" || rc=$?
  timeout 30 "$bin" delete -f "$id" >/dev/null 2>&1 || true
  return "$rc"
}

say "recording in podman-default"
step rec-tar podman_in crun -- /whatami record --json -o /rec/tar.json -- "${TAR[@]}"
step rec-tar-oci podman_in crun -- /whatami record --json --format oci -o /rec/tar.oci.json -- "${TAR[@]}"
step rec-tar-k8s podman_in crun -- /whatami record --json --format k8s -o /rec/tar.k8s.json -- "${TAR[@]}"
step rec-sh podman_in crun -- /whatami record --json -o /rec/sh.json -- sh -c "$SCRIPT"
step rec-sh-oci podman_in crun -- /whatami record --json --format oci -o /rec/sh.oci.json -- sh -c "$SCRIPT"
step against-docker podman_in crun -- /whatami record --json --against docker -- unshare -U true
step rec-i386 podman_in crun -- /whatami record --json -o /rec/i386.json -- /i386prog
step rec-i386-oci podman_in crun -- /whatami record --json --format oci -o /rec/i386.oci.json -- /i386prog
# -o to a file bind-mounted on its own (as `-v ./app.json:/app.json` gives): nothing can be
# renamed over a mount point, so it is written in place.
echo '{"left": "as it was"}' >"$OUT/mounted.json"
step rec-mounted podman_in crun -v "$OUT/mounted.json:/mounted.json" -- /whatami record -o /mounted.json -- true

say "running under the recorded profiles"
for rt in crun runc; do
  step "podman-$rt-tar" podman_in "$rt" --security-opt "seccomp=$R/rec/tar.json" -- "${TAR[@]}"
  step "podman-$rt-sh" podman_in "$rt" --security-opt "seccomp=$R/rec/sh.json" -- sh -c "$SCRIPT"
  step "podman-$rt-variant" podman_in "$rt" --security-opt "seccomp=$R/rec/sh.json" -- sh -c "$VARIANT"
  # The i386 program under its own profile (which lists SCMP_ARCH_X86), and under one
  # recorded from 64-bit programs only.
  step "podman-$rt-i386" podman_in "$rt" --security-opt "seccomp=$R/rec/i386.json" -- /i386prog
  step "podman-$rt-i386-64" podman_in "$rt" --security-opt "seccomp=$R/rec/sh.json" -- /i386prog
  step "$rt-tar" bundle "$rt" tar "$R/rec/tar.oci.json" "${TAR[@]}"
  step "$rt-sh" bundle "$rt" sh "$R/rec/sh.oci.json" sh -c "$SCRIPT"
  step "$rt-variant" bundle "$rt" variant "$R/rec/sh.oci.json" sh -c "$VARIANT"
  step "$rt-i386" bundle "$rt" i386 "$R/rec/i386.oci.json" /i386prog
done

# dockerd (runc through containerd), when it is among the configurations and running.
if want dockerd && "$LAB_DOCKER" -H "$LAB_DOCKER_SOCK" version >/dev/null 2>&1; then
  say "running under the recorded profiles in dockerd"
  image=whatami-lab/record-$$:latest
  tar -C "$R" -c . | bounded "$LAB_DOCKER" -H "$LAB_DOCKER_SOCK" import - "$image" >/dev/null
  docker_in() { # PROFILE CMD...
    local profile=$1
    shift
    bounded env -i "PATH=$LAB_PATH" "$LAB_DOCKER" -H "$LAB_DOCKER_SOCK" run --rm --network none \
      --hostname whatami-docker --security-opt "seccomp=$profile" "$image" "$@"
  }
  step docker-tar docker_in "$R/rec/tar.json" "${TAR[@]}"
  step docker-sh docker_in "$R/rec/sh.json" sh -c "$SCRIPT"
  step docker-variant docker_in "$R/rec/sh.json" sh -c "$VARIANT"
  step docker-i386 docker_in "$R/rec/i386.json" /i386prog
  timeout 30 "$LAB_DOCKER" -H "$LAB_DOCKER_SOCK" rmi "$image" >/dev/null 2>&1 || true
fi

say "reading the Kubernetes object back"
step read-k8s bounded "$BIN" --probe none --json --profile "$R/rec/tar.k8s.json"
cp "$R/rec/tar.k8s.json" "$OUT/merged.k8s.json"
step merge-k8s bounded "$BIN" record --format k8s --merge "$OUT/merged.k8s.json" -o "$OUT/merged.k8s.json" -- "$R/bin/busybox" true

cp -r "$R/rec" "$OUT/rec"
rm -rf "$dir"
exit 0
