//! Rejected rows and rejected files: each error names the line, row and column or the reason.

use super::*;

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

#[test]
fn crlf_files_report_physical_lines() {
    // Row 2 (physical line 3) has an empty title; a multi-line quoted field in row 3 pushes row 4 to
    // line 6. The same file with LF endings gives the same lines.
    let text = format!(
        "{HEADER}{}0,,https://a.org/2,1,,x,1,,\n{}{}",
        row(0, "T", "https://a.org/1"),
        "2,T2,https://a.org/3,1,,\"two\nlines\",2,,\n",
        "3,,https://a.org/4,1,,x,1,,\n"
    );
    for text in [text.clone(), text.replace('\n', "\r\n")] {
        let errors = row_errors(&text);
        let at: Vec<(u64, u64)> = errors.iter().map(|e| (e.line, e.row)).collect();
        assert_eq!(at, [(3, 2), (6, 4)], "{:?}", text.contains('\r'));
    }
}
