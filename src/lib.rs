//! whatami: what is this process allowed to do, and why not?
//!
//! The library holds everything; `main.rs` only parses the command line,
//! gathers the report and renders it. Integration tests read the JSON back
//! into [`model::Report`].

pub(crate) mod assess;
pub(crate) mod check;
pub mod exit;
pub(crate) mod fsroot;
pub(crate) mod inspect;
pub mod linux;
pub mod model;
pub mod profile;
pub mod record;
pub mod render;
pub mod report;
pub mod seccomp;
#[cfg(test)]
mod snapshots;
pub(crate) mod trace;
pub mod why;
