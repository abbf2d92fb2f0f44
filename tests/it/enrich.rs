//! `App::enrich` against the local fake OpenAI server: one call per chunk plus one reduce, the
//! questions stored per chunk with its word span, the FTS row refreshed, resumption after a
//! failure half-way with no chunk asked twice, stale results discarded when the transcript
//! changed. Malformed replies and concurrency: `enrich_faults`.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
    time::Duration,
};

use gdbot::{
    enrich::{Outcome, Progress},
    App, EnrichTarget,
};
use serde_json::{json, Value};

use crate::support::{
    config,
    fake_openai::{FakeOpenAi, LlmFault, LlmSettings, Reply, Responder},
    DATASET,
};

pub(crate) const URL: &str = "https://www.youtube.com/watch?v=NEWEPISODE1";
pub(crate) const ID: &str = "NEWEPISODE1";

/// The first `words` words of the shipped dataset's first transcript (real speech).
pub(crate) fn transcript(words: usize) -> String {
    let mut r = csv::Reader::from_path(DATASET).expect("read the shipped dataset");
    let headers = r.headers().expect("headers").clone();
    let col = headers
        .iter()
        .position(|h| h == "transcript")
        .expect("transcript column");
    let row = r.records().next().expect("a row").expect("a record");
    let text = row.get(col).expect("a transcript");
    let mut out: Vec<&str> = Vec::with_capacity(words);
    while out.len() < words {
        out.extend(text.split_whitespace().take(words - out.len()));
    }
    out.join(" ")
}

/// A dataset CSV with one episode that has no summary or questions.
pub(crate) fn csv_with(transcript: &str) -> Vec<u8> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(["title", "url", "transcript"]).unwrap();
    w.write_record(["A new episode", URL, transcript]).unwrap();
    w.into_inner().unwrap()
}

/// The part number (1-based) of a map request, `None` for the reduce request.
pub(crate) fn part_of(body: &Value) -> Option<usize> {
    let user = body["messages"][1]["content"].as_str().unwrap_or_default();
    let rest = user.split("Transcript part ").nth(1)?;
    rest.split(' ').next()?.parse().ok()
}

/// A valid map reply for `part`: the questions name it (and a word found nowhere else).
pub(crate) fn map_json(part: usize) -> String {
    json!({
        "summary": format!("In part {part} the guest explains an idea in some detail."),
        "questions": [
            format!("What does the guest explain in part {part}?"),
            format!("Why does part {part} mention zebrafish{part}?"),
            format!("How does part {part} end?"),
        ]
    })
    .to_string()
}

pub(crate) const SUMMARY: &str = "The episode walks through the guest's career and ideas.";

/// Map requests get `map(part)` (its text or fault), the reduce request the summary.
pub(crate) fn responder(map: impl Fn(usize) -> Reply + Send + Sync + 'static) -> Responder {
    Responder::new(move |body| match part_of(body) {
        Some(part) => map(part),
        None => Reply::Text(SUMMARY.into()),
    })
}

pub(crate) fn settings(responder: Responder) -> LlmSettings {
    LlmSettings {
        responder: Some(responder),
        chunk_delay: Duration::ZERO,
        words_per_chunk: 50,
        ..LlmSettings::default()
    }
}

pub(crate) async fn app(
    dir: &tempfile::TempDir,
    fake: &FakeOpenAi,
    concurrency: &str,
    words: usize,
) -> App {
    let app = App::open(config(
        dir,
        &[
            ("OPENAI_API_KEY", "sk-test"),
            ("OPENAI_BASE_URL", fake.base_url()),
            ("LLM_MAX_RETRIES", "0"),
            ("LLM_TIMEOUT_SECS", "20"),
            ("LLM_CONCURRENCY", concurrency),
        ],
    ))
    .await
    .expect("open");
    app.import_bytes(csv_with(&transcript(words)), "new.csv", false)
        .await
        .expect("import");
    app
}

pub(crate) fn one() -> EnrichTarget {
    EnrichTarget::Episode {
        query: ID.into(),
        force: false,
    }
}

pub(crate) fn quiet(_: Progress) {}

/// (part, answered with a result) of every request so far; reduce requests are part 0.
pub(crate) fn asked(fake: &FakeOpenAi) -> Vec<(usize, bool)> {
    fake.requests()
        .iter()
        .map(|r| (part_of(&r.body).unwrap_or(0), r.fault.is_none()))
        .collect()
}

/// (position, text, start_word, end_word) of the stored questions.
pub(crate) async fn questions(app: &App) -> Vec<(i64, String, Option<i64>, Option<i64>)> {
    gdbot::db!(app.store_for_tests().pool(), |c| sqlx::query_as(
        "SELECT q.position, q.text, q.start_word, q.end_word FROM questions q
         JOIN episodes e ON e.id = q.episode WHERE e.episode_id = $1 ORDER BY q.position",
    )
    .bind(ID)
    .fetch_all(c)
    .await)
    .unwrap()
}

pub(crate) async fn scalar(app: &App, sql: &str) -> i64 {
    gdbot::db!(app.store_for_tests().pool(), |c| sqlx::query_scalar(sql)
        .fetch_one(c)
        .await)
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_call_per_chunk_plus_one_and_questions_stored_with_their_chunk_span() {
    let dir = tempfile::tempdir().unwrap();
    let fake = FakeOpenAi::start(settings(responder(|p| Reply::Text(map_json(p))))).await;
    let app = app(&dir, &fake, "2", 3_000).await;

    let plan = app.enrich(&one(), true, &quiet).await.unwrap();
    assert!(fake.requests().is_empty(), "a dry run calls no LLM");
    let planned = &plan.episodes[0];
    let n = planned.chunks;
    assert!(
        (3..=6).contains(&n),
        "3,000 words are a few ~1,000-token chunks: {n}"
    );
    assert_eq!((planned.outcome, planned.calls), (Outcome::Planned, n + 1));

    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    let progress = move |p: Progress| log.lock().unwrap().push(p);
    let report = app.enrich(&one(), false, &progress).await.unwrap();
    let e = &report.episodes[0];
    assert_eq!(e.outcome, Outcome::Enriched, "{e:?}");
    assert_eq!((e.chunks, e.calls, report.calls), (n, n + 1, n + 1));
    assert_eq!(fake.requests().len(), n + 1, "calls = chunks + 1 reduce");
    let mut parts: Vec<usize> = asked(&fake).iter().map(|a| a.0).collect();
    parts.sort();
    assert_eq!(
        parts,
        (0..=n).collect::<Vec<_>>(),
        "each part once, one reduce"
    );
    // the reduce request comes last and carries every chunk summary, in order
    let reduce = &fake.requests()[n].body["messages"][1]["content"];
    let text = reduce.as_str().unwrap();
    let at: Vec<usize> = (1..=n)
        .map(|p| text.find(&format!("In part {p} ")).unwrap())
        .collect();
    assert!(at.windows(2).all(|w| w[0] < w[1]), "{text}");
    assert_eq!(e.summary.as_deref(), Some(SUMMARY));
    assert_eq!(
        e.usage.prompt_tokens,
        100 * (n as u64 + 1),
        "the server's counts"
    );

    let stored = questions(&app).await;
    assert_eq!(stored.len(), 3 * n);
    for (c, chunk) in planned.plan.iter().enumerate() {
        for (k, (pos, text, start, end)) in stored[3 * c..3 * c + 3].iter().enumerate() {
            assert_eq!(*pos as usize, 3 * c + k);
            assert!(text.contains(&format!("part {}", c + 1)), "{text}");
            assert_eq!(
                (*start, *end),
                (Some(chunk.start_word as i64), Some(chunk.end_word as i64))
            );
        }
    }
    let detail = app.episode(ID).await.unwrap().unwrap();
    assert_eq!(detail.summary.as_deref(), Some(SUMMARY));
    assert_eq!(detail.questions.len(), 3 * n);
    // The episode-level full-text row knows the new questions and summary.
    let hits = scalar(
        &app,
        match app.store_for_tests().dialect() {
            gdbot::store::Dialect::Sqlite => {
                "SELECT COUNT(*) FROM episodes_fts WHERE episodes_fts MATCH 'zebrafish2 AND career'"
            }
            gdbot::store::Dialect::Postgres => {
                "SELECT COUNT(*) FROM (SELECT episode FROM episode_terms WHERE term IN ('zebrafish2', 'career')
                 GROUP BY episode HAVING COUNT(*) = 2) AS both_terms"
            }
        },
    )
    .await;
    assert_eq!(hits, 1);
    assert_eq!(
        scalar(
            &app,
            "SELECT COUNT(*) FROM enrich_chunks WHERE written = TRUE"
        )
        .await as usize,
        n,
        "kept, marked written"
    );
    assert_eq!(
        scalar(
            &app,
            "SELECT COUNT(*) FROM enrichments WHERE outcome = 'ok'"
        )
        .await,
        1
    );

    let p = seen.lock().unwrap().clone();
    assert!(
        matches!(&p[0], Progress::Episode { chunks, reused: 0, .. } if *chunks == n),
        "{p:?}"
    );
    assert!(p.contains(&Progress::Chunk { done: n, total: n }), "{p:?}");
    assert_eq!(p.last(), Some(&Progress::Reducing));

    // Now it has both: --all finds nothing, --episode skips it, --force redoes it.
    let again = app.enrich(&EnrichTarget::All, false, &quiet).await.unwrap();
    assert!(
        again.episodes.iter().all(|e| e.episode_id != ID),
        "{again:?}"
    );
    let skipped = app.enrich(&one(), false, &quiet).await.unwrap();
    assert_eq!(skipped.episodes[0].outcome, Outcome::Skipped);
    assert_eq!(fake.requests().len(), n + 1, "nothing asked");
    let forced = EnrichTarget::Episode {
        query: ID.into(),
        force: true,
    };
    let redone = app.enrich(&forced, false, &quiet).await.unwrap();
    assert_eq!(redone.episodes[0].outcome, Outcome::Enriched);
    assert_eq!(fake.requests().len(), 2 * (n + 1));
    assert_eq!(questions(&app).await.len(), 3 * n, "replaced, not added");
    app.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failure_half_way_resumes_without_asking_a_stored_chunk_again() {
    for concurrency in ["1", "3"] {
        let dir = tempfile::tempdir().unwrap();
        // Part 3 fails the first time it is asked (HTTP 400: not retried).
        let failed = Arc::new(Mutex::new(false));
        let fake = FakeOpenAi::start(settings(responder(move |p| {
            let mut f = failed.lock().unwrap();
            if p == 3 && !*f {
                *f = true;
                return Reply::Fault(LlmFault::Status(400));
            }
            Reply::Text(map_json(p))
        })))
        .await;
        let app = app(&dir, &fake, concurrency, 6_000).await;
        let first = app.enrich(&one(), false, &quiet).await.unwrap();
        let e = &first.episodes[0];
        let n = e.chunks;
        assert!(n >= 6, "{n}");
        assert_eq!(e.outcome, Outcome::Failed);
        let msg = e.message.clone().unwrap_or_default();
        assert!(
            msg.contains(&format!("chunk 3 of {n}"))
                && msg.contains("HTTP 400")
                && msg.contains("run the same command again"),
            "{msg}"
        );
        assert!(first.failure().is_some());
        let stored = scalar(&app, "SELECT COUNT(*) FROM enrich_chunks").await as usize;
        assert!(
            stored >= 2 && stored < n,
            "stored as they arrived: {stored} of {n}"
        );
        if concurrency == "1" {
            assert_eq!(stored, 2, "no call is started after the failure");
        }
        assert!(
            app.episode(ID).await.unwrap().unwrap().summary.is_none(),
            "nothing final written"
        );
        assert!(questions(&app).await.is_empty());
        assert_eq!(
            scalar(
                &app,
                "SELECT COUNT(*) FROM enrichments WHERE outcome = 'failed'"
            )
            .await,
            1
        );
        let before = fake.requests().len();

        let second = app.enrich(&one(), false, &quiet).await.unwrap();
        let e = &second.episodes[0];
        assert_eq!(e.outcome, Outcome::Enriched, "{e:?}");
        assert_eq!(e.reused_chunks, stored);
        assert_eq!(
            fake.requests().len() - before,
            n - stored + 1,
            "only the missing chunks, then the reduce"
        );
        let mut answered: HashMap<usize, usize> = HashMap::new();
        for (part, ok) in asked(&fake) {
            if ok {
                *answered.entry(part).or_default() += 1;
            }
        }
        for part in 1..=n {
            assert_eq!(
                answered.get(&part),
                Some(&1),
                "concurrency {concurrency}: part {part} answered once: {:?}",
                asked(&fake)
            );
        }
        assert_eq!(answered.get(&0), Some(&1), "one reduce");
        assert_eq!(questions(&app).await.len(), 3 * n);
        app.close().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn results_of_a_changed_transcript_are_discarded() {
    let dir = tempfile::tempdir().unwrap();
    let fake = FakeOpenAi::start(settings(responder(|p| {
        if p == 2 {
            Reply::Fault(LlmFault::Status(400))
        } else {
            Reply::Text(map_json(p))
        }
    })))
    .await;
    let app = app(&dir, &fake, "1", 3_000).await;
    let first = app.enrich(&one(), false, &quiet).await.unwrap();
    assert_eq!(first.episodes[0].outcome, Outcome::Failed);
    assert_eq!(scalar(&app, "SELECT COUNT(*) FROM enrich_chunks").await, 1);
    // The same episode, re-imported with another transcript.
    app.import_bytes(
        csv_with(&format!("Intro words. {}", transcript(3_000))),
        "new.csv",
        false,
    )
    .await
    .unwrap();
    fake.set(|s| s.responder = Some(responder(|p| Reply::Text(map_json(p)))));
    let before = fake.requests().len();
    let second = app.enrich(&one(), false, &quiet).await.unwrap();
    let e = &second.episodes[0];
    assert_eq!((e.outcome, e.reused_chunks), (Outcome::Enriched, 0));
    assert_eq!(
        fake.requests().len() - before,
        e.chunks + 1,
        "every chunk asked again"
    );
    app.close().await;
}

/// The project's Python pipeline wrote 3 questions per ~1,000-token r50k_base chunk: the shipped
/// episodes' question counts are 3 × our chunk counts (36, 27, 42).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chunks_match_the_python_pipelines_for_the_shipped_episodes() {
    let dir = tempfile::tempdir().unwrap();
    let app = crate::support::app_with_dataset(&dir, &[]).await;
    for e in app.episodes().await.unwrap() {
        let target = EnrichTarget::Episode {
            query: e.episode_id.clone(),
            force: true,
        };
        let plan = app.enrich(&target, true, &quiet).await.unwrap();
        let chunks = plan.episodes[0].chunks as i64;
        assert_eq!(3 * chunks, e.n_questions, "{}: {chunks} chunks", e.title);
    }
    app.close().await;
}

/// An import that changes the dataset rewrites every episode from the file: the summary and
/// questions `enrich` wrote are gone, but its chunk results are kept, so enriching again costs one
/// call (the reduce). `--force` asks for every chunk again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_an_import_replaced_them_one_call_restores_summary_and_questions() {
    let dir = tempfile::tempdir().unwrap();
    let fake = FakeOpenAi::start(settings(responder(|p| Reply::Text(map_json(p))))).await;
    let app = app(&dir, &fake, "4", 3_000).await;
    let first = app.enrich(&EnrichTarget::All, false, &quiet).await.unwrap();
    let n = first.episodes[0].chunks;
    let before = questions(&app).await;
    assert_eq!(before.len(), 3 * n);

    // Another episode added through a full import: ours is rewritten from the file.
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(["title", "url", "transcript"]).unwrap();
    w.write_record(["A new episode", URL, &transcript(3_000)])
        .unwrap();
    w.write_record(["Another", "https://example.org/other", "short words here"])
        .unwrap();
    app.import_bytes(w.into_inner().unwrap(), "two.csv", false)
        .await
        .unwrap();
    assert!(questions(&app).await.is_empty(), "the import replaced them");

    let calls = fake.requests().len();
    let r = app.enrich(&one(), false, &quiet).await.unwrap();
    let e = &r.episodes[0];
    assert_eq!(
        (e.outcome, e.reused_chunks, e.calls),
        (Outcome::Enriched, n, 1),
        "{e:?}"
    );
    assert_eq!(fake.requests().len(), calls + 1, "only the reduce");
    assert_eq!(
        questions(&app).await,
        before,
        "the same questions and spans"
    );

    let forced = EnrichTarget::Episode {
        query: ID.into(),
        force: true,
    };
    let plan = app.enrich(&forced, true, &quiet).await.unwrap();
    assert_eq!(plan.episodes[0].calls, n + 1, "--force plans every chunk");
    assert_eq!(
        scalar(&app, "SELECT COUNT(*) FROM enrich_chunks").await as usize,
        n,
        "a dry run deletes nothing"
    );
    let r = app.enrich(&forced, false, &quiet).await.unwrap();
    assert_eq!(
        (r.episodes[0].reused_chunks, r.episodes[0].calls),
        (0, n + 1)
    );
    app.close().await;
}
