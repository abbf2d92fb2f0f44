//! BM25 of windows from their blocks' postings (FTS5's formula: k1 1.2, b 0.75).

use super::{
    layout::{EpisodeSpan, Layout},
    postings::Decoder,
};

const K1: f64 = 1.2;
const B: f64 = 0.75;

/// Collection statistics stored with the index.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Stats {
    pub windows: u64,
    pub window_words: u64,
}

/// One query term as stored: its window frequency and block postings.
#[derive(Debug, Clone, Copy)]
pub struct TermQuery<'a> {
    pub windows: u32,
    pub data: &'a [u8],
}

/// One ranked window.
#[derive(Debug, Clone, PartialEq)]
pub struct WindowHit {
    /// Id of the window's first block (unique per window).
    pub window: u32,
    pub episode: i64,
    pub start_word: u32,
    pub end_word: u32,
    pub score: f64,
}

/// What `rank` found.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Ranked {
    /// Best first.
    pub hits: Vec<WindowHit>,
    /// Indices (into `terms`) of terms whose stored postings are damaged: left out of `hits`.
    pub damaged: Vec<usize>,
}

/// The `limit` best windows for `terms`, optionally inside one episode, best first.
pub fn rank(
    layout: &Layout,
    stats: Stats,
    terms: &[TermQuery],
    only: Option<&EpisodeSpan>,
    limit: usize,
) -> Ranked {
    let mut ranked = Ranked::default();
    if stats.windows == 0 || limit == 0 {
        return ranked;
    }
    let n = stats.windows as f64;
    let avg_len = stats.window_words as f64 / n;
    let mut score = vec![0f32; layout.blocks() as usize];
    let mut touched: Vec<u32> = Vec::new();
    let mut tfs: Vec<(u32, u32, u32)> = Vec::new();
    // Terms at the idf floor come second, and only when no rarer term matched a window: at 1e-6
    // they would barely reorder windows a rarer term found, but they would add every window
    // holding "think" as a candidate (fusion would then lift such windows by their episode's
    // evidence) and decode the longest postings lists. On a tiny dataset they are all there is.
    let (rare, common): (Vec<_>, Vec<_>) = terms
        .iter()
        .enumerate()
        .map(|(i, t)| (idf(n, t.windows as f64), i, t))
        .partition(|(idf, _, _)| *idf > IDF_FLOOR);
    for pass in [rare, common] {
        if !touched.is_empty() {
            break;
        }
        for (idf, i, t) in pass {
            if !window_frequencies(layout, t, only, &mut tfs) {
                ranked.damaged.push(i);
                continue;
            }
            for &(w, tf, len) in &tfs {
                let tf = tf as f64;
                let norm = K1 * (1.0 - B + B * len as f64 / avg_len);
                let s = &mut score[w as usize];
                if *s == 0.0 {
                    touched.push(w);
                }
                *s += (idf * tf * (K1 + 1.0) / (tf + norm)) as f32;
            }
        }
    }
    let by_score = |a: &u32, b: &u32| score[*b as usize].total_cmp(&score[*a as usize]);
    if touched.len() > limit {
        touched.select_nth_unstable_by(limit - 1, by_score);
        touched.truncate(limit);
    }
    touched.sort_unstable_by(|a, b| by_score(a, b).then(a.cmp(b)));
    ranked.hits = touched
        .into_iter()
        .filter_map(|w| {
            let span = span_of(layout, w)?;
            let (start_word, end_word) = span.window(w - span.first_block)?;
            Some(WindowHit {
                window: w,
                episode: span.episode,
                start_word,
                end_word,
                score: score[w as usize] as f64,
            })
        })
        .collect();
    ranked.damaged.sort_unstable();
    ranked
}

/// BM25 idf of a term in `df` of `n` windows. A term in half the windows or more would get
/// idf <= 0; FTS5 (`fts5_aux.c`) floors it at 1e-6 instead, so such a term still finds the
/// windows that hold it (on a one-episode dataset every word of a query may be that common)
/// while weighing almost nothing next to any rarer term.
fn idf(n: f64, df: f64) -> f64 {
    let idf = ((n - df + 0.5) / (df + 0.5)).ln();
    if idf <= 0.0 {
        IDF_FLOOR
    } else {
        idf
    }
}

/// FTS5's floor for a non-positive idf.
const IDF_FLOOR: f64 = 1e-6;

/// (window, frequency, window length) for every window holding the term, in window order.
/// False when its postings are damaged: they do not decode, name a block outside the layout,
/// or (read whole) hold another number of windows than stored with them.
fn window_frequencies(
    layout: &Layout,
    term: &TermQuery,
    only: Option<&EpisodeSpan>,
    out: &mut Vec<(u32, u32, u32)>,
) -> bool {
    out.clear();
    let spans: &[EpisodeSpan] = match only {
        Some(s) => std::slice::from_ref(s),
        None => &layout.spans,
    };
    let mut emit = |w: u32, tf: u32, span: &EpisodeSpan| match out.last_mut() {
        Some(last) if last.0 == w => last.1 += tf,
        _ => {
            if let Some((start, end)) = span.window(w - span.first_block) {
                out.push((w, tf, end - start));
            }
        }
    };
    let blocks = layout.blocks();
    let mut decoder = Decoder::new(term.data);
    let mut i = 0;
    for (block, tf) in decoder.by_ref() {
        if block >= blocks {
            return false;
        }
        while i < spans.len() && block >= spans[i].first_block + spans[i].blocks {
            i += 1;
        }
        let Some(span) = spans.get(i) else {
            return only.is_some(); // past the one episode asked for
        };
        if block < span.first_block {
            continue;
        }
        let j = block - span.first_block;
        if j >= 1 {
            emit(block - 1, tf, span);
        }
        emit(block, tf, span);
    }
    !decoder.damaged() && (only.is_some() || out.len() == term.windows as usize)
}

/// Whether a term's postings hold a block of `span`'s episode (damaged data: as far as it reads).
pub fn holds_term(span: &EpisodeSpan, data: &[u8]) -> bool {
    let end = span.first_block + span.blocks;
    for (block, _) in Decoder::new(data) {
        if block >= end {
            return false;
        }
        if block >= span.first_block {
            return true;
        }
    }
    false
}

/// How many of a term's blocks lie in `spans`' episodes, and how many it has.
pub fn blocks_in(spans: &[EpisodeSpan], data: &[u8]) -> (usize, usize) {
    let (mut inside, mut all) = (0, 0);
    for (block, _) in Decoder::new(data) {
        all += 1;
        inside += spans
            .iter()
            .any(|s| block >= s.first_block && block < s.first_block + s.blocks)
            as usize;
    }
    (inside, all)
}

/// Whether a stored postings row is intact (see `window_frequencies`).
pub fn postings_intact(layout: &Layout, term: &TermQuery) -> bool {
    window_frequencies(layout, term, None, &mut Vec::new())
}

fn span_of(layout: &Layout, block: u32) -> Option<&EpisodeSpan> {
    let i = layout
        .spans
        .partition_point(|s| s.first_block + s.blocks <= block);
    layout.spans.get(i).filter(|s| s.first_block <= block)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::index::build;

    /// BM25 exactly as FTS5 computes it for one document.
    fn bm25(tf: f64, df: f64, n: f64, len: f64, avg: f64) -> f64 {
        let idf = ((n - df + 0.5) / (df + 0.5)).ln();
        idf * tf * (K1 + 1.0) / (tf + K1 * (1.0 - B + B * len / avg))
    }

    #[test]
    fn window_scores_are_bm25_of_both_blocks() {
        // 4 episodes of 180 words: windows (0,1) (1,2) each; "needle" in block 1 of episode 1
        // (both its windows) and twice in block 2 of episode 2 (its second window only).
        let mut eps: Vec<Vec<String>> = (0..4)
            .map(|e| (0..180).map(|i| format!("e{e}w{i}")).collect())
            .collect();
        eps[0][70] = "needle".into();
        eps[1][150] = "needles".into();
        eps[1][151] = "needle".into();
        let texts: Vec<String> = eps.iter().map(|w| w.join(" ")).collect();
        let eps: Vec<(i64, &str)> = texts
            .iter()
            .enumerate()
            .map(|(i, t)| (i as i64 + 10, t.as_str()))
            .collect();
        let built = build(&eps);
        let stats = Stats {
            windows: built.windows,
            window_words: built.window_words,
        };
        assert_eq!(stats.windows, 8);
        let needle = built.terms.iter().find(|t| &*t.term == "needl").unwrap();
        assert_eq!(needle.windows, 3);
        let q = [TermQuery {
            windows: needle.windows,
            data: &needle.data,
        }];
        let hits = rank(&built.layout, stats, &q, None, 10).hits;
        let expect_two = bm25(2.0, 3.0, 8.0, 120.0, 120.0);
        let expect_one = bm25(1.0, 3.0, 8.0, 120.0, 120.0);
        assert_eq!(hits.len(), 3);
        assert_eq!(
            (hits[0].episode, hits[0].start_word, hits[0].end_word),
            (11, 60, 180)
        );
        assert!((hits[0].score - expect_two).abs() < 1e-4);
        assert!(hits[1..].iter().all(|h| h.episode == 10));
        assert!((hits[1].score - expect_one).abs() < 1e-4);
        // inside one episode, and with a limit
        let only = built.layout.find_episode(10).copied();
        let inside = rank(&built.layout, stats, &q, only.as_ref(), 1).hits;
        assert_eq!(inside.len(), 1);
        assert_eq!(inside[0].episode, 10);
    }

    /// `texts` as episodes 10, 11 … and their index.
    fn index_of(texts: &[String]) -> crate::index::Built {
        let eps: Vec<(i64, &str)> = texts
            .iter()
            .enumerate()
            .map(|(i, t)| (i as i64 + 10, t.as_str()))
            .collect();
        build(&eps)
    }

    fn query<'a>(built: &'a crate::index::Built, term: &str) -> TermQuery<'a> {
        let t = built.terms.iter().find(|t| &*t.term == term).unwrap();
        TermQuery {
            windows: t.windows,
            data: &t.data,
        }
    }

    #[test]
    fn a_term_in_every_window_still_finds_them() {
        // One episode of two windows, "diffusion" in both: idf < 0, floored as FTS5 does.
        let mut words: Vec<String> = (0..180).map(|i| format!("w{i}")).collect();
        words[70] = "diffusion".into();
        let built = index_of(&[words.join(" ")]);
        let stats = Stats {
            windows: built.windows,
            window_words: built.window_words,
        };
        let hits = rank(&built.layout, stats, &[query(&built, "diffus")], None, 10).hits;
        assert_eq!(hits.len(), 2);
        assert!(hits.iter().all(|h| h.score > 0.0), "{hits:?}");
    }

    #[test]
    fn common_terms_count_only_where_no_rarer_term_matches() {
        // 4 episodes of 2 windows; "think" in every window, "needle" in episode 10 only.
        let texts: Vec<String> = (0..4)
            .map(|e| {
                let mut w: Vec<String> = (0..180).map(|i| format!("e{e}w{i}")).collect();
                w[70] = "think".into();
                if e == 0 {
                    w[71] = "needle".into();
                }
                w.join(" ")
            })
            .collect();
        let built = index_of(&texts);
        let stats = Stats {
            windows: built.windows,
            window_words: built.window_words,
        };
        let q = [query(&built, "think"), query(&built, "needl")];
        let hits = rank(&built.layout, stats, &q, None, 10).hits;
        assert_eq!(hits.len(), 2, "{hits:?}");
        assert!(hits.iter().all(|h| h.episode == 10), "{hits:?}");
        // inside an episode without the rare term, the common one finds its windows
        let only = built.layout.find_episode(12).copied();
        let inside = rank(&built.layout, stats, &q, only.as_ref(), 10).hits;
        assert_eq!(inside.len(), 2, "{inside:?}");
        assert!(inside.iter().all(|h| h.episode == 12), "{inside:?}");
    }

    #[test]
    fn damaged_postings_are_reported_and_left_out() {
        let texts: Vec<String> = (0..8)
            .map(|e| {
                let mut w: Vec<String> = (0..180).map(|i| format!("e{e}w{i}")).collect();
                if e < 2 {
                    w[70] = "needle".into();
                }
                w[10] = format!("haystack{}", e % 2);
                w.join(" ")
            })
            .collect();
        let built = index_of(&texts);
        let stats = Stats {
            windows: built.windows,
            window_words: built.window_words,
        };
        let good = query(&built, "haystack0");
        let intact = query(&built, "needl");
        assert!(postings_intact(&built.layout, &intact));
        let mut data = intact.data.to_vec();
        let truncated = &data[..data.len() - 1].to_vec();
        let beyond = {
            let mut d = Vec::new();
            crate::index::postings::push(&mut d, None, built.layout.blocks(), 1);
            d
        };
        data.truncate(2); // whole pairs, but fewer windows than stored
        for bad in [&[0xff][..], truncated, &beyond, &data] {
            let damaged = TermQuery {
                windows: intact.windows,
                data: bad,
            };
            assert!(!postings_intact(&built.layout, &damaged), "{bad:?}");
            let r = rank(&built.layout, stats, &[damaged, good], None, 10);
            assert_eq!(r.damaged, [0], "{bad:?}");
            assert!(r.hits.iter().all(|h| h.episode % 2 == 0), "{r:?}");
            assert!(!r.hits.is_empty());
        }
    }
}
