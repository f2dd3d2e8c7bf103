//! The Kubernetes context: whether this is a pod, and its namespace,
//! service account, pod name and node where they can be seen from inside.
//!
//! Sources, most direct first: the service-account mount (its `namespace`
//! file, and the claims of its token: a projected token names the
//! namespace, the service account, the pod and, from 1.30, the node), the
//! environment the kubelet sets (`KUBERNETES_SERVICE_HOST`) and the
//! downward-API conventions (`POD_NAME`, `POD_NAMESPACE`, `NODE_NAME`, a
//! volume at /etc/podinfo), and the hostname, which is the pod's name
//! unless the pod shares the host's UTS namespace.
//!
//! The token is a credential: only its claims (the middle part) are
//! decoded, and nothing of it but the names above is kept.

use super::runtime::env_var;
use crate::fsroot::Root;
use crate::model::Kubernetes;
use serde::Deserialize;

pub const SERVICEACCOUNT_DIRS: [&str; 2] = [
    "/var/run/secrets/kubernetes.io/serviceaccount",
    "/run/secrets/kubernetes.io/serviceaccount",
];

/// Where the downward-API examples of the Kubernetes documentation mount
/// pod fields; a pod that names its files `name` and `namespace` there is
/// read.
const PODINFO: &str = "/etc/podinfo";

/// The largest token read: real ones are one or two kilobytes.
const MAX_TOKEN: usize = 64 * 1024;

/// Names read from a service-account token's claims.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Claims {
    pub namespace: Option<String>,
    pub service_account: Option<String>,
    pub pod: Option<String>,
    pub node: Option<String>,
}

/// Decodes unpadded or padded base64url (RFC 4648 section 5).
fn base64url(s: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(s.len() * 3 / 4);
    let (mut acc, mut bits) = (0u32, 0u32);
    for c in s.bytes().take_while(|&c| c != b'=') {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'-' | b'+' => 62,
            b'_' | b'/' => 63,
            _ => return None,
        };
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
        }
    }
    Some(out)
}

/// A name as the report may show it: printable, short, one line.
fn name(v: Option<String>) -> Option<String> {
    let v = v?;
    let s = v.trim();
    let ok = !s.is_empty()
        && s.len() <= 253
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-._:@".contains(&b));
    ok.then(|| s.to_string())
}

/// The claims whatami reads: a projected token's `kubernetes.io` object,
/// or a legacy secret token's flat keys. Everything else is ignored.
#[derive(Debug, Default, Deserialize)]
struct Payload {
    #[serde(rename = "kubernetes.io", default)]
    kubernetes: Option<Projected>,
    #[serde(rename = "kubernetes.io/serviceaccount/namespace", default)]
    legacy_namespace: Option<String>,
    #[serde(rename = "kubernetes.io/serviceaccount/service-account.name", default)]
    legacy_service_account: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
struct Projected {
    #[serde(default)]
    namespace: Option<String>,
    #[serde(default)]
    serviceaccount: Option<Named>,
    #[serde(default)]
    pod: Option<Named>,
    #[serde(default)]
    node: Option<Named>,
}

#[derive(Debug, Default, Deserialize)]
struct Named {
    #[serde(default)]
    name: Option<String>,
}

/// The names in a token's claims.
pub fn token_claims(token: &str) -> Option<Claims> {
    let payload = token.trim().split('.').nth(1)?;
    let p: Payload = serde_json::from_slice(&base64url(payload)?).ok()?;
    let k = p.kubernetes.unwrap_or_default();
    let claims = Claims {
        namespace: name(k.namespace).or_else(|| name(p.legacy_namespace)),
        service_account: name(k.serviceaccount.and_then(|n| n.name))
            .or_else(|| name(p.legacy_service_account)),
        pod: name(k.pod.and_then(|n| n.name)),
        node: name(k.node.and_then(|n| n.name)),
    };
    (claims != Claims::default()).then_some(claims)
}

/// The inputs, read by [`read`]; `decide` is pure.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Facts {
    pub sa_dir: Option<&'static str>,
    pub sa_namespace: Option<String>,
    pub token_path: Option<String>,
    pub claims: Option<Claims>,
    pub environ: Option<String>,
    pub init_environ: Option<String>,
    pub podinfo_name: Option<String>,
    pub podinfo_namespace: Option<String>,
    /// The hostname, when this process has a UTS namespace of its own.
    pub private_hostname: Option<String>,
    pub kubepods_cgroup: bool,
}

/// What the process shows of itself that the kubelet sets: its cgroups and
/// its and PID 1's environment (read once, into `Shared`).
pub struct Process<'a> {
    pub cgroup: Option<&'a str>,
    pub environ: Option<&'a str>,
    pub init_environ: Option<&'a str>,
}

pub fn gather(root: &Root, hostname_is_private: bool, p: &Process) -> Facts {
    let small = |p: &str| -> Option<String> {
        let t = root.read(p).ok()?;
        let t = t.trim();
        (!t.is_empty() && t.len() <= 253 && !t.contains(char::is_control)).then(|| t.to_string())
    };
    let sa_dir = SERVICEACCOUNT_DIRS.into_iter().find(|d| root.exists(d));
    let (sa_namespace, token_path, claims) = match sa_dir {
        Some(d) => {
            let token_path = format!("{d}/token");
            let token = root.read(&token_path).ok().filter(|t| t.len() <= MAX_TOKEN);
            (
                small(&format!("{d}/namespace")),
                token.as_ref().map(|_| token_path.clone()),
                token.as_deref().and_then(token_claims),
            )
        }
        None => (None, None, None),
    };
    Facts {
        sa_dir,
        sa_namespace,
        token_path,
        claims,
        environ: p.environ.map(str::to_string),
        init_environ: p.init_environ.map(str::to_string),
        podinfo_name: small(&format!("{PODINFO}/name")),
        podinfo_namespace: small(&format!("{PODINFO}/namespace")),
        private_hostname: if hostname_is_private {
            super::identity::read_hostname(root).ok().flatten()
        } else {
            None
        },
        kubepods_cgroup: p.cgroup.is_some_and(|c| {
            c.lines()
                .any(|l| l.split('/').any(|seg| seg.starts_with("kubepods")))
        }),
    }
}

pub fn decide(f: &Facts) -> Kubernetes {
    let env = |key: &str| -> Option<String> {
        [&f.environ, &f.init_environ]
            .iter()
            .find_map(|e| env_var(e.as_deref()?, key))
            .map(str::trim)
            .filter(|v| {
                !v.is_empty()
                    && v.len() <= 253
                    && v.bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b"-._:[]".contains(&b))
            })
            .map(str::to_string)
    };
    let mut evidence = Vec::new();
    if let Some(d) = f.sa_dir {
        evidence.push(format!("{d} exists"));
    }
    let host = env("KUBERNETES_SERVICE_HOST");
    if host.is_some() {
        evidence.push("KUBERNETES_SERVICE_HOST is set".into());
    }
    if f.kubepods_cgroup {
        evidence.push("the cgroup path is under kubepods".into());
    }
    let pod = !evidence.is_empty();
    let claims = f.claims.clone().unwrap_or_default();
    let first = |list: [(Option<String>, &str); 4]| -> (Option<String>, Option<String>) {
        list.into_iter()
            .find_map(|(v, from)| Some((v?, from.to_string())))
            .map_or((None, None), |(v, from)| (Some(v), Some(from)))
    };
    let (pod_name, pod_name_from) = if pod {
        first([
            (claims.pod.clone(), "the service-account token's claims"),
            (
                env("POD_NAME").or_else(|| env("MY_POD_NAME")),
                "the environment (POD_NAME)",
            ),
            (f.podinfo_name.clone(), "/etc/podinfo/name"),
            (
                f.private_hostname.clone(),
                "the hostname (the pod's name unless the pod sets another)",
            ),
        ])
    } else {
        (None, None)
    };
    let namespace = f
        .sa_namespace
        .clone()
        .or(claims.namespace.clone())
        .or_else(|| env("POD_NAMESPACE").or_else(|| env("MY_POD_NAMESPACE")))
        .or(f.podinfo_namespace.clone())
        .filter(|_| pod);
    let api_server = host.map(|h| match env("KUBERNETES_SERVICE_PORT") {
        Some(p) => format!("{h}:{p}"),
        None => h,
    });
    Kubernetes {
        pod,
        evidence,
        namespace,
        service_account: claims.service_account.filter(|_| pod),
        pod_name,
        pod_name_from,
        node_name: claims
            .node
            .or_else(|| env("NODE_NAME").or_else(|| env("MY_NODE_NAME")))
            .filter(|_| pod),
        token: f.token_path.clone(),
        api_server,
    }
}

pub fn read(root: &Root, hostname_is_private: bool, p: &Process) -> Kubernetes {
    decide(&gather(root, hostname_is_private, p))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Encodes without padding, for building test tokens.
    pub(crate) fn b64(data: &[u8]) -> String {
        const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        let mut out = String::new();
        for chunk in data.chunks(3) {
            let n =
                chunk.iter().fold(0u32, |a, &b| (a << 8) | u32::from(b)) << (8 * (3 - chunk.len()));
            for i in 0..=chunk.len() {
                out.push(T[((n >> (18 - 6 * i)) & 63) as usize] as char);
            }
        }
        out
    }

    /// The claims of a projected token as a kubelet of 1.30 writes them.
    pub(crate) const PROJECTED: &str = r#"{"aud":["https://kubernetes.default.svc.cluster.local"],"exp":1795000000,"iat":1763464000,"iss":"https://kubernetes.default.svc.cluster.local","jti":"5b6c1a4e","kubernetes.io":{"namespace":"shop","node":{"name":"node-3","uid":"1d2e"},"pod":{"name":"web-7d9f8-xk2lp","uid":"9a8b"},"serviceaccount":{"name":"web","uid":"77aa"},"warnafter":1763467607},"nbf":1763464000,"sub":"system:serviceaccount:shop:web"}"#;

    pub(crate) fn token(claims: &str) -> String {
        format!(
            "{}.{}.{}",
            b64(br#"{"alg":"RS256","kid":"k"}"#),
            b64(claims.as_bytes()),
            b64(b"signature")
        )
    }

    #[test]
    fn base64url_round_trips() {
        for s in [
            "",
            "f",
            "fo",
            "foo",
            "foob",
            "fooba",
            "foobar",
            "\u{ff}\u{fe}",
        ] {
            assert_eq!(base64url(&b64(s.as_bytes())).unwrap(), s.as_bytes());
        }
        assert_eq!(base64url("Zm9v").unwrap(), b"foo");
        assert_eq!(base64url("Zm8=").unwrap(), b"fo");
        assert_eq!(base64url("Zm9v!"), None);
    }

    #[test]
    fn projected_and_legacy_tokens() {
        let c = token_claims(&token(PROJECTED)).unwrap();
        assert_eq!(c.namespace.as_deref(), Some("shop"));
        assert_eq!(c.service_account.as_deref(), Some("web"));
        assert_eq!(c.pod.as_deref(), Some("web-7d9f8-xk2lp"));
        assert_eq!(c.node.as_deref(), Some("node-3"));
        let legacy = r#"{"iss":"kubernetes/serviceaccount","kubernetes.io/serviceaccount/namespace":"default","kubernetes.io/serviceaccount/secret.name":"default-token-x","kubernetes.io/serviceaccount/service-account.name":"default","sub":"system:serviceaccount:default:default"}"#;
        let c = token_claims(&token(legacy)).unwrap();
        assert_eq!(c.service_account.as_deref(), Some("default"));
        assert_eq!(c.pod, None);
        for junk in [
            "",
            "a",
            "a.b",
            "a.!!!.c",
            &token("not json"),
            &token("{}"),
            &token(r#"{"kubernetes.io":{"namespace":"a b\u001b[2J"}}"#),
            &token(r#"{"kubernetes.io":{"namespace":7}}"#),
        ] {
            assert_eq!(token_claims(junk), None, "{junk:?}");
        }
    }

    #[test]
    fn a_pod_from_every_source() {
        let f = Facts {
            sa_dir: Some(SERVICEACCOUNT_DIRS[0]),
            sa_namespace: Some("shop".into()),
            token_path: Some(format!("{}/token", SERVICEACCOUNT_DIRS[0])),
            claims: token_claims(&token(PROJECTED)),
            environ: Some(
                "KUBERNETES_SERVICE_HOST=10.96.0.1\0KUBERNETES_SERVICE_PORT=443\0".into(),
            ),
            private_hostname: Some("web-7d9f8-xk2lp".into()),
            ..Facts::default()
        };
        let k = decide(&f);
        assert!(k.pod);
        assert_eq!(k.evidence.len(), 2);
        assert_eq!(k.namespace.as_deref(), Some("shop"));
        assert_eq!(k.service_account.as_deref(), Some("web"));
        assert_eq!(k.pod_name.as_deref(), Some("web-7d9f8-xk2lp"));
        assert!(k.pod_name_from.unwrap().contains("token"));
        assert_eq!(k.node_name.as_deref(), Some("node-3"));
        assert_eq!(k.api_server.as_deref(), Some("10.96.0.1:443"));
        // No token (automountServiceAccountToken: false): the environment
        // and the hostname still tell.
        let f = Facts {
            environ: Some("KUBERNETES_SERVICE_HOST=10.96.0.1\0POD_NAMESPACE=shop\0".into()),
            private_hostname: Some("web-0".into()),
            ..Facts::default()
        };
        let k = decide(&f);
        assert_eq!(
            (k.pod_name.as_deref(), k.namespace.as_deref()),
            (Some("web-0"), Some("shop"))
        );
        assert!(k.pod_name_from.unwrap().starts_with("the hostname"));
        assert_eq!(k.token, None);
    }

    #[test]
    fn not_a_pod() {
        let f = Facts {
            environ: Some("POD_NAME=x\0".into()),
            private_hostname: Some("box".into()),
            ..Facts::default()
        };
        let k = decide(&f);
        assert!(!k.pod);
        assert_eq!((k.pod_name, k.namespace), (None, None));
        // Hostile environment values are not names.
        let f = Facts {
            environ: Some("KUBERNETES_SERVICE_HOST=\u{1b}[2J\0".into()),
            ..Facts::default()
        };
        assert!(!decide(&f).pod);
    }

    #[test]
    fn a_captured_pod_tree() {
        let dir = std::env::temp_dir().join(format!("whatami-kube-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let sa = dir.join("var/run/secrets/kubernetes.io/serviceaccount");
        std::fs::create_dir_all(&sa).unwrap();
        std::fs::write(sa.join("namespace"), "shop").unwrap();
        std::fs::write(sa.join("token"), token(PROJECTED)).unwrap();
        let p = Process {
            cgroup: Some("0::/kubepods.slice/x\n"),
            environ: None,
            init_environ: None,
        };
        let k = read(&Root::new(&dir), false, &p);
        assert!(k.pod);
        assert_eq!(k.evidence.len(), 2, "{:?}", k.evidence);
        assert_eq!(k.service_account.as_deref(), Some("web"));
        assert_eq!(
            k.token.as_deref(),
            Some("/var/run/secrets/kubernetes.io/serviceaccount/token")
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
