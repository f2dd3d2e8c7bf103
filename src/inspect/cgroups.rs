//! cgroups: which version the controllers are on, this process's cgroup,
//! whether it has a cgroup namespace, the memory, CPU and pids limits of
//! its cgroup, and whether a cgroup file system is writable here (on v1 a
//! writable hierarchy root holds `release_agent`, a program the host runs
//! as root).
//!
//! The version is read from the mount table (what is mounted is what a
//! process here can use), with /proc/self/cgroup to tell a hybrid host
//! whose v2 hierarchy is not mounted here. A limit file is found by taking
//! this process's path in a hierarchy (/proc/self/cgroup) relative to the
//! root of the mount of that hierarchy (mountinfo), as the kernel shows
//! both from this process's cgroup namespace. Only this cgroup's own limit
//! is read: an ancestor may set a lower one that is not visible from here.

use super::shared::Shared;
use crate::fsroot::Root;
use crate::linux::mountinfo::{self, Mount};
use crate::linux::ns::Kind;
use crate::model::{CgroupLimits, CgroupV1, Cgroups, CpuLimit, Limit};

/// The initial cgroup namespace's inode (include/linux/proc_ns.h).
const CGROUP_INIT_INO: u64 = 0xEFFF_FFFB;

/// One line of `/proc/<pid>/cgroup`: `ID:CONTROLLERS:PATH`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Membership {
    pub id: u32,
    /// Empty for the unified (v2) hierarchy.
    pub controllers: String,
    pub path: String,
}

/// Parses `/proc/<pid>/cgroup`, skipping lines without its shape.
pub fn parse(text: &str) -> Vec<Membership> {
    text.lines()
        .filter_map(|l| {
            let mut f = l.splitn(3, ':');
            let id = f.next()?.parse().ok()?;
            let controllers = f.next()?.to_string();
            let path = f.next()?;
            path.starts_with('/').then(|| Membership {
                id,
                controllers,
                path: path.to_string(),
            })
        })
        .take(64)
        .collect()
}

impl Membership {
    fn has(&self, controller: &str) -> bool {
        self.controllers.split(',').any(|c| c == controller)
    }
}

/// The directory of `path` (a cgroup path as /proc/self/cgroup shows it)
/// under mount `m`, when the mount shows that part of the hierarchy.
pub fn resolve(m: &Mount, path: &str) -> Option<String> {
    if !mountinfo::under(path, &m.root) {
        return None;
    }
    let rest = if m.root == "/" {
        path
    } else {
        &path[m.root.len()..]
    };
    let base = m.mount_point.trim_end_matches('/');
    Some(if rest.is_empty() || rest == "/" {
        if base.is_empty() {
            "/".into()
        } else {
            base.to_string()
        }
    } else {
        format!("{base}{rest}")
    })
}

/// Values at or above this in a v1 limit file mean "no limit" (the kernel
/// prints LONG_MAX rounded down to a page: 9223372036854771712).
const V1_UNLIMITED: u64 = 1 << 62;

/// `max` or a number (memory.max, pids.max, v1 pids.max).
fn max_or_number(raw: &str) -> Option<Option<u64>> {
    match raw {
        "max" => Some(None),
        n => n.parse().ok().map(Some),
    }
}

/// v2 `cpu.max`: `QUOTA PERIOD` or `max PERIOD`.
pub fn parse_cpu_max(raw: &str) -> Option<Option<f64>> {
    let mut f = raw.split_whitespace();
    let quota = f.next()?;
    let period: f64 = f.next().unwrap_or("100000").parse().ok()?;
    if quota == "max" {
        return Some(None);
    }
    let quota: f64 = quota.parse().ok()?;
    (period > 0.0).then_some(Some(quota / period))
}

struct Reader<'a> {
    root: &'a Root,
    notes: Vec<String>,
}

impl Reader<'_> {
    /// A limit file's first line, or a note saying why there is none.
    fn read(&mut self, file: &str) -> Option<String> {
        match self.root.read_optional(file) {
            Ok(Some(t)) => Some(t.lines().next().unwrap_or("").trim().to_string()),
            Ok(None) => {
                self.notes.push(format!("{file} is absent"));
                None
            }
            Err(e) => {
                self.notes.push(e.to_string());
                None
            }
        }
    }

    fn bad(&mut self, file: &str, raw: &str) {
        let shown: String = raw.chars().take(40).collect();
        self.notes
            .push(format!("{file}: unexpected value {shown:?}"));
    }

    fn limit(&mut self, file: String, unlimited_from: Option<u64>) -> Option<Limit> {
        let raw = self.read(&file)?;
        match max_or_number(&raw) {
            Some(max) => Some(Limit {
                max: max.filter(|&v| unlimited_from.is_none_or(|u| v < u)),
                file,
                raw,
            }),
            None => {
                self.bad(&file, &raw);
                None
            }
        }
    }
}

pub fn read(
    root: &Root,
    shared: &Shared,
    mounts: &[Mount],
    self_cgroup: Option<&str>,
) -> Result<Cgroups, String> {
    let members = self_cgroup.map(parse).unwrap_or_default();
    let v2_mounts: Vec<&Mount> = mounts.iter().filter(|m| m.fs_type == "cgroup2").collect();
    let v1_mounts: Vec<&Mount> = mounts.iter().filter(|m| m.fs_type == "cgroup").collect();
    if self_cgroup.is_none() && v2_mounts.is_empty() && v1_mounts.is_empty() {
        return Err("neither /proc/self/cgroup nor a cgroup mount could be read".into());
    }
    let unified = members
        .iter()
        .find(|m| m.id == 0 && m.controllers.is_empty());
    let v1: Vec<CgroupV1> = members
        .iter()
        .filter(|m| m.id != 0)
        .map(|m| CgroupV1 {
            controllers: m.controllers.clone(),
            path: m.path.clone(),
        })
        .collect();

    let mut evidence = Vec::new();
    let controllers = |ms: &[&Mount]| -> String {
        ms.iter()
            .map(|m| m.mount_point.rsplit('/').next().unwrap_or(""))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let version = match (v1_mounts.is_empty(), v2_mounts.is_empty()) {
        (false, false) => {
            evidence.push(format!(
                "v1 hierarchies ({}) and a cgroup2 file system are mounted",
                controllers(&v1_mounts)
            ));
            "hybrid"
        }
        (true, false) => {
            evidence.push(format!(
                "a cgroup2 file system is mounted at {}",
                v2_mounts[0].mount_point
            ));
            "v2"
        }
        (false, true) => {
            evidence.push(format!(
                "v1 hierarchies are mounted ({}), no cgroup2",
                controllers(&v1_mounts)
            ));
            match unified.filter(|u| u.path != "/") {
                Some(u) => {
                    evidence.push(format!(
                        "/proc/self/cgroup places this process at {} in a v2 hierarchy not mounted here",
                        u.path
                    ));
                    "hybrid"
                }
                None => "v1",
            }
        }
        (true, true) => {
            evidence.push("no cgroup file system is mounted here".into());
            match (v1.is_empty(), unified) {
                (true, Some(_)) => {
                    evidence.push("/proc/self/cgroup lists only the unified hierarchy".into());
                    "v2"
                }
                (false, Some(u)) if u.path != "/" => "hybrid",
                (false, _) => {
                    evidence.push("/proc/self/cgroup lists v1 hierarchies".into());
                    "v1"
                }
                (true, None) => "unknown",
            }
        }
    };

    let private_namespace = match (&shared.gvisor, shared.ns.get(Kind::Cgroup)) {
        (Some(_), _) | (_, Err(_)) => None,
        (None, Ok(ino)) => Some(*ino != CGROUP_INIT_INO),
    };

    let mut r = Reader {
        root,
        notes: Vec::new(),
    };
    let mut limits = CgroupLimits {
        memory: None,
        cpu: None,
        pids: None,
        notes: Vec::new(),
    };
    // The controllers live on v2 when its root lists them; on a hybrid
    // host they are on v1.
    let v2_dir = unified.and_then(|u| {
        let m = v2_mounts
            .iter()
            .find(|m| m.mount_point == "/sys/fs/cgroup")
            .or(v2_mounts.first())?;
        resolve(m, &u.path)
    });
    let v2_controllers = v2_mounts
        .iter()
        .find(|m| m.mount_point == "/sys/fs/cgroup")
        .or(v2_mounts.first())
        .and_then(|m| {
            root.read(&format!(
                "{}/cgroup.controllers",
                m.mount_point.trim_end_matches('/')
            ))
            .ok()
        })
        .unwrap_or_default();
    let on_v2 = |c: &str| v2_controllers.split_whitespace().any(|x| x == c);
    let v1_dir = |controller: &str| -> Result<String, String> {
        let member = members
            .iter()
            .find(|m| m.id != 0 && m.has(controller))
            .ok_or_else(|| format!("no v1 {controller} hierarchy in /proc/self/cgroup"))?;
        let mount = v1_mounts
            .iter()
            .find(|m| m.has_super_option(controller))
            .ok_or_else(|| format!("the v1 {controller} hierarchy is not mounted here"))?;
        resolve(mount, &member.path).ok_or_else(|| {
            format!(
                "this process's {controller} cgroup {} is outside the mounted part ({})",
                member.path, mount.root
            )
        })
    };
    let dir_or_root = |d: &str| {
        if d == "/" {
            String::new()
        } else {
            d.to_string()
        }
    };

    // memory
    if let Some(dir) = v2_dir.as_ref().filter(|_| on_v2("memory")) {
        limits.memory = r.limit(format!("{}/memory.max", dir_or_root(dir)), None);
    } else {
        match v1_dir("memory") {
            Ok(dir) => {
                limits.memory = r.limit(
                    format!("{}/memory.limit_in_bytes", dir_or_root(&dir)),
                    Some(V1_UNLIMITED),
                );
            }
            Err(e) => r.notes.push(e),
        }
    }
    // cpu
    if let Some(dir) = v2_dir.as_ref().filter(|_| on_v2("cpu")) {
        let file = format!("{}/cpu.max", dir_or_root(dir));
        if let Some(raw) = r.read(&file) {
            match parse_cpu_max(&raw) {
                Some(cpus) => limits.cpu = Some(CpuLimit { file, raw, cpus }),
                None => r.bad(&file, &raw),
            }
        }
    } else {
        match v1_dir("cpu") {
            Ok(dir) => {
                let file = format!("{}/cpu.cfs_quota_us", dir_or_root(&dir));
                let period_file = format!("{}/cpu.cfs_period_us", dir_or_root(&dir));
                if let Some(raw) = r.read(&file) {
                    let period = r.read(&period_file).and_then(|p| p.parse::<f64>().ok());
                    match (raw.parse::<i64>(), period) {
                        (Ok(q), _) if q < 0 => {
                            limits.cpu = Some(CpuLimit {
                                file,
                                raw,
                                cpus: None,
                            })
                        }
                        (Ok(q), Some(p)) if p > 0.0 => {
                            limits.cpu = Some(CpuLimit {
                                raw: format!("{raw} / {p}"),
                                file,
                                cpus: Some(q as f64 / p),
                            })
                        }
                        _ => r.bad(&file, &raw),
                    }
                }
            }
            Err(e) => r.notes.push(e),
        }
    }
    // pids
    if let Some(dir) = v2_dir.as_ref().filter(|_| on_v2("pids")) {
        limits.pids = r.limit(format!("{}/pids.max", dir_or_root(dir)), None);
    } else {
        match v1_dir("pids") {
            Ok(dir) => limits.pids = r.limit(format!("{}/pids.max", dir_or_root(&dir)), None),
            Err(e) => r.notes.push(e),
        }
    }
    limits.notes = r.notes;

    // Sorted: a runtime may mount the hierarchies in another order each time
    // (systemd-nspawn does), and the same container must read the same.
    let mut writable: Vec<String> = v1_mounts
        .iter()
        .chain(&v2_mounts)
        .filter(|m| !m.read_only())
        .map(|m| m.mount_point.clone())
        .collect();
    crate::sort::sort(&mut writable);
    // release_agent exists only in the root directory of a v1 hierarchy.
    let mut agents: Vec<String> = v1_mounts
        .iter()
        .filter(|m| !m.read_only() && m.root == "/")
        .map(|m| format!("{}/release_agent", m.mount_point.trim_end_matches('/')))
        .collect();
    crate::sort::sort(&mut agents);
    let release_agent = agents
        .into_iter()
        .find(|p| matches!(root.stat(p), Ok(Some(_))));
    let devices_allow_all = v1_dir("devices").ok().and_then(|dir| {
        let text = root
            .read(&format!("{}/devices.list", dir_or_root(&dir)))
            .ok()?;
        Some(text.lines().any(|l| l.trim() == "a *:* rwm"))
    });

    Ok(Cgroups {
        version: version.to_string(),
        evidence,
        unified_path: unified.map(|u| u.path.clone()),
        v1,
        private_namespace,
        limits,
        writable,
        release_agent,
        devices_allow_all,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::linux::mountinfo::parse as mounts;

    const DOCKER_CGROUP: &str = "\
9:name=systemd:/docker/8249
8:pids:/docker/8249
4:memory:/docker/8249
2:cpuacct:/docker/8249
1:cpu:/docker/8249
0::/docker/8249
";

    #[test]
    fn membership_lines() {
        let m = parse(DOCKER_CGROUP);
        assert_eq!(m.len(), 6);
        assert_eq!(m[0].controllers, "name=systemd");
        assert!(m[1].has("pids"));
        assert_eq!((m[5].id, m[5].controllers.as_str()), (0, ""));
        let odd = parse("garbage\n1:cpu\nx:cpu:/a\n2:cpu:relative\n3:cpu:/a:b\n");
        assert_eq!(odd.len(), 1);
        assert_eq!(odd[0].path, "/a:b");
    }

    #[test]
    fn paths_resolve_under_their_mount() {
        let m = mounts(
            "78 77 0:29 /docker/8249 /sys/fs/cgroup/cpu ro - cgroup cgroup rw,cpu\n\
             79 77 0:30 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n",
        );
        assert_eq!(
            resolve(&m[0], "/docker/8249").as_deref(),
            Some("/sys/fs/cgroup/cpu")
        );
        assert_eq!(
            resolve(&m[0], "/docker/8249/sub").as_deref(),
            Some("/sys/fs/cgroup/cpu/sub")
        );
        assert_eq!(resolve(&m[0], "/docker/82490"), None);
        assert_eq!(resolve(&m[0], "/"), None);
        assert_eq!(resolve(&m[1], "/").as_deref(), Some("/sys/fs/cgroup"));
        assert_eq!(
            resolve(&m[1], "/a/b").as_deref(),
            Some("/sys/fs/cgroup/a/b")
        );
    }

    #[test]
    fn cpu_max_values() {
        assert_eq!(parse_cpu_max("max 100000"), Some(None));
        assert_eq!(parse_cpu_max("50000 100000"), Some(Some(0.5)));
        assert_eq!(parse_cpu_max("200000"), Some(Some(2.0)));
        assert_eq!(parse_cpu_max("x 1"), None);
        assert_eq!(parse_cpu_max("1 0"), None);
        assert_eq!(parse_cpu_max(""), None);
    }

    fn tree(files: &[(&str, &str)]) -> (std::path::PathBuf, Root) {
        static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let dir = std::env::temp_dir().join(format!(
            "whatami-cg-{}-{}",
            std::process::id(),
            N.fetch_add(1, std::sync::atomic::Ordering::SeqCst)
        ));
        let _ = std::fs::remove_dir_all(&dir);
        for (p, t) in files {
            let p = dir.join(p.trim_start_matches('/'));
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, t).unwrap();
        }
        std::fs::create_dir_all(&dir).unwrap();
        let root = Root::new(&dir);
        (dir, root)
    }

    fn shared() -> Shared {
        Shared::read(&Root::new("/nonexistent-whatami-root"))
    }

    #[test]
    fn docker_on_v1_with_limits() {
        let mi = mounts(
            "1 0 0:39 / / rw - overlay overlay rw\n\
             77 76 0:46 / /sys/fs/cgroup rw - tmpfs tmpfs rw\n\
             78 77 0:29 /docker/8249 /sys/fs/cgroup/cpu ro - cgroup cgroup rw,cpu\n\
             81 77 0:32 /docker/8249 /sys/fs/cgroup/memory ro - cgroup cgroup rw,memory\n\
             85 77 0:36 /docker/8249 /sys/fs/cgroup/pids ro - cgroup cgroup rw,pids\n",
        );
        let (dir, root) = tree(&[
            ("/sys/fs/cgroup/memory/memory.limit_in_bytes", "268435456\n"),
            ("/sys/fs/cgroup/cpu/cpu.cfs_quota_us", "150000\n"),
            ("/sys/fs/cgroup/cpu/cpu.cfs_period_us", "100000\n"),
            ("/sys/fs/cgroup/pids/pids.max", "max\n"),
        ]);
        let c = read(&root, &shared(), &mi, Some(DOCKER_CGROUP)).unwrap();
        assert_eq!(c.version, "hybrid", "{:?}", c.evidence);
        assert_eq!(c.unified_path.as_deref(), Some("/docker/8249"));
        assert_eq!(c.limits.memory.as_ref().unwrap().max, Some(268435456));
        assert_eq!(c.limits.cpu.as_ref().unwrap().cpus, Some(1.5));
        assert_eq!(c.limits.pids.as_ref().unwrap().max, None);
        assert!(c.writable.is_empty());
        assert_eq!(c.release_agent, None);
        assert_eq!(c.private_namespace, None);
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn unlimited_v1_values_are_no_limit() {
        let mi = mounts(
            "81 77 0:32 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory\n\
             78 77 0:29 / /sys/fs/cgroup/cpu rw - cgroup cgroup rw,cpu\n",
        );
        let (dir, root) = tree(&[
            (
                "/sys/fs/cgroup/memory/memory.limit_in_bytes",
                "9223372036854771712\n",
            ),
            ("/sys/fs/cgroup/memory/release_agent", "\n"),
            ("/sys/fs/cgroup/cpu/cpu.cfs_quota_us", "-1\n"),
            ("/sys/fs/cgroup/cpu/cpu.cfs_period_us", "100000\n"),
        ]);
        let c = read(&root, &shared(), &mi, Some("4:memory:/\n1:cpu:/\n0::/\n")).unwrap();
        assert_eq!(c.version, "v1");
        assert_eq!(c.limits.memory.as_ref().unwrap().max, None);
        assert_eq!(c.limits.cpu.as_ref().unwrap().cpus, None);
        assert_eq!(c.limits.pids, None);
        assert!(c.limits.notes.iter().any(|n| n.contains("pids")));
        assert_eq!(c.writable.len(), 2);
        assert_eq!(
            c.release_agent.as_deref(),
            Some("/sys/fs/cgroup/memory/release_agent")
        );
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn v2_with_a_cgroup_namespace() {
        let mi = mounts("30 20 0:26 / /sys/fs/cgroup ro - cgroup2 cgroup2 rw,nsdelegate\n");
        let (dir, root) = tree(&[
            (
                "/sys/fs/cgroup/cgroup.controllers",
                "cpuset cpu io memory pids\n",
            ),
            ("/sys/fs/cgroup/memory.max", "536870912\n"),
            ("/sys/fs/cgroup/cpu.max", "max 100000\n"),
            ("/sys/fs/cgroup/pids.max", "2048\n"),
        ]);
        let c = read(&root, &shared(), &mi, Some("0::/\n")).unwrap();
        assert_eq!(c.version, "v2");
        assert_eq!(c.limits.memory.as_ref().unwrap().max, Some(536870912));
        assert_eq!(c.limits.cpu.as_ref().unwrap().cpus, None);
        assert_eq!(c.limits.pids.as_ref().unwrap().max, Some(2048));
        assert_eq!(
            c.limits.pids.as_ref().unwrap().file,
            "/sys/fs/cgroup/pids.max"
        );
        assert!(c.writable.is_empty());
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn hostile_files_cost_only_their_limit() {
        let mi = mounts("30 20 0:26 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n");
        let (dir, root) = tree(&[
            ("/sys/fs/cgroup/cgroup.controllers", "memory cpu pids"),
            ("/sys/fs/cgroup/memory.max", "\u{1b}[31mlots\n"),
            ("/sys/fs/cgroup/cpu.max", "-5 x\n"),
            ("/sys/fs/cgroup/pids.max", ""),
        ]);
        let c = read(&root, &shared(), &mi, Some("0::/\n")).unwrap();
        assert_eq!(c.limits.memory, None);
        assert_eq!(c.limits.cpu, None);
        assert_eq!(c.limits.pids, None);
        assert_eq!(c.limits.notes.len(), 3, "{:?}", c.limits.notes);
        assert_eq!(c.writable, ["/sys/fs/cgroup"]);
        std::fs::remove_dir_all(dir).unwrap();
        assert!(read(&Root::new("/nonexistent"), &shared(), &[], None).is_err());
    }
}
