//! A transcript cut into chunks of about `CHUNK_TOKENS` tokens of OpenAI's `r50k_base` encoding
//! (the one the project's Python pipeline counted with), on word boundaries of
//! `transcript.split_whitespace()`, so each chunk is a word span `[start_word, end_word)` in the
//! same word space as passages and citations.
//!
//! A chunk's text is its words joined by single spaces. r50k's pre-tokenizer never joins pieces
//! across a single space (the space starts the next word's first piece), so the tokens of that
//! text are exactly the sum of each word's tokens counted with its leading space: each word is
//! encoded once, and a chunk's count is exact for the text the LLM gets.

use std::sync::OnceLock;

use sha2::{Digest, Sha256};
use tiktoken_rs::CoreBPE;

/// Tokens per chunk, at most (give or take one word).
pub const CHUNK_TOKENS: usize = 1000;
/// A word longer than this (bytes) is cut in the chunk's text: nothing of that length is a word
/// anyone said (a pasted URL or garbage), and BPE cost grows with the square of a piece's length.
pub const LONG_WORD_BYTES: usize = 200;
/// Changes to the chunking change this, so stored chunk results of an older scheme are discarded.
pub const SCHEME: &str = "r50k_base;1000;v1";

/// One chunk of a transcript.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Chunk {
    /// 0-based position in the transcript.
    pub index: usize,
    pub start_word: usize,
    /// Exclusive.
    pub end_word: usize,
    /// r50k_base tokens of `text`.
    pub tokens: usize,
    #[serde(skip)]
    pub text: String,
}

#[derive(Debug, Clone, thiserror::Error)]
#[error("the r50k_base token tables could not be loaded: {0}")]
pub struct TokenizerError(String);

fn bpe() -> Result<&'static CoreBPE, TokenizerError> {
    static BPE: OnceLock<Result<CoreBPE, String>> = OnceLock::new();
    BPE.get_or_init(|| tiktoken_rs::r50k_base().map_err(|e| e.to_string()))
        .as_ref()
        .map_err(|e| TokenizerError(e.clone()))
}

/// r50k_base tokens of `text` (for estimates of prompts and answers).
pub fn count_tokens(text: &str) -> Result<usize, TokenizerError> {
    Ok(bpe()?.encode_ordinary(text).len())
}

/// `word` as it goes into a chunk's text (cut when absurdly long).
fn prompt_word(word: &str) -> std::borrow::Cow<'_, str> {
    if word.len() <= LONG_WORD_BYTES {
        return word.into();
    }
    let mut end = LONG_WORD_BYTES;
    while !word.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &word[..end]).into()
}

/// The transcript's chunks, in order; none for a transcript without words.
///
/// The number of chunks is the fewest of at most `CHUNK_TOKENS` that hold the transcript, and
/// the cuts fall at even shares of its tokens, so the last chunk is not a scrap of a few words.
pub fn chunks(transcript: &str) -> Result<Vec<Chunk>, TokenizerError> {
    let bpe = bpe()?;
    let words: Vec<std::borrow::Cow<'_, str>> =
        transcript.split_whitespace().map(prompt_word).collect();
    let mut piece = String::new();
    let counts: Vec<usize> = words
        .iter()
        .enumerate()
        .map(|(i, w)| {
            piece.clear();
            if i > 0 {
                piece.push(' ');
            }
            piece.push_str(w);
            bpe.encode_ordinary(&piece).len()
        })
        .collect();
    let total: usize = counts.iter().sum();
    if words.is_empty() {
        return Ok(Vec::new());
    }
    let n = total.div_ceil(CHUNK_TOKENS).max(1);
    let mut out = Vec::with_capacity(n);
    let (mut start, mut tokens, mut cumulative) = (0, 0, 0);
    for (i, &t) in counts.iter().enumerate() {
        tokens += t;
        cumulative += t;
        let target = total * (out.len() + 1) / n;
        let last_word = i + 1 == words.len();
        if last_word || (cumulative >= target && out.len() + 1 < n) {
            let mut text = words[start..=i].join(" ");
            text.shrink_to_fit();
            out.push(Chunk {
                index: out.len(),
                start_word: start,
                end_word: i + 1,
                // The first word of a later chunk was counted with a leading space it does not
                // have in the chunk's own text: at most one token more, on the safe side.
                tokens,
                text,
            });
            start = i + 1;
            tokens = 0;
        }
    }
    Ok(out)
}

/// Identifies a transcript and the way it is chunked and prompted: stored chunk results are
/// reused only under the same hash.
pub fn source_hash(transcript: &str) -> String {
    let mut h = Sha256::new();
    for part in [SCHEME, super::prompts::VERSION, transcript] {
        h.update(part.as_bytes());
        h.update([0x1f]);
    }
    format!("{:x}", h.finalize())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(n: usize) -> String {
        (0..n)
            .map(|i| format!("word{i}"))
            .collect::<Vec<_>>()
            .join(" ")
    }

    #[test]
    fn chunk_counts_match_the_encoding_of_the_chunk_text() {
        let transcript = "Hello,  world!\n\nIt's   a test: 12,345 tokens… \"quoted\" — done.\tend";
        let cs = chunks(transcript).unwrap();
        assert_eq!(cs.len(), 1);
        let c = &cs[0];
        assert_eq!((c.start_word, c.end_word), (0, 11));
        assert_eq!(
            c.text,
            transcript.split_whitespace().collect::<Vec<_>>().join(" ")
        );
        assert_eq!(c.tokens, count_tokens(&c.text).unwrap());
    }

    #[test]
    fn chunks_cover_every_word_once_and_stay_near_the_size() {
        let transcript = words(5_000); // "wordN" is 2–3 tokens
        let total = count_tokens(&transcript).unwrap();
        let cs = chunks(&transcript).unwrap();
        assert_eq!(cs.len(), total.div_ceil(CHUNK_TOKENS));
        assert_eq!(cs[0].start_word, 0);
        assert_eq!(cs.last().unwrap().end_word, 5_000);
        for (i, pair) in cs.windows(2).enumerate() {
            assert_eq!(pair[0].end_word, pair[1].start_word, "contiguous at {i}");
        }
        for c in &cs {
            assert!(
                c.tokens <= CHUNK_TOKENS + 5,
                "chunk {} has {} tokens",
                c.index,
                c.tokens
            );
            // even shares: no scrap at the end
            assert!(
                c.tokens >= total / cs.len() - 5,
                "chunk {} has {} tokens",
                c.index,
                c.tokens
            );
            let exact = count_tokens(&c.text).unwrap();
            assert!(
                c.tokens == exact || c.tokens == exact + 1,
                "{} vs {exact}",
                c.tokens
            );
        }
        assert_eq!(
            cs.iter().map(|c| c.text.split(' ').count()).sum::<usize>(),
            5_000
        );
    }

    #[test]
    fn empty_and_tiny_transcripts() {
        assert!(chunks("").unwrap().is_empty());
        assert!(chunks(" \n\t ").unwrap().is_empty());
        let one = chunks("hello").unwrap();
        assert_eq!((one.len(), one[0].start_word, one[0].end_word), (1, 0, 1));
    }

    #[test]
    fn an_absurdly_long_word_is_cut_in_the_text_but_keeps_its_place() {
        let long = "x".repeat(100_000);
        let cs = chunks(&format!("a {long} b")).unwrap();
        assert_eq!(cs.len(), 1);
        assert_eq!((cs[0].start_word, cs[0].end_word), (0, 3));
        assert!(cs[0].text.len() < 300, "{}", cs[0].text.len());
        let multibyte = "é".repeat(1000);
        let cs = chunks(&multibyte).unwrap();
        assert!(cs[0].text.ends_with('…'));
    }

    #[test]
    fn the_hash_follows_the_transcript() {
        assert_eq!(source_hash("a b"), source_hash("a b"));
        assert_ne!(source_hash("a b"), source_hash("a  c"));
    }
}
