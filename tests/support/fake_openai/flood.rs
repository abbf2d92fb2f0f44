//! `LlmFault::Flood`: a 200 stream far larger than any answer, generated lazily (the fake never
//! holds it in memory), optionally endless.

use axum::{
    body::{Body, Bytes},
    http::{header, StatusCode},
    response::{IntoResponse, Response},
};
use serde_json::json;

/// `total` bytes of answer text (`None`: forever) in events of `event_bytes` bytes of text,
/// then a chunk with `finish_reason`, a usage chunk and `[DONE]`.
pub(super) fn response(
    model: &str,
    event_bytes: usize,
    total: Option<usize>,
    finish_reason: &str,
) -> Response {
    let text = "lorem ipsum ".repeat(event_bytes.max(12) / 12);
    let event = super::sse(&json!({"model": model,
        "choices": [{"index": 0, "delta": {"content": text}, "finish_reason": null}]}))
    .unwrap_or_default();
    let ending = vec![
        super::sse(&json!({"model": model,
            "choices": [{"index": 0, "delta": {}, "finish_reason": finish_reason}]})),
        super::sse(&json!({"model": model, "choices": [],
            "usage": {"prompt_tokens": 100, "completion_tokens": 999_999}})),
        Ok(Bytes::from("data: [DONE]\n\n")),
    ];
    let events = total.map(|t| t.div_ceil(text.len().max(1)));
    let body = futures::stream::unfold(0usize, move |sent| {
        let event = event.clone();
        async move {
            if events.is_some_and(|n| sent >= n) {
                return None;
            }
            Some((Ok::<_, std::io::Error>(event), sent + 1))
        }
    });
    let body = futures::StreamExt::chain(body, futures::stream::iter(ending));
    Response::builder()
        .header(header::CONTENT_TYPE, "text/event-stream")
        .body(Body::from_stream(body))
        .unwrap_or_else(|_| StatusCode::INTERNAL_SERVER_ERROR.into_response())
}
