//! Transcripts → block postings, window document frequencies and the layout, in one pass.

use super::{layout::Layout, postings, tokenize::Tokenizer, BLOCK_WORDS};

/// One term's stored row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TermPostings {
    pub term: Box<str>,
    /// Windows containing the term (BM25's document frequency).
    pub windows: u32,
    /// (block, frequency) pairs, see `postings`.
    pub data: Vec<u8>,
    /// The last block in `data` (for appending another part's postings).
    pub last_block: u32,
}

/// A complete index, ready to store.
#[derive(Debug, Clone, Default)]
pub struct Built {
    pub layout: Layout,
    /// Sorted by term.
    pub terms: Vec<TermPostings>,
    pub windows: u64,
    pub window_words: u64,
}

#[derive(Default)]
struct TermState {
    data: Vec<u8>,
    last_block: Option<u32>,
    windows: u32,
    last_window: Option<u32>,
}

/// Index `episodes` (internal id, transcript), which must come in increasing id order. The
/// work is split over the machine's cores (contiguous parts of about equal text), then merged.
pub fn build(episodes: &[(i64, &str)]) -> Built {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get().min(8));
    let total: usize = episodes.iter().map(|(_, t)| t.len()).sum();
    let mut parts: Vec<&[(i64, &str)]> = Vec::with_capacity(threads);
    let (mut start, mut size) = (0, 0);
    for (i, (_, t)) in episodes.iter().enumerate() {
        size += t.len();
        if parts.len() + 1 < threads && size * threads >= total * (parts.len() + 1) {
            parts.push(&episodes[start..=i]);
            start = i + 1;
        }
    }
    parts.push(&episodes[start..]);
    let built: Vec<Built> = std::thread::scope(|s| {
        let handles: Vec<_> = parts
            .iter()
            .map(|part| s.spawn(|| build_part(part.iter().copied())))
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
            .collect()
    });
    built.into_iter().reduce(merge).unwrap_or_default()
}

/// `b`'s episodes after `a`'s: b's blocks are renumbered to follow a's, and each term's
/// postings lists are concatenated (only b's first pair is re-encoded, as a delta).
fn merge(mut a: Built, b: Built) -> Built {
    let offset = a.layout.blocks();
    for mut span in b.layout.spans {
        span.first_block += offset;
        a.layout.spans.push(span);
    }
    a.windows += b.windows;
    a.window_words += b.window_words;
    let mut merged = Vec::with_capacity(a.terms.len().max(b.terms.len()));
    let mut left = std::mem::take(&mut a.terms).into_iter().peekable();
    let mut right = b.terms.into_iter().peekable();
    loop {
        let take_left = match (left.peek(), right.peek()) {
            (None, None) => break,
            (Some(_), None) => true,
            (None, Some(_)) => false,
            (Some(l), Some(r)) => l.term <= r.term,
        };
        if take_left {
            let mut l = left.next().expect("peeked");
            if right.peek().is_some_and(|r| r.term == l.term) {
                let r = right.next().expect("peeked");
                let prev = Some(l.last_block);
                append(&mut l, prev, &r, offset);
            }
            merged.push(l);
        } else {
            let r = right.next().expect("peeked");
            let mut t = TermPostings {
                term: r.term.clone(),
                windows: 0,
                data: Vec::with_capacity(r.data.len() + 4),
                last_block: 0,
            };
            append(&mut t, None, &r, offset);
            merged.push(t);
        }
    }
    a.terms = merged;
    a
}

/// Append `r`'s postings (blocks shifted by `offset`) to `to`, whose last block is `prev`.
fn append(to: &mut TermPostings, prev: Option<u32>, r: &TermPostings, offset: u32) {
    let mut d = postings::Decoder::new(&r.data);
    if let Some((first, tf)) = d.next() {
        postings::push(&mut to.data, prev, first + offset, tf);
        to.data.extend_from_slice(&r.data[d.position()..]);
        to.last_block = r.last_block + offset;
    }
    to.windows += r.windows;
}

fn build_part<'a>(episodes: impl IntoIterator<Item = (i64, &'a str)>) -> Built {
    let mut tokenizer = Tokenizer::default();
    let mut states: Vec<TermState> = Vec::new();
    let mut built = Built::default();
    let mut block_terms: Vec<u32> = Vec::with_capacity(2 * BLOCK_WORDS);
    for (episode, transcript) in episodes {
        let words = transcript.split_whitespace().count();
        let span = built.layout.push(episode, words);
        for j in 0..span.blocks {
            if let Some((start, end)) = span.window(j) {
                built.windows += 1;
                built.window_words += u64::from(end - start);
            }
        }
        let flush = |j: u32, block_terms: &mut Vec<u32>, states: &mut Vec<TermState>| {
            let block = span.first_block + j;
            // Windows holding this block: the one starting a block earlier, and its own.
            let covering = [(j >= 1).then(|| block - 1), span.window(j).map(|_| block)];
            block_terms.sort_unstable();
            for run in block_terms.chunk_by(|a, b| a == b) {
                let id = run[0] as usize;
                if states.len() <= id {
                    states.resize_with(id + 1, TermState::default);
                }
                let s = &mut states[id];
                postings::push(&mut s.data, s.last_block, block, run.len() as u32);
                s.last_block = Some(block);
                for w in covering.into_iter().flatten() {
                    if s.last_window.is_none_or(|last| last < w) {
                        s.windows += 1;
                        s.last_window = Some(w);
                    }
                }
            }
            block_terms.clear();
        };
        for (i, word) in transcript.split_whitespace().enumerate() {
            if i > 0 && i % BLOCK_WORDS == 0 {
                flush((i / BLOCK_WORDS - 1) as u32, &mut block_terms, &mut states);
            }
            tokenizer.word_terms(word, |id| block_terms.push(id));
        }
        if words > 0 {
            flush(span.blocks - 1, &mut block_terms, &mut states);
        }
    }
    let names = tokenizer.into_terms();
    built.terms = names
        .into_iter()
        .zip(states)
        .map(|(term, s)| TermPostings {
            term,
            windows: s.windows,
            data: s.data,
            last_block: s.last_block.unwrap_or(0),
        })
        .collect();
    built.terms.sort_unstable_by(|a, b| a.term.cmp(&b.term));
    built
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::index::postings::Decoder;

    fn term<'a>(b: &'a Built, t: &str) -> &'a TermPostings {
        b.terms.iter().find(|p| &*p.term == t).unwrap()
    }

    #[test]
    fn postings_and_window_frequencies_are_exact() {
        // Episode 1: 150 words → blocks [0,60) [60,120) [120,150), windows (0,1) (1,2).
        // Episode 2: 30 words → one block, one window.
        let mut a: Vec<String> = (0..150).map(|i| format!("w{i}")).collect();
        a[0] = "alpha".into();
        a[130] = "alpha".into();
        a[131] = "Alphas".into();
        let b = "alpha beta ".repeat(15);
        let text = a.join(" ");
        let built = build(&[(1, text.as_str()), (2, b.as_str())]);
        assert_eq!(built.layout.blocks(), 4);
        assert_eq!(built.windows, 3);
        assert_eq!(built.window_words, 120 + 90 + 30);
        let alpha = term(&built, "alpha");
        let pairs: Vec<(u32, u32)> = Decoder::new(&alpha.data).collect();
        assert_eq!(pairs, [(0, 1), (2, 2), (3, 15)]);
        // block 0 → window 0; block 2 → windows 1 (block 2 starts no window); block 3 → window 3
        assert_eq!(alpha.windows, 3);
        assert_eq!(term(&built, "beta").windows, 1);
        assert!(built.terms.windows(2).all(|w| w[0].term < w[1].term));
    }

    #[test]
    fn merged_parts_equal_one_pass() {
        let texts: Vec<String> = (0..7)
            .map(|e| {
                (0..(e * 97 + 13))
                    .map(|i| format!("t{} common", (i * 7 + e) % 50))
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .collect();
        let eps: Vec<(i64, &str)> = texts
            .iter()
            .enumerate()
            .map(|(i, t)| (i as i64, t.as_str()))
            .collect();
        let whole = build_part(eps.iter().copied());
        for cut in 1..eps.len() {
            let merged = merge(
                build_part(eps[..cut].iter().copied()),
                build_part(eps[cut..].iter().copied()),
            );
            assert_eq!(merged.terms, whole.terms, "cut at {cut}");
            assert_eq!(merged.layout, whole.layout);
            assert_eq!(
                (merged.windows, merged.window_words),
                (whole.windows, whole.window_words)
            );
        }
        assert_eq!(build(&eps).terms, whole.terms);
    }
}
