//! End-to-end tests against local fakes of Discord and of an OpenAI-compatible server
//! (`tests/support/`). One test target; the concerns live in its modules:
//! - `fake_proof`: the fake Discord driven by serenity itself (no gdbot code);
//! - `fake_strict`: the fake refuses what Discord refuses (bodies, callback types, expired tokens)
//!   and rate-limits like Discord; `fake_uploads`: it takes files as Discord does (multipart);
//!   `fake_modals`: it runs modals like Discord;
//! - `scenarios`, `resilience`, `guards`, `suggested`, `writes`, `components`, `ratelimits`, `enrich`, `add`, `stats`,
//!   `followup`: gdbot's
//!   Discord front door (`gdbot::discord::serve`) end to end,
//!   driven through the harness in `bot`;
//! - `http_mode`: `gdbot::discord::serve_http` (interactions as signed HTTP POSTs), through the
//!   harness in `http_bot`; `shards`: gateway processes splitting the shards; `load` (ignored):
//!   `serve --http` replicas on one database under 1,000 /ask.

#[path = "../support/mod.rs"]
mod support;

mod add;
mod bot;
mod components;
mod enrich;
mod fake_modals;
mod fake_proof;
mod fake_strict;
mod fake_uploads;
mod followup;
mod guards;
mod http_bot;
mod http_mode;
mod load;
mod ratelimits;
mod resilience;
mod scenarios;
mod shards;
mod stats;
mod suggested;
mod writes;

use gdbot::App;
use tempfile::TempDir;

/// A fresh App on a temp SQLite DB with the shipped dataset imported. `vars` override or add
/// environment variables (e.g. `DISCORD_API_BASE`, `OPENAI_BASE_URL`). Keep the `TempDir`.
pub async fn test_app(vars: &[(&str, &str)]) -> (App, TempDir) {
    let dir = tempfile::tempdir().expect("tempdir");
    let app = support::app_with_dataset(&dir, vars).await;
    (app, dir)
}
