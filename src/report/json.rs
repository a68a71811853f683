//! `check -o json`: the report, exactly in the schema of DESIGN §3, on stdout.

use std::io::{self, Write};

use crate::diagnose::report::Report;

/// Write the report as pretty JSON followed by a newline.
pub fn write(report: &Report, out: &mut impl Write) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, report).map_err(io::Error::other)?;
    out.write_all(b"\n")
}
