//! Request bodies as Discord clients send them: JSON, or multipart/form-data with `payload_json`
//! and file parts.

use axum::http::{header, HeaderMap};
use serde_json::{json, Value};

/// JSON, or the `payload_json` part of multipart/form-data (file part names returned separately).
pub(crate) fn parse_body(headers: &HeaderMap, bytes: &[u8]) -> (Value, Vec<String>) {
    let ctype = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if let Some(boundary) = ctype.split("boundary=").nth(1) {
        return parse_multipart(bytes, boundary.trim_matches('"'));
    }
    (
        serde_json::from_slice(bytes).unwrap_or(Value::Null),
        Vec::new(),
    )
}

fn parse_multipart(bytes: &[u8], boundary: &str) -> (Value, Vec<String>) {
    let text = String::from_utf8_lossy(bytes);
    let delim = format!("--{boundary}");
    let mut payload = Value::Null;
    let mut files = Vec::new();
    let mut fields = serde_json::Map::new();
    for part in text.split(&delim) {
        let Some((head, content)) = part.split_once("\r\n\r\n") else {
            continue;
        };
        let content = content.strip_suffix("\r\n").unwrap_or(content);
        let Some(name) = head
            .split("name=\"")
            .nth(1)
            .and_then(|s| s.split('"').next())
        else {
            continue;
        };
        if head.contains("filename=") {
            files.push(name.to_string());
        } else if name == "payload_json" {
            payload = serde_json::from_str(content).unwrap_or(Value::Null);
        } else {
            fields.insert(name.to_string(), json!(content));
        }
    }
    if payload.is_null() && !fields.is_empty() {
        payload = Value::Object(fields);
    }
    (payload, files)
}
