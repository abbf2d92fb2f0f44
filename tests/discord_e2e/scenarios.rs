//! gdbot's Discord front door end to end: startup, /ask, /episode and /reload.

use std::time::Duration;

use serde_json::json;

use crate::{
    bot::*,
    guards::{ephemeral_text, feedback_button, press},
    suggested::source_videos,
    support::{
        fake_discord::{Actor, Interaction, PERMS_MEMBER},
        fake_openai::LlmSettings,
    },
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn startup_identifies_with_minimal_intents_and_registers_commands() {
    let bot = Bot::start(LlmSettings::default(), &[]).await;
    let id = bot.fake.identify_payload().await;
    assert_eq!(
        id["token"].as_str().map(|t| t.trim_start_matches("Bot ")),
        Some("test-token")
    );
    let intents = id["intents"].as_u64().expect("intents");
    for (bit, name) in [
        (1 << 1, "GUILD_MEMBERS"),
        (1 << 8, "GUILD_PRESENCES"),
        (1 << 15, "MESSAGE_CONTENT"),
    ] {
        assert_eq!(
            intents & bit,
            0,
            "privileged intent {name} requested: {intents}"
        );
    }
    let cmds = bot.fake.guild_commands();
    let by_name = |n: &str| {
        cmds.iter()
            .find(|c| c["name"] == n)
            .unwrap_or_else(|| panic!("/{n} registered"))
    };
    let ask = by_name("ask");
    assert_eq!(option(ask, "question")["type"], 3);
    assert_eq!(option(ask, "question")["max_length"], 500);
    assert_eq!(option(ask, "question")["required"], true);
    assert_eq!(option(ask, "episode")["autocomplete"], true);
    assert_eq!(option(ask, "private")["type"], 5);
    assert_eq!(option(by_name("episode"), "query")["autocomplete"], true);
    assert_eq!(by_name("reload")["default_member_permissions"], "32");
    bot.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ask_defers_streams_at_most_once_a_second_and_never_pings() {
    let llm = LlmSettings {
        chunk_delay: Duration::from_millis(250),
        words_per_chunk: 2,
        ..LlmSettings::default()
    };
    let bot = Bot::start(llm, &[]).await;
    let i = bot.ask(QUESTION, 1);
    assert_eq!(bot.dispatch_acked(&i).await, 5, "deferred");
    let m = bot.wait_original(&i, SECS(20), is_final_answer).await;
    let text = m.to_string();
    assert!(text.contains('≈'), "≈timestamps in the sources: {text}");
    assert!(text.contains("watch?v="), "linked sources: {text}");
    let patches: Vec<_> = bot
        .fake
        .edits_for(&i.token)
        .into_iter()
        .filter(|e| e.method == "PATCH")
        .collect();
    assert!(
        patches.len() >= 2,
        "streamed (several edits), got {}",
        patches.len()
    );
    for p in &patches {
        assert_no_mentions(&p.body, "every edit");
    }
    assert!(
        text.contains("@everyone"),
        "the LLM text (with @everyone) is shown"
    );
    // Streaming edits ≥ ~1 s apart (the final one may follow sooner).
    for w in patches[..patches.len() - 1].windows(2) {
        let gap = w[1].at - w[0].at;
        assert!(gap >= Duration::from_millis(900), "edits {gap:?} apart");
    }
    // Feedback button → an ephemeral thank-you (the vote itself: `guards`).
    let cb = press(&bot, &m, &feedback_button(&m, "up"), 2).await;
    assert_eq!(ephemeral_text(&cb), "Thanks — recorded 👍");
    bot.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn episode_autocomplete_and_suggested_question() {
    let bot = Bot::start(LlmSettings::default(), &[]).await;
    let actor = Actor::member(3);
    let auto = bot.fake.autocomplete_interaction(
        "episode",
        json!([{"name": "query", "type": 3, "value": "sa", "focused": true}]),
        &actor,
    );
    assert_eq!(bot.dispatch_acked(&auto).await, 8, "autocomplete result");
    let cb = bot.fake.wait_for_callback(&auto.id, SECS(1)).await;
    let choices = cb.data["choices"].as_array().cloned().unwrap_or_default();
    assert!(
        !choices.is_empty() && choices.len() <= 25,
        "1..=25 choices: {}",
        cb.data
    );
    for c in &choices {
        assert!(
            c["value"]
                .as_str()
                .is_some_and(|v| v.chars().count() <= 100),
            "value ≤ 100: {c}"
        );
    }

    let pick = choices[0]["value"].clone();
    let ep = bot.fake.command_interaction(
        "episode",
        json!([{"name": "query", "type": 3, "value": pick}]),
        &actor,
    );
    bot.dispatch_acked(&ep).await;
    let key = (ep.token.clone(), "@original".to_string());
    let msg = bot
        .fake
        .wait_until("the /episode message with its select menu", SECS(10), |s| {
            s.messages
                .get(&key)
                .filter(|m| m["components"].to_string().contains("epq:"))
                .cloned()
        })
        .await;
    let comps = msg["components"].to_string();
    let custom = comps
        .split('"')
        .find(|s| s.starts_with("epq:"))
        .expect("epq select")
        .to_string();
    let episode_id = custom.trim_start_matches("epq:").to_string();

    let question = bot
        .app
        .episode(&episode_id)
        .await
        .expect("load")
        .expect("the picked episode")
        .questions[0]
        .clone();
    let sel = bot
        .fake
        .component_interaction(&custom, Some(vec!["0".into()]), msg, &actor);
    bot.dispatch_acked(&sel).await;
    let edit = bot
        .fake
        .wait_for_edit(
            &sel.token,
            |e| e.status == 200 && e.body["embeds"].as_array().is_some_and(|a| !a.is_empty()),
            SECS(20),
        )
        .await;
    let embed = &edit.body["embeds"][0];
    assert_eq!(embed["title"].as_str(), Some(question.as_str()), "{embed}");
    assert!(
        embed["description"]
            .as_str()
            .is_some_and(|d| d.contains("careful evaluation")),
        "the LLM's answer: {embed}"
    );
    let videos = source_videos(embed);
    assert!(
        !videos.is_empty() && videos.iter().all(|v| *v == episode_id),
        "sources from episode {episode_id}: {videos:?}"
    );
    bot.shutdown().await;
}

fn reload(bot: &Bot, actor: &Actor, filename: &str, bytes: Vec<u8>) -> Interaction {
    let att = bot.fake.add_attachment(filename, bytes);
    let reg = bot.fake.guild_commands();
    let cmd = reg.iter().find(|c| c["name"] == "reload").expect("/reload");
    let opt = cmd["options"]
        .as_array()
        .and_then(|o| o.iter().find(|o| o["type"] == 11))
        .expect("an attachment option on /reload");
    let id = att["id"].as_str().unwrap_or_default().to_string();
    bot.fake.command_interaction_with(
        "reload",
        json!([{"name": opt["name"], "type": 11, "value": id}]),
        Some(json!({"attachments": {id.clone(): att}})),
        actor,
    )
}

/// The shipped CSV without its last episode (a valid, different dataset).
fn shipped_minus_last() -> Vec<u8> {
    let path = format!("{}/data/summary_que_data.csv", env!("CARGO_MANIFEST_DIR"));
    let mut r = csv::Reader::from_path(path).expect("read shipped csv");
    let headers = r.byte_headers().expect("headers").clone();
    let rows: Vec<_> = r.byte_records().collect::<Result<_, _>>().expect("rows");
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_byte_record(&headers).expect("write");
    for row in &rows[..rows.len() - 1] {
        w.write_byte_record(row).expect("write");
    }
    w.into_inner().expect("flush")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reload_checks_permission_validates_and_reports() {
    let bot = Bot::start(LlmSettings::default(), &[]).await;
    let before = bot.app.store_for_tests().dump().await.expect("dump");
    let count = bot
        .app
        .store_for_tests()
        .episode_count()
        .await
        .expect("count");

    // A member without MANAGE_GUILD: ephemeral refusal, nothing changes.
    let i = reload(
        &bot,
        &Actor::new(10, PERMS_MEMBER, &[]),
        "new.csv",
        shipped_minus_last(),
    );
    bot.dispatch_acked(&i).await;
    let cb = bot.fake.wait_for_callback(&i.id, SECS(1)).await;
    // An accepted reload is deferred ephemerally too (type 5, flag 64): check it is the refusal.
    assert_eq!(
        ephemeral_text(&cb),
        "Only moderators can do that: it needs the Manage Server permission or a moderator role."
    );
    let refused = i;
    assert_eq!(
        bot.app.store_for_tests().dump().await.expect("dump"),
        before,
        "unchanged after a refused reload"
    );

    // A moderator with a broken CSV: errors naming lines; nothing changes.
    let broken =
        b"Unnamed: 0,title,url,length,publish_date,transcript,total_words,summary,questions\n\
                   0,Broken,not a url,abc,2023-99-99,\"unterminated\n"
            .to_vec();
    let i = reload(&bot, &Actor::new(11, "32", &[]), "broken.csv", broken);
    bot.dispatch_acked(&i).await;
    let key = (i.token.clone(), "@original".to_string());
    let msg = bot
        .fake
        .wait_until("the reload error report", SECS(10), |s| {
            s.messages
                .get(&key)
                .filter(|m| m["flags"].as_u64().unwrap_or(0) & 128 == 0)
                .cloned()
        })
        .await;
    let content = msg["content"].as_str().unwrap_or_default();
    assert!(
        content.starts_with("❌ The import was rejected:")
            && content
                .contains("broken.csv: the file ends inside a quoted field that starts on line 2")
            && content.ends_with("The stored dataset was not changed."),
        "the error names the file and line: {content}"
    );
    assert_eq!(
        bot.app.store_for_tests().dump().await.expect("dump"),
        before,
        "unchanged after a broken file"
    );

    // A moderator with a good file: report, and the store now has one episode fewer.
    let i = reload(
        &bot,
        &Actor::new(12, "32", &[]),
        "good.csv",
        shipped_minus_last(),
    );
    bot.dispatch_acked(&i).await;
    bot.fake
        .wait_until("the reload report", SECS(20), |s| {
            s.edits
                .iter()
                .any(|e| e.token == i.token && e.status == 200)
                .then_some(())
        })
        .await;
    assert_eq!(
        bot.app
            .store_for_tests()
            .episode_count()
            .await
            .expect("count"),
        count - 1
    );
    // Every import attempt is logged: the refused one never started.
    let sources: Vec<String> = gdbot::db!(bot.app.store_for_tests().pool(), |c| {
        sqlx::query_scalar("SELECT source || ' ' || outcome FROM reloads ORDER BY id")
            .fetch_all(c)
            .await
    })
    .expect("reloads");
    assert_eq!(
        sources[sources.len() - 2..],
        ["broken.csv rejected", "good.csv ok"],
        "{sources:?}"
    );
    assert!(
        !sources.iter().any(|s| s.starts_with("new.csv")),
        "{sources:?}"
    );
    assert!(bot.fake.edits_for(&refused.token).is_empty());
    assert_eq!(bot.fake.callbacks_for(&refused.id).len(), 1);
    bot.shutdown().await;
}
