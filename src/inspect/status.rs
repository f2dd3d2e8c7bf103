//! Tolerant parser for /proc/<pid>/status.
//! (placeholder: to be implemented)

use crate::model::SeccompStatus;

pub struct ProcStatus;

impl ProcStatus {
    pub fn parse(_text: &str) -> Self {
        ProcStatus
    }
    pub fn seccomp(&self) -> Result<SeccompStatus, String> {
        Err("not implemented".into())
    }
}
