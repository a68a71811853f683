//! Terminal setup and restore: raw mode and the alternate screen in, and
//! out again on quit, on error, on a signal and on panic.
//!
//! Restoring is idempotent (a flag says whether the screen is ours). The
//! panic hook restores the terminal before the panic message is printed, so
//! the message lands on the normal screen, readable; if the panic happened
//! on a background task and the dashboard goes on, the run loop sees
//! [`take_disturbed`] and takes the screen back.

use std::io::{self, Stdout, Write};
use std::sync::atomic::{AtomicBool, Ordering};

use crossterm::cursor::{Hide, Show};
use crossterm::execute;
use crossterm::terminal::{
    EnterAlternateScreen, LeaveAlternateScreen, disable_raw_mode, enable_raw_mode,
};
use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;

/// The alternate screen is ours.
static ACTIVE: AtomicBool = AtomicBool::new(false);
/// A panic restored the terminal behind the dashboard's back.
static DISTURBED: AtomicBool = AtomicBool::new(false);

pub type Term = Terminal<CrosstermBackend<Stdout>>;

/// Switch `out` to the alternate screen with the cursor hidden.
pub fn enter_screen(out: &mut impl Write) -> io::Result<()> {
    ACTIVE.store(true, Ordering::SeqCst);
    execute!(out, EnterAlternateScreen, Hide)
}

/// Leave the alternate screen and show the cursor, if the screen is ours.
/// Returns whether anything was done.
pub fn leave_screen(out: &mut impl Write) -> bool {
    if !ACTIVE.swap(false, Ordering::SeqCst) {
        return false;
    }
    let _ = execute!(out, LeaveAlternateScreen, Show);
    let _ = out.flush();
    true
}

/// Raw mode, the alternate screen, and a ratatui terminal on stdout.
pub fn enter() -> io::Result<Term> {
    enable_raw_mode()?;
    let mut out = io::stdout();
    if let Err(err) = enter_screen(&mut out) {
        restore();
        return Err(err);
    }
    match Terminal::new(CrosstermBackend::new(io::stdout())) {
        Ok(terminal) => Ok(terminal),
        Err(err) => {
            restore();
            Err(err)
        }
    }
}

/// Give the terminal back as it was: cooked mode, normal screen, cursor shown.
pub fn restore() {
    let _ = disable_raw_mode();
    leave_screen(&mut io::stdout());
}

/// Take the screen back after a panic elsewhere restored it.
pub fn reenter(terminal: &mut Term) -> io::Result<()> {
    enable_raw_mode()?;
    enter_screen(terminal.backend_mut())?;
    terminal.clear()
}

/// Whether a panic restored the terminal since the last call.
pub fn take_disturbed() -> bool {
    DISTURBED.swap(false, Ordering::SeqCst)
}

/// Install a panic hook that restores the terminal (on stdout) first, then
/// runs the previous hook (which prints the message).
pub fn install_panic_hook() {
    install_panic_hook_to(io::stdout);
}

/// [`install_panic_hook`] with the restore sequence written to `sink()`
/// (tests use a buffer).
pub fn install_panic_hook_to<W, F>(sink: F)
where
    W: Write,
    F: Fn() -> W + Send + Sync + 'static,
{
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let _ = disable_raw_mode();
        if leave_screen(&mut sink()) {
            DISTURBED.store(true, Ordering::SeqCst);
        }
        tracing::error!(panic = %info, "panic");
        previous(info);
    }));
}
