//! Adding episodes to the stored archive: a merge, where a reload replaces. A new URL is inserted,
//! a stored URL whose content changed is replaced (its old row, questions and anything else keyed
//! to it go), every other episode stays. Everything happens in one write transaction with the
//! passage index rebuilt inside it, as a reload does (the index's statistics cover every window),
//! so readers see the archive before or after the add, never a mix. Logged in `reloads`.

use std::fmt;

use serde::Serialize;

use super::{
    bulk, index,
    reload::{content_hash, insert_log},
    text, ReloadError, ReloadReport, Store, Tx,
};
use crate::{chunk, cite, dataset::Episode, db};

/// What happened to one episode of an add.
#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum AddOutcome {
    Added,
    Updated,
    Unchanged,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct AddedEpisode {
    pub episode_id: String,
    pub url: String,
    pub title: String,
    pub outcome: AddOutcome,
    pub words: i64,
    pub passages: usize,
    pub length_s: Option<i64>,
    /// The episode has word times (its citations are exact).
    pub word_times: bool,
}

/// What `gdbot add` prints (`--json`: this, serialized).
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct AddReport {
    pub source: String,
    pub episodes: Vec<AddedEpisode>,
    pub added: usize,
    pub updated: usize,
    pub unchanged: usize,
    /// Episodes in the archive afterwards.
    pub archive_episodes: i64,
    pub warnings: Vec<String>,
}

impl fmt::Display for AddReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: {} added, {} updated, {} unchanged; the archive has {} episodes",
            self.source, self.added, self.updated, self.unchanged, self.archive_episodes
        )?;
        for e in &self.episodes {
            let outcome = match e.outcome {
                AddOutcome::Added => "added",
                AddOutcome::Updated => "updated",
                AddOutcome::Unchanged => "unchanged",
            };
            let length = e
                .length_s
                .map(|s| format!(", {}", cite::format_at(s, true)))
                .unwrap_or_default();
            let times = if e.word_times {
                "word times (exact citations)"
            } else {
                "no word times (estimated citations)"
            };
            write!(
                f,
                "\n  {outcome} {} “{}”: {} words, {} passages{length}, {times}",
                e.episode_id, e.title, e.words, e.passages
            )?;
        }
        for w in &self.warnings {
            write!(f, "\n  warning: {w}")?;
        }
        Ok(())
    }
}

impl Store {
    /// Merge `episodes` (validated, at most one per URL and per episode id) into the archive.
    /// An episode id already stored under another URL is refused and nothing changes.
    pub async fn add_episodes(
        &self,
        episodes: &[Episode],
        source: &str,
        warnings: Vec<String>,
    ) -> Result<AddReport, ReloadError> {
        let mut tx = self.begin_write().await?;
        let mut next_id: i64 = db!(&mut tx, |c| sqlx::query_scalar(
            "SELECT COALESCE(MAX(id), 0) + 1 FROM episodes"
        )
        .fetch_one(c)
        .await)?;
        let mut inserts: Vec<(&Episode, String)> = Vec::new();
        let mut ids = Vec::new();
        let mut report = AddReport {
            source: source.to_string(),
            episodes: Vec::with_capacity(episodes.len()),
            added: 0,
            updated: 0,
            unchanged: 0,
            archive_episodes: 0,
            warnings,
        };
        for ep in episodes {
            let hash = content_hash(ep);
            let outcome = match stored(&mut tx, ep).await? {
                Some((_, stored_hash)) if stored_hash == hash => AddOutcome::Unchanged,
                Some((id, _)) => {
                    remove(&mut tx, id).await?;
                    AddOutcome::Updated
                }
                None => AddOutcome::Added,
            };
            match outcome {
                AddOutcome::Added => report.added += 1,
                AddOutcome::Updated => report.updated += 1,
                AddOutcome::Unchanged => report.unchanged += 1,
            }
            if outcome != AddOutcome::Unchanged {
                inserts.push((ep, hash));
                ids.push(next_id);
                next_id += 1;
            }
            report.episodes.push(AddedEpisode {
                episode_id: ep.episode_id.clone(),
                url: ep.url.clone(),
                title: ep.title.clone(),
                outcome,
                words: ep.total_words,
                passages: chunk::spans(ep.total_words as usize).len(),
                length_s: ep.length_s,
                word_times: ep.word_times_ms.is_some(),
            });
        }
        if !inserts.is_empty() {
            let started = std::time::Instant::now();
            let hidden = indicatif::ProgressBar::hidden();
            bulk::insert_with_ids(&mut tx, &inserts, &ids, &hidden).await?;
            index::rebuild(&mut tx).await?;
            tracing::debug!(
                ms = started.elapsed().as_millis() as u64,
                "episodes added, index rebuilt"
            );
        }
        report.archive_episodes = db!(&mut tx, |c| sqlx::query_scalar(
            "SELECT COUNT(*) FROM episodes"
        )
        .fetch_one(c)
        .await)?;
        let log = ReloadReport {
            source: report.source.clone(),
            dry_run: false,
            episodes: episodes.len(),
            questions: episodes.iter().map(|e| e.questions.len()).sum(),
            passages: report.episodes.iter().map(|e| e.passages).sum(),
            added: report.added,
            updated: report.updated,
            removed: 0,
            unchanged: report.unchanged,
            repaired_fields: 0,
            warnings: report.warnings.clone(),
        };
        insert_log(&mut tx, &log, "ok", Some("add")).await?;
        tx.commit().await?;
        Ok(report)
    }
}

/// The stored row (id, content hash) of `ep`'s URL; an error when its episode id belongs to
/// another stored URL (the same video under another address).
async fn stored(tx: &mut Tx, ep: &Episode) -> Result<Option<(i64, String)>, ReloadError> {
    let by_id: Option<String> = db!(&mut *tx, |c| sqlx::query_scalar(
        "SELECT url FROM episodes WHERE episode_id = $1"
    )
    .bind(&ep.episode_id)
    .fetch_optional(c)
    .await)?;
    if let Some(stored_url) = by_id.filter(|u| *u != ep.url) {
        return Err(ReloadError::IdTaken {
            url: ep.url.clone(),
            episode_id: ep.episode_id.clone(),
            stored_url,
        });
    }
    Ok(db!(tx, |c| sqlx::query_as(
        "SELECT id, content_hash FROM episodes WHERE url = $1"
    )
    .bind(&ep.url)
    .fetch_optional(c)
    .await)?)
}

/// Remove a stored episode (its questions and other rows keyed to it cascade).
async fn remove(tx: &mut Tx, id: i64) -> Result<(), sqlx::Error> {
    text::delete(tx, id).await?;
    db!(tx, |c| sqlx::query("DELETE FROM episodes WHERE id = $1")
        .bind(id)
        .execute(c)
        .await
        .map(super::affected))?;
    Ok(())
}
