//! What the report is about, as a fleet of reports tells them apart: the
//! hostname, the Kubernetes namespace and pod, the container's id, when the
//! report was made and by which whatami (`subject` in docs/json.md). Drawn
//! from the sections already gathered; nothing here reads the root.

use crate::model::{Identity, Kubernetes, Runtime, Section, Subject};
use std::time::{SystemTime, UNIX_EPOCH};

/// The subject of a report whose sections are these, made at `now`
/// (seconds since the epoch).
pub fn of(
    identity: &Section<Identity>,
    kubernetes: &Section<Kubernetes>,
    runtime: &Section<Runtime>,
    now: Option<u64>,
) -> Subject {
    let kube = kubernetes.ok();
    Subject {
        hostname: identity.ok().and_then(|i| i.hostname.clone()),
        namespace: kube.and_then(|k| k.namespace.clone()),
        pod: kube.and_then(|k| k.pod_name.clone()),
        container_id: runtime.ok().and_then(container_id),
        time: now.map(rfc3339),
        whatami_version: env!("CARGO_PKG_VERSION").to_string(),
    }
}

/// Now, in seconds since the epoch: `SOURCE_DATE_EPOCH` when set (the
/// reproducible-output convention, which the snapshot tests use), else the
/// clock.
pub fn now() -> Option<u64> {
    match std::env::var("SOURCE_DATE_EPOCH") {
        Ok(v) => v.trim().parse().ok(),
        Err(_) => SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .ok()
            .map(|d| d.as_secs()),
    }
}

/// The container's id, as the runtime's evidence shows it: the 64-hex name
/// of its cgroup (`/docker/ID`, `libpod-ID`, `cri-containerd-ID.scope`) or
/// of the state directory its /etc/hostname comes from. The root overlay's
/// upper layer is named by a 64-hex id too, the layer's, so that evidence
/// is not read.
fn container_id(rt: &Runtime) -> Option<String> {
    let from = |prefix: &str| {
        rt.evidence
            .iter()
            .filter(|e| e.starts_with(prefix) || e.contains(prefix))
            .find_map(|e| {
                e.split(|c: char| !c.is_ascii_hexdigit())
                    .find(|w| w.len() == 64)
                    .map(str::to_string)
            })
    };
    from("cgroup path ").or_else(|| from("bind-mounted from "))
}

/// `2026-12-08T02:36:38Z` for `secs` since the epoch (UTC).
fn rfc3339(secs: u64) -> String {
    let days = secs / 86_400;
    let rem = secs % 86_400;
    // Days to a civil date, proleptic Gregorian (H. Hinnant's algorithm).
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_utc_calendar_dates() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(rfc3339(1_796_697_398), "2026-12-08T02:36:38Z");
        assert_eq!(rfc3339(4_107_542_399), "2100-02-28T23:59:59Z");
    }

    fn runtime(evidence: &[&str]) -> Runtime {
        Runtime {
            name: "docker".into(),
            container: true,
            evidence: evidence.iter().map(|s| s.to_string()).collect(),
            detected: vec![],
        }
    }

    #[test]
    fn the_container_id_is_the_cgroup_s_or_the_state_directory_s_never_the_layer_s() {
        let layer = "c069437424bce6ae2f8e5eeaee2f87a3bb8759402bf6e27b41886a24db75a89c";
        let id = "74478d714abb834bad33264aeaa33da50627d1a931badee27ccf8c1e4773f41d";
        let rt = runtime(&[
            &format!("the root overlay's upper layer is /var/lib/docker/overlay2/{layer}/diff"),
            &format!("/etc/hostname is bind-mounted from /var/lib/docker/containers/{id}/"),
            &format!("cgroup path /docker/{id} (this process and PID 1)"),
        ]);
        assert_eq!(container_id(&rt).as_deref(), Some(id));
        let rt = runtime(&[
            &format!("the root overlay's upper layer is /x/overlay2/{layer}/diff"),
            &format!("/etc/hosts is bind-mounted from /run/overlay-containers/{id}/userdata/"),
        ]);
        assert_eq!(container_id(&rt).as_deref(), Some(id));
        assert_eq!(container_id(&runtime(&["/.dockerenv exists"])), None);
    }
}
