//! `--journal FILE`: one JSON line per request, written as each response
//! starts, so that a test can read what a client asked while it runs.

use std::fs::{File, OpenOptions};
use std::io::{self, Write as _};
use std::path::Path;
use std::sync::Mutex;

use serde_json::json;

use super::api::lock;

pub struct Journal {
    file: Mutex<File>,
}

impl Journal {
    /// Open `path` for appending, creating it if needed.
    pub fn open(path: &Path) -> io::Result<Journal> {
        let file = OpenOptions::new().create(true).append(true).open(path)?;
        Ok(Journal {
            file: Mutex::new(file),
        })
    }

    /// Append `{"method","path","query","status"}`. A failed write is
    /// logged, never fatal: the journal is a witness, not part of the API.
    pub fn record(&self, method: &str, path: &str, query: &str, status: u16) {
        let mut line =
            json!({"method": method, "path": path, "query": query, "status": status}).to_string();
        line.push('\n');
        let mut file = lock(&self.file);
        if let Err(err) = file.write_all(line.as_bytes()).and_then(|()| file.flush()) {
            tracing::warn!(%err, "cannot write the journal");
        }
    }
}
