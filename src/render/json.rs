//! The JSON printer: one pretty-printed JSON object and a newline, for the
//! report (docs/json.md), `why`'s explanation and what `record` saw.

use serde::Serialize;
use std::io::{self, Write};

pub fn write(out: &mut impl Write, value: &impl Serialize) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, value).map_err(io::Error::other)?;
    writeln!(out)
}
