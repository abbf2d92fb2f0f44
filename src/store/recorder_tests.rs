//! The writer retries while another connection holds the write lock, gives up at once on other
//! errors, and answer ids are unique, increasing and exact in JSON. The database tests run on
//! SQLite, and on Postgres too when `GDBOT_TEST_POSTGRES_URL` is set.

use std::{str::FromStr, time::Duration};

use sqlx::{
    postgres::{PgConnectOptions, PgPoolOptions},
    sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions},
    Connection, PgConnection, SqliteConnection,
};

use super::*;
use crate::{
    db,
    store::{testing, Dialect, Pool},
};

fn record(question: &str) -> AnswerRecord {
    AnswerRecord {
        question: question.to_string(),
        episode_filter: Some("ep1".into()),
        mode: "extractive",
        confident: true,
        answer: "an answer".into(),
        sources_json: "[]".into(),
        prompt_tokens: None,
        completion_tokens: None,
        latency_ms: 3,
        fell_back: false,
        note: None,
        cited_json: "[]".into(),
    }
}

/// The backends to test on.
fn backends() -> Vec<Dialect> {
    let mut all = vec![Dialect::Sqlite];
    if testing::postgres_server().is_some() {
        all.push(Dialect::Postgres);
    }
    all
}

/// A migrated database whose pool does not wait for a lock held elsewhere (SQLite: no busy
/// timeout; Postgres: a 20 ms lock timeout), so every wait seen is the writer's own retrying;
/// and the URL for a second connection.
async fn impatient_pool(dialect: Dialect, dir: &tempfile::TempDir) -> (Pool, String) {
    match dialect {
        Dialect::Sqlite => {
            let url = format!("sqlite://{}/r.db", dir.path().display());
            let options = SqliteConnectOptions::from_str(&url)
                .unwrap()
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .foreign_keys(true)
                .busy_timeout(Duration::ZERO);
            let pool = SqlitePoolOptions::new()
                .connect_with(options)
                .await
                .unwrap();
            sqlx::migrate!("./migrations/sqlite")
                .run(&pool)
                .await
                .unwrap();
            (Pool::Sqlite(pool), url)
        }
        Dialect::Postgres => {
            let server = testing::postgres_server().unwrap();
            let url = testing::fresh_postgres_url(&server);
            let options = PgConnectOptions::from_str(&url)
                .unwrap()
                .options([("lock_timeout", "20ms")]);
            let pool = PgPoolOptions::new().connect_with(options).await.unwrap();
            sqlx::migrate!("./migrations/postgres")
                .run(&pool)
                .await
                .unwrap();
            let tokenizer = super::super::tokenizer::Tokenizer::new().await.unwrap();
            (Pool::Postgres(pool, tokenizer), url)
        }
    }
}

/// Another connection holding what a writer of answers and votes needs, until `release`.
enum Held {
    Sqlite(SqliteConnection),
    Postgres(PgConnection),
}

impl Held {
    async fn take(dialect: Dialect, url: &str) -> Held {
        match dialect {
            Dialect::Sqlite => {
                let mut c = SqliteConnection::connect(url).await.unwrap();
                sqlx::query("BEGIN IMMEDIATE")
                    .execute(&mut c)
                    .await
                    .unwrap();
                Held::Sqlite(c)
            }
            Dialect::Postgres => {
                let mut c = PgConnection::connect(url).await.unwrap();
                sqlx::query("BEGIN").execute(&mut c).await.unwrap();
                sqlx::query("LOCK TABLE answers, feedback IN EXCLUSIVE MODE")
                    .execute(&mut c)
                    .await
                    .unwrap();
                Held::Postgres(c)
            }
        }
    }

    async fn release(self) {
        match self {
            Held::Sqlite(mut c) => sqlx::query("COMMIT").execute(&mut c).await.map(|_| ()),
            Held::Postgres(mut c) => sqlx::query("COMMIT").execute(&mut c).await.map(|_| ()),
        }
        .unwrap();
    }
}

async fn count(pool: &Pool, sql: &str) -> i64 {
    db!(pool, |c| sqlx::query_scalar(sql).fetch_one(c).await).unwrap()
}

#[tokio::test]
async fn busy_writes_are_retried_until_the_write_lock_is_released() {
    for dialect in backends() {
        let dir = tempfile::tempdir().unwrap();
        let (pool, url) = impatient_pool(dialect, &dir).await;
        let recorder = Recorder::start(pool.clone());
        let held = Held::take(dialect, &url).await;

        let id = recorder.next_id();
        recorder.mark_queued(id);
        recorder.send(Job::answer(id, record("q"))).await.unwrap();
        recorder.send(Job::vote(id, "u1", 1)).await.unwrap();
        tokio::time::sleep(Duration::from_millis(400)).await;
        assert!(
            recorder.is_queued(id),
            "{dialect:?}: still waiting for the lock"
        );

        held.release().await;
        tokio::time::timeout(Duration::from_secs(10), recorder.flush())
            .await
            .expect("drained once the lock is free");
        assert!(!recorder.is_queued(id));
        let sql = format!("SELECT COUNT(*) FROM answers WHERE id = {id} AND question = 'q'");
        assert_eq!(count(&pool, &sql).await, 1, "{dialect:?}");
        let sql = format!("SELECT COUNT(*) FROM feedback WHERE answer = {id} AND vote = 1");
        assert_eq!(count(&pool, &sql).await, 1, "{dialect:?}");
        // The answer's time is when it was queued, not when the lock let it through.
        let late: f64 = db!(&pool, |c, d| sqlx::query_scalar(&format!(
            "SELECT {} FROM answers WHERE id = {id}",
            d.seconds_since("at")
        ))
        .fetch_one(c)
        .await)
        .unwrap();
        assert!(late >= 0.35, "{dialect:?}: stamped {late:.3} s ago");
    }
}

#[tokio::test]
async fn other_errors_are_not_retried() {
    for dialect in backends() {
        let dir = tempfile::tempdir().unwrap();
        let (pool, _) = impatient_pool(dialect, &dir).await;
        let recorder = Recorder::start(pool.clone());
        // A vote on an answer that does not exist breaks the foreign key: logged, dropped.
        recorder.send(Job::vote(12345, "u1", 1)).await.unwrap();
        tokio::time::timeout(Duration::from_secs(2), recorder.flush())
            .await
            .expect("no retrying a constraint failure");
        assert_eq!(count(&pool, "SELECT COUNT(*) FROM feedback").await, 0);
        // The writer goes on.
        let id = recorder.next_id();
        recorder
            .send(Job::answer(id, record("next")))
            .await
            .unwrap();
        recorder.flush().await;
        assert_eq!(
            count(&pool, "SELECT COUNT(*) FROM answers").await,
            1,
            "{dialect:?}"
        );
    }
}

#[test]
fn answer_ids_are_unique_increasing_and_exact_in_json() {
    let ids = Ids::new();
    let all: Vec<i64> = (0..20_000).map(|_| ids.next()).collect();
    assert!(all.windows(2).all(|w| w[0] < w[1]), "strictly increasing");
    assert!(all.iter().all(|&id| id > 0 && id < 1 << 53));
    let tag = all[0] & ((1 << TAG_BITS) - 1);
    assert!(all.iter().all(|&id| id & ((1 << TAG_BITS) - 1) == tag));
}
