//! /ask, the answer flow shared with the suggested-question menu, and the feedback buttons.

use std::{panic::AssertUnwindSafe, time::Duration};

use futures::FutureExt;
use poise::serenity_prelude as serenity;
use tokio::{sync::mpsc, time::MissedTickBehavior};

use super::{episode, render, retry, Context, Data, Error};
use crate::{answer::AnswerError, App};

/// Discord allows about one edit per second per message.
const EDIT_EVERY: Duration = Duration::from_millis(1100);

/// Ask a question about the Gradient Dissent podcast; the answer cites episodes with ≈timestamps
#[poise::command(slash_command)]
pub async fn ask(
    ctx: Context<'_>,
    #[description = "Your question"]
    #[max_length = 500]
    question: String,
    #[description = "Only search this episode"]
    #[autocomplete = "episode::autocomplete_episode"]
    episode: Option<String>,
    #[description = "Only you see the answer (default: everyone in the channel)"] private: Option<
        bool,
    >,
) -> Result<(), Error> {
    let data = ctx.data();
    let _busy = data.in_flight.enter();
    if let Err(wait) = data.limiter.check(ctx.author().id.get()) {
        ctx.send(render::ephemeral(&render::slow_down(wait)))
            .await?;
        return Ok(());
    }
    let episode_id = match episode.as_deref().map(str::trim).filter(|e| !e.is_empty()) {
        None => None,
        Some(query) => match episode::resolve(&data.app, query).await? {
            Ok(row) => Some(row.episode_id),
            Err(message) => {
                ctx.send(render::ephemeral(&message)).await?;
                return Ok(());
            }
        },
    };
    retry::defer(ctx, private.unwrap_or(false)).await?;
    let poise::Context::Application(actx) = ctx else {
        return Ok(()); // slash-only command
    };
    let http = &data.stream_http(&ctx.serenity_context().http);
    answer_into(
        http,
        &actx.interaction.token,
        &data.app,
        &question,
        episode_id.as_deref(),
    )
    .await;
    Ok(())
}

/// Answer `question` into the deferred response of the interaction `token`: partial text while the
/// LLM streams (at most one edit per ~1.1 s), then the answer embed. The deferred response always gets
/// a final edit, also when answering fails or panics.
pub(super) async fn answer_into(
    http: &serenity::Http,
    token: &str,
    app: &App,
    question: &str,
    episode: Option<&str>,
) {
    let (tx, mut rx) = mpsc::unbounded_channel::<String>();
    let answering = AssertUnwindSafe(app.ask(question, episode, Some(&tx))).catch_unwind();
    tokio::pin!(answering);
    let mut ticker = tokio::time::interval(EDIT_EVERY);
    ticker.set_missed_tick_behavior(MissedTickBehavior::Delay);
    let mut latest: Option<String> = None;
    // The partial edit in progress, polled beside the answer: serenity's limiter may sleep out a
    // 429 inside the call, and awaiting it here would stop reading the LLM's stream meanwhile.
    let mut editing: Option<futures::future::BoxFuture<'_, ()>> = None;
    let outcome = loop {
        tokio::select! {
            biased;
            outcome = &mut answering => break outcome,
            Some(text) = rx.recv() => latest = Some(text),
            () = async { editing.as_mut().expect("guarded by the condition").await }, if editing.is_some() => editing = None,
            _ = ticker.tick(), if editing.is_none() => {
                if let Some(text) = latest.take().filter(|t| !t.trim().is_empty()) {
                    editing = Some(Box::pin(partial_edit(http, token, text)));
                }
            }
        }
    };
    // The final edit must land after any partial one.
    if let Some(edit) = editing {
        edit.await;
    }
    let edit = match outcome {
        Ok(Ok(answer)) => {
            tracing::info!(
                mode = ?answer.mode,
                confident = answer.confident,
                sources = answer.sources.len(),
                latency_ms = answer.latency_ms,
                "answered"
            );
            render::answer_edit(question, &answer)
        }
        Ok(Err(e)) => render::text_edit(&user_message(&e)),
        Err(panic) => {
            tracing::error!(panic = panic_text(&*panic), "answering panicked");
            render::text_edit(render::GENERIC_ERROR)
        }
    };
    final_edit(http, token, &edit).await;
}

async fn partial_edit(http: &serenity::Http, token: &str, text: String) {
    let edit = render::partial_edit(&text);
    if let Err(e) = http
        .edit_original_interaction_response(token, &edit, Vec::new())
        .await
    {
        tracing::debug!(error = %e, "could not show partial answer");
    }
}

/// The last edit of a deferred response; retried once, since otherwise the user is left waiting.
pub(super) async fn final_edit(
    http: &serenity::Http,
    token: &str,
    edit: &serenity::EditInteractionResponse,
) {
    for attempt in 1..=2 {
        match http
            .edit_original_interaction_response(token, edit, Vec::new())
            .await
        {
            Ok(_) => return,
            Err(e) => tracing::warn!(error = %e, attempt, "could not edit the deferred response"),
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

/// A short message for the user; details go to the log.
fn user_message(e: &AnswerError) -> String {
    match e {
        AnswerError::EmptyQuestion => {
            "The question is empty; type what you want to know.".to_string()
        }
        AnswerError::Retrieve(inner) => {
            tracing::error!(error = %inner, "retrieval failed");
            "Sorry — searching the episodes failed. Please try again in a moment.".to_string()
        }
    }
}

pub(super) fn panic_text(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "non-string panic payload".to_string())
}

/// 👍/👎 under an answer: one vote per user per answer, voting again replaces it. The vote is
/// queued (written in the background, after the answer's own record), so the acknowledgement
/// never waits for the database's write lock and keeps within Discord's 3 s.
pub(super) async fn on_feedback(
    ctx: &serenity::Context,
    data: &Data,
    c: &serenity::ComponentInteraction,
) {
    let message = match render::parse_feedback_id(&c.data.custom_id) {
        None => "That button is not mine any more.".to_string(),
        Some((vote, answer_id)) => {
            match data
                .app
                .store
                .queue_feedback(answer_id, &c.user.id.to_string(), vote)
                .await
            {
                Ok(true) => format!("Thanks — recorded {}", if vote > 0 { "👍" } else { "👎" }),
                Ok(false) => {
                    "That answer is no longer stored, so the vote was not recorded.".to_string()
                }
                Err(e) => {
                    tracing::error!(error = %e, answer_id, "could not record feedback");
                    "Sorry — the vote could not be recorded. Please try again later.".to_string()
                }
            }
        }
    };
    if let Err(e) = c
        .create_response(&ctx.http, render::component_ephemeral(&message))
        .await
    {
        tracing::warn!(error = %e, "could not answer a feedback button");
    }
}
