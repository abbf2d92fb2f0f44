//! Which of an answer's sources it cites, grouped by episode: what the front ends list under an
//! answer (the title once, then its moments), and where its `[n]` marks are, to link them.
//!
//! A keyless answer cites the sources it quotes; a generated one (or a "not covered" answer) the
//! `[n]` in its text that name a source. `Answer::sources` keeps every passage the answer was
//! made from, numbered as the marks are.

use std::ops::Range;

use super::{Answer, Source};

/// One cited moment: the source's label `[label]` and the source.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Moment<'a> {
    pub label: usize,
    pub source: &'a Source,
}

/// An episode an answer cites, with its cited moments in label order.
#[derive(Debug, Clone, PartialEq)]
pub struct CitedEpisode<'a> {
    pub title: &'a str,
    pub url: &'a str,
    pub moments: Vec<Moment<'a>>,
}

/// The `[n]` marks of `text` naming one of `n_sources` sources: byte range and label, in order.
pub fn marks(text: &str, n_sources: usize) -> Vec<(Range<usize>, usize)> {
    let mut out = Vec::new();
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'[' {
            let digits = bytes[i + 1..]
                .iter()
                .take_while(|b| b.is_ascii_digit())
                .count();
            let close = i + 1 + digits;
            if (1..=3).contains(&digits) && bytes.get(close) == Some(&b']') {
                let n: usize = text[i + 1..close].parse().unwrap_or(0);
                if (1..=n_sources).contains(&n) {
                    out.push((i..close + 1, n));
                }
                i = close + 1;
                continue;
            }
        }
        i += 1;
    }
    out
}

/// The labels `a` cites, each once, in the order first cited.
pub fn labels(a: &Answer) -> Vec<usize> {
    let mut out: Vec<usize> = Vec::new();
    let cited: Vec<usize> = if a.quotes.is_empty() {
        marks(&a.answer, a.sources.len())
            .into_iter()
            .map(|(_, n)| n)
            .collect()
    } else {
        a.quotes.iter().map(|q| q.source).collect()
    };
    for n in cited {
        if (1..=a.sources.len()).contains(&n) && !out.contains(&n) {
            out.push(n);
        }
    }
    out
}

/// The cited sources grouped by episode, episodes in the order first cited.
pub fn by_episode(a: &Answer) -> Vec<CitedEpisode<'_>> {
    let mut out: Vec<CitedEpisode> = Vec::new();
    for label in labels(a) {
        let source = &a.sources[label - 1];
        let moment = Moment { label, source };
        match out.iter_mut().find(|e| e.url == source.url) {
            Some(e) => e.moments.push(moment),
            None => out.push(CitedEpisode {
                title: &source.title,
                url: &source.url,
                moments: vec![moment],
            }),
        }
    }
    for e in &mut out {
        e.moments.sort_by_key(|m| m.label);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::answer::{Mode, Quote, Usage};

    fn source(url: &str, title: &str, t: i64) -> Source {
        Source {
            url: url.into(),
            title: title.into(),
            timestamp_s: Some(t),
            timestamp_exact: false,
            link: format!("{url}&t={t}s"),
            text: String::new(),
            episode_id: String::new(),
        }
    }

    fn answer(text: &str, quoted: &[usize]) -> Answer {
        Answer {
            answer: text.into(),
            mode: Mode::Llm,
            confident: true,
            sources: vec![
                source("u/a", "A", 664),
                source("u/b", "B", 10),
                source("u/a", "A", 28),
                source("u/c", "C", 5),
            ],
            quotes: quoted
                .iter()
                .map(|&source| Quote {
                    source,
                    start_word: 0,
                    end_word: 1,
                    text: "q".into(),
                    summary: false,
                })
                .collect(),
            usage: Usage::default(),
            model: None,
            note: None,
            fell_back: false,
            cut: None,
            answer_id: None,
            latency_ms: 0,
            follows: None,
        }
    }

    #[test]
    fn marks_name_sources_only() {
        let text = "Yes [3][1]. Also [9], [x], [12345] and [2]";
        let m = marks(text, 4);
        assert_eq!(m.iter().map(|(_, n)| *n).collect::<Vec<_>>(), [3, 1, 2]);
        assert_eq!(&text[m[0].0.clone()], "[3]");
    }

    #[test]
    fn generated_answers_cite_their_marks_grouped_by_episode() {
        let a = answer("First [3], then [2] and again [1][3].", &[]);
        assert_eq!(labels(&a), [3, 2, 1]);
        let groups = by_episode(&a);
        assert_eq!(groups.len(), 2, "source 4 is not cited");
        assert_eq!((groups[0].title, groups[1].title), ("A", "B"));
        let a_labels: Vec<usize> = groups[0].moments.iter().map(|m| m.label).collect();
        assert_eq!(a_labels, [1, 3]);
    }

    #[test]
    fn keyless_answers_cite_what_they_quote() {
        let a = answer("quoted [4] and [2]", &[4, 2]);
        assert_eq!(labels(&a), [4, 2]);
        assert_eq!(by_episode(&a).len(), 2);
        assert!(by_episode(&answer("no marks", &[])).is_empty());
    }
}
