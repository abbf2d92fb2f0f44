//! Bulk insertion of a dataset's rows (the passage index is written by `store::index`, the
//! episode text index by `store::text`): big multi-row statements, on both backends.

use indicatif::ProgressBar;

use super::{
    text::{self, TextRow},
    Tx,
};
use crate::{
    dataset::{word_times, Episode},
    db,
    fold::fold,
};

/// Rows per multi-row INSERT for episodes (whole transcripts) and their index rows.
const EPISODE_BATCH: usize = 100;
/// Question rows per INSERT (3 bound values each).
const QUESTION_BATCH: usize = 2_000;

/// Insert `eps` (with their content hashes) and their questions into empty tables, with internal
/// ids 1, 2, … in order (the ids `store::index::spawn_build` gives them).
pub(super) async fn insert_all(
    tx: &mut Tx,
    eps: &[(&Episode, String)],
    progress: &ProgressBar,
) -> Result<(), sqlx::Error> {
    let ids: Vec<i64> = (1..).take(eps.len()).collect();
    insert_with_ids(tx, eps, &ids, progress).await
}

/// Insert `eps` and their questions with the given internal ids (unused ones).
pub(super) async fn insert_with_ids(
    tx: &mut Tx,
    eps: &[(&Episode, String)],
    ids: &[i64],
    progress: &ProgressBar,
) -> Result<(), sqlx::Error> {
    insert_episodes(tx, eps, ids, progress).await?;
    insert_questions(tx, eps, ids).await
}

async fn insert_episodes(
    tx: &mut Tx,
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
        db!(&mut *tx, |c| {
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
            q.execute(c).await.map(super::affected)
        })?;
        let rows: Vec<TextRow> = batch
            .iter()
            .zip(ids)
            .map(|((ep, _), id)| TextRow {
                id: *id,
                title: &ep.title,
                summary: ep.summary.as_deref().unwrap_or(""),
                questions: ep.questions.join("\n"),
            })
            .collect();
        text::insert(tx, &rows).await?;
        progress.inc(batch.len() as u64);
    }
    Ok(())
}

async fn insert_questions(
    tx: &mut Tx,
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
        db!(&mut *tx, |c| {
            let mut q = sqlx::query(&sql);
            for (id, pos, text) in batch {
                q = q.bind(id).bind(pos).bind(*text);
            }
            q.execute(c).await.map(super::affected)
        })?;
    }
    Ok(())
}

/// `PREFIX ($1,$2,…),($k,…)…` with `rows` groups of `cols` numbered placeholders.
pub(super) fn multi_row(prefix: &str, cols: usize, rows: usize) -> String {
    use std::fmt::Write;
    let mut s = String::with_capacity(prefix.len() + rows * cols * 7);
    s.push_str(prefix);
    for r in 0..rows {
        s.push_str(if r > 0 { ",(" } else { "(" });
        for c in 0..cols {
            if c > 0 {
                s.push(',');
            }
            let _ = write!(s, "${}", r * cols + c + 1);
        }
        s.push(')');
    }
    s
}

/// `$1,$2,…,$n` (from `$first`), for `IN (…)` lists.
pub(super) fn placeholders(first: usize, n: usize) -> String {
    (first..first + n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(",")
}
