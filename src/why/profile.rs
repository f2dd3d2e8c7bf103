//! The seam for profile-aware fixes: what is known about the seccomp
//! profile in force, beyond the policy's answer to one call.
//!
//! The policy's verdict for the exact call is always asked (that is what
//! makes a seccomp cause exact); what it cannot say is *which* profile it
//! is and under which condition that profile would allow the call (Docker's
//! default profile allows clock_settime to containers with CAP_SYS_TIME).
//! Until the report can name the profile in force, [`ProfileKnowledge`]
//! knows none, and fixes are phrased from the verdict, the capability table
//! and the bounding set. A profile identifier plugs in here: it returns a
//! [`ProfileRule`] for the calls its profile allows conditionally, and the
//! fix then names the profile and the exact condition.

/// How a named profile treats one call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProfileRule {
    /// "Docker's default profile".
    pub profile: String,
    /// The capability under which the profile allows the call (`CAP_SYS_TIME`),
    /// or `None` when it refuses it to every container.
    pub allowed_with: Option<String>,
}

/// What is known about the profile in force.
#[derive(Debug, Clone, Default)]
pub struct ProfileKnowledge {
    _private: (),
}

impl ProfileKnowledge {
    /// Nothing is known: fixes speak of "the profile".
    pub fn unknown() -> ProfileKnowledge {
        ProfileKnowledge::default()
    }

    /// The rule of the profile in force for `syscall` with `args`, when the
    /// profile is known.
    pub fn rule_for(&self, _syscall: &str, _args: &[u64; 6]) -> Option<ProfileRule> {
        None
    }
}
