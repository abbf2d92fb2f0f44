//! The writer retries while another connection holds the write lock, gives up at once on other
//! errors, and answer ids are unique, increasing and exact in JSON.

use std::{str::FromStr, time::Duration};

use sqlx::{
    sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions},
    Connection, SqliteConnection,
};

use super::*;

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

/// A migrated database whose pool does not wait at all for a busy database (so every wait seen
/// is the writer's own retrying), and the URL for a second connection.
async fn impatient_pool(dir: &tempfile::TempDir) -> (SqlitePool, String) {
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
    sqlx::migrate!("./migrations").run(&pool).await.unwrap();
    (pool, url)
}

async fn count(pool: &SqlitePool, sql: &str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(pool).await.unwrap()
}

#[tokio::test]
async fn busy_writes_are_retried_until_the_write_lock_is_released() {
    let dir = tempfile::tempdir().unwrap();
    let (pool, url) = impatient_pool(&dir).await;
    let recorder = Recorder::start(pool.clone());
    let mut other = SqliteConnection::connect(&url).await.unwrap();
    sqlx::query("BEGIN IMMEDIATE")
        .execute(&mut other)
        .await
        .unwrap();

    let id = recorder.next_id();
    recorder.mark_queued(id);
    recorder.send(Job::answer(id, record("q"))).await.unwrap();
    recorder.send(Job::vote(id, "u1", 1)).await.unwrap();
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert!(recorder.is_queued(id), "still waiting for the lock");

    sqlx::query("COMMIT").execute(&mut other).await.unwrap();
    tokio::time::timeout(Duration::from_secs(10), recorder.flush())
        .await
        .expect("drained once the lock is free");
    assert!(!recorder.is_queued(id));
    let sql = format!("SELECT COUNT(*) FROM answers WHERE id = {id} AND question = 'q'");
    assert_eq!(count(&pool, &sql).await, 1);
    let sql = format!("SELECT COUNT(*) FROM feedback WHERE answer = {id} AND vote = 1");
    assert_eq!(count(&pool, &sql).await, 1);
    // The answer's time is when it was queued, not when the lock let it through.
    let late: f64 = sqlx::query_scalar(&format!(
        "SELECT (julianday('now') - julianday(at)) * 86400 FROM answers WHERE id = {id}"
    ))
    .fetch_one(&pool)
    .await
    .unwrap();
    assert!(late >= 0.35, "stamped {late:.3} s ago");
}

#[tokio::test]
async fn other_errors_are_not_retried() {
    let dir = tempfile::tempdir().unwrap();
    let (pool, _) = impatient_pool(&dir).await;
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
    assert_eq!(count(&pool, "SELECT COUNT(*) FROM answers").await, 1);
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
