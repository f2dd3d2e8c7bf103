//! placeholder
use crate::fsroot::Root;
use crate::model::Lsm;
pub fn read(_root: &Root) -> Result<Lsm, String> {
    Err("not implemented".into())
}
