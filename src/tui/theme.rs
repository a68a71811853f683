//! Themes: colours are data, named by meaning.
//!
//! Views never name a colour; they ask for a [`Slot`] (`verdict(fail)`,
//! `selected`, `border(focused)`). A theme file (`themes/*.toml`) sets any
//! of the slots, each to a style:
//!
//! ```toml
//! base = "dark"                 # optional: the shipped theme to start from
//! [verdict]
//! fail = { fg = "#ff5f5f", modifiers = ["bold"] }
//! warn = "yellow"               # shorthand for { fg = "yellow" }
//! [ui]
//! selected = { bg = "236" }
//! ```
//!
//! Every field is optional: what a file leaves out comes from its base (the
//! embedded `dark` theme unless it says otherwise), per field (`fg`, `bg`,
//! `modifiers`). A file that cannot be used, wholly or in part, yields a
//! warning naming the file, the line and the value, and the base's style for
//! what was wrong. `NO_COLOR` (non-empty) turns any theme monochrome: verdicts
//! stay apart by symbol, emphasis by modifiers (bold, reverse, underline).

use std::path::{Path, PathBuf};

use ratatui::style::{Color, Modifier, Style};
use toml::de::{DeTable, DeValue};

use crate::diagnose::report::{Severity, Status};

/// A semantic style slot. The TOML key is `section.name` (see [`Slot::key`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Slot {
    Pass,
    Warn,
    Fail,
    Unknown,
    Blocked,
    Skip,
    /// Ordinary text.
    Text,
    /// Secondary text: namespaces, questions, counts.
    Muted,
    /// Pane titles.
    Title,
    BorderFocused,
    BorderUnfocused,
    /// The selected row of the focused pane.
    Selected,
    /// The selected row of a pane without focus.
    SelectedUnfocused,
    /// The first failing step in the decision tree.
    FailingStep,
    /// The cluster-wide failure banner.
    Banner,
    /// Warnings about the dashboard itself (theme file, access) in the banner area.
    Warning,
    StatusBar,
    /// Connection state: live.
    Live,
    /// Connection state: loading, connecting.
    Loading,
    /// Connection state: disconnected, data stale.
    Stale,
    /// A key in the hint bar and the help overlay.
    Key,
    /// What a key does, in the hint bar.
    KeyDesc,
    Toast,
    ToastError,
    /// A Service that clients reference but that does not exist.
    Missing,
    /// The filter prompt and text.
    Filter,
    /// Section labels in the detail pane (evidence, fix).
    Heading,
    Evidence,
    /// A fix command.
    Command,
    /// The fix command that `y` copies.
    CommandSelected,
    /// The number in front of a fix command.
    CommandNumber,
    /// The ready-endpoints sparkline.
    Sparkline,
}

impl Slot {
    pub const ALL: [Slot; 32] = [
        Slot::Pass,
        Slot::Warn,
        Slot::Fail,
        Slot::Unknown,
        Slot::Blocked,
        Slot::Skip,
        Slot::Text,
        Slot::Muted,
        Slot::Title,
        Slot::BorderFocused,
        Slot::BorderUnfocused,
        Slot::Selected,
        Slot::SelectedUnfocused,
        Slot::FailingStep,
        Slot::Banner,
        Slot::Warning,
        Slot::StatusBar,
        Slot::Live,
        Slot::Loading,
        Slot::Stale,
        Slot::Key,
        Slot::KeyDesc,
        Slot::Toast,
        Slot::ToastError,
        Slot::Missing,
        Slot::Filter,
        Slot::Heading,
        Slot::Evidence,
        Slot::Command,
        Slot::CommandSelected,
        Slot::CommandNumber,
        Slot::Sparkline,
    ];

    /// `(section, name)` in a theme file.
    pub fn key(self) -> (&'static str, &'static str) {
        match self {
            Slot::Pass => ("verdict", "pass"),
            Slot::Warn => ("verdict", "warn"),
            Slot::Fail => ("verdict", "fail"),
            Slot::Unknown => ("verdict", "unknown"),
            Slot::Blocked => ("verdict", "blocked"),
            Slot::Skip => ("verdict", "skip"),
            Slot::Text => ("ui", "text"),
            Slot::Muted => ("ui", "muted"),
            Slot::Title => ("ui", "title"),
            Slot::BorderFocused => ("ui", "border_focused"),
            Slot::BorderUnfocused => ("ui", "border_unfocused"),
            Slot::Selected => ("ui", "selected"),
            Slot::SelectedUnfocused => ("ui", "selected_unfocused"),
            Slot::FailingStep => ("ui", "failing_step"),
            Slot::Banner => ("ui", "banner"),
            Slot::Warning => ("ui", "warning"),
            Slot::StatusBar => ("ui", "status_bar"),
            Slot::Live => ("ui", "live"),
            Slot::Loading => ("ui", "loading"),
            Slot::Stale => ("ui", "stale"),
            Slot::Key => ("ui", "key"),
            Slot::KeyDesc => ("ui", "key_desc"),
            Slot::Toast => ("ui", "toast"),
            Slot::ToastError => ("ui", "toast_error"),
            Slot::Missing => ("ui", "missing"),
            Slot::Filter => ("ui", "filter"),
            Slot::Heading => ("ui", "heading"),
            Slot::Evidence => ("ui", "evidence"),
            Slot::Command => ("ui", "command"),
            Slot::CommandSelected => ("ui", "command_selected"),
            Slot::CommandNumber => ("ui", "command_number"),
            Slot::Sparkline => ("ui", "sparkline"),
        }
    }

    fn index(self) -> usize {
        // ALL lists every variant in declaration order.
        self as usize
    }

    fn find(section: &str, name: &str) -> Option<Slot> {
        Slot::ALL.into_iter().find(|s| s.key() == (section, name))
    }
}

/// The themes shipped in the binary: `(name, TOML)`.
pub const SHIPPED: [(&str, &str); 3] = [
    ("dark", include_str!("../../themes/dark.toml")),
    ("light", include_str!("../../themes/light.toml")),
    (
        "high-contrast",
        include_str!("../../themes/high-contrast.toml"),
    ),
];

/// The theme used when none is named.
pub const DEFAULT_THEME: &str = "dark";

/// A resolved theme: one style per slot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Theme {
    pub name: String,
    styles: [Style; Slot::ALL.len()],
    /// Monochrome (`NO_COLOR`): views may lean on symbols and modifiers alone.
    pub monochrome: bool,
}

impl Default for Theme {
    /// The embedded default theme (`dark`).
    fn default() -> Self {
        shipped(DEFAULT_THEME).unwrap_or_else(Theme::bare)
    }
}

/// A theme and what went wrong loading it.
#[derive(Debug, Clone)]
pub struct LoadedTheme {
    pub theme: Theme,
    /// One sentence each, naming the file, the line and the value.
    pub warnings: Vec<String>,
}

impl Theme {
    /// Styles with no colour at all: the floor under every theme, so a slot
    /// is never missing even if a shipped file were incomplete.
    fn bare() -> Self {
        let mut theme = Theme {
            name: "bare".to_string(),
            styles: [Style::new(); Slot::ALL.len()],
            monochrome: false,
        };
        theme.apply_monochrome_emphasis();
        theme
    }

    pub fn style(&self, slot: Slot) -> Style {
        self.styles[slot.index()]
    }

    fn set(&mut self, slot: Slot, style: Style) {
        self.styles[slot.index()] = style;
    }

    /// The style of a step status or verdict.
    pub fn verdict(&self, status: Status) -> Style {
        self.style(match status {
            Status::Pass => Slot::Pass,
            Status::Warn => Slot::Warn,
            Status::Fail => Slot::Fail,
            Status::Unknown => Slot::Unknown,
            Status::Blocked => Slot::Blocked,
            Status::Skip => Slot::Skip,
        })
    }

    /// The style of a finding's severity (errors fail, warnings warn, info is muted).
    pub fn severity(&self, severity: Severity, not_evaluated: bool) -> Style {
        if not_evaluated {
            return self.style(Slot::Unknown);
        }
        self.style(match severity {
            Severity::Error => Slot::Fail,
            Severity::Warning => Slot::Warn,
            Severity::Info => Slot::Muted,
        })
    }

    pub fn border(&self, focused: bool) -> Style {
        self.style(if focused {
            Slot::BorderFocused
        } else {
            Slot::BorderUnfocused
        })
    }

    pub fn selected(&self, focused: bool) -> Style {
        self.style(if focused {
            Slot::Selected
        } else {
            Slot::SelectedUnfocused
        })
    }

    /// The same theme without colour: only modifiers remain, and the slots
    /// that must stand out get a fixed emphasis (`NO_COLOR`, no-color.org).
    pub fn into_monochrome(mut self) -> Theme {
        for style in &mut self.styles {
            *style = Style::new()
                .add_modifier(style.add_modifier)
                .remove_modifier(style.sub_modifier);
        }
        self.apply_monochrome_emphasis();
        self.monochrome = true;
        self
    }

    fn apply_monochrome_emphasis(&mut self) {
        let emphasis = [
            (Slot::Fail, Modifier::BOLD),
            (Slot::Selected, Modifier::REVERSED | Modifier::BOLD),
            (Slot::SelectedUnfocused, Modifier::REVERSED),
            (Slot::FailingStep, Modifier::BOLD | Modifier::UNDERLINED),
            (Slot::BorderFocused, Modifier::BOLD),
            (Slot::Banner, Modifier::REVERSED | Modifier::BOLD),
            (Slot::Warning, Modifier::BOLD),
            (Slot::Title, Modifier::BOLD),
            (Slot::Key, Modifier::BOLD),
            (Slot::Muted, Modifier::DIM),
            (Slot::Blocked, Modifier::DIM),
            (Slot::Skip, Modifier::DIM),
            (Slot::Stale, Modifier::BOLD | Modifier::REVERSED),
            (Slot::Toast, Modifier::REVERSED),
            (Slot::ToastError, Modifier::REVERSED | Modifier::BOLD),
            (Slot::Missing, Modifier::ITALIC),
            (Slot::Heading, Modifier::BOLD),
            (Slot::CommandSelected, Modifier::REVERSED),
            (Slot::CommandNumber, Modifier::BOLD),
        ];
        for (slot, modifier) in emphasis {
            let style = self.style(slot).add_modifier(modifier);
            self.set(slot, style);
        }
    }
}

/// A shipped theme by name, parsed over the bare floor.
pub fn shipped(name: &str) -> Option<Theme> {
    let (_, text) = SHIPPED.iter().find(|(n, _)| *n == name)?;
    let (theme, _warnings) = parse_over(&format!("(built-in) {name}"), text, Theme::bare());
    Some(Theme {
        name: name.to_string(),
        ..theme
    })
}

/// Whether `NO_COLOR` asks for no colour (set and non-empty, per no-color.org).
pub fn no_color_from_env() -> bool {
    std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty())
}

/// Load the theme the user chose (`--theme NAME|PATH`), or the default.
///
/// `NAME` is a shipped theme or `$XDG_CONFIG_HOME/svc-doctor/themes/NAME.toml`;
/// anything else is a path. Never fails: problems become warnings.
pub fn load(choice: Option<&str>, no_color: bool) -> LoadedTheme {
    let mut warnings = Vec::new();
    let theme = match (choice, choice.and_then(shipped)) {
        (None, _) => Theme::default(),
        (Some(_), Some(theme)) => theme,
        (Some(choice), None) => match resolve_path(choice) {
            Some(path) => match std::fs::read_to_string(&path) {
                Ok(text) => {
                    let (theme, w) = parse(&path.display().to_string(), &text);
                    warnings.extend(w);
                    theme
                }
                Err(err) => {
                    warnings.push(format!(
                        "theme {}: cannot read it ({err}); using the default theme",
                        path.display()
                    ));
                    Theme::default()
                }
            },
            None => {
                warnings.push(format!(
                    "theme `{choice}` not found (shipped: {}; or give a path to a .toml file); using the default theme",
                    SHIPPED.map(|(n, _)| n).join(", ")
                ));
                Theme::default()
            }
        },
    };
    let theme = if no_color {
        theme.into_monochrome()
    } else {
        theme
    };
    LoadedTheme { theme, warnings }
}

fn resolve_path(choice: &str) -> Option<PathBuf> {
    let path = Path::new(choice);
    if path.is_file() {
        return Some(path.to_path_buf());
    }
    let looks_like_name = !choice.contains(['/', '\\']) && !choice.ends_with(".toml");
    if looks_like_name {
        let config = std::env::var_os("XDG_CONFIG_HOME")
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
            .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".config")))?;
        let candidate = config
            .join("svc-doctor")
            .join("themes")
            .join(format!("{choice}.toml"));
        if candidate.is_file() {
            return Some(candidate);
        }
    }
    None
}

/// Parse a theme file's text. `file` names it in warnings.
pub fn parse(file: &str, text: &str) -> (Theme, Vec<String>) {
    // The base is read first, so the rest of the file layers over it.
    let mut warnings = Vec::new();
    let base = match DeTable::parse(text) {
        Ok(doc) => match doc.get_ref().get("base") {
            None => Theme::default(),
            Some(value) => match value.get_ref().as_str().and_then(shipped) {
                Some(theme) => theme,
                None => {
                    warnings.push(format!(
                        "theme {file} line {}: unknown base theme `{}` (shipped: {}); using {DEFAULT_THEME}",
                        line_of(text, value.span().start),
                        snippet(text, value.span()),
                        SHIPPED.map(|(n, _)| n).join(", ")
                    ));
                    Theme::default()
                }
            },
        },
        // parse_over reports the syntax error.
        Err(_) => Theme::default(),
    };
    let (theme, more) = parse_over(file, text, base);
    warnings.extend(more);
    (theme, warnings)
}

/// Parse `text` as slots layered over `base`.
fn parse_over(file: &str, text: &str, base: Theme) -> (Theme, Vec<String>) {
    let mut warnings = Vec::new();
    let mut theme = base;
    let doc = match DeTable::parse(text) {
        Ok(doc) => doc,
        Err(err) => {
            let (line, value) = match err.span() {
                Some(span) => (line_of(text, span.start), line_text(text, span.start)),
                None => (1, String::new()),
            };
            warnings.push(format!(
                "theme {file} line {line}: not valid TOML ({}) at `{value}`; using the default theme",
                err.message().trim()
            ));
            return (theme, warnings);
        }
    };
    // (line, message), sorted by line at the end.
    let mut found: Vec<(usize, String)> = Vec::new();
    let mut warn = |span: std::ops::Range<usize>, what: String| {
        let line = line_of(text, span.start);
        // Unknown names have nothing to fall back from; bad values keep the default.
        let then = if what.starts_with("unknown slot") || what.starts_with("unknown key") {
            "ignored"
        } else {
            "using the default for it"
        };
        found.push((
            line,
            format!(
                "theme {file} line {line}: {what}: `{}` ({then})",
                snippet(text, span)
            ),
        ));
    };
    for (key, value) in doc.get_ref().iter() {
        let section = key.get_ref().as_ref();
        match (section, value.get_ref()) {
            ("name", DeValue::String(name)) => theme.name = name.to_string(),
            ("base", DeValue::String(_)) => {}
            ("verdict" | "ui", DeValue::Table(slots)) => {
                for (name_key, style_value) in slots.iter() {
                    let name = name_key.get_ref().as_ref();
                    let Some(slot) = Slot::find(section, name) else {
                        warn(name_key.span(), format!("unknown slot in [{section}]"));
                        continue;
                    };
                    let merged = parse_style(
                        theme.style(slot),
                        style_value,
                        &format!("{section}.{name}"),
                        &mut warn,
                    );
                    theme.set(slot, merged);
                }
            }
            ("name" | "base", _) => warn(value.span(), format!("{section} must be a string")),
            ("verdict" | "ui", _) => warn(
                value.span(),
                format!("[{section}] must be a table of slots"),
            ),
            _ => warn(
                key.span(),
                "unknown key (expected name, base, [verdict], [ui])".to_string(),
            ),
        }
    }
    found.sort_by_key(|(line, _)| *line);
    warnings.extend(found.into_iter().map(|(_, w)| w));
    (theme, warnings)
}

type Spanned<T> = toml::Spanned<T>;

/// One slot's style, layered over `base` field by field.
fn parse_style(
    base: Style,
    value: &Spanned<DeValue<'_>>,
    slot: &str,
    warn: &mut dyn FnMut(std::ops::Range<usize>, String),
) -> Style {
    match value.get_ref() {
        DeValue::String(colour) => match parse_colour(colour) {
            Some(fg) => base.fg(fg),
            None => {
                warn(value.span(), format!("bad colour for {slot}"));
                base
            }
        },
        DeValue::Table(fields) => {
            let mut style = base;
            for (field, v) in fields.iter() {
                let field_name = field.get_ref().as_ref();
                match field_name {
                    "fg" | "bg" => {
                        let colour = v.get_ref().as_str().and_then(parse_colour).or_else(|| {
                            v.get_ref()
                                .as_integer()
                                .and_then(|i| i.as_str().parse::<u8>().ok())
                                .map(Color::Indexed)
                        });
                        match colour {
                            Some(c) if field_name == "fg" => style = style.fg(c),
                            Some(c) => style = style.bg(c),
                            None => warn(v.span(), format!("bad colour for {slot}.{field_name}")),
                        }
                    }
                    "modifiers" => {
                        // On a bad entry the base's modifiers stay; the warning says why.
                        if let Some(modifier) = parse_modifiers(v, slot, warn) {
                            style.add_modifier = modifier;
                            style.sub_modifier = Modifier::empty();
                        }
                    }
                    _ => warn(field.span(), format!("unknown field in {slot}")),
                }
            }
            style
        }
        _ => {
            warn(
                value.span(),
                format!("{slot} must be a colour or a table like {{ fg = \"red\" }}"),
            );
            base
        }
    }
}

fn parse_modifiers(
    value: &Spanned<DeValue<'_>>,
    slot: &str,
    warn: &mut dyn FnMut(std::ops::Range<usize>, String),
) -> Option<Modifier> {
    let Some(items) = value.get_ref().as_array() else {
        warn(
            value.span(),
            format!("{slot}.modifiers must be a list like [\"bold\"]"),
        );
        return None;
    };
    let mut modifier = Modifier::empty();
    let mut ok = true;
    for item in items.iter() {
        match item.get_ref().as_str().and_then(parse_modifier) {
            Some(m) => modifier |= m,
            None => {
                warn(item.span(), format!("unknown modifier in {slot}.modifiers"));
                ok = false;
            }
        }
    }
    ok.then_some(modifier)
}

fn parse_modifier(name: &str) -> Option<Modifier> {
    Some(
        match name.to_ascii_lowercase().replace(['-', ' '], "_").as_str() {
            "bold" => Modifier::BOLD,
            "dim" => Modifier::DIM,
            "italic" => Modifier::ITALIC,
            "underlined" | "underline" => Modifier::UNDERLINED,
            "slow_blink" | "blink" => Modifier::SLOW_BLINK,
            "rapid_blink" => Modifier::RAPID_BLINK,
            "reversed" | "reverse" => Modifier::REVERSED,
            "hidden" => Modifier::HIDDEN,
            "crossed_out" | "strikethrough" => Modifier::CROSSED_OUT,
            _ => return None,
        },
    )
}

/// A colour: an ANSI name (`red`, `light-blue`, `dark-gray`), `reset`,
/// `#rrggbb`, or a 256-colour index (`"236"`).
pub fn parse_colour(text: &str) -> Option<Color> {
    let text = text.trim();
    if text.is_empty() {
        return None;
    }
    text.parse::<Color>().ok()
}

fn line_of(text: &str, offset: usize) -> usize {
    text.get(..offset)
        .map_or(1, |before| before.matches('\n').count() + 1)
}

fn line_text(text: &str, offset: usize) -> String {
    let start = text
        .get(..offset)
        .and_then(|b| b.rfind('\n'))
        .map_or(0, |i| i + 1);
    let rest = text.get(start..).unwrap_or("");
    let line = rest.lines().next().unwrap_or("").trim();
    crate::safe_text::sanitize(line).into_owned()
}

fn snippet(text: &str, span: std::ops::Range<usize>) -> String {
    let raw = text.get(span).unwrap_or("").trim();
    let one_line = crate::safe_text::sanitize(raw);
    let mut out: String = one_line.chars().take(60).collect();
    if one_line.chars().count() > 60 {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_are_listed_in_declaration_order() {
        for (i, slot) in Slot::ALL.iter().enumerate() {
            assert_eq!(slot.index(), i, "{slot:?}");
        }
    }

    #[test]
    fn shipped_themes_parse_cleanly_and_set_every_slot() {
        for (name, text) in SHIPPED {
            let (theme, warnings) = parse_over(name, text, Theme::bare());
            assert!(warnings.is_empty(), "{name}: {warnings:?}");
            let keys = DeTable::parse(text).expect("shipped theme parses");
            for slot in Slot::ALL {
                let (section, key) = slot.key();
                let set = keys
                    .get_ref()
                    .get(section)
                    .and_then(|s| s.get_ref().as_table())
                    .is_some_and(|t| t.get(key).is_some());
                assert!(set, "{name} does not set {section}.{key}");
            }
            assert_ne!(theme.verdict(Status::Fail), theme.verdict(Status::Pass));
        }
    }

    #[test]
    fn a_file_layers_over_the_default_per_field() {
        let (theme, warnings) = parse("t.toml", "[verdict]\nfail = { bg = \"blue\" }\n");
        assert!(warnings.is_empty(), "{warnings:?}");
        let default = Theme::default();
        assert_eq!(theme.style(Slot::Fail).bg, Some(Color::Blue));
        assert_eq!(theme.style(Slot::Fail).fg, default.style(Slot::Fail).fg);
        assert_eq!(theme.style(Slot::Pass), default.style(Slot::Pass));
    }

    #[test]
    fn base_selects_another_shipped_theme() {
        let (theme, warnings) = parse("t.toml", "base = \"light\"\n");
        assert!(warnings.is_empty(), "{warnings:?}");
        assert_eq!(
            theme.style(Slot::Fail),
            shipped("light").unwrap().style(Slot::Fail)
        );
    }

    #[test]
    fn bad_values_are_named_with_their_line() {
        let text =
            "[verdict]\npass = \"green\"\nfail = { fg = \"reddish\" }\n[ui]\nsparkles = \"red\"\n";
        let (theme, warnings) = parse("bad.toml", text);
        assert_eq!(warnings.len(), 2, "{warnings:?}");
        assert!(warnings[0].contains("bad.toml line 3"), "{}", warnings[0]);
        assert!(warnings[0].contains("`\"reddish\"`"), "{}", warnings[0]);
        assert!(warnings[1].contains("line 5"), "{}", warnings[1]);
        assert!(warnings[1].contains("sparkles"), "{}", warnings[1]);
        assert_eq!(theme.style(Slot::Pass).fg, Some(Color::Green));
        assert_eq!(theme.style(Slot::Fail), Theme::default().style(Slot::Fail));
    }

    #[test]
    fn no_color_strips_every_colour_but_keeps_emphasis() {
        let theme = Theme::default().into_monochrome();
        for slot in Slot::ALL {
            let style = theme.style(slot);
            assert!(style.fg.is_none() && style.bg.is_none(), "{slot:?}");
        }
        assert!(
            theme
                .style(Slot::Selected)
                .add_modifier
                .contains(Modifier::REVERSED)
        );
        assert!(
            theme
                .style(Slot::Fail)
                .add_modifier
                .contains(Modifier::BOLD)
        );
    }

    #[test]
    fn unknown_theme_names_warn() {
        let loaded = load(Some("no-such-theme-xyz"), false);
        assert_eq!(loaded.warnings.len(), 1);
        assert!(loaded.warnings[0].contains("no-such-theme-xyz"));
        assert_eq!(loaded.theme, Theme::default());
    }
}
