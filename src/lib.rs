//! gdbot: answers questions about the Gradient Dissent podcast from its transcripts.
pub mod dataset;
