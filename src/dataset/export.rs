//! `Episode` values → the dataset's CSV (the inverse of the importer), so the CSV stays the
//! interchange format: the columns of `summary_que_data.csv` in its order (the unnamed pandas
//! index first), questions as the Python list literal pandas writes, and a `word_times` column
//! (see `word_times::to_csv`) when any episode has times. What this writes, the importer reads
//! back to the same episodes, and writing those again gives the same bytes.

use std::io::Write;

use super::{word_times, Episode};

/// The header, without `word_times`.
pub const COLUMNS: [&str; 9] = [
    "",
    "title",
    "url",
    "length",
    "publish_date",
    "transcript",
    "total_words",
    "summary",
    "questions",
];

/// Write `episodes` as a dataset CSV.
pub fn write_csv(episodes: &[Episode], out: impl Write) -> Result<(), csv::Error> {
    let timed = episodes.iter().any(|e| e.word_times_ms.is_some());
    let mut w = csv::WriterBuilder::new().from_writer(out);
    let mut header: Vec<&str> = COLUMNS.to_vec();
    if timed {
        header.push("word_times");
    }
    w.write_record(&header)?;
    for (i, ep) in episodes.iter().enumerate() {
        let mut row = vec![
            i.to_string(),
            ep.title.clone(),
            ep.url.clone(),
            ep.length_s.map(|n| n.to_string()).unwrap_or_default(),
            ep.publish_date.clone().unwrap_or_default(),
            ep.transcript.clone(),
            ep.total_words.to_string(),
            ep.summary.clone().unwrap_or_default(),
            python_list(&ep.questions),
        ];
        if timed {
            row.push(
                ep.word_times_ms
                    .as_deref()
                    .map(word_times::to_csv)
                    .unwrap_or_default(),
            );
        }
        w.write_record(&row)?;
    }
    w.flush()?;
    Ok(())
}

/// `['a', "b's"]`, as Python's `repr` writes a list of strings.
pub fn python_list(items: &[String]) -> String {
    let parts: Vec<String> = items.iter().map(|s| python_str(s)).collect();
    format!("[{}]", parts.join(", "))
}

/// Python's `repr` of a string: single quotes unless the text has one and no double quote;
/// backslashes, the quote and control characters escaped.
fn python_str(s: &str) -> String {
    let quote = if s.contains('\'') && !s.contains('"') {
        '"'
    } else {
        '\''
    };
    let mut out = String::with_capacity(s.len() + 2);
    out.push(quote);
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            c if (c as u32) < 0x20 || (0x7f..0xa0).contains(&(c as u32)) => {
                out.push_str(&format!("\\x{:02x}", c as u32));
            }
            '\u{2028}' | '\u{2029}' => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push(quote);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dataset::parse_questions;

    #[test]
    fn question_lists_are_written_as_python_does() {
        let qs = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(python_list(&[]), "[]");
        assert_eq!(
            python_list(&qs(&[
                "What is it?",
                "Who's there?",
                "Say \"hi\"",
                "both ' and \""
            ])),
            r#"['What is it?', "Who's there?", 'Say "hi"', 'both \' and "']"#
        );
        let odd = qs(&[
            "back\\slash",
            "new\nline\ttab",
            "bell\u{7}",
            "ÆØÅ — ok",
            "line\u{2028}sep",
        ]);
        assert_eq!(
            python_list(&odd),
            r"['back\\slash', 'new\nline\ttab', 'bell\x07', 'ÆØÅ — ok', 'line\u2028sep']"
        );
        // The importer reads every form back.
        for list in [
            qs(&["What is it?", "Who's there?", "Say \"hi\"", "both ' and \""]),
            odd,
        ] {
            assert_eq!(parse_questions(&python_list(&list)), Ok(list));
        }
    }
}
