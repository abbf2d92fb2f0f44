//! Schema migrations, safe when several processes open a new or old-schema database at once. Each
//! backend has its own directory (`migrations/sqlite/`, `migrations/postgres/`), numbered alike:
//! migration N is the same change on both.
//!
//! Postgres: sqlx's migrator holds a session advisory lock (keyed by the database name) while it
//! checks and applies, so a second process waits, then finds the work done.
//!
//! SQLite: sqlx's migration lock does nothing there, so two first opens both ran migration 1
//! ("table episodes already exists") or collided on migration 2 ("database is locked"). Here the
//! whole run is one `BEGIN IMMEDIATE` transaction (the database's single write lock, waited for
//! through the busy timeout) in which sqlx checks again what is applied, so the second process
//! finds the work done; each migration runs in a savepoint inside it. An up-to-date database is
//! recognised with a read, without taking the lock.

use sqlx::migrate::{MigrateError, Migrator};
use sqlx::SqlitePool;

use super::backend::{Dialect, Pool};

/// The embedded migrations of one backend, tolerating migrations the database has that this
/// binary does not know: a newer binary applied them (a rolling upgrade of replicas sharing one
/// Postgres; a replica of the old version restarting must still start). Sound because every
/// migration only adds (tables, nullable columns, indexes, functions); README "The database" says so.
///
/// The SQLite files moved from `migrations/` to `migrations/sqlite/` unchanged: sqlx identifies an
/// applied migration by version and checksum (of the SQL text), so databases made before the move
/// open as they did (`tests/it/open.rs`).
fn migrator(dialect: Dialect) -> Migrator {
    let mut m = match dialect {
        Dialect::Sqlite => sqlx::migrate!("./migrations/sqlite"),
        Dialect::Postgres => sqlx::migrate!("./migrations/postgres"),
    };
    m.set_ignore_missing(true);
    m
}

/// Apply the embedded migrations that `pool`'s database lacks.
pub async fn run(pool: &Pool) -> Result<(), MigrateError> {
    match pool {
        Pool::Sqlite(p) => run_sqlite(p).await,
        Pool::Postgres(p, _) => migrator(Dialect::Postgres).run(p).await,
    }
}

async fn run_sqlite(pool: &SqlitePool) -> Result<(), MigrateError> {
    if up_to_date(pool).await? {
        return Ok(());
    }
    let mut tx = pool.begin_with("BEGIN IMMEDIATE").await?;
    migrator(Dialect::Sqlite).run_direct(&mut *tx).await?;
    tx.commit().await?;
    Ok(())
}

/// Every embedded migration is recorded as applied, with the same checksum, and nothing else is.
/// Anything else (including a damaged record) goes to the locked run, which reports it.
async fn up_to_date(pool: &SqlitePool) -> Result<bool, MigrateError> {
    let has_table: bool = sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = '_sqlx_migrations')",
    )
    .fetch_one(pool)
    .await?;
    if !has_table {
        return Ok(false);
    }
    let applied: Vec<(i64, Vec<u8>, bool)> =
        sqlx::query_as("SELECT version, checksum, success FROM _sqlx_migrations ORDER BY version")
            .fetch_all(pool)
            .await?;
    let embedded = migrator(Dialect::Sqlite);
    let wanted: Vec<_> = embedded
        .iter()
        .filter(|m| m.migration_type.is_up_migration())
        .collect();
    Ok(applied.len() == wanted.len()
        && applied.iter().zip(&wanted).all(|((version, sum, ok), m)| {
            *ok && *version == m.version && sum.as_slice() == &*m.checksum
        }))
}
