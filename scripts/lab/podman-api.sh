#!/bin/bash
# scripts/lab/podman-api.sh start|stop|status : podman's API service (the Docker-compatible
# REST API) on a socket of the lab's own, $WHATAMI_LAB/podman-api/podman.sock.
#
# The podman-socket configuration bind-mounts it into a container at /run/podman/podman.sock,
# where whatami must find it and get an answer to GET /_ping. It uses the lab's
# containers.conf and storage, so it never meets a system podman service.
set -euo pipefail
# shellcheck source=labdir.sh
. "$(dirname "${BASH_SOURCE[0]}")/labdir.sh"
LAB=$WHATAMI_LAB
D=$LAB/podman-api
SOCK=$D/podman.sock
LAB_PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
penv=(env -i "PATH=$LAB_PATH" "CONTAINERS_CONF=$LAB/containers.conf"
  "CONTAINERS_STORAGE_CONF=$LAB/storage.conf")
up() { [ -S "$SOCK" ] && timeout 10 "${penv[@]}" podman --remote --url "unix://$SOCK" version >/dev/null 2>&1; }

case "${1:-}" in
start)
  if up; then echo "$SOCK"; exit 0; fi
  mkdir -p "$D"
  rm -f "$SOCK"
  # setsid: the service must not get the terminal's signals; --time=0: it never exits idle.
  # No descriptor of the caller's goes with it (lab_close_fds: the lab lock).
  (lab_close_fds; exec setsid "${penv[@]}" podman system service --time=0 "unix://$SOCK" >"$D/service.log" 2>&1 </dev/null) &
  echo $! >"$D/service.pid"
  for _ in $(seq 1 60); do
    up && { echo "$SOCK"; exit 0; }
    kill -0 "$(cat "$D/service.pid")" 2>/dev/null || break
    sleep 0.5
  done
  echo "the podman API service did not come up; last lines of $D/service.log:" >&2
  tail -20 "$D/service.log" >&2 || true
  "$0" stop || true
  exit 1;;
stop)
  pid=$(cat "$D/service.pid" 2>/dev/null || true)
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
    kill "$pid"
    for _ in $(seq 1 20); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
    kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$D/service.pid" "$SOCK";;
status)
  up && echo "running: $SOCK" || { echo "not running"; exit 1; };;
*)
  echo "usage: $0 start|stop|status" >&2; exit 2;;
esac
