//! gdbot under Discord's rate limits, with serenity's rate limiter on as in production (the fake
//! sends Discord's `X-RateLimit-*` headers and buckets): a stream waits for its own bucket instead
//! of provoking 429s, a long 429 on one stream stalls neither the others nor the 3-second
//! acknowledgement of new interactions, and a 429 on a callback is retried within the window.

use std::time::{Duration, Instant};

use crate::{
    bot::*,
    support::{
        fake_discord::{Fault, Interaction, Limit, RateLimits},
        fake_openai::LlmSettings,
    },
};

/// An answer streamed over ~`words` × 200 ms.
fn slow_stream(words: usize) -> LlmSettings {
    let text: Vec<String> = (0..words).map(|n| format!("word{n}")).collect();
    LlmSettings {
        text: format!("{} [1].", text.join(" ")),
        chunk_delay: Duration::from_millis(200),
        words_per_chunk: 1,
        ..LlmSettings::default()
    }
}

/// (time since `t0` in ms, status) of every `@original` PATCH answered for the interaction.
fn patches(bot: &Bot, i: &Interaction, t0: Instant) -> Vec<(u128, u16)> {
    let path = "/messages/@original";
    bot.fake.with(|s| {
        s.requests
            .iter()
            .filter(|r| r.method == "PATCH" && r.path.contains(&i.token) && r.path.ends_with(path))
            .filter(|r| r.status != 0)
            .map(|r| (r.at.saturating_duration_since(t0).as_millis(), r.status))
            .collect()
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stream_waits_for_its_exhausted_bucket_instead_of_provoking_429s() {
    let bot = Bot::start(slow_stream(30), &[]).await;
    bot.fake.set_rate_limits(RateLimits {
        webhook: Limit::new(2, Duration::from_secs(3)),
        ..RateLimits::default()
    });
    let t0 = Instant::now();
    let i = bot.ask(QUESTION, 1);
    bot.dispatch_acked(&i).await;
    bot.wait_original(&i, SECS(30), is_final_answer).await;
    let seen = patches(&bot, &i, t0);
    eprintln!("edits (ms, status) with 2 per 3 s: {seen:?}");
    assert!(seen.len() >= 3, "streamed and finished: {seen:?}");
    assert!(
        seen.iter().all(|(_, s)| *s == 200),
        "serenity's limiter waits for the bucket (no 429): {seen:?}"
    );
    bot.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_long_429_on_one_stream_stalls_neither_other_streams_nor_new_acknowledgements() {
    let bot = Bot::start(slow_stream(25), &[]).await;
    let (a, b) = (bot.ask(QUESTION, 1), bot.ask(QUESTION, 2));
    let a_token = a.token.clone();
    // A's first edit: 429 "retry after 6 s" (serenity sleeps it inside the call, holding the
    // bucket). Discord keys @original per token, so B and C have buckets of their own.
    bot.fake.fail_next(
        1,
        move |m, p| m == "PATCH" && p.contains(&a_token),
        Fault::RateLimited {
            retry_after: 6.0,
            global: false,
        },
    );
    let t0 = Instant::now();
    bot.dispatch_acked(&a).await;
    bot.dispatch_acked(&b).await;
    bot.fake
        .wait_until("A's 429", SECS(5), |s| {
            s.requests
                .iter()
                .any(|r| r.path.contains(&a.token) && r.status == 429)
                .then_some(())
        })
        .await;
    let c = bot.ask(QUESTION, 3);
    bot.fake.dispatch(&c);
    let c_ack = bot.fake.wait_for_callback(&c.id, SECS(3)).await.latency;
    bot.wait_original(&b, SECS(20), is_final_answer).await;
    let b_done = t0.elapsed();
    bot.wait_original(&a, SECS(30), is_final_answer).await;
    let (pa, pb) = (patches(&bot, &a, t0), patches(&bot, &b, t0));
    eprintln!(
        "C acknowledged {c_ack:?} after dispatch while A's 429 was pending; \
         B final at {b_done:?}\n  A edits (ms, status): {pa:?}\n  B edits (ms, status): {pb:?}"
    );
    assert!(c_ack < SECS(1), "C acknowledged at once: {c_ack:?}");
    let a_first_ok = pa.iter().find(|(_, s)| *s == 200).map_or(0, |(t, _)| *t);
    assert!(a_first_ok >= 5_500, "A really waited out its 429: {pa:?}");
    assert!(
        b_done.as_millis() < a_first_ok,
        "B finished while A was still waiting: B at {b_done:?}, A's first edit at {a_first_ok} ms"
    );
    let gaps: Vec<u128> = pb.windows(2).map(|w| w[1].0 - w[0].0).collect();
    assert!(
        gaps.iter().all(|g| *g < 2_500),
        "B's edits kept their pace (gaps {gaps:?} ms)"
    );
    bot.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_429_with_a_long_retry_after_on_the_callback_is_retried_within_3s() {
    let bot = Bot::start(LlmSettings::default(), &[]).await;
    bot.fake.fail_next(
        1,
        |m, p| m == "POST" && p.ends_with("/callback"),
        Fault::RateLimited {
            retry_after: 5.0,
            global: false,
        },
    );
    let i = bot.ask(QUESTION, 1);
    bot.fake.dispatch(&i);
    let cb = bot.fake.wait_for_callback(&i.id, SECS(3)).await;
    eprintln!(
        "acknowledged {:?} after dispatch despite a 429 'retry after 5 s'",
        cb.latency
    );
    assert!(
        cb.latency < SECS(3),
        "within Discord's window: {:?}",
        cb.latency
    );
    bot.wait_original(&i, SECS(20), is_final_answer).await;
    bot.shutdown().await;
}
