//! An episode's plan: its chunks and the results already stored for them (stale ones are
//! discarded), and what a dry run reports from it — the calls and an estimate of the tokens.

use super::{
    chunk::{self, Chunk},
    prompts,
    run::{report, Runner},
    EnrichError, EpisodeReport, Outcome, PlannedChunk, Usage,
};
use crate::store::{EnrichSource, StoredChunk};

/// Dry-run estimates of a reply: a chunk's JSON, the episode's summary.
const MAP_REPLY_TOKENS: usize = 200;
const REDUCE_REPLY_TOKENS: usize = 300;
/// Dry-run estimate of a chunk summary's tokens in the reduce prompt.
const CHUNK_SUMMARY_TOKENS: usize = 100;

/// An episode's chunks and the results already stored for them.
pub(super) struct Plan {
    pub hash: String,
    pub chunks: Vec<Chunk>,
    /// By chunk index.
    pub stored: Vec<Option<StoredChunk>>,
}

impl Plan {
    pub fn reused(&self) -> usize {
        self.stored.iter().flatten().count()
    }
}

impl Runner<'_> {
    /// The chunks of `src` and the results stored for them. Unless `dry_run` (which changes
    /// nothing), stale results, and with `fresh` those a final write used, are deleted first.
    pub(super) async fn plan(
        &self,
        src: &EnrichSource,
        dry_run: bool,
    ) -> Result<Plan, EnrichError> {
        let transcript = src.transcript.clone();
        let chunks = tokio::task::spawn_blocking(move || chunk::chunks(&transcript))
            .await
            .unwrap_or_else(|e| {
                tracing::error!(error = %e, "chunking task failed");
                Ok(Vec::new())
            })?;
        let hash = chunk::source_hash(&src.transcript);
        let mut stored = vec![None; chunks.len()];
        if !dry_run {
            self.store
                .discard_chunks(&src.url, &hash, self.fresh)
                .await?;
        }
        for s in self.store.stored_chunks(&src.url, &hash).await? {
            if self.fresh && s.written {
                continue; // --force: every chunk is asked again
            }
            // Only a result for the same span (the same cut) is this chunk's.
            let same = chunks
                .get(s.chunk)
                .is_some_and(|c| (c.start_word, c.end_word) == (s.start_word, s.end_word));
            if same {
                let i = s.chunk;
                stored[i] = Some(s);
            }
        }
        Ok(Plan {
            hash,
            chunks,
            stored,
        })
    }

    /// What a run would do for `src`: its chunks, the calls and an estimate of the tokens.
    pub async fn dry_run(&self, src: &EnrichSource) -> Result<EpisodeReport, EnrichError> {
        let plan = self.plan(src, true).await?;
        let n = plan.chunks.len();
        let mut usage = Usage {
            estimated: true,
            ..Usage::default()
        };
        let mut calls = 0;
        for c in &plan.chunks {
            if plan.stored[c.index].is_none() {
                let frame = prompts::map_user(&src.title, c.index, n, "");
                usage.prompt_tokens += (c.tokens
                    + chunk::count_tokens(prompts::MAP_SYSTEM)?
                    + chunk::count_tokens(&frame)?) as u64;
                usage.completion_tokens += MAP_REPLY_TOKENS as u64;
                calls += 1;
            }
        }
        if n > 0 {
            let frame = prompts::reduce_user(&src.title, &vec![""; n]);
            usage.prompt_tokens += (chunk::count_tokens(prompts::REDUCE_SYSTEM)?
                + chunk::count_tokens(&frame)?
                + n * CHUNK_SUMMARY_TOKENS) as u64;
            usage.completion_tokens += REDUCE_REPLY_TOKENS as u64;
            calls += 1;
        }
        let reused = plan.reused();
        Ok(EpisodeReport {
            plan: plan
                .chunks
                .iter()
                .map(|c| PlannedChunk {
                    index: c.index,
                    start_word: c.start_word,
                    end_word: c.end_word,
                    tokens: c.tokens,
                    stored: plan.stored[c.index].is_some(),
                })
                .collect(),
            questions: n * prompts::QUESTIONS_PER_CHUNK,
            message: (n == 0).then(|| "the transcript has no words".to_string()),
            ..report(src, Outcome::Planned, n, reused, calls, usage)
        })
    }
}
