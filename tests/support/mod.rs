//! Shared helpers for integration tests: local fakes of Discord and of an OpenAI-compatible server.
// Each test target uses a different subset of these helpers.
#![allow(dead_code)]

pub mod fake_discord;
pub mod fake_openai;
