//! What an answer is made of, from how its question is asked: "Who…?", "Whose…?", "Which…?" and
//! "Where…?" want a name; "When…?" and "How long/many/much/old…?" want a number. Keyless answers
//! prefer a sentence holding one the question itself does not (the expected answer type of
//! classic question answering). On the dev set this turned 2 more answers' quotes to the answer
//! (README "Answer quality"); "Why…?" wanting "because"/"since"/"so" changed nothing: left out.

use std::collections::HashSet;

use crate::index;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expects {
    Name,
    Number,
    Anything,
}

/// Number words a spoken answer uses instead of digits ("seven years", "a couple of months").
const NUMBER_WORDS: &[&str] = &[
    "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven",
    "twelve", "twenty", "thirty", "forty", "fifty", "hundred", "thousand", "million", "billion",
    "dozen", "half", "couple", "few",
];

impl Expects {
    pub fn of(question: &str) -> Expects {
        let q = question
            .trim_start_matches(|c: char| !c.is_alphanumeric())
            .to_lowercase();
        let mut words = q
            .split_whitespace()
            .skip_while(|w| ["and", "so", "but"].contains(w));
        let first = words.next().unwrap_or("");
        let second = words.next().unwrap_or("");
        match first {
            "who" | "who's" | "whose" | "whom" | "which" | "where" => Expects::Name,
            "when" => Expects::Number,
            "how" if ["long", "many", "much", "old"].contains(&second) => Expects::Number,
            _ => Expects::Anything,
        }
    }

    /// How much `sentence` looks like it holds the answer: the share (0–1; two words or more
    /// count 1) of its words that are what is expected and not among `question_terms` (index
    /// terms). A name is a capitalized word past the sentence's first (not "I" or a speaker's
    /// label); a number has a digit or is a number word. Always 0 for `Anything`.
    pub fn held_by(self, sentence: &str, question_terms: &HashSet<&str>) -> f64 {
        if self == Expects::Anything {
            return 0.0;
        }
        let mut found = 0;
        for (i, w) in sentence.split_whitespace().enumerate() {
            let core = w.trim_matches(|c: char| !c.is_alphanumeric());
            if core.is_empty() || w.ends_with(':') || core == "I" || core.starts_with("I'") {
                continue;
            }
            let fits = match self {
                Expects::Name => i > 0 && core.chars().next().is_some_and(char::is_uppercase),
                Expects::Number => {
                    core.chars().any(|c| c.is_ascii_digit())
                        || NUMBER_WORDS.contains(&core.to_lowercase().as_str())
                }
                Expects::Anything => false,
            };
            if fits
                && !index::text_terms(core)
                    .iter()
                    .any(|t| question_terms.contains(t.as_str()))
            {
                found += 1;
            }
        }
        f64::from(found.min(2)) / 2.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_question_word_says_what_is_expected() {
        for (q, e) in [
            ("Whose live camera demo blew Cris's mind?", Expects::Name),
            ("which TV shows use Runway?", Expects::Name),
            ("And where did he study?", Expects::Name),
            ("When will image generation be solved?", Expects::Number),
            ("How long has Sarah been an investor?", Expects::Number),
            ("How did Runway get started?", Expects::Anything),
            ("Why doesn't Jeremy use JAX?", Expects::Anything),
            ("", Expects::Anything),
        ] {
            assert_eq!(Expects::of(q), e, "{q}");
        }
    }

    #[test]
    fn names_and_numbers_the_question_lacks_are_counted() {
        let q: HashSet<&str> = ["cris", "demo"].into_iter().collect();
        let held = |e: Expects, s: &str| e.held_by(s, &q);
        assert_eq!(held(Expects::Name, "I saw Kyle McDonald's demo."), 1.0);
        assert_eq!(held(Expects::Name, "Cris: I saw the Demo there."), 0.0);
        assert_eq!(held(Expects::Name, "Then I went to NYU."), 0.5);
        assert_eq!(held(Expects::Number, "That was seven years ago."), 0.5);
        assert_eq!(held(Expects::Number, "In 2016, two of us."), 1.0);
        assert_eq!(held(Expects::Anything, "In 2016 Kyle McDonald."), 0.0);
    }
}
