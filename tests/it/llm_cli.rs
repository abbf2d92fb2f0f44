//! The `gdbot` binary against the local OpenAI-compatible fake: no secret reaches stdout or
//! stderr whatever the server echoes, at the default log level and at trace; a key that cannot be
//! a header is a config error; async-openai's own variables (`OPENAI_ORG_ID`…) are ignored;
//! `ask --stream` prints the text while it is generated.

use std::{
    io::Read,
    process::{Command, Stdio},
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use crate::support::{
    fake_openai::{FakeOpenAi, LlmFault, LlmSettings},
    run_blocking, DATASET,
};

const KEY: &str = "sk-test-0123456789abcdef-NOT-A-REAL-KEY";
const QUESTION: &str = "What is the simple but profound insight behind diffusion models?";

/// `gdbot ARGS` in a fresh directory, with the fake as its LLM and `env` on top.
fn gdbot(
    dir: &tempfile::TempDir,
    fake: &FakeOpenAi,
    args: &[&str],
    env: &[(&str, &str)],
) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_gdbot"));
    cmd.args(args)
        .current_dir(dir.path()) // no stray .env
        .env("DATABASE_URL", crate::support::db::url(dir, "cli.db"))
        .env("DATASET_PATH", DATASET)
        .env("OPENAI_API_KEY", KEY)
        .env("OPENAI_BASE_URL", fake.base_url())
        .env("LLM_TIMEOUT_SECS", "10");
    for k in [
        "RUST_LOG",
        "DISCORD_TOKEN",
        "OPENAI_MODEL",
        "LLM_MAX_RETRIES",
        "CONTEXT_TOKENS",
    ] {
        cmd.env_remove(k);
    }
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_secret_reaches_the_output_whatever_the_server_echoes() {
    let echoed_answer = format!("Your key is Bearer {KEY}, see [1].");
    let shapes: [(&str, Option<LlmFault>, &str); 5] = [
        ("401 body", Some(LlmFault::Status(401)), "unused"),
        ("500 body", Some(LlmFault::ServerError), "unused"),
        (
            "error object inside the stream",
            Some(LlmFault::ErrorInStream),
            "unused",
        ),
        ("bad SSE data", Some(LlmFault::Malformed), "unused"),
        ("the answer itself", None, &echoed_answer),
    ];
    for level in [None, Some("trace")] {
        for (shape, fault, text) in &shapes {
            let dir = tempfile::tempdir().unwrap();
            let fake = FakeOpenAi::start(LlmSettings {
                echo_authorization: true,
                text: text.to_string(),
                chunk_delay: Duration::from_millis(1),
                ..LlmSettings::default()
            })
            .await;
            if let Some(f) = fault {
                fake.fail_next(usize::MAX, f.clone());
            }
            let mut env = vec![("LLM_MAX_RETRIES", "1")];
            if let Some(l) = level {
                env.push(("RUST_LOG", l));
            }
            let o = run_blocking(gdbot(&dir, &fake, &["ask", QUESTION], &env)).await;
            let what = format!("{shape} at RUST_LOG={level:?}");
            assert!(
                o.status.success(),
                "{what}: {}",
                String::from_utf8_lossy(&o.stderr)
            );
            let all = format!(
                "{}\n{}",
                String::from_utf8_lossy(&o.stdout),
                String::from_utf8_lossy(&o.stderr)
            );
            // the server did receive the key, and its echo reached the output redacted
            assert_eq!(
                fake.requests()[0].authorization.as_deref(),
                Some(format!("Bearer {KEY}").as_str())
            );
            assert!(
                !all.contains(KEY) && !all.contains(&KEY[..20]),
                "{what}: the key is in the output:\n{all}"
            );
            assert!(
                all.contains("Bearer <redacted OPENAI_API_KEY>"),
                "{what}: the echo should be shown redacted:\n{all}"
            );
        }
    }
}

#[tokio::test]
async fn a_key_that_cannot_be_a_header_is_a_config_error() {
    let dir = tempfile::tempdir().unwrap();
    let fake = FakeOpenAi::start(LlmSettings::default()).await;
    let key = format!("{KEY}\u{1}");
    let o = run_blocking(gdbot(
        &dir,
        &fake,
        &["ask", QUESTION],
        &[("OPENAI_API_KEY", &key)],
    ))
    .await;
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(
        err.contains("OPENAI_API_KEY") && err.contains("control character"),
        "{err}"
    );
    assert!(
        !err.contains("panicked") && !err.contains(&KEY[..20]),
        "{err}"
    );
    assert!(fake.requests().is_empty());
}

/// async-openai's configuration would read these from the environment and unwrap them into
/// headers gdbot does not document: they are ignored, a control character in them included.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn openai_org_and_project_variables_are_ignored() {
    let dir = tempfile::tempdir().unwrap();
    let fake = FakeOpenAi::start(LlmSettings::default()).await;
    let env = [
        ("OPENAI_ORG_ID", "org-\u{1}"),
        ("OPENAI_PROJECT_ID", "proj-\u{1}"),
    ];
    let o = run_blocking(gdbot(&dir, &fake, &["ask", QUESTION, "--json"], &env)).await;
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{err}");
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("one JSON document");
    assert_eq!(v["mode"], "llm", "{err}");
    assert_eq!(fake.requests().len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ask_streams_the_answer_as_it_arrives() {
    let dir = tempfile::tempdir().unwrap();
    let text = "Diffusion models learn to undo noise, one small step at a time, \
                which turns generation into many easy denoising problems [1].";
    let fake = FakeOpenAi::start(LlmSettings {
        text: text.into(),
        words_per_chunk: 2,
        chunk_delay: Duration::from_millis(150),
        ..LlmSettings::default()
    })
    .await;
    // first use imports the dataset; do it before timing the stream
    let o = run_blocking(gdbot(&dir, &fake, &["episodes"], &[])).await;
    assert!(o.status.success());
    let mut child = gdbot(&dir, &fake, &["ask", QUESTION, "--stream"], &[])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn gdbot");
    let seen = Arc::new(Mutex::new(Vec::new()));
    let reader = {
        let mut stdout = child.stdout.take().unwrap();
        let seen = seen.clone();
        std::thread::spawn(move || {
            let mut buf = [0u8; 256];
            while let Ok(n) = stdout.read(&mut buf) {
                if n == 0 {
                    break;
                }
                seen.lock().unwrap().extend_from_slice(&buf[..n]);
            }
        })
    };
    let started = Instant::now();
    let shown = |s: &Arc<Mutex<Vec<u8>>>| String::from_utf8_lossy(&s.lock().unwrap()).into_owned();
    while !shown(&seen).contains("Diffusion models") && started.elapsed() < Duration::from_secs(20)
    {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let early = shown(&seen);
    let still_running = child.try_wait().unwrap().is_none();
    assert!(
        early.contains("Diffusion models"),
        "nothing streamed: {early:?}"
    );
    assert!(
        still_running && !early.contains("denoising problems"),
        "not streamed: {early:?}"
    );
    let status = tokio::task::spawn_blocking(move || child.wait().unwrap())
        .await
        .unwrap();
    reader.join().unwrap();
    assert!(status.success());
    let out = shown(&seen);
    assert_eq!(out.matches("Diffusion models learn").count(), 1, "{out}");
    assert!(out.starts_with(text), "{out}");
    assert!(
        out.contains("Sources:") && out.contains("generated by"),
        "{out}"
    );
    // --json stays one document
    let o = run_blocking(gdbot(&dir, &fake, &["ask", QUESTION, "--json"], &[])).await;
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("one JSON document");
    assert_eq!(v["mode"], "llm");
    assert!(v["cut"].is_null());
}
