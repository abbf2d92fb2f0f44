//! Words → index terms: lowercase, accents removed, split on anything that is not a letter or
//! digit (as `fold` does for queries), then the Snowball English (Porter 2) stemmer.

use foldhash::HashMap;
use rust_stemmers::{Algorithm, Stemmer};

use crate::fold::fold;

/// Tokens longer than this are not indexed (no real word is; a hostile "word" stays harmless).
const MAX_TOKEN_BYTES: usize = 64;

/// Interns the terms of a corpus: each distinct token is stemmed once, then found by lookup.
pub struct Tokenizer {
    stemmer: Stemmer,
    by_token: HashMap<Box<str>, u32>,
    by_term: HashMap<Box<str>, u32>,
    terms: Vec<Box<str>>,
    buf: String,
}

impl Default for Tokenizer {
    fn default() -> Self {
        Tokenizer {
            stemmer: Stemmer::create(Algorithm::English),
            by_token: HashMap::default(),
            by_term: HashMap::default(),
            terms: Vec::new(),
            buf: String::new(),
        }
    }
}

impl Tokenizer {
    /// Call `f` with the term id of every token of one whitespace-free `word`.
    pub fn word_terms(&mut self, word: &str, mut f: impl FnMut(u32)) {
        if word.is_ascii() {
            let bytes = word.as_bytes();
            let mut i = 0;
            while i < bytes.len() {
                if !bytes[i].is_ascii_alphanumeric() {
                    i += 1;
                    continue;
                }
                let start = i;
                while i < bytes.len() && bytes[i].is_ascii_alphanumeric() {
                    i += 1;
                }
                let mut buf = std::mem::take(&mut self.buf);
                buf.clear();
                buf.push_str(&word[start..i]);
                buf.make_ascii_lowercase();
                if let Some(id) = self.intern(&buf) {
                    f(id);
                }
                self.buf = buf;
            }
        } else {
            for token in fold(word).split(' ').filter(|t| !t.is_empty()) {
                if let Some(id) = self.intern(token) {
                    f(id);
                }
            }
        }
    }

    /// The id of a lowercase, accent-free token's term (`None` when too long to index).
    fn intern(&mut self, token: &str) -> Option<u32> {
        if token.len() > MAX_TOKEN_BYTES {
            return None;
        }
        if let Some(&id) = self.by_token.get(token) {
            return Some(id);
        }
        let term = self.stemmer.stem(token);
        let id = match self.by_term.get(term.as_ref()) {
            Some(&id) => id,
            None => {
                let id = self.terms.len() as u32;
                self.terms.push(term.as_ref().into());
                self.by_term.insert(term.as_ref().into(), id);
                id
            }
        };
        self.by_token.insert(token.into(), id);
        Some(id)
    }

    /// Every interned term, indexed by id.
    pub fn into_terms(self) -> Vec<Box<str>> {
        self.terms
    }
}

/// The index term of each of a question's content words (`retrieve::content_words`: already
/// folded and split, so each is one token), in order: what the index's postings are keyed by.
pub fn index_terms(words: &[String]) -> Vec<String> {
    let stemmer = Stemmer::create(Algorithm::English);
    words
        .iter()
        .map(|w| stemmer.stem(&w.to_lowercase()).into_owned())
        .collect()
}

/// The index terms of a text (any text: folded and split here, tokens the index would skip left
/// out), as a set: what a passage or sentence holds, compared with `index_terms` of a question.
pub fn text_terms(text: &str) -> std::collections::HashSet<String> {
    let stemmer = Stemmer::create(Algorithm::English);
    fold(text)
        .split(' ')
        .filter(|t| !t.is_empty() && t.len() <= MAX_TOKEN_BYTES)
        .map(|t| stemmer.stem(t).into_owned())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn terms_of(words: &str) -> Vec<String> {
        let mut t = Tokenizer::default();
        let mut ids = Vec::new();
        for w in words.split_whitespace() {
            t.word_terms(w, |id| ids.push(id));
        }
        let terms = t.into_terms();
        ids.iter().map(|&i| terms[i as usize].to_string()).collect()
    }

    #[test]
    fn splits_folds_and_stems_like_queries() {
        assert_eq!(
            terms_of("Training TRAINED models, don't Cristóbal's DALL·E"),
            ["train", "train", "model", "don", "t", "cristob", "s", "dall", "e"]
        );
        let q = index_terms(&crate::retrieve::content_words(
            "training models Cristóbal trains",
        ));
        assert_eq!(q, ["train", "model", "cristob", "train"]);
        let t = text_terms("Training TRAINED models, don't Cristóbal's DALL·E");
        let mut t: Vec<_> = t.into_iter().collect();
        t.sort();
        assert_eq!(
            t,
            ["cristob", "dall", "don", "e", "model", "s", "t", "train"]
        );
    }

    #[test]
    fn same_term_same_id_and_huge_tokens_skipped() {
        let mut t = Tokenizer::default();
        let (mut a, mut b) = (Vec::new(), Vec::new());
        t.word_terms("runs", |id| a.push(id));
        t.word_terms("run", |id| b.push(id));
        assert_eq!(a, b);
        let mut n = 0;
        t.word_terms(&"x".repeat(1000), |_| n += 1);
        assert_eq!(n, 0);
    }
}
