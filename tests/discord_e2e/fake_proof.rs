//! The fake Discord proven with serenity itself (a tiny EventHandler, no gdbot code), recording
//! what serenity 0.12 does on 429 / 500 / gateway drops when pointed at a proxy.

use std::{
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use crate::support::fake_discord::{Actor, FakeDiscord, Fault, Options, ResumePolicy, GUILD_ID};
use serde_json::{json, Value};
use serenity::{
    all::{
        Client, ClientBuilder, CommandInteraction, Context, CreateAllowedMentions, CreateCommand,
        CreateCommandOption, CreateEmbed, CreateInteractionResponse,
        CreateInteractionResponseMessage, EditInteractionResponse, EventHandler, GatewayIntents,
        GuildId, HttpBuilder, Interaction, Ready,
    },
    async_trait,
};

const SECS: fn(u64) -> Duration = Duration::from_secs;

/// What the proof handler saw go wrong (serenity errors surfaced to it).
#[derive(Default, Clone)]
struct Seen(Arc<Mutex<Vec<String>>>);

impl Seen {
    fn push(&self, s: String) {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).push(s);
    }
    fn all(&self) -> Vec<String> {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }
}

/// `status=429 …` for HTTP errors, so tests can match on the status serenity kept.
fn describe(e: &serenity::Error) -> String {
    match e {
        serenity::Error::Http(h) => {
            format!("status={} {h}", h.status_code().map_or(0, |s| s.as_u16()))
        }
        other => other.to_string(),
    }
}

/// On READY registers `/ping`; on a command defers, then edits `@original` with an embed and no
/// mentions. A failed call is recorded and retried once after a short pause — serenity itself
/// does not retry when its rate limiter is disabled (which `proxy` requires).
struct ProofHandler {
    seen: Seen,
}

impl ProofHandler {
    async fn retry_once<F, Fut>(&self, what: &str, mut f: F)
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = serenity::Result<()>>,
    {
        if let Err(e) = f().await {
            self.seen.push(format!("{what}: {}", describe(&e)));
            tokio::time::sleep(Duration::from_millis(250)).await;
            if let Err(e) = f().await {
                self.seen.push(format!("{what} (retry): {}", describe(&e)));
            }
        }
    }

    async fn answer(&self, ctx: &Context, cmd: &CommandInteraction) {
        self.retry_once("defer", || {
            cmd.create_response(
                &ctx.http,
                CreateInteractionResponse::Defer(CreateInteractionResponseMessage::new()),
            )
        })
        .await;
        let edit = || {
            let embed = CreateEmbed::new()
                .title("pong")
                .description("@everyone this must not ping")
                .field(
                    "source",
                    "[episode ≈01:02](https://youtube.com/watch?v=x&t=62s)",
                    false,
                );
            let msg = EditInteractionResponse::new()
                .content("@everyone")
                .embed(embed)
                .allowed_mentions(CreateAllowedMentions::new());
            async move { cmd.edit_response(&ctx.http, msg).await.map(|_| ()) }
        };
        self.retry_once("edit", edit).await;
    }
}

#[async_trait]
impl EventHandler for ProofHandler {
    async fn ready(&self, ctx: Context, _ready: Ready) {
        let cmd = CreateCommand::new("ping").description("Ping").add_option(
            CreateCommandOption::new(serenity::all::CommandOptionType::String, "text", "Text")
                .max_length(500),
        );
        if let Err(e) = GuildId::new(GUILD_ID)
            .set_commands(&ctx.http, vec![cmd])
            .await
        {
            self.seen.push(format!("set_commands: {e}"));
        }
    }

    async fn interaction_create(&self, ctx: Context, interaction: Interaction) {
        if let Interaction::Command(cmd) = interaction {
            self.answer(&ctx, &cmd).await;
        }
    }
}

/// Start a serenity client against the fake; returns what its handler saw.
async fn spawn_serenity(fake: &FakeDiscord) -> Seen {
    let seen = Seen::default();
    let http = HttpBuilder::new(fake.token())
        .proxy(fake.base_url())
        .ratelimiter_disabled(true)
        .build();
    let mut client: Client = ClientBuilder::new_with_http(http, GatewayIntents::GUILDS)
        .event_handler(ProofHandler { seen: seen.clone() })
        .await
        .expect("serenity client");
    tokio::spawn(async move {
        if let Err(e) = client.start().await {
            eprintln!("serenity client stopped: {e}");
        }
    });
    seen
}

fn ping(fake: &FakeDiscord, user: u64) -> crate::support::fake_discord::Interaction {
    fake.command_interaction(
        "ping",
        json!([{"name": "text", "type": 3, "value": "hi"}]),
        &Actor::member(user),
    )
}

/// Dispatch `/ping` and wait for its defer and final edit; returns (callback latency, final body).
async fn ping_round_trip(fake: &FakeDiscord, user: u64) -> (Duration, Value) {
    let i = ping(fake, user);
    fake.dispatch(&i);
    let cb = fake.wait_for_callback(&i.id, SECS(3)).await;
    assert_eq!(cb.kind, 5, "deferred channel message");
    let edit = fake
        .wait_for_edit(
            &i.token,
            |e| e.method == "PATCH" && e.message == "@original" && e.status == 200,
            SECS(3),
        )
        .await;
    (cb.latency, edit.body)
}

#[test]
fn payloads_deserialize_into_serenity_models() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        let fake = FakeDiscord::start().await;
        let actor = Actor::new(42, "32", &[7]);
        let att = fake.add_attachment("new.csv", b"a,b\n".to_vec());
        let cmd = fake.command_interaction_with(
            "reload",
            json!([{"name": "file", "type": 11, "value": att["id"]}]),
            Some(json!({"attachments": {att["id"].as_str().unwrap_or_default(): att}})),
            &actor,
        );
        let parsed: Interaction = serde_json::from_value(cmd.payload.clone()).expect("command interaction");
        let Interaction::Command(c) = parsed else { panic!("not a command") };
        assert_eq!(c.user.id.get(), 42, "user copied from member");
        assert_eq!(c.member.as_ref().and_then(|m| m.permissions).map(|p| p.bits()), Some(32));
        assert_eq!(c.data.resolved.attachments.len(), 1);

        let auto = fake.autocomplete_interaction("episode", json!([{"name": "query", "type": 3, "value": "ro", "focused": true}]), &actor);
        let parsed: Interaction = serde_json::from_value(auto.payload).expect("autocomplete");
        let Interaction::Autocomplete(a) = parsed else { panic!("not autocomplete") };
        assert_eq!(a.data.autocomplete().map(|o| o.value), Some("ro"));

        let msg = fake.message(json!({"content": "x", "embeds": [{"title": "t", "fields": [{"name": "a", "value": "b"}]}],
            "components": [{"type": 1, "components": [{"type": 3, "custom_id": "epq:1", "options": [{"label": "q", "value": "0"}]}]}]}));
        serde_json::from_value::<serenity::all::Message>(msg.clone()).expect("message");
        let comp = fake.component_interaction("epq:1", Some(vec!["0".into()]), msg, &actor);
        let parsed: Interaction = serde_json::from_value(comp.payload).expect("component");
        assert!(matches!(parsed, Interaction::Component(_)));
        let button = fake.component_interaction("fb:up:1", None, fake.message(json!({})), &actor);
        assert!(matches!(serde_json::from_value::<Interaction>(button.payload).expect("button"), Interaction::Component(_)));

        use crate::support::fake_discord::payloads;
        serde_json::from_value::<serenity::all::CurrentApplicationInfo>(payloads::application()).expect("application");
        serde_json::from_value::<serenity::all::CurrentUser>(payloads::bot_user()).expect("current user");
        serde_json::from_value::<Ready>(payloads::ready("s", "ws://x", &json!([0, 1]))).expect("ready");
        let stored = payloads::stored_command("5", Some("1"), &json!({"name": "ask", "description": "d", "options": []}));
        serde_json::from_value::<serenity::all::Command>(stored).expect("command");
    });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fake_serenity_identifies_registers_and_answers() {
    let fake = FakeDiscord::start_with(Options {
        heartbeat_interval_ms: 300,
        ..Options::default()
    })
    .await;
    let seen = spawn_serenity(&fake).await;

    let identify = fake.identify_payload().await;
    assert!(
        identify["token"]
            .as_str()
            .is_some_and(|t| t.ends_with("test-token")),
        "token in IDENTIFY: {identify}"
    );
    assert_eq!(identify["intents"], json!(GatewayIntents::GUILDS.bits()));
    let reg = fake
        .wait_for_request(
            |r| {
                r.method == "PUT"
                    && r.path.ends_with(&format!("/guilds/{GUILD_ID}/commands"))
                    && r.status != 0
            },
            SECS(5),
        )
        .await;
    assert_eq!(
        reg.headers.get("authorization").map(String::as_str),
        Some("Bot test-token")
    );
    let cmds = fake.guild_commands();
    assert_eq!(cmds.len(), 1);
    assert_eq!(cmds[0]["name"], "ping");
    assert_eq!(cmds[0]["options"][0]["max_length"], 500);

    let (latency, body) = ping_round_trip(&fake, 1).await;
    assert!(latency < SECS(3), "deferred within 3 s: {latency:?}");
    assert_eq!(body["embeds"][0]["title"], "pong");
    // serenity's `CreateAllowedMentions::new()`: nothing may ping.
    assert_eq!(
        body["allowed_mentions"],
        json!({"parse": [], "roles": [], "users": []})
    );
    // Heartbeats (op 1) are answered with op 11; serenity would reconnect on a missing ACK.
    fake.wait_until("two heartbeats", SECS(3), |s| {
        (s.frames.iter().filter(|f| f.op == 1).count() >= 2).then_some(())
    })
    .await;
    assert_eq!(
        fake.connections().len(),
        1,
        "no reconnect while heartbeats are acknowledged"
    );
    assert!(seen.all().is_empty(), "no errors: {:?}", seen.all());
    eprintln!("defer latency {latency:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fake_serenity_reconnects_after_close_frame_and_tcp_drop() {
    let fake = FakeDiscord::start_with(Options {
        heartbeat_interval_ms: 500,
        ..Options::default()
    })
    .await;
    let _seen = spawn_serenity(&fake).await;
    fake.wait_ready(SECS(5)).await;
    fake.wait_for_commands(SECS(5)).await;
    ping_round_trip(&fake, 1).await;

    let t = Instant::now();
    assert!(fake.close_gateway(4000), "a live connection to close");
    let c2 = fake.wait_ready_connection(2, SECS(5)).await;
    eprintln!("close 4000 → {:?} in {:?}", c2.kind, t.elapsed());
    assert_eq!(c2.kind, Some("resume"), "serenity resumes after close 4000");
    ping_round_trip(&fake, 2).await;

    let t = Instant::now();
    assert!(fake.drop_gateway_tcp());
    let c3 = fake.wait_ready_connection(3, SECS(5)).await;
    eprintln!("TCP drop → {:?} in {:?}", c3.kind, t.elapsed());
    assert_eq!(
        c3.kind,
        Some("resume"),
        "serenity resumes after a bare TCP drop"
    );
    ping_round_trip(&fake, 3).await;

    // An interaction dispatched while the gateway is down is delivered after the reconnect.
    assert!(fake.drop_gateway_tcp());
    let i = ping(&fake, 4);
    fake.dispatch(&i);
    fake.wait_for_callback(&i.id, SECS(3)).await;

    // A refused RESUME (op 9, d=false) forces a fresh IDENTIFY; serenity's shard queue waits up to
    // 5 s between boots, so this reconnect is slower.
    fake.set_resume_policy(ResumePolicy::Reject);
    let t = Instant::now();
    let before = fake.identify_count();
    assert!(fake.close_gateway(4000));
    fake.wait_until("a second IDENTIFY", SECS(10), |s| {
        (s.identifies.len() > before && s.live_ready).then_some(())
    })
    .await;
    eprintln!("refused RESUME → IDENTIFY after {:?}", t.elapsed());
    ping_round_trip(&fake, 5).await;
    let outcomes: Vec<_> = fake
        .connections()
        .iter()
        .map(|c| (c.kind, c.resume_outcome))
        .collect();
    eprintln!("connections: {outcomes:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fake_serenity_does_not_retry_429_or_500_itself() {
    let fake = FakeDiscord::start().await;
    let seen = spawn_serenity(&fake).await;
    fake.wait_ready(SECS(5)).await;
    fake.wait_for_commands(SECS(5)).await;

    // 429 on the callback: serenity (rate limiter disabled, as `proxy` requires) returns the error.
    fake.fail_next(
        1,
        |m, p| m == "POST" && p.ends_with("/callback"),
        Fault::RateLimited {
            retry_after: 0.2,
            global: false,
        },
    );
    let i = ping(&fake, 1);
    fake.dispatch(&i);
    let cb = fake.wait_for_callback(&i.id, SECS(3)).await;
    // (a request is listed once its answer is recorded: wait for both, not just the callback)
    let path = format!("/interactions/{}/{}/callback", i.id, i.token);
    let attempts = fake
        .wait_until("two callback attempts answered", SECS(3), |s| {
            let a: Vec<_> = s
                .requests
                .iter()
                .filter(|r| r.path == path && r.status != 0)
                .cloned()
                .collect();
            (a.len() >= 2).then_some(a)
        })
        .await;
    assert_eq!(attempts.len(), 2, "one 429 then the handler's own retry");
    assert_eq!(attempts[0].status, 429);
    assert!(cb.latency < SECS(3));
    let errs = seen.all();
    assert!(
        errs.iter().any(|e| e.starts_with("defer: status=429")),
        "429 surfaced to the handler: {errs:?}"
    );

    // Let the first ping finish (its edit) before arming the next fault, or the fault could hit it.
    fake.wait_for_edit(
        &i.token,
        |e| e.method == "PATCH" && e.status == 200,
        SECS(3),
    )
    .await;

    // 500 on the edit: also surfaced, not retried by serenity.
    fake.fail_next(
        1,
        |m, p| m == "PATCH" && p.ends_with("/messages/@original"),
        Fault::ServerError,
    );
    let i = ping(&fake, 2);
    fake.dispatch(&i);
    fake.wait_for_edit(
        &i.token,
        |e| e.method == "PATCH" && e.status == 200,
        SECS(3),
    )
    .await;
    let patches = fake
        .wait_until("two edit attempts answered", SECS(3), |s| {
            let n = s
                .requests
                .iter()
                .filter(|r| r.method == "PATCH" && r.path.contains(&i.token) && r.status != 0)
                .count();
            (n >= 2).then_some(n)
        })
        .await;
    assert_eq!(patches, 2, "one 500 then the handler's own retry");
    assert!(
        seen.all().iter().any(|e| e.starts_with("edit: status=500")),
        "500 surfaced: {:?}",
        seen.all()
    );
}
