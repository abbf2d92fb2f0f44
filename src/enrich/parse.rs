//! The LLM's replies are untrusted: the JSON is found leniently (code fences, prose around it),
//! then every field is checked, cleaned for display (no mentions, no Markdown markup, one line)
//! and bounded. A reply that fails is an error naming what is wrong; nothing of it is kept.

use serde_json::Value;

use super::prompts::QUESTIONS_PER_CHUNK;

/// Characters kept of a chunk's summary, of the episode's summary, of a question.
pub const CHUNK_SUMMARY_MAX: usize = 1200;
pub const SUMMARY_MAX: usize = 3000;
pub const QUESTION_MAX: usize = 300;
/// Shorter than this is no summary or question.
const SUMMARY_MIN: usize = 20;
const QUESTION_MIN: usize = 10;

/// What the map step keeps of one chunk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChunkReply {
    pub summary: String,
    pub questions: Vec<String>,
}

/// Parse a map reply: `{"summary": "…", "questions": ["…", "…", "…"]}`.
pub fn map_reply(text: &str) -> Result<ChunkReply, String> {
    let value = json_object(text)?;
    let summary = value
        .get("summary")
        .and_then(Value::as_str)
        .ok_or("no \"summary\" text in the JSON")?;
    let summary = clean(summary, CHUNK_SUMMARY_MAX);
    if summary.chars().count() < SUMMARY_MIN {
        return Err(format!("the summary is too short ({summary:?})"));
    }
    let items = value
        .get("questions")
        .and_then(Value::as_array)
        .ok_or("no \"questions\" list in the JSON")?;
    let mut questions = Vec::with_capacity(QUESTIONS_PER_CHUNK);
    for item in items {
        // `"…"`, or `{"question": "…"}` as some models write it
        let Some(q) = item
            .as_str()
            .or_else(|| item.get("question").and_then(Value::as_str))
        else {
            continue;
        };
        let q = clean(strip_list_marker(q), QUESTION_MAX);
        if q.chars().count() >= QUESTION_MIN
            && q.chars().any(char::is_alphabetic)
            && !questions.contains(&q)
        {
            questions.push(q);
        }
        if questions.len() == QUESTIONS_PER_CHUNK {
            break;
        }
    }
    if questions.len() < QUESTIONS_PER_CHUNK {
        return Err(format!(
            "expected {QUESTIONS_PER_CHUNK} distinct questions, got {} usable",
            questions.len()
        ));
    }
    Ok(ChunkReply { summary, questions })
}

/// Parse a reduce reply: plain text (a JSON `{"summary": …}` or a "Summary:" label is accepted).
pub fn reduce_reply(text: &str) -> Result<String, String> {
    let trimmed = strip_fence(text.trim());
    let raw = match json_object(trimmed) {
        Ok(v) if trimmed.starts_with('{') => v
            .get("summary")
            .and_then(Value::as_str)
            .map(str::to_string)
            .ok_or("a JSON reply without \"summary\" text")?,
        _ => trimmed.to_string(),
    };
    let raw = raw.trim();
    let raw = ["Summary:", "summary:", "SUMMARY:"]
        .iter()
        .find_map(|p| raw.strip_prefix(p))
        .unwrap_or(raw);
    let summary = clean(raw, SUMMARY_MAX);
    if summary.chars().count() < SUMMARY_MIN {
        return Err(format!("the summary is too short ({summary:?})"));
    }
    Ok(summary)
}

fn strip_fence(s: &str) -> &str {
    let Some(rest) = s.strip_prefix("```") else {
        return s;
    };
    let rest = rest.trim_start_matches(|c: char| c.is_ascii_alphanumeric());
    rest.trim().strip_suffix("```").unwrap_or(rest).trim()
}

/// The first `{` to the last `}` of `text`, parsed as a JSON object.
fn json_object(text: &str) -> Result<Value, String> {
    let (Some(start), Some(end)) = (text.find('{'), text.rfind('}')) else {
        return Err("no JSON object in the reply".into());
    };
    if end < start {
        return Err("no JSON object in the reply".into());
    }
    match serde_json::from_str::<Value>(&text[start..=end]) {
        Ok(v) if v.is_object() => Ok(v),
        Ok(_) => Err("the reply's JSON is not an object".into()),
        Err(e) => Err(format!("the reply's JSON does not parse ({e})")),
    }
}

/// "1. ", "2) ", "- ", "* ", "• ", "Q1: " before a question.
fn strip_list_marker(q: &str) -> &str {
    let q = q.trim_start();
    let q = q.strip_prefix(['-', '*', '•']).unwrap_or(q);
    let rest = q.strip_prefix(['Q', 'q']).unwrap_or(q);
    let digits = rest.trim_start_matches(|c: char| c.is_ascii_digit());
    if digits.len() < rest.len() || rest.len() < q.len() {
        if let Some(after) = digits.strip_prefix(['.', ')', ':']) {
            return after.trim_start();
        }
    }
    q.trim_start()
}

/// One line of plain text: no control characters, no mentions (`<@…>`, `<#…>`, `@everyone`,
/// `@here`), no Markdown emphasis, code, spoilers, headings or links (their text is kept), at
/// most `max` characters (cut at a word, ending in "…").
pub fn clean(text: &str, max: usize) -> String {
    let mut s = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(c) = rest.chars().next() {
        if c == '<' && rest[1..].starts_with(['@', '#']) {
            // <@123>, <@!123>, <@&123>, <#123>: a mention is short
            if let Some((end, _)) = rest.char_indices().take(64).find(|&(_, c)| c == '>') {
                rest = &rest[end + 1..];
                continue;
            }
        }
        if c == '[' {
            // [text](url) → text
            if let Some(close) = rest.find(']').filter(|&i| rest[i..].starts_with("](")) {
                if let Some(paren) = rest[close..].find(')') {
                    s.push_str(&rest[1..close]);
                    rest = &rest[close + paren + 1..];
                    continue;
                }
            }
        }
        s.push(if c.is_control() { ' ' } else { c });
        rest = &rest[c.len_utf8()..];
    }
    for markup in ["**", "__", "~~", "||", "`"] {
        s = s.replace(markup, "");
    }
    let mut words: Vec<&str> = s.split_whitespace().collect();
    while words
        .first()
        .is_some_and(|w| w.chars().all(|c| c == '#' || c == '>'))
    {
        words.remove(0);
    }
    let mut out = words
        .iter()
        .map(|w| {
            let lower = w.to_lowercase();
            if lower.starts_with("@everyone") || lower.starts_with("@here") {
                &w[1..]
            } else {
                w
            }
        })
        .collect::<Vec<_>>()
        .join(" ");
    if out.chars().count() > max {
        let head: String = out.chars().take(max.saturating_sub(1)).collect();
        let cut = head
            .rfind(' ')
            .filter(|&i| i > head.len() / 2)
            .unwrap_or(head.len());
        out = format!("{}…", head[..cut].trim_end());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fenced_reply_with_prose_and_numbered_questions_parses() {
        let reply = "Sure! Here it is:\n```json\n{\"summary\": \"The guest explains **why** evaluation matters more than scale.\",\n\
                     \"questions\": [\"1. Why does evaluation matter?\", {\"question\": \"- How do they test models?\"}, \"Q3: What went wrong at first?\", \"A fourth one?\"]}\n```";
        let r = map_reply(reply).unwrap();
        assert_eq!(
            r.summary,
            "The guest explains why evaluation matters more than scale."
        );
        assert_eq!(
            r.questions,
            [
                "Why does evaluation matter?",
                "How do they test models?",
                "What went wrong at first?"
            ]
        );
    }

    #[test]
    fn malformed_replies_say_what_is_wrong() {
        for (reply, why) in [
            ("no json here", "no JSON object"),
            ("{\"summary\": \"x\", ", "no JSON object"),
            ("{\"summary\": \"unterminated}", "does not parse"),
            ("{\"questions\": [\"a?\", \"b?\", \"c?\"]}", "no \"summary\""),
            ("{\"summary\": \"A long enough summary here.\", \"questions\": \"What?\"}", "no \"questions\" list"),
            ("{\"summary\": \"A long enough summary here.\", \"questions\": [\"Why is that so?\", \"Why is that so?\", \"ok?\"]}", "got 1 usable"),
            ("{\"summary\": \"short\", \"questions\": []}", "too short"),
        ] {
            let e = map_reply(reply).unwrap_err();
            assert!(e.contains(why), "{reply}: {e}");
        }
    }

    #[test]
    fn text_is_cleaned_for_display() {
        assert_eq!(
            clean("Hi <@123> and <@&456> in <#789>: @everyone @here! ## [docs](https://x.y) `code` ||spoiler||\n\tend", 200),
            "Hi and in : everyone here! ## docs code spoiler end"
        );
        assert_eq!(clean("# Heading text", 200), "Heading text");
        assert_eq!(clean("snake_case and 2*3", 200), "snake_case and 2*3");
        let long = "word ".repeat(100);
        let cut = clean(&long, 50);
        assert!(cut.chars().count() <= 50 && cut.ends_with("word…"), "{cut}");
        assert_eq!(clean("<@", 10), "<@");
    }

    #[test]
    fn reduce_replies() {
        assert_eq!(
            reduce_reply("Summary: The episode covers evaluation and data quality.").unwrap(),
            "The episode covers evaluation and data quality."
        );
        assert_eq!(
            reduce_reply("```\n{\"summary\": \"The episode covers evaluation and data.\"}\n```")
                .unwrap(),
            "The episode covers evaluation and data."
        );
        assert!(reduce_reply("  ").is_err());
        assert!(reduce_reply("{\"text\": \"nothing\"}").is_err());
    }
}
