//! Opening and keeping a database usable: damaged postings are rebuilt, and first opens of a new
//! or old-schema database are safe when several processes race.

use std::str::FromStr;

use gdbot::{store::Store, App};
use sqlx::migrate::Migrator;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool};

use crate::support::{app_with_dataset, config};

/// A postings blob damaged on disk is noticed by the next search that reads it (a warning), the
/// index is rebuilt from the transcripts, and the search finds what it found before.
#[tokio::test]
async fn damaged_postings_are_rebuilt_and_found_again() {
    let dir = tempfile::tempdir().unwrap();
    let app = app_with_dataset(&dir, &[]).await;
    let before = app.store.dump().await.unwrap();
    let search = |app: App| async move {
        gdbot::retrieve::search(&app.store, "Runway", &Default::default())
            .await
            .unwrap()
            .hits
    };
    let hits = search(app.clone()).await;
    assert!(!hits.is_empty());
    let mut app = app;
    for damage in [
        "UPDATE postings SET data = x'ff' WHERE term = 'runway'",
        "UPDATE postings SET data = substr(data, 1, length(data) / 2) WHERE term = 'runway'",
        "UPDATE postings SET data = zeroblob(length(data)) WHERE term = 'runway'",
    ] {
        let changed = sqlx::query(damage)
            .execute(app.store.pool())
            .await
            .unwrap()
            .rows_affected();
        assert_eq!(changed, 1, "{damage}");
        app.store.close().await;
        let reopened = App::open(config(&dir, &[])).await.unwrap();
        assert_eq!(search(reopened.clone()).await, hits, "{damage}");
        assert_eq!(reopened.store.dump().await.unwrap(), before, "{damage}");
        app = reopened;
    }
}

/// `n` opens of `url` at once, each with its own pool (as separate processes would be).
async fn open_at_once(url: &str, n: usize) -> Vec<Result<Store, String>> {
    let opens = (0..n).map(|_| {
        let url = url.to_string();
        tokio::spawn(async move { Store::open(&url).await.map_err(|e| e.to_string()) })
    });
    let mut out = Vec::new();
    for o in opens {
        out.push(o.await.unwrap());
    }
    out
}

fn all_opened(results: Vec<Result<Store, String>>, what: &str) -> Vec<Store> {
    results
        .into_iter()
        .map(|r| r.unwrap_or_else(|e| panic!("{what}: {e}")))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_first_opens_of_a_new_database_all_succeed() {
    for round in 0..5 {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}/new.db", dir.path().display());
        let stores = all_opened(open_at_once(&url, 6).await, &format!("round {round}"));
        for s in &stores {
            assert_eq!(s.episode_count().await.unwrap(), 0);
            s.close().await;
        }
    }
}

/// A database with only the first migration applied (a gdbot from before the block index) and
/// three episodes in it.
async fn old_schema_database(dir: &tempfile::TempDir) -> String {
    let only_first = dir.path().join("migrations");
    std::fs::create_dir(&only_first).unwrap();
    let first = concat!(env!("CARGO_MANIFEST_DIR"), "/migrations/0001_initial.sql");
    std::fs::copy(first, only_first.join("0001_initial.sql")).unwrap();
    let url = format!("sqlite://{}/old.db", dir.path().display());
    let options = SqliteConnectOptions::from_str(&url)
        .unwrap()
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal);
    let pool = SqlitePool::connect_with(options).await.unwrap();
    Migrator::new(only_first.as_path())
        .await
        .unwrap()
        .run(&pool)
        .await
        .unwrap();
    let words = "diffusion models denoise images step by step ".repeat(40);
    for i in 0..3 {
        sqlx::query(
            "INSERT INTO episodes (episode_id, url, title, total_words, transcript, search_title, content_hash)
             VALUES (?, ?, ?, ?, ?, ?, 'old')",
        )
        .bind(format!("ep{i}"))
        .bind(format!("https://example.org/{i}"))
        .bind(format!("Episode {i}"))
        .bind(words.split_whitespace().count() as i64)
        .bind(&words)
        .bind(format!("episode {i}"))
        .execute(&pool)
        .await
        .unwrap();
    }
    pool.close().await;
    url
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_opens_upgrading_an_old_schema_all_succeed() {
    for round in 0..5 {
        let dir = tempfile::tempdir().unwrap();
        let url = old_schema_database(&dir).await;
        let stores = all_opened(open_at_once(&url, 6).await, &format!("round {round}"));
        for s in &stores {
            let found = gdbot::retrieve::search(s, "diffusion", &Default::default())
                .await
                .unwrap();
            assert!(!found.hits.is_empty(), "round {round}: the index was built");
            s.close().await;
        }
    }
}

/// The same race between processes: `gdbot episodes` four times at once on a new database and on
/// an old-schema one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_processes_open_new_and_old_databases() {
    for round in 0..3 {
        let dir = tempfile::tempdir().unwrap();
        let old = old_schema_database(&dir).await;
        for url in [format!("sqlite://{}/new.db", dir.path().display()), old] {
            let children: Vec<_> = (0..4)
                .map(|_| {
                    std::process::Command::new(env!("CARGO_BIN_EXE_gdbot"))
                        .arg("episodes")
                        .current_dir(dir.path())
                        .env("DATABASE_URL", &url)
                        .env("DATASET_PATH", crate::support::DATASET)
                        .env("RUST_LOG", "error")
                        .stdout(std::process::Stdio::null())
                        .stderr(std::process::Stdio::piped())
                        .spawn()
                        .unwrap()
                })
                .collect();
            for c in children {
                let o = c.wait_with_output().unwrap();
                assert!(
                    o.status.success(),
                    "round {round}, {url}: {}",
                    String::from_utf8_lossy(&o.stderr)
                );
            }
        }
    }
}
