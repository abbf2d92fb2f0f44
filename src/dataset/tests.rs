//! Whole-file tests of `parse_bytes` / `load_file`: the shipped dataset, accepted variations and
//! every rejection. (pylist, mojibake and fields have their own unit tests.)

use super::*;

const HEADER: &str = ",title,url,length,publish_date,transcript,total_words,summary,questions\n";

fn row(index: usize, title: &str, url: &str) -> String {
    format!("{index},{title},{url},60,2023-01-05,\"one two three\",3,A summary.,\"['Q one?', \"\"Q two's\"\"]\"\n")
}

fn parse(text: &str) -> Result<Dataset, DatasetError> {
    parse_bytes(text.as_bytes(), "test.csv")
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
    match parse_bytes(bytes, "test.csv") {
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
    let ds = match load_file(Path::new(&dataset_path())) {
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
    let ds = parse_bytes(&bytes, "d").unwrap_or_default();
    let parsed: Vec<i64> = ds.episodes.iter().map(|e| e.total_words).collect();
    assert_eq!(parsed, raw_counts);
}

#[test]
fn page_copy_skips_page_text() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/page_copy.csv.txt");
    let ds = match load_file(Path::new(path)) {
        Ok(ds) => ds,
        Err(e) => panic!("{e}"),
    };
    let plain = load_file(Path::new(&dataset_path())).unwrap_or_default();
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
    let ds = load_file(&path).unwrap_or_default();
    assert_eq!(ds.episodes.len(), 1);
    assert_eq!(ds.episodes[0].episode_id, "abc");
}

#[test]
fn missing_file_is_an_io_error_naming_the_path() {
    let e = load_file(Path::new("/nonexistent/dir/data.csv")).err();
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

// ---------------------------------------------------------------- rejected rows

#[test]
fn missing_required_columns() {
    for (text, column, line) in [
        ("url,transcript\nhttps://a.org,x\n", "title", 1),
        ("intro line\ntitle,transcript,summary\nT,x,y\n", "url", 2),
    ] {
        match err(text) {
            DatasetError::MissingColumn {
                column: c, line: l, ..
            } => {
                assert_eq!((c.as_str(), l), (column, line));
            }
            other => panic!("expected MissingColumn, got {other}"),
        }
    }
    let msg = err("url,transcript\nhttps://a.org,x\n").to_string();
    assert!(msg.contains("`title`") && msg.contains("line 1"), "{msg}");
}

#[test]
fn empty_title() {
    let e = one_row_error(&format!("{HEADER}0,  ,https://a.org/1,1,,x,1,,\n"), "title");
    assert!(
        e.contains("line 2, row 1") && e.contains("title is empty"),
        "{e}"
    );
}

#[test]
fn bad_urls() {
    for url in ["ftp://a.org/x", "www.example.com", "https://", "not a url"] {
        let e = one_row_error(&format!("title,url\nT,{url}\n"), "url");
        assert!(
            e.contains("line 2, row 1") && e.contains("http(s)"),
            "{url}: {e}"
        );
    }
}

#[test]
fn bad_lengths() {
    for length in ["12.5", "abc", "-3"] {
        let e = one_row_error(
            &format!("title,url,length\nT,https://a.org,{length}\n"),
            "length",
        );
        assert!(e.contains("line 2, row 1") && e.contains(length), "{e}");
    }
}

#[test]
fn bad_dates() {
    for date in [
        "2023-02-29",
        "2023-13-01",
        "2023-04-31",
        "02/03/2023",
        "2023-2-3",
    ] {
        let e = one_row_error(
            &format!("title,url,publish_date\nT,https://a.org,{date}\n"),
            "publish_date",
        );
        assert!(e.contains("line 2, row 1") && e.contains(date), "{e}");
    }
}

#[test]
fn bad_total_words() {
    let e = one_row_error(
        &format!("{HEADER}0,T,https://a.org/1,1,,x,many,,\n"),
        "total_words",
    );
    assert!(e.contains("\"many\" is not a whole number"), "{e}");
}

#[test]
fn unparseable_questions_say_where() {
    let text = "title,url,questions\nT,https://a.org,\"['What is X?', 'Why\"\n";
    let e = one_row_error(text, "questions");
    assert!(
        e.contains("line 2, row 1") && e.contains("unterminated string starting at char 16"),
        "{e}"
    );
}

#[test]
fn duplicate_urls_and_ids() {
    let text = format!(
        "{HEADER}{}{}{}",
        row(0, "A", "https://a.org/1"),
        row(1, "B", "https://a.org/2"),
        row(2, "C", "https://a.org/1")
    );
    let e = one_row_error(&text, "url");
    assert!(
        e.contains("line 4, row 3") && e.contains("first seen on line 2"),
        "{e}"
    );

    let text = "title,url\nA,https://youtu.be/XYZ\nB,https://www.youtube.com/watch?v=XYZ\n";
    let e = one_row_error(text, "url");
    assert!(
        e.contains("line 3, row 2")
            && e.contains("duplicate episode id \"XYZ\"")
            && e.contains("line 2"),
        "{e}"
    );
}

#[test]
fn wrong_field_count() {
    let text = format!(
        "{HEADER}{}1,T,https://a.org/2\n",
        row(0, "A", "https://a.org/1")
    );
    let e = one_row_error(&text, "*");
    assert!(
        e.contains("line 3, row 2") && e.contains("has 3 fields, expected 9"),
        "{e}"
    );
}

#[test]
fn all_row_errors_are_collected_and_capped() {
    let mut text = String::from("title,url,length\n");
    text.push_str(",https://a.org/0,x\n"); // two errors in one row
    for i in 1..=60 {
        text.push_str(&format!("T{i},nope,1\n"));
    }
    match err(&text) {
        DatasetError::Rows { errors, more, .. } => {
            assert_eq!(errors.len(), MAX_ROW_ERRORS);
            assert_eq!(more, 62 - MAX_ROW_ERRORS);
            assert_eq!((errors[0].row, errors[0].column.as_str()), (1, "title"));
            assert_eq!((errors[1].row, errors[1].column.as_str()), (1, "length"));
            assert_eq!((errors[2].line, errors[2].row), (3, 2));
        }
        other => panic!("expected Rows, got {other}"),
    }
    let shown = err(&text).to_string();
    assert!(
        shown.contains("62 row error(s)") && shown.contains("… and 12 more"),
        "{shown}"
    );
}

// ---------------------------------------------------------------- rejected files

#[test]
fn invalid_utf8_names_offset_and_line() {
    let mut bytes = b"title,url\nT,https://a.org/1\nCaf".to_vec();
    bytes.push(0xE9); // Latin-1 é
    bytes.extend_from_slice(b",https://a.org/2\n");
    match err_bytes(&bytes) {
        DatasetError::InvalidUtf8 { offset, line, .. } => assert_eq!((offset, line), (31, 3)),
        other => panic!("expected InvalidUtf8, got {other}"),
    }
}

#[test]
fn truncated_file_names_the_line_where_the_field_starts() {
    let text = format!(
        "{HEADER}{}1,T,https://a.org/2,1,,\"line one\nline two\nline thr",
        row(0, "A", "https://a.org/1")
    );
    match err(&text) {
        DatasetError::Truncated { line, .. } => assert_eq!(line, 3),
        other => panic!("expected Truncated, got {other}"),
    }
    // The opening quote on a later line of the record is found too.
    let text = "title,url,transcript\nT,https://a.org,\"ok\"\"\nstill\"\nU,https://b.org,\"x\ny\nz";
    match err(text) {
        DatasetError::Truncated { line, .. } => assert_eq!(line, 4),
        other => panic!("expected Truncated, got {other}"),
    }
}

#[test]
fn binary_data() {
    let msg = err_bytes(b"title,url\nT,htt\x00ps://a.org\n").to_string();
    assert!(
        msg.contains("not a dataset CSV") && msg.contains("binary data (NUL byte at offset 15)"),
        "{msg}"
    );
    let noise: Vec<u8> = (0..2000u32).map(|i| (i * 37 % 31 + 1) as u8).collect();
    let msg = err_bytes(&noise).to_string();
    assert!(
        msg.contains("binary data") && msg.contains("not text"),
        "{msg}"
    );
}

#[test]
fn wrong_delimiters() {
    let msg = err("title;url;length\nT;https://a.org;1\n").to_string();
    assert!(
        msg.contains("the header uses ';' as the delimiter; expected ','"),
        "{msg}"
    );
    let msg = err("title\turl\nT\thttps://a.org\n").to_string();
    assert!(msg.contains("tab") && msg.contains("expected ','"), "{msg}");
    let msg = err("\"title\"|\"url\"\nT|https://a.org\n").to_string();
    assert!(msg.contains("'|'"), "{msg}");
}

#[test]
fn no_recognizable_header() {
    let long = format!("Dear diary, {}\nmore text\n", "today ".repeat(30));
    let msg = err(&long).to_string();
    assert!(
        msg.contains("not a dataset CSV") && msg.contains("the first line is: \"Dear diary, today"),
        "{msg}"
    );
    assert!(
        msg.contains('…') && !msg.contains(&"today ".repeat(20)),
        "{msg}"
    );
}

#[test]
fn empty_files() {
    for text in ["", "   \n\r\n\t ", "\u{feff}"] {
        assert!(matches!(err(text), DatasetError::Empty { .. }), "{text:?}");
    }
}

#[test]
fn header_without_rows() {
    for text in [
        HEADER.to_string(),
        format!("{HEADER}\n\n"),
        "junk\ntitle,url".to_string(),
    ] {
        assert!(
            matches!(err(&text), DatasetError::NoRows { .. }),
            "{text:?}"
        );
    }
}
