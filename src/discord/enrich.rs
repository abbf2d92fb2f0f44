//! /enrich (moderators): write an episode's summary and questions with the LLM. The deferred
//! reply shows the progress ("chunk 7/12…", edited at most once a second) and ends with the
//! summary and the question count. The work is `App::enrich`'s: atomic, resumable, logged.

use tokio::sync::watch;

use super::{call::Call, checks, lookup, render, respond, Context, Error};
use crate::{
    enrich::{EnrichError, EnrichReport, Outcome, Progress},
    EnrichTarget,
};

/// Write an episode's summary and questions with the LLM (moderators only)
#[poise::command(slash_command, guild_only, default_member_permissions = "MANAGE_GUILD")]
pub async fn enrich(
    ctx: Context<'_>,
    #[description = "Episode title, guest name, video id or URL"]
    #[autocomplete = "lookup::autocomplete_episode"]
    #[max_length = 200]
    episode: String,
    #[description = "Replace the summary and questions it already has"] force: Option<bool>,
) -> Result<(), Error> {
    match Call::gateway(ctx) {
        Some(call) => run(&call, episode, force).await,
        None => Ok(()),
    }
}

/// What the command does, whichever transport delivered it.
pub(super) async fn run(
    call: &Call<'_>,
    episode: String,
    force: Option<bool>,
) -> Result<(), Error> {
    if !checks::moderator(call).await? {
        return Ok(());
    }
    let data = call.data;
    let _busy = data.in_flight.token();
    let app = &data.app;
    if !app.llm_configured() {
        let message = "No LLM is configured: the bot needs OPENAI_API_KEY to enrich episodes.";
        call.send(render::ephemeral(message)).await?;
        return Ok(());
    }
    let row = match lookup::resolve(app, &episode).await? {
        Ok(row) => row,
        Err(message) => {
            call.send(render::ephemeral(&message)).await?;
            return Ok(());
        }
    };
    respond::defer(call, true).await?;
    let force = force.unwrap_or(false);
    tracing::info!(user_id = %call.author().id, episode = %row.episode_id, force, "enrichment requested");
    let title = render::truncate(&row.title, 150);
    let (status, shown) = watch::channel(format!("⏳ Enriching “{title}”…"));
    let on_progress = move |p: Progress| {
        status.send_replace(progress_text(&title, &p));
    };
    let target = EnrichTarget::Episode {
        query: row.episode_id.clone(),
        force,
    };
    let http = data.stream_http(call.reply.http);
    let token = call.reply.token;
    let run = app.enrich(&target, false, &on_progress);
    let result = respond::with_status(&http, token, shown, run).await;
    let message = match result {
        Ok(report) => {
            tracing::info!(episode = %row.episode_id, calls = report.calls,
                prompt_tokens = report.usage.prompt_tokens, completion_tokens = report.usage.completion_tokens,
                "enrichment from Discord finished");
            report_text(&report)
        }
        Err(EnrichError::Store(e)) => {
            tracing::error!(error = %e, "enrichment failed in the database");
            "❌ The database failed during the enrichment (details are in the bot's log).".into()
        }
        Err(e) => format!("❌ {e}."),
    };
    respond::final_edit(&http, token, &render::text_edit(&message)).await;
    Ok(())
}

fn progress_text(title: &str, p: &Progress) -> String {
    match p {
        Progress::Episode { chunks, reused, .. } if *reused > 0 => format!(
            "⏳ Enriching “{title}”: {chunks} chunks, {reused} already done in an earlier run…"
        ),
        Progress::Episode { chunks, .. } => format!("⏳ Enriching “{title}”: {chunks} chunks…"),
        Progress::Chunk { done, total } => format!("⏳ Enriching “{title}”: chunk {done}/{total}…"),
        Progress::Reducing => format!("⏳ Enriching “{title}”: writing the summary…"),
    }
}

/// The final message: the summary and question count, or why nothing was written.
fn report_text(r: &EnrichReport) -> String {
    let Some(e) = r.episodes.first() else {
        return "❌ That episode could not be found any more.".into();
    };
    let title = render::truncate(&e.title, 150);
    let tokens = format!(
        "{} LLM calls, {} + {} tokens{}",
        r.calls,
        r.usage.prompt_tokens,
        r.usage.completion_tokens,
        r.cost_usd
            .map(|c| format!(" (≈ ${c:.4})"))
            .unwrap_or_default()
    );
    match e.outcome {
        Outcome::Enriched => {
            let head = format!(
                "✅ Enriched “{title}”: {} questions from {} chunks ({tokens}).\n**Summary:** ",
                e.questions, e.chunks
            );
            let room = render::CONTENT_MAX - head.chars().count();
            format!("{head}{}", render::truncate(e.summary.as_deref().unwrap_or(""), room))
        }
        Outcome::Skipped => format!(
            "ℹ️ “{title}” already has a summary and {} questions; run /enrich with force:true to replace them.",
            e.questions
        ),
        Outcome::Failed => format!(
            "❌ The enrichment of “{title}” stopped: {} ({tokens}). Nothing was replaced; run /enrich again to resume.",
            e.message.as_deref().unwrap_or("unknown error")
        ),
        Outcome::Planned => format!("“{title}”: {} chunks.", e.chunks),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::enrich::{EpisodeReport, Usage};

    fn report(outcome: Outcome, summary: &str) -> EnrichReport {
        EnrichReport {
            dry_run: false,
            model: Some("m".into()),
            concurrency: 4,
            episodes: vec![EpisodeReport {
                episode_id: "abc".into(),
                title: "A title".into(),
                outcome,
                chunks: 12,
                reused_chunks: 0,
                calls: 13,
                usage: Usage::default(),
                summary: Some(summary.into()),
                questions: 36,
                plan: Vec::new(),
                message: Some("chunk 3 of 12: the LLM call failed".into()),
            }],
            calls: 13,
            usage: Usage::default(),
            cost_usd: Some(0.0123),
            elapsed_ms: 1,
        }
    }

    #[test]
    fn the_final_message_fits_and_says_what_happened() {
        let long = "word ".repeat(1000);
        let ok = report_text(&report(Outcome::Enriched, &long));
        assert!(ok.chars().count() <= render::CONTENT_MAX, "{}", ok.len());
        assert!(ok.starts_with("✅ Enriched “A title”: 36 questions from 12 chunks (13 LLM calls, 0 + 0 tokens (≈ $0.0123))."), "{ok}");
        let failed = report_text(&report(Outcome::Failed, ""));
        assert!(
            failed.contains("stopped: chunk 3 of 12") && failed.contains("resume"),
            "{failed}"
        );
        assert!(report_text(&report(Outcome::Skipped, "")).contains("force:true"));
    }
}
