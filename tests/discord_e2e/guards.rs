//! Behaviours that a one-line change in the bot could break without any other test noticing:
//! the /ask rate limit, `private:true`, storing a 👍/👎 vote, draining answers on shutdown, and
//! answering the suggested question picked, for its episode only, and refusing an /episode query
//! with nothing to look up.

use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::{
    bot::*,
    support::{
        db::{wait_json, VOTES_SQL},
        fake_discord::{Actor, Callback, Interaction},
        fake_openai::LlmSettings,
    },
};

/// The custom id of the answer's 👍 (`"up"`) or 👎 (`"down"`) button.
pub(crate) fn feedback_button(m: &Value, dir: &str) -> String {
    let prefix = format!("fb:{dir}:");
    m["components"]
        .to_string()
        .split('"')
        .find(|s| s.starts_with(&prefix))
        .unwrap_or_else(|| panic!("a {prefix} button on {m}"))
        .to_string()
}

/// The answer id a feedback button carries.
pub(crate) fn answer_id(custom_id: &str) -> i64 {
    custom_id
        .rsplit(':')
        .next()
        .and_then(|id| id.parse().ok())
        .unwrap_or_else(|| panic!("an answer id in {custom_id}"))
}

/// Press a button of `message` as `user`; returns the accepted callback (within 3 s).
pub(crate) async fn press(bot: &Bot, message: &Value, custom_id: &str, user: u64) -> Callback {
    let press =
        bot.fake
            .component_interaction(custom_id, None, message.clone(), &Actor::member(user));
    bot.dispatch_acked(&press).await;
    bot.fake.wait_for_callback(&press.id, SECS(3)).await
}

/// An ephemeral message callback (type 4, flag 64); returns its content.
pub(crate) fn ephemeral_text(cb: &Callback) -> String {
    assert_eq!(cb.kind, 4, "a message reply, not a deferral: {:?}", cb.data);
    let flags = cb.data["flags"].as_u64().unwrap_or(0);
    assert_eq!(flags & 64, 64, "only the user sees it: {:?}", cb.data);
    cb.data["content"].as_str().unwrap_or_default().to_string()
}

fn ask_private(bot: &Bot, question: &str, private: bool, user: u64) -> Interaction {
    let opts = json!([
        {"name": "question", "type": 3, "value": question},
        {"name": "private", "type": 5, "value": private},
    ]);
    bot.fake
        .command_interaction("ask", opts, &Actor::member(user))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ask_over_the_rate_limit_is_refused_ephemerally_and_not_answered() {
    let bot = Bot::start(LlmSettings::default(), &[("ASK_RATE_PER_MINUTE", "1")]).await;
    let first = bot.ask(QUESTION, 30);
    assert_eq!(bot.dispatch_acked(&first).await, 5, "the first is deferred");
    bot.wait_original(&first, SECS(20), is_final_answer).await;

    let second = bot.ask("How does Runway help video editors?", 30);
    bot.dispatch_acked(&second).await;
    let cb = bot.fake.wait_for_callback(&second.id, SECS(3)).await;
    let text = ephemeral_text(&cb);
    assert!(
        text.contains("asking quickly") && text.contains("try again in"),
        "says to wait: {text}"
    );
    // Another user is not limited; once their answer is in, the refused one has had every chance.
    let other = bot.ask(QUESTION, 31);
    bot.dispatch_acked(&other).await;
    bot.wait_original(&other, SECS(20), is_final_answer).await;
    assert_eq!(
        bot.fake.callbacks_for(&second.id).len(),
        1,
        "the refusal is the only response"
    );
    let said = all_text(&bot.fake, &second);
    assert!(
        !said.contains("watch?v="),
        "no answer or source shown: {said}"
    );
    assert!(
        bot.fake.edits_for(&second.token).is_empty(),
        "nothing answered: {:?}",
        bot.fake.edits_for(&second.token)
    );
    assert_eq!(
        bot.llm.requests().len(),
        2,
        "the LLM was asked for the two allowed questions only"
    );
    bot.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn private_ask_is_deferred_and_answered_ephemerally() {
    let bot = Bot::start(LlmSettings::default(), &[]).await;
    let private = ask_private(&bot, QUESTION, true, 32);
    assert_eq!(bot.dispatch_acked(&private).await, 5, "deferred");
    let cb = bot.fake.wait_for_callback(&private.id, SECS(3)).await;
    let flags = cb.data["flags"].as_u64().unwrap_or(0);
    assert_eq!(flags & 64, 64, "private:true → ephemeral: {:?}", cb.data);
    bot.wait_original(&private, SECS(20), is_final_answer).await;

    let public = ask_private(&bot, QUESTION, false, 32);
    assert_eq!(bot.dispatch_acked(&public).await, 5, "deferred");
    let cb = bot.fake.wait_for_callback(&public.id, SECS(3)).await;
    let flags = cb.data["flags"].as_u64().unwrap_or(0);
    assert_eq!(flags & 64, 0, "private:false → seen by all: {:?}", cb.data);
    bot.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn feedback_presses_are_stored_and_a_second_vote_replaces_the_first() {
    let bot = Bot::start(LlmSettings::default(), &[]).await;
    let i = bot.ask(QUESTION, 33);
    bot.dispatch_acked(&i).await;
    let m = bot.wait_original(&i, SECS(20), is_final_answer).await;
    let up = feedback_button(&m, "up");
    let id = answer_id(&up);
    let pool = bot.app.store_for_tests().pool();

    let cb = press(&bot, &m, &up, 34).await;
    assert_eq!(ephemeral_text(&cb), "Thanks — recorded 👍");
    let votes = wait_json(pool, "the 👍 vote", VOTES_SQL, id, SECS(10), |v| {
        v.as_array().is_some_and(|a| !a.is_empty())
    })
    .await;
    assert_eq!(votes, json!([{"user": "34", "vote": 1}]));

    let cb = press(&bot, &m, &feedback_button(&m, "down"), 34).await;
    assert_eq!(ephemeral_text(&cb), "Thanks — recorded 👎");
    wait_json(
        pool,
        "the 👎 vote replacing the 👍",
        VOTES_SQL,
        id,
        SECS(10),
        |v| *v == json!([{"user": "34", "vote": -1}]),
    )
    .await;
    bot.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_waits_for_an_answer_in_progress() {
    let llm = LlmSettings {
        latency: Duration::from_millis(1500),
        ..LlmSettings::default()
    };
    let bot = Bot::start(llm, &[]).await;
    let i = bot.ask(QUESTION, 35);
    bot.dispatch_acked(&i).await;
    assert!(
        bot.fake
            .original_message(&i.token)
            .is_none_or(|m| !is_final_answer(&m)),
        "still answering when shutdown starts"
    );
    let (fake, app) = (bot.fake.clone(), bot.app.clone());
    let started = Instant::now();
    let stopping = tokio::spawn(bot.shutdown());
    // Closing the database is the last thing `serve` does before it returns.
    while !app.store_for_tests().pool().is_closed() {
        assert!(started.elapsed() < SECS(20), "serve closed the database");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let m = fake.original_message(&i.token).unwrap_or_default();
    assert!(
        is_final_answer(&m),
        "the answer in progress was delivered before the bot stopped: {m}"
    );
    stopping.await.expect("shutdown");
}

/// `/episode ?!` has nothing to look up: it is refused, not answered with the first episode.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn episode_queries_with_nothing_to_look_up_are_refused() {
    let bot = Bot::start(LlmSettings::default(), &[]).await;
    for query in ["?!", "*", "\u{200b}"] {
        let ep = bot.fake.command_interaction(
            "episode",
            json!([{"name": "query", "type": 3, "value": query}]),
            &Actor::member(33),
        );
        bot.dispatch_acked(&ep).await;
        let cb = bot.fake.wait_for_callback(&ep.id, SECS(3)).await;
        let text = ephemeral_text(&cb);
        assert!(text.starts_with("Nothing to look up in"), "{query}: {text}");
        assert!(
            !cb.data.to_string().contains("watch?v="),
            "{query}: no episode shown: {}",
            cb.data
        );
    }
    bot.shutdown().await;
}
