//! Questions about a whole episode ("What is the Runway episode about?", "Which episode talks
//! about masks?"), answered without an LLM from the summary of the episode they mean: quoted,
//! with its citation, like the excerpts of `extractive`.

use super::Quote;
use crate::index;

/// Words of summary quoted for a question about a whole episode (whole sentences).
const SUMMARY_WORDS: usize = 80;

/// Whether a question asks about a whole episode ("What is the Runway episode about?", "Give me a
/// summary of …", "Which episode talks about masks?") rather than something said in it.
pub fn about_an_episode(question: &str) -> bool {
    let q = crate::fold::fold(question);
    let padded = format!(" {q} ");
    let has = |w: &str| padded.contains(&format!(" {w} "));
    // "what did Sarah talk about on the show": the words around "about" are stop words to search
    // but say what is asked.
    let whole = [
        "episode",
        "episodes",
        "interview",
        "podcast",
        "conversation",
        "show",
    ]
    .iter()
    .any(|w| has(w));
    let asks_gist = [
        "summary",
        "summarize",
        "summarise",
        "overview",
        "gist",
        "topics",
    ]
    .iter()
    .any(|w| has(w));
    let asks_what = q.ends_with(" about")
        || has("talk about")
        || has("talked about")
        || has("which")
        || has("is there")
        || padded.starts_with(" tell me about ");
    (whole && (asks_what || asks_gist)) || (asks_gist && (has("cover") || has("covered")))
}

/// How well an episode's title and summary match the question (rarity-weighted share of its
/// terms): picks the episode a question about a whole episode means.
pub fn summary_match(question_terms: &[(String, f64)], title: &str, summary: &str) -> f64 {
    let held = index::text_terms(&format!("{title} {summary}"));
    let total: f64 = question_terms.iter().map(|(_, w)| w).sum::<f64>().max(1e-9);
    question_terms
        .iter()
        .filter(|(t, _)| held.contains(t))
        .map(|(_, w)| w)
        .sum::<f64>()
        / total
}

/// Answer a question about a whole episode from its summary: its first sentence (who and what),
/// the sentence that best matches the question, then the next ones, in the summary's order, up
/// to `SUMMARY_WORDS`.
pub fn from_summary(
    question_terms: &[(String, f64)],
    title: &str,
    summary: &str,
    label: usize,
) -> (String, Vec<Quote>) {
    let sentences = sentences_of(summary);
    // The title's words name the episode ("Jeremy Howard"); the others say what is asked.
    let named = index::text_terms(title);
    let matched = |s: &str| {
        let held = index::text_terms(s);
        question_terms
            .iter()
            .filter(|(t, _)| held.contains(t) && !named.contains(t))
            .map(|(_, w)| w)
            .sum::<f64>()
    };
    let best = (1..sentences.len())
        .max_by(|a, b| matched(sentences[*a]).total_cmp(&matched(sentences[*b])))
        .filter(|i| matched(sentences[*i]) > 0.0);
    let mut chosen: Vec<usize> = std::iter::once(0).chain(best).collect();
    let mut words: usize = chosen
        .iter()
        .filter_map(|i| sentences.get(*i))
        .map(|s| s.split_whitespace().count())
        .sum();
    for (i, s) in sentences.iter().enumerate().skip(1) {
        let n = s.split_whitespace().count();
        if chosen.contains(&i) {
            continue;
        }
        if words + n > SUMMARY_WORDS {
            break;
        }
        chosen.push(i);
        words += n;
    }
    chosen.sort_unstable();
    chosen.dedup();
    let mut text = String::new();
    let mut last = None;
    for i in chosen.into_iter().filter(|i| *i < sentences.len()) {
        if let Some(l) = last {
            text.push_str(if i == l + 1 { " " } else { " … " });
        }
        text.push_str(sentences[i]);
        last = Some(i);
    }
    let out = format!(
        "Quoted from the summary of “{title}” (no language model; not generated):\n> “{text}” [{label}]"
    );
    let quote = Quote {
        source: label,
        start_word: 0,
        end_word: 0,
        text,
        summary: true,
    };
    (out, vec![quote])
}

/// Sentences of a summary (split at `.`, `?`, `!` followed by whitespace).
fn sentences_of(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    let bytes = text.as_bytes();
    for (i, c) in text.char_indices() {
        if matches!(c, '.' | '?' | '!') && bytes.get(i + 1).is_some_and(|b| b.is_ascii_whitespace())
        {
            out.push(&text[start..=i]);
            start = i + 1;
        }
    }
    if start < text.len() {
        out.push(&text[start..]);
    }
    out.into_iter()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn terms(q: &str) -> Vec<(String, f64)> {
        index::index_terms(&crate::retrieve::content_words(q))
            .into_iter()
            .map(|t| (t, 1.0))
            .collect()
    }

    #[test]
    fn episode_questions_are_told_apart() {
        for q in [
            "What is the Runway episode about?",
            "Give me a summary of the Jeremy Howard interview",
            "Which episode talks about masks and COVID?",
            "Is there an episode with a venture capitalist?",
            "Tell me about the interview with the CEO of Runway",
            "What topics does the fast.ai founder cover?",
        ] {
            assert!(about_an_episode(q), "{q}");
        }
        for q in [
            "How did Runway get started?",
            "What did Cris say about deep fakes?",
            "Which startup used reinforcement learning?",
        ] {
            assert!(!about_an_episode(q), "{q}");
        }
        let (a, q) = from_summary(&[], "T", "It is about video. It has more. And more.", 1);
        assert!(
            a.contains("summary of “T”")
                && a.contains("“It is about video. It has more. And more.” [1]"),
            "{a}"
        );
        assert!(q[0].summary);
        // the sentence that answers is quoted even past the length limit, after a "…"
        let long = format!(
            "Who and what. {} Masks work well.",
            "Filler words here. ".repeat(30)
        );
        let (a, _) = from_summary(&terms("masks"), "T", &long, 2);
        assert!(
            a.contains("“Who and what. Filler words here.")
                && a.contains(" … Masks work well.” [2]"),
            "{a}"
        );
    }
}
