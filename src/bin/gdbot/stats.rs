//! `gdbot stats`: what the community asked over the last N days (`App::stats`) as text or one
//! JSON document, and with `--png FILE` the chart of questions per day written to FILE.

use std::{path::Path, process::ExitCode};

use anyhow::{Context, Result};

use crate::{args::StatsArgs, out::out, print};
use serde::Serialize;

use gdbot::{stats::StatsReport, App};

pub async fn cmd_stats(app: App, a: StatsArgs, json: bool) -> Result<ExitCode> {
    let report = app.stats(a.days).await?;
    if let Some(path) = &a.png {
        let png = app.stats_chart(&report).await?;
        write_png(path, &png)?;
    }
    if json {
        print::json(&Doc {
            report: &report,
            png: a.png.as_ref().map(|p| p.display().to_string()),
        })?;
    } else {
        out!("{}", report.to_string().trim_end());
        if let Some(path) = &a.png {
            out!("\nChart: {}", path.display());
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `--json`: the report, and where the chart was written.
#[derive(Serialize)]
struct Doc<'a> {
    #[serde(flatten)]
    report: &'a StatsReport,
    #[serde(skip_serializing_if = "Option::is_none")]
    png: Option<String>,
}

/// Write the chart; a failure names the file.
fn write_png(path: &Path, png: &[u8]) -> Result<()> {
    std::fs::write(path, png)
        .with_context(|| format!("--png {}: cannot write the chart", path.display()))
}
