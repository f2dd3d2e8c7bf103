//! Renderers: two siblings over the same [`crate::model::Report`].
//!
//! `json` prints the contract; `human` prints aligned, optionally colored
//! text. Both only read the model.

pub mod color;
mod environment;
pub mod human;
pub mod json;
mod profile;
mod seccomp;
pub mod writer;

/// The result of `--check` in words (the JSON report carries it as `check`).
pub use environment::check;
