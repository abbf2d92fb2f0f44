//! An answer's sources as the embed shows them: only the cited ones, grouped by episode (the
//! title once, then its moments, each linked: `[≈11:04](…) [1] · [≈0:28](…) [2]`), and the
//! answer's own `[n]` marks linked to their moments. Pure text; `render` puts it in the embed.

use crate::{
    answer::{cited, Answer, Source},
    cite,
};

use super::render::{truncate, FIELD_VALUE_MAX};

/// `[≈11:04](link)`, or `[11:04](link)` when the time is exact, or `[watch](link)` without one.
fn moment_link(s: &Source) -> String {
    let at = s
        .timestamp_s
        .map(|t| cite::format_at(t, s.timestamp_exact))
        .unwrap_or_else(|| "watch".into());
    format!("[{at}]({})", link_target(&s.link))
}

/// A URL safe inside `(…)` of a masked link.
fn link_target(url: &str) -> String {
    url.replace(' ', "%20")
        .replace('(', "%28")
        .replace(')', "%29")
}

/// Text shown as is: Discord markdown characters escaped (a title's `*` or `_` formats nothing).
fn plain(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(
            c,
            '\\' | '*' | '_' | '~' | '`' | '|' | '[' | ']' | '<' | '>' | '#'
        ) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// The answer's text with each `[n]` a link to source n's moment (`[[n]](link)`), if that fits
/// `max` characters; else the plain text, cut to `max`.
pub fn linked_text(text: &str, a: &Answer, max: usize) -> String {
    let mut out = String::with_capacity(text.len() + 64);
    let mut at = 0;
    for (range, n) in cited::marks(text, a.sources.len()) {
        out.push_str(&text[at..range.start]);
        out.push_str(&format!("[[{n}]]({})", link_target(&a.sources[n - 1].link)));
        at = range.end;
    }
    out.push_str(&text[at..]);
    if out.chars().count() <= max {
        out
    } else {
        truncate(text, max)
    }
}

/// The cited sources as embed fields ("Sources", then "Sources (cont.)"), an episode's title
/// and moments never split between two fields, at most `max_fields`.
pub fn cited_fields(a: &Answer, max_fields: usize) -> Vec<(String, String)> {
    let mut values: Vec<String> = Vec::new();
    for e in cited::by_episode(a) {
        let moments: Vec<String> = e
            .moments
            .iter()
            .map(|m| format!("{} [{}]", moment_link(m.source), m.label))
            .collect();
        let title = plain(&truncate(e.title, 200));
        let group = truncate(
            &format!("**{title}**\n{}", moments.join(" · ")),
            FIELD_VALUE_MAX,
        );
        match values.last_mut() {
            Some(v) if v.chars().count() + 1 + group.chars().count() <= FIELD_VALUE_MAX => {
                v.push('\n');
                v.push_str(&group);
            }
            _ => values.push(group),
        }
    }
    values.truncate(max_fields);
    values
        .into_iter()
        .enumerate()
        .map(|(i, v)| {
            let name = if i == 0 { "Sources" } else { "Sources (cont.)" };
            (name.to_string(), v)
        })
        .collect()
}
