//! Follow-up questions: the previous turn of a conversation steers retrieval.
//!
//! "And what did he say about teaching it?" alone finds whichever episode talks most of teaching.
//! With its conversation it is ranked as a continuation: passages are still ranked by the
//! follow-up's own words, and each window's fused score gains its episode's evidence from the
//! previous turn, which changes nothing for a question without one:
//! - the previous question's index terms, at `term_weight`: the sum of the episode's best
//!   windows for them (as `fuse` sums them), relative to the best episode's;
//! - the episodes the previous answer cited, as a prior: `prior_weight` × the episode's share of
//!   the citations (earlier citations count more).
//!
//! Adding the previous question's terms to the windows' own scores too (at 0.1–0.5 of the
//! follow-up's) found the same episodes; it pulled passages towards the previous question, which
//! found the span of 1–2 of the 3 follow-ups naming another episode ("what does Jeremy think of
//! it?") but lost 1–3 of the 24 staying with one: not kept. A follow-up without a content word
//! of its own ("why?") is searched as the previous question. The weights were chosen on
//! `tests/data/followups.json` (README "Follow-up questions").

use std::collections::HashMap;

use super::{content_words, fuse::Tuning};
use crate::{
    index::{self, EpisodeSpan, WindowHit},
    store::{IndexMeta, Store, StoreError, Tx},
};

/// The turn a follow-up continues, as retrieval uses it.
#[derive(Debug, Clone, PartialEq)]
pub struct TurnContext {
    /// The previous question.
    pub question: String,
    /// URL of the episode of each source the previous answer cited, in citation order.
    pub episodes: Vec<String>,
    /// Weight of the episode evidence of the previous question's terms (`fuse` weighs the
    /// follow-up's own at `Tuning::episode_passages`, 0.5).
    pub term_weight: f64,
    /// Added to the fused score of the windows of an episode holding all the citations.
    pub prior_weight: f64,
}

/// Chosen on the follow-up set (see the module comment).
pub const TERM_WEIGHT: f64 = 0.3;
pub const PRIOR_WEIGHT: f64 = 0.5;

impl TurnContext {
    pub fn new(question: &str, episodes: Vec<String>) -> TurnContext {
        TurnContext {
            question: question.to_string(),
            episodes,
            term_weight: TERM_WEIGHT,
            prior_weight: PRIOR_WEIGHT,
        }
    }
}

/// What to search for: the question, or the previous one when the question has no content word.
pub(super) fn query_text<'a>(question: &'a str, context: Option<&'a TurnContext>) -> &'a str {
    match context {
        Some(c) if content_words(question).is_empty() => &c.question,
        _ => question,
    }
}

/// Each episode's evidence from the previous turn (by episode row id), to add to the fused score
/// of its windows (`with_bonus`): `term_weight` × its previous-question windows relative to the
/// best episode's, plus `prior_weight` × its share of the previous answer's citations.
pub(super) async fn episode_bonus(
    conn: &mut Tx,
    meta: &IndexMeta,
    c: &TurnContext,
    own_terms: &[String],
    only: Option<&EpisodeSpan>,
    t: &Tuning,
) -> Result<HashMap<i64, f64>, StoreError> {
    let keys = Store::episode_keys_by_url(&mut *conn, &c.episodes).await?;
    let mut bonus: HashMap<i64, f64> = citation_shares(&c.episodes, &keys)
        .into_iter()
        .map(|(e, share)| (e, c.prior_weight * share))
        .collect();
    let mut terms = index::index_terms(&content_words(&c.question));
    terms.sort();
    terms.dedup();
    terms.retain(|term| !own_terms.contains(term));
    if terms.is_empty() || c.term_weight <= 0.0 {
        return Ok(bonus);
    }
    let stored = Store::postings(&mut *conn, &terms).await?;
    let queries = super::term_queries(&stored);
    let ranked = index::rank(&meta.layout, meta.stats, &queries, only, t.pool);
    if !ranked.damaged.is_empty() {
        // The follow-up's own search repairs what it finds; these terms only add evidence.
        tracing::warn!("the previous question's postings are damaged; ranking without them");
    }
    for (e, evidence) in episode_evidence(&ranked.hits, t.top_per_episode) {
        *bonus.entry(e).or_default() += c.term_weight * evidence;
    }
    Ok(bonus)
}

/// Per episode, the sum of its best `top` window scores relative to the best episode's (0–1].
fn episode_evidence(windows: &[WindowHit], top: usize) -> HashMap<i64, f64> {
    let mut per_episode: HashMap<i64, Vec<f64>> = HashMap::new();
    for w in windows {
        per_episode.entry(w.episode).or_default().push(w.score);
    }
    let sums: HashMap<i64, f64> = per_episode
        .into_iter()
        .map(|(e, mut s)| {
            s.sort_by(|a, b| b.total_cmp(a));
            (e, s.iter().take(top).sum::<f64>())
        })
        .collect();
    let max = sums.values().copied().fold(1e-9, f64::max);
    sums.into_iter().map(|(e, s)| (e, s / max)).collect()
}

/// Each cited episode's share of the citations, the one at rank r weighing 1/r (so an episode
/// cited first and often leads); episodes no longer stored are left out.
fn citation_shares(urls: &[String], keys: &HashMap<String, i64>) -> HashMap<i64, f64> {
    let mut shares: HashMap<i64, f64> = HashMap::new();
    let mut total = 0.0;
    for (rank, url) in urls.iter().enumerate() {
        let w = 1.0 / (rank as f64 + 1.0);
        total += w;
        if let Some(&key) = keys.get(url) {
            *shares.entry(key).or_default() += w;
        }
    }
    if total > 0.0 {
        shares.values_mut().for_each(|s| *s /= total);
    }
    shares
}

/// `ranked` (fused windows) with their episode's bonus added, best first again.
pub(super) fn with_bonus<'a>(
    mut ranked: Vec<(&'a WindowHit, f64)>,
    bonus: &HashMap<i64, f64>,
) -> Vec<(&'a WindowHit, f64)> {
    if bonus.is_empty() {
        return ranked;
    }
    for (w, score) in &mut ranked {
        *score += bonus.get(&w.episode).copied().unwrap_or(0.0);
    }
    ranked.sort_by(|a, b| b.1.total_cmp(&a.1));
    ranked
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hit(window: u32, episode: i64, score: f64) -> WindowHit {
        WindowHit {
            window,
            episode,
            start_word: window * 60,
            end_word: window * 60 + 120,
            score,
        }
    }

    #[test]
    fn an_episodes_evidence_is_its_best_windows_relative_to_the_best_episode() {
        let windows = [
            hit(1, 1, 4.0),
            hit(2, 1, 2.0),
            hit(3, 1, 1.0),
            hit(7, 2, 3.0),
        ];
        let e = episode_evidence(&windows, 2);
        assert!((e[&1] - 1.0).abs() < 1e-9, "{e:?}"); // 4 + 2, the best
        assert!((e[&2] - 0.5).abs() < 1e-9, "{e:?}"); // 3 of 6
        assert!(episode_evidence(&[], 3).is_empty());
    }

    #[test]
    fn earlier_citations_weigh_more_and_unknown_episodes_are_left_out() {
        let urls: Vec<String> = ["a", "b", "a", "gone"].map(String::from).into();
        let keys = HashMap::from([("a".to_string(), 1), ("b".to_string(), 2)]);
        let shares = citation_shares(&urls, &keys);
        let total = 1.0 + 0.5 + 1.0 / 3.0 + 0.25;
        assert!((shares[&1] - (1.0 + 1.0 / 3.0) / total).abs() < 1e-9);
        assert!((shares[&2] - 0.5 / total).abs() < 1e-9);
        assert_eq!(shares.len(), 2);
        assert!(citation_shares(&[], &keys).is_empty());
    }

    #[test]
    fn the_bonus_reorders_fused_windows() {
        let (a, b) = (hit(1, 1, 0.0), hit(2, 2, 0.0));
        let ranked = vec![(&a, 1.2), (&b, 1.0)];
        let out = with_bonus(ranked.clone(), &HashMap::from([(2, 0.5)]));
        assert_eq!(out[0].0.window, 2);
        assert!((out[0].1 - 1.5).abs() < 1e-9);
        assert_eq!(with_bonus(ranked.clone(), &HashMap::new()), ranked);
    }

    #[test]
    fn a_follow_up_without_words_of_its_own_searches_the_previous_question() {
        let c = TurnContext::new("What about diffusion models?", Vec::new());
        assert_eq!(query_text("Why?", Some(&c)), "What about diffusion models?");
        assert_eq!(query_text("Why masks?", Some(&c)), "Why masks?");
        assert_eq!(query_text("Why?", None), "Why?");
    }
}
