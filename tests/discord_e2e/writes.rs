//! Answers and 👍/👎 acknowledgements do not wait for the database's write lock (held for seconds
//! by an import); what they record is written once the lock is free.

use crate::{
    bot::*,
    guards::{answer_id, ephemeral_text, feedback_button, press},
    support::{
        db::{wait_json, WriteLock, ANSWER_SQL, VOTES_SQL},
        fake_openai::LlmSettings,
    },
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn answers_and_votes_are_not_held_up_by_the_write_lock_and_are_stored_after() {
    let bot = Bot::start(LlmSettings::default(), &[]).await;
    let pool = bot.app.store_for_tests().pool();
    let before = bot.ask(QUESTION, 50);
    bot.dispatch_acked(&before).await;
    let m1 = bot.wait_original(&before, SECS(20), is_final_answer).await;
    let up1 = feedback_button(&m1, "up");
    wait_json(
        pool,
        "the first answer",
        ANSWER_SQL,
        answer_id(&up1),
        SECS(10),
        |v| !v.is_null(),
    )
    .await;

    // As during a /reload: another connection holds SQLite's only write lock.
    let lock = WriteLock::take(&bot.app.config_for_tests().database_url).await;
    let cb = press(&bot, &m1, &up1, 51).await;
    assert_eq!(ephemeral_text(&cb), "Thanks — recorded 👍");

    let during = bot.ask("How does Runway help video editors?", 52);
    bot.dispatch_acked(&during).await;
    let m2 = bot.wait_original(&during, SECS(4), is_final_answer).await;
    let up2 = feedback_button(&m2, "up");
    // A vote on an answer whose record is still waiting for the lock.
    let cb = press(&bot, &m2, &up2, 53).await;
    assert_eq!(ephemeral_text(&cb), "Thanks — recorded 👍");
    lock.release().await;

    let a2 = wait_json(
        pool,
        "the answer given while locked",
        ANSWER_SQL,
        answer_id(&up2),
        SECS(15),
        |v| !v.is_null(),
    )
    .await;
    assert_eq!(a2["question"], "How does Runway help video editors?");
    for (up, user) in [(&up1, "51"), (&up2, "53")] {
        wait_json(
            pool,
            "the vote given while locked",
            VOTES_SQL,
            answer_id(up),
            SECS(15),
            |v| {
                v.as_array()
                    .is_some_and(|a| a.iter().any(|x| x["user"] == user && x["vote"] == 1))
            },
        )
        .await;
    }
    bot.shutdown().await;
}
