//! Streaming chat completions from any OpenAI-compatible server (OpenAI, LiteLLM, vLLM, Ollama,
//! llama.cpp server): one `POST /chat/completions` with `"stream": true`, server-sent events back.
//!
//! async-openai does the OpenAI part: it builds the request (URL, `Authorization`, our JSON body
//! through its `byot` calls), turns an error response into an `ApiError` with its status, and
//! parses the server-sent events into our lenient chunk types ([`stream`]). Left to itself it
//! also panics on a key with a control character (it unwraps the header), logs raw error bodies
//! (an echoed key reached the logs), reports a non-OpenAI error body as malformed JSON without
//! its status, retries only failures to connect (not a reset after connecting) with no regard
//! for our time budget, and reads streams without bound. So:
//! - its HTTP goes through our tower service ([`transport`], its `middleware` feature) instead of
//!   its own reqwest service and retry layer: error bodies of any shape are read within a bound
//!   and reduced to a short redacted message (all that async-openai then sees, reports or logs),
//!   successful bodies are capped and redacted before its SSE parser ([`body`]), transport
//!   errors come back to us unretried;
//! - the retry loop is ours (below): 429, 5xx and transport errors before a response, with
//!   backoff or the server's Retry-After, within `LLM_TIMEOUT_SECS`;
//! - the key is checked before async-openai makes a header of it, and everything a server sends
//!   is redacted again before it is kept (answer, model name, errors, partial texts).

mod body;
mod http;
mod request;
mod stream;
mod transport;

use std::{
    sync::{
        atomic::{AtomicBool, Ordering},
        Arc,
    },
    time::{Duration, Instant},
};

use async_openai::error::OpenAIError;
use secrecy::ExposeSecret;
use serde::Serialize;
use tokio::sync::mpsc::UnboundedSender;

use crate::{
    config::{LlmConfig, TokenLimitField},
    redact::Secrets,
};

use request::TokenField;
use transport::{Attempt, Refusal, Transport};

#[derive(Debug, thiserror::Error)]
pub enum LlmError {
    #[error("no answer within {0:?}")]
    Timeout(Duration),
    #[error("the server answered HTTP {status}: {message}")]
    Status { status: u16, message: String },
    #[error("cannot reach the server: {0}")]
    Connect(String),
    #[error("the stream broke: {0}")]
    Stream(String),
    #[error("the server sent an error inside the stream: {0}")]
    InStream(String),
    #[error("the server sent an empty answer{}", if *.token_limit { " (it stopped at its token limit, LLM_MAX_ANSWER_TOKENS)" } else { "" })]
    Empty { token_limit: bool },
}

impl LlmError {
    /// A few words for users (no URLs, keys or bodies).
    pub fn short(&self) -> String {
        match self {
            LlmError::Timeout(d) => format!("no answer within {} s", d.as_secs()),
            LlmError::Status { status, .. } => format!("HTTP {status}"),
            LlmError::Connect(_) => "unreachable".into(),
            LlmError::Stream(_) => "broken stream".into(),
            LlmError::InStream(_) => "error from the model".into(),
            LlmError::Empty { token_limit: false } => "empty answer".into(),
            LlmError::Empty { token_limit: true } => "empty answer: token limit reached".into(),
        }
    }
}

/// Why an answer is incomplete.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Cut {
    /// The server stopped at the token limit (`finish_reason: "length"`).
    TokenLimit,
    /// gdbot stopped reading: the answer or the stream outgrew its cap.
    SizeLimit,
}

/// Tokens the server reported (a usage chunk), kept on failures too.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TokenCounts {
    pub prompt_tokens: Option<i64>,
    pub completion_tokens: Option<i64>,
}

/// The finished completion.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Completion {
    pub text: String,
    pub usage: TokenCounts,
    pub model: String,
    /// `Some` when the text is not the whole answer.
    pub cut: Option<Cut>,
}

/// A failed call, with whatever usage the server reported before failing.
#[derive(Debug, thiserror::Error)]
#[error("{error}")]
pub struct LlmFailure {
    pub error: LlmError,
    pub usage: TokenCounts,
}

impl From<LlmError> for LlmFailure {
    fn from(error: LlmError) -> Self {
        LlmFailure {
            error,
            usage: TokenCounts::default(),
        }
    }
}

/// Most answer text kept, per token of `LLM_MAX_ANSWER_TOKENS`: 4 bytes per token (English
/// averages ~4 characters) × 4 for margin — 6,400 bytes at the default 400 tokens.
pub const ANSWER_BYTES_PER_TOKEN: usize = 4 * 4;
/// Most bytes read from one stream, per token of `LLM_MAX_ANSWER_TOKENS`: each token arrives in
/// an event of ~200–300 bytes of JSON (more with reasoning text or logprobs), × 4 for margin —
/// 1.6 MB at the default 400 tokens.
pub const STREAM_BYTES_PER_TOKEN: usize = 1024 * 4;

#[derive(Clone)]
pub struct LlmClient {
    /// `Err` when the transport could not be set up (reported on each call, never a panic).
    transport: Result<Transport, String>,
    cfg: LlmConfig,
    secrets: Secrets,
    /// Auto token field: the server refused `max_completion_tokens`; send `max_tokens` from now on.
    legacy_token_field: Arc<AtomicBool>,
}

impl std::fmt::Debug for LlmClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LlmClient").field("cfg", &self.cfg).finish()
    }
}

impl LlmClient {
    pub fn new(cfg: &LlmConfig) -> Self {
        let secrets =
            Secrets::new([("OPENAI_API_KEY", Some(cfg.api_key.expose_secret().as_str()))]);
        let stream_bytes = cfg.max_answer_tokens as usize * STREAM_BYTES_PER_TOKEN;
        LlmClient {
            transport: Transport::new(cfg, stream_bytes, secrets.clone()),
            cfg: cfg.clone(),
            secrets,
            legacy_token_field: Arc::default(),
        }
    }

    pub fn model(&self) -> &str {
        &self.cfg.model
    }

    /// Most answer text kept before the answer is marked cut.
    pub fn max_answer_bytes(&self) -> usize {
        self.cfg.max_answer_tokens as usize * ANSWER_BYTES_PER_TOKEN
    }

    /// Most bytes read from one stream before reading stops and the answer is marked cut.
    pub fn max_stream_bytes(&self) -> usize {
        self.cfg.max_answer_tokens as usize * STREAM_BYTES_PER_TOKEN
    }

    /// What users are told about a cut answer.
    pub fn cut_note(&self, cut: Cut) -> String {
        match cut {
            Cut::TokenLimit => format!(
                "The answer was cut off: the model reached its limit of {} tokens (LLM_MAX_ANSWER_TOKENS).",
                self.cfg.max_answer_tokens
            ),
            Cut::SizeLimit => format!(
                "The answer was cut off: the server sent more than gdbot reads for one answer ({} bytes of text or {} bytes of stream at LLM_MAX_ANSWER_TOKENS={}).",
                self.max_answer_bytes(),
                self.max_stream_bytes(),
                self.cfg.max_answer_tokens
            ),
        }
    }

    /// Stream a completion; `partial` gets the (redacted) text so far after each delta.
    /// 429, 5xx and transport errors before a response are retried with backoff (honouring
    /// Retry-After); the whole call is bounded by `LLM_TIMEOUT_SECS`.
    pub async fn complete(
        &self,
        system: &str,
        user: &str,
        partial: Option<&UnboundedSender<String>>,
    ) -> Result<Completion, LlmFailure> {
        let budget = self.cfg.timeout;
        let deadline = Instant::now() + budget;
        let mut out = tokio::time::timeout(budget, self.run(system, user, partial, deadline))
            .await
            .unwrap_or_else(|_| Err(LlmError::Timeout(budget).into()))?;
        out.text = self.secrets.redact(&out.text).into_owned();
        out.model = self.secrets.redact(&out.model).into_owned();
        Ok(out)
    }

    fn token_field(&self) -> TokenField {
        match self.cfg.token_limit_field {
            TokenLimitField::MaxTokens => TokenField::MaxTokens,
            TokenLimitField::MaxCompletionTokens => TokenField::MaxCompletionTokens,
            TokenLimitField::Auto if self.legacy_token_field.load(Ordering::Relaxed) => {
                TokenField::MaxTokens
            }
            TokenLimitField::Auto => TokenField::MaxCompletionTokens,
        }
    }

    async fn run(
        &self,
        system: &str,
        user: &str,
        partial: Option<&UnboundedSender<String>>,
        deadline: Instant,
    ) -> Result<Completion, LlmFailure> {
        let transport = self
            .transport
            .as_ref()
            .map_err(|e| LlmError::Connect(e.clone()))?;
        let mut retries = 0;
        loop {
            let field = self.token_field();
            let body = request::body(&self.cfg, field, system, user);
            // A client per attempt, so what its response left (error body, cap) is its own.
            let attempt = Arc::new(Attempt::default());
            let opened = transport
                .client(&attempt)
                .chat()
                .create_stream_byot::<_, stream::Chunk>(body)
                .await;
            let (error, retry_after) = match opened {
                Ok(events) => {
                    let limits = stream::Limits {
                        text_bytes: self.max_answer_bytes(),
                        stream_bytes: self.max_stream_bytes(),
                    };
                    return stream::read(
                        events,
                        &attempt,
                        &self.cfg.model,
                        limits,
                        &self.secrets,
                        partial,
                    )
                    .await;
                }
                Err(OpenAIError::ApiError(api)) => {
                    let status = api.status_code;
                    // Our transport parsed the body before async-openai saw its short message.
                    let Refusal { body, retry_after } =
                        attempt.take_refusal().unwrap_or_else(|| Refusal {
                            body: http::ErrorBody::parse(
                                api.api_error.message.as_bytes(),
                                &self.secrets,
                            ),
                            retry_after: None,
                        });
                    if status == reqwest13::StatusCode::BAD_REQUEST
                        && self.cfg.token_limit_field == TokenLimitField::Auto
                        && field == TokenField::MaxCompletionTokens
                        && body.mentions(TokenField::MaxCompletionTokens.name())
                    {
                        // A server that only knows `max_tokens` (older vLLM, llama.cpp): switch
                        // once, for good; this is not a retry.
                        tracing::info!(
                            "the server refused max_completion_tokens; sending max_tokens from now on"
                        );
                        self.legacy_token_field.store(true, Ordering::Relaxed);
                        continue;
                    }
                    let error = LlmError::Status {
                        status: status.as_u16(),
                        message: body.message.clone(),
                    };
                    let retryable = status.is_server_error()
                        || (status == reqwest13::StatusCode::TOO_MANY_REQUESTS
                            && !body.insufficient_quota);
                    if !retryable {
                        return Err(error.into());
                    }
                    (error, retry_after)
                }
                // No response at all: refused, reset or closed before the status line. Nothing
                // was generated, so sending again is safe.
                Err(OpenAIError::Reqwest(e)) if e.is_builder() => {
                    return Err(LlmError::Connect(http::describe(&e, &self.secrets)).into())
                }
                Err(OpenAIError::Reqwest(e)) => {
                    (LlmError::Connect(http::describe(&e, &self.secrets)), None)
                }
                // Nothing else comes before a response (the body always serializes).
                Err(other) => {
                    let text = self.secrets.redact(&other.to_string()).into_owned();
                    return Err(LlmError::Connect(text).into());
                }
            };
            if retries >= self.cfg.max_retries {
                return Err(error.into());
            }
            let delay = retry_after.unwrap_or_else(|| http::backoff(retries));
            if Instant::now() + delay >= deadline {
                tracing::info!(
                    delay_ms = delay.as_millis() as u64,
                    %error,
                    "not retrying the LLM call: the wait would pass LLM_TIMEOUT_SECS"
                );
                return Err(error.into());
            }
            retries += 1;
            tracing::info!(
                retry = retries,
                delay_ms = delay.as_millis() as u64,
                %error,
                "LLM call failed; retrying"
            );
            tokio::time::sleep(delay).await;
        }
    }
}
