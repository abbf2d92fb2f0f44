//! `gdbot enrich`: runs `App::enrich` with a progress bar (on a terminal only), prints what was
//! done (or, with --dry-run, the plan), the calls, tokens and the cost estimate. Ctrl-C stops it;
//! the chunk results received so far are kept and the next run resumes from them.

use std::{io::IsTerminal, process::ExitCode};

use anyhow::Result;
use indicatif::{ProgressBar, ProgressStyle};

use crate::{args::EnrichArgs, out::out, print, with_dataset};
use gdbot::{
    config::Config,
    enrich::{EnrichError, EnrichReport, EpisodeReport, Outcome, Progress},
    App, EnrichTarget,
};

pub async fn cmd_enrich(config: Config, a: EnrichArgs, json: bool) -> Result<ExitCode> {
    if !a.dry_run && config.llm.is_none() {
        // Before opening anything.
        eprintln!("error: {}", EnrichError::NoLlm);
        return Ok(ExitCode::FAILURE);
    }
    with_dataset(config, |app| run(app, a, json)).await
}

async fn run(app: App, a: EnrichArgs, json: bool) -> Result<ExitCode> {
    let target = match a.episode {
        Some(query) => EnrichTarget::Episode {
            query,
            force: a.force,
        },
        None => EnrichTarget::All,
    };
    let bar = progress_bar();
    let shown = bar.clone();
    let on_progress = move |p: Progress| show(&shown, p);
    let enriched = tokio::select! {
        r = app.enrich(&target, a.dry_run, &on_progress) => r,
        _ = tokio::signal::ctrl_c() => {
            bar.finish_and_clear();
            eprintln!("interrupted: the chunk results received so far are stored; run the same command again to resume");
            return Ok(ExitCode::from(130));
        }
    };
    bar.finish_and_clear();
    let report = match enriched {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: {e}");
            return Ok(ExitCode::FAILURE);
        }
    };
    if json {
        print::json(&report)?;
    } else {
        print_report(&report)?;
    }
    Ok(if report.failure().is_some() {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

fn progress_bar() -> ProgressBar {
    if !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(0);
    bar.set_style(
        ProgressStyle::with_template("{msg} {bar:30} {pos}/{len} chunks ({elapsed})")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    bar
}

fn show(bar: &ProgressBar, p: Progress) {
    match p {
        Progress::Episode {
            episode_id,
            position,
            of,
            chunks,
            ..
        } => {
            bar.set_message(format!("{episode_id} ({position}/{of})"));
            bar.set_length(chunks as u64);
            bar.set_position(0);
        }
        Progress::Chunk { done, .. } => bar.set_position(done as u64),
        Progress::Reducing => bar.set_message("writing the summary"),
    }
}

fn print_report(r: &EnrichReport) -> Result<()> {
    if r.episodes.is_empty() {
        out!("Every episode has a summary and questions: nothing to enrich.");
        return Ok(());
    }
    for e in &r.episodes {
        print_episode(e)?;
    }
    let verb = if r.dry_run { "would make" } else { "made" };
    let approx = if r.usage.estimated { "~" } else { "" };
    out!(
        "LLM calls: {verb} {}; tokens: {approx}{} prompt + {approx}{} completion{}",
        r.calls,
        r.usage.prompt_tokens,
        r.usage.completion_tokens,
        if r.usage.estimated {
            " (r50k_base estimates)"
        } else {
            ""
        }
    );
    match r.cost_usd {
        Some(cost) => {
            out!("estimated cost: ${cost:.4} (LLM_PRICE_INPUT_PER_MTOK, LLM_PRICE_OUTPUT_PER_MTOK)")
        }
        None => out!(
            "cost: set LLM_PRICE_INPUT_PER_MTOK and LLM_PRICE_OUTPUT_PER_MTOK to see an estimate"
        ),
    }
    eprintln!(
        "took {:.2} s ({} LLM calls in flight at most)",
        r.elapsed_ms as f64 / 1000.0,
        r.concurrency
    );
    Ok(())
}

fn print_episode(e: &EpisodeReport) -> Result<()> {
    let head = format!("{}  {}", e.episode_id, e.title);
    match e.outcome {
        Outcome::Skipped => out!("skipped {head}: {}", e.message.as_deref().unwrap_or("")),
        Outcome::Failed => {
            out!("FAILED {head}: {}", e.message.as_deref().unwrap_or(""));
        }
        Outcome::Planned => {
            out!(
                "{head}: {} chunks ({} stored), {} calls, {} questions",
                e.chunks,
                e.reused_chunks,
                e.calls,
                e.questions
            );
            for c in &e.plan {
                out!(
                    "  chunk {:>3}: words {}–{}, {} tokens{}",
                    c.index + 1,
                    c.start_word,
                    c.end_word,
                    c.tokens,
                    if c.stored { " (stored)" } else { "" }
                );
            }
            if let Some(m) = &e.message {
                out!("  {m}");
            }
        }
        Outcome::Enriched => {
            out!(
                "enriched {head}: {} chunks ({} reused), {} calls, {} questions",
                e.chunks,
                e.reused_chunks,
                e.calls,
                e.questions
            );
            out!("  summary: {}", e.summary.as_deref().unwrap_or(""));
        }
    }
    Ok(())
}
