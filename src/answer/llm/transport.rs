//! The HTTP layer under async-openai: the tower service its `middleware` feature sends every
//! request through (`Client::with_http_service`). async-openai builds the request (URL, headers,
//! our JSON body) and parses what comes back; this service executes it with our reqwest client
//! and, before async-openai sees anything:
//!
//! - an error response (not 2xx): reads at most a bounded prefix of the body, parses it whatever
//!   its shape ([`ErrorBody`]: OpenAI's `error.message`, a `{"detail"}`, an HTML title), keeps
//!   that and the Retry-After in the [`Attempt`] for our retry loop, and hands async-openai an
//!   OpenAI-shaped body with the same status carrying only the short redacted message. So
//!   async-openai reports an `ApiError` with the status (never "malformed JSON" for a proxy's
//!   page), and its own `Server error …` log line quotes nothing but that message;
//! - a success: hands over the body capped and redacted ([`super::body`]), so the SSE parser
//!   inside async-openai never buffers past the cap nor sees a secret a server echoes;
//! - a transport error (refused, reset before any response): returns it as is, for our retry
//!   loop to classify. async-openai's own retry layer is not used: ours honours the time budget.

use std::{
    sync::{
        atomic::{AtomicBool, Ordering},
        Arc, Mutex,
    },
    time::Duration,
};

use async_openai::{config::OpenAIConfig, error::OpenAIError, middleware::HttpRequestFactory};
use reqwest13::header::{HeaderValue, ACCEPT, AUTHORIZATION, CONTENT_LENGTH, CONTENT_TYPE};

use super::{
    body,
    http::{self as llm_http, ErrorBody},
};
use crate::{config::LlmConfig, redact::Secrets};
use secrecy::ExposeSecret;

/// What one request/response exchange left for the retry loop and the stream reader.
#[derive(Default)]
pub(super) struct Attempt {
    refusal: Mutex<Option<Refusal>>,
    capped: AtomicBool,
    broken: Mutex<Option<String>>,
}

/// An error response, as the server sent it (parsed, redacted).
pub(super) struct Refusal {
    pub body: ErrorBody,
    pub retry_after: Option<Duration>,
}

impl Attempt {
    pub(super) fn take_refusal(&self) -> Option<Refusal> {
        self.refusal
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take()
    }

    /// Whether the body was ended at the byte cap.
    pub(super) fn capped(&self) -> bool {
        self.capped.load(Ordering::SeqCst)
    }

    pub(super) fn set_capped(&self) {
        self.capped.store(true, Ordering::SeqCst);
    }

    /// The transport error that broke the body, described and redacted (async-openai passes
    /// on only its first line).
    pub(super) fn broken(&self) -> Option<String> {
        self.broken
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    pub(super) fn set_broken(&self, description: String) {
        *self.broken.lock().unwrap_or_else(|p| p.into_inner()) = Some(description);
    }
}

/// Our reqwest client and async-openai's configuration, shared by every call.
#[derive(Clone)]
pub(super) struct Transport {
    http: reqwest13::Client,
    config: OpenAIConfig,
    secrets: Secrets,
    stream_bytes: usize,
}

impl Transport {
    /// `Err` (a message, never a panic) when the key cannot be a header or TLS cannot be set up.
    pub(super) fn new(
        cfg: &LlmConfig,
        stream_bytes: usize,
        secrets: Secrets,
    ) -> Result<Transport, String> {
        // async-openai unwraps the header it makes of the key (a panic); the configuration
        // refuses such keys, this covers an `LlmConfig` built any other way.
        if HeaderValue::from_str(&format!("Bearer {}", cfg.api_key.expose_secret())).is_err() {
            return Err("OPENAI_API_KEY cannot be sent in an HTTP header".into());
        }
        let tls = tls().map_err(|e| format!("cannot set up TLS: {e}"))?;
        let http = reqwest13::Client::builder()
            .tls_backend_preconfigured(tls)
            .build()
            .map_err(|e| format!("cannot set up HTTP: {}", llm_http::describe(&e, &secrets)))?;
        // Every field set: `OpenAIConfig::new()` also reads OPENAI_ORG_ID / OPENAI_PROJECT_ID
        // from the environment, headers gdbot does not document (and async-openai unwraps).
        let config = OpenAIConfig::new()
            .with_api_key(cfg.api_key.expose_secret().clone())
            .with_api_base(cfg.base_url.clone())
            .with_org_id("")
            .with_project_id("");
        Ok(Transport {
            http,
            config,
            secrets,
            stream_bytes,
        })
    }

    /// An async-openai client whose requests go through this transport, reporting to `attempt`.
    /// Cheap (handles and the config cloned): one per attempt keeps each attempt's findings apart.
    pub(super) fn client(&self, attempt: &Arc<Attempt>) -> async_openai::Client<OpenAIConfig> {
        let this = self.clone();
        let attempt = attempt.clone();
        let service = tower::service_fn(move |factory: HttpRequestFactory| {
            let this = this.clone();
            let attempt = attempt.clone();
            async move { this.send(factory, attempt).await }
        });
        async_openai::Client::build(self.http.clone(), self.config.clone())
            .with_http_service(service)
    }

    async fn send(
        &self,
        factory: HttpRequestFactory,
        attempt: Arc<Attempt>,
    ) -> Result<reqwest13::Response, OpenAIError> {
        let mut request = factory.build().await?;
        let headers = request.headers_mut();
        if let Some(auth) = headers.get_mut(AUTHORIZATION) {
            auth.set_sensitive(true); // kept out of any Debug output
        }
        headers.insert(ACCEPT, HeaderValue::from_static("text/event-stream"));
        let resp = self.http.execute(request).await?;
        let status = resp.status();
        if !status.is_success() {
            let retry_after = llm_http::retry_after(resp.headers());
            let body = ErrorBody::read(resp, &self.secrets).await;
            let shaped = serde_json::json!({"error": {"message": body.message}}).to_string();
            *attempt.refusal.lock().unwrap_or_else(|p| p.into_inner()) =
                Some(Refusal { body, retry_after });
            return response(
                http::Response::builder()
                    .status(status)
                    .header(CONTENT_TYPE, "application/json"),
                reqwest13::Body::from(shaped),
            );
        }
        let mut head = http::Response::builder()
            .status(status)
            .version(resp.version());
        for (name, value) in resp.headers() {
            // the redacted body may differ in length
            if name != CONTENT_LENGTH {
                head = head.header(name, value);
            }
        }
        let body = body::capped_redacted(resp, self.stream_bytes, self.secrets.clone(), attempt);
        response(head, body)
    }
}

/// TLS as serenity's reqwest 0.12 (and the Discord clients) have it: rustls on the ring provider
/// (reqwest 0.13's default would build aws-lc-rs, a slow C build) with Mozilla's roots bundled
/// (webpki-roots: no system certificate store needed). Given to reqwest ready-made, so no
/// process-wide default provider is installed.
fn tls() -> Result<rustls::ClientConfig, rustls::Error> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let roots = rustls::RootCertStore {
        roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
    };
    Ok(rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_root_certificates(roots)
        .with_no_client_auth())
}

fn response(
    head: http::response::Builder,
    body: reqwest13::Body,
) -> Result<reqwest13::Response, OpenAIError> {
    head.body(body)
        .map(reqwest13::Response::from)
        .map_err(|e| OpenAIError::InvalidArgument(format!("cannot pass the response on: {e}")))
}
