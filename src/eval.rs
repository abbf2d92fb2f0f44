//! Retrieval quality against gold passages: a port of `shared/eval/score.py`.
//!
//! `ep_at_1`: the first passage comes from the gold episode. `hit_at_B`: passages taken in rank
//! order while words × 1.3 stay within B tokens (the first always) include one from the gold
//! episode overlapping the gold span by at least min(30 words, half the span).
//! `answers` scores what a keyless answer quotes and when it says "not covered".

pub mod answers;

use serde::{Deserialize, Deserializer, Serialize};

use crate::{
    answer::Prompt,
    retrieve::{self, Hit, RetrieveError, SearchOptions},
    store::Store,
};

#[derive(Debug, Clone, Deserialize)]
pub struct Gold {
    pub qid: String,
    pub kind: String,
    pub question: String,
    /// The episode; `null` (read as empty) for unanswerable questions.
    #[serde(default, deserialize_with = "null_as_empty")]
    pub url: String,
    #[serde(default)]
    pub start_word: i64,
    #[serde(default)]
    pub end_word: i64,
    /// Words an answer cannot do without (dev set; absent from the shared gold).
    #[serde(default)]
    pub answer_keywords: Vec<String>,
}

fn null_as_empty<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    Ok(Option::<String>::deserialize(d)?.unwrap_or_default())
}

/// The scorer's view of a ranked passage.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Span {
    pub url: String,
    pub start_word: i64,
    pub end_word: i64,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Scores {
    pub ep_at_1: f64,
    pub hit_at_600: f64,
    pub hit_at_1000: f64,
    pub n_passage: usize,
    pub n_episode: usize,
    pub missing: usize,
    /// Mean estimated tokens of passage context an answer prompt would carry (0 when not measured).
    pub mean_context_tokens: f64,
    /// Keyless answers to the same questions (`answers::score`); `None` when not measured.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub answers: Option<answers::AnswerScores>,
}

/// Score ranked results (by qid) against gold, exactly as `score.py` does.
pub fn score(gold: &[Gold], results: &std::collections::HashMap<String, Vec<Span>>) -> Scores {
    let (mut n_ep, mut n_pass, mut ep1, mut missing) = (0usize, 0usize, 0usize, 0usize);
    let mut hits = [0usize; 2];
    let budgets = [600.0, 1000.0];
    let empty = Vec::new();
    for g in gold.iter().filter(|g| g.kind != "unanswerable") {
        let res = results.get(&g.qid).unwrap_or_else(|| {
            missing += 1;
            &empty
        });
        n_ep += 1;
        if res.first().is_some_and(|h| h.url == g.url) {
            ep1 += 1;
        }
        if g.kind != "passage" {
            continue;
        }
        n_pass += 1;
        let need = (30.0f64).min((g.end_word - g.start_word) as f64 / 2.0);
        for (bi, b) in budgets.iter().enumerate() {
            let mut words = 0i64;
            let mut ok = false;
            for h in res {
                let n = h.end_word - h.start_word;
                if words > 0 && (words + n) as f64 * 1.3 > *b {
                    break;
                }
                words += n;
                let overlap = (h.end_word.min(g.end_word) - h.start_word.max(g.start_word)).max(0);
                if h.url == g.url && overlap as f64 >= need {
                    ok = true;
                }
            }
            hits[bi] += ok as usize;
        }
    }
    let r = |n: usize, d: usize| (n as f64 / d.max(1) as f64 * 1000.0).round() / 1000.0;
    Scores {
        ep_at_1: r(ep1, n_ep),
        hit_at_600: r(hits[0], n_pass),
        hit_at_1000: r(hits[1], n_pass),
        n_passage: n_pass,
        n_episode: n_ep,
        missing,
        mean_context_tokens: 0.0,
        answers: None,
    }
}

/// Run every gold question through retrieval and score the results; also measures the prompt
/// context an answer would carry within `context_budget` tokens.
pub async fn run(
    store: &Store,
    gold: &[Gold],
    options: &SearchOptions,
    context_budget: usize,
) -> Result<Scores, RetrieveError> {
    let mut results = std::collections::HashMap::new();
    let mut context_tokens = 0usize;
    for g in gold {
        let found = retrieve::search(store, &g.question, options).await?;
        context_tokens += Prompt::build(&g.question, &found.hits, context_budget).context_tokens;
        results.insert(g.qid.clone(), spans(&found.hits));
    }
    let mut scores = score(gold, &results);
    scores.mean_context_tokens = (context_tokens as f64 / gold.len().max(1) as f64).round();
    Ok(scores)
}

pub fn spans(hits: &[Hit]) -> Vec<Span> {
    hits.iter()
        .map(|h| Span {
            url: h.url.clone(),
            start_word: h.start_word,
            end_word: h.end_word,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn g(qid: &str, start: i64, end: i64) -> Gold {
        Gold {
            qid: qid.into(),
            kind: "passage".into(),
            question: String::new(),
            url: "u1".into(),
            start_word: start,
            end_word: end,
            answer_keywords: Vec::new(),
        }
    }

    fn s(url: &str, a: i64, b: i64) -> Span {
        Span {
            url: url.into(),
            start_word: a,
            end_word: b,
        }
    }

    #[test]
    fn matches_the_reference_rule() {
        let gold = vec![g("a", 0, 800), g("b", 800, 1600), g("c", 0, 800)];
        let mut r = std::collections::HashMap::new();
        // a: first passage hits
        r.insert("a".to_string(), vec![s("u1", 700, 820)]);
        // b: right episode first, but the overlapping passage is 5th (past 600 tokens, within 1000)
        r.insert(
            "b".to_string(),
            vec![
                s("u1", 0, 120),
                s("u2", 0, 120),
                s("u2", 200, 320),
                s("u2", 400, 520),
                s("u1", 1000, 1120),
            ],
        );
        // c: overlap of 29 words is not enough (need 30)
        r.insert("c".to_string(), vec![s("u2", 0, 120), s("u1", 771, 891)]);
        let sc = score(&gold, &r);
        assert_eq!(sc.ep_at_1, 0.667);
        assert_eq!(sc.hit_at_600, 0.333);
        assert_eq!(sc.hit_at_1000, 0.667);
        assert_eq!(sc.missing, 0);
    }
}
