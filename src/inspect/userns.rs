//! placeholder
use crate::fsroot::Root;
use crate::model::UserNamespace;
pub fn read(_root: &Root) -> Result<UserNamespace, String> {
    Err("not implemented".into())
}
