//! Does the archive cover the question at all? Two pieces of evidence beyond the share of its
//! words the best passages hold (`query::coverage`):
//!
//! - **Unknown words**: a question word that occurs nowhere in the archive (no transcript, title
//!   or summary) is the strongest sign that it is not covered: "federated", "LoRA", "RLHF". Common
//!   English words are not evidence (a small archive lacks "cancel" without lacking the topic), nor
//!   are forms of archive words: another ending of the same stem ("Chilean" for "Chile", "LLM" for
//!   "LLMs") or two archive words run together ("deepfakes").
//! - **Named episodes**: when the question uses words of a few episodes' titles (a guest's name),
//!   its other words must occur in one of those episodes: "What does Cris Valenzuela think about
//!   Julia?" is not covered when only another episode mentions Julia.

use std::{
    collections::{HashMap, HashSet},
    sync::OnceLock,
};

use crate::{
    index::{self, Layout},
    store::{Store, StoreError, StoredTerm, Tx},
};

/// Title words that name more episodes than this share of the archive (or 2) are topics, not names.
const NAMED_MAX_SHARE: f64 = 0.01;
/// A title word names its episodes when transcripts say it mostly there: at least this share of
/// the blocks that hold it are theirs ("Catanzaro", "Jeremy"), and 3 times their share of all
/// blocks; words said all over the archive ("next", "AI") are topics.
const NAME_CONCENTRATION: f64 = 0.5;
const NAME_LIFT: f64 = 3.0;
/// Most titles read for the named-episode check.
const TITLE_ROWS: usize = 200;
/// A term in more than this share of windows is taken as present in every episode (not decoded).
const EVERYWHERE_SHARE: f64 = 0.25;

/// What the gate found; `answer` decides with it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Evidence {
    /// Question words found nowhere in the archive that are not common English words.
    pub unknown_words: Vec<String>,
    /// Rarity-weighted share of the question's other terms found in the best episode its title
    /// words name; 1 when it names none.
    pub named_coverage: f64,
    /// Question terms no transcript holds that read as other archive words ("deepfakes" as
    /// "deep" + "fake"), with those words' terms and window counts: the coverage check counts
    /// them instead.
    pub forms: Vec<(String, Vec<(String, i64)>)>,
}

/// Unknown words (see `Evidence`), and the other archive words absent ones read as; `known` are
/// the postings of the terms that have some.
#[allow(clippy::type_complexity)]
pub(super) async fn unknown_words(
    conn: &mut Tx,
    words: &[String],
    terms: &[String],
    known: &HashMap<&str, &StoredTerm>,
) -> Result<(Vec<String>, Vec<(String, Vec<(String, i64)>)>), StoreError> {
    let mut absent: Vec<(&str, &str)> = Vec::new(); // (word, term)
    for (w, t) in words.iter().zip(terms) {
        let digits = w.chars().all(|c| c.is_ascii_digit());
        if known.contains_key(t.as_str()) || digits || is_common(w) {
            continue;
        }
        if !absent.iter().any(|(_, a)| a == t) {
            absent.push((w, t));
        }
    }
    if absent.is_empty() {
        return Ok(Default::default());
    }
    // Other forms of archive words, looked up together: the word less an ending or a prefix,
    // and two words run together.
    let mut candidates: Vec<String> = Vec::new();
    for (w, _) in &absent {
        candidates.extend(forms(w).into_iter().flatten());
    }
    candidates.sort();
    candidates.dedup();
    let present = Store::known_terms(conn, &candidates).await?;
    let mut out = Vec::new();
    let mut read_as = Vec::new();
    for (w, t) in absent {
        let another_form = forms(w)
            .into_iter()
            .find(|f| !f.is_empty() && f.iter().all(|s| present.contains_key(s)));
        if let Some(f) = another_form {
            let with_counts = f.into_iter().map(|s| (s.clone(), present[&s])).collect();
            read_as.push((t.to_string(), with_counts));
            continue;
        }
        if Store::term_extends(conn, t, 3).await? {
            continue;
        }
        if Store::titles_or_summaries_match(conn, w).await? {
            continue;
        }
        out.push(w.to_string());
    }
    Ok((out, read_as))
}

/// Prefixes that make a new word of an old one ("reuse", "disconnected").
const PREFIXES: &[&str] = &[
    "co", "de", "dis", "inter", "mis", "multi", "non", "over", "pre", "re", "sub", "un", "under",
];

/// Readings of `word` as a form of other words, each as the index terms it needs: the word less
/// up to 4 final letters ("capitalist" → "capital", "chilean" → "chile"), less a prefix
/// ("reuse" → "use"), or two words of 3+ letters run together ("deepfakes" → "deep fakes").
fn forms(word: &str) -> Vec<Vec<String>> {
    if !word.is_ascii() || word.len() < 5 {
        return Vec::new();
    }
    let term = |w: &str| index::index_terms(&[w.to_string()]);
    let mut out: Vec<Vec<String>> = (4.max(word.len() - 4)..word.len())
        .map(|n| term(&word[..n]))
        .collect();
    for p in PREFIXES {
        if let Some(rest) = word.strip_prefix(p).filter(|r| r.len() >= 3) {
            out.push(term(rest));
        }
    }
    if word.len() >= 7 {
        for i in 3..=word.len() - 3 {
            let (a, b) = word.split_at(i);
            out.push(index::index_terms(&[a.to_string(), b.to_string()]));
        }
    }
    out
}

/// A common English word (or one with a plural or verb ending of one): a small archive lacks
/// many without lacking the topic.
fn is_common(word: &str) -> bool {
    static COMMON: OnceLock<HashSet<&'static str>> = OnceLock::new();
    let words = COMMON.get_or_init(|| {
        include_str!("common_words.txt")
            .lines()
            .filter(|l| !l.starts_with('#') && !l.is_empty())
            .collect()
    });
    words.contains(word)
        || ["s", "es", "ed", "d", "ing"]
            .iter()
            .any(|end| word.strip_suffix(end).is_some_and(|w| words.contains(w)))
}

/// Folded words written with a capital inside the question (not its first word): "Sarah",
/// "Valenzuela", "AI", as names are written.
fn capitalized(question: &str) -> HashSet<String> {
    question
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .skip(1)
        .filter(|w| w.chars().next().is_some_and(char::is_uppercase))
        .map(crate::fold::fold)
        .collect()
}

/// Pairs of adjacent words both written with a capital, anywhere in the question ("Jeremy
/// Howard"), folded: a full name, even where transcripts say it in many episodes.
fn full_names(question: &str) -> Vec<(String, String)> {
    let words: Vec<&str> = question.split_whitespace().collect();
    let name = |w: &str| {
        let w = w.trim_end_matches(['.', ',', '?', '!', ';', ':', '"', '”', '’', ')']);
        let w = w
            .strip_suffix("'s")
            .or_else(|| w.strip_suffix("’s"))
            .unwrap_or(w);
        let folded = crate::fold::fold(w);
        let capital = w.chars().next().is_some_and(char::is_uppercase);
        (capital && folded.chars().count() >= 2 && !folded.contains(' ')).then_some(folded)
    };
    words
        .windows(2)
        .filter(|w| !w[0].ends_with(['.', ',', '?', '!', ';', ':']))
        .filter_map(|w| Some((name(w[0])?, name(w[1])?)))
        .collect()
}

/// `Evidence::named_coverage` of the question (`words`, their `terms`).
pub(super) async fn named_coverage(
    conn: &mut Tx,
    question: &str,
    words: &[String],
    terms: &[String],
    known: &HashMap<&str, &StoredTerm>,
    layout: &Layout,
    windows: u64,
) -> Result<f64, StoreError> {
    if words.is_empty() {
        return Ok(1.0);
    }
    let capitalized = capitalized(question);
    let titles = Store::titles_matching(conn, words, false, TITLE_ROWS).await?;
    let title_terms: Vec<(i64, HashSet<String>)> = titles
        .iter()
        .map(|(id, title)| (*id, index::text_terms(title)))
        .collect();
    let most = ((layout.spans.len() as f64 * NAMED_MAX_SHARE) as usize).max(2);
    // A name is written with a capital, or is no common English word ("catanzaro").
    let name_like: HashSet<&str> = words
        .iter()
        .zip(terms)
        .filter(|(w, _)| capitalized.contains(*w) || !is_common(w))
        .map(|(_, t)| t.as_str())
        .collect();
    let mut unique: Vec<&String> = terms.iter().collect();
    unique.sort();
    unique.dedup();
    let mut named: HashSet<i64> = HashSet::new();
    let mut others: Vec<&str> = Vec::new();
    // A full name in a few titles names those episodes however often transcripts say it.
    let mut full_name_terms: HashSet<String> = HashSet::new();
    for (a, b) in full_names(question) {
        let pair_words = [a.clone(), b.clone()];
        let rows = Store::titles_matching(conn, &pair_words, true, most + 1).await?;
        let pair = index::index_terms(&[a, b]);
        let in_titles: Vec<i64> = rows
            .iter()
            .filter(|(_, title)| {
                let held = index::text_terms(title);
                pair.iter().all(|t| held.contains(t))
            })
            .map(|(id, _)| *id)
            .collect();
        if !in_titles.is_empty() && rows.len() <= most {
            named.extend(in_titles);
            full_name_terms.extend(pair);
        }
    }
    for t in unique {
        if full_name_terms.contains(t.as_str()) {
            continue;
        }
        let in_titles: Vec<i64> = title_terms
            .iter()
            .filter(|(_, set)| set.contains(t.as_str()))
            .map(|(id, _)| *id)
            .collect();
        let few = !in_titles.is_empty() && in_titles.len() <= most && titles.len() < TITLE_ROWS;
        if few
            && name_like.contains(t.as_str())
            && names(known.get(t.as_str()).copied(), &in_titles, layout)
        {
            named.extend(in_titles);
        } else if known.contains_key(t.as_str()) {
            others.push(t);
        }
    }
    if named.is_empty() || others.is_empty() {
        return Ok(1.0);
    }
    let n = windows as f64;
    let weight = |t: &str| {
        let df = known.get(t).map_or(0.0, |s| s.windows as f64);
        ((n + 1.0) / (df + 1.0)).ln().max(0.1)
    };
    let all: f64 = others.iter().map(|t| weight(t)).sum();
    let mut best: f64 = 0.0;
    for (id, set) in title_terms.iter().filter(|(id, _)| named.contains(id)) {
        let Some(span) = layout.find_episode(*id) else {
            continue;
        };
        let found: f64 = others
            .iter()
            .filter(|t| {
                let s = known[**t];
                set.contains(**t)
                    || s.windows as f64 > n * EVERYWHERE_SHARE
                    || index::holds_term(span, &s.data)
            })
            .map(|t| weight(t))
            .sum();
        best = best.max(found / all);
    }
    Ok(best)
}

/// Whether a title word (`stored`: its postings, if transcripts hold it) names the episodes
/// `titled` rather than a topic: transcripts say it mostly in those episodes.
fn names(stored: Option<&StoredTerm>, titled: &[i64], layout: &Layout) -> bool {
    let Some(s) = stored else {
        return true;
    };
    let spans: Vec<_> = titled
        .iter()
        .filter_map(|id| layout.find_episode(*id).copied())
        .collect();
    let (inside, all) = index::blocks_in(&spans, &s.data);
    let their_share = spans.iter().map(|s| s.blocks as f64).sum::<f64>() / layout.blocks() as f64;
    let need = NAME_CONCENTRATION.max((NAME_LIFT * their_share).min(0.9));
    inside as f64 >= all as f64 * need
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reads_as(word: &str, terms: &[&str]) -> bool {
        forms(word).iter().any(|f| f == terms)
    }

    #[test]
    fn other_forms_of_a_word() {
        assert!(reads_as("chilean", &["chile"]));
        assert!(reads_as("capitalist", &["capit"]));
        assert!(reads_as("reuse", &["use"]));
        assert!(reads_as("deepfakes", &["deep", "fake"]));
        assert!(forms("lora").is_empty());
    }

    #[test]
    fn full_names_are_two_capitalized_words() {
        let pairs = full_names("What does Jeremy Howard think of AI? Cris Valenzuela, too");
        let pairs: Vec<(&str, &str)> = pairs
            .iter()
            .map(|(a, b)| (a.as_str(), b.as_str()))
            .collect();
        assert_eq!(pairs, [("jeremy", "howard"), ("cris", "valenzuela")]);
    }

    #[test]
    fn names_are_written_with_capitals() {
        let c = capitalized("What did Sarah say about AI at Amplify? she liked it. Runway");
        let mut c: Vec<_> = c.into_iter().collect();
        c.sort();
        assert_eq!(c, ["ai", "amplify", "runway", "sarah"]);
    }

    #[test]
    fn common_english_words_are_not_evidence() {
        assert!(is_common("cancel") && is_common("cancels"));
        assert!(is_common("capitalist") && is_common("unreliable"));
        // "federated" is not "federal" though both stem to "feder"
        for rare in ["federated", "lora", "distillation", "rlhf", "hallucinating"] {
            assert!(!is_common(rare), "{rare}");
        }
    }
}
