# Sourced by the arm64 VM's /init after the tests (file, say and the PATH come from there).
# Each case's output is kept by the host (target/arm64/out/NAME) and checked there by
# scripts/arm64/check.py against the filters it compiled.

# The report under each real policy, attached before exec as a runtime attaches it (with the
# container's bounding set, without no_new_privs), and with no filter at all.
file report-none.json whatami --json
run_as() { # POLICY CMD...: CMD as the policy's container would run it
  p=$1
  shift
  attach --caps "$(cat "/arm64/filters/$p.caps")" --no-nnp "/arm64/filters/$p.bpf" -- "$@"
}
for f in /arm64/filters/*.bpf; do
  n=${f##*/}
  n=${n%.bpf}
  file "report-$n.json" run_as "$n" whatami --json
  file "report-$n.txt" run_as "$n" whatami --color never
done

# why on calls the policies refuse: mkdir(2) is mkdirat on aarch64, refused with EPERM by
# the mixed policy; unshare(CLONE_NEWUSER) is refused by Docker's profile without
# CAP_SYS_ADMIN.
file why-mkdir.json run_as mixed whatami why --json -- mkdir /tmp/why-dir
file why-mkdir.txt run_as mixed whatami why --color never -- mkdir /tmp/why-dir
file why-unshare.json run_as docker whatami why --json -- unshare -U true
file why-unshare.txt run_as docker whatami why --color never -- unshare -U true
# The same through the registers (PTRACE_GETREGSET), as on kernels without
# PTRACE_GET_SYSCALL_INFO, from a child of a shell; a TRAP (swapon) and a KILL_THREAD
# (swapoff) of the mixed policy.
file why-regs.json env WHATAMI_WHY_FORCE_REGISTERS=1 /arm64/bin/attach \
  --caps "$(cat /arm64/filters/mixed.caps)" --no-nnp /arm64/filters/mixed.bpf -- \
  whatami why --json -- sh -c 'mkdir /tmp/why-regs; exit 3'
: >/tmp/no-swap
file why-trap.json run_as mixed whatami why --json -- swapon /tmp/no-swap
file why-kill.json run_as mixed whatami why --json -- swapoff /tmp/no-swap

# record: the profile of a tar run, then the same run under that profile (compiled on the
# host after the first boot would need a second boot; whatami's own resolver and the tests'
# compiler do it in tests/record.rs instead, which ran above).
mkdir -p /tmp/rec/in
echo data >/tmp/rec/in/f
file record.json whatami record --json -o /tmp/rec/profile.json -- tar -cf /tmp/rec/out.tar -C /tmp/rec in
file record-profile.json cat /tmp/rec/profile.json

# record and why on a 32-bit ARM program: its calls are not followed, and both say so.
file record-a32.json whatami record --json -o /tmp/rec/a32.json -- /arm64/bin/a32-hello
file why-a32.json env WHATAMI_WHY_FORCE_REGISTERS=1 whatami why --json -- /arm64/bin/a32-hello

# The AArch32 entry point: does this CPU and kernel run a 32-bit ARM program?
file a32.txt /arm64/bin/a32-hello
