//! What words the archive holds at all, for the not-covered check (`retrieve::gate`): index terms
//! without their postings, and titles and summaries through FTS5.

use std::collections::HashMap;

use sqlx::SqliteConnection;

use super::{Store, StoreError};

impl Store {
    /// Of `terms` (index terms), those some transcript holds, with the number of windows that
    /// hold them (their postings are not read).
    pub async fn known_terms(
        conn: &mut SqliteConnection,
        terms: &[String],
    ) -> Result<HashMap<String, i64>, StoreError> {
        if terms.is_empty() {
            return Ok(HashMap::new());
        }
        let sql = format!(
            "SELECT term, windows FROM postings WHERE term IN ({})",
            vec!["?"; terms.len()].join(",")
        );
        let mut q = sqlx::query_as(&sql);
        for t in terms {
            q = q.bind(t);
        }
        Ok(q.fetch_all(conn).await?.into_iter().collect())
    }

    /// Whether an index term starts with `prefix` and is at most `extra` characters longer.
    pub async fn term_extends(
        conn: &mut SqliteConnection,
        prefix: &str,
        extra: usize,
    ) -> Result<bool, StoreError> {
        let upper = format!("{prefix}\u{10FFFF}");
        let longer: Vec<String> = sqlx::query_scalar(
            "SELECT term FROM postings WHERE term > ?1 AND term < ?2 ORDER BY length(term) LIMIT 1",
        )
        .bind(prefix)
        .bind(upper)
        .fetch_all(conn)
        .await?;
        Ok(longer
            .first()
            .is_some_and(|t| t.chars().count() <= prefix.chars().count() + extra))
    }

    /// Whether a title or summary matches `fts_match` (one term, built by `retrieve::fts_query`).
    pub async fn titles_or_summaries_match(
        conn: &mut SqliteConnection,
        fts_match: &str,
    ) -> Result<bool, StoreError> {
        let found: Option<i64> =
            sqlx::query_scalar("SELECT rowid FROM episodes_fts WHERE episodes_fts MATCH ? LIMIT 1")
                .bind(format!("{{title summary}} : ({fts_match})"))
                .fetch_optional(conn)
                .await?;
        Ok(found.is_some())
    }

    /// Episodes whose title matches `fts_match`, with their titles (at most `limit`).
    pub async fn titles_matching(
        conn: &mut SqliteConnection,
        fts_match: &str,
        limit: usize,
    ) -> Result<Vec<(i64, String)>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT e.id, e.title FROM episodes_fts JOIN episodes e ON e.id = episodes_fts.rowid
             WHERE episodes_fts MATCH ?1 LIMIT ?2",
        )
        .bind(format!("{{title}} : ({fts_match})"))
        .bind(limit as i64)
        .fetch_all(conn)
        .await?)
    }

    /// An episode's transcript by its public id.
    pub async fn transcript(&self, episode_id: &str) -> Result<Option<String>, StoreError> {
        Ok(
            sqlx::query_scalar("SELECT transcript FROM episodes WHERE episode_id = ?")
                .bind(episode_id)
                .fetch_optional(&self.pool)
                .await?,
        )
    }
}
