//! /episode, and the suggested-question menu under an episode.

use poise::serenity_prelude as serenity;

use super::{
    call::{Call, Responder},
    lookup, render, respond, Context, Data, Error,
};

/// Show an episode: summary, date, duration and suggested questions to ask
#[poise::command(slash_command)]
pub async fn episode(
    ctx: Context<'_>,
    #[description = "Episode title, guest name, video id or URL"]
    #[autocomplete = "lookup::autocomplete_episode"]
    #[max_length = 200]
    query: String,
) -> Result<(), Error> {
    match Call::gateway(ctx) {
        Some(call) => run(&call, query).await,
        None => Ok(()),
    }
}

/// What /episode does, whichever transport delivered it.
pub(super) async fn run(call: &Call<'_>, query: String) -> Result<(), Error> {
    let data = call.data;
    let _busy = data.in_flight.token();
    let detail = match lookup::resolve(&data.app, &query).await? {
        Ok(row) => data.app.episode(&row.episode_id).await?,
        Err(message) => {
            call.send(render::ephemeral(&message)).await?;
            return Ok(());
        }
    };
    match detail {
        Some(d) => call.send(render::episode_reply(&d)).await?,
        None => {
            call.send(render::ephemeral(&render::no_episode(&query, &[])))
                .await?
        }
    };
    Ok(())
}

/// A suggested question picked under /episode: the /ask flow for that episode, as a new message.
pub(super) async fn on_question_pick(
    reply: &Responder<'_>,
    data: &Data,
    c: &serenity::ComponentInteraction,
) {
    let (episode_id, question) = match picked_question(data, c).await {
        Ok(picked) => picked,
        Err(message) => {
            respond::component(
                reply,
                &c.data.custom_id,
                render::component_ephemeral(&message),
            )
            .await;
            return;
        }
    };
    if !respond::component(reply, &c.data.custom_id, render::component_defer()).await {
        return;
    }
    let http = data.stream_http(reply.http);
    respond::answer_into(&http, &c.token, &data.app, &question, Some(&episode_id)).await;
}

/// (episode id, question text) chosen in the menu, or a message for the user.
async fn picked_question(
    data: &Data,
    c: &serenity::ComponentInteraction,
) -> Result<(String, String), String> {
    let gone = || "That question is no longer available; run /episode again.".to_string();
    let episode_id = render::parse_question_pick_id(&c.data.custom_id).ok_or_else(gone)?;
    let index: usize = match &c.data.kind {
        serenity::ComponentInteractionDataKind::StringSelect { values } => values
            .first()
            .and_then(|v| v.parse().ok())
            .ok_or_else(gone)?,
        _ => return Err(gone()),
    };
    if let Err(wait) = data.limiter.check(&data.app, c.user.id.get()).await {
        return Err(render::slow_down(wait));
    }
    let detail = data.app.episode(episode_id).await.map_err(|e| {
        tracing::error!(error = %e, "could not load an episode for a suggested question");
        render::GENERIC_ERROR.to_string()
    })?;
    let question = detail
        .and_then(|d| d.questions.into_iter().nth(index))
        .ok_or_else(gone)?;
    Ok((episode_id.to_string(), question))
}
