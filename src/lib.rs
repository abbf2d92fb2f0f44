//! gdbot: answers questions about the Gradient Dissent podcast from its transcripts.
//!
//! The core (dataset → store → retrieve → answer) knows nothing of Discord. `App` is the front door:
//! the two front ends, the `gdbot` binary and `discord`, call its operations and only translate.

pub mod answer;
mod app;
pub mod chunk;
pub mod cite;
pub mod config;
pub mod dataset;
pub mod discord;
pub mod enrich;
pub mod eval;
pub mod fold;
pub mod index;
pub mod redact;
pub mod retrieve;
pub mod stats;
pub mod store;

pub use app::{AddError, App, EnrichTarget, EpisodeLookup, ExportError, ExportReport};
