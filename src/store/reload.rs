//! Atomic dataset replacement: the whole file is validated before this runs, and every change
//! happens in one write transaction, so readers see the old dataset or the new one, never a mix.

use std::collections::HashMap;

use indicatif::ProgressBar;
use serde::Serialize;
use sha2::{Digest, Sha256};
use sqlx::{Sqlite, Transaction};

use super::{Store, StoreError, NOW};
use crate::{
    chunk,
    dataset::{Dataset, DatasetError, Episode},
    fold::fold,
};

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
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<sqlx::Error> for ReloadError {
    fn from(e: sqlx::Error) -> Self {
        ReloadError::Store(StoreError::Sql(e))
    }
}

/// Rows per multi-row INSERT (well under SQLite's bound-parameter limit).
const BATCH_ROWS: usize = 200;

impl Store {
    /// Replace the stored dataset with `dataset` (or only compute the report when `dry_run`).
    pub async fn reload(
        &self,
        dataset: &Dataset,
        dry_run: bool,
        progress: &ProgressBar,
    ) -> Result<ReloadReport, ReloadError> {
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        let stored: Vec<(String, String)> =
            sqlx::query_as("SELECT url, content_hash FROM episodes")
                .fetch_all(&mut *tx)
                .await?;
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
        let mut to_insert = Vec::new();
        for ep in &dataset.episodes {
            let hash = content_hash(ep);
            report.passages += chunk::spans(ep.total_words as usize).len();
            match old.remove(ep.url.as_str()) {
                Some(h) if h == hash => report.unchanged += 1,
                Some(_) => {
                    report.updated += 1;
                    to_insert.push((ep, hash));
                }
                None => {
                    report.added += 1;
                    to_insert.push((ep, hash));
                }
            }
        }
        report.removed = old.len();
        if dry_run {
            tx.rollback().await?;
            self.log_reload(&report, "dry-run", None).await?;
            return Ok(report);
        }
        let deletes = report.updated + report.removed > 0;
        if deletes {
            // FTS5 contentless tables do not take deleted rows out of their BM25 statistics, so any
            // change that deletes rebuilds the whole dataset instead: same ranking as a fresh import.
            clear_all(&mut tx).await?;
            to_insert = dataset
                .episodes
                .iter()
                .map(|ep| (ep, content_hash(ep)))
                .collect();
        }
        progress.set_length(to_insert.len() as u64);
        let mut next_passage: i64 =
            sqlx::query_scalar("SELECT COALESCE(MAX(id), 0) + 1 FROM passages")
                .fetch_one(&mut *tx)
                .await?;
        for (ep, hash) in &to_insert {
            next_passage = insert_episode(&mut tx, ep, hash, next_passage).await?;
            progress.inc(1);
        }
        if !to_insert.is_empty() || deletes {
            // Merge index segments after a bulk change: fewer b-trees for every later query.
            sqlx::query("INSERT INTO passages_fts(passages_fts) VALUES('optimize')")
                .execute(&mut *tx)
                .await?;
        }
        insert_log(&mut tx, &report, "ok", None).await?;
        tx.commit().await?;
        progress.finish_and_clear();
        Ok(report)
    }

    /// Record a rejected reload attempt (the stored dataset was not touched).
    pub async fn log_rejected(&self, source: &str, message: &str) -> Result<(), StoreError> {
        sqlx::query(&format!(
            "INSERT INTO reloads (at, source, outcome, message) VALUES ({NOW}, ?, 'rejected', ?)"
        ))
        .bind(source)
        .bind(message)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn log_reload(
        &self,
        r: &ReloadReport,
        outcome: &str,
        message: Option<&str>,
    ) -> Result<(), StoreError> {
        let mut conn = self.pool.acquire().await?;
        insert_log(&mut conn, r, outcome, message).await?;
        Ok(())
    }
}

async fn insert_log(
    conn: &mut sqlx::SqliteConnection,
    r: &ReloadReport,
    outcome: &str,
    message: Option<&str>,
) -> Result<(), sqlx::Error> {
    sqlx::query(&format!(
        "INSERT INTO reloads (at, source, outcome, added, updated, removed, unchanged, repaired_fields, warnings, message)
         VALUES ({NOW}, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
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
    .execute(conn)
    .await?;
    Ok(())
}

async fn clear_all(tx: &mut Transaction<'_, Sqlite>) -> Result<(), sqlx::Error> {
    for sql in [
        "INSERT INTO passages_fts(passages_fts) VALUES('delete-all')",
        "INSERT INTO episodes_fts(episodes_fts) VALUES('delete-all')",
        "DELETE FROM questions",
        "DELETE FROM passages",
        "DELETE FROM episodes",
    ] {
        sqlx::query(sql).execute(&mut **tx).await?;
    }
    Ok(())
}

/// Insert one episode with its questions, passages and index rows; returns the next passage id.
async fn insert_episode(
    tx: &mut Transaction<'_, Sqlite>,
    ep: &Episode,
    hash: &str,
    mut next_passage: i64,
) -> Result<i64, sqlx::Error> {
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO episodes (episode_id, url, title, publish_date, length_s, total_words, transcript, summary, search_title, content_hash)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
    )
    .bind(&ep.episode_id)
    .bind(&ep.url)
    .bind(&ep.title)
    .bind(&ep.publish_date)
    .bind(ep.length_s)
    .bind(ep.total_words)
    .bind(&ep.transcript)
    .bind(&ep.summary)
    .bind(fold(&ep.title))
    .bind(hash)
    .fetch_one(&mut **tx)
    .await?;
    for (batch_no, batch) in ep.questions.chunks(BATCH_ROWS).enumerate() {
        let sql = multi_row(
            "INSERT INTO questions (episode, position, text) VALUES ",
            3,
            batch.len(),
        );
        let mut q = sqlx::query(&sql);
        for (i, text) in batch.iter().enumerate() {
            q = q
                .bind(id)
                .bind((batch_no * BATCH_ROWS + i) as i64)
                .bind(text);
        }
        q.execute(&mut **tx).await?;
    }
    sqlx::query("INSERT INTO episodes_fts (rowid, title, summary, questions) VALUES (?, ?, ?, ?)")
        .bind(id)
        .bind(&ep.title)
        .bind(ep.summary.as_deref().unwrap_or(""))
        .bind(ep.questions.join("\n"))
        .execute(&mut **tx)
        .await?;
    let bounds = chunk::word_bounds(&ep.transcript);
    let spans = chunk::spans(bounds.len());
    for batch in spans.chunks(BATCH_ROWS) {
        let sql = multi_row(
            "INSERT INTO passages (id, episode, start_word, end_word) VALUES ",
            4,
            batch.len(),
        );
        let fts_sql = multi_row(
            "INSERT INTO passages_fts (rowid, text) VALUES ",
            2,
            batch.len(),
        );
        let mut q = sqlx::query(&sql);
        let mut fts = sqlx::query(&fts_sql);
        for (i, s) in batch.iter().enumerate() {
            let pid = next_passage + i as i64;
            q = q
                .bind(pid)
                .bind(id)
                .bind(s.start_word as i64)
                .bind(s.end_word as i64);
            fts = fts.bind(pid).bind(chunk::slice(
                &ep.transcript,
                &bounds,
                s.start_word,
                s.end_word,
            ));
        }
        q.execute(&mut **tx).await?;
        fts.execute(&mut **tx).await?;
        next_passage += batch.len() as i64;
    }
    Ok(next_passage)
}

/// `PREFIX (?,?,…),(?,?,…)…` with `rows` groups of `cols` placeholders.
fn multi_row(prefix: &str, cols: usize, rows: usize) -> String {
    let group = format!("({})", vec!["?"; cols].join(","));
    let mut s = String::with_capacity(prefix.len() + rows * (group.len() + 1));
    s.push_str(prefix);
    for i in 0..rows {
        if i > 0 {
            s.push(',');
        }
        s.push_str(&group);
    }
    s
}

/// Hash of everything stored for an episode plus the chunking scheme.
fn content_hash(ep: &Episode) -> String {
    let mut h = Sha256::new();
    for part in [
        chunk::SCHEME,
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
    format!("{:x}", h.finalize())
}
