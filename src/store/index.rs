//! Persistence of the passage index (`crate::index`): postings rows and one metadata row.

use std::sync::Arc;

use tokio::task::JoinHandle;

use super::{
    bulk::{multi_row, placeholders},
    Store, StoreError, Tx,
};
use crate::{
    dataset::Dataset,
    db,
    index::{self, Built, Layout, Stats},
};

/// Postings rows per INSERT (3 values each, under SQLite's 32,766 and Postgres's 65,535
/// bound-parameter limits).
const POSTINGS_BATCH: usize = 10_000;

/// What every query needs besides postings: the layout and collection statistics.
#[derive(Debug, Clone)]
pub struct IndexMeta {
    pub layout: Layout,
    pub stats: Stats,
}

/// One stored term.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct StoredTerm {
    pub term: String,
    pub windows: i64,
    pub data: Vec<u8>,
}

impl Store {
    /// The stored index's metadata; `None` if there is none (empty store) or it is unreadable.
    pub async fn index_meta(tx: &mut Tx) -> Result<Option<IndexMeta>, StoreError> {
        let row: Option<(String, i64, i64, Vec<u8>)> = db!(tx, |c| sqlx::query_as(
            "SELECT scheme, windows, window_words, layout FROM index_meta WHERE id = 1",
        )
        .fetch_optional(c)
        .await)?;
        let Some((scheme, windows, window_words, layout)) = row else {
            return Ok(None);
        };
        let meta = (scheme == index::SCHEME)
            .then(|| {
                Some(IndexMeta {
                    layout: Layout::from_bytes(&layout)?,
                    stats: Stats {
                        windows: windows.try_into().ok()?,
                        window_words: window_words.try_into().ok()?,
                    },
                })
            })
            .flatten();
        if meta.is_none() {
            // Searches find nothing until the next open or reload rebuilds it.
            tracing::warn!(%scheme, "the stored passage index is outdated or damaged");
        }
        Ok(meta)
    }

    /// The stored rows of `terms` (terms that occur nowhere have none).
    pub async fn postings(tx: &mut Tx, terms: &[String]) -> Result<Vec<StoredTerm>, StoreError> {
        if terms.is_empty() {
            return Ok(Vec::new());
        }
        let sql = format!(
            "SELECT term, windows, data FROM postings WHERE term IN ({})",
            placeholders(1, terms.len())
        );
        Ok(db!(tx, |c| {
            let mut q = sqlx::query_as(&sql);
            for t in terms {
                q = q.bind(t);
            }
            q.fetch_all(c).await
        })?)
    }

    /// Build the index from the stored transcripts when it is missing or of another scheme
    /// (a database from before the block index, or after a scheme change).
    pub(super) async fn ensure_index(&self) -> Result<(), StoreError> {
        let mut tx = self.begin_read().await?;
        let episodes: i64 = db!(&mut tx, |c| sqlx::query_scalar(
            "SELECT COUNT(*) FROM episodes"
        )
        .fetch_one(c)
        .await)?;
        let found = episodes == 0 || Store::index_meta(&mut tx).await?.is_some();
        tx.rollback().await?;
        if found {
            return Ok(());
        }
        let mut tx = self.begin_write().await?;
        // Another process may have built it while this one waited for the write lock.
        if Store::index_meta(&mut tx).await?.is_some() {
            return Ok(());
        }
        rebuild(&mut tx).await?;
        tx.commit().await?;
        Ok(())
    }

    /// A search found the postings of `term` damaged: rebuild the index from the transcripts,
    /// unless another connection already has (the row is intact under the write lock).
    pub async fn repair_index(&self, term: &str) -> Result<(), StoreError> {
        let mut tx = self.begin_write().await?;
        if let Some(meta) = Store::index_meta(&mut tx).await? {
            let rows = Store::postings(&mut tx, &[term.to_string()]).await?;
            let intact = rows.iter().all(|r| {
                let q = index::TermQuery {
                    windows: r.windows.try_into().unwrap_or(u32::MAX),
                    data: &r.data,
                };
                index::postings_intact(&meta.layout, &q)
            });
            if intact {
                return Ok(());
            }
        }
        tracing::warn!(
            term,
            "the stored passage index is damaged (postings that do not decode); rebuilding it"
        );
        rebuild(&mut tx).await?;
        tx.commit().await?;
        Ok(())
    }
}

/// Build the index from the stored transcripts and write it (inside the caller's write lock).
pub(super) async fn rebuild(tx: &mut Tx) -> Result<(), StoreError> {
    let rows: Vec<(i64, String)> = db!(&mut *tx, |c| sqlx::query_as(
        "SELECT id, transcript FROM episodes ORDER BY id"
    )
    .fetch_all(c)
    .await)?;
    tracing::info!(episodes = rows.len(), "building the passage index");
    let built = tokio::task::spawn_blocking(move || {
        let episodes: Vec<(i64, &str)> = rows.iter().map(|(id, t)| (*id, t.as_str())).collect();
        index::build(&episodes)
    })
    .await
    .map_err(build_failed)?;
    write_index(tx, &built).await?;
    Ok(())
}

/// Build the index of `dataset`, whose episodes get internal ids `first_id`, `first_id + 1` …,
/// on a blocking thread: it runs while the episodes are written on the async side.
pub(super) fn spawn_build(dataset: Arc<Dataset>, first_id: i64) -> JoinHandle<Built> {
    tokio::task::spawn_blocking(move || {
        let episodes: Vec<(i64, &str)> = (first_id..)
            .zip(&dataset.episodes)
            .map(|(id, ep)| (id, ep.transcript.as_str()))
            .collect();
        index::build(&episodes)
    })
}

/// A failed build task (a panic): reported as a store error, nothing is written.
pub(super) fn build_failed(e: tokio::task::JoinError) -> StoreError {
    tracing::error!(error = %e, "index build task failed");
    StoreError::Sql(sqlx::Error::Protocol(format!("index build failed: {e}")))
}

/// Replace the stored index with `built`.
pub(super) async fn write_index(tx: &mut Tx, built: &Built) -> Result<(), sqlx::Error> {
    for sql in ["DELETE FROM postings", "DELETE FROM index_meta"] {
        db!(&mut *tx, |c| sqlx::query(sql)
            .execute(c)
            .await
            .map(super::affected))?;
    }
    db!(&mut *tx, |c| {
        sqlx::query(
        "INSERT INTO index_meta (id, scheme, windows, window_words, layout) VALUES (1, $1, $2, $3, $4)",
    )
    .bind(index::SCHEME)
    .bind(built.windows as i64)
    .bind(built.window_words as i64)
    .bind(built.layout.to_bytes())
    .execute(c)
    .await.map(super::affected)
    })?;
    for batch in built.terms.chunks(POSTINGS_BATCH) {
        let sql = multi_row(
            "INSERT INTO postings (term, windows, data) VALUES ",
            3,
            batch.len(),
        );
        db!(&mut *tx, |c| {
            let mut q = sqlx::query(&sql);
            for t in batch {
                q = q
                    .bind(&*t.term)
                    .bind(t.windows as i64)
                    .bind(t.data.as_slice());
            }
            q.execute(c).await.map(super::affected)
        })?;
    }
    Ok(())
}
