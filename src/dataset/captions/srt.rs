//! SubRip → cues: numbered blocks (`12`, `00:00:01,280 --> 00:00:04,150`, text lines) separated by
//! blank lines. Tolerant of what SubRip writers do (CRLF, a BOM, no final blank line, blank lines of
//! spaces, a missing cue number, `.` before the milliseconds, `<i>`/`<font>` tags, `{\an8}`), strict
//! about the rest: a block must start with its number or its timing line.

use super::build::Cue;
use super::inline::{clean, CueLine};
use super::timing::{parse_timing, Mark};
use super::{malformed, quote, CaptionError};

pub fn parse(lines: &[&str], source: &str) -> Result<Vec<Cue>, CaptionError> {
    if let Some(at) = lines.iter().position(|l| !is_blank(l)) {
        let first = lines[at].trim_start();
        if first.starts_with("WEBVTT") {
            return Err(malformed(
                source,
                at + 1,
                "this is a WebVTT file (it starts with \"WEBVTT\"), not SubRip: name it .vtt",
            ));
        }
    }
    let mut cues = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i];
        if is_blank(line) {
            i += 1;
            continue;
        }
        let timing_at = if line.contains("-->") {
            i
        } else if is_number(line) {
            match lines.get(i + 1) {
                Some(next) if next.contains("-->") => i + 1,
                _ => {
                    return Err(malformed(
                        source,
                        i + 2,
                        format!(
                            "cue {} has no timing line like \"00:00:01,000 --> 00:00:04,000\" after its number",
                            line.trim()
                        ),
                    ))
                }
            }
        } else {
            return Err(malformed(
                source,
                i + 1,
                format!(
                    "expected a cue number or a timing line like \"00:00:01,000 --> 00:00:04,000\", found {} (a blank line inside a cue's text?)",
                    quote(line)
                ),
            ));
        };
        i = read_cue(lines, timing_at, source, &mut cues)?;
    }
    Ok(cues)
}

/// Read the cue whose timing line is at index `at`; returns the index after its text.
fn read_cue(
    lines: &[&str],
    at: usize,
    source: &str,
    cues: &mut Vec<Cue>,
) -> Result<usize, CaptionError> {
    let (start, end) =
        parse_timing(lines[at], Mark::Comma).map_err(|e| malformed(source, at + 1, e))?;
    let mut text: Vec<(usize, &str)> = Vec::new();
    let mut i = at + 1;
    while i < lines.len() && !is_blank(lines[i]) {
        if lines[i].contains("-->") {
            // The next cue starts without a blank line; a number just before it is its number.
            if text.last().is_some_and(|(_, l)| is_number(l)) {
                text.pop();
            }
            break;
        }
        text.push((i, lines[i]));
        i += 1;
    }
    let mut cue_lines: Vec<CueLine> = Vec::with_capacity(text.len());
    for (index, raw) in text {
        let line = clean(raw, index + 1, false).map_err(|e| malformed(source, index + 1, e))?;
        if line.words > 0 {
            cue_lines.push(line);
        }
    }
    cues.push(Cue {
        line: at + 1,
        start,
        end,
        lines: cue_lines,
    });
    Ok(i)
}

fn is_blank(line: &str) -> bool {
    line.trim().is_empty()
}

/// A cue number: digits, perhaps with spaces around them.
fn is_number(line: &str) -> bool {
    let t = line.trim();
    !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit())
}
