//! CSV → `Episode` values. Knows nothing of SQL or Discord.
//!
//! Tolerant where a person would expect it (BOM, CRLF, page text before the header, extra
//! columns, Python or JSON question lists, mojibake), strict where the data would be wrong.

use std::io::Read;
use std::path::Path;

mod fields;
mod mojibake;
mod pylist;
mod rows;
mod sniff;
#[cfg(test)]
mod tests;

pub use mojibake::repair as repair_mojibake;
pub use pylist::parse_list as parse_questions;

/// One podcast episode as read from the dataset. Identity is the URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Episode {
    /// Stable short id: the YouTube video id, else a slug derived from the URL.
    pub episode_id: String,
    pub url: String,
    pub title: String,
    /// `YYYY-MM-DD`.
    pub publish_date: Option<String>,
    pub length_s: Option<i64>,
    /// Words of `transcript` split on Unicode whitespace (the word-offset space).
    pub total_words: i64,
    pub transcript: String,
    pub summary: Option<String>,
    pub questions: Vec<String>,
}

/// A whole parsed and validated dataset file.
#[derive(Debug, Clone, Default)]
pub struct Dataset {
    pub source: String,
    pub episodes: Vec<Episode>,
    /// Human-readable warnings (skipped page lines, unknown columns, total_words mismatch…).
    pub warnings: Vec<String>,
    /// How many fields had mojibake undone.
    pub repaired_fields: usize,
}

/// One problem with one row, located by physical line, data row and column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowError {
    /// 1-based physical line in the file where the record starts.
    pub line: u64,
    /// 1-based data row (the first record after the header is row 1).
    pub row: u64,
    pub column: String,
    pub message: String,
}

impl std::fmt::Display for RowError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "line {}, row {}, column `{}`: {}",
            self.line, self.row, self.column, self.message
        )
    }
}

#[derive(Debug, thiserror::Error)]
pub enum DatasetError {
    #[error("{source_name}: cannot read file: {error}")]
    Io {
        source_name: String,
        error: std::io::Error,
    },
    #[error("{source_name}: the file is empty")]
    Empty { source_name: String },
    #[error("{source_name}: not a dataset CSV: {reason}")]
    NotCsv { source_name: String, reason: String },
    #[error("{source_name}: invalid UTF-8 at byte offset {offset} (line {line}); save the file as UTF-8")]
    InvalidUtf8 {
        source_name: String,
        offset: u64,
        line: u64,
    },
    #[error("{source_name}: missing required column `{column}` in the header on line {line}")]
    MissingColumn {
        source_name: String,
        column: String,
        line: u64,
    },
    #[error("{source_name}: the file ends inside a quoted field that starts on line {line} (truncated file or unclosed quote)")]
    Truncated { source_name: String, line: u64 },
    #[error("{source_name}: the header is there but the file has no episode rows")]
    NoRows { source_name: String },
    #[error("{source_name}: {} row error(s):\n{}{}", .errors.len() + .more, format_rows(.errors), if *.more > 0 { format!("\n… and {} more", .more) } else { String::new() })]
    Rows {
        source_name: String,
        errors: Vec<RowError>,
        /// Errors beyond the cap that were counted but not kept.
        more: usize,
    },
}

fn format_rows(errors: &[RowError]) -> String {
    errors
        .iter()
        .map(|e| format!("  {e}"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Most row errors kept in one `DatasetError::Rows`.
pub const MAX_ROW_ERRORS: usize = 50;

/// Read and validate a dataset file (`.gz` is decompressed).
pub fn load_file(path: &Path) -> Result<Dataset, DatasetError> {
    let source_name = path.display().to_string();
    let io = |error: std::io::Error| DatasetError::Io {
        source_name: source_name.clone(),
        error,
    };
    let bytes = std::fs::read(path).map_err(io)?;
    let is_gz = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("gz"));
    if is_gz {
        let mut out = Vec::with_capacity(bytes.len().saturating_mul(4));
        flate2::read::GzDecoder::new(bytes.as_slice())
            .read_to_end(&mut out)
            .map_err(io)?;
        return parse_bytes(&out, &source_name);
    }
    parse_bytes(&bytes, &source_name)
}

/// Parse and validate dataset bytes; `source_name` names the file in messages.
///
/// Gzip data (by its magic bytes) is decompressed here too.
pub fn parse_bytes(bytes: &[u8], source_name: &str) -> Result<Dataset, DatasetError> {
    let bytes = sniff::gunzip_if_needed(bytes, source_name)?;
    let text = sniff::to_text(&bytes, source_name)?;
    let header = sniff::find_header(text, source_name)?;
    rows::parse(text, header, source_name)
}
