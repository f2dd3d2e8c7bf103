//! Every parser of what a container controls, fed noise: random bytes, and
//! real inputs (the captured fixtures, a real profile) mutated byte by byte
//! and line by line. A property test on stable Rust rather than a fuzzer: a
//! fixed number of cases per parser from fixed seeds, so that a failure
//! replays, and none may panic. The inputs: /proc/PID/status, mountinfo,
//! cgroup files, uid/gid maps, /etc/passwd, LSM labels, sysctl values
//! (lockdown, cpu.max, the kernel release), namespace links, the stat table
//! of a captured tree, profile JSON/YAML/OCI/SeccompProfile, `--check`
//! policies, token claims, the Docker `_ping` answer, file capabilities.

use std::path::Path;

/// Cases per input kind: the three tests take about 1.2 s in a debug build.
const CASES: usize = 300;

/// xorshift64*: a small generator whose sequence a seed fixes.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }

    /// Random bytes, weighted towards what parsers split on.
    fn bytes(&mut self, len: usize) -> Vec<u8> {
        const SPECIAL: &[u8] = b" \t\n:,-=/[]{}\"'\\0x#\x1b\xff";
        (0..len)
            .map(|_| match self.below(4) {
                0 => SPECIAL[self.below(SPECIAL.len())],
                1 => b'0' + self.below(10) as u8,
                _ => self.next() as u8,
            })
            .collect()
    }

    /// `sample` changed in a few places: bytes replaced, inserted or
    /// removed, a line repeated or dropped, the text cut.
    fn mutate(&mut self, sample: &[u8]) -> Vec<u8> {
        let mut b = sample.to_vec();
        for _ in 0..1 + self.below(8) {
            let at = self.below(b.len() + 1);
            match self.below(6) {
                0 if at < b.len() => b[at] = self.next() as u8,
                1 => {
                    let len = 1 + self.below(8);
                    let noise = self.bytes(len);
                    b.splice(at..at, noise);
                }
                2 if at < b.len() => {
                    let end = (at + 1 + self.below(16)).min(b.len());
                    b.drain(at..end);
                }
                3 => {
                    // A line repeated: a table with duplicate keys.
                    let start = b[..at]
                        .iter()
                        .rposition(|&c| c == b'\n')
                        .map_or(0, |i| i + 1);
                    let end = b[at..]
                        .iter()
                        .position(|&c| c == b'\n')
                        .map_or(b.len(), |i| at + i + 1);
                    let line = b[start..end].to_vec();
                    b.splice(end..end, line);
                }
                4 => b.truncate(at),
                _ if at < b.len() => b[at] = b"0123456789-:x\n "[self.below(15)],
                _ => {}
            }
        }
        b
    }
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// Runs `parse` on CASES random inputs and CASES mutations of each sample.
fn noise(seed: u64, samples: &[Vec<u8>], mut parse: impl FnMut(&[u8])) {
    let mut rng = Rng(seed | 1);
    for i in 0..CASES {
        let len = rng.below(if i % 10 == 0 { 4096 } else { 200 });
        parse(&rng.bytes(len));
    }
    for s in samples {
        for _ in 0..CASES {
            parse(&rng.mutate(s));
        }
    }
}

/// The file at `path` of every captured fixture that has it.
fn fixtures(path: &str) -> Vec<Vec<u8>> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let mut out: Vec<Vec<u8>> = std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .filter_map(|e| std::fs::read(e.path().join(path)).ok())
        .collect();
    out.sort();
    out.dedup();
    out.truncate(4);
    out
}

#[test]
fn proc_files_parse_noise_without_panicking() {
    use crate::linux::status::ProcStatus;
    noise(1, &fixtures("proc/self/status"), |b| {
        let s = ProcStatus::parse(&text(b));
        let _ = (s.uids(), s.gids(), s.groups(), s.cap_mask("CapEff"));
        let _ = (s.cap_ambient(), s.no_new_privs(), s.seccomp_filters());
        let _ = (s.seccomp_mode(), s.tracer_pid());
        let _ = crate::trace::evidence::Creds::parse(&text(b));
    });
    noise(2, &fixtures("proc/self/mountinfo"), |b| {
        let _ = crate::linux::mountinfo::parse_table(&text(b));
    });
    noise(3, &fixtures("proc/self/cgroup"), |b| {
        let _ = crate::inspect::cgroups::parse(&text(b));
        let _ = crate::inspect::cgroups::parse_cpu_max(&text(b));
    });
    noise(4, &fixtures("proc/self/uid_map"), |b| {
        let _ = crate::inspect::userns::parse_map(&text(b));
    });
    noise(
        5,
        &[
            b"6.18.44-fc-v595".to_vec(),
            b"none [integrity] confidentiality".to_vec(),
        ],
        |b| {
            let _ = crate::linux::kernel::parse_version(&text(b));
            let _ = crate::inspect::limits::parse_lockdown(&text(b));
        },
    );
    noise(6, &[b"pid:[4026531836]".to_vec()], |b| {
        let _ = crate::linux::ns::parse_link(crate::linux::ns::Kind::Pid, &text(b));
    });
}

#[test]
fn container_files_parse_noise_without_panicking() {
    noise(7, &fixtures("etc/passwd"), |b| {
        let _ = crate::inspect::identity::user_name(&text(b), 0);
    });
    let labels = [
        b"docker-default (enforce)".to_vec(),
        b"system_u:system_r:container_t:s0:c1,c2".to_vec(),
        b"capability,lockdown,landlock,yama,apparmor".to_vec(),
    ];
    noise(8, &labels, |b| {
        let _ = crate::inspect::lsm::parse_apparmor(&text(b));
        let _ = crate::inspect::lsm::parse_selinux(&text(b));
        let _ = crate::inspect::lsm::parse_active(&text(b));
    });
    noise(9, &fixtures("STAT.txt"), |b| {
        let _ = crate::fsroot::StatTable::parse(&text(b));
    });
    // A JWT's three parts: header, claims, signature.
    let token =
        b"eyJhbGciOiJSUzI1NiJ9.eyJrdWJlcm5ldGVzLmlvIjp7Im5hbWVzcGFjZSI6ImRlZmF1bHQifX0.c2ln";
    noise(10, &[token.to_vec()], |b| {
        let _ = crate::inspect::kube::token_claims(&text(b));
    });
    let ping = b"HTTP/1.1 200 OK\r\nApi-Version: 1.41\r\nServer: Docker/20.10\r\nContent-Length: 2\r\n\r\nOK";
    noise(11, &[ping.to_vec()], |b| {
        let _ = crate::inspect::sockets::parse_answer(b);
    });
    noise(
        12,
        &[vec![
            0, 0, 0, 2, 0xff, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        ]],
        |b| {
            let _ = crate::trace::evidence::FileCaps::parse(b);
        },
    );
}

#[test]
fn profiles_and_policies_parse_noise_without_panicking() {
    let profile = br#"{"defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": 1,
 "architectures": ["SCMP_ARCH_X86_64"],
 "syscalls": [{"names": ["read", "write"], "action": "SCMP_ACT_ALLOW"},
  {"names": ["clone"], "action": "SCMP_ACT_ALLOW",
   "args": [{"index": 0, "value": 2114060288, "op": "SCMP_CMP_MASKED_EQ"}],
   "excludes": {"caps": ["CAP_SYS_ADMIN"]}}]}"#;
    let yaml = b"apiVersion: security-profiles-operator.x-k8s.io/v1beta1\nkind: SeccompProfile\n\
metadata:\n  name: x\nspec:\n  defaultAction: SCMP_ACT_ERRNO\n  syscalls:\n  - action: SCMP_ACT_ALLOW\n    names: [read, 'write']\n";
    let oci =
        br#"{"ociVersion": "1.0.2", "linux": {"seccomp": {"defaultAction": "SCMP_ACT_ALLOW"}}}"#;
    noise(13, &[profile.to_vec(), yaml.to_vec(), oci.to_vec()], |b| {
        let _ = crate::profile::read::parse(&text(b));
        let _ = crate::profile::yaml::parse(&text(b));
    });
    let policy =
        br#"{"extends": "baseline", "read_only_root": true, "max_capabilities": ["CHOWN"]}"#;
    noise(14, &[policy.to_vec()], |b| {
        let _ = crate::check::Policy::parse(&text(b));
    });
}
