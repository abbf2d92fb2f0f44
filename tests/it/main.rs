//! Integration tests of the core pipeline: import, search, answers (with a local fake LLM), CLI.

#[path = "../support/mod.rs"]
mod support;

mod add;
mod add_captions;
mod answer;
mod archive;
mod backends;
mod cli;
mod conversations;
mod enrich;
mod enrich_cli;
mod enrich_faults;
mod followup_cli;
mod followups;
mod import;
mod import_bounds;
mod limits;
mod llm_cli;
mod llm_limits;
mod llm_logs;
mod open;
mod quality;
mod record;
mod serve_cli;
mod stats;
