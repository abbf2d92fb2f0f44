//! Reading a streamed completion: the lenient chunks async-openai parses from the server-sent
//! events, within two caps.
//!
//! Lenient types of our own (async-openai's `byot`): OpenAI-compatible servers send fields strict
//! types reject (empty `finish_reason`, missing `id`, extra keys). The byte stream is capped
//! before async-openai's SSE parser ([`super::body`]) and the answer text is capped here; past
//! either, reading stops, the text so far is kept and the completion is marked
//! [`Cut::SizeLimit`].

use async_openai::error::OpenAIError;
use futures::{Stream, StreamExt};
use serde::Deserialize;
use tokio::sync::mpsc::UnboundedSender;

use super::{transport::Attempt, Completion, Cut, LlmError, LlmFailure, TokenCounts};
use crate::redact::Secrets;

/// How much one stream may deliver.
#[derive(Debug, Clone, Copy)]
pub(super) struct Limits {
    pub text_bytes: usize,
    pub stream_bytes: usize,
}

/// One streamed chunk, every field optional.
#[derive(Debug, Deserialize)]
pub(super) struct Chunk {
    #[serde(default)]
    choices: Vec<ChunkChoice>,
    usage: Option<ChunkUsage>,
    model: Option<String>,
    error: Option<serde_json::Value>,
}

#[derive(Debug, Deserialize)]
struct ChunkChoice {
    delta: Option<Delta>,
    finish_reason: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Delta {
    content: Option<String>,
}

#[derive(Debug, Deserialize)]
struct ChunkUsage {
    prompt_tokens: Option<i64>,
    completion_tokens: Option<i64>,
}

/// Read the events of a successful response into a completion.
pub(super) async fn read(
    events: impl Stream<Item = Result<Chunk, OpenAIError>>,
    attempt: &Attempt,
    model: &str,
    limits: Limits,
    secrets: &Secrets,
    partial: Option<&UnboundedSender<String>>,
) -> Result<Completion, LlmFailure> {
    let mut events = std::pin::pin!(events);
    let mut out = Completion {
        text: String::new(),
        usage: TokenCounts::default(),
        model: model.to_string(),
        cut: None,
    };
    let fail = |error: LlmError, usage: TokenCounts| LlmFailure { error, usage };
    while let Some(item) = events.next().await {
        let chunk = match item {
            Ok(chunk) => chunk,
            // async-openai ends the stream at `[DONE]`, skips `keepalive` events and parses the
            // rest as JSON; what it cannot parse comes here (already redacted, see body.rs).
            Err(OpenAIError::JSONDeserialize(e, data)) => match data.trim() {
                "" => continue, // keep-alive
                "[DONE]" => break,
                data => {
                    let msg = format!("malformed JSON ({e}): {}", short(&secrets.redact(data)));
                    return Err(fail(LlmError::Stream(msg), out.usage));
                }
            },
            Err(OpenAIError::StreamError(e)) => {
                let msg = attempt.broken().unwrap_or_else(|| {
                    let text = secrets.redact(&e.to_string()).into_owned();
                    format!("bad SSE data: {}", short(&text))
                });
                return Err(fail(LlmError::Stream(msg), out.usage));
            }
            Err(other) => {
                let msg = short(&secrets.redact(&other.to_string()));
                return Err(fail(LlmError::Stream(msg), out.usage));
            }
        };
        if let Some(err) = chunk.error {
            let msg = match err.get("message") {
                Some(serde_json::Value::String(m)) => m.clone(),
                _ => err.as_str().map_or_else(|| err.to_string(), String::from),
            };
            let msg = short(&secrets.redact(&msg));
            return Err(fail(LlmError::InStream(msg), out.usage));
        }
        if let Some(m) = chunk.model.filter(|m| !m.is_empty()) {
            out.model = m;
        }
        if let Some(u) = chunk.usage {
            out.usage = TokenCounts {
                prompt_tokens: u.prompt_tokens,
                completion_tokens: u.completion_tokens,
            };
        }
        for choice in &chunk.choices {
            if matches!(
                choice.finish_reason.as_deref(),
                Some("length" | "max_tokens")
            ) {
                out.cut = Some(Cut::TokenLimit);
            }
        }
        let delta: String = chunk
            .choices
            .iter()
            .filter_map(|c| c.delta.as_ref()?.content.as_deref())
            .collect();
        if delta.is_empty() {
            continue;
        }
        let room = limits.text_bytes.saturating_sub(out.text.len());
        let full = delta.len() > room;
        out.text
            .push_str(&delta[..floor_char_boundary(&delta, room)]);
        if let Some(tx) = partial {
            let _ = tx.send(secrets.stable_prefix(&out.text));
        }
        if full {
            out.cut = Some(Cut::SizeLimit);
            break; // dropping the stream closes the connection
        }
    }
    if attempt.capped() {
        out.cut = Some(Cut::SizeLimit);
    }
    if out.text.trim().is_empty() {
        let error = match out.cut {
            Some(Cut::SizeLimit) => LlmError::Stream(format!(
                "more than {} bytes without any answer text",
                limits.stream_bytes
            )),
            cut => LlmError::Empty {
                token_limit: cut == Some(Cut::TokenLimit),
            },
        };
        return Err(fail(error, out.usage));
    }
    Ok(out)
}

/// The largest index ≤ `i` on a char boundary of `s`.
fn floor_char_boundary(s: &str, i: usize) -> usize {
    if i >= s.len() {
        return s.len();
    }
    (0..=i).rev().find(|&k| s.is_char_boundary(k)).unwrap_or(0)
}

/// A server text shortened for an error message.
fn short(text: &str) -> String {
    let one_line: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(200)
        .collect();
    if text.chars().count() > 200 {
        format!("{one_line}…")
    } else {
        one_line
    }
}
