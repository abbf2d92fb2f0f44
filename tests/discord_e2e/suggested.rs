//! The suggested-question menu under /episode: the question picked is the one answered, and it is
//! answered from that episode only.

use serde_json::{json, Value};

use crate::{
    bot::*,
    support::{
        fake_discord::{Actor, Edit, Interaction},
        fake_openai::LlmSettings,
    },
};

const EPISODE: &str = "HhGOGuJY1Wk";

/// Run /episode for `episode_id`; returns its message (with the `epq:` select menu).
pub(crate) async fn open_episode(bot: &Bot, episode_id: &str, actor: &Actor) -> Value {
    let ep = bot.fake.command_interaction(
        "episode",
        json!([{"name": "query", "type": 3, "value": episode_id}]),
        actor,
    );
    bot.dispatch_acked(&ep).await;
    let key = (ep.token.clone(), "@original".to_string());
    bot.fake
        .wait_until("the /episode message with its select menu", SECS(10), |s| {
            s.messages
                .get(&key)
                .filter(|m| m["components"].to_string().contains("epq:"))
                .cloned()
        })
        .await
}

/// The select menu's options as (label, value).
fn menu_options(msg: &Value) -> Vec<(String, String)> {
    let rows = msg["components"].as_array().cloned().unwrap_or_default();
    rows.iter()
        .flat_map(|r| r["components"].as_array().cloned().unwrap_or_default())
        .filter(|c| c["type"] == 3)
        .flat_map(|c| c["options"].as_array().cloned().unwrap_or_default())
        .map(|o| {
            let s = |k: &str| o[k].as_str().unwrap_or_default().to_string();
            (s("label"), s("value"))
        })
        .collect()
}

/// Pick option `value` of the menu; returns the interaction and the final answer edit.
pub(crate) async fn pick(
    bot: &Bot,
    msg: &Value,
    value: &str,
    actor: &Actor,
) -> (Interaction, Edit) {
    let custom = format!("epq:{EPISODE}");
    let sel = bot
        .fake
        .component_interaction(&custom, Some(vec![value.into()]), msg.clone(), actor);
    assert_eq!(bot.dispatch_acked(&sel).await, 5, "deferred");
    let edit = bot
        .fake
        .wait_for_edit(
            &sel.token,
            |e| e.status == 200 && e.body["embeds"].as_array().is_some_and(|a| !a.is_empty()),
            SECS(20),
        )
        .await;
    (sel, edit)
}

/// Video ids of every linked source in an answer embed.
pub(crate) fn source_videos(embed: &Value) -> Vec<String> {
    let fields = embed["fields"].as_array().cloned().unwrap_or_default();
    fields
        .iter()
        .filter(|f| f["name"].as_str().is_some_and(|n| n.starts_with("Sources")))
        .flat_map(|f| {
            let v = f["value"].as_str().unwrap_or_default().to_string();
            v.split("watch?v=")
                .skip(1)
                .map(|rest| {
                    rest.chars()
                        .take_while(|c| *c != '&' && *c != ')')
                        .collect()
                })
                .collect::<Vec<String>>()
        })
        .collect()
}

/// The episode's suggested questions as stored.
async fn stored_questions(bot: &Bot) -> Vec<String> {
    bot.app
        .episode(EPISODE)
        .await
        .expect("load")
        .expect("episode")
        .questions
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn suggested_question_answered_is_the_one_picked() {
    let bot = Bot::start(LlmSettings::default(), &[]).await;
    let actor = Actor::member(40);
    let questions = stored_questions(&bot).await;
    let msg = open_episode(&bot, EPISODE, &actor).await;
    let options = menu_options(&msg);
    assert_eq!(options.len(), 5, "five suggested questions: {options:?}");
    // Not the first or the last: a shift either way picks another question.
    let picked = &questions[2];
    assert_eq!(options[2], (picked.clone(), "2".to_string()));
    let (_, edit) = pick(&bot, &msg, "2", &actor).await;
    let embed = &edit.body["embeds"][0];
    assert_eq!(embed["title"].as_str(), Some(picked.as_str()), "{embed}");
    let asked = bot.llm.requests();
    let user = asked.last().expect("the LLM was asked").body["messages"].clone();
    let prompt = user[1]["content"].as_str().unwrap_or_default().to_string();
    assert!(
        prompt.ends_with(&format!("Question: {picked}")),
        "the LLM was asked the picked question: …{}",
        &prompt[prompt.len().saturating_sub(200)..]
    );
    bot.shutdown().await;
}

/// The shipped dataset plus an episode made to win the picked question without a filter.
fn with_decoy(question: &str) -> Vec<u8> {
    let path = format!("{}/data/summary_que_data.csv", env!("CARGO_MANIFEST_DIR"));
    let mut r = csv::Reader::from_path(path).expect("read shipped csv");
    let headers = r.byte_headers().expect("headers").clone();
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_byte_record(&headers).expect("write");
    for row in r.byte_records() {
        w.write_byte_record(&row.expect("row")).expect("write");
    }
    let transcript = format!("Host: {question} Guest: ").repeat(40);
    let words = transcript.split_whitespace().count().to_string();
    let questions = format!("['{question}']");
    w.write_record([
        "3",
        "A decoy episode",
        "https://www.youtube.com/watch?v=DecoyDecoy1",
        "600",
        "2023-03-01",
        transcript.as_str(),
        words.as_str(),
        question,
        questions.as_str(),
    ])
    .expect("write");
    w.into_inner().expect("flush")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn suggested_question_is_answered_from_its_episode_only() {
    let bot = Bot::start(LlmSettings::default(), &[]).await;
    let actor = Actor::member(41);
    let questions = stored_questions(&bot).await;
    let picked = questions[2].clone();
    bot.app
        .import_bytes(with_decoy(&picked), "decoy.csv", false)
        .await
        .expect("import the decoy");
    // Without the episode filter the decoy wins this question.
    let unfiltered = bot.app.ask(&picked, None, None).await.expect("ask");
    assert!(
        unfiltered
            .sources
            .iter()
            .any(|s| s.episode_id == "DecoyDecoy1"),
        "precondition: the decoy is cited without a filter: {:?}",
        unfiltered
            .sources
            .iter()
            .map(|s| &s.episode_id)
            .collect::<Vec<_>>()
    );
    let msg = open_episode(&bot, EPISODE, &actor).await;
    let (_, edit) = pick(&bot, &msg, "2", &actor).await;
    let embed = &edit.body["embeds"][0];
    let videos = source_videos(embed);
    assert!(!videos.is_empty(), "sources are linked: {embed}");
    assert!(
        videos.iter().all(|v| v == EPISODE),
        "every source is from {EPISODE}: {videos:?}"
    );
    bot.shutdown().await;
}
