//! `gdbot stats` on a database with known answers: recorded through `App::ask` (the fake LLM
//! answering, failing, no LLM at all, questions not covered), votes through `App::queue_feedback`,
//! and older rows written directly, so the period, the kinds, the votes, the cited episodes and
//! the grouping of uncovered questions are all checked against numbers known in advance. And
//! `--png` writes a chart that decodes, on an empty log too.

use serde_json::Value;

use crate::{
    answer::{llm_app, says},
    cli::gdbot_in,
    support::{
        app_with_dataset, config,
        fake_openai::{FakeOpenAi, LlmFault},
    },
};

const COVERED: &str = "How does Runway help video editors?";
const NOT_COVERED: &str = "How do I bake sourdough bread at home?";

/// An answer written straight into the log `days_ago` days back (as a version before migration
/// 0006 wrote it: no `fell_back`), quoted, citing `sources_json`.
async fn old_answer(app: &gdbot::App, id: i64, days_ago: u32, sources_json: &str) {
    gdbot::db!(app.store_for_tests().pool(), |c, d| sqlx::query(&format!(
        "INSERT INTO answers (id, at, question, mode, confident, answer, sources_json, latency_ms)
         VALUES ($1, {}, 'an old question', 'extractive', TRUE, 'a', $3, 1)",
        d.time_ago("$2")
    ))
    .bind(id)
    .bind(format!("-{days_ago} days"))
    .bind(sources_json)
    .execute(c)
    .await
    .map(gdbot::store::affected))
    .expect("insert an old answer");
}

fn stats_json(dir: &tempfile::TempDir, args: &[&str]) -> Value {
    let url = crate::support::db::url(dir, "t.db");
    let mut all = vec!["stats", "--json"];
    all.extend_from_slice(args);
    let o = gdbot_in(dir.path(), &all, &[("DATABASE_URL", &url)]);
    assert!(
        o.status.success(),
        "gdbot stats failed: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    serde_json::from_slice(&o.stdout).expect("one JSON document")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stats_json_counts_known_answers_by_kind_period_votes_episodes_and_questions() {
    let dir = tempfile::tempdir().unwrap();
    let fake = FakeOpenAi::start(says("Runway helps editors [1].")).await;
    let app = llm_app(&dir, &fake, "10").await;
    let llm = app.ask(COVERED, None, None).await.unwrap();
    fake.fail_next(1, LlmFault::Status(400)); // not retried: quotes instead
    let fell_back = app.ask(COVERED, None, None).await.unwrap();
    assert!(fell_back.fell_back && fell_back.note.is_some());
    // Three askings of one uncovered question, written differently.
    for q in [
        NOT_COVERED,
        "how do i bake sourdough bread at home",
        "HOW do I bake sourdough bread, at home??",
    ] {
        assert!(!app.ask(q, None, None).await.unwrap().confident, "{q}");
    }
    assert!(
        !app.ask("What about quantum chess?", None, None)
            .await
            .unwrap()
            .confident
    );
    for (answer, user, vote) in [(&llm, "u1", 1), (&llm, "u2", -1), (&fell_back, "u1", 1)] {
        let id = answer.answer_id.unwrap();
        assert!(app.queue_feedback(id, user, vote).await.unwrap());
    }
    app.close().await;
    // The same database without an LLM: an answer quoted by design.
    let keyless = app_with_dataset(&dir, &[]).await;
    let quoted = keyless.ask(COVERED, None, None).await.unwrap();
    assert!(!quoted.fell_back);
    let cited = &quoted.sources[0].url;
    // Older answers: one 10 days ago (in the default 30), one 40 days ago (only in --days 60),
    // one with a damaged source list (counted, citing nothing).
    let one_source = format!(r#"[{{"url": "{cited}", "title": "T"}}, "junk", {{"url": 3}}]"#);
    old_answer(&keyless, 1, 10, &one_source).await;
    old_answer(&keyless, 2, 40, &one_source).await;
    old_answer(&keyless, 3, 5, "not json").await;
    keyless.close().await;

    let v = stats_json(&dir, &[]);
    assert_eq!(v["days"], 30);
    assert_eq!(v["questions"], 9);
    let kinds = &v["answers"];
    assert_eq!(
        (
            &kinds["llm"],
            &kinds["quoted"],
            &kinds["fell_back"],
            &kinds["not_covered"]
        ),
        (
            &Value::from(1),
            &Value::from(3),
            &Value::from(1),
            &Value::from(4)
        ),
        "{kinds}"
    );
    assert_eq!(
        (&v["votes"]["up"], &v["votes"]["down"]),
        (&Value::from(2), &Value::from(1))
    );
    let ratio = v["votes"]["up_ratio"].as_f64().unwrap();
    assert!((ratio - 2.0 / 3.0).abs() < 1e-9, "{ratio}");
    let days = v["per_day"].as_array().unwrap();
    assert_eq!(days.len(), 30);
    assert_eq!(days[29]["day"], v["to"]);
    assert_eq!(
        (&days[29]["questions"], &days[29]["not_covered"]),
        (&Value::from(7), &Value::from(4))
    );
    assert_eq!(
        (&days[19]["questions"], &days[19]["quoted"]),
        (&Value::from(1), &Value::from(1))
    );
    assert_eq!(
        days[24]["questions"], 1,
        "the damaged row counts as an answer"
    );
    let total: i64 = days.iter().map(|d| d["questions"].as_i64().unwrap()).sum();
    assert_eq!(total, 9);
    // Runway's episode: cited by the three covered answers of today and the one 10 days ago.
    let top = &v["cited_episodes"][0];
    assert_eq!(top["url"].as_str(), Some(cited.as_str()));
    assert_eq!(top["answers"], 4, "{top}");
    assert!(
        top["title"].as_str().unwrap().contains("Cristóbal"),
        "the stored title: {top}"
    );
    let uncovered = v["not_covered"].as_array().unwrap();
    assert_eq!(uncovered.len(), 2);
    assert_eq!(uncovered[0]["times"], 3);
    assert_eq!(
        uncovered[0]["question"], "HOW do I bake sourdough bread, at home??",
        "as last asked"
    );
    assert_eq!(
        (&uncovered[1]["question"], &uncovered[1]["times"]),
        (&Value::from("What about quantum chess?"), &Value::from(1))
    );

    let wider = stats_json(&dir, &["--days", "60"]);
    assert_eq!(wider["questions"], 10);
    assert_eq!(wider["cited_episodes"][0]["answers"], 5);
    let today = stats_json(&dir, &["--days", "1"]);
    assert_eq!(
        (&today["questions"], &today["from"]),
        (&Value::from(7), &today["to"])
    );
}

#[test]
fn stats_png_writes_a_chart_that_decodes_even_on_an_empty_log() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out.png");
    let o = gdbot_in(dir.path(), &["stats", "--png", out.to_str().unwrap()], &[]);
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(
        text.starts_with("No questions were asked in the last 30 days"),
        "{text}"
    );
    assert!(text.contains("Chart: "), "{text}");
    let bytes = std::fs::read(&out).expect("the chart was written");
    let mut reader = png::Decoder::new(std::io::Cursor::new(&bytes[..]))
        .read_info()
        .expect("a PNG");
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut buf).expect("a frame");
    assert_eq!((info.width, info.height), (1000, 500));
    let inked = buf[..info.buffer_size()]
        .iter()
        .filter(|b| **b != 255)
        .count();
    assert!(inked > 5_000, "axes and text drawn: {inked}");

    // Bad options are refused naming them; an unwritable chart names the file.
    let o = gdbot_in(dir.path(), &["stats", "--days", "366"], &[]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("--days"));
    let o = gdbot_in(dir.path(), &["stats", "--png", "no/such/dir/x.png"], &[]);
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("--png no/such/dir/x.png: cannot write the chart"),
        "{err}"
    );
}

/// An episode counts as cited by the episodes shown under an answer (`cited_json`, since 0006),
/// not by every passage the answer was made from; older rows (no `cited_json`) by their sources.
#[tokio::test]
async fn cited_episodes_are_those_shown_under_answers_and_sources_before_0006() {
    let dir = tempfile::tempdir().unwrap();
    let app = gdbot::App::open(config(&dir, &[])).await.unwrap();
    let sources = r#"[{"url": "https://e/x", "title": "X"}, {"url": "https://e/y", "title": "Y"},
                      {"url": "https://e/y", "title": "Y"}]"#;
    let rows = [
        // (id, cited_json): an answer citing two moments of x, one citing nothing, one before 0006.
        (
            1,
            Some(r#"[{"url": "https://e/x", "title": "X", "moments": 2}]"#),
        ),
        (2, Some("[]")),
        (3, None),
    ];
    for (id, cited) in rows {
        gdbot::db!(app.store_for_tests().pool(), |c, d| sqlx::query(&format!(
            "INSERT INTO answers (id, at, question, mode, confident, answer, sources_json, latency_ms, fell_back, cited_json)
             VALUES ($1, {}, 'q', 'llm', TRUE, 'a', $2, 1, FALSE, $3)",
            d.now()
        ))
        .bind(id)
        .bind(sources)
        .bind(cited)
        .execute(c)
        .await
        .map(gdbot::store::affected))
        .unwrap();
    }
    let r = app.stats(1).await.unwrap();
    let got: Vec<(&str, &str, i64, i64)> = r
        .cited_episodes
        .iter()
        .map(|e| (e.url.as_str(), e.title.as_str(), e.answers, e.passages))
        .collect();
    assert_eq!(
        got,
        vec![("https://e/x", "X", 2, 3), ("https://e/y", "Y", 1, 2)],
        "x: answer 1 (2 moments) and the old answer 3; y only by answer 3's sources"
    );
    app.close().await;
}
