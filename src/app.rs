//! `App`, the front door: every operation the CLI and Discord offer, over the store and the
//! answerer it owns. Front ends call these methods and render the results; they do not reach
//! into the store or the configuration.

mod add;
mod enrich;
mod export;
mod followup;
mod import;
mod stats;

use std::{path::PathBuf, time::Duration};

use indicatif::ProgressBar;

pub use add::AddError;
pub use enrich::EnrichTarget;
pub use export::{ExportError, ExportReport};

use crate::{
    answer::{Answer, AnswerError, Answerer},
    config::{Config, DiscordConfig},
    eval::{self, Gold, Scores},
    fold::fold,
    retrieve::{self, RetrieveError, SearchOptions, SearchResult},
    store::{Dialect, EpisodeDetail, EpisodeRow, ReloadError, ReloadReport, Store, StoreError},
};

/// Configuration, storage and the answerer, shared by every request (cloning is cheap).
#[derive(Debug, Clone)]
pub struct App {
    config: Config,
    store: Store,
    answerer: Answerer,
    reload_lock: std::sync::Arc<tokio::sync::Mutex<()>>,
    enrich_lock: std::sync::Arc<tokio::sync::Mutex<()>>,
}

/// What `App::find_episode` made of a query; each front end words it its own way.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EpisodeLookup {
    /// The best match for the id, URL or title words.
    Found(EpisodeRow),
    /// No episode matches; the closest titles, best first (perhaps none).
    NotFound { closest: Vec<String> },
    /// No letter or digit to look up (`?!`, `*`): every episode would "match", so none is picked.
    NothingToLookUp,
}

/// How many closest titles a failed lookup suggests.
const CLOSEST_TITLES: usize = 3;

/// How long a rate check waits for the shared count before counting in this process.
const SHARED_TURN_WAIT: Duration = Duration::from_millis(500);

impl App {
    pub async fn open(config: Config) -> Result<App, StoreError> {
        let store = Store::open(&config.database_url).await?;
        Ok(App {
            answerer: Answerer::new(&config),
            store,
            config,
            reload_lock: Default::default(),
            enrich_lock: Default::default(),
        })
    }

    /// Write what is still queued and close the database: the last call on an `App` (and its
    /// clones).
    pub async fn close(&self) {
        self.store.close().await;
    }

    /// The Discord settings (token, guild, limits), for the bot.
    pub fn discord(&self) -> &DiscordConfig {
        &self.config.discord
    }

    /// The LLM model answers come from; `None` when answers are quoted excerpts.
    pub fn llm_model(&self) -> Option<&str> {
        self.answerer.model()
    }

    /// One of `user`'s turns under a limit of `per_minute` questions a minute, counted in the
    /// database when processes share one (Postgres: a user's requests may reach any replica).
    /// `None` means "count it in this process": on SQLite (one host, and a rate check must not
    /// wait for the write lock an import holds for seconds), or when the database did not answer
    /// within `SHARED_TURN_WAIT` (logged; a limit is not worth holding up an answer for).
    pub async fn shared_turn(&self, user: u64, per_minute: u32) -> Option<Result<(), Duration>> {
        if self.store.dialect() != Dialect::Postgres {
            return None;
        }
        match tokio::time::timeout(SHARED_TURN_WAIT, self.store.take_turn(user, per_minute)).await {
            Ok(Ok(turn)) => Some(turn),
            Ok(Err(e)) => {
                tracing::warn!(error = %e, "shared rate limit unavailable; counting in this process");
                None
            }
            Err(_) => {
                tracing::warn!("shared rate limit too slow; counting in this process");
                None
            }
        }
    }

    /// All episodes, newest first.
    pub async fn episodes(&self) -> Result<Vec<EpisodeRow>, StoreError> {
        self.store.episodes().await
    }

    /// One episode by its id, with summary and suggested questions.
    pub async fn episode(&self, episode_id: &str) -> Result<Option<EpisodeDetail>, StoreError> {
        self.store.episode(episode_id).await
    }

    /// The episode a user means by `query`: a video id, a URL or words of the title or guest
    /// name; else the closest titles. A query with nothing to look up is refused.
    pub async fn find_episode(&self, query: &str) -> Result<EpisodeLookup, StoreError> {
        if fold(query).is_empty() {
            return Ok(EpisodeLookup::NothingToLookUp);
        }
        if let Some(row) = self.store.find_episodes(query, 1).await?.into_iter().next() {
            return Ok(EpisodeLookup::Found(row));
        }
        let closest = self.store.closest_titles(query, CLOSEST_TITLES).await?;
        Ok(EpisodeLookup::NotFound { closest })
    }

    /// Up to `limit` episodes matching what was typed so far, best first (autocomplete).
    pub async fn suggest_episodes(
        &self,
        typed: &str,
        limit: usize,
    ) -> Result<Vec<EpisodeRow>, StoreError> {
        self.store.find_episodes(typed, limit).await
    }

    /// Rank transcript passages for `query`.
    pub async fn search(
        &self,
        query: &str,
        options: &SearchOptions,
    ) -> Result<SearchResult, RetrieveError> {
        retrieve::search(&self.store, query, options).await
    }

    /// Answer a question (see `Answerer::answer`).
    pub async fn ask(
        &self,
        question: &str,
        episode: Option<&str>,
        partial: Option<&tokio::sync::mpsc::UnboundedSender<String>>,
    ) -> Result<Answer, AnswerError> {
        let answer = self
            .answerer
            .answer(&self.store, question, episode, None, partial)
            .await?;
        self.remember(question, &answer);
        Ok(answer)
    }

    /// A 👍 (`vote` > 0) or 👎 on a recorded answer, queued (see `Store::queue_feedback`).
    /// False when that answer is not stored.
    pub async fn queue_feedback(
        &self,
        answer_id: i64,
        user_id: &str,
        vote: i8,
    ) -> Result<bool, StoreError> {
        self.store.queue_feedback(answer_id, user_id, vote).await
    }

    /// Retrieval quality against `gold`, within the configured context budget, and what the
    /// keyless answers to the same questions are worth (`eval::answers`).
    pub async fn eval(
        &self,
        gold: &[Gold],
        options: &SearchOptions,
    ) -> Result<Scores, RetrieveError> {
        let mut scores = eval::run(&self.store, gold, options, self.config.context_tokens).await?;
        let answers = eval::answers::run(&self.answerer, &self.store, gold, options).await?;
        scores.answers = Some(answers);
        Ok(scores)
    }

    /// First use: import `DATASET_PATH` when the database holds no episodes.
    pub async fn ensure_dataset(&self) -> Result<Option<ReloadReport>, ReloadError> {
        if self.store.episode_count().await? > 0 {
            return Ok(None);
        }
        self.import_dataset_path(false, &ProgressBar::hidden())
            .await
            .map(Some)
    }

    /// Import the configured `DATASET_PATH` (see `import_paths`).
    pub async fn import_dataset_path(
        &self,
        dry_run: bool,
        progress: &ProgressBar,
    ) -> Result<ReloadReport, ReloadError> {
        let path: PathBuf = self.config.dataset_path.clone();
        self.import_paths(&[path], dry_run, progress).await
    }

    /// The store itself, for tests and measurements that read the database directly.
    #[doc(hidden)]
    pub fn store_for_tests(&self) -> &Store {
        &self.store
    }

    /// The whole configuration, for tests.
    #[doc(hidden)]
    pub fn config_for_tests(&self) -> &Config {
        &self.config
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn app_with(csv: &str) -> (App, tempfile::TempDir) {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}/t.db", dir.path().display());
        let config = Config::from_lookup(|k| (k == "DATABASE_URL").then(|| url.clone())).unwrap();
        let app = App::open(config).await.unwrap();
        app.import_bytes(csv.as_bytes().to_vec(), "t.csv", false)
            .await
            .unwrap();
        (app, dir)
    }

    /// One lookup for both front ends: by title words, else the closest titles, and a query with
    /// no letter or digit is refused rather than answered with the first episode.
    #[tokio::test]
    async fn find_episode_finds_suggests_or_refuses() {
        let (app, _dir) = app_with(
            "title,url,transcript\n\
             Transformers at scale,https://example.org/a,\"we talk about attention\"\n\
             Gardening,https://example.org/b,\"tomatoes in the spring\"\n",
        )
        .await;
        let found = app.find_episode("transformers").await.unwrap();
        assert!(
            matches!(&found, EpisodeLookup::Found(row) if row.url == "https://example.org/a"),
            "{found:?}"
        );
        let missing = app.find_episode("Transfromers at scael").await.unwrap();
        let EpisodeLookup::NotFound { closest } = missing else {
            panic!("{missing:?}")
        };
        assert_eq!(
            closest.first().map(String::as_str),
            Some("Transformers at scale")
        );
        for nothing in ["?!", "*", "", "  ", "—"] {
            let refused = app.find_episode(nothing).await.unwrap();
            assert_eq!(refused, EpisodeLookup::NothingToLookUp, "{nothing:?}");
        }
        app.close().await;
    }
}
