//! The dashboard's state: what the pipeline told us, and where the user is.
//!
//! Only [`super::update::update`] changes it. Views and the run loop read it
//! through the selectors here, which decide nothing new.

use std::collections::{BTreeSet, HashMap};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use jiff::Timestamp;
use jiff::tz::TimeZone;

use super::keys::Where;
use super::msg::Connection;
use super::theme::Theme;
use super::tree::{self, Node, NodeId};
use crate::diagnose::report::{Report, ServiceRef, ServiceReport, Status};
use crate::snapshot::history::ReadyCounts;
use crate::snapshot::{ReadFailure, Scope};

/// How long a toast stays up.
pub const TOAST_FOR: Duration = Duration::from_secs(4);

/// The three panes, in Tab order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Pane {
    Services,
    Tree,
    Detail,
}

impl Pane {
    pub const ALL: [Pane; 3] = [Pane::Services, Pane::Tree, Pane::Detail];

    pub fn next(self) -> Pane {
        match self {
            Pane::Services => Pane::Tree,
            Pane::Tree => Pane::Detail,
            Pane::Detail => Pane::Services,
        }
    }

    pub fn prev(self) -> Pane {
        match self {
            Pane::Services => Pane::Detail,
            Pane::Tree => Pane::Services,
            Pane::Detail => Pane::Tree,
        }
    }
}

/// Which verdicts the list shows (`f` cycles).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum VerdictFilter {
    #[default]
    All,
    /// Verdict `fail`.
    Failing,
    /// Verdict `warn` or `unknown`: not failing, but needs a look.
    Warning,
}

impl VerdictFilter {
    pub fn next(self) -> Self {
        match self {
            VerdictFilter::All => VerdictFilter::Failing,
            VerdictFilter::Failing => VerdictFilter::Warning,
            VerdictFilter::Warning => VerdictFilter::All,
        }
    }

    pub fn admits(self, verdict: Status) -> bool {
        match self {
            VerdictFilter::All => true,
            VerdictFilter::Failing => verdict == Status::Fail,
            VerdictFilter::Warning => matches!(verdict, Status::Warn | Status::Unknown),
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            VerdictFilter::All => "all",
            VerdictFilter::Failing => "failing",
            VerdictFilter::Warning => "warning",
        }
    }
}

/// The list filter: text over `namespace/name`, and verdicts.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filter {
    pub text: String,
    /// The user is typing the filter (`/`).
    pub typing: bool,
    pub verdict: VerdictFilter,
}

impl Filter {
    pub fn is_active(&self) -> bool {
        !self.text.is_empty() || self.verdict != VerdictFilter::All
    }
}

/// Where the user is in the Services list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListView {
    /// Position in [`State::rows`].
    pub cursor: usize,
    /// First row shown.
    pub offset: usize,
    /// The selected Service, by name: it survives new reports and re-sorting.
    pub selected: Option<ServiceRef>,
}

/// Where the user is in one Service's tree and detail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TreeView {
    pub selected: NodeId,
    pub opened: BTreeSet<NodeId>,
    /// The selected fix command of the detail pane (index into [`tree::commands`]).
    pub command: usize,
    /// First line of the detail pane shown.
    pub scroll: usize,
    /// The selection is the automatic one (first failing step): it follows
    /// new reports until the user moves.
    pub auto: bool,
}

/// Picker kinds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PickerKind {
    Namespace,
    Context,
}

/// A namespace or context picker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Picker {
    pub kind: PickerKind,
    /// Typed search.
    pub query: String,
    /// Position in [`State::picker_items`].
    pub cursor: usize,
}

/// An entry of a picker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PickerItem {
    AllNamespaces,
    Namespace(String),
    Context(String),
}

impl PickerItem {
    pub fn label(&self) -> &str {
        match self {
            PickerItem::AllNamespaces => "all namespaces",
            PickerItem::Namespace(n) | PickerItem::Context(n) => n,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Overlay {
    #[default]
    None,
    Help {
        scroll: usize,
    },
    Picker(Picker),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Toast {
    pub text: String,
    pub error: bool,
    pub until: Instant,
}

/// Verdict counts for the list title.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub total: usize,
    pub fail: usize,
    pub unknown: usize,
    pub warn: usize,
    pub pass: usize,
}

/// What the dashboard starts with.
#[derive(Debug, Clone)]
pub struct Init {
    pub theme: Theme,
    pub context: String,
    pub scope: Scope,
    /// Warnings to show until dismissed (a bad theme file, an unwritable log).
    pub warnings: Vec<String>,
    /// Time zone for clock times on screen.
    pub tz: TimeZone,
    pub log_file: Option<PathBuf>,
    /// Shown in the status bar before the context (`demo`).
    pub label: Option<String>,
    pub now: Instant,
}

impl Init {
    pub fn new(context: impl Into<String>, scope: Scope) -> Self {
        Init {
            theme: Theme::default(),
            context: context.into(),
            scope,
            warnings: Vec::new(),
            tz: TimeZone::UTC,
            log_file: None,
            label: None,
            now: Instant::now(),
        }
    }
}

#[derive(Debug, Clone)]
pub struct State {
    pub theme: Theme,
    pub tz: TimeZone,
    pub log_file: Option<PathBuf>,
    pub label: Option<String>,

    // What the pipeline told us.
    pub context: String,
    pub scope: Scope,
    pub contexts: Vec<String>,
    pub namespaces: Vec<String>,
    pub connection: Connection,
    pub access: Vec<ReadFailure>,
    pub report: Option<Box<Report>>,
    pub computed_at: Option<Timestamp>,
    pub readiness: HashMap<ServiceRef, ReadyCounts>,
    /// The pipeline's end of the command channel is gone.
    pub pipeline_gone: bool,

    // Derived from the report, the scope and the filter (see `update::refresh_rows`).
    /// Indices into `report.services`, in display order.
    pub rows: Vec<usize>,
    /// Counts over the Services in scope (before the filter).
    pub counts: Counts,

    // Where the user is.
    pub focus: Pane,
    pub list: ListView,
    pub trees: HashMap<ServiceRef, TreeView>,
    pub filter: Filter,
    pub overlay: Overlay,
    pub toast: Option<Toast>,
    pub warnings: Vec<String>,
    pub width: u16,
    pub height: u16,
    pub now: Instant,
    /// Advances on every tick: the loading indicator.
    pub ticks: u64,
    pub quitting: bool,
}

impl State {
    pub fn new(init: Init) -> Self {
        State {
            theme: init.theme,
            tz: init.tz,
            log_file: init.log_file,
            label: init.label,
            context: init.context,
            scope: init.scope,
            contexts: Vec::new(),
            namespaces: Vec::new(),
            connection: Connection::Connecting,
            access: Vec::new(),
            report: None,
            computed_at: None,
            readiness: HashMap::new(),
            pipeline_gone: false,
            rows: Vec::new(),
            counts: Counts::default(),
            focus: Pane::Services,
            list: ListView::default(),
            trees: HashMap::new(),
            filter: Filter::default(),
            overlay: Overlay::None,
            toast: None,
            warnings: init.warnings,
            width: 80,
            height: 24,
            now: init.now,
            ticks: 0,
            quitting: false,
        }
    }

    /// The Service shown in the tree, if any.
    pub fn selected_service(&self) -> Option<&ServiceReport> {
        let report = self.report.as_deref()?;
        let index = *self.rows.get(self.list.cursor)?;
        report.services.get(index).map(|s| &**s)
    }

    /// The selected Service's tree and detail position.
    pub fn tree_view(&self) -> Option<&TreeView> {
        let key = self.list.selected.as_ref()?;
        self.trees.get(key)
    }

    /// The selected tree node, resolved.
    pub fn selected_node(&self) -> Option<(&ServiceReport, Node<'_>)> {
        let svc = self.selected_service()?;
        let view = self.tree_view()?;
        let node = tree::resolve(svc, &view.selected)?;
        Some((svc, node))
    }

    /// The fix commands of the selected node, numbered from 1 on screen.
    pub fn commands(&self) -> Vec<(usize, &str)> {
        self.selected_node()
            .map(|(_, node)| tree::commands(&node))
            .unwrap_or_default()
    }

    /// Where keys go now.
    pub fn mode(&self) -> Where {
        match &self.overlay {
            Overlay::Help { .. } => Where::Help,
            Overlay::Picker(_) => Where::Picker,
            Overlay::None if self.filter.typing => Where::FilterInput,
            Overlay::None => match self.focus {
                Pane::Services => Where::Services,
                Pane::Tree => Where::Tree,
                Pane::Detail => Where::Detail,
            },
        }
    }

    /// The data on screen no longer follows the cluster.
    pub fn stale(&self) -> bool {
        matches!(self.connection, Connection::Disconnected { .. }) || self.pipeline_gone
    }

    /// The entries of the open picker, after its search.
    pub fn picker_items(&self) -> Vec<PickerItem> {
        let Overlay::Picker(picker) = &self.overlay else {
            return Vec::new();
        };
        let query = picker.query.to_lowercase();
        let matches = |s: &str| query.is_empty() || s.to_lowercase().contains(&query);
        match picker.kind {
            PickerKind::Namespace => {
                let mut names: BTreeSet<&str> =
                    self.namespaces.iter().map(String::as_str).collect();
                if let Some(report) = &self.report {
                    names.extend(report.services.iter().map(|s| s.namespace.as_str()));
                }
                if let Scope::Namespace(ns) = &self.scope {
                    names.insert(ns);
                }
                let mut items = Vec::with_capacity(names.len() + 1);
                if matches("all namespaces") {
                    items.push(PickerItem::AllNamespaces);
                }
                items.extend(
                    names
                        .into_iter()
                        .filter(|n| matches(n))
                        .map(|n| PickerItem::Namespace(n.to_string())),
                );
                items
            }
            PickerKind::Context => {
                let mut names: BTreeSet<&str> = self.contexts.iter().map(String::as_str).collect();
                names.insert(&self.context);
                names
                    .into_iter()
                    .filter(|n| matches(n))
                    .map(|n| PickerItem::Context(n.to_string()))
                    .collect()
            }
        }
    }

    /// Whether `item` is what is in use now (marked in the picker).
    pub fn is_current(&self, item: &PickerItem) -> bool {
        match item {
            PickerItem::AllNamespaces => self.scope == Scope::All,
            PickerItem::Namespace(ns) => self.scope == Scope::Namespace(ns.clone()),
            PickerItem::Context(c) => *c == self.context,
        }
    }
}
