//! Caption and transcript files → words with times. Pure code: no SQL, no Discord, no I/O.
//!
//! WebVTT (YouTube's auto-generated shape included: rolling cues whose lines appear twice, inline
//! word timings), SubRip, and plain text / Markdown (no times). Every word keeps a start time where
//! the file gives one: its inline timestamp, else a share of its cue spread evenly. A bad file is
//! refused with the file, the line and what is wrong.
//!
//! Sound tags such as `[Music]` or `[Applause]` are kept as words: they are part of the transcript
//! a viewer sees, dropping them would make our word offsets disagree with the captions, and a
//! bracketed word may be speech (`[inaudible]`, an editor's `[sic]`).

mod build;
mod decode;
mod inline;
mod srt;
mod synth;
#[cfg(test)]
mod tests;
mod text;
mod timing;
mod vtt;

#[doc(hidden)]
pub use synth::synthetic_auto_vtt;

/// The kinds of file we read, chosen by the file name's extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CaptionFormat {
    /// WebVTT (`.vtt`).
    Vtt,
    /// SubRip (`.srt`).
    Srt,
    /// Plain text (`.txt`) or Markdown (`.md`, `.markdown`): words without times. `parse` reads
    /// Markdown markup when `source_name` ends in `.md` or `.markdown`, else takes words as they are.
    Text,
}

impl CaptionFormat {
    /// The format of a file by its extension, case-insensitive; `None` for anything else.
    pub fn from_file_name(name: &str) -> Option<CaptionFormat> {
        let (_, ext) = name.rsplit_once('.')?;
        match ext.to_ascii_lowercase().as_str() {
            "vtt" => Some(CaptionFormat::Vtt),
            "srt" => Some(CaptionFormat::Srt),
            "txt" | "text" | "md" | "markdown" => Some(CaptionFormat::Text),
            _ => None,
        }
    }
}

/// A transcript as words in order, with one start time per word when the file has times.
#[derive(Debug, Clone, PartialEq)]
pub struct TimedTranscript {
    /// The words joined by single spaces: `text.split_whitespace()` gives exactly the words (the
    /// word-offset space).
    pub text: String,
    /// One start time in seconds per word of `text.split_whitespace()`, non-decreasing, rounded to
    /// the millisecond; `None` for plain text (no times).
    pub word_times: Option<Vec<f64>>,
    /// End of the last cue in seconds (the latest cue end); `None` for plain text.
    pub duration_s: Option<f64>,
    /// Human-readable warnings (e.g. cues out of order that were sorted, an empty cue skipped).
    pub warnings: Vec<String>,
}

impl TimedTranscript {
    /// How many words `text` has.
    pub fn word_count(&self) -> usize {
        self.text.split_whitespace().count()
    }
}

/// Why a file was refused. Every message reads `<source_name>: line N: <what is wrong>`.
#[derive(Debug, thiserror::Error)]
pub enum CaptionError {
    #[error("{source_name}: line 1: the file is empty")]
    Empty { source_name: String },
    #[error("{source_name}: line {line}: {what}, not a caption or transcript file")]
    Binary {
        source_name: String,
        line: u64,
        /// What gave it away (`binary data (NUL byte at byte offset 12)`).
        what: String,
    },
    #[error(
        "{source_name}: line {line}: invalid UTF-8 at byte offset {offset}; save the file as UTF-8"
    )]
    InvalidUtf8 {
        source_name: String,
        line: u64,
        offset: u64,
    },
    /// A line that does not fit the format (a bad timing line, a missing header, …).
    #[error("{source_name}: line {line}: {message}")]
    Malformed {
        source_name: String,
        line: u64,
        message: String,
    },
    /// The file parsed but holds no words; `line` is its last line.
    #[error("{source_name}: line {line}: no words in the file ({reason})")]
    NoWords {
        source_name: String,
        line: u64,
        reason: String,
    },
}

impl CaptionError {
    /// The 1-based line the message points at.
    pub fn line(&self) -> u64 {
        match self {
            CaptionError::Empty { .. } => 1,
            CaptionError::Binary { line, .. }
            | CaptionError::InvalidUtf8 { line, .. }
            | CaptionError::Malformed { line, .. }
            | CaptionError::NoWords { line, .. } => *line,
        }
    }
}

/// Parse a caption or transcript file; `source_name` names it in messages and warnings.
///
/// The caller applies the import size cap; parsing is linear in the size of the file (10 MB of
/// auto-captions in about 70 ms in release). With `CaptionFormat::Text`, a `source_name` ending in
/// `.md`/`.markdown` means Markdown.
pub fn parse(
    bytes: &[u8],
    source_name: &str,
    format: CaptionFormat,
) -> Result<TimedTranscript, CaptionError> {
    let text = decode::to_text(bytes, source_name)?;
    let lines = decode::split_lines(text);
    match format {
        CaptionFormat::Vtt => {
            let cues = vtt::parse(&lines, source_name)?;
            build::build(cues, source_name, lines.len())
        }
        CaptionFormat::Srt => {
            let cues = srt::parse(&lines, source_name)?;
            build::build(cues, source_name, lines.len())
        }
        CaptionFormat::Text => text::parse(&lines, source_name),
    }
}

/// A `Malformed` error.
fn malformed(source_name: &str, line: usize, message: impl Into<String>) -> CaptionError {
    CaptionError::Malformed {
        source_name: source_name.to_string(),
        line: line as u64,
        message: message.into(),
    }
}

/// A line quoted in a message, cut to a readable length.
fn quote(line: &str) -> String {
    const MAX: usize = 60;
    let line = line.trim_end();
    match line.char_indices().nth(MAX) {
        Some((cut, _)) => format!("\"{}…\"", &line[..cut]),
        None => format!("\"{line}\""),
    }
}
