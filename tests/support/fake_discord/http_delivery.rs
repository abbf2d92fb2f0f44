//! Discord's other way of delivering interactions: a signed HTTP POST to the application's
//! Interactions Endpoint URL (`gdbot serve --http`). The fake signs as Discord does (Ed25519 over
//! `X-Signature-Timestamp` + the body, with the application's key pair), and takes a 200
//! response's body as the interaction's callback: checked against Discord's schema and the
//! callback types like one POSTed to `/interactions/{id}/{token}/callback`, creating `@original`
//! alike, and late after 3 s alike.

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use ring::{
    rand::SystemRandom,
    signature::{Ed25519KeyPair, KeyPair},
};
use serde_json::Value;

use super::{interactions, rest, schema, state::Invalid, FakeDiscord, Interaction};

/// An application's Ed25519 key pair, made for one test.
pub struct Signer {
    pair: Ed25519KeyPair,
}

impl Signer {
    pub fn generate() -> Signer {
        let pkcs8 = Ed25519KeyPair::generate_pkcs8(&SystemRandom::new()).expect("generate a key");
        let pair = Ed25519KeyPair::from_pkcs8(pkcs8.as_ref()).expect("read the key back");
        Signer { pair }
    }

    /// The public key as the Developer Portal shows it (`DISCORD_PUBLIC_KEY`).
    pub fn public_key_hex(&self) -> String {
        hex::encode(self.pair.public_key().as_ref())
    }

    /// `X-Signature-Ed25519` for `timestamp` + `body`.
    pub fn sign(&self, timestamp: &str, body: &[u8]) -> String {
        let mut message = timestamp.as_bytes().to_vec();
        message.extend_from_slice(body);
        hex::encode(self.pair.sign(&message).as_ref())
    }

    /// The two signature headers for `body`, signed at `at` seconds since the epoch.
    pub fn headers(&self, body: &[u8], at: u64) -> Vec<(&'static str, String)> {
        let timestamp = at.to_string();
        vec![
            ("x-signature-ed25519", self.sign(&timestamp, body)),
            ("x-signature-timestamp", timestamp),
        ]
    }
}

/// Seconds since the epoch now, as Discord puts in `X-Signature-Timestamp`.
pub fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("a clock after 1970")
        .as_secs()
}

/// What the bot's endpoint answered.
#[derive(Debug, Clone)]
pub struct Delivery {
    pub status: u16,
    pub body: String,
    /// The body as JSON (`Null` when it is not JSON).
    pub json: Value,
    /// From sending the request to reading the whole response.
    pub latency: Duration,
}

/// POST `body` to `url` with `headers` (and `content-type: application/json`), as is: nothing is
/// recorded. For requests Discord would never send (altered, unsigned, stale).
pub async fn post(url: &str, body: Vec<u8>, headers: &[(&str, String)]) -> Delivery {
    let mut request = reqwest::Client::new()
        .post(url)
        .header("content-type", "application/json")
        .body(body);
    for (name, value) in headers {
        request = request.header(*name, value);
    }
    send(request).await
}

/// Send `request` and read the whole answer.
pub async fn send(request: reqwest::RequestBuilder) -> Delivery {
    let started = Instant::now();
    let response = request.send().await.expect("the bot's endpoint answers");
    let status = response.status().as_u16();
    let body = response.text().await.expect("the response body");
    Delivery {
        status,
        json: serde_json::from_str(&body).unwrap_or(Value::Null),
        body,
        latency: started.elapsed(),
    }
}

impl FakeDiscord {
    /// Deliver `i` to `url` as Discord does: remember it (its token then works for edits and
    /// follow-ups), sign it with `signer` now, POST it; a 200 response's body is its callback.
    pub async fn deliver(&self, url: &str, i: &Interaction, signer: &Signer) -> Delivery {
        self.record_dispatch(i);
        let body = serde_json::to_vec(&i.payload).expect("an interaction is JSON");
        let headers = signer.headers(&body, unix_now());
        let delivery = post(url, body, &headers).await;
        if delivery.status == 200 {
            self.take_inline_response(i, &delivery.json);
        }
        delivery
    }

    /// The endpoint's response body, taken as the callback Discord would have received.
    fn take_inline_response(&self, i: &Interaction, body: &Value) {
        let path = format!("/interactions/{}/{}/callback", i.id, i.token);
        if let Err(errors) = schema::check("POST", &path, body) {
            self.shared.lock().invalid.push(Invalid {
                method: "POST (HTTP response)".into(),
                path,
                body: body.clone(),
                errors,
            });
            return;
        }
        let ctx = rest::Ctx {
            shared: self.shared.clone(),
            token: self.opts.token.clone(),
            ws_url: self.ws_url.clone(),
            base_url: self.base_url.clone(),
            callback_deadline: self.opts.callback_deadline,
            token_ttl: self.opts.token_ttl,
        };
        interactions::callback(&ctx, &i.id, &i.token, body, Instant::now());
    }
}
