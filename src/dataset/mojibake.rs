//! Undo mojibake: UTF-8 text that was once decoded with a legacy single-byte code page
//! (Windows-1253 in the shipped dataset: `β€”` for `—`; Windows-1252: `â€”`, `Ã©`).
//!
//! The scan looks only at runs of non-ASCII, non-whitespace characters. Each run is mapped back to
//! the code page's bytes (one char = one byte), and every byte sequence inside it that is valid
//! UTF-8 (2–4 bytes) and decodes to a plausible character replaces its source characters. A run
//! is rewritten only when something decoded, so the result is always shorter; legitimate Greek
//! or accented text whose bytes are not UTF-8 is left alone. Whitespace is never produced or
//! consumed, so the number of `split_whitespace` words never changes.

use std::sync::OnceLock;

use encoding_rs::Encoding;

/// One legacy code page: non-ASCII char → byte, sorted by char for binary search.
struct CodePage {
    to_byte: Vec<(char, u8)>,
    /// Highest code point accepted from a 2-byte sequence (see [`plausible`]).
    max_two_byte: u32,
}

impl CodePage {
    fn build(encoding: &'static Encoding, max_two_byte: u32) -> CodePage {
        let mut to_byte = Vec::with_capacity(128);
        for byte in 0x80u8..=0xFF {
            let one = [byte];
            let (text, had_errors) = encoding.decode_without_bom_handling(&one);
            if had_errors {
                continue; // undefined in this code page (e.g. 0xAA, 0xD2, 0xFF in 1253)
            }
            let mut chars = text.chars();
            // Bytes the code page leaves undefined decode to C1 controls (WHATWG), as many
            // lenient decoders pass them through; mapping them back lets `â€\u{9d}` become `”`.
            if let (Some(c), None) = (chars.next(), chars.next()) {
                to_byte.push((c, byte));
            }
        }
        to_byte.sort_unstable();
        CodePage {
            to_byte,
            max_two_byte,
        }
    }

    fn byte_of(&self, c: char) -> Option<u8> {
        self.to_byte
            .binary_search_by_key(&c, |&(k, _)| k)
            .ok()
            .and_then(|i| self.to_byte.get(i).map(|&(_, b)| b))
    }
}

fn code_pages() -> &'static [CodePage; 2] {
    static PAGES: OnceLock<[CodePage; 2]> = OnceLock::new();
    PAGES.get_or_init(|| {
        [
            // In cp1253 the leads of U+0400.. are Greek capitals (`Σ’` is Greek, not `Ӓ`):
            // accept Latin and Greek only.
            CodePage::build(encoding_rs::WINDOWS_1253, 0x3FF),
            // Through cp1252: Latin, Greek, Cyrillic, Hebrew, Arabic (`Ð¿` → `п`).
            CodePage::build(encoding_rs::WINDOWS_1252, 0x6FF),
        ]
    })
}

/// Repair one field. Returns `None` (no allocation) when nothing needed repair.
pub fn repair(text: &str) -> Option<String> {
    let mut current: Option<String> = None;
    // Doubly-encoded text needs more than one pass; each pass strictly shortens the text.
    for _ in 0..3 {
        let source = current.as_deref().unwrap_or(text);
        match repair_once(source) {
            Some(next) => current = Some(next),
            None => break,
        }
    }
    current
}

fn is_suspect(c: char) -> bool {
    !c.is_ascii() && !c.is_whitespace()
}

fn repair_once(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out: Option<String> = None;
    let mut copied = 0; // byte index in `text` up to which `out` is complete
    let mut pos = 0;
    let mut run_chars: Vec<char> = Vec::new();
    while pos < bytes.len() {
        // Skip ASCII quickly.
        match bytes[pos..].iter().position(|b| !b.is_ascii()) {
            Some(skip) => pos += skip,
            None => break,
        }
        let start = pos;
        run_chars.clear();
        let rest = text.get(start..).unwrap_or("");
        for c in rest.chars() {
            if !is_suspect(c) {
                break;
            }
            run_chars.push(c);
            pos += c.len_utf8();
        }
        if run_chars.is_empty() {
            // A non-ASCII whitespace char (e.g. NBSP): step over it.
            pos += rest.chars().next().map_or(1, char::len_utf8);
            continue;
        }
        if let Some(fixed) = repair_run(&run_chars) {
            let buf = out.get_or_insert_with(|| String::with_capacity(text.len()));
            buf.push_str(text.get(copied..start).unwrap_or(""));
            buf.push_str(&fixed);
            copied = pos;
        }
    }
    let mut buf = out?;
    buf.push_str(text.get(copied..).unwrap_or(""));
    Some(buf)
}

/// Best repair of one run over the known code pages (the one that decodes the most).
fn repair_run(run: &[char]) -> Option<String> {
    let mut best: Option<(usize, String)> = None;
    for page in code_pages() {
        if let Some((saved, fixed)) = repair_run_with(run, page) {
            if best.as_ref().is_none_or(|(s, _)| saved > *s) {
                best = Some((saved, fixed));
            }
        }
    }
    best.map(|(_, fixed)| fixed)
}

/// Returns (chars saved, repaired run) when at least one sequence decoded.
fn repair_run_with(run: &[char], page: &CodePage) -> Option<(usize, String)> {
    let bytes: Vec<Option<u8>> = run.iter().map(|&c| page.byte_of(c)).collect();
    let mut out = String::new();
    let mut saved = 0;
    let mut i = 0;
    while i < run.len() {
        if let Some((c, len)) = decode_at(&bytes, i, page.max_two_byte) {
            out.push(c);
            saved += len - 1;
            i += len;
        } else {
            if let Some(&c) = run.get(i) {
                // A letter that is not part of any sequence means the run is real text
                // (all-caps Greek `ΟΣ»` would otherwise become `Οӻ`): leave it alone.
                if c.is_alphabetic() {
                    return None;
                }
                out.push(c);
            }
            i += 1;
        }
    }
    (saved > 0).then_some((saved, out))
}

/// A plausible UTF-8 character whose bytes start at `i`, with its length in bytes.
fn decode_at(bytes: &[Option<u8>], i: usize, max_two_byte: u32) -> Option<(char, usize)> {
    let lead = (*bytes.get(i)?)?;
    let len = match lead {
        0xC2..=0xDF => 2,
        0xE0..=0xEF => 3,
        0xF0..=0xF4 => 4,
        _ => return None,
    };
    let mut buf = [0u8; 4];
    for (k, slot) in buf.iter_mut().enumerate().take(len) {
        *slot = (*bytes.get(i + k)?)?;
    }
    let s = std::str::from_utf8(buf.get(..len)?).ok()?;
    let c = s.chars().next()?;
    plausible(c, len, max_two_byte).then_some((c, len))
}

/// Characters mojibake plausibly came from. Excludes controls, whitespace (word counts must not
/// change), private use, and 2-byte scripts where legit text + punctuation would collide.
fn plausible(c: char, len: usize, max_two_byte: u32) -> bool {
    let cp = u32::from(c);
    if c.is_control() || c.is_whitespace() || c == '\u{FFFD}' {
        return false;
    }
    match len {
        2 => (0xA0..=max_two_byte).contains(&cp),
        3 => !(0xE000..=0xF8FF).contains(&cp) && !(0xFFF0..=0xFFFF).contains(&cp),
        _ => cp < 0xF0000,
    }
}

#[cfg(test)]
mod tests {
    use super::repair;

    fn fixed(s: &str) -> String {
        repair(s).unwrap_or_else(|| s.to_string())
    }

    #[test]
    fn repairs_cp1253_mojibake_from_the_dataset() {
        assert_eq!(
            fixed("Sarah Catanzaro β€” Remembering"),
            "Sarah Catanzaro — Remembering"
        );
        assert_eq!(fixed("CristΓ³bal Valenzuela"), "Cristóbal Valenzuela");
        assert_eq!(
            fixed("models like DALLΒ·E, GPT-3"),
            "models like DALL·E, GPT-3"
        );
    }

    #[test]
    fn repairs_cp1252_mojibake() {
        assert_eq!(fixed("a â€” b"), "a — b");
        assert_eq!(fixed("cafÃ© olÃ©"), "café olé");
        assert_eq!(fixed("donâ€™t"), "don’t");
        assert_eq!(fixed("Ð¿Ñ€Ð¸Ð²ÐµÑ‚"), "привет");
        assert_eq!(fixed("Î±Î²Î³"), "αβγ");
    }

    #[test]
    fn repairs_mixed_run_keeping_real_characters() {
        // A real right quote right next to mojibake: only the mojibake changes.
        assert_eq!(fixed("it’β€”s"), "it’—s");
    }

    #[test]
    fn leaves_legitimate_text_alone() {
        for s in [
            "plain ascii",
            "Γειά σου Κόσμε, καλημέρα",
            "ΑΘΗΝΑ ΕΛΛΑΔΑ",
            "«ΕΜΠΡΟΣ» «ΤΕΛΟΣ»",
            "Σ’ αγαπώ",
            "καλά… και",
            "café naïve Größe señor",
            "it’s — “quoted” · ok",
            "日本語のテキスト",
            "emoji 🎉 ok",
        ] {
            assert_eq!(repair(s), None, "{s}");
        }
    }

    #[test]
    fn never_touches_whitespace() {
        // "Β" + NBSP would be UTF-8 for NBSP, but repairing it would change word counts.
        let s = "word Β\u{a0}next";
        assert_eq!(repair(s), None);
        // U+2009 THIN SPACE as cp1253 mojibake stays put as well.
        let thin = "a β€‰ b";
        assert_eq!(
            fixed(thin).split_whitespace().count(),
            thin.split_whitespace().count()
        );
    }

    #[test]
    fn undefined_cp1253_bytes_do_not_repair() {
        // 0xAA/0xD2/0xFF are undefined in cp1253; a U+FFFD left by a lossy decoder stays.
        assert_eq!(repair("Γ\u{FFFD}"), None);
    }

    #[test]
    fn repairs_double_encoding() {
        // "—" encoded to UTF-8, read as cp1252, written as UTF-8, read as cp1252 again.
        let once = "â€”";
        let twice = encoding_rs::WINDOWS_1252
            .decode_without_bom_handling(once.as_bytes())
            .0
            .into_owned();
        assert_ne!(twice, once);
        assert_eq!(fixed(&twice), "—");
    }
}
