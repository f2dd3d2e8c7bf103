//! placeholder
use crate::fsroot::Root;
use crate::model::Namespaces;
pub fn read(_root: &Root) -> Result<Namespaces, String> {
    Err("not implemented".into())
}
