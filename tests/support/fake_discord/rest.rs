//! The REST half: one fallback handler that records, applies armed faults, then routes by path.
//! Accepts paths with or without the `/api/v10` prefix.

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
    payloads,
    state::{Callback, Edit, Fault, RecordedRequest, Shared},
};

#[derive(Clone)]
pub(crate) struct Ctx {
    pub shared: Arc<Shared>,
    pub token: String,
    pub ws_url: String,
    pub base_url: String,
    /// Callbacks later than this after dispatch get Discord's 404 "Unknown interaction".
    pub callback_deadline: Option<std::time::Duration>,
}

pub(crate) fn router(ctx: Ctx) -> Router {
    Router::new().fallback(handle).with_state(ctx)
}

struct Reply {
    status: StatusCode,
    body: Option<Value>,
    bytes: Option<Vec<u8>>,
    headers: Vec<(&'static str, String)>,
}

impl Reply {
    fn json(status: u16, body: Value) -> Reply {
        Reply {
            status: StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
            body: Some(body),
            bytes: None,
            headers: Vec::new(),
        }
    }
    fn ok(body: Value) -> Reply {
        Self::json(200, body)
    }
    fn no_content() -> Reply {
        Reply {
            status: StatusCode::NO_CONTENT,
            body: None,
            bytes: None,
            headers: Vec::new(),
        }
    }
    fn error(status: u16, code: u64, message: &str) -> Reply {
        Self::json(status, json!({"message": message, "code": code}))
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
    let (body, files) = parse_body(&headers, &bytes);
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
        Some(Fault::Delay(d)) => {
            tokio::time::sleep(*d).await;
            route(&ctx, &method, &path, &headers, &body, at)
        }
        None => route(&ctx, &method, &path, &headers, &body, at),
    };
    ctx.shared.lock().requests[index].status = reply.status.as_u16();
    into_response(reply)
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

fn rate_limited(retry_after: f64, global: bool) -> Reply {
    let mut r = Reply::json(
        429,
        json!({"message": "You are being rate limited.", "retry_after": retry_after, "global": global}),
    );
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
    body: &Value,
    at: Instant,
) -> Reply {
    let seg: Vec<&str> = path.trim_matches('/').split('/').collect();
    let needs_auth = matches!(seg.first(), Some(&("users" | "oauth2" | "applications")))
        || seg.as_slice() == ["gateway", "bot"];
    if needs_auth && !authorized(ctx, headers) {
        return Reply::error(401, 0, "401: Unauthorized");
    }
    let app = payloads::APPLICATION_ID.to_string();
    match (method.as_str(), seg.as_slice()) {
        ("GET", ["gateway"]) => Reply::ok(json!({"url": ctx.ws_url})),
        ("GET", ["gateway", "bot"]) => Reply::ok(payloads::gateway_bot(&ctx.ws_url)),
        ("GET", ["users", "@me"]) => Reply::ok(payloads::bot_user()),
        ("GET", ["oauth2", "applications", "@me"] | ["applications", "@me"]) => {
            Reply::ok(payloads::application())
        }
        (m, ["applications", a, "commands"]) if *a == app => commands(ctx, m, None, body),
        (m, ["applications", a, "guilds", g, "commands"]) if *a == app => {
            commands(ctx, m, Some(g), body)
        }
        ("POST", ["interactions", id, token, "callback"]) => callback(ctx, id, token, body, at),
        ("POST", ["webhooks", a, token]) if *a == app => followup(ctx, token, body, at),
        (m @ ("GET" | "PATCH" | "DELETE"), ["webhooks", a, token, "messages", mid])
            if *a == app =>
        {
            webhook_message(ctx, m, token, mid, body, at)
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

fn callback(ctx: &Ctx, id: &str, token: &str, body: &Value, at: Instant) -> Reply {
    let kind = body["type"].as_u64().unwrap_or(0);
    let data = body.get("data").cloned().unwrap_or(Value::Null);
    let mut s = ctx.shared.lock();
    let Some(d) = s.dispatched.get(id).cloned() else {
        return Reply::error(404, 10062, "Unknown interaction");
    };
    let latency = at.saturating_duration_since(d.at);
    let already = s
        .callbacks
        .iter()
        .any(|c| c.interaction_id == id && c.status == 204);
    let late = ctx.callback_deadline.is_some_and(|dl| latency > dl);
    let (status, reply) = if d.token != token || late {
        (404, Reply::error(404, 10062, "Unknown interaction"))
    } else if already {
        (
            400,
            Reply::error(400, 40060, "Interaction has already been acknowledged."),
        )
    } else {
        (204, Reply::no_content())
    };
    s.callbacks.push(Callback {
        interaction_id: id.to_string(),
        token: token.to_string(),
        kind,
        data: data.clone(),
        at,
        latency,
        status,
    });
    if status != 204 {
        return reply;
    }
    let key = (token.to_string(), "@original".to_string());
    match kind {
        4 => {
            let m = payloads::message(&ctx.shared.snowflake(), &data);
            s.messages.insert(key, m);
        }
        5 => {
            let eph = data["flags"].as_u64().unwrap_or(0) & 64;
            let m = payloads::message(&ctx.shared.snowflake(), &json!({"flags": 128 | eph}));
            s.messages.insert(key, m);
        }
        7 => {
            if let Some(m) = s.messages.get_mut(&key) {
                payloads::merge_message(m, &data);
                m["edited_timestamp"] = json!(payloads::now());
            }
        }
        _ => {}
    }
    reply
}

fn followup(ctx: &Ctx, token: &str, body: &Value, at: Instant) -> Reply {
    let mut s = ctx.shared.lock();
    if !s.token_to_interaction.contains_key(token) {
        return Reply::error(404, 10015, "Unknown Webhook");
    }
    let id = ctx.shared.snowflake();
    let m = payloads::message(&id, body);
    s.messages
        .insert((token.to_string(), id.clone()), m.clone());
    s.edits.push(Edit {
        token: token.to_string(),
        message: id,
        method: "POST".into(),
        body: body.clone(),
        at,
        status: 200,
    });
    Reply::ok(m)
}

fn webhook_message(
    ctx: &Ctx,
    method: &str,
    token: &str,
    mid: &str,
    body: &Value,
    at: Instant,
) -> Reply {
    let mut s = ctx.shared.lock();
    if !s.token_to_interaction.contains_key(token) {
        return Reply::error(404, 10015, "Unknown Webhook");
    }
    let key = (token.to_string(), mid.to_string());
    let record = |s: &mut super::state::Inner, status: u16| {
        s.edits.push(Edit {
            token: token.to_string(),
            message: mid.to_string(),
            method: method.to_string(),
            body: body.clone(),
            at,
            status,
        })
    };
    match method {
        "GET" => match s.messages.get(&key) {
            Some(m) => Reply::ok(m.clone()),
            None => Reply::error(404, 10008, "Unknown Message"),
        },
        "DELETE" => {
            let found = s.messages.remove(&key).is_some();
            record(&mut s, if found { 204 } else { 404 });
            if found {
                Reply::no_content()
            } else {
                Reply::error(404, 10008, "Unknown Message")
            }
        }
        _ => {
            let Some(m) = s.messages.get_mut(&key) else {
                record(&mut s, 404);
                return Reply::error(404, 10008, "Unknown Message");
            };
            payloads::merge_message(m, body);
            let flags = m["flags"].as_u64().unwrap_or(0) & !128;
            m["flags"] = json!(flags);
            m["edited_timestamp"] = json!(payloads::now());
            let out = m.clone();
            record(&mut s, 200);
            Reply::ok(out)
        }
    }
}

pub(crate) fn attachment_url(base_url: &str, name: &str) -> String {
    format!("{base_url}/attachments/{name}")
}
