//! Episode-level full-text queries (BM25 over title, summary and questions, `store::text`) and
//! the data citations need. Passages are ranked by `crate::index` over `store::index` rows.
//!
//! Callers pass a question's content words (`store::text` quotes each, the one sanitizer for user
//! text) and run every query of one search inside one read transaction (`Store::begin_read`), so
//! a concurrent reload is seen entirely or not at all.

use std::collections::HashMap;

use super::{
    text::{self, Fields},
    Store, StoreError, Tx,
};
use crate::db;

/// One matching episode (title/summary/questions); `score` is BM25 made positive.
#[derive(Debug, Clone, PartialEq)]
pub struct EpisodeHit {
    pub episode: i64,
    pub score: f64,
}

/// What a citation needs of an episode, with its transcript for slicing passage text.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PassageText {
    pub id: i64,
    pub episode_id: String,
    pub url: String,
    pub title: String,
    pub length_s: Option<i64>,
    pub total_words: i64,
    pub transcript: String,
    /// `word_times::encode`d times of the words, when the episode came with them.
    pub word_times: Option<Vec<u8>>,
}

impl Store {
    /// Internal id of an episode given its public `episode_id`.
    pub async fn episode_key(tx: &mut Tx, episode_id: &str) -> Result<Option<i64>, StoreError> {
        Ok(db!(tx, |c| sqlx::query_scalar(
            "SELECT id FROM episodes WHERE episode_id = $1"
        )
        .bind(episode_id)
        .fetch_optional(c)
        .await)?)
    }

    /// Episodes whose title, summary (and, unless `use_questions` is false, generated questions) match.
    pub async fn search_episodes(
        tx: &mut Tx,
        words: &[String],
        use_questions: bool,
        weights: [f64; 3],
        limit: usize,
    ) -> Result<Vec<EpisodeHit>, StoreError> {
        let fields = if use_questions {
            Fields::All
        } else {
            Fields::TitleSummary
        };
        let rows = text::rank(tx, words, fields, weights, limit).await?;
        Ok(rows
            .into_iter()
            .map(|(episode, score)| EpisodeHit { episode, score })
            .collect())
    }

    /// Citation data and transcripts of the given internal episode ids.
    pub async fn passage_texts(
        tx: &mut Tx,
        episodes: &[i64],
    ) -> Result<HashMap<i64, PassageText>, StoreError> {
        let mut out = HashMap::with_capacity(episodes.len());
        for id in episodes {
            if out.contains_key(id) {
                continue;
            }
            let row: Option<PassageText> = db!(&mut *tx, |c| {
                sqlx::query_as(
                "SELECT id, episode_id, url, title, length_s, total_words, transcript, word_times FROM episodes WHERE id = $1",
            )
            .bind(id)
            .fetch_optional(c)
            .await
            })?;
            if let Some(r) = row {
                out.insert(*id, r);
            }
        }
        Ok(out)
    }
}
