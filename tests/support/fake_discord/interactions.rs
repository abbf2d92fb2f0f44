//! Interaction responses as Discord answers them: the callback (once, within 3 s, of a type that
//! fits the interaction), then the token's webhook — `@original` edits and follow-ups — for 15
//! minutes (by the fake's test clock), after which Discord says 401 "Invalid Webhook Token".

use std::time::Instant;

use serde_json::{json, Value};

use super::{
    payloads,
    rest::{Ctx, Reply},
    state::{Callback, Edit, Inner, Invalid},
};

/// Callback types Discord accepts for each interaction type (2 command, 3 component,
/// 4 autocomplete, 5 modal submit): 4 message, 5 deferred, 6 deferred update, 7 update,
/// 8 autocomplete result, 9 modal.
fn fits(interaction: u64, callback: u64) -> bool {
    match interaction {
        2 => matches!(callback, 4 | 5 | 9),
        3 => matches!(callback, 4..=7 | 9),
        4 => callback == 8,
        5 => matches!(callback, 4..=7),
        _ => false,
    }
}

pub(crate) fn callback(ctx: &Ctx, id: &str, token: &str, body: &Value, at: Instant) -> Reply {
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
    let late = ctx.callback_deadline.is_some_and(|dl| d.age(s.clock) > dl);
    let (status, reply) = if d.token != token || late {
        (404, Reply::error(404, 10062, "Unknown interaction"))
    } else if already {
        let msg = "Interaction has already been acknowledged.";
        (400, Reply::error(400, 40060, msg))
    } else if !fits(d.kind, kind) {
        let errors = json!({"type": {"_errors": [{
            "code": "INTERACTION_CALLBACK_TYPE_INVALID",
            "message": format!("Callback type {kind} is not valid for an interaction of type {}", d.kind),
        }]}});
        s.invalid.push(Invalid {
            method: "POST".into(),
            path: format!("/interactions/{id}/{token}/callback"),
            body: body.clone(),
            errors: errors.clone(),
        });
        (400, Reply::invalid_form_body(errors))
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

/// Discord's answer when the webhook token is unknown (10015) or expired (50027).
fn token_refused(ctx: &Ctx, s: &Inner, token: &str) -> Option<Reply> {
    let Some(id) = s.token_to_interaction.get(token) else {
        return Some(Reply::error(404, 10015, "Unknown Webhook"));
    };
    let expired = s
        .dispatched
        .get(id)
        .is_some_and(|d| d.age(s.clock) > ctx.token_ttl);
    expired.then(|| Reply::error(401, 50027, "Invalid Webhook Token"))
}

pub(crate) fn followup(ctx: &Ctx, token: &str, body: &Value, at: Instant) -> Reply {
    let mut s = ctx.shared.lock();
    if let Some(refused) = token_refused(ctx, &s, token) {
        return refused;
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

pub(crate) fn webhook_message(
    ctx: &Ctx,
    method: &str,
    token: &str,
    mid: &str,
    body: &Value,
    at: Instant,
) -> Reply {
    let mut s = ctx.shared.lock();
    if let Some(refused) = token_refused(ctx, &s, token) {
        return refused;
    }
    let key = (token.to_string(), mid.to_string());
    let record = |s: &mut Inner, status: u16| {
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
