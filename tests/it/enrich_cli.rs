//! `gdbot enrich` as a user runs it: without an LLM it names OPENAI_API_KEY and exits 1 (a dry
//! run still works); a dry run asks the LLM nothing; a run prints calls, tokens and the cost.

use std::process::{Command, Output};

use serde_json::Value;

use crate::{
    enrich::{csv_with, map_json, responder, settings, transcript, ID},
    support::fake_openai::{FakeOpenAi, LlmFault, Reply},
};

/// `gdbot ARGS` in `dir` (its own database there), on a clean environment plus `env`.
fn gdbot(dir: &tempfile::TempDir, args: &[&str], env: &[(&str, &str)]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_gdbot"));
    cmd.args(args)
        .current_dir(dir.path()) // no stray .env
        .env(
            "DATABASE_URL",
            format!("sqlite://{}/cli.db", dir.path().display()),
        )
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

/// Run without blocking the runtime the fake serves on.
async fn output(mut cmd: Command) -> Output {
    tokio::task::spawn_blocking(move || cmd.output().expect("run gdbot"))
        .await
        .unwrap()
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
    let o = output(gdbot(&dir, &["enrich", "--all"], &[])).await;
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

    let o = output(gdbot(&dir, &["enrich", "--all", "--dry-run"], &[])).await;
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
    let o = output(gdbot(
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

    let o = output(gdbot(&dir, &["enrich", "--episode", ID], &env)).await;
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

    let o = output(gdbot(&dir, &["enrich", "--episode", ID, "--json"], &env)).await;
    let again: Value = serde_json::from_slice(&o.stdout).expect("JSON");
    assert_eq!(again["episodes"][0]["outcome"], "skipped", "{again}");
    assert_eq!(
        fake.requests().len(),
        4,
        "an enriched episode is not asked again"
    );

    let o = output(gdbot(&dir, &["enrich", "--all"], &env)).await;
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
    let o = output(gdbot(&dir, &["enrich", "--all"], &env)).await;
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
