//! placeholder
use crate::fsroot::Root;
use crate::model::Runtime;
pub fn detect(_root: &Root) -> Result<Runtime, String> {
    Err("not implemented".into())
}
