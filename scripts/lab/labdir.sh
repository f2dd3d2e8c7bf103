# shellcheck shell=bash
# Sourced by every lab script: where the lab lives. One lab per checkout by default
# (/tmp/whatami-lab-<checkout directory name>), so that end-to-end runs from two checkouts
# at once never share rootfs copies, containers, storage or a dockerd. WHATAMI_LAB overrides.
_whatami_top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
: "${WHATAMI_LAB:=/tmp/whatami-lab-$(basename "$_whatami_top")}"
export WHATAMI_LAB
# Closes every descriptor above 2 of the (sub)shell it runs in: what starts a daemon that
# outlives the caller calls it first. A descriptor inherited from the caller would stay open
# as long as the daemon runs, and with it what it holds: the lab lock that flock(1) takes
# for an e2e run was held by a dockerd left running, and every other lab user waited on it.
lab_close_fds() {
  local fd
  for fd in /proc/$BASHPID/fd/*; do
    fd=${fd##*/}
    [ "$fd" -gt 2 ] && eval "exec $fd>&-"
  done 2>/dev/null || true
}
# Container names carry a tag of their lab, so that a cleanup removes only its own lab's.
LAB_TAG=$(printf '%s' "$WHATAMI_LAB" | cksum | cut -d' ' -f1)
