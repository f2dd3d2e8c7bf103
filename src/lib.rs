//! whatami: what is this process allowed to do, and why not?
//!
//! The library holds everything but the command line: `main.rs` and its
//! `cli.rs` turn argv into a command's options and run [`report`], [`why`],
//! [`record`] or [`diff`] (which also runs `fleet`). Modules stand in floors, each importing only from those
//! below it: `linux`, `exit` and `sort` at the ground; `model` and `fsroot`;
//! `seccomp` and `profile`; `inspect`; `assess` and `check`; `trace` (the
//! ptrace engine); `render`; `report` (the report's pipeline); `why`,
//! `record` and `diff`. Integration tests read the JSON back into [`model::Report`].

pub(crate) mod assess;
pub(crate) mod check;
pub mod diff;
pub mod exit;
pub(crate) mod fsroot;
pub(crate) mod inspect;
pub mod linux;
pub mod model;
#[cfg(test)]
mod noise;
pub mod profile;
pub mod record;
pub mod render;
pub mod report;
pub mod seccomp;
#[cfg(test)]
mod snapshots;
pub(crate) mod sort;
pub(crate) mod trace;
pub mod why;
