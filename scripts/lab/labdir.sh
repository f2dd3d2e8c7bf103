# shellcheck shell=bash
# Sourced by every lab script: where the lab lives. One lab per checkout by default
# (/tmp/whatami-lab-<checkout directory name>), so that end-to-end runs from two checkouts
# at once never share rootfs copies, containers, storage or a dockerd. WHATAMI_LAB overrides.
_whatami_top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
: "${WHATAMI_LAB:=/tmp/whatami-lab-$(basename "$_whatami_top")}"
export WHATAMI_LAB
# Container names carry a tag of their lab, so that a cleanup removes only its own lab's.
LAB_TAG=$(printf '%s' "$WHATAMI_LAB" | cksum | cut -d' ' -f1)
