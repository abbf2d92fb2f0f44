//! Case- and accent-insensitive text for lookups ("Cristóbal" matches "cristobal").

use unicode_normalization::{char::is_combining_mark, UnicodeNormalization};

/// Lowercase, strip accents, and keep only letters/digits separated by single spaces.
pub fn fold(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut space = true;
    for c in s.nfkd().filter(|c| !is_combining_mark(*c)) {
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
}
