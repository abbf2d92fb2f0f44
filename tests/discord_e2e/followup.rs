//! Follow-up questions through Discord: the "Follow up" button under an answer opens a modal,
//! whose submission is answered as a continuation (the first turn's episode cited, "Follow-up to"
//! in the footer, the previous turn in the LLM's prompt); an expired or unknown conversation is
//! answered as a new question with a note; garbled ids are told they expired; the /ask rate limit
//! applies; a private answer's follow-up is private. Every body passes the strict fake. The same
//! in HTTP mode (`serve --http`), where the modal and the deferral are HTTP responses.

use serde_json::{json, Value};

use crate::{
    bot::*,
    http_bot::HttpBot,
    suggested::source_videos,
    support::{
        fake_discord::{Actor, Interaction},
        fake_openai::LlmSettings,
    },
};

const FIRST: &str =
    "What is the simple but profound insight behind diffusion models, according to Jeremy Howard?";
const FOLLOW_UP: &str = "What did he say about teaching it?";
const JEREMY: &str = "HhGOGuJY1Wk";

/// The custom id of a message's "Follow up" button.
fn follow_up_button(m: &Value) -> String {
    m["components"]
        .to_string()
        .split('"')
        .find(|s| s.starts_with("fu:"))
        .unwrap_or_else(|| panic!("a Follow up button on {m}"))
        .to_string()
}

/// Ask `question` and wait for its final answer message.
async fn asked(bot: &Bot, question: &str, options: Value, user: u64) -> Value {
    let mut opts = vec![json!({"name": "question", "type": 3, "value": question})];
    opts.extend(options.as_array().cloned().unwrap_or_default());
    let i = bot
        .fake
        .command_interaction("ask", Value::Array(opts), &Actor::member(user));
    assert_eq!(bot.dispatch_acked(&i).await, 5);
    bot.wait_original(&i, SECS(20), is_final_answer).await
}

/// Press "Follow up" on `answer`: the bot answers with the modal (callback 9); returns the
/// press and the modal.
async fn open_modal(bot: &Bot, answer: &Value, user: u64) -> (Interaction, Value) {
    let id = follow_up_button(answer);
    let press = bot
        .fake
        .component_interaction(&id, None, answer.clone(), &Actor::member(user));
    assert_eq!(bot.dispatch_acked(&press).await, 9, "a modal");
    let modal = bot.fake.wait_for_modal(&press.id, SECS(3)).await;
    (press, modal)
}

/// Dispatch a modal submission; wait for the final answer edit of its deferred response.
async fn answered(bot: &Bot, submit: &Interaction) -> Value {
    assert_eq!(bot.dispatch_acked(submit).await, 5, "deferred");
    bot.fake
        .wait_for_edit(
            &submit.token,
            |e| e.status == 200 && e.body["embeds"].as_array().is_some_and(|a| !a.is_empty()),
            SECS(20),
        )
        .await
        .body
}

fn note_of(embed: &Value) -> String {
    embed["fields"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|f| f["name"] == "Note")
        .and_then(|f| f["value"].as_str())
        .unwrap_or_default()
        .to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_follow_up_through_the_button_and_modal_continues_the_answer() {
    let bot = Bot::start(LlmSettings::default(), &[]).await;
    let first = asked(&bot, FIRST, json!([]), 60).await;
    let (press, modal) = open_modal(&bot, &first, 61).await;
    let first_id = follow_up_button(&first)["fu:".len()..].to_string();
    assert_eq!(modal["custom_id"], format!("fum:{first_id}"));
    let input = &modal["components"][0]["components"][0];
    assert_eq!(
        (&input["max_length"], &input["required"]),
        (&json!(500), &json!(true))
    );
    let submit = bot.fake.submit_modal(
        &press,
        &modal,
        &[("question", FOLLOW_UP)],
        &Actor::member(61),
    );
    let body = answered(&bot, &submit).await;
    let embed = &body["embeds"][0];
    assert_eq!(embed["title"], FOLLOW_UP);
    let videos = source_videos(embed);
    assert_eq!(videos.first().map(String::as_str), Some(JEREMY), "{embed}");
    let footer = embed["footer"]["text"].as_str().unwrap_or_default();
    assert!(
        footer.contains(&format!("Follow-up to: {FIRST}")),
        "{footer}"
    );
    assert_no_mentions(&body, "the follow-up's answer");
    // The follow-up can be followed up in turn, and voted on.
    let components = body["components"].to_string();
    assert!(
        components.contains("fb:up:") && components.contains("fu:"),
        "{components}"
    );
    // The LLM saw the first turn before the passages.
    let prompt = bot.llm.requests().last().expect("the LLM was asked").body["messages"][1]
        ["content"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(
        prompt.starts_with(&format!("Previous question: {FIRST}\n")),
        "{prompt}"
    );
    assert!(
        prompt.ends_with(&format!("Question: {FOLLOW_UP}")),
        "{prompt}"
    );
    bot.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expired_conversation_is_answered_as_a_new_question_with_a_note() {
    let bot = Bot::start(
        LlmSettings::default(),
        &[("CONVERSATION_TTL_MINUTES", "30")],
    )
    .await;
    // An answer recorded 31 minutes ago (by this bot before a restart, say).
    gdbot::db!(bot.app.store_for_tests().pool(), |c, d| sqlx::query(&format!(
        "INSERT INTO answers (id, at, question, episode_filter, mode, confident, answer, sources_json, latency_ms)
         VALUES (777, {}, $2, NULL, 'llm', $3, 'Masks work [1].', $4, 5)",
        d.time_ago("$1")
    ))
    .bind("-31 minutes")
    .bind("Why did Jeremy Howard start advocating for masks?")
    .bind(true)
    .bind(json!([{"url": format!("https://www.youtube.com/watch?v={JEREMY}")}]).to_string())
    .execute(c)
    .await
    .map(gdbot::store::affected))
    .expect("an old answer");
    let actor = Actor::member(62);
    let old = bot.fake.message(json!({"content": "an old answer"}));
    let question = "How does Runway's video segmentation model do rotoscoping?";
    for (custom_id, says) in [("fum:777", "expired"), ("fum:778", "not known")] {
        let submit = bot.fake.modal_submit_interaction(
            custom_id,
            &[("question", question)],
            Some(old.clone()),
            &actor,
        );
        let body = answered(&bot, &submit).await;
        let embed = &body["embeds"][0];
        let note = note_of(embed);
        assert!(
            note.contains(says) && note.contains("new question"),
            "{custom_id}: {embed}"
        );
        let footer = embed["footer"]["text"].as_str().unwrap_or_default();
        assert!(!footer.contains("Follow-up to"), "{footer}");
        // Answered as the question it is: Runway's episode, not the masks one.
        assert_eq!(
            source_videos(embed).first().map(String::as_str),
            Some("wbonGgk-_Gk"),
            "{embed}"
        );
    }
    bot.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn garbled_or_empty_follow_ups_are_refused_privately() {
    let bot = Bot::start(LlmSettings::default(), &[]).await;
    let actor = Actor::member(63);
    let old = bot.fake.message(json!({"content": "an answer"}));
    for (custom_id, typed, says) in [
        ("fum:abc", "and then?", "expired"),
        ("fum:", "and then?", "expired"),
        ("fum:+12", "and then?", "expired"),
        ("survey:1", "and then?", "expired"),
        ("fum:12", "   ", "Type a follow-up"),
    ] {
        let submit = bot.fake.modal_submit_interaction(
            custom_id,
            &[("question", typed)],
            Some(old.clone()),
            &actor,
        );
        bot.fake.dispatch(&submit);
        let cb = bot.fake.wait_for_callback(&submit.id, SECS(3)).await;
        assert_eq!(cb.kind, 4, "{custom_id}: a message, not a deferral");
        assert_eq!(
            cb.data["flags"].as_u64().unwrap_or(0) & 64,
            64,
            "{custom_id}: ephemeral"
        );
        let text = cb.data["content"].as_str().unwrap_or_default();
        assert!(text.contains(says), "{custom_id}: {text}");
    }
    // A garbled "Follow up" button is told it expired too, rather than opening a modal.
    let press = bot.fake.component_interaction("fu:01", None, old, &actor);
    assert_eq!(bot.dispatch_acked(&press).await, 4);
    bot.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn follow_ups_count_against_the_ask_rate_limit_and_stay_private() {
    let bot = Bot::start(LlmSettings::default(), &[("ASK_RATE_PER_MINUTE", "1")]).await;
    // A private answer: its follow-up is private too.
    let first = asked(
        &bot,
        FIRST,
        json!([{"name": "private", "type": 5, "value": true}]),
        64,
    )
    .await;
    assert_eq!(first["flags"].as_u64().unwrap_or(0) & 64, 64, "{first}");
    let (press, modal) = open_modal(&bot, &first, 65).await;
    let submit = bot.fake.submit_modal(
        &press,
        &modal,
        &[("question", FOLLOW_UP)],
        &Actor::member(65),
    );
    answered(&bot, &submit).await;
    let defer = bot.fake.wait_for_callback(&submit.id, SECS(3)).await;
    assert_eq!(
        defer.data["flags"].as_u64().unwrap_or(0) & 64,
        64,
        "{:?}",
        defer.data
    );
    // User 65 has used their one question a minute: the next follow-up is refused.
    let (press, modal) = open_modal(&bot, &first, 65).await;
    let again = bot.fake.submit_modal(
        &press,
        &modal,
        &[("question", "Does he still wear a mask?")],
        &Actor::member(65),
    );
    bot.fake.dispatch(&again);
    let cb = bot.fake.wait_for_callback(&again.id, SECS(3)).await;
    assert_eq!(cb.kind, 4, "refused, not deferred");
    let text = cb.data["content"].as_str().unwrap_or_default();
    assert!(text.contains("asking quickly"), "{text}");
    bot.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn in_http_mode_the_modal_and_the_deferral_are_the_responses() {
    let bot = HttpBot::start(LlmSettings::default()).await;
    let actor = Actor::member(66);
    let ask = bot.fake.command_interaction(
        "ask",
        json!([{"name": "question", "type": 3, "value": FIRST}]),
        &actor,
    );
    assert_eq!(bot.deliver(&ask).await.json["type"], 5);
    let key = (ask.token.clone(), "@original".to_string());
    let first = bot
        .fake
        .wait_until("the first answer", SECS(20), |s| {
            s.messages.get(&key).filter(|m| is_final_answer(m)).cloned()
        })
        .await;
    let press =
        bot.fake
            .component_interaction(&follow_up_button(&first), None, first.clone(), &actor);
    let d = bot.deliver(&press).await;
    assert_eq!((d.status, &d.json["type"]), (200, &json!(9)), "{}", d.body);
    let modal = bot.fake.wait_for_modal(&press.id, SECS(1)).await;
    let submit = bot
        .fake
        .submit_modal(&press, &modal, &[("question", FOLLOW_UP)], &actor);
    let d = bot.deliver(&submit).await;
    assert_eq!((d.status, &d.json["type"]), (200, &json!(5)), "{}", d.body);
    let body = bot
        .fake
        .wait_for_edit(
            &submit.token,
            |e| e.status == 200 && e.body["embeds"].as_array().is_some_and(|a| !a.is_empty()),
            SECS(20),
        )
        .await
        .body;
    let embed = &body["embeds"][0];
    assert_eq!(
        source_videos(embed).first().map(String::as_str),
        Some(JEREMY),
        "{embed}"
    );
    let footer = embed["footer"]["text"].as_str().unwrap_or_default();
    assert!(
        footer.contains(&format!("Follow-up to: {FIRST}")),
        "{footer}"
    );
    bot.shutdown().await;
}
