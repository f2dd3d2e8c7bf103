//! The JSON renderer: the report model as one pretty-printed JSON object.

use crate::model::Report;
use std::io::{self, Write};

pub fn write(out: &mut impl Write, report: &Report) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, report).map_err(io::Error::other)?;
    writeln!(out)
}
