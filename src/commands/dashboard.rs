//! `svc-doctor` (no subcommand) and `svc-doctor demo`: the live dashboard.
//!
//! The pipeline task owns the cluster side: it connects, starts the
//! reflectors ([`crate::cluster::live`]), and after changes (debounced, about
//! 250 ms) runs the engine on a blocking thread and sends the report to the
//! UI as an owned message. The engine is incremental
//! ([`crate::diagnose::incremental`]): a changed pod, EndpointSlice or Event
//! re-walks only the Services it concerns; any other change (or a relist)
//! diagnoses a fresh snapshot; every 30 s every Service is walked again. It answers the UI's
//! commands (re-read, switch context, change namespace scope) by restarting
//! the reflectors. The UI never waits on it.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::Duration;

use k8s_openapi::jiff::Timestamp;
use tokio::sync::mpsc::{self, UnboundedReceiver, UnboundedSender};

use std::process::ExitCode;

use crate::cli::{ClusterArgs, TuiArgs};
use crate::cluster::live::{LiveCluster, LiveEvent};
use crate::cluster::{self, Connection as ClusterConnection};
use crate::diagnose::incremental::{Change, Incremental};
use crate::diagnose::report::ServiceRef;
use crate::snapshot::history::{ReadinessHistory, ReadyCounts};
use crate::snapshot::{ReadFailure, Resource, Scope, Snapshot};
use crate::tui::msg::{Command, Connection, LoadProgress, Msg};
use crate::tui::{TuiOptions, run_dashboard};

/// How long to wait after a change before diagnosing, so a burst of watch
/// events costs one diagnosis.
const DEBOUNCE: Duration = Duration::from_millis(250);
/// Walk every Service again at least this often, so that time-based checks
/// (restarts in the last ten minutes, flapping endpoints) move on when
/// nothing changes.
const REFRESH_EVERY: Duration = Duration::from_secs(30);
/// While disconnected, how often to ask the API server whether it is back.
const PROBE_EVERY: Duration = Duration::from_secs(2);
/// How long to wait before trying to connect again after a failure.
const RECONNECT_EVERY: Duration = Duration::from_secs(3);

/// Open the dashboard on `args`' context and scope; returns when the user quits.
/// `label` is shown before the context in the status bar (`demo`).
pub async fn run(args: ClusterArgs, tui: &TuiArgs, label: Option<&str>) -> ExitCode {
    // Logs go to a file before any task can log (never onto the screen).
    let _ = crate::tui::logging::init(tui.log_file.as_deref());
    let (ui_tx, ui_rx) = mpsc::channel(64);
    let (commands_tx, commands_rx) = mpsc::unbounded_channel();
    // Shown until the pipeline has read the kubeconfig and says what it watches.
    let context = args.context.clone().unwrap_or_default();
    let scope = if args.all_namespaces {
        Scope::All
    } else {
        Scope::Namespace(
            args.namespace
                .clone()
                .unwrap_or_else(|| "default".to_string()),
        )
    };
    let pipeline = tokio::spawn(pipeline(args, ui_tx, commands_rx));
    let mut options = TuiOptions::new(tui, context, scope);
    options.label = label.map(str::to_string);
    let code = run_dashboard(options, ui_rx, commands_tx).await;
    pipeline.abort();
    code
}

/// Run the pipeline until the UI goes away. `ui` carries messages to the UI;
/// `commands` carries the UI's requests.
pub async fn pipeline(
    mut args: ClusterArgs,
    ui: mpsc::Sender<Msg>,
    mut commands: UnboundedReceiver<Command>,
) {
    let mut scope_override: Option<Scope> = None;
    loop {
        let _ = ui.send(Msg::Connection(Connection::Connecting)).await;
        let conn = match cluster::connect(&args).await {
            Ok(conn) => conn,
            Err(err) => {
                let _ = ui
                    .send(Msg::Connection(Connection::Disconnected {
                        since: Timestamp::now(),
                        error: err.to_string(),
                    }))
                    .await;
                // Wait for a command (e.g. another context) or retry later.
                match tokio::time::timeout(RECONNECT_EVERY, commands.recv()).await {
                    Ok(None) => return,
                    Ok(Some(Command::SwitchContext(name))) => args.context = Some(name),
                    Ok(Some(Command::SetScope(scope))) => scope_override = Some(scope),
                    Ok(Some(Command::Refresh)) | Err(_) => {}
                }
                continue;
            }
        };
        let scope = scope_override
            .clone()
            .unwrap_or_else(|| super::check::scope_of(&args, &conn.default_namespace));
        let _ = ui
            .send(Msg::Contexts {
                contexts: conn.contexts.clone(),
                current: conn.context.clone(),
            })
            .await;
        let _ = ui
            .send(Msg::Target {
                context: conn.context.clone(),
                scope: scope.clone(),
            })
            .await;

        match watch(&conn, scope, &ui, &mut commands).await {
            Next::Quit => return,
            Next::Restart => {}
            Next::SwitchContext(name) => {
                // The scope given on the command line (-n, -A) holds for every
                // context; one picked with `n` may not exist in the other cluster.
                args.context = Some(name);
                scope_override = None;
            }
            Next::SetScope(scope) => scope_override = Some(scope),
        }
    }
}

/// Why [`watch`] returned.
enum Next {
    Quit,
    Restart,
    SwitchContext(String),
    SetScope(Scope),
}

/// Watch one context and scope until a command asks for something else.
async fn watch(
    conn: &ClusterConnection,
    scope: Scope,
    ui: &mpsc::Sender<Msg>,
    commands: &mut UnboundedReceiver<Command>,
) -> Next {
    let (events_tx, mut events): (UnboundedSender<LiveEvent>, _) = mpsc::unbounded_channel();
    let live = LiveCluster::start(&conn.client, &conn.context, scope.clone(), events_tx);
    let mut history: Arc<ReadinessHistory> = Arc::default();
    let mut progress: BTreeMap<(Resource, Option<String>), (usize, bool)> = BTreeMap::new();
    let mut failures: BTreeMap<(Resource, Option<String>), ReadFailure> = BTreeMap::new();
    let mut disconnected_since: Option<Timestamp> = None;
    let mut loaded = false;
    let mut pending = Pending::default();
    let mut engine: Option<Incremental> = None;
    let mut cadence = Cadence::new(tokio::time::Instant::now());
    let mut last_namespaces: BTreeSet<String> = BTreeSet::new();
    let mut tick = tokio::time::interval(DEBOUNCE);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut probe = tokio::time::interval(PROBE_EVERY);
    probe.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);

    loop {
        tokio::select! {
            event = events.recv() => {
                let Some(event) = event else { return Next::Restart };
                match event {
                    LiveEvent::Progress { resource, namespace, listed, done } => {
                        progress.insert((resource, namespace), (listed, done));
                        if !loaded {
                            let _ = ui.send(Msg::Connection(Connection::Loading { progress: load_progress(&progress) })).await;
                        }
                    }
                    LiveEvent::Changed { resource, object } => pending.add(resource, object),
                    LiveEvent::Failed { failure } => {
                        let key = (failure.resource, failure.namespace.clone());
                        if failure.cuts_off_the_cluster() {
                            // Unreachable, or our credentials are refused: nothing can be
                            // read. Keep the data, mark it stale, say why; watchers retry.
                            if disconnected_since.is_none() {
                                let since = Timestamp::now();
                                disconnected_since = Some(since);
                                let error = if failure.code == Some(401) {
                                    format!("the API server rejected the credentials (401): log in again or switch context — {}", failure.message)
                                } else {
                                    failure.message.clone()
                                };
                                let _ = ui.send(Msg::Connection(Connection::Disconnected { since, error })).await;
                            }
                        } else {
                            failures.insert(key.clone(), failure.clone());
                            let _ = ui.send(Msg::Access(failures.values().cloned().collect())).await;
                            // The kind counts as loaded: its checks will be unknown.
                            progress.entry(key).or_insert((0, true)).1 = true;
                            pending.full = true;
                        }
                    }
                    LiveEvent::Recovered { resource, namespace } => {
                        if failures.remove(&(resource, namespace)).is_some() {
                            let _ = ui.send(Msg::Access(failures.values().cloned().collect())).await;
                        }
                        if disconnected_since.take().is_some() {
                            let _ = ui.send(Msg::Connection(if loaded { Connection::Live } else { Connection::Loading { progress: load_progress(&progress) } })).await;
                        }
                        pending.full = true;
                    }
                }
            }
            _ = tick.tick(), if (pending.any() || (loaded && cadence.refresh_due(tokio::time::Instant::now())))
                && (loaded || all_loaded(&progress, live.watcher_count())) => {
                if !loaded {
                    loaded = true;
                    if disconnected_since.is_none() {
                        let _ = ui.send(Msg::Connection(Connection::Live)).await;
                    }
                }
                let now = Timestamp::now();
                let view = live.endpoints_view();
                // The engine holds the history it last read: let go of it, so
                // that observing changes the one copy in place rather than
                // cloning every Service's history on every tick.
                if let Some(engine) = engine.as_mut() {
                    engine.set_readiness(None);
                }
                let work = match engine.take() {
                    Some(engine) if !pending.full => {
                        let changes = pending.changes(&live);
                        match cadence.next(tokio::time::Instant::now()) {
                            Walk::Changed => Work::Apply(engine, changes),
                            Walk::Everything => Work::Refresh(engine, changes),
                        }
                    }
                    _ => {
                        cadence.walked_everything(tokio::time::Instant::now());
                        let snap = live.snapshot();
                        let namespaces: BTreeSet<String> = snap.namespaces.iter().filter_map(|n| n.metadata.name.as_deref().map(String::from)).collect();
                        if namespaces != last_namespaces {
                            last_namespaces = namespaces.clone();
                            let _ = ui.send(Msg::Namespaces(namespaces.into_iter().collect())).await;
                        }
                        Work::Full(snap)
                    }
                };
                pending = Pending::default();
                // Observing every endpoint takes tens of milliseconds on a
                // large cluster: off the runtime's workers, with the diagnosis
                // that reads it. (A panic there loses the history with the
                // engine; both start afresh.)
                let mut observed = std::mem::take(&mut history);
                let diagnosis = tokio::task::spawn_blocking(move || {
                    Arc::make_mut(&mut observed).observe(&view, now);
                    let readiness = ready_counts(&view, &observed);
                    drop(view);
                    let engine = work.run(Arc::clone(&observed), now);
                    let report = engine.report().clone();
                    (engine, report, observed, readiness)
                });
                match diagnosis.await {
                    Ok((done, report, observed, readiness)) => {
                        engine = Some(done);
                        history = observed;
                        if ui.send(Msg::Report { report: Box::new(report), computed_at: now }).await.is_err() {
                            return Next::Quit;
                        }
                        let _ = ui.send(Msg::Readiness(readiness)).await;
                    }
                    // The engine is gone with the panic: the next change builds it afresh.
                    Err(err) => tracing::error!(error = %err, "diagnosis panicked; keeping the last report"),
                }
            }
            // Watchers resume quietly: a watch that reconnects says nothing
            // until something changes. While disconnected, ask the API server
            // directly whether it answers again.
            _ = probe.tick(), if disconnected_since.is_some() => {
                let answered = tokio::time::timeout(PROBE_EVERY, conn.client.apiserver_version()).await;
                if matches!(answered, Ok(Ok(_))) {
                    disconnected_since = None;
                    let state = if loaded { Connection::Live } else { Connection::Loading { progress: load_progress(&progress) } };
                    let _ = ui.send(Msg::Connection(state)).await;
                    pending.full = true;
                }
            }
            command = commands.recv() => {
                return match command {
                    None => Next::Quit,
                    Some(Command::Refresh) => Next::Restart,
                    Some(Command::SwitchContext(name)) => Next::SwitchContext(name),
                    Some(Command::SetScope(scope)) => Next::SetScope(scope),
                };
            }
        }
    }
}

/// What changed since the engine last ran.
#[derive(Default)]
struct Pending {
    /// Something the incremental engine cannot follow changed (another kind,
    /// a relist, an access failure): diagnose a fresh snapshot.
    full: bool,
    /// Pods, EndpointSlices and Events that changed, by kind, namespace, name.
    objects: BTreeSet<(Resource, String, String)>,
}

impl Pending {
    fn add(&mut self, resource: Resource, object: Option<(String, String)>) {
        match (resource, object) {
            (Resource::Pods | Resource::Endpointslices | Resource::Events, Some((ns, name))) => {
                self.objects.insert((resource, ns, name));
            }
            _ => self.full = true,
        }
    }

    fn any(&self) -> bool {
        self.full || !self.objects.is_empty()
    }

    /// The pending objects in their current state (`None`: deleted).
    fn changes(&self, live: &LiveCluster) -> Vec<Change> {
        self.objects
            .iter()
            .map(|(resource, ns, name)| {
                let (namespace, name) = (ns.clone(), name.clone());
                match resource {
                    Resource::Pods => Change::Pod {
                        object: live.pod(ns, &name),
                        namespace,
                        name,
                    },
                    Resource::Endpointslices => Change::EndpointSlice {
                        object: live.endpoint_slice(ns, &name),
                        namespace,
                        name,
                    },
                    _ => Change::Event {
                        object: live.event(ns, &name),
                        namespace,
                        name,
                    },
                }
            })
            .collect()
    }
}

/// Every Service's ready counts, for the UI's sparkline: what the pipeline
/// sends on every tick (public for the benches).
pub fn ready_counts(view: &Snapshot, history: &ReadinessHistory) -> Vec<(ServiceRef, ReadyCounts)> {
    view.services
        .iter()
        .filter_map(|s| {
            let namespace = s.metadata.namespace.as_deref()?;
            let name = s.metadata.name.as_deref()?;
            let counts = history.counts(namespace, name);
            Some((ServiceRef::new(namespace, name), counts))
        })
        .collect()
}

/// Which Services the next diagnosis of a live engine walks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Walk {
    /// Those the changes concern.
    Changed,
    /// Every one: [`REFRESH_EVERY`] has passed since they were last all
    /// walked.
    Everything,
}

/// When every Service is walked again: at least every [`REFRESH_EVERY`],
/// whether or not changes keep coming. On a busy cluster something changes
/// on every tick; were each change's walk to count as a refresh, the
/// Services it does not touch would never move on.
struct Cadence {
    last_everything: tokio::time::Instant,
}

impl Cadence {
    fn new(now: tokio::time::Instant) -> Self {
        Cadence {
            last_everything: now,
        }
    }

    fn refresh_due(&self, now: tokio::time::Instant) -> bool {
        now.duration_since(self.last_everything) >= REFRESH_EVERY
    }

    /// Every Service was walked at `now` (a fresh snapshot diagnosed).
    fn walked_everything(&mut self, now: tokio::time::Instant) {
        self.last_everything = now;
    }

    /// The walk of a diagnosis starting at `now`.
    fn next(&mut self, now: tokio::time::Instant) -> Walk {
        if self.refresh_due(now) {
            self.walked_everything(now);
            Walk::Everything
        } else {
            Walk::Changed
        }
    }
}

/// What the engine does on one tick, on a blocking thread.
enum Work {
    /// Diagnose a fresh snapshot and keep what it takes to follow changes.
    Full(Snapshot),
    /// Apply changes to the engine's snapshot; re-walk what they concern.
    Apply(Incremental, Vec<Change>),
    /// Apply changes (if any), then walk every Service again: time-based
    /// checks move on.
    Refresh(Incremental, Vec<Change>),
}

impl Work {
    fn run(self, readiness: Arc<ReadinessHistory>, now: Timestamp) -> Incremental {
        match self {
            Work::Full(mut snap) => {
                snap.readiness = Some(readiness);
                let engine = Incremental::new(snap, now);
                tracing::debug!(
                    services = engine.report().services.len(),
                    "full diagnosis of a fresh snapshot"
                );
                engine
            }
            Work::Apply(mut engine, changes) => {
                engine.set_readiness(Some(readiness));
                let applied = engine.apply(&changes, now);
                tracing::debug!(
                    changes = changes.len(),
                    walked = applied.walked,
                    namespaces = applied.namespaces,
                    everything = applied.everything,
                    "incremental diagnosis"
                );
                engine
            }
            Work::Refresh(mut engine, changes) => {
                if !changes.is_empty() {
                    engine.apply(&changes, now);
                }
                engine.refresh(Some(readiness), now);
                tracing::debug!(
                    changes = changes.len(),
                    "every Service walked again (refresh)"
                );
                engine
            }
        }
    }
}

/// Whether every watcher has finished (or failed) its first list.
fn all_loaded(
    progress: &BTreeMap<(Resource, Option<String>), (usize, bool)>,
    watchers: usize,
) -> bool {
    progress.values().filter(|(_, done)| *done).count() >= watchers
}

/// Progress per resource kind, summed over the places it is watched.
fn load_progress(
    progress: &BTreeMap<(Resource, Option<String>), (usize, bool)>,
) -> Vec<LoadProgress> {
    let mut by_kind: BTreeMap<Resource, (usize, bool)> = BTreeMap::new();
    for ((resource, _), (listed, done)) in progress {
        let entry = by_kind.entry(*resource).or_insert((0, true));
        entry.0 += listed;
        entry.1 &= done;
    }
    by_kind
        .into_iter()
        .map(|(r, (listed, done))| LoadProgress::new(r.as_str(), listed, done))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A change on every tick (a busy cluster) for 95 s: every Service is
    /// still walked again every 30 s, and the ticks between walk only what
    /// changed.
    #[test]
    fn steady_changes_still_walk_everything_every_thirty_seconds() {
        let start = tokio::time::Instant::now();
        let mut cadence = Cadence::new(start);
        let ticks = (Duration::from_secs(95).as_millis() / DEBOUNCE.as_millis()) as u32;
        let everything: Vec<Duration> = (1..=ticks)
            .map(|i| start + DEBOUNCE * i)
            .filter(|&at| cadence.next(at) == Walk::Everything)
            .map(|at| at - start)
            .collect();
        assert_eq!(
            everything,
            [30, 60, 90].map(Duration::from_secs),
            "every Service walked at 30, 60 and 90 s"
        );
    }

    /// A fresh snapshot counts as a walk of everything: the next one is due
    /// 30 s after it, not after the last refresh.
    #[test]
    fn a_full_diagnosis_restarts_the_count() {
        let start = tokio::time::Instant::now();
        let mut cadence = Cadence::new(start);
        cadence.walked_everything(start + Duration::from_secs(20));
        assert!(!cadence.refresh_due(start + Duration::from_secs(30)));
        assert_eq!(cadence.next(start + Duration::from_secs(49)), Walk::Changed);
        assert_eq!(
            cadence.next(start + Duration::from_secs(50)),
            Walk::Everything
        );
        assert_eq!(cadence.next(start + Duration::from_secs(51)), Walk::Changed);
    }
}
