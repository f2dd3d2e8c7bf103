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

# The environment sections: kernel limits, downward-API files, cgroup limit files.
grab /proc/sys/kernel/yama/ptrace_scope /proc/sys/user/max_user_namespaces \
  /proc/sys/kernel/unprivileged_userns_clone /proc/sys/kernel/apparmor_restrict_unprivileged_userns \
  /proc/sys/net/ipv4/ping_group_range /proc/sys/kernel/io_uring_disabled \
  /proc/sys/kernel/unprivileged_bpf_disabled /proc/sys/kernel/perf_event_paranoid \
  /proc/sys/kernel/kptr_restrict /proc/sys/kernel/dmesg_restrict /sys/kernel/security/lockdown \
  /sys/fs/selinux/enforce /sys/module/apparmor/parameters/enabled /etc/podinfo/name \
  /etc/podinfo/namespace

# Copies a file only if it is there, and says nothing otherwise: the cgroup files below are
# looked for in every place they may be.
grab_quiet() {
  for p in "$@"; do
    [ -f "$p" ] || continue
    mkdirs "$S$(dirname "$p")"
    cat "$p" >"$S$p" 2>/dev/null || rm -f "$S$p"
  done
}

# Each cgroup mount point, from mountinfo (type after the lone "-").
cgroup_mounts() {
  while read -r line; do
    set -f
    # shellcheck disable=SC2086
    set -- $line
    set +f
    mp=$5
    shift 6
    while [ $# -gt 0 ] && [ "$1" != - ]; do shift; done
    case ${2:-} in cgroup | cgroup2) echo "$mp" ;; esac
  done </proc/self/mountinfo
}
cgpaths=$(cut -d: -f3- /proc/self/cgroup | sort -u)
# (The loop variables are not grab's p: shell functions share the script's variables.)
for mp in $(cgroup_mounts); do
  for cgp in / $cgpaths; do
    [ "$cgp" = / ] && cgp=
    for cgf in memory.max cpu.max pids.max cgroup.controllers memory.limit_in_bytes \
      cpu.cfs_quota_us cpu.cfs_period_us devices.list; do
      grab_quiet "$mp$cgp/$cgf"
    done
  done
done

# STAT.txt: what stat(2) says about the paths whatami looks at without reading them (git
# holds no device node or socket): the masked and kernel-interface paths, runtime sockets at
# their usual paths and in every mount, device nodes, and the listing of /dev. Format in
# tests/fixtures/README.md.
T=$S/STAT.txt
: >"$T"
kind() {
  case $1 in
  "regular file" | "regular empty file") echo file ;;
  directory) echo dir ;;
  "character special file") echo char ;;
  "block special file") echo block ;;
  socket) echo socket ;;
  fifo) echo fifo ;;
  "symbolic link") echo link ;;
  *) echo other ;;
  esac
}
# stat_path PATH [quiet]: a line for PATH (following links), or "absent" unless quiet.
stat_path() {
  if [ ! -e "$1" ]; then
    [ -n "${2:-}" ] || printf 'stat\t%s\tabsent\n' "$1" >>"$T"
    return
  fi
  out=$(stat -L -c '%F|%t|%T|%a|%u' "$1" 2>/dev/null) || return
  f=${out%%|*} rest=${out#*|}
  ma=${rest%%|*} rest=${rest#*|}
  mi=${rest%%|*} rest=${rest#*|}
  printf 'stat\t%s\t%s\t%d:%d\t%s\t%s\n' "$1" "$(kind "$f")" "0x$ma" "0x$mi" "${rest%%|*}" \
    "${rest#*|}" >>"$T"
}
for sp in /proc/acpi /proc/asound /proc/kcore /proc/keys /proc/latency_stats /proc/timer_list \
  /proc/timer_stats /proc/sched_debug /proc/scsi /sys/firmware /sys/devices/virtual/powercap \
  /proc /proc/sys /proc/sysrq-trigger /sys /sys/fs/cgroup /sys/module /sys/module/apparmor \
  /dev/net/tun /dev/dri/card0 /dev/dri/card1 /dev/dri/renderD128 /dev/dri/renderD129; do
  stat_path "$sp"
done
socks="docker.sock podman/podman.sock containerd/containerd.sock k3s/containerd/containerd.sock
  crio/crio.sock buildkit/buildkitd.sock dockershim.sock cri-dockerd.sock"
for s in $socks; do stat_path "/run/$s"; stat_path "/var/run/$s"; done
for mp in $(cut -d' ' -f5 /proc/self/mountinfo); do
  case $mp in /proc | /proc/* | /sys | /sys/* | /dev | /dev/*) continue ;; esac
  stat_path "$mp" quiet
  stat_path "$mp/release_agent" quiet
  for s in $socks; do stat_path "${mp%/}/$s" quiet; stat_path "${mp%/}/run/$s" quiet; done
done
for mp in $(cgroup_mounts); do stat_path "$mp/release_agent" quiet; done
if [ -d /dev ]; then
  printf 'listed\t/dev\n' >>"$T"
  for n in $(ls -A /dev); do
    k=$(kind "$(stat -c %F "/dev/$n" 2>/dev/null)")
    printf 'entry\t/dev\t%s\t%s\n' "$n" "$k" >>"$T"
    case $k in char | block) stat_path "/dev/$n" quiet ;; esac
  done
fi

# Drop the directories nothing was captured into.
find "$S" -depth -type d -empty -exec rmdir {} \; 2>/dev/null
cd "$S" && tar -cf - .
