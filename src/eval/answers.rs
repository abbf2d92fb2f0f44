//! What keyless answers are worth: do their quotes hold the answer, and is "not covered" said to
//! the questions no episode answers (and only to those)?
//!
//! - `keyword_any` / `keyword_all`: share of passage questions with `answer_keywords` whose quotes
//!   hold one / all of them (compared folded, as whole words: "go-to-market" = "go to market").
//! - `quote_in_span`: share of passage questions with a quote at least half inside the gold span;
//!   `quote_overlaps_span`: with min(30 words, half the quote) inside (the retrieval hit rule).
//! - `mean_quoted_words`: words quoted per answer that quotes anything.
//! - `not_covered_precision` / `_recall`: of the questions turned away, the share that no episode
//!   answers; of those, the share turned away. `answerable_turned_away`: the share of the others.

use std::collections::HashMap;

use serde::Serialize;

use super::Gold;
use crate::{
    answer::{Answer, AnswerError, Answerer},
    fold::fold,
    retrieve::{self, RetrieveError, SearchOptions},
    store::Store,
};

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct AnswerScores {
    /// Passage questions with answer keywords.
    pub n_keyword_questions: usize,
    pub keyword_any: Option<f64>,
    pub keyword_all: Option<f64>,
    /// Whole-episode questions with answer keywords, and the share whose answer holds one.
    pub n_episode_questions: usize,
    pub episode_keyword_any: Option<f64>,
    pub quote_in_span: Option<f64>,
    /// Share of passage questions with a quote overlapping the gold span by at least
    /// min(30 words, half the quote).
    pub quote_overlaps_span: Option<f64>,
    pub mean_quoted_words: f64,
    pub n_unanswerable: usize,
    pub n_answerable: usize,
    pub not_covered_precision: Option<f64>,
    pub not_covered_recall: Option<f64>,
    pub answerable_turned_away: Option<f64>,
    /// One JSON object per question (what was quoted, the gate's evidence), for `--details`.
    #[serde(skip)]
    pub details: Vec<serde_json::Value>,
}

/// Answer every gold question as a user without a key would be answered (not recorded).
pub async fn run(
    answerer: &Answerer,
    store: &Store,
    gold: &[Gold],
    options: &SearchOptions,
) -> Result<AnswerScores, RetrieveError> {
    let mut answers = HashMap::new();
    let mut details = Vec::new();
    for g in gold {
        match answerer.answer_keyless(store, &g.question, options).await {
            Ok(a) => {
                let found = retrieve::search(store, &g.question, options).await?;
                let quoted = quoted_text(&a);
                details.push(serde_json::json!({
                    "qid": g.qid,
                    "kind": g.kind,
                    "question": g.question,
                    "confident": a.confident,
                    "coverage": (found.coverage * 1000.0).round() / 1000.0,
                    "named_coverage": (found.evidence.named_coverage * 1000.0).round() / 1000.0,
                    "unknown_words": found.evidence.unknown_words,
                    "keywords_found": g.answer_keywords.iter().filter(|k| holds(&quoted, k)).collect::<Vec<_>>(),
                    "keywords": g.answer_keywords,
                    "in_span": quote_in_span(g, &a),
                    "quotes": a.quotes.iter().map(|q| serde_json::json!({
                        "url": a.sources.get(q.source.wrapping_sub(1)).map(|s| s.url.as_str()),
                        "start_word": q.start_word,
                        "end_word": q.end_word,
                    })).collect::<Vec<_>>(),
                    "hits": found.hits.iter().take(3).map(|h| serde_json::json!({
                        "url": h.url, "start_word": h.start_word, "end_word": h.end_word,
                    })).collect::<Vec<_>>(),
                    "answer": a.answer,
                }));
                answers.insert(g.qid.clone(), a);
            }
            Err(AnswerError::EmptyQuestion) => {}
            Err(AnswerError::Retrieve(e)) => return Err(e),
        }
    }
    let mut scores = score(gold, &answers);
    scores.details = details;
    Ok(scores)
}

/// Score answers (by qid; a missing answer counts as turned away and quoting nothing).
pub fn score(gold: &[Gold], answers: &HashMap<String, Answer>) -> AnswerScores {
    let (mut n_kw, mut any, mut all) = (0usize, 0usize, 0usize);
    let (mut n_ep, mut ep_any) = (0usize, 0usize);
    let (mut n_span, mut in_span, mut overlaps) = (0usize, 0usize, 0usize);
    let (mut quoting, mut quoted_words) = (0usize, 0usize);
    let (mut n_un, mut n_ans, mut away_un, mut away_ans) = (0usize, 0usize, 0usize, 0usize);
    for g in gold {
        let a = answers.get(&g.qid);
        let turned_away = a.is_none_or(|a| !a.confident);
        if g.kind == "unanswerable" {
            n_un += 1;
            away_un += turned_away as usize;
            continue;
        }
        n_ans += 1;
        away_ans += turned_away as usize;
        let quoted = a.map(quoted_text).unwrap_or_default();
        let keywords: Vec<bool> = g
            .answer_keywords
            .iter()
            .map(|k| holds(&quoted, k))
            .collect();
        if g.kind == "passage" {
            if let Some(a) = a.filter(|a| !a.quotes.is_empty()) {
                quoting += 1;
                quoted_words += a.quotes.iter().map(|q| words(&q.text)).sum::<usize>();
            }
            n_span += 1;
            in_span += a.is_some_and(|a| quote_in_span(g, a)) as usize;
            overlaps += a.is_some_and(|a| quote_overlaps_span(g, a)) as usize;
            if !keywords.is_empty() {
                n_kw += 1;
                any += keywords.iter().any(|k| *k) as usize;
                all += keywords.iter().all(|k| *k) as usize;
            }
        } else if !keywords.is_empty() {
            n_ep += 1;
            ep_any += keywords.iter().any(|k| *k) as usize;
        }
    }
    let share =
        |n: usize, d: usize| (d > 0).then(|| (n as f64 / d as f64 * 1000.0).round() / 1000.0);
    AnswerScores {
        n_keyword_questions: n_kw,
        keyword_any: share(any, n_kw),
        keyword_all: share(all, n_kw),
        n_episode_questions: n_ep,
        episode_keyword_any: share(ep_any, n_ep),
        quote_in_span: share(in_span, n_span),
        quote_overlaps_span: share(overlaps, n_span),
        mean_quoted_words: (quoted_words as f64 / quoting.max(1) as f64 * 10.0).round() / 10.0,
        n_unanswerable: n_un,
        n_answerable: n_ans,
        not_covered_precision: share(away_un, away_un + away_ans),
        not_covered_recall: share(away_un, n_un),
        answerable_turned_away: share(away_ans, n_ans),
        details: Vec::new(),
    }
}

/// The quoted words of an answer, folded, with a space at each end (for whole-word matching).
fn quoted_text(a: &Answer) -> String {
    let text: Vec<&str> = a.quotes.iter().map(|q| q.text.as_str()).collect();
    format!(" {} ", fold(&text.join(" ")))
}

fn holds(folded: &str, keyword: &str) -> bool {
    let k = fold(keyword);
    !k.is_empty() && folded.contains(&format!(" {k} "))
}

fn words(text: &str) -> usize {
    fold(text).split(' ').filter(|w| !w.is_empty()).count()
}

/// A quote from the gold episode with at least half its words inside the gold span.
fn quote_in_span(g: &Gold, a: &Answer) -> bool {
    quote_inside(g, a, |len| (len + 1) / 2)
}

/// A quote from the gold episode with at least min(30 words, half its words) inside the gold
/// span: the retrieval hit rule, for quotes (a 100-word quote of a 50-word span counts).
fn quote_overlaps_span(g: &Gold, a: &Answer) -> bool {
    quote_inside(g, a, |len| ((len + 1) / 2).min(30))
}

fn quote_inside(g: &Gold, a: &Answer, need: impl Fn(i64) -> i64) -> bool {
    a.quotes.iter().filter(|q| !q.summary).any(|q| {
        let from_gold = a
            .sources
            .get(q.source.wrapping_sub(1))
            .is_some_and(|s| s.url == g.url);
        let inside = q.end_word.min(g.end_word) - q.start_word.max(g.start_word);
        let len = q.end_word - q.start_word;
        from_gold && len > 0 && inside >= need(len)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::answer::{Mode, Quote, Source, Usage};

    fn gold(qid: &str, kind: &str, keywords: &[&str]) -> Gold {
        Gold {
            qid: qid.into(),
            kind: kind.into(),
            question: "q".into(),
            url: "u1".into(),
            start_word: 100,
            end_word: 200,
            answer_keywords: keywords.iter().map(|k| k.to_string()).collect(),
        }
    }

    fn answer(confident: bool, quotes: &[(&str, i64, i64)]) -> Answer {
        Answer {
            answer: String::new(),
            mode: Mode::Extractive,
            confident,
            sources: vec![Source {
                url: "u1".into(),
                title: "T".into(),
                timestamp_s: None,
                timestamp_exact: false,
                link: "u1".into(),
                text: String::new(),
                episode_id: "e".into(),
            }],
            quotes: quotes
                .iter()
                .map(|(t, a, b)| Quote {
                    source: 1,
                    start_word: *a,
                    end_word: *b,
                    text: t.to_string(),
                    summary: false,
                })
                .collect(),
            usage: Usage::default(),
            model: None,
            note: None,
            fell_back: false,
            cut: None,
            answer_id: None,
            latency_ms: 0,
            follows: None,
        }
    }

    #[test]
    fn keywords_spans_and_not_covered() {
        let gold = vec![
            gold("a", "passage", &["Whole Foods", "pandemic"]),
            gold("b", "passage", &["go-to-market"]),
            gold("c", "passage", &["Afresh"]),
            gold("u", "unanswerable", &[]),
            gold("v", "unanswerable", &[]),
        ];
        let mut answers = HashMap::new();
        // a: one keyword of two, quote half inside the span (150..250 of 100..200)
        answers.insert(
            "a".into(),
            answer(true, &[("The pandemic hit grocery stores hard.", 150, 250)]),
        );
        // b: punctuation and case folded; quote outside the span
        answers.insert(
            "b".into(),
            answer(true, &[("a Go To Market problem", 0, 4)]),
        );
        // c: turned away; "Afresh" only as part of a word does not count
        answers.insert("c".into(), answer(false, &[("Afreshly", 120, 121)]));
        answers.insert("u".into(), answer(false, &[]));
        answers.insert("v".into(), answer(true, &[]));
        let s = score(&gold, &answers);
        assert_eq!(s.n_keyword_questions, 3);
        assert_eq!(s.keyword_any, Some(0.667));
        assert_eq!(s.keyword_all, Some(0.333));
        assert_eq!(s.quote_in_span, Some(0.667));
        assert_eq!(s.quote_overlaps_span, Some(0.667));
        assert_eq!(s.mean_quoted_words, 4.0); // (6 + 5 + 1) / 3
        assert_eq!((s.n_unanswerable, s.n_answerable), (2, 3));
        assert_eq!(s.not_covered_precision, Some(0.5));
        assert_eq!(s.not_covered_recall, Some(0.5));
        assert_eq!(s.answerable_turned_away, Some(0.333));
    }
}
