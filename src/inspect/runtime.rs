//! Runtime detection: which container runtime (if any) runs this process,
//! and the list of facts that say so.
//!
//! The order follows systemd-detect-virt --container (OpenVZ, WSL, proot,
//! /run/host/container-manager, `container=`, /run/systemd/container,
//! /run/.containerenv, /.dockerenv, the pid namespace), extended with what
//! still identifies a runtime when those are absent: on cgroup v2 with a
//! private cgroup namespace /proc/self/cgroup is only `0::/`, but the bind
//! mounts a runtime makes for /etc/hostname, /etc/hosts and /etc/resolv.conf
//! name the directory it keeps them in, and the root overlay names its layer
//! store. Kubernetes, gVisor, Flatpak and bubblewrap leave their own marks.
//!
//! Everything is read through the [`Root`] (no process environment, no
//! absolute path outside it) and nothing walks the file system: every file
//! read is named here or in [`Shared`]. [`gather`] does the reads; [`decide`]
//! is pure.

use super::shared::Shared;
use crate::fsroot::Root;
use crate::linux::ns::{Kind, PID_INIT_INO, USER_INIT_INO};
use crate::model::Runtime;

/// The files a decision is made from, as read (or not) through the root.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Facts {
    /// /proc/vz exists and /proc/bc does not (an OpenVZ container, not its host).
    pub openvz: bool,
    pub osrelease: Option<String>,
    /// Why the kernel is taken for gVisor's ([`super::shared::gvisor_hint`]).
    pub gvisor: Option<String>,
    /// TracerPid and the tracer's `/proc/<pid>/comm`.
    pub tracer: Option<(u32, String)>,
    pub container_manager: Option<String>,
    pub systemd_container: Option<String>,
    /// Content of /run/.containerenv when it exists.
    pub containerenv: Option<String>,
    pub dockerenv: bool,
    pub flatpak_info: bool,
    pub lxd_socket: bool,
    pub incus_socket: bool,
    pub self_environ: Option<String>,
    pub init_environ: Option<String>,
    pub k8s_serviceaccount: Option<&'static str>,
    pub init_comm: Option<String>,
    pub self_cgroup: Option<String>,
    pub init_cgroup: Option<String>,
    pub mountinfo: Option<String>,
    pub pid_ns: Option<u64>,
    pub user_ns: Option<u64>,
}

const SERVICEACCOUNT_DIRS: [&str; 2] = [
    "/var/run/secrets/kubernetes.io/serviceaccount",
    "/run/secrets/kubernetes.io/serviceaccount",
];

/// Reads every file [`decide`] looks at that `shared` does not hold.
/// Unreadable files count as absent: each is only one piece of evidence
/// among many.
pub fn gather(root: &Root, shared: &Shared) -> Facts {
    let text = |p: &str| root.read(p).ok();
    let tracer = shared
        .status
        .as_ref()
        .ok()
        .and_then(|s| s.tracer_pid().ok())
        .filter(|&pid| pid != 0)
        .map(|pid| {
            let comm = text(&format!("/proc/{pid}/comm")).unwrap_or_default();
            (pid, comm.trim().to_string())
        });
    Facts {
        openvz: root.exists("/proc/vz") && !root.exists("/proc/bc"),
        osrelease: shared.release.clone().ok().flatten(),
        gvisor: shared.gvisor.clone(),
        tracer,
        container_manager: text("/run/host/container-manager"),
        systemd_container: text("/run/systemd/container"),
        containerenv: if root.exists("/run/.containerenv") {
            // Present but unreadable still says "podman or CRI-O".
            Some(text("/run/.containerenv").unwrap_or_default())
        } else {
            None
        },
        dockerenv: root.exists("/.dockerenv"),
        flatpak_info: root.exists("/.flatpak-info"),
        lxd_socket: root.exists("/dev/lxd/sock"),
        incus_socket: root.exists("/dev/incus/sock"),
        self_environ: shared.self_environ.clone(),
        init_environ: shared.init_environ.clone(),
        k8s_serviceaccount: SERVICEACCOUNT_DIRS.into_iter().find(|d| root.exists(d)),
        init_comm: text("/proc/1/comm"),
        self_cgroup: shared.self_cgroup.clone(),
        init_cgroup: text("/proc/1/cgroup"),
        mountinfo: shared.mountinfo.clone().ok(),
        pid_ns: shared.ns.get(Kind::Pid).clone().ok(),
        user_ns: shared.ns.get(Kind::User).clone().ok(),
    }
}

/// Detects the runtime of the tree under `root`.
pub fn detect(root: &Root, shared: &Shared) -> Result<Runtime, String> {
    decide(&gather(root, shared))
}

/// One fact and the runtime it points at (`None`: "a container", no name).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Finding {
    name: Option<String>,
    evidence: String,
    /// A lone file marker, which a leftover file in an image can fake.
    marker: bool,
}

fn named(name: &str, evidence: impl Into<String>) -> Finding {
    Finding {
        name: Some(name.to_string()),
        evidence: evidence.into(),
        marker: false,
    }
}

fn generic(evidence: impl Into<String>) -> Finding {
    Finding {
        name: None,
        evidence: evidence.into(),
        marker: false,
    }
}

/// Decides from the facts. Fails only when nothing at all could be read.
pub fn decide(f: &Facts) -> Result<Runtime, String> {
    let mut found: Vec<Finding> = Vec::new();

    // Environments that are not a container engine but change what the
    // kernel is: they name the runtime whatever else is found.
    if f.openvz {
        found.push(named("openvz", "/proc/vz exists and /proc/bc does not"));
    }
    // systemd-detect-virt's test: WSL kernels name themselves.
    if let Some(rel) = f
        .osrelease
        .as_ref()
        .filter(|r| r.contains("Microsoft") || r.contains("WSL"))
    {
        found.push(named(
            "wsl",
            format!("kernel release {:?} is WSL's", rel.trim()),
        ));
    }
    if let Some(hint) = &f.gvisor {
        found.push(named("gvisor", hint.clone()));
    }
    if let Some((pid, comm)) = f.tracer.as_ref().filter(|(_, c)| c.starts_with("proot")) {
        found.push(named("proot", format!("traced by PID {pid} ({comm})")));
    }

    let kubernetes = kubernetes_findings(f);
    let in_kubernetes = !kubernetes.is_empty();
    found.extend(kubernetes);
    // CRI-O keeps its files in containers/storage and writes
    // /run/.containerenv, exactly like podman; Kubernetes tells them apart.
    let storage_engine = if in_kubernetes { "cri-o" } else { "podman" };

    if let Some(v) = f.container_manager.as_deref() {
        found.push(declared(v, "/run/host/container-manager says"));
    }
    if let Some(content) = &f.containerenv {
        let engine = containerenv_engine(content);
        let mut finding = named(
            engine.as_deref().unwrap_or(storage_engine),
            match &engine {
                Some(e) => format!("/run/.containerenv exists (engine {e})"),
                None => "/run/.containerenv exists".to_string(),
            },
        );
        // Podman and CRI-O bind-mount the file; one that is not a mount
        // point was left in the root file system (`podman run --rootfs`
        // leaves one behind).
        let mounted = f.mountinfo.as_deref().is_some_and(|mi| {
            crate::linux::mountinfo::parse(mi)
                .iter()
                .any(|m| m.mount_point == "/run/.containerenv")
        });
        finding.marker = engine.is_none() && !mounted;
        found.push(finding);
    }
    if f.dockerenv {
        let mut finding = named("docker", "/.dockerenv exists");
        finding.marker = true;
        found.push(finding);
    }
    if let Some(mi) = &f.mountinfo {
        found.extend(mount_findings(mi, storage_engine));
    }
    // LXD and Incus give their containers a guest API socket, and also set
    // container=lxc: the socket is the more precise name, so it goes first.
    if f.incus_socket {
        found.push(named("incus", "/dev/incus/sock exists"));
    }
    if f.lxd_socket {
        found.push(named("lxd", "/dev/lxd/sock exists"));
    }
    if let Some(v) = f.systemd_container.as_deref() {
        found.push(declared(v, "/run/systemd/container says"));
    }
    fn container_var(env: &Option<String>) -> Option<&str> {
        env.as_deref().and_then(|e| env_var(e, "container"))
    }
    match (
        container_var(&f.init_environ),
        container_var(&f.self_environ),
    ) {
        (Some(a), Some(b)) if a == b => {
            found.push(declared(
                a,
                "container= in the environment of PID 1 and this process:",
            ));
        }
        (init, own) => {
            if let Some(v) = init {
                found.push(declared(v, "container= in PID 1's environment:"));
            }
            if let Some(v) = own {
                found.push(declared(v, "container= in this process's environment:"));
            }
        }
    }
    if f.flatpak_info {
        found.push(named("flatpak", "/.flatpak-info exists"));
    }
    if f.init_comm.as_deref().map(str::trim) == Some("bwrap") {
        found.push(named("bubblewrap", "PID 1 is bwrap (/proc/1/comm)"));
    }
    let own_cgroup = f.self_cgroup.as_deref().and_then(cgroup_engines);
    let init_cgroup = f.init_cgroup.as_deref().and_then(cgroup_engines);
    let mut cgroup = |(engines, path): (Vec<&str>, String), whose: &str| {
        for engine in engines {
            found.push(named(engine, format!("cgroup path {path} ({whose})")));
        }
    };
    match (own_cgroup, init_cgroup) {
        (Some(a), Some(b)) if a == b => cgroup(a, "this process and PID 1"),
        (own, init) => {
            if let Some(x) = own {
                cgroup(x, "/proc/self/cgroup");
            }
            if let Some(x) = init {
                cgroup(x, "/proc/1/cgroup");
            }
        }
    }

    // Drop repeated findings (self and PID 1 often agree word for word).
    let mut seen = std::collections::HashSet::new();
    found.retain(|x| seen.insert((x.name.clone(), x.evidence.clone())));

    let pid_note = match f.pid_ns {
        Some(PID_INIT_INO) => Some((
            false,
            format!("the pid namespace is the host's (inode {PID_INIT_INO:#x})"),
        )),
        Some(i) => Some((
            true,
            format!("the pid namespace is not the host's (inode {i})"),
        )),
        None => None,
    };
    let pid_private = pid_note.as_ref().map(|(p, _)| *p);

    // /.dockerenv and an unmounted /run/.containerenv are plain files that an
    // image or a root file system can carry without any engine running it
    // (this build machine's root has a /.dockerenv). Docker and podman always
    // also bind-mount /etc/hostname from their state directory, so a marker
    // that nothing else agrees with is reported as a leftover file. Without
    // a readable mountinfo there is nothing to check it against: it stands,
    // unless the pid namespace, the one other evidence left, is the host's
    // (a container cannot hide its mount table from itself; a host can have
    // its /proc made unreadable, and carry such a file).
    let mut evidence: Vec<String> = Vec::new();
    if f.mountinfo.is_none() && pid_private == Some(false) {
        found.retain(|x| {
            if x.marker {
                evidence.push(format!(
                    "{}, but the mount table cannot be read to confirm it and the pid \
                     namespace is the host's: not taken as a container",
                    x.evidence
                ));
            }
            !x.marker
        });
    }
    if f.mountinfo.is_some() {
        let confirmed: Vec<Option<String>> = found
            .iter()
            .filter(|x| !x.marker)
            .map(|x| x.name.clone())
            .collect();
        found.retain(|x| {
            let keep = !x.marker || confirmed.contains(&x.name);
            if !keep {
                evidence.push(format!(
                    "{}, but nothing else points to {}: taken as a leftover file",
                    x.evidence,
                    x.name.as_deref().unwrap_or("a runtime")
                ));
            }
            keep
        });
    }

    let mut detected: Vec<String> = Vec::new();
    for x in &found {
        if let Some(n) = x.name.as_ref().filter(|n| !detected.contains(n)) {
            detected.push(n.clone());
        }
    }
    let container = !found.is_empty() || pid_private == Some(true);
    let name = match detected.first() {
        Some(n) => n.clone(),
        None if container => "unknown".to_string(),
        None => "none".to_string(),
    };

    let mut all: Vec<String> = Vec::new();
    for x in found {
        if !all.contains(&x.evidence) {
            all.push(x.evidence);
        }
    }
    all.append(&mut evidence);
    match pid_note {
        Some((_, note)) => all.push(note),
        None if !container => {
            return Err(
                "cannot tell: /proc/self/ns/pid is unreadable and no container marker was found"
                    .into(),
            );
        }
        None => {}
    }
    if let Some(u) = f.user_ns.filter(|&u| !container && u != USER_INIT_INO) {
        all.push(format!(
            "the user namespace is private (inode {u}), which alone is not a container"
        ));
    }
    Ok(Runtime {
        name,
        container,
        evidence: all,
        detected,
    })
}

/// A runtime's own statement of its name (container-manager, container=,
/// /run/systemd/container). "oci" and empty values only say "a container".
fn declared(value: &str, source: &str) -> Finding {
    let v = value.trim_matches(|c: char| c.is_whitespace() || c == '\0');
    let shown: String = v.chars().take(64).collect();
    let evidence = format!("{source} {shown:?}");
    let clean = v.len() <= 32
        && !v.is_empty()
        && v.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b));
    if !clean || v == "oci" {
        return generic(evidence);
    }
    named(&v.to_ascii_lowercase(), evidence)
}

/// `engine="podman-4.3.1"` in /run/.containerenv names the engine (podman,
/// buildah). CRI-O and `podman run --rootfs` leave the file empty.
fn containerenv_engine(content: &str) -> Option<String> {
    content.lines().find_map(|l| {
        let v = l.trim().strip_prefix("engine=")?.trim_matches('"');
        let name = v.split('-').next()?.to_ascii_lowercase();
        (!name.is_empty() && name.bytes().all(|b| b.is_ascii_alphanumeric())).then_some(name)
    })
}

/// The value of `key` in a NUL-separated environment block.
pub fn env_var<'a>(environ: &'a str, key: &str) -> Option<&'a str> {
    environ
        .split('\0')
        .find_map(|kv| kv.strip_prefix(key)?.strip_prefix('='))
}

fn kubernetes_findings(f: &Facts) -> Vec<Finding> {
    let mut out = Vec::new();
    if let Some(dir) = f.k8s_serviceaccount {
        out.push(named("kubernetes", format!("{dir} exists")));
    }
    for env in [&f.self_environ, &f.init_environ] {
        if env
            .as_deref()
            .and_then(|e| env_var(e, "KUBERNETES_SERVICE_HOST"))
            .is_some()
        {
            out.push(named("kubernetes", "KUBERNETES_SERVICE_HOST is set"));
            break;
        }
    }
    out
}

fn is_container_id(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit())
}

/// The runtime whose state directory `path` lies in, from the layout each
/// runtime uses for the files it bind-mounts into containers:
/// docker `<data-root>/containers/<id>/hostname`; podman and CRI-O (the
/// containers/storage library) `<run-root>/<driver>-containers/<id>/userdata/…`;
/// containerd's CRI plugin `…/io.containerd.grpc.v1.cri/sandboxes/<id>/…`;
/// kubelet `/var/lib/kubelet/pods/<uid>/etc-hosts`.
fn engine_of_path(path: &str, storage_engine: &str) -> Option<String> {
    if path.contains("/kubelet/pods/") {
        return Some("kubernetes".into());
    }
    if path.contains("/io.containerd.") {
        return Some("containerd".into());
    }
    let parts: Vec<&str> = path.split('/').filter(|p| !p.is_empty()).collect();
    for w in parts.windows(3) {
        let (dir, id, next) = (w[0], w[1], w[2]);
        if dir == "containers" && is_container_id(id) {
            return Some("docker".into());
        }
        if dir.ends_with("-containers") && is_container_id(id) && next == "userdata" {
            return Some(storage_engine.into());
        }
    }
    if path.contains("/incus/") {
        return Some("incus".into());
    }
    if path.contains("/lxd/") {
        return Some("lxd".into());
    }
    None
}

/// The layer store named by the root overlay's `upperdir=`.
fn engine_of_layer_store(upperdir: &str, storage_engine: &str) -> Option<String> {
    if upperdir.contains("io.containerd.snapshotter") {
        Some("containerd".into())
    } else if upperdir.contains("/overlay2/") || upperdir.contains("/var/lib/docker/") {
        Some("docker".into())
    } else if upperdir.contains("/containers/storage/overlay/") {
        Some(storage_engine.into())
    } else {
        None
    }
}

fn mount_findings(mountinfo: &str, storage_engine: &str) -> Vec<Finding> {
    let mut out = Vec::new();
    // (engine, source directory, mount points): the three files a runtime
    // bind-mounts usually come from one directory, so they make one finding.
    let mut binds: Vec<(String, String, Vec<String>)> = Vec::new();
    for m in crate::linux::mountinfo::parse(mountinfo) {
        let bound = matches!(
            m.mount_point.as_str(),
            "/etc/hostname" | "/etc/hosts" | "/etc/resolv.conf"
        );
        let engine = if bound {
            engine_of_path(&m.root, storage_engine)
        } else {
            None
        };
        if let Some(engine) = engine {
            let dir = m.root.rsplit_once('/').map_or("", |(d, _)| d).to_string();
            match binds.iter_mut().find(|(e, d, _)| *e == engine && *d == dir) {
                Some((_, _, points)) => points.push(m.mount_point.clone()),
                None => binds.push((engine, dir, vec![m.mount_point.clone()])),
            }
        }
        if m.mount_point == "/" && m.fs_type == "overlay" {
            let upper = m
                .super_options
                .split(',')
                .find_map(|o| o.strip_prefix("upperdir="));
            if let Some((upper, engine)) =
                upper.and_then(|u| Some((u, engine_of_layer_store(u, storage_engine)?)))
            {
                out.push(named(
                    &engine,
                    format!("the root overlay's upper layer is {upper}"),
                ));
            }
        }
    }
    for (engine, dir, points) in binds {
        let verb = if points.len() == 1 { "is" } else { "are" };
        out.push(named(
            &engine,
            format!("{} {verb} bind-mounted from {dir}/", points.join(", ")),
        ));
    }
    out
}

/// The runtimes named by the first cgroup path that names any, with that
/// path (cgroup v1, or v2 without a private cgroup namespace). Segments are
/// matched whole, with the container id where the runtime writes one, so a
/// path that merely contains "docker" names nothing.
fn cgroup_engines(cgroup: &str) -> Option<(Vec<&'static str>, String)> {
    cgroup.lines().find_map(|line| {
        let path = line.splitn(3, ':').nth(2)?;
        let segments: Vec<&str> = path.split('/').collect();
        let mut engines: Vec<&'static str> = Vec::new();
        for (i, seg) in segments.iter().enumerate() {
            let next = segments.get(i + 1).copied().unwrap_or("");
            let scoped = |prefix: &str| {
                seg.strip_prefix(prefix)
                    .map(|r| r.strip_suffix(".scope").unwrap_or(r))
                    .is_some_and(is_container_id)
            };
            let engine = if seg.starts_with("kubepods") {
                Some("kubernetes")
            } else if (*seg == "docker" && is_container_id(next)) || scoped("docker-") {
                Some("docker")
            } else if *seg == "libpod_parent" || scoped("libpod-") || scoped("libpod-conmon-") {
                Some("podman")
            } else if scoped("crio-") || scoped("crio-conmon-") {
                Some("cri-o")
            } else if scoped("cri-containerd-") {
                Some("containerd")
            } else if seg.starts_with("lxc.payload") || (*seg == "lxc" && !next.is_empty()) {
                Some("lxc")
            } else if seg.starts_with("systemd-nspawn@") {
                Some("systemd-nspawn")
            } else {
                None
            };
            if let Some(e) = engine.filter(|e| !engines.contains(e)) {
                engines.push(e);
            }
        }
        let shown: String = path.chars().take(160).collect();
        (!engines.is_empty()).then_some((engines, shown))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inspect::shared::gvisor_hint;

    /// /proc/self/mountinfo lines of `docker run` under dockerd 20.10.24 with
    /// --data-root /tmp/wl/docker/data.
    const DOCKER_MOUNTINFO: &str = "\
72 48 0:39 / / rw,relatime master:2 - overlay overlay rw,lowerdir=/tmp/wl/docker/data/overlay2/l/YSAITL37IVVNEXU5TKKIQUUZRI:/tmp/wl/docker/data/overlay2/l/DAZTS6ERQHNIS5JNP72SY5PNQW,upperdir=/tmp/wl/docker/data/overlay2/f59c5964974d4a80a6b103cdf54f9119c1189527f831cd964840f79865bdf32e/diff,workdir=/tmp/wl/docker/data/overlay2/f59c5964974d4a80a6b103cdf54f9119c1189527f831cd964840f79865bdf32e/work
73 72 0:42 / /proc rw,nosuid,nodev,noexec,relatime - proc proc rw
89 72 254:0 /tmp/wl/docker/data/containers/99665f98aa42beb91122c36eca4e3a4b1fe650d4161b96dacf82e69f425dbf11/resolv.conf /etc/resolv.conf rw,relatime - ext4 /dev/vda rw,discard
90 72 254:0 /tmp/wl/docker/data/containers/99665f98aa42beb91122c36eca4e3a4b1fe650d4161b96dacf82e69f425dbf11/hostname /etc/hostname rw,relatime - ext4 /dev/vda rw,discard
";

    /// Rootful podman 4.3.1 with --rootfs (no overlay root).
    const PODMAN_MOUNTINFO: &str = "\
90 67 254:0 /tmp/wl/rootfs-podman / rw,relatime - ext4 /dev/vda rw,discard
96 90 254:0 /run/containers/storage/overlay-containers/5b1525fa3e457f6e5511112065b1077e067420ef5a8a0465b6ce6ca45aaac10a/userdata/.containerenv /run/.containerenv rw,relatime - ext4 /dev/vda rw,discard
97 90 254:0 /run/containers/storage/overlay-containers/5b1525fa3e457f6e5511112065b1077e067420ef5a8a0465b6ce6ca45aaac10a/userdata/hostname /etc/hostname rw,relatime - ext4 /dev/vda rw,discard
";

    /// Layout the kubelet and containerd's CRI plugin create (paths as they
    /// appear when /var/lib is on the root file system).
    const CONTAINERD_CRI_MOUNTINFO: &str = "\
1200 1100 0:300 / / rw,relatime - overlay overlay rw,lowerdir=/var/lib/containerd/io.containerd.snapshotter.v1.overlayfs/snapshots/41/fs,upperdir=/var/lib/containerd/io.containerd.snapshotter.v1.overlayfs/snapshots/57/fs,workdir=/var/lib/containerd/io.containerd.snapshotter.v1.overlayfs/snapshots/57/work
1210 1200 8:1 /var/lib/kubelet/pods/0b6e9f9e-3c2f-4d59-9a57-1f3f5e0e7c11/etc-hosts /etc/hosts rw,relatime - ext4 /dev/sda1 rw
1211 1200 8:1 /var/lib/containerd/io.containerd.grpc.v1.cri/sandboxes/2f1e9c0c1b8a4c6f1ad6ccf7a1ff0b7cf8f3b8e0e0f3a8a9d1b2c3d4e5f6a7b8/hostname /etc/hostname rw,relatime - ext4 /dev/sda1 rw
";

    fn facts() -> Facts {
        Facts {
            pid_ns: Some(4026532181),
            user_ns: Some(USER_INIT_INO),
            ..Facts::default()
        }
    }

    #[test]
    fn mountinfo_parsing_is_tolerant() {
        let m = crate::linux::mountinfo::parse(DOCKER_MOUNTINFO);
        assert_eq!(m.len(), 4);
        assert_eq!(m[0].mount_point, "/");
        assert_eq!(m[0].fs_type, "overlay");
        assert!(m[0].super_options.contains("upperdir="));
        assert_eq!(m[3].mount_point, "/etc/hostname");
        // Escapes, optional fields, garbage and truncated lines.
        let m = crate::linux::mountinfo::parse(
            "1 2 0:1 /a\\040b /mnt\\011x rw shared:1 master:2 - ext4 /dev/x rw\n\
             garbage\n\n1 2 3\n1 2 0:1 / / rw -\n1 2 0:1 / / rw - tmpfs\n\\\\\\ \\777 \\0",
        );
        // The line cut after its type is kept (type known, no options).
        assert_eq!(m.len(), 2);
        assert_eq!(m[0].root, "/a b");
        assert_eq!(m[0].mount_point, "/mnt\tx");
        assert_eq!(
            (m[1].fs_type.as_str(), m[1].super_options.as_str()),
            ("tmpfs", "")
        );
    }

    #[test]
    fn docker_with_a_private_cgroup_namespace() {
        let f = Facts {
            dockerenv: true,
            self_cgroup: Some("0::/\n".into()),
            mountinfo: Some(DOCKER_MOUNTINFO.into()),
            ..facts()
        };
        let r = decide(&f).unwrap();
        assert_eq!(r.name, "docker");
        assert!(r.container);
        assert_eq!(r.evidence[0], "/.dockerenv exists");
        assert!(
            r.evidence.contains(
                &"/etc/resolv.conf, /etc/hostname are bind-mounted from \
              /tmp/wl/docker/data/containers/\
              99665f98aa42beb91122c36eca4e3a4b1fe650d4161b96dacf82e69f425dbf11/"
                    .to_string()
            )
        );
        assert!(r.evidence.iter().any(|e| e.contains("upper layer")));
        assert_eq!(r.detected, vec!["docker"]);
    }

    #[test]
    fn a_marker_file_without_a_mount_table_does_not_outweigh_the_host_pid_namespace() {
        // mountinfo unreadable (a FIFO over it, an empty /proc): /.dockerenv
        // alone is not a container when the pid namespace is the host's.
        let f = Facts {
            dockerenv: true,
            mountinfo: None,
            pid_ns: Some(PID_INIT_INO),
            ..facts()
        };
        let r = decide(&f).unwrap();
        assert!(!r.container, "{r:?}");
        assert!(
            r.evidence
                .iter()
                .any(|e| e.contains("cannot be read to confirm it")),
            "{r:?}"
        );
        // With a private pid namespace it still stands.
        let f = Facts {
            pid_ns: Some(4026532181),
            ..f
        };
        assert_eq!(decide(&f).unwrap().name, "docker");
    }

    #[test]
    fn podman_from_its_files() {
        let f = Facts {
            containerenv: Some(String::new()),
            mountinfo: Some(PODMAN_MOUNTINFO.into()),
            self_cgroup: Some("1:cpu:/libpod_parent/libpod-5b1525fa3e45\n0::/\n".into()),
            ..facts()
        };
        let r = decide(&f).unwrap();
        assert_eq!(r.name, "podman");
        assert!(r.evidence.iter().any(|e| e == "/run/.containerenv exists"));
        assert!(r.evidence.iter().any(|e| e.contains("overlay-containers")));
        assert!(
            r.evidence
                .iter()
                .any(|e| e.starts_with("cgroup path /libpod_parent")
                    && e.ends_with("(/proc/self/cgroup)"))
        );
        // The engine line of a non-empty .containerenv is stronger.
        let f = Facts {
            containerenv: Some("engine=\"buildah-1.28.2\"\nname=\"x\"\n".into()),
            ..facts()
        };
        assert_eq!(decide(&f).unwrap().name, "buildah");
    }

    #[test]
    fn kubernetes_names_the_pod_and_detects_the_engine() {
        let f = Facts {
            k8s_serviceaccount: Some(SERVICEACCOUNT_DIRS[0]),
            self_environ: Some("PATH=/bin\0KUBERNETES_SERVICE_HOST=10.96.0.1\0".into()),
            mountinfo: Some(CONTAINERD_CRI_MOUNTINFO.into()),
            self_cgroup: Some("0::/\n".into()),
            ..facts()
        };
        let r = decide(&f).unwrap();
        assert_eq!(r.name, "kubernetes");
        assert_eq!(r.detected, vec!["kubernetes", "containerd"]);
        // CRI-O: containers/storage paths plus Kubernetes.
        let f = Facts {
            self_environ: Some("KUBERNETES_SERVICE_HOST=10.96.0.1".into()),
            containerenv: Some(String::new()),
            mountinfo: Some(PODMAN_MOUNTINFO.into()),
            ..facts()
        };
        assert_eq!(decide(&f).unwrap().detected, vec!["kubernetes", "cri-o"]);
    }

    #[test]
    fn nspawn_declares_itself() {
        let f = Facts {
            container_manager: Some("systemd-nspawn\n".into()),
            init_environ: Some("PATH=/bin\0container=systemd-nspawn\0TERM=xterm\0".into()),
            self_environ: Some("container=systemd-nspawn\0".into()),
            ..facts()
        };
        let r = decide(&f).unwrap();
        assert_eq!(r.name, "systemd-nspawn");
        assert_eq!(
            r.evidence,
            vec![
                "/run/host/container-manager says \"systemd-nspawn\"",
                "container= in the environment of PID 1 and this process: \"systemd-nspawn\"",
                "the pid namespace is not the host's (inode 4026532181)",
            ]
        );
    }

    #[test]
    fn lxd_is_more_precise_than_container_lxc() {
        let f = Facts {
            lxd_socket: true,
            systemd_container: Some("lxc\n".into()),
            init_environ: Some("container=lxc\0".into()),
            ..facts()
        };
        assert_eq!(decide(&f).unwrap().detected, vec!["lxd", "lxc"]);
        let f = Facts {
            init_environ: Some("container=lxc\0".into()),
            init_cgroup: Some("0::/lxc.payload.web\n".into()),
            ..facts()
        };
        assert_eq!(decide(&f).unwrap().detected, vec!["lxc"]);
    }

    #[test]
    fn bubblewrap_and_flatpak() {
        let f = Facts {
            init_comm: Some("bwrap\n".into()),
            ..facts()
        };
        assert_eq!(decide(&f).unwrap().name, "bubblewrap");
        let f = Facts {
            init_comm: Some("bwrap\n".into()),
            flatpak_info: true,
            ..facts()
        };
        assert_eq!(decide(&f).unwrap().detected, vec!["flatpak", "bubblewrap"]);
    }

    #[test]
    fn sandboxes_come_first() {
        let f = Facts {
            gvisor: gvisor_hint(Some("BOOT_IMAGE=/vmlinuz-4.4.0-gvisor quiet\n"), None, None),
            dockerenv: true,
            ..facts()
        };
        let r = decide(&f).unwrap();
        assert_eq!(r.detected, vec!["gvisor", "docker"]);
        let f = Facts {
            osrelease: Some("5.15.90.1-microsoft-standard-WSL2\n".into()),
            pid_ns: Some(PID_INIT_INO),
            ..facts()
        };
        assert_eq!(decide(&f).unwrap().name, "wsl");
        let f = Facts {
            tracer: Some((7, "proot".into())),
            pid_ns: Some(PID_INIT_INO),
            ..facts()
        };
        assert_eq!(decide(&f).unwrap().name, "proot");
        let f = Facts {
            tracer: Some((7, "strace".into())),
            pid_ns: Some(PID_INIT_INO),
            ..facts()
        };
        assert_eq!(decide(&f).unwrap().name, "none");
        let f = Facts {
            openvz: true,
            ..facts()
        };
        assert_eq!(decide(&f).unwrap().name, "openvz");
    }

    #[test]
    fn gvisor_names_itself_in_one_of_three_places() {
        let boot = "BOOT_IMAGE=/vmlinuz-4.4.0-gVisor quiet";
        assert_eq!(
            gvisor_hint(Some(boot), Some("4.4.0"), None).as_deref(),
            Some("/proc/cmdline names a gVisor boot image")
        );
        assert_eq!(
            gvisor_hint(None, Some("4.4.0-gvisor"), Some("Linux")).as_deref(),
            Some("the kernel release names gVisor")
        );
        assert_eq!(
            gvisor_hint(None, None, Some("Linux version 4.4.0 #1 gVisor")).as_deref(),
            Some("/proc/version names gVisor")
        );
        assert_eq!(
            gvisor_hint(Some("quiet"), Some("6.18.44"), Some("Linux")),
            None
        );
    }

    #[test]
    fn a_private_pid_namespace_alone_is_an_unknown_container() {
        // runc with a Docker-like bundle: no marker at all.
        let f = Facts {
            self_cgroup: Some("0::/\n".into()),
            init_comm: Some("sh\n".into()),
            ..facts()
        };
        let r = decide(&f).unwrap();
        assert_eq!((r.name.as_str(), r.container), ("unknown", true));
        assert_eq!(
            r.evidence,
            vec!["the pid namespace is not the host's (inode 4026532181)"]
        );
        // container=oci (baked into UBI images) says "a container", no more.
        let f = Facts {
            init_environ: Some("container=oci".into()),
            ..facts()
        };
        assert_eq!(decide(&f).unwrap().name, "unknown");
    }

    #[test]
    fn the_host_is_not_a_container() {
        let f = Facts {
            pid_ns: Some(PID_INIT_INO),
            init_comm: Some("systemd\n".into()),
            self_cgroup: Some("0::/user.slice/user-1000.slice/session-2.scope\n".into()),
            ..facts()
        };
        let r = decide(&f).unwrap();
        assert_eq!((r.name.as_str(), r.container), ("none", false));
        assert_eq!(
            r.evidence,
            vec!["the pid namespace is the host's (inode 0xeffffffc)"]
        );
    }

    /// The first lines of this build machine's own mountinfo: no container
    /// mounts.
    const HOST_MOUNTINFO: &str = "\
22 1 254:0 / / rw,relatime shared:1 - ext4 /dev/vda rw,discard
23 22 0:21 / /proc rw,nosuid,nodev,noexec,relatime shared:2 - proc proc rw
";

    #[test]
    fn a_leftover_dockerenv_on_a_host_is_not_docker() {
        // This build machine's root file system carries an empty /.dockerenv.
        let f = Facts {
            pid_ns: Some(PID_INIT_INO),
            dockerenv: true,
            user_ns: Some(4026532180),
            mountinfo: Some(HOST_MOUNTINFO.into()),
            ..facts()
        };
        let r = decide(&f).unwrap();
        assert_eq!((r.name.as_str(), r.container), ("none", false));
        assert_eq!(
            r.evidence[0],
            "/.dockerenv exists, but nothing else points to docker: taken as a leftover file"
        );
        assert!(
            r.evidence
                .iter()
                .any(|e| e.contains("user namespace is private"))
        );
        // `unshare -p -f -m` on that host: a private pid namespace, the same
        // file, still no Docker mount.
        let f = Facts {
            dockerenv: true,
            mountinfo: Some(HOST_MOUNTINFO.into()),
            ..facts()
        };
        let r = decide(&f).unwrap();
        assert_eq!((r.name.as_str(), r.container), ("unknown", true));
        // A /run/.containerenv that is not a mount point is a leftover too
        // (`podman run --rootfs R` leaves one in R).
        let f = Facts {
            containerenv: Some(String::new()),
            mountinfo: Some(HOST_MOUNTINFO.into()),
            ..facts()
        };
        assert_eq!(decide(&f).unwrap().name, "unknown");
        // Without a mountinfo to check against, the marker stands.
        let f = Facts {
            dockerenv: true,
            ..facts()
        };
        assert_eq!(decide(&f).unwrap().name, "docker");
    }

    #[test]
    fn nothing_readable_is_an_error() {
        let e = decide(&Facts::default()).unwrap_err();
        assert!(e.contains("/proc/self/ns/pid"), "{e}");
        // A marker is still enough to answer.
        let f = Facts {
            container_manager: Some("podman".into()),
            ..Facts::default()
        };
        assert_eq!(decide(&f).unwrap().name, "podman");
    }

    #[test]
    fn hostile_declarations_are_not_names() {
        for v in [
            "",
            "oci",
            "a b",
            "x\u{1b}[31m",
            &"a".repeat(200),
            "../../etc",
        ] {
            let f = Facts {
                container_manager: Some(v.into()),
                ..facts()
            };
            let r = decide(&f).unwrap();
            assert_eq!(r.name, "unknown", "{v:?}");
            assert!(r.evidence[0].len() < 120);
        }
        assert_eq!(declared("LXC\n", "x").name.as_deref(), Some("lxc"));
    }

    #[test]
    fn cgroup_paths_name_runtimes_by_whole_segments() {
        let id = "8162ab73a115ea05400e4caf321bc7e3ad8ebd9e3dd3a3fc247fc4400c8f4cda";
        let names = |c: &str| cgroup_engines(c).map(|(e, _)| e).unwrap_or_default();
        // dockerd 20.10 on cgroup v1 (cgroupfs driver).
        assert_eq!(
            names(&format!("9:name=systemd:/docker/{id}\n")),
            vec!["docker"]
        );
        // The systemd driver on cgroup v2 without a private cgroup namespace.
        assert_eq!(
            names(&format!("0::/system.slice/docker-{id}.scope\n")),
            vec!["docker"]
        );
        // podman 4.3.1 with cgroupfs, as captured here.
        assert_eq!(
            names(&format!("1:cpu:/libpod_parent/libpod-{id}\n")),
            vec!["podman"]
        );
        // Kubernetes with the systemd driver and containerd.
        assert_eq!(
            names(&format!(
                "0::/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod0b6e9f9e.slice/cri-containerd-{id}.scope\n"
            )),
            vec!["kubernetes", "containerd"]
        );
        assert_eq!(
            names(&format!("0::/kubepods.slice/crio-{id}.scope\n")),
            vec!["kubernetes", "cri-o"]
        );
        assert_eq!(names("0::/lxc.payload.c1\n"), vec!["lxc"]);
        assert_eq!(
            names("1:name=systemd:/machine.slice/systemd-nspawn@web.service/payload\n"),
            vec!["systemd-nspawn"]
        );
        // Names that only contain a runtime's name are not evidence: the
        // runc fixture's own cgroup is /whatami-capture-runc-docker-<pid>.
        for c in [
            "0::/whatami-capture-runc-docker-16250\n",
            "0::/docker\n",
            "0::/docker/notanid\n",
            "0::/user.slice/libpod-short.scope\n",
            "0::/\n",
            "garbage",
            "",
        ] {
            assert_eq!(names(c), Vec::<&str>::new(), "{c}");
        }
    }

    #[test]
    fn kubernetes_cgroup_names_both_layers() {
        let id = "2f1e9c0c1b8a4c6f1ad6ccf7a1ff0b7cf8f3b8e0e0f3a8a9d1b2c3d4e5f6a7b8";
        let f = Facts {
            self_cgroup: Some(format!("0::/kubepods.slice/cri-containerd-{id}.scope\n")),
            init_cgroup: Some(format!("0::/kubepods.slice/cri-containerd-{id}.scope\n")),
            ..facts()
        };
        let r = decide(&f).unwrap();
        assert_eq!(r.detected, vec!["kubernetes", "containerd"]);
        assert_eq!(r.evidence.len(), 2, "{:?}", r.evidence);
    }

    #[test]
    fn environ_lookup() {
        let e = "A=1\0container=podman\0containerX=no\0KUBERNETES_SERVICE_HOST=";
        assert_eq!(env_var(e, "container"), Some("podman"));
        assert_eq!(env_var(e, "KUBERNETES_SERVICE_HOST"), Some(""));
        assert_eq!(env_var(e, "B"), None);
        assert_eq!(env_var("", "container"), None);
    }

    #[test]
    fn path_layouts() {
        let id = "99665f98aa42beb91122c36eca4e3a4b1fe650d4161b96dacf82e69f425dbf11";
        assert_eq!(
            engine_of_path(&format!("/var/lib/docker/containers/{id}/hosts"), "podman").as_deref(),
            Some("docker")
        );
        // A separate /var/lib/docker file system shows the path inside it.
        assert_eq!(
            engine_of_path(&format!("/containers/{id}/hostname"), "podman").as_deref(),
            Some("docker")
        );
        assert_eq!(
            engine_of_path(
                &format!("/tmp/podman-run-1001/containers/vfs-containers/{id}/userdata/hosts"),
                "podman"
            )
            .as_deref(),
            Some("podman")
        );
        assert_eq!(
            engine_of_path("/var/lib/containers/storage/volumes/x", "podman"),
            None
        );
        assert_eq!(engine_of_path("/etc/hostname", "podman"), None);
        assert_eq!(engine_of_path("/containers/short/hostname", "podman"), None);
    }
}
