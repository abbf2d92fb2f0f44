//! Import inputs that are easy to get wrong: multi-member gzip files (every member is read), data
//! over IMPORT_MAX_MB from a file, an attachment or the command line (refused, with the stored
//! dataset untouched), and zero-width characters inside stored words (indexed as the words).

use std::io::Write;

use gdbot::{store::ReloadError, App};

use crate::cli::gdbot;
use crate::support::{app_with_dataset, config, DATASET};

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(bytes).unwrap();
    gz.finish().unwrap()
}

/// The shipped dataset as two gzip members, split mid-row (`cat a.gz b.gz` does the same).
fn two_member_dataset() -> Vec<u8> {
    let text = std::fs::read(DATASET).unwrap();
    let (a, b) = text.split_at(text.len() / 2);
    [gzip(a), gzip(b)].concat()
}

#[tokio::test]
async fn every_gzip_member_is_imported() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cat.csv.gz");
    std::fs::write(&path, two_member_dataset()).unwrap();
    let app = App::open(config(&dir, &[])).await.unwrap();
    let r = app
        .import_paths(&[path], false, &indicatif::ProgressBar::hidden())
        .await
        .unwrap();
    assert_eq!((r.episodes, r.added, r.questions), (3, 3, 105));
    // the attachment path (/reload) reads the same bytes the same way
    let r = app
        .import_bytes(two_member_dataset(), "cat.csv.gz", false)
        .await
        .unwrap();
    assert_eq!((r.episodes, r.unchanged, r.removed), (3, 3, 0));
}

/// A `.csv.gz` of `rows` distinct, valid rows (a real dataset, just big): ~40 bytes compressed
/// per 1,000 bytes of text.
fn big_dataset(rows: usize) -> Vec<u8> {
    let mut text = String::from("title,url,transcript\n");
    let words = "word ".repeat(200);
    for i in 0..rows {
        text.push_str(&format!("Episode {i},https://example.org/{i},{words}\n"));
    }
    gzip(text.as_bytes())
}

#[tokio::test]
async fn an_attachment_inflating_past_the_limit_is_refused_and_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let app = app_with_dataset(&dir, &[("IMPORT_MAX_MB", "1")]).await;
    let before = app.store_for_tests().dump().await.unwrap();
    let bytes = big_dataset(3_000); // 3 MB of text
    assert!(bytes.len() < 1024 * 1024, "{} bytes", bytes.len());
    let err = app
        .import_bytes(bytes, "upload.csv.gz", false)
        .await
        .unwrap_err();
    let msg = err.to_string();
    assert!(matches!(err, ReloadError::Dataset(_)), "{msg}");
    assert!(
        msg.contains("upload.csv.gz") && msg.contains("IMPORT_MAX_MB") && msg.contains("1 MB"),
        "{msg}"
    );
    assert_eq!(app.store_for_tests().dump().await.unwrap(), before);
}

#[test]
fn the_cli_refuses_a_file_over_import_max_mb_and_keeps_the_dataset() {
    let dir = tempfile::tempdir().unwrap();
    let big = dir.path().join("big.csv.gz");
    std::fs::write(&big, big_dataset(3_000)).unwrap();
    let o = gdbot(&dir, &["episodes"], &[]);
    assert!(o.status.success());
    let o = gdbot(
        &dir,
        &["import", big.to_str().unwrap()],
        &[("IMPORT_MAX_MB", "1")],
    );
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(
        err.contains("big.csv.gz")
            && err.contains("IMPORT_MAX_MB")
            && err.contains("once decompressed")
            && err.contains("not changed"),
        "{err}"
    );
    let o = gdbot(&dir, &["episodes", "--json"], &[]);
    let eps: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(eps.as_array().unwrap().len(), 3);
    // within the default limit the same file imports
    let o = gdbot(&dir, &["import", big.to_str().unwrap()], &[]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let o = gdbot(&dir, &["episodes", "--json"], &[]);
    let eps: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(eps.as_array().unwrap().len(), 3_000);
}

#[test]
fn an_invalid_import_max_mb_stops_the_program() {
    let dir = tempfile::tempdir().unwrap();
    for bad in ["0", "lots", "99999"] {
        let o = gdbot(&dir, &["episodes"], &[("IMPORT_MAX_MB", bad)]);
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(
            !o.status.success() && err.contains("IMPORT_MAX_MB"),
            "{bad}: {err}"
        );
    }
}

/// Stored text with zero-width characters inside words is indexed as the words (the index folds
/// as queries do), for passages and for titles.
#[tokio::test]
async fn zero_width_characters_in_stored_text_are_folded_away() {
    let dir = tempfile::tempdir().unwrap();
    let app = App::open(config(&dir, &[])).await.unwrap();
    let csv = "title,url,transcript\n\
        Trans\u{200B}formers at scale,https://example.org/a,\"we talk about transfor\u{200B}mers and atten\u{00AD}tion\"\n\
        Something else,https://example.org/b,\"gardening tomatoes in the spring\"\n";
    app.import_bytes(csv.as_bytes().to_vec(), "zw.csv", false)
        .await
        .unwrap();
    for q in ["transformers", "attention"] {
        let found = app.search(q, &Default::default()).await.unwrap();
        assert_eq!(
            found.hits.first().map(|h| h.url.as_str()),
            Some("https://example.org/a"),
            "{q}"
        );
    }
    let eps = app.suggest_episodes("transformers", 1).await.unwrap();
    assert_eq!(eps.len(), 1);
    assert_eq!(eps[0].url, "https://example.org/a");
}
