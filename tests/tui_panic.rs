//! The panic hook gives the terminal back before the panic message prints.
//! Its own test binary: panic hooks are process-wide.

// Test helpers may panic: a broken fixture is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::Write;
use std::sync::{Arc, Mutex};

use svc_doctor::tui::terminal;

#[derive(Clone, Default)]
struct Sink(Arc<Mutex<Vec<u8>>>);

impl Write for Sink {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

const LEAVE_ALTERNATE_SCREEN: &str = "\x1b[?1049l";
const SHOW_CURSOR: &str = "\x1b[?25h";

#[test]
fn a_panic_restores_the_screen_once_and_marks_it_disturbed() {
    let sink = Sink::default();
    let for_hook = sink.clone();
    terminal::install_panic_hook_to(move || for_hook.clone());

    // The dashboard takes the screen…
    let mut screen = Sink::default();
    terminal::enter_screen(&mut screen).unwrap();
    let entered = String::from_utf8(screen.0.lock().unwrap().clone()).unwrap();
    assert!(entered.contains("\x1b[?1049h"), "{entered:?}");

    // …a panic gives it back before the message is printed…
    let result = std::panic::catch_unwind(|| panic!("boom"));
    assert!(result.is_err());
    let restored = String::from_utf8(sink.0.lock().unwrap().clone()).unwrap();
    assert!(restored.contains(LEAVE_ALTERNATE_SCREEN), "{restored:?}");
    assert!(restored.contains(SHOW_CURSOR), "{restored:?}");
    // …and the run loop learns it must take the screen back.
    assert!(terminal::take_disturbed());
    assert!(!terminal::take_disturbed(), "read once");

    // A second panic with the screen already given back writes nothing.
    sink.0.lock().unwrap().clear();
    let _ = std::panic::catch_unwind(|| panic!("again"));
    assert!(sink.0.lock().unwrap().is_empty());
    assert!(!terminal::take_disturbed());

    // Leaving is idempotent.
    let mut out = Sink::default();
    assert!(!terminal::leave_screen(&mut out));
    assert!(out.0.lock().unwrap().is_empty());
}
