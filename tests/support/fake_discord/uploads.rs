//! File uploads as Discord takes them: a `multipart/form-data` body with the JSON payload in a
//! `payload_json` part and each file in a `files[n]` part (with a `filename`), on interaction
//! callbacks (`data.attachments`) and webhook messages, `@original` edits included
//! (`attachments`). An entry of `attachments` whose `id` is a small number is a placeholder for
//! part `files[id]`: a missing part is refused (400, 50035). Each uploaded file becomes an
//! attachment object of the message (a snowflake id, a `url` the fake serves, `size`,
//! `content_type`, and `width`/`height` for a PNG), and its bytes are kept for tests
//! (`FakeDiscord::uploads_for`). Keeping a message's earlier attachments by their id is not
//! modelled: they are dropped.

use serde_json::{json, Map, Value};

use super::{rest, FakeDiscord};

/// One file part of a multipart body.
#[derive(Debug, Clone)]
pub struct Upload {
    /// The part's name, `files[0]` …
    pub part: String,
    pub filename: Option<String>,
    pub content_type: Option<String>,
    pub bytes: Vec<u8>,
}

/// A file the fake accepted, as the message's attachment `attachment_id`.
#[derive(Debug, Clone)]
pub struct StoredUpload {
    /// The interaction token it was sent with.
    pub token: String,
    pub attachment_id: String,
    pub filename: String,
    pub content_type: Option<String>,
    pub bytes: Vec<u8>,
}

impl FakeDiscord {
    /// Files uploaded with the interaction `token`'s callback and webhook messages, in order.
    pub fn uploads_for(&self, token: &str) -> Vec<StoredUpload> {
        self.with(|s| {
            s.uploads
                .iter()
                .filter(|u| u.token == token)
                .cloned()
                .collect()
        })
    }
}

/// Parse a multipart body: the `payload_json` (or, without it, the text fields as an object) and
/// the file parts. Binary-safe.
pub(crate) fn parse_multipart(bytes: &[u8], boundary: &str) -> (Value, Vec<Upload>) {
    let delim = format!("--{boundary}").into_bytes();
    let mut payload = Value::Null;
    let mut fields = Map::new();
    let mut uploads = Vec::new();
    let starts: Vec<usize> = find_all(bytes, &delim);
    for pair in starts.windows(2) {
        let part = &bytes[pair[0] + delim.len()..pair[1]];
        let part = part.strip_prefix(b"\r\n").unwrap_or(part);
        let part = part.strip_suffix(b"\r\n").unwrap_or(part);
        let Some(split) = find(part, b"\r\n\r\n") else {
            continue;
        };
        let head = String::from_utf8_lossy(&part[..split]);
        let content = &part[split + 4..];
        let Some(name) = param(&head, "name") else {
            continue;
        };
        let filename = param(&head, "filename");
        if filename.is_some() || name.starts_with("files[") {
            let content_type = head
                .lines()
                .find_map(|l| {
                    l.strip_prefix("Content-Type:")
                        .or_else(|| l.strip_prefix("content-type:"))
                })
                .map(|v| v.trim().to_string());
            uploads.push(Upload {
                part: name,
                filename,
                content_type,
                bytes: content.to_vec(),
            });
        } else if name == "payload_json" {
            payload = serde_json::from_slice(content).unwrap_or(Value::Null);
        } else {
            fields.insert(name, json!(String::from_utf8_lossy(content)));
        }
    }
    if payload.is_null() && !fields.is_empty() {
        payload = Value::Object(fields);
    }
    (payload, uploads)
}

/// A `Content-Disposition` parameter: `name="…"`, `filename="…"`.
fn param(head: &str, key: &str) -> Option<String> {
    let needle = format!("; {key}=\"");
    let start = head.find(&needle)? + needle.len();
    let end = head[start..].find('"')?;
    Some(head[start..start + end].to_string())
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

fn find_all(hay: &[u8], needle: &[u8]) -> Vec<usize> {
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(i) = hay.get(from..).and_then(|h| find(h, needle)) {
        out.push(from + i);
        from += i + needle.len();
    }
    out
}

/// Where a route's message payload is: `data` of an interaction callback, the body of a webhook
/// message. `None` for routes that take no files, and the interaction token.
fn message_pointer(path: &str) -> Option<(&'static str, String)> {
    let seg: Vec<&str> = path.trim_matches('/').split('/').collect();
    match seg.as_slice() {
        ["interactions", _, token, "callback"] => Some(("/data", token.to_string())),
        ["webhooks", _, token] | ["webhooks", _, token, "messages", _] => {
            Some(("", token.to_string()))
        }
        _ => None,
    }
}

/// Check the files against the payload's `attachments` and turn the new ones into attachment
/// objects. `Ok(None)`: nothing to change; `Err`: Discord's `errors` object (nothing is kept).
pub(crate) fn resolve(
    ctx: &rest::Ctx,
    path: &str,
    body: &Value,
    uploads: &[Upload],
) -> Result<Option<Value>, Value> {
    let Some((pointer, token)) = message_pointer(path) else {
        return Ok(None);
    };
    let listed = body
        .pointer(&format!("{pointer}/attachments"))
        .and_then(Value::as_array)
        .cloned();
    if uploads.is_empty() && listed.is_none() {
        return Ok(None);
    }
    let at = |field: &str| format!("{pointer}/{field}");
    let mut errors: Vec<(String, &str, String)> = Vec::new();
    for u in uploads {
        let numbered = u
            .part
            .strip_prefix("files[")
            .and_then(|r| r.strip_suffix(']'))
            .is_some_and(|n| n.parse::<u64>().is_ok());
        if !numbered {
            let message = format!("file part `{}` is not named files[n]", u.part);
            errors.push((at(&u.part), "BASE_TYPE_INVALID", message));
        } else if u.filename.as_deref().is_none_or(str::is_empty) {
            let message = format!("file part `{}` has no filename", u.part);
            errors.push((at(&u.part), "BASE_TYPE_REQUIRED", message));
        }
    }
    // The files to attach, with the name the payload gives them.
    let mut attach: Vec<(&Upload, Option<String>)> = Vec::new();
    match &listed {
        // No `attachments` list: every file is a new attachment.
        None => attach.extend(uploads.iter().map(|u| (u, None))),
        Some(list) => {
            for (i, a) in list.iter().enumerate() {
                // Not a placeholder: an earlier attachment kept by its id (not modelled).
                let Some(id) = placeholder(&a["id"]) else {
                    continue;
                };
                match uploads.iter().find(|u| u.part == format!("files[{id}]")) {
                    Some(u) => attach.push((u, a["filename"].as_str().map(String::from))),
                    None => errors.push((
                        at(&format!("attachments/{i}/id")),
                        "ATTACHMENT_NOT_FOUND",
                        format!("attachment {id} has no files[{id}] part"),
                    )),
                }
            }
        }
    }
    if !errors.is_empty() {
        let mut e = json!({});
        for (p, code, message) in errors {
            let mut node = &mut e;
            for seg in p.split('/').filter(|s| !s.is_empty()) {
                node = &mut node[seg];
            }
            node["_errors"] = json!([{"code": code, "message": message}]);
        }
        return Err(e);
    }
    let objects: Vec<Value> = attach
        .into_iter()
        .map(|(u, name)| stored(ctx, &token, u, name.as_deref()))
        .collect();
    let mut body = body.clone();
    if let Some(m) = body.pointer_mut(pointer).filter(|m| m.is_object()) {
        m["attachments"] = Value::Array(objects);
    }
    Ok(Some(body))
}

/// A placeholder id (`0`, `"1"` …), as opposed to a snowflake of an existing attachment.
fn placeholder(id: &Value) -> Option<u64> {
    let n = match id {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => s.parse().ok(),
        _ => None,
    }?;
    (n < 1_000_000).then_some(n)
}

/// Keep the file (served at its `url`, recorded for `uploads_for`) and describe it as Discord does.
fn stored(ctx: &rest::Ctx, token: &str, u: &Upload, listed_name: Option<&str>) -> Value {
    let id = ctx.shared.snowflake();
    let filename = listed_name
        .or(u.filename.as_deref())
        .unwrap_or("file")
        .to_string();
    let name = format!("{id}-{filename}");
    let url = rest::attachment_url(&ctx.base_url, &name);
    let mut att = json!({
        "id": id, "filename": filename, "size": u.bytes.len(), "url": url, "proxy_url": url,
    });
    if let Some(t) = &u.content_type {
        att["content_type"] = json!(t);
    }
    if let Some((w, h)) = png_size(&u.bytes) {
        att["width"] = json!(w);
        att["height"] = json!(h);
    }
    let mut s = ctx.shared.lock();
    s.attachments.insert(name, u.bytes.clone());
    s.uploads.push(StoredUpload {
        token: token.to_string(),
        attachment_id: id,
        filename,
        content_type: u.content_type.clone(),
        bytes: u.bytes.clone(),
    });
    att
}

/// Width and height from a PNG's IHDR chunk.
fn png_size(b: &[u8]) -> Option<(u32, u32)> {
    if !b.starts_with(b"\x89PNG\r\n\x1a\n") || b.get(12..16)? != b"IHDR" {
        return None;
    }
    let be = |r: &[u8]| u32::from_be_bytes([r[0], r[1], r[2], r[3]]);
    Some((be(b.get(16..20)?), be(b.get(20..24)?)))
}
