//! Discord's signature on an interaction POST: Ed25519 over `X-Signature-Timestamp` followed by the
//! raw body, with the application's public key (`DISCORD_PUBLIC_KEY`). Checked before anything of
//! the body is parsed. ring does the verification (rustls already builds it).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use ring::signature::{UnparsedPublicKey, ED25519};

/// How far a request's timestamp may be from this server's clock, either way. Discord signs the
/// time it sends; a captured request replayed later than this is refused even though its
/// signature is valid.
pub const MAX_SKEW: Duration = Duration::from_secs(5 * 60);

/// Why a request was refused (401); the text goes into the log and the response body.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum Refused {
    #[error("no X-Signature-Ed25519 header")]
    MissingSignature,
    #[error("no X-Signature-Timestamp header")]
    MissingTimestamp,
    #[error("X-Signature-Ed25519 is not 128 hexadecimal digits")]
    MalformedSignature,
    #[error("X-Signature-Timestamp is not a Unix time in seconds")]
    MalformedTimestamp,
    #[error("the signature does not match the timestamp and body (another application's key, or an altered request)")]
    BadSignature,
    #[error("X-Signature-Timestamp is {0} s from this server's clock, more than the 300 s allowed (a replayed request, or a clock to set right)")]
    Stale(u64),
}

/// Checks requests against one application's public key.
pub struct Verifier {
    key: UnparsedPublicKey<[u8; 32]>,
}

impl Verifier {
    pub fn new(public_key: [u8; 32]) -> Self {
        Verifier {
            key: UnparsedPublicKey::new(&ED25519, public_key),
        }
    }

    /// `signature` and `timestamp` are the raw header values (`None` when absent).
    pub fn check(
        &self,
        signature: Option<&[u8]>,
        timestamp: Option<&[u8]>,
        body: &[u8],
        now: SystemTime,
    ) -> Result<(), Refused> {
        let signature = signature.ok_or(Refused::MissingSignature)?;
        let timestamp = timestamp.ok_or(Refused::MissingTimestamp)?;
        let mut sig = [0u8; 64];
        hex::decode_to_slice(signature, &mut sig).map_err(|_| Refused::MalformedSignature)?;
        let sent: u64 = std::str::from_utf8(timestamp)
            .ok()
            .and_then(|t| t.parse().ok())
            .ok_or(Refused::MalformedTimestamp)?;
        let mut message = Vec::with_capacity(timestamp.len() + body.len());
        message.extend_from_slice(timestamp);
        message.extend_from_slice(body);
        self.key
            .verify(&message, &sig)
            .map_err(|_| Refused::BadSignature)?;
        // Only a genuine (signed) request is told it is stale.
        let now = now.duration_since(UNIX_EPOCH).unwrap_or_default().as_secs();
        let skew = now.abs_diff(sent);
        if skew > MAX_SKEW.as_secs() {
            return Err(Refused::Stale(skew));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use ring::{rand::SystemRandom, signature::Ed25519KeyPair, signature::KeyPair};

    use super::*;

    fn key_pair() -> Ed25519KeyPair {
        let pkcs8 = Ed25519KeyPair::generate_pkcs8(&SystemRandom::new()).expect("generate a key");
        Ed25519KeyPair::from_pkcs8(pkcs8.as_ref()).expect("read it back")
    }

    fn public(pair: &Ed25519KeyPair) -> [u8; 32] {
        pair.public_key().as_ref().try_into().expect("32 bytes")
    }

    fn sign(pair: &Ed25519KeyPair, timestamp: &str, body: &[u8]) -> String {
        let mut message = timestamp.as_bytes().to_vec();
        message.extend_from_slice(body);
        hex::encode(pair.sign(&message).as_ref())
    }

    const NOW: u64 = 1_750_000_000;
    const BODY: &[u8] = br#"{"type":1}"#;

    fn at(secs: u64) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(secs)
    }

    fn check(v: &Verifier, sig: &str, ts: &str, body: &[u8], now: u64) -> Result<(), Refused> {
        v.check(Some(sig.as_bytes()), Some(ts.as_bytes()), body, at(now))
    }

    #[test]
    fn a_request_signed_with_the_key_passes() {
        let pair = key_pair();
        let v = Verifier::new(public(&pair));
        let ts = NOW.to_string();
        assert_eq!(check(&v, &sign(&pair, &ts, BODY), &ts, BODY, NOW), Ok(()));
        // Within 300 s either way (clocks differ).
        let early = (NOW - 300).to_string();
        assert_eq!(
            check(&v, &sign(&pair, &early, BODY), &early, BODY, NOW),
            Ok(())
        );
        let late = (NOW + 300).to_string();
        assert_eq!(
            check(&v, &sign(&pair, &late, BODY), &late, BODY, NOW),
            Ok(())
        );
    }

    #[test]
    fn altered_foreign_stale_or_malformed_requests_are_refused() {
        let pair = key_pair();
        let v = Verifier::new(public(&pair));
        let ts = NOW.to_string();
        let sig = sign(&pair, &ts, BODY);
        let tampered = br#"{"type":2}"#;
        assert_eq!(
            check(&v, &sig, &ts, tampered, NOW),
            Err(Refused::BadSignature)
        );
        let other_ts = (NOW + 1).to_string();
        assert_eq!(
            check(&v, &sig, &other_ts, BODY, NOW),
            Err(Refused::BadSignature)
        );
        let foreign = sign(&key_pair(), &ts, BODY);
        assert_eq!(
            check(&v, &foreign, &ts, BODY, NOW),
            Err(Refused::BadSignature)
        );
        let old = (NOW - 301).to_string();
        assert_eq!(
            check(&v, &sign(&pair, &old, BODY), &old, BODY, NOW),
            Err(Refused::Stale(301))
        );
        assert_eq!(
            check(&v, &sig[2..], &ts, BODY, NOW),
            Err(Refused::MalformedSignature)
        );
        assert_eq!(
            check(&v, &sig, "soon", BODY, NOW),
            Err(Refused::MalformedTimestamp)
        );
        assert_eq!(
            v.check(None, Some(b"1"), BODY, at(NOW)),
            Err(Refused::MissingSignature)
        );
        assert_eq!(
            v.check(Some(sig.as_bytes()), None, BODY, at(NOW)),
            Err(Refused::MissingTimestamp)
        );
    }
}
