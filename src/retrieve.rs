//! Question (+ optional episode) → ranked passages.
//!
//! Lexical retrieval in SQLite FTS5, fused with episode-level evidence: passage BM25, the BM25 of
//! neighbouring windows (questions are about a stretch of conversation, not one window), the
//! strength of the whole episode's matches, and its title/summary/questions.

mod query;

use std::collections::HashMap;

use serde::Serialize;

pub use query::{content_words, fts_query};

use crate::{
    chunk, cite,
    index::{self, TermQuery, WindowHit},
    store::{Store, StoreError},
};

#[derive(Debug, thiserror::Error)]
pub enum RetrieveError {
    #[error("no episode matches `{0}` (option `episode`); try `gdbot episodes` for the ids")]
    UnknownEpisode(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// One ranked passage, as printed by `gdbot search --json` (DESIGN.md contract).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Hit {
    pub url: String,
    pub episode_id: String,
    pub title: String,
    pub start_word: i64,
    pub end_word: i64,
    pub timestamp_s: Option<i64>,
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
}

impl Default for SearchOptions {
    fn default() -> Self {
        SearchOptions {
            episode: None,
            k: 8,
            use_questions: true,
            tuning: Tuning::default(),
        }
    }
}

/// Fusion weights, chosen with `gdbot eval` (see README "Retrieval quality").
#[derive(Debug, Clone, Copy)]
pub struct Tuning {
    /// Passages fetched from FTS5 before fusion.
    pub pool: usize,
    /// Weight of the best neighbouring window's score.
    pub neighbour: f64,
    /// Weight of the episode's aggregate passage evidence.
    pub episode_passages: f64,
    /// Weight of the episode's title/summary/questions match.
    pub episode_text: f64,
    /// How many of an episode's best passages make its aggregate.
    pub top_per_episode: usize,
    /// BM25 column weights for title, summary, questions.
    pub columns: [f64; 3],
}

impl Default for Tuning {
    fn default() -> Self {
        Tuning {
            pool: 1000,
            neighbour: 0.0,
            episode_passages: 0.5,
            episode_text: 0.5,
            top_per_episode: 3,
            columns: [2.0, 1.0, 1.0],
        }
    }
}

impl Tuning {
    /// Override fields from `name=value,…` (for `gdbot eval --tune` experiments).
    pub fn apply(mut self, spec: &str) -> Result<Self, String> {
        for kv in spec.split(',').filter(|s| !s.trim().is_empty()) {
            let (k, v) = kv
                .split_once('=')
                .ok_or_else(|| format!("`{kv}`: expected name=value"))?;
            let v: f64 = v
                .trim()
                .parse()
                .map_err(|_| format!("`{kv}`: value is not a number"))?;
            match k.trim() {
                "pool" => self.pool = v as usize,
                "neighbour" => self.neighbour = v,
                "episode_passages" => self.episode_passages = v,
                "episode_text" => self.episode_text = v,
                "top_per_episode" => self.top_per_episode = v as usize,
                "title" => self.columns[0] = v,
                "summary" => self.columns[1] = v,
                "questions" => self.columns[2] = v,
                other => return Err(format!("unknown tuning parameter `{other}`")),
            }
        }
        Ok(self)
    }
}

/// Ranked passages plus how sure retrieval is that they answer the question.
#[derive(Debug, Clone)]
pub struct SearchResult {
    pub hits: Vec<Hit>,
    /// Share of the question's content words found in the best passages (0–1).
    pub coverage: f64,
}

/// Rank passages for `question`. Unknown `options.episode` is an error; no match is an empty list.
/// Damaged postings found on the way get the index rebuilt, then the search runs again.
pub async fn search(
    store: &Store,
    question: &str,
    options: &SearchOptions,
) -> Result<SearchResult, RetrieveError> {
    if let Some(found) = search_once(store, question, options, true).await? {
        return Ok(found);
    }
    Ok(search_once(store, question, options, false)
        .await?
        .unwrap_or(SearchResult {
            hits: Vec::new(),
            coverage: 0.0,
        }))
}

/// `None` when damaged postings were found and the index rebuilt (only with `may_repair`).
async fn search_once(
    store: &Store,
    question: &str,
    options: &SearchOptions,
    may_repair: bool,
) -> Result<Option<SearchResult>, RetrieveError> {
    let words = content_words(question);
    let Some(expr) = fts_query(&words) else {
        return Ok(Some(SearchResult {
            hits: Vec::new(),
            coverage: 0.0,
        }));
    };
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
        return Ok(Some(SearchResult {
            hits: Vec::new(),
            coverage: 0.0,
        }));
    };
    let mut unique = terms.clone();
    unique.sort();
    unique.dedup();
    let stored = Store::postings(&mut tx, &unique).await?;
    let only = match episode {
        Some(e) => Some(*meta.layout.find_episode(e).ok_or_else(|| {
            RetrieveError::UnknownEpisode(options.episode.clone().unwrap_or_default())
        })?),
        None => None,
    };
    let queries: Vec<TermQuery> = stored
        .iter()
        .map(|s| TermQuery {
            windows: s.windows as u32,
            data: &s.data,
        })
        .collect();
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
    let episode_hits = if episode.is_none() {
        Store::search_episodes(&mut tx, &expr, options.use_questions, t.columns, 50).await?
    } else {
        Vec::new()
    };
    let ranked = fuse(&passages, &episode_hits, &t);
    let chosen = pick_non_overlapping(ranked, options.k);
    let episode_ids: Vec<i64> = chosen.iter().map(|(p, _)| p.episode).collect();
    let texts = Store::passage_texts(&mut tx, &episode_ids).await?;
    tx.commit().await.map_err(StoreError::from)?;
    let mut bounds_cache: HashMap<i64, Vec<(usize, usize)>> = HashMap::new();
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
            let timestamp_s = cite::timestamp_s(ep.length_s, p.start_word as usize, ep.total_words);
            Some(Hit {
                url: ep.url.clone(),
                episode_id: ep.episode_id.clone(),
                title: ep.title.clone(),
                start_word: p.start_word.into(),
                end_word: p.end_word.into(),
                timestamp_s,
                score: (score * 1000.0).round() / 1000.0,
                link: cite::link(&ep.url, timestamp_s),
                text,
            })
        })
        .collect();
    // Rare words weigh more: "World Cup" is not covered by passages that only share "won".
    let windows_with: HashMap<&str, f64> = stored
        .iter()
        .map(|s| (s.term.as_str(), s.windows as f64))
        .collect();
    let total = meta.stats.windows as f64;
    let weights: Vec<f64> = terms
        .iter()
        .map(|s| {
            let n = windows_with.get(s.as_str()).copied().unwrap_or(0.0);
            ((total + 1.0) / (n + 1.0)).ln().max(0.1)
        })
        .collect();
    let coverage = query::coverage(
        &terms,
        &weights,
        hits.iter().take(3).map(|h| h.text.as_str()),
    );
    Ok(Some(SearchResult { hits, coverage }))
}

/// Combine passage, neighbour and episode evidence into one score per passage, best first.
fn fuse<'a>(
    passages: &'a [WindowHit],
    episodes: &[crate::store::EpisodeHit],
    t: &Tuning,
) -> Vec<(&'a WindowHit, f64)> {
    let Some(max_p) = passages.iter().map(|p| p.score).reduce(f64::max) else {
        return Vec::new();
    };
    let max_p = max_p.max(1e-9);
    let by_pos: HashMap<(i64, u32), f64> = passages
        .iter()
        .map(|p| ((p.episode, p.start_word), p.score))
        .collect();
    // Episode evidence from its best passages.
    let mut per_episode: HashMap<i64, Vec<f64>> = HashMap::new();
    for p in passages {
        per_episode.entry(p.episode).or_default().push(p.score);
    }
    let agg: HashMap<i64, f64> = per_episode
        .into_iter()
        .map(|(e, mut s)| {
            s.sort_by(|a, b| b.total_cmp(a));
            (e, s.iter().take(t.top_per_episode).sum::<f64>())
        })
        .collect();
    let max_agg = agg.values().copied().fold(1e-9, f64::max);
    let max_doc = episodes.iter().map(|e| e.score).fold(1e-9, f64::max);
    let doc: HashMap<i64, f64> = episodes
        .iter()
        .map(|e| (e.episode, e.score / max_doc))
        .collect();
    let stride = chunk::STRIDE_WORDS as u32;
    let mut out: Vec<(&WindowHit, f64)> = passages
        .iter()
        .map(|p| {
            let prev = by_pos
                .get(&(p.episode, p.start_word.wrapping_sub(stride)))
                .copied()
                .unwrap_or(0.0);
            let next = by_pos
                .get(&(p.episode, p.start_word + stride))
                .copied()
                .unwrap_or(0.0);
            let local = (p.score + t.neighbour * prev.max(next)) / max_p;
            let ep = t.episode_passages * agg.get(&p.episode).copied().unwrap_or(0.0) / max_agg
                + t.episode_text * doc.get(&p.episode).copied().unwrap_or(0.0);
            (p, local + ep)
        })
        .collect();
    out.sort_by(|a, b| b.1.total_cmp(&a.1));
    out
}

/// Best `k` passages that do not overlap one another (overlap wastes the prompt budget).
fn pick_non_overlapping(ranked: Vec<(&WindowHit, f64)>, k: usize) -> Vec<(WindowHit, f64)> {
    let mut chosen: Vec<(WindowHit, f64)> = Vec::with_capacity(k);
    for (p, s) in ranked {
        if chosen.len() >= k {
            break;
        }
        let overlaps = chosen.iter().any(|(c, _)| {
            c.episode == p.episode && c.start_word < p.end_word && p.start_word < c.end_word
        });
        if !overlaps {
            chosen.push((p.clone(), s));
        }
    }
    chosen
}
