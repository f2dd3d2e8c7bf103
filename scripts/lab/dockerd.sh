#!/bin/bash
# scripts/lab/dockerd.sh start|stop|status : a private dockerd (Debian's docker.io) for the lab.
#
# Everything it owns lives under $WHATAMI_LAB/docker (socket, data, exec root with its
# managed containerd), so it never meets a system Docker. No bridge and no iptables rules:
# the lab's containers run with --network none, and this way dockerd does not depend on
# iptables being usable on the machine.
set -euo pipefail
# shellcheck source=labdir.sh
. "$(dirname "${BASH_SOURCE[0]}")/labdir.sh"
LAB=$WHATAMI_LAB
D=$LAB/docker
SOCK=unix://$D/docker.sock
DOCKER=/usr/bin/docker
[ -x "$DOCKER" ] || DOCKER=$(command -v docker)
up() { timeout 10 "$DOCKER" -H "$SOCK" version >/dev/null 2>&1; }

case "${1:-}" in
start)
  if up; then echo "$SOCK"; exit 0; fi
  mkdir -p "$D"
  # setsid: dockerd must not get the terminal's signals, and stop can kill its group. No
  # descriptor of the caller's goes with it (lab_close_fds: the lab lock).
  (lab_close_fds; exec setsid dockerd -H "$SOCK" --pidfile "$D/dockerd.pid" --data-root "$D/root" \
    --exec-root "$D/exec" --bridge=none --iptables=false --ip-masq=false \
    --userland-proxy=false >"$D/dockerd.log" 2>&1 </dev/null) &
  for _ in $(seq 1 120); do
    up && { echo "$SOCK"; exit 0; }
    kill -0 $! 2>/dev/null || break
    sleep 0.5
  done
  echo "dockerd did not come up; last lines of $D/dockerd.log:" >&2
  tail -20 "$D/dockerd.log" >&2 || true
  "$0" stop || true
  exit 1;;
stop)
  pid=$(cat "$D/dockerd.pid" 2>/dev/null || true)
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
    kill "$pid"
    # dockerd stops its containers and its managed containerd on SIGTERM; give it 20 s.
    for _ in $(seq 1 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
    kill -KILL "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
  fi
  cpid=$(cat "$D/exec/containerd/containerd.pid" 2>/dev/null || true)
  if [ -n "$cpid" ] && kill -0 "$cpid" 2>/dev/null; then kill -KILL "$cpid" 2>/dev/null || true; fi
  rm -f "$D/dockerd.pid"
  # Mounts dockerd may leave behind if it was killed.
  grep -o " $D/[^ ]*" /proc/self/mountinfo 2>/dev/null | sort -r | while read -r m; do
    umount -l "$m" 2>/dev/null || true
  done;;
status)
  up && echo "running: $SOCK" || { echo "not running"; exit 1; };;
*)
  echo "usage: $0 start|stop|status" >&2; exit 2;;
esac
