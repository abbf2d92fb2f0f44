//! Episode-level full-text queries (SQLite FTS5, BM25 over title, summary and questions) and the
//! data citations need. Passages are ranked by `crate::index` over `store::index` rows.
//!
//! Callers pass a MATCH expression built by `retrieve::fts_query` (the one sanitizer for user text)
//! and run every query of one search inside one read transaction (`Store::begin_read`), so a
//! concurrent reload is seen entirely or not at all.

use std::collections::HashMap;

use sqlx::{Sqlite, SqliteConnection, Transaction};

use super::{Store, StoreError};

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
    /// A read transaction: every query in it sees one snapshot of the database.
    pub async fn begin_read(&self) -> Result<Transaction<'static, Sqlite>, StoreError> {
        Ok(self.pool.begin().await?)
    }

    /// Internal id of an episode given its public `episode_id`.
    pub async fn episode_key(
        conn: &mut SqliteConnection,
        episode_id: &str,
    ) -> Result<Option<i64>, StoreError> {
        Ok(
            sqlx::query_scalar("SELECT id FROM episodes WHERE episode_id = ?")
                .bind(episode_id)
                .fetch_optional(conn)
                .await?,
        )
    }

    /// Episodes whose title, summary (and, unless `use_questions` is false, generated questions) match.
    pub async fn search_episodes(
        conn: &mut SqliteConnection,
        fts_match: &str,
        use_questions: bool,
        weights: [f64; 3],
        limit: usize,
    ) -> Result<Vec<EpisodeHit>, StoreError> {
        let expr = if use_questions {
            fts_match.to_string()
        } else {
            format!("{{title summary}} : ({fts_match})")
        };
        let rows: Vec<(i64, f64)> = sqlx::query_as(
            "SELECT rowid, -bm25(episodes_fts, ?2, ?3, ?4) AS s FROM episodes_fts WHERE episodes_fts MATCH ?1
             ORDER BY s DESC LIMIT ?5",
        )
        .bind(expr)
        .bind(weights[0])
        .bind(weights[1])
        .bind(weights[2])
        .bind(limit as i64)
        .fetch_all(conn)
        .await?;
        Ok(rows
            .into_iter()
            .map(|(episode, score)| EpisodeHit { episode, score })
            .collect())
    }

    /// Citation data and transcripts of the given internal episode ids.
    pub async fn passage_texts(
        conn: &mut SqliteConnection,
        episodes: &[i64],
    ) -> Result<HashMap<i64, PassageText>, StoreError> {
        let mut out = HashMap::with_capacity(episodes.len());
        for id in episodes {
            if out.contains_key(id) {
                continue;
            }
            let row: Option<PassageText> = sqlx::query_as(
                "SELECT id, episode_id, url, title, length_s, total_words, transcript, word_times FROM episodes WHERE id = ?",
            )
            .bind(id)
            .fetch_optional(&mut *conn)
            .await?;
            if let Some(r) = row {
                out.insert(*id, r);
            }
        }
        Ok(out)
    }
}
