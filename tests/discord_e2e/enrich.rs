//! /enrich end to end: moderators only, deferred privately, a progress message edited at most
//! once a second ("chunk k/N"), then the summary (no mentions survive) and the question count;
//! the questions are stored and the run is logged.

use std::time::Duration;

use serde_json::{json, Value};

use crate::{
    bot::*,
    guards::ephemeral_text,
    support::fake_discord::Actor,
    support::fake_openai::{LlmSettings, Reply, Responder},
};

const URL: &str = "https://www.youtube.com/watch?v=NEWEPISODE1";
const ID: &str = "NEWEPISODE1";

/// A CSV with one episode of `words` words (no summary, no questions).
fn new_episode(words: usize) -> Vec<u8> {
    const SAID: [&str; 6] = ["we", "talked", "about", "models", "and", "data"];
    let text: Vec<String> = (0..words)
        .map(|i| {
            SAID.get(i % 7)
                .map_or_else(|| format!("n{i}"), |w| w.to_string())
        })
        .collect();
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(["title", "url", "transcript"]).unwrap();
    w.write_record(["A new episode", URL, &text.join(" ")])
        .unwrap();
    w.into_inner().unwrap()
}

/// Map prompts get JSON naming their part; the reduce prompt a summary that tries to ping.
fn responder() -> Responder {
    Responder::new(|body: &Value| {
        let user = body["messages"][1]["content"].as_str().unwrap_or_default();
        match user.split("Transcript part ").nth(1) {
            Some(rest) => {
                let part = rest.split(' ').next().unwrap_or("?");
                Reply::Text(
                    json!({"summary": format!("Part {part} covers models and data in depth."),
                        "questions": [format!("What is part {part} about?"),
                                      format!("Which data does part {part} use?"),
                                      format!("How do models help in part {part}?")]})
                    .to_string(),
                )
            }
            None => Reply::Text(
                "The episode covers models and data, <@123> says hi to @everyone.".into(),
            ),
        }
    })
}

fn enrich_cmd(bot: &Bot, actor: &Actor) -> crate::support::fake_discord::Interaction {
    bot.fake.command_interaction(
        "enrich",
        json!([{"name": "episode", "type": 3, "value": ID}]),
        actor,
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn enrich_is_for_moderators_shows_progress_and_ends_with_the_summary() {
    let llm = LlmSettings {
        responder: Some(responder()),
        latency: Duration::from_millis(400),
        chunk_delay: Duration::ZERO,
        words_per_chunk: 50,
        ..LlmSettings::default()
    };
    let bot = Bot::start(llm, &[("LLM_CONCURRENCY", "1")]).await;
    bot.app
        .import_bytes(new_episode(6_000), "new.csv", false)
        .await
        .expect("import");
    let reg = bot.fake.guild_commands();
    let cmd = reg
        .iter()
        .find(|c| c["name"] == "enrich")
        .expect("/enrich registered");
    assert_eq!(cmd["default_member_permissions"], "32");
    assert_eq!(option(cmd, "episode")["autocomplete"], true);

    // A member without Manage Server: refused privately, the LLM is not asked.
    let refused = enrich_cmd(&bot, &Actor::member(20));
    bot.dispatch_acked(&refused).await;
    let cb = bot.fake.wait_for_callback(&refused.id, SECS(1)).await;
    assert!(ephemeral_text(&cb).starts_with("Only moderators can do that"));

    let i = enrich_cmd(&bot, &Actor::moderator(21));
    assert_eq!(bot.dispatch_acked(&i).await, 5, "deferred");
    let cb = bot.fake.wait_for_callback(&i.id, SECS(3)).await;
    assert_eq!(cb.data["flags"].as_u64().unwrap_or(0) & 64, 64, "privately");
    let done = |m: &Value| m["content"].as_str().is_some_and(|c| c.starts_with("✅"));
    let m = bot.wait_original(&i, SECS(60), done).await;
    let content = m["content"].as_str().unwrap_or_default();
    let n = bot.llm.requests().len() - 1;
    assert!(n >= 6, "{n} chunks");
    assert!(
        content.starts_with(&format!(
            "✅ Enriched “A new episode”: {} questions from {n} chunks ({} LLM calls",
            3 * n,
            n + 1
        )),
        "{content}"
    );
    assert!(
        content.contains("**Summary:** The episode covers models and data, says hi to everyone."),
        "{content}"
    );
    assert!(
        !content.contains("@everyone") && !content.contains("<@"),
        "{content}"
    );

    let patches: Vec<_> = bot
        .fake
        .edits_for(&i.token)
        .into_iter()
        .filter(|e| e.method == "PATCH" && e.status == 200)
        .collect();
    let progress: Vec<&str> = patches
        .iter()
        .filter_map(|p| p.body["content"].as_str())
        .collect();
    assert!(
        progress
            .iter()
            .filter(|t| t.contains(&format!("/{n}…")))
            .count()
            >= 2,
        "several \"chunk k/{n}…\" edits: {progress:?}"
    );
    for p in &patches {
        assert_no_mentions(&p.body, "every edit");
    }
    for w in patches[..patches.len() - 1].windows(2) {
        let gap = w[1].at - w[0].at;
        assert!(gap >= Duration::from_millis(900), "edits {gap:?} apart");
    }
    assert!(bot.fake.edits_for(&refused.token).is_empty());

    let detail = bot.app.episode(ID).await.expect("read").expect("episode");
    assert_eq!(detail.questions.len(), 3 * n);
    assert!(detail
        .summary
        .is_some_and(|s| s.starts_with("The episode covers")));
    let logged: i64 = gdbot::db!(bot.app.store_for_tests().pool(), |c| sqlx::query_scalar(
        "SELECT COUNT(*) FROM enrichments WHERE outcome = 'ok'"
    )
    .fetch_one(c)
    .await)
    .expect("log");
    assert_eq!(logged, 1);

    // Again: it has a summary and questions now, so it is skipped (no LLM call).
    let again = enrich_cmd(&bot, &Actor::moderator(21));
    bot.dispatch_acked(&again).await;
    let skipped = |m: &Value| m["content"].as_str().is_some_and(|c| c.starts_with("ℹ️"));
    let m = bot.wait_original(&again, SECS(10), skipped).await;
    assert!(
        m["content"]
            .as_str()
            .unwrap_or_default()
            .contains("force:true"),
        "{m}"
    );
    assert_eq!(bot.llm.requests().len(), n + 1);
    bot.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn enrich_without_an_llm_or_an_episode_is_refused_privately() {
    let bot = Bot::start(LlmSettings::default(), &[("OPENAI_API_KEY", "")]).await;
    let i = enrich_cmd(&bot, &Actor::moderator(22));
    bot.dispatch_acked(&i).await;
    let cb = bot.fake.wait_for_callback(&i.id, SECS(3)).await;
    let text = ephemeral_text(&cb);
    assert!(
        text.contains("No LLM is configured") && text.contains("OPENAI_API_KEY"),
        "{text}"
    );
    bot.shutdown().await;

    let bot = Bot::start(LlmSettings::default(), &[]).await;
    let i = enrich_cmd(&bot, &Actor::moderator(22)); // no such episode in the shipped dataset
    bot.dispatch_acked(&i).await;
    let cb = bot.fake.wait_for_callback(&i.id, SECS(3)).await;
    let text = ephemeral_text(&cb);
    assert!(
        text.starts_with("No episode matches `NEWEPISODE1`"),
        "{text}"
    );
    assert!(bot.llm.requests().is_empty());
    assert!(bot.fake.edits_for(&i.token).is_empty());
    bot.shutdown().await;
}
