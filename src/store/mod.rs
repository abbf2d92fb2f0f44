//! The only place with SQL: opening the database, atomic reloads, lookups and full-text search,
//! on SQLite or Postgres (`backend` says how one query serves both).

mod add;
mod archive;
mod backend;
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
#[doc(hidden)]
pub mod testing;
mod text;
mod tokenizer;
mod turns;
mod vocab;

use std::{str::FromStr, time::Duration};

use crate::db;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};

pub use add::{AddOutcome, AddReport, AddedEpisode};
pub use backend::{
    affected, ago, is_retryable, redacted_url, url_password, Dialect, Either, Executed, Pool,
    Target, Tx, PG_WRITE_LOCK,
};
pub use conversations::{PriorTurn, TurnRecord};
pub use enrich::{EnrichLog, EnrichSource, Enrichment, StoredChunk};
pub use episodes::{EpisodeDetail, EpisodeRow};
pub use index::{IndexMeta, StoredTerm};
pub use log::AnswerRecord;
pub use reload::{ReloadError, ReloadReport};
pub use search::{EpisodeHit, PassageText};
pub use stats::{CitedEpisode, DayCount, LogStats, MAX_NOT_COVERED_ROWS};
pub use text::{match_expr, Fields};
pub use tokenizer::FTS5_TOKENIZE;

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

/// A handle on the database; cheap to clone.
#[derive(Clone, Debug)]
pub struct Store {
    pool: Pool,
    /// Connections of the shared rate limit's own (`turns.rs`; Postgres: `TURN_CONNECTIONS`, so a
    /// check never queues behind searches; SQLite: `pool`).
    turns: Pool,
    /// Writes the answer log in the background (`log.rs`).
    recorder: recorder::Recorder,
    /// The latest answers, for follow-ups to answers still queued (`conversations.rs`).
    recent: conversations::Recent,
}

impl Store {
    /// Open the database `url` names (`sqlite:` or `postgres://`) and apply the embedded
    /// migrations (safe when several processes open a new database at once).
    pub async fn open(url: &str) -> Result<Self, StoreError> {
        let open_err = |error| StoreError::Open {
            url: redacted_url(url),
            error,
        };
        let pool = match Dialect::of_url(url) {
            Dialect::Sqlite => Pool::Sqlite(open_sqlite(url).await.map_err(open_err)?),
            Dialect::Postgres => {
                let pg = backend::connect_postgres(url).await.map_err(open_err)?;
                let tokenizer = tokenizer::Tokenizer::new().await.map_err(open_err)?;
                Pool::Postgres(pg, tokenizer)
            }
        };
        migrate::run(&pool)
            .await
            .map_err(|error| StoreError::Migrate {
                url: redacted_url(url),
                error,
            })?;
        let turns = match &pool {
            Pool::Sqlite(_) => pool.clone(),
            Pool::Postgres(_, tokenizer) => Pool::Postgres(
                backend::connect_postgres_lazy(url, turns::TURN_CONNECTIONS).map_err(open_err)?,
                tokenizer.clone(),
            ),
        };
        let store = Store {
            recorder: recorder::Recorder::start(pool.clone()),
            recent: Default::default(),
            pool,
            turns,
        };
        store.ensure_index().await?;
        Ok(store)
    }

    /// The pool, for tests and diagnostics (queries go through `db!`).
    pub fn pool(&self) -> &Pool {
        &self.pool
    }

    pub fn dialect(&self) -> Dialect {
        self.pool.dialect()
    }

    /// A read transaction: every query in it sees one snapshot of the database (SQLite: a WAL
    /// read transaction; Postgres: REPEATABLE READ, READ ONLY).
    pub async fn begin_read(&self) -> Result<Tx, StoreError> {
        Ok(match &self.pool {
            Pool::Sqlite(p) => Tx::Sqlite(p.begin().await?),
            Pool::Postgres(p, t) => Tx::Postgres(
                p.begin_with("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY")
                    .await?,
                t.clone(),
            ),
        })
    }

    /// A plain transaction (SQLite: deferred; Postgres: READ COMMITTED), for a few writes that
    /// need no lock against other writers.
    pub(crate) async fn begin(&self) -> Result<Tx, sqlx::Error> {
        Ok(match &self.pool {
            Pool::Sqlite(p) => Tx::Sqlite(p.begin().await?),
            Pool::Postgres(p, t) => Tx::Postgres(p.begin().await?, t.clone()),
        })
    }

    /// A transaction of the archive's writers, one at a time (SQLite: `BEGIN IMMEDIATE`, the
    /// database's write lock; Postgres: this schema's advisory lock, `backend::PG_WRITE_LOCK`).
    pub(crate) async fn begin_write(&self) -> Result<Tx, sqlx::Error> {
        Ok(match &self.pool {
            Pool::Sqlite(p) => Tx::Sqlite(p.begin_with("BEGIN IMMEDIATE").await?),
            Pool::Postgres(p, t) => {
                let mut tx = p.begin().await?;
                sqlx::query(backend::PG_WRITE_LOCK)
                    .execute(&mut *tx)
                    .await?;
                Tx::Postgres(tx, t.clone())
            }
        })
    }

    /// Number of stored episodes.
    pub async fn episode_count(&self) -> Result<i64, StoreError> {
        Ok(db!(&self.pool, |c| sqlx::query_scalar(
            "SELECT COUNT(*) FROM episodes"
        )
        .fetch_one(c)
        .await)?)
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
        self.turns.close().await;
    }
}

/// Open a SQLite database (creating the file if missing) in WAL mode.
async fn open_sqlite(url: &str) -> Result<SqlitePool, sqlx::Error> {
    let options = SqliteConnectOptions::from_str(url)?
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Normal)
        .foreign_keys(true)
        .busy_timeout(BUSY_TIMEOUT)
        .pragma("cache_size", "-16000");
    connect(options).await
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
