//! Transcript → overlapping word windows ("passages") addressed by word offsets.
//!
//! Offsets index `transcript.split_whitespace()`: `start_word` inclusive, `end_word` exclusive.

/// Words per passage and step between passage starts (chosen with `gdbot eval`, see README).
pub const WINDOW_WORDS: usize = 120;
pub const STRIDE_WORDS: usize = 60;
/// Part of every episode's content hash: changing the scheme re-chunks stored episodes.
pub const SCHEME: &str = "w120s60";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    pub start_word: usize,
    pub end_word: usize,
}

/// Cut `total_words` words into windows; the last window ends at the last word.
pub fn spans(total_words: usize) -> Vec<Span> {
    let mut out = Vec::with_capacity(total_words / STRIDE_WORDS + 1);
    let mut start = 0;
    while start < total_words {
        let end = (start + WINDOW_WORDS).min(total_words);
        out.push(Span {
            start_word: start,
            end_word: end,
        });
        if end == total_words {
            break;
        }
        start += STRIDE_WORDS;
    }
    out
}

/// Byte offsets of each word in `text` (one pass, no per-word allocation).
pub fn word_bounds(text: &str) -> Vec<(usize, usize)> {
    let mut out = Vec::with_capacity(text.len() / 5);
    let mut start = None;
    for (i, c) in text.char_indices() {
        if c.is_whitespace() {
            if let Some(s) = start.take() {
                out.push((s, i));
            }
        } else if start.is_none() {
            start = Some(i);
        }
    }
    if let Some(s) = start {
        out.push((s, text.len()));
    }
    out
}

/// The words `[span.start_word, span.end_word)` of `text` as one string (original spacing kept).
pub fn slice<'a>(
    text: &'a str,
    bounds: &[(usize, usize)],
    start_word: usize,
    end_word: usize,
) -> &'a str {
    let end_word = end_word.min(bounds.len());
    if start_word >= end_word {
        return "";
    }
    &text[bounds[start_word].0..bounds[end_word - 1].1]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_cover_every_word_with_overlap() {
        let s = spans(250);
        assert_eq!(
            s[0],
            Span {
                start_word: 0,
                end_word: 120
            }
        );
        assert_eq!(
            s[1],
            Span {
                start_word: 60,
                end_word: 180
            }
        );
        assert_eq!(s.last().unwrap().end_word, 250);
        assert!(spans(0).is_empty());
        assert_eq!(
            spans(7),
            vec![Span {
                start_word: 0,
                end_word: 7
            }]
        );
    }

    #[test]
    fn bounds_match_split_whitespace() {
        let t = "  a  bb\u{00a0}c\n\td  ";
        let b = word_bounds(t);
        let words: Vec<&str> = t.split_whitespace().collect();
        assert_eq!(b.len(), words.len());
        for (i, (s, e)) in b.iter().enumerate() {
            assert_eq!(&t[*s..*e], words[i]);
        }
        assert_eq!(slice(t, &b, 1, 3), "bb\u{00a0}c");
        assert_eq!(slice(t, &b, 3, 99), "d");
        assert_eq!(slice(t, &b, 5, 9), "");
    }
}
