//! WebVTT → cues: the `WEBVTT` header and its header lines (`Kind:`, `Language:`), NOTE, STYLE and
//! REGION blocks skipped, optional cue identifiers, timing lines with cue settings, cue text.
//!
//! Blocks end at an empty line. A line of spaces does not end a block: YouTube puts a `" "` line
//! inside its cues. A cue whose text runs into another timing line (no empty line between) ends
//! there; a line just before it that follows a line of spaces is taken as that cue's identifier.

use super::build::Cue;
use super::inline::{clean, CueLine};
use super::timing::{parse_timing, Mark};
use super::{malformed, quote, CaptionError};

pub fn parse(lines: &[&str], source: &str) -> Result<Vec<Cue>, CaptionError> {
    let header = check_header(lines, source)?;
    let mut cues = Vec::new();
    // The header's own lines run to the first empty line, unless a timing line comes first.
    let mut i = header + 1;
    while i < lines.len() && !lines[i].is_empty() && !lines[i].contains("-->") {
        i += 1;
    }
    while i < lines.len() {
        let line = lines[i];
        if line.is_empty() {
            i += 1;
            continue;
        }
        if ["NOTE", "STYLE", "REGION"]
            .iter()
            .any(|k| is_keyword(line, k))
        {
            while i < lines.len() && !lines[i].is_empty() {
                i += 1;
            }
            continue;
        }
        let timing_at = if line.contains("-->") {
            i
        } else if lines.get(i + 1).is_some_and(|l| l.contains("-->")) {
            i + 1 // `line` is the cue's identifier
        } else {
            return Err(malformed(
                source,
                i + 1,
                format!(
                    "expected a cue timing line like \"00:00:01.000 --> 00:00:04.000\" (or a cue identifier before one), found {}",
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
        parse_timing(lines[at], Mark::Dot).map_err(|e| malformed(source, at + 1, e))?;
    let mut text: Vec<(usize, &str)> = Vec::new();
    let mut i = at + 1;
    while i < lines.len() && !lines[i].is_empty() {
        if lines[i].contains("-->") {
            // The next cue starts without an empty line before it.
            let identifier = text.len() >= 2 && text[text.len() - 2].1.trim().is_empty();
            if identifier {
                text.pop();
                i -= 1;
            }
            break;
        }
        text.push((i, lines[i]));
        i += 1;
    }
    let mut cue_lines: Vec<CueLine> = Vec::with_capacity(text.len());
    for (index, raw) in text {
        let line = clean(raw, index + 1, true).map_err(|e| malformed(source, index + 1, e))?;
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

/// `line` is `keyword` alone or followed by a space or tab.
fn is_keyword(line: &str, keyword: &str) -> bool {
    line.strip_prefix(keyword)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with([' ', '\t']))
}

/// The first line that is not blank must be `WEBVTT`, alone or followed by a space or tab and any
/// text; returns its index. A file without it gets a hint at what it looks like instead.
fn check_header(lines: &[&str], source: &str) -> Result<usize, CaptionError> {
    let Some(at) = lines.iter().position(|l| !l.trim().is_empty()) else {
        return Err(CaptionError::Empty {
            source_name: source.to_string(),
        });
    };
    let line = lines[at].trim_start();
    if is_keyword(line, "WEBVTT") {
        return Ok(at);
    }
    let next = lines.get(at + 1).copied().unwrap_or("");
    let message = if line.bytes().all(|b| b.is_ascii_digit()) && next.contains("-->") {
        format!(
            "this looks like a SubRip file (a cue number, then {}), not WebVTT: name it .srt",
            quote(next)
        )
    } else if line.contains("-->") {
        "the WEBVTT header is missing: a WebVTT file starts with the line \"WEBVTT\"".to_string()
    } else {
        format!(
            "not a WebVTT file: it must start with the line \"WEBVTT\", found {}",
            quote(line)
        )
    };
    Err(malformed(source, at + 1, message))
}
