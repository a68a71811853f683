//! The run loop: terminal events, pipeline messages, clipboard replies,
//! ticks and signals go through `update`; its effects are carried out here;
//! then a frame is drawn. Nothing in the loop waits on the network or the
//! clipboard.

use std::io::{self, IsTerminal, Write};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use crossterm::event::{Event, EventStream, KeyEventKind};
use futures::StreamExt;
use jiff::tz::TimeZone;
use tokio::sync::mpsc;

use super::clipboard::{Clipboard, ClipboardEnv, NATIVE_TIMEOUT, Start, native_label};
use super::msg::{Command, CopyMethod, Effect, Msg};
use super::state::{Init, State};
use super::terminal::{self, Term};
use super::theme;
use super::update::update;
use super::view::{self, Widgets};
use super::{TuiOptions, logging};

/// How the loop ended.
enum Exit {
    Quit,
    /// A signal asked us to stop: exit with 128 + its number.
    Signal(u8),
}

/// The outcome of a native copy, back from its bounded wait.
struct NativeReply {
    what: String,
    text: String,
    result: Result<(), String>,
}

/// Run the dashboard until the user quits or a signal arrives.
///
/// `messages` carries the pipeline's [`Msg`]s; `commands` takes the user's
/// [`Command`]s back to it. Sets up the terminal and restores it on quit,
/// on error, on SIGTERM/SIGHUP/SIGINT and on panic. Exit status: 0 on quit,
/// 128+N on signal N, 2 when the terminal cannot be used.
pub async fn run_dashboard(
    options: TuiOptions,
    messages: mpsc::Receiver<Msg>,
    commands: mpsc::UnboundedSender<Command>,
) -> ExitCode {
    if !io::stdout().is_terminal() || !io::stdin().is_terminal() {
        eprintln!(
            "svc-doctor: the dashboard needs a terminal; for scripts and pipes use `svc-doctor check`"
        );
        return ExitCode::from(2);
    }
    let mut warnings = Vec::new();
    let log_file = match logging::init(options.log_file.as_deref()) {
        Ok(path) => Some(path),
        Err(why) => {
            warnings.push(why);
            None
        }
    };
    let loaded = theme::load(options.theme.as_deref(), theme::no_color_from_env());
    for w in &loaded.warnings {
        tracing::warn!("{w}");
    }
    warnings.extend(loaded.warnings);
    let state = State::new(Init {
        theme: loaded.theme,
        context: options.context.clone(),
        scope: options.scope.clone(),
        warnings,
        tz: TimeZone::system(),
        log_file,
        label: options.label.clone(),
        now: Instant::now(),
    });
    let clipboard = Clipboard::new(options.clipboard, ClipboardEnv::from_env());

    terminal::install_panic_hook();
    let mut term = match terminal::enter() {
        Ok(t) => t,
        Err(err) => {
            terminal::restore();
            let _ = writeln!(
                io::stderr(),
                "svc-doctor: cannot set up the terminal: {err}"
            );
            return ExitCode::from(2);
        }
    };
    let mut app = App {
        shown_report: false,
        state,
        widgets: Widgets::default(),
        clipboard,
        commands,
    };
    let outcome = app.run(&mut term, messages, options.tick).await;
    terminal::restore();
    drop(term);
    app.clipboard.shutdown(Duration::from_millis(500));
    match outcome {
        Ok(Exit::Quit) => {
            tracing::info!("quit");
            ExitCode::SUCCESS
        }
        Ok(Exit::Signal(n)) => {
            tracing::info!(signal = n, "stopped by signal");
            ExitCode::from(128 + n)
        }
        Err(err) => {
            tracing::error!(error = %err, "terminal error");
            // Not `eprintln!`: when the terminal is gone, so is stderr, and
            // a failed write must not become a panic.
            let _ = writeln!(io::stderr(), "svc-doctor: the terminal failed: {err}");
            ExitCode::from(2)
        }
    }
}

/// Unix signals that end the dashboard cleanly.
struct Signals {
    #[cfg(unix)]
    streams: Vec<(u8, tokio::signal::unix::Signal)>,
}

impl Signals {
    fn new() -> Self {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            let wanted = [
                (15u8, SignalKind::terminate()),
                (1, SignalKind::hangup()),
                (2, SignalKind::interrupt()),
                (3, SignalKind::quit()),
            ];
            let streams = wanted
                .into_iter()
                .filter_map(|(n, kind)| match signal(kind) {
                    Ok(s) => Some((n, s)),
                    Err(err) => {
                        tracing::warn!(signal = n, error = %err, "cannot watch signal");
                        None
                    }
                })
                .collect();
            Signals { streams }
        }
        #[cfg(not(unix))]
        {
            Signals {}
        }
    }

    /// The next signal's number; pends forever when none is watched.
    async fn recv(&mut self) -> u8 {
        #[cfg(unix)]
        {
            if self.streams.is_empty() {
                return std::future::pending().await;
            }
            let futures = self
                .streams
                .iter_mut()
                .map(|(n, s)| {
                    let n = *n;
                    Box::pin(async move {
                        s.recv().await;
                        n
                    })
                })
                .collect::<Vec<_>>();
            let (n, _, _) = futures::future::select_all(futures).await;
            n
        }
        #[cfg(not(unix))]
        {
            let _ = tokio::signal::ctrl_c().await;
            2
        }
    }
}

struct App {
    /// Whether "first complete screen" has been logged.
    shown_report: bool,
    state: State,
    widgets: Widgets,
    clipboard: Clipboard,
    commands: mpsc::UnboundedSender<Command>,
}

/// How many queued pipeline messages to apply before drawing.
const DRAIN: usize = 256;

impl App {
    async fn run(
        &mut self,
        term: &mut Term,
        mut messages: mpsc::Receiver<Msg>,
        tick: Duration,
    ) -> io::Result<Exit> {
        let mut events = EventStream::new();
        let mut ticker = tokio::time::interval(tick);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
        let (reply_tx, mut replies) = mpsc::unbounded_channel::<NativeReply>();
        let mut signals = Signals::new();
        let mut pipeline_open = true;

        let size = term.size()?;
        self.dispatch(
            term,
            &reply_tx,
            Msg::Resize {
                width: size.width,
                height: size.height,
            },
        )?;
        self.draw(term)?;

        loop {
            if terminal::take_disturbed() {
                terminal::reenter(term)?;
            }
            let msg = tokio::select! {
                event = events.next() => match event {
                    Some(Ok(Event::Key(key))) if key.kind != KeyEventKind::Release => Msg::Key(key),
                    Some(Ok(Event::Resize(width, height))) => Msg::Resize { width, height },
                    Some(Ok(_)) => continue,
                    Some(Err(err)) => return Err(err),
                    // The terminal's input is gone: nobody can drive us.
                    None => return Ok(Exit::Quit),
                },
                message = messages.recv(), if pipeline_open => match message {
                    Some(msg) => msg,
                    None => {
                        pipeline_open = false;
                        tracing::warn!("the pipeline closed its channel");
                        Msg::PipelineGone
                    }
                },
                Some(reply) = replies.recv() => self.native_reply(term, reply)?,
                _ = ticker.tick() => Msg::Tick(Instant::now()),
                n = signals.recv() => return Ok(Exit::Signal(n)),
            };
            self.dispatch(term, &reply_tx, msg)?;
            if pipeline_open {
                for _ in 0..DRAIN {
                    match messages.try_recv() {
                        Ok(msg) => self.dispatch(term, &reply_tx, msg)?,
                        Err(_) => break,
                    }
                }
            }
            if self.state.quitting {
                return Ok(Exit::Quit);
            }
            self.draw(term)?;
        }
    }

    fn draw(&mut self, term: &mut Term) -> io::Result<()> {
        let state = &self.state;
        let widgets = &mut self.widgets;
        term.draw(|frame| view::draw(frame, state, widgets))?;
        // The pipeline sends a report only once every first list is read:
        // this frame is the first complete screen (benches/dashboard.sh).
        if !self.shown_report
            && let Some(report) = &self.state.report
        {
            self.shown_report = true;
            tracing::info!(
                since_launch_ms = super::logging::launched().elapsed().as_millis() as u64,
                services = report.services.len(),
                "first complete screen"
            );
        }
        Ok(())
    }

    /// Apply `msg`, then carry out its effects (which may feed back messages).
    fn dispatch(
        &mut self,
        term: &mut Term,
        reply_tx: &mpsc::UnboundedSender<NativeReply>,
        msg: Msg,
    ) -> io::Result<()> {
        let mut queue = vec![msg];
        while let Some(msg) = queue.pop() {
            for effect in update(&mut self.state, msg) {
                if let Some(follow_up) = self.run_effect(term, reply_tx, effect)? {
                    queue.push(follow_up);
                }
            }
        }
        Ok(())
    }

    fn run_effect(
        &mut self,
        term: &mut Term,
        reply_tx: &mpsc::UnboundedSender<NativeReply>,
        effect: Effect,
    ) -> io::Result<Option<Msg>> {
        if let Some(command) = effect.command() {
            tracing::info!(?command, "command");
            if self.commands.send(command).is_err() {
                return Ok(Some(Msg::PipelineGone));
            }
            return Ok(None);
        }
        match effect {
            Effect::Quit => Ok(None),
            Effect::Copy { text, what } => match self.clipboard.start(&text) {
                Start::Done(outcome) => Ok(Some(Msg::Copied { what, outcome })),
                Start::Write(bytes) => Ok(Some(write_osc52(term, &bytes, what))),
                Start::Pending(outcome) => {
                    let reply_tx = reply_tx.clone();
                    tokio::spawn(async move {
                        let result = match tokio::time::timeout(NATIVE_TIMEOUT, outcome).await {
                            Ok(Ok(result)) => result,
                            Ok(Err(_)) => Err("the clipboard thread stopped".to_string()),
                            Err(_) => Err(format!(
                                "the system clipboard did not answer within {}s",
                                NATIVE_TIMEOUT.as_secs()
                            )),
                        };
                        let _ = reply_tx.send(NativeReply { what, text, result });
                    });
                    Ok(None)
                }
            },
            Effect::Refresh | Effect::SwitchContext(_) | Effect::SetScope(_) => Ok(None),
        }
    }

    fn native_reply(&mut self, term: &mut Term, reply: NativeReply) -> io::Result<Msg> {
        let NativeReply { what, text, result } = reply;
        Ok(match result {
            Ok(()) => Msg::Copied {
                what,
                outcome: Ok(CopyMethod::Native(native_label())),
            },
            Err(why) => match self.clipboard.after_native_failure(&text, why) {
                Start::Write(bytes) => write_osc52(term, &bytes, what),
                Start::Done(outcome) => Msg::Copied { what, outcome },
                Start::Pending(_) => Msg::Copied {
                    what,
                    outcome: Err("the clipboard is busy".to_string()),
                },
            },
        })
    }
}

/// Write an OSC 52 sequence through the terminal backend (between frames).
fn write_osc52(term: &mut Term, bytes: &[u8], what: String) -> Msg {
    let backend = term.backend_mut();
    let written = backend.write_all(bytes).and_then(|()| backend.flush());
    Msg::Copied {
        what,
        outcome: written
            .map(|()| CopyMethod::Osc52)
            .map_err(|e| format!("cannot write to the terminal ({e})")),
    }
}
