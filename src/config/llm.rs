//! The LLM variables (`OPENAI_*`, `LLM_*`): every one is validated whether or not a key is set,
//! so a typo is reported the day it is made, not the day a key is added.

use std::time::Duration;

use secrecy::SecretString;

use super::{err, num, ConfigError};

pub const DEFAULT_OPENAI_BASE_URL: &str = "https://api.openai.com/v1";
pub const DEFAULT_OPENAI_MODEL: &str = "gpt-4o-mini";

#[derive(Debug, Clone)]
pub struct LlmConfig {
    pub api_key: SecretString,
    /// OpenAI-compatible base URL (ends in `/v1`), without a trailing slash.
    pub base_url: String,
    pub model: String,
    /// Budget for one whole LLM call, retries included.
    pub timeout: Duration,
    pub max_retries: u32,
    pub max_answer_tokens: u32,
    /// Sent only when set: reasoning models (o1, o3-mini…) reject any `temperature`.
    pub temperature: Option<f32>,
    pub token_limit_field: TokenLimitField,
}

/// Which request field carries `LLM_MAX_ANSWER_TOKENS`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenLimitField {
    /// `max_completion_tokens` (OpenAI's current field, required by reasoning models); once a
    /// server answers 400 naming it (servers that only know `max_tokens`), `max_tokens` from then on.
    Auto,
    MaxCompletionTokens,
    MaxTokens,
}

impl TokenLimitField {
    fn parse(v: &str) -> Option<Self> {
        match v.to_ascii_lowercase().as_str() {
            "auto" => Some(TokenLimitField::Auto),
            "max_completion_tokens" => Some(TokenLimitField::MaxCompletionTokens),
            "max_tokens" => Some(TokenLimitField::MaxTokens),
            _ => None,
        }
    }
}

/// The LLM block: `None` without `OPENAI_API_KEY`, but every variable is checked either way.
pub(super) fn from_lookup(
    get: &impl Fn(&str) -> Option<String>,
) -> Result<Option<LlmConfig>, ConfigError> {
    let api_key = get("OPENAI_API_KEY");
    if let Some(key) = &api_key {
        check_key(key)?;
    }
    let base_url = base_url(get)?;
    let model = get("OPENAI_MODEL").unwrap_or_else(|| DEFAULT_OPENAI_MODEL.into());
    let timeout = Duration::from_secs(num(get, "LLM_TIMEOUT_SECS", 30, 1, 600)?);
    let max_retries = num(get, "LLM_MAX_RETRIES", 2, 0, 10)? as u32;
    let max_answer_tokens = num(get, "LLM_MAX_ANSWER_TOKENS", 400, 16, 32_768)? as u32;
    let temperature = match get("LLM_TEMPERATURE") {
        None => None,
        Some(v) => match v.parse::<f32>() {
            Ok(t) if (0.0..=2.0).contains(&t) => Some(t),
            _ => return Err(err(
                "LLM_TEMPERATURE",
                &v,
                "expected a number from 0 to 2, or leave it unset (reasoning models accept none)",
            )),
        },
    };
    let token_limit_field = match get("LLM_TOKEN_LIMIT_FIELD") {
        None => TokenLimitField::Auto,
        Some(v) => TokenLimitField::parse(&v).ok_or_else(|| {
            err(
                "LLM_TOKEN_LIMIT_FIELD",
                &v,
                "expected auto, max_completion_tokens or max_tokens",
            )
        })?,
    };
    Ok(api_key.map(|api_key| LlmConfig {
        api_key: SecretString::new(api_key),
        base_url,
        model,
        timeout,
        max_retries,
        max_answer_tokens,
        temperature,
        token_limit_field,
    }))
}

/// The key goes into an `Authorization: Bearer …` header: printable ASCII without spaces
/// (async-openai unwraps the header it makes: a control character would panic). The message
/// never shows the key.
fn check_key(key: &str) -> Result<(), ConfigError> {
    let bad = key
        .char_indices()
        .find(|(_, c)| !c.is_ascii_graphic())
        .map(|(i, c)| (key[..i].chars().count() + 1, c));
    match bad {
        None => Ok(()),
        Some((pos, c)) => {
            let what = if c.is_control() {
                format!("a control character (U+{:04X})", c as u32)
            } else if c.is_whitespace() {
                "a space".to_string()
            } else {
                format!("a non-ASCII character (U+{:04X})", c as u32)
            };
            Err(ConfigError {
                var: "OPENAI_API_KEY",
                value: "<hidden>".into(),
                reason: format!(
                    "contains {what} at character {pos}; an API key is printable ASCII without \
                     spaces — check for a stray character copied with it"
                ),
            })
        }
    }
}

fn base_url(get: &impl Fn(&str) -> Option<String>) -> Result<String, ConfigError> {
    let raw = get("OPENAI_BASE_URL").unwrap_or_else(|| DEFAULT_OPENAI_BASE_URL.into());
    let base = raw.trim_end_matches('/').to_string();
    let bad = |reason: &str| err("OPENAI_BASE_URL", &raw, reason);
    let url = reqwest::Url::parse(&base)
        .map_err(|e| bad(&format!("not a URL ({e}); e.g. https://api.openai.com/v1")))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(bad("must start with http:// or https://"));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(bad("has no host name"));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(bad(
            "must not have a ?query or #fragment (the client appends /chat/completions)",
        ));
    }
    Ok(base)
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use secrecy::ExposeSecret;

    use super::*;

    /// Through the whole `Config`, as the program reads it.
    fn llm(pairs: &[(&str, &str)]) -> Result<Option<LlmConfig>, ConfigError> {
        let m: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        crate::config::Config::from_lookup(|k| m.get(k).cloned()).map(|c| c.llm)
    }

    #[test]
    fn defaults_with_a_key() {
        let c = llm(&[("OPENAI_API_KEY", "sk-abc")]).unwrap().unwrap();
        assert_eq!(c.base_url, DEFAULT_OPENAI_BASE_URL);
        assert_eq!(c.model, DEFAULT_OPENAI_MODEL);
        assert_eq!(c.timeout, Duration::from_secs(30));
        assert_eq!((c.max_retries, c.max_answer_tokens), (2, 400));
        assert_eq!(c.temperature, None, "no temperature unless configured");
        assert_eq!(c.token_limit_field, TokenLimitField::Auto);
        assert!(llm(&[]).unwrap().is_none());
    }

    #[test]
    fn every_llm_variable_is_checked_without_a_key() {
        for (var, value) in [
            ("LLM_TIMEOUT_SECS", "abc"),
            ("LLM_TIMEOUT_SECS", "0"),
            ("LLM_MAX_RETRIES", "-1"),
            ("LLM_MAX_ANSWER_TOKENS", "lots"),
            ("OPENAI_BASE_URL", "ftp://x"),
            ("OPENAI_BASE_URL", "http://"),
            ("OPENAI_BASE_URL", "localhost:8000/v1"),
            ("OPENAI_BASE_URL", "http://h/v1?x=1"),
            ("LLM_TEMPERATURE", "hot"),
            ("LLM_TEMPERATURE", "3"),
            ("LLM_TOKEN_LIMIT_FIELD", "max_length"),
        ] {
            let e = llm(&[(var, value)]).expect_err(value);
            assert_eq!(e.var, var, "{e}");
            assert!(e.to_string().contains(value), "{e}");
            // and the same with a key
            let e = llm(&[("OPENAI_API_KEY", "sk-abc"), (var, value)]).expect_err(value);
            assert_eq!(e.var, var, "{e}");
        }
    }

    #[test]
    fn optional_fields_parse() {
        let c = llm(&[
            ("OPENAI_API_KEY", "sk-abc"),
            ("OPENAI_BASE_URL", "http://127.0.0.1:4000/v1/"),
            ("LLM_TEMPERATURE", "0.2"),
            ("LLM_TOKEN_LIMIT_FIELD", "MAX_TOKENS"),
        ])
        .unwrap()
        .unwrap();
        assert_eq!(c.base_url, "http://127.0.0.1:4000/v1");
        assert_eq!(c.temperature, Some(0.2));
        assert_eq!(c.token_limit_field, TokenLimitField::MaxTokens);
    }

    #[test]
    fn a_key_that_cannot_be_a_header_is_refused_without_showing_it() {
        for (key, what) in [
            (
                "sk-abc\u{1}def",
                "control character (U+0001) at character 7",
            ),
            ("sk-abc\u{7f}", "control character (U+007F)"),
            ("sk-abc\tdef", "control character (U+0009)"),
            ("sk-abc def", "a space at character 7"),
            ("sk-abcé", "non-ASCII character (U+00E9)"),
        ] {
            let e = llm(&[("OPENAI_API_KEY", key)]).expect_err(key);
            assert_eq!(e.var, "OPENAI_API_KEY");
            let msg = e.to_string();
            assert!(msg.contains(what), "{msg}");
            assert!(!msg.contains("sk-abc"), "the key is shown: {msg}");
        }
        // every accepted key is a valid header value
        let key = "sk-proj-AZaz09_-.~+/=";
        let c = llm(&[("OPENAI_API_KEY", key)]).unwrap().unwrap();
        assert!(reqwest::header::HeaderValue::from_str(&format!(
            "Bearer {}",
            c.api_key.expose_secret()
        ))
        .is_ok());
    }
}
