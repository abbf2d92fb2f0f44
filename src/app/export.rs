//! `App::export`: the whole archive written as a dataset CSV (`.gz` when the name ends so),
//! to a temporary file beside the target that is renamed over it once complete, so a failed
//! export never leaves half a file under the name asked for.

use std::{
    io::{BufWriter, Write},
    path::{Path, PathBuf},
};

use flate2::{write::GzEncoder, Compression};
use serde::Serialize;

use super::App;
use crate::{dataset, store::StoreError};

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct ExportReport {
    pub path: String,
    pub episodes: usize,
    /// Episodes written with their word times (the `word_times` column).
    pub with_word_times: usize,
    pub bytes: u64,
    pub gzip: bool,
}

impl std::fmt::Display for ExportReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}: exported {} episodes ({} with word times), {} bytes{}",
            self.path,
            self.episodes,
            self.with_word_times,
            self.bytes,
            if self.gzip { ", gzip" } else { "" }
        )
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("{path}: cannot write the export: {error}")]
    Write { path: String, error: std::io::Error },
}

impl App {
    /// Write every stored episode to `path` in the dataset's CSV format (gzip-compressed when
    /// the name ends in `.gz`); `gdbot import` reads it back to the same archive.
    pub async fn export(&self, path: &Path) -> Result<ExportReport, ExportError> {
        let episodes = self.store.all_episodes().await?;
        let target = path.to_path_buf();
        tokio::task::spawn_blocking(move || write_file(&episodes, &target))
            .await
            .unwrap_or_else(|e| {
                Err(ExportError::Write {
                    path: path.display().to_string(),
                    error: std::io::Error::other(format!("the export task failed: {e}")),
                })
            })
    }
}

fn write_file(episodes: &[dataset::Episode], path: &Path) -> Result<ExportReport, ExportError> {
    let shown = path.display().to_string();
    let io = |error: std::io::Error| ExportError::Write {
        path: shown.clone(),
        error,
    };
    let gzip = path
        .file_name()
        .is_some_and(|n| n.to_string_lossy().to_ascii_lowercase().ends_with(".gz"));
    let temp = temp_path(path);
    let written = (|| -> std::io::Result<u64> {
        let file = std::fs::File::create(&temp)?;
        let mut out = BufWriter::new(file);
        if gzip {
            // GzEncoder's header has no time or name: the same archive gives the same bytes.
            let mut gz = GzEncoder::new(&mut out, Compression::default());
            dataset::write_csv(episodes, &mut gz).map_err(std::io::Error::other)?;
            gz.finish()?;
        } else {
            dataset::write_csv(episodes, &mut out).map_err(std::io::Error::other)?;
        }
        out.flush()?;
        let file = out.into_inner().map_err(|e| e.into_error())?;
        file.sync_all()?;
        Ok(file.metadata()?.len())
    })();
    let bytes = match written.and_then(|n| std::fs::rename(&temp, path).map(|()| n)) {
        Ok(n) => n,
        Err(e) => {
            let _ = std::fs::remove_file(&temp);
            return Err(io(e));
        }
    };
    Ok(ExportReport {
        path: shown,
        episodes: episodes.len(),
        with_word_times: episodes
            .iter()
            .filter(|e| e.word_times_ms.is_some())
            .count(),
        bytes,
        gzip,
    })
}

/// `dir/.name.tmp-PID` beside `path`, so the final rename stays on one filesystem.
fn temp_path(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map_or_else(|| "export".into(), |n| n.to_string_lossy().into_owned());
    path.with_file_name(format!(".{name}.tmp-{}", std::process::id()))
}
