//! Adding episodes to the archive (a merge; `import` replaces): files are read and parsed off the
//! async runtime and validated whole before anything is stored, then merged in one transaction,
//! one import or add at a time. A rejected add is logged like a rejected reload.

use std::{collections::HashMap, path::Path};

use super::App;
use crate::{
    dataset::{self, word_times, Episode, EpisodeFileError, EpisodeMeta, MetaField},
    store::{AddReport, ReloadError},
};

#[derive(Debug, thiserror::Error)]
pub enum AddError {
    /// A bad file, option or manifest row: names the file, line, column or option.
    #[error(transparent)]
    Invalid(#[from] EpisodeFileError),
    #[error(transparent)]
    Store(#[from] ReloadError),
}

impl App {
    /// Merge episodes into the archive: new URLs are added, a stored URL is updated, the other
    /// episodes stay. Atomic; `source` names the input in the report and the `reloads` log.
    pub async fn add_episodes(
        &self,
        episodes: Vec<Episode>,
        source: &str,
    ) -> Result<AddReport, AddError> {
        self.add_checked(Ok((episodes, Vec::new())), source).await
    }

    /// Add (or update) one episode from a caption or transcript file (`.vtt`, `.srt`, `.txt`,
    /// `.md`, at most `IMPORT_MAX_MB`).
    pub async fn add_file(&self, path: &Path, meta: EpisodeMeta) -> Result<AddReport, AddError> {
        let owned = path.to_path_buf();
        let max_bytes = self.config.import_max_bytes;
        let parsed = blocking(move || {
            dataset::load_episode(&owned, &meta, max_bytes).map(|(ep, w)| (vec![ep], w))
        })
        .await;
        self.add_checked(parsed, &path.display().to_string()).await
    }

    /// Add every file a manifest lists (`url,title,publish_date,file`): all are validated before
    /// anything is stored, and stored in one transaction.
    pub async fn add_manifest(&self, manifest: &Path) -> Result<AddReport, AddError> {
        let owned = manifest.to_path_buf();
        let max_bytes = self.config.import_max_bytes;
        let parsed = blocking(move || {
            let entries = dataset::read_manifest(&owned, max_bytes)?;
            dataset::load_manifest_files(&entries, max_bytes)
        })
        .await;
        self.add_checked(parsed, &manifest.display().to_string())
            .await
    }

    /// `add_file` for bytes already in memory (a Discord attachment named `file_name`).
    pub async fn add_bytes(
        &self,
        bytes: Vec<u8>,
        file_name: &str,
        meta: EpisodeMeta,
    ) -> Result<AddReport, AddError> {
        let name = file_name.to_string();
        let max_bytes = self.config.import_max_bytes;
        let parsed = blocking(move || {
            dataset::episode_from_upload(&bytes, &name, &meta, max_bytes)
                .map(|(ep, w)| (vec![ep], w))
        })
        .await;
        self.add_checked(parsed, file_name).await
    }

    /// Check what a moderator gives besides the file (before a Discord attachment is fetched).
    pub fn check_episode_meta(&self, meta: &EpisodeMeta) -> Result<(), (MetaField, String)> {
        dataset::check_meta(meta)
    }

    async fn add_checked(
        &self,
        parsed: Result<(Vec<Episode>, Vec<String>), EpisodeFileError>,
        source: &str,
    ) -> Result<AddReport, AddError> {
        let _one_at_a_time = self.reload_lock.lock().await;
        let result = match parsed.and_then(|(eps, w)| check_episodes(&eps).map(|()| (eps, w))) {
            Ok((episodes, warnings)) => self
                .store
                .add_episodes(&episodes, source, warnings)
                .await
                .map_err(AddError::from),
            Err(e) => Err(e.into()),
        };
        if let Err(e) = &result {
            if let Err(log_err) = self.store.log_rejected(source, &e.to_string()).await {
                tracing::warn!(error = %log_err, "could not log the rejected add");
            }
        }
        result
    }
}

/// Run a parse on a blocking thread; a crashed task becomes a plain error (details in the log).
async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, EpisodeFileError> + Send + 'static,
) -> Result<T, EpisodeFileError> {
    tokio::task::spawn_blocking(work).await.unwrap_or_else(|e| {
        tracing::error!(error = %e, "episode parsing task failed");
        Err(EpisodeFileError::File {
            source_name: "add".to_string(),
            message: "the file could not be processed (internal error, see the log)".to_string(),
        })
    })
}

/// What the store relies on, for episodes built anywhere: valid fields, word times that fit,
/// each URL and episode id once.
fn check_episodes(episodes: &[Episode]) -> Result<(), EpisodeFileError> {
    let mut seen: HashMap<&str, &str> = HashMap::new();
    for ep in episodes {
        let meta = EpisodeMeta {
            url: ep.url.clone(),
            title: ep.title.clone(),
            publish_date: ep.publish_date.clone(),
            length_s: ep.length_s,
        };
        let invalid = |field: MetaField, message: String| EpisodeFileError::File {
            source_name: ep.url.clone(),
            message: format!("{}: {message}", field.column()),
        };
        dataset::check_meta(&meta).map_err(|(field, message)| invalid(field, message))?;
        let words = ep.transcript.split_whitespace().count();
        if ep.total_words != words as i64 || words == 0 {
            return Err(EpisodeFileError::File {
                source_name: ep.url.clone(),
                message: format!(
                    "transcript: {words} words, total_words says {}; an episode needs words",
                    ep.total_words
                ),
            });
        }
        if let Some(times) = &ep.word_times_ms {
            let seconds: Vec<f64> = times.iter().map(|&t| f64::from(t) / 1000.0).collect();
            word_times::from_seconds(&seconds, words).map_err(|e| EpisodeFileError::File {
                source_name: ep.url.clone(),
                message: format!("word_times: {e}"),
            })?;
        }
        for key in [ep.url.as_str(), ep.episode_id.as_str()] {
            if let Some(first) = seen.insert(key, &ep.url) {
                return Err(EpisodeFileError::File {
                    source_name: ep.url.clone(),
                    message: format!(
                        "`{key}` is also the episode {first}; each episode may be added once at a time"
                    ),
                });
            }
        }
    }
    Ok(())
}
