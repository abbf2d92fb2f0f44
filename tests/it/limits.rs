//! The /ask rate limit across processes: on Postgres every process sharing the database counts
//! the same turns (a load balancer sends one user's requests to any replica); on SQLite each
//! process counts its own (`App::shared_turn` says so with `None`).

use std::time::{Duration, Instant};

use gdbot::App;
use sqlx::{Connection, PgConnection};

use crate::support::{config, db};

#[tokio::test]
async fn two_processes_on_postgres_share_a_users_turns() {
    let dir = tempfile::tempdir().unwrap();
    // two apps on one database, as two replicas are
    let a = App::open(config(&dir, &[])).await.unwrap();
    let b = App::open(config(&dir, &[])).await.unwrap();
    if !db::on_postgres() {
        assert_eq!(
            a.shared_turn(42, 2).await,
            None,
            "SQLite counts per process"
        );
        return;
    }
    assert_eq!(a.shared_turn(42, 2).await, Some(Ok(())));
    assert_eq!(b.shared_turn(42, 2).await, Some(Ok(())));
    match a.shared_turn(42, 2).await {
        Some(Err(wait)) => assert!(
            wait > Duration::from_secs(25) && wait <= Duration::from_secs(30),
            "one interval of 30 s: {wait:?}"
        ),
        other => panic!("the third turn within a minute, through either replica: {other:?}"),
    }
    assert_eq!(b.shared_turn(43, 2).await, Some(Ok(())), "another user");
    a.close().await;
    b.close().await;
}

#[tokio::test]
async fn a_shared_count_that_does_not_answer_is_left_within_half_a_second() {
    if !db::on_postgres() {
        return; // Postgres only; SQLite never waits for it
    }
    let dir = tempfile::tempdir().unwrap();
    let app = App::open(config(&dir, &[])).await.unwrap();
    assert_eq!(app.shared_turn(7, 5).await, Some(Ok(())));
    // another connection holds the user's row, as a stuck replica might
    let mut other = PgConnection::connect(&db::url(&dir, "t.db")).await.unwrap();
    sqlx::query("BEGIN").execute(&mut other).await.unwrap();
    sqlx::query("SELECT tat_ms FROM ask_turns WHERE user_id = 7 FOR UPDATE")
        .execute(&mut other)
        .await
        .unwrap();
    let t = Instant::now();
    assert_eq!(
        app.shared_turn(7, 5).await,
        None,
        "counted in the process instead"
    );
    let took = t.elapsed();
    assert!(
        took >= Duration::from_millis(450) && took < Duration::from_secs(2),
        "{took:?}"
    );
    sqlx::query("ROLLBACK").execute(&mut other).await.unwrap();
    // once the row is free the shared count is used again
    assert_eq!(app.shared_turn(7, 5).await, Some(Ok(())));
    app.close().await;
}
