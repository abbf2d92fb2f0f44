//! Importing: the shipped dataset lands exactly; a rejected file never changes stored data;
//! readers during a reload see the old dataset or the new one, never a mix.

use std::time::Duration;

use gdbot::{store::ReloadError, App};

use crate::support::{app_with_dataset, config, db, DATASET};

fn dataset_text() -> String {
    std::fs::read_to_string(DATASET).unwrap()
}

#[tokio::test]
async fn shipped_dataset_imports_exactly() {
    let dir = tempfile::tempdir().unwrap();
    let app = App::open(config(&dir, &[])).await.unwrap();
    let report = app
        .ensure_dataset()
        .await
        .unwrap()
        .expect("first use imports");
    assert_eq!(
        (report.episodes, report.questions, report.added),
        (3, 105, 3)
    );
    assert!(report.repaired_fields > 0);
    let eps = app.episodes().await.unwrap();
    let titles: Vec<&str> = eps.iter().map(|e| e.title.as_str()).collect();
    assert!(
        titles.contains(&"Cristóbal Valenzuela — The Next Generation of Content Creation and AI"),
        "{titles:?}"
    );
    assert!(
        titles.iter().all(|t| !t.contains('β') && !t.contains('Γ')),
        "{titles:?}"
    );
    assert_eq!(eps.iter().map(|e| e.n_questions).sum::<i64>(), 105);
    // a second first-use check does nothing
    assert!(app.ensure_dataset().await.unwrap().is_none());
    // importing the same file again changes nothing
    let again = app
        .import_bytes(dataset_text().into_bytes(), "same.csv", false)
        .await
        .unwrap();
    assert_eq!(
        (again.unchanged, again.added, again.updated, again.removed),
        (3, 0, 0, 0)
    );
}

/// Each bad file is rejected with a message naming the place, and the stored data is byte-for-byte unchanged.
#[tokio::test]
async fn rejected_files_leave_the_dataset_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let app = app_with_dataset(&dir, &[]).await;
    let before = app.store_for_tests().dump().await.unwrap();
    let good = dataset_text();
    let header = good.lines().next().unwrap().to_string();
    let row = |title: &str, url: &str, length: &str, date: &str| {
        format!("0,{title},{url},{length},{date},\"some words here\",3,summary,\"['Q?']\"")
    };
    let cases: Vec<(&str, Vec<u8>, &[&str])> = vec![
        ("empty", Vec::new(), &["empty"]),
        ("binary", vec![0u8, 159, 146, 150, 0, 1, 2], &["binary"]),
        (
            "semicolons",
            b"title;url;length\nA;https://x.y/z;1\n".to_vec(),
            &["';'"],
        ),
        (
            "no rows",
            format!("{header}\n").into_bytes(),
            &["no episode rows"],
        ),
        (
            "bad url",
            format!("{header}\n{}\n", row("T", "ftp://x", "1", "2023-01-01")).into_bytes(),
            &["line 2", "url"],
        ),
        (
            "bad length",
            format!(
                "{header}\n{}\n",
                row("T", "https://a.b/c", "-5", "2023-01-01")
            )
            .into_bytes(),
            &["line 2", "length"],
        ),
        (
            "bad date",
            format!(
                "{header}\n{}\n",
                row("T", "https://a.b/c", "5", "2023-13-01")
            )
            .into_bytes(),
            &["line 2", "publish_date"],
        ),
        (
            "empty title",
            format!(
                "{header}\n{}\n",
                row("", "https://a.b/c", "5", "2023-01-01")
            )
            .into_bytes(),
            &["line 2", "title"],
        ),
        (
            "duplicate url",
            format!(
                "{header}\n{}\n{}\n",
                row("A", "https://a.b/c", "5", ""),
                row("B", "https://a.b/c", "5", "")
            )
            .into_bytes(),
            &["line 3", "url"],
        ),
        (
            "truncated",
            good.as_bytes()[..good.len() / 2].to_vec(),
            &["line"],
        ),
        (
            "invalid utf-8",
            [
                good.as_bytes()[..500].to_vec(),
                vec![0xff, 0xfe],
                good.as_bytes()[500..].to_vec(),
            ]
            .concat(),
            &["UTF-8", "500"],
        ),
        (
            "missing column",
            b"title,length\nA,5\n".to_vec(),
            &["`url`"],
        ),
    ];
    for (name, bytes, needles) in cases {
        let err = app
            .import_bytes(bytes, "bad.csv", false)
            .await
            .expect_err(name);
        let msg = err.to_string();
        assert!(matches!(err, ReloadError::Dataset(_)), "{name}: {msg}");
        for n in needles {
            assert!(
                msg.contains(n),
                "{name}: message `{msg}` should mention `{n}`"
            );
        }
        assert!(
            msg.contains("bad.csv"),
            "{name}: message names the file: {msg}"
        );
        assert_eq!(
            app.store_for_tests().dump().await.unwrap(),
            before,
            "{name}: stored data changed"
        );
    }
    // every attempt was logged as rejected
    let rejected: i64 = gdbot::db!(app.store_for_tests().pool(), |c| sqlx::query_scalar(
        "SELECT COUNT(*) FROM reloads WHERE outcome = 'rejected'"
    )
    .fetch_one(c)
    .await)
    .unwrap();
    assert_eq!(rejected, 12);
}

#[tokio::test]
async fn reload_reports_added_updated_removed_and_dry_run_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let app = app_with_dataset(&dir, &[]).await;
    let text = dataset_text();
    // drop the last episode, retitle the first
    let mut rdr = csv::ReaderBuilder::new().from_reader(text.as_bytes());
    let headers = rdr.headers().unwrap().clone();
    let mut rows: Vec<csv::StringRecord> = rdr.records().map(|r| r.unwrap()).collect();
    rows.pop();
    let mut first: Vec<String> = rows[0].iter().map(String::from).collect();
    first[1] = "A New Title".into();
    rows[0] = csv::StringRecord::from(first);
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(&headers).unwrap();
    for r in &rows {
        w.write_record(r).unwrap();
    }
    let bytes = w.into_inner().unwrap();
    let before = app.store_for_tests().dump().await.unwrap();
    let dry = app
        .import_bytes(bytes.clone(), "edit.csv", true)
        .await
        .unwrap();
    assert_eq!(
        (dry.updated, dry.removed, dry.unchanged, dry.dry_run),
        (1, 1, 1, true)
    );
    assert_eq!(
        app.store_for_tests().dump().await.unwrap(),
        before,
        "dry run changed data"
    );
    let r = app.import_bytes(bytes, "edit.csv", false).await.unwrap();
    assert_eq!((r.added, r.updated, r.removed, r.unchanged), (0, 1, 1, 1));
    let eps = app.episodes().await.unwrap();
    assert_eq!(eps.len(), 2);
    assert!(eps.iter().any(|e| e.title == "A New Title"));
    let logged: Vec<(String, i64, i64)> = gdbot::db!(app.store_for_tests().pool(), |c| {
        sqlx::query_as("SELECT outcome, updated, removed FROM reloads ORDER BY id DESC LIMIT 2")
            .fetch_all(c)
            .await
    })
    .unwrap();
    assert_eq!(
        logged,
        vec![("ok".to_string(), 1, 1), ("dry-run".to_string(), 1, 1)]
    );
}

/// A reader hammering reads during reloads sees 3 or 2 episodes with a matching index, never a mix.
/// The reader has a connection pool of its own (a second process, as far as the database can
/// tell), and searches too; on Postgres too (the Postgres run).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_reader_sees_old_or_new_never_a_mix() {
    let dir = tempfile::tempdir().unwrap();
    let app = app_with_dataset(&dir, &[]).await;
    let full = dataset_text();
    // the same file without its last episode
    let mut rdr = csv::ReaderBuilder::new().from_reader(full.as_bytes());
    let headers = rdr.headers().unwrap().clone();
    let rows: Vec<csv::StringRecord> = rdr.records().map(|r| r.unwrap()).collect();
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(&headers).unwrap();
    for r in &rows[..2] {
        w.write_record(r).unwrap();
    }
    let smaller = w.into_inner().unwrap();
    // episodes, windows in the index, episodes in the index's layout (20 bytes each)
    let consistent = |eps: i64, windows: i64, indexed: i64| {
        (eps == 3 && windows == 449 && indexed == 3) || (eps == 2 && windows == 272 && indexed == 2)
    };
    let done = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let last_seen = std::sync::Arc::new(std::sync::atomic::AtomicI64::new(0));
    let reader = {
        let store = gdbot::store::Store::open(&app.config_for_tests().database_url)
            .await
            .unwrap();
        let done = done.clone();
        let last_seen = last_seen.clone();
        tokio::spawn(async move {
            let mut seen = std::collections::BTreeSet::new();
            let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
            while !done.load(std::sync::atomic::Ordering::SeqCst)
                && tokio::time::Instant::now() < deadline
            {
                let (eps, windows, indexed) = db::archive_snapshot(&store).await;
                assert!(
                    consistent(eps, windows, indexed),
                    "mixed snapshot: {eps} episodes, {windows} windows, {indexed} indexed"
                );
                let found =
                    gdbot::retrieve::search(&store, "diffusion models", &Default::default())
                        .await
                        .unwrap();
                assert!(
                    !found.hits.is_empty() && found.hits.iter().all(|h| !h.text.is_empty()),
                    "a search during reloads finds passages with their text"
                );
                seen.insert(eps);
                last_seen.store(eps, std::sync::atomic::Ordering::SeqCst);
            }
            store.close().await;
            seen
        })
    };
    for i in 0..10 {
        let bytes = if i % 2 == 0 {
            smaller.clone()
        } else {
            full.clone().into_bytes()
        };
        app.import_bytes(bytes, "flip.csv", false).await.unwrap();
        // let the reader see this state before the next reload replaces it (so both are observed)
        let want = if i % 2 == 0 { 2 } else { 3 };
        let waited = tokio::time::Instant::now();
        while last_seen.load(std::sync::atomic::Ordering::SeqCst) != want
            && waited.elapsed() < Duration::from_secs(5)
        {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    }
    done.store(true, std::sync::atomic::Ordering::SeqCst);
    let seen = reader.await.unwrap();
    assert_eq!(
        seen.into_iter().collect::<Vec<_>>(),
        [2, 3],
        "the reader should have overlapped both states"
    );
}

#[tokio::test]
async fn files_are_merged_and_cross_file_duplicates_rejected() {
    let dir = tempfile::tempdir().unwrap();
    let app = App::open(config(&dir, &[])).await.unwrap();
    let page_copy = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/page_copy.csv.txt");
    let err = app
        .import_paths(
            &[DATASET.into(), page_copy.into()],
            false,
            &indicatif::ProgressBar::hidden(),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(err, ReloadError::DuplicateAcrossFiles { .. }),
        "{err}"
    );
    assert_eq!(app.store_for_tests().episode_count().await.unwrap(), 0);
    let r = app
        .import_paths(
            &[page_copy.into()],
            false,
            &indicatif::ProgressBar::hidden(),
        )
        .await
        .unwrap();
    assert_eq!(r.episodes, 3);
    assert!(
        r.warnings.iter().any(|w| w.contains("skipped 8 lines")),
        "{:?}",
        r.warnings
    );
}

/// A database whose passage index is missing or of another scheme (one written before the block
/// index, say) gets the index rebuilt from its transcripts when opened: same dump, same results.
#[tokio::test]
async fn a_missing_or_outdated_index_is_rebuilt_on_open() {
    let dir = tempfile::tempdir().unwrap();
    let app = app_with_dataset(&dir, &[]).await;
    let before = app.store_for_tests().dump().await.unwrap();
    let question = "How does Runway think about video generation?";
    let search = |app: App| async move {
        app.search(question, &Default::default())
            .await
            .unwrap()
            .hits
    };
    let hits = search(app.clone()).await;
    assert!(!hits.is_empty());
    let bad_layout = match app.store_for_tests().dialect() {
        gdbot::store::Dialect::Sqlite => "UPDATE index_meta SET layout = x'0102'",
        gdbot::store::Dialect::Postgres => "UPDATE index_meta SET layout = decode('0102', 'hex')",
    };
    for damage in [
        "DELETE FROM index_meta",
        "UPDATE index_meta SET scheme = 'blocks50-old'",
        bad_layout,
    ] {
        gdbot::db!(app.store_for_tests().pool(), |c| sqlx::query(damage)
            .execute(c)
            .await
            .map(gdbot::store::affected))
        .unwrap();
        let damaged = search(app.clone()).await;
        assert!(damaged.is_empty(), "{damage}: a bad index is not used");
        let reopened = App::open(config(&dir, &[])).await.unwrap();
        assert_eq!(
            reopened.store_for_tests().dump().await.unwrap(),
            before,
            "{damage}"
        );
        assert_eq!(search(reopened).await, hits, "{damage}");
    }
}
