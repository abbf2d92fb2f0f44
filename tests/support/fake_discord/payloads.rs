//! Discord API v10 payload shapes, complete enough for serenity's strict deserializers.

use serde_json::{json, Map, Value};

pub const BOT_USER_ID: u64 = 900_000_000_000_000_001;
pub const APPLICATION_ID: u64 = 900_000_000_000_000_002;
pub const OWNER_USER_ID: u64 = 900_000_000_000_000_003;
pub const GUILD_ID: u64 = 900_000_000_000_000_010;
pub const CHANNEL_ID: u64 = 900_000_000_000_000_020;

/// Permission bits as Discord sends them (decimal strings).
pub const PERMS_MEMBER: &str = "3072"; // VIEW_CHANNEL | SEND_MESSAGES
pub const PERMS_MODERATOR: &str = "3104"; // … | MANAGE_GUILD (32)

/// Who triggers an interaction.
#[derive(Debug, Clone)]
pub struct Actor {
    pub user_id: u64,
    /// Decimal bitfield string, e.g. `"32"` for MANAGE_GUILD.
    pub permissions: String,
    pub roles: Vec<u64>,
}

impl Actor {
    pub fn new(user_id: u64, permissions: &str, roles: &[u64]) -> Self {
        Actor {
            user_id,
            permissions: permissions.to_string(),
            roles: roles.to_vec(),
        }
    }

    /// An ordinary member (view + send).
    pub fn member(user_id: u64) -> Self {
        Self::new(user_id, PERMS_MEMBER, &[])
    }

    /// A member with MANAGE_GUILD.
    pub fn moderator(user_id: u64) -> Self {
        Self::new(user_id, PERMS_MODERATOR, &[])
    }
}

pub fn now() -> String {
    serenity::model::Timestamp::now().to_string()
}

pub fn user(id: u64, name: &str, bot: bool) -> Value {
    json!({
        "id": id.to_string(),
        "username": name,
        "discriminator": "0",
        "global_name": name,
        "avatar": null,
        "bot": bot,
        "public_flags": 0,
        "flags": 0,
    })
}

pub fn bot_user() -> Value {
    let mut u = user(BOT_USER_ID, "gdbot-test", true);
    u["verified"] = json!(true);
    u["mfa_enabled"] = json!(false);
    u
}

pub fn application() -> Value {
    json!({
        "id": APPLICATION_ID.to_string(),
        "name": "gdbot-test",
        "icon": null,
        "description": "",
        "rpc_origins": [],
        "bot_public": false,
        "bot_require_code_grant": false,
        "owner": user(OWNER_USER_ID, "owner", false),
        "verify_key": "0".repeat(64),
        "team": null,
        "flags": 0,
        "bot": bot_user(),
    })
}

pub fn member(actor: &Actor) -> Value {
    json!({
        "user": user(actor.user_id, &format!("user{}", actor.user_id), false),
        "nick": null,
        "avatar": null,
        "roles": actor.roles.iter().map(u64::to_string).collect::<Vec<_>>(),
        "joined_at": "2024-01-01T00:00:00.000000+00:00",
        "premium_since": null,
        "deaf": false,
        "mute": false,
        "flags": 0,
        "pending": false,
        "permissions": actor.permissions,
        "communication_disabled_until": null,
    })
}

pub fn partial_channel() -> Value {
    json!({"id": CHANNEL_ID.to_string(), "type": 0, "name": "general", "guild_id": GUILD_ID.to_string()})
}

/// A full Message object; `fields` (content, embeds, components, flags, …) are merged in.
pub fn message(id: &str, fields: &Value) -> Value {
    let mut m = json!({
        "id": id,
        "channel_id": CHANNEL_ID.to_string(),
        "guild_id": GUILD_ID.to_string(),
        "author": bot_user(),
        "content": "",
        "timestamp": now(),
        "edited_timestamp": null,
        "tts": false,
        "mention_everyone": false,
        "mentions": [],
        "mention_roles": [],
        "mention_channels": [],
        "attachments": [],
        "embeds": [],
        "components": [],
        "reactions": [],
        "pinned": false,
        "type": 20,
        "flags": 0,
        "webhook_id": APPLICATION_ID.to_string(),
        "application_id": APPLICATION_ID.to_string(),
    });
    merge_message(&mut m, fields);
    m
}

/// Apply a create/edit body to a stored message the way Discord does (only message fields).
pub fn merge_message(m: &mut Value, body: &Value) {
    let Some(obj) = body.as_object() else { return };
    for key in ["content", "embeds", "components", "flags", "tts"] {
        if let Some(v) = obj.get(key) {
            let v = match (key, v) {
                (_, Value::Null) if key == "content" => json!(""),
                (_, Value::Null) => continue,
                ("embeds", Value::Array(es)) => {
                    Value::Array(es.iter().map(normalize_embed).collect())
                }
                _ => v.clone(),
            };
            m[key] = v;
        }
    }
    if let Some(atts) = obj.get("attachments").and_then(Value::as_array) {
        let full: Vec<Value> = atts
            .iter()
            .filter(|a| a.get("url").is_some())
            .cloned()
            .collect();
        m["attachments"] = Value::Array(full);
    }
}

fn normalize_embed(e: &Value) -> Value {
    let mut e = e.clone();
    if let Some(obj) = e.as_object_mut() {
        obj.entry("type").or_insert(json!("rich"));
        if let Some(Value::Array(fields)) = obj.get_mut("fields") {
            for f in fields {
                if let Some(fo) = f.as_object_mut() {
                    fo.entry("inline").or_insert(json!(false));
                }
            }
        }
    }
    e
}

/// A registered application command as Discord returns it.
pub fn stored_command(id: &str, guild_id: Option<&str>, body: &Value) -> Value {
    let mut c = body.clone();
    if let Some(o) = c.as_object_mut() {
        o.insert("id".into(), json!(id));
        o.insert("application_id".into(), json!(APPLICATION_ID.to_string()));
        o.insert("version".into(), json!(id));
        o.entry("type").or_insert(json!(1));
        o.entry("default_member_permissions").or_insert(Value::Null);
        o.entry("nsfw").or_insert(json!(false));
        if let Some(g) = guild_id {
            o.insert("guild_id".into(), json!(g));
        }
    }
    c
}

pub fn gateway_bot(ws_url: &str) -> Value {
    json!({
        "url": ws_url,
        "shards": 1,
        "session_start_limit": {"total": 1000, "remaining": 999, "reset_after": 86_400_000, "max_concurrency": 1}
    })
}

pub fn ready(session_id: &str, ws_url: &str, shard: &Value) -> Value {
    json!({
        "v": 10,
        "user": bot_user(),
        "guilds": [],
        "session_id": session_id,
        "resume_gateway_url": ws_url,
        "shard": shard,
        "application": {"id": APPLICATION_ID.to_string(), "flags": 0},
    })
}

/// The fields every interaction carries; `kind` 2 command, 3 component, 4 autocomplete, 5 modal
/// submit.
pub fn interaction(id: &str, token: &str, kind: u64, data: Value, actor: &Actor) -> Value {
    json!({
        "id": id,
        "application_id": APPLICATION_ID.to_string(),
        "type": kind,
        "data": data,
        "guild_id": GUILD_ID.to_string(),
        "channel_id": CHANNEL_ID.to_string(),
        "channel": partial_channel(),
        "member": member(actor),
        "token": token,
        "version": 1,
        "app_permissions": "2251799813685247",
        "locale": "en-US",
        "guild_locale": "en-US",
        "entitlements": [],
        "authorizing_integration_owners": {"0": GUILD_ID.to_string()},
        "context": 0,
        "attachment_size_limit": 26_214_400,
    })
}

/// `data` of an application command (`options` in Discord's shape, e.g.
/// `[{"name":"question","type":3,"value":"…"}]`); `resolved` may carry attachments.
pub fn command_data(
    command_id: &str,
    name: &str,
    options: Value,
    resolved: Option<Value>,
) -> Value {
    let mut d = Map::new();
    d.insert("id".into(), json!(command_id));
    d.insert("name".into(), json!(name));
    d.insert("type".into(), json!(1));
    d.insert("options".into(), options);
    d.insert("guild_id".into(), json!(GUILD_ID.to_string()));
    if let Some(r) = resolved {
        d.insert("resolved".into(), r);
    }
    Value::Object(d)
}

/// An attachment object pointing at the fake's download route.
pub fn attachment(id: &str, filename: &str, size: usize, url: &str) -> Value {
    json!({
        "id": id,
        "filename": filename,
        "size": size,
        "url": url,
        "proxy_url": url,
        "content_type": "text/csv; charset=utf-8",
        "ephemeral": true,
    })
}
