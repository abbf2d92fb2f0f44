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

    #[test]
    fn redaction_keeps_every_other_byte() {
        let secrets = Secrets::new([("OPENAI_API_KEY", Some("sk-secret-123456"))]);
        let input =
            b"data: {\"m\":\"Bearer sk-secret-123456\"}\r\n\xff\xfedata: sk-secret-123456\n";
        let out = redact(input, &secrets);
        assert_eq!(
            out,
            b"data: {\"m\":\"Bearer <redacted OPENAI_API_KEY>\"}\r\n\xff\xfedata: <redacted OPENAI_API_KEY>\n"
        );
        assert_eq!(redact(b"\xe2\x82", &secrets), b"\xe2\x82"); // a cut character stays cut
    }
}
