//! Two databases behind one `Store`: SQLite (the default: one file, one machine) and Postgres
//! (shared by several processes), chosen by `DATABASE_URL`'s scheme.
//!
//! **How a query is written once for both.** `Pool` and `Tx` are enums over sqlx's native pools
//! and transactions, and the `db!` macro expands one block of ordinary sqlx code once per backend:
//!
//! ```ignore
//! let n: i64 = db!(&self.pool, |c| sqlx::query_scalar("SELECT COUNT(*) FROM episodes WHERE id > $1")
//!     .bind(7_i64).fetch_one(c).await)?;
//! ```
//!
//! The block is type-checked against each driver, so a type one backend cannot decode is a compile
//! error, not a runtime surprise. Both expansions must have one type: `execute` returns a
//! driver's own result, so end it with `.map(affected)` (the number of rows). Placeholders are `$1, $2, …` in every query: Postgres takes only
//! those, and sqlx's SQLite driver reads `$N` as the N-th bound value. What the dialects really
//! do differently is chosen by `Dialect` (`db!(x, |c, d| …)` names it): the time functions here,
//! full-text search (`store::text`), `BEGIN IMMEDIATE` versus a lock (`Store::begin_write`).
//!
//! **Why not the alternatives.** `sqlx::Any` passes SQL through unchanged too, but converts every
//! value through its own small type set (SQLite expressions and Postgres `INT4`/`BOOL` decode
//! unevenly), needs connection options as URL text (no busy timeout or WAL switch here), and hides
//! the driver types the SQLite migration lock and the Postgres bulk inserts need. Code generic
//! over `sqlx::Database` needs a where-clause per bound type and executor on every function, which
//! is most of the text of a query. The macro costs a second copy of each query in the binary.
//!
//! **Concurrency.** SQLite has one writer (`BEGIN IMMEDIATE`, waited for through the busy
//! timeout) and WAL readers that see one snapshot per transaction. On Postgres the archive's
//! writers (reload, add, enrichment's final write, index rebuilds) take one transaction-scoped
//! advisory lock per schema, so they run one at a time as on SQLite, in READ COMMITTED (each
//! statement after the lock sees what the previous writer committed; no serialization failures to
//! retry in a transaction that rewrites the archive). Readers run in REPEATABLE READ, READ ONLY:
//! every query of one search sees one snapshot, so a reload is seen whole or not at all. The answer
//! log's single-row writes take no lock and are retried on serialization failures, deadlocks and
//! lock timeouts (`is_retryable`).

use std::str::FromStr;

use sqlx::{
    postgres::{PgConnectOptions, PgPoolOptions},
    PgConnection, PgPool, Postgres, Sqlite, SqliteConnection, SqlitePool, Transaction,
};

use super::tokenizer::Tokenizer;

/// Which SQL dialect a query is written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    Sqlite,
    Postgres,
}

impl Dialect {
    /// The backend a `DATABASE_URL` names: `postgres://` / `postgresql://`, else SQLite.
    pub fn of_url(url: &str) -> Dialect {
        let lower = url.trim_start().to_ascii_lowercase();
        if lower.starts_with("postgres://") || lower.starts_with("postgresql://") {
            Dialect::Postgres
        } else {
            Dialect::Sqlite
        }
    }

    /// SQL for the current UTC time as RFC 3339 text with milliseconds (`2026-01-02T03:04:05.678Z`);
    /// times are stored as such text on both backends, so they sort and compare alike.
    pub fn now(self) -> &'static str {
        match self {
            Dialect::Sqlite => "strftime('%Y-%m-%dT%H:%M:%fZ','now')",
            Dialect::Postgres => {
                "to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')"
            }
        }
    }

    /// SQL for the time `param` (a bound `ago` text) before now, as `now` writes times.
    pub fn time_ago(self, param: &str) -> String {
        match self {
            Dialect::Sqlite => format!("strftime('%Y-%m-%dT%H:%M:%fZ', 'now', {param})"),
            Dialect::Postgres => format!(
                "to_char((now() + CAST({param} AS interval)) AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')"
            ),
        }
    }

    /// SQL for the seconds (a float) from the stored time `column` until now.
    pub fn seconds_since(self, column: &str) -> String {
        match self {
            Dialect::Sqlite => format!("((julianday('now') - julianday({column})) * 86400.0)"),
            Dialect::Postgres => format!(
                "CAST(EXTRACT(EPOCH FROM (now() - CAST({column} AS timestamptz))) AS DOUBLE PRECISION)"
            ),
        }
    }
}

/// The bound value `Dialect::time_ago` reads: "`secs` seconds ago", understood by SQLite's date
/// functions and by Postgres's `interval` alike.
pub fn ago(secs: f64) -> String {
    format!("-{secs:.3} seconds")
}

/// What `execute` reports, on either backend.
pub trait Executed {
    fn rows_affected(&self) -> u64;
}

impl Executed for sqlx::sqlite::SqliteQueryResult {
    fn rows_affected(&self) -> u64 {
        sqlx::sqlite::SqliteQueryResult::rows_affected(self)
    }
}

impl Executed for sqlx::postgres::PgQueryResult {
    fn rows_affected(&self) -> u64 {
        sqlx::postgres::PgQueryResult::rows_affected(self)
    }
}

/// Rows changed by a statement: `db!(x, |c| sqlx::query(…).execute(c).await.map(affected))`.
pub fn affected(done: impl Executed) -> u64 {
    done.rows_affected()
}

/// A connection pool of either backend; cheap to clone.
#[derive(Clone, Debug)]
pub enum Pool {
    Sqlite(SqlitePool),
    /// With the full-text tokenizer the episode text index is built with (`store::text`).
    Postgres(PgPool, Tokenizer),
}

impl Pool {
    pub fn dialect(&self) -> Dialect {
        match self {
            Pool::Sqlite(_) => Dialect::Sqlite,
            Pool::Postgres(..) => Dialect::Postgres,
        }
    }

    pub fn is_closed(&self) -> bool {
        match self {
            Pool::Sqlite(p) => p.is_closed(),
            Pool::Postgres(p, _) => p.is_closed(),
        }
    }

    pub(super) async fn close(&self) {
        match self {
            Pool::Sqlite(p) => p.close().await,
            Pool::Postgres(p, t) => {
                p.close().await;
                t.close().await;
            }
        }
    }
}

/// A transaction of either backend (`Store::begin_read`, `Store::begin_write`).
pub enum Tx {
    Sqlite(Transaction<'static, Sqlite>),
    Postgres(Transaction<'static, Postgres>, Tokenizer),
}

impl std::fmt::Debug for Tx {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Tx::Sqlite(_) => "Tx::Sqlite",
            Tx::Postgres(..) => "Tx::Postgres",
        })
    }
}

impl Tx {
    pub async fn commit(self) -> Result<(), sqlx::Error> {
        match self {
            Tx::Sqlite(t) => t.commit().await,
            Tx::Postgres(t, _) => t.commit().await,
        }
    }

    pub async fn rollback(self) -> Result<(), sqlx::Error> {
        match self {
            Tx::Sqlite(t) => t.rollback().await,
            Tx::Postgres(t, _) => t.rollback().await,
        }
    }

    pub fn dialect(&self) -> Dialect {
        match self {
            Tx::Sqlite(_) => Dialect::Sqlite,
            Tx::Postgres(..) => Dialect::Postgres,
        }
    }
}

/// One value per backend; what `db!` matches on.
pub enum Either<S, P> {
    Sqlite(S),
    Postgres(P),
}

/// Something queries run on: a pool (`&Pool`: `c` is `&SqlitePool` / `&PgPool`, usable many
/// times) or a transaction (`&mut Tx`: `c` is `&mut SqliteConnection` / `&mut PgConnection`;
/// write `&mut *c` to use it more than once).
pub trait Target {
    type Sqlite;
    type Postgres;
    fn target(self) -> Either<Self::Sqlite, Self::Postgres>;
}

impl<'a> Target for &'a Pool {
    type Sqlite = &'a SqlitePool;
    type Postgres = &'a PgPool;
    fn target(self) -> Either<Self::Sqlite, Self::Postgres> {
        match self {
            Pool::Sqlite(p) => Either::Sqlite(p),
            Pool::Postgres(p, _) => Either::Postgres(p),
        }
    }
}

impl<'a> Target for &'a mut Tx {
    type Sqlite = &'a mut SqliteConnection;
    type Postgres = &'a mut PgConnection;
    fn target(self) -> Either<Self::Sqlite, Self::Postgres> {
        match self {
            Tx::Sqlite(t) => Either::Sqlite(&mut **t),
            Tx::Postgres(t, _) => Either::Postgres(&mut **t),
        }
    }
}

/// Run one block of sqlx code on whichever backend `target` (a `&Pool` or `&mut Tx`) is: the block
/// is compiled once per backend with `c` bound to that backend's pool or connection, and `d` (if
/// named) to its `Dialect`. See the module documentation.
#[macro_export]
macro_rules! db {
    ($target:expr, |$c:ident| $body:expr) => {
        $crate::db!($target, |$c, _dialect| $body)
    };
    ($target:expr, |$c:ident, $d:ident| $body:expr) => {
        match $crate::store::Target::target($target) {
            $crate::store::Either::Sqlite($c) => {
                #[allow(unused_variables)]
                let $d = $crate::store::Dialect::Sqlite;
                $body
            }
            $crate::store::Either::Postgres($c) => {
                #[allow(unused_variables)]
                let $d = $crate::store::Dialect::Postgres;
                $body
            }
        }
    };
}

/// Connections per process. Several replicas share one Postgres server: its default
/// `max_connections` (100) holds a dozen of them.
const PG_CONNECTIONS: u32 = 8;

/// A Postgres pool (no TLS is built: a server on another host is reached through a private
/// network, a tunnel or a local proxy).
pub(super) async fn connect_postgres(url: &str) -> Result<PgPool, sqlx::Error> {
    let options = PgConnectOptions::from_str(url)?;
    PgPoolOptions::new()
        .max_connections(PG_CONNECTIONS)
        .min_connections(1)
        .connect_with(options)
        .await
}

/// A pool of at most `connections` that connects when first used.
pub(super) fn connect_postgres_lazy(url: &str, connections: u32) -> Result<PgPool, sqlx::Error> {
    let options = PgConnectOptions::from_str(url)?;
    Ok(PgPoolOptions::new()
        .max_connections(connections)
        .connect_lazy_with(options))
}

/// `BEGIN` plus this schema's archive write lock (see the module documentation). Released at
/// commit or rollback. The two-key form keeps it apart from sqlx's migration lock (one key).
pub const PG_WRITE_LOCK: &str = "SELECT pg_advisory_xact_lock(2037, hashtext(current_schema()))";

/// A failure worth retrying the same write for: another writer holds the database (SQLite busy or
/// locked), Postgres gave up on a serialization conflict, a deadlock or a lock wait, or no pooled
/// connection came free in time.
pub fn is_retryable(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::Database(db) => {
            let code = db.code();
            let code = code.as_deref().unwrap_or("");
            if db
                .try_downcast_ref::<sqlx::postgres::PgDatabaseError>()
                .is_some()
            {
                matches!(code, "40001" | "40P01" | "55P03")
            } else {
                code.parse::<i32>().is_ok_and(|c| matches!(c & 0xff, 5 | 6))
            }
        }
        sqlx::Error::PoolTimedOut => true,
        _ => false,
    }
}

/// `url` with any password replaced, for messages (`postgres://gdbot:<redacted>@db/gdbot`).
pub fn redacted_url(url: &str) -> String {
    password_span(url).map_or_else(
        || url.to_string(),
        |(start, end)| format!("{}<redacted>{}", &url[..start], &url[end..]),
    )
}

/// The password of a `scheme://user:password@host…` URL, as written, if it has one.
pub fn url_password(url: &str) -> Option<&str> {
    password_span(url).map(|(start, end)| &url[start..end])
}

/// Byte range of the password in `scheme://user:password@host…`.
fn password_span(url: &str) -> Option<(usize, usize)> {
    let after_scheme = url.find("://")? + 3;
    let rest = &url[after_scheme..];
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let at = rest[..authority_end].rfind('@')?;
    let colon = rest[..at].find(':')?;
    Some((after_scheme + colon + 1, after_scheme + at))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_name_their_backend_and_hide_passwords() {
        assert_eq!(Dialect::of_url("sqlite://gdbot.db"), Dialect::Sqlite);
        assert_eq!(Dialect::of_url("postgres://h/db"), Dialect::Postgres);
        assert_eq!(Dialect::of_url("PostgreSQL://h/db"), Dialect::Postgres);
        assert_eq!(
            redacted_url("postgres://gd:s3cr:et@db:5432/gd?sslmode=disable"),
            "postgres://gd:<redacted>@db:5432/gd?sslmode=disable"
        );
        assert_eq!(url_password("postgres://gd:pw@db/x"), Some("pw"));
        assert_eq!(redacted_url("postgres://gd@db/x"), "postgres://gd@db/x");
        assert_eq!(
            redacted_url("postgres://db/x?u=a:b@c"),
            "postgres://db/x?u=a:b@c"
        );
        assert_eq!(redacted_url("sqlite://gdbot.db"), "sqlite://gdbot.db");
    }
}
