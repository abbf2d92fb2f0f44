//! The body of a successful response, as async-openai's SSE parser gets it: at most `max` bytes,
//! with the secrets replaced.
//!
//! The cap sits before the parser because it buffers a whole event: an endless line would
//! otherwise grow without bound. Past it the body just ends (the connection is dropped), the
//! [`Attempt`] records it and the answer is marked cut.
//!
//! Redaction goes line by line: a secret holds no line break (the configuration refuses control
//! characters), so it cannot straddle two lines, and holding back the last, unfinished line
//! delays nothing — the parser cannot act on it before its line break either. So async-openai,
//! whose own log lines quote data it cannot parse, never holds a secret a server echoes.

use std::sync::Arc;

use super::{http::describe, transport::Attempt};
use crate::redact::Secrets;

struct State {
    /// `None` once the body ended, broke or reached the cap.
    resp: Option<reqwest13::Response>,
    read: usize,
    max: usize,
    /// Bytes read but not passed on: the unfinished last line.
    pending: Vec<u8>,
    secrets: Secrets,
    attempt: Arc<Attempt>,
}

pub(super) fn capped_redacted(
    resp: reqwest13::Response,
    max: usize,
    secrets: Secrets,
    attempt: Arc<Attempt>,
) -> reqwest13::Body {
    let state = State {
        resp: Some(resp),
        read: 0,
        max,
        pending: Vec::new(),
        secrets,
        attempt,
    };
    reqwest13::Body::wrap_stream(futures::stream::unfold(state, next))
}

async fn next(mut st: State) -> Option<(Result<Vec<u8>, reqwest13::Error>, State)> {
    loop {
        let Some(resp) = st.resp.as_mut() else {
            if st.pending.is_empty() {
                return None;
            }
            let rest = std::mem::take(&mut st.pending);
            let out = redact(&rest, &st.secrets);
            return Some((Ok(out), st));
        };
        match resp.chunk().await {
            Ok(Some(chunk)) => {
                let room = st.max - st.read;
                if chunk.len() > room {
                    st.attempt.set_capped();
                    st.pending.extend_from_slice(&chunk[..room]);
                    st.read = st.max;
                    st.resp = None; // dropping the response closes the connection
                    continue;
                }
                st.read += chunk.len();
                let scanned = st.pending.len();
                st.pending.extend_from_slice(&chunk);
                let line_end = st.pending[scanned..]
                    .iter()
                    .rposition(|&b| b == b'\n' || b == b'\r');
                if let Some(i) = line_end {
                    let rest = st.pending.split_off(scanned + i + 1);
                    let lines = std::mem::replace(&mut st.pending, rest);
                    let out = redact(&lines, &st.secrets);
                    return Some((Ok(out), st));
                }
            }
            Ok(None) => st.resp = None,
            Err(e) => {
                // async-openai keeps only the error's first line; the reader takes ours.
                st.attempt.set_broken(describe(&e, &st.secrets));
                st.resp = None;
                st.pending.clear();
                return Some((Err(e), st));
            }
        }
    }
}

/// `bytes` with the secrets replaced in each run of valid UTF-8; other bytes pass unchanged
/// (a secret is valid UTF-8, and the parser reports bad UTF-8 itself).
fn redact(bytes: &[u8], secrets: &Secrets) -> Vec<u8> {
    if secrets.is_empty() {
        return bytes.to_vec();
    }
    let mut out = Vec::with_capacity(bytes.len());
    for run in bytes.utf8_chunks() {
        out.extend_from_slice(secrets.redact(run.valid()).as_bytes());
        out.extend_from_slice(run.invalid());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "sk-secret-123456";

    fn secrets() -> Secrets {
        Secrets::new([("OPENAI_API_KEY", Some(KEY))])
    }

    /// A response whose body arrives in `parts`, then `Err` if `fail`.
    fn response(parts: &[&[u8]], fail: bool) -> reqwest13::Response {
        let mut items: Vec<Result<Vec<u8>, std::io::Error>> =
            parts.iter().map(|p| Ok(p.to_vec())).collect();
        if fail {
            items.push(Err(std::io::Error::other("connection reset by peer")));
        }
        let body = reqwest13::Body::wrap_stream(futures::stream::iter(items));
        reqwest13::Response::from(http::Response::new(body))
    }

    /// What async-openai would read: (bytes, whether the body broke).
    async fn read_all(body: reqwest13::Body) -> (Vec<u8>, bool) {
        let mut resp = reqwest13::Response::from(http::Response::new(body));
        let mut out = Vec::new();
        loop {
            match resp.chunk().await {
                Ok(Some(c)) => out.extend_from_slice(&c),
                Ok(None) => return (out, false),
                Err(_) => return (out, true),
            }
        }
    }

    #[tokio::test]
    async fn a_secret_split_between_reads_is_redacted() {
        let attempt = Arc::new(Attempt::default());
        let parts: [&[u8]; 4] = [
            b"data: {\"a\":\"Bearer sk-sec",
            b"ret-12",
            b"3456\"}\n",
            b"\ndata: [DONE]\n\n",
        ];
        let body = capped_redacted(response(&parts, false), 1 << 20, secrets(), attempt.clone());
        let (out, broke) = read_all(body).await;
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "data: {\"a\":\"Bearer <redacted OPENAI_API_KEY>\"}\n\ndata: [DONE]\n\n"
        );
        assert!(!broke && !attempt.capped());
    }

    #[tokio::test]
    async fn the_body_ends_at_the_cap() {
        // exactly the cap: whole, not marked
        let attempt = Arc::new(Attempt::default());
        let body = capped_redacted(
            response(&[b"0123456789"], false),
            10,
            secrets(),
            attempt.clone(),
        );
        assert_eq!(read_all(body).await, (b"0123456789".to_vec(), false));
        assert!(!attempt.capped());
        // one byte over: cut there, marked, and an unfinished line is still passed on
        let attempt = Arc::new(Attempt::default());
        let parts: [&[u8]; 3] = [b"data: 1\n\n", b"data: xxxxxxxxxx", b"never read"];
        let body = capped_redacted(response(&parts, false), 12, secrets(), attempt.clone());
        assert_eq!(read_all(body).await, (b"data: 1\n\ndat".to_vec(), false));
        assert!(attempt.capped());
    }

    #[tokio::test]
    async fn a_broken_body_is_described() {
        let attempt = Arc::new(Attempt::default());
        let body = capped_redacted(
            response(&[b"data: 1\n\n"], true),
            1 << 20,
            secrets(),
            attempt.clone(),
        );
        assert_eq!(read_all(body).await, (b"data: 1\n\n".to_vec(), true));
        let broken = attempt.broken().unwrap_or_default();
        assert!(broken.contains("connection reset by peer"), "{broken}");
    }

    #[test]
    fn redaction_keeps_every_other_byte() {
        let input =
            b"data: {\"m\":\"Bearer sk-secret-123456\"}\r\n\xff\xfedata: sk-secret-123456\n";
        let out = redact(input, &secrets());
        assert_eq!(
            out,
            b"data: {\"m\":\"Bearer <redacted OPENAI_API_KEY>\"}\r\n\xff\xfedata: <redacted OPENAI_API_KEY>\n"
        );
        assert_eq!(redact(b"\xe2\x82", &secrets()), b"\xe2\x82"); // a cut character stays cut
    }
}
