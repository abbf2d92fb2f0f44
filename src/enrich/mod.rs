//! Enrichment: an episode's summary and questions written by the configured LLM, map-reduce.
//!
//! The transcript is cut into chunks of ~1,000 `r50k_base` tokens on word boundaries
//! ([`chunk`]); per chunk one call returns a summary and 3 questions a listener could ask that the
//! chunk answers ([`prompts`], validated by [`parse`]); one more call combines the chunk summaries
//! into the episode's summary. Each question is stored with its chunk's word span. Chunk results
//! are committed as they arrive, so a run that stops (error, crash, Ctrl-C) resumes with the
//! chunks still missing ([`run`]; [`plan`] finds them, and is all a dry run does). The final
//! write is atomic (`Store::write_enrichment`).

pub mod chunk;
mod parse;
mod plan;
pub mod prompts;
mod run;

use serde::Serialize;

pub use chunk::{Chunk, TokenizerError, CHUNK_TOKENS};
pub use parse::{clean, QUESTION_MAX, SUMMARY_MAX};
pub use run::Runner;

use crate::store::StoreError;

/// Most tokens asked for per reply (or `LLM_MAX_ANSWER_TOKENS` if larger): a chunk's JSON or the
/// episode's summary needs ~300.
pub const REPLY_TOKENS: u32 = 1000;

/// Tokens spent, as the server reported them (or counted with `r50k_base` where it did not).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Usage {
    pub prompt_tokens: u64,
    pub completion_tokens: u64,
    /// Some counts are r50k_base estimates (the server reported no usage, or this is a dry run).
    pub estimated: bool,
}

impl Usage {
    pub fn add(&mut self, other: Usage) {
        self.prompt_tokens += other.prompt_tokens;
        self.completion_tokens += other.completion_tokens;
        self.estimated |= other.estimated;
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Summary and questions written.
    Enriched,
    /// Already had a summary and questions (and `--force` was not given).
    Skipped,
    /// `--dry-run`: what a run would do.
    Planned,
    /// Stopped by an error; the chunk results stored so far are kept for the next run.
    Failed,
}

/// A chunk of a dry run's plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PlannedChunk {
    pub index: usize,
    pub start_word: usize,
    pub end_word: usize,
    pub tokens: usize,
    /// Its result is already stored: a run would not ask for it again.
    pub stored: bool,
}

/// What happened to one episode.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EpisodeReport {
    pub episode_id: String,
    pub title: String,
    pub outcome: Outcome,
    pub chunks: usize,
    /// Chunk results found stored from an earlier, interrupted run.
    pub reused_chunks: usize,
    /// LLM calls made (dry run: that a run would make).
    pub calls: usize,
    /// Tokens used (dry run: estimated for a run).
    pub usage: Usage,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
    /// Questions stored (dry run: that a run would store).
    pub questions: usize,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub plan: Vec<PlannedChunk>,
    /// Why it was skipped or failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

/// A whole `enrich` run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EnrichReport {
    pub dry_run: bool,
    pub model: Option<String>,
    pub concurrency: usize,
    pub episodes: Vec<EpisodeReport>,
    pub calls: usize,
    pub usage: Usage,
    /// US dollars at `LLM_PRICE_*_PER_MTOK`; `None` when the prices are not set.
    pub cost_usd: Option<f64>,
    pub elapsed_ms: u64,
}

impl EnrichReport {
    /// The first failed episode, if any.
    pub fn failure(&self) -> Option<&EpisodeReport> {
        self.episodes.iter().find(|e| e.outcome == Outcome::Failed)
    }
}

/// Where a run is, for a progress bar or message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Progress {
    /// Starting episode `position` (1-based) of `of`.
    Episode {
        episode_id: String,
        title: String,
        position: usize,
        of: usize,
        chunks: usize,
        reused: usize,
    },
    /// `done` of `total` chunks have their result (reused ones included).
    Chunk { done: usize, total: usize },
    /// Every chunk is done; the summary is being written.
    Reducing,
}

/// Why a run could not start.
#[derive(Debug, thiserror::Error)]
pub enum EnrichError {
    #[error("no LLM is configured: set OPENAI_API_KEY (and OPENAI_BASE_URL for a server other than OpenAI's) to enrich episodes; --dry-run shows the plan without one")]
    NoLlm,
    #[error("no episode matches `{query}`{}", closest_list(.closest))]
    NotFound { query: String, closest: Vec<String> },
    #[error("nothing to look up in `{0}`: give a video id, a URL, or words of the title")]
    NothingToLookUp(String),
    #[error("another enrichment is running; wait for it to finish")]
    Busy,
    #[error(transparent)]
    Tokenizer(#[from] TokenizerError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

fn closest_list(closest: &[String]) -> String {
    if closest.is_empty() {
        String::new()
    } else {
        format!("; closest titles: {}", closest.join(" | "))
    }
}
