//! Streaming chat completions from any OpenAI-compatible server (OpenAI, vLLM, Ollama, llama.cpp).
//!
//! Uses async-openai's `byot` calls with lenient response types of our own: such servers send
//! fields the strict types reject (empty `finish_reason`, missing `id`, extra keys).

use std::time::Duration;

use async_openai::{
    config::OpenAIConfig,
    error::OpenAIError,
    middleware::{retry::OpenAIRetryLayer, ReqwestService},
    Client,
};
use futures::StreamExt;
use serde::Deserialize;
use serde_json::json;
use tokio::sync::mpsc::UnboundedSender;

use crate::config::LlmConfig;

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
    #[error("the server sent an empty answer")]
    Empty,
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
            LlmError::Empty => "empty answer".into(),
        }
    }
}

/// The finished completion.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Completion {
    pub text: String,
    pub prompt_tokens: Option<i64>,
    pub completion_tokens: Option<i64>,
    pub model: String,
}

#[derive(Clone)]
pub struct LlmClient {
    client: Client<OpenAIConfig>,
    cfg: LlmConfig,
}

impl std::fmt::Debug for LlmClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LlmClient").field("cfg", &self.cfg).finish()
    }
}

/// One streamed chunk, every field optional.
#[derive(Debug, Deserialize)]
struct Chunk {
    #[serde(default)]
    choices: Vec<ChunkChoice>,
    usage: Option<ChunkUsage>,
    model: Option<String>,
    error: Option<serde_json::Value>,
}

#[derive(Debug, Deserialize)]
struct ChunkChoice {
    delta: Option<Delta>,
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

impl LlmClient {
    pub fn new(cfg: &LlmConfig) -> Self {
        let config = OpenAIConfig::new()
            .with_api_key(cfg.api_key.clone())
            .with_api_base(cfg.base_url.clone());
        // async-openai's retry layer: 429 (honouring Retry-After), 5xx and connection errors, with
        // exponential backoff; `complete` bounds the total time.
        let service = tower::Layer::layer(
            &OpenAIRetryLayer::new(cfg.max_retries as usize),
            ReqwestService::default(),
        );
        LlmClient {
            client: Client::with_config(config).with_http_service(service),
            cfg: cfg.clone(),
        }
    }

    pub fn model(&self) -> &str {
        &self.cfg.model
    }

    /// Stream a completion; `partial` gets the text so far after each delta. Connection errors,
    /// 429 and 5xx are retried before the stream starts; the whole call is bounded by the timeout.
    pub async fn complete(
        &self,
        system: &str,
        user: &str,
        partial: Option<&UnboundedSender<String>>,
    ) -> Result<Completion, LlmError> {
        let budget = self.cfg.timeout;
        tokio::time::timeout(budget, self.attempt(system, user, partial))
            .await
            .unwrap_or(Err(LlmError::Timeout(budget)))
    }

    async fn attempt(
        &self,
        system: &str,
        user: &str,
        partial: Option<&UnboundedSender<String>>,
    ) -> Result<Completion, LlmError> {
        let request = json!({
            "model": self.cfg.model,
            "stream": true,
            "stream_options": {"include_usage": true},
            "temperature": 0.2,
            "max_tokens": self.cfg.max_answer_tokens,
            "messages": [
                {"role": "system", "content": system},
                {"role": "user", "content": user},
            ],
        });
        let mut stream = self
            .client
            .chat()
            .create_stream_byot::<_, Chunk>(request)
            .await
            .map_err(classify)?;
        let mut out = Completion {
            text: String::new(),
            prompt_tokens: None,
            completion_tokens: None,
            model: self.cfg.model.clone(),
        };
        while let Some(item) = stream.next().await {
            let chunk = item.map_err(|e| match classify(e) {
                LlmError::Connect(m) => LlmError::Stream(m),
                other => other,
            })?;
            if let Some(err) = chunk.error {
                let msg = err
                    .get("message")
                    .and_then(|m| m.as_str())
                    .unwrap_or("unknown error");
                return Err(LlmError::InStream(msg.chars().take(200).collect()));
            }
            if let Some(m) = chunk.model.filter(|m| !m.is_empty()) {
                out.model = m;
            }
            if let Some(u) = chunk.usage {
                out.prompt_tokens = u.prompt_tokens;
                out.completion_tokens = u.completion_tokens;
            }
            let delta: String = chunk
                .choices
                .iter()
                .filter_map(|c| c.delta.as_ref()?.content.as_deref())
                .collect();
            if !delta.is_empty() {
                out.text.push_str(&delta);
                if let Some(tx) = partial {
                    let _ = tx.send(out.text.clone());
                }
            }
        }
        if out.text.trim().is_empty() {
            return Err(LlmError::Empty);
        }
        Ok(out)
    }
}

fn classify(e: OpenAIError) -> LlmError {
    match e {
        OpenAIError::ApiError(r) => LlmError::Status {
            status: r.status_code.as_u16(),
            message: r.api_error.message.chars().take(200).collect(),
        },
        OpenAIError::Reqwest(r) => match r.status() {
            Some(s) => LlmError::Status {
                status: s.as_u16(),
                message: r.to_string(),
            },
            None => LlmError::Connect(r.to_string()),
        },
        OpenAIError::JSONDeserialize(err, _) => LlmError::Stream(format!("malformed JSON: {err}")),
        OpenAIError::StreamError(s) => LlmError::Stream(s.to_string()),
        other => LlmError::Stream(other.to_string()),
    }
}
