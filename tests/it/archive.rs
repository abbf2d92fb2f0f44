//! The archive as the command line shows it: exact-second citations for episodes with word
//! times (and "≈" kept for the others) in `search --json` and `ask --json`, and `gdbot export`,
//! whose file imported into an empty database exports to the same bytes.

use std::io::Read;

use serde_json::Value;

use crate::{add::write, cli::gdbot, support::DATASET};

pub(crate) const TIMED_URL: &str = "https://www.youtube.com/watch?v=zebrafish01";

/// Word `i` of the timed episode is said at 10.5 + 0.4·i seconds.
pub(crate) fn time_of(word: u64) -> f64 {
    10.5 + 0.4 * word as f64
}

/// A dataset CSV with one 400-word episode about zebrafish hearts that has word times.
pub(crate) fn timed_csv() -> String {
    let sentence =
        "The zebrafish heart regenerates after injury because cardiomyocytes divide again";
    let words: Vec<&str> = sentence.split(' ').cycle().take(400).collect();
    let times: Vec<String> = (0..400).map(|i| format!("{:.3}", time_of(i))).collect();
    format!(
        "title,url,length,transcript,word_times\n\
         Zebrafish hearts,{TIMED_URL},200,{},\"[{}]\"\n",
        words.join(" "),
        times.join(",")
    )
}

fn json(o: &std::process::Output) -> Value {
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    serde_json::from_slice(&o.stdout).expect("JSON on stdout")
}

/// A database with the shipped dataset and the timed episode.
fn archive_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let timed = write(dir.path(), "timed.csv", &timed_csv());
    let o = gdbot(&dir, &["import", DATASET, timed.to_str().unwrap()], &[]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    dir
}

#[test]
fn timed_episodes_are_cited_to_the_second_and_others_keep_the_estimate() {
    let dir = archive_dir();
    let v = json(&gdbot(
        &dir,
        &["search", "zebrafish cardiomyocytes", "--json"],
        &[],
    ));
    let hits = v["hits"].as_array().unwrap();
    assert!(!hits.is_empty());
    for h in hits.iter().filter(|h| h["url"] == TIMED_URL) {
        let start = h["start_word"].as_u64().unwrap();
        let t = time_of(start).floor() as i64;
        assert_eq!(h["timestamp_s"], t, "{h}");
        assert_eq!(h["timestamp_exact"], true, "{h}");
    }
    assert!(hits
        .iter()
        .any(|h| h["url"] == TIMED_URL && h["start_word"] != 0));
    let v = json(&gdbot(&dir, &["search", "diffusion models", "--json"], &[]));
    for h in v["hits"].as_array().unwrap() {
        assert_eq!(
            h["timestamp_exact"], false,
            "dataset episodes are estimated: {h}"
        );
    }

    let v = json(&gdbot(
        &dir,
        &["ask", "Why does the zebrafish heart regenerate?", "--json"],
        &[],
    ));
    let s = &v["sources"][0];
    assert_eq!(s["url"], TIMED_URL, "{v}");
    assert_eq!(s["timestamp_exact"], true);
    let t = s["timestamp_s"].as_i64().unwrap();
    assert_eq!(s["link"], format!("{TIMED_URL}&t={t}s"));

    // As text: the exact time without "≈"; the dataset's episodes keep it.
    let o = gdbot(
        &dir,
        &["ask", "Why does the zebrafish heart regenerate?"],
        &[],
    );
    let text = String::from_utf8_lossy(&o.stdout);
    // The cited episode's title once, then its moments: "  1:51 [1]  https://…".
    let lines: Vec<&str> = text.lines().collect();
    let title = lines
        .iter()
        .position(|l| l.starts_with("Zebrafish hearts"))
        .unwrap_or_else(|| panic!("{text}"));
    let line = lines.get(title + 1).copied().unwrap_or_default();
    assert!(
        line.starts_with(&format!("  {}:{:02} [1]  ", t / 60, t % 60)) && !line.contains('≈'),
        "{line}"
    );
    let o = gdbot(
        &dir,
        &["ask", "What is the insight behind diffusion models?"],
        &[],
    );
    let text = String::from_utf8_lossy(&o.stdout);
    let lines: Vec<&str> = text.lines().collect();
    assert!(
        lines
            .windows(2)
            .any(|w| w[0].starts_with("Jeremy Howard") && w[1].starts_with("  ≈")),
        "{text}"
    );
}

fn gunzip(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    flate2::read::MultiGzDecoder::new(bytes)
        .read_to_end(&mut out)
        .unwrap();
    out
}

/// export → import into an empty database → export gives the same bytes (CSV and .csv.gz), with
/// added episodes and word times included.
#[test]
fn export_then_import_into_an_empty_database_exports_the_same_bytes() {
    let dir = archive_dir();
    let note = write(
        dir.path(),
        "note.txt",
        "An episode added from a plain transcript.",
    );
    let o = gdbot(
        &dir,
        &[
            "add",
            note.to_str().unwrap(),
            "--url",
            "https://example.org/note",
            "--title",
            "A note",
        ],
        &[],
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    for name in ["archive.csv", "archive.csv.gz"] {
        let first = dir.path().join(name);
        let v = json(&gdbot(
            &dir,
            &["export", first.to_str().unwrap(), "--json"],
            &[],
        ));
        assert_eq!(
            (v["episodes"].as_u64(), v["with_word_times"].as_u64()),
            (Some(5), Some(1))
        );
        let empty = tempfile::tempdir().unwrap();
        let o = gdbot(&empty, &["import", first.to_str().unwrap()], &[]);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let second = empty.path().join(name);
        let o = gdbot(&empty, &["export", second.to_str().unwrap()], &[]);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let (a, b) = (
            std::fs::read(&first).unwrap(),
            std::fs::read(&second).unwrap(),
        );
        assert!(a == b, "{name}: the second export differs from the first");
        let text = if name.ends_with(".gz") { gunzip(&a) } else { a };
        let text = String::from_utf8(text).unwrap();
        assert!(
            text.starts_with(
                ",title,url,length,publish_date,transcript,total_words,summary,questions,word_times\n"
            ),
            "{}",
            &text[..120]
        );
        assert!(
            text.contains(",[],\n"),
            "no questions, no times: {text:.300}"
        );
    }
}
