//! SQLite and Postgres give the same answers. The rest of the suite runs on one backend per run
//! (`GDBOT_TEST_POSTGRES_URL` set: Postgres); these tests put both side by side on one corpus:
//! the episode text index ranks alike (same episodes, same BM25 scores) and retrieval quality is
//! the same figure for figure. Without a Postgres server they say once, on stderr, how to run them.

use std::{collections::HashMap, io::Write};

use gdbot::{
    config::Config,
    eval::{Gold, Scores},
    retrieve::{content_words, SearchOptions, Tuning},
    store::{testing, Store},
    App,
};

use crate::support::{DATASET, DEV, DISTRACTORS, GOLD};

/// The Postgres server of this run, or `None` after saying (once per test process, straight to
/// stderr so that it shows without `--nocapture`) that the Postgres runs are skipped and how to
/// ask for them.
fn server_or_note() -> Option<String> {
    let server = testing::postgres_server();
    if server.is_none() {
        static NOTE: std::sync::Once = std::sync::Once::new();
        NOTE.call_once(|| {
            let _ = writeln!(
                std::io::stderr(),
                "note: the Postgres runs were skipped; set {}=postgres://USER@HOST:PORT/DB (a database USER may create schemas in) to run tests/it against Postgres, or run .ci/run, which starts one",
                testing::POSTGRES_VAR
            );
        });
    }
    server
}

async fn open(url: String) -> App {
    let vars: HashMap<&str, String> = [("DATABASE_URL", url), ("DATASET_PATH", DATASET.into())]
        .into_iter()
        .collect();
    App::open(Config::from_lookup(|k| vars.get(k).cloned()).unwrap())
        .await
        .expect("open")
}

/// The same archive on SQLite and on Postgres.
async fn both(dir: &tempfile::TempDir, server: &str, files: &[&str]) -> [App; 2] {
    let apps = [
        open(format!("sqlite://{}/t.db", dir.path().display())).await,
        open(testing::fresh_postgres_url(server)).await,
    ];
    let paths: Vec<std::path::PathBuf> = files.iter().map(Into::into).collect();
    for app in &apps {
        app.import_paths(&paths, false, &indicatif::ProgressBar::hidden())
            .await
            .expect("import");
    }
    apps
}

fn questions(path: &str) -> Vec<String> {
    let gold: Vec<Gold> = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    gold.into_iter().map(|g| g.question).collect()
}

async fn scores(app: &App, path: &str) -> Scores {
    let gold: Vec<Gold> = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let options = SearchOptions {
        k: 10,
        use_questions: false,
        ..SearchOptions::default()
    };
    app.eval(&gold, &options).await.unwrap()
}

/// What the episode text index answers for `words`, every way retrieval asks it.
async fn text_answers(store: &Store, words: &[String]) -> Vec<String> {
    let mut tx = store.begin_read().await.unwrap();
    let mut out = Vec::new();
    for use_questions in [true, false] {
        let hits =
            Store::search_episodes(&mut tx, words, use_questions, Tuning::default().columns, 50)
                .await
                .unwrap();
        out.push(format!("{hits:?}"));
    }
    out.push(format!(
        "{:?}",
        Store::titles_matching(&mut tx, words, false, 40)
            .await
            .unwrap()
    ));
    if let [a, b, ..] = words {
        let pair = [a.clone(), b.clone()];
        out.push(format!(
            "{:?}",
            Store::titles_matching(&mut tx, &pair, true, 40)
                .await
                .unwrap()
        ));
    }
    for w in words {
        out.push(format!(
            "{w}: {}",
            Store::titles_or_summaries_match(&mut tx, w).await.unwrap()
        ));
    }
    tx.commit().await.unwrap();
    out
}

/// Every gold and dev question asks the episode text index of both backends the same things and
/// gets the same episodes with the same scores (Postgres computes FTS5's BM25 over FTS5's terms).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn episode_text_ranking_is_the_same_on_both() {
    let Some(server) = server_or_note() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let [sqlite, postgres] = both(&dir, &server, &[DATASET, DISTRACTORS]).await;
    let mut asked = 0;
    for q in questions(GOLD).into_iter().chain(questions(DEV)) {
        let words = content_words(&q);
        let a = text_answers(sqlite.store_for_tests(), &words).await;
        let b = text_answers(postgres.store_for_tests(), &words).await;
        assert_eq!(a, b, "{q}");
        asked += 1;
    }
    assert!(asked > 200, "{asked}");
    sqlite.close().await;
    postgres.close().await;
}

/// `gdbot eval`'s figures on the gold and dev sets, on the 3 episodes and among 299 distractors,
/// are the same on both backends (printed with `--nocapture`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retrieval_quality_is_the_same_on_both() {
    let Some(server) = server_or_note() else {
        return;
    };
    for files in [&[DATASET][..], &[DATASET, DISTRACTORS]] {
        let dir = tempfile::tempdir().unwrap();
        let [sqlite, postgres] = both(&dir, &server, files).await;
        for set in [GOLD, DEV] {
            let a = scores(&sqlite, set).await;
            let b = scores(&postgres, set).await;
            let name = set.rsplit('/').next().unwrap_or(set);
            eprintln!(
                "{} episodes, {name}: ep_at_1 {:.3} hit_at_600 {:.3} hit_at_1000 {:.3} (SQLite); {:.3} {:.3} {:.3} (Postgres)",
                sqlite.episodes().await.unwrap().len(),
                a.ep_at_1, a.hit_at_600, a.hit_at_1000, b.ep_at_1, b.hit_at_600, b.hit_at_1000
            );
            assert_eq!(a, b, "{name} on {files:?}");
        }
        sqlite.close().await;
        postgres.close().await;
    }
}

/// The suite's other tests ran on the backend this run is for; say which.
#[test]
fn backend_of_this_run() {
    if let Some(server) = server_or_note() {
        let shown = gdbot::store::redacted_url(&server);
        let _ = writeln!(
            std::io::stderr(),
            "note: tests/it ran on Postgres ({shown})"
        );
    }
}
