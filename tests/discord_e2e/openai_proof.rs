//! The fake OpenAI server, driven by gdbot's own LLM client (async-openai, streaming).
//! (Uses `LlmClient` directly: it needs no dataset.)

use std::time::{Duration, Instant};

use gdbot::{
    answer::{LlmClient, LlmError},
    config::LlmConfig,
};

use crate::support::fake_openai::{FakeOpenAi, LlmFault, LlmSettings};

fn client(llm: &FakeOpenAi, timeout: Duration, max_retries: u32) -> LlmClient {
    LlmClient::new(&LlmConfig {
        api_key: "sk-test".into(),
        base_url: llm.base_url().into(),
        model: "fake-model".into(),
        timeout,
        max_retries,
        max_answer_tokens: 100,
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fake_openai_streams_to_the_llm_client() {
    let llm = FakeOpenAi::start(LlmSettings::default()).await;
    let c = client(&llm, Duration::from_secs(5), 0);
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let done = c
        .complete("system", "user", Some(&tx))
        .await
        .expect("completion");
    assert_eq!(done.text, LlmSettings::default().text, "all deltas joined");
    assert_eq!(done.prompt_tokens, Some(100), "usage chunk parsed");
    let mut partials = Vec::new();
    while let Ok(p) = rx.try_recv() {
        partials.push(p);
    }
    assert!(partials.len() >= 3, "streamed partial text: {partials:?}");
    let reqs = llm.requests();
    assert_eq!(reqs.len(), 1);
    assert_eq!(reqs[0].body["stream"], true);
    assert_eq!(reqs[0].body["model"], "fake-model");
    assert_eq!(reqs[0].authorization.as_deref(), Some("Bearer sk-test"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fake_openai_faults_reach_the_llm_client() {
    let llm = FakeOpenAi::start(LlmSettings::default()).await;
    let c = client(&llm, Duration::from_secs(1), 1);

    // One 429 (or 500), then success: retried.
    for fault in [LlmFault::RateLimited, LlmFault::ServerError] {
        let before = llm.requests().len();
        llm.fail_next(1, fault.clone());
        c.complete("s", "u", None)
            .await
            .unwrap_or_else(|e| panic!("{fault:?} then success: {e}"));
        assert_eq!(llm.requests().len() - before, 2, "{fault:?} retried once");
    }
    // Persistent faults: an error the answerer turns into excerpts.
    for fault in [
        LlmFault::ServerError,
        LlmFault::Malformed,
        LlmFault::ErrorInStream,
        LlmFault::Hang,
    ] {
        llm.fail_next(usize::MAX, fault.clone());
        let t = Instant::now();
        let err: LlmError = c
            .complete("s", "u", None)
            .await
            .expect_err("a persistent fault fails");
        eprintln!("{fault:?}: {err} after {:?}", t.elapsed());
        assert!(
            t.elapsed() < Duration::from_secs(3),
            "{fault:?}: bounded by the timeout"
        );
    }
    // Latency is applied before the first byte.
    llm.fail_next(0, LlmFault::Hang);
    llm.set(|s| s.latency = Duration::from_millis(300));
    let t = Instant::now();
    c.complete("s", "u", None).await.expect("slow but fine");
    assert!(t.elapsed() >= Duration::from_millis(300));
}
