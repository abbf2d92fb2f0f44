//! /ask, and the 👍/👎 feedback buttons under every answer.

use poise::serenity_prelude as serenity;

use super::{lookup, render, respond, Context, Data, Error};

/// Ask a question about the Gradient Dissent podcast; the answer cites episodes with ≈timestamps
#[poise::command(slash_command)]
pub async fn ask(
    ctx: Context<'_>,
    #[description = "Your question"]
    #[max_length = 500]
    question: String,
    #[description = "Only search this episode"]
    #[autocomplete = "lookup::autocomplete_episode"]
    episode: Option<String>,
    #[description = "Only you see the answer (default: everyone in the channel)"] private: Option<
        bool,
    >,
) -> Result<(), Error> {
    let data = ctx.data();
    let _busy = data.in_flight.token();
    if let Err(wait) = data.limiter.check(ctx.author().id.get()) {
        ctx.send(render::ephemeral(&render::slow_down(wait)))
            .await?;
        return Ok(());
    }
    let episode_id = match episode.as_deref().map(str::trim).filter(|e| !e.is_empty()) {
        None => None,
        Some(query) => match lookup::resolve(&data.app, query).await? {
            Ok(row) => Some(row.episode_id),
            Err(message) => {
                ctx.send(render::ephemeral(&message)).await?;
                return Ok(());
            }
        },
    };
    respond::defer(ctx, private.unwrap_or(false)).await?;
    let poise::Context::Application(actx) = ctx else {
        return Ok(()); // slash-only command
    };
    let http = &data.stream_http(&ctx.serenity_context().http);
    respond::answer_into(
        http,
        &actx.interaction.token,
        &data.app,
        &question,
        episode_id.as_deref(),
    )
    .await;
    Ok(())
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
    respond::component(ctx, c, render::component_ephemeral(&message)).await;
}
