//! Enrichment's rows: the episodes to enrich, the map step's chunk results (each committed as it
//! arrives, so an interrupted run resumes), and the final write of summary and questions with
//! their word spans, atomic with the refresh of the episode's full-text row.

use super::{
    text::{self, TextRow},
    Store, StoreError, Tx,
};
use crate::db;

/// An episode as enrichment reads it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct EnrichSource {
    pub episode_id: String,
    pub url: String,
    pub title: String,
    pub transcript: String,
    pub has_summary: bool,
    pub n_questions: i64,
}

/// One chunk's result of the map step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredChunk {
    pub chunk: usize,
    pub start_word: usize,
    pub end_word: usize,
    pub summary: String,
    pub questions: Vec<String>,
    pub prompt_tokens: Option<i64>,
    pub completion_tokens: Option<i64>,
    /// A final write already used it (`--force` asks for it again).
    pub written: bool,
}

/// An `enrich_chunks` row as stored.
#[derive(sqlx::FromRow)]
struct ChunkRow {
    chunk: i64,
    start_word: i64,
    end_word: i64,
    summary: String,
    questions: String,
    prompt_tokens: Option<i64>,
    completion_tokens: Option<i64>,
    written: bool,
}

/// The final result for one episode: summary, and questions with their word spans.
#[derive(Debug, Clone)]
pub struct Enrichment<'a> {
    pub url: &'a str,
    /// The transcript the chunks were cut from: the write is refused if it changed meanwhile.
    pub transcript: &'a str,
    pub summary: &'a str,
    pub questions: &'a [(String, usize, usize)],
}

/// A row of the `enrichments` log.
#[derive(Debug, Clone, Default)]
pub struct EnrichLog<'a> {
    pub url: &'a str,
    pub ok: bool,
    pub chunks: usize,
    pub reused_chunks: usize,
    pub calls: usize,
    pub prompt_tokens: u64,
    pub completion_tokens: u64,
    pub questions: usize,
    pub model: Option<&'a str>,
    pub message: Option<&'a str>,
}

const SOURCE_SELECT: &str = "SELECT e.episode_id, e.url, e.title, e.transcript,
    (e.summary IS NOT NULL AND trim(e.summary) <> '') AS has_summary,
    (SELECT COUNT(*) FROM questions q WHERE q.episode = e.id) AS n_questions
    FROM episodes e";

impl Store {
    /// The episode with this id, or every episode (in stored order) when `None`.
    pub async fn enrich_sources(
        &self,
        episode_id: Option<&str>,
    ) -> Result<Vec<EnrichSource>, StoreError> {
        let rows = match episode_id {
            Some(id) => {
                let sql = format!("{SOURCE_SELECT} WHERE e.episode_id = $1");
                db!(&self.pool, |c| sqlx::query_as(&sql)
                    .bind(id)
                    .fetch_all(c)
                    .await)?
            }
            None => {
                let sql = format!("{SOURCE_SELECT} ORDER BY e.id");
                db!(&self.pool, |c| sqlx::query_as(&sql).fetch_all(c).await)?
            }
        };
        Ok(rows)
    }

    /// The chunk results stored for this episode under `source_hash` (a read: dry runs use it).
    pub async fn stored_chunks(
        &self,
        url: &str,
        source_hash: &str,
    ) -> Result<Vec<StoredChunk>, StoreError> {
        let rows: Vec<ChunkRow> = db!(&self.pool, |c| {
            sqlx::query_as(
            "SELECT chunk, start_word, end_word, summary, questions, prompt_tokens, completion_tokens, written
             FROM enrich_chunks WHERE url = $1 AND source_hash = $2 ORDER BY chunk",
        )
        .bind(url)
        .bind(source_hash)
        .fetch_all(c)
        .await
        })?;
        // A row that does not read back (edited by hand) is left out: its chunk is asked again.
        Ok(rows
            .into_iter()
            .filter_map(|r| {
                Some(StoredChunk {
                    chunk: r.chunk.try_into().ok()?,
                    start_word: r.start_word.try_into().ok()?,
                    end_word: r.end_word.try_into().ok()?,
                    summary: r.summary,
                    questions: serde_json::from_str(&r.questions).ok()?,
                    prompt_tokens: r.prompt_tokens,
                    completion_tokens: r.completion_tokens,
                    written: r.written,
                })
            })
            .collect())
    }

    /// Delete this episode's chunk results stored under another hash than `source_hash` (the
    /// transcript or the scheme changed), and with `written` those a final write already used.
    pub async fn discard_chunks(
        &self,
        url: &str,
        source_hash: &str,
        written: bool,
    ) -> Result<(), StoreError> {
        let gone = db!(&self.pool, |c| {
            sqlx::query(
            "DELETE FROM enrich_chunks WHERE url = $1 AND (source_hash <> $2 OR ($3 AND written))",
        )
        .bind(url)
        .bind(source_hash)
        .bind(written)
        .execute(c)
        .await
        .map(super::affected)
        })?;
        if gone > 0 {
            tracing::info!(url, gone, "discarded stored chunk results");
        }
        Ok(())
    }

    /// Store one chunk's result (its own short transaction: it survives a crash of the run); it
    /// replaces an earlier result for that chunk.
    pub async fn save_chunk(
        &self,
        url: &str,
        source_hash: &str,
        c: &StoredChunk,
    ) -> Result<(), StoreError> {
        let questions = serde_json::to_string(&c.questions).unwrap_or_else(|_| "[]".into());
        // A replaced row starts again unwritten, as SQLite's former INSERT OR REPLACE left it.
        db!(&self.pool, |conn, d| {
            sqlx::query(&format!(
            "INSERT INTO enrich_chunks
             (url, source_hash, chunk, start_word, end_word, summary, questions, prompt_tokens, completion_tokens, at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, {})
             ON CONFLICT (url, chunk) DO UPDATE SET source_hash = excluded.source_hash,
               start_word = excluded.start_word, end_word = excluded.end_word,
               summary = excluded.summary, questions = excluded.questions,
               prompt_tokens = excluded.prompt_tokens, completion_tokens = excluded.completion_tokens,
               at = excluded.at, written = FALSE",
            d.now()
        ))
        .bind(url)
        .bind(source_hash)
        .bind(c.chunk as i64)
        .bind(c.start_word as i64)
        .bind(c.end_word as i64)
        .bind(&c.summary)
        .bind(&questions)
        .bind(c.prompt_tokens)
        .bind(c.completion_tokens)
        .execute(conn)
        .await.map(super::affected)
        })?;
        Ok(())
    }

    /// Replace the episode's summary and questions, refresh its full-text row, mark its chunk
    /// results written and log the run, in one transaction. False (nothing written) when the episode is
    /// gone or its transcript changed since the chunks were cut.
    pub async fn write_enrichment(
        &self,
        e: &Enrichment<'_>,
        log: &EnrichLog<'_>,
    ) -> Result<bool, StoreError> {
        let mut tx = self.begin_write().await?;
        let row: Option<(i64, String, String)> = db!(&mut tx, |c| sqlx::query_as(
            "SELECT id, title, transcript FROM episodes WHERE url = $1"
        )
        .bind(e.url)
        .fetch_optional(c)
        .await)?;
        let Some((id, title, _)) = row.filter(|r| r.2 == e.transcript) else {
            return Ok(false);
        };
        db!(&mut tx, |c| sqlx::query(
            "UPDATE episodes SET summary = $1 WHERE id = $2"
        )
        .bind(e.summary)
        .bind(id)
        .execute(c)
        .await
        .map(super::affected))?;
        db!(&mut tx, |c| sqlx::query(
            "DELETE FROM questions WHERE episode = $1"
        )
        .bind(id)
        .execute(c)
        .await
        .map(super::affected))?;
        for (position, (text, start, end)) in e.questions.iter().enumerate() {
            db!(&mut tx, |c| {
                sqlx::query(
                "INSERT INTO questions (episode, position, text, start_word, end_word) VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(id)
            .bind(position as i64)
            .bind(text)
            .bind(*start as i64)
            .bind(*end as i64)
            .execute(c)
            .await.map(super::affected)
            })?;
        }
        refresh_text(&mut tx, id, &title, e).await?;
        db!(&mut tx, |c| sqlx::query(
            "UPDATE enrich_chunks SET written = TRUE WHERE url = $1"
        )
        .bind(e.url)
        .execute(c)
        .await
        .map(super::affected))?;
        insert_log(&mut tx, log).await?;
        tx.commit().await?;
        Ok(true)
    }

    /// Log a failed enrichment (what was stored of it stays, for the next run).
    pub async fn log_enrichment(&self, log: &EnrichLog<'_>) -> Result<(), StoreError> {
        let mut tx = self.begin().await?;
        insert_log(&mut tx, log).await?;
        tx.commit().await?;
        Ok(())
    }
}

/// The episode's text index entry, as `store::bulk` writes it, with the new summary and
/// questions (the old entry is deleted, then inserted again).
async fn refresh_text(
    tx: &mut Tx,
    id: i64,
    title: &str,
    e: &Enrichment<'_>,
) -> Result<(), sqlx::Error> {
    let questions: Vec<&str> = e.questions.iter().map(|q| q.0.as_str()).collect();
    text::delete(tx, id).await?;
    let row = TextRow {
        id,
        title,
        summary: e.summary,
        questions: questions.join("\n"),
    };
    text::insert(tx, &[row]).await
}

async fn insert_log(tx: &mut Tx, l: &EnrichLog<'_>) -> Result<(), sqlx::Error> {
    db!(tx, |c, d| {
        sqlx::query(&format!(
        "INSERT INTO enrichments (at, url, outcome, chunks, reused_chunks, calls, prompt_tokens, completion_tokens, questions, model, message)
         VALUES ({}, $1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        d.now()
    ))
    .bind(l.url)
    .bind(if l.ok { "ok" } else { "failed" })
    .bind(l.chunks as i64)
    .bind(l.reused_chunks as i64)
    .bind(l.calls as i64)
    .bind(l.prompt_tokens as i64)
    .bind(l.completion_tokens as i64)
    .bind(l.questions as i64)
    .bind(l.model)
    .bind(l.message)
    .execute(c)
    .await.map(super::affected)
    })?;
    Ok(())
}
