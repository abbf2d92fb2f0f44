//! Enrichment for both front ends: which episodes, one run at a time per `App`, progress through a
//! callback, totals and the cost estimate. The work itself is `crate::enrich`'s.

use super::App;
use crate::{
    answer::llm::LlmClient,
    config::LlmConfig,
    enrich::{
        EnrichError, EnrichReport, EpisodeReport, Outcome, Progress, Runner, Usage, REPLY_TOKENS,
    },
    store::EnrichSource,
    EpisodeLookup,
};

/// Which episodes `App::enrich` works on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EnrichTarget {
    /// One episode (video id, URL or title words). One that already has a summary and questions
    /// is skipped unless `force`, which replaces them.
    Episode { query: String, force: bool },
    /// Every episode missing a summary or questions.
    All,
}

impl App {
    /// Whether an LLM is configured (enrichment needs one, except dry runs).
    pub fn llm_configured(&self) -> bool {
        self.config.llm.is_some()
    }

    /// Enrich the target episodes with the configured LLM (see `crate::enrich`), or with
    /// `dry_run` only plan it (no LLM needed). `progress` is called as the run moves on. Stops at
    /// the first episode that fails; what it stored is kept for the next run.
    pub async fn enrich(
        &self,
        target: &EnrichTarget,
        dry_run: bool,
        progress: &(dyn Fn(Progress) + Send + Sync),
    ) -> Result<EnrichReport, EnrichError> {
        let started = std::time::Instant::now();
        let llm = match (&self.config.llm, dry_run) {
            (None, false) => return Err(EnrichError::NoLlm),
            (Some(cfg), _) => Some(LlmClient::new(&enrich_llm(cfg))),
            (None, true) => None,
        };
        // Two runs on one episode would pay twice for its chunks.
        let _one_at_a_time = if dry_run {
            None
        } else {
            Some(self.enrich_lock.try_lock().map_err(|_| EnrichError::Busy)?)
        };
        let (sources, force) = match target {
            EnrichTarget::Episode { query, force } => (self.enrich_source(query).await?, *force),
            EnrichTarget::All => {
                let all = self.store.enrich_sources(None).await?;
                (all.into_iter().filter(needs_enrichment).collect(), false)
            }
        };
        let runner = Runner {
            store: &self.store,
            llm: llm.as_ref(),
            concurrency: self.config.enrich.concurrency,
            progress,
            fresh: force,
        };
        let mut episodes = Vec::with_capacity(sources.len());
        for (i, src) in sources.iter().enumerate() {
            let report = if !force && !needs_enrichment(src) {
                skipped(src)
            } else if dry_run {
                runner.dry_run(src).await?
            } else {
                runner.enrich(src, i + 1, sources.len()).await?
            };
            let failed = report.outcome == Outcome::Failed;
            episodes.push(report);
            if failed {
                break;
            }
        }
        let mut usage = Usage::default();
        for e in &episodes {
            usage.add(e.usage);
        }
        Ok(EnrichReport {
            dry_run,
            model: llm.as_ref().map(|l| l.model().to_string()),
            concurrency: self.config.enrich.concurrency,
            calls: episodes.iter().map(|e| e.calls).sum(),
            cost_usd: self
                .config
                .enrich
                .prices
                .map(|p| p.cost(usage.prompt_tokens, usage.completion_tokens)),
            usage,
            episodes,
            elapsed_ms: started.elapsed().as_millis() as u64,
        })
    }

    /// The one episode `query` means.
    async fn enrich_source(&self, query: &str) -> Result<Vec<EnrichSource>, EnrichError> {
        match self.find_episode(query).await? {
            EpisodeLookup::Found(row) => {
                Ok(self.store.enrich_sources(Some(&row.episode_id)).await?)
            }
            EpisodeLookup::NotFound { closest } => Err(EnrichError::NotFound {
                query: query.to_string(),
                closest,
            }),
            EpisodeLookup::NothingToLookUp => Err(EnrichError::NothingToLookUp(query.to_string())),
        }
    }
}

/// The LLM settings for enrichment: replies of up to `REPLY_TOKENS` (or the configured answer
/// limit, if larger).
fn enrich_llm(cfg: &LlmConfig) -> LlmConfig {
    LlmConfig {
        max_answer_tokens: cfg.max_answer_tokens.max(REPLY_TOKENS),
        ..cfg.clone()
    }
}

fn needs_enrichment(src: &EnrichSource) -> bool {
    !src.has_summary || src.n_questions == 0
}

fn skipped(src: &EnrichSource) -> EpisodeReport {
    EpisodeReport {
        episode_id: src.episode_id.clone(),
        title: src.title.clone(),
        outcome: Outcome::Skipped,
        chunks: 0,
        reused_chunks: 0,
        calls: 0,
        usage: Usage::default(),
        summary: None,
        questions: src.n_questions as usize,
        plan: Vec::new(),
        message: Some(format!(
            "already has a summary and {} questions; force it to replace them (gdbot enrich --episode {} --force)",
            src.n_questions, src.episode_id
        )),
    }
}
