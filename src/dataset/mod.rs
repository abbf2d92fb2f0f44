//! CSV → `Episode` values. Knows nothing of SQL or Discord.
//!
//! Tolerant where a person would expect it (BOM, CRLF, page text before the header, extra
//! columns, Python or JSON question lists, mojibake), strict where the data would be wrong.

use std::path::Path;

pub mod captions;
mod episode_file;
mod export;
mod fields;
mod manifest;
mod mojibake;
mod pylist;
mod read;
mod rows;
mod sniff;
#[cfg(test)]
mod tests;
pub mod word_times;

pub use episode_file::{
    check_meta, episode_from_bytes, episode_from_upload, load_episode, EpisodeFileError,
    EpisodeMeta, MetaField, EXTENSIONS,
};
pub use export::{python_list, write_csv};
pub use manifest::{load_all as load_manifest_files, read_manifest, ManifestEntry};
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
    /// When each word was said (from captions), in milliseconds: one per word of `transcript`,
    /// non-decreasing (validated by `word_times`). `None`: times are estimated from `length_s`.
    pub word_times_ms: Option<Vec<u32>>,
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
    #[error("{source_name}: {kind}, not a regular file; give the path of a .csv or .csv.gz file")]
    NotRegular {
        source_name: String,
        kind: &'static str,
    },
    #[error("{source_name}: the data is larger than IMPORT_MAX_MB allows ({limit}{}); raise IMPORT_MAX_MB if the file is genuine", if *.inflated { " once decompressed" } else { "" })]
    TooLarge {
        source_name: String,
        /// The limit, for people (`256 MB`).
        limit: String,
        /// The limit was reached while decompressing.
        inflated: bool,
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

/// Default of `max_bytes` (the `IMPORT_MAX_MB` variable): the largest dataset text, after
/// decompression, that is read into memory. The 2,048-episode Changelog corpus is 105 MB.
pub const DEFAULT_MAX_BYTES: u64 = 256 * 1024 * 1024;

/// Read and validate a dataset file (gzip data is decompressed, every member). Refused without
/// reading it whole: anything but a regular file, and data over `max_bytes` (after decompression).
pub fn load_file(path: &Path, max_bytes: u64) -> Result<Dataset, DatasetError> {
    let bytes = read::read_file(path, max_bytes)?;
    parse_text(&bytes, &path.display().to_string())
}

/// Parse and validate dataset bytes; `source_name` names the file in messages.
///
/// Gzip data (by its magic bytes) is decompressed here too, at most `max_bytes` of it.
pub fn parse_bytes(
    bytes: &[u8],
    source_name: &str,
    max_bytes: u64,
) -> Result<Dataset, DatasetError> {
    let bytes = read::inflate_if_needed(bytes, source_name, max_bytes)?;
    parse_text(&bytes, source_name)
}

/// Bytes already read (and inflated) → validated dataset.
fn parse_text(bytes: &[u8], source_name: &str) -> Result<Dataset, DatasetError> {
    let text = sniff::to_text(bytes, source_name)?;
    let header = sniff::find_header(text, source_name)?;
    rows::parse(text, header, source_name)
}
