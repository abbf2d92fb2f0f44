//! Discord's per-route rate limits: every answer carries `X-RateLimit-Limit/-Remaining/-Reset/
//! -Reset-After/-Bucket`; a request over its bucket's limit gets 429 with `retry_after` (body and
//! `Retry-After`) and `X-RateLimit-Scope: user`, and does not count.
//!
//! Buckets are keyed as Discord keys them: the route (method + path with ids blanked) plus its
//! major parameters — channel id, guild id, webhook id + token (so each interaction token's
//! `@original` is a bucket of its own) and, for callbacks, the interaction id. Fixed windows that
//! start at a bucket's first request. Real time, not the fake's test clock (the client's limiter
//! sleeps in real time too).

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde_json::{json, Value};

/// At most `requests` per `per`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Limit {
    pub requests: u32,
    pub per: Duration,
}

impl Limit {
    pub const fn new(requests: u32, per: Duration) -> Limit {
        Limit { requests, per }
    }
}

/// The limits the fake enforces (`Options::rate_limits`, `FakeDiscord::set_rate_limits`).
#[derive(Debug, Clone, PartialEq)]
pub struct RateLimits {
    /// Routes under `/webhooks/{id}/{token}` (`@original` edits, follow-ups), per token.
    pub webhook: Limit,
    /// `/interactions/{id}/{token}/callback`, per interaction.
    pub callback: Limit,
    /// Every other route, per route and major parameter.
    pub other: Limit,
}

impl Default for RateLimits {
    /// Discord's usual figures: 5 per 2 s for webhooks, 5 per 5 s elsewhere.
    fn default() -> Self {
        RateLimits {
            webhook: Limit::new(5, Duration::from_secs(2)),
            callback: Limit::new(5, Duration::from_secs(5)),
            other: Limit::new(5, Duration::from_secs(5)),
        }
    }
}

#[derive(Debug, Clone)]
pub struct Window {
    started: Instant,
    used: u32,
}

/// The outcome for one request: headers to send, and `Some(retry_after)` when it is refused.
pub(crate) struct Taken {
    pub headers: Vec<(&'static str, String)>,
    pub retry_after: Option<f64>,
}

/// (route, major parameter, which limit) — `None` for the fake's own routes (attachments).
fn classify<'a>(
    limits: &'a RateLimits,
    method: &str,
    path: &str,
) -> Option<(String, String, &'a Limit)> {
    let segs: Vec<&str> = path.trim_matches('/').split('/').collect();
    match segs.as_slice() {
        ["attachments", ..] => None,
        ["interactions", id, _token, "callback"] => Some((
            format!("{method} /interactions/:id/:token/callback"),
            id.to_string(),
            &limits.callback,
        )),
        ["webhooks", id, token, rest @ ..] => {
            let rest: Vec<&str> = rest
                .iter()
                .map(|s| if *s == "messages" { s } else { ":message" })
                .collect();
            Some((
                format!("{method} /webhooks/:id/:token/{}", rest.join("/")),
                format!("{id}/{token}"),
                &limits.webhook,
            ))
        }
        _ => {
            let mut route = format!("{method} ");
            let mut major = String::new();
            let mut prev = "";
            for s in &segs {
                if matches!(prev, "channels" | "guilds") {
                    major += s;
                    route += "/:major";
                } else if s.bytes().all(|b| b.is_ascii_digit()) {
                    route += "/:id";
                } else {
                    route += &format!("/{s}");
                }
                prev = s;
            }
            Some((route, major, &limits.other))
        }
    }
}

/// A stable hash of the route, as Discord's opaque `X-RateLimit-Bucket`.
fn bucket_hash(route: &str) -> String {
    let h = route.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
    });
    format!("{h:016x}")
}

/// Count this request against its bucket in `windows` (or refuse it).
pub(crate) fn take(
    windows: &mut std::collections::HashMap<String, Window>,
    limits: &RateLimits,
    method: &str,
    path: &str,
) -> Option<Taken> {
    let (route, major, limit) = classify(limits, method, path)?;
    let now = Instant::now();
    let w = windows.entry(format!("{route}|{major}")).or_insert(Window {
        started: now,
        used: 0,
    });
    if now >= w.started + limit.per {
        *w = Window {
            started: now,
            used: 0,
        };
    }
    // Rounded up to the millisecond sent, so a client waiting exactly that long is not early.
    let left = (w.started + limit.per).saturating_duration_since(now);
    let reset_after = Duration::from_millis(left.as_micros().div_ceil(1000) as u64);
    let refused = w.used >= limit.requests;
    if !refused {
        w.used += 1;
    }
    let reset_at = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        + reset_after;
    let mut headers = vec![
        ("x-ratelimit-limit", limit.requests.to_string()),
        (
            "x-ratelimit-remaining",
            (limit.requests - w.used).to_string(),
        ),
        (
            "x-ratelimit-reset",
            format!("{:.3}", reset_at.as_secs_f64()),
        ),
        (
            "x-ratelimit-reset-after",
            format!("{:.3}", reset_after.as_secs_f64()),
        ),
        ("x-ratelimit-bucket", bucket_hash(&route)),
    ];
    let retry_after = refused.then(|| {
        let secs = reset_after.as_secs_f64();
        headers.push(("retry-after", format!("{}", secs.ceil() as u64)));
        headers.push(("x-ratelimit-scope", "user".into()));
        secs
    });
    Some(Taken {
        headers,
        retry_after,
    })
}

/// Discord's 429 body.
pub(crate) fn limited_body(retry_after: f64, global: bool) -> Value {
    json!({"message": "You are being rate limited.", "retry_after": retry_after, "global": global})
}
