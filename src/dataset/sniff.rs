//! From raw bytes to text and the header's location: BOM, binary data, UTF-8, page text
//! before the header, wrong delimiters.

use super::DatasetError;

/// Column names the dataset knows; a line with several of them is a header.
pub const KNOWN_COLUMNS: [&str; 9] = [
    "title",
    "url",
    "length",
    "publish_date",
    "transcript",
    "total_words",
    "summary",
    "questions",
    "word_times",
];

/// How many lines may precede the header (page text copied with the CSV).
const HEADER_SEARCH_LINES: usize = 200;

/// Validate the bytes as a UTF-8 text file and return the text without its BOM.
pub fn to_text<'a>(bytes: &'a [u8], source: &str) -> Result<&'a str, DatasetError> {
    const BOM: &[u8] = b"\xEF\xBB\xBF";
    let (body, base) = match bytes.strip_prefix(BOM) {
        Some(rest) => (rest, BOM.len()),
        None => (bytes, 0),
    };
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(DatasetError::Empty {
            source_name: source.to_string(),
        });
    }
    if let Some(offset) = body.iter().position(|&b| b == 0) {
        return Err(not_csv(
            source,
            format!(
                "binary data (NUL byte at offset {})",
                offset.saturating_add(base)
            ),
        ));
    }
    let head = body.get(..4096).unwrap_or(body);
    let odd = head
        .iter()
        .filter(|&&b| b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r' | 0x0c))
        .count();
    let odd = odd + String::from_utf8_lossy(head).matches('\u{FFFD}').count();
    if odd * 10 > head.len() * 3 {
        return Err(not_csv(
            source,
            format!(
                "binary data ({odd} of the first {} bytes are not text)",
                head.len()
            ),
        ));
    }
    std::str::from_utf8(body).map_err(|e| {
        let at = e.valid_up_to();
        let line = body
            .get(..at)
            .map_or(0, |b| b.iter().filter(|&&c| c == b'\n').count());
        DatasetError::InvalidUtf8 {
            source_name: source.to_string(),
            offset: (at + base) as u64,
            line: line as u64 + 1,
        }
    })
}

/// Where the header row is.
#[derive(Debug, Clone, Copy)]
pub struct HeaderLocation {
    /// 0-based line index of the header (= number of lines before it).
    pub line_index: usize,
    /// Byte offset of the header line in the text.
    pub offset: usize,
}

/// Find the header: the first line that, parsed as CSV, has both `title` and `url`; failing
/// that, the first line naming at least two known columns (the caller reports what is missing).
pub fn find_header(text: &str, source: &str) -> Result<HeaderLocation, DatasetError> {
    let mut fallback = None;
    for (line_index, offset, line) in lines(text).take(HEADER_SEARCH_LINES) {
        let names = csv_fields(line);
        let has = |n: &str| names.iter().any(|f| f == n);
        let loc = HeaderLocation { line_index, offset };
        if has("title") && has("url") {
            return Ok(loc);
        }
        let known = KNOWN_COLUMNS.iter().filter(|k| has(k)).count();
        if known >= 2 && fallback.is_none() {
            fallback = Some(loc);
        }
    }
    if let Some(loc) = fallback {
        return Ok(loc);
    }
    for (line_index, _, line) in lines(text).take(HEADER_SEARCH_LINES) {
        for delimiter in [';', '\t', '|'] {
            let names: Vec<String> = line.split(delimiter).map(normalize_name).collect();
            if names.iter().any(|n| n == "title") && names.iter().any(|n| n == "url") {
                let shown = if delimiter == '\t' {
                    "'\\t' (tab)".to_string()
                } else {
                    format!("'{delimiter}'")
                };
                return Err(not_csv(
                    source,
                    format!(
                        "the header uses {shown} as the delimiter; expected ',' (header on line {}); \
                         re-export the file as comma-separated CSV",
                        line_index + 1
                    ),
                ));
            }
        }
    }
    let first = lines(text).next().map_or("", |(_, _, l)| l.trim());
    let mut shown: String = first.chars().take(80).collect();
    if first.chars().nth(80).is_some() {
        shown.push('…');
    }
    Err(not_csv(
        source,
        format!(
            "no header row with `title` and `url` columns in the first {HEADER_SEARCH_LINES} lines; \
             the first line is: {shown:?}"
        ),
    ))
}

/// Non-blank lines with their 0-based index and byte offset; `\r` is stripped.
fn lines(text: &str) -> impl Iterator<Item = (usize, usize, &str)> {
    let mut offset = 0;
    text.split('\n').enumerate().filter_map(move |(i, raw)| {
        let start = offset;
        offset += raw.len() + 1;
        let line = raw.strip_suffix('\r').unwrap_or(raw);
        (!line.trim().is_empty()).then_some((i, start, line))
    })
}

/// A column name as compared: trimmed, unquoted, lowercase.
pub fn normalize_name(name: &str) -> String {
    name.trim().trim_matches('"').trim().to_lowercase()
}

fn csv_fields(line: &str) -> Vec<String> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(line.as_bytes());
    let mut record = csv::StringRecord::new();
    match reader.read_record(&mut record) {
        Ok(true) => record.iter().map(normalize_name).collect(),
        _ => Vec::new(),
    }
}

/// If `raw` (one record's text to the end of the file) ends inside a quoted field, the number of
/// lines from the start of `raw` to the line where that field opens.
pub fn open_quote_line(raw: &[u8]) -> Option<usize> {
    let mut line = 0;
    let mut at_field_start = true;
    let mut quoted_since: Option<usize> = None;
    let mut i = 0;
    while let Some(&b) = raw.get(i) {
        if quoted_since.is_some() {
            if b == b'"' {
                if raw.get(i + 1) == Some(&b'"') {
                    i += 1;
                } else {
                    quoted_since = None;
                }
            }
        } else if b == b'"' && at_field_start {
            quoted_since = Some(line);
        }
        at_field_start = quoted_since.is_none() && matches!(b, b',' | b'\n');
        if b == b'\n' {
            line += 1;
        }
        i += 1;
    }
    quoted_since
}

/// Physical line numbers of records, counted from byte offsets. The csv reader's own line count
/// lags one behind with CRLF endings: a record's position points at the `\n` of the previous
/// record's `\r\n`, before it is counted.
pub struct LineCounter<'a> {
    bytes: &'a [u8],
    /// Offset counted up to, and the physical line there.
    at: usize,
    line: u64,
}

impl<'a> LineCounter<'a> {
    /// `first_line`: the physical line of `bytes[0]`.
    pub fn new(bytes: &'a [u8], first_line: u64) -> Self {
        LineCounter {
            bytes,
            at: 0,
            line: first_line,
        }
    }

    /// Where the record reported at `byte` really starts (after any line ends), and its line.
    /// Offsets must not decrease between calls.
    pub fn record_start(&mut self, byte: usize) -> (usize, u64) {
        let mut start = byte.max(self.at);
        while matches!(self.bytes.get(start), Some(b'\r' | b'\n')) {
            start += 1;
        }
        let passed = self.bytes.get(self.at..start).unwrap_or(&[]);
        self.line += passed.iter().filter(|&&b| b == b'\n').count() as u64;
        self.at = start;
        (start, self.line)
    }
}

fn not_csv(source: &str, reason: String) -> DatasetError {
    DatasetError::NotCsv {
        source_name: source.to_string(),
        reason,
    }
}
