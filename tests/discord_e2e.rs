//! End-to-end tests against local fakes of Discord and of an OpenAI-compatible server
//! (`tests/support/`). One test target; the concerns live in `tests/discord_e2e/*.rs`:
//! - `fake_proof`: the fake Discord driven by serenity itself (no gdbot code);
//! - `fake_strict`: the fake refuses what Discord refuses (bodies, callback types, expired tokens)
//!   and rate-limits like Discord;
//! - `scenarios`, `resilience`, `guards`, `suggested`, `writes`, `components`, `ratelimits`: gdbot's
//!   Discord front door (`gdbot::discord::serve`) end to end,
//!   driven through the harness in `bot`.

mod support;

#[path = "discord_e2e/bot.rs"]
mod bot;
#[path = "discord_e2e/components.rs"]
mod components;
#[path = "discord_e2e/fake_proof.rs"]
mod fake_proof;
#[path = "discord_e2e/fake_strict.rs"]
mod fake_strict;
#[path = "discord_e2e/guards.rs"]
mod guards;
#[path = "discord_e2e/ratelimits.rs"]
mod ratelimits;
#[path = "discord_e2e/resilience.rs"]
mod resilience;
#[path = "discord_e2e/scenarios.rs"]
mod scenarios;
#[path = "discord_e2e/suggested.rs"]
mod suggested;
#[path = "discord_e2e/writes.rs"]
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
