//! `App::enrich` with replies that do not parse (asked again once, then reported, never stored)
//! and with slow replies (at most LLM_CONCURRENCY calls in flight).

use std::{
    sync::{Arc, Mutex},
    time::Duration,
};

use gdbot::enrich::Outcome;

use crate::{
    enrich::{app, asked, map_json, one, quiet, responder, settings, ID},
    support::fake_openai::{FakeOpenAi, LlmSettings, Reply},
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_replies_are_asked_again_then_reported_and_never_stored() {
    let dir = tempfile::tempdir().unwrap();
    // Part 2: prose, then a cut JSON object, then JSON without questions — never valid.
    let tries = Arc::new(Mutex::new(0));
    let fake = FakeOpenAi::start(settings(responder(move |p| {
        if p != 2 {
            return Reply::Text(map_json(p));
        }
        let mut t = tries.lock().unwrap();
        *t += 1;
        Reply::Text(if *t % 2 == 1 {
            "Sure! {\"summary\": \"In part 2 the guest".into()
        } else {
            "{\"summary\": \"In part 2 the guest explains things.\", \"questions\": \"none\"}"
                .into()
        })
    })))
    .await;
    let app = app(&dir, &fake, "1", 3_000).await;
    let r = app.enrich(&one(), false, &quiet).await.unwrap();
    let e = &r.episodes[0];
    assert_eq!(e.outcome, Outcome::Failed);
    let msg = e.message.clone().unwrap_or_default();
    assert!(
        msg.contains("chunk 2 of") && msg.contains("malformed") && msg.contains("2 times"),
        "{msg}"
    );
    let part2 = asked(&fake).iter().filter(|a| a.0 == 2).count();
    assert_eq!(part2, 2, "asked again once");
    let stored: Vec<i64> = gdbot::db!(app.store_for_tests().pool(), |c| sqlx::query_scalar(
        "SELECT chunk FROM enrich_chunks ORDER BY chunk"
    )
    .fetch_all(c)
    .await)
    .unwrap();
    assert_eq!(stored, [0], "chunk 1 kept, nothing of chunk 2");
    assert!(app.episode(ID).await.unwrap().unwrap().summary.is_none());

    // A reply that is malformed once, then valid: the run succeeds with one call more.
    let once = Arc::new(Mutex::new(false));
    fake.set(|s| {
        s.responder = Some(responder(move |p| {
            let mut o = once.lock().unwrap();
            if p == 2 && !*o {
                *o = true;
                return Reply::Text("no JSON at all".into());
            }
            Reply::Text(map_json(p))
        }))
    });
    let r = app.enrich(&one(), false, &quiet).await.unwrap();
    let e = &r.episodes[0];
    assert_eq!(e.outcome, Outcome::Enriched, "{e:?}");
    assert_eq!(
        e.calls,
        (e.chunks - 1) + 1 + 1,
        "the missing chunks, one retry, the reduce"
    );
    app.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn at_most_llm_concurrency_calls_are_in_flight() {
    const LATENCY: Duration = Duration::from_millis(400);
    let dir = tempfile::tempdir().unwrap();
    let fake = FakeOpenAi::start(LlmSettings {
        latency: LATENCY,
        ..settings(responder(|p| Reply::Text(map_json(p))))
    })
    .await;
    let app = app(&dir, &fake, "3", 8_000).await;
    let r = app.enrich(&one(), false, &quiet).await.unwrap();
    assert_eq!(r.episodes[0].outcome, Outcome::Enriched);
    let mut at: Vec<_> = fake.requests().iter().map(|r| r.at).collect();
    at.sort();
    assert!(at.len() >= 9, "{}", at.len());
    // Each call takes at least LATENCY: a 4th request can only start once one of 3 has ended.
    for w in at.windows(4) {
        assert!(
            w[3] - w[0] >= LATENCY,
            "4 calls in flight: {:?}",
            w[3] - w[0]
        );
    }
    // ...and 3 did run at once: the first three were sent together.
    assert!(
        at[2] - at[0] < LATENCY,
        "calls ran one at a time: {:?}",
        at[2] - at[0]
    );
    app.close().await;
}
