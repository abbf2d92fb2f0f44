//! Cues → a timed transcript: cues in time order, rolling lines taken once, one start time per
//! word (its inline timestamp, else an even share of its stretch of the cue), times kept in order.
//!
//! Rolling captions (YouTube's auto-generated track) show each line twice: a cue repeats the line
//! before above the new one, and a 10 ms cue repeats the new line alone. A file is rolling when it
//! has inline timestamps (only YouTube's rolling track has them) or when most cues open with the
//! line the cue before ended with. In a rolling file a cue's leading lines that repeat the previous
//! cue's trailing lines, and carry no timestamp, are skipped. Other files keep every line, so a line
//! said twice in a row ("No." / "No.") stays twice.

use super::inline::CueLine;
use super::{CaptionError, TimedTranscript};

/// One cue as read from the file.
#[derive(Debug, Clone)]
pub struct Cue {
    /// 1-based line of its timing line.
    pub line: usize,
    pub start: u64,
    pub end: u64,
    /// Its lines of text that have words.
    pub lines: Vec<CueLine>,
}

/// Most lines compared when looking for a rolled-over line (YouTube rolls 2, broadcast roll-up 3–4):
/// keeps a hostile cue of many lines from costing quadratic time.
const MAX_ROLL: usize = 4;

/// Warnings collected while building, each kind counted once with its first line.
#[derive(Default)]
struct Tally {
    count: usize,
    first_line: usize,
}

impl Tally {
    fn add(&mut self, line: usize) {
        if self.count == 0 {
            self.first_line = line;
        }
        self.count += 1;
    }

    fn warn(&self, warnings: &mut Vec<String>, source: &str, what: &str) {
        if self.count > 0 {
            warnings.push(format!(
                "{source}: line {}: {} {what}",
                self.first_line, self.count
            ));
        }
    }
}

pub fn build(
    mut cues: Vec<Cue>,
    source: &str,
    line_count: usize,
) -> Result<TimedTranscript, CaptionError> {
    let mut warnings = Vec::new();
    let mut unordered = Tally::default();
    for pair in cues.windows(2) {
        if pair[1].start < pair[0].start {
            unordered.add(pair[1].line);
        }
    }
    if unordered.count > 0 {
        cues.sort_by_key(|c| c.start); // stable: cues that start together keep their order
    }
    unordered.warn(
        &mut warnings,
        source,
        "cue(s) start before the cue above them; the cues were sorted by start time",
    );

    let rolling = is_rolling(&cues);
    let mut empty = Tally::default();
    let mut clamped = Tally::default();
    let mut raised = Tally::default();
    let mut text = String::new();
    let mut times: Vec<f64> = Vec::new();
    let mut previous: &[CueLine] = &[];
    let mut duration = 0;
    for cue in &cues {
        duration = duration.max(cue.end);
        if cue.lines.is_empty() {
            empty.add(cue.line);
            continue;
        }
        let skip = if rolling {
            rolled(previous, &cue.lines)
        } else {
            0
        };
        previous = &cue.lines;
        let fresh = &cue.lines[skip..];
        let first = times.len();
        time_words(cue, fresh, &mut times, &mut clamped);
        for line in fresh {
            if !text.is_empty() {
                text.push(' ');
            }
            text.push_str(&line.text);
        }
        // Overlapping cues: a word never starts before the word before it.
        let floor = first.checked_sub(1).map_or(0.0, |i| times[i]);
        let mut raised_here = false;
        for t in &mut times[first..] {
            if *t < floor {
                *t = floor;
                raised_here = true;
            }
        }
        if raised_here {
            raised.add(cue.line);
        }
    }
    empty.warn(&mut warnings, source, "cue(s) without text were skipped");
    clamped.warn(
        &mut warnings,
        source,
        "cue(s) have inline timestamps outside the cue or out of order; they were clamped",
    );
    raised.warn(
        &mut warnings,
        source,
        "cue(s) overlap the cue before; their words' times were raised to keep times in order",
    );
    if times.is_empty() {
        let reason = if cues.is_empty() {
            "it has no cues".to_string()
        } else {
            format!("its {} cue(s) have no text", cues.len())
        };
        return Err(CaptionError::NoWords {
            source_name: source.to_string(),
            line: line_count.max(1) as u64,
            reason,
        });
    }
    Ok(TimedTranscript {
        text,
        word_times: Some(times),
        duration_s: Some(duration as f64 / 1000.0),
        warnings,
    })
}

/// Rolling when any line has inline timestamps, or when at least half the cues after the first
/// open with the line the cue before ended with (and there are a few of them).
fn is_rolling(cues: &[Cue]) -> bool {
    if cues
        .iter()
        .any(|c| c.lines.iter().any(|l| !l.marks.is_empty()))
    {
        return true;
    }
    let mut pairs = 0;
    let mut carried = 0;
    let mut previous: Option<&CueLine> = None;
    for cue in cues.iter().filter(|c| !c.lines.is_empty()) {
        if let Some(before) = previous {
            pairs += 1;
            carried += usize::from(cue.lines[0].text == before.text);
        }
        previous = cue.lines.last();
    }
    pairs >= 3 && carried * 2 >= pairs
}

/// How many of `lines`' leading lines repeat `previous`' trailing lines (untimed lines only).
fn rolled(previous: &[CueLine], lines: &[CueLine]) -> usize {
    let most = MAX_ROLL.min(previous.len()).min(lines.len());
    (1..=most)
        .rev()
        .find(|&k| {
            let tail = &previous[previous.len() - k..];
            lines[..k]
                .iter()
                .zip(tail)
                .all(|(a, b)| a.marks.is_empty() && a.text == b.text)
        })
        .unwrap_or(0)
}

/// Append a start time per word of `lines` (seconds, rounded to the ms): a word with a timestamp
/// starts then, the words after it share evenly the time to the next timestamp (or the cue's end),
/// and words before the first timestamp start from the cue's start.
fn time_words(cue: &Cue, lines: &[CueLine], times: &mut Vec<f64>, clamped: &mut Tally) {
    let mut anchors: Vec<(usize, u64)> = Vec::new(); // (word index in the cue, ms)
    let mut floor = cue.start;
    let mut bad = false;
    let mut base = 0;
    for line in lines {
        for &(at, ms) in &line.marks {
            let ms = if ms < floor || ms > cue.end {
                bad = true;
                ms.clamp(floor, cue.end)
            } else {
                ms
            };
            floor = ms;
            anchors.push((base + at, ms));
        }
        base += line.words;
    }
    if bad {
        clamped.add(cue.line);
    }
    let n = base;
    if anchors.first().is_none_or(|&(at, _)| at > 0) {
        anchors.insert(0, (0, cue.start));
    }
    anchors.push((n, cue.end));
    for pair in anchors.windows(2) {
        let ((from, t0), (to, t1)) = (pair[0], pair[1]);
        let span = (to - from) as f64;
        for j in 0..to - from {
            let ms = t0 as f64 + (t1 - t0) as f64 * j as f64 / span;
            times.push(ms.round() / 1000.0);
        }
    }
}
