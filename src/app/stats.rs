//! What the community asks: the answer log of the last N days summed up, and its chart, for
//! /stats and `gdbot stats`.

use super::App;
use crate::stats::{self, StatsError, StatsReport};

impl App {
    /// The report of the last `days` days, today included (1–365; UTC days).
    pub async fn stats(&self, days: u32) -> Result<StatsReport, StatsError> {
        let days = stats::check_days(days)?;
        // Answers still queued for the log are part of the period.
        self.store.flush_log().await;
        let log = self.store.log_stats(days, stats::TOP).await?;
        Ok(StatsReport::from_log(days, log))
    }

    /// The report's chart as a PNG (questions per day by kind), drawn off the async workers.
    pub async fn stats_chart(&self, report: &StatsReport) -> Result<Vec<u8>, StatsError> {
        let report = report.clone();
        match tokio::task::spawn_blocking(move || stats::chart::png(&report)).await {
            Ok(drawn) => Ok(drawn?),
            Err(e) => Err(StatsError::Chart(stats::ChartError::Draw(format!(
                "the drawing task failed: {e}"
            )))),
        }
    }
}
