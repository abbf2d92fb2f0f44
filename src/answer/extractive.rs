//! Answers without an LLM: short runs of whole sentences quoted verbatim from the best passages,
//! each with its citation label, and labelled as excerpts, not generated text. (Questions about
//! a whole episode are answered from its summary: `summary`.)
//!
//! A run is anchored at the sentence where the question's words (weighted by rarity) gather,
//! counting its neighbours in the same speaker's turn and whether it holds the kind of answer
//! asked for (`Expects`: a name for "Who…?"); when that sentence is itself a question
//! (the host asking it), the anchor is the sentence after it, where the answer is. A run starts up
//! to a third of its budget before its anchor (never before a question): the words often gather
//! at the end of an answer ("…it just blew my mind" after the name asked for). Runs are whole
//! sentences, taken from the transcript around the passage so none is cut at the passage's edge,
//! up to `RUN_WORDS`:
//! 100 words for the best passage's run (the answer is often a few sentences past where the
//! question's words gather), 35 for the next best passage's (answers are often split between two
//! moments, or the best passage is not the one), and a sentence from the third when it holds
//! question words the other two do not.

use std::collections::HashSet;

use super::{expects::Expects, Quote};
use crate::{cite, index, retrieve::Hit};

/// Most words in each quoted run, best passage first (one run per passage; a single longer
/// sentence is quoted whole, up to `MAX_CHARS`).
const RUN_WORDS: [usize; 3] = [100, 35, 15];
/// The third run is quoted only when it holds question words the first two do not, weighing at
/// least this share of the question (answers split between moments; otherwise it is noise).
const THIRD_RUN_NEW: f64 = 0.1;
/// A run may start up to 1/`BEFORE_SHARE` of its budget before its anchor sentence.
const BEFORE_SHARE: usize = 3;
/// Passages a run may come from (in rank order).
const PASSAGES: usize = 3;
/// Score lost per rank a passage is below the first.
const RANK_PENALTY: f64 = 0.1;
/// Weight of a sentence holding what the question asks for (a name for "Who…?", `Expects`).
/// 0.2–0.4 gave the same dev-set figures; 0.1 too little, 0.5 too much.
const EXPECTED: f64 = 0.3;
/// Weight of the neighbouring sentences' matches in a run's score.
const NEIGHBOURS: f64 = 0.5;
/// Longest quoted sentence, in characters (run-on transcript sentences are cut, marked "…").
const MAX_CHARS: usize = 480;

pub const EXCERPT_HEADER: &str =
    "Quoted excerpts from the episodes (no language model; not generated):";

/// A passage to quote from: its hit, its label `[label]`, and the transcript around it
/// (`context`, whose first word is word `context_start` of the episode).
pub struct Passage<'a> {
    pub hit: &'a Hit,
    pub label: usize,
    pub context_start: i64,
    pub context: &'a str,
}

/// One sentence of a passage's context.
struct Sentence<'a> {
    text: &'a str,
    start_word: i64,
    end_word: i64,
    turn: usize,
    asks: bool,
    matched: f64,
}

/// Quote the best runs of sentences for `question` (its index terms with rarity `weights`).
pub fn excerpts(
    question_terms: &[(String, f64)],
    expects: Expects,
    passages: &[Passage],
) -> (String, Vec<Quote>) {
    let total: f64 = question_terms.iter().map(|(_, w)| w).sum::<f64>().max(1e-9);
    let asked: HashSet<&str> = question_terms.iter().map(|(t, _)| t.as_str()).collect();
    // Per passage: its best anchor's score, the sentence its run starts at, its sentences.
    let mut best: Vec<(f64, usize, usize, Vec<Sentence>)> = Vec::new();
    for (pi, p) in passages.iter().enumerate().take(PASSAGES) {
        let mut sentences = split(p);
        for s in &mut sentences {
            let held = index::text_terms(s.text);
            s.matched = question_terms
                .iter()
                .filter(|(t, _)| held.contains(t))
                .map(|(_, w)| w)
                .sum::<f64>()
                / total;
        }
        let (from, to) = (p.hit.start_word, p.hit.end_word);
        let mut anchor: Option<(f64, usize)> = None;
        for (i, s) in sentences.iter().enumerate() {
            if s.end_word <= from || s.start_word >= to {
                continue;
            }
            let near: f64 = [i.wrapping_sub(1), i + 1]
                .iter()
                .filter_map(|&j| sentences.get(j))
                .filter(|n| n.turn == s.turn)
                .map(|n| n.matched)
                .sum();
            let score = s.matched + NEIGHBOURS * near - RANK_PENALTY * pi as f64
                + EXPECTED * expects.held_by(s.text, &asked);
            let start = if s.asks && i + 1 < sentences.len() {
                i + 1
            } else {
                i
            };
            if anchor.is_none_or(|a| score > a.0) {
                anchor = Some((score, start));
            }
        }
        if let Some((score, start)) = anchor {
            best.push((score, pi, start, sentences));
        }
    }
    best.sort_by(|a, b| b.0.total_cmp(&a.0));
    // The best passage's run gets the longer budget: the answer is often a few sentences past
    // where the question's words gather.
    let mut runs: Vec<(usize, Vec<Sentence>)> = Vec::new();
    for (_, pi, start, mut sentences) in best {
        let Some(&budget) = RUN_WORDS.get(runs.len()) else {
            break;
        };
        // Up to a third of the budget goes to the sentences before the anchor (not past a
        // question): where the question's words gather is often the end of the answer.
        // The anchor itself always stays in the run: what goes before it is what it leaves.
        let anchor = start;
        let anchor_words = (sentences[anchor].end_word - sentences[anchor].start_word) as usize;
        let before = (budget / BEFORE_SHARE).min(budget.saturating_sub(anchor_words));
        let mut start = start;
        let mut back = 0;
        while let Some(prev) = start.checked_sub(1).map(|j| &sentences[j]) {
            let n = prev.end_word - prev.start_word;
            if prev.asks || (back + n) as usize > before {
                break;
            }
            back += n;
            start -= 1;
        }
        let mut end = start;
        let mut words = sentences[start].end_word - sentences[start].start_word;
        while let Some(next) = sentences.get(end + 1) {
            let n = next.end_word - next.start_word;
            if (words + n) as usize > budget {
                break;
            }
            words += n;
            end += 1;
        }
        let (from, to) = (sentences[start].start_word, sentences[end].end_word);
        // Runs read past their passage: never quote the same words twice.
        let url = &passages[pi].hit.url;
        let repeats = runs.iter().any(|(pj, run)| {
            &passages[*pj].hit.url == url
                && run.first().is_some_and(|f| f.start_word < to)
                && run.last().is_some_and(|l| from < l.end_word)
        });
        let adds = runs.len() < 2
            || new_weight(question_terms, &runs, &sentences[start..=end]) / total > THIRD_RUN_NEW;
        if !repeats && adds {
            runs.push((pi, sentences.drain(start..=end).collect()));
        }
    }
    runs.sort_by_key(|r| r.0);
    let mut out = String::from(EXCERPT_HEADER);
    let mut quotes = Vec::new();
    for (pi, run) in runs {
        let p = &passages[pi];
        let text = run
            .iter()
            .map(|s| shorten(s.text.trim()))
            .collect::<Vec<_>>()
            .join(" ");
        out.push_str(&format!("\n> “{text}” [{}]", p.label));
        quotes.push(Quote {
            source: p.label,
            start_word: run.first().map_or(0, |s| s.start_word),
            end_word: run.last().map_or(0, |s| s.end_word),
            text,
            summary: false,
        });
    }
    if quotes.is_empty() {
        if let Some(p) = passages.first() {
            let text = shorten(p.hit.text.trim());
            out.push_str(&format!("\n> “{text}” [{}]", p.label));
            quotes.push(Quote {
                source: p.label,
                start_word: p.hit.start_word,
                end_word: p.hit.end_word,
                text,
                summary: false,
            });
        }
    }
    (out, quotes)
}

/// Weight of the question terms `run` holds that none of `runs` does.
fn new_weight(
    question_terms: &[(String, f64)],
    runs: &[(usize, Vec<Sentence>)],
    run: &[Sentence],
) -> f64 {
    let quoted: HashSet<String> = runs
        .iter()
        .flat_map(|(_, r)| r.iter().flat_map(|s| index::text_terms(s.text)))
        .collect();
    let held: HashSet<String> = run.iter().flat_map(|s| index::text_terms(s.text)).collect();
    question_terms
        .iter()
        .filter(|(t, _)| held.contains(t) && !quoted.contains(t))
        .map(|(_, w)| w)
        .sum()
}

/// The not-covered answer, naming the words no episode holds and the nearest episode.
pub fn not_covered(nearest: Option<&Hit>, unknown_words: &[String]) -> String {
    let why = match unknown_words {
        [] => String::new(),
        words => format!(
            " No episode mentions {}.",
            words
                .iter()
                .map(|w| format!("“{w}”"))
                .collect::<Vec<_>>()
                .join(" or ")
        ),
    };
    match nearest {
        Some(h) => format!(
            "The episodes don't seem to cover this.{why} The nearest match is “{}” {} [1].",
            h.title,
            match h.timestamp_s {
                Some(t) if h.timestamp_exact => format!("at {}", cite::format_at(t, true)),
                Some(t) => format!("around {}", cite::format_timestamp(t)),
                None => "around the start".into(),
            }
        ),
        None => {
            "The episodes don't seem to cover this: no passage matches the question's words.".into()
        }
    }
}

/// A passage's context as sentences with word offsets. A sentence ends at a word ending in `.`,
/// `?` or `!` (closing quotes or brackets allowed); a speaker's label ("Sarah:") starts a new one
/// and a new turn. The first sentence is dropped when the context starts inside the transcript,
/// the last when it is unfinished: neither may be whole.
fn split<'a>(p: &Passage<'a>) -> Vec<Sentence<'a>> {
    let text = p.context;
    let mut out = Vec::new();
    let (mut start, mut start_word, mut turn) = (None::<usize>, 0i64, 0usize);
    let mut word = p.context_start;
    let mut finished = true;
    for (at, w) in words_with_offsets(text) {
        if is_label(w) {
            if let Some(s) = start.take() {
                out.push(sentence(text, s, at, start_word, word, turn));
            }
            turn += 1;
        }
        if start.is_none() {
            start = Some(at);
            start_word = word;
        }
        word += 1;
        finished = ends_sentence(w);
        if finished {
            if let Some(s) = start.take() {
                out.push(sentence(text, s, at + w.len(), start_word, word, turn));
            }
        }
    }
    if let Some(s) = start {
        out.push(sentence(text, s, text.len(), start_word, word, turn));
    }
    if p.context_start > 0 && !out.is_empty() {
        out.remove(0);
    }
    if !finished {
        out.pop();
    }
    out
}

fn sentence(
    text: &str,
    from: usize,
    to: usize,
    start_word: i64,
    end_word: i64,
    turn: usize,
) -> Sentence<'_> {
    let text = &text[from..to];
    Sentence {
        asks: text
            .trim_end_matches(['"', '”', '’', ')', ']'])
            .ends_with('?'),
        text,
        start_word,
        end_word,
        turn,
        matched: 0.0,
    }
}

fn words_with_offsets(text: &str) -> impl Iterator<Item = (usize, &str)> {
    text.split_whitespace()
        .map(move |w| (w.as_ptr() as usize - text.as_ptr() as usize, w))
}

fn ends_sentence(word: &str) -> bool {
    word.trim_end_matches(['"', '”', '’', ')', ']'])
        .ends_with(['.', '?', '!'])
}

/// A speaker's label: one capitalized word and a colon ("Lukas:").
fn is_label(word: &str) -> bool {
    let Some(name) = word.strip_suffix(':') else {
        return false;
    };
    name.chars().next().is_some_and(char::is_uppercase)
        && name.chars().all(char::is_alphabetic)
        && name.chars().count() <= 20
}

pub(super) fn shorten(s: &str) -> String {
    if s.chars().count() <= MAX_CHARS {
        return s.to_string();
    }
    let cut: String = s.chars().take(MAX_CHARS).collect();
    let cut = cut.rsplit_once(' ').map_or(cut.as_str(), |(a, _)| a);
    format!("{cut} …")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hit(text: &str, start_word: i64) -> Hit {
        Hit {
            url: "u".into(),
            episode_id: "e".into(),
            title: "T".into(),
            start_word,
            end_word: start_word + text.split_whitespace().count() as i64,
            timestamp_s: Some(61),
            timestamp_exact: false,
            score: 1.0,
            text: text.into(),
            link: "u".into(),
        }
    }

    fn terms(q: &str) -> Vec<(String, f64)> {
        index::index_terms(&crate::retrieve::content_words(q))
            .into_iter()
            .map(|t| (t, 1.0))
            .collect()
    }

    fn ask(q: &str, passages: &[Passage]) -> (String, Vec<Quote>) {
        excerpts(&terms(q), Expects::of(q), passages)
    }

    #[test]
    fn quotes_whole_sentences_after_the_question_asked() {
        // The context runs past the passage at both ends; its first sentence may be cut.
        let context = "the end of something. Lukas: How did Runway get started? \
                       Cris: It was my thesis at NYU. We ran models in Docker. \
                       Then we built a video editor. Lukas: Cool. Unfinished sent";
        let h = hit("Lukas: How did Runway get started? Cris: It was", 4);
        let p = Passage {
            hit: &h,
            label: 1,
            context_start: 0,
            context,
        };
        let (a, quotes) = ask("How did Runway get started?", &[p]);
        assert!(a.starts_with(EXCERPT_HEADER), "{a}");
        assert!(
            a.contains("“Cris: It was my thesis at NYU. We ran models in Docker.")
                && a.contains("[1]"),
            "{a}"
        );
        assert!(!a.contains("Unfinished"), "{a}");
        // where the quote is: "Cris:" is word 10 of the episode
        assert_eq!(quotes[0].start_word, 10);
        assert_eq!(quotes[0].source, 1);
    }

    #[test]
    fn a_run_starts_before_where_the_words_gather() {
        // The name asked for comes a sentence before the question's words.
        let context = "Lukas: What got you into this? Cris: I remember Kyle McDonald walking \
                       around with his laptop. His live camera demo just blew my mind in 2016. \
                       So I quit my job. Lukas: Wow.";
        let h = hit(context, 0);
        let p = Passage {
            hit: &h,
            label: 1,
            context_start: 0,
            context,
        };
        let (a, quotes) = ask("Whose live camera demo blew Cris's mind?", &[p]);
        assert!(a.contains("“Cris: I remember Kyle McDonald walking"), "{a}");
        assert_eq!(quotes[0].start_word, 6);
        // never from before the question asked
        assert!(!a.contains("What got you"), "{a}");
    }

    #[test]
    fn a_third_passage_is_quoted_only_for_words_the_others_lack() {
        let texts = [
            "Diffusion models remove noise step by step.",
            "Noise is removed slowly by diffusion.",
            "Guidance steers diffusion toward the prompt.",
        ];
        let hits: Vec<Hit> = texts
            .iter()
            .zip(["a", "b", "c"])
            .map(|(t, u)| Hit {
                url: u.into(),
                ..hit(t, 0)
            })
            .collect();
        let passages: Vec<Passage> = hits
            .iter()
            .zip(texts)
            .enumerate()
            .map(|(i, (h, t))| Passage {
                hit: h,
                label: i + 1,
                context_start: 0,
                context: t,
            })
            .collect();
        // "guidance" is only in the third passage: it is quoted
        let q = "How does diffusion remove noise with guidance?";
        let (_, quotes) = ask(q, &passages);
        assert_eq!(quotes.len(), 3, "{quotes:?}");
        assert_eq!(quotes[2].source, 3);
        // a question the first two cover: no third quote
        let q = "How does diffusion remove noise step by step?";
        let (_, quotes) = ask(q, &passages);
        assert_eq!(quotes.len(), 2, "{quotes:?}");
    }

    #[test]
    fn the_same_words_are_never_quoted_twice() {
        // Two adjacent passages of one episode whose best runs would be the same sentences.
        let context = "Diffusion removes noise. It does so step by step. Then it stops. Fine.";
        let (a, b) = (
            hit("Diffusion removes noise. It does", 0),
            hit("so step by step. Then", 5),
        );
        let passages = [
            Passage {
                hit: &a,
                label: 1,
                context_start: 0,
                context,
            },
            Passage {
                hit: &b,
                label: 2,
                context_start: 0,
                context,
            },
        ];
        let (text, quotes) = ask("How does diffusion remove noise?", &passages);
        assert_eq!(quotes.len(), 1, "{text}");
        assert_eq!(
            text.matches("Diffusion removes noise.").count(),
            1,
            "{text}"
        );
    }

    #[test]
    fn sentences_match_words_as_the_index_does() {
        // "studies" and "study" share the index stem "studi"
        let text = "Nothing here at all today, my friends. One study found that noise helps a lot.";
        let h = hit(text, 0);
        let p = Passage {
            hit: &h,
            label: 2,
            context_start: 0,
            context: text,
        };
        let (a, _) = ask("What did the studies find?", &[p]);
        assert!(
            a.contains("One study found that noise helps a lot.” [2]"),
            "{a}"
        );
    }

    #[test]
    fn a_who_question_is_anchored_where_a_name_is() {
        // More question words gather in the first sentence; the name asked for is in the last,
        // out of reach of a run anchored at the first.
        let filler = "We talked about many other things that day. ".repeat(16);
        let context = format!(
            "That demo really blew my mind. {filler}Then Kyle McDonald showed a live demo."
        );
        let h = hit(&context, 0);
        let p = || Passage {
            hit: &h,
            label: 1,
            context_start: 0,
            context: &context,
        };
        let q = "Whose live demo blew your mind?";
        let (a, _) = ask(q, &[p()]);
        assert!(a.contains("Kyle McDonald showed"), "{a}");
        // without the expected answer type, the words win
        let (a, _) = excerpts(&terms(q), Expects::Anything, &[p()]);
        assert!(!a.contains("Kyle McDonald"), "{a}");
        assert!(a.contains("That demo really blew my mind."), "{a}");
    }

    #[test]
    fn a_long_anchor_sentence_is_quoted_not_only_what_leads_to_it() {
        // Three short sentences, then the answer in one 85-word sentence: going back a third
        // of the 100-word budget would leave no room for the anchor.
        let lead = "We had a few short things to say first. ".repeat(3);
        let long = format!(
            "Rotoscoping by hand takes weeks{}.",
            " and the masks need fixing frame by frame".repeat(10)
        );
        let context = format!("{lead}{long}");
        let h = hit(&context, 0);
        let p = Passage {
            hit: &h,
            label: 1,
            context_start: 0,
            context: &context,
        };
        let (a, quotes) = ask("How long does rotoscoping take?", &[p]);
        assert!(a.contains("Rotoscoping by hand takes weeks"), "{a}");
        // one lead sentence (9 words) still fits before it
        assert_eq!(quotes[0].start_word, 18, "{a}");
    }

    #[test]
    fn not_covered_names_the_nearest_episode() {
        assert!(not_covered(Some(&hit("x", 0)), &[]).contains("“T” around ≈1:01"));
        assert!(not_covered(None, &[]).contains("don't seem to cover"));
        let why = not_covered(Some(&hit("x", 0)), &["lora".into(), "rlhf".into()]);
        assert!(
            why.contains("No episode mentions “lora” or “rlhf”."),
            "{why}"
        );
    }
}
