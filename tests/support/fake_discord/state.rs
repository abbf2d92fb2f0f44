//! What the fake Discord remembers: every request, gateway frame, interaction, response and
//! message, plus the faults a test has armed. One `Mutex` guards it all; nothing awaits while
//! holding it.

use std::{
    collections::HashMap,
    sync::{
        atomic::{AtomicU64, Ordering},
        Mutex, MutexGuard,
    },
    time::{Duration, Instant},
};

use serde_json::Value;
use tokio::sync::mpsc::UnboundedSender;

use super::{
    ratelimit::{RateLimits, Window},
    uploads::StoredUpload,
};

/// One HTTP request as the fake received it.
#[derive(Debug, Clone)]
pub struct RecordedRequest {
    pub method: String,
    /// Path with the `/api/v10` prefix removed, e.g. `/interactions/1/tok/callback`.
    pub path: String,
    pub query: Option<String>,
    /// Lower-cased names; only `authorization`, `content-type`, `user-agent`, `x-audit-log-reason`.
    pub headers: HashMap<String, String>,
    /// JSON body, or the `payload_json` part of a multipart body; `Null` when empty.
    pub body: Value,
    /// Names of the multipart parts that carried files (`files[0]`, …).
    pub files: Vec<String>,
    pub at: Instant,
    /// The status the fake answered with (0 while the request is still being handled).
    pub status: u16,
    /// Set when an armed fault answered this request instead of the normal handler.
    pub fault: Option<Fault>,
}

/// A gateway frame sent by the client (the bot), parsed as JSON.
#[derive(Debug, Clone)]
pub struct GatewayFrame {
    pub connection: u64,
    pub at: Instant,
    pub op: u64,
    pub payload: Value,
}

/// One gateway connection's life.
#[derive(Debug, Clone)]
pub struct Connection {
    pub id: u64,
    pub opened_at: Instant,
    pub closed_at: Option<Instant>,
    /// `identify` or `resume` (or `None` before the client said which).
    pub kind: Option<&'static str>,
    /// How the fake answered a RESUME: `resumed` or `invalid_session`.
    pub resume_outcome: Option<&'static str>,
}

/// An interaction the fake dispatched.
#[derive(Debug, Clone)]
pub struct Dispatched {
    pub id: String,
    pub token: String,
    pub kind: u64,
    pub at: Instant,
    /// The test clock (`FakeDiscord::advance_clock`) when dispatched.
    pub clock_at: Duration,
    pub payload: Value,
}

impl Dispatched {
    /// Real time since dispatch plus the test clock advanced since then.
    pub fn age(&self, clock_now: Duration) -> Duration {
        self.at.elapsed() + clock_now.saturating_sub(self.clock_at)
    }
}

/// A request body the fake refused as Discord would (400, code 50035 or a wrong callback type).
#[derive(Debug, Clone)]
pub struct Invalid {
    pub method: String,
    pub path: String,
    pub body: Value,
    /// Discord's `errors` object.
    pub errors: Value,
}

/// `POST /interactions/{id}/{token}/callback`.
#[derive(Debug, Clone)]
pub struct Callback {
    pub interaction_id: String,
    pub token: String,
    /// 4 message, 5 deferred, 6 deferred update, 7 update, 8 autocomplete result, 9 modal.
    pub kind: u64,
    pub data: Value,
    pub at: Instant,
    /// Time from dispatch to callback.
    pub latency: Duration,
    /// The status the fake answered with (404 when later than the deadline, 400 when repeated).
    pub status: u16,
}

/// A create/edit/delete of a webhook message (`@original` or a follow-up).
#[derive(Debug, Clone)]
pub struct Edit {
    pub token: String,
    /// `@original` or the follow-up's id.
    pub message: String,
    /// `PATCH`, `POST` (follow-up) or `DELETE`.
    pub method: String,
    pub body: Value,
    pub at: Instant,
    pub status: u16,
}

/// What an armed fault does to a matching request.
#[derive(Debug, Clone, PartialEq)]
pub enum Fault {
    /// 429 with `retry_after` seconds (body, `Retry-After` and `X-RateLimit-*` headers).
    RateLimited { retry_after: f64, global: bool },
    /// 500 Internal Server Error.
    ServerError,
    /// Any status with Discord's error body shape.
    Status(u16),
    /// A status with one of Discord's JSON error codes and messages (e.g. 404, 10008, "Unknown
    /// Message": what an edit of `@original` gets before Discord has the deferral).
    Discord(u16, u64, &'static str),
    /// Sleep, then answer normally.
    Delay(Duration),
}

pub type RequestMatcher = Box<dyn Fn(&str, &str) -> bool + Send + Sync>;

pub(crate) struct FaultRule {
    pub remaining: usize,
    pub matcher: RequestMatcher,
    pub fault: Fault,
}

/// Commands for the live gateway connection.
#[derive(Debug)]
pub(crate) enum GatewayCommand {
    Dispatch { t: String, d: Value },
    Close(u16),
    DropTcp,
    InvalidSession(bool),
    Reconnect,
}

/// How the fake answers a RESUME.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ResumePolicy {
    /// Replay the dispatches after the client's `seq`, send `RESUMED`, then flush the queue.
    #[default]
    Accept,
    /// Send op 9 `d: false`, forcing a fresh IDENTIFY.
    Reject,
}

#[derive(Default)]
pub struct Inner {
    pub requests: Vec<RecordedRequest>,
    pub frames: Vec<GatewayFrame>,
    pub connections: Vec<Connection>,
    pub identifies: Vec<Value>,
    pub resumes: Vec<Value>,
    pub commands: HashMap<Option<String>, Vec<Value>>,
    pub dispatched: HashMap<String, Dispatched>,
    pub token_to_interaction: HashMap<String, String>,
    pub callbacks: Vec<Callback>,
    pub edits: Vec<Edit>,
    /// (token, "@original" | id) → Message object.
    pub messages: HashMap<(String, String), Value>,
    pub faults: Vec<FaultRule>,
    pub attachments: HashMap<String, Vec<u8>>,
    /// Files the bot uploaded (`uploads`), in arrival order.
    pub uploads: Vec<StoredUpload>,
    /// The live connection (only one shard) and whether it finished IDENTIFY/RESUME.
    pub live: Option<(u64, UnboundedSender<GatewayCommand>)>,
    pub live_ready: bool,
    /// Dispatches that arrived while no session was ready; sent after READY/RESUMED.
    pub pending: Vec<(String, Value)>,
    pub session_id: Option<String>,
    pub seq: u64,
    /// Every dispatch frame of the current session, for RESUME replay.
    pub sent_log: Vec<(u64, Value)>,
    pub resume_policy: ResumePolicy,
    /// Rate-limit windows by bucket, and the limits in force.
    pub windows: HashMap<String, Window>,
    pub rate_limits: RateLimits,
    /// How far a test moved the fake's clock (token expiry), on top of real time.
    pub clock: Duration,
    /// Bodies refused as invalid, in arrival order.
    pub invalid: Vec<Invalid>,
    /// Sharding: what `GET /gateway/bot` recommends (`None`: 1), each connection's sender, and the
    /// `[shard_id, num_shards]` each connection identified with.
    pub recommended_shards: Option<u64>,
    pub senders: HashMap<u64, UnboundedSender<GatewayCommand>>,
    pub connection_shards: HashMap<u64, Value>,
}

pub(crate) struct Shared {
    inner: Mutex<Inner>,
    next_id: AtomicU64,
    pub started: Instant,
}

impl Shared {
    pub fn new() -> Self {
        Shared {
            inner: Mutex::new(Inner::default()),
            // A plausible snowflake range (2023); only uniqueness matters.
            next_id: AtomicU64::new(1_100_000_000_000_000_000),
            started: Instant::now(),
        }
    }

    pub fn lock(&self) -> MutexGuard<'_, Inner> {
        // A panicking test thread must not hide the recording from the others.
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn snowflake(&self) -> String {
        self.next_id.fetch_add(1, Ordering::Relaxed).to_string()
    }
}

impl Inner {
    /// Take the first armed fault matching this request, if any.
    pub fn take_fault(&mut self, method: &str, path: &str) -> Option<Fault> {
        let idx = self
            .faults
            .iter()
            .position(|r| r.remaining > 0 && (r.matcher)(method, path))?;
        let rule = &mut self.faults[idx];
        rule.remaining -= 1;
        let fault = rule.fault.clone();
        if rule.remaining == 0 {
            self.faults.remove(idx);
        }
        Some(fault)
    }
}
