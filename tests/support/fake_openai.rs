//! A local OpenAI-compatible server (`POST /v1/chat/completions`, SSE streaming) with faults.

use std::{
    collections::VecDeque,
    sync::{Arc, Mutex},
    time::Duration,
};

use axum::{
    body::Body,
    extract::State,
    http::{header, StatusCode},
    response::{IntoResponse, Response},
    routing::post,
    Json, Router,
};
use futures::{stream, StreamExt};
use serde_json::{json, Value};

/// What the server does with one request.
#[derive(Debug, Clone)]
pub enum Behavior {
    /// Stream `text` in a few chunks, waiting `delay` before the first one.
    Answer { text: String, delay: Duration },
    /// Reply with this HTTP status and an OpenAI error body.
    Status(u16),
    /// A chunk whose JSON is broken.
    Malformed,
    /// One good chunk, then an error object inside the 200 stream.
    ErrorInStream,
    /// One good chunk, then the connection is cut (no [DONE]).
    CutStream,
    /// Never answer.
    Hang,
    /// Lenient-server quirks: empty finish_reason, no id/created, extra keys.
    Quirky { text: String },
}

#[derive(Default)]
struct Inner {
    script: VecDeque<Behavior>,
    default: Option<Behavior>,
    requests: Vec<Value>,
}

#[derive(Clone, Default)]
pub struct FakeOpenAi {
    inner: Arc<Mutex<Inner>>,
    pub base_url: String,
}

impl FakeOpenAi {
    /// Start on 127.0.0.1:0; every request gets `default` unless a scripted behaviour is queued.
    pub async fn start(default: Behavior) -> FakeOpenAi {
        let inner = Arc::new(Mutex::new(Inner {
            default: Some(default),
            ..Inner::default()
        }));
        let app = Router::new()
            .route("/v1/chat/completions", post(chat))
            .with_state(inner.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        FakeOpenAi {
            inner,
            base_url: format!("http://{addr}/v1"),
        }
    }

    /// A base URL where nothing listens (connection refused).
    pub fn unreachable() -> FakeOpenAi {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        FakeOpenAi {
            base_url: format!("http://127.0.0.1:{port}/v1"),
            ..FakeOpenAi::default()
        }
    }

    /// Queue behaviours for the next requests, in order.
    pub fn script(&self, items: impl IntoIterator<Item = Behavior>) {
        self.inner.lock().unwrap().script.extend(items);
    }

    /// JSON bodies of every request received.
    pub fn requests(&self) -> Vec<Value> {
        self.inner.lock().unwrap().requests.clone()
    }
}

fn chunk(content: &str) -> String {
    let v = json!({"id": "c1", "object": "chat.completion.chunk", "created": 1, "model": "fake-model",
        "choices": [{"index": 0, "delta": {"content": content}, "finish_reason": null}]});
    format!("data: {v}\n\n")
}

fn pieces(text: &str) -> Vec<String> {
    let words: Vec<&str> = text.split_inclusive(' ').collect();
    words.chunks(3).map(|c| c.concat()).collect()
}

async fn chat(State(inner): State<Arc<Mutex<Inner>>>, Json(body): Json<Value>) -> Response {
    let behavior = {
        let mut g = inner.lock().unwrap();
        g.requests.push(body);
        g.script
            .pop_front()
            .or_else(|| g.default.clone())
            .expect("a behaviour")
    };
    let sse = |parts: Vec<Result<String, std::io::Error>>| {
        Response::builder()
            .header(header::CONTENT_TYPE, "text/event-stream")
            .body(Body::from_stream(stream::iter(parts)))
            .expect("response")
    };
    match behavior {
        Behavior::Answer { text, delay } => {
            tokio::time::sleep(delay).await;
            let mut parts: Vec<Result<String, std::io::Error>> =
                pieces(&text).iter().map(|p| Ok(chunk(p))).collect();
            let done = json!({"id": "c1", "object": "chat.completion.chunk", "created": 1, "model": "fake-model",
                "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]});
            parts.push(Ok(format!("data: {done}\n\n")));
            let usage = json!({"id": "c1", "object": "chat.completion.chunk", "created": 1, "model": "fake-model",
                "choices": [], "usage": {"prompt_tokens": 321, "completion_tokens": 42, "total_tokens": 363}});
            parts.push(Ok(format!("data: {usage}\n\n")));
            parts.push(Ok("data: [DONE]\n\n".into()));
            sse(parts)
        }
        Behavior::Quirky { text } => {
            let mut parts: Vec<Result<String, std::io::Error>> = pieces(&text)
                .iter()
                .map(|p| {
                    let v = json!({"model": "quirky", "system_fingerprint": "x", "extra": {"a": 1},
                        "choices": [{"index": 0, "delta": {"role": "assistant", "content": p}, "finish_reason": ""}]});
                    Ok(format!("data: {v}\n\n"))
                })
                .collect();
            parts.push(Ok("data: [DONE]\n\n".into()));
            sse(parts)
        }
        Behavior::Status(code) => {
            let status = StatusCode::from_u16(code).expect("status");
            let body = json!({"error": {"message": "injected failure", "type": "server_error", "param": null, "code": null}});
            (status, Json(body)).into_response()
        }
        Behavior::Malformed => sse(vec![
            Ok(chunk("Partial ")),
            Ok("data: {\"choices\": [oops\n\n".into()),
        ]),
        Behavior::ErrorInStream => sse(vec![
            Ok(chunk("Partial ")),
            Ok(format!(
                "data: {}\n\n",
                json!({"error": {"message": "model overloaded", "type": "server_error"}})
            )),
        ]),
        Behavior::CutStream => {
            // headers and one chunk go out first; then the body fails mid-stream
            let parts = stream::iter(0..2).then(|i| async move {
                if i == 0 {
                    Ok(chunk("Partial "))
                } else {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    Err(std::io::Error::new(
                        std::io::ErrorKind::ConnectionReset,
                        "cut",
                    ))
                }
            });
            Response::builder()
                .header(header::CONTENT_TYPE, "text/event-stream")
                .body(Body::from_stream(parts))
                .expect("response")
        }
        Behavior::Hang => {
            tokio::time::sleep(Duration::from_secs(3600)).await;
            StatusCode::GATEWAY_TIMEOUT.into_response()
        }
    }
}
