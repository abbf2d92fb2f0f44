//! A question's words: its content words, the one sanitizer between user text and FTS5 MATCH
//! (only quoted alphanumeric terms get through, so quotes, `*`, `-`, `NEAR`, `AND`, parentheses or
//! emoji can never change the query's syntax), and how much of it the best passages cover.

use crate::fold::fold;

/// Most terms kept from one question (a 2,000-character input stays a cheap query).
const MAX_TERMS: usize = 32;
const MAX_TERM_CHARS: usize = 40;

/// Content words of `text`: folded (`fold`), stop words, single letters, words over
/// `MAX_TERM_CHARS` and duplicates removed, at most `MAX_TERMS`, in order. They go into the FTS5
/// query as they are; `index::index_terms` turns them into the index's stems for everything else
/// (passage ranking, coverage, extractive answers).
pub fn content_words(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for w in fold(text).split(' ') {
        let short = w.chars().count() < 2 && !w.chars().all(|c| c.is_ascii_digit());
        if w.is_empty() || short || w.chars().count() > MAX_TERM_CHARS || is_stop_word(w) {
            continue;
        }
        if !out.iter().any(|o| o == w) {
            out.push(w.to_string());
        }
        if out.len() == MAX_TERMS {
            break;
        }
    }
    out
}

/// `"a" OR "b" OR …`, or `None` when there is nothing to search for (`store::match_expr`).
pub fn fts_query(terms: &[String]) -> Option<String> {
    crate::store::match_expr(terms, false)
}

/// Weighted share of a question's index terms (`index::index_terms`) that occur in `texts`
/// (`weights[i]` for `terms[i]`); words are compared as the index compares them.
pub fn coverage<'a>(
    terms: &[String],
    weights: &[f64],
    texts: impl Iterator<Item = &'a str>,
) -> f64 {
    let found_in: Vec<_> = texts.map(crate::index::text_terms).collect();
    let (mut found, mut all) = (0.0, 0.0);
    for (t, w) in terms.iter().zip(weights) {
        all += w;
        if found_in.iter().any(|set| set.contains(t)) {
            found += w;
        }
    }
    if all > 0.0 {
        found / all
    } else {
        0.0
    }
}

fn is_stop_word(w: &str) -> bool {
    STOP_WORDS.binary_search(&w).is_ok()
}

/// English function words plus question boilerplate ("what does he say about …"); sorted.
const STOP_WORDS: &[&str] = &[
    "a",
    "about",
    "above",
    "after",
    "again",
    "against",
    "all",
    "also",
    "am",
    "an",
    "and",
    "any",
    "are",
    "as",
    "at",
    "be",
    "because",
    "been",
    "before",
    "being",
    "below",
    "between",
    "both",
    "but",
    "by",
    "can",
    "could",
    "did",
    "discuss",
    "discussed",
    "do",
    "does",
    "doing",
    "down",
    "during",
    "each",
    "episode",
    "few",
    "for",
    "from",
    "further",
    "had",
    "has",
    "have",
    "having",
    "he",
    "her",
    "here",
    "hers",
    "herself",
    "him",
    "himself",
    "his",
    "how",
    "i",
    "if",
    "in",
    "into",
    "is",
    "it",
    "its",
    "itself",
    "just",
    "me",
    "mention",
    "mentioned",
    "mentions",
    "more",
    "most",
    "my",
    "myself",
    "no",
    "nor",
    "not",
    "now",
    "of",
    "off",
    "on",
    "once",
    "only",
    "or",
    "other",
    "our",
    "ours",
    "ourselves",
    "out",
    "over",
    "own",
    "podcast",
    "s",
    "said",
    "same",
    "say",
    "says",
    "she",
    "should",
    "so",
    "some",
    "such",
    "t",
    "talk",
    "talked",
    "than",
    "that",
    "the",
    "their",
    "theirs",
    "them",
    "themselves",
    "then",
    "there",
    "these",
    "they",
    "this",
    "those",
    "through",
    "to",
    "too",
    "under",
    "until",
    "up",
    "very",
    "was",
    "we",
    "were",
    "what",
    "when",
    "where",
    "which",
    "while",
    "who",
    "whom",
    "why",
    "will",
    "with",
    "would",
    "you",
    "your",
    "yours",
    "yourself",
    "yourselves",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stop_words_are_sorted_for_binary_search() {
        assert!(STOP_WORDS.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn hostile_input_becomes_quoted_terms() {
        let t = content_words(
            r#"What about "diffusion" AND (NEAR* -models) OR 🤖 Cristóbal's `x` DALL·E?"#,
        );
        assert_eq!(t, ["diffusion", "near", "models", "cristobal", "dall"]);
        let q = fts_query(&t).unwrap();
        assert_eq!(
            q,
            r#""diffusion" OR "near" OR "models" OR "cristobal" OR "dall""#
        );
        assert!(fts_query(&content_words("?? !! 🤖 the of")).is_none());
        let long = "word ".repeat(400) + &"x".repeat(2000);
        assert_eq!(content_words(&long), ["word"]);
    }

    #[test]
    fn coverage_compares_stems() {
        let terms = crate::index::index_terms(&content_words("training diffusion models"));
        let even = [1.0; 3];
        assert_eq!(
            coverage(&terms, &even, ["we trained a diffusion model"].into_iter()),
            1.0
        );
        assert!(coverage(&terms, &even, ["nothing relevant here"].into_iter()) < 0.01);
        // the rare word counts more than the common ones
        let weighted = [1.0, 6.0, 1.0];
        let c = coverage(&terms, &weighted, ["training models"].into_iter());
        assert!((c - 0.25).abs() < 1e-9, "{c}");
    }
}
