//! The log lines of the LLM client's dependencies, async-openai's own included (its `Server
//! error` warning, its `failed deserialization` error), quote only what gdbot's transport hands
//! them: no key a server echoes, even without the redacting writer the binary installs.

use std::{
    io::Write,
    sync::{Arc, Mutex},
};

use gdbot::answer::LlmClient;

use crate::support::{
    config,
    fake_openai::{FakeOpenAi, LlmFault, LlmSettings},
};

const KEY: &str = "sk-test-0123456789abcdef-NOT-A-REAL-KEY";

/// A tracing writer appending to a shared buffer.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Captured {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

/// Single-threaded runtime: async-openai's stream reader task logs on this thread, so the
/// thread's default subscriber sees its lines.
#[tokio::test]
async fn dependencies_log_no_echoed_key_at_trace() {
    let logs = Captured::default();
    let writer = logs.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);
    let faults = [
        (LlmFault::ServerError, "HTTP 500"),
        (LlmFault::Status(401), "HTTP 401"),
        (LlmFault::Malformed, "broken stream"),
        (LlmFault::ErrorInStream, "error from the model"),
    ];
    for (fault, short) in faults {
        let dir = tempfile::tempdir().unwrap();
        let fake = FakeOpenAi::start(LlmSettings {
            echo_authorization: true,
            ..LlmSettings::default()
        })
        .await;
        fake.fail_next(usize::MAX, fault.clone());
        let cfg = config(
            &dir,
            &[
                ("OPENAI_API_KEY", KEY),
                ("OPENAI_BASE_URL", fake.base_url()),
                ("LLM_MAX_RETRIES", "0"),
            ],
        );
        let client = LlmClient::new(cfg.llm.as_ref().unwrap());
        let err = client.complete("system", "user", None).await.unwrap_err();
        assert_eq!(err.error.short(), short, "{fault:?}: {err}");
        let err = err.to_string();
        assert!(
            err.contains("Bearer <redacted OPENAI_API_KEY>") && !err.contains(KEY),
            "{fault:?}: {err}"
        );
        assert_eq!(
            fake.requests()[0].authorization.as_deref(),
            Some(format!("Bearer {KEY}").as_str())
        );
    }
    let text = logs.text();
    // async-openai's own lines were captured, and quote the echo redacted
    for line in ["Server error: 500", "failed deserialization of"] {
        let found = text.lines().find(|l| l.contains(line)).unwrap_or_default();
        assert!(
            found.contains("Bearer <redacted OPENAI_API_KEY>"),
            "no `{line}` line quoting the redacted echo:\n{text}"
        );
    }
    assert!(
        !text.contains(KEY) && !text.contains(&KEY[..20]),
        "the key is in the logs:\n{text}"
    );
}
