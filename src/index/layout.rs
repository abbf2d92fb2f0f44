//! Where each episode's blocks are: block ids are global and dense, episodes in id order.

use super::BLOCK_WORDS;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EpisodeSpan {
    /// Internal episode id (`episodes.id`).
    pub episode: i64,
    pub first_block: u32,
    pub blocks: u32,
    /// Words in the transcript (`split_whitespace`).
    pub words: u32,
}

impl EpisodeSpan {
    /// Word range `[start, end)` of the window that starts at block `j` of this episode, if one
    /// does: every block but the last starts a window, and a one-block episode is one window.
    pub fn window(&self, j: u32) -> Option<(u32, u32)> {
        if j + 1 < self.blocks || (j == 0 && self.blocks == 1) {
            let start = j * BLOCK_WORDS as u32;
            Some((start, (start + 2 * BLOCK_WORDS as u32).min(self.words)))
        } else {
            None
        }
    }

    /// Number of windows (the count `chunk::spans` gives for this transcript).
    pub fn windows(&self) -> u32 {
        self.blocks.saturating_sub(1).max(self.blocks.min(1))
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Layout {
    pub spans: Vec<EpisodeSpan>,
}

const SPAN_BYTES: usize = 20;

impl Layout {
    /// Append an episode of `words` words; returns its span.
    pub fn push(&mut self, episode: i64, words: usize) -> EpisodeSpan {
        let first_block = self.spans.last().map_or(0, |s| s.first_block + s.blocks);
        let span = EpisodeSpan {
            episode,
            first_block,
            blocks: words.div_ceil(BLOCK_WORDS) as u32,
            words: words as u32,
        };
        self.spans.push(span);
        span
    }

    pub fn blocks(&self) -> u32 {
        self.spans.last().map_or(0, |s| s.first_block + s.blocks)
    }

    pub fn find_episode(&self, episode: i64) -> Option<&EpisodeSpan> {
        self.spans.iter().find(|s| s.episode == episode)
    }

    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.spans.len() * SPAN_BYTES);
        for s in &self.spans {
            out.extend_from_slice(&s.episode.to_le_bytes());
            out.extend_from_slice(&s.first_block.to_le_bytes());
            out.extend_from_slice(&s.blocks.to_le_bytes());
            out.extend_from_slice(&s.words.to_le_bytes());
        }
        out
    }

    /// `None` when `bytes` is not a layout this code wrote (wrong length or gaps between spans).
    pub fn from_bytes(bytes: &[u8]) -> Option<Layout> {
        if bytes.len() % SPAN_BYTES != 0 {
            return None;
        }
        let u32_at = |c: &[u8], i: usize| u32::from_le_bytes(c[i..i + 4].try_into().unwrap());
        let mut layout = Layout::default();
        for c in bytes.chunks_exact(SPAN_BYTES) {
            let span = EpisodeSpan {
                episode: i64::from_le_bytes(c[0..8].try_into().unwrap()),
                first_block: u32_at(c, 8),
                blocks: u32_at(c, 12),
                words: u32_at(c, 16),
            };
            if span.first_block != layout.blocks() {
                return None;
            }
            layout.spans.push(span);
        }
        Some(layout)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chunk;

    #[test]
    fn windows_are_the_chunk_spans() {
        for words in [0, 1, 59, 60, 61, 119, 120, 121, 250, 1000, 1001] {
            let mut l = Layout::default();
            let s = l.push(7, words);
            let ours: Vec<(u32, u32)> = (0..s.blocks).filter_map(|j| s.window(j)).collect();
            let theirs: Vec<(u32, u32)> = chunk::spans(words)
                .iter()
                .map(|p| (p.start_word as u32, p.end_word as u32))
                .collect();
            assert_eq!(ours, theirs, "{words} words");
            assert_eq!(s.windows() as usize, theirs.len(), "{words} words");
        }
    }

    #[test]
    fn bytes_round_trip_and_garbage_is_refused() {
        let mut l = Layout::default();
        l.push(3, 250);
        l.push(9, 10);
        assert_eq!(Layout::from_bytes(&l.to_bytes()), Some(l.clone()));
        assert_eq!(Layout::from_bytes(&[1, 2, 3]), None);
        let mut bad = l.to_bytes();
        bad[SPAN_BYTES + 8] = 99;
        assert_eq!(Layout::from_bytes(&bad), None);
    }
}
