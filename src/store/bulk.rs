//! Bulk insertion for a reload, shaped around how FTS5 writes.
//!
//! Inside a transaction every write statement that may abort opens a statement savepoint, and at
//! each savepoint FTS5 flushes its in-memory index to a new on-disk segment (`fts5SavepointMethod`).
//! Inserting one episode at a time (and passages 200 per statement) made thousands of tiny
//! segments at 2,048 episodes, and merging them was ~40 % of the import. So the small tables go
//! first, before `passages_fts` holds anything, then passages go in a few big statements.

use indicatif::ProgressBar;
use sqlx::{Sqlite, Transaction};

use crate::{chunk, dataset::Episode, fold::fold};

/// Rows per multi-row INSERT for episodes (whole transcripts) and their index rows.
const EPISODE_BATCH: usize = 100;
/// Question rows per INSERT (3 bound values each).
const QUESTION_BATCH: usize = 2_000;
/// Passages per INSERT: 4 values each stays under SQLite's 32,766 bound-parameter limit.
const PASSAGE_BATCH: usize = 8_000;

/// FTS5 settings of `passages_fts` during a bulk load: a bigger in-memory index (fewer, larger
/// segments), no incremental merging (`automerge` 0) and a high `crisismerge` bound, since the
/// reload ends with `optimize`, which merges everything into one segment anyway. Measured at
/// 2,048 episodes (README "Performance"): insert phase 6.9 s → 4.2 s.
const BULK_MERGE: [(&str, i64); 3] = [
    ("hashsize", 8 << 20),
    ("automerge", 0),
    ("crisismerge", 256),
];
/// FTS5's defaults, restored before the reload commits so later small writes behave as usual.
pub(super) const DEFAULT_MERGE: [(&str, i64); 3] =
    [("hashsize", 1 << 20), ("automerge", 4), ("crisismerge", 16)];

/// Apply FTS5 configuration options to `passages_fts` (persistent, transactional).
pub(super) async fn set_merge(
    tx: &mut Transaction<'_, Sqlite>,
    settings: [(&str, i64); 3],
) -> Result<(), sqlx::Error> {
    for (key, value) in settings {
        sqlx::query("INSERT INTO passages_fts(passages_fts, rank) VALUES(?, ?)")
            .bind(key)
            .bind(value)
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}

/// Insert `eps` (with their content hashes) and their questions, passages and index rows, with
/// ids following the stored ones. Returns the number of passages written.
pub(super) async fn insert_all(
    tx: &mut Transaction<'_, Sqlite>,
    eps: &[(&Episode, String)],
    progress: &ProgressBar,
) -> Result<usize, sqlx::Error> {
    let first_episode: i64 = sqlx::query_scalar("SELECT COALESCE(MAX(id), 0) + 1 FROM episodes")
        .fetch_one(&mut **tx)
        .await?;
    let ids: Vec<i64> = (first_episode..).take(eps.len()).collect();
    set_merge(tx, BULK_MERGE).await?;
    insert_episodes(tx, eps, &ids).await?;
    insert_questions(tx, eps, &ids).await?;
    let next_passage: i64 = sqlx::query_scalar("SELECT COALESCE(MAX(id), 0) + 1 FROM passages")
        .fetch_one(&mut **tx)
        .await?;
    insert_passages(tx, eps, &ids, next_passage, progress).await
}

async fn insert_episodes(
    tx: &mut Transaction<'_, Sqlite>,
    eps: &[(&Episode, String)],
    ids: &[i64],
) -> Result<(), sqlx::Error> {
    for (batch, ids) in eps.chunks(EPISODE_BATCH).zip(ids.chunks(EPISODE_BATCH)) {
        let sql = multi_row(
            "INSERT INTO episodes (id, episode_id, url, title, publish_date, length_s, total_words, transcript, summary, search_title, content_hash) VALUES ",
            11,
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
                .bind(hash);
        }
        q.execute(&mut **tx).await?;
        let sql = multi_row(
            "INSERT INTO episodes_fts (rowid, title, summary, questions) VALUES ",
            4,
            batch.len(),
        );
        let mut q = sqlx::query(&sql);
        for ((ep, _), id) in batch.iter().zip(ids) {
            q = q
                .bind(id)
                .bind(&ep.title)
                .bind(ep.summary.as_deref().unwrap_or(""))
                .bind(ep.questions.join("\n"));
        }
        q.execute(&mut **tx).await?;
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

/// One passage row: id, episode, word span and its text (a slice of the transcript, no copy).
type PassageRow<'a> = (i64, i64, i64, i64, &'a str);

async fn insert_passages(
    tx: &mut Transaction<'_, Sqlite>,
    eps: &[(&Episode, String)],
    ids: &[i64],
    mut next_passage: i64,
    progress: &ProgressBar,
) -> Result<usize, sqlx::Error> {
    let mut total = 0;
    let mut pending: Vec<PassageRow> = Vec::with_capacity(PASSAGE_BATCH + 1_000);
    for ((ep, _), id) in eps.iter().zip(ids) {
        let bounds = chunk::word_bounds(&ep.transcript);
        for s in chunk::spans(bounds.len()) {
            let text = chunk::slice(&ep.transcript, &bounds, s.start_word, s.end_word);
            pending.push((
                next_passage,
                *id,
                s.start_word as i64,
                s.end_word as i64,
                text,
            ));
            next_passage += 1;
        }
        if pending.len() >= PASSAGE_BATCH {
            total += flush_passages(tx, &mut pending).await?;
        }
        progress.inc(1);
    }
    total += flush_passages(tx, &mut pending).await?;
    Ok(total)
}

/// Write `pending` passages (table rows, then index rows) in statements of `PASSAGE_BATCH`.
async fn flush_passages(
    tx: &mut Transaction<'_, Sqlite>,
    pending: &mut Vec<PassageRow<'_>>,
) -> Result<usize, sqlx::Error> {
    for batch in pending.chunks(PASSAGE_BATCH) {
        let sql = multi_row(
            "INSERT INTO passages (id, episode, start_word, end_word) VALUES ",
            4,
            batch.len(),
        );
        let mut q = sqlx::query(&sql);
        for (pid, eid, start, end, _) in batch {
            q = q.bind(pid).bind(eid).bind(start).bind(end);
        }
        q.execute(&mut **tx).await?;
        let sql = multi_row(
            "INSERT INTO passages_fts (rowid, text) VALUES ",
            2,
            batch.len(),
        );
        let mut q = sqlx::query(&sql);
        for (pid, _, _, _, text) in batch {
            q = q.bind(pid).bind(*text);
        }
        q.execute(&mut **tx).await?;
    }
    let n = pending.len();
    pending.clear();
    Ok(n)
}

/// `PREFIX (?,?,…),(?,?,…)…` with `rows` groups of `cols` placeholders.
fn multi_row(prefix: &str, cols: usize, rows: usize) -> String {
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
