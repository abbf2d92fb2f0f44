//! A YouTube-shaped auto-caption file made from any words, for tests and measurements (a
//! 10,000-word episode without committing a big file).

use std::fmt::Write;

/// Words per caption line, in turn: YouTube's lines vary in length.
const LINE_WORDS: [usize; 5] = [7, 5, 9, 6, 8];

/// A WebVTT file shaped like YouTube's auto-generated captions of `words`, word `i` starting at
/// `i * secs_per_word` seconds: a `Kind:`/`Language:` header, rolling cues that repeat the line
/// before above the new one, inline `<hh:mm:ss.ttt><c> word</c>` timings, and a 10 ms cue after
/// each line that shows it again. Parsing it gives back `words` with those times.
/// `secs_per_word` should be at least 0.01.
#[doc(hidden)]
pub fn synthetic_auto_vtt(words: &[&str], secs_per_word: f64) -> String {
    let at = |i: usize| (i as f64 * secs_per_word * 1000.0).round() as u64;
    let mut out = String::with_capacity(words.len() * 48 + 64);
    out.push_str("WEBVTT\nKind: captions\nLanguage: en\n\n");
    let mut previous = String::from(" ");
    let mut first = 0;
    let mut turn = 0;
    while first < words.len() {
        let count = LINE_WORDS[turn % LINE_WORDS.len()].min(words.len() - first);
        turn += 1;
        let next = first + count;
        let (start, end) = (at(first), at(next));
        let shown = end.saturating_sub(10).max(start);
        let _ = writeln!(
            out,
            "{} --> {} align:start position:0%",
            stamp(start),
            stamp(shown)
        );
        out.push_str(&previous);
        out.push('\n');
        let mut plain = String::new();
        for (k, word) in words[first..next].iter().enumerate() {
            let word = escape(word);
            if k == 0 {
                out.push_str(&word);
            } else {
                let _ = write!(out, "<{}><c> {word}</c>", stamp(at(first + k)));
                plain.push(' ');
            }
            plain.push_str(&word);
        }
        let _ = write!(
            out,
            "\n\n{} --> {} align:start position:0%\n{plain}\n \n\n",
            stamp(shown),
            stamp(end)
        );
        previous = plain;
        first = next;
    }
    out
}

/// `hh:mm:ss.ttt`.
pub(crate) fn stamp(ms: u64) -> String {
    format!(
        "{:02}:{:02}:{:02}.{:03}",
        ms / 3_600_000,
        ms / 60_000 % 60,
        ms / 1000 % 60,
        ms % 1000
    )
}

/// The characters WebVTT cue text must escape.
fn escape(word: &str) -> String {
    word.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}
