//! Question (+ optional episode) → ranked passages, and how much of the question they cover.
//!
//! One vocabulary throughout: a question's content words (`query::content_words`) become the
//! index's terms (`index::index_terms`, the Snowball stems the passage index is keyed by), and
//! ranking, the coverage check and extractive answers all compare those terms.
//!
//! 1. `index::rank` scores every 120-word window (two adjacent 60-word blocks, see `index`) with
//!    exact BM25 and keeps the best `Tuning::pool`.
//! 2. `fuse` adds episode evidence to each window's score: its episode's best windows, and the
//!    episode's BM25 over title, summary and generated questions (`Store::search_episodes`,
//!    queried with the content words, each quoted by `store::match_expr`).
//! 3. The best non-overlapping windows become `Hit`s: text sliced from the transcript, ≈time and
//!    link (`cite`). `coverage` is the rarity-weighted share of the question's terms found in the
//!    best three; `answer` turns the question away below `answer::MIN_COVERAGE`.
//!
//! Everything is read in one read transaction, so a concurrent reload is seen whole or not at
//! all. README "How answers are found" and "Retrieval quality" have the reasons and numbers.

mod context;
mod fuse;
mod gate;
mod query;

use std::collections::HashMap;

use serde::Serialize;

pub use context::TurnContext;
pub use fuse::Tuning;
pub use gate::Evidence;
pub use query::{content_words, fts_query};

use crate::{
    chunk, cite,
    dataset::word_times,
    index::{self, TermQuery},
    store::{PassageText, Store, StoreError, StoredTerm},
};

#[derive(Debug, thiserror::Error)]
pub enum RetrieveError {
    #[error("no episode matches `{0}` (option `episode`); try `gdbot episodes` for the ids")]
    UnknownEpisode(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// One ranked passage; its serialized fields are what `gdbot search --json` prints per passage.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Hit {
    pub url: String,
    pub episode_id: String,
    pub title: String,
    pub start_word: i64,
    pub end_word: i64,
    pub timestamp_s: Option<i64>,
    /// `timestamp_s` is when the passage's first word was said (the episode has word times), not
    /// an estimate from its word offset.
    pub timestamp_exact: bool,
    pub score: f64,
    pub text: String,
    #[serde(skip)]
    pub link: String,
}

#[derive(Debug, Clone)]
pub struct SearchOptions {
    /// Restrict to one episode (its `episode_id`).
    pub episode: Option<String>,
    pub k: usize,
    /// Match against the dataset's generated questions (off for leakage-free evaluation).
    pub use_questions: bool,
    pub tuning: Tuning,
    /// The turn this question follows up, if any (`context`).
    pub context: Option<TurnContext>,
}

impl Default for SearchOptions {
    fn default() -> Self {
        SearchOptions {
            episode: None,
            k: 8,
            use_questions: true,
            tuning: Tuning::default(),
            context: None,
        }
    }
}

/// Ranked passages plus how sure retrieval is that they answer the question.
#[derive(Debug, Clone, Default)]
pub struct SearchResult {
    pub hits: Vec<Hit>,
    /// Share of the question's index terms, weighted by rarity, found in the best three
    /// passages (0–1).
    pub coverage: f64,
    /// Unknown words and named episodes (`gate`).
    pub evidence: Evidence,
    /// The question's index terms (each once) with their rarity weight, as coverage weighs them.
    pub term_weights: Vec<(String, f64)>,
}

/// Rank passages for `question`. Unknown `options.episode` is an error; no match is an empty list.
/// Damaged postings found on the way get the index rebuilt, then the search runs again.
pub async fn search(
    store: &Store,
    question: &str,
    options: &SearchOptions,
) -> Result<SearchResult, RetrieveError> {
    let question = context::query_text(question, options.context.as_ref());
    if let Some(found) = search_once(store, question, options, true).await? {
        return Ok(found);
    }
    Ok(search_once(store, question, options, false)
        .await?
        .unwrap_or_default())
}

/// `None` when damaged postings were found and the index rebuilt (only with `may_repair`).
async fn search_once(
    store: &Store,
    question: &str,
    options: &SearchOptions,
    may_repair: bool,
) -> Result<Option<SearchResult>, RetrieveError> {
    let words = content_words(question);
    if words.is_empty() {
        return Ok(Some(SearchResult::default()));
    }
    let t = options.tuning;
    let terms = index::index_terms(&words);
    let mut tx = store.begin_read().await?;
    let episode = match &options.episode {
        None => None,
        Some(id) => Some(
            Store::episode_key(&mut tx, id)
                .await?
                .ok_or_else(|| RetrieveError::UnknownEpisode(id.clone()))?,
        ),
    };
    let Some(meta) = Store::index_meta(&mut tx).await? else {
        return Ok(Some(SearchResult::default()));
    };
    let mut unique = terms.clone();
    unique.sort();
    unique.dedup();
    let mut stored = Store::postings(&mut tx, &unique).await?;
    let known: HashMap<&str, &StoredTerm> = stored.iter().map(|s| (s.term.as_str(), s)).collect();
    let (unknown_words, forms) = gate::unknown_words(&mut tx, &words, &terms, &known).await?;
    // Words no transcript holds are searched as the archive words they read as ("deepfakes").
    let mut parts: Vec<String> = forms
        .iter()
        .flat_map(|(_, p)| p.iter().map(|(t, _)| t.clone()))
        .filter(|t| !unique.contains(t))
        .collect();
    parts.sort();
    parts.dedup();
    let own_terms = stored.len();
    stored.extend(Store::postings(&mut tx, &parts).await?);
    let (cover_terms, weights) = weigh_terms(&terms, &stored, &forms, meta.stats.windows);
    let mut term_weights: Vec<(String, f64)> = Vec::new();
    for (t, w) in cover_terms.iter().zip(&weights) {
        if !term_weights.iter().any(|(u, _)| u == t) {
            term_weights.push((t.clone(), *w));
        }
    }
    let only = match episode {
        Some(e) => Some(*meta.layout.find_episode(e).ok_or_else(|| {
            RetrieveError::UnknownEpisode(options.episode.clone().unwrap_or_default())
        })?),
        None => None,
    };
    let queries = term_queries(&stored);
    let ranked = index::rank(&meta.layout, meta.stats, &queries, only.as_ref(), t.pool);
    if let Some(&i) = ranked.damaged.first() {
        let term = stored.get(i).map_or("", |s| s.term.as_str());
        if may_repair {
            tx.rollback().await.map_err(StoreError::from)?;
            store.repair_index(term).await?;
            return Ok(None);
        }
        tracing::warn!(term, "searching without damaged postings");
    }
    let passages = ranked.hits;
    let bonus = match &options.context {
        Some(c) => context::episode_bonus(&mut tx, &meta, c, &unique, only.as_ref(), &t).await?,
        None => HashMap::new(),
    };
    let episode_hits = if episode.is_none() {
        Store::search_episodes(&mut tx, &words, options.use_questions, t.columns, 50).await?
    } else {
        Vec::new()
    };
    let ranked = fuse::fuse(&passages, &episode_hits, &t);
    let ranked = context::with_bonus(ranked, &bonus);
    let chosen = fuse::pick_non_overlapping(ranked, options.k);
    let episode_ids: Vec<i64> = chosen.iter().map(|(p, _)| p.episode).collect();
    let texts = Store::passage_texts(&mut tx, &episode_ids).await?;
    let known: HashMap<&str, &StoredTerm> = stored[..own_terms]
        .iter()
        .map(|s| (s.term.as_str(), s))
        .collect();
    let named_coverage = gate::named_coverage(
        &mut tx,
        question,
        &words,
        &terms,
        &known,
        &meta.layout,
        meta.stats.windows,
    )
    .await?;
    let evidence = Evidence {
        unknown_words,
        named_coverage,
        forms,
    };
    tx.commit().await.map_err(StoreError::from)?;
    let mut bounds_cache: HashMap<i64, Vec<(usize, usize)>> = HashMap::new();
    let mut times_cache: HashMap<i64, Option<Vec<u32>>> = HashMap::new();
    let hits: Vec<Hit> = chosen
        .into_iter()
        .filter_map(|(p, score)| {
            let ep = texts.get(&p.episode)?;
            let bounds = bounds_cache
                .entry(p.episode)
                .or_insert_with(|| chunk::word_bounds(&ep.transcript));
            let text = chunk::slice(
                &ep.transcript,
                bounds,
                p.start_word as usize,
                p.end_word as usize,
            )
            .to_string();
            let times = times_cache
                .entry(p.episode)
                .or_insert_with(|| stored_times(ep));
            let (timestamp_s, timestamp_exact) = cite::passage_time(
                times.as_deref(),
                ep.length_s,
                p.start_word as usize,
                ep.total_words,
            );
            Some(Hit {
                url: ep.url.clone(),
                episode_id: ep.episode_id.clone(),
                title: ep.title.clone(),
                start_word: p.start_word.into(),
                end_word: p.end_word.into(),
                timestamp_s,
                timestamp_exact,
                score: (score * 1000.0).round() / 1000.0,
                link: cite::link(&ep.url, timestamp_s),
                text,
            })
        })
        .collect();
    let coverage = query::coverage(
        &cover_terms,
        &weights,
        hits.iter().take(3).map(|h| h.text.as_str()),
    );
    Ok(Some(SearchResult {
        hits,
        coverage,
        evidence,
        term_weights,
    }))
}

/// The stored postings as the index ranks them (the question's, or a follow-up's previous one).
fn term_queries(stored: &[StoredTerm]) -> Vec<TermQuery<'_>> {
    stored
        .iter()
        .map(|s| TermQuery {
            windows: s.windows as u32,
            data: &s.data,
        })
        .collect()
}

/// Each question term with its rarity weight (`ln((N + 1) / (df + 1))`, at least 0.1, over `N`
/// windows): rare words weigh more, so "World Cup" is not covered by passages that only share
/// "won". A word no transcript holds weighs most, unless it reads as archive words
/// ("deepfakes": its parts count instead, sharing its weight).
fn weigh_terms(
    terms: &[String],
    stored: &[StoredTerm],
    forms: &[(String, Vec<(String, i64)>)],
    windows: u64,
) -> (Vec<String>, Vec<f64>) {
    let windows_with: HashMap<&str, f64> = stored
        .iter()
        .map(|s| (s.term.as_str(), s.windows as f64))
        .collect();
    let total = windows as f64;
    let weight = |n: f64| ((total + 1.0) / (n + 1.0)).ln().max(0.1);
    let (mut cover_terms, mut weights) = (Vec::new(), Vec::new());
    for t in terms {
        match forms.iter().find(|(absent, _)| absent == t) {
            Some((_, parts)) => {
                for (part, n) in parts {
                    cover_terms.push(part.clone());
                    weights.push(weight(*n as f64) / parts.len() as f64);
                }
            }
            None => {
                cover_terms.push(t.clone());
                weights.push(weight(windows_with.get(t.as_str()).copied().unwrap_or(0.0)));
            }
        }
    }
    (cover_terms, weights)
}

/// The episode's word times, if it has them and they fit its transcript (else estimates are used).
fn stored_times(ep: &PassageText) -> Option<Vec<u32>> {
    let blob = ep.word_times.as_deref()?;
    let times = word_times::decode(blob).filter(|t| t.len() as i64 == ep.total_words);
    if times.is_none() {
        tracing::warn!(
            episode = %ep.episode_id,
            "stored word times do not decode or do not fit the transcript; estimating times"
        );
    }
    times
}
