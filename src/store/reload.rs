//! Atomic dataset replacement: the whole file is validated before this runs, and every change
//! happens in one write transaction, so readers see the old dataset or the new one, never a mix.

use std::{collections::HashMap, sync::Arc};

use super::{bulk, index, text, Store, StoreError, Tx};
use crate::db;
use crate::{
    chunk,
    dataset::{Dataset, DatasetError, Episode},
};
use indicatif::ProgressBar;
use serde::Serialize;
use sha2::{Digest, Sha256};

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct ReloadReport {
    pub source: String,
    pub dry_run: bool,
    pub episodes: usize,
    pub questions: usize,
    pub passages: usize,
    pub added: usize,
    pub updated: usize,
    pub removed: usize,
    pub unchanged: usize,
    pub repaired_fields: usize,
    pub warnings: Vec<String>,
}

impl std::fmt::Display for ReloadReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let verb = if self.dry_run {
            "would import"
        } else {
            "imported"
        };
        write!(
            f,
            "{}: {verb} {} episodes ({} questions, {} passages): {} added, {} updated, {} removed, {} unchanged; {} fields repaired (mojibake); {} warning(s)",
            self.source,
            self.episodes,
            self.questions,
            self.passages,
            self.added,
            self.updated,
            self.removed,
            self.unchanged,
            self.repaired_fields,
            self.warnings.len()
        )?;
        for w in &self.warnings {
            write!(f, "\n  warning: {w}")?;
        }
        Ok(())
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ReloadError {
    #[error(transparent)]
    Dataset(#[from] DatasetError),
    #[error("{source_name}: has no episodes; refusing to replace the {stored} stored episodes with nothing")]
    WouldEmpty { source_name: String, stored: i64 },
    #[error("`{key}` is in both {first} and {second}; each episode may appear in one file only")]
    DuplicateAcrossFiles {
        key: String,
        first: String,
        second: String,
    },
    #[error("{url}: its episode id `{episode_id}` is that of the stored episode {stored_url}; add it with that URL to update it")]
    IdTaken {
        url: String,
        episode_id: String,
        stored_url: String,
    },
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<sqlx::Error> for ReloadError {
    fn from(e: sqlx::Error) -> Self {
        ReloadError::Store(StoreError::Sql(e))
    }
}

impl Store {
    /// Replace the stored dataset with `dataset` (or only compute the report when `dry_run`).
    pub async fn reload(
        &self,
        dataset: Arc<Dataset>,
        dry_run: bool,
        progress: &ProgressBar,
    ) -> Result<ReloadReport, ReloadError> {
        let mut tx = self.begin_write().await?;
        let stored: Vec<(String, String)> = db!(&mut tx, |c| sqlx::query_as(
            "SELECT url, content_hash FROM episodes"
        )
        .fetch_all(c)
        .await)?;
        if dataset.episodes.is_empty() && !stored.is_empty() {
            return Err(ReloadError::WouldEmpty {
                source_name: dataset.source.clone(),
                stored: stored.len() as i64,
            });
        }
        let mut old: HashMap<&str, &str> = stored
            .iter()
            .map(|(u, h)| (u.as_str(), h.as_str()))
            .collect();
        let mut report = ReloadReport {
            source: dataset.source.clone(),
            dry_run,
            episodes: dataset.episodes.len(),
            questions: dataset.episodes.iter().map(|e| e.questions.len()).sum(),
            passages: 0,
            added: 0,
            updated: 0,
            removed: 0,
            unchanged: 0,
            repaired_fields: dataset.repaired_fields,
            warnings: dataset.warnings.clone(),
        };
        let hashes: Vec<String> = dataset.episodes.iter().map(content_hash).collect();
        for (ep, hash) in dataset.episodes.iter().zip(&hashes) {
            report.passages += chunk::spans(ep.total_words as usize).len();
            match old.remove(ep.url.as_str()) {
                Some(h) if h == hash.as_str() => report.unchanged += 1,
                Some(_) => report.updated += 1,
                None => report.added += 1,
            }
        }
        report.removed = old.len();
        if dry_run {
            tx.rollback().await?;
            self.log_reload(&report, "dry-run", None).await?;
            return Ok(report);
        }
        let started = std::time::Instant::now();
        if report.added + report.updated + report.removed > 0 {
            // Any change rewrites the whole dataset and its index (ids 1, 2, … in file order): the
            // index's statistics cover every window, and rebuilding costs about what updating would.
            clear_all(&mut tx).await?;
            let build = index::spawn_build(dataset.clone(), 1);
            let all: Vec<(&Episode, String)> = dataset.episodes.iter().zip(hashes).collect();
            progress.set_length(all.len() as u64);
            bulk::insert_all(&mut tx, &all, progress).await?;
            tracing::debug!(
                ms = started.elapsed().as_millis() as u64,
                "episodes inserted"
            );
            let built = build.await.map_err(index::build_failed)?;
            tracing::debug!(ms = started.elapsed().as_millis() as u64, "index built");
            index::write_index(&mut tx, &built).await?;
            tracing::debug!(ms = started.elapsed().as_millis() as u64, "index written");
        }
        insert_log(&mut tx, &report, "ok", None).await?;
        tx.commit().await?;
        tracing::debug!(ms = started.elapsed().as_millis() as u64, "committed");
        progress.finish_and_clear();
        Ok(report)
    }

    /// Record a rejected reload attempt (the stored dataset was not touched).
    pub async fn log_rejected(&self, source: &str, message: &str) -> Result<(), StoreError> {
        db!(&self.pool, |c, d| sqlx::query(&format!(
            "INSERT INTO reloads (at, source, outcome, message) VALUES ({}, $1, 'rejected', $2)",
            d.now()
        ))
        .bind(source)
        .bind(message)
        .execute(c)
        .await
        .map(super::affected))?;
        Ok(())
    }

    async fn log_reload(
        &self,
        r: &ReloadReport,
        outcome: &str,
        message: Option<&str>,
    ) -> Result<(), StoreError> {
        let mut tx = self.begin().await?;
        insert_log(&mut tx, r, outcome, message).await?;
        tx.commit().await?;
        Ok(())
    }
}

pub(super) async fn insert_log(
    tx: &mut Tx,
    r: &ReloadReport,
    outcome: &str,
    message: Option<&str>,
) -> Result<(), sqlx::Error> {
    db!(tx, |c, d| {
        sqlx::query(&format!(
        "INSERT INTO reloads (at, source, outcome, added, updated, removed, unchanged, repaired_fields, warnings, message)
         VALUES ({}, $1, $2, $3, $4, $5, $6, $7, $8, $9)",
        d.now()
    ))
    .bind(&r.source)
    .bind(outcome)
    .bind(r.added as i64)
    .bind(r.updated as i64)
    .bind(r.removed as i64)
    .bind(r.unchanged as i64)
    .bind(r.repaired_fields as i64)
    .bind(r.warnings.len() as i64)
    .bind(message)
    .execute(c)
    .await.map(super::affected)
    })?;
    Ok(())
}

async fn clear_all(tx: &mut Tx) -> Result<(), sqlx::Error> {
    text::clear(tx).await?;
    for sql in ["DELETE FROM questions", "DELETE FROM episodes"] {
        db!(&mut *tx, |c| sqlx::query(sql)
            .execute(c)
            .await
            .map(super::affected))?;
    }
    Ok(())
}

/// Hash of everything stored for an episode plus the chunking and index schemes.
pub(super) fn content_hash(ep: &Episode) -> String {
    let mut h = Sha256::new();
    for part in [
        chunk::SCHEME,
        crate::index::SCHEME,
        &ep.episode_id,
        &ep.title,
        ep.publish_date.as_deref().unwrap_or(""),
        &ep.length_s.map(|n| n.to_string()).unwrap_or_default(),
        &ep.transcript,
        ep.summary.as_deref().unwrap_or(""),
    ] {
        h.update(part.as_bytes());
        h.update([0x1f]);
    }
    for q in &ep.questions {
        h.update(q.as_bytes());
        h.update([0x1e]);
    }
    // Only when there are times: episodes without them keep the hashes they had before.
    if let Some(times) = &ep.word_times_ms {
        h.update([0x1d]);
        h.update(crate::dataset::word_times::encode(times));
    }
    format!("{:x}", h.finalize())
}
