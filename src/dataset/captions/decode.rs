//! From raw bytes to lines of text: BOM, UTF-16 and binary data, invalid UTF-8, and the three
//! line endings WebVTT allows (CRLF, LF, CR).

use super::CaptionError;

const BOM: &[u8] = b"\xEF\xBB\xBF";

/// Validate the bytes as UTF-8 text and return it without its BOM.
pub fn to_text<'a>(bytes: &'a [u8], source: &str) -> Result<&'a str, CaptionError> {
    let (body, base) = match bytes.strip_prefix(BOM) {
        Some(rest) => (rest, BOM.len()),
        None => (bytes, 0),
    };
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(CaptionError::Empty {
            source_name: source.to_string(),
        });
    }
    if body.starts_with(b"\xFF\xFE") || body.starts_with(b"\xFE\xFF") {
        return Err(CaptionError::Binary {
            source_name: source.to_string(),
            line: 1,
            what: "UTF-16 text (save the file as UTF-8)".to_string(),
        });
    }
    if let Some(at) = body.iter().position(|&b| b == 0) {
        return Err(CaptionError::Binary {
            source_name: source.to_string(),
            line: line_of(body, at),
            what: format!("binary data (NUL byte at byte offset {})", at + base),
        });
    }
    std::str::from_utf8(body).map_err(|e| {
        let at = e.valid_up_to();
        CaptionError::InvalidUtf8 {
            source_name: source.to_string(),
            line: line_of(body, at),
            offset: (at + base) as u64,
        }
    })
}

/// 1-based line of a byte offset, counting line ends as `split_lines` does.
fn line_of(bytes: &[u8], at: usize) -> u64 {
    let before = bytes.get(..at).unwrap_or(bytes);
    let ends = before
        .iter()
        .enumerate()
        .filter(|&(k, &b)| b == b'\n' || (b == b'\r' && bytes.get(k + 1) != Some(&b'\n')))
        .count();
    ends as u64 + 1
}

/// The lines of `text` without their terminators (`\r\n`, `\n` or a lone `\r`); line `i` of the
/// result is line `i + 1` of the file. A final terminator does not start an extra line.
pub fn split_lines(text: &str) -> Vec<&str> {
    let mut lines = Vec::with_capacity(text.len() / 32 + 1);
    let bytes = text.as_bytes();
    let mut start = 0;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'\n' => {
                lines.push(&text[start..i]);
                i += 1;
                start = i;
            }
            b'\r' => {
                lines.push(&text[start..i]);
                i += if bytes.get(i + 1) == Some(&b'\n') {
                    2
                } else {
                    1
                };
                start = i;
            }
            _ => i += 1,
        }
    }
    if start < bytes.len() {
        lines.push(&text[start..]);
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_split_on_all_three_endings() {
        assert_eq!(split_lines("a\r\nb\nc\rd"), ["a", "b", "c", "d"]);
        assert_eq!(split_lines("a\n\nb\n"), ["a", "", "b"]);
        assert_eq!(split_lines("a\r\n\r\n"), ["a", ""]);
    }

    #[test]
    fn bom_is_dropped_and_offsets_count_it() {
        assert_eq!(to_text(b"\xEF\xBB\xBFWEBVTT", "f").ok(), Some("WEBVTT"));
        let err = to_text(b"\xEF\xBB\xBFok\nbad \xC3(", "f.vtt").err();
        assert_eq!(
            err.map(|e| e.to_string()).as_deref(),
            Some("f.vtt: line 2: invalid UTF-8 at byte offset 10; save the file as UTF-8")
        );
        let err = to_text(b"a\r\nb\rc\n\0", "f.srt").err();
        assert_eq!(err.map(|e| e.line()), Some(4));
    }
}
