//! Answers given and the feedback votes on them.

use serde::Serialize;

use super::{Store, StoreError, NOW};

/// What is recorded of each answer.
#[derive(Debug, Clone, Serialize)]
pub struct AnswerRecord<'a> {
    pub question: &'a str,
    pub episode_filter: Option<&'a str>,
    pub mode: &'a str,
    pub confident: bool,
    pub answer: &'a str,
    pub sources_json: String,
    pub prompt_tokens: Option<i64>,
    pub completion_tokens: Option<i64>,
    pub latency_ms: i64,
}

impl Store {
    /// Store an answer; returns its id (used by feedback buttons).
    pub async fn record_answer(&self, r: &AnswerRecord<'_>) -> Result<i64, StoreError> {
        Ok(sqlx::query_scalar(&format!(
            "INSERT INTO answers (at, question, episode_filter, mode, confident, answer, sources_json, prompt_tokens, completion_tokens, latency_ms)
             VALUES ({NOW}, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id"
        ))
        .bind(r.question)
        .bind(r.episode_filter)
        .bind(r.mode)
        .bind(r.confident)
        .bind(r.answer)
        .bind(&r.sources_json)
        .bind(r.prompt_tokens)
        .bind(r.completion_tokens)
        .bind(r.latency_ms)
        .fetch_one(&self.pool)
        .await?)
    }

    /// One vote per user per answer; voting again replaces the vote. False when the answer is unknown.
    pub async fn record_feedback(
        &self,
        answer: i64,
        user_id: &str,
        vote: i8,
    ) -> Result<bool, StoreError> {
        let exists: Option<i64> = sqlx::query_scalar("SELECT id FROM answers WHERE id = ?")
            .bind(answer)
            .fetch_optional(&self.pool)
            .await?;
        if exists.is_none() {
            return Ok(false);
        }
        sqlx::query(&format!(
            "INSERT INTO feedback (answer, user_id, vote, at) VALUES (?, ?, ?, {NOW})
             ON CONFLICT(answer, user_id) DO UPDATE SET vote = excluded.vote, at = excluded.at"
        ))
        .bind(answer)
        .bind(user_id)
        .bind(vote.signum() as i64)
        .execute(&self.pool)
        .await?;
        Ok(true)
    }
}
