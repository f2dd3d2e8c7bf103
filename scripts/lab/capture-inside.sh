# Runs INSIDE a container with busybox sh: copies the files whatami reads into a staging
# tree with the same paths and writes that tree to stdout as a tar.
#
#   sh capture-inside.sh STAGING_DIR > capture.tar
#
# Each file is read by its own process (cat, readlink), so /proc/self is a process of the
# container, exec'd like whatami would be. The script sets no exported variable, so
# proc/self/environ is the environment the runtime gave the container. MANIFEST.txt in the
# staging tree lists every path that was absent or could not be read, with the error.

S=$1
M=$S/MANIFEST.txt
# Directories are made only when missing: in a configuration that blocks mkdir with
# seccomp, mkdir fails with EPERM even for an existing directory, so the caller creates
# the staging tree beforehand (see DIRS in capture-fixtures.sh).
mkdirs() { [ -d "$1" ] || mkdir -p "$1"; }
mkdirs "$S" || exit 1
: >"$M"

grab() {
  for p in "$@"; do
    if [ ! -e "$p" ] && [ ! -L "$p" ]; then
      echo "absent $p" >>"$M"
      continue
    fi
    mkdirs "$S$(dirname "$p")"
    if err=$(cat "$p" 2>&1 >"$S$p"); then
      :
    else
      rm -f "$S$p"
      echo "unreadable $p: ${err##*: }" >>"$M"
    fi
  done
}

# Namespace links keep their target text (e.g. pid:[4026531836]) as a symlink.
grab_links() {
  dir=$1
  shift
  for n in "$@"; do
    p=$dir/$n
    if [ ! -e "$p" ] && [ ! -L "$p" ]; then
      echo "absent $p" >>"$M"
      continue
    fi
    mkdirs "$S$dir"
    if t=$(readlink "$p" 2>&1) && [ -n "$t" ]; then
      ln -s "$t" "$S$p"
    else
      echo "unreadable $p: ${t:-readlink failed}" >>"$M"
    fi
  done
}

ns="cgroup ipc mnt net pid pid_for_children time time_for_children user uts"
grab /proc/self/status /proc/self/uid_map /proc/self/gid_map /proc/self/setgroups \
  /proc/self/cgroup /proc/self/mountinfo /proc/self/environ /proc/self/attr/current \
  /proc/self/attr/apparmor/current
grab_links /proc/self/ns $ns
grab /proc/1/cgroup /proc/1/environ /proc/1/comm /proc/1/status
grab_links /proc/1/ns $ns
grab /proc/sys/kernel/hostname /proc/sys/kernel/osrelease /proc/version /proc/cmdline \
  /sys/kernel/security/lsm /etc/passwd /etc/group /etc/hostname /.dockerenv \
  /run/.containerenv /run/systemd/container /run/host/container-manager /.flatpak-info \
  /var/run/secrets/kubernetes.io/serviceaccount/namespace

# Drop the directories nothing was captured into.
find "$S" -depth -type d -empty -exec rmdir {} \; 2>/dev/null
cd "$S" && tar -cf - .
