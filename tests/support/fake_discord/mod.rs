//! An in-process fake Discord (REST v10 + gateway) on 127.0.0.1, for end-to-end tests.
//!
//! ```ignore
//! let fake = FakeDiscord::start().await;
//! // point the bot at fake.base_url() (HttpBuilder::proxy) with token fake.token()
//! fake.wait_ready(Duration::from_secs(5)).await;
//! let i = fake.command_interaction("ask", json!([{"name":"question","type":3,"value":"hi"}]), &Actor::member(1));
//! fake.dispatch(&i);
//! let cb = fake.wait_for_callback(&i.id, Duration::from_secs(3)).await;
//! ```
//! Everything the bot sends is recorded (`requests`, `gateway_frames`, `callbacks_for`, `edits_for`,
//! files in `uploads_for`);
//! faults are armed with `fail_next`, `close_gateway`, `drop_gateway_tcp`.
//!
//! Modals: the bot's type-9 callback is read with `wait_for_modal`, the user's submission built
//! with `submit_modal` (or `modal_submit_interaction`) and dispatched like any interaction.
//!
//! Strict like Discord: bodies are checked against Discord's OpenAPI schemas (`schema`; refused
//! ones are listed by `invalid_bodies`), callbacks must fit the interaction type, tokens expire
//! after 15 minutes of the test clock (`advance_clock`), and every route has rate-limit buckets
//! with Discord's headers (`ratelimit`, `set_rate_limits`). REST is served over HTTP
//! (`base_url`, for `HttpBuilder::proxy`) and HTTPS (`tls_base_url`, for a client that keeps
//! serenity's rate limiter on).

mod body;
mod drive;
pub mod gateway;
pub mod http_delivery;
mod interactions;
mod modals;
pub mod payloads;
pub mod ratelimit;
pub mod rest;
mod schema;
mod shards;
pub mod state;
mod tls;
pub mod uploads;

use std::{
    sync::Arc,
    time::{Duration, Instant},
};

use serde_json::Value;
use tokio::net::TcpListener;

#[allow(unused_imports)]
pub use payloads::{
    Actor, APPLICATION_ID, BOT_USER_ID, CHANNEL_ID, GUILD_ID, PERMS_MEMBER, PERMS_MODERATOR,
};
#[allow(unused_imports)]
pub use ratelimit::{Limit, RateLimits};
use state::Shared;
#[allow(unused_imports)]
pub use state::{
    Callback, Connection, Dispatched, Edit, Fault, GatewayFrame, Inner, Invalid, RecordedRequest,
    ResumePolicy,
};

/// Knobs fixed at start.
#[derive(Debug, Clone)]
pub struct Options {
    pub token: String,
    pub heartbeat_interval_ms: u64,
    /// Callbacks later than this after dispatch get 404 "Unknown interaction" (as Discord does at 3 s).
    pub callback_deadline: Option<Duration>,
    /// Interaction tokens expire this long after dispatch (test clock included).
    pub token_ttl: Duration,
    pub rate_limits: RateLimits,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            token: "test-token".into(),
            heartbeat_interval_ms: 1_000,
            callback_deadline: Some(Duration::from_secs(3)),
            token_ttl: Duration::from_secs(15 * 60),
            rate_limits: RateLimits::default(),
        }
    }
}

/// An interaction built by a helper, ready to `dispatch`.
#[derive(Debug, Clone)]
pub struct Interaction {
    pub id: String,
    pub token: String,
    pub payload: Value,
}

/// Handle to a running fake; clone freely (all clones share one recording).
#[derive(Clone)]
pub struct FakeDiscord {
    shared: Arc<Shared>,
    opts: Options,
    base_url: String,
    tls_base_url: String,
    ws_url: String,
}

impl FakeDiscord {
    pub async fn start() -> FakeDiscord {
        Self::start_with(Options::default()).await
    }

    pub async fn start_with(opts: Options) -> FakeDiscord {
        let shared = Arc::new(Shared::new());
        shared.lock().rate_limits = opts.rate_limits.clone();
        let http = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind fake REST");
        let https = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind fake REST (TLS)");
        let tls_base_url = format!("https://{}", https.local_addr().expect("TLS addr"));
        let ws = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind fake gateway");
        let base_url = format!("http://{}", http.local_addr().expect("REST addr"));
        let ws_url = format!("ws://{}", ws.local_addr().expect("gateway addr"));
        let ctx = rest::Ctx {
            shared: shared.clone(),
            token: opts.token.clone(),
            ws_url: ws_url.clone(),
            base_url: base_url.clone(),
            callback_deadline: opts.callback_deadline,
            token_ttl: opts.token_ttl,
        };
        let router = rest::router(ctx);
        let tls_router = router.clone();
        tokio::spawn(async move {
            let _ = axum::serve(http, router).await;
        });
        tokio::spawn(async move {
            let _ = axum::serve(tls::TlsListener::new(https), tls_router).await;
        });
        let gw = gateway::GatewayCfg {
            shared: shared.clone(),
            ws_url: ws_url.clone(),
            heartbeat_interval_ms: opts.heartbeat_interval_ms,
        };
        tokio::spawn(gateway::serve(ws, gw));
        FakeDiscord {
            shared,
            opts,
            base_url,
            tls_base_url,
            ws_url,
        }
    }

    /// `http://127.0.0.1:PORT` — give this to `HttpBuilder::proxy` / `DISCORD_API_BASE`.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// `https://127.0.0.1:PORT` (self-signed for `discord.com`) — gdbot's `DISCORD_API_BASE`.
    pub fn tls_base_url(&self) -> &str {
        &self.tls_base_url
    }

    pub fn ws_url(&self) -> &str {
        &self.ws_url
    }

    pub fn token(&self) -> &str {
        &self.opts.token
    }

    // ---- reading the recording -------------------------------------------------------------

    /// Run `f` on the recording under its lock (do not block inside).
    pub fn with<T>(&self, f: impl FnOnce(&Inner) -> T) -> T {
        f(&self.shared.lock())
    }

    /// Poll `f` until it yields `Some`, or panic after `timeout` naming `what`.
    pub async fn wait_until<T>(
        &self,
        what: &str,
        timeout: Duration,
        mut f: impl FnMut(&Inner) -> Option<T>,
    ) -> T {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(v) = f(&self.shared.lock()) {
                return v;
            }
            if Instant::now() >= deadline {
                panic!(
                    "fake discord: timed out after {timeout:?} waiting for {what}\n{}",
                    self.summary()
                );
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }

    /// A short dump of the recording for failure messages.
    pub fn summary(&self) -> String {
        let s = self.shared.lock();
        let mut out = format!(
            "connections: {}, identifies: {}, resumes: {}, live_ready: {}\nlast requests:\n",
            s.connections.len(),
            s.identifies.len(),
            s.resumes.len(),
            s.live_ready
        );
        for r in s.requests.iter().rev().take(15).rev() {
            let body = r.body.to_string();
            let body: String = body.chars().take(200).collect();
            out += &format!(
                "  {} {} -> {} {:?} {body}\n",
                r.method, r.path, r.status, r.fault
            );
        }
        out
    }

    /// Bodies refused as Discord would refuse them (schema violations, wrong callback types).
    pub fn invalid_bodies(&self) -> Vec<Invalid> {
        self.with(|s| s.invalid.clone())
    }

    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.with(|s| s.requests.clone())
    }

    pub async fn wait_for_request(
        &self,
        pred: impl Fn(&RecordedRequest) -> bool,
        timeout: Duration,
    ) -> RecordedRequest {
        self.wait_until("a matching request", timeout, |s| {
            s.requests.iter().find(|r| pred(r)).cloned()
        })
        .await
    }

    pub fn gateway_frames(&self) -> Vec<GatewayFrame> {
        self.with(|s| s.frames.clone())
    }

    pub fn connections(&self) -> Vec<Connection> {
        self.with(|s| s.connections.clone())
    }

    pub fn identify_count(&self) -> usize {
        self.with(|s| s.identifies.len())
    }

    pub fn resume_count(&self) -> usize {
        self.with(|s| s.resumes.len())
    }

    /// The `d` of the first IDENTIFY (waits up to 10 s for it).
    pub async fn identify_payload(&self) -> Value {
        self.wait_until("IDENTIFY", Duration::from_secs(10), |s| {
            s.identifies.first().cloned()
        })
        .await
    }

    /// Wait until a gateway session is ready (after READY or RESUMED).
    pub async fn wait_ready(&self, timeout: Duration) {
        self.wait_until("a ready gateway session", timeout, |s| {
            s.live_ready.then_some(())
        })
        .await
    }

    /// Wait until connection number `n` (1-based) is ready — i.e. the client reconnected.
    pub async fn wait_ready_connection(&self, n: u64, timeout: Duration) -> Connection {
        let what = format!("gateway connection #{n} to be ready");
        self.wait_until(&what, timeout, |s| {
            let live = s.live.as_ref().map(|(id, _)| *id);
            (s.live_ready && live >= Some(n))
                .then(|| s.connections.last().cloned())
                .flatten()
        })
        .await
    }

    /// All registered commands, guild and global.
    pub fn registered_commands(&self) -> Vec<Value> {
        self.with(|s| s.commands.values().flatten().cloned().collect())
    }

    pub fn guild_commands(&self) -> Vec<Value> {
        self.with(|s| {
            s.commands
                .get(&Some(GUILD_ID.to_string()))
                .cloned()
                .unwrap_or_default()
        })
    }

    pub async fn wait_for_commands(&self, timeout: Duration) -> Vec<Value> {
        self.wait_until("command registration", timeout, |s| {
            let all: Vec<Value> = s.commands.values().flatten().cloned().collect();
            (!all.is_empty()).then_some(all)
        })
        .await
    }

    pub fn callbacks_for(&self, interaction_id: &str) -> Vec<Callback> {
        self.with(|s| {
            s.callbacks
                .iter()
                .filter(|c| c.interaction_id == interaction_id)
                .cloned()
                .collect()
        })
    }

    /// The first accepted (204) callback for the interaction.
    pub async fn wait_for_callback(&self, interaction_id: &str, timeout: Duration) -> Callback {
        let what = format!("callback for interaction {interaction_id}");
        self.wait_until(&what, timeout, |s| {
            s.callbacks
                .iter()
                .find(|c| c.interaction_id == interaction_id && c.status == 204)
                .cloned()
        })
        .await
    }

    /// Creates/edits/deletes of the interaction's webhook messages, in arrival order.
    pub fn edits_for(&self, token: &str) -> Vec<Edit> {
        self.with(|s| {
            s.edits
                .iter()
                .filter(|e| e.token == token)
                .cloned()
                .collect()
        })
    }

    pub async fn wait_for_edit(
        &self,
        token: &str,
        pred: impl Fn(&Edit) -> bool,
        timeout: Duration,
    ) -> Edit {
        self.wait_until("a matching message edit", timeout, |s| {
            s.edits
                .iter()
                .find(|e| e.token == token && pred(e))
                .cloned()
        })
        .await
    }

    /// The interaction's `@original` message as it stands now.
    pub fn original_message(&self, token: &str) -> Option<Value> {
        self.with(|s| {
            s.messages
                .get(&(token.to_string(), "@original".to_string()))
                .cloned()
        })
    }

    pub fn dispatched(&self, interaction_id: &str) -> Option<Dispatched> {
        self.with(|s| s.dispatched.get(interaction_id).cloned())
    }

    // ---- building and dispatching interactions -------------------------------------------
}
