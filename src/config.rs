//! Configuration from the environment (and `.env` via dotenvy), validated once.

mod enrich;
mod llm;
mod serve;

use std::{path::PathBuf, str::FromStr};

use secrecy::SecretString;

pub use enrich::{EnrichConfig, Prices, DEFAULT_LLM_CONCURRENCY};
pub use llm::{LlmConfig, TokenLimitField, DEFAULT_OPENAI_BASE_URL, DEFAULT_OPENAI_MODEL};
pub use serve::{ShardTotal, Sharding};

#[derive(Debug, thiserror::Error)]
#[error("invalid environment variable {var}={value:?}: {reason}")]
pub struct ConfigError {
    pub var: &'static str,
    pub value: String,
    pub reason: String,
}

/// Everything the program reads from its environment. `Debug` shows no secret (they are
/// `SecretString`s).
#[derive(Debug, Clone)]
pub struct Config {
    /// sqlx URL: SQLite (`sqlite://gdbot.db`) or Postgres (`postgres://user:pass@host/db`).
    pub database_url: String,
    pub dataset_path: PathBuf,
    /// Largest dataset text (after decompression) an import reads, per file.
    pub import_max_bytes: u64,
    pub llm: Option<LlmConfig>,
    /// `gdbot enrich`: LLM calls in flight, prices for the cost estimate.
    pub enrich: EnrichConfig,
    /// Prompt context budget in (estimated) tokens.
    pub context_tokens: usize,
    /// How long an answer can be followed up as a continuation (`CONVERSATION_TTL_MINUTES`).
    pub conversation_ttl: std::time::Duration,
    pub discord: DiscordConfig,
    /// `RUST_LOG`: the tracing filter (validated; `main` installs it).
    pub log_filter: String,
}

#[derive(Debug, Clone, Default)]
pub struct DiscordConfig {
    pub token: Option<SecretString>,
    pub guild_id: Option<u64>,
    /// Test only: a local fake Discord (`http://127.0.0.1:PORT`).
    pub api_base: Option<String>,
    pub moderator_role_ids: Vec<u64>,
    /// /ask calls allowed per user per minute.
    pub ask_per_minute: u32,
    pub reload_max_bytes: u64,
    /// `DISCORD_PUBLIC_KEY`: verifies interactions delivered by HTTP (`gdbot serve --http`).
    pub public_key: Option<[u8; 32]>,
    /// `SHARDS` / `SHARD_RANGE`: the gateway shards this process runs.
    pub sharding: Sharding,
}

pub const DEFAULT_DATABASE_URL: &str = "sqlite://gdbot.db";
pub const DEFAULT_DATASET_PATH: &str = "data/summary_que_data.csv";
/// `RUST_LOG` default: warnings, and gdbot's own info lines.
pub const DEFAULT_LOG_FILTER: &str = "warn,gdbot=info";
/// `IMPORT_MAX_MB` default: `dataset::DEFAULT_MAX_BYTES`.
pub const DEFAULT_IMPORT_MAX_MB: u64 = crate::dataset::DEFAULT_MAX_BYTES / MB;
const MB: u64 = 1024 * 1024;

impl Config {
    /// Load `.env` (if any) and read the process environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        let _ = dotenvy::dotenv();
        Self::from_lookup(|k| std::env::var(k).ok())
    }

    /// Build from any key lookup (tests pass a map instead of touching the process env).
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let get = |k: &str| {
            get(k)
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
        };
        let database_url = get("DATABASE_URL").unwrap_or_else(|| DEFAULT_DATABASE_URL.into());
        check_database_url(&database_url).map_err(|r| {
            err(
                "DATABASE_URL",
                &crate::store::redacted_url(&database_url),
                &r,
            )
        })?;
        let llm = llm::from_lookup(&get)?;
        let enrich = enrich::from_lookup(&get)?;
        let discord = DiscordConfig {
            token: discord_token(&get)?,
            guild_id: opt_num(&get, "DISCORD_GUILD_ID")?,
            api_base: get("DISCORD_API_BASE").map(|s| s.trim_end_matches('/').to_string()),
            moderator_role_ids: id_list(&get, "MODERATOR_ROLE_IDS")?,
            ask_per_minute: num(&get, "ASK_RATE_PER_MINUTE", 5, 1, 10_000)? as u32,
            reload_max_bytes: num(&get, "RELOAD_MAX_MB", 50, 1, 1024)? * MB,
            public_key: serve::public_key(&get)?,
            sharding: serve::sharding(&get)?,
        };
        if let Some(base) = &discord.api_base {
            let host = base
                .strip_prefix("http://")
                .or_else(|| base.strip_prefix("https://"));
            if host.is_none_or(|h| h.is_empty() || h.starts_with('/')) {
                return Err(err(
                    "DISCORD_API_BASE",
                    base,
                    "must be an http:// or https:// URL with a host",
                ));
            }
        }
        Ok(Config {
            database_url,
            dataset_path: get("DATASET_PATH")
                .unwrap_or_else(|| DEFAULT_DATASET_PATH.into())
                .into(),
            import_max_bytes: num(&get, "IMPORT_MAX_MB", DEFAULT_IMPORT_MAX_MB, 1, 4096)? * MB,
            llm,
            enrich,
            context_tokens: num(&get, "CONTEXT_TOKENS", 1200, 100, 100_000)? as usize,
            conversation_ttl: std::time::Duration::from_secs(
                60 * num(&get, "CONVERSATION_TTL_MINUTES", 60, 1, 10_080)?,
            ),
            discord,
            log_filter: log_filter(&get)?,
        })
    }
}

/// A Postgres URL sqlx reads (without TLS, which is not built), or a SQLite URL naming a database
/// file: no file name (`sqlite:`, `sqlite://`) or an in-memory database would give a temporary
/// database that is gone at exit, or per connection.
fn check_database_url(url: &str) -> Result<(), String> {
    if crate::store::Dialect::of_url(url) == crate::store::Dialect::Postgres {
        return check_postgres_url(url);
    }
    let Some(rest) = url.strip_prefix("sqlite:") else {
        return Err(
            "only sqlite: and postgres:// URLs are supported (e.g. sqlite://gdbot.db, postgres://gdbot@db/gdbot)"
                .into(),
        );
    };
    let rest = rest.strip_prefix("//").unwrap_or(rest);
    let (file, params) = rest.split_once('?').unwrap_or((rest, ""));
    if file.trim().is_empty() {
        return Err("names no database file (e.g. sqlite://gdbot.db); SQLite would use a temporary database".into());
    }
    let in_memory = file == ":memory:"
        || params
            .split('&')
            .any(|p| p.trim().eq_ignore_ascii_case("mode=memory"));
    if in_memory {
        return Err("an in-memory database loses everything when the program exits; name a file (e.g. sqlite://gdbot.db)".into());
    }
    sqlx::sqlite::SqliteConnectOptions::from_str(url)
        .map(|_| ())
        .map_err(|e| format!("not a valid SQLite URL: {e}"))
}

fn check_postgres_url(url: &str) -> Result<(), String> {
    sqlx::postgres::PgConnectOptions::from_str(url)
        .map_err(|e| format!("not a valid Postgres URL: {e}"))?;
    // Files the TLS parameters name must be there now, not at the first connection.
    let query = url.split_once('?').map_or("", |(_, q)| q);
    for p in query.split('&') {
        let (k, v) = p.split_once('=').unwrap_or((p, ""));
        if matches!(
            k,
            "sslrootcert" | "ssl-root-cert" | "sslcert" | "ssl-cert" | "sslkey" | "ssl-key"
        ) {
            let path = percent_encoding::percent_decode_str(v).decode_utf8_lossy();
            if let Err(e) = std::fs::File::open(path.as_ref()) {
                return Err(format!("`{k}` names {path}, which cannot be read: {e}"));
            }
        }
    }
    Ok(())
}

/// A `RUST_LOG` that tracing accepts whole (its own lenient reading would drop a bad directive
/// silently, or all of them).
fn log_filter(get: &impl Fn(&str) -> Option<String>) -> Result<String, ConfigError> {
    let Some(v) = get("RUST_LOG") else {
        return Ok(DEFAULT_LOG_FILTER.into());
    };
    match tracing_subscriber::EnvFilter::builder().parse(&v) {
        Ok(_) => Ok(v),
        Err(e) => Err(err(
            "RUST_LOG",
            &v,
            &format!("not a log filter ({e}); e.g. warn,gdbot=debug"),
        )),
    }
}

fn err(var: &'static str, value: &str, reason: &str) -> ConfigError {
    ConfigError {
        var,
        value: value.to_string(),
        reason: reason.to_string(),
    }
}

fn num(
    get: &impl Fn(&str) -> Option<String>,
    var: &'static str,
    default: u64,
    min: u64,
    max: u64,
) -> Result<u64, ConfigError> {
    let Some(v) = get(var) else {
        return Ok(default);
    };
    match v.parse::<u64>() {
        Ok(n) if (min..=max).contains(&n) => Ok(n),
        _ => Err(err(
            var,
            &v,
            &format!("expected a whole number from {min} to {max}"),
        )),
    }
}

/// A Discord id (snowflake): a positive whole number.
fn snowflake(s: &str) -> Option<u64> {
    s.parse::<u64>().ok().filter(|&n| n > 0)
}

fn opt_num(
    get: &impl Fn(&str) -> Option<String>,
    var: &'static str,
) -> Result<Option<u64>, ConfigError> {
    get(var)
        .map(|v| snowflake(&v).ok_or_else(|| err(var, &v, "expected a numeric Discord id")))
        .transpose()
}

/// The bot token, checked for what cannot be in one (it goes into an HTTP header). The value is
/// never shown in the message.
fn discord_token(
    get: &impl Fn(&str) -> Option<String>,
) -> Result<Option<SecretString>, ConfigError> {
    let Some(token) = get("DISCORD_TOKEN") else {
        return Ok(None);
    };
    let bare = token.strip_prefix("Bot ").unwrap_or(&token);
    if !bare.chars().all(|c| c.is_ascii_graphic()) {
        return Err(err(
            "DISCORD_TOKEN",
            &format!("<redacted, {} characters>", token.chars().count()),
            "contains a space, a control or a non-ASCII character; copy the token again from the Developer Portal",
        ));
    }
    Ok(Some(SecretString::new(token)))
}

fn id_list(
    get: &impl Fn(&str) -> Option<String>,
    var: &'static str,
) -> Result<Vec<u64>, ConfigError> {
    let Some(v) = get(var) else {
        return Ok(Vec::new());
    };
    v.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| {
            snowflake(s).ok_or_else(|| {
                err(
                    var,
                    &v,
                    &format!("`{s}` is not a numeric role id (comma-separated list)"),
                )
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use secrecy::ExposeSecret;
    use std::collections::HashMap;

    fn cfg(pairs: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let m: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Config::from_lookup(|k| m.get(k).cloned())
    }

    #[test]
    fn defaults_apply_without_variables() {
        let c = cfg(&[]).unwrap();
        assert_eq!(c.database_url, "sqlite://gdbot.db");
        assert_eq!(c.dataset_path, PathBuf::from("data/summary_que_data.csv"));
        assert_eq!(c.import_max_bytes, 256 * 1024 * 1024);
        assert!(c.llm.is_none());
        assert_eq!(c.context_tokens, 1200);
        assert_eq!(c.conversation_ttl.as_secs(), 3600);
        assert_eq!(c.log_filter, "warn,gdbot=info");
        let d = &c.discord;
        assert!(d.token.is_none());
        assert_eq!(d.guild_id, None);
        assert_eq!(d.api_base, None);
        assert!(d.moderator_role_ids.is_empty());
        assert_eq!(d.ask_per_minute, 5);
        assert_eq!(d.reload_max_bytes, 50 * 1024 * 1024);
        // blank values count as unset
        let blank = cfg(&[("CONTEXT_TOKENS", " "), ("DATABASE_URL", "")]).unwrap();
        assert_eq!(
            (blank.context_tokens, blank.database_url.as_str()),
            (1200, "sqlite://gdbot.db")
        );
    }

    // The LLM variables' defaults: `config::llm::tests::defaults_with_a_key`.

    /// Every value `.env.example` sets is the default it documents.
    #[test]
    fn env_example_documents_the_defaults() {
        let text = include_str!("../.env.example");
        let mut vars: Vec<(&str, &str)> = text
            .lines()
            .map(str::trim)
            .filter(|l| !l.starts_with('#'))
            .filter_map(|l| l.split_once('='))
            .collect();
        assert!(vars.len() >= 10, "{vars:?}");
        vars.push(("OPENAI_API_KEY", "k"));
        let (documented, defaults) = (
            cfg(&vars).unwrap(),
            cfg(&[("OPENAI_API_KEY", "k")]).unwrap(),
        );
        assert_eq!(format!("{documented:?}"), format!("{defaults:?}"));
        let tokens = |c: &Config| c.llm.as_ref().map(|l| l.max_answer_tokens);
        assert_eq!(tokens(&documented), tokens(&defaults));
    }

    #[test]
    fn invalid_values_name_the_variable() {
        let e = cfg(&[("CONTEXT_TOKENS", "lots")]).unwrap_err();
        assert_eq!(e.var, "CONTEXT_TOKENS");
        assert!(e.to_string().contains("CONTEXT_TOKENS=\"lots\""), "{e}");
        let e = cfg(&[("OPENAI_API_KEY", "k"), ("OPENAI_BASE_URL", "ftp://x")]).unwrap_err();
        assert_eq!(e.var, "OPENAI_BASE_URL");
        let e = cfg(&[("MODERATOR_ROLE_IDS", "12, abc")]).unwrap_err();
        assert!(e.to_string().contains("`abc`"), "{e}");
        let e = cfg(&[("DATABASE_URL", "mysql://x")]).unwrap_err();
        assert_eq!(e.var, "DATABASE_URL");
    }

    #[test]
    fn discord_values_are_validated_without_showing_the_token() {
        for (var, value) in [
            ("DISCORD_TOKEN", "abc def"),
            ("DISCORD_TOKEN", "abc\u{7}def"),
            ("DISCORD_TOKEN", "abc\u{e9}"),
            ("DISCORD_GUILD_ID", "0"),
            ("DISCORD_GUILD_ID", "-5"),
            ("MODERATOR_ROLE_IDS", "12,0"),
            ("DISCORD_API_BASE", "http://"),
            ("DISCORD_API_BASE", "ws://127.0.0.1:1"),
            ("ASK_RATE_PER_MINUTE", "0"),
            ("RELOAD_MAX_MB", "5000"),
            ("IMPORT_MAX_MB", "0"),
        ] {
            let e = cfg(&[(var, value)]).unwrap_err();
            assert_eq!(e.var, var, "{value:?}");
            if var == "DISCORD_TOKEN" {
                assert!(!e.to_string().contains("abc"), "{e}");
            }
        }
        let c = cfg(&[("DISCORD_TOKEN", "Bot MTA.x-y_z")]).unwrap();
        let token = c.discord.token.as_ref().map(|t| t.expose_secret().as_str());
        assert_eq!(token, Some("Bot MTA.x-y_z"));
    }

    #[test]
    fn the_conversation_lifetime_is_validated() {
        for bad in ["0", "10081", "an hour", "-5", "1.5"] {
            let e = cfg(&[("CONVERSATION_TTL_MINUTES", bad)]).unwrap_err();
            assert_eq!(e.var, "CONVERSATION_TTL_MINUTES", "{bad}");
            assert!(e.to_string().contains("from 1 to 10080"), "{e}");
        }
        let c = cfg(&[("CONVERSATION_TTL_MINUTES", "5")]).unwrap();
        assert_eq!(c.conversation_ttl.as_secs(), 300);
    }

    #[test]
    fn log_filters_are_validated() {
        for bad in ["gdbot=verbose", "=debug", "[", "gdbot=info,serenity=lots"] {
            let e = cfg(&[("RUST_LOG", bad)]).unwrap_err();
            assert_eq!(e.var, "RUST_LOG", "{bad}");
        }
        for good in ["debug", "warn,gdbot=debug", "gdbot::store=trace", "off"] {
            assert_eq!(cfg(&[("RUST_LOG", good)]).unwrap().log_filter, good);
        }
    }

    #[test]
    fn database_urls_without_a_file_are_refused() {
        for url in [
            "sqlite:",
            "sqlite://",
            "sqlite:// ",
            "sqlite::memory:",
            "sqlite://:memory:",
            "sqlite://?mode=memory",
            "sqlite://a.db?mode=memory",
            "sqlite://a.db?bogus=1",
            "sqlite://?cache=shared",
        ] {
            let e = cfg(&[("DATABASE_URL", url)]).unwrap_err();
            assert_eq!(e.var, "DATABASE_URL", "{url}");
        }
        for url in [
            "sqlite://gdbot.db",
            "sqlite:gdbot.db",
            "sqlite:///tmp/x.db?mode=rwc",
            "postgres://gdbot:pw@db:5432/gdbot",
            "postgresql://db/gdbot?sslmode=disable",
        ] {
            let c = cfg(&[("DATABASE_URL", url)]).unwrap();
            assert_eq!(c.database_url, url);
        }
    }

    #[test]
    fn postgres_urls_are_checked_without_showing_the_password() {
        for url in [
            "postgres://gdbot:hunter22@db/gdbot?sslmode=verify-full&sslrootcert=/nonexistent/ca.pem",
            "postgres://gdbot:hunter22@db/gdbot?sslmode=sometimes",
            "postgres://gdbot:hunter22@db:notaport/gdbot",
        ] {
            let e = cfg(&[("DATABASE_URL", url)]).unwrap_err();
            assert_eq!(e.var, "DATABASE_URL", "{url}");
            assert!(!e.to_string().contains("hunter22"), "{e}");
        }
        let e = cfg(&[(
            "DATABASE_URL",
            "postgres://db/gdbot?sslmode=verify-ca&sslrootcert=%2Fnonexistent%2Fca.pem",
        )])
        .unwrap_err();
        assert!(
            e.to_string()
                .contains("`sslrootcert` names /nonexistent/ca.pem, which cannot be read"),
            "{e}"
        );
        // TLS is built in: asking for it is fine
        let ca = tempfile::NamedTempFile::new().unwrap();
        for url in [
            "postgres://gdbot:pw@db/gdbot?sslmode=require".to_string(),
            format!(
                "postgres://db/gdbot?sslmode=verify-full&sslrootcert={}",
                ca.path().display()
            ),
        ] {
            assert!(cfg(&[("DATABASE_URL", &url)]).is_ok(), "{url}");
        }
    }

    #[test]
    fn debug_redacts_secrets() {
        let c = cfg(&[
            ("OPENAI_API_KEY", "sk-secret-123"),
            ("DISCORD_TOKEN", "tok-secret-456"),
        ])
        .unwrap();
        let s = format!("{c:?}");
        assert!(!s.contains("secret"), "{s}");
        assert_eq!(c.llm.unwrap().model, DEFAULT_OPENAI_MODEL);
    }
}
