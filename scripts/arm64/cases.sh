# Sourced by the arm64 VM's /init after the tests (file, say and the PATH come from there).
# Each case's output is kept by the host (target/arm64/out/NAME) and checked there by
# scripts/arm64/check.py against the filters it compiled.

# The report under each real policy, attached before exec as a runtime attaches it, and with
# no filter at all.
file report-none.json whatami --json
for f in /arm64/filters/*.bpf; do
  n=${f##*/}
  n=${n%.bpf}
  file "report-$n.json" attach "$f" -- whatami --json
  file "report-$n.txt" attach "$f" -- whatami --color never
done

# why on calls the policies refuse: mkdir(2) is mkdirat on aarch64, refused with EPERM by
# the mixed policy; unshare(CLONE_NEWUSER) is refused by Docker's profile without
# CAP_SYS_ADMIN.
file why-mkdir.json attach /arm64/filters/mixed.bpf -- whatami why --json -- mkdir /tmp/why-dir
file why-mkdir.txt attach /arm64/filters/mixed.bpf -- whatami why --color never -- mkdir /tmp/why-dir
file why-unshare.json attach /arm64/filters/docker.bpf -- whatami why --json -- unshare -U true

# record: the profile of a tar run, then the same run under that profile (compiled on the
# host after the first boot would need a second boot; whatami's own resolver and the tests'
# compiler do it in tests/record.rs instead, which ran above).
mkdir -p /tmp/rec/in
echo data >/tmp/rec/in/f
file record.json whatami record --json -o /tmp/rec/profile.json -- tar -cf /tmp/rec/out.tar -C /tmp/rec in
file record-profile.json cat /tmp/rec/profile.json

# The AArch32 entry point: does this CPU and kernel run a 32-bit ARM program?
file a32.txt /arm64/bin/a32-hello
