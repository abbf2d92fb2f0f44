//! What the LLM client sends and how much it takes: parameters a model accepts, answers cut by
//! the token limit or by gdbot's caps, usage kept on failures, error bodies of any shape.

use std::time::{Duration, Instant};

use gdbot::answer::{Cut, LlmClient, Mode};

use crate::support::{
    config,
    fake_openai::{FakeOpenAi, LlmFault, LlmSettings},
};

use super::answer::{llm_app, says, QUESTION};

/// `answers.answer` of every stored answer: (mode, length in bytes, prompt_tokens).
async fn stored(app: &gdbot::App) -> Vec<(String, i64, Option<i64>)> {
    app.store_for_tests().flush_log().await;
    gdbot::db!(app.store_for_tests().pool(), |c| sqlx::query_as(
        "SELECT mode, CAST(octet_length(answer) AS BIGINT), prompt_tokens FROM answers ORDER BY id",
    )
    .fetch_all(c)
    .await)
    .unwrap()
}

#[tokio::test]
async fn only_parameters_the_model_accepts_are_sent() {
    // o3-mini through LiteLLM: `temperature` (any value) and `max_tokens` are refused
    let dir = tempfile::tempdir().unwrap();
    let fake = FakeOpenAi::start(LlmSettings {
        reject_params: vec!["temperature".into(), "max_tokens".into()],
        ..says("A reasoning model's answer [1].")
    })
    .await;
    let app = llm_app(&dir, &fake, "10").await;
    let a = app.ask(QUESTION, None, None).await.unwrap();
    assert_eq!(a.mode, Mode::Llm, "{:?}", a.note);
    let reqs = fake.requests();
    assert_eq!(reqs.len(), 1);
    let body = &reqs[0].body;
    assert!(body.get("temperature").is_none(), "{body}");
    assert!(body.get("max_tokens").is_none(), "{body}");
    assert_eq!(body["max_completion_tokens"], 400);

    // configured: temperature and the old field are sent as asked
    let dir = tempfile::tempdir().unwrap();
    let fake = FakeOpenAi::start(says("Answer [1].")).await;
    let app = crate::support::app_with_dataset(
        &dir,
        &[
            ("OPENAI_API_KEY", "test-key-not-real"),
            ("OPENAI_BASE_URL", fake.base_url()),
            ("LLM_TEMPERATURE", "0.3"),
            ("LLM_TOKEN_LIMIT_FIELD", "max_tokens"),
            ("LLM_MAX_ANSWER_TOKENS", "300"),
        ],
    )
    .await;
    app.ask(QUESTION, None, None).await.unwrap();
    let body = &fake.requests()[0].body;
    assert!(
        (body["temperature"].as_f64().unwrap() - 0.3).abs() < 1e-6,
        "{body}"
    );
    assert_eq!(body["max_tokens"], 300);
    assert!(body.get("max_completion_tokens").is_none(), "{body}");
}

#[tokio::test]
async fn a_server_that_refuses_max_completion_tokens_gets_max_tokens() {
    let dir = tempfile::tempdir().unwrap();
    let fake = FakeOpenAi::start(LlmSettings {
        reject_params: vec!["max_completion_tokens".into()],
        ..says("An old server's answer [1].")
    })
    .await;
    let app = llm_app(&dir, &fake, "10").await;
    let a = app.ask(QUESTION, None, None).await.unwrap();
    assert_eq!(a.mode, Mode::Llm, "{:?}", a.note);
    let reqs = fake.requests();
    assert_eq!(reqs.len(), 2);
    assert_eq!(reqs[0].body["max_completion_tokens"], 400);
    assert_eq!(reqs[1].body["max_tokens"], 400);
    assert!(reqs[1].body.get("max_completion_tokens").is_none());
    // remembered: the next answer asks once, with max_tokens
    let a = app.ask(QUESTION, None, None).await.unwrap();
    assert_eq!(a.mode, Mode::Llm, "{:?}", a.note);
    let reqs = fake.requests();
    assert_eq!(reqs.len(), 3);
    assert_eq!(reqs[2].body["max_tokens"], 400);
}

#[tokio::test]
async fn finish_reason_length_marks_the_answer_cut() {
    let dir = tempfile::tempdir().unwrap();
    let fake = FakeOpenAi::start(LlmSettings {
        finish_reason: "length".into(),
        ..says("The guest explains that diffusion models")
    })
    .await;
    let app = llm_app(&dir, &fake, "10").await;
    let a = app.ask(QUESTION, None, None).await.unwrap();
    assert_eq!(a.mode, Mode::Llm);
    assert_eq!(a.answer, "The guest explains that diffusion models");
    assert_eq!(a.cut, Some(Cut::TokenLimit));
    let note = a.note.clone().unwrap_or_default();
    assert!(
        note.contains("cut off") && note.contains("LLM_MAX_ANSWER_TOKENS"),
        "{note}"
    );
    let json = serde_json::to_value(&a).unwrap();
    assert_eq!(json["cut"], "token_limit");
    // a complete answer says so too
    fake.set(|s| s.finish_reason = "stop".into());
    let a = app.ask(QUESTION, None, None).await.unwrap();
    assert_eq!((a.cut, a.note.clone()), (None, None));
    assert!(serde_json::to_value(&a).unwrap()["cut"].is_null());
}

/// Streams far over the cap (4 × 4 × LLM_MAX_ANSWER_TOKENS bytes of text, 1024 × 4 × … of
/// stream): reading stops, the text so far is kept and marked cut, the stored answer is bounded.
#[tokio::test]
async fn oversized_streams_are_cut_and_stored_bounded() {
    let cap = 400 * 4 * 4;
    let cases = [
        ("64 MB ending in [DONE]", Some(64 << 20), 4096),
        ("endless", None, 4096),
    ];
    for (name, total, event_bytes) in cases {
        let dir = tempfile::tempdir().unwrap();
        let fake = FakeOpenAi::start(says("unused")).await;
        fake.fail_next(1, LlmFault::Flood { event_bytes, total });
        let app = llm_app(&dir, &fake, "10").await;
        let started = Instant::now();
        let a = app.ask(QUESTION, None, None).await.unwrap();
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "{name}: {:?}",
            started.elapsed()
        );
        assert_eq!(a.mode, Mode::Llm, "{name}: {:?}", a.note);
        assert_eq!(a.cut, Some(Cut::SizeLimit), "{name}");
        assert!(a.answer.starts_with("lorem ipsum"), "{name}");
        assert!(
            a.answer.len() <= cap && a.answer.len() > cap / 2,
            "{name}: {}",
            a.answer.len()
        );
        assert!(
            a.note.clone().unwrap_or_default().contains("cut off"),
            "{name}"
        );
        let rows = stored(&app).await;
        assert_eq!(rows.len(), 1);
        assert!(
            rows[0].1 as usize <= cap,
            "{name}: stored {} bytes",
            rows[0].1
        );
    }
    // one event larger than the whole stream cap: never parsed, excerpts instead
    let dir = tempfile::tempdir().unwrap();
    let fake = FakeOpenAi::start(says("unused")).await;
    fake.fail_next(
        1,
        LlmFault::Flood {
            event_bytes: 8 << 20,
            total: Some(8 << 20),
        },
    );
    let app = llm_app(&dir, &fake, "10").await;
    let a = app.ask(QUESTION, None, None).await.unwrap();
    assert_eq!(a.mode, Mode::Extractive);
    assert!(a.note.unwrap_or_default().contains("broken stream"));
    assert!((stored(&app).await[0].1 as usize) < 20_000);
}

/// An answer that falls back after the server reported usage keeps the token counts.
#[tokio::test]
async fn usage_is_recorded_when_the_answer_falls_back() {
    let dir = tempfile::tempdir().unwrap();
    let fake = FakeOpenAi::start(says("")).await;
    let app = llm_app(&dir, &fake, "5").await;
    let a = app.ask(QUESTION, None, None).await.unwrap();
    assert_eq!(a.mode, Mode::Extractive);
    assert!(a.note.clone().unwrap_or_default().contains("empty answer"));
    assert_eq!(a.usage.prompt_tokens, Some(100));
    assert_eq!(a.usage.completion_tokens, Some(0));
    let rows = stored(&app).await;
    assert_eq!(rows[0].0, "extractive");
    assert_eq!(rows[0].2, Some(100), "prompt tokens not recorded");
}

/// Error bodies that are not OpenAI-shaped keep their HTTP status and a short message.
#[tokio::test]
async fn non_openai_error_bodies_report_the_http_status() {
    let cases = [
        (
            404,
            "application/json",
            r#"{"detail":"Not Found"}"#.to_string(),
            "HTTP 404: Not Found",
        ),
        (
            403,
            "text/html",
            format!(
                "<html><head><title>403 Forbidden</title></head><body>{}</body></html>",
                "<p>blocked</p>".repeat(500)
            ),
            "HTTP 403: 403 Forbidden",
        ),
        (401, "text/plain", "".to_string(), "HTTP 401: (empty body)"),
    ];
    for (status, content_type, body, want) in cases {
        let dir = tempfile::tempdir().unwrap();
        let fake = FakeOpenAi::start(says("unused")).await;
        fake.fail_next(
            1,
            LlmFault::Raw {
                status,
                content_type,
                body,
            },
        );
        let cfg = config(
            &dir,
            &[
                ("OPENAI_API_KEY", "test-key-not-real"),
                ("OPENAI_BASE_URL", fake.base_url()),
            ],
        );
        let client = LlmClient::new(cfg.llm.as_ref().unwrap());
        let err = client.complete("system", "user", None).await.unwrap_err();
        assert_eq!(err.to_string(), format!("the server answered {want}"));
        assert_eq!(err.error.short(), format!("HTTP {status}"));
        // and through the app: the note names the status
        fake.fail_next(
            1,
            LlmFault::Raw {
                status,
                content_type: "application/json",
                body: r#"{"detail":"Not Found"}"#.into(),
            },
        );
        let app = llm_app(&dir, &fake, "5").await;
        let a = app.ask(QUESTION, None, None).await.unwrap();
        let note = a.note.unwrap_or_default();
        assert!(note.contains(&format!("HTTP {status}")), "{note}");
    }
}
