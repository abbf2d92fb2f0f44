//! The REST clients, and where serenity's rate limiter is (and is not) used.
//!
//! serenity 0.12 keys every interaction-webhook route (`@original` edits, follow-ups) by the
//! application id, so with one `Http` all answer streams share one bucket: one stream's exhausted
//! bucket, or a long 429 (slept inside the call, holding the bucket's lock), would stall them all.
//! Discord keys those routes by webhook id + token, i.e. per interaction. So:
//! - the gateway client's `Http` (poise uses it for interaction callbacks, autocomplete results
//!   and ephemeral replies) runs without the limiter: a callback has its own one-shot bucket, so the
//!   limiter could only make it sleep past Discord's 3-second window; a 429 comes back as an error
//!   and `respond` retries briefly;
//! - every answer stream (and command registration) gets an `Http` of its own with the limiter
//!   on, so its buckets are its interaction's, as on Discord.
//!
//! `DISCORD_API_BASE` (tests only) changes where the TCP connection goes, nothing else: requests keep
//! their `https://discord.com/api/v10/...` URLs and the same rate limiting (serenity's `proxy` would
//! require its limiter off, since the limiter ignores the proxy).

use std::net::SocketAddr;

use poise::serenity_prelude as serenity;

use super::render;

/// Why the REST client could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    #[error("DISCORD_API_BASE={0:?}: must be https://127.0.0.1:PORT (a loopback address: a local fake Discord serving TLS; tests only)")]
    ApiBase(String),
    #[error("could not build the HTTP client: {0}")]
    Client(String),
}

/// Everything needed to make `Http` clients sharing one connection pool.
pub(super) struct Rest {
    client: reqwest::Client,
    token: String,
}

impl Rest {
    pub(super) fn new(token: &str, api_base: Option<&str>) -> Result<Rest, SetupError> {
        let builder = reqwest::Client::builder().use_rustls_tls();
        let builder = match api_base {
            None => builder,
            // Tests only: a local fake Discord with a self-signed certificate.
            Some(base) => builder
                .resolve("discord.com", fake_address(base)?)
                .danger_accept_invalid_certs(true),
        };
        let client = builder
            .build()
            .map_err(|e| SetupError::Client(e.to_string()))?;
        Ok(Rest {
            client,
            token: token.to_string(),
        })
    }

    fn builder(&self) -> serenity::HttpBuilder {
        serenity::HttpBuilder::new(&self.token)
            .client(self.client.clone())
            .default_allowed_mentions(render::no_mentions())
    }

    /// The gateway client's `Http`: interaction callbacks must not sleep (see the module doc).
    pub(super) fn callbacks(&self) -> serenity::Http {
        self.builder().ratelimiter_disabled(true).build()
    }

    /// A rate-limited `Http` with buckets of its own, for one answer stream (or one registration).
    /// `main` lends the application id, learnt from READY.
    pub(super) fn limited(&self, main: &serenity::Http) -> serenity::Http {
        let builder = self.builder();
        match main.application_id() {
            Some(id) => builder.application_id(id).build(),
            None => builder.build(),
        }
    }
}

/// `https://IP:PORT` → where `discord.com` is reached instead.
fn fake_address(base: &str) -> Result<SocketAddr, SetupError> {
    let bad = || SetupError::ApiBase(base.to_string());
    let url = reqwest::Url::parse(base).map_err(|_| bad())?;
    if url.scheme() != "https" || !matches!(url.path(), "" | "/") {
        return Err(bad());
    }
    let host = url.host_str().unwrap_or_default();
    let ip: std::net::IpAddr = host
        .trim_start_matches('[')
        .trim_end_matches(']')
        .parse()
        .map_err(|_| bad())?;
    // Certificates are not verified for the fake: never let that reach past this machine.
    if !ip.is_loopback() {
        return Err(bad());
    }
    Ok(SocketAddr::new(ip, url.port().unwrap_or(443)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_base_must_be_https_ip_port() {
        assert_eq!(
            fake_address("https://127.0.0.1:8443").ok(),
            Some("127.0.0.1:8443".parse().unwrap())
        );
        assert!(fake_address("https://[::1]:8443").is_ok());
        for bad in [
            "http://127.0.0.1:8443",
            "https://localhost:8443",
            "https://127.0.0.1:8443/api",
            "127.0.0.1:8443",
            "https://10.0.0.7:8443",
            "https://[2001:db8::1]:8443",
        ] {
            assert!(fake_address(bad).is_err(), "{bad} accepted");
        }
    }
}
