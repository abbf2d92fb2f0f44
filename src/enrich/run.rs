//! One episode's enrichment: the plan (chunks, and which results are already stored), the map
//! calls (at most `concurrency` in flight, each result committed as it arrives), the reduce call
//! and the atomic final write. A failure stops new calls; the calls in flight finish and are kept.

use std::sync::atomic::{AtomicBool, Ordering};

use futures::{future::BoxFuture, FutureExt, StreamExt};

use super::{
    chunk::{self, Chunk},
    parse::{self, ChunkReply},
    plan::Plan,
    prompts, EnrichError, EpisodeReport, Outcome, Progress, Usage,
};
use crate::{
    answer::llm::{LlmClient, TokenCounts},
    store::{EnrichLog, EnrichSource, Enrichment, Store, StoredChunk},
};

/// Calls per chunk (and for the summary) when the reply is malformed.
const ATTEMPTS: usize = 2;

/// A map call's calls and tokens (in a report) and its stored result or why it failed.
type Asked = (EpisodeReport, Result<StoredChunk, String>);

/// Runs enrichments against one store and LLM, reporting progress.
pub struct Runner<'a> {
    pub store: &'a Store,
    /// `None`: only plans (dry runs).
    pub llm: Option<&'a LlmClient>,
    pub concurrency: usize,
    pub progress: &'a (dyn Fn(Progress) + Send + Sync),
    /// `--force`: ask for every chunk again (results a final write used are not reused; those
    /// of an interrupted run still are).
    pub fresh: bool,
}

impl Runner<'_> {
    /// Enrich `src` (episode `position` of `of` in this run).
    pub async fn enrich(
        &self,
        src: &EnrichSource,
        position: usize,
        of: usize,
    ) -> Result<EpisodeReport, EnrichError> {
        let Some(llm) = self.llm else {
            return Err(EnrichError::NoLlm);
        };
        let plan = self.plan(src, false).await?;
        let n = plan.chunks.len();
        let reused = plan.reused();
        (self.progress)(Progress::Episode {
            episode_id: src.episode_id.clone(),
            title: src.title.clone(),
            position,
            of,
            chunks: n,
            reused,
        });
        tracing::info!(episode = %src.episode_id, chunks = n, reused, "enriching");
        let mut run = report(src, Outcome::Failed, n, reused, 0, Usage::default());
        if n == 0 {
            run.message = Some("the transcript has no words: nothing to enrich".into());
            return Ok(self.log(src, run, llm).await);
        }
        let (results, failure) = self.map(llm, src, &plan, &mut run).await;
        if let Some(why) = failure {
            let stored = results.iter().flatten().count();
            run.message = Some(format!(
                "{why}; {stored} of {n} chunk results are stored: run the same command again to resume"
            ));
            return Ok(self.log(src, run, llm).await);
        }
        let chunks: Vec<StoredChunk> = results.into_iter().flatten().collect();
        (self.progress)(Progress::Reducing);
        let summaries: Vec<&str> = chunks.iter().map(|c| c.summary.as_str()).collect();
        let user = prompts::reduce_user(&src.title, &summaries);
        let summary = match self
            .ask(
                llm,
                prompts::REDUCE_SYSTEM,
                &user,
                &mut run,
                parse::reduce_reply,
            )
            .await
        {
            Ok(s) => s,
            Err(why) => {
                run.message = Some(format!(
                    "the episode summary: {why}; the {n} chunk results are stored: run the same command again to retry"
                ));
                return Ok(self.log(src, run, llm).await);
            }
        };
        let questions: Vec<(String, usize, usize)> = chunks
            .iter()
            .flat_map(|c| {
                c.questions
                    .iter()
                    .map(|q| (q.clone(), c.start_word, c.end_word))
            })
            .collect();
        run.questions = questions.len();
        run.summary = Some(summary.clone());
        run.outcome = Outcome::Enriched;
        let written = self
            .store
            .write_enrichment(
                &Enrichment {
                    url: &src.url,
                    transcript: &src.transcript,
                    summary: &summary,
                    questions: &questions,
                },
                &log_row(src, &run, llm),
            )
            .await;
        match written {
            Ok(true) => {
                tracing::info!(episode = %src.episode_id, questions = run.questions, calls = run.calls,
                    prompt_tokens = run.usage.prompt_tokens, completion_tokens = run.usage.completion_tokens, "enriched");
                Ok(run)
            }
            Ok(false) => {
                run.outcome = Outcome::Failed;
                run.summary = None;
                run.message = Some("the episode was changed or removed while it was being enriched (an import?); nothing was written: run the same command again".into());
                Ok(self.log(src, run, llm).await)
            }
            Err(e) => {
                tracing::error!(error = %e, "could not write the enrichment");
                run.outcome = Outcome::Failed;
                run.summary = None;
                run.message = Some(format!("the database refused the final write ({e}); nothing was written: run the same command again"));
                Ok(self.log(src, run, llm).await)
            }
        }
    }

    /// The map step: every chunk's result, stored or asked for now (`None` where missing), and
    /// the first failure.
    async fn map(
        &self,
        llm: &LlmClient,
        src: &EnrichSource,
        plan: &Plan,
        run: &mut EpisodeReport,
    ) -> (Vec<Option<StoredChunk>>, Option<String>) {
        let n = plan.chunks.len();
        let mut results = plan.stored.clone();
        let mut done = plan.reused();
        (self.progress)(Progress::Chunk { done, total: n });
        let stop = AtomicBool::new(false);
        // Boxed (and so checked Send) one by one: rustc cannot prove a stream of async closures
        // borrowing `self` Send for every lifetime, which the Discord command needs.
        let todo: Vec<BoxFuture<'_, Option<Asked>>> = plan
            .chunks
            .iter()
            .filter(|c| plan.stored[c.index].is_none())
            .map(|c| self.map_one(llm, src, plan, c, &stop).boxed())
            .collect();
        let mut calls = futures::stream::iter(todo).buffer_unordered(self.concurrency.max(1));
        let mut failure = None;
        while let Some(item) = calls.next().await {
            let Some((part, saved)) = item else { continue };
            run.calls += part.calls;
            run.usage.add(part.usage);
            match saved {
                Ok(row) => {
                    let i = row.chunk;
                    results[i] = Some(row);
                    done += 1;
                    (self.progress)(Progress::Chunk { done, total: n });
                }
                Err(why) => {
                    tracing::warn!(episode = %src.episode_id, %why, "enrichment stopped");
                    failure.get_or_insert(why);
                }
            }
        }
        (results, failure)
    }

    /// One chunk's call and the storing of its result; `None` when not started (after a failure).
    async fn map_one(
        &self,
        llm: &LlmClient,
        src: &EnrichSource,
        plan: &Plan,
        c: &Chunk,
        stop: &AtomicBool,
    ) -> Option<Asked> {
        if stop.load(Ordering::SeqCst) {
            return None;
        }
        let n = plan.chunks.len();
        let mut part = report(src, Outcome::Failed, 0, 0, 0, Usage::default());
        let user = prompts::map_user(&src.title, c.index, n, &c.text);
        let asked = self
            .ask(llm, prompts::MAP_SYSTEM, &user, &mut part, parse::map_reply)
            .await;
        let saved = match asked {
            Ok(ChunkReply { summary, questions }) => {
                let row = StoredChunk {
                    chunk: c.index,
                    start_word: c.start_word,
                    end_word: c.end_word,
                    summary,
                    questions,
                    prompt_tokens: Some(part.usage.prompt_tokens as i64),
                    completion_tokens: Some(part.usage.completion_tokens as i64),
                    written: false,
                };
                match self.store.save_chunk(&src.url, &plan.hash, &row).await {
                    Ok(()) => Ok(row),
                    Err(e) => Err(format!(
                        "the database refused chunk {} of {n} ({e})",
                        c.index + 1
                    )),
                }
            }
            Err(why) => Err(format!("chunk {} of {n}: {why}", c.index + 1)),
        };
        if saved.is_err() {
            stop.store(true, Ordering::SeqCst);
        }
        Some((part, saved))
    }

    /// One prompt, asked again once if the reply does not parse; calls and tokens go to `run`.
    async fn ask<T>(
        &self,
        llm: &LlmClient,
        system: &str,
        user: &str,
        run: &mut EpisodeReport,
        parse: fn(&str) -> Result<T, String>,
    ) -> Result<T, String> {
        let mut why = String::new();
        for attempt in 1..=ATTEMPTS {
            run.calls += 1;
            match llm.complete(system, user, None).await {
                Ok(done) => {
                    run.usage
                        .add(usage_of(done.usage, system, user, &done.text));
                    match parse(&done.text) {
                        Ok(v) => return Ok(v),
                        Err(e) => {
                            tracing::warn!(attempt, why = %e, "malformed LLM reply");
                            why = format!("the LLM's reply was malformed ({e})");
                        }
                    }
                }
                Err(failure) => {
                    run.usage.add(usage_of(failure.usage, "", "", ""));
                    return Err(format!("the LLM call failed: {}", failure.error));
                }
            }
        }
        Err(format!("{why}, {ATTEMPTS} times"))
    }

    /// Log the failed run (best effort) and hand its report back.
    async fn log(&self, src: &EnrichSource, run: EpisodeReport, llm: &LlmClient) -> EpisodeReport {
        if let Err(e) = self.store.log_enrichment(&log_row(src, &run, llm)).await {
            tracing::warn!(error = %e, "could not log the enrichment");
        }
        tracing::warn!(episode = %src.episode_id, message = run.message.as_deref().unwrap_or(""), "enrichment failed");
        run
    }
}

pub(super) fn report(
    src: &EnrichSource,
    outcome: Outcome,
    chunks: usize,
    reused_chunks: usize,
    calls: usize,
    usage: Usage,
) -> EpisodeReport {
    EpisodeReport {
        episode_id: src.episode_id.clone(),
        title: src.title.clone(),
        outcome,
        chunks,
        reused_chunks,
        calls,
        usage,
        summary: None,
        questions: 0,
        plan: Vec::new(),
        message: None,
    }
}

fn log_row<'a>(src: &'a EnrichSource, run: &'a EpisodeReport, llm: &'a LlmClient) -> EnrichLog<'a> {
    EnrichLog {
        url: &src.url,
        ok: run.outcome == Outcome::Enriched,
        chunks: run.chunks,
        reused_chunks: run.reused_chunks,
        calls: run.calls,
        prompt_tokens: run.usage.prompt_tokens,
        completion_tokens: run.usage.completion_tokens,
        questions: run.questions,
        model: Some(llm.model()),
        message: run.message.as_deref(),
    }
}

/// The server's counts, or r50k_base counts of what was sent and received where it gave none.
fn usage_of(reported: TokenCounts, system: &str, user: &str, reply: &str) -> Usage {
    let count = |s: &str| chunk::count_tokens(s).unwrap_or(s.len() / 4) as u64;
    let mut estimated = false;
    let mut or_count = |n: Option<i64>, text: &[&str]| match n.and_then(|n| u64::try_from(n).ok()) {
        Some(n) => n,
        None if text.iter().all(|t| t.is_empty()) => 0,
        None => {
            estimated = true;
            text.iter().map(|t| count(t)).sum()
        }
    };
    let prompt_tokens = or_count(reported.prompt_tokens, &[system, user]);
    let completion_tokens = or_count(reported.completion_tokens, &[reply]);
    Usage {
        prompt_tokens,
        completion_tokens,
        estimated,
    }
}
