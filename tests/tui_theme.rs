//! Theme files: every shipped one loads cleanly, by name and by path; the
//! invalid fixtures under tests/fixtures/tui/ give warnings that name the
//! file, the line and the value, and fall back to the default for what is wrong.

// Test helpers may panic: a broken fixture is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;

use ratatui::style::{Color, Modifier};
use svc_doctor::tui::theme::{self, Slot, Theme};

fn repo(path: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(path)
}

fn fixture(name: &str) -> (String, theme::LoadedTheme) {
    let path = repo("tests/fixtures/tui").join(name);
    let shown = path.display().to_string();
    (shown.clone(), theme::load(Some(&shown), false))
}

#[test]
fn every_theme_file_loads_without_a_warning_by_path_and_by_name() {
    let mut files: Vec<PathBuf> = std::fs::read_dir(repo("themes"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    files.sort();
    assert!(files.len() >= 3, "{files:?}");
    for file in &files {
        let loaded = theme::load(Some(&file.display().to_string()), false);
        assert!(
            loaded.warnings.is_empty(),
            "{}: {:?}",
            file.display(),
            loaded.warnings
        );
        let name = file.file_stem().unwrap().to_string_lossy().to_string();
        let by_name = theme::load(Some(&name), false);
        assert!(
            by_name.warnings.is_empty(),
            "{name}: {:?}",
            by_name.warnings
        );
        assert_eq!(by_name.theme.name, name);
        // The embedded copy is the file.
        assert_eq!(
            loaded.theme.style(Slot::Fail),
            by_name.theme.style(Slot::Fail),
            "{name}"
        );
    }
    // Every shipped theme is a file, and the default is dark.
    for (name, _) in theme::SHIPPED {
        assert!(
            files.iter().any(|f| f.file_stem().unwrap() == name),
            "{name}"
        );
    }
    assert_eq!(Theme::default().name, "dark");
    assert!(theme::load(None, false).warnings.is_empty());
}

#[test]
fn high_contrast_does_not_rely_on_red_against_green() {
    let hc = theme::shipped("high-contrast").unwrap();
    for (status, slot) in [("pass", Slot::Pass), ("fail", Slot::Fail)] {
        let fg = hc.style(slot).fg;
        assert!(
            !matches!(
                fg,
                Some(Color::Red | Color::Green | Color::LightRed | Color::LightGreen)
            ),
            "{status}: {fg:?}"
        );
    }
    // Fail, warn and unknown differ by modifier too, not only by colour.
    let mods = |slot| hc.style(slot).add_modifier;
    assert_ne!(mods(Slot::Fail), mods(Slot::Pass));
    assert_ne!(mods(Slot::Warn), mods(Slot::Pass));
    assert_ne!(mods(Slot::Unknown), mods(Slot::Pass));
}

#[test]
fn a_syntax_error_names_file_line_and_text_and_gives_the_default() {
    let (path, loaded) = fixture("bad-syntax.toml");
    assert_eq!(loaded.warnings.len(), 1, "{:?}", loaded.warnings);
    let w = &loaded.warnings[0];
    assert!(w.contains(&path), "{w}");
    assert!(w.contains("line 4"), "{w}");
    assert!(w.contains("fail = { fg = \"red\""), "{w}");
    assert!(w.contains("not valid TOML"), "{w}");
    assert_eq!(loaded.theme, Theme::default());
}

#[test]
fn an_unknown_slot_is_named_and_the_rest_applies() {
    let (path, loaded) = fixture("unknown-slot.toml");
    assert_eq!(loaded.warnings.len(), 1, "{:?}", loaded.warnings);
    let w = &loaded.warnings[0];
    assert!(w.contains(&path) && w.contains("line 5"), "{w}");
    assert!(
        w.contains("`sparkles`") && w.contains("unknown slot in [ui]"),
        "{w}"
    );
    assert_eq!(loaded.theme.style(Slot::Title).fg, Some(Color::Magenta));
    assert_eq!(loaded.theme.name, "unknown-slot");
}

#[test]
fn a_bad_colour_is_named_and_that_field_keeps_the_default() {
    let (path, loaded) = fixture("bad-colour.toml");
    assert_eq!(loaded.warnings.len(), 1, "{:?}", loaded.warnings);
    let w = &loaded.warnings[0];
    assert!(w.contains(&path) && w.contains("line 4"), "{w}");
    assert!(
        w.contains("\"reddish\"") && w.contains("verdict.fail.fg"),
        "{w}"
    );
    let default = Theme::default();
    assert_eq!(
        loaded.theme.style(Slot::Fail).fg,
        default.style(Slot::Fail).fg
    );
    assert!(
        loaded
            .theme
            .style(Slot::Fail)
            .add_modifier
            .contains(Modifier::BOLD)
    );
    assert_eq!(
        loaded.theme.style(Slot::Pass).fg,
        Some(Color::Rgb(0, 255, 0))
    );
}

#[test]
fn a_bad_modifier_is_named_and_the_modifiers_keep_the_default() {
    let (path, loaded) = fixture("bad-modifier.toml");
    assert_eq!(loaded.warnings.len(), 1, "{:?}", loaded.warnings);
    let w = &loaded.warnings[0];
    assert!(w.contains(&path) && w.contains("line 3"), "{w}");
    assert!(w.contains("\"blinky\""), "{w}");
    let default = Theme::default();
    assert_eq!(
        loaded.theme.style(Slot::Warn).add_modifier,
        default.style(Slot::Warn).add_modifier
    );
}

#[test]
fn a_value_of_the_wrong_type_is_named() {
    let (path, loaded) = fixture("wrong-type.toml");
    assert_eq!(loaded.warnings.len(), 1, "{:?}", loaded.warnings);
    let w = &loaded.warnings[0];
    assert!(
        w.contains(&path) && w.contains("line 3") && w.contains("`42`"),
        "{w}"
    );
    assert_eq!(
        loaded.theme.style(Slot::Pass),
        Theme::default().style(Slot::Pass)
    );
}

#[test]
fn valid_partial_themes_layer_over_their_base() {
    let (_, partial) = fixture("partial.toml");
    assert!(partial.warnings.is_empty(), "{:?}", partial.warnings);
    let default = Theme::default();
    assert_eq!(partial.theme.style(Slot::Fail).bg, Some(Color::Blue));
    assert_eq!(
        partial.theme.style(Slot::Fail).fg,
        default.style(Slot::Fail).fg
    );
    assert_eq!(partial.theme.style(Slot::Title), default.style(Slot::Title));

    let (_, light) = fixture("light-based.toml");
    assert!(light.warnings.is_empty(), "{:?}", light.warnings);
    let shipped = theme::shipped("light").unwrap();
    assert_eq!(light.theme.style(Slot::Fail), shipped.style(Slot::Fail));
    assert_eq!(
        light.theme.style(Slot::Selected).bg,
        Some(Color::Rgb(0xff, 0xe8, 0xa3))
    );
}

#[test]
fn a_missing_file_or_name_is_a_warning_not_an_error() {
    let loaded = theme::load(Some("/nonexistent/theme.toml"), false);
    assert_eq!(loaded.warnings.len(), 1);
    assert!(loaded.warnings[0].contains("/nonexistent/theme.toml"));
    assert_eq!(loaded.theme, Theme::default());
}

#[test]
fn no_color_applies_to_any_theme() {
    for (name, _) in theme::SHIPPED {
        let loaded = theme::load(Some(name), true);
        assert!(loaded.theme.monochrome);
        for slot in Slot::ALL {
            assert!(loaded.theme.style(slot).fg.is_none(), "{name} {slot:?}");
            assert!(loaded.theme.style(slot).bg.is_none(), "{name} {slot:?}");
        }
    }
}

#[test]
fn the_docs_name_every_slot() {
    let docs = std::fs::read_to_string(repo("docs/usage.md")).expect("docs/usage.md");
    for slot in Slot::ALL {
        let (section, name) = slot.key();
        let key = format!("`{section}.{name}`");
        assert!(docs.contains(&key), "docs/usage.md does not document {key}");
    }
}
