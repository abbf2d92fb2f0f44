//! A local OpenAI-compatible server: `POST /v1/chat/completions` streaming SSE chunks
//! (`choices[0].delta.content`), then a usage chunk, then `data: [DONE]`.
//! Latency, text and faults are set at runtime, or per request by a `Responder` (a function of
//! the request body); every request body is recorded. Hostile shapes
//! too: bodies echoing the Authorization header, non-OpenAI error bodies, resets after
//! connecting, floods, refused parameters (as reasoning models and old servers refuse them).

mod flood;
mod listener;

use std::{
    sync::{Arc, Mutex, MutexGuard},
    time::{Duration, Instant},
};

use axum::{
    body::{Body, Bytes},
    extract::State,
    http::{header, StatusCode},
    response::{IntoResponse, Response},
    routing::post,
    Json, Router,
};
use futures::StreamExt;
use serde_json::{json, Value};

/// What the next responses do.
#[derive(Debug, Clone, PartialEq)]
pub enum LlmFault {
    /// HTTP 500 with an OpenAI error body.
    ServerError,
    /// HTTP 429 with `retry-after: 0`.
    RateLimited,
    /// A stream whose second event is not JSON.
    Malformed,
    /// A stream carrying `{"error": {...}}` after the first chunk.
    ErrorInStream,
    /// Send one chunk, then nothing, forever.
    Hang,
    /// Any HTTP status with an OpenAI error body.
    Status(u16),
    /// Send one chunk, then cut the connection (no `[DONE]`).
    CutStream,
    /// HTTP 429 with `retry-after: N` (seconds).
    RateLimitedFor(u64),
    /// Any status, content type and body: FastAPI's `{"detail": …}`, a proxy's HTML page.
    Raw {
        status: u16,
        content_type: &'static str,
        body: String,
    },
    /// Accept the connection, read the request, reset it without answering. Counts
    /// connections, not requests (a kept-alive connection is not reset).
    Reset,
    /// HTTP 200 streaming `total` bytes of answer text (`None`: forever) in events carrying
    /// `event_bytes` bytes of text each, then `finish_reason` and `[DONE]`.
    Flood {
        event_bytes: usize,
        total: Option<usize>,
    },
}

/// What a `Responder` makes of one request.
#[derive(Debug, Clone)]
pub enum Reply {
    /// Stream this text (as `LlmSettings::text` would be).
    Text(String),
    /// Answer with this fault.
    Fault(LlmFault),
}

/// Answers each request with a function of its JSON body (e.g. of the prompt), in place of
/// `LlmSettings::text`; an armed `fault` still comes first. Called once per request, in order.
#[derive(Clone)]
pub struct Responder(pub Arc<dyn Fn(&Value) -> Reply + Send + Sync>);

impl Responder {
    pub fn new(f: impl Fn(&Value) -> Reply + Send + Sync + 'static) -> Responder {
        Responder(Arc::new(f))
    }
}

impl std::fmt::Debug for Responder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Responder")
    }
}

#[derive(Debug, Clone)]
pub struct LlmSettings {
    pub text: String,
    /// Before the first byte of the response.
    pub latency: Duration,
    /// Between streamed chunks.
    pub chunk_delay: Duration,
    /// Words per chunk.
    pub words_per_chunk: usize,
    /// `Some((fault, n))`: the next `n` requests get `fault` (`usize::MAX` for all).
    pub fault: Option<(LlmFault, usize)>,
    /// Model name reported in chunks (default: the requested model).
    pub model_name: Option<String>,
    /// Lenient-server quirks (Ollama, llama.cpp): empty `finish_reason`, no id/created, extra keys.
    pub quirky: bool,
    /// Error bodies, error events and malformed events quote the request's Authorization header
    /// (as servers that echo the key they refused do).
    pub echo_authorization: bool,
    /// `finish_reason` of the last chunk (`"length"`: the answer hit the token limit).
    pub finish_reason: String,
    /// Request fields answered with HTTP 400 naming the field (o3-mini refuses `temperature`,
    /// old servers refuse `max_completion_tokens`).
    pub reject_params: Vec<String>,
    /// Answers per request instead of `text` (see `Responder`).
    pub responder: Option<Responder>,
}

impl Default for LlmSettings {
    fn default() -> Self {
        LlmSettings {
            text: "The guest explains that careful evaluation matters more than model size [1]. \
                   @everyone should read the transcript [2]."
                .into(),
            latency: Duration::ZERO,
            chunk_delay: Duration::from_millis(20),
            words_per_chunk: 3,
            fault: None,
            model_name: None,
            quirky: false,
            echo_authorization: false,
            finish_reason: "stop".into(),
            reject_params: Vec::new(),
            responder: None,
        }
    }
}

#[derive(Debug, Clone)]
pub struct LlmRequest {
    pub at: Instant,
    pub body: Value,
    pub authorization: Option<String>,
    /// `LlmFault::Reset` for a connection reset before its request was parsed (`body` is null).
    pub fault: Option<LlmFault>,
}

#[derive(Default)]
struct Inner {
    settings: LlmSettings,
    requests: Vec<LlmRequest>,
}

#[derive(Clone)]
pub struct FakeOpenAi {
    inner: Arc<Mutex<Inner>>,
    base_url: String,
}

impl FakeOpenAi {
    pub async fn start(settings: LlmSettings) -> FakeOpenAi {
        let inner = Arc::new(Mutex::new(Inner {
            settings,
            requests: Vec::new(),
        }));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind fake openai");
        let base_url = format!("http://{}/v1", listener.local_addr().expect("addr"));
        let app = Router::new()
            .route("/v1/chat/completions", post(chat))
            .route("/chat/completions", post(chat))
            .with_state(inner.clone());
        let listener = listener::ResettingListener {
            inner: listener,
            state: inner.clone(),
        };
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        FakeOpenAi { inner, base_url }
    }

    /// A base URL where nothing listens (connection refused), for "server down" tests.
    pub fn unreachable() -> FakeOpenAi {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("free port")
            .port();
        FakeOpenAi {
            inner: Arc::default(),
            base_url: format!("http://127.0.0.1:{port}/v1"),
        }
    }

    /// `http://127.0.0.1:PORT/v1` — the value for `OPENAI_BASE_URL`.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn set(&self, f: impl FnOnce(&mut LlmSettings)) {
        f(&mut self.lock().settings);
    }

    /// The next `n` requests fail with `fault`.
    pub fn fail_next(&self, n: usize, fault: LlmFault) {
        self.lock().settings.fault = Some((fault, n));
    }

    pub fn requests(&self) -> Vec<LlmRequest> {
        self.lock().requests.clone()
    }
}

pub(crate) fn sse(v: &Value) -> Result<Bytes, std::io::Error> {
    Ok(Bytes::from(format!("data: {v}\n\n")))
}

fn chunk(model: &str, delta: Value, finish: Value, quirky: bool) -> Value {
    if quirky {
        let finish = if finish.is_null() { json!("") } else { finish };
        return json!({"model": model, "system_fingerprint": "fp", "extra": {"a": 1},
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]});
    }
    json!({
        "id": "chatcmpl-fake", "object": "chat.completion.chunk", "created": 1_700_000_000u64, "model": model,
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]
    })
}

async fn chat(
    State(inner): State<Arc<Mutex<Inner>>>,
    headers: axum::http::HeaderMap,
    Json(body): Json<Value>,
) -> Response {
    let (mut settings, mut fault, index) = {
        let mut s = inner.lock().unwrap_or_else(|p| p.into_inner());
        let fault = match &mut s.settings.fault {
            Some((f, n)) if *n > 0 && *f != LlmFault::Reset => {
                let f = f.clone();
                *n = n.saturating_sub(1);
                Some(f)
            }
            _ => None,
        };
        s.requests.push(LlmRequest {
            at: Instant::now(),
            body: body.clone(),
            authorization: headers
                .get(header::AUTHORIZATION)
                .and_then(|v| v.to_str().ok())
                .map(String::from),
            fault: fault.clone(),
        });
        (s.settings.clone(), fault, s.requests.len() - 1)
    };
    // Outside the lock: a responder may look at the recorded requests.
    if let (None, Some(responder)) = (&fault, settings.responder.clone()) {
        match (responder.0)(&body) {
            Reply::Text(text) => settings.text = text,
            Reply::Fault(f) => {
                let mut s = inner.lock().unwrap_or_else(|p| p.into_inner());
                if let Some(r) = s.requests.get_mut(index) {
                    r.fault = Some(f.clone());
                }
                fault = Some(f);
            }
        }
    }
    tokio::time::sleep(settings.latency).await;
    let model = settings
        .model_name
        .clone()
        .unwrap_or_else(|| body["model"].as_str().unwrap_or("fake-model").to_string());
    // What an echoing server quotes back: the Authorization header as received.
    let echo = if settings.echo_authorization {
        let auth = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        format!(" (you sent `{auth}`)")
    } else {
        String::new()
    };
    if let Some(p) = settings
        .reject_params
        .iter()
        .find(|p| body.get(p.as_str()).is_some())
    {
        let err = json!({"error": {"message": format!("Unsupported parameter: '{p}' is not supported with this model."),
            "type": "invalid_request_error", "param": p, "code": "unsupported_parameter"}});
        return (StatusCode::BAD_REQUEST, Json(err)).into_response();
    }
    match fault {
        Some(LlmFault::ServerError) => {
            let err = json!({"error": {"message": format!("The server had an error{echo}"), "type": "server_error", "param": null, "code": null}});
            return (StatusCode::INTERNAL_SERVER_ERROR, Json(err)).into_response();
        }
        Some(LlmFault::Status(code)) => {
            let err = json!({"error": {"message": format!("injected failure{echo}"), "type": "server_error", "param": null, "code": null}});
            let status = StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            return (status, Json(err)).into_response();
        }
        Some(LlmFault::RateLimitedFor(secs)) => {
            let err = json!({"error": {"message": "Rate limit reached", "type": "requests", "param": null, "code": "rate_limit_exceeded"}});
            return (
                StatusCode::TOO_MANY_REQUESTS,
                [("retry-after", secs.to_string())],
                Json(err),
            )
                .into_response();
        }
        Some(LlmFault::Raw {
            status,
            content_type,
            body,
        }) => {
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            return (status, [(header::CONTENT_TYPE, content_type)], body).into_response();
        }
        Some(LlmFault::Flood { event_bytes, total }) => {
            return flood::response(&model, event_bytes, total, &settings.finish_reason);
        }
        Some(LlmFault::RateLimited) => {
            let err = json!({"error": {"message": "Rate limit reached", "type": "requests", "param": null, "code": "rate_limit_exceeded"}});
            return (
                StatusCode::TOO_MANY_REQUESTS,
                [("retry-after", "0")],
                Json(err),
            )
                .into_response();
        }
        _ => {}
    }
    let words: Vec<&str> = settings.text.split_inclusive(' ').collect();
    let mut events: Vec<Result<Bytes, std::io::Error>> = Vec::new();
    let q = settings.quirky;
    events.push(sse(&chunk(
        &model,
        json!({"role": "assistant", "content": ""}),
        Value::Null,
        q,
    )));
    for piece in words.chunks(settings.words_per_chunk.max(1)) {
        events.push(sse(&chunk(
            &model,
            json!({"content": piece.concat()}),
            Value::Null,
            q,
        )));
    }
    match fault {
        Some(LlmFault::Malformed) => {
            events.insert(2, Ok(Bytes::from(format!("data: {{not json{echo}\n\n"))))
        }
        Some(LlmFault::ErrorInStream) => {
            let err = json!({"error": {"message": format!("model overloaded{echo}"), "type": "server_error"}});
            events.insert(2, sse(&err));
        }
        _ => {}
    }
    events.push(sse(&chunk(
        &model,
        json!({}),
        json!(settings.finish_reason),
        q,
    )));
    let usage = json!({"prompt_tokens": 100, "completion_tokens": words.len(), "total_tokens": 100 + words.len()});
    events.push(sse(&json!({"id": "chatcmpl-fake", "object": "chat.completion.chunk", "created": 1_700_000_000u64,
        "model": model, "choices": [], "usage": usage})));
    events.push(Ok(Bytes::from("data: [DONE]\n\n")));

    let delay = settings.chunk_delay;
    let hang = fault == Some(LlmFault::Hang);
    if hang {
        events.truncate(2);
    }
    if fault == Some(LlmFault::CutStream) {
        events.truncate(2);
        events.push(Err(std::io::Error::new(
            std::io::ErrorKind::ConnectionReset,
            "cut",
        )));
    }
    let stream = futures::stream::iter(events).then(move |e| async move {
        tokio::time::sleep(delay).await;
        e
    });
    let stream = if hang {
        stream.chain(futures::stream::pending()).boxed()
    } else {
        stream.boxed()
    };
    Response::builder()
        .header(header::CONTENT_TYPE, "text/event-stream")
        .header(header::CACHE_CONTROL, "no-cache")
        .body(Body::from_stream(stream))
        .unwrap_or_else(|_| StatusCode::INTERNAL_SERVER_ERROR.into_response())
}
