//! The answer log never holds up an answer: with SQLite's write lock held elsewhere (as during a
//! long import) `App::ask` and `gdbot ask` answer at once, and the record is written once the
//! lock is free — the CLI waits for it before exiting.

use std::{
    io::Read,
    process::{Command, Stdio},
    sync::mpsc,
    time::{Duration, Instant},
};

use serde_json::Value;

use crate::support::{
    app_with_dataset,
    db::{json_row, wait_json, WriteLock, ANSWER_SQL},
    DATASET,
};

const QUESTION: &str = "How does Runway help video editors?";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ask_returns_while_the_database_is_write_locked_and_is_recorded_after() {
    let dir = tempfile::tempdir().unwrap();
    let app = app_with_dataset(&dir, &[]).await;
    let lock = WriteLock::take(&app.config_for_tests().database_url).await;
    let started = Instant::now();
    let answer = tokio::time::timeout(Duration::from_secs(3), app.ask(QUESTION, None, None))
        .await
        .expect("answered while the write lock is held (busy timeout is 10 s)")
        .expect("answer");
    eprintln!("ask under a held write lock: {:?}", started.elapsed());
    let id = answer
        .answer_id
        .expect("an answer id, for feedback buttons");
    lock.release().await;
    let row = wait_json(
        app.store_for_tests().pool(),
        "the answer record",
        ANSWER_SQL,
        id,
        Duration::from_secs(15),
        |v| !v.is_null(),
    )
    .await;
    assert_eq!(row["question"], QUESTION);
    assert_eq!(row["mode"], "extractive");
    assert_eq!(row["answer"], answer.answer.as_str());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cli_ask_prints_while_the_database_is_write_locked_and_records_before_exiting() {
    let dir = tempfile::tempdir().unwrap();
    let app = app_with_dataset(&dir, &[]).await;
    let url = app.config_for_tests().database_url.clone();
    app.close().await;
    let lock = WriteLock::take(&url).await;
    let mut child = Command::new(env!("CARGO_BIN_EXE_gdbot"))
        .args(["ask", QUESTION, "--json"])
        .current_dir(dir.path())
        .env("DATABASE_URL", &url)
        .env("DATASET_PATH", DATASET)
        .env("RUST_LOG", "error")
        .env_remove("OPENAI_API_KEY")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("run gdbot");
    // Read stdout on a thread; report the moment the JSON document is complete.
    let mut stdout = child.stdout.take().expect("stdout");
    let (tx, rx) = mpsc::channel::<Value>();
    std::thread::spawn(move || {
        let mut text = Vec::new();
        let mut buf = [0u8; 4096];
        while let Ok(n) = stdout.read(&mut buf) {
            if n == 0 {
                break;
            }
            text.extend_from_slice(&buf[..n]);
            if let Ok(v) = serde_json::from_slice::<Value>(&text) {
                let _ = tx.send(v);
            }
        }
    });
    let started = Instant::now();
    let printed = rx
        .recv_timeout(Duration::from_secs(6))
        .expect("the answer is printed while the write lock is held");
    eprintln!(
        "gdbot ask printed under a held write lock after {:?}",
        started.elapsed()
    );
    let id = printed["answer_id"]
        .as_i64()
        .expect("answer_id in the JSON");
    std::thread::sleep(Duration::from_millis(300));
    assert!(
        child.try_wait().expect("poll").is_none(),
        "gdbot waits for its record before exiting"
    );
    lock.release().await;
    let status = child.wait().expect("wait");
    assert!(status.success(), "{status}");
    // Written before the process exited: no waiting here.
    let app = gdbot::App::open(crate::support::config(&dir, &[]))
        .await
        .expect("reopen");
    let pool = app.store_for_tests().pool();
    let row = json_row(pool, ANSWER_SQL.of(pool.dialect()), id)
        .await
        .expect("query");
    assert_eq!(row["question"], QUESTION, "the answer was recorded");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn closing_the_store_writes_every_answer_still_queued() {
    let dir = tempfile::tempdir().unwrap();
    let app = app_with_dataset(&dir, &[]).await;
    let lock = WriteLock::take(&app.config_for_tests().database_url).await;
    let mut ids = Vec::new();
    for q in [QUESTION, "What is diffusion?", "Who founded Runway?"] {
        let a = app.ask(q, None, None).await.expect("answer");
        ids.push(a.answer_id.expect("an answer id"));
    }
    let closing = tokio::spawn({
        let app = app.clone();
        async move { app.close().await }
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(!closing.is_finished(), "close waits for the queued records");
    lock.release().await;
    closing.await.expect("close");
    let app = gdbot::App::open(crate::support::config(&dir, &[]))
        .await
        .expect("reopen");
    for id in ids {
        let n: i64 = gdbot::db!(app.store_for_tests().pool(), |c| sqlx::query_scalar(
            "SELECT COUNT(*) FROM answers WHERE id = $1"
        )
        .bind(id)
        .fetch_one(c)
        .await)
        .expect("query");
        assert_eq!(n, 1, "answer {id} was written before the store closed");
    }
}
