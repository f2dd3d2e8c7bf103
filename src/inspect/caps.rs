//! placeholder
use super::status::ProcStatus;
use crate::model::Capabilities;
pub fn from_status(_s: &ProcStatus) -> Result<Capabilities, String> {
    Err("not implemented".into())
}
