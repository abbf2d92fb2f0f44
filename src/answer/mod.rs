//! Answers: retrieval → prompt within a token budget → LLM (streamed) or quoted excerpts.
//!
//! The LLM is optional and untrusted: without a key, or when it fails, the answer is extractive.

mod extractive;
pub mod llm;
mod previous;
mod prompt;

use std::time::Instant;

use serde::Serialize;
use tokio::sync::mpsc::UnboundedSender;

pub use llm::{Completion, Cut, LlmClient, LlmError, LlmFailure, TokenCounts};
pub use previous::{Follows, PreviousTurn};
pub use prompt::{estimate_tokens, Prompt};

use crate::{
    config::Config,
    retrieve::{self, Hit, RetrieveError, SearchOptions},
    store::{AnswerRecord, Store},
};

/// Share of the question's content words (weighted by rarity, compared as index stems) the best
/// passages must contain to be trusted. At 0.5, 103 of the 105 gold questions are answered and 8
/// of 10 off-topic questions get "not covered" (`tests/it/answer.rs`; the two that pass the check
/// share every content word with some passage: "fix my car's transmission", "train a puppy to sit").
pub const MIN_COVERAGE: f64 = 0.5;

/// Budget (estimated tokens) for the previous question and answer in a follow-up's prompt.
pub const PREVIOUS_TURN_TOKENS: usize = 300;

#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    Llm,
    Extractive,
}

/// A cited passage.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Source {
    pub url: String,
    pub title: String,
    pub timestamp_s: Option<i64>,
    /// `timestamp_s` is exact (from the episode's word times), not estimated.
    pub timestamp_exact: bool,
    pub link: String,
    pub text: String,
    #[serde(skip)]
    pub episode_id: String,
}

#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct Usage {
    pub prompt_tokens: Option<i64>,
    pub completion_tokens: Option<i64>,
    /// Estimated tokens of passage context put in the prompt.
    pub context_tokens: usize,
}

/// What `gdbot ask --json` prints and what the Discord bot renders.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Answer {
    pub answer: String,
    pub mode: Mode,
    pub confident: bool,
    pub sources: Vec<Source>,
    pub usage: Usage,
    /// Model name in LLM mode.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    /// Why an LLM answer fell back to excerpts, or why it is incomplete.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// `"token_limit"` or `"size_limit"` when the generated answer was cut off; `null` otherwise.
    pub cut: Option<Cut>,
    /// Id of the answer's record (for feedback). The row is written in the background:
    /// `Store::flush_log` waits for it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub answer_id: Option<i64>,
    pub latency_ms: u64,
    /// The answer this one follows up (a follow-up question continuing its conversation).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub follows: Option<Follows>,
}

#[derive(Debug, thiserror::Error)]
pub enum AnswerError {
    #[error("the question is empty; type what you want to know")]
    EmptyQuestion,
    #[error(transparent)]
    Retrieve(#[from] RetrieveError),
}

/// Turns questions into answers; holds the optional LLM client.
#[derive(Debug, Clone)]
pub struct Answerer {
    llm: Option<LlmClient>,
    context_tokens: usize,
}

impl Answerer {
    pub fn new(config: &Config) -> Self {
        Answerer {
            llm: config.llm.as_ref().map(LlmClient::new),
            context_tokens: config.context_tokens,
        }
    }

    pub fn model(&self) -> Option<&str> {
        self.llm.as_ref().map(|l| l.model())
    }

    /// Answer `question`. `partial` receives the text so far while an LLM streams. A follow-up
    /// gives the turn it continues as `previous`: its question and cited episodes steer retrieval
    /// (`retrieve::TurnContext`), its question and answer go into the prompt.
    pub async fn answer(
        &self,
        store: &Store,
        question: &str,
        episode: Option<&str>,
        previous: Option<&PreviousTurn>,
        partial: Option<&UnboundedSender<String>>,
    ) -> Result<Answer, AnswerError> {
        let started = Instant::now();
        let question = question.trim();
        if question.is_empty() {
            return Err(AnswerError::EmptyQuestion);
        }
        let options = SearchOptions {
            episode: episode.map(String::from),
            k: 8,
            context: previous.map(PreviousTurn::search_context),
            ..SearchOptions::default()
        };
        let found = retrieve::search(store, question, &options).await?;
        let mut prompt = Prompt::build(question, &found.hits, self.context_tokens);
        if let Some(p) = previous {
            prompt.add_previous(&p.question, &p.answer, PREVIOUS_TURN_TOKENS);
        }
        let sources: Vec<Source> = prompt.hits.iter().map(source_of).collect();
        let confident = !found.hits.is_empty() && found.coverage >= MIN_COVERAGE;
        let mut answer = Answer {
            answer: String::new(),
            mode: Mode::Extractive,
            confident,
            sources,
            usage: Usage {
                context_tokens: prompt.context_tokens,
                ..Usage::default()
            },
            model: None,
            note: None,
            cut: None,
            answer_id: None,
            latency_ms: 0,
            follows: None,
        };
        if !confident {
            answer.answer = extractive::not_covered(found.hits.first());
            answer.sources.truncate(1);
        } else if let Some(llm) = &self.llm {
            match llm.complete(&prompt.system, &prompt.user, partial).await {
                Ok(c) => {
                    answer.mode = Mode::Llm;
                    answer.answer = prompt::clean_citations(&c.text, answer.sources.len());
                    answer.usage.prompt_tokens = c.usage.prompt_tokens;
                    answer.usage.completion_tokens = c.usage.completion_tokens;
                    answer.model = Some(c.model);
                    answer.cut = c.cut;
                    answer.note = c.cut.map(|cut| llm.cut_note(cut));
                }
                Err(f) => {
                    tracing::warn!(error = %f, "LLM failed; answering with excerpts");
                    // The server may have counted (and billed) tokens before failing.
                    answer.usage.prompt_tokens = f.usage.prompt_tokens;
                    answer.usage.completion_tokens = f.usage.completion_tokens;
                    answer.note = Some(format!(
                        "The language model was unavailable ({}); showing quoted excerpts instead.",
                        f.error.short()
                    ));
                    answer.answer = extractive::excerpts(question, &prompt.hits);
                }
            }
        } else {
            answer.answer = extractive::excerpts(question, &prompt.hits);
        }
        answer.latency_ms = started.elapsed().as_millis() as u64;
        answer.answer_id = record(store, question, episode, &answer).await;
        Ok(answer)
    }
}

fn source_of(h: &Hit) -> Source {
    Source {
        url: h.url.clone(),
        title: h.title.clone(),
        timestamp_s: h.timestamp_s,
        timestamp_exact: h.timestamp_exact,
        link: h.link.clone(),
        text: h.text.clone(),
        episode_id: h.episode_id.clone(),
    }
}

/// Queue the answer for the log and return its id (for feedback buttons). The row is written in
/// the background, so an import holding the write lock never delays the answer; a failure to
/// log never costs the user the answer.
async fn record(store: &Store, question: &str, episode: Option<&str>, a: &Answer) -> Option<i64> {
    let rec = AnswerRecord {
        question: question.to_string(),
        episode_filter: episode.map(String::from),
        mode: match a.mode {
            Mode::Llm => "llm",
            Mode::Extractive => "extractive",
        },
        confident: a.confident,
        answer: a.answer.clone(),
        sources_json: serde_json::to_string(&a.sources).unwrap_or_default(),
        prompt_tokens: a.usage.prompt_tokens,
        completion_tokens: a.usage.completion_tokens,
        latency_ms: a.latency_ms as i64,
    };
    match store.queue_answer(rec).await {
        Ok(id) => Some(id),
        Err(e) => {
            tracing::warn!(error = %e, "could not record the answer");
            None
        }
    }
}
