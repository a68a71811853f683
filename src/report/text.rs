//! `check -o text`: what a person reads first.
//!
//! One line per Service (verdict, failing step, the decisive finding), the
//! cluster-wide steps, then for each failing or warning Service the decisive
//! step's findings with evidence and numbered fix commands. Colour only when
//! asked (a TTY without `NO_COLOR`); every cluster string is sanitized.

use std::io::{self, Write};

use super::symbol;
use crate::diagnose::report::{Finding, Report, ServiceReport, Severity, Status, StepReport};
use crate::safe_text::{sanitize, sanitize_multiline};

/// ANSI styling, or none.
#[derive(Debug, Clone, Copy)]
pub struct Style {
    pub color: bool,
}

impl Style {
    fn paint(&self, code: &str, text: &str) -> String {
        if self.color {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    }

    fn status(&self, status: Status, text: &str) -> String {
        let code = match status {
            Status::Fail => "1;31",
            Status::Warn => "33",
            Status::Unknown => "35",
            Status::Pass => "32",
            Status::Blocked | Status::Skip => "2",
        };
        self.paint(code, text)
    }

    fn bold(&self, text: &str) -> String {
        self.paint("1", text)
    }

    fn dim(&self, text: &str) -> String {
        self.paint("2", text)
    }
}

/// Write the text report.
pub fn write(report: &Report, style: Style, out: &mut impl Write) -> io::Result<()> {
    let count = |s: Status| report.services.iter().filter(|r| r.verdict == s).count();
    writeln!(
        out,
        "{} context {} — {} Services: {} fail, {} unknown, {} warn, {} pass",
        style.bold("svc-doctor"),
        sanitize(&report.context),
        report.services.len(),
        count(Status::Fail),
        count(Status::Unknown),
        count(Status::Warn),
        count(Status::Pass),
    )?;

    for step in &report.cluster {
        if step.status != Status::Pass {
            writeln!(
                out,
                "{} cluster {}: {}",
                style.status(step.status, symbol(step.status)),
                step.step,
                sanitize(&step.summary)
            )?;
        }
    }
    writeln!(out)?;

    let width = report
        .services
        .iter()
        .map(|s| s.namespace.len() + s.name.len() + 1)
        .max()
        .unwrap_or(0)
        .min(60);
    for svc in &report.services {
        let name = format!("{}/{}", sanitize(&svc.namespace), sanitize(&svc.name));
        let kind = if svc.exists {
            svc.service_type
                .as_deref()
                .unwrap_or("ClusterIP")
                .to_string()
        } else {
            "missing".into()
        };
        let where_ = match (svc.failing_step, decisive(svc)) {
            (Some(step), _) => format!("fail at {step}"),
            (None, Some(step)) => format!("{} at {}", svc.verdict, step.id),
            (None, None) => svc.verdict.to_string(),
        };
        let summary = decisive(svc)
            .map(|s| sanitize(&s.summary).into_owned())
            .unwrap_or_default();
        writeln!(
            out,
            "{} {name:<width$}  {kind:<12} {:<18} {}",
            style.status(svc.verdict, symbol(svc.verdict)),
            style.status(svc.verdict, &where_),
            style.dim(&summary),
        )?;
    }

    for svc in report
        .services
        .iter()
        .filter(|s| matches!(s.verdict, Status::Fail | Status::Warn | Status::Unknown))
    {
        let Some(step) = decisive(svc) else { continue };
        writeln!(out)?;
        writeln!(
            out,
            "{} {}/{} — {} at {}: {}",
            style.status(svc.verdict, symbol(svc.verdict)),
            style.bold(&sanitize(&svc.namespace)),
            style.bold(&sanitize(&svc.name)),
            step.status,
            step.id,
            step.id.question()
        )?;
        for finding in step
            .findings
            .iter()
            .filter(|f| f.severity != Severity::Info || f.not_evaluated)
        {
            write_finding(finding, style, out)?;
        }
    }

    let failing_refs: Vec<_> = report
        .references
        .iter()
        .filter(|r| r.status != Status::Pass)
        .collect();
    if !failing_refs.is_empty() {
        writeln!(out)?;
        writeln!(out, "{}", style.bold("References"))?;
        for r in failing_refs {
            let port = r.port.map(|p| format!(":{p}")).unwrap_or_default();
            writeln!(
                out,
                "{} {} {}/{} ({}) → {}{port}: {}",
                style.status(r.status, symbol(r.status)),
                r.check,
                sanitize(&r.from.namespace),
                sanitize(&r.from.name),
                sanitize(&r.from.source),
                sanitize(&r.host),
                sanitize(&r.message),
            )?;
        }
    }
    Ok(())
}

/// The step that decides the verdict: the first failing one, else the first
/// with the verdict's status.
fn decisive(svc: &ServiceReport) -> Option<&StepReport> {
    svc.steps
        .iter()
        .find(|s| s.status == Status::Fail)
        .or_else(|| {
            svc.steps
                .iter()
                .find(|s| s.status == svc.verdict && s.status != Status::Pass)
        })
}

fn write_finding(finding: &Finding, style: Style, out: &mut impl Write) -> io::Result<()> {
    let status = match finding.severity {
        _ if finding.not_evaluated => Status::Unknown,
        Severity::Error => Status::Fail,
        Severity::Warning => Status::Warn,
        Severity::Info => Status::Pass,
    };
    writeln!(
        out,
        "  {} {} {}",
        style.status(status, symbol(status)),
        style.bold(finding.check),
        sanitize(&finding.message)
    )?;
    for line in &finding.evidence {
        for part in sanitize_multiline(line).lines() {
            writeln!(out, "      {}", style.dim(part))?;
        }
    }
    if let Some(fix) = &finding.fix {
        writeln!(out, "    fix: {}", sanitize(&fix.summary))?;
        for (i, cmd) in fix.commands.iter().enumerate() {
            // Commands are already shell-quoted. A line break inside a quoted
            // value is kept (the command stays exact); other control
            // characters are replaced, which only guards the terminal.
            writeln!(out, "      {}. {}", i + 1, sanitize_multiline(cmd))?;
        }
    }
    Ok(())
}
