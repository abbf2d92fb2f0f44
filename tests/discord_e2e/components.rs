//! Buttons and menus the bot no longer knows (an older version's ids, garbage, a message from a
//! previous deployment) get an ephemeral "expired" reply instead of "This interaction failed".

use serde_json::json;

use crate::{
    bot::*,
    support::{fake_discord::Actor, fake_openai::LlmSettings},
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_buttons_and_menus_are_told_they_expired() {
    let bot = Bot::start(LlmSettings::default(), &[]).await;
    let old = bot
        .fake
        .message(json!({"content": "an answer from an older version"}));
    let cases: [(&str, Option<Vec<String>>); 6] = [
        ("fb:1234", None),                  // an older feedback id format
        ("fb:up:not-a-number", None),       // garbage after a known prefix
        ("vote:yes:17", None),              // a button of a previous deployment
        ("\u{0}💥", None),                  // garbage
        ("pick:3", Some(vec!["0".into()])), // a string select of a previous deployment
        ("epq:", Some(vec!["1".into()])),   // a known prefix without its episode
    ];
    for (custom_id, values) in cases {
        let i = bot
            .fake
            .component_interaction(custom_id, values, old.clone(), &Actor::member(5));
        bot.fake.dispatch(&i);
        let cb = bot.fake.wait_for_callback(&i.id, SECS(3)).await;
        assert_eq!(cb.kind, 4, "{custom_id:?}: a message reply");
        assert_eq!(
            cb.data["flags"].as_u64().unwrap_or(0) & 64,
            64,
            "{custom_id:?}: ephemeral: {}",
            cb.data
        );
        let text = cb.data["content"].as_str().unwrap_or_default();
        assert!(
            text.contains("expired"),
            "{custom_id:?}: says it expired: {text}"
        );
        assert_no_mentions(&cb.data, custom_id);
    }
    bot.shutdown().await;
}
