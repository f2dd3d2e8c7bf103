//! placeholder
use super::status::ProcStatus;
use crate::fsroot::Root;
use crate::model::Identity;
pub fn read(_root: &Root, _s: &ProcStatus) -> Result<Identity, String> {
    Err("not implemented".into())
}
