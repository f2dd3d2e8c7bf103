//! The human renderer: aligned sections, colored when asked.
//!
//! Layout: a section title at column 0, then `label  value` rows with the
//! labels padded to one width so values line up. Long lists wrap under their
//! first value. Every section that failed prints its error instead.

use super::color::Paint;
use super::writer::{VALUE_COL, Writer, untrusted};
use crate::model::*;
use std::io::{self, Write};

/// The report's sections in the order it prints them, by the names
/// `--section` takes.
pub const SECTIONS: [&str; 14] = [
    "verdict",
    "runtime",
    "system",
    "identity",
    "seccomp",
    "capabilities",
    "namespaces",
    "userns",
    "lsm",
    "mounts",
    "cgroups",
    "limits",
    "kubernetes",
    "pod-security",
];

/// How much of the report to print.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Form {
    /// Every section.
    Full,
    /// One screen ([`super::brief`]).
    Brief,
    /// The sections named (of [`SECTIONS`]), in the report's order.
    Only(Vec<String>),
}

/// The report in `form`, laid out for `width` columns. Whatever the form,
/// it ends saying which sections could not be gathered.
pub fn write(
    out: &mut impl Write,
    r: &Report,
    color: bool,
    width: usize,
    form: &Form,
) -> io::Result<()> {
    let only = match form {
        Form::Full => None,
        Form::Brief => return super::brief::write(out, r, color, width),
        Form::Only(names) => Some(names),
    };
    let show = |name: &str| only.is_none_or(|o| o.iter().any(|n| n == name));
    let mut w = Writer::new(out, Paint::new(color), VALUE_COL, width);
    w.title(&format!("whatami {}", r.whatami_version))?;
    if show("verdict") {
        super::assessment::verdict(&mut w, &r.assessment)?;
    }
    if show("runtime") {
        w.runtime(&r.runtime)?;
    }
    if show("system") {
        w.system(&r.system)?;
    }
    if show("identity") {
        w.identity(&r.identity)?;
    }
    if show("seccomp") {
        super::seccomp::write(&mut w, &r.seccomp)?;
        if let Some(p) = &r.seccomp.profile {
            super::profile::write(&mut w, p)?;
        }
    }
    if show("capabilities") {
        let no_new_privs = r.seccomp.status.ok().map(|s| s.no_new_privs);
        let private_userns = r
            .namespaces
            .ok()
            .and_then(|n| n.user.ok())
            .is_some_and(|u| u.host == Some(false));
        w.capabilities(&r.capabilities, no_new_privs, private_userns)?;
    }
    if show("namespaces") {
        w.namespaces(&r.namespaces)?;
    }
    if show("userns") {
        w.user_namespace(&r.user_namespace)?;
    }
    if show("lsm") {
        w.lsm(&r.lsm)?;
    }
    if show("mounts") {
        let container = r.runtime.ok().map(|rt| rt.container);
        super::environment::mounts(&mut w, &r.mounts, container)?;
    }
    if show("cgroups") {
        super::environment::cgroups(&mut w, &r.cgroups)?;
    }
    if show("limits") {
        super::environment::kernel_limits(&mut w, &r.kernel_limits)?;
    }
    if show("kubernetes") {
        super::environment::kubernetes(&mut w, &r.kubernetes)?;
    }
    if show("pod-security") {
        super::assessment::pod_security(&mut w, &r.assessment)?;
    }
    let failed = r.failed_sections();
    if !failed.is_empty() {
        writeln!(w.out)?;
        let msg = format!("incomplete report: could not gather {}", failed.join(", "));
        w.line(&w.p.warn(&msg))?;
    }
    let unlearned = r.unlearned_verdicts();
    if unlearned > 0 {
        if failed.is_empty() {
            writeln!(w.out)?;
        }
        let msg = format!("incomplete report: {unlearned} seccomp verdicts could not be learned");
        w.line(&w.p.warn(&msg))?;
    }
    Ok(())
}

// The sections of the process itself.
impl<W: Write> Writer<'_, W> {
    fn runtime(&mut self, s: &Section<Runtime>) -> io::Result<()> {
        self.section("Runtime")?;
        let rt = match s {
            Section::Ok(rt) => rt,
            Section::Failed { error } => return self.failed(error),
        };
        let what = if !rt.container {
            self.p.good("not in a container")
        } else if rt.name == "unknown" {
            self.p.warn("in a container, runtime unknown")
        } else {
            format!("{} {}", self.p.heading(&rt.name), self.p.dim("(container)"))
        };
        self.row("runtime", &what)?;
        if let Some((_, rest)) = rt.detected.split_first().filter(|(_, r)| !r.is_empty()) {
            self.row("also", &untrusted(&rest.join(", ")))?;
        }
        let evidence: Vec<String> = rt
            .evidence
            .iter()
            .map(|e| self.p.dim(&untrusted(e)))
            .collect();
        self.rows("evidence", evidence)
    }

    fn system(&mut self, s: &Section<System>) -> io::Result<()> {
        self.section("System")?;
        let sys = match s {
            Section::Ok(sys) => sys,
            Section::Failed { error } => return self.failed(error),
        };
        let release = untrusted(sys.kernel_release.as_deref().unwrap_or("unknown"));
        self.row("kernel", &format!("{release} ({})", untrusted(&sys.arch)))
    }

    fn identity(&mut self, s: &Section<Identity>) -> io::Result<()> {
        self.section("Identity")?;
        let id = match s {
            Section::Ok(id) => id,
            Section::Failed { error } => return self.failed(error),
        };
        let uid = match &id.user_name {
            Some(n) => format!("{}({})", id.uid.effective, untrusted(n)),
            None => id.uid.effective.to_string(),
        };
        let uid = if id.uid.effective == 0 {
            self.p.warn(&uid)
        } else {
            uid
        };
        self.row("uid", &format!("{uid}{}", ids_detail(&id.uid)))?;
        self.row(
            "gid",
            &format!("{}{}", id.gid.effective, ids_detail(&id.gid)),
        )?;
        let groups: Vec<String> = id.groups.iter().map(|g| g.to_string()).collect();
        self.list_row("groups", &groups, |_, s| s.to_string())?;
        if let Some(m) = &id.umask {
            self.row("umask", &untrusted(m))?;
        }
        self.row(
            "hostname",
            &untrusted(id.hostname.as_deref().unwrap_or("unknown")),
        )
    }

    fn capabilities(
        &mut self,
        s: &Section<Capabilities>,
        no_new_privs: Option<bool>,
        private_userns: bool,
    ) -> io::Result<()> {
        self.section("Capabilities")?;
        let c = match s {
            Section::Ok(c) => c,
            Section::Failed { error } => return self.failed(error),
        };
        let all_dangerous: Vec<String> = c
            .dangerous_effective
            .iter()
            .chain(&c.dangerous_bounding)
            .cloned()
            .collect();
        let dangerous = |p: &Paint, name: &str| {
            if all_dangerous.iter().any(|d| d == name) {
                p.bad(name)
            } else {
                name.to_string()
            }
        };
        let sets: [(&str, &Vec<String>); 4] = [
            ("effective", &c.effective),
            ("permitted", &c.permitted),
            ("inheritable", &c.inheritable),
            ("bounding", &c.bounding),
        ];
        for (name, set) in sets {
            let same_as_effective = name != "effective" && !set.is_empty() && *set == c.effective;
            if same_as_effective {
                self.row(name, &self.p.dim("same as effective"))?;
            } else {
                let label = format!("{name} ({})", set.len());
                self.list_row(&label, set, dangerous)?;
            }
        }
        match &c.ambient {
            Some(a) => self.list_row("ambient", a, dangerous)?,
            None => self.row("ambient", &self.p.dim("not supported by this kernel"))?,
        }
        let d = &c.vs_docker_default;
        if d.added.is_empty() && d.dropped.is_empty() {
            self.row("vs Docker", "same as Docker's default set")?;
        } else {
            // One list per direction, each led by a plain word, wrapped
            // under the values like the sets above.
            let mut label = "vs Docker";
            for (word, list, good) in [("added", &d.added, false), ("dropped", &d.dropped, true)] {
                if list.is_empty() {
                    continue;
                }
                let items: Vec<String> = std::iter::once(format!("{word}:"))
                    .chain(list.iter().cloned())
                    .collect();
                self.list_row(label, &items, |p, s| {
                    if s.ends_with(':') {
                        s.to_string()
                    } else if good {
                        p.good(s)
                    } else {
                        p.warn(s)
                    }
                })?;
                label = "";
            }
        }
        if c.dangerous_effective.is_empty() {
            self.row("dangerous", &self.p.good("none effective"))?;
        } else {
            self.list_row("dangerous", &c.dangerous_effective, |p, s| p.bad(s))?;
            if private_userns {
                self.cont(&self.p.dim(
                    "(held in a private user namespace: they act on what it owns, not on the host)",
                ))?;
            }
        }
        // Dangerous capabilities only in the bounding set come back through
        // exec of a setuid-root or file-capability binary, which
        // no_new_privs rules out.
        let gainable: Vec<String> = c
            .dangerous_bounding
            .iter()
            .filter(|b| !c.dangerous_effective.contains(b))
            .cloned()
            .collect();
        if gainable.is_empty() {
            return Ok(());
        }
        match no_new_privs {
            Some(true) => self.row(
                "gainable",
                &self
                    .p
                    .good("none: no_new_privs stops exec from granting the bounding set"),
            ),
            _ => {
                self.list_row("gainable", &gainable, |p, s| p.warn(s))?;
                self.cont(
                    &self
                        .p
                        .dim("(in the bounding set: exec of a setuid-root or file-capability binary can grant them)"),
                )
            }
        }
    }

    fn namespaces(&mut self, s: &Section<Namespaces>) -> io::Result<()> {
        self.section("Namespaces")?;
        let ns = match s {
            Section::Ok(ns) => ns,
            Section::Failed { error } => return self.failed(error),
        };
        let all = ns.by_name();
        for (name, info) in all {
            let value = match info {
                Section::Failed { error } => self.p.warn(&format!("unreadable: {error}")),
                Section::Ok(i) => {
                    let (word, paint): (&str, fn(&Paint, &str) -> String) = match i.host {
                        Some(true) => ("host", Paint::bad),
                        Some(false) => ("private", Paint::good),
                        None => ("unknown", Paint::warn),
                    };
                    // Padded before painting, so that color codes do not
                    // count in the width and the inode column lines up.
                    let verdict = paint(&self.p, &format!("{word:<9}"));
                    let evidence = self.p.dim(&untrusted(&i.evidence));
                    format!("{verdict}{:<12} {evidence}", i.inode)
                }
            };
            self.row(name, &value)?;
        }
        Ok(())
    }

    fn user_namespace(&mut self, s: &Section<UserNamespace>) -> io::Result<()> {
        self.section("User namespace")?;
        let u = match s {
            Section::Ok(u) => u,
            Section::Failed { error } => return self.failed(error),
        };
        self.map_rows("uid_map", &u.uid_map)?;
        self.map_rows("gid_map", &u.gid_map)?;
        if let Some(sg) = &u.setgroups {
            self.row("setgroups", &untrusted(sg))?;
        }
        // About uid 0 of this namespace, whoever runs whatami.
        let root = match (u.root_is_host_root, u.root_maps_to) {
            (Some(true), _) => self.p.bad("is the host's root"),
            (Some(false), _) => self.p.good("is not the host's root"),
            (None, Some(0)) => self.p.warn("is uid 0 of the parent user namespace"),
            (None, Some(n)) => format!("is uid {n} of the parent user namespace"),
            (None, None) => self.p.warn("cannot tell"),
        };
        self.row("uid 0", &root)?;
        if !u.evidence.is_empty() {
            self.cont(&self.p.dim(&untrusted(&u.evidence)))?;
        }
        Ok(())
    }

    fn map_rows(&mut self, label: &str, map: &[IdMapEntry]) -> io::Result<()> {
        if map.is_empty() {
            return self.row(label, &self.p.dim("empty (nothing mapped)"));
        }
        let lines = map
            .iter()
            .map(|m| format!("{} -> {} (count {})", m.inside, m.outside, m.count));
        self.rows(label, lines)
    }

    fn lsm(&mut self, s: &Section<Lsm>) -> io::Result<()> {
        self.section("LSM")?;
        let l = match s {
            Section::Ok(l) => l,
            Section::Failed { error } => return self.failed(error),
        };
        let aa = match &l.apparmor {
            Some(a) => match &a.mode {
                Some(m) => format!("{} ({})", untrusted(&a.profile), untrusted(m)),
                None => untrusted(&a.profile).into_owned(),
            },
            None => self.p.dim("none"),
        };
        self.row("AppArmor", &aa)?;
        let se = match &l.selinux {
            Some(s) => untrusted(&s.context).into_owned(),
            None => self.p.dim("none"),
        };
        self.row("SELinux", &se)?;
        if let Some(label) = &l.other_label {
            self.row("other label", &untrusted(label))?;
        }
        match &l.active {
            Some(a) => self.row("active LSMs", &untrusted(&a.join(","))),
            None => self.row(
                "active LSMs",
                &self.p.dim("unknown (securityfs not readable)"),
            ),
        }
    }
}

fn ids_detail(ids: &Ids) -> String {
    if ids.real == ids.effective && ids.saved == ids.effective && ids.filesystem == ids.effective {
        String::new()
    } else {
        format!(
            " (real {}, saved {}, fs {})",
            ids.real, ids.saved, ids.filesystem
        )
    }
}
