//! Shared helpers for integration tests: a sandbox API server run as a child
//! process (killed on drop, so a failing test never leaks a server), and
//! running svc-doctor and kubectl against it with bounded time.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::time::Duration;

/// The svc-doctor binary under test, isolated from the developer's own kubeconfig.
pub fn svc_doctor() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_svc-doctor"));
    cmd.env_remove("KUBECONFIG")
        .env("HOME", "/nonexistent-home")
        .env("NO_COLOR", "1");
    cmd
}

/// A running `svc-doctor sandbox`.
pub struct Sandbox {
    child: Child,
    pub dir: tempfile::TempDir,
    pub kubeconfig: PathBuf,
    pub url: String,
    pub journal: Option<PathBuf>,
}

impl Sandbox {
    /// Start `svc-doctor sandbox ARGS --kubeconfig-out …` and wait (at most 60 s)
    /// for its ready line.
    pub fn start(args: &[&str]) -> Sandbox {
        Self::start_with(args, false)
    }

    /// As [`Sandbox::start`], also writing a request journal.
    pub fn start_with_journal(args: &[&str]) -> Sandbox {
        Self::start_with(args, true)
    }

    fn start_with(args: &[&str], journal: bool) -> Sandbox {
        let dir = tempfile::tempdir().unwrap();
        let kubeconfig = dir.path().join("kubeconfig");
        let journal = journal.then(|| dir.path().join("journal.jsonl"));
        let mut cmd = svc_doctor();
        cmd.arg("sandbox")
            .args(args)
            .arg("--kubeconfig-out")
            .arg(&kubeconfig);
        if let Some(j) = &journal {
            cmd.arg("--journal").arg(j);
        }
        let mut child = cmd
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut line = String::new();
            let _ = BufReader::new(stdout).read_line(&mut line);
            let _ = tx.send(line);
        });
        let line = match rx.recv_timeout(Duration::from_secs(60)) {
            Ok(line) => line,
            Err(_) => {
                let _ = child.kill();
                panic!("sandbox did not print its ready line within 60 s");
            }
        };
        let Some(url) = line.trim().strip_prefix("sandbox listening on ") else {
            let _ = child.kill();
            let out = child.wait_with_output().unwrap();
            panic!(
                "unexpected ready line {line:?}; stderr: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        };
        Sandbox {
            url: url.to_string(),
            child,
            dir,
            kubeconfig,
            journal,
        }
    }

    /// `kubectl --kubeconfig K ARGS`, bounded to 60 s.
    pub fn kubectl(&self, args: &[&str]) -> Output {
        let mut cmd = Command::new("kubectl");
        cmd.arg("--kubeconfig").arg(&self.kubeconfig).args(args);
        run_bounded(cmd, Duration::from_secs(60))
    }

    /// `svc-doctor ARGS --kubeconfig K`, bounded to 120 s.
    pub fn svc_doctor(&self, args: &[&str]) -> Output {
        let mut cmd = svc_doctor();
        cmd.args(args).arg("--kubeconfig").arg(&self.kubeconfig);
        run_bounded(cmd, Duration::from_secs(120))
    }

    /// The journal's lines as JSON values.
    pub fn journal_entries(&self) -> Vec<serde_json::Value> {
        let path = self.journal.as_ref().expect("started with a journal");
        std::fs::read_to_string(path)
            .unwrap()
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Run a command with a deadline; kill it and fail the test if it overruns.
pub fn run_bounded(mut cmd: Command, limit: Duration) -> Output {
    let child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let pid = child.id();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(child.wait_with_output());
    });
    match rx.recv_timeout(limit) {
        Ok(out) => out.unwrap(),
        Err(_) => {
            let _ = Command::new("kill").arg("-9").arg(pid.to_string()).status();
            panic!("{cmd:?} did not finish within {limit:?}");
        }
    }
}

/// Write a fixture file into `dir` and return its path.
pub fn write_file(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}
