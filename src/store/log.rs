//! Answers given and the feedback votes on them.
//!
//! Nothing here makes a user wait for SQLite's single write lock (or any lock on Postgres), which an import holds for
//! seconds: an answer's id is allocated in memory (so its 👍/👎 buttons can be shown at once), and
//! answers and votes are queued to one background writer (`recorder`) that writes them in order,
//! retrying while the database is busy. `Store::close` drains the queue.

use serde::Serialize;

use super::{backend::ago, recorder::Job, Pool, Store, StoreError};
use crate::db;

/// What is recorded of each answer.
#[derive(Debug, Clone, Serialize)]
pub struct AnswerRecord {
    pub question: String,
    pub episode_filter: Option<String>,
    pub mode: &'static str,
    pub confident: bool,
    pub answer: String,
    pub sources_json: String,
    pub prompt_tokens: Option<i64>,
    pub completion_tokens: Option<i64>,
    pub latency_ms: i64,
    /// The LLM failed and the answer is quoted excerpts instead (migration 0006).
    pub fell_back: bool,
    /// The note shown with the answer (why it fell back, that it was cut off).
    pub note: Option<String>,
    /// The episodes the answer cites: a JSON list of `{"url", "title", "moments"}`.
    pub cited_json: String,
}

impl Store {
    /// Queue an answer for the log and return its id at once; the row is written in the background
    /// (`flush_log` waits for it). Waits only when thousands of records are already queued.
    pub async fn queue_answer(&self, record: AnswerRecord) -> Result<i64, StoreError> {
        let id = self.recorder.next_id();
        self.recorder.mark_queued(id);
        if let Err(e) = self.recorder.send(Job::answer(id, record)).await {
            self.recorder.forget(id);
            return Err(e);
        }
        Ok(id)
    }

    /// Queue a vote: one per user per answer, voting again replaces it. False when the answer is
    /// neither stored nor waiting to be (a vote on an answer still queued is kept).
    pub async fn queue_feedback(
        &self,
        answer: i64,
        user_id: &str,
        vote: i8,
    ) -> Result<bool, StoreError> {
        // Queued first, then stored: the writer forgets an id only after its row is committed.
        if !self.recorder.is_queued(answer) {
            // A read: in WAL mode (and on Postgres) it does not wait for the write lock.
            let exists: Option<i64> = db!(&self.pool, |c| sqlx::query_scalar(
                "SELECT id FROM answers WHERE id = $1"
            )
            .bind(answer)
            .fetch_optional(c)
            .await)?;
            if exists.is_none() {
                return Ok(false);
            }
        }
        self.recorder
            .send(Job::vote(answer, user_id, vote.signum()))
            .await?;
        Ok(true)
    }

    /// Wait until every answer and vote queued so far is written (or given up on, which is logged).
    pub async fn flush_log(&self) {
        self.recorder.flush().await;
    }
}

/// Times are stamped `ago_s` seconds before now (when the record was queued), computed by the
/// database (no date library here).
pub(super) async fn insert_answer(
    pool: &Pool,
    id: i64,
    r: &AnswerRecord,
    ago_s: f64,
) -> Result<(), sqlx::Error> {
    db!(pool, |c, d| {
        sqlx::query(&format!(
        "INSERT INTO answers (id, at, question, episode_filter, mode, confident, answer, sources_json, prompt_tokens, completion_tokens, latency_ms, fell_back, note, cited_json)
         VALUES ($1, {}, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
        d.time_ago("$2")
    ))
    .bind(id)
    .bind(ago(ago_s))
    .bind(&r.question)
    .bind(&r.episode_filter)
    .bind(r.mode)
    .bind(r.confident)
    .bind(&r.answer)
    .bind(&r.sources_json)
    .bind(r.prompt_tokens)
    .bind(r.completion_tokens)
    .bind(r.latency_ms)
    .bind(r.fell_back)
    .bind(&r.note)
    .bind(&r.cited_json)
    .execute(c)
    .await.map(super::affected)
    })?;
    Ok(())
}

pub(super) async fn insert_vote(
    pool: &Pool,
    answer: i64,
    user_id: &str,
    vote: i8,
    ago_s: f64,
) -> Result<(), sqlx::Error> {
    db!(pool, |c, d| sqlx::query(&format!(
        "INSERT INTO feedback (answer, user_id, vote, at) VALUES ($1, $2, $3, {})
         ON CONFLICT(answer, user_id) DO UPDATE SET vote = excluded.vote, at = excluded.at",
        d.time_ago("$4")
    ))
    .bind(answer)
    .bind(user_id)
    .bind(i64::from(vote))
    .bind(ago(ago_s))
    .execute(c)
    .await
    .map(super::affected))?;
    Ok(())
}
