//! Request bodies as Discord clients send them: JSON, or multipart/form-data with `payload_json`
//! and file parts.

use axum::http::{header, HeaderMap};
use serde_json::Value;

use super::uploads::{parse_multipart, Upload};

/// JSON, or the `payload_json` part of multipart/form-data with its file parts (`uploads`).
pub(crate) fn parse_body(headers: &HeaderMap, bytes: &[u8]) -> (Value, Vec<Upload>) {
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
