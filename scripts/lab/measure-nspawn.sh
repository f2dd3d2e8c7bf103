#!/bin/bash
# Measures systemd-nspawn's seccomp filters with whatami itself, for scripts/derive-profiles:
# nspawn builds them in C from its own syscall groups, some groups only for capabilities it
# keeps, and stacks several filters, so its verdicts are measured rather than read.
#
#   scripts/lab/measure-nspawn.sh [--bin PATH] OUTDIR      (root)
#
# Writes OUTDIR/default.json (nspawn's default capabilities), OUTDIR/add-CAP_X.json for every
# capability nspawn does not keep (--capability=CAP_X) and OUTDIR/drop-CAP_Y.json for every one
# it keeps (--drop-capability=CAP_Y): whatami --json inside each. A capability the host's
# bounding set lacks cannot be added and is skipped.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
# shellcheck source=labdir.sh
. "$here/labdir.sh"
BIN=$top/target/x86_64-unknown-linux-musl/release/whatami
if [ "${1:-}" = --bin ]; then BIN=$2; shift 2; fi
out=${1:?usage: measure-nspawn.sh [--bin PATH] OUTDIR}
[ "$(id -u)" = 0 ] || { echo "measure-nspawn: needs root" >&2; exit 1; }
"$here/setup.sh" >/dev/null
# shellcheck source=lib.sh
. "$here/lib.sh"
mkdir -p "$out"
all=$(/usr/bin/python3 -c "import sys; sys.path.insert(0, '$here'); from capsets import ALL_CAPS; print(' '.join(ALL_CAPS))")
dir=$LAB/runs/measure-nspawn
run() { # NAME NSPAWN-OPTION...
  local name=$1; shift
  lab_prepare nspawn "$dir"
  cp "$BIN" "$dir/rootfs/whatami"
  if ! (cd / && timeout -k 5 "$LAB_TIMEOUT" env -i "PATH=$LAB_PATH" "$LAB/bin/nspawn" -D "$dir/rootfs" \
    -M "whatami-measure-$LAB_TAG-$$" "$@" /whatami --json >"$out/$name.json" 2>"$out/$name.err" </dev/null); then
    echo "measure-nspawn: $name failed: $(tail -2 "$out/$name.err")" >&2
    rm -f "$out/$name.json"
  fi
  rm -rf "$dir"
}
run default
kept=$(/usr/bin/python3 -c "import json; print(' '.join(json.load(open('$out/default.json'))['capabilities']['bounding']))")
host=$(/usr/bin/python3 -c "
import sys; sys.path.insert(0, '$here'); from capsets import ALL_CAPS
mask = int([l.split()[1] for l in open('/proc/self/status') if l.startswith('CapBnd:')][0], 16)
print(' '.join(c for i, c in enumerate(ALL_CAPS) if mask >> i & 1))")
for cap in $all; do
  case " $kept " in
  *" $cap "*) run "drop-$cap" "--drop-capability=$cap" ;;
  *) case " $host " in *" $cap "*) run "add-$cap" "--capability=$cap" ;; esac ;;
  esac
done
echo "measure-nspawn: $(ls "$out"/*.json | wc -l) reports in $out" >&2
