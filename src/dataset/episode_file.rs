//! One new episode from a caption or transcript file plus what the file does not say (URL,
//! title, date, length): read bounded, parsed by its kind, validated into an `Episode`. Nothing
//! here touches the store; `App::add_*` merges the result into the archive.

use std::path::Path;

use super::{
    captions::{self, CaptionError, CaptionFormat, TimedTranscript},
    fields, read, word_times, DatasetError, Episode,
};

/// What a moderator gives besides the file (`gdbot add --url … --title …`, a manifest row, the
/// Discord command's options).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EpisodeMeta {
    pub url: String,
    pub title: String,
    /// `YYYY-MM-DD`.
    pub publish_date: Option<String>,
    /// Seconds; without it, the captions' last end time.
    pub length_s: Option<i64>,
}

/// Which piece of `EpisodeMeta` is wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MetaField {
    Url,
    Title,
    Date,
    Length,
}

impl MetaField {
    /// The option's name on the command line and in Discord.
    pub fn option(self) -> &'static str {
        match self {
            MetaField::Url => "url",
            MetaField::Title => "title",
            MetaField::Date => "date",
            MetaField::Length => "length",
        }
    }

    /// The column's name in a manifest.
    pub fn column(self) -> &'static str {
        match self {
            MetaField::Url => "url",
            MetaField::Title => "title",
            MetaField::Date => "publish_date",
            MetaField::Length => "length",
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum EpisodeFileError {
    /// Not a regular file, over the size limit, unreadable.
    #[error(transparent)]
    Read(#[from] DatasetError),
    /// A caption or transcript file that does not parse (names the file and line).
    #[error(transparent)]
    Caption(#[from] CaptionError),
    #[error("option `{}`: {message}", .field.option())]
    Meta { field: MetaField, message: String },
    #[error("{source_name}: {message}")]
    File {
        source_name: String,
        message: String,
    },
    #[error("{manifest}: line {line}, column `{column}`: {message}")]
    Manifest {
        manifest: String,
        line: u64,
        column: String,
        message: String,
    },
    #[error("{} problem(s):\n{}", .0.len(), .0.iter().map(|e| format!("  {e}")).collect::<Vec<_>>().join("\n"))]
    Several(Vec<EpisodeFileError>),
}

/// The kinds of file an episode can be added from, by extension (`captions::CaptionFormat`
/// also takes `.text` and `.markdown`).
pub const EXTENSIONS: [&str; 4] = [".vtt", ".srt", ".txt", ".md"];

/// Check the moderator's part: http(s) URL, a title, a real date, a plausible length.
pub fn check_meta(meta: &EpisodeMeta) -> Result<(), (MetaField, String)> {
    fields::check_url(meta.url.trim()).map_err(|e| {
        (
            MetaField::Url,
            format!("{e}; expected an http(s) URL with a host"),
        )
    })?;
    if meta.title.trim().is_empty() {
        return Err((MetaField::Title, "the title is empty".to_string()));
    }
    if let Some(date) = &meta.publish_date {
        fields::check_date(date.trim()).map_err(|e| (MetaField::Date, e))?;
    }
    if let Some(length) = meta.length_s {
        if !(0..=i64::from(word_times::MAX_MS / 1000)).contains(&length) {
            return Err((
                MetaField::Length,
                format!("{length} is not a length in seconds (0 to 360000)"),
            ));
        }
    }
    Ok(())
}

/// Read `path` (a regular file of at most `max_bytes`) and make it an episode.
pub fn load_episode(
    path: &Path,
    meta: &EpisodeMeta,
    max_bytes: u64,
) -> Result<(Episode, Vec<String>), EpisodeFileError> {
    check_meta(meta).map_err(|(field, message)| EpisodeFileError::Meta { field, message })?;
    let name = path.display().to_string();
    format_of(&name)?; // before reading it
    let bytes = read::read_file(path, max_bytes).map_err(|e| match e {
        // Its message asks for a CSV file.
        DatasetError::NotRegular { source_name, kind } => EpisodeFileError::File {
            source_name,
            message: format!(
                "{kind}, not a regular file; give the path of a caption or transcript file"
            ),
        },
        other => other.into(),
    })?;
    episode_from_bytes(&bytes, &name, meta)
}

/// An uploaded file (a Discord attachment) of at most `max_bytes` → an episode.
pub fn episode_from_upload(
    bytes: &[u8],
    source_name: &str,
    meta: &EpisodeMeta,
    max_bytes: u64,
) -> Result<(Episode, Vec<String>), EpisodeFileError> {
    check_meta(meta).map_err(|(field, message)| EpisodeFileError::Meta { field, message })?;
    let bytes = read::inflate_if_needed(bytes, source_name, max_bytes)?;
    episode_from_bytes(&bytes, source_name, meta)
}

/// Bytes of a caption or transcript file named `source_name` (its extension says the kind) →
/// an episode, with the parser's warnings. `meta` must have passed `check_meta`.
pub fn episode_from_bytes(
    bytes: &[u8],
    source_name: &str,
    meta: &EpisodeMeta,
) -> Result<(Episode, Vec<String>), EpisodeFileError> {
    let file_error = |message: String| EpisodeFileError::File {
        source_name: source_name.to_string(),
        message,
    };
    let parsed = parse(bytes, source_name)?;
    let total_words = parsed.text.split_whitespace().count();
    if total_words == 0 {
        return Err(file_error("the file has no transcript words".to_string()));
    }
    let word_times_ms = match &parsed.word_times {
        Some(times) => Some(word_times::from_seconds(times, total_words).map_err(file_error)?),
        None => None,
    };
    let length_s = meta.length_s.or_else(|| {
        let end = parsed.duration_s.or_else(|| {
            word_times_ms
                .as_ref()?
                .last()
                .map(|&ms| f64::from(ms) / 1000.0)
        })?;
        (end.is_finite() && end >= 0.0).then(|| end.ceil() as i64)
    });
    let url = meta.url.trim().to_string();
    Ok((
        Episode {
            episode_id: fields::episode_id(&url),
            url,
            title: meta.title.trim().to_string(),
            publish_date: meta.publish_date.as_ref().map(|d| d.trim().to_string()),
            length_s,
            total_words: total_words as i64,
            transcript: parsed.text,
            summary: None,
            questions: Vec::new(),
            word_times_ms,
        },
        parsed.warnings,
    ))
}

/// The file's words and times, by its kind (`captions::parse`).
fn parse(bytes: &[u8], source_name: &str) -> Result<TimedTranscript, EpisodeFileError> {
    let format = format_of(source_name)?;
    Ok(captions::parse(bytes, source_name, format)?)
}

/// The kind of file, by its name's extension.
fn format_of(source_name: &str) -> Result<CaptionFormat, EpisodeFileError> {
    CaptionFormat::from_file_name(source_name).ok_or_else(|| EpisodeFileError::File {
        source_name: source_name.to_string(),
        message: format!(
            "not a caption or transcript file: expected one of {}",
            EXTENSIONS.join(", ")
        ),
    })
}
