//! kube-rs against a sandbox started in this process (the in-process API
//! the demo command uses): the client path svc-doctor itself takes,
//! kubeconfig → TLS → token → list/watch, with the reflector idioms of
//! STYLE.md.

mod sandbox_support;

use std::collections::BTreeMap;
use std::path::Path;
use std::pin::pin;
use std::time::Duration;

use anyhow::{Context as _, bail};
use futures::StreamExt as _;
use k8s_openapi::api::core::v1::{Namespace, Pod};
use kube::api::{DeleteParams, ListParams, Patch, PatchParams, PostParams};
use kube::config::{KubeConfigOptions, Kubeconfig};
use kube::runtime::reflector::{self, ObjectRef, Store};
use kube::runtime::{WatchStreamExt as _, watcher};
use kube::{Api, Client, Config, ResourceExt as _};
use sandbox_support::{TIMEOUT, fixture};
use serde_json::json;
use svc_doctor::sandbox::{
    ClusterSource, Fault, FaultAction, RunningSandbox, SandboxConfig, start,
};
use tokio::sync::mpsc;

async fn config(sandbox: &RunningSandbox, context: &str, dir: &Path) -> anyhow::Result<Config> {
    let path = dir.join(format!("kubeconfig-{context}"));
    sandbox.write_kubeconfig(&path)?;
    let kubeconfig = Kubeconfig::read_from(&path)?;
    let options = KubeConfigOptions {
        context: Some(context.to_string()),
        ..KubeConfigOptions::default()
    };
    Ok(Config::from_custom_kubeconfig(kubeconfig, &options).await?)
}

async fn client(sandbox: &RunningSandbox, context: &str, dir: &Path) -> anyhow::Result<Client> {
    Ok(Client::try_from(config(sandbox, context, dir).await?)?)
}

fn shop() -> SandboxConfig {
    SandboxConfig::new(vec![ClusterSource::from_paths(
        "sandbox",
        [fixture("shop")],
    )])
}

/// Names in a reflector store, sorted, duplicates kept (there must be none).
fn names<K: kube::Resource + Clone>(store: &Store<K>) -> Vec<String>
where
    K::DynamicType: std::hash::Hash + Eq + Clone,
{
    let mut names: Vec<String> = store.state().iter().map(|o| o.name_any()).collect();
    names.sort();
    names
}

/// Poll `check` until it holds (every step is bounded by the test timeout).
async fn eventually(what: &str, check: impl Fn() -> bool) -> anyhow::Result<()> {
    let deadline = tokio::time::Instant::now() + TIMEOUT;
    while !check() {
        if tokio::time::Instant::now() > deadline {
            bail!("timed out waiting for {what}");
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    Ok(())
}

fn pod(name: &str) -> anyhow::Result<Pod> {
    Ok(serde_json::from_value(json!({
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": "shop", "labels": {"app": "web"}},
        "spec": {"containers": [{"name": "web", "image": "nginx:1.27"}]},
    }))?)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reflector_relists_after_an_expired_watch_without_loss_or_duplicates() -> anyhow::Result<()>
{
    tokio::time::timeout(Duration::from_secs(90), async {
        let dir = tempfile::tempdir()?;
        let sandbox = start(shop()).await?;
        let client = client(&sandbox, "sandbox", dir.path()).await?;
        let pods: Api<Pod> = Api::namespaced(client, "shop");

        let (reader, writer) = reflector::store();
        let (events_tx, mut events_rx) = mpsc::unbounded_channel();
        let stream = watcher(pods.clone(), watcher::Config::default())
            .default_backoff()
            .modify(|pod: &mut Pod| pod.managed_fields_mut().clear())
            .reflect(writer);
        let task = tokio::spawn(async move {
            let mut stream = pin!(stream);
            while let Some(item) = stream.next().await {
                let seen = match item {
                    Ok(watcher::Event::Init) => "init".to_string(),
                    Ok(watcher::Event::InitDone) => "init-done".to_string(),
                    Ok(watcher::Event::InitApply(p)) => format!("init-apply {}", p.name_any()),
                    Ok(watcher::Event::Apply(p)) => format!("apply {}", p.name_any()),
                    Ok(watcher::Event::Delete(p)) => format!("delete {}", p.name_any()),
                    Err(watcher::Error::WatchError(status)) => {
                        format!("watch error {}", status.code)
                    }
                    Err(err) => format!("error {err}"),
                };
                if events_tx.send(seen).is_err() {
                    break;
                }
            }
        });

        // The initial list.
        reader.wait_until_ready().await?;
        assert_eq!(names(&reader), ["web-5d8f7-abcde", "web-5d8f7-fghij"]);

        // A change made through the sandbox API reaches the store.
        let labelled = json!({"metadata": {"labels": {"color": "blue"}}});
        pods.patch(
            "web-5d8f7-abcde",
            &PatchParams::default(),
            &Patch::Merge(&labelled),
        )
        .await?;
        let key = ObjectRef::new("web-5d8f7-abcde").within("shop");
        eventually("the patched pod in the store", || {
            reader
                .get(&key)
                .is_some_and(|p| p.labels().get("color").map(String::as_str) == Some("blue"))
        })
        .await?;

        // An expire fault closes the open watch; the next one gets an
        // in-stream 410, and the watcher relists. Changes made meanwhile
        // must all land in the store.
        let expire = Fault {
            verb: Some("watch".into()),
            resource: Some("pods".into()),
            namespace: None,
            action: FaultAction::Expire,
        };
        sandbox.add_fault("sandbox", expire)?;
        pods.delete("web-5d8f7-fghij", &DeleteParams::default())
            .await?;
        pods.create(&PostParams::default(), &pod("web-5d8f7-zzzzz")?)
            .await?;
        eventually("the store to match the cluster", || {
            names(&reader) == ["web-5d8f7-abcde", "web-5d8f7-zzzzz"]
        })
        .await?;

        // The watcher did see the 410 and did relist.
        let mut seen = Vec::new();
        let deadline = tokio::time::Instant::now() + TIMEOUT;
        while seen.iter().filter(|e| *e == "init-done").count() < 2 {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            match tokio::time::timeout(left, events_rx.recv()).await {
                Ok(Some(event)) => seen.push(event),
                _ => bail!("no relist; events: {seen:?}"),
            }
        }
        assert!(seen.contains(&"watch error 410".to_string()), "{seen:?}");
        let relist: Vec<&String> = seen
            .iter()
            .skip_while(|e| *e != "watch error 410")
            .filter(|e| e.starts_with("init-apply"))
            .collect();
        // No duplicates in the relist, nor in the store.
        let mut unique = relist.clone();
        unique.dedup();
        assert_eq!(relist, unique, "{seen:?}");
        assert_eq!(reader.state().len(), 2);
        let kept = reader.get(&key).context("web-5d8f7-abcde vanished")?;
        assert_eq!(kept.labels().get("color").map(String::as_str), Some("blue"));

        task.abort();
        sandbox.shutdown().await;
        Ok(())
    })
    .await?
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_context_is_served_under_its_path_prefix() -> anyhow::Result<()> {
    tokio::time::timeout(TIMEOUT, async {
        let dir = tempfile::tempdir()?;
        let mut config = shop();
        config.clusters.push(ClusterSource::from_texts(
            "other",
            [(
                "other.yaml",
                "apiVersion: v1\nkind: Namespace\nmetadata: {name: elsewhere}\n",
            )],
        ));
        let sandbox = start(config).await?;
        assert_eq!(sandbox.contexts(), ["sandbox", "other"]);
        assert_eq!(
            sandbox.context_url("other"),
            Some(format!("{}/clusters/other", sandbox.url()))
        );

        let list = |client: Client| async move {
            let namespaces: Api<Namespace> = Api::all(client);
            let list = namespaces.list(&ListParams::default()).await?;
            anyhow::Ok(list.items.iter().map(|n| n.name_any()).collect::<Vec<_>>())
        };
        let main = client(&sandbox, "sandbox", dir.path()).await?;
        assert_eq!(list(main).await?, ["default", "shop"]);
        let other = client(&sandbox, "other", dir.path()).await?;
        assert_eq!(list(other.clone()).await?, ["default", "elsewhere"]);

        // A watcher using the streaming-list strategy (sendInitialEvents).
        let (reader, writer) = reflector::store();
        let stream = watcher(
            Api::<Namespace>::all(other),
            watcher::Config::default().streaming_lists(),
        )
        .default_backoff()
        .reflect(writer);
        let task = tokio::spawn(async move {
            let mut stream = pin!(stream);
            while stream.next().await.is_some() {}
        });
        reader.wait_until_ready().await?;
        let mut seen: BTreeMap<String, ()> = BTreeMap::new();
        for ns in reader.state() {
            seen.insert(ns.name_any(), ());
        }
        assert_eq!(
            seen.into_keys().collect::<Vec<_>>(),
            ["default", "elsewhere"]
        );
        task.abort();
        sandbox.shutdown().await;
        Ok(())
    })
    .await?
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_without_the_token_gets_a_401_status() -> anyhow::Result<()> {
    tokio::time::timeout(TIMEOUT, async {
        let dir = tempfile::tempdir()?;
        let sandbox = start(shop()).await?;
        let mut config = config(&sandbox, "sandbox", dir.path()).await?;
        config.auth_info = kube::config::AuthInfo::default();
        let anonymous: Api<Pod> = Api::all(Client::try_from(config)?);
        match anonymous.list(&ListParams::default()).await {
            Err(kube::Error::Api(status)) => {
                assert_eq!((status.code, status.reason.as_str()), (401, "Unauthorized"));
            }
            other => bail!("expected a 401 Status, got {other:?}"),
        }
        sandbox.shutdown().await;
        Ok(())
    })
    .await?
}
