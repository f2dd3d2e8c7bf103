//! placeholder
use crate::fsroot::Root;
use crate::model::System;
pub fn read(_root: &Root) -> Result<System, String> {
    Err("not implemented".into())
}
