//! /add end to end: registered with valid options, moderators only, options and attachment
//! checked before anything is fetched (an ephemeral message names what is wrong), a bad file
//! changes nothing, a good one is added atomically, logged, reported, and is in /episode's
//! autocomplete at once.

use serde_json::{json, Value};

use crate::{
    bot::*,
    guards::ephemeral_text,
    support::{
        fake_discord::{Actor, Interaction, PERMS_MEMBER},
        fake_openai::LlmSettings,
    },
};

const MODERATOR: &str = "32"; // MANAGE_GUILD

/// `/add` with `file` attached and the given text options.
pub(crate) fn add(
    bot: &Bot,
    actor: &Actor,
    filename: &str,
    bytes: Vec<u8>,
    opts: &[(&str, &str)],
) -> Interaction {
    let att = bot.fake.add_attachment(filename, bytes);
    let id = att["id"].as_str().unwrap_or_default().to_string();
    let mut options = vec![json!({"name": "file", "type": 11, "value": id})];
    for (name, value) in opts {
        options.push(json!({"name": name, "type": 3, "value": value}));
    }
    bot.fake.command_interaction_with(
        "add",
        Value::Array(options),
        Some(json!({"attachments": {id.clone(): att}})),
        actor,
    )
}

/// The final (not "thinking…") content of a deferred response.
pub(crate) async fn final_content(bot: &Bot, i: &Interaction) -> String {
    let key = (i.token.clone(), "@original".to_string());
    let msg = bot
        .fake
        .wait_until("the /add report", SECS(20), |s| {
            s.messages
                .get(&key)
                .filter(|m| m["flags"].as_u64().unwrap_or(0) & 128 == 0)
                .cloned()
        })
        .await;
    msg["content"].as_str().unwrap_or_default().to_string()
}

async fn autocomplete_ids(bot: &Bot, typed: &str) -> Vec<String> {
    let auto = bot.fake.autocomplete_interaction(
        "episode",
        json!([{"name": "query", "type": 3, "value": typed, "focused": true}]),
        &Actor::member(3),
    );
    bot.dispatch_acked(&auto).await;
    let cb = bot.fake.wait_for_callback(&auto.id, SECS(1)).await;
    cb.data["choices"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .filter_map(|c| c["value"].as_str().map(String::from))
        .collect()
}

const URL: &str = "https://www.youtube.com/watch?v=orchard0001";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn add_is_for_moderators_checks_options_and_adds_atomically() {
    let bot = Bot::start(LlmSettings::default(), &[("RELOAD_MAX_MB", "1")]).await;
    let cmds = bot.fake.guild_commands();
    let cmd = cmds
        .iter()
        .find(|c| c["name"] == "add")
        .expect("/add registered");
    assert_eq!(cmd["default_member_permissions"], "32");
    assert_eq!(option(cmd, "file")["type"], 11);
    assert_eq!(option(cmd, "file")["required"], true);
    assert_eq!(option(cmd, "url")["required"], true);
    assert_eq!(option(cmd, "title")["required"], true);
    assert_ne!(option(cmd, "date")["required"], true);

    let store = bot.app.store_for_tests();
    let before = store.dump().await.expect("dump");
    let text = b"We talk about apple orchards, grafting and pruning in late winter.".to_vec();
    let good = [
        ("url", URL),
        ("title", "Orchards and AI"),
        ("date", "2024-05-06"),
    ];

    // Not a moderator: refused, nothing changes.
    let i = add(
        &bot,
        &Actor::new(10, PERMS_MEMBER, &[]),
        "orchard.txt",
        text.clone(),
        &good,
    );
    bot.dispatch_acked(&i).await;
    let cb = bot.fake.wait_for_callback(&i.id, SECS(3)).await;
    assert!(ephemeral_text(&cb).starts_with("Only moderators can do that"));

    // Bad options and attachments: an ephemeral message naming the option or file.
    let moderator = Actor::new(11, MODERATOR, &[]);
    type Case<'a> = (&'a str, Vec<u8>, Vec<(&'a str, &'a str)>, &'a str);
    let cases: Vec<Case> = vec![
        (
            "orchard.txt",
            text.clone(),
            vec![("url", "ftp://x"), ("title", "T")],
            "Option `url`",
        ),
        (
            "orchard.txt",
            text.clone(),
            vec![("url", URL), ("title", " ")],
            "Option `title`",
        ),
        (
            "orchard.txt",
            text.clone(),
            vec![("url", URL), ("title", "T"), ("date", "06/05/2024")],
            "Option `date`",
        ),
        (
            "orchard.pdf",
            text.clone(),
            good.to_vec(),
            "`orchard.pdf` is not a caption or transcript file",
        ),
        (
            "big.txt",
            vec![b'a'; 1024 * 1024 + 1],
            good.to_vec(),
            "larger than the 1 MB limit (RELOAD_MAX_MB)",
        ),
    ];
    for (filename, bytes, opts, needle) in cases {
        let i = add(&bot, &moderator, filename, bytes, &opts);
        bot.dispatch_acked(&i).await;
        let cb = bot.fake.wait_for_callback(&i.id, SECS(3)).await;
        let said = ephemeral_text(&cb);
        assert!(
            said.contains(needle) && said.contains("Nothing was added"),
            "{needle}: {said}"
        );
        assert!(
            bot.fake.edits_for(&i.token).is_empty(),
            "nothing more was said"
        );
    }
    // Files the parser refuses: the report names the file and line; nothing changes.
    let broken_vtt =
        "WEBVTT\n\n00:00:01.000 --> 00:00:04.000\nfine\n\n00:00:61.000 --> 00:01:04.000\nbad\n";
    for (filename, bytes, needle) in [
        ("blank.txt", b"   \n".to_vec(), "blank.txt: line 1"),
        (
            "broken.vtt",
            broken_vtt.as_bytes().to_vec(),
            "broken.vtt: line 6: cue timing",
        ),
    ] {
        let i = add(&bot, &moderator, filename, bytes, &good);
        assert_eq!(bot.dispatch_acked(&i).await, 5, "deferred");
        let said = final_content(&bot, &i).await;
        assert!(
            said.starts_with("❌ The episode was not added:") && said.contains(needle),
            "{said}"
        );
    }
    assert_eq!(store.dump().await.expect("dump"), before, "nothing changed");
    assert!(!autocomplete_ids(&bot, "orchards")
        .await
        .contains(&"orchard0001".to_string()));

    // A good file: added, reported, logged, and in autocomplete at once.
    let i = add(&bot, &moderator, "orchard.txt", text, &good);
    assert_eq!(bot.dispatch_acked(&i).await, 5, "deferred");
    let said = final_content(&bot, &i).await;
    assert!(
        said.starts_with("✅ Episode added to the archive.")
            && said.contains("1 added, 0 updated")
            && said.contains("orchard0001"),
        "{said}"
    );
    assert_eq!(store.episode_count().await.expect("count"), 4);
    assert_eq!(
        autocomplete_ids(&bot, "orchards")
            .await
            .first()
            .map(String::as_str),
        Some("orchard0001")
    );
    let log: Vec<String> = gdbot::db!(store.pool(), |c| sqlx::query_scalar(
        "SELECT source || ' ' || outcome FROM reloads WHERE id > 1 ORDER BY id"
    )
    .fetch_all(c)
    .await)
    .expect("reloads");
    assert_eq!(
        log,
        [
            "blank.txt rejected",
            "broken.vtt rejected",
            "orchard.txt ok"
        ],
        "{log:?}"
    );
    bot.shutdown().await;
}

/// An episode added from YouTube-style auto-captions through /add is cited by /ask to the second:
/// `[1:51](…&t=111s) [1]` under the title "Axolotl limbs", without "≈".
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_episode_added_from_captions_is_cited_to_the_second_by_ask() {
    let bot = Bot::start(LlmSettings::default(), &[]).await;
    let text = "Axolotls regrow whole limbs because their cells remember positional information \
                and the blastema rebuilds bone muscle and nerve in the right order";
    let words: Vec<&str> = text.split(' ').cycle().take(2_000).collect();
    let vtt = gdbot::dataset::captions::synthetic_auto_vtt(&words, 0.37);
    let url = "https://www.youtube.com/watch?v=axolotl0001";
    let i = add(
        &bot,
        &Actor::new(11, MODERATOR, &[]),
        "axolotl.en.vtt",
        vtt.into_bytes(),
        &[("url", url), ("title", "Axolotl limbs")],
    );
    bot.dispatch_acked(&i).await;
    let said = final_content(&bot, &i).await;
    assert!(
        said.contains("1 added") && said.contains("word times (exact citations)"),
        "{said}"
    );

    let ask = bot.ask("How do axolotls regrow limbs?", 12);
    bot.dispatch_acked(&ask).await;
    let m = bot.wait_original(&ask, SECS(20), is_final_answer).await;
    let sources: String = m["embeds"][0]["fields"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .filter(|f| f["name"].as_str().is_some_and(|n| n.starts_with("Sources")))
        .filter_map(|f| f["value"].as_str().map(String::from))
        .collect();
    // The episode's title once, then its cited moments, each a link to the second.
    let mut lines = sources.lines();
    assert_eq!(lines.next(), Some("**Axolotl limbs**"), "{sources}");
    let moments = lines.next().unwrap_or_default().to_string();
    let first = moments.split(" · ").next().unwrap_or_default().to_string();
    let t: u64 = first
        .split("&t=")
        .nth(1)
        .and_then(|rest| rest.split_once("s)"))
        .and_then(|(n, _)| n.parse().ok())
        .unwrap_or_else(|| panic!("a link to the second: {first}"));
    assert_eq!(
        first,
        format!("[{}:{:02}]({url}&t={t}s) [1]", t / 60, t % 60),
        "{sources}"
    );
    bot.shutdown().await;
}
