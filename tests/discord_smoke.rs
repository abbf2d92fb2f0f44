//! Smoke test of `gdbot::discord::serve` against a minimal fake Discord (REST + gateway in ~100 lines).
//! The full fake lives in tests/support/fake_discord/ (tests/discord_e2e.rs); this one only checks the
//! wiring: proxy URLs, command registration, defer + edit of @original, components, no mentions.

use std::sync::{Arc, Mutex};

use axum::{extract::State, http::Method, http::Uri, response::IntoResponse, Json, Router};
use futures::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::Message as Ws;

type Log = Arc<Mutex<Vec<(String, String, Value)>>>;

fn message_json() -> Value {
    json!({"id":"10","channel_id":"20","author":{"id":"1","username":"bot","discriminator":"0","avatar":null,"bot":true},
        "content":"","timestamp":"2024-01-01T00:00:00+00:00","edited_timestamp":null,"tts":false,"mention_everyone":false,
        "mentions":[],"mention_roles":[],"attachments":[],"embeds":[],"pinned":false,"type":0,"flags":0})
}

async fn rest(
    State(log): State<(Log, String)>,
    method: Method,
    uri: Uri,
    body: axum::body::Bytes,
) -> impl IntoResponse {
    let body: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let path = uri.path().to_string();
    log.0
        .lock()
        .unwrap()
        .push((method.to_string(), path.clone(), body));
    let ws = log.1.clone();
    if path.ends_with("/gateway") {
        return Json(json!({"url": ws})).into_response();
    }
    if path.ends_with("/gateway/bot") {
        return Json(json!({"url": ws, "shards": 1, "session_start_limit": {"total": 1000, "remaining": 1000, "reset_after": 0, "max_concurrency": 1}})).into_response();
    }
    if path.contains("/commands") {
        return Json(json!([])).into_response();
    }
    if path.ends_with("/callback") {
        return axum::http::StatusCode::NO_CONTENT.into_response();
    }
    Json(message_json()).into_response()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_talks_to_a_fake_discord() {
    let dir = tempfile::tempdir().unwrap();
    let ws_listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let ws_url = format!("ws://{}", ws_listener.local_addr().unwrap());
    let http_listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", http_listener.local_addr().unwrap());
    let log: Log = Default::default();
    let app_router = Router::new()
        .fallback(rest)
        .with_state((log.clone(), ws_url.clone()));
    tokio::spawn(async move { axum::serve(http_listener, app_router).await.unwrap() });

    tokio::spawn(async move {
        let (tcp, _) = ws_listener.accept().await.unwrap();
        let mut ws = tokio_tungstenite::accept_async(tcp).await.unwrap();
        ws.send(Ws::Text(
            json!({"op":10,"d":{"heartbeat_interval":45000}}).to_string(),
        ))
        .await
        .unwrap();
        let mut ready_sent = false;
        while let Some(Ok(msg)) = ws.next().await {
            let Ws::Text(t) = msg else { continue };
            let v: Value = serde_json::from_str(&t).unwrap();
            match v["op"].as_u64() {
                Some(1) => ws
                    .send(Ws::Text(json!({"op":11}).to_string()))
                    .await
                    .unwrap(),
                Some(2) if !ready_sent => {
                    ready_sent = true;
                    let ready = json!({"op":0,"s":1,"t":"READY","d":{"v":10,"user":{"id":"1","username":"bot","discriminator":"0","avatar":null,"bot":true},
                        "guilds":[],"session_id":"s","resume_gateway_url":ws_url_clone(),"shard":[0,1],"application":{"id":"1","flags":0}}});
                    ws.send(Ws::Text(ready.to_string())).await.unwrap();
                    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
                    let interaction = json!({"op":0,"s":2,"t":"INTERACTION_CREATE","d":{
                        "id":"100","application_id":"1","type":2,"token":"tok","version":1,"channel_id":"20","guild_id":"30",
                        "locale":"en-US","entitlements":[],"attachment_size_limit":1000000,"app_permissions":"0",
                        "member":{"user":{"id":"5","username":"u","discriminator":"0","avatar":null},"roles":[],"joined_at":"2024-01-01T00:00:00+00:00","deaf":false,"mute":false,"permissions":"0","flags":0},
                        "data":{"id":"200","name":"ask","type":1,"options":[{"name":"question","type":3,"value":"how do reward models work in RLHF?"}]}}});
                    ws.send(Ws::Text(interaction.to_string())).await.unwrap();
                    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
                    let member = json!({"user":{"id":"5","username":"u","discriminator":"0","avatar":null},"roles":[],"joined_at":"2024-01-01T00:00:00+00:00","deaf":false,"mute":false,"permissions":"0","flags":0});
                    let button = json!({"op":0,"s":3,"t":"INTERACTION_CREATE","d":{
                        "id":"101","application_id":"1","type":3,"token":"tok2","version":1,"channel_id":"20","guild_id":"30",
                        "locale":"en-US","entitlements":[],"attachment_size_limit":1000000,"app_permissions":"0","member":member,
                        "message":message_json(),"data":{"custom_id":"fb:up:1","component_type":2}}});
                    ws.send(Ws::Text(button.to_string())).await.unwrap();
                    let reload = json!({"op":0,"s":4,"t":"INTERACTION_CREATE","d":{
                        "id":"102","application_id":"1","type":2,"token":"tok3","version":1,"channel_id":"20","guild_id":"30",
                        "locale":"en-US","entitlements":[],"attachment_size_limit":1000000,"app_permissions":"0","member":member,
                        "data":{"id":"201","name":"reload","type":1,"options":[]}}});
                    ws.send(Ws::Text(reload.to_string())).await.unwrap();
                    let auto = json!({"op":0,"s":5,"t":"INTERACTION_CREATE","d":{
                        "id":"103","application_id":"1","type":4,"token":"tok4","version":1,"channel_id":"20","guild_id":"30",
                        "locale":"en-US","entitlements":[],"attachment_size_limit":1000000,"app_permissions":"0","member":member,
                        "data":{"id":"202","name":"episode","type":1,"options":[{"name":"query","type":3,"value":"lu","focused":true}]}}});
                    ws.send(Ws::Text(auto.to_string())).await.unwrap();
                    let ep = json!({"op":0,"s":6,"t":"INTERACTION_CREATE","d":{
                        "id":"104","application_id":"1","type":2,"token":"tok5","version":1,"channel_id":"20","guild_id":"30",
                        "locale":"en-US","entitlements":[],"attachment_size_limit":1000000,"app_permissions":"0","member":member,
                        "data":{"id":"202","name":"episode","type":1,"options":[{"name":"query","type":3,"value":"v3O20NMdOuA"}]}}});
                    ws.send(Ws::Text(ep.to_string())).await.unwrap();
                    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
                    let pick = json!({"op":0,"s":7,"t":"INTERACTION_CREATE","d":{
                        "id":"105","application_id":"1","type":3,"token":"tok6","version":1,"channel_id":"20","guild_id":"30",
                        "locale":"en-US","entitlements":[],"attachment_size_limit":1000000,"app_permissions":"0","member":member,
                        "message":message_json(),"data":{"custom_id":"epq:v3O20NMdOuA","component_type":3,"values":["1"]}}});
                    ws.send(Ws::Text(pick.to_string())).await.unwrap();
                    let mut moderator = member.clone();
                    moderator["permissions"] = json!("32"); // MANAGE_GUILD
                    let reload = json!({"op":0,"s":8,"t":"INTERACTION_CREATE","d":{
                        "id":"106","application_id":"1","type":2,"token":"tok7","version":1,"channel_id":"20","guild_id":"30",
                        "locale":"en-US","entitlements":[],"attachment_size_limit":1000000,"app_permissions":"0","member":moderator,
                        "data":{"id":"201","name":"reload","type":1,"options":[]}}});
                    ws.send(Ws::Text(reload.to_string())).await.unwrap();
                }
                _ => {}
            }
        }
    });

    let config = gdbot::config::Config::from_lookup(|k| match k {
        "DATABASE_URL" => Some(format!("sqlite://{}/t.db", dir.path().display())),
        "DISCORD_TOKEN" => Some("fake-token".into()),
        "DISCORD_GUILD_ID" => Some("30".into()),
        "DISCORD_API_BASE" => Some(base.clone()),
        "DATASET_PATH" => Some(format!("{}/missing.csv", dir.path().display())),
        _ => None,
    })
    .unwrap();
    let app = gdbot::App::open(config).await.unwrap();
    let transcript = "Lukas talks with Jane about reinforcement learning from human feedback and reward models. ".repeat(40);
    let ds = gdbot::dataset::Dataset {
        source: "t".into(),
        episodes: vec![gdbot::dataset::Episode {
            episode_id: "v3O20NMdOuA".into(),
            url: "https://www.youtube.com/watch?v=v3O20NMdOuA".into(),
            title: "Jane Doe — RLHF @everyone in practice".into(),
            publish_date: Some("2023-01-02".into()),
            length_s: Some(3600),
            total_words: transcript.split_whitespace().count() as i64,
            transcript,
            summary: Some("A talk about <@&123> reward models.".into()),
            questions: vec![
                "What are reward models?".into(),
                "How does RLHF work?".into(),
            ],
        }],
        warnings: vec![],
        repaired_fields: 0,
    };
    app.store
        .reload(&ds, false, &indicatif::ProgressBar::hidden())
        .await
        .unwrap();
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let served = tokio::spawn(gdbot::discord::serve(app, async move {
        let _ = stop_rx.await;
    }));
    for _ in 0..100 {
        if log
            .lock()
            .unwrap()
            .iter()
            .any(|(_, p, _)| p.contains("1/tok6/messages"))
            && log
                .lock()
                .unwrap()
                .iter()
                .any(|(_, p, _)| p.contains("1/tok7/messages"))
        {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    stop_tx.send(()).unwrap();
    let result = tokio::time::timeout(std::time::Duration::from_secs(20), served)
        .await
        .unwrap()
        .unwrap();
    for (m, p, b) in log.lock().unwrap().iter() {
        println!(
            "{m} {p} {}",
            serde_json::to_string(b)
                .unwrap()
                .chars()
                .take(600)
                .collect::<String>()
        );
    }
    assert!(result.is_ok(), "{result:?}");
    let log = log.lock().unwrap();
    assert!(log
        .iter()
        .any(|(m, p, _)| m == "PUT" && p == "/api/v10/applications/1/guilds/30/commands"));
    let find = |m: &str, p: &str| {
        log.iter()
            .find(|e| e.0 == m && e.1 == p)
            .map(|e| e.2.clone())
    };
    let ask_defer = find("POST", "/api/v10/interactions/100/tok/callback").expect("/ask deferred");
    assert_eq!(ask_defer["type"], 5);
    let ask_final =
        find("PATCH", "/api/v10/webhooks/1/tok/messages/@original").expect("/ask edited");
    assert!(ask_final["embeds"][0]["description"]
        .as_str()
        .unwrap()
        .contains("reward models"));
    assert!(ask_final["embeds"][0]["fields"][0]["value"]
        .as_str()
        .unwrap()
        .starts_with("[1] [Jane Doe"));
    assert_eq!(
        ask_final["components"][0]["components"][0]["custom_id"],
        "fb:up:1"
    );
    let vote = find("POST", "/api/v10/interactions/101/tok2/callback").expect("vote answered");
    assert_eq!(vote["data"]["content"], "Thanks — recorded 👍");
    let refused = find("POST", "/api/v10/interactions/102/tok3/callback").expect("reload refused");
    assert_eq!(refused["data"]["flags"], 64);
    assert!(refused["data"]["content"]
        .as_str()
        .unwrap()
        .starts_with("Only moderators"));
    let episode =
        find("POST", "/api/v10/interactions/104/tok5/callback").expect("/episode answered");
    assert_eq!(
        episode["data"]["components"][0]["components"][0]["custom_id"],
        "epq:v3O20NMdOuA"
    );
    assert_eq!(
        find("POST", "/api/v10/interactions/105/tok6/callback").expect("pick deferred")["type"],
        5
    );
    let picked =
        find("PATCH", "/api/v10/webhooks/1/tok6/messages/@original").expect("pick answered");
    assert_eq!(picked["embeds"][0]["title"], "How does RLHF work?");
    assert_eq!(
        find("POST", "/api/v10/interactions/106/tok7/callback").expect("reload deferred")["data"]
            ["flags"],
        64
    );
    let reloaded =
        find("PATCH", "/api/v10/webhooks/1/tok7/messages/@original").expect("reload reported");
    let text = reloaded["content"].as_str().unwrap();
    assert!(
        text.contains("missing.csv") && text.ends_with("The stored dataset was not changed."),
        "{text}"
    );
    for (m, p, b) in log.iter().filter(|(m, p, _)| {
        m != "GET" && !p.ends_with("/commands") && !p.ends_with("103/tok4/callback")
    }) {
        assert_eq!(
            b["allowed_mentions"]
                .as_object()
                .or(b["data"]["allowed_mentions"].as_object())
                .map(|o| o["parse"].clone()),
            Some(json!([])),
            "{m} {p}"
        );
    }
}

fn ws_url_clone() -> String {
    "ws://127.0.0.1:1".into()
}
