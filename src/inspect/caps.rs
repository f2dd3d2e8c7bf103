//! Capabilities: the five sets of /proc/self/status, named, compared with
//! Docker's default set, and with the dangerous ones picked out.

use crate::linux::caps::{DOCKER_DEFAULT, mask_of, names};
use crate::linux::status::ProcStatus;
use crate::model::{CapDiff, Capabilities};
use caps::Capability;
use std::collections::BTreeMap;

/// Capabilities that give a known way out of a container or act on the whole
/// host. Everything in Docker's default set is left out on purpose: those are
/// the baseline every container has, and flagging them would drown the
/// signal (DAC_OVERRIDE only bypasses file permissions on files the container
/// can already reach).
pub const DANGEROUS: [Capability; 14] = [
    // mount, namespaces, BPF maps, cgroup release_agent, keyctl, ...: most
    // published escapes start here.
    Capability::CAP_SYS_ADMIN,
    // ptrace and process_vm_writev on any process it can see; with the host's
    // pid namespace that is code injection into host processes.
    Capability::CAP_SYS_PTRACE,
    // Loads kernel modules: arbitrary kernel code.
    Capability::CAP_SYS_MODULE,
    // /dev/mem, /dev/port, ioperm/iopl, raw SCSI commands: host memory and devices.
    Capability::CAP_SYS_RAWIO,
    // open_by_handle_at() reads any file on a mounted filesystem by inode,
    // including the host's ("shocker").
    Capability::CAP_DAC_READ_SEARCH,
    // Reconfigures networking (and the host's, in its network namespace);
    // nf_tables and traffic-control code are a frequent kernel exploit target.
    Capability::CAP_NET_ADMIN,
    // Loads BPF programs: kernel memory reads, and tracing of every process.
    Capability::CAP_BPF,
    // perf_event_open on the kernel: kernel addresses and host-wide profiling.
    Capability::CAP_PERFMON,
    // kexec_load() replaces the running kernel.
    Capability::CAP_SYS_BOOT,
    // The system clock is not namespaced: setting it changes the host's time.
    Capability::CAP_SYS_TIME,
    // Loads or replaces LSM policy (e.g. AppArmor profiles) for the whole host.
    Capability::CAP_MAC_ADMIN,
    // Overrides mandatory access control.
    Capability::CAP_MAC_OVERRIDE,
    // Reads and clears the host's kernel log, which leaks kernel addresses.
    Capability::CAP_SYSLOG,
    // Changes or disables the host's audit rules (audit is not namespaced).
    Capability::CAP_AUDIT_CONTROL,
];

/// Builds the capabilities section from the status file.
pub fn from_status(s: &ProcStatus) -> Result<Capabilities, String> {
    let eff = s.cap_mask("CapEff")?;
    let prm = s.cap_mask("CapPrm")?;
    let inh = s.cap_mask("CapInh")?;
    let bnd = s.cap_mask("CapBnd")?;
    let amb = s.cap_ambient()?;
    Ok(build(eff, prm, inh, bnd, amb))
}

/// The pure part: masks in, section out.
pub fn build(eff: u64, prm: u64, inh: u64, bnd: u64, amb: Option<u64>) -> Capabilities {
    let docker = mask_of(&DOCKER_DEFAULT);
    let dangerous = mask_of(&DANGEROUS);
    let mut raw = BTreeMap::new();
    for (k, v) in [
        ("effective", Some(eff)),
        ("permitted", Some(prm)),
        ("inheritable", Some(inh)),
        ("bounding", Some(bnd)),
        ("ambient", amb),
    ] {
        if let Some(v) = v {
            raw.insert(k.to_string(), format!("{v:016x}"));
        }
    }
    Capabilities {
        effective: names(eff),
        permitted: names(prm),
        inheritable: names(inh),
        bounding: names(bnd),
        ambient: amb.map(names),
        raw,
        vs_docker_default: CapDiff {
            added: names(eff & !docker),
            dropped: names(docker & !eff),
        },
        dangerous_effective: names(eff & dangerous),
        dangerous_bounding: names(bnd & dangerous),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::linux::status::tests::{BWRAP_USER, GVISOR_LIKE, PODMAN_DEFAULT};

    fn v(names: &[&str]) -> Vec<String> {
        names.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn docker_default_mask_is_what_dockerd_grants() {
        // CapEff of `docker run` under dockerd 20.10.24 on this kind of machine.
        assert_eq!(mask_of(&DOCKER_DEFAULT), 0xa80425fb);
        let c = build(0xa80425fb, 0xa80425fb, 0, 0xa80425fb, Some(0));
        assert_eq!(c.vs_docker_default, CapDiff::default());
        assert!(c.dangerous_effective.is_empty());
        assert!(c.dangerous_bounding.is_empty());
    }

    #[test]
    fn podman_default_drops_three_of_dockers() {
        let c = from_status(&ProcStatus::parse(PODMAN_DEFAULT)).unwrap();
        assert_eq!(c.effective.len(), 11);
        assert_eq!(c.vs_docker_default.added, Vec::<String>::new());
        assert_eq!(
            c.vs_docker_default.dropped,
            v(&["CAP_NET_RAW", "CAP_MKNOD", "CAP_AUDIT_WRITE"])
        );
        assert_eq!(c.raw["effective"], "00000000800405fb");
        assert_eq!(c.ambient, Some(vec![]));
    }

    #[test]
    fn privileged_here_lacks_sys_resource() {
        // podman --privileged on this machine: CapBnd 1fffeffffff (gotcha: no
        // CAP_SYS_RESOURCE in the outer bounding set).
        let c = build(0x1fffeffffff, 0x1fffeffffff, 0, 0x1fffeffffff, Some(0));
        assert_eq!(c.effective.len(), 40);
        assert!(!c.effective.contains(&"CAP_SYS_RESOURCE".to_string()));
        assert!(c.effective.contains(&"CAP_CHECKPOINT_RESTORE".to_string()));
        assert_eq!(c.dangerous_effective.len(), DANGEROUS.len());
        assert!(c.vs_docker_default.dropped.is_empty());
        assert!(
            c.vs_docker_default
                .added
                .contains(&"CAP_SYS_ADMIN".to_string())
        );
    }

    #[test]
    fn unprivileged_user_keeps_a_dangerous_bounding_set() {
        let c = from_status(&ProcStatus::parse(BWRAP_USER)).unwrap();
        assert!(c.effective.is_empty());
        assert!(c.dangerous_effective.is_empty());
        assert_eq!(c.dangerous_bounding.len(), DANGEROUS.len());
        assert_eq!(c.vs_docker_default.dropped.len(), 14);
    }

    #[test]
    fn nspawn_set_flags_its_extras() {
        // systemd-nspawn 252 without --private-network: CapEff 00000000fcecafff
        // (no CAP_NET_ADMIN, which it only grants with a private network).
        let c = build(0xfcecafff, 0xfcecafff, 0xfcecafff, 0xfcecafff, Some(0));
        assert_eq!(c.effective.len(), 25);
        assert_eq!(
            c.dangerous_effective,
            v(&[
                "CAP_DAC_READ_SEARCH",
                "CAP_SYS_PTRACE",
                "CAP_SYS_ADMIN",
                "CAP_SYS_BOOT",
                "CAP_AUDIT_CONTROL"
            ])
        );
        assert_eq!(c.inheritable, c.effective);
    }

    #[test]
    fn unknown_high_bits_are_kept() {
        let c = build(1 << 41 | 1, 0, 0, 0, None);
        assert_eq!(c.effective, v(&["CAP_CHOWN", "CAP_41"]));
        assert!(c.vs_docker_default.added.contains(&"CAP_41".to_string()));
        assert_eq!(c.ambient, None);
        assert!(!c.raw.contains_key("ambient"));
    }

    #[test]
    fn gvisor_status_has_no_ambient_set() {
        let c = from_status(&ProcStatus::parse(GVISOR_LIKE)).unwrap();
        assert_eq!(c.ambient, None);
        assert_eq!(c.effective.len(), 14);
    }

    #[test]
    fn a_missing_set_fails_the_section_by_name() {
        let e = from_status(&ProcStatus::parse("CapEff:\t0\n")).unwrap_err();
        assert!(e.contains("CapPrm"), "{e}");
        let e = from_status(&ProcStatus::parse("")).unwrap_err();
        assert!(e.contains("CapEff"), "{e}");
    }
}
