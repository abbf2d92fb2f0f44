//! Case- and accent-insensitive text for lookups ("Cristóbal" matches "cristobal"). The passage
//! index folds words the same way (`index::tokenize`), so queries and stored text compare alike.

use unicode_normalization::{char::is_combining_mark, UnicodeNormalization};

/// Lowercase, strip accents, and keep only letters/digits separated by single spaces.
/// Invisible characters inside a word (zero-width space, joiners, soft hyphen…) are removed, not
/// turned into a break: "diffu\u{200B}sion" is "diffusion".
pub fn fold(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut space = true;
    for c in s
        .nfkd()
        .filter(|c| !is_combining_mark(*c) && !is_invisible(*c))
    {
        if c.is_alphanumeric() {
            out.extend(c.to_lowercase());
            space = false;
        } else if !space {
            out.push(' ');
            space = true;
        }
    }
    if out.ends_with(' ') {
        out.pop();
    }
    out
}

/// `s` without the invisible characters `fold` removes (for text FTS5 tokenizes itself, which
/// would split a word at them).
pub fn strip_invisible(s: &str) -> std::borrow::Cow<'_, str> {
    if s.chars().any(is_invisible) {
        s.chars()
            .filter(|c| !is_invisible(*c))
            .collect::<String>()
            .into()
    } else {
        s.into()
    }
}

/// Characters that render as nothing yet can sit inside a word (copied web text, hyphenation).
fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{00AD}' // soft hyphen
            | '\u{200B}' // zero-width space
            | '\u{200C}' // zero-width non-joiner
            | '\u{200D}' // zero-width joiner
            | '\u{2060}' // word joiner
            | '\u{FEFF}' // zero-width no-break space (BOM)
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn folds_case_accents_and_punctuation() {
        assert_eq!(
            super::fold("Cristóbal Valenzuela — The Next"),
            "cristobal valenzuela the next"
        );
        assert_eq!(super::fold("  DALL·E!! "), "dall e");
    }

    #[test]
    fn invisible_characters_do_not_split_words() {
        for c in [
            '\u{200B}', '\u{200C}', '\u{200D}', '\u{2060}', '\u{FEFF}', '\u{00AD}',
        ] {
            assert_eq!(
                super::fold(&format!("Diffu{c}sion mo{c}{c}dels{c}")),
                "diffusion models",
                "{c:?}"
            );
        }
        assert_eq!(super::fold("\u{200B}"), "");
        assert_eq!(super::strip_invisible("a\u{00AD}b\u{FEFF} c"), "ab c");
    }
}
