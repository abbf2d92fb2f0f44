//! Proof that the fake Discord answers like Discord, so a rendering regression fails the suite:
//! bodies sent straight at it (no bot) that Discord refuses get 400 `Invalid Form Body` (50035)
//! naming the field; callbacks of the wrong type are refused; tokens expire after 15 minutes of
//! its test clock (401, 50027); and its buckets send Discord's rate-limit headers and 429s.

use std::time::Duration;

use serde_json::{json, Value};

use crate::support::fake_discord::{
    Actor, FakeDiscord, Interaction, Limit, Options, RateLimits, APPLICATION_ID, GUILD_ID,
};

/// One raw request; returns (status, JSON body or Null, headers).
async fn send(
    fake: &FakeDiscord,
    method: reqwest::Method,
    path: &str,
    body: &Value,
) -> (u16, Value, reqwest::header::HeaderMap) {
    let resp = reqwest::Client::new()
        .request(method, format!("{}/api/v10{path}", fake.base_url()))
        .header("authorization", format!("Bot {}", fake.token()))
        .header("content-type", "application/json")
        .body(body.to_string())
        .send()
        .await
        .expect("request to the fake");
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    let text = resp.text().await.unwrap_or_default();
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::Null),
        headers,
    )
}

async fn callback(fake: &FakeDiscord, i: &Interaction, body: Value) -> (u16, Value) {
    let path = format!("/interactions/{}/{}/callback", i.id, i.token);
    let (status, body, _) = send(fake, reqwest::Method::POST, &path, &body).await;
    (status, body)
}

async fn edit(fake: &FakeDiscord, token: &str, body: Value) -> (u16, Value) {
    let path = format!("/webhooks/{APPLICATION_ID}/{token}/messages/@original");
    let (status, body, _) = send(fake, reqwest::Method::PATCH, &path, &body).await;
    (status, body)
}

fn command(fake: &FakeDiscord) -> Interaction {
    let opts = json!([{"name": "question", "type": 3, "value": "q"}]);
    let i = fake.command_interaction("ask", opts, &Actor::member(1));
    fake.dispatch(&i);
    i
}

/// 400, code 50035, and an error nested at `pointer` (e.g. `/data/content`).
fn assert_invalid(what: &str, (status, body): (u16, Value), pointer: &str) {
    assert_eq!(status, 400, "{what}: {body}");
    assert_eq!(body["code"], 50035, "{what}: {body}");
    assert_eq!(body["message"], "Invalid Form Body", "{what}");
    let at = body["errors"].pointer(pointer);
    assert!(
        at.is_some_and(|e| e["_errors"].is_array()),
        "{what}: errors at {pointer}: {body}"
    );
}

fn button(label: &str, custom_id: &str) -> Value {
    json!([{"type": 1, "components": [{"type": 2, "style": 1, "label": label, "custom_id": custom_id}]}])
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fake_refuses_what_discord_refuses_with_invalid_form_body() {
    // Many edits of one token in a row: lift its bucket out of the way.
    let lifted = Limit::new(1000, Duration::from_secs(1));
    let limits = RateLimits {
        webhook: lifted,
        other: lifted,
        ..RateLimits::default()
    };
    let fake = FakeDiscord::start_with(Options {
        rate_limits: limits,
        ..Options::default()
    })
    .await;
    let long = |n: usize| "x".repeat(n);
    // Accepted at the limits.
    let i = command(&fake);
    let ok = json!({"type": 4, "data": {"content": long(2000), "components": button(&long(80), &long(100)),
        "allowed_mentions": {"parse": []}}});
    assert_eq!(
        callback(&fake, &i, ok).await.0,
        204,
        "{:?}",
        fake.invalid_bodies()
    );
    assert_eq!(
        edit(&fake, &i.token, json!({"content": long(2000)}))
            .await
            .0,
        200
    );

    let i = command(&fake);
    let over = json!({"type": 4, "data": {"content": long(2001)}});
    assert_invalid(
        "content 2001",
        callback(&fake, &i, over).await,
        "/data/content",
    );
    let r = edit(&fake, &i.token, json!({"content": long(2001)})).await;
    assert_invalid("edit content 2001", r, "/content");
    let r = edit(
        &fake,
        &i.token,
        json!({"embeds": [{"description": long(4097)}]}),
    )
    .await;
    assert_invalid("description 4097", r, "/embeds/0/description");
    let two = json!({"embeds": [{"description": long(3500)}, {"description": long(3500)}]});
    assert_invalid(
        "embeds over 6000",
        edit(&fake, &i.token, two).await,
        "/embeds",
    );
    let fields: Vec<Value> = (0..26)
        .map(|n| json!({"name": n.to_string(), "value": "v"}))
        .collect();
    let r = edit(&fake, &i.token, json!({"embeds": [{"fields": fields}]})).await;
    assert_invalid("26 fields", r, "/embeds/0/fields");
    let r = edit(
        &fake,
        &i.token,
        json!({"components": button(&long(81), "b")}),
    )
    .await;
    assert_invalid("label 81", r, "/components/0/components/0/label");
    let r = edit(
        &fake,
        &i.token,
        json!({"components": button("ok", &long(101))}),
    )
    .await;
    assert_invalid("custom_id 101", r, "/components/0/components/0/custom_id");

    // 26 autocomplete choices; a choice name over 100.
    let auto = fake.autocomplete_interaction(
        "episode",
        json!([{"name": "query", "type": 3, "value": "a", "focused": true}]),
        &Actor::member(2),
    );
    fake.dispatch(&auto);
    let choices: Vec<Value> = (0..26)
        .map(|n| json!({"name": n.to_string(), "value": n.to_string()}))
        .collect();
    let r = callback(
        &fake,
        &auto,
        json!({"type": 8, "data": {"choices": choices}}),
    )
    .await;
    assert_invalid("26 choices", r, "/data/choices");
    let r = callback(
        &fake,
        &auto,
        json!({"type": 8, "data": {"choices": [{"name": long(101), "value": "v"}]}}),
    )
    .await;
    assert_invalid("choice name 101", r, "/data/choices/0/name");

    // Command registration: the spec's quirk (a string `default_member_permissions`) is accepted.
    let path = format!("/applications/{APPLICATION_ID}/guilds/{GUILD_ID}/commands");
    let cmd = |description: String| json!([{"name": "reload", "description": description, "default_member_permissions": "32"}]);
    let (status, body, _) = send(&fake, reqwest::Method::PUT, &path, &cmd("Reload".into())).await;
    assert_eq!(status, 200, "{body}");
    let (status, body, _) = send(&fake, reqwest::Method::PUT, &path, &cmd(long(101))).await;
    assert_invalid("description 101", (status, body), "/0/description");
    assert!(fake.invalid_bodies().len() >= 10, "refusals are listed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fake_refuses_callback_types_that_do_not_fit_and_expired_tokens() {
    let fake = FakeDiscord::start_with(Options {
        callback_deadline: None,
        ..Options::default()
    })
    .await;
    for (kind, what) in [
        (8, "autocomplete result to a slash command"),
        (7, "update to a slash command"),
        (6, "deferred update to a slash command"),
    ] {
        let i = command(&fake);
        let r = callback(&fake, &i, json!({"type": kind, "data": {"content": "x"}})).await;
        assert_invalid(what, r, "/type");
    }
    let auto = fake.autocomplete_interaction(
        "episode",
        json!([{"name": "query", "type": 3, "value": "a", "focused": true}]),
        &Actor::member(2),
    );
    fake.dispatch(&auto);
    assert_invalid(
        "a message to autocomplete",
        callback(&fake, &auto, json!({"type": 4, "data": {"content": "x"}})).await,
        "/type",
    );
    let press = fake.component_interaction("x", None, fake.message(json!({})), &Actor::member(3));
    fake.dispatch(&press);
    assert_eq!(
        callback(&fake, &press, json!({"type": 7, "data": {"content": "x"}}))
            .await
            .0,
        204,
        "update fits a button"
    );

    // The token works for 15 minutes of the test clock, then Discord's 401 50027.
    let i = command(&fake);
    assert_eq!(callback(&fake, &i, json!({"type": 5})).await.0, 204);
    fake.advance_clock(Duration::from_secs(14 * 60));
    assert_eq!(
        edit(&fake, &i.token, json!({"content": "still here"}))
            .await
            .0,
        200
    );
    fake.advance_clock(Duration::from_secs(61));
    let (status, body) = edit(&fake, &i.token, json!({"content": "too late"})).await;
    assert_eq!(
        (status, body["code"].clone()),
        (401, json!(50027)),
        "{body}"
    );
    // A callback after the clock moved past 3 s is late, as on Discord.
    let fake = FakeDiscord::start().await;
    let i = command(&fake);
    fake.advance_clock(Duration::from_secs(4));
    assert_eq!(callback(&fake, &i, json!({"type": 5})).await.0, 404);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fake_rate_limits_per_token_with_discords_headers() {
    let limits = RateLimits {
        webhook: Limit::new(2, Duration::from_secs(30)),
        ..RateLimits::default()
    };
    let fake = FakeDiscord::start_with(Options {
        rate_limits: limits,
        ..Options::default()
    })
    .await;
    let (a, b) = (command(&fake), command(&fake));
    for i in [&a, &b] {
        assert_eq!(callback(&fake, i, json!({"type": 5})).await.0, 204);
    }
    let path = |t: &str| format!("/webhooks/{APPLICATION_ID}/{t}/messages/@original");
    let patch = |t: String| {
        let fake = fake.clone();
        async move { send(&fake, reqwest::Method::PATCH, &t, &json!({"content": "x"})).await }
    };
    let (s1, _, h1) = patch(path(&a.token)).await;
    let (s2, _, h2) = patch(path(&a.token)).await;
    let (s3, body, h3) = patch(path(&a.token)).await;
    let header = |h: &reqwest::header::HeaderMap, n: &str| {
        h.get(n).and_then(|v| v.to_str().ok()).map(str::to_string)
    };
    assert_eq!((s1, s2, s3), (200, 200, 429));
    assert_eq!(header(&h1, "x-ratelimit-limit").as_deref(), Some("2"));
    assert_eq!(header(&h1, "x-ratelimit-remaining").as_deref(), Some("1"));
    assert_eq!(header(&h2, "x-ratelimit-remaining").as_deref(), Some("0"));
    for n in [
        "x-ratelimit-reset",
        "x-ratelimit-reset-after",
        "x-ratelimit-bucket",
    ] {
        assert!(header(&h2, n).is_some(), "{n} sent");
    }
    assert_eq!(header(&h3, "x-ratelimit-scope").as_deref(), Some("user"));
    let retry = body["retry_after"].as_f64().unwrap_or(0.0);
    assert!(retry > 25.0 && retry <= 30.0, "retry_after {retry}");
    assert!(header(&h3, "retry-after").is_some());
    // Another token's @original is another bucket (same route, same bucket hash).
    let (s, _, hb) = patch(path(&b.token)).await;
    assert_eq!(s, 200, "b is not limited by a");
    assert_eq!(header(&hb, "x-ratelimit-remaining").as_deref(), Some("1"));
    assert_eq!(
        header(&hb, "x-ratelimit-bucket"),
        header(&h1, "x-ratelimit-bucket")
    );
}

/// serenity's own `Http` with its rate limiter on, reaching the fake over HTTPS (its limiter
/// ignores `HttpBuilder::proxy`, so the connection for `discord.com` is redirected instead).
fn limited_http(fake: &FakeDiscord) -> serenity::all::Http {
    let addr = fake.tls_base_url().trim_start_matches("https://");
    let client = reqwest::Client::builder()
        .use_rustls_tls()
        .resolve("discord.com", addr.parse().expect("fake address"))
        .danger_accept_invalid_certs(true)
        .build()
        .expect("client");
    serenity::all::HttpBuilder::new(fake.token())
        .client(client)
        .application_id(serenity::all::ApplicationId::new(APPLICATION_ID))
        .build()
}

async fn timed_edit(http: &serenity::all::Http, token: &str, body: &Value) -> (Duration, bool) {
    let t = std::time::Instant::now();
    let r = http
        .edit_original_interaction_response(token, body, vec![])
        .await;
    (t.elapsed(), r.is_ok())
}

/// Why gdbot gives each answer stream an `Http` of its own: serenity 0.12 keys every
/// `@original` by the application id, so one token's exhausted bucket makes its limiter wait
/// before another token's edit, although Discord (and the fake) limit each token separately.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serenity_limiter_reads_the_headers_but_shares_one_original_bucket() {
    let limits = RateLimits {
        webhook: Limit::new(1, Duration::from_secs(2)),
        ..RateLimits::default()
    };
    let fake = FakeDiscord::start_with(Options {
        rate_limits: limits,
        callback_deadline: None,
        ..Options::default()
    })
    .await;
    let (a, b, c) = (command(&fake), command(&fake), command(&fake));
    for i in [&a, &b, &c] {
        assert_eq!(callback(&fake, i, json!({"type": 5})).await.0, 204);
    }
    let body = json!({"content": "x"});
    let shared = limited_http(&fake);
    let (first, ok1) = timed_edit(&shared, &a.token, &body).await;
    let (second, ok2) = timed_edit(&shared, &b.token, &body).await;
    let own = limited_http(&fake);
    let (third, ok3) = timed_edit(&own, &c.token, &body).await;
    eprintln!("one Http: A {first:?}, then B {second:?}; B's own Http: C {third:?}");
    assert!(ok1 && ok2 && ok3);
    assert!(
        second >= Duration::from_millis(1500),
        "B waited for A's bucket: {second:?}"
    );
    assert!(
        third < Duration::from_millis(1000),
        "C's own Http: {third:?}"
    );
    let refused = fake.with(|s| s.requests.iter().filter(|r| r.status == 429).count());
    assert_eq!(refused, 0, "the limiter waited instead of provoking a 429");
}
