//! Imports: files or bytes are parsed off the async runtime, merged, then replace the stored
//! dataset atomically, one import at a time; a rejected import is logged.

use std::path::{Path, PathBuf};

use indicatif::ProgressBar;

use super::App;
use crate::{
    dataset::{self, Dataset, DatasetError},
    store::{ReloadError, ReloadReport},
};

impl App {
    /// Validate the files (merged into one dataset), then replace the stored dataset atomically.
    /// A rejected file leaves the stored data untouched and is logged.
    pub async fn import_paths(
        &self,
        paths: &[PathBuf],
        dry_run: bool,
        progress: &ProgressBar,
    ) -> Result<ReloadReport, ReloadError> {
        let owned = paths.to_vec();
        let max_bytes = self.config.import_max_bytes;
        let started = std::time::Instant::now();
        let parsed = tokio::task::spawn_blocking(move || load_all(&owned, max_bytes))
            .await
            .unwrap_or_else(|e| Err(io_error(paths, e).into()));
        tracing::debug!(ms = started.elapsed().as_millis() as u64, "parsed");
        let source = paths
            .iter()
            .map(|p| p.display().to_string())
            .collect::<Vec<_>>()
            .join(" + ");
        self.reload_parsed(parsed, &source, dry_run, progress).await
    }

    /// Same as `import_paths` for bytes already in memory (a Discord attachment).
    pub async fn import_bytes(
        &self,
        bytes: Vec<u8>,
        source: &str,
        dry_run: bool,
    ) -> Result<ReloadReport, ReloadError> {
        let name = source.to_string();
        let max_bytes = self.config.import_max_bytes;
        let parsed =
            tokio::task::spawn_blocking(move || dataset::parse_bytes(&bytes, &name, max_bytes))
                .await
                .unwrap_or_else(|e| Err(io_error(&[PathBuf::from(source)], e)))
                .map_err(ReloadError::from);
        self.reload_parsed(parsed, source, dry_run, &ProgressBar::hidden())
            .await
    }

    async fn reload_parsed(
        &self,
        parsed: Result<Dataset, ReloadError>,
        source: &str,
        dry_run: bool,
        progress: &ProgressBar,
    ) -> Result<ReloadReport, ReloadError> {
        let _one_at_a_time = self.reload_lock.lock().await;
        let result = match parsed {
            Ok(ds) => {
                self.store
                    .reload(std::sync::Arc::new(ds), dry_run, progress)
                    .await
            }
            Err(e) => Err(e),
        };
        if let Err(e) = &result {
            if let Err(log_err) = self.store.log_rejected(source, &e.to_string()).await {
                tracing::warn!(error = %log_err, "could not log the rejected reload");
            }
        }
        result
    }
}

/// Parse several dataset files into one (each at most `max_bytes` of text); the same URL or
/// episode id in two files is an error.
fn load_all(paths: &[PathBuf], max_bytes: u64) -> Result<Dataset, ReloadError> {
    let mut merged = Dataset::default();
    let mut seen = std::collections::HashMap::new();
    for p in paths {
        let ds = dataset::load_file(p, max_bytes)?;
        let name = p.display().to_string();
        for ep in &ds.episodes {
            for key in [&ep.url, &ep.episode_id] {
                if let Some(first) = seen.insert(key.clone(), name.clone()) {
                    return Err(ReloadError::DuplicateAcrossFiles {
                        key: key.clone(),
                        first,
                        second: name,
                    });
                }
            }
        }
        merged.source = if merged.source.is_empty() {
            name
        } else {
            format!("{} + {name}", merged.source)
        };
        merged.episodes.extend(ds.episodes);
        merged.warnings.extend(ds.warnings);
        merged.repaired_fields += ds.repaired_fields;
    }
    Ok(merged)
}

/// A crashed parse task: the details go to the log, the user gets a plain message.
fn io_error(paths: &[PathBuf], e: tokio::task::JoinError) -> DatasetError {
    tracing::error!(error = %e, "dataset parsing task failed");
    DatasetError::Io {
        source_name: paths
            .first()
            .map_or_else(String::new, |p: &PathBuf| Path::display(p).to_string()),
        error: std::io::Error::other(
            "the file could not be processed (internal error, see the bot's log)",
        ),
    }
}
