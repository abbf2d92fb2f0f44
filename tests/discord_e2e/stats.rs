//! /stats end to end: moderators only, deferred privately, then an embed whose chart is a PNG
//! uploaded as Discord takes files (multipart: `payload_json` + `files[0]`, validated like every
//! body) and shown in the embed; the test decodes the PNG. An empty log gets a valid chart and
//! says so; recorded answers are counted by kind (the LLM, its failure, a question not covered).
//! In HTTP mode (`serve --http`) the same: the deferral in the HTTP response, the chart by REST.

use serde_json::{json, Value};

use crate::{
    bot::*,
    guards::ephemeral_text,
    http_bot::HttpBot,
    support::{
        fake_discord::{Actor, Interaction},
        fake_openai::{LlmFault, LlmSettings},
    },
};

fn stats_cmd(bot: &Bot, actor: &Actor, days: Option<u32>) -> Interaction {
    let opts = match days {
        Some(d) => json!([{"name": "days", "type": 4, "value": d}]),
        None => json!([]),
    };
    bot.fake.command_interaction("stats", opts, actor)
}

/// A decoded PNG: width, height, how many pixels are not white, how many distinct colours.
struct Decoded {
    width: u32,
    height: u32,
    inked: usize,
    colours: usize,
    pixels: Vec<[u8; 3]>,
}

fn decode(bytes: &[u8]) -> Decoded {
    let mut reader = png::Decoder::new(std::io::Cursor::new(bytes))
        .read_info()
        .expect("the upload is a PNG");
    let mut buf = vec![0; reader.output_buffer_size().expect("a size")];
    let info = reader.next_frame(&mut buf).expect("a frame");
    let step = info.color_type.samples();
    let pixels: Vec<[u8; 3]> = buf[..info.buffer_size()]
        .chunks(step)
        .map(|p| [p[0], p[1], p[2]])
        .collect();
    let mut distinct = pixels.clone();
    distinct.sort_unstable();
    distinct.dedup();
    Decoded {
        width: info.width,
        height: info.height,
        inked: pixels.iter().filter(|p| **p != [255, 255, 255]).count(),
        colours: distinct.len(),
        pixels,
    }
}

/// Run /stats as a moderator; returns the final `@original` and the uploaded PNG decoded.
async fn run_stats(bot: &Bot, days: Option<u32>) -> (Value, Decoded) {
    let i = stats_cmd(bot, &Actor::moderator(31), days);
    assert_eq!(bot.dispatch_acked(&i).await, 5, "deferred");
    let cb = bot.fake.wait_for_callback(&i.id, SECS(3)).await;
    assert_eq!(cb.data["flags"].as_u64().unwrap_or(0) & 64, 64, "privately");
    let has_chart = |m: &Value| m["attachments"].as_array().is_some_and(|a| !a.is_empty());
    let m = bot.wait_original(&i, SECS(20), has_chart).await;
    // Sent as Discord takes files: multipart, the payload validated, one files[n] part.
    let edit = bot
        .fake
        .requests()
        .into_iter()
        .find(|r| r.method == "PATCH" && r.path.contains(&i.token))
        .expect("the final edit");
    let ctype = edit
        .headers
        .get("content-type")
        .cloned()
        .unwrap_or_default();
    assert!(ctype.starts_with("multipart/form-data"), "{ctype}");
    assert_eq!(edit.files, vec!["files[0]".to_string()]);
    assert_eq!(edit.status, 200);
    assert_no_mentions(&edit.body, "/stats");
    let att = &m["attachments"][0];
    assert_eq!(att["filename"], "stats.png");
    assert_eq!(m["embeds"][0]["image"]["url"], "attachment://stats.png");
    let uploads = bot.fake.uploads_for(&i.token);
    assert_eq!(uploads.len(), 1, "one file");
    assert_eq!(uploads[0].content_type.as_deref(), Some("image/png"));
    assert_eq!(att["size"], uploads[0].bytes.len());
    let png = decode(&uploads[0].bytes);
    assert_eq!(
        (att["width"].clone(), att["height"].clone()),
        (json!(png.width), json!(png.height))
    );
    (m, png)
}

async fn ask(bot: &Bot, question: &str, user: u64) {
    let i = bot.ask(question, user);
    bot.dispatch_acked(&i).await;
    bot.wait_original(&i, SECS(20), is_final_answer).await;
}

fn field<'a>(m: &'a Value, name: &str) -> &'a str {
    m["embeds"][0]["fields"]
        .as_array()
        .and_then(|fs| fs.iter().find(|f| f["name"] == name))
        .and_then(|f| f["value"].as_str())
        .unwrap_or_else(|| panic!("field {name} in {m}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stats_is_for_moderators_and_charts_an_empty_log() {
    let bot = Bot::start(LlmSettings::default(), &[]).await;
    let reg = bot.fake.guild_commands();
    let cmd = reg
        .iter()
        .find(|c| c["name"] == "stats")
        .expect("/stats registered");
    assert_eq!(cmd["default_member_permissions"], "32");
    let days = option(cmd, "days");
    let range = (days["min_value"].as_f64(), days["max_value"].as_f64());
    assert_eq!(range, (Some(1.0), Some(365.0)));

    // A member without Manage Server: refused privately, nothing drawn or uploaded.
    let refused = stats_cmd(&bot, &Actor::member(30), None);
    bot.dispatch_acked(&refused).await;
    let cb = bot.fake.wait_for_callback(&refused.id, SECS(1)).await;
    assert!(ephemeral_text(&cb).starts_with("Only moderators can do that"));
    tokio::time::sleep(SECS(1)).await;
    assert!(bot.fake.edits_for(&refused.token).is_empty());
    assert!(bot.fake.uploads_for(&refused.token).is_empty());

    // Nothing asked yet: a valid chart with no bars, and the text says so.
    let (m, png) = run_stats(&bot, None).await;
    let description = m["embeds"][0]["description"].as_str().unwrap_or_default();
    assert!(
        description.starts_with("No questions yet in the last 30 days"),
        "{description}"
    );
    assert_eq!((png.width, png.height), (1000, 500));
    assert!(
        png.inked > 5_000 && png.colours > 10,
        "axes, labels, text: {} / {}",
        png.inked,
        png.colours
    );
    bot.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stats_counts_answers_by_kind_and_charts_them() {
    let bot = Bot::start(LlmSettings::default(), &[]).await;
    ask(&bot, QUESTION, 1).await; // the LLM answers
    bot.llm.fail_next(1, LlmFault::ServerError);
    ask(&bot, QUESTION, 2).await; // it fails: quotes instead
    ask(&bot, "How do I bake sourdough bread at home?", 3).await; // not covered
    let (m, png) = run_stats(&bot, Some(7)).await;
    let description = m["embeds"][0]["description"].as_str().unwrap_or_default();
    assert!(
        description.starts_with("**3** questions in the last 7 days"),
        "{description}"
    );
    assert_eq!(
        field(&m, "Answers"),
        "LLM 1 · quoted 0 · fell back 1 · not covered 1"
    );
    assert!(field(&m, "Most asked, not covered by the archive")
        .starts_with("**1×** `How do I bake sourdough bread at home?`"));
    assert_eq!(field(&m, "Votes"), "No votes yet.");
    // Today's bar holds the LLM's blurple, the fall-back's orange and the not-covered grey.
    for (name, colour) in [
        ("LLM", [0x58, 0x65, 0xF2]),
        ("fell back", [0xE6, 0x7E, 0x22]),
        ("not covered", [0x99, 0xAA, 0xB5]),
    ] {
        let n = png.pixels.iter().filter(|p| **p == colour).count();
        // More than the 16 × 16 legend square: a bar too.
        assert!(n > 16 * 16 + 500, "{name}: {n} pixels");
    }
    bot.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stats_in_http_mode_defers_in_the_response_and_uploads_the_chart() {
    let bot = HttpBot::start(LlmSettings::default()).await;
    let refused = bot
        .fake
        .command_interaction("stats", json!([]), &Actor::member(40));
    let d = bot.deliver(&refused).await;
    assert_eq!(d.json["type"], 4, "{}", d.body);
    assert!(d.json["data"]["content"]
        .as_str()
        .is_some_and(|c| c.starts_with("Only moderators")));
    let days = json!([{"name": "days", "type": 4, "value": 1}]);
    let i = bot
        .fake
        .command_interaction("stats", days, &Actor::moderator(41));
    let d = bot.deliver(&i).await;
    assert_eq!(
        (d.status, d.json["type"].clone()),
        (200, json!(5)),
        "{}",
        d.body
    );
    assert_eq!(
        d.json["data"]["flags"].as_u64().unwrap_or(0) & 64,
        64,
        "privately"
    );
    let key = (i.token.clone(), "@original".to_string());
    let m = bot
        .fake
        .wait_until("the chart", SECS(20), |s| {
            s.messages
                .get(&key)
                .filter(|m| m["attachments"].as_array().is_some_and(|a| !a.is_empty()))
                .cloned()
        })
        .await;
    let description = m["embeds"][0]["description"].as_str().unwrap_or_default();
    assert!(
        description.starts_with("No questions yet today"),
        "{description}"
    );
    let uploads = bot.fake.uploads_for(&i.token);
    assert_eq!(uploads.len(), 1);
    let png = decode(&uploads[0].bytes);
    assert_eq!((png.width, png.height), (1000, 500));
    assert!(png.inked > 5_000, "{}", png.inked);
    assert!(
        bot.fake.invalid_bodies().is_empty(),
        "{:?}",
        bot.fake.invalid_bodies()
    );
    bot.shutdown().await;
}
