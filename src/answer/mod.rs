//! Answers: retrieval → prompt within a token budget → LLM (streamed) or quoted excerpts.
//!
//! The LLM is optional and untrusted: without a key, or when it fails, the answer is extractive.

pub mod cited;
mod expects;
mod extractive;
pub mod llm;
mod previous;
mod prompt;
mod summary;

use std::time::Instant;

use serde::Serialize;
use tokio::sync::mpsc::UnboundedSender;

pub use llm::{Completion, Cut, LlmClient, LlmError, LlmFailure, TokenCounts};
pub use previous::{Follows, PreviousTurn, PREVIOUS_TURN_TOKENS};
pub use prompt::{estimate_tokens, Prompt};

use std::collections::HashMap;

use crate::{
    chunk,
    config::Config,
    retrieve::{self, Hit, RetrieveError, SearchOptions, SearchResult},
    store::{AnswerRecord, Store},
};

/// Share of the question's content words (weighted by rarity, compared as index stems) the best
/// passages must contain to be trusted. At 0.5, 103 of the 105 gold questions are answered and 8
/// of 10 off-topic questions get "not covered" (`tests/it/answer.rs`; the two that pass the check
/// share every content word with some passage: "fix my car's transmission", "train a puppy to sit").
pub const MIN_COVERAGE: f64 = 0.5;

/// When a question names episodes (a guest's name in their titles), the share of its other words,
/// weighted by rarity, that one of them must hold (`retrieve::Evidence::named_coverage`): on the
/// dev set the answerable questions that name a guest score 0.71 or more, the unanswerable ones
/// ("Cris Valenzuela" and "Julia") 0.62 or less.
pub const MIN_NAMED_COVERAGE: f64 = 2.0 / 3.0;

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

/// A quoted stretch of a source in a keyless answer: its label `[source]` and where it lies in
/// the source's episode (word offsets, end exclusive), or `summary` when it quotes the episode's
/// summary (offsets 0).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Quote {
    pub source: usize,
    pub start_word: i64,
    pub end_word: i64,
    pub text: String,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub summary: bool,
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
    /// What a keyless answer quotes (empty for generated answers).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub quotes: Vec<Quote>,
    pub usage: Usage,
    /// Model name in LLM mode.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    /// Why an LLM answer fell back to excerpts, or why it is incomplete.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// The LLM failed and the answer is quoted excerpts instead (`note` says why); only
    /// serialized when true.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub fell_back: bool,
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

    /// Answer `question` and record it. `partial` receives the text so far while an LLM streams.
    /// A follow-up gives the turn it continues as `previous`: its question and cited episodes
    /// steer retrieval (`retrieve::TurnContext`), its question and answer go into the prompt.
    pub async fn answer(
        &self,
        store: &Store,
        question: &str,
        episode: Option<&str>,
        previous: Option<&PreviousTurn>,
        partial: Option<&UnboundedSender<String>>,
    ) -> Result<Answer, AnswerError> {
        let options = SearchOptions {
            episode: episode.map(String::from),
            k: 8,
            context: previous.map(PreviousTurn::search_context),
            ..SearchOptions::default()
        };
        let question = question.trim();
        let mut answer = self
            .compose(
                store,
                question,
                &options,
                previous,
                self.llm.as_ref(),
                partial,
            )
            .await?;
        answer.answer_id = record(store, question, episode, &answer).await;
        Ok(answer)
    }

    /// The answer a user without an LLM key gets, not recorded (for evaluation); `options` as
    /// `answer` sets them (8 passages), but for the generated-questions signal and the tuning.
    pub async fn answer_keyless(
        &self,
        store: &Store,
        question: &str,
        options: &SearchOptions,
    ) -> Result<Answer, AnswerError> {
        let options = SearchOptions {
            k: 8,
            episode: None,
            ..options.clone()
        };
        self.compose(store, question.trim(), &options, None, None, None)
            .await
    }

    async fn compose(
        &self,
        store: &Store,
        question: &str,
        options: &SearchOptions,
        previous: Option<&PreviousTurn>,
        llm: Option<&LlmClient>,
        partial: Option<&UnboundedSender<String>>,
    ) -> Result<Answer, AnswerError> {
        let started = Instant::now();
        if question.is_empty() {
            return Err(AnswerError::EmptyQuestion);
        }
        let found = retrieve::search(store, question, options).await?;
        let mut prompt = Prompt::build(question, &found.hits, self.context_tokens);
        if let Some(p) = previous {
            prompt.add_previous(&p.question, &p.answer, PREVIOUS_TURN_TOKENS);
        }
        let sources: Vec<Source> = prompt.hits.iter().map(source_of).collect();
        let confident = !found.hits.is_empty()
            && found.coverage >= MIN_COVERAGE
            && found.evidence.unknown_words.is_empty()
            && found.evidence.named_coverage >= MIN_NAMED_COVERAGE;
        let mut answer = Answer {
            answer: String::new(),
            mode: Mode::Extractive,
            confident,
            sources,
            quotes: Vec::new(),
            usage: Usage {
                context_tokens: prompt.context_tokens,
                ..Usage::default()
            },
            model: None,
            note: None,
            fell_back: false,
            cut: None,
            answer_id: None,
            latency_ms: 0,
            follows: None,
        };
        if !confident {
            answer.answer =
                extractive::not_covered(found.hits.first(), &found.evidence.unknown_words);
            answer.sources.truncate(1);
        } else if let Some(llm) = llm {
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
                    (answer.answer, answer.quotes) =
                        quote(store, question, &prompt.hits, &found).await?;
                    answer.fell_back = true;
                }
            }
        } else {
            (answer.answer, answer.quotes) = quote(store, question, &prompt.hits, &found).await?;
        }
        answer.latency_ms = started.elapsed().as_millis() as u64;
        Ok(answer)
    }
}

/// Words of transcript read on each side of a passage, so quoted sentences are whole.
const CONTEXT_WORDS: usize = 60;

/// The keyless answer: a question about a whole episode quotes its summary; any other quotes the
/// passages (`extractive`), with the transcript around them.
async fn quote(
    store: &Store,
    question: &str,
    hits: &[Hit],
    found: &SearchResult,
) -> Result<(String, Vec<Quote>), AnswerError> {
    if hits.is_empty() {
        return Ok((extractive::not_covered(None, &[]), Vec::new()));
    }
    if summary::about_an_episode(question) {
        // The episode whose title and summary match the question best, of those cited.
        let mut best: Option<(f64, usize, String)> = None;
        for (i, h) in hits.iter().enumerate() {
            if hits[..i].iter().any(|e| e.episode_id == h.episode_id) {
                continue;
            }
            let detail = store
                .episode(&h.episode_id)
                .await
                .map_err(RetrieveError::from)?;
            let Some(summary) = detail
                .and_then(|d| d.summary)
                .filter(|s| !s.trim().is_empty())
            else {
                continue;
            };
            let score = summary::summary_match(&found.term_weights, &h.title, &summary);
            if best.as_ref().is_none_or(|b| score > b.0) {
                best = Some((score, i, summary));
            }
        }
        if let Some((_, i, summary)) = best {
            let h = &hits[i];
            return Ok(summary::from_summary(
                &found.term_weights,
                &h.title,
                &summary,
                i + 1,
            ));
        }
    }
    let mut transcripts: HashMap<&str, String> = HashMap::new();
    for h in hits.iter().take(3) {
        if !transcripts.contains_key(h.episode_id.as_str()) {
            let t = store
                .transcript(&h.episode_id)
                .await
                .map_err(RetrieveError::from)?
                .unwrap_or_default();
            transcripts.insert(&h.episode_id, t);
        }
    }
    let contexts: Vec<(i64, &str)> = hits
        .iter()
        .take(3)
        .map(|h| {
            let t = transcripts
                .get(h.episode_id.as_str())
                .map_or("", String::as_str);
            let from = (h.start_word as usize).saturating_sub(CONTEXT_WORDS);
            let bounds = chunk::word_bounds(t);
            let text = chunk::slice(t, &bounds, from, h.end_word as usize + CONTEXT_WORDS);
            if text.is_empty() {
                (h.start_word, h.text.as_str())
            } else {
                (from as i64, text)
            }
        })
        .collect();
    let passages: Vec<extractive::Passage> = hits
        .iter()
        .zip(&contexts)
        .enumerate()
        .map(|(i, (h, (start, text)))| extractive::Passage {
            hit: h,
            label: i + 1,
            context_start: *start,
            context: text,
        })
        .collect();
    Ok(extractive::excerpts(
        &found.term_weights,
        expects::Expects::of(question),
        &passages,
    ))
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
/// The episodes `a` cites, as recorded for /stats: `[{"url", "title", "moments"}]`.
fn cited_json(a: &Answer) -> String {
    let episodes: Vec<serde_json::Value> = cited::by_episode(a)
        .iter()
        .map(|e| serde_json::json!({"url": e.url, "title": e.title, "moments": e.moments.len()}))
        .collect();
    serde_json::Value::from(episodes).to_string()
}

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
        fell_back: a.fell_back,
        note: a.note.clone(),
        cited_json: cited_json(a),
    };
    match store.queue_answer(rec).await {
        Ok(id) => Some(id),
        Err(e) => {
            tracing::warn!(error = %e, "could not record the answer");
            None
        }
    }
}
