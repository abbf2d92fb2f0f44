//! Episode listing and lookup by id, URL or words of the title.

use std::collections::HashSet;

use serde::Serialize;

use super::{Dialect, Store, StoreError};
use crate::{db, fold::fold};

#[derive(Debug, Clone, Serialize, PartialEq, Eq, sqlx::FromRow)]
pub struct EpisodeRow {
    pub episode_id: String,
    pub url: String,
    pub title: String,
    pub publish_date: Option<String>,
    pub length_s: Option<i64>,
    pub total_words: i64,
    pub n_questions: i64,
    pub has_summary: bool,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct EpisodeDetail {
    #[serde(flatten)]
    pub row: EpisodeRow,
    pub summary: Option<String>,
    pub questions: Vec<String>,
}

const ROW_SELECT: &str =
    "SELECT e.episode_id, e.url, e.title, e.publish_date, e.length_s, e.total_words,
    (SELECT COUNT(*) FROM questions q WHERE q.episode = e.id) AS n_questions,
    (e.summary IS NOT NULL AND e.summary <> '') AS has_summary
    FROM episodes e";

impl Store {
    /// All episodes, newest first.
    pub async fn episodes(&self) -> Result<Vec<EpisodeRow>, StoreError> {
        let sql = format!("{ROW_SELECT} ORDER BY e.publish_date DESC NULLS LAST, e.id");
        Ok(db!(&self.pool, |c| sqlx::query_as(&sql)
            .fetch_all(c)
            .await)?)
    }

    /// One episode by its `episode_id`, with summary and questions.
    pub async fn episode(&self, episode_id: &str) -> Result<Option<EpisodeDetail>, StoreError> {
        let sql = format!("{ROW_SELECT} WHERE e.episode_id = $1");
        let row: Option<EpisodeRow> = db!(&self.pool, |c| sqlx::query_as(&sql)
            .bind(episode_id)
            .fetch_optional(c)
            .await)?;
        let Some(row) = row else { return Ok(None) };
        let summary: Option<String> = db!(&self.pool, |c| sqlx::query_scalar(
            "SELECT summary FROM episodes WHERE episode_id = $1"
        )
        .bind(episode_id)
        .fetch_one(c)
        .await)?;
        let questions = db!(&self.pool, |c| {
            sqlx::query_scalar(
            "SELECT q.text FROM questions q JOIN episodes e ON e.id = q.episode WHERE e.episode_id = $1 ORDER BY q.position",
        )
        .bind(episode_id)
        .fetch_all(c)
        .await
        })?;
        Ok(Some(EpisodeDetail {
            row,
            summary,
            questions,
        }))
    }

    /// Episodes matching `query` (video id, URL, or words of title/guest; case- and accent-insensitive),
    /// best match first. Empty when nothing matches.
    pub async fn find_episodes(
        &self,
        query: &str,
        limit: usize,
    ) -> Result<Vec<EpisodeRow>, StoreError> {
        let all = self.lookup_rows().await?;
        let q = query.trim();
        if let Some(hit) = all.iter().find(|r| r.0 == q || r.1 == q) {
            return self.rows_for(std::slice::from_ref(&hit.0)).await;
        }
        if let Some(hit) = all.iter().find(|r| q.contains(&r.0) && q.contains("://")) {
            return self.rows_for(std::slice::from_ref(&hit.0)).await;
        }
        let words: Vec<String> = fold(q)
            .split(' ')
            .filter(|w| !w.is_empty())
            .map(String::from)
            .collect();
        if words.is_empty() {
            let ids: Vec<String> = all.iter().take(limit).map(|r| r.0.clone()).collect();
            return self.rows_for(&ids).await;
        }
        let mut scored: Vec<(f64, &String)> = all
            .iter()
            .filter_map(|(id, _, title)| {
                let tw: Vec<&str> = title.split(' ').collect();
                let mut score = 0.0;
                for w in &words {
                    if tw.iter().any(|t| t == w) {
                        score += 1.0;
                    } else if tw.iter().any(|t| t.starts_with(w.as_str())) {
                        score += 0.8;
                    } else {
                        return None; // every word must match
                    }
                }
                // earlier position in the title (the guest's name) ranks first
                let first = tw
                    .iter()
                    .position(|t| t.starts_with(words[0].as_str()))
                    .unwrap_or(99);
                Some((score - first as f64 * 0.01, id))
            })
            .collect();
        scored.sort_by(|a, b| b.0.total_cmp(&a.0));
        let ids: Vec<String> = scored
            .into_iter()
            .take(limit)
            .map(|(_, id)| id.clone())
            .collect();
        self.rows_for(&ids).await
    }

    /// Titles most similar to `query` (character trigrams), for "did you mean" messages.
    pub async fn closest_titles(&self, query: &str, n: usize) -> Result<Vec<String>, StoreError> {
        let q = trigrams(&fold(query));
        let all = self.lookup_rows().await?;
        let titles: Vec<String> = db!(&self.pool, |c| sqlx::query_scalar(
            "SELECT title FROM episodes ORDER BY id"
        )
        .fetch_all(c)
        .await)?;
        let mut scored: Vec<(f64, String)> = all
            .iter()
            .zip(titles)
            .map(|((_, _, folded), title)| {
                let t = trigrams(folded);
                let inter = q.intersection(&t).count() as f64;
                let union = q.union(&t).count().max(1) as f64;
                (inter / union, title)
            })
            .collect();
        scored.sort_by(|a, b| b.0.total_cmp(&a.0));
        Ok(scored.into_iter().take(n).map(|(_, t)| t).collect())
    }

    /// (episode_id, url, folded title) of every episode, in id order.
    async fn lookup_rows(&self) -> Result<Vec<(String, String, String)>, StoreError> {
        Ok(db!(&self.pool, |c| sqlx::query_as(
            "SELECT episode_id, url, search_title FROM episodes ORDER BY id"
        )
        .fetch_all(c)
        .await)?)
    }

    async fn rows_for(&self, ids: &[String]) -> Result<Vec<EpisodeRow>, StoreError> {
        let mut out = Vec::with_capacity(ids.len());
        let sql = format!("{ROW_SELECT} WHERE e.episode_id = $1");
        for id in ids {
            let row: Option<EpisodeRow> = db!(&self.pool, |c| sqlx::query_as(&sql)
                .bind(id)
                .fetch_optional(c)
                .await)?;
            out.extend(row);
        }
        Ok(out)
    }

    /// Every stored row of the dataset tables, as text: tests compare it before and after a reload.
    pub async fn dump(&self) -> Result<String, StoreError> {
        let mut out = String::new();
        let sqls: &[&str] = match self.dialect() {
            Dialect::Sqlite => &[
                "SELECT json_array(id, episode_id, url, title, publish_date, length_s, total_words, transcript, summary, content_hash, hex(word_times)) FROM episodes ORDER BY id",
                "SELECT json_array(episode, position, text) FROM questions ORDER BY episode, position",
                "SELECT json_array(term, windows, hex(data)) FROM postings ORDER BY term",
                "SELECT json_array(scheme, windows, window_words, hex(layout)) FROM index_meta",
                "SELECT json_array(rowid) FROM episodes_fts ORDER BY rowid",
                "SELECT json_array(id, hex(block)) FROM episodes_fts_data ORDER BY id",
            ],
            Dialect::Postgres => &[
                "SELECT CAST(json_build_array(id, episode_id, url, title, publish_date, length_s, total_words, transcript, summary, content_hash, encode(word_times, 'hex')) AS TEXT) FROM episodes ORDER BY id",
                "SELECT CAST(json_build_array(episode, position, text) AS TEXT) FROM questions ORDER BY episode, position",
                "SELECT CAST(json_build_array(term, windows, encode(data, 'hex')) AS TEXT) FROM postings ORDER BY term",
                "SELECT CAST(json_build_array(scheme, windows, window_words, encode(layout, 'hex')) AS TEXT) FROM index_meta",
                "SELECT CAST(json_build_array(term, episode, title, summary, questions) AS TEXT) FROM episode_terms ORDER BY term, episode",
                "SELECT CAST(json_build_array(episode, tokens) AS TEXT) FROM episode_text ORDER BY episode",
            ],
        };
        for sql in sqls {
            let rows: Vec<String> =
                db!(&self.pool, |c| sqlx::query_scalar(sql).fetch_all(c).await)?;
            out.push_str(&rows.join("\n"));
            out.push_str("\n--\n");
        }
        Ok(out)
    }
}

fn trigrams(s: &str) -> HashSet<[char; 3]> {
    let chars: Vec<char> = format!("  {s} ").chars().collect();
    chars.windows(3).map(|w| [w[0], w[1], w[2]]).collect()
}
