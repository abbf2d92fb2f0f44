//! Looking into a test app's SQLite database: waiting for rows the app writes in the background,
//! and holding the write lock from a connection of our own, as a long import does.

use std::time::{Duration, Instant};

use serde_json::Value;
use sqlx::{Connection, SqliteConnection, SqlitePool};

/// Poll `sql` (one `?` bound to `bind`, one row of JSON text, or none) until `pred` holds on the
/// parsed row; panic after `timeout` naming `what` and the last value seen.
pub async fn wait_json(
    pool: &SqlitePool,
    what: &str,
    sql: &str,
    bind: i64,
    timeout: Duration,
    pred: impl Fn(&Value) -> bool,
) -> Value {
    let deadline = Instant::now() + timeout;
    loop {
        let row: Option<String> = sqlx::query_scalar(sql)
            .bind(bind)
            .fetch_optional(pool)
            .await
            .unwrap_or_else(|e| panic!("{what}: {sql}: {e}"));
        let value = row
            .map(|r| serde_json::from_str(&r).expect("the query returns JSON text"))
            .unwrap_or(Value::Null);
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

/// The stored answer with this id, as JSON (`Null` when there is none).
pub const ANSWER_SQL: &str = "SELECT json_object('id', id, 'question', question, \
     'episode_filter', episode_filter, 'mode', mode, 'answer', answer, 'sources', json(sources_json)) \
     FROM answers WHERE id = ?";

/// The votes on the answer with this id: `[{"user": "…", "vote": ±1}, …]`.
pub const VOTES_SQL: &str = "SELECT json_group_array(json_object('user', user_id, 'vote', vote)) \
     FROM feedback WHERE answer = ?";

/// SQLite's one write lock, held by a connection of the test (`BEGIN IMMEDIATE`) until released.
pub struct WriteLock(SqliteConnection);

impl WriteLock {
    pub async fn take(database_url: &str) -> WriteLock {
        let mut conn = SqliteConnection::connect(database_url)
            .await
            .expect("open a second connection");
        sqlx::query("BEGIN IMMEDIATE")
            .execute(&mut conn)
            .await
            .expect("take the write lock");
        WriteLock(conn)
    }

    pub async fn release(mut self) {
        sqlx::query("COMMIT")
            .execute(&mut self.0)
            .await
            .expect("release the write lock");
        let _ = self.0.close().await;
    }
}
