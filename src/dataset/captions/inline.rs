//! One line of cue text → its words and inline timestamps: tags stripped (`<c>`, `<i>`, `<b>`,
//! `<v Speaker>`, `<c.colorE5E5E5>`, SubRip's `<font …>` and `{\an8}`), entities decoded, WebVTT
//! timestamp tags (`<00:00:01.280>`) kept as times. Linear in the line's length.

use super::timing::{parse_time, Mark};

/// A cleaned line of cue text.
#[derive(Debug, Clone, PartialEq)]
pub struct CueLine {
    /// The words joined by single spaces; also the key that recognises a rolling line repeated.
    pub text: String,
    pub words: usize,
    /// `(word index in this line, ms)`: a timestamp tag times the first word that starts at or
    /// after it; ascending by index, at most one per word (the last tag before it wins).
    pub marks: Vec<(usize, u64)>,
    /// 1-based line in the file.
    pub line: usize,
}

/// Clean one line; `timestamps` says whether `<hh:mm:ss.ttt>` tags are times (WebVTT) or just
/// tags. The error says what is wrong with a timestamp tag.
pub fn clean(raw: &str, line: usize, timestamps: bool) -> Result<CueLine, String> {
    let mut out = Words {
        text: String::with_capacity(raw.len()),
        words: 0,
        in_word: false,
        marks: Vec::new(),
    };
    let bytes = raw.as_bytes();
    let mut i = 0;
    while i < raw.len() {
        let rest = &raw[i..];
        let ch = rest.chars().next().unwrap_or(' ');
        match ch {
            '<' => match closing(bytes, i + 1, b'>', b'<') {
                Some(end) => {
                    let tag = &raw[i + 1..end];
                    if timestamps && tag.starts_with(|c: char| c.is_ascii_digit()) {
                        let ms = parse_time(tag, Mark::Dot)
                            .map_err(|e| format!("inline timestamp <{tag}>: {e}"))?;
                        out.mark(ms);
                    }
                    i = end + 1;
                    continue;
                }
                None => out.push('<'),
            },
            '{' if rest.starts_with("{\\") => match closing(bytes, i + 1, b'}', b'{') {
                Some(end) => {
                    i = end + 1;
                    continue;
                }
                None => out.push('{'),
            },
            '&' => match entity(rest) {
                Some((decoded, len)) => {
                    if let Some(c) = decoded {
                        out.push(c);
                    }
                    i += len;
                    continue;
                }
                None => out.push('&'),
            },
            c => out.push(c),
        }
        i += ch.len_utf8();
    }
    out.end_word();
    let words = out.words;
    out.marks.retain(|&(at, _)| at < words);
    Ok(CueLine {
        text: out.text,
        words,
        marks: out.marks,
        line,
    })
}

/// Where the tag opened before `from` closes: the next `close` byte, unless `open` comes first
/// (then the opener was a literal character). Each byte is looked at once per opener kind.
fn closing(bytes: &[u8], from: usize, close: u8, open: u8) -> Option<usize> {
    let rest = bytes.get(from..)?;
    let at = rest.iter().position(|&b| b == close || b == open)?;
    (rest[at] == close).then_some(from + at)
}

/// A character reference at the start of `s` (`&amp;`, `&#39;`, `&#x27;`): the character it
/// stands for (`None` for the invisible direction marks) and its length; `None` if it is no
/// reference we know (the `&` is then literal).
fn entity(s: &str) -> Option<(Option<char>, usize)> {
    let semi = s.bytes().take(12).position(|b| b == b';')?;
    let name = &s[1..semi];
    let c = match name {
        "amp" => '&',
        "lt" => '<',
        "gt" => '>',
        "quot" => '"',
        "apos" => '\'',
        "nbsp" => '\u{a0}',
        "lrm" | "rlm" => return Some((None, semi + 1)),
        _ => {
            let code = match name.strip_prefix('#')? {
                hex if hex.starts_with(['x', 'X']) => u32::from_str_radix(&hex[1..], 16).ok()?,
                dec => dec.parse::<u32>().ok()?,
            };
            char::from_u32(code).filter(|&c| c != '\0')?
        }
    };
    Some((Some(c), semi + 1))
}

/// The words being collected.
struct Words {
    text: String,
    words: usize,
    in_word: bool,
    marks: Vec<(usize, u64)>,
}

impl Words {
    fn push(&mut self, c: char) {
        if c.is_whitespace() {
            self.end_word();
            return;
        }
        if !self.in_word {
            if !self.text.is_empty() {
                self.text.push(' ');
            }
            self.in_word = true;
        }
        self.text.push(c);
    }

    fn end_word(&mut self) {
        if self.in_word {
            self.words += 1;
            self.in_word = false;
        }
    }

    /// A timestamp here times the next word to start (the one after the current word, if a tag
    /// falls inside a word).
    fn mark(&mut self, ms: u64) {
        let at = self.words + usize::from(self.in_word);
        match self.marks.last_mut() {
            Some(last) if last.0 == at => last.1 = ms,
            _ => self.marks.push((at, ms)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(raw: &str) -> (String, Vec<(usize, u64)>) {
        match clean(raw, 1, true) {
            Ok(l) => {
                assert_eq!(l.words, l.text.split_whitespace().count());
                (l.text, l.marks)
            }
            Err(e) => panic!("{e}"),
        }
    }

    #[test]
    fn youtube_word_tags_time_the_words_after_them() {
        let (text, marks) = words(
            "hey<00:00:00.539><c> guys</c><00:00:00.989><c> what's</c><00:00:01.290><c> up</c>",
        );
        assert_eq!(text, "hey guys what's up");
        assert_eq!(marks, [(1, 539), (2, 989), (3, 1290)]);
    }

    #[test]
    fn tags_are_stripped_and_entities_decoded() {
        let (text, _) = words("<v Lukas Biewald><i>Weights</i> &amp; <b>Biases</b></v> &lt;3&gt; it&#39;s&nbsp;x&#x2014;y");
        assert_eq!(text, "Weights & Biases <3> it's x—y");
        let (text, _) = words("<c.colorE5E5E5>so</c> {\\an8}a&lrm;b &unknown; & 1 < 2 <<x>");
        assert_eq!(text, "so ab &unknown; & 1 < 2 <");
    }

    #[test]
    fn a_tag_inside_a_word_keeps_it_whole() {
        let (text, marks) = words("hel<i>lo</i> wo<00:00:02.000>rld again");
        assert_eq!(text, "hello world again");
        assert_eq!(marks, [(2, 2000)]);
        let (_, marks) = words("end<00:00:03.000>");
        assert!(marks.is_empty());
    }

    #[test]
    fn a_bad_timestamp_tag_is_an_error() {
        let e = clean("a<00:00:75.000><c> b</c>", 3, true).err();
        assert_eq!(
            e.as_deref(),
            Some("inline timestamp <00:00:75.000>: \"00:00:75.000\": seconds must be below 60")
        );
        assert!(clean("a<00:00:75.000> b", 3, false).is_ok());
    }
}
