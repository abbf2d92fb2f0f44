//! /ask, and the 👍/👎 feedback buttons under every answer.

use poise::serenity_prelude as serenity;

use super::{
    call::{Call, Responder},
    lookup, render, respond, Context, Data, Error,
};

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
    match Call::gateway(ctx) {
        Some(call) => run(&call, question, episode, private).await,
        None => Ok(()),
    }
}

/// What /ask does, whichever transport delivered it.
pub(super) async fn run(
    call: &Call<'_>,
    question: String,
    episode: Option<String>,
    private: Option<bool>,
) -> Result<(), Error> {
    let data = call.data;
    let _busy = data.in_flight.token();
    if let Err(wait) = data.limiter.check(&data.app, call.author().id.get()).await {
        call.send(render::ephemeral(&render::slow_down(wait)))
            .await?;
        return Ok(());
    }
    let episode_id = match episode.as_deref().map(str::trim).filter(|e| !e.is_empty()) {
        None => None,
        Some(query) => match lookup::resolve(&data.app, query).await? {
            Ok(row) => Some(row.episode_id),
            Err(message) => {
                call.send(render::ephemeral(&message)).await?;
                return Ok(());
            }
        },
    };
    respond::defer(call, private.unwrap_or(false)).await?;
    let http = &data.stream_http(call.reply.http);
    respond::answer_into(
        http,
        call.reply.token,
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
    reply: &Responder<'_>,
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
    respond::component(
        reply,
        &c.data.custom_id,
        render::component_ephemeral(&message),
    )
    .await;
}
