//! `svc-doctor check [SERVICE]`: diagnose headless and print text or JSON.
//!
//! Exit status (DESIGN §1): 0 no step failed, 1 a step failed, 2 the diagnosis
//! could not run (bad flags, unreadable kubeconfig, API unreachable), with one
//! sentence on stderr saying what to do.

use std::io::{IsTerminal, Write};
use std::process::ExitCode;

use k8s_openapi::jiff::Timestamp;

use crate::cli::{CheckArgs, ClusterArgs, OutputFormat};
use crate::cluster::{self, connect::probe};
use crate::diagnose::{self, Options};
use crate::report;
use crate::snapshot::Scope;

pub async fn run(cluster_args: &ClusterArgs, args: &CheckArgs) -> ExitCode {
    let conn = match cluster::connect(cluster_args).await {
        Ok(conn) => conn,
        Err(err) => return fatal(&err),
    };
    if let Err(err) = probe(&conn).await {
        return fatal(&err);
    }
    let scope = scope_of(cluster_args, &conn.default_namespace);
    let snapshot = cluster::fetch_snapshot(&conn, scope).await;
    let options = Options {
        service: args.service.clone(),
    };
    let report = diagnose::diagnose(&snapshot, Timestamp::now(), &options);

    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let written = match args.output {
        OutputFormat::Json => report::json::write(&report, &mut out),
        OutputFormat::Text => {
            let color =
                stdout.is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
            report::text::write(&report, report::text::Style { color }, &mut out)
        }
    };
    if let Err(err) = written.and_then(|()| out.flush()) {
        // A closed pipe (`| head`) is not worth a message; anything else is.
        if err.kind() != std::io::ErrorKind::BrokenPipe {
            eprintln!("svc-doctor: cannot write the report: {err}");
        }
        return ExitCode::from(2);
    }
    if report.has_failure() {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

/// `-A` → all; `-n NS` → NS; else the context's namespace (already `default` when unset).
pub fn scope_of(args: &ClusterArgs, context_namespace: &str) -> Scope {
    if args.all_namespaces {
        Scope::All
    } else {
        Scope::Namespace(
            args.namespace
                .clone()
                .unwrap_or_else(|| context_namespace.to_string()),
        )
    }
}

fn fatal(err: &dyn std::fmt::Display) -> ExitCode {
    eprintln!("svc-doctor: {err}");
    ExitCode::from(2)
}
