//! Adding episodes: a merge into the archive (other episodes stay, the same URL updates), atomic,
//! reported and logged; a bad file, option or manifest row changes nothing; readers during an add
//! see the archive before or after it, never a mix.

use std::{path::Path, time::Duration};

use gdbot::{
    dataset::{EpisodeMeta, MetaField},
    store::{AddOutcome, ReloadError},
    AddError, App,
};

use crate::support::{app_with_dataset, db};

pub(crate) const GARDEN_URL: &str = "https://www.youtube.com/watch?v=garden12345";

pub(crate) fn meta(url: &str, title: &str) -> EpisodeMeta {
    EpisodeMeta {
        url: url.into(),
        title: title.into(),
        publish_date: Some("2024-03-01".into()),
        length_s: None,
    }
}

pub(crate) fn write(dir: &Path, name: &str, text: &str) -> std::path::PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

/// (url, content_hash) of every stored episode but `except`.
async fn others(app: &App, except: &str) -> Vec<(String, String)> {
    gdbot::db!(app.store_for_tests().pool(), |c| sqlx::query_as(
        "SELECT url, content_hash FROM episodes WHERE url <> $1 ORDER BY url"
    )
    .bind(except)
    .fetch_all(c)
    .await)
    .unwrap()
}

async fn reload_log(app: &App) -> Vec<(String, String, i64, i64, i64)> {
    gdbot::db!(app.store_for_tests().pool(), |c| sqlx::query_as(
        "SELECT source, outcome, added, updated, unchanged FROM reloads WHERE id > 1 ORDER BY id",
    )
    .fetch_all(c)
    .await)
    .unwrap()
}

#[tokio::test]
async fn a_text_file_is_added_the_same_url_updates_and_other_episodes_stay() {
    let dir = tempfile::tempdir().unwrap();
    let app = app_with_dataset(&dir, &[]).await;
    let before = others(&app, GARDEN_URL).await;
    let file = write(
        dir.path(),
        "garden.txt",
        "We talk about compost heaps and raised beds for tomatoes.",
    );
    let r = app
        .add_file(&file, meta(GARDEN_URL, "Gardening with AI"))
        .await
        .unwrap();
    assert_eq!(
        (r.added, r.updated, r.unchanged, r.archive_episodes),
        (1, 0, 0, 4)
    );
    let ep = &r.episodes[0];
    assert_eq!(
        (ep.episode_id.as_str(), ep.outcome, ep.words, ep.word_times),
        ("garden12345", AddOutcome::Added, 10, false)
    );
    assert_eq!(
        others(&app, GARDEN_URL).await,
        before,
        "other episodes stay as they were"
    );
    let hits = app
        .search("compost heaps", &Default::default())
        .await
        .unwrap()
        .hits;
    assert_eq!(
        hits.first().map(|h| h.episode_id.as_str()),
        Some("garden12345")
    );
    assert!(!hits[0].timestamp_exact, "a text file has no times");

    // The same file again: unchanged. A new text under the same URL: updated, still 4 episodes.
    let again = app
        .add_file(&file, meta(GARDEN_URL, "Gardening with AI"))
        .await
        .unwrap();
    assert_eq!((again.added, again.updated, again.unchanged), (0, 0, 1));
    let file = write(
        dir.path(),
        "garden.md",
        "Now about greenhouse heating in winter.",
    );
    let updated = app
        .add_file(&file, meta(GARDEN_URL, "Gardening with AI, part 2"))
        .await
        .unwrap();
    assert_eq!(
        (updated.added, updated.updated, updated.archive_episodes),
        (0, 1, 4)
    );
    let hits = app
        .search("greenhouse heating", &Default::default())
        .await
        .unwrap()
        .hits;
    assert_eq!(
        hits.first().map(|h| h.title.as_str()),
        Some("Gardening with AI, part 2")
    );
    assert!(
        app.search("compost heaps", &Default::default())
            .await
            .unwrap()
            .hits
            .iter()
            .all(|h| h.episode_id != "garden12345"),
        "the old text is gone from the index"
    );
    assert_eq!(others(&app, GARDEN_URL).await, before);
    let garden = |s: &str| s.ends_with("garden.txt") || s.ends_with("garden.md");
    let log = reload_log(&app).await;
    assert_eq!(log.len(), 3, "{log:?}");
    assert!(log.iter().all(|l| garden(&l.0) && l.1 == "ok"), "{log:?}");
    assert_eq!(
        log.iter().map(|l| (l.2, l.3, l.4)).collect::<Vec<_>>(),
        [(1, 0, 0), (0, 0, 1), (0, 1, 0)]
    );
}

/// Each bad input is refused naming the file, line or option, and the database is unchanged.
#[tokio::test]
async fn bad_files_and_options_change_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let app = app_with_dataset(&dir, &[("IMPORT_MAX_MB", "1")]).await;
    let before = app.store_for_tests().dump().await.unwrap();
    let d = dir.path();
    let good = write(d, "good.txt", "some words here");
    let big = write(d, "big.txt", &"word ".repeat(250_000));
    let empty = write(d, "empty.txt", "  \n ");
    let other = write(d, "slides.pdf", "%PDF-1.4");
    let folder = d.join("folder.vtt");
    std::fs::create_dir(&folder).unwrap();
    let url = "https://example.org/new";
    let stored_video = "https://youtu.be/v3O20NMdOuA"; // stored as …watch?v=v3O20NMdOuA
    let cases: Vec<(&str, &Path, EpisodeMeta, &[&str])> = vec![
        (
            "bad url",
            &good,
            meta("ftp://x", "T"),
            &["option `url`", "ftp://x"],
        ),
        (
            "empty title",
            &good,
            meta(url, "  "),
            &["option `title`", "empty"],
        ),
        (
            "bad date",
            &good,
            EpisodeMeta {
                publish_date: Some("2024-02-30".into()),
                ..meta(url, "T")
            },
            &["option `date`", "2024-02-30"],
        ),
        (
            "too big",
            &big,
            meta(url, "T"),
            &["big.txt", "IMPORT_MAX_MB"],
        ),
        ("no words", &empty, meta(url, "T"), &["empty.txt"]),
        (
            "unknown kind",
            &other,
            meta(url, "T"),
            &["slides.pdf", ".vtt"],
        ),
        (
            "missing",
            Path::new("/nonexistent/x.txt"),
            meta(url, "T"),
            &["/nonexistent/x.txt"],
        ),
        (
            "a directory",
            &folder,
            meta(url, "T"),
            &["folder.vtt", "a directory"],
        ),
        (
            "the same video under another URL",
            &good,
            meta(stored_video, "T"),
            &["v3O20NMdOuA", "watch?v=v3O20NMdOuA"],
        ),
    ];
    let n = cases.len();
    for (name, path, m, needles) in cases {
        let err = app.add_file(path, m).await.expect_err(name);
        let msg = err.to_string();
        for needle in needles {
            assert!(
                msg.contains(needle),
                "{name}: `{msg}` should mention `{needle}`"
            );
        }
        assert_eq!(
            app.store_for_tests().dump().await.unwrap(),
            before,
            "{name}"
        );
    }
    let rejected: i64 = gdbot::db!(app.store_for_tests().pool(), |c| sqlx::query_scalar(
        "SELECT COUNT(*) FROM reloads WHERE outcome = 'rejected'"
    )
    .fetch_one(c)
    .await)
    .unwrap();
    assert_eq!(rejected as usize, n, "every attempt is logged");
    // The option is named in a way front ends can use.
    let err = app.add_file(&good, meta("x", "T")).await.unwrap_err();
    assert!(
        matches!(
            &err,
            AddError::Invalid(gdbot::dataset::EpisodeFileError::Meta {
                field: MetaField::Url,
                ..
            })
        ),
        "{err:?}"
    );
    let taken = app
        .add_file(&good, meta(stored_video, "T"))
        .await
        .unwrap_err();
    assert!(
        matches!(taken, AddError::Store(ReloadError::IdTaken { .. })),
        "{taken:?}"
    );
}

#[tokio::test]
async fn a_manifest_is_validated_whole_then_added_in_one_transaction() {
    let dir = tempfile::tempdir().unwrap();
    let app = app_with_dataset(&dir, &[]).await;
    let before = app.store_for_tests().dump().await.unwrap();
    let d = dir.path();
    std::fs::create_dir(d.join("eps")).unwrap();
    write(d, "eps/one.txt", "first episode about bees and honey");
    write(d, "eps/two.md", "# Notes\n\nsecond episode about orchards");
    write(d, "eps/empty.txt", "");
    let bad = write(
        d,
        "bad.csv",
        "url,title,publish_date,file\n\
         https://example.org/1,One,2024-01-01,eps/one.txt\n\
         https://example.org/2,Two,2024-13-01,eps/two.md\n\
         https://example.org/3,Three,,eps/missing.txt\n",
    );
    let msg = app.add_manifest(&bad).await.unwrap_err().to_string();
    assert!(
        msg.contains("bad.csv: line 3, column `publish_date`"),
        "names the row: {msg}"
    );
    assert_eq!(app.store_for_tests().dump().await.unwrap(), before);
    // Rows are fine, one file is not: still nothing stored, and every bad file is named.
    let bad_file = write(
        d,
        "bad_file.csv",
        "url,title,publish_date,file\n\
         https://example.org/1,One,2024-01-01,eps/one.txt\n\
         https://example.org/2,Two,,eps/empty.txt\n\
         https://example.org/3,Three,,eps/missing.txt\n",
    );
    let msg = app.add_manifest(&bad_file).await.unwrap_err().to_string();
    assert!(
        msg.contains("2 problem(s)") && msg.contains("empty.txt") && msg.contains("missing.txt"),
        "{msg}"
    );
    assert_eq!(app.store_for_tests().dump().await.unwrap(), before);

    let good = write(
        d,
        "good.csv",
        "url,title,publish_date,file\n\
         https://example.org/1,One,2024-01-01,eps/one.txt\n\
         https://example.org/2,\"Two, the sequel\",,eps/two.md\n",
    );
    let r = app.add_manifest(&good).await.unwrap();
    assert_eq!((r.added, r.archive_episodes), (2, 5));
    assert_eq!(r.episodes[1].title, "Two, the sequel");
    let log: Vec<(String, i64)> = gdbot::db!(app.store_for_tests().pool(), |c| sqlx::query_as(
        "SELECT source, added FROM reloads WHERE outcome = 'ok' ORDER BY id DESC LIMIT 1",
    )
    .fetch_all(c)
    .await)
    .unwrap();
    assert!(
        log[0].0.ends_with("good.csv") && log[0].1 == 2,
        "one logged add: {log:?}"
    );
}

/// A reader during adds sees 3 episodes (before) or 4 with the new one's windows (after each
/// add or update), with an index matching the episode rows: never a mix.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_reader_sees_before_or_after_an_add_never_a_mix() {
    let dir = tempfile::tempdir().unwrap();
    let app = app_with_dataset(&dir, &[]).await;
    // 3 episodes: 449 windows. The added one: 600 words = 9 windows, or 1,200 words = 19.
    let short = write(dir.path(), "a.txt", &"alpha ".repeat(600));
    let long = write(dir.path(), "b.txt", &"beta ".repeat(1_200));
    let consistent = |eps: i64, windows: i64, indexed: i64| {
        indexed == eps && matches!((eps, windows), (3, 449) | (4, 458) | (4, 468))
    };
    let done = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let reader = {
        let store = app.store_for_tests().clone();
        let done = done.clone();
        tokio::spawn(async move {
            let mut seen = std::collections::BTreeSet::new();
            while !done.load(std::sync::atomic::Ordering::SeqCst) {
                let (eps, windows, indexed) = db::archive_snapshot(&store).await;
                assert!(
                    consistent(eps, windows, indexed),
                    "mixed snapshot: {eps} episodes, {windows} windows, {indexed} indexed"
                );
                seen.insert(windows);
            }
            seen
        })
    };
    tokio::time::sleep(Duration::from_millis(20)).await;
    for i in 0..10 {
        let file = if i % 2 == 0 { &short } else { &long };
        app.add_file(file, meta(GARDEN_URL, "Flip")).await.unwrap();
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    done.store(true, std::sync::atomic::Ordering::SeqCst);
    let seen = reader.await.unwrap();
    assert!(seen.len() >= 2, "the reader overlapped the adds: {seen:?}");
}

/// `gdbot add` as a user runs it: a JSON report, or exit 1 with the problem named and nothing
/// stored.
#[test]
fn the_add_command_reports_or_refuses() {
    use crate::cli::gdbot;
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), "garden.txt", "compost heaps and raised beds");
    let f = file.to_str().unwrap();
    let o = gdbot(
        &dir,
        &["add", f, "--url", "mailto:x", "--title", "Garden"],
        &[],
    );
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("option `url`") && err.contains("Nothing was stored."),
        "{err}"
    );
    let o = gdbot(
        &dir,
        &[
            "add", f, "--url", GARDEN_URL, "--title", "Garden", "--length", "95", "--json",
        ],
        &[],
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(
        (v["added"].as_u64(), v["archive_episodes"].as_u64()),
        (Some(1), Some(4))
    );
    assert_eq!(v["episodes"][0]["length_s"], 95);
    let o = gdbot(&dir, &["episodes"], &[]);
    let listed = String::from_utf8_lossy(&o.stdout);
    assert!(
        listed
            .lines()
            .any(|l| l.starts_with("garden12345") && l.contains("1:35")),
        "{listed}"
    );
}
