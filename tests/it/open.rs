//! Opening and keeping a database usable: damaged postings are rebuilt, and first opens of a new
//! or old-schema database are safe when several processes race.

use std::str::FromStr;

use gdbot::{
    store::{Dialect, Store},
    App,
};
use sqlx::migrate::Migrator;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool};
use sqlx::Connection;

use crate::support::{app_with_dataset, config, db};

/// A postings blob damaged on disk is noticed by the next search that reads it (a warning), the
/// index is rebuilt from the transcripts, and the search finds what it found before.
#[tokio::test]
async fn damaged_postings_are_rebuilt_and_found_again() {
    let dir = tempfile::tempdir().unwrap();
    let app = app_with_dataset(&dir, &[]).await;
    let before = app.store_for_tests().dump().await.unwrap();
    let search = |app: App| async move {
        app.search("Runway", &Default::default())
            .await
            .unwrap()
            .hits
    };
    let hits = search(app.clone()).await;
    assert!(!hits.is_empty());
    let mut app = app;
    let damages = match app.store_for_tests().dialect() {
        Dialect::Sqlite => [
            "UPDATE postings SET data = x'ff' WHERE term = 'runway'",
            "UPDATE postings SET data = substr(data, 1, length(data) / 2) WHERE term = 'runway'",
            "UPDATE postings SET data = zeroblob(length(data)) WHERE term = 'runway'",
        ],
        Dialect::Postgres => [
            "UPDATE postings SET data = decode('ff', 'hex') WHERE term = 'runway'",
            "UPDATE postings SET data = substr(data, 1, length(data) / 2) WHERE term = 'runway'",
            "UPDATE postings SET data = decode(repeat('00', length(data)), 'hex') WHERE term = 'runway'",
        ],
    };
    for damage in damages {
        let changed = gdbot::db!(app.store_for_tests().pool(), |c| sqlx::query(damage)
            .execute(c)
            .await
            .map(gdbot::store::affected))
        .unwrap();
        assert_eq!(changed, 1, "{damage}");
        app.close().await;
        let reopened = App::open(config(&dir, &[])).await.unwrap();
        assert_eq!(search(reopened.clone()).await, hits, "{damage}");
        assert_eq!(
            reopened.store_for_tests().dump().await.unwrap(),
            before,
            "{damage}"
        );
        app = reopened;
    }
}

/// `n` opens of `url` at once, each on its own thread and runtime with its own pool (as separate
/// processes would be), released together by a barrier.
fn open_at_once(url: &str, n: usize) -> Vec<Result<(i64, usize), String>> {
    let start = std::sync::Arc::new(std::sync::Barrier::new(n));
    let threads: Vec<_> = (0..n)
        .map(|_| {
            let (url, start) = (url.to_string(), start.clone());
            std::thread::spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .unwrap();
                start.wait();
                rt.block_on(async {
                    let store = Store::open(&url).await.map_err(|e| e.to_string())?;
                    let episodes = store.episode_count().await.map_err(|e| e.to_string())?;
                    let found = gdbot::retrieve::search(&store, "diffusion", &Default::default())
                        .await
                        .map_err(|e| e.to_string())?;
                    store.close().await;
                    Ok((episodes, found.hits.len()))
                })
            })
        })
        .collect();
    threads.into_iter().map(|t| t.join().unwrap()).collect()
}

/// (episodes, passages found for "diffusion") per open; panics naming the first failure.
fn all_opened(results: Vec<Result<(i64, usize), String>>, what: &str) -> Vec<(i64, usize)> {
    results
        .into_iter()
        .map(|r| r.unwrap_or_else(|e| panic!("{what}: {e}")))
        .collect()
}

/// On Postgres, sqlx's migrator holds an advisory lock while it migrates.
#[test]
fn concurrent_first_opens_of_a_new_database_all_succeed() {
    for round in 0..5 {
        let dir = tempfile::tempdir().unwrap();
        let url = db::url(&dir, "new.db");
        let opened = all_opened(open_at_once(&url, 6), &format!("round {round}"));
        assert!(opened.iter().all(|&o| o == (0, 0)), "{opened:?}");
    }
}

/// A database with only the first migration applied (a gdbot from before the block index) and
/// three episodes in it.
async fn old_schema_database(dir: &tempfile::TempDir) -> String {
    let only_first = dir.path().join("migrations");
    std::fs::create_dir(&only_first).unwrap();
    let first = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/migrations/sqlite/0001_initial.sql"
    );
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

/// SQLite only (an old SQLite schema; the Postgres schema starts at today's): skipped on the
/// Postgres run, which has the SQLite run before it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_opens_upgrading_an_old_schema_all_succeed() {
    if db::on_postgres() {
        return;
    }
    for round in 0..5 {
        let dir = tempfile::tempdir().unwrap();
        let url = old_schema_database(&dir).await;
        let opened = tokio::task::spawn_blocking(move || open_at_once(&url, 6))
            .await
            .unwrap();
        let opened = all_opened(opened, &format!("round {round}"));
        // every open sees the three episodes and the index built from them
        assert!(
            opened.iter().all(|&(eps, hits)| eps == 3 && hits > 0),
            "{opened:?}"
        );
    }
}

/// The same race between processes: `gdbot episodes` four times at once on a new database and on
/// an old-schema one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_processes_open_new_and_old_databases() {
    for round in 0..3 {
        let dir = tempfile::tempdir().unwrap();
        let mut urls = vec![db::url(&dir, "new.db")];
        if !db::on_postgres() {
            urls.push(old_schema_database(&dir).await);
        }
        for url in urls {
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

/// A database written by main's binary before the migrations moved to `migrations/sqlite/`
/// (tests/data/db/README.md) opens as it is: its recorded migrations match the embedded ones
/// (nothing applied again; only 0005, conversations, which came later, is added), and its
/// episodes, index and answers are there.
#[tokio::test]
async fn a_database_made_by_an_older_binary_opens_without_migrating_again() {
    if db::on_postgres() {
        return; // SQLite only; the SQLite run has it
    }
    let dir = tempfile::tempdir().unwrap();
    let gz = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/db/main-6b2cf61.db.gz"
    );
    let mut bytes = Vec::new();
    std::io::Read::read_to_end(
        &mut flate2::read::GzDecoder::new(std::fs::File::open(gz).unwrap()),
        &mut bytes,
    )
    .unwrap();
    std::fs::write(dir.path().join("old.db"), bytes).unwrap();
    let url = format!("sqlite://{}/old.db", dir.path().display());
    let recorded = |url: String| async move {
        let pool = SqlitePool::connect(&url).await.unwrap();
        let rows: Vec<(i64, String, Vec<u8>)> = sqlx::query_as(
            "SELECT version, description, checksum FROM _sqlx_migrations ORDER BY version",
        )
        .fetch_all(&pool)
        .await
        .unwrap();
        pool.close().await;
        rows
    };
    let before = recorded(url.clone()).await;
    assert_eq!(before.len(), 5, "0001–0004 and 0006");
    let store = Store::open(&url).await.expect("opens");
    assert_eq!(store.episode_count().await.unwrap(), 2);
    let found = gdbot::retrieve::search(&store, "diffusion", &Default::default())
        .await
        .unwrap();
    assert_eq!(found.hits[0].episode_id, "OLDONE00001");
    let answers: i64 = gdbot::db!(store.pool(), |c| sqlx::query_scalar(
        "SELECT COUNT(*) FROM answers"
    )
    .fetch_one(c)
    .await)
    .unwrap();
    assert_eq!(answers, 1);
    store.close().await;
    let after = recorded(url).await;
    let kept: Vec<_> = after
        .iter()
        .filter(|(v, ..)| *v != 5 && *v != 7)
        .cloned()
        .collect();
    assert_eq!(kept, before, "no migration ran again");
    assert_eq!(
        after.len(),
        7,
        "0005 (conversations) and 0007 (ask turns) added"
    );
    let embedded: Vec<(i64, Vec<u8>)> = sqlx::migrate!("./migrations/sqlite")
        .iter()
        .map(|m| (m.version, m.checksum.to_vec()))
        .collect();
    let stored: Vec<(i64, Vec<u8>)> = after.into_iter().map(|(v, _, c)| (v, c)).collect();
    assert_eq!(stored, embedded, "the moved files are the same migrations");
}

/// Postgres over TLS (when the test server has it: `.ci/postgres` turns it on where openssl can
/// make a certificate): `sslmode=require` encrypts, `verify-full` checks the certificate against
/// `sslrootcert` — and without it, against the public roots, refuses this test CA's.
#[tokio::test]
async fn postgres_over_tls_is_encrypted_and_verified() {
    if !db::on_postgres() {
        return; // Postgres only
    }
    let dir = tempfile::tempdir().unwrap();
    let url = db::url(&dir, "t.db");
    let show = |setting: &'static str| {
        let url = url.clone();
        async move {
            let mut c = sqlx::PgConnection::connect(&url).await.unwrap();
            let v: String = sqlx::query_scalar(&format!("SHOW {setting}"))
                .fetch_one(&mut c)
                .await
                .unwrap();
            v
        }
    };
    if show("ssl").await != "on" {
        // .ci/run sets GDBOT_TEST_POSTGRES_TLS where its server has TLS: no silent skip there
        assert!(
            std::env::var_os("GDBOT_TEST_POSTGRES_TLS").is_none(),
            "GDBOT_TEST_POSTGRES_TLS is set but the server has ssl off"
        );
        eprintln!(
            "postgres_over_tls_is_encrypted_and_verified: skipped, the test server has no TLS"
        );
        return;
    }
    let ca = show("ssl_ca_file").await;
    let encrypted = |store: Store| async move {
        let on: bool = gdbot::db!(store.pool(), |c| sqlx::query_scalar(
            "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()"
        )
        .fetch_one(c)
        .await)
        .unwrap();
        store.close().await;
        on
    };
    let require = Store::open(&format!("{url}&sslmode=require"))
        .await
        .unwrap();
    assert!(encrypted(require).await, "sslmode=require");
    let verified = Store::open(&format!("{url}&sslmode=verify-full&sslrootcert={ca}"))
        .await
        .unwrap();
    assert!(encrypted(verified).await, "sslmode=verify-full with the CA");
    let plain = Store::open(&format!("{url}&sslmode=disable"))
        .await
        .unwrap();
    assert!(!encrypted(plain).await, "sslmode=disable");
    let refused = Store::open(&format!("{url}&sslmode=verify-full"))
        .await
        .expect_err("a certificate from an unknown CA");
    assert!(
        refused.to_string().contains("certificate"),
        "says why: {refused}"
    );
}

/// A rolling upgrade: a newer binary migrated the shared database, then a replica of this version
/// restarts. It opens the database (the migrations it does not know are left alone) and answers.
#[tokio::test]
async fn a_database_a_newer_binary_migrated_still_opens() {
    let dir = tempfile::tempdir().unwrap();
    let app = app_with_dataset(&dir, &[]).await;
    // what the newer binary recorded: a migration this one does not have
    gdbot::db!(app.store_for_tests().pool(), |c| sqlx::query(
        "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time)
         VALUES (9999, 'from a newer gdbot', TRUE, $1, 1)"
    )
    .bind(vec![7u8; 48])
    .execute(c)
    .await
    .map(gdbot::store::affected))
    .unwrap();
    app.close().await;
    let again = App::open(config(&dir, &[]))
        .await
        .expect("a newer schema opens");
    let hits = again
        .search("Runway", &Default::default())
        .await
        .unwrap()
        .hits;
    assert!(!hits.is_empty());
    again.close().await;
}
