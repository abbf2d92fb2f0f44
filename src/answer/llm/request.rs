//! The request body (async-openai's `byot` calls send it as given): only parameters every model
//! accepts, plus what the configuration asks for.
//!
//! Reasoning models (o1, o3-mini…) reject `temperature` and `max_tokens` with HTTP 400, so
//! `temperature` is sent only when `LLM_TEMPERATURE` is set, and the token limit goes in
//! `max_completion_tokens` (OpenAI's current field) unless the server only knows `max_tokens`.

use serde_json::{json, Value};

use crate::config::LlmConfig;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum TokenField {
    MaxCompletionTokens,
    MaxTokens,
}

impl TokenField {
    pub(super) fn name(self) -> &'static str {
        match self {
            TokenField::MaxCompletionTokens => "max_completion_tokens",
            TokenField::MaxTokens => "max_tokens",
        }
    }
}

/// The JSON body for a streamed chat completion.
pub(super) fn body(cfg: &LlmConfig, field: TokenField, system: &str, user: &str) -> Value {
    let mut body = json!({
        "model": cfg.model,
        "stream": true,
        "stream_options": {"include_usage": true},
        "messages": [
            {"role": "system", "content": system},
            {"role": "user", "content": user},
        ],
    });
    body[field.name()] = json!(cfg.max_answer_tokens);
    if let Some(t) = cfg.temperature {
        body["temperature"] = json!(t);
    }
    body
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{LlmConfig, TokenLimitField};

    fn cfg(temperature: Option<f32>) -> LlmConfig {
        LlmConfig {
            api_key: String::from("k").into(),
            base_url: "http://127.0.0.1:1/v1".into(),
            model: "o3-mini".into(),
            timeout: std::time::Duration::from_secs(1),
            max_retries: 0,
            max_answer_tokens: 400,
            temperature,
            token_limit_field: TokenLimitField::Auto,
        }
    }

    fn parsed(cfg: &LlmConfig, field: TokenField) -> Value {
        body(cfg, field, "sys", "user")
    }

    #[test]
    fn only_configured_parameters_are_sent() {
        let v = parsed(&cfg(None), TokenField::MaxCompletionTokens);
        assert!(v.get("temperature").is_none(), "{v}");
        assert!(v.get("max_tokens").is_none(), "{v}");
        assert_eq!(v["max_completion_tokens"], 400);
        assert_eq!(v["stream"], true);
        let v = parsed(&cfg(Some(0.2)), TokenField::MaxTokens);
        assert_eq!(v["temperature"], json!(0.2f32));
        assert_eq!(v["max_tokens"], 400);
        assert!(v.get("max_completion_tokens").is_none(), "{v}");
    }
}
