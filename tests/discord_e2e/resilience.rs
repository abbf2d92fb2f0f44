//! gdbot's Discord front door under faults (gateway drops, REST 429/500, LLM failure) and load.

use std::time::{Duration, Instant};

use crate::{
    bot::*,
    support::{
        fake_discord::{Fault, Interaction},
        fake_openai::{LlmFault, LlmSettings},
    },
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn faults_gateway_drop_rest_429_500_and_llm_failure() {
    let bot = Bot::start(LlmSettings::default(), &[]).await;

    // Gateway drop → reconnect → next interaction answered.
    assert!(bot.fake.close_gateway(4000));
    bot.fake.wait_ready_connection(2, SECS(10)).await;
    assert!(bot.fake.drop_gateway_tcp());
    bot.fake.wait_ready_connection(3, SECS(10)).await;
    let i = bot.ask(QUESTION, 20);
    bot.dispatch_acked(&i).await;
    bot.wait_original(&i, SECS(20), is_final_answer).await;

    // REST 429 once on the callback → the callback still arrives in time.
    bot.fake.fail_next(
        1,
        |m, p| m == "POST" && p.ends_with("/callback"),
        Fault::RateLimited {
            retry_after: 0.2,
            global: false,
        },
    );
    let i = bot.ask(QUESTION, 21);
    bot.dispatch_acked(&i).await;
    bot.wait_original(&i, SECS(20), is_final_answer).await;

    // REST 500 on an edit → the final state is still reached.
    bot.fake.fail_next(
        1,
        |m, p| m == "PATCH" && p.contains("/messages/"),
        Fault::ServerError,
    );
    let i = bot.ask(QUESTION, 22);
    bot.dispatch_acked(&i).await;
    bot.wait_original(&i, SECS(20), is_final_answer).await;

    // The LLM fails → quoted excerpts.
    bot.llm.fail_next(usize::MAX, LlmFault::ServerError);
    let i = bot.ask(QUESTION, 23);
    bot.dispatch_acked(&i).await;
    let m = bot.wait_original(&i, SECS(30), is_final_answer).await;
    assert!(
        m.to_string().contains("Quoted excerpts"),
        "extractive fallback: {m}"
    );
    bot.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn load_300_asks_at_once_are_all_deferred_in_time_and_answered() {
    let llm = LlmSettings {
        latency: Duration::from_millis(500),
        ..LlmSettings::default()
    };
    let bot = Bot::start(llm, &[]).await;
    let started = Instant::now();
    let asks: Vec<Interaction> = (0..300).map(|n| bot.ask(QUESTION, 1_000 + n)).collect();
    for i in &asks {
        bot.fake.dispatch(i);
    }
    let ids: Vec<String> = asks.iter().map(|i| i.id.clone()).collect();
    let acks = bot
        .fake
        .wait_until("300 acknowledgements", SECS(10), |s| {
            let acked: Vec<Duration> = ids
                .iter()
                .filter_map(|id| {
                    s.callbacks
                        .iter()
                        .find(|c| &c.interaction_id == id && c.status == 204)
                })
                .map(|c| c.latency)
                .collect();
            (acked.len() == ids.len()).then_some(acked)
        })
        .await;
    let slowest = acks.iter().max().copied().unwrap_or_default();
    let tokens: Vec<String> = asks.iter().map(|i| i.token.clone()).collect();
    bot.fake
        .wait_until("300 final answers", SECS(180), |s| {
            tokens
                .iter()
                .all(|t| {
                    s.messages
                        .get(&(t.clone(), "@original".into()))
                        .is_some_and(is_final_answer)
                })
                .then_some(())
        })
        .await;
    eprintln!(
        "300 asks: slowest ack {slowest:?}, all answered after {:?}",
        started.elapsed()
    );
    assert!(slowest < SECS(3), "slowest ack {slowest:?}");
    let late = bot
        .fake
        .with(|s| s.callbacks.iter().filter(|c| c.status != 204).count());
    assert_eq!(late, 0, "no late or duplicate callbacks");
    bot.shutdown().await;
}
