//! What words the archive holds at all, for the not-covered check (`retrieve::gate`): index terms
//! without their postings, and titles and summaries through the episode text index.

use std::collections::HashMap;

use super::{
    bulk::placeholders,
    text::{self, Fields},
    Store, StoreError, Tx,
};
use crate::db;

impl Store {
    /// Of `terms` (index terms), those some transcript holds, with the number of windows that
    /// hold them (their postings are not read).
    pub async fn known_terms(
        tx: &mut Tx,
        terms: &[String],
    ) -> Result<HashMap<String, i64>, StoreError> {
        if terms.is_empty() {
            return Ok(HashMap::new());
        }
        let sql = format!(
            "SELECT term, windows FROM postings WHERE term IN ({})",
            placeholders(1, terms.len())
        );
        let rows: Vec<(String, i64)> = db!(tx, |c| {
            let mut q = sqlx::query_as(&sql);
            for t in terms {
                q = q.bind(t);
            }
            q.fetch_all(c).await
        })?;
        Ok(rows.into_iter().collect())
    }

    /// Whether an index term starts with `prefix` and is at most `extra` characters longer.
    pub async fn term_extends(tx: &mut Tx, prefix: &str, extra: usize) -> Result<bool, StoreError> {
        // Terms compare bytewise on both backends (Postgres: `COLLATE "C"`).
        let upper = format!("{prefix}\u{10FFFF}");
        let longer: Vec<String> = db!(tx, |c| {
            sqlx::query_scalar(
            "SELECT term FROM postings WHERE term > $1 AND term < $2 ORDER BY length(term) LIMIT 1",
        )
        .bind(prefix)
        .bind(upper)
        .fetch_all(c)
        .await
        })?;
        Ok(longer
            .first()
            .is_some_and(|t| t.chars().count() <= prefix.chars().count() + extra))
    }

    /// Whether a title or summary holds `word` (a content word).
    pub async fn titles_or_summaries_match(tx: &mut Tx, word: &str) -> Result<bool, StoreError> {
        let found = text::matching(tx, &[word.to_string()], false, Fields::TitleSummary, 1).await?;
        Ok(!found.is_empty())
    }

    /// Episodes whose title holds any of `words` (every one of them with `all`), with their
    /// titles, in id order (at most `limit`).
    pub async fn titles_matching(
        tx: &mut Tx,
        words: &[String],
        all: bool,
        limit: usize,
    ) -> Result<Vec<(i64, String)>, StoreError> {
        let ids = text::matching(tx, words, all, Fields::Title, limit).await?;
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            let title: Option<String> = db!(&mut *tx, |c| sqlx::query_scalar(
                "SELECT title FROM episodes WHERE id = $1"
            )
            .bind(id)
            .fetch_optional(c)
            .await)?;
            out.extend(title.map(|t| (id, t)));
        }
        Ok(out)
    }

    /// An episode's transcript by its public id.
    pub async fn transcript(&self, episode_id: &str) -> Result<Option<String>, StoreError> {
        Ok(db!(&self.pool, |c| sqlx::query_scalar(
            "SELECT transcript FROM episodes WHERE episode_id = $1"
        )
        .bind(episode_id)
        .fetch_optional(c)
        .await)?)
    }
}
