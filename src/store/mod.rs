//! The only place with SQL: opening the database, atomic reloads, lookups and full-text search.

mod add;
mod archive;
mod bulk;
mod conversations;
mod enrich;
mod episodes;
mod index;
mod log;
mod migrate;
mod recorder;
mod reload;
mod search;
mod stats;
mod vocab;

use std::{str::FromStr, time::Duration};

use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};

pub use add::{AddOutcome, AddReport, AddedEpisode};
pub use conversations::{PriorTurn, TurnRecord};
pub use enrich::{EnrichLog, EnrichSource, Enrichment, StoredChunk};
pub use episodes::{EpisodeDetail, EpisodeRow};
pub use index::{IndexMeta, StoredTerm};
pub use log::AnswerRecord;
pub use reload::{ReloadError, ReloadReport};
pub use search::{EpisodeHit, PassageText};
pub use stats::{CitedEpisode, DayCount, LogStats, MAX_NOT_COVERED_ROWS};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database {url}: {error}")]
    Open { url: String, error: sqlx::Error },
    #[error("database {url}: schema migration failed: {error}")]
    Migrate {
        url: String,
        error: sqlx::migrate::MigrateError,
    },
    #[error("database error: {0}")]
    Sql(#[from] sqlx::Error),
    #[error("the answer log's writer has stopped")]
    LogStopped,
}

/// A handle on the SQLite database; cheap to clone.
#[derive(Clone, Debug)]
pub struct Store {
    pool: SqlitePool,
    /// Writes the answer log in the background (`log.rs`).
    recorder: recorder::Recorder,
    /// The latest answers, for follow-ups to answers still queued (`conversations.rs`).
    recent: conversations::Recent,
}

impl Store {
    /// Open (creating if missing) in WAL mode and apply the embedded migrations (safe when
    /// several processes open a new database at once).
    pub async fn open(url: &str) -> Result<Self, StoreError> {
        let open_err = |error| StoreError::Open {
            url: url.to_string(),
            error,
        };
        let options = SqliteConnectOptions::from_str(url)
            .map_err(open_err)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(BUSY_TIMEOUT)
            .pragma("cache_size", "-16000");
        let pool = connect(options).await.map_err(open_err)?;
        migrate::run(&pool)
            .await
            .map_err(|error| StoreError::Migrate {
                url: url.to_string(),
                error,
            })?;
        let store = Store {
            recorder: recorder::Recorder::start(pool.clone()),
            recent: Default::default(),
            pool,
        };
        store.ensure_index().await?;
        Ok(store)
    }

    pub fn pool(&self) -> &SqlitePool {
        &self.pool
    }

    /// Number of stored episodes.
    pub async fn episode_count(&self) -> Result<i64, StoreError> {
        Ok(sqlx::query_scalar("SELECT COUNT(*) FROM episodes")
            .fetch_one(&self.pool)
            .await?)
    }

    /// Write what the answer log still has queued, then close the pool (checkpoints the WAL).
    pub async fn close(&self) {
        // Each queued record is given up after GIVE_UP_AFTER of a busy database; a little more
        // covers the last one started.
        let limit = recorder::GIVE_UP_AFTER + Duration::from_secs(5);
        if tokio::time::timeout(limit, self.flush_log()).await.is_err() {
            tracing::error!(
                "the answer log was still waiting for the database after {} s; closing anyway",
                limit.as_secs()
            );
        }
        self.pool.close().await;
    }
}

/// The pool, with its first connection. Switching a new database to WAL needs an exclusive lock
/// that SQLite may refuse at once ("database is locked") instead of calling the busy handler,
/// when another process opens the same new file at the same moment: retried within the busy
/// timeout.
async fn connect(options: SqliteConnectOptions) -> Result<SqlitePool, sqlx::Error> {
    let deadline = tokio::time::Instant::now() + BUSY_TIMEOUT;
    let mut pause = Duration::from_millis(5);
    loop {
        let result = SqlitePoolOptions::new()
            .max_connections(8)
            .min_connections(1)
            .connect_with(options.clone())
            .await;
        match result {
            Err(sqlx::Error::Database(e))
                if is_busy(e.code().as_deref())
                    && tokio::time::Instant::now() + pause < deadline =>
            {
                tokio::time::sleep(pause).await;
                pause = (pause * 2).min(Duration::from_millis(200));
            }
            other => return other,
        }
    }
}

const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// SQLITE_BUSY, or one of its extended codes.
fn is_busy(code: Option<&str>) -> bool {
    code.and_then(|c| c.parse::<i32>().ok())
        .is_some_and(|c| c & 0xff == 5)
}

/// Current UTC time as RFC 3339, computed by SQLite so the crate needs no date library.
pub(crate) const NOW: &str = "strftime('%Y-%m-%dT%H:%M:%fZ','now')";
