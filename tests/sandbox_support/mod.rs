//! Shared by the sandbox integration tests: start the real binary, run the
//! real kubectl against it, every process bounded in time and killed when
//! the test ends (even when it fails).

// Each test crate uses a different part of this module.
#![allow(dead_code)]

use std::fs::File;
use std::io::{BufRead as _, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

pub const BIN: &str = env!("CARGO_BIN_EXE_svc-doctor");

/// The most any one process or request may take.
pub const TIMEOUT: Duration = Duration::from_secs(30);

pub fn fixture(relative: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/sandbox")
        .join(relative)
}

/// What a finished process printed.
#[derive(Debug)]
pub struct Output {
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

impl Output {
    pub fn success(&self) -> bool {
        self.code == Some(0)
    }
}

/// Kills and reaps a child when dropped.
pub struct KillOnDrop(pub Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn read_all(pipe: Option<impl std::io::Read + Send + 'static>) -> thread::JoinHandle<String> {
    thread::spawn(move || {
        let mut text = String::new();
        if let Some(mut pipe) = pipe {
            let _ = pipe.read_to_string(&mut text);
        }
        text
    })
}

/// Run a command to completion within `timeout`; a process that overruns
/// is killed and fails the test.
pub fn run(command: &mut Command, timeout: Duration) -> Output {
    let child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|err| panic!("cannot run {command:?}: {err}"));
    let mut child = KillOnDrop(child);
    let stdout = read_all(child.0.stdout.take());
    let stderr = read_all(child.0.stderr.take());
    let deadline = Instant::now() + timeout;
    let status = loop {
        match child.0.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if Instant::now() < deadline => thread::sleep(Duration::from_millis(10)),
            Ok(None) => panic!("{command:?} did not finish within {timeout:?}"),
            Err(err) => panic!("cannot wait for {command:?}: {err}"),
        }
    };
    Output {
        code: status.code(),
        stdout: stdout.join().unwrap_or_default(),
        stderr: stderr.join().unwrap_or_default(),
    }
}

/// Whether kubectl can run here. Tests that need it skip with a notice
/// when it is missing, except under CI, where it must be installed.
pub fn kubectl_available() -> bool {
    let found = Command::new("kubectl")
        .args(["version", "--client"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !found {
        assert!(
            std::env::var_os("CI").is_none(),
            "kubectl is required under CI"
        );
        eprintln!("skipped: kubectl is not installed");
    }
    found
}

/// A `svc-doctor sandbox` process with its kubeconfig and journal in a
/// temporary folder (also kubectl's HOME, so its discovery cache is fresh).
pub struct Sandbox {
    pub process: KillOnDrop,
    pub dir: tempfile::TempDir,
    pub url: String,
    pub kubeconfig: PathBuf,
    pub journal: PathBuf,
}

impl Sandbox {
    /// Start the binary with `args` (e.g. `--manifests PATH`) and wait for
    /// its ready line.
    pub fn start(args: &[&str]) -> Sandbox {
        let dir = tempfile::tempdir().unwrap_or_else(|err| panic!("tempdir: {err}"));
        let kubeconfig = dir.path().join("kubeconfig");
        let journal = dir.path().join("journal.jsonl");
        let stderr = File::create(dir.path().join("stderr"))
            .unwrap_or_else(|err| panic!("stderr file: {err}"));
        let child = Command::new(BIN)
            .arg("sandbox")
            .args(args)
            .arg("--kubeconfig-out")
            .arg(&kubeconfig)
            .arg("--journal")
            .arg(&journal)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(stderr)
            .spawn()
            .unwrap_or_else(|err| panic!("cannot start the sandbox: {err}"));
        let mut process = KillOnDrop(child);
        let stdout = process.0.stdout.take();
        let (tx, rx) = mpsc::channel();
        thread::spawn(move || {
            if let Some(stdout) = stdout {
                let mut line = String::new();
                let _ = BufReader::new(stdout).read_line(&mut line);
                let _ = tx.send(line);
            }
        });
        let line = rx
            .recv_timeout(TIMEOUT)
            .unwrap_or_else(|_| panic!("no ready line within {TIMEOUT:?}"));
        let url = match line.trim_end().strip_prefix("sandbox listening on ") {
            Some(url) => url.to_string(),
            None => {
                let errors = std::fs::read_to_string(dir.path().join("stderr")).unwrap_or_default();
                panic!("unexpected ready line {line:?}; stderr: {errors}");
            }
        };
        Sandbox {
            process,
            dir,
            url,
            kubeconfig,
            journal,
        }
    }

    /// A kubectl command for this sandbox.
    pub fn kubectl_command(&self, args: &[&str]) -> Command {
        let mut command = Command::new("kubectl");
        command
            .env("KUBECONFIG", &self.kubeconfig)
            .env("HOME", self.dir.path())
            .arg("--request-timeout=20s")
            .args(args);
        command
    }

    pub fn kubectl(&self, args: &[&str]) -> Output {
        run(&mut self.kubectl_command(args), TIMEOUT)
    }

    /// Run kubectl, require success, return its stdout.
    pub fn kubectl_ok(&self, args: &[&str]) -> String {
        let out = self.kubectl(args);
        assert!(out.success(), "kubectl {args:?} failed: {out:?}");
        out.stdout
    }

    /// The journal's lines so far.
    pub fn journal(&self) -> Vec<serde_json::Value> {
        std::fs::read_to_string(&self.journal)
            .unwrap_or_default()
            .lines()
            .map(|line| {
                serde_json::from_str(line)
                    .unwrap_or_else(|err| panic!("journal line {line:?}: {err}"))
            })
            .collect()
    }

    /// Write `text` into the sandbox's folder and return its path.
    pub fn write_file(&self, name: &str, text: &str) -> PathBuf {
        let path = self.dir.path().join(name);
        std::fs::write(&path, text).unwrap_or_else(|err| panic!("write {name}: {err}"));
        path
    }
}

/// The lines a long-running process prints, read as they come.
pub struct Lines {
    pub process: KillOnDrop,
    rx: mpsc::Receiver<String>,
    pub seen: Vec<String>,
}

impl Lines {
    pub fn spawn(mut command: Command) -> Lines {
        let child = command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|err| panic!("cannot run {command:?}: {err}"));
        let mut process = KillOnDrop(child);
        let stdout = process.0.stdout.take();
        let (tx, rx) = mpsc::channel();
        thread::spawn(move || {
            if let Some(stdout) = stdout {
                for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                    if tx.send(line).is_err() {
                        break;
                    }
                }
            }
        });
        Lines {
            process,
            rx,
            seen: Vec::new(),
        }
    }

    /// Wait for a line that satisfies `wanted`.
    pub fn wait_for(&mut self, what: &str, wanted: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + TIMEOUT;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.rx.recv_timeout(left) {
                Ok(line) => {
                    self.seen.push(line.clone());
                    if wanted(&line) {
                        return line;
                    }
                }
                Err(_) => panic!(
                    "no line with {what} within {TIMEOUT:?}; saw {:?}",
                    self.seen
                ),
            }
        }
    }
}
