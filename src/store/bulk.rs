//! Bulk insertion of a dataset's rows (the passage index is written by `store::index`).
//!
//! Inside a transaction every write statement that may abort opens a statement savepoint, and at
//! each savepoint FTS5 flushes its in-memory index to a new segment: rows go in big multi-row
//! statements so `episodes_fts` stays a few segments.

use indicatif::ProgressBar;
use sqlx::{Sqlite, Transaction};

use crate::{
    dataset::{word_times, Episode},
    fold::{fold, strip_invisible},
};

/// Rows per multi-row INSERT for episodes (whole transcripts) and their index rows.
const EPISODE_BATCH: usize = 100;
/// Question rows per INSERT (3 bound values each).
const QUESTION_BATCH: usize = 2_000;

/// Insert `eps` (with their content hashes) and their questions into empty tables, with internal
/// ids 1, 2, … in order (the ids `store::index::spawn_build` gives them).
pub(super) async fn insert_all(
    tx: &mut Transaction<'_, Sqlite>,
    eps: &[(&Episode, String)],
    progress: &ProgressBar,
) -> Result<(), sqlx::Error> {
    let ids: Vec<i64> = (1..).take(eps.len()).collect();
    insert_with_ids(tx, eps, &ids, progress).await
}

/// Insert `eps` and their questions with the given internal ids (unused ones).
pub(super) async fn insert_with_ids(
    tx: &mut Transaction<'_, Sqlite>,
    eps: &[(&Episode, String)],
    ids: &[i64],
    progress: &ProgressBar,
) -> Result<(), sqlx::Error> {
    insert_episodes(tx, eps, ids, progress).await?;
    insert_questions(tx, eps, ids).await
}

async fn insert_episodes(
    tx: &mut Transaction<'_, Sqlite>,
    eps: &[(&Episode, String)],
    ids: &[i64],
    progress: &ProgressBar,
) -> Result<(), sqlx::Error> {
    for (batch, ids) in eps.chunks(EPISODE_BATCH).zip(ids.chunks(EPISODE_BATCH)) {
        let sql = multi_row(
            "INSERT INTO episodes (id, episode_id, url, title, publish_date, length_s, total_words, transcript, summary, search_title, content_hash, word_times) VALUES ",
            12,
            batch.len(),
        );
        let mut q = sqlx::query(&sql);
        for ((ep, hash), id) in batch.iter().zip(ids) {
            q = q
                .bind(id)
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
                .bind(ep.word_times_ms.as_deref().map(word_times::encode));
        }
        q.execute(&mut **tx).await?;
        let sql = multi_row(
            "INSERT INTO episodes_fts (rowid, title, summary, questions) VALUES ",
            4,
            batch.len(),
        );
        let mut q = sqlx::query(&sql);
        for ((ep, _), id) in batch.iter().zip(ids) {
            // FTS5's tokenizer would split a word at a zero-width character; queries are folded
            // without them (`fold`), so the indexed text is too.
            q = q
                .bind(id)
                .bind(strip_invisible(&ep.title).into_owned())
                .bind(strip_invisible(ep.summary.as_deref().unwrap_or("")).into_owned())
                .bind(strip_invisible(&ep.questions.join("\n")).into_owned());
        }
        q.execute(&mut **tx).await?;
        progress.inc(batch.len() as u64);
    }
    Ok(())
}

async fn insert_questions(
    tx: &mut Transaction<'_, Sqlite>,
    eps: &[(&Episode, String)],
    ids: &[i64],
) -> Result<(), sqlx::Error> {
    let rows: Vec<(i64, i64, &str)> = eps
        .iter()
        .zip(ids)
        .flat_map(|((ep, _), id)| {
            ep.questions
                .iter()
                .enumerate()
                .map(move |(i, q)| (*id, i as i64, q.as_str()))
        })
        .collect();
    for batch in rows.chunks(QUESTION_BATCH) {
        let sql = multi_row(
            "INSERT INTO questions (episode, position, text) VALUES ",
            3,
            batch.len(),
        );
        let mut q = sqlx::query(&sql);
        for (id, pos, text) in batch {
            q = q.bind(id).bind(pos).bind(*text);
        }
        q.execute(&mut **tx).await?;
    }
    Ok(())
}

/// `PREFIX (?,?,…),(?,?,…)…` with `rows` groups of `cols` placeholders.
pub(super) fn multi_row(prefix: &str, cols: usize, rows: usize) -> String {
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
