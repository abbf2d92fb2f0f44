//! FTS5's tokenizer, for the Postgres backend's copy of the episode text index (`store::text`).
//!
//! Postgres keeps the index SQLite's FTS5 would keep (terms per episode and column, token counts)
//! so both backends rank episodes with the same BM25 over the same terms. The terms come from
//! FTS5 itself — SQLite is linked in any case — through a private in-memory database: text is
//! inserted into an FTS5 table with the tokenizer `episodes_fts` uses and read back through an
//! `fts5vocab` table, then deleted. Nothing has to re-implement the Porter stemmer or unicode61's
//! folding and splitting exactly, and nothing can drift from SQLite's.

use std::{collections::HashMap, str::FromStr};

use sqlx::{
    sqlite::{SqliteConnectOptions, SqlitePoolOptions},
    SqlitePool,
};

/// The tokenizer of `episodes_fts` (migrations/sqlite/0001_initial.sql).
pub const FTS5_TOKENIZE: &str = "porter unicode61 remove_diacritics 2";

/// Rows per INSERT into the scratch table (4 values each, under SQLite's bound-value limit).
const BATCH: usize = 1_000;

/// One document's terms as FTS5 indexes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocTerms {
    pub id: i64,
    /// Tokens in all columns (FTS5's row size, BM25's document length).
    pub tokens: i64,
    /// Each term with its number of occurrences in the title, the summary and the questions.
    pub terms: Vec<(String, [i64; 3])>,
}

/// A handle on the private in-memory database; cheap to clone.
#[derive(Clone, Debug)]
pub struct Tokenizer(SqlitePool);

impl Tokenizer {
    pub async fn new() -> Result<Tokenizer, sqlx::Error> {
        let options = SqliteConnectOptions::from_str("sqlite::memory:")?;
        // One connection (its uses are short and exclusive); the tables are made on connect, so
        // a replaced connection has them too.
        let pool = SqlitePoolOptions::new()
            .max_connections(1)
            .min_connections(0)
            .idle_timeout(None)
            .max_lifetime(None)
            .after_connect(|conn, _| {
                Box::pin(async move {
                    let create = format!(
                        "CREATE VIRTUAL TABLE IF NOT EXISTS doc USING fts5(title, summary, questions, tokenize='{FTS5_TOKENIZE}')"
                    );
                    sqlx::query(&create).execute(&mut *conn).await?;
                    sqlx::query(
                        "CREATE VIRTUAL TABLE IF NOT EXISTS doc_terms USING fts5vocab(doc, 'instance')",
                    )
                    .execute(&mut *conn)
                    .await?;
                    Ok(())
                })
            })
            .connect_with(options)
            .await?;
        Ok(Tokenizer(pool))
    }

    pub(super) async fn close(&self) {
        self.0.close().await;
    }

    /// The terms of each document (`id`, [title, summary, questions]).
    pub async fn documents(&self, docs: &[(i64, [&str; 3])]) -> Result<Vec<DocTerms>, sqlx::Error> {
        let mut conn = self.0.acquire().await?;
        let mut out = Vec::with_capacity(docs.len());
        for batch in docs.chunks(BATCH) {
            let sql = super::bulk::multi_row(
                "INSERT INTO doc (rowid, title, summary, questions) VALUES ",
                4,
                batch.len(),
            );
            let mut q = sqlx::query(&sql);
            for (id, cols) in batch {
                q = q.bind(id).bind(cols[0]).bind(cols[1]).bind(cols[2]);
            }
            let counted = async {
                q.execute(&mut *conn).await?;
                sqlx::query_as::<_, (i64, String, String, i64)>(
                    "SELECT doc, col, term, COUNT(*) FROM doc_terms GROUP BY doc, col, term ORDER BY doc, term",
                )
                .fetch_all(&mut *conn)
                .await
            }
            .await;
            // Emptied whatever happened, for the next use.
            let emptied = sqlx::query("DELETE FROM doc").execute(&mut *conn).await;
            let rows = counted?;
            emptied?;
            let mut by_doc: HashMap<i64, DocTerms> = HashMap::new();
            for (doc, col, term, n) in rows {
                let entry = by_doc.entry(doc).or_insert_with(|| DocTerms {
                    id: doc,
                    tokens: 0,
                    terms: Vec::new(),
                });
                let c = match col.as_str() {
                    "title" => 0,
                    "summary" => 1,
                    _ => 2,
                };
                entry.tokens += n;
                match entry.terms.last_mut() {
                    Some((t, counts)) if *t == term => counts[c] += n,
                    _ => {
                        let mut counts = [0; 3];
                        counts[c] = n;
                        entry.terms.push((term, counts));
                    }
                }
            }
            out.extend(batch.iter().map(|(id, _)| {
                by_doc.remove(id).unwrap_or(DocTerms {
                    id: *id,
                    tokens: 0,
                    terms: Vec::new(),
                })
            }));
        }
        Ok(out)
    }

    /// The tokens FTS5 makes of each query word (a quoted phrase): usually one, none for a word
    /// of no letters or digits, several for a word FTS5 splits.
    pub async fn phrases(&self, words: &[String]) -> Result<Vec<Vec<String>>, sqlx::Error> {
        let titles: Vec<String> = words.to_vec();
        let docs: Vec<(i64, [&str; 3])> = (1..)
            .zip(&titles)
            .map(|(i, w)| (i, [w.as_str(), "", ""]))
            .collect();
        if docs.is_empty() {
            return Ok(Vec::new());
        }
        let mut conn = self.0.acquire().await?;
        let sql = super::bulk::multi_row(
            "INSERT INTO doc (rowid, title, summary, questions) VALUES ",
            4,
            docs.len(),
        );
        let mut q = sqlx::query(&sql);
        for (id, cols) in &docs {
            q = q.bind(id).bind(cols[0]).bind(cols[1]).bind(cols[2]);
        }
        let read = async {
            q.execute(&mut *conn).await?;
            sqlx::query_as::<_, (i64, String)>(
                "SELECT doc, term FROM doc_terms ORDER BY doc, \"offset\"",
            )
            .fetch_all(&mut *conn)
            .await
        }
        .await;
        let emptied = sqlx::query("DELETE FROM doc").execute(&mut *conn).await;
        let rows = read?;
        emptied?;
        let mut out = vec![Vec::new(); words.len()];
        for (doc, term) in rows {
            if let Some(p) = usize::try_from(doc - 1).ok().and_then(|i| out.get_mut(i)) {
                p.push(term);
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn terms_are_fts5_terms() {
        let t = Tokenizer::new().await.unwrap();
        let docs = t
            .documents(&[
                (7, ["Running Models", "models run; Café", "Why run?"]),
                (9, ["", "", ""]),
            ])
            .await
            .unwrap();
        assert_eq!(docs[0].id, 7);
        assert_eq!(docs[0].tokens, 7);
        assert_eq!(
            docs[0].terms,
            vec![
                ("cafe".to_string(), [0, 1, 0]),
                ("model".to_string(), [1, 1, 0]),
                ("run".to_string(), [1, 1, 1]),
                ("why".to_string(), [0, 0, 1]),
            ]
        );
        assert_eq!(docs[1].tokens, 0);
        let words: Vec<String> = ["runs", "ab\u{1F170}cd", "!!"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        assert_eq!(
            t.phrases(&words).await.unwrap(),
            vec![
                vec!["run".to_string()],
                vec!["ab".into(), "cd".into()],
                vec![]
            ]
        );
        // The scratch table is empty again.
        assert_eq!(
            t.phrases(&words[..1]).await.unwrap(),
            vec![vec!["run".to_string()]]
        );
    }
}
