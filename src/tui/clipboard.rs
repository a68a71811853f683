//! The clipboard: the only code that touches it.
//!
//! - Native (arboard; X11 on Linux, also the system clipboard on macOS and
//!   Windows): one handle for the life of the process, owned by a worker
//!   thread. An X11 selection lives only as long as its owner, so the handle
//!   is never dropped while the dashboard runs. Calls are bounded: the UI
//!   never waits on them (the reply comes back as a message), and a call
//!   that takes longer than [`NATIVE_TIMEOUT`] counts as failed.
//! - OSC 52: an escape sequence asking the terminal to set its clipboard;
//!   it works over SSH. Inside tmux it is wrapped for passthrough
//!   (`\ePtmux;…\e\\`, needs `set -g allow-passthrough on`), inside GNU
//!   screen in DCS chunks. The bytes go through the terminal backend.
//! - `--clipboard auto` (default): OSC 52 over SSH (`SSH_CONNECTION`,
//!   `SSH_TTY`) or when there is no display; native otherwise, falling back
//!   to OSC 52 when the native clipboard fails.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use base64::Engine as _;
use tokio::sync::oneshot;

use super::msg::CopyMethod;

/// How long a native clipboard call may take before it counts as failed.
pub const NATIVE_TIMEOUT: Duration = Duration::from_secs(2);

/// `--clipboard`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum ClipboardMode {
    /// OSC 52 over SSH or without a display, else the system clipboard.
    #[default]
    Auto,
    /// Always the system clipboard (X11, macOS, Windows).
    Native,
    /// Always OSC 52 through the terminal.
    Osc52,
    /// Never copy.
    Off,
}

/// What the environment says about the clipboard, read once at start.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ClipboardEnv {
    /// Over SSH: the native clipboard would be the remote machine's.
    pub ssh: bool,
    /// Inside tmux (`$TMUX`).
    pub tmux: bool,
    /// Inside GNU screen (`$STY`).
    pub screen: bool,
    /// A native clipboard can exist (an X display on Linux; always on macOS/Windows).
    pub display: bool,
}

fn env_set(name: &str) -> bool {
    std::env::var_os(name).is_some_and(|v| !v.is_empty())
}

impl ClipboardEnv {
    pub fn from_env() -> Self {
        ClipboardEnv {
            ssh: env_set("SSH_CONNECTION") || env_set("SSH_TTY") || env_set("SSH_CLIENT"),
            tmux: env_set("TMUX"),
            screen: env_set("STY"),
            // arboard is built without Wayland support: on Linux it needs X11
            // (XWayland sets DISPLAY too).
            display: !cfg!(any(
                target_os = "linux",
                target_os = "freebsd",
                target_os = "openbsd"
            )) || env_set("DISPLAY"),
        }
    }
}

/// The label of the native clipboard in toasts.
pub fn native_label() -> &'static str {
    if cfg!(target_os = "macos") {
        "macOS"
    } else if cfg!(windows) {
        "Windows"
    } else {
        "X11"
    }
}

/// How a copy will be done.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Plan {
    Native,
    Osc52,
    Off,
}

/// Choose how to copy, given the mode, the environment and whether the
/// native clipboard has already failed.
pub fn plan(mode: ClipboardMode, env: &ClipboardEnv, native_failed: bool) -> Plan {
    match mode {
        ClipboardMode::Off => Plan::Off,
        ClipboardMode::Osc52 => Plan::Osc52,
        ClipboardMode::Native => Plan::Native,
        ClipboardMode::Auto if env.ssh || !env.display || native_failed => Plan::Osc52,
        ClipboardMode::Auto => Plan::Native,
    }
}

/// The OSC 52 sequence that sets the clipboard to `text`, wrapped for tmux
/// or screen when inside one.
pub fn osc52(text: &str, env: &ClipboardEnv) -> Vec<u8> {
    let encoded = base64::engine::general_purpose::STANDARD.encode(text);
    let sequence = format!("\x1b]52;c;{encoded}\x07");
    if env.tmux {
        // tmux passthrough: DCS tmux; with every ESC doubled, ended by ST.
        format!("\x1bPtmux;{}\x1b\\", sequence.replace('\x1b', "\x1b\x1b")).into_bytes()
    } else if env.screen {
        // screen limits a DCS string's length: send it in chunks.
        let mut out = Vec::with_capacity(sequence.len() * 2);
        for chunk in sequence.as_bytes().chunks(76) {
            out.extend_from_slice(b"\x1bP");
            out.extend_from_slice(chunk);
            out.extend_from_slice(b"\x1b\\");
        }
        out
    } else {
        sequence.into_bytes()
    }
}

enum Request {
    Copy {
        text: String,
        reply: oneshot::Sender<Result<(), String>>,
    },
    Shutdown {
        done: std::sync::mpsc::Sender<()>,
    },
}

/// The thread that owns the native clipboard handle.
struct Worker {
    requests: std::sync::mpsc::Sender<Request>,
}

impl Worker {
    fn spawn() -> Option<Worker> {
        let (tx, rx) = std::sync::mpsc::channel::<Request>();
        let spawned = std::thread::Builder::new()
            .name("svc-doctor-clipboard".to_string())
            .spawn(move || {
                // One handle for the life of the process: created on first
                // use, kept until shutdown.
                let mut handle: Option<arboard::Clipboard> = None;
                while let Ok(request) = rx.recv() {
                    match request {
                        Request::Copy { text, reply } => {
                            if handle.is_none() {
                                match arboard::Clipboard::new() {
                                    Ok(h) => handle = Some(h),
                                    Err(err) => {
                                        let _ =
                                            reply.send(Err(format!("no system clipboard ({err})")));
                                        continue;
                                    }
                                }
                            }
                            let result = match handle.as_mut() {
                                Some(h) => h.set_text(text).map_err(|e| e.to_string()),
                                None => Err("no system clipboard".to_string()),
                            };
                            let _ = reply.send(result);
                        }
                        Request::Shutdown { done } => {
                            // Dropping the handle hands the selection to a
                            // clipboard manager, if one runs.
                            drop(handle.take());
                            let _ = done.send(());
                            return;
                        }
                    }
                }
            });
        match spawned {
            Ok(_) => Some(Worker { requests: tx }),
            Err(err) => {
                tracing::warn!(error = %err, "cannot start the clipboard thread");
                None
            }
        }
    }
}

/// How a copy started.
pub enum Start {
    /// Done (or refused) at once.
    Done(Result<CopyMethod, String>),
    /// Write these bytes to the terminal; then it is done (OSC 52).
    Write(Vec<u8>),
    /// The native clipboard is working on it; the receiver gets the outcome
    /// (bound it with [`NATIVE_TIMEOUT`]).
    Pending(oneshot::Receiver<Result<(), String>>),
}

/// The clipboard, for the life of the dashboard.
pub struct Clipboard {
    mode: ClipboardMode,
    env: ClipboardEnv,
    worker: Option<Worker>,
    native_failed: Arc<AtomicBool>,
}

impl Clipboard {
    pub fn new(mode: ClipboardMode, env: ClipboardEnv) -> Self {
        Clipboard {
            mode,
            env,
            worker: None,
            native_failed: Arc::new(AtomicBool::new(false)),
        }
    }

    pub fn mode(&self) -> ClipboardMode {
        self.mode
    }

    /// Start copying `text`.
    pub fn start(&mut self, text: &str) -> Start {
        match plan(
            self.mode,
            &self.env,
            self.native_failed.load(Ordering::Relaxed),
        ) {
            Plan::Off => Start::Done(Err("the clipboard is off (--clipboard off)".to_string())),
            Plan::Osc52 => Start::Write(osc52(text, &self.env)),
            Plan::Native => {
                if self.worker.is_none() {
                    self.worker = Worker::spawn();
                }
                let Some(worker) = &self.worker else {
                    return self.after_native_failure(text, "no clipboard thread".to_string());
                };
                let (reply, outcome) = oneshot::channel();
                let request = Request::Copy {
                    text: text.to_string(),
                    reply,
                };
                if worker.requests.send(request).is_err() {
                    self.worker = None;
                    return self
                        .after_native_failure(text, "the clipboard thread stopped".to_string());
                }
                Start::Pending(outcome)
            }
        }
    }

    /// The native clipboard failed (or timed out) on `text`: fall back to
    /// OSC 52 in auto mode, else report why.
    pub fn after_native_failure(&mut self, text: &str, why: String) -> Start {
        tracing::warn!(reason = %why, "native clipboard failed");
        self.native_failed.store(true, Ordering::Relaxed);
        if self.mode == ClipboardMode::Auto {
            Start::Write(osc52(text, &self.env))
        } else {
            Start::Done(Err(why))
        }
    }

    /// Let the native handle go, waiting at most `wait` (X11 hands the
    /// selection to a clipboard manager, if one runs).
    pub fn shutdown(self, wait: Duration) {
        if let Some(worker) = self.worker {
            let (done, finished) = std::sync::mpsc::channel();
            if worker.requests.send(Request::Shutdown { done }).is_ok() {
                let _ = finished.recv_timeout(wait);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auto_uses_osc52_over_ssh_or_without_a_display() {
        let local = ClipboardEnv {
            display: true,
            ..Default::default()
        };
        let ssh = ClipboardEnv {
            ssh: true,
            display: true,
            ..Default::default()
        };
        let headless = ClipboardEnv::default();
        assert_eq!(plan(ClipboardMode::Auto, &local, false), Plan::Native);
        assert_eq!(plan(ClipboardMode::Auto, &local, true), Plan::Osc52);
        assert_eq!(plan(ClipboardMode::Auto, &ssh, false), Plan::Osc52);
        assert_eq!(plan(ClipboardMode::Auto, &headless, false), Plan::Osc52);
        assert_eq!(plan(ClipboardMode::Native, &ssh, false), Plan::Native);
        assert_eq!(plan(ClipboardMode::Osc52, &local, false), Plan::Osc52);
        assert_eq!(plan(ClipboardMode::Off, &local, false), Plan::Off);
    }

    #[test]
    fn osc52_plain_tmux_and_screen() {
        let plain = osc52("hi", &ClipboardEnv::default());
        assert_eq!(plain, b"\x1b]52;c;aGk=\x07");
        let tmux = osc52(
            "hi",
            &ClipboardEnv {
                tmux: true,
                ..Default::default()
            },
        );
        assert_eq!(tmux, b"\x1bPtmux;\x1b\x1b]52;c;aGk=\x07\x1b\\");
        let long = "x".repeat(200);
        let screen = osc52(
            &long,
            &ClipboardEnv {
                screen: true,
                ..Default::default()
            },
        );
        let text = String::from_utf8(screen).unwrap();
        assert!(text.starts_with("\x1bP\x1b]52;c;"));
        assert!(text.ends_with("\x1b\\"));
        // Every chunk is wrapped: no chunk longer than 76 bytes.
        for chunk in text.split("\x1bP").filter(|c| !c.is_empty()) {
            assert!(chunk.len() <= 76 + 2, "{chunk:?}");
        }
    }

    #[test]
    fn off_refuses_and_osc52_writes() {
        let mut off = Clipboard::new(ClipboardMode::Off, ClipboardEnv::default());
        assert!(matches!(off.start("x"), Start::Done(Err(_))));
        let mut osc = Clipboard::new(ClipboardMode::Osc52, ClipboardEnv::default());
        assert!(matches!(osc.start("x"), Start::Write(_)));
    }
}
