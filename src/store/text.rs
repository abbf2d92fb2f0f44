//! The episode text index: title, summary and questions of each episode, matched by words and
//! ranked by BM25 (the episode evidence `retrieve` fuses with passage scores, and the named-episode
//! and unknown-word checks of `retrieve::gate`).
//!
//! SQLite keeps it in FTS5 (`episodes_fts`, contentless). Postgres keeps the same index as rows —
//! each episode's terms with their counts per column (`episode_terms`) and its token count
//! (`episode_text`), the terms made by FTS5's own tokenizer (`store::tokenizer`) — and `rank`
//! computes FTS5's `bm25()` from them in Rust, step for step (sqlite3.c, `fts5Bm25Function`): the
//! same IDF per query phrase, the same column weights, document lengths and average, the same
//! float operations in the same order. Both backends return the same episodes with the same
//! scores (`tests/it/pg.rs` compares them). One difference: a query word FTS5 splits into several
//! tokens (letters around a symbol FTS5 does not index, as in "ab🅰cd"; `fold` leaves no other
//! kind) is a phrase whose tokens must be adjacent in FTS5; Postgres counts it where all its tokens
//! occur in one column, as often as the rarest of them. Query words come from `fold`, so such
//! words are rare.

use std::collections::{BTreeMap, HashMap, HashSet};

use super::backend::Tx;
use crate::fold::strip_invisible;

/// Which columns a query matches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fields {
    /// Title, summary and generated questions.
    All,
    TitleSummary,
    Title,
}

impl Fields {
    fn columns(self) -> &'static [usize] {
        match self {
            Fields::All => &[0, 1, 2],
            Fields::TitleSummary => &[0, 1],
            Fields::Title => &[0],
        }
    }

    /// The FTS5 column filter for `expr`.
    fn filter(self, expr: &str) -> String {
        match self {
            Fields::All => expr.to_string(),
            Fields::TitleSummary => format!("{{title summary}} : ({expr})"),
            Fields::Title => format!("{{title}} : ({expr})"),
        }
    }
}

/// `"a" OR "b" OR …` (`AND` when `all`), or `None` when there is nothing to search for. The one
/// sanitizer between user text and FTS5 MATCH: every word is a quoted phrase without quotes, so
/// `*`, `-`, `NEAR`, `AND` or parentheses in it are plain text.
pub fn match_expr(words: &[String], all: bool) -> Option<String> {
    if words.is_empty() {
        return None;
    }
    let op = if all { " AND " } else { " OR " };
    Some(
        words
            .iter()
            .map(|t| format!("\"{}\"", t.replace('"', "")))
            .collect::<Vec<_>>()
            .join(op),
    )
}

/// An episode's indexed text.
pub(super) struct TextRow<'a> {
    pub id: i64,
    pub title: &'a str,
    pub summary: &'a str,
    /// Its questions, one a line.
    pub questions: String,
}

/// Rows per FTS5 INSERT: inside a transaction every statement that may abort opens a savepoint,
/// at which FTS5 flushes its in-memory index to a new segment, so rows go in big statements.
const SQLITE_BATCH: usize = 100;

/// Index `rows` (episodes not indexed yet).
pub(super) async fn insert(tx: &mut Tx, rows: &[TextRow<'_>]) -> Result<(), sqlx::Error> {
    // FTS5's tokenizer would split a word at a zero-width character; queries are folded without
    // them (`fold`), so the indexed text is too.
    let clean: Vec<(i64, [String; 3])> = rows
        .iter()
        .map(|r| {
            (
                r.id,
                [
                    strip_invisible(r.title).into_owned(),
                    strip_invisible(r.summary).into_owned(),
                    strip_invisible(&r.questions).into_owned(),
                ],
            )
        })
        .collect();
    match tx {
        Tx::Sqlite(t) => {
            for batch in clean.chunks(SQLITE_BATCH) {
                let sql = super::bulk::multi_row(
                    "INSERT INTO episodes_fts (rowid, title, summary, questions) VALUES ",
                    4,
                    batch.len(),
                );
                let mut q = sqlx::query(&sql);
                for (id, [title, summary, questions]) in batch {
                    q = q.bind(id).bind(title).bind(summary).bind(questions);
                }
                q.execute(&mut **t).await?;
            }
        }
        Tx::Postgres(t, tokenizer) => {
            let docs: Vec<(i64, [&str; 3])> = clean
                .iter()
                .map(|(id, c)| (*id, [c[0].as_str(), c[1].as_str(), c[2].as_str()]))
                .collect();
            let indexed = tokenizer.documents(&docs).await?;
            let (ids, tokens): (Vec<i64>, Vec<i64>) =
                indexed.iter().map(|d| (d.id, d.tokens)).unzip();
            sqlx::query(
                "INSERT INTO episode_text (episode, tokens) SELECT * FROM UNNEST($1::BIGINT[], $2::BIGINT[])",
            )
            .bind(ids)
            .bind(tokens)
            .execute(&mut **t)
            .await?;
            let mut cols: (Vec<String>, Vec<i64>, [Vec<i64>; 3]) = Default::default();
            for d in indexed {
                for (term, counts) in d.terms {
                    cols.0.push(term);
                    cols.1.push(d.id);
                    for (c, n) in counts.iter().enumerate() {
                        cols.2[c].push(*n);
                    }
                }
            }
            let [title, summary, questions] = cols.2;
            sqlx::query(
                "INSERT INTO episode_terms (term, episode, title, summary, questions)
                 SELECT * FROM UNNEST($1::TEXT[], $2::BIGINT[], $3::BIGINT[], $4::BIGINT[], $5::BIGINT[])",
            )
            .bind(cols.0)
            .bind(cols.1)
            .bind(title)
            .bind(summary)
            .bind(questions)
            .execute(&mut **t)
            .await?;
        }
    }
    Ok(())
}

/// Remove an episode from the index (before its row goes, or its text changes).
pub(super) async fn delete(tx: &mut Tx, id: i64) -> Result<(), sqlx::Error> {
    match tx {
        Tx::Sqlite(t) => {
            sqlx::query("DELETE FROM episodes_fts WHERE rowid = $1")
                .bind(id)
                .execute(&mut **t)
                .await?;
        }
        Tx::Postgres(t, _) => {
            for sql in [
                "DELETE FROM episode_terms WHERE episode = $1",
                "DELETE FROM episode_text WHERE episode = $1",
            ] {
                sqlx::query(sql).bind(id).execute(&mut **t).await?;
            }
        }
    }
    Ok(())
}

/// Empty the index (a reload rewrites it whole).
pub(super) async fn clear(tx: &mut Tx) -> Result<(), sqlx::Error> {
    let sqls: &[&str] = match tx {
        Tx::Sqlite(_) => &["INSERT INTO episodes_fts(episodes_fts) VALUES('delete-all')"],
        Tx::Postgres(..) => &["DELETE FROM episode_terms", "DELETE FROM episode_text"],
    };
    for sql in sqls {
        crate::db!(&mut *tx, |c| sqlx::query(sql)
            .execute(c)
            .await
            .map(super::affected))?;
    }
    Ok(())
}

/// Episodes matching any of `words` in `fields`, best first by BM25 with per-column `weights`
/// (made positive), at most `limit`.
pub(super) async fn rank(
    tx: &mut Tx,
    words: &[String],
    fields: Fields,
    weights: [f64; 3],
    limit: usize,
) -> Result<Vec<(i64, f64)>, sqlx::Error> {
    let Some(expr) = match_expr(words, false) else {
        return Ok(Vec::new());
    };
    match tx {
        Tx::Sqlite(t) => {
            sqlx::query_as(
                "SELECT rowid, -bm25(episodes_fts, $2, $3, $4) AS s FROM episodes_fts WHERE episodes_fts MATCH $1
                 ORDER BY s DESC LIMIT $5",
            )
            .bind(fields.filter(&expr))
            .bind(weights[0])
            .bind(weights[1])
            .bind(weights[2])
            .bind(limit as i64)
            .fetch_all(&mut **t)
            .await
        }
        Tx::Postgres(..) => {
            let phrases = phrase_postings(tx, words, fields).await?;
            bm25(tx, &phrases, fields, weights, limit).await
        }
    }
}

/// Ids (ascending) of the episodes where any (or, with `all`, every) one of `words` occurs in
/// `fields`, at most `limit`.
pub(super) async fn matching(
    tx: &mut Tx,
    words: &[String],
    all: bool,
    fields: Fields,
    limit: usize,
) -> Result<Vec<i64>, sqlx::Error> {
    let Some(expr) = match_expr(words, all) else {
        return Ok(Vec::new());
    };
    match tx {
        Tx::Sqlite(t) => sqlx::query_scalar(
            "SELECT rowid FROM episodes_fts WHERE episodes_fts MATCH $1 ORDER BY rowid LIMIT $2",
        )
        .bind(fields.filter(&expr))
        .bind(limit as i64)
        .fetch_all(&mut **t)
        .await,
        Tx::Postgres(..) => {
            let phrases = phrase_postings(tx, words, fields).await?;
            let mut sets = phrases
                .iter()
                .map(|p| p.keys().copied().collect::<HashSet<i64>>());
            let first = sets.next().unwrap_or_default();
            let found: HashSet<i64> = if all {
                sets.fold(first, |acc, s| &acc & &s)
            } else {
                sets.fold(first, |acc, s| &acc | &s)
            };
            let mut ids: Vec<i64> = found.into_iter().collect();
            ids.sort_unstable();
            ids.truncate(limit);
            Ok(ids)
        }
    }
}

/// Per query phrase: the episodes it occurs in within `fields`, with its occurrences per column.
type PhrasePostings = Vec<BTreeMap<i64, [i64; 3]>>;

/// Postgres: the stored counts of each word's tokens, combined per phrase (see the module
/// documentation for words of several tokens).
async fn phrase_postings(
    tx: &mut Tx,
    words: &[String],
    fields: Fields,
) -> Result<PhrasePostings, sqlx::Error> {
    let Tx::Postgres(t, tokenizer) = tx else {
        unreachable!("Postgres only");
    };
    let phrases = tokenizer.phrases(words).await?;
    let mut terms: Vec<&str> = phrases.iter().flatten().map(String::as_str).collect();
    terms.sort_unstable();
    terms.dedup();
    let rows: Vec<(String, i64, i64, i64, i64)> = sqlx::query_as(
        "SELECT term, episode, title, summary, questions FROM episode_terms WHERE term = ANY($1)",
    )
    .bind(&terms)
    .fetch_all(&mut **t)
    .await?;
    let mut by_term: HashMap<&str, BTreeMap<i64, [i64; 3]>> = HashMap::new();
    for (term, episode, a, b, c) in &rows {
        let mut counts = [*a, *b, *c];
        for (i, n) in counts.iter_mut().enumerate() {
            if !fields.columns().contains(&i) {
                *n = 0;
            }
        }
        if counts.iter().any(|&n| n > 0) {
            by_term
                .entry(term.as_str())
                .or_default()
                .insert(*episode, counts);
        }
    }
    Ok(phrases
        .iter()
        .map(|tokens| {
            let mut found: BTreeMap<i64, [i64; 3]> = BTreeMap::new();
            let Some((first, rest)) = tokens.split_first() else {
                return found;
            };
            for (episode, counts) in by_term.get(first.as_str()).into_iter().flatten() {
                let mut phrase = *counts;
                for t in rest {
                    let other = by_term.get(t.as_str()).and_then(|m| m.get(episode));
                    for (c, n) in phrase.iter_mut().enumerate() {
                        *n = (*n).min(other.map_or(0, |o| o[c]));
                    }
                }
                if phrase.iter().any(|&n| n > 0) {
                    found.insert(*episode, phrase);
                }
            }
            found
        })
        .collect())
}

/// FTS5's `bm25()` over `phrases`, the best `limit` episodes (ties: lower id first, the order
/// FTS5 scans rows in).
async fn bm25(
    tx: &mut Tx,
    phrases: &PhrasePostings,
    fields: Fields,
    weights: [f64; 3],
    limit: usize,
) -> Result<Vec<(i64, f64)>, sqlx::Error> {
    const K1: f64 = 1.2;
    const B: f64 = 0.75;
    let Tx::Postgres(t, _) = tx else {
        unreachable!("Postgres only");
    };
    let candidates: Vec<i64> = phrases
        .iter()
        .flat_map(|p| p.keys().copied())
        .collect::<HashSet<i64>>()
        .into_iter()
        .collect();
    if candidates.is_empty() {
        return Ok(Vec::new());
    }
    let (n_row, n_token): (i64, i64) = sqlx::query_as(
        "SELECT COUNT(*), CAST(COALESCE(SUM(tokens), 0) AS BIGINT) FROM episode_text",
    )
    .fetch_one(&mut **t)
    .await?;
    let sizes: HashMap<i64, i64> = sqlx::query_as::<_, (i64, i64)>(
        "SELECT episode, tokens FROM episode_text WHERE episode = ANY($1)",
    )
    .bind(&candidates)
    .fetch_all(&mut **t)
    .await?
    .into_iter()
    .collect();
    let n_row = n_row.max(1);
    let avgdl = n_token as f64 / n_row as f64;
    let idf: Vec<f64> = phrases
        .iter()
        .map(|p| {
            let n_hit = p.len() as i64;
            let idf = (((n_row - n_hit) as f64 + 0.5) / (n_hit as f64 + 0.5)).ln();
            if idf <= 0.0 {
                1e-6
            } else {
                idf
            }
        })
        .collect();
    let mut scored: Vec<(i64, f64)> = candidates
        .into_iter()
        .map(|episode| {
            let d = sizes.get(&episode).copied().unwrap_or(0) as f64;
            let mut score = 0.0;
            for (p, idf) in phrases.iter().zip(&idf) {
                // Each occurrence adds its column's weight, column by column, as FTS5's
                // instance loop does.
                let mut freq = 0.0;
                if let Some(counts) = p.get(&episode) {
                    for &c in fields.columns() {
                        for _ in 0..counts[c] {
                            freq += weights[c];
                        }
                    }
                }
                score += idf * ((freq * (K1 + 1.0)) / (freq + K1 * (1.0 - B + B * d / avgdl)));
            }
            (episode, score)
        })
        .collect();
    scored.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    scored.truncate(limit);
    Ok(scored)
}
