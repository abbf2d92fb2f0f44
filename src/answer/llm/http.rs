//! HTTP details of an LLM call: error bodies (any shape) to short redacted messages, transport
//! errors to text, Retry-After, and the backoff between attempts.

use std::time::Duration;

use reqwest13::header::HeaderMap;
use serde_json::Value;

use crate::redact::Secrets;

/// Most of an error body read (an HTML error page can be large; the message is near the top).
const ERROR_BODY_MAX: usize = 16 * 1024;
/// Characters of a server's message kept in an error.
const SNIPPET_CHARS: usize = 200;

/// First wait between attempts; doubled each retry, at most [`BACKOFF_MAX`].
pub const BACKOFF_BASE: Duration = Duration::from_millis(250);
pub const BACKOFF_MAX: Duration = Duration::from_secs(8);

/// Wait before retry number `n` (0-based): 250 ms, 500 ms, 1 s … plus up to 20 % jitter so
/// clients that failed together do not retry together.
pub(super) fn backoff(n: u32) -> Duration {
    let base = BACKOFF_BASE
        .saturating_mul(2u32.saturating_pow(n))
        .min(BACKOFF_MAX);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    base + base.mul_f64(f64::from(nanos % 1000) / 5000.0)
}

/// The server's requested wait: OpenAI's `retry-after-ms`, else `Retry-After` in seconds.
pub(super) fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let get = |name: &str| {
        headers
            .get(name)?
            .to_str()
            .ok()?
            .trim()
            .parse::<f64>()
            .ok()
            .filter(|v| v.is_finite() && *v >= 0.0)
    };
    if let Some(ms) = get("retry-after-ms") {
        return Some(Duration::from_secs_f64(ms.min(3.6e6) / 1000.0));
    }
    get("retry-after").map(|s| Duration::from_secs_f64(s.min(3600.0)))
}

/// A transport error with its causes ("error sending request…: connection closed before
/// message completed"), redacted.
pub(super) fn describe(e: &reqwest13::Error, secrets: &Secrets) -> String {
    let mut text = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        let s_text = s.to_string();
        if !text.contains(&s_text) {
            text.push_str(": ");
            text.push_str(&s_text);
        }
        source = s.source();
    }
    secrets.redact(&text).into_owned()
}

/// What an error response said.
#[derive(Debug)]
pub(super) struct ErrorBody {
    /// A short, redacted, single-line message: OpenAI's `error.message`, FastAPI's `detail`, an
    /// HTML page's `<title>`, or the start of the text.
    pub message: String,
    /// 429 with `insufficient_quota`: out of credit, retrying cannot help.
    pub insufficient_quota: bool,
    /// The body as read (redacted), for matching.
    text: String,
}

impl ErrorBody {
    pub(super) async fn read(mut resp: reqwest13::Response, secrets: &Secrets) -> ErrorBody {
        let mut bytes = Vec::new();
        while bytes.len() < ERROR_BODY_MAX {
            match resp.chunk().await {
                Ok(Some(chunk)) => bytes.extend_from_slice(&chunk),
                Ok(None) | Err(_) => break,
            }
        }
        bytes.truncate(ERROR_BODY_MAX);
        ErrorBody::parse(&bytes, secrets)
    }

    pub(super) fn parse(bytes: &[u8], secrets: &Secrets) -> ErrorBody {
        let text = secrets.redact(&String::from_utf8_lossy(bytes)).into_owned();
        let json: Option<Value> = serde_json::from_str(&text).ok();
        let message = json
            .as_ref()
            .and_then(json_message)
            .or_else(|| html_title(&text))
            .unwrap_or_else(|| text.clone());
        let is_quota = |v: &Value| v.as_str() == Some("insufficient_quota");
        let insufficient_quota = json
            .as_ref()
            .is_some_and(|v| is_quota(&v["error"]["type"]) || is_quota(&v["error"]["code"]));
        let message = snippet(&message);
        ErrorBody {
            message: if message.is_empty() {
                "(empty body)".into()
            } else {
                message
            },
            insufficient_quota,
            text,
        }
    }

    /// Whether the body names `word` (e.g. the parameter a server refused).
    pub(super) fn mentions(&self, word: &str) -> bool {
        self.text.contains(word)
    }
}

/// `{"error": {"message"}}`, `{"error": "…"}`, `{"detail": …}` (FastAPI, vLLM), `{"message"}`.
fn json_message(v: &Value) -> Option<String> {
    let text = |v: &Value| match v {
        Value::String(s) => Some(s.clone()),
        Value::Null => None,
        other => Some(other.to_string()),
    };
    text(&v["error"]["message"])
        .or_else(|| v["error"].as_str().map(String::from))
        .or_else(|| text(&v["detail"]))
        .or_else(|| text(&v["message"]))
        .or_else(|| Some(v.to_string()))
}

fn html_title(text: &str) -> Option<String> {
    let lower = text.to_ascii_lowercase();
    let start = lower.find("<title")?;
    let open_end = start + lower[start..].find('>')? + 1;
    let close = open_end + lower[open_end..].find("</title")?;
    Some(text[open_end..close].to_string())
}

/// One line, no control characters, at most [`SNIPPET_CHARS`] characters.
fn snippet(text: &str) -> String {
    let line = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let clean: String = line.chars().filter(|c| !c.is_control()).collect();
    if clean.chars().count() <= SNIPPET_CHARS {
        return clean;
    }
    let mut cut: String = clean.chars().take(SNIPPET_CHARS).collect();
    cut.push('…');
    cut
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(body: &str) -> ErrorBody {
        let secrets = Secrets::new([("OPENAI_API_KEY", Some("sk-secret-123456"))]);
        ErrorBody::parse(body.as_bytes(), &secrets)
    }

    #[test]
    fn error_bodies_of_every_shape_give_a_short_message() {
        let cases = [
            (
                r#"{"error":{"message":"Incorrect API key provided: Bearer sk-secret-123456","type":"invalid_request_error"}}"#,
                "Incorrect API key provided: Bearer <redacted OPENAI_API_KEY>",
            ),
            (r#"{"detail":"Not Found"}"#, "Not Found"),
            (r#"{"error":"model not loaded"}"#, "model not loaded"),
            (
                r#"{"detail":[{"loc":["body","x"],"msg":"bad"}]}"#,
                r#"[{"loc":["body","x"],"msg":"bad"}]"#,
            ),
            (
                "<html><head><TITLE>502 Bad Gateway</TITLE></head><body>nginx</body></html>",
                "502 Bad Gateway",
            ),
            (
                "upstream connect error\r\n\tor disconnect",
                "upstream connect error or disconnect",
            ),
            ("", "(empty body)"),
        ];
        for (body, want) in cases {
            assert_eq!(parse(body).message, want, "{body}");
        }
        let long = parse(&"x".repeat(5000));
        assert_eq!(long.message.chars().count(), SNIPPET_CHARS + 1);
    }

    #[test]
    fn quota_and_mentions() {
        let b =
            parse(r#"{"error":{"message":"You exceeded your quota","type":"insufficient_quota"}}"#);
        assert!(b.insufficient_quota);
        assert!(
            !parse(r#"{"error":{"message":"Rate limit","type":"requests"}}"#).insufficient_quota
        );
        let b = parse(
            r#"{"error":{"message":"Unrecognized request argument supplied: max_completion_tokens"}}"#,
        );
        assert!(b.mentions("max_completion_tokens"));
    }

    #[test]
    fn retry_after_and_backoff() {
        let mut h = HeaderMap::new();
        assert_eq!(retry_after(&h), None);
        h.insert("retry-after", "2".parse().unwrap());
        assert_eq!(retry_after(&h), Some(Duration::from_secs(2)));
        h.insert("retry-after-ms", "150".parse().unwrap());
        assert_eq!(retry_after(&h), Some(Duration::from_millis(150)));
        for n in 0..8 {
            let d = backoff(n);
            let base = BACKOFF_BASE.saturating_mul(1 << n).min(BACKOFF_MAX);
            assert!(d >= base && d <= base.mul_f64(1.2), "{n}: {d:?}");
        }
    }
}
