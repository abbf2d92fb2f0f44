//! The passage index: BM25 over overlapping word windows, with each word indexed once.
//!
//! Transcripts are cut into blocks of `BLOCK_WORDS` words; a window (the unit we rank and cite)
//! is two adjacent blocks of one episode, so windows are 120 words every 60, as `chunk::spans`
//! cuts them. Postings are kept per block (term frequency), and a window's frequency is the sum
//! of its two blocks': exact BM25 over the overlapping windows at the indexing cost of
//! non-overlapping blocks. FTS5 over the windows indexed every word twice and ranked every
//! matching row through its auxiliary-function API (README "Performance" has the numbers).
//!
//! Pure code, no SQL: `store` persists what `build` makes and hands `score` what a query needs.

mod build;
mod layout;
mod postings;
mod score;
mod tokenize;

pub use build::{build, Built, TermPostings};
pub use layout::{EpisodeSpan, Layout};
pub use score::{
    blocks_in, holds_term, postings_intact, rank, Ranked, Stats, TermQuery, WindowHit,
};
pub use tokenize::{index_terms, text_terms, Tokenizer};

/// Words per block: half a window (`chunk::WINDOW_WORDS`), one stride (`chunk::STRIDE_WORDS`).
pub const BLOCK_WORDS: usize = crate::chunk::STRIDE_WORDS;
/// Stored with the index: an index built under another scheme is rebuilt on open.
/// v2: zero-width characters and soft hyphens are removed when folding, not word breaks.
pub const SCHEME: &str = "blocks60-porter2-v2";

const _: () = assert!(crate::chunk::WINDOW_WORDS == 2 * crate::chunk::STRIDE_WORDS);
