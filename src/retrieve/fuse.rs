//! Fusion: one score per ranked window from its own BM25 and its episode's evidence, then the
//! best windows that do not overlap. The weights are `Tuning`, chosen with `gdbot eval`.

use std::collections::HashMap;

use crate::{index::WindowHit, store::EpisodeHit};

/// Fusion weights, chosen with `gdbot eval` (see README "Retrieval quality").
#[derive(Debug, Clone, Copy)]
pub struct Tuning {
    /// Windows ranked by the passage index before fusion.
    pub pool: usize,
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

/// Combine window and episode evidence into one score per window, best first: the window's BM25
/// (relative to the best window's) plus its episode's best windows (`top_per_episode` summed,
/// relative to the best episode's) and its title/summary/questions BM25 (relative to the best).
pub(super) fn fuse<'a>(
    passages: &'a [WindowHit],
    episodes: &[EpisodeHit],
    t: &Tuning,
) -> Vec<(&'a WindowHit, f64)> {
    let Some(max_p) = passages.iter().map(|p| p.score).reduce(f64::max) else {
        return Vec::new();
    };
    let max_p = max_p.max(1e-9);
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
    let mut out: Vec<(&WindowHit, f64)> = passages
        .iter()
        .map(|p| {
            let ep = t.episode_passages * agg.get(&p.episode).copied().unwrap_or(0.0) / max_agg
                + t.episode_text * doc.get(&p.episode).copied().unwrap_or(0.0);
            (p, p.score / max_p + ep)
        })
        .collect();
    out.sort_by(|a, b| b.1.total_cmp(&a.1));
    out
}

/// Best `k` passages that do not overlap one another (overlap wastes the prompt budget).
pub(super) fn pick_non_overlapping(
    ranked: Vec<(&WindowHit, f64)>,
    k: usize,
) -> Vec<(WindowHit, f64)> {
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
