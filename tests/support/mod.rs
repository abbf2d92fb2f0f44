//! Shared helpers for integration tests: temp apps, and local fakes of Discord and of an
//! OpenAI-compatible server. Each test target uses a different subset of them.
#![allow(dead_code)]

pub mod db;
pub mod fake_discord;
pub mod fake_openai;

use std::collections::HashMap;

use gdbot::{config::Config, App};

pub const DATASET: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/data/summary_que_data.csv");
pub const GOLD: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/data/dataset_questions_gold.json"
);
/// Our own dev set: passage, whole-episode and unanswerable questions (tests/data/DEV_SET.md).
pub const DEV: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/dev_questions.json");
/// 299 Practical AI episodes: topically similar distractors (tests/data/corpus/README.md).
pub const DISTRACTORS: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/data/corpus/practicalai.csv.gz"
);

/// A config with a fresh database in `dir` (`db::url`: SQLite, or Postgres on a Postgres run) plus
/// `extra` variables (no process environment).
pub fn config(dir: &tempfile::TempDir, extra: &[(&str, &str)]) -> Config {
    let mut vars: HashMap<String, String> = HashMap::new();
    vars.insert("DATABASE_URL".into(), db::url(dir, "t.db"));
    vars.insert("DATASET_PATH".into(), DATASET.into());
    for (k, v) in extra {
        vars.insert(k.to_string(), v.to_string());
    }
    Config::from_lookup(|k| vars.get(k).cloned()).expect("test config is valid")
}

/// An app on a fresh database with the shipped dataset and the 299 distractors imported.
pub async fn app_with_distractors(dir: &tempfile::TempDir) -> App {
    let app = App::open(config(dir, &[])).await.expect("open app");
    let report = app
        .import_paths(
            &[DATASET.into(), DISTRACTORS.into()],
            false,
            &indicatif::ProgressBar::hidden(),
        )
        .await
        .expect("import the dataset and the distractors");
    assert_eq!(report.episodes, 302);
    app
}

/// Run a command on a blocking thread, so a fake serving on this runtime keeps answering it.
pub async fn run_blocking(mut cmd: std::process::Command) -> std::process::Output {
    tokio::task::spawn_blocking(move || cmd.output().expect("run gdbot"))
        .await
        .unwrap()
}

/// An app on a fresh database with the shipped dataset imported.
pub async fn app_with_dataset(dir: &tempfile::TempDir, extra: &[(&str, &str)]) -> App {
    let app = App::open(config(dir, extra)).await.expect("open app");
    app.ensure_dataset()
        .await
        .expect("import the shipped dataset");
    app
}
