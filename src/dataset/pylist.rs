//! Parse the `questions` column: a Python list literal of strings (`['a', "b's"]`) or a JSON
//! list (`["a", "b"]`). Errors say where in the literal the problem is ("at char N", 1-based).

use std::iter::Peekable;
use std::str::CharIndices;

/// Parse a list of string literals. Whitespace, a trailing comma and Python's implicit
/// concatenation of adjacent literals (`'a' 'b'`) are accepted; `u`/`r` prefixes too.
pub fn parse_list(literal: &str) -> Result<Vec<String>, String> {
    let mut p = Parser {
        chars: literal.char_indices().peekable(),
        pos: 0,
    };
    p.skip_ws();
    match p.next() {
        Some('[') => {}
        Some(c) => return Err(format!("expected '[' at char {}, found {c:?}", p.pos)),
        None => return Err("empty list literal".to_string()),
    }
    let mut items = Vec::new();
    loop {
        p.skip_ws();
        match p.peek() {
            Some(']') => {
                p.next();
                break;
            }
            Some(_) => {}
            None => {
                return Err(format!(
                    "unterminated list: missing ']' after char {}",
                    p.pos
                ))
            }
        }
        let mut item = p.string()?;
        // Adjacent literals concatenate, as in Python.
        loop {
            p.skip_ws();
            match p.peek() {
                Some(c) if is_string_start(c) => item.push_str(&p.string()?),
                _ => break,
            }
        }
        items.push(item);
        match p.next() {
            Some(',') => {}
            Some(']') => break,
            Some(c) => {
                return Err(format!(
                    "expected ',' or ']' at char {}, found {c:?}",
                    p.pos
                ))
            }
            None => {
                return Err(format!(
                    "unterminated list: missing ']' after char {}",
                    p.pos
                ))
            }
        }
    }
    p.skip_ws();
    if let Some(c) = p.next() {
        return Err(format!(
            "unexpected {c:?} after the closing ']' at char {}",
            p.pos
        ));
    }
    Ok(items)
}

fn is_string_start(c: char) -> bool {
    matches!(c, '\'' | '"' | 'u' | 'U' | 'r' | 'R')
}

struct Parser<'a> {
    chars: Peekable<CharIndices<'a>>,
    /// 1-based char number of the last char returned by `next`.
    pos: usize,
}

impl Parser<'_> {
    fn next(&mut self) -> Option<char> {
        let (_, c) = self.chars.next()?;
        self.pos += 1;
        Some(c)
    }

    fn peek(&mut self) -> Option<char> {
        self.chars.peek().map(|&(_, c)| c)
    }

    fn skip_ws(&mut self) {
        while self.peek().is_some_and(char::is_whitespace) {
            self.next();
        }
    }

    /// One string literal, with an optional `u` or `r` prefix.
    fn string(&mut self) -> Result<String, String> {
        let mut raw = false;
        let quote = loop {
            match self.next() {
                Some(q @ ('\'' | '"')) => break q,
                Some('u' | 'U') if !raw => {}
                Some('r' | 'R') if !raw => raw = true,
                Some(',') => {
                    return Err(format!("empty list item (extra ',') at char {}", self.pos))
                }
                Some(c) => {
                    return Err(format!(
                        "expected a quoted string at char {}, found {c:?}",
                        self.pos
                    ))
                }
                None => return Err(format!("expected a quoted string after char {}", self.pos)),
            }
        };
        let start = self.pos;
        let mut out = String::new();
        loop {
            match self.next() {
                None => return Err(format!("unterminated string starting at char {start}")),
                Some(c) if c == quote => return Ok(out),
                Some('\\') if raw => {
                    out.push('\\');
                    if let Some(c) = self.next() {
                        out.push(c);
                    }
                }
                Some('\\') => self.escape(&mut out)?,
                Some(c) => out.push(c),
            }
        }
    }

    fn escape(&mut self, out: &mut String) -> Result<(), String> {
        let at = self.pos;
        let Some(c) = self.next() else {
            return Err(format!("unterminated escape at char {at}"));
        };
        match c {
            '\n' => {} // line continuation
            '\\' | '\'' | '"' | '/' => out.push(c),
            'n' => out.push('\n'),
            't' => out.push('\t'),
            'r' => out.push('\r'),
            'a' => out.push('\u{7}'),
            'b' => out.push('\u{8}'),
            'f' => out.push('\u{c}'),
            'v' => out.push('\u{b}'),
            'x' => out.push(self.hex_char(2, at)?),
            'u' => {
                let c = self.hex(4, at)?;
                // JSON writes astral chars as a surrogate pair: \uD83D\uDE00.
                if (0xD800..0xDC00).contains(&c) && self.peek() == Some('\\') {
                    self.next();
                    if self.next() != Some('u') {
                        return Err(format!("unpaired surrogate escape at char {at}"));
                    }
                    let low = self.hex(4, at)?;
                    let combined =
                        0x10000 + ((c - 0xD800) << 10) + (low.wrapping_sub(0xDC00) & 0x3FF);
                    out.push(to_char(combined, at)?);
                } else {
                    out.push(to_char(c, at)?);
                }
            }
            'U' => out.push(self.hex_char(8, at)?),
            '0'..='7' => {
                let mut value = c.to_digit(8).unwrap_or(0);
                for _ in 0..2 {
                    match self.peek().and_then(|d| d.to_digit(8)) {
                        Some(d) => {
                            self.next();
                            value = value * 8 + d;
                        }
                        None => break,
                    }
                }
                out.push(to_char(value, at)?);
            }
            // Python keeps unknown escapes verbatim.
            other => {
                out.push('\\');
                out.push(other);
            }
        }
        Ok(())
    }

    fn hex(&mut self, digits: usize, at: usize) -> Result<u32, String> {
        let mut value = 0u32;
        for _ in 0..digits {
            let d = self.next().and_then(|c| c.to_digit(16)).ok_or_else(|| {
                format!("invalid escape at char {at}: expected {digits} hex digits")
            })?;
            value = value.wrapping_mul(16).wrapping_add(d);
        }
        Ok(value)
    }

    fn hex_char(&mut self, digits: usize, at: usize) -> Result<char, String> {
        let value = self.hex(digits, at)?;
        to_char(value, at)
    }
}

fn to_char(value: u32, at: usize) -> Result<char, String> {
    char::from_u32(value)
        .ok_or_else(|| format!("escape at char {at} is not a valid character (U+{value:X})"))
}

#[cfg(test)]
mod tests {
    use super::parse_list;

    fn ok(s: &str) -> Vec<String> {
        match parse_list(s) {
            Ok(v) => v,
            Err(e) => panic!("{s}: {e}"),
        }
    }

    fn err(s: &str) -> String {
        match parse_list(s) {
            Ok(v) => panic!("{s} parsed as {v:?}"),
            Err(e) => e,
        }
    }

    #[test]
    fn python_quotes_and_escapes() {
        assert_eq!(
            ok(r#"['What is X?', "Don't stop", 'It\'s', "say \"hi\"", 'a\\b']"#),
            vec!["What is X?", "Don't stop", "It's", "say \"hi\"", "a\\b"]
        );
        assert_eq!(
            ok(r"['line\nbreak', 'tab\there', '\u00e9\xe9', '\U0001F600', '\101']"),
            vec!["line\nbreak", "tab\there", "éé", "😀", "A"]
        );
    }

    #[test]
    fn whitespace_trailing_comma_empty_and_concatenation() {
        assert_eq!(ok("[]"), Vec::<String>::new());
        assert_eq!(ok("  [ ]  "), Vec::<String>::new());
        assert_eq!(ok("[\n  'a' ,\n\t'b',\n]"), vec!["a", "b"]);
        assert_eq!(ok("['a' 'b', u'c', r'\\d']"), vec!["ab", "c", "\\d"]);
    }

    #[test]
    fn json_lists() {
        assert_eq!(
            ok(r#"["a \"q\"", "\u00e9\/x", "\ud83d\ude00"]"#),
            vec!["a \"q\"", "é/x", "😀"]
        );
    }

    #[test]
    fn errors_say_where() {
        let e = err("['What is X?', 'Why");
        assert!(e.contains("unterminated string starting at char 16"), "{e}");
        let e = err("['a' 'b'");
        assert!(e.contains("missing ']'"), "{e}");
        let e = err("['a'; 'b']");
        assert!(e.contains("expected ',' or ']' at char 5"), "{e}");
        let e = err("What is X?");
        assert!(e.contains("expected '[' at char 1"), "{e}");
        let e = err("['a', 3]");
        assert!(e.contains("expected a quoted string at char 7"), "{e}");
        let e = err("['a',, 'b']");
        assert!(e.contains("extra ','") && e.contains("char 6"), "{e}");
        let e = err("['a'] x");
        assert!(e.contains("after the closing ']' at char 7"), "{e}");
        let e = err(r"['\xZZ']");
        assert!(e.contains("invalid escape at char 3"), "{e}");
    }
}
