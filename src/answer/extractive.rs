//! Answers without an LLM: the sentences of the best passages that share most with the question,
//! quoted verbatim with their citation labels, and labelled as excerpts, not generated text.

use super::Quote;
use crate::{
    cite, index,
    retrieve::{content_words, Hit},
};

/// Most sentences quoted in one answer.
const MAX_SENTENCES: usize = 3;
/// Longest quoted sentence, in characters (long run-on transcript sentences are cut).
const MAX_SENTENCE_CHARS: usize = 320;

pub const EXCERPT_HEADER: &str =
    "Quoted excerpts from the episodes (no language model; not generated):";

/// Quote the best sentences of `hits` for `question`, each followed by its label `[n]`; also
/// returns where each quote is.
pub fn excerpts(question: &str, hits: &[Hit]) -> (String, Vec<Quote>) {
    // Words are compared as the index compares them (the stems retrieval ranked and checked).
    let terms = index::index_terms(&content_words(question));
    let mut scored: Vec<(f64, usize, usize, &str)> = Vec::new(); // (score, passage, order, sentence)
    for (pi, h) in hits.iter().enumerate().take(4) {
        for (si, s) in sentences(&h.text).into_iter().enumerate() {
            let words = crate::fold::fold(s).split(' ').count();
            if words < 5 {
                continue;
            }
            let held = index::text_terms(s);
            let matched = terms.iter().filter(|t| held.contains(*t)).count();
            if matched == 0 {
                continue;
            }
            // favour matches, earlier passages, and sentences that are neither tiny nor huge
            let score = matched as f64 - pi as f64 * 0.3 - (words as f64 / 80.0);
            scored.push((score, pi, si, s));
        }
    }
    scored.sort_by(|a, b| b.0.total_cmp(&a.0));
    scored.truncate(MAX_SENTENCES);
    if scored.is_empty() {
        // nothing matched sentence by sentence: quote the start of the best passage
        if let Some(h) = hits.first() {
            scored.push((0.0, 0, 0, h.text.as_str()));
        }
    }
    scored.sort_by_key(|s| (s.1, s.2));
    let mut out = String::from(EXCERPT_HEADER);
    let mut quotes = Vec::new();
    for (_, pi, _, s) in scored {
        let text = shorten(s.trim());
        out.push_str(&format!("\n> “{text}” [{}]", pi + 1));
        quotes.push(quote_of(&hits[pi], pi + 1, s, &text));
    }
    (out, quotes)
}

/// Where `sentence` (a slice of `hit.text`) lies, quoted as `shown`.
fn quote_of(hit: &Hit, label: usize, sentence: &str, shown: &str) -> Quote {
    let offset = (sentence.as_ptr() as usize).saturating_sub(hit.text.as_ptr() as usize);
    let before = hit
        .text
        .get(..offset)
        .map_or(0, |t| t.split_whitespace().count());
    let start_word = hit.start_word + before as i64;
    let words = shown.trim_end_matches('…').split_whitespace().count() as i64;
    Quote {
        source: label,
        start_word,
        end_word: start_word + words,
        text: shown.to_string(),
    }
}

/// The not-covered answer, naming the words no episode holds and the nearest episode.
pub fn not_covered(nearest: Option<&Hit>, unknown_words: &[String]) -> String {
    let why = match unknown_words {
        [] => String::new(),
        words => format!(
            " No episode mentions {}.",
            words
                .iter()
                .map(|w| format!("“{w}”"))
                .collect::<Vec<_>>()
                .join(" or ")
        ),
    };
    match nearest {
        Some(h) => format!(
            "The episodes don't seem to cover this.{why} The nearest match is “{}” around {} [1].",
            h.title,
            h.timestamp_s
                .map(cite::format_timestamp)
                .unwrap_or_else(|| "the start".into())
        ),
        None => {
            "The episodes don't seem to cover this: no passage matches the question's words.".into()
        }
    }
}

/// Split at `.`, `?`, `!` followed by whitespace (transcripts have no other reliable marks).
fn sentences(text: &str) -> Vec<&str> {
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

fn shorten(s: &str) -> String {
    if s.chars().count() <= MAX_SENTENCE_CHARS {
        return s.to_string();
    }
    let cut: String = s.chars().take(MAX_SENTENCE_CHARS).collect();
    let cut = cut.rsplit_once(' ').map_or(cut.as_str(), |(a, _)| a);
    format!("{cut} …")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hit(text: &str) -> Hit {
        Hit {
            url: "u".into(),
            episode_id: "e".into(),
            title: "T".into(),
            start_word: 0,
            end_word: 10,
            timestamp_s: Some(61),
            score: 1.0,
            text: text.into(),
            link: "u".into(),
        }
    }

    #[test]
    fn quotes_matching_sentences_with_labels() {
        let hits = [
            hit("Nothing here at all today. Diffusion models learn to remove noise step by step. Bye now friends."),
            hit("Other talk about lunch and things. We trained diffusion models on many images of cats."),
        ];
        let (a, quotes) = excerpts("How do diffusion models remove noise?", &hits);
        assert!(a.starts_with(EXCERPT_HEADER));
        assert!(
            a.contains("“Diffusion models learn to remove noise step by step.” [1]"),
            "{a}"
        );
        assert!(a.contains("[2]"), "{a}");
        assert!(!a.contains("lunch"), "{a}");
        // where the quotes are: the 2nd sentence of passage 1 starts at its 6th word
        assert_eq!(quotes[0].source, 1);
        assert_eq!((quotes[0].start_word, quotes[0].end_word), (5, 14));
    }

    #[test]
    fn sentences_match_words_as_the_index_does() {
        // "studies" and "study" share the index stem "studi" (a prefix match would miss them).
        let hits = [hit(
            "Nothing here at all today, my friends. One study found that noise helps a lot.",
        )];
        let (a, _) = excerpts("What did the studies find?", &hits);
        assert!(
            a.contains("“One study found that noise helps a lot.” [1]"),
            "{a}"
        );
        assert!(!a.contains("friends"), "{a}");
    }

    #[test]
    fn not_covered_names_the_nearest_episode() {
        assert!(not_covered(Some(&hit("x")), &[]).contains("“T” around ≈1:01"));
        assert!(not_covered(None, &[]).contains("don't seem to cover"));
        let why = not_covered(Some(&hit("x")), &["lora".into(), "rlhf".into()]);
        assert!(
            why.contains("No episode mentions “lora” or “rlhf”."),
            "{why}"
        );
    }
}
