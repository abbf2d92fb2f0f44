//! Plain text and Markdown → words, without times.
//!
//! A `.txt` file's words are taken as they are. A Markdown file (its name ends in `.md` or
//! `.markdown`) keeps the words a reader sees: YAML front matter, heading markers (`#`), quote
//! markers (`>`), list bullets, horizontal rules and table rulers are dropped; `[text](url)` and
//! `![alt](url)` become their text; emphasis (`*`, `_`, `~~`) and code backticks around words are
//! removed, but `_` and `*` inside a word stay (`snake_case`, `5*3`). Code fences are dropped and
//! the code inside is kept as words: a transcript's code is something somebody said or showed.

use super::{CaptionError, TimedTranscript};

pub fn parse(lines: &[&str], source: &str) -> Result<TimedTranscript, CaptionError> {
    let lower = source.to_ascii_lowercase();
    let markdown = lower.ends_with(".md") || lower.ends_with(".markdown");
    let mut text = String::new();
    let mut add = |word: &str| {
        if !word.is_empty() {
            if !text.is_empty() {
                text.push(' ');
            }
            text.push_str(word);
        }
    };
    if markdown {
        let mut fenced = false;
        for &line in &lines[front_matter(lines)..] {
            let trimmed = line.trim_start();
            if trimmed.starts_with("```") || trimmed.starts_with("~~~") {
                fenced = !fenced;
            } else if fenced {
                line.split_whitespace().for_each(&mut add);
            } else {
                let inline = links(block_markers(line));
                for word in inline.split_whitespace() {
                    if word != "|" {
                        add(&emphasis(word));
                    }
                }
            }
        }
    } else {
        for line in lines {
            line.split_whitespace().for_each(&mut add);
        }
    }
    if text.is_empty() {
        return Err(CaptionError::NoWords {
            source_name: source.to_string(),
            line: lines.len().max(1) as u64,
            reason: "only blank lines or markup".to_string(),
        });
    }
    Ok(TimedTranscript {
        text,
        word_times: None,
        duration_s: None,
        warnings: Vec::new(),
    })
}

/// How many lines YAML front matter takes: a first line `---` closed by `---` or `...`.
fn front_matter(lines: &[&str]) -> usize {
    if lines.first().map(|l| l.trim_end()) != Some("---") {
        return 0;
    }
    lines
        .iter()
        .skip(1)
        .position(|l| matches!(l.trim_end(), "---" | "..."))
        .map_or(0, |at| at + 2)
}

/// The line without its block markers; empty for rules and table rulers.
fn block_markers(line: &str) -> &str {
    let mut rest = line.trim();
    let rule = rest.len() >= 3
        && rest
            .bytes()
            .all(|b| matches!(b, b'-' | b'*' | b'_' | b'=' | b'|' | b':' | b' ' | b'\t'));
    if rule {
        return "";
    }
    while let Some(r) = rest.strip_prefix('>') {
        rest = r.trim_start();
    }
    let hashes = rest.bytes().take_while(|&b| b == b'#').count();
    if (1..=6).contains(&hashes)
        && (rest.len() == hashes || rest[hashes..].starts_with([' ', '\t']))
    {
        return rest[hashes..].trim().trim_end_matches('#');
    }
    for bullet in ["- ", "* ", "+ "] {
        if let Some(r) = rest.strip_prefix(bullet) {
            return r;
        }
    }
    let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
    if (1..=9).contains(&digits) {
        if let Some(r) = rest[digits..]
            .strip_prefix(". ")
            .or_else(|| rest[digits..].strip_prefix(") "))
        {
            return r;
        }
    }
    rest
}

/// `[text](url)` → `text`, `![alt](url)` → `alt`; other brackets stay. Linear: each byte is
/// looked at a bounded number of times.
fn links(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut open: Option<usize> = None; // where the last `[` is in `out`
    let mut no_paren_after: Option<usize> = None; // no `)` from here on
    let mut i = 0;
    while let Some(c) = line[i..].chars().next() {
        i += c.len_utf8();
        match c {
            '[' => {
                open = Some(out.len());
                out.push('[');
            }
            // Only after a `[`: a `](` without one is text, and looking for its `)` could make
            // a line of `](](…)` quadratic.
            ']' if open.is_some() && line[i..].starts_with('(') => {
                let close = match no_paren_after {
                    Some(p) if p <= i => None,
                    _ => line[i..].find(')').map(|at| i + at),
                };
                match (open, close) {
                    (Some(at), Some(close)) => {
                        out.remove(at);
                        if out[..at].ends_with('!') {
                            out.remove(at - 1);
                        }
                        open = None;
                        i = close + 1;
                    }
                    _ => {
                        no_paren_after = Some(i);
                        out.push(']');
                    }
                }
            }
            '`' => {}
            c => out.push(c),
        }
    }
    out
}

/// The word without emphasis markers at its edges (`**bold**,` → `bold,`; `_x_` → `x`), keeping
/// those between letters or digits (`snake_case`).
fn emphasis(word: &str) -> String {
    let chars: Vec<char> = word.chars().collect();
    let mut out = String::with_capacity(word.len());
    for (k, &c) in chars.iter().enumerate() {
        let marker = matches!(c, '*' | '_' | '~');
        let inner = k > 0
            && chars[k - 1].is_alphanumeric()
            && chars.get(k + 1).is_some_and(|n| n.is_alphanumeric());
        if !marker || inner {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_inline_markup() {
        assert_eq!(
            links("see [the docs](https://x.y/z) and ![a cat](c.png)!"),
            "see the docs and a cat!"
        );
        assert_eq!(links("[Music] [a](b (c)"), "[Music] a");
        assert_eq!(links("`code` ](x) [y](z"), "code ](x) [y](z");
        assert_eq!(emphasis("**bold**,"), "bold,");
        assert_eq!(emphasis("_snake_case_"), "snake_case");
        assert_eq!(emphasis("~~gone~~"), "gone");
        assert_eq!(emphasis("5*3"), "5*3");
    }

    #[test]
    fn markdown_block_markup() {
        assert_eq!(block_markers("## Heading ##"), "Heading ");
        assert_eq!(block_markers("> > quoted"), "quoted");
        assert_eq!(block_markers("12. item"), "item");
        assert_eq!(block_markers("#hashtag"), "#hashtag");
        assert_eq!(block_markers("###"), "");
        assert_eq!(block_markers("|---|:--:|"), "");
        assert_eq!(block_markers("***"), "");
    }
}
