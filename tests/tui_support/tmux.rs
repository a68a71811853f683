//! Driving the real binary in tmux: a private tmux server per test,
//! `send-keys`, `capture-pane -p`, and waiting for text with a deadline.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// Whether `tool` runs here. When it does not: under `CI` the test fails,
/// elsewhere it prints a one-line notice and the caller skips.
pub fn require(tool: &str, version_flag: &str) -> bool {
    let found = Command::new(tool)
        .arg(version_flag)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok();
    if !found {
        if std::env::var_os("CI").is_some() {
            panic!("{tool} is required in CI (.ci/run installs it)");
        }
        eprintln!("skipped: {tool} is not installed");
    }
    found
}

/// The dashboard command: `svc-doctor demo`, or `$SVC_DOCTOR_TUI_BIN demo`
/// to try another build.
pub fn demo_command() -> String {
    let bin = std::env::var("SVC_DOCTOR_TUI_BIN")
        .unwrap_or_else(|_| env!("CARGO_BIN_EXE_svc-doctor").to_string());
    format!("{} demo", shell_word(&bin))
}

pub fn shell_word(s: &str) -> String {
    format!("'{}'", s.replace('\'', "'\\''"))
}

static NEXT: AtomicUsize = AtomicUsize::new(0);

/// A private tmux server running one command in a `width`×`height` window.
pub struct Tmux {
    socket: String,
    pub dir: tempfile::TempDir,
}

impl Tmux {
    /// Start `command` (a shell command line). When it exits the pane
    /// shows `EXIT=<status>` and stays open, so tests can read the shell.
    pub fn start(command: &str, width: u16, height: u16, env: &[(&str, &str)]) -> Tmux {
        let socket = format!(
            "svc-doctor-test-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::SeqCst)
        );
        let dir = tempfile::tempdir().unwrap();
        let mut exports = String::new();
        for (k, v) in env {
            exports.push_str(&format!("export {k}={}; ", shell_word(v)));
        }
        // After the command: its status and the terminal's line discipline
        // (`icanon echo` when cooked, `-icanon -echo` when left raw).
        let script = format!(
            "{exports}{command}; echo EXIT=$?; \
             echo TTY=$(stty -a | tr ' ;' '\\n\\n' | grep -x -e icanon -e -icanon -e echo -e -echo | tr '\\n' ' '); \
             sleep 600"
        );
        let status = Command::new("tmux")
            .args(["-L", &socket, "-f", "/dev/null", "new-session", "-d"])
            .args(["-x", &width.to_string(), "-y", &height.to_string()])
            .args(["-s", "t", "sh", "-c", &script])
            .env("HOME", dir.path())
            .env_remove("TMUX")
            .status()
            .expect("tmux new-session");
        assert!(status.success(), "tmux new-session failed");
        Tmux { socket, dir }
    }

    pub fn tmux(&self, args: &[&str]) -> String {
        let out = Command::new("tmux")
            .args(["-L", &self.socket])
            .args(args)
            .output()
            .expect("tmux");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    pub fn screen(&self) -> String {
        self.tmux(&["capture-pane", "-p", "-t", "t"])
    }

    /// Send tmux key names (`j`, `Enter`, `Escape`, `C-c`, `BTab`).
    pub fn keys(&self, keys: &[&str]) {
        let mut args = vec!["send-keys", "-t", "t"];
        args.extend_from_slice(keys);
        self.tmux(&args);
    }

    /// Wait until `pred` holds for the screen; the screen when it does.
    #[track_caller]
    pub fn wait_for(&self, what: &str, pred: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let screen = self.screen();
            if pred(&screen) {
                return screen;
            }
            if Instant::now() > deadline {
                panic!("timed out waiting for {what}; the screen:\n{screen}");
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    #[track_caller]
    pub fn wait_text(&self, needle: &str) -> String {
        self.wait_for(&format!("`{needle}`"), |s| s.contains(needle))
    }

    pub fn log_path(&self) -> PathBuf {
        self.dir.path().join("svc-doctor.log")
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .args(["-L", &self.socket, "kill-server"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
}

/// The Services list rows on screen: `(verdict symbol, step, whole row)`,
/// read from the left pane (`│✗ … step │`).
pub fn list_rows(screen: &str) -> Vec<(String, String, String)> {
    const STEPS: [&str; 7] = [
        "service",
        "endpoints",
        "pods",
        "ports",
        "dns",
        "namespace",
        "network",
    ];
    screen
        .lines()
        .filter_map(|line| {
            let rest = line.strip_prefix('│')?;
            let pane = rest.split('│').next()?;
            let symbol = pane.chars().next()?;
            if !"✓!✗?".contains(symbol) {
                return None;
            }
            let last = pane.split_whitespace().last()?;
            let step = if STEPS.contains(&last) { last } else { "—" };
            Some((symbol.to_string(), step.to_string(), pane.to_string()))
        })
        .collect()
}
