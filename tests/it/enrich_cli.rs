//! `gdbot enrich` as a user runs it: without an LLM it names OPENAI_API_KEY and exits 1 (a dry
//! run still works); a dry run asks the LLM nothing; a run prints calls, tokens and the cost.

use std::process::{Command, Output};

use serde_json::Value;

use crate::{
    enrich::{csv_with, map_json, responder, settings, transcript, ID},
    support::{
        fake_openai::{FakeOpenAi, LlmFault, Reply},
        run_blocking,
    },
};

/// `gdbot ARGS` in `dir` (its own database there), on a clean environment plus `env`.
fn gdbot(dir: &tempfile::TempDir, args: &[&str], env: &[(&str, &str)]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_gdbot"));
    cmd.args(args)
        .current_dir(dir.path()) // no stray .env
        .env("DATABASE_URL", crate::support::db::url(dir, "cli.db"))
        .env("DATASET_PATH", dir.path().join("new.csv"))
        .env("RUST_LOG", "error");
    for k in [
        "OPENAI_API_KEY",
        "OPENAI_BASE_URL",
        "LLM_CONCURRENCY",
        "LLM_PRICE_INPUT_PER_MTOK",
        "LLM_PRICE_OUTPUT_PER_MTOK",
        "LLM_MAX_RETRIES",
    ] {
        cmd.env_remove(k);
    }
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd
}

fn dir_with_episode(words: usize) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("new.csv"), csv_with(&transcript(words))).unwrap();
    dir
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_an_llm_enrich_names_the_key_and_exits_1_but_a_dry_run_works() {
    let dir = dir_with_episode(2_000);
    let o = run_blocking(gdbot(&dir, &["enrich", "--all"], &[])).await;
    assert_eq!(o.status.code(), Some(1), "{}", text(&o.stderr));
    let err = text(&o.stderr);
    assert!(
        err.contains("no LLM is configured") && err.contains("OPENAI_API_KEY"),
        "{err}"
    );
    assert!(o.stdout.is_empty());
    assert!(
        !dir.path().join("cli.db").exists(),
        "refused before opening anything"
    );

    let o = run_blocking(gdbot(&dir, &["enrich", "--all", "--dry-run"], &[])).await;
    assert!(o.status.success(), "{}", text(&o.stderr));
    let out = text(&o.stdout);
    assert!(
        out.contains("NEWEPISODE1  A new episode: 3 chunks (0 stored), 4 calls, 9 questions"),
        "{out}"
    );
    assert!(out.contains("  chunk   1: words 0–"), "{out}");
    assert!(out.contains("LLM calls: would make 4; tokens: ~"), "{out}");
    assert!(out.contains("set LLM_PRICE_INPUT_PER_MTOK"), "{out}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dry_run_asks_nothing_and_a_run_reports_calls_tokens_and_cost() {
    let dir = dir_with_episode(2_000);
    let fake = FakeOpenAi::start(settings(responder(|p| Reply::Text(map_json(p))))).await;
    let env = [
        ("OPENAI_API_KEY", "sk-test"),
        ("OPENAI_BASE_URL", fake.base_url()),
        ("LLM_PRICE_INPUT_PER_MTOK", "0.15"),
        ("LLM_PRICE_OUTPUT_PER_MTOK", "0.60"),
        ("LLM_CONCURRENCY", "2"),
    ];
    let o = run_blocking(gdbot(
        &dir,
        &["enrich", "--episode", ID, "--dry-run", "--json"],
        &env,
    ))
    .await;
    assert!(o.status.success(), "{}", text(&o.stderr));
    let plan: Value = serde_json::from_slice(&o.stdout).expect("JSON");
    assert!(fake.requests().is_empty(), "a dry run makes no call");
    let e = &plan["episodes"][0];
    let n = e["plan"].as_array().map_or(0, Vec::len);
    assert_eq!((e["outcome"].as_str(), n), (Some("planned"), 3), "{plan}");
    assert_eq!(plan["calls"], 4);
    assert!(plan["cost_usd"].as_f64().is_some_and(|c| c > 0.0), "{plan}");

    let o = run_blocking(gdbot(&dir, &["enrich", "--episode", ID], &env)).await;
    assert!(o.status.success(), "{}", text(&o.stderr));
    let out = text(&o.stdout);
    assert!(
        out.contains(
            "enriched NEWEPISODE1  A new episode: 3 chunks (0 reused), 4 calls, 9 questions"
        ),
        "{out}"
    );
    assert_eq!(fake.requests().len(), 4);
    // the fake reports 100 prompt tokens per call and one completion token per word
    assert!(
        out.contains("LLM calls: made 4; tokens: 400 prompt + "),
        "{out}"
    );
    assert!(out.contains("estimated cost: $0.0001"), "{out}");

    let o = run_blocking(gdbot(&dir, &["enrich", "--episode", ID, "--json"], &env)).await;
    let again: Value = serde_json::from_slice(&o.stdout).expect("JSON");
    assert_eq!(again["episodes"][0]["outcome"], "skipped", "{again}");
    assert_eq!(
        fake.requests().len(),
        4,
        "an enriched episode is not asked again"
    );

    let o = run_blocking(gdbot(&dir, &["enrich", "--all"], &env)).await;
    assert!(
        text(&o.stdout).contains("nothing to enrich"),
        "{}",
        text(&o.stdout)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_run_exits_1_and_says_how_to_resume() {
    let dir = dir_with_episode(2_000);
    let fake = FakeOpenAi::start(settings(responder(|p| {
        if p == 2 {
            Reply::Fault(LlmFault::ServerError)
        } else {
            Reply::Text(map_json(p))
        }
    })))
    .await;
    let env = [
        ("OPENAI_API_KEY", "sk-test"),
        ("OPENAI_BASE_URL", fake.base_url()),
        ("LLM_CONCURRENCY", "1"),
        ("LLM_MAX_RETRIES", "0"),
    ];
    let o = run_blocking(gdbot(&dir, &["enrich", "--all"], &env)).await;
    assert_eq!(o.status.code(), Some(1));
    let out = text(&o.stdout);
    assert!(
        out.contains("FAILED NEWEPISODE1")
            && out.contains("chunk 2 of 3")
            && out.contains("1 of 3 chunk results are stored"),
        "{out}"
    );
    assert!(out.contains("LLM calls: made 2"), "{out}");
}

/// The chunk results stored so far in `dir`'s database.
async fn stored_chunks(dir: &tempfile::TempDir) -> i64 {
    let url = crate::support::db::url(dir, "cli.db");
    crate::support::db::scalar_at(&url, "SELECT COUNT(*) FROM enrich_chunks")
        .await
        .unwrap_or(0)
}

/// Start `gdbot enrich --all`, stop it with `signal` once 2 chunk results are stored, then run it
/// again: only the chunks still missing are asked, each chunk is answered once.
async fn stop_and_resume(signal: libc::c_int) -> (Output, Output, FakeOpenAi) {
    let dir = dir_with_episode(6_000);
    let fake = FakeOpenAi::start(crate::support::fake_openai::LlmSettings {
        latency: std::time::Duration::from_millis(300),
        ..settings(responder(|p| Reply::Text(map_json(p))))
    })
    .await;
    let env = [
        ("OPENAI_API_KEY", "sk-test"),
        ("OPENAI_BASE_URL", fake.base_url()),
        ("LLM_CONCURRENCY", "1"),
    ];
    let mut cmd = gdbot(&dir, &["enrich", "--all"], &env);
    cmd.stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let child = cmd.spawn().expect("start gdbot");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while stored_chunks(&dir).await < 2 {
        assert!(std::time::Instant::now() < deadline, "no chunk stored");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    // SAFETY: kill(2) on our own child's pid, which has not been waited for yet.
    let sent = unsafe { libc::kill(child.id() as libc::pid_t, signal) };
    assert_eq!(sent, 0);
    let stopped = tokio::task::spawn_blocking(move || child.wait_with_output().expect("wait"))
        .await
        .unwrap();
    let resumed = run_blocking(gdbot(&dir, &["enrich", "--all"], &env)).await;
    (stopped, resumed, fake)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ctrl_c_or_a_crash_mid_run_resumes_without_asking_a_chunk_twice() {
    for signal in [libc::SIGINT, libc::SIGKILL] {
        let (stopped, resumed, fake) = stop_and_resume(signal).await;
        if signal == libc::SIGINT {
            assert_eq!(
                stopped.status.code(),
                Some(130),
                "{}",
                text(&stopped.stderr)
            );
            assert!(text(&stopped.stderr).contains("run the same command again to resume"));
        } else {
            assert_eq!(stopped.status.code(), None, "killed");
        }
        assert!(resumed.status.success(), "{}", text(&resumed.stderr));
        let out = text(&resumed.stdout);
        assert!(out.contains("enriched NEWEPISODE1"), "{out}");
        // Each chunk answered once over both runs; the call cut by the signal (if any) is the
        // only chunk asked twice.
        let parts: Vec<usize> = fake
            .requests()
            .iter()
            .filter_map(|r| crate::enrich::part_of(&r.body))
            .collect();
        let n = *parts.iter().max().unwrap();
        let mut twice: Vec<usize> = (1..=n)
            .filter(|p| parts.iter().filter(|q| *q == p).count() > 1)
            .collect();
        assert!(
            twice.len() <= 1,
            "signal {signal}: asked twice: {twice:?} in {parts:?}"
        );
        twice.retain(|p| *p <= 2);
        assert!(
            twice.is_empty(),
            "a stored chunk was asked again: {parts:?}"
        );
        assert!(out.contains(&format!("{n} chunks (")), "{out}");
        assert!(!out.contains("(0 reused)"), "{out}");
    }
}

/// Not a check: the figures for the notes. `gdbot enrich` on a 10,000-word episode against the
/// fake server answering after 400 ms (then 20 ms per streamed event), at LLM_CONCURRENCY 1 and 4:
/// `cargo test --test it measure_enrich -- --ignored --nocapture`
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore]
async fn measure_enrich_a_10000_word_episode() {
    for concurrency in ["1", "4"] {
        let dir = dir_with_episode(10_000);
        let fake = FakeOpenAi::start(crate::support::fake_openai::LlmSettings {
            latency: std::time::Duration::from_millis(400),
            chunk_delay: std::time::Duration::from_millis(20),
            words_per_chunk: 5,
            ..settings(responder(|p| Reply::Text(map_json(p))))
        })
        .await;
        let env = [
            ("OPENAI_API_KEY", "sk-test"),
            ("OPENAI_BASE_URL", fake.base_url()),
            ("LLM_CONCURRENCY", concurrency),
        ];
        // First use imports the file: do it before timing.
        let o = run_blocking(gdbot(&dir, &["episodes"], &env)).await;
        assert!(o.status.success());
        let started = std::time::Instant::now();
        let o = run_blocking(gdbot(&dir, &["enrich", "--all", "--json"], &env)).await;
        let took = started.elapsed();
        assert!(o.status.success(), "{}", text(&o.stderr));
        let r: Value = serde_json::from_slice(&o.stdout).expect("JSON");
        println!(
            "LLM_CONCURRENCY={concurrency}: {:.2} s wall (gdbot's own elapsed_ms {}), {} LLM calls (server saw {}), {} chunks, {} questions",
            took.as_secs_f64(),
            r["elapsed_ms"],
            r["calls"],
            fake.requests().len(),
            r["episodes"][0]["chunks"],
            r["episodes"][0]["questions"],
        );
    }
}
