//! Whole-file tests of `parse_bytes` / `load_file`: the shipped dataset and accepted variations;
//! rejections live in `reject.rs`, gzip members and size limits in `read.rs`. (pylist, mojibake and fields have their
//! own unit tests.)

use super::*;

mod read;
mod reject;
mod roundtrip;

const HEADER: &str = ",title,url,length,publish_date,transcript,total_words,summary,questions\n";

fn row(index: usize, title: &str, url: &str) -> String {
    format!("{index},{title},{url},60,2023-01-05,\"one two three\",3,A summary.,\"['Q one?', \"\"Q two's\"\"]\"\n")
}

fn parse(text: &str) -> Result<Dataset, DatasetError> {
    parse_bytes(text.as_bytes(), "test.csv", DEFAULT_MAX_BYTES)
}

fn ok(text: &str) -> Dataset {
    match parse(text) {
        Ok(ds) => ds,
        Err(e) => panic!("expected success, got: {e}"),
    }
}

fn err(text: &str) -> DatasetError {
    err_bytes(text.as_bytes())
}

fn err_bytes(bytes: &[u8]) -> DatasetError {
    match parse_bytes(bytes, "test.csv", DEFAULT_MAX_BYTES) {
        Ok(ds) => panic!("expected an error, got {} episodes", ds.episodes.len()),
        Err(e) => e,
    }
}

fn row_errors(text: &str) -> Vec<RowError> {
    match err(text) {
        DatasetError::Rows { errors, .. } => errors,
        other => panic!("expected row errors, got: {other}"),
    }
}

/// The single row error of `text`, checked to be in `column`, as its display text.
fn one_row_error(text: &str, column: &str) -> String {
    let errors = row_errors(text);
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(errors[0].column, column, "{errors:?}");
    errors[0].to_string()
}

fn dataset_path() -> String {
    concat!(env!("CARGO_MANIFEST_DIR"), "/data/summary_que_data.csv").to_string()
}

// ---------------------------------------------------------------- the shipped data

#[test]
fn real_dataset_parses_and_is_repaired() {
    let ds = match load_file(Path::new(&dataset_path()), DEFAULT_MAX_BYTES) {
        Ok(ds) => ds,
        Err(e) => panic!("{e}"),
    };
    assert_eq!(ds.episodes.len(), 3);
    let questions: usize = ds.episodes.iter().map(|e| e.questions.len()).sum();
    assert_eq!(questions, 105);
    assert_eq!(
        ds.episodes[0].title,
        "Sarah Catanzaro — Remembering the Lessons of the Last AI Renaissance"
    );
    assert_eq!(
        ds.episodes[1].title,
        "Cristóbal Valenzuela — The Next Generation of Content Creation and AI"
    );
    assert_eq!(ds.episodes[0].episode_id, "v3O20NMdOuA");
    assert_eq!(ds.episodes[0].length_s, Some(4584));
    assert_eq!(ds.episodes[0].publish_date.as_deref(), Some("2023-02-02"));
    assert!(ds.episodes[0].transcript.contains("DALL·E"));
    assert!(ds.repaired_fields > 0);
    for ep in &ds.episodes {
        for text in std::iter::once(&ep.transcript)
            .chain(std::iter::once(&ep.title))
            .chain(ep.summary.iter())
            .chain(ep.questions.iter())
        {
            assert!(!text.contains("β€"), "{}: unrepaired mojibake", ep.url);
        }
    }
    assert!(ds.warnings.is_empty(), "{:?}", ds.warnings);
}

#[test]
fn repair_keeps_word_counts_of_real_transcripts() {
    let bytes = std::fs::read(dataset_path()).unwrap_or_default();
    let mut reader = csv::Reader::from_reader(bytes.as_slice());
    let mut raw_counts = Vec::new();
    for record in reader.records().flatten() {
        let transcript = record.get(5).unwrap_or("");
        raw_counts.push(transcript.split_whitespace().count() as i64);
        let fixed = mojibake::repair(transcript).unwrap_or_else(|| transcript.to_string());
        assert_eq!(
            fixed.split_whitespace().count(),
            transcript.split_whitespace().count()
        );
        // The CSV's own total_words agrees with the raw transcript.
        assert_eq!(
            record.get(6),
            Some(raw_counts.last().unwrap_or(&0).to_string().as_str())
        );
    }
    assert_eq!(raw_counts.len(), 3);
    let ds = parse_bytes(&bytes, "d", DEFAULT_MAX_BYTES).unwrap_or_default();
    let parsed: Vec<i64> = ds.episodes.iter().map(|e| e.total_words).collect();
    assert_eq!(parsed, raw_counts);
}

#[test]
fn page_copy_skips_page_text() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/page_copy.csv.txt");
    let ds = match load_file(Path::new(path), DEFAULT_MAX_BYTES) {
        Ok(ds) => ds,
        Err(e) => panic!("{e}"),
    };
    let plain = load_file(Path::new(&dataset_path()), DEFAULT_MAX_BYTES).unwrap_or_default();
    assert_eq!(ds.episodes, plain.episodes);
    assert_eq!(ds.episodes.len(), 3);
    assert!(
        ds.warnings
            .iter()
            .any(|w| w.contains("skipped 8 lines before the header on line 9")),
        "{:?}",
        ds.warnings
    );
}

#[test]
fn page_copy_errors_report_physical_lines() {
    let text = format!(
        "Some page\ntext here\n{HEADER}{}0,,https://x.org/a,1,,a,,,\n",
        row(0, "T", "https://x.org/b")
    );
    let e = one_row_error(&text, "title");
    assert!(e.contains("line 5, row 2"), "{e}");
}

#[test]
fn gzip_files_load() {
    use std::io::Write;
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let path = dir.path().join("data.csv.gz");
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    let text = format!("{HEADER}{}", row(0, "T", "https://youtu.be/abc"));
    gz.write_all(text.as_bytes()).unwrap_or_default();
    std::fs::write(&path, gz.finish().unwrap_or_default()).unwrap_or_default();
    let ds = load_file(&path, DEFAULT_MAX_BYTES).unwrap_or_default();
    assert_eq!(ds.episodes.len(), 1);
    assert_eq!(ds.episodes[0].episode_id, "abc");
}

#[test]
fn missing_file_is_an_io_error_naming_the_path() {
    let e = load_file(Path::new("/nonexistent/dir/data.csv"), DEFAULT_MAX_BYTES).err();
    let msg = e.map(|e| e.to_string()).unwrap_or_default();
    assert!(
        msg.contains("/nonexistent/dir/data.csv") && msg.contains("cannot read"),
        "{msg}"
    );
}

// ---------------------------------------------------------------- accepted variations

#[test]
fn bom_and_crlf() {
    let text = format!(
        "\u{feff}{HEADER}{}{}",
        row(0, "First", "https://a.org/1"),
        row(1, "Second", "https://a.org/2")
    )
    .replace('\n', "\r\n");
    let ds = ok(&text);
    assert_eq!(ds.episodes.len(), 2);
    assert_eq!(ds.episodes[1].title, "Second");
    assert_eq!(ds.episodes[1].questions, vec!["Q one?", "Q two's"]);
    assert!(ds.warnings.is_empty(), "{:?}", ds.warnings);
}

#[test]
fn index_column_named_unnamed_or_absent() {
    let named = format!("Unnamed: 0{}{}", HEADER, row(0, "T", "https://a.org/1"));
    assert_eq!(ok(&named).episodes.len(), 1);
    let none = "title,url\nT,https://a.org/1\n";
    let ds = ok(none);
    assert_eq!(ds.episodes[0].title, "T");
    assert_eq!(ds.episodes[0].transcript, "");
    assert_eq!(ds.episodes[0].total_words, 0);
    assert!(
        ds.warnings
            .iter()
            .any(|w| w.contains("no `transcript` column")),
        "{:?}",
        ds.warnings
    );
}

#[test]
fn unknown_columns_are_named_in_a_warning() {
    let text = "title,url,guest,Rating\nT,https://a.org/1,Ann,5\n";
    let ds = ok(text);
    assert!(
        ds.warnings
            .iter()
            .any(|w| w.contains("`guest`") && w.contains("`Rating`") && w.contains("line 1")),
        "{:?}",
        ds.warnings
    );
}

#[test]
fn empty_optional_fields() {
    let text = format!("{HEADER}0,T,https://a.org/1,,,\"a b\",,,\n");
    let ep = &ok(&text).episodes[0];
    assert_eq!(ep.length_s, None);
    assert_eq!(ep.publish_date, None);
    assert_eq!(ep.summary, None);
    assert!(ep.questions.is_empty());
    assert_eq!(ep.total_words, 2);
}

#[test]
fn trims_and_accepts_pandas_floats() {
    let text =
        format!("{HEADER}0,  Padded title ,  https://a.org/1  , 123.0 , 2024-02-29 ,x,1.0,,[]\n");
    let ds = ok(&text);
    let ep = &ds.episodes[0];
    assert_eq!(ep.title, "Padded title");
    assert_eq!(ep.url, "https://a.org/1");
    assert_eq!(ep.length_s, Some(123));
    assert_eq!(ep.publish_date.as_deref(), Some("2024-02-29"));
    assert!(ds.warnings.is_empty(), "{:?}", ds.warnings);
}

#[test]
fn question_lists_python_and_json() {
    let python = r#"['It\'s', "say \"hi\"", 'a\\b', 'x\ny\tz', '\u00e9\xe9',  'last' , ]"#;
    let json = r#"["one", "two \"2\"", "\u00e9"]"#;
    for (literal, expected) in [
        (
            python,
            vec!["It's", "say \"hi\"", "a\\b", "x\ny\tz", "éé", "last"],
        ),
        (json, vec!["one", "two \"2\"", "é"]),
        ("[]", vec![]),
    ] {
        let text = format!(
            "title,url,questions\nT,https://a.org/1,\"{}\"\n",
            literal.replace('"', "\"\"")
        );
        assert_eq!(ok(&text).episodes[0].questions, expected, "{literal}");
    }
}

#[test]
fn total_words_mismatch_is_a_warning() {
    let text = format!("{HEADER}0,T,https://a.org/1,,,\"a b c d\",7,,\n");
    let ds = ok(&text);
    assert_eq!(ds.episodes[0].total_words, 4);
    assert!(
        ds.warnings
            .iter()
            .any(|w| w.contains("line 2, row 1") && w.contains("says 7") && w.contains("4 words")),
        "{:?}",
        ds.warnings
    );
}

#[test]
fn mojibake_in_every_text_field_is_counted() {
    let text = "title,url,transcript,summary,questions\n\
                \"CafÃ© β€” talk\",https://a.org/1,\"we say donâ€™t here\",\"Î±Î²Î³ letters\",\"['Ã©t Ã©?', 'fine?']\"\n\
                \"Γειά σου Κόσμε\",https://a.org/2,\"καλά… και\",,\n";
    let ds = ok(text);
    let ep = &ds.episodes[0];
    assert_eq!(ep.title, "Café — talk");
    assert_eq!(ep.transcript, "we say don’t here");
    assert_eq!(ep.summary.as_deref(), Some("αβγ letters"));
    assert_eq!(ep.questions, vec!["ét é?", "fine?"]);
    assert_eq!(ds.repaired_fields, 4);
    assert_eq!(ds.episodes[1].title, "Γειά σου Κόσμε");
    assert_eq!(ds.episodes[1].transcript, "καλά… και");
}

#[test]
fn episode_ids() {
    let text = "title,url\n\
                A,https://www.youtube.com/watch?v=AAAAAAAAAAA\n\
                B,https://youtu.be/BBBBBBBBBBB\n\
                C,https://youtube.com/shorts/CCCCCCCCCCC\n\
                D,https://www.youtube-nocookie.com/embed/DDDDDDDDDDD\n\
                E,https://Podcasts.Example.com/Gradient-Dissent/ep_5\n";
    let ids: Vec<String> = ok(text)
        .episodes
        .into_iter()
        .map(|e| e.episode_id)
        .collect();
    assert_eq!(
        ids,
        [
            "AAAAAAAAAAA",
            "BBBBBBBBBBB",
            "CCCCCCCCCCC",
            "DDDDDDDDDDD",
            "podcasts-example-com-gradient-dissent-ep-5"
        ]
    );
}
