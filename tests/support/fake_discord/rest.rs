//! The REST half: one fallback handler that records, applies armed faults and rate limits, checks
//! the body against Discord's schemas, then routes by path. Served over plain HTTP (for
//! `HttpBuilder::proxy`) and HTTPS (`tls`). Accepts paths with or without the `/api/v10` prefix.

use std::{collections::HashMap, sync::Arc, time::Instant};

use axum::{
    body::{to_bytes, Body},
    extract::{Request, State},
    http::{header, HeaderMap, HeaderValue, Method, StatusCode},
    response::{IntoResponse, Response},
    Router,
};
use serde_json::{json, Value};

use super::{
    body::parse_body,
    interactions, payloads, ratelimit, schema,
    state::{Fault, Invalid, RecordedRequest, Shared},
    uploads::{self, Upload},
};

#[derive(Clone)]
pub(crate) struct Ctx {
    pub shared: Arc<Shared>,
    pub token: String,
    pub ws_url: String,
    pub base_url: String,
    /// Callbacks later than this after dispatch get Discord's 404 "Unknown interaction".
    pub callback_deadline: Option<std::time::Duration>,
    /// Interaction tokens stop working this long after dispatch (Discord: 15 minutes).
    pub token_ttl: std::time::Duration,
}

pub(crate) fn router(ctx: Ctx) -> Router {
    Router::new().fallback(handle).with_state(ctx)
}

pub(crate) struct Reply {
    status: StatusCode,
    body: Option<Value>,
    bytes: Option<Vec<u8>>,
    headers: Vec<(&'static str, String)>,
}

impl Reply {
    pub(crate) fn json(status: u16, body: Value) -> Reply {
        Reply {
            status: StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
            body: Some(body),
            bytes: None,
            headers: Vec::new(),
        }
    }
    pub(crate) fn ok(body: Value) -> Reply {
        Self::json(200, body)
    }
    pub(crate) fn no_content() -> Reply {
        Reply {
            status: StatusCode::NO_CONTENT,
            body: None,
            bytes: None,
            headers: Vec::new(),
        }
    }
    pub(crate) fn error(status: u16, code: u64, message: &str) -> Reply {
        Self::json(status, json!({"message": message, "code": code}))
    }
    pub(crate) fn invalid_form_body(errors: Value) -> Reply {
        Self::json(
            400,
            json!({"code": 50035, "message": "Invalid Form Body", "errors": errors}),
        )
    }
    fn not_found() -> Reply {
        Self::error(404, 0, "404: Not Found")
    }
}

async fn handle(State(ctx): State<Ctx>, req: Request) -> Response {
    let at = Instant::now();
    let method = req.method().clone();
    let full_path = req.uri().path().to_string();
    let query = req.uri().query().map(str::to_string);
    let headers = req.headers().clone();
    let bytes = to_bytes(req.into_body(), 64 * 1024 * 1024)
        .await
        .unwrap_or_default();
    let (body, uploads) = parse_body(&headers, &bytes);
    let files = uploads.iter().map(|u| u.part.clone()).collect();
    let path = strip_prefix(&full_path).to_string();

    let mut kept = HashMap::new();
    for name in [
        "authorization",
        "content-type",
        "user-agent",
        "x-audit-log-reason",
    ] {
        if let Some(v) = headers.get(name).and_then(|v| v.to_str().ok()) {
            kept.insert(name.to_string(), v.to_string());
        }
    }
    // Recorded on arrival (status 0 until answered), so a waiter that saw this request's
    // effects always finds the request too.
    let (index, fault) = {
        let mut s = ctx.shared.lock();
        let fault = s.take_fault(method.as_str(), &path);
        s.requests.push(RecordedRequest {
            method: method.to_string(),
            path: path.clone(),
            query,
            headers: kept,
            body: body.clone(),
            files,
            at,
            status: 0,
            fault: fault.clone(),
        });
        (s.requests.len() - 1, fault)
    };
    let reply = match &fault {
        Some(Fault::RateLimited {
            retry_after,
            global,
        }) => rate_limited(*retry_after, *global),
        Some(Fault::ServerError) => Reply::error(500, 0, "500: Internal Server Error"),
        Some(Fault::Status(s)) => Reply::error(*s, 0, "injected fault"),
        Some(Fault::Discord(s, code, message)) => Reply::error(*s, *code, message),
        Some(Fault::Delay(d)) => {
            tokio::time::sleep(*d).await;
            limited_route(&ctx, &method, &path, &headers, (&body, &uploads), at)
        }
        None => limited_route(&ctx, &method, &path, &headers, (&body, &uploads), at),
    };
    ctx.shared.lock().requests[index].status = reply.status.as_u16();
    into_response(reply)
}

/// The bucket first (a refused request does not reach the handler), then the handler; the
/// bucket's headers go on either answer.
fn limited_route(
    ctx: &Ctx,
    method: &Method,
    path: &str,
    headers: &HeaderMap,
    body: (&Value, &[Upload]),
    at: Instant,
) -> Reply {
    let taken = {
        let mut s = ctx.shared.lock();
        let limits = s.rate_limits.clone();
        ratelimit::take(&mut s.windows, &limits, method.as_str(), path)
    };
    let Some(taken) = taken else {
        return route(ctx, method, path, headers, body, at);
    };
    let mut reply = match taken.retry_after {
        Some(secs) => Reply::json(429, ratelimit::limited_body(secs, false)),
        None => route(ctx, method, path, headers, body, at),
    };
    reply.headers.extend(taken.headers);
    reply
}

fn into_response(r: Reply) -> Response {
    let mut resp = match (r.body, r.bytes) {
        (_, Some(b)) => (r.status, b).into_response(),
        (Some(v), None) => (r.status, axum::Json(v)).into_response(),
        (None, None) => (r.status, Body::empty()).into_response(),
    };
    for (k, v) in r.headers {
        if let Ok(v) = HeaderValue::from_str(&v) {
            resp.headers_mut().insert(k, v);
        }
    }
    resp
}

fn strip_prefix(path: &str) -> &str {
    for p in ["/api/v10", "/api/v9", "/api"] {
        if let Some(rest) = path.strip_prefix(p) {
            if rest.is_empty() || rest.starts_with('/') {
                return rest;
            }
        }
    }
    path
}

/// An injected 429 (`Fault::RateLimited`), whatever the bucket says.
fn rate_limited(retry_after: f64, global: bool) -> Reply {
    let mut r = Reply::json(429, ratelimit::limited_body(retry_after, global));
    r.headers = vec![
        ("retry-after", format!("{}", retry_after.ceil() as u64)),
        ("x-ratelimit-limit", "5".into()),
        ("x-ratelimit-remaining", "0".into()),
        ("x-ratelimit-reset-after", format!("{retry_after:.3}")),
        ("x-ratelimit-bucket", "fakebucket".into()),
        (
            "x-ratelimit-scope",
            if global { "global" } else { "user" }.into(),
        ),
    ];
    if global {
        r.headers.push(("x-ratelimit-global", "true".into()));
    }
    r
}

fn authorized(ctx: &Ctx, headers: &HeaderMap) -> bool {
    let want = format!("Bot {}", ctx.token);
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        == Some(want.as_str())
}

fn route(
    ctx: &Ctx,
    method: &Method,
    path: &str,
    headers: &HeaderMap,
    (body, files): (&Value, &[Upload]),
    at: Instant,
) -> Reply {
    let seg: Vec<&str> = path.trim_matches('/').split('/').collect();
    let needs_auth = matches!(seg.first(), Some(&("users" | "oauth2" | "applications")))
        || seg.as_slice() == ["gateway", "bot"];
    if needs_auth && !authorized(ctx, headers) {
        return Reply::error(401, 0, "401: Unauthorized");
    }
    if matches!(method.as_str(), "POST" | "PUT" | "PATCH") {
        if let Err(errors) = schema::check(method.as_str(), path, body) {
            ctx.shared.lock().invalid.push(Invalid {
                method: method.to_string(),
                path: path.to_string(),
                body: body.clone(),
                errors: errors.clone(),
            });
            return Reply::invalid_form_body(errors);
        }
    }
    // Files and `attachments` (uploads.rs); the routes see the attachment objects.
    let resolved = match uploads::resolve(ctx, path, body, files) {
        Ok(resolved) => resolved,
        Err(errors) => {
            ctx.shared.lock().invalid.push(Invalid {
                method: method.to_string(),
                path: path.to_string(),
                body: body.clone(),
                errors: errors.clone(),
            });
            return Reply::invalid_form_body(errors);
        }
    };
    let body = resolved.as_ref().unwrap_or(body);
    let app = payloads::APPLICATION_ID.to_string();
    match (method.as_str(), seg.as_slice()) {
        ("GET", ["gateway"]) => Reply::ok(json!({"url": ctx.ws_url})),
        ("GET", ["gateway", "bot"]) => {
            let mut gateway = payloads::gateway_bot(&ctx.ws_url);
            if let Some(n) = ctx.shared.lock().recommended_shards {
                gateway["shards"] = json!(n);
            }
            Reply::ok(gateway)
        }
        ("GET", ["users", "@me"]) => Reply::ok(payloads::bot_user()),
        ("GET", ["oauth2", "applications", "@me"] | ["applications", "@me"]) => {
            Reply::ok(payloads::application())
        }
        (m, ["applications", a, "commands"]) if *a == app => commands(ctx, m, None, body),
        (m, ["applications", a, "guilds", g, "commands"]) if *a == app => {
            commands(ctx, m, Some(g), body)
        }
        ("POST", ["interactions", id, token, "callback"]) => {
            interactions::callback(ctx, id, token, body, at)
        }
        ("POST", ["webhooks", a, token]) if *a == app => {
            interactions::followup(ctx, token, body, at)
        }
        (m @ ("GET" | "PATCH" | "DELETE"), ["webhooks", a, token, "messages", mid])
            if *a == app =>
        {
            interactions::webhook_message(ctx, m, token, mid, body, at)
        }
        ("GET", ["attachments", name]) => match ctx.shared.lock().attachments.get(*name) {
            Some(b) => Reply {
                status: StatusCode::OK,
                body: None,
                bytes: Some(b.clone()),
                headers: vec![("content-type", "text/csv".into())],
            },
            None => Reply::not_found(),
        },
        _ => Reply::not_found(),
    }
}

fn commands(ctx: &Ctx, method: &str, guild: Option<&str>, body: &Value) -> Reply {
    let key = guild.map(str::to_string);
    match method {
        "GET" => Reply::ok(json!(ctx
            .shared
            .lock()
            .commands
            .get(&key)
            .cloned()
            .unwrap_or_default())),
        "PUT" => {
            let Some(list) = body.as_array() else {
                return Reply::error(
                    400,
                    50035,
                    "Invalid Form Body (expected an array of commands)",
                );
            };
            let stored: Vec<Value> = list
                .iter()
                .map(|c| payloads::stored_command(&ctx.shared.snowflake(), guild, c))
                .collect();
            ctx.shared.lock().commands.insert(key, stored.clone());
            Reply::ok(json!(stored))
        }
        "POST" => {
            let c = payloads::stored_command(&ctx.shared.snowflake(), guild, body);
            let mut s = ctx.shared.lock();
            let list = s.commands.entry(key).or_default();
            list.retain(|x| x["name"] != c["name"]);
            list.push(c.clone());
            Reply::ok(c)
        }
        _ => Reply::not_found(),
    }
}

pub(crate) fn attachment_url(base_url: &str, name: &str) -> String {
    format!("{base_url}/attachments/{name}")
}
