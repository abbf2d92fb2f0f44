//! The header row's columns and the data rows → validated `Episode`s.

use std::collections::HashMap;

use super::sniff::{self, HeaderLocation, LineCounter};
use super::{
    fields, mojibake, pylist, word_times, Dataset, DatasetError, Episode, RowError, MAX_ROW_ERRORS,
};

/// Most `total_words` mismatch warnings listed one by one.
const MAX_COUNT_WARNINGS: usize = 10;

/// Column indices of the known columns in the header.
#[derive(Debug, Default)]
struct Columns {
    title: usize,
    url: usize,
    length: Option<usize>,
    publish_date: Option<usize>,
    transcript: Option<usize>,
    total_words: Option<usize>,
    summary: Option<usize>,
    questions: Option<usize>,
    word_times: Option<usize>,
    count: usize,
}

impl Columns {
    fn from_header(
        header: &csv::StringRecord,
        line: u64,
        source: &str,
        warnings: &mut Vec<String>,
    ) -> Result<Columns, DatasetError> {
        let mut found: HashMap<&'static str, usize> = HashMap::new();
        let mut unknown = Vec::new();
        for (i, raw) in header.iter().enumerate() {
            let name = sniff::normalize_name(raw);
            if name.is_empty() || name.starts_with("unnamed:") {
                continue; // the pandas index column
            }
            match sniff::KNOWN_COLUMNS.iter().find(|k| **k == name) {
                Some(known) => {
                    if found.contains_key(known) {
                        warnings.push(format!(
                            "the header on line {line} names column `{known}` twice; using the first"
                        ));
                    } else {
                        found.insert(known, i);
                    }
                }
                None => unknown.push(format!("`{}`", raw.trim())),
            }
        }
        if !unknown.is_empty() {
            warnings.push(format!(
                "ignoring unknown column(s) {} in the header on line {line}",
                unknown.join(", ")
            ));
        }
        let required = |column: &str| {
            found
                .get(column)
                .copied()
                .ok_or_else(|| DatasetError::MissingColumn {
                    source_name: source.to_string(),
                    column: column.to_string(),
                    line,
                })
        };
        let columns = Columns {
            title: required("title")?,
            url: required("url")?,
            length: found.get("length").copied(),
            publish_date: found.get("publish_date").copied(),
            transcript: found.get("transcript").copied(),
            total_words: found.get("total_words").copied(),
            summary: found.get("summary").copied(),
            questions: found.get("questions").copied(),
            word_times: found.get("word_times").copied(),
            count: header.len(),
        };
        if columns.transcript.is_none() {
            warnings.push(format!(
                "the header on line {line} has no `transcript` column; episodes get empty transcripts"
            ));
        }
        Ok(columns)
    }
}

/// Collects row errors up to the cap.
struct Errors {
    kept: Vec<RowError>,
    more: usize,
}

impl Errors {
    fn push(&mut self, line: u64, row: u64, column: &str, message: String) {
        if self.kept.len() < MAX_ROW_ERRORS {
            self.kept.push(RowError {
                line,
                row,
                column: column.to_string(),
                message,
            });
        } else {
            self.more += 1;
        }
    }
}

/// Parse everything from the header on.
pub fn parse(text: &str, header: HeaderLocation, source: &str) -> Result<Dataset, DatasetError> {
    let body = text.get(header.offset..).unwrap_or("");
    let line_base = header.line_index as u64; // reader line 1 = physical line line_index + 1
    let mut ds = Dataset {
        source: source.to_string(),
        ..Dataset::default()
    };
    if header.line_index > 0 {
        ds.warnings.push(format!(
            "skipped {} lines before the header on line {}",
            header.line_index,
            header.line_index + 1
        ));
    }
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(body.as_bytes());
    let mut record = csv::StringRecord::new();
    let read = |reader: &mut csv::Reader<&[u8]>, record: &mut csv::StringRecord| {
        reader
            .read_record(record)
            .map_err(|e| DatasetError::NotCsv {
                source_name: source.to_string(),
                reason: format!("CSV error: {e}"),
            })
    };
    if !read(&mut reader, &mut record)? {
        return Err(DatasetError::NoRows {
            source_name: source.to_string(),
        });
    }
    let header_line = line_base + 1;
    let columns = Columns::from_header(&record, header_line, source, &mut ds.warnings)?;

    let mut errors = Errors {
        kept: Vec::new(),
        more: 0,
    };
    let mut seen_urls: HashMap<String, u64> = HashMap::new();
    let mut seen_ids: HashMap<String, (String, u64)> = HashMap::new();
    let mut count_mismatches = 0usize;
    let mut row = 0u64;
    let mut last_start: Option<(usize, u64)> = None;
    let mut lines = LineCounter::new(body.as_bytes(), line_base + 1);
    while read(&mut reader, &mut record)? {
        let byte = record.position().map_or(0, |p| p.byte() as usize);
        let (byte, line) = lines.record_start(byte);
        last_start = Some((byte, line));
        if record.len() == 1 && record.get(0).is_some_and(|f| f.trim().is_empty()) {
            continue; // a whitespace-only line
        }
        row += 1;
        if record.len() != columns.count {
            errors.push(
                line,
                row,
                "*",
                format!(
                    "the row has {} fields, expected {} (as in the header on line {header_line})",
                    record.len(),
                    columns.count
                ),
            );
            continue;
        }
        let mut ctx = RowCtx {
            record: &record,
            line,
            row,
            errors: &mut errors,
            repaired: 0,
        };
        let episode = ctx.episode(&columns, &mut count_mismatches, &mut ds.warnings);
        ds.repaired_fields += ctx.repaired;
        let Some(episode) = episode else { continue };
        if let Some(first) = seen_urls.get(&episode.url) {
            errors.push(
                line,
                row,
                "url",
                format!(
                    "duplicate URL {:?}, first seen on line {first}",
                    episode.url
                ),
            );
            continue;
        }
        if let Some((other, first)) = seen_ids.get(&episode.episode_id) {
            errors.push(
                line,
                row,
                "url",
                format!(
                    "duplicate episode id {:?}: {:?} and {other:?} (line {first}) are the same episode",
                    episode.episode_id, episode.url
                ),
            );
            continue;
        }
        seen_urls.insert(episode.url.clone(), line);
        seen_ids.insert(episode.episode_id.clone(), (episode.url.clone(), line));
        ds.episodes.push(episode);
    }
    if let Some((byte, line)) = last_start {
        let raw = body.as_bytes().get(byte..).unwrap_or(&[]);
        if let Some(extra) = sniff::open_quote_line(raw) {
            return Err(DatasetError::Truncated {
                source_name: source.to_string(),
                line: line + extra as u64,
            });
        }
    }
    if count_mismatches > MAX_COUNT_WARNINGS {
        ds.warnings.push(format!(
            "… and {} more rows where total_words differs from the transcript",
            count_mismatches - MAX_COUNT_WARNINGS
        ));
    }
    if !errors.kept.is_empty() {
        return Err(DatasetError::Rows {
            source_name: source.to_string(),
            errors: errors.kept,
            more: errors.more,
        });
    }
    if row == 0 {
        return Err(DatasetError::NoRows {
            source_name: source.to_string(),
        });
    }
    Ok(ds)
}

/// One data row being validated.
struct RowCtx<'a> {
    record: &'a csv::StringRecord,
    line: u64,
    row: u64,
    errors: &'a mut Errors,
    repaired: usize,
}

impl<'a> RowCtx<'a> {
    fn get(&self, index: Option<usize>) -> &'a str {
        let record: &'a csv::StringRecord = self.record;
        index.and_then(|i| record.get(i)).unwrap_or("")
    }

    fn error(&mut self, column: &str, message: String) {
        self.errors.push(self.line, self.row, column, message);
    }

    fn repair(&mut self, text: &str) -> String {
        match mojibake::repair(text) {
            Some(fixed) => {
                self.repaired += 1;
                fixed
            }
            None => text.to_string(),
        }
    }

    /// Validate every field (reporting each problem) and build the episode if all are fine.
    fn episode(
        &mut self,
        columns: &Columns,
        count_mismatches: &mut usize,
        warnings: &mut Vec<String>,
    ) -> Option<Episode> {
        let mut ok = true;
        let title = self.get(Some(columns.title)).trim().to_string();
        if title.is_empty() {
            self.error("title", "the title is empty".to_string());
            ok = false;
        }
        let url = self.get(Some(columns.url)).trim().to_string();
        if let Err(e) = fields::check_url(&url) {
            self.error("url", format!("{e}; expected an http(s) URL with a host"));
            ok = false;
        }
        let length_text = self.get(columns.length).trim().to_string();
        let length_s = match length_text.as_str() {
            "" => None,
            t => match fields::whole_number(t) {
                Ok(n) => Some(n),
                Err(e) => {
                    self.error("length", format!("{e}; expected whole seconds"));
                    ok = false;
                    None
                }
            },
        };
        let date_text = self.get(columns.publish_date).trim().to_string();
        let publish_date = if date_text.is_empty() {
            None
        } else {
            if let Err(e) = fields::check_date(&date_text) {
                self.error("publish_date", e);
                ok = false;
            }
            Some(date_text)
        };
        let file_words = match self.get(columns.total_words).trim() {
            "" => None,
            t => match fields::whole_number(t) {
                Ok(n) => Some(n),
                Err(e) => {
                    let message = format!("{e}; expected a word count");
                    self.error("total_words", message);
                    ok = false;
                    None
                }
            },
        };
        let questions_text = self.get(columns.questions).trim().to_string();
        let questions = if questions_text.is_empty() {
            Vec::new()
        } else {
            match pylist::parse_list(&questions_text) {
                Ok(list) => list,
                Err(e) => {
                    self.error("questions", format!("cannot parse the list: {e}"));
                    ok = false;
                    Vec::new()
                }
            }
        };
        if !ok {
            return None;
        }
        let title = self.repair(&title);
        let transcript = self.repair(self.get(columns.transcript));
        let summary = match self.get(columns.summary) {
            s if s.trim().is_empty() => None,
            s => Some(self.repair(s)),
        };
        let questions = questions
            .iter()
            .map(|q| q.trim())
            .filter(|q| !q.is_empty())
            .map(|q| self.repair(q))
            .collect();
        let total_words = transcript.split_whitespace().count() as i64;
        if let Some(stated) = file_words.filter(|&n| n != total_words) {
            *count_mismatches += 1;
            if *count_mismatches <= MAX_COUNT_WARNINGS {
                warnings.push(format!(
                    "line {}, row {}: total_words says {stated} but the transcript has {total_words} words; using {total_words}",
                    self.line, self.row
                ));
            }
        }
        let times_text = self.get(columns.word_times).trim();
        let word_times_ms = if times_text.is_empty() {
            None
        } else {
            match word_times::from_csv(times_text, total_words as usize) {
                Ok(times) => Some(times),
                Err(e) => {
                    self.error("word_times", e);
                    return None;
                }
            }
        };
        Some(Episode {
            episode_id: fields::episode_id(&url),
            url,
            title,
            publish_date,
            length_s,
            total_words,
            transcript,
            summary,
            questions,
            word_times_ms,
        })
    }
}
