//! Printers over the report model ([`crate::model::Report`]): they only
//! read it. `why`'s and `record`'s printers live with those commands and
//! write with the same tools.
//!
//! - width.rs: how wide to lay out (the terminal's width, COLUMNS)
//! - writer.rs: the word wrap, the sanitising of container text
//!   and the Writer every human printer writes with; color.rs: whether to
//!   color, and the painter
//! - json.rs: one JSON object (the report, `why`'s, `record`'s)
//! - human.rs: the report for people, its sections in order, and the
//!   process's own sections (runtime, identity, capabilities, namespaces,
//!   LSM); seccomp.rs, profile.rs, environment.rs, assessment.rs: the others
//! - brief.rs: the brief report (`--brief`), one screen
//! - check.rs: the result of `--check`
//! - summary.rs: the strace -c table `why` and `record` end with

mod assessment;
pub mod brief;
pub mod check;
pub mod color;
mod environment;
pub mod human;
pub mod json;
mod profile;
mod seccomp;
pub(crate) mod summary;
pub mod width;
pub(crate) mod writer;
pub use writer::Clean;
