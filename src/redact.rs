//! Keeping the secrets (`OPENAI_API_KEY`, `DISCORD_TOKEN`) out of everything the program writes.
//!
//! A server may echo what it received (`Incorrect API key provided: Bearer sk-…`) in an error body,
//! an error event or a broken stream, and any log line — ours or a dependency's — may quote it.
//! So the redaction sits where text leaves the program: [`RedactingWriter`] wraps the tracing
//! subscriber's writer and replaces the secrets in every formatted line; the LLM client applies the
//! same [`Secrets`] to anything a server sent before it is kept, stored or shown.

use std::{
    borrow::Cow,
    fmt,
    io::{self, Write},
    sync::RwLock,
};

use tracing_subscriber::fmt::MakeWriter;

/// Values shorter than this are not treated as secrets: local servers take placeholders such as
/// `x` or `none`, and replacing those everywhere would garble every log line.
pub const MIN_SECRET_LEN: usize = 6;

/// The secret values to hide and the variable each came from (for the replacement text).
#[derive(Clone, Default)]
pub struct Secrets {
    /// (text to find, replacement), longest first so a secret containing another wins.
    needles: Vec<(String, String)>,
}

impl fmt::Debug for Secrets {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Secrets({} patterns)", self.needles.len())
    }
}

impl Secrets {
    /// `(variable name, value)` pairs; unset, empty or too short values are skipped.
    pub fn new<'a>(named: impl IntoIterator<Item = (&'static str, Option<&'a str>)>) -> Self {
        let mut needles = Vec::new();
        for (name, value) in named {
            let Some(value) = value.map(str::trim).filter(|v| v.len() >= MIN_SECRET_LEN) else {
                continue;
            };
            let replacement = format!("<redacted {name}>");
            // The forms a secret takes when quoted: as is, Rust `{:?}`-escaped, JSON-escaped.
            let json = serde_json::to_string(value).unwrap_or_default();
            let forms = [
                value.to_string(),
                value.escape_debug().to_string(),
                json.trim_matches('"').to_string(),
            ];
            for form in forms {
                if !needles.iter().any(|(n, _)| *n == form) {
                    needles.push((form, replacement.clone()));
                }
            }
        }
        needles.sort_by_key(|(n, _)| std::cmp::Reverse(n.len()));
        Secrets { needles }
    }

    /// `OPENAI_API_KEY`, `DISCORD_TOKEN` and the password in `DATABASE_URL` (as written and
    /// percent-decoded) as `get` (e.g. the process environment) returns them.
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Self {
        let key = get("OPENAI_API_KEY");
        let token = get("DISCORD_TOKEN");
        let url = get("DATABASE_URL");
        let password = url.as_deref().and_then(crate::store::url_password);
        let decoded = password.map(|p| {
            percent_encoding::percent_decode_str(p)
                .decode_utf8_lossy()
                .into_owned()
        });
        Secrets::new([
            ("OPENAI_API_KEY", key.as_deref()),
            ("DISCORD_TOKEN", token.as_deref()),
            ("DATABASE_URL password", password),
            ("DATABASE_URL password", decoded.as_deref()),
        ])
    }

    pub fn is_empty(&self) -> bool {
        self.needles.is_empty()
    }

    /// `text` with every secret replaced by `<redacted VARIABLE>`.
    pub fn redact<'a>(&self, text: &'a str) -> Cow<'a, str> {
        let mut out = Cow::Borrowed(text);
        for (needle, replacement) in &self.needles {
            if out.contains(needle.as_str()) {
                out = Cow::Owned(out.replace(needle.as_str(), replacement));
            }
        }
        out
    }

    /// The longest prefix of `text` that can be shown while it is still growing (a stream): the
    /// redacted text without a tail that could be the start of a secret still being received.
    /// Successive calls on a growing text return growing prefixes of one another.
    pub fn stable_prefix(&self, text: &str) -> String {
        let mut shown = self.redact(text).into_owned();
        let tail = self
            .needles
            .iter()
            .map(|(needle, _)| {
                (1..needle.len())
                    .rev()
                    .find(|&k| needle.is_char_boundary(k) && shown.ends_with(&needle[..k]))
                    .unwrap_or(0)
            })
            .max()
            .unwrap_or(0);
        shown.truncate(shown.len() - tail);
        shown
    }
}

/// The secrets every [`RedactingWriter`] without its own set hides (set once at start-up).
static GLOBAL: RwLock<Option<Secrets>> = RwLock::new(None);

/// Hide `secrets` from everything written through a global [`RedactingWriter`] from now on.
pub fn install(secrets: Secrets) {
    *GLOBAL.write().unwrap_or_else(|p| p.into_inner()) = Some(secrets);
}

/// `text` redacted with the installed secrets (for lines printed outside tracing, e.g. `error:`).
pub fn redact_global(text: &str) -> String {
    let guard = GLOBAL.read().unwrap_or_else(|p| p.into_inner());
    match guard.as_ref() {
        Some(s) => s.redact(text).into_owned(),
        None => text.to_string(),
    }
}

/// A tracing `MakeWriter` that redacts each formatted line before it reaches `inner`.
/// The fmt layer writes one event per writer, so a secret is never split between two writes.
pub struct RedactingWriter<M> {
    inner: M,
    /// `None`: the secrets given to [`install`].
    secrets: Option<Secrets>,
}

impl<M> RedactingWriter<M> {
    /// Redacts with the globally installed secrets.
    pub fn new(inner: M) -> Self {
        RedactingWriter {
            inner,
            secrets: None,
        }
    }

    /// Redacts with a fixed set (tests).
    pub fn with_secrets(inner: M, secrets: Secrets) -> Self {
        RedactingWriter {
            inner,
            secrets: Some(secrets),
        }
    }
}

impl<'a, M: MakeWriter<'a>> MakeWriter<'a> for RedactingWriter<M> {
    type Writer = LineRedactor<'a, M::Writer>;

    fn make_writer(&'a self) -> Self::Writer {
        LineRedactor {
            inner: self.inner.make_writer(),
            secrets: self.secrets.as_ref(),
            buf: Vec::new(),
        }
    }
}

/// Collects one formatted event and writes it redacted on flush or drop.
pub struct LineRedactor<'a, W: Write> {
    inner: W,
    secrets: Option<&'a Secrets>,
    buf: Vec<u8>,
}

impl<W: Write> LineRedactor<'_, W> {
    fn emit(&mut self) -> io::Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let text = String::from_utf8_lossy(&self.buf);
        let out = match self.secrets {
            Some(s) => s.redact(&text).into_owned(),
            None => redact_global(&text),
        };
        self.buf.clear();
        self.inner.write_all(out.as_bytes())
    }
}

impl<W: Write> Write for LineRedactor<'_, W> {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        self.buf.extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.emit()?;
        self.inner.flush()
    }
}

impl<W: Write> Drop for LineRedactor<'_, W> {
    fn drop(&mut self) {
        let _ = self.emit();
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use super::*;

    #[test]
    fn a_database_password_is_a_secret() {
        let url = "postgres://gdbot:p%40ss-w0rd@db/gdbot".to_string();
        let s = Secrets::from_lookup(|k| (k == "DATABASE_URL").then(|| url.clone()));
        assert_eq!(
            s.redact("error: postgres://gdbot:p%40ss-w0rd@db/gdbot; auth p@ss-w0rd"),
            "error: postgres://gdbot:<redacted DATABASE_URL password>@db/gdbot; auth <redacted DATABASE_URL password>"
        );
    }

    const KEY: &str = "sk-test-ABCDEF123456";

    fn secrets() -> Secrets {
        Secrets::new([
            ("OPENAI_API_KEY", Some(KEY)),
            ("DISCORD_TOKEN", Some("tok.en\"quoted")),
            ("UNSET", None),
            ("SHORT", Some("x")),
        ])
    }

    #[test]
    fn every_quoted_form_is_replaced() {
        let s = secrets();
        let text = format!(
            "Bearer {KEY}; json {}; debug {:?}; {KEY}{KEY}",
            serde_json::json!({"t": "tok.en\"quoted"}),
            "tok.en\"quoted"
        );
        let out = s.redact(&text);
        assert!(!out.contains(KEY) && !out.contains("quoted"), "{out}");
        assert!(
            out.starts_with("Bearer <redacted OPENAI_API_KEY>;"),
            "{out}"
        );
        assert!(out.contains("<redacted DISCORD_TOKEN>"), "{out}");
        // short placeholders are not secrets; text without secrets is not copied
        assert!(matches!(s.redact("x marks the spot"), Cow::Borrowed(_)));
    }

    #[test]
    fn stable_prefix_never_shows_part_of_a_secret_and_only_grows() {
        let s = secrets();
        let full = format!("The key is Bearer {KEY} and more text.");
        let mut last = String::new();
        for end in (0..=full.len()).filter(|&i| full.is_char_boundary(i)) {
            let shown = s.stable_prefix(&full[..end]);
            assert!(shown.starts_with(&last), "{last:?} → {shown:?}");
            for k in 4..=KEY.len() {
                assert!(
                    !shown.contains(&KEY[..k]),
                    "{shown:?} shows {:?}",
                    &KEY[..k]
                );
            }
            last = shown;
        }
        assert_eq!(last, s.redact(&full));
    }

    #[derive(Clone, Default)]
    struct Buf(Arc<Mutex<Vec<u8>>>);

    impl Write for Buf {
        fn write(&mut self, b: &[u8]) -> io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(b);
            Ok(b.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn tracing_lines_are_redacted_whatever_the_field() {
        let buf = Buf::default();
        let sink = buf.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_writer(RedactingWriter::with_secrets(
                move || sink.clone(),
                secrets(),
            ))
            .finish();
        tracing::subscriber::with_default(subscriber, || {
            tracing::warn!("Server error: 401 - Bearer {KEY}");
            tracing::error!(body = ?format!("{{\"auth\": \"Bearer {KEY}\"}}"), "failed deserialization");
            tracing::trace!(token = "tok.en\"quoted", "gateway");
        });
        let out = String::from_utf8(buf.0.lock().unwrap().clone()).unwrap();
        assert_eq!(out.lines().count(), 3, "{out}");
        assert!(!out.contains(KEY) && !out.contains("quoted"), "{out}");
        assert_eq!(out.matches("<redacted OPENAI_API_KEY>").count(), 2, "{out}");
        assert!(out.contains("<redacted DISCORD_TOKEN>"), "{out}");
    }
}
