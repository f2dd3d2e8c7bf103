#!/bin/bash
# whatami in an 80x24 terminal: the brief form (--brief) and the full report of one
# configuration, each run in a tmux pane of 80 columns and 24 rows, as a user's terminal
# shows them. podman, docker and ctr get a terminal (-t, LAB_TTY) and size it from the
# pane; the other runtimes hand the pane itself to whatami. What the pane showed is kept
# with the lines the terminal wrapped joined again (capture-pane -J), so that a line longer
# than 80 is one the terminal had to wrap; check.py checks them.
#
#   scripts/e2e/tty.sh CONFIG RUNDIR OUTDIR CMD...      (root, lab prepared: run calls it)
#
# Writes OUTDIR/tty-brief.txt and OUTDIR/tty-full.txt, each with .rc (whatami's exit code).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)

if [ "$1" = --in-pane ]; then
  # In the pane: the run, its exit code, then the signal the driver waits for.
  shift
  sock=$1 rcfile=$2 config=$3 dir=$4
  shift 4
  # shellcheck source=../lab/lib.sh
  . "$here/../lab/lib.sh"
  rc=0
  LAB_TTY=1 lab_run "$config" "$dir" "$@" || rc=$?
  echo "$rc" >"$rcfile"
  tmux -S "$sock" wait-for -S done
  exit 0
fi

config=$1 dir=$2 out=$3
shift 3
# The server's socket and configuration in a directory of this run's, removed at the end.
tmp=$(mktemp -d)
sock=$tmp/tmux.sock conf=$tmp/tmux.conf
trap 'tmux -S "$sock" kill-server >/dev/null 2>&1 || true; rm -rf "$tmp"' EXIT
# The pane stays once the run ends, so that it can be read; enough history for the report.
printf '%s\n' "set -g remain-on-exit on" "set -g history-limit 10000" "set -g status off" >"$conf"
for form in brief full; do
  args=()
  [ "$form" = full ] || args=(--brief)
  f=$out/tty-$form.txt
  rm -f "$f" "$f.rc"
  tmux -S "$sock" -f "$conf" new-session -d -x 80 -y 24 -s "$form" -- \
    "$here/tty.sh" --in-pane "$sock" "$f.rc" "$config" "$dir" "$@" "${args[@]}"
  # Bounded: lab_run bounds the run itself (LAB_TIMEOUT).
  if ! timeout 300 tmux -S "$sock" wait-for done; then
    echo "tty.sh: $config --$form: no end within 300 s" >&2
  fi
  # The pane's lines with the terminal's wraps joined, without tmux's own last line.
  tmux -S "$sock" capture-pane -p -J -S - -E - -t "$form" | grep -v '^Pane is dead' >"$f" || true
done
# (The sessions stay until here: killing the last one ends the server, which a next
# new-session could meet on its way out.)
