//! The test's database, on SQLite or (with `GDBOT_TEST_POSTGRES_URL` set) on Postgres; looking
//! into it: waiting for rows the app writes in the background, and holding the write lock from a
//! connection of our own, as a long import does.

use std::{
    collections::HashMap,
    sync::Mutex,
    time::{Duration, Instant},
};

use gdbot::{
    db,
    store::{testing, Dialect, Pool},
};
use serde_json::Value;
use sqlx::{Connection, PgConnection, SqliteConnection};

/// The database URL of a test's database named `name` in `dir`: a SQLite file there, or on a
/// Postgres run a fresh schema — the same one for the same `dir` and `name`, so a test can
/// reopen it.
pub fn url(dir: impl AsRef<std::path::Path>, name: &str) -> String {
    let sqlite = format!("sqlite://{}/{name}", dir.as_ref().display());
    let Some(server) = testing::postgres_server() else {
        return sqlite;
    };
    static SCHEMAS: Mutex<Option<HashMap<String, String>>> = Mutex::new(None);
    let mut schemas = SCHEMAS.lock().unwrap_or_else(|p| p.into_inner());
    schemas
        .get_or_insert_with(HashMap::new)
        .entry(sqlite)
        .or_insert_with(|| testing::fresh_postgres_url(&server))
        .clone()
}

/// What a reload or an add changes together, read in one snapshot: (episodes, index windows,
/// episodes the index layout covers). A reader must never see them disagree.
pub async fn archive_snapshot(store: &gdbot::store::Store) -> (i64, i64, i64) {
    let mut tx = store.begin_read().await.unwrap();
    let eps: i64 = db!(&mut tx, |c| sqlx::query_scalar(
        "SELECT COUNT(*) FROM episodes"
    )
    .fetch_one(c)
    .await)
    .unwrap();
    // let a writer in between the two reads
    tokio::task::yield_now().await;
    let (windows, indexed): (i64, i64) = db!(&mut tx, |c| sqlx::query_as(
        "SELECT windows, CAST(length(layout) / 20 AS BIGINT) FROM index_meta"
    )
    .fetch_one(c)
    .await)
    .unwrap();
    tx.commit().await.unwrap();
    (eps, windows, indexed)
}

/// Whether this is a Postgres run.
pub fn on_postgres() -> bool {
    testing::postgres_server().is_some()
}

/// `sql`'s one number on the database at `url`, from a connection of its own; `None` when the
/// database cannot be opened (yet) or the query fails.
pub async fn scalar_at(url: &str, sql: &str) -> Option<i64> {
    match Dialect::of_url(url) {
        Dialect::Sqlite => {
            let mut c = SqliteConnection::connect(url).await.ok()?;
            let n = sqlx::query_scalar(sql).fetch_one(&mut c).await.ok();
            let _ = c.close().await;
            n
        }
        Dialect::Postgres => {
            let mut c = PgConnection::connect(url).await.ok()?;
            let n = sqlx::query_scalar(sql).fetch_one(&mut c).await.ok();
            let _ = c.close().await;
            n
        }
    }
}

/// One query in both dialects (the tests' look into the database).
#[derive(Debug, Clone, Copy)]
pub struct Sql {
    pub sqlite: &'static str,
    pub postgres: &'static str,
}

impl Sql {
    pub fn of(&self, dialect: Dialect) -> &'static str {
        match dialect {
            Dialect::Sqlite => self.sqlite,
            Dialect::Postgres => self.postgres,
        }
    }
}

/// Poll `sql` (`$1` bound to `bind`, one row of JSON text, or none) until `pred` holds on the
/// parsed row; panic after `timeout` naming `what` and the last value seen.
pub async fn wait_json(
    pool: &Pool,
    what: &str,
    sql: Sql,
    bind: i64,
    timeout: Duration,
    pred: impl Fn(&Value) -> bool,
) -> Value {
    let deadline = Instant::now() + timeout;
    let sql = sql.of(pool.dialect());
    loop {
        let value = json_row(pool, sql, bind)
            .await
            .unwrap_or_else(|e| panic!("{what}: {sql}: {e}"));
        if pred(&value) {
            return value;
        }
        assert!(
            Instant::now() < deadline,
            "timed out after {timeout:?} waiting for {what}; last: {value}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// The JSON row `sql` returns for `bind` (`Null` when none).
pub async fn json_row(pool: &Pool, sql: &str, bind: i64) -> Result<Value, sqlx::Error> {
    let row: Option<String> = db!(pool, |c| sqlx::query_scalar(sql)
        .bind(bind)
        .fetch_optional(c)
        .await)?;
    Ok(row
        .map(|r| serde_json::from_str(&r).expect("the query returns JSON text"))
        .unwrap_or(Value::Null))
}

/// The stored answer with this id, as JSON (`Null` when there is none).
pub const ANSWER_SQL: Sql = Sql {
    sqlite: "SELECT json_object('id', id, 'question', question, \
     'episode_filter', episode_filter, 'mode', mode, 'answer', answer, 'sources', json(sources_json)) \
     FROM answers WHERE id = $1",
    postgres: "SELECT CAST(json_build_object('id', id, 'question', question, \
     'episode_filter', episode_filter, 'mode', mode, 'answer', answer, 'sources', CAST(sources_json AS json)) AS TEXT) \
     FROM answers WHERE id = $1",
};

/// The votes on the answer with this id: `[{"user": "…", "vote": ±1}, …]`.
pub const VOTES_SQL: Sql = Sql {
    sqlite: "SELECT json_group_array(json_object('user', user_id, 'vote', vote)) \
     FROM feedback WHERE answer = $1",
    postgres: "SELECT CAST(COALESCE(json_agg(json_build_object('user', user_id, 'vote', vote)), '[]') AS TEXT) \
     FROM feedback WHERE answer = $1",
};

/// The database's write lock, held by a connection of the test until released: SQLite's one
/// write lock (`BEGIN IMMEDIATE`); on Postgres the archive writers' advisory lock and every
/// table of the schema in EXCLUSIVE mode (readers go on, writers wait), as SQLite's lock does.
pub enum WriteLock {
    Sqlite(SqliteConnection),
    Postgres(PgConnection),
}

impl WriteLock {
    pub async fn take(database_url: &str) -> WriteLock {
        match Dialect::of_url(database_url) {
            Dialect::Sqlite => {
                let mut conn = SqliteConnection::connect(database_url)
                    .await
                    .expect("open a second connection");
                sqlx::query("BEGIN IMMEDIATE")
                    .execute(&mut conn)
                    .await
                    .expect("take the write lock");
                WriteLock::Sqlite(conn)
            }
            Dialect::Postgres => {
                let mut conn = PgConnection::connect(database_url)
                    .await
                    .expect("open a second connection");
                sqlx::query("BEGIN").execute(&mut conn).await.unwrap();
                sqlx::query(gdbot::store::PG_WRITE_LOCK)
                    .execute(&mut conn)
                    .await
                    .expect("take the archive lock");
                let tables: Vec<String> = sqlx::query_scalar(
                    "SELECT quote_ident(tablename) FROM pg_tables WHERE schemaname = current_schema()",
                )
                .fetch_all(&mut conn)
                .await
                .unwrap();
                sqlx::query(&format!(
                    "LOCK TABLE {} IN EXCLUSIVE MODE",
                    tables.join(", ")
                ))
                .execute(&mut conn)
                .await
                .expect("lock the tables");
                WriteLock::Postgres(conn)
            }
        }
    }

    pub async fn release(self) {
        match self {
            WriteLock::Sqlite(mut c) => {
                sqlx::query("COMMIT")
                    .execute(&mut c)
                    .await
                    .expect("release the write lock");
                let _ = c.close().await;
            }
            WriteLock::Postgres(mut c) => {
                sqlx::query("COMMIT")
                    .execute(&mut c)
                    .await
                    .expect("release the write lock");
                let _ = c.close().await;
            }
        }
    }
}
