#!/bin/bash
# `whatami diff` and `whatami fleet` end to end, on the reports the configurations gave.
#
#   scripts/e2e/diff.sh BIN OUTDIR [CONFIG...]      (scripts/e2e/run calls it)
#
# Reads OUTDIR/CONFIG/whatami.json and whatami-again.json (a second run of the same
# configuration). Diffs each report with its second run and every pair of configurations'
# reports (both orders of a pair say the same), runs `fleet` over them all in each format,
# and feeds `diff` inputs that are no report (truncated, past the size bound, nested past
# serde_json's limit, another schema, JSON of another tool). Runs nothing in a container:
# diff and fleet only read files. Keeps in OUTDIR/diff/: A--B.json, .rc, .err per pair,
# CONFIG--again.*, fleet.{json,txt,csv,md}, bad-NAME.{rc,err}; diff_check.py holds the
# expectations (check.py calls it).
set -uo pipefail
BIN=$(realpath "$1") OUT=$2/diff
shift 2
rm -rf "$OUT"
mkdir -p "$OUT/reports"
have=()
for c in "$@"; do
  f=${OUT%/diff}/$c/whatami.json
  [ -s "$f" ] || continue
  cp "$f" "$OUT/reports/$c.json"
  have+=("$c")
  again=${OUT%/diff}/$c/whatami-again.json
  if [ -s "$again" ]; then
    rc=0
    timeout 60 "$BIN" diff --json "$f" "$again" >"$OUT/$c--again.json" 2>"$OUT/$c--again.err" || rc=$?
    echo "$rc" >"$OUT/$c--again.rc"
  fi
done
for a in "${have[@]}"; do
  for b in "${have[@]}"; do
    [ "$a" != "$b" ] || continue
    rc=0
    timeout 60 "$BIN" diff --json "$OUT/reports/$a.json" "$OUT/reports/$b.json" \
      >"$OUT/$a--$b.json" 2>"$OUT/$a--$b.err" || rc=$?
    echo "$rc" >"$OUT/$a--$b.rc"
  done
done
# The human form of one pair, for a reader of the output.
if [ -s "$OUT/reports/podman-default.json" ] && [ -s "$OUT/reports/podman-block-mkdir.json" ]; then
  timeout 60 "$BIN" diff --color never "$OUT/reports/podman-default.json" \
    "$OUT/reports/podman-block-mkdir.json" >"$OUT/podman-default--podman-block-mkdir.txt" 2>&1
fi
for fmt in json table csv markdown; do
  rc=0
  timeout 60 "$BIN" fleet --format "$fmt" "$OUT/reports" >"$OUT/fleet.$fmt" 2>"$OUT/fleet.$fmt.err" || rc=$?
  echo "$rc" >"$OUT/fleet.$fmt.rc"
done
# Inputs that are no report.
bad=$OUT/bad
mkdir -p "$bad"
any=$(ls "$OUT/reports"/*.json 2>/dev/null | head -1)
[ -n "$any" ] && head -c 2000 "$any" >"$bad/truncated.json"
python3 - "$bad" <<'PY'
import json, os, sys
d = sys.argv[1]
open(os.path.join(d, "nested.json"), "w").write("[" * 100000 + "]" * 100000)
with open(os.path.join(d, "huge.json"), "w") as f:
    f.write('{"schema_version": 1, "pad": "')
    f.write("x" * (17 << 20))
    f.write('"}')
json.dump({"schema_version": 99, "system": {}}, open(os.path.join(d, "schema99.json"), "w"))
json.dump({"name": "not whatami", "version": 3}, open(os.path.join(d, "other.json"), "w"))
open(os.path.join(d, "binary.json"), "wb").write(bytes(range(256)))
PY
for f in "$bad"/*.json; do
  n=$(basename "$f" .json)
  rc=0
  timeout 60 "$BIN" diff "$f" "${any:-$f}" >"$OUT/bad-$n.out" 2>"$OUT/bad-$n.err" || rc=$?
  echo "$rc" >"$OUT/bad-$n.rc"
done
rm -f "$bad/huge.json"
exit 0
