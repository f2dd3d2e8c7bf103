//! Container-runtime API sockets within reach: found at the paths each
//! runtime uses and through the mount table (a socket bind-mounted
//! anywhere, or a host /run mounted somewhere), never by walking the file
//! system. A socket of the Docker Engine API (docker, podman) that accepts
//! a connection is asked `GET /_ping`, bounded: whoever can talk to it can
//! start a privileged container, which is root on the host.
//!
//! The ping is the one thing whatami sends anywhere: a request with no
//! effect, on a unix socket, in non-blocking mode with a deadline of
//! [`PING_BUDGET`] for all sockets together, so a socket that accepts and
//! never answers costs at most that. It is made only on the live system.

use crate::fsroot::Root;
use crate::linux::mountinfo::{self, Mount};
use crate::linux::stat::FileKind;
use crate::model::{Ping, RuntimeSocket};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::time::{Duration, Instant};

/// The whole time all pings together may take.
pub const PING_BUDGET: Duration = Duration::from_millis(100);

/// A runtime's socket: its file name, the directories it lives in under
/// /run, and whether it speaks the Docker Engine API.
struct Kind {
    runtime: &'static str,
    name: &'static str,
    /// Directories relative to /run (and /var/run).
    dirs: &'static [&'static str],
    docker_api: bool,
}

const KINDS: [Kind; 7] = [
    Kind {
        runtime: "docker",
        name: "docker.sock",
        dirs: &[""],
        docker_api: true,
    },
    Kind {
        runtime: "podman",
        name: "podman.sock",
        dirs: &["podman"],
        docker_api: true,
    },
    Kind {
        runtime: "containerd",
        name: "containerd.sock",
        dirs: &["containerd", "k3s/containerd"],
        docker_api: false,
    },
    Kind {
        runtime: "cri-o",
        name: "crio.sock",
        dirs: &["crio"],
        docker_api: false,
    },
    Kind {
        runtime: "buildkit",
        name: "buildkitd.sock",
        dirs: &["buildkit"],
        docker_api: false,
    },
    // The kubelet's shim for Docker Engine, before and after it left the kubelet.
    Kind {
        runtime: "docker",
        name: "dockershim.sock",
        dirs: &[""],
        docker_api: false,
    },
    Kind {
        runtime: "docker",
        name: "cri-dockerd.sock",
        dirs: &[""],
        docker_api: false,
    },
];

/// Every well-known socket path, under /run and /var/run.
pub fn well_known() -> Vec<String> {
    let mut out = Vec::new();
    for base in ["/run", "/var/run"] {
        for k in &KINDS {
            for d in k.dirs {
                out.push(if d.is_empty() {
                    format!("{base}/{}", k.name)
                } else {
                    format!("{base}/{d}/{}", k.name)
                });
            }
        }
    }
    out
}

fn kind_of(path: &str) -> Option<&'static Kind> {
    let name = path.rsplit('/').next()?;
    KINDS.iter().find(|k| k.name == name)
}

/// File systems whose stat can hang on a server that does not answer: a
/// mount of one is not looked into.
fn remote(fs_type: &str) -> bool {
    fs_type.starts_with("fuse")
        || matches!(
            fs_type,
            "nfs" | "nfs4" | "cifs" | "smb3" | "9p" | "ceph" | "glusterfs" | "afs" | "virtiofs"
        )
}

/// Most mounts looked into for sockets: each costs a few stat calls.
const MAX_MOUNTS_LOOKED_INTO: usize = 64;

/// Candidate paths: the well-known ones, then the mount table's.
/// Each comes with how it was found.
fn candidates(mounts: &[Mount]) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = well_known()
        .into_iter()
        .map(|p| (p, "a well-known path".to_string()))
        .collect();
    let mut looked = 0;
    for m in mounts {
        if m.mount_point == "/" || remote(&m.fs_type) {
            continue;
        }
        // A socket bound on its own, under any name a runtime gives it.
        if kind_of(&m.mount_point).is_some() || kind_of(&m.root).is_some() {
            out.push((
                m.mount_point.clone(),
                format!("bind-mounted from {}", m.root),
            ));
            continue;
        }
        // A directory the runtimes keep sockets in, mounted somewhere: a
        // host /run (or /var/run) or one runtime's directory of it, or a
        // whole host file system.
        let subdirs: Vec<String> = if m.root == "/run" || m.root == "/var/run" {
            dirs_under("")
        } else if let Some(rest) = m
            .root
            .strip_prefix("/run/")
            .or_else(|| m.root.strip_prefix("/var/run/"))
        {
            KINDS
                .iter()
                .filter(|k| k.dirs.contains(&rest))
                .map(|k| k.name.to_string())
                .collect()
        } else if m.root == "/"
            && !matches!(m.mount_point.as_str(), "/proc" | "/sys" | "/dev")
            && !m.mount_point.starts_with("/proc/")
            && !m.mount_point.starts_with("/sys/")
            && !m.mount_point.starts_with("/dev/")
            && !matches!(
                m.fs_type.as_str(),
                "proc" | "sysfs" | "cgroup" | "cgroup2" | "devpts" | "mqueue" | "devtmpfs"
            )
        {
            // A tmpfs root is a host /run as often as anything (or the
            // container's own /run, where the same names are as telling);
            // a disk's root is a host root with /run in it.
            if m.fs_type == "tmpfs" {
                dirs_under("")
            } else {
                dirs_under("run/")
            }
        } else {
            continue;
        };
        looked += 1;
        if looked > MAX_MOUNTS_LOOKED_INTO {
            break;
        }
        for rel in subdirs {
            let path = format!("{}/{rel}", m.mount_point.trim_end_matches('/'));
            out.push((
                path,
                format!("in {} mounted from {}", m.mount_point, m.root),
            ));
        }
    }
    out
}

/// The socket paths under a /run, each relative to it, after `prefix`.
fn dirs_under(prefix: &str) -> Vec<String> {
    let mut out = Vec::new();
    for k in &KINDS {
        for d in k.dirs {
            out.push(if d.is_empty() {
                format!("{prefix}{}", k.name)
            } else {
                format!("{prefix}{d}/{}", k.name)
            });
        }
    }
    out
}

/// Where a path comes from on the host, when a bind mount says: the mount
/// that holds it, with the rest of the path appended to its root.
fn host_path(mounts: &[Mount], path: &str) -> Option<String> {
    let m = mountinfo::containing(mounts, path).filter(|m| m.mount_point != "/")?;
    if matches!(m.fs_type.as_str(), "overlay") {
        return None;
    }
    let rest = path
        .strip_prefix(m.mount_point.as_str())
        .unwrap_or("")
        .trim_start_matches('/');
    Some(if rest.is_empty() {
        m.root.clone()
    } else {
        format!("{}/{rest}", m.root.trim_end_matches('/'))
    })
}

/// Finds the sockets, and on the live system connects to each and pings
/// those of the Docker Engine API.
pub fn find(root: &Root, mounts: &[Mount]) -> Vec<RuntimeSocket> {
    // /var/run is a link to /run almost everywhere: the same socket is then
    // found twice. Paths are compared after that link is followed.
    let var_run_is_run = matches!(
        root.read_link("/var/run").as_deref(),
        Ok("/run") | Ok("../run") | Ok("run")
    );
    let canonical = |p: &str| -> String {
        match p.strip_prefix("/var/run/") {
            Some(rest) if var_run_is_run => format!("/run/{rest}"),
            _ => p.to_string(),
        }
    };
    let deadline = Instant::now() + PING_BUDGET;
    // Each path is looked at once, whichever way it was found first.
    let mut seen: std::collections::HashSet<String> = std::collections::HashSet::new();
    let mut out = Vec::new();
    for (path, found_by) in candidates(mounts) {
        if !seen.insert(canonical(&path)) {
            continue;
        }
        let Ok(Some(st)) = root.stat(&path) else {
            continue;
        };
        if st.kind() != FileKind::Socket {
            continue;
        }
        let found_by = match mountinfo::at(mounts, &path) {
            Some(m) => format!("bind-mounted from {}", m.root),
            None => found_by,
        };
        let Some(kind) = kind_of(&path).or_else(|| {
            // A socket bound under another name: named by its source.
            mountinfo::at(mounts, &path).and_then(|m| kind_of(&m.root))
        }) else {
            continue;
        };
        let (connect, ping) = if root.is_live() {
            let (c, p) = contact(&root.path(&path), kind.docker_api, deadline);
            (Some(c), p)
        } else {
            (None, None)
        };
        out.push(RuntimeSocket {
            host_path: host_path(mounts, &path),
            path,
            runtime: kind.runtime.to_string(),
            docker_api: kind.docker_api,
            found_by,
            connect,
            ping,
        });
    }
    out
}

/// Connects to a unix socket without blocking and, for the Docker Engine
/// API, sends `GET /_ping` and reads the answer until `deadline`.
fn contact(path: &std::path::Path, docker_api: bool, deadline: Instant) -> (String, Option<Ping>) {
    let fd = match connect(path) {
        Ok(fd) => fd,
        Err(e) => return (e, None),
    };
    if !docker_api {
        return ("connected".into(), None);
    }
    ("connected".into(), Some(ping(&fd, deadline)))
}

fn errno_text(e: std::io::Error) -> String {
    let Some(n) = e.raw_os_error() else {
        return e.to_string();
    };
    let text = e.to_string();
    let what = text.split(" (os error").next().unwrap_or("");
    format!("{} ({what})", crate::linux::errno::name(n.unsigned_abs()))
}

fn connect(path: &std::path::Path) -> Result<OwnedFd, String> {
    use std::os::unix::ffi::OsStrExt;
    let bytes = path.as_os_str().as_bytes();
    // SAFETY: sockaddr_un is plain data; zeroed is a valid value.
    let mut addr: libc::sockaddr_un = unsafe { std::mem::zeroed() };
    if bytes.len() >= addr.sun_path.len() || bytes.contains(&0) {
        return Err("path too long for a unix socket address".into());
    }
    addr.sun_family = libc::AF_UNIX as libc::sa_family_t;
    for (d, s) in addr.sun_path.iter_mut().zip(bytes) {
        *d = *s as libc::c_char;
    }
    // SAFETY: plain socket creation; the result is checked.
    let raw = unsafe {
        libc::socket(
            libc::AF_UNIX,
            libc::SOCK_STREAM | libc::SOCK_NONBLOCK | libc::SOCK_CLOEXEC,
            0,
        )
    };
    if raw < 0 {
        return Err(format!(
            "socket(): {}",
            errno_text(std::io::Error::last_os_error())
        ));
    }
    // SAFETY: a descriptor just created and owned by nobody else.
    let fd = unsafe { OwnedFd::from_raw_fd(raw) };
    let len = std::mem::size_of::<libc::sa_family_t>() + bytes.len() + 1;
    // SAFETY: addr is a valid sockaddr_un and len does not exceed its size.
    let r = unsafe {
        libc::connect(
            fd.as_raw_fd(),
            (&addr as *const libc::sockaddr_un).cast(),
            len as libc::socklen_t,
        )
    };
    // A unix stream socket connects at once or fails (EAGAIN: its backlog
    // is full); it does not answer EINPROGRESS.
    if r != 0 {
        return Err(errno_text(std::io::Error::last_os_error()));
    }
    Ok(fd)
}

/// Waits for `events` on `fd` until `deadline`; false on time-out or error.
fn wait(fd: &OwnedFd, events: libc::c_short, deadline: Instant) -> bool {
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return false;
        }
        let mut p = libc::pollfd {
            fd: fd.as_raw_fd(),
            events,
            revents: 0,
        };
        let ms = left.as_millis().clamp(1, 1000) as libc::c_int;
        // SAFETY: one valid pollfd.
        let r = unsafe { libc::poll(&mut p, 1, ms) };
        if r > 0 {
            return true;
        }
        if r < 0 && std::io::Error::last_os_error().kind() != std::io::ErrorKind::Interrupted {
            return false;
        }
    }
}

/// Most bytes of the answer read: the status line and headers of /_ping
/// are a few hundred.
const MAX_ANSWER: usize = 4096;

fn ping(fd: &OwnedFd, deadline: Instant) -> Ping {
    let started = Instant::now();
    let request =
        b"GET /_ping HTTP/1.1\r\nHost: docker\r\nUser-Agent: whatami\r\nConnection: close\r\n\r\n";
    let failed = |error: String| Ping {
        answered: false,
        status: None,
        server: None,
        api_version: None,
        elapsed_us: started.elapsed().as_micros() as u64,
        error: Some(error),
    };
    let mut sent = 0;
    while sent < request.len() {
        if !wait(fd, libc::POLLOUT, deadline) {
            return failed("timed out sending the request".into());
        }
        let rest = &request[sent..];
        // SAFETY: sending from a valid buffer of rest.len() bytes;
        // MSG_NOSIGNAL: a closed peer gives EPIPE, not SIGPIPE.
        let n = unsafe {
            libc::send(
                fd.as_raw_fd(),
                rest.as_ptr().cast(),
                rest.len(),
                libc::MSG_NOSIGNAL | libc::MSG_DONTWAIT,
            )
        };
        if n < 0 {
            let e = std::io::Error::last_os_error();
            if e.kind() == std::io::ErrorKind::WouldBlock
                || e.kind() == std::io::ErrorKind::Interrupted
            {
                continue;
            }
            return failed(format!("send: {}", errno_text(e)));
        }
        sent += n as usize;
    }
    let mut answer: Vec<u8> = Vec::new();
    let mut buf = [0u8; 1024];
    loop {
        if complete(&answer) || answer.len() >= MAX_ANSWER {
            break;
        }
        if !wait(fd, libc::POLLIN, deadline) {
            if answer.is_empty() {
                return failed(format!("no answer within {} ms", PING_BUDGET.as_millis()));
            }
            break;
        }
        // SAFETY: reading into a valid buffer of buf.len() bytes.
        let n = unsafe {
            libc::recv(
                fd.as_raw_fd(),
                buf.as_mut_ptr().cast(),
                buf.len(),
                libc::MSG_DONTWAIT,
            )
        };
        if n == 0 {
            break;
        }
        if n < 0 {
            let e = std::io::Error::last_os_error();
            if e.kind() == std::io::ErrorKind::WouldBlock
                || e.kind() == std::io::ErrorKind::Interrupted
            {
                continue;
            }
            if answer.is_empty() {
                return failed(format!("recv: {}", errno_text(e)));
            }
            break;
        }
        answer.extend_from_slice(&buf[..n as usize]);
    }
    let mut p = parse_answer(&answer);
    p.elapsed_us = started.elapsed().as_micros() as u64;
    p
}

/// Whether the answer holds its headers and the body the headers announce.
fn complete(answer: &[u8]) -> bool {
    let text = String::from_utf8_lossy(answer);
    let Some((head, body)) = text.split_once("\r\n\r\n") else {
        return false;
    };
    let length = head.lines().find_map(|l| {
        let (k, v) = l.split_once(':')?;
        k.trim()
            .eq_ignore_ascii_case("content-length")
            .then(|| v.trim().parse::<usize>().ok())
            .flatten()
    });
    match length {
        Some(n) => body.len() >= n,
        // No length: read until the server closes (Connection: close).
        None => false,
    }
}

/// Reads the status and the headers that name the server from an HTTP
/// answer, however short or odd.
pub fn parse_answer(answer: &[u8]) -> Ping {
    let text = String::from_utf8_lossy(answer);
    let mut lines = text.split("\r\n");
    let status = lines.next().and_then(|l| {
        let mut f = l.split(' ');
        let proto = f.next()?;
        if !proto.starts_with("HTTP/") {
            return None;
        }
        f.next()?.parse::<u16>().ok()
    });
    let mut server = None;
    let mut api_version = None;
    let clip = |v: &str| v.trim().chars().take(80).collect::<String>();
    for l in lines.take_while(|l| !l.is_empty()).take(64) {
        let Some((k, v)) = l.split_once(':') else {
            continue;
        };
        let k = k.trim().to_ascii_lowercase();
        if k == "server" {
            server = Some(clip(v));
        } else if k == "api-version" || (k == "libpod-api-version" && api_version.is_none()) {
            api_version = Some(clip(v));
        }
    }
    Ping {
        answered: status.is_some(),
        status,
        server,
        api_version,
        elapsed_us: 0,
        error: if status.is_some() {
            None
        } else if answer.is_empty() {
            Some("closed without an answer".into())
        } else {
            Some("not an HTTP answer".into())
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::linux::mountinfo::parse;
    use std::io::{Read, Write};
    use std::os::unix::net::UnixListener;

    #[test]
    fn candidates_come_from_well_known_paths_and_mounts() {
        let m = parse(
            "1 0 0:39 / / rw - overlay overlay rw\n\
             2 1 254:0 /tmp/lab/podman.sock /run/podman/podman.sock rw - ext4 /dev/vda rw\n\
             3 1 254:0 /var/run/docker.sock /sock/d rw - ext4 /dev/vda rw\n\
             4 1 0:25 / /hostrun rw - tmpfs tmpfs rw\n\
             5 1 254:0 / /host ro - ext4 /dev/vda rw\n\
             6 1 254:0 /run/containerd /c rw - ext4 /dev/vda rw\n\
             7 1 0:60 / /remote rw - fuse.sshfs h:/ rw\n\
             8 1 0:42 / /proc rw - proc proc rw\n",
        );
        let c: Vec<String> = candidates(&m).into_iter().map(|(p, _)| p).collect();
        for want in [
            "/var/run/docker.sock",
            "/run/containerd/containerd.sock",
            "/run/podman/podman.sock",
            "/sock/d",
            "/hostrun/docker.sock",
            "/hostrun/containerd/containerd.sock",
            "/host/run/docker.sock",
            "/host/run/crio/crio.sock",
            "/c/containerd.sock",
        ] {
            assert!(c.iter().any(|p| p == want), "{want} not in {c:?}");
        }
        assert!(!c.iter().any(|p| p.starts_with("/remote")), "{c:?}");
        assert!(!c.iter().any(|p| p.starts_with("/proc")), "{c:?}");
        assert_eq!(
            host_path(&m, "/hostrun/containerd/containerd.sock").as_deref(),
            Some("/containerd/containerd.sock")
        );
        assert_eq!(
            host_path(&m, "/run/podman/podman.sock").as_deref(),
            Some("/tmp/lab/podman.sock")
        );
        assert_eq!(host_path(&m, "/etc/x"), None);
    }

    #[test]
    fn answers_are_parsed_whatever_they_hold() {
        let docker = b"HTTP/1.1 200 OK\r\nApi-Version: 1.41\r\nCache-Control: no-cache\r\n\
            Docker-Experimental: false\r\nOstype: linux\r\nServer: Docker/20.10.24+dfsg1 (linux)\r\n\
            Content-Length: 2\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nOK";
        let p = parse_answer(docker);
        assert!(p.answered);
        assert_eq!(p.status, Some(200));
        assert_eq!(p.api_version.as_deref(), Some("1.41"));
        assert_eq!(p.server.as_deref(), Some("Docker/20.10.24+dfsg1 (linux)"));
        assert!(complete(docker));
        let podman = b"HTTP/1.1 200 OK\r\nApi-Version: 1.41\r\nLibpod-Api-Version: 4.3.1\r\n\
            Server: Libpod/4.3.1 (linux)\r\n\r\nOK";
        let p = parse_answer(podman);
        assert_eq!(p.api_version.as_deref(), Some("1.41"));
        assert!(!complete(podman), "no length: read until closed");
        for junk in [
            &b""[..],
            b"\r\n\r\n",
            b"HTTP/1.1",
            b"HTTP/1.1 abc",
            b"garbage\xff\xfe",
        ] {
            let p = parse_answer(junk);
            assert!(!p.answered && p.error.is_some(), "{junk:?}");
        }
        let long = format!("HTTP/1.1 200 OK\r\nServer: {}\r\n\r\n", "x".repeat(10_000));
        assert_eq!(parse_answer(long.as_bytes()).server.unwrap().len(), 80);
    }

    fn scratch(tag: &str) -> std::path::PathBuf {
        let d = std::env::temp_dir().join(format!("whatami-sock-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        d
    }

    #[test]
    fn a_server_that_answers_is_pinged() {
        let dir = scratch("answer");
        let path = dir.join("docker.sock");
        let listener = UnixListener::bind(&path).unwrap();
        let server = std::thread::spawn(move || {
            let (mut s, _) = listener.accept().unwrap();
            let mut req = [0u8; 256];
            let n = s.read(&mut req).unwrap();
            let req = String::from_utf8_lossy(&req[..n]).into_owned();
            s.write_all(b"HTTP/1.1 200 OK\r\nServer: Test/1\r\nContent-Length: 2\r\n\r\nOK")
                .unwrap();
            req
        });
        let (c, p) = contact(&path, true, Instant::now() + Duration::from_secs(5));
        assert_eq!(c, "connected");
        let p = p.unwrap();
        assert!(p.answered && p.status == Some(200), "{p:?}");
        assert_eq!(p.server.as_deref(), Some("Test/1"));
        assert!(
            server
                .join()
                .unwrap()
                .starts_with("GET /_ping HTTP/1.1\r\n")
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_server_that_never_answers_costs_the_budget_only() {
        let dir = scratch("silent");
        let path = dir.join("docker.sock");
        // Accepts (the backlog does) and never reads nor writes.
        let _listener = UnixListener::bind(&path).unwrap();
        let t = Instant::now();
        let (c, p) = contact(&path, true, Instant::now() + PING_BUDGET);
        let took = t.elapsed();
        assert_eq!(c, "connected");
        let p = p.unwrap();
        assert!(!p.answered);
        assert!(p.error.unwrap().contains("no answer"));
        assert!(took < PING_BUDGET + Duration::from_millis(50), "{took:?}");
        // Nothing listens: refused at once.
        drop(_listener);
        let (c, p) = contact(&path, true, Instant::now() + PING_BUDGET);
        assert!(c.starts_with("ECONNREFUSED"), "{c}");
        assert!(p.is_none());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_captured_tree_names_sockets_without_contacting_them() {
        let dir = scratch("tree");
        std::fs::write(
            dir.join(crate::fsroot::STAT_TABLE),
            "stat\t/run/podman/podman.sock\tsocket\t0:0\t660\t0\n\
             stat\t/var/run/docker.sock\tfile\t0:0\t644\t0\n",
        )
        .unwrap();
        let m = parse(
            "1 0 0:39 / / rw - overlay overlay rw\n\
             2 1 254:0 /tmp/lab/podman.sock /run/podman/podman.sock rw - ext4 /dev/vda rw\n",
        );
        let s = find(&Root::new(&dir), &m);
        assert_eq!(s.len(), 1, "{s:?}");
        assert_eq!(s[0].runtime, "podman");
        assert!(s[0].docker_api);
        assert_eq!(s[0].host_path.as_deref(), Some("/tmp/lab/podman.sock"));
        assert_eq!((s[0].connect.as_deref(), s[0].ping.as_ref()), (None, None));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
