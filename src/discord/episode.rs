//! /episode, episode autocomplete, and the suggested-question menu under an episode.

use poise::serenity_prelude as serenity;

use super::{ask, render, retry, Context, Data, Error};
use crate::{
    store::{EpisodeRow, StoreError},
    App,
};

/// Autocomplete for episode options: titles matching what was typed; the value is the episode id.
pub async fn autocomplete_episode(
    ctx: Context<'_>,
    partial: &str,
) -> serenity::CreateAutocompleteResponse {
    let rows = match ctx.data().app.store.find_episodes(partial, 25).await {
        Ok(rows) => rows,
        Err(e) => {
            tracing::warn!(error = %e, "episode autocomplete failed");
            Vec::new()
        }
    };
    serenity::CreateAutocompleteResponse::new().set_choices(render::episode_choices(&rows))
}

/// The best episode for `query` (an id from autocomplete, a URL or words of the title), or the
/// message to show when none matches.
pub(super) async fn resolve(
    app: &App,
    query: &str,
) -> Result<Result<EpisodeRow, String>, StoreError> {
    if let Some(row) = app.store.find_episodes(query, 1).await?.into_iter().next() {
        return Ok(Ok(row));
    }
    let closest = app.store.closest_titles(query, 3).await?;
    Ok(Err(render::no_episode(query, &closest)))
}

/// Show an episode: summary, date, duration and suggested questions to ask
#[poise::command(slash_command)]
pub async fn episode(
    ctx: Context<'_>,
    #[description = "Episode title, guest name, video id or URL"]
    #[autocomplete = "autocomplete_episode"]
    #[max_length = 200]
    query: String,
) -> Result<(), Error> {
    let data = ctx.data();
    let _busy = data.in_flight.enter();
    let detail = match resolve(&data.app, &query).await? {
        Ok(row) => data.app.store.episode(&row.episode_id).await?,
        Err(message) => {
            ctx.send(render::ephemeral(&message)).await?;
            return Ok(());
        }
    };
    match detail {
        Some(d) => ctx.send(render::episode_reply(&d)).await?,
        None => {
            ctx.send(render::ephemeral(&render::no_episode(&query, &[])))
                .await?
        }
    };
    Ok(())
}

/// A suggested question picked under /episode: the /ask flow for that episode, as a new message.
pub(super) async fn on_question_pick(
    ctx: &serenity::Context,
    data: &Data,
    c: &serenity::ComponentInteraction,
) {
    let question = match picked_question(data, c).await {
        Ok(q) => q,
        Err(message) => {
            if let Err(e) = c
                .create_response(&ctx.http, render::component_ephemeral(&message))
                .await
            {
                tracing::warn!(error = %e, "could not answer a question menu");
            }
            return;
        }
    };
    if let Err(e) =
        retry::acknowledge(|| c.create_response(&ctx.http, render::component_defer())).await
    {
        tracing::warn!(error = %e, "could not defer a question menu");
        return;
    }
    let (episode_id, question) = question;
    let http = data.stream_http(&ctx.http);
    ask::answer_into(&http, &c.token, &data.app, &question, Some(&episode_id)).await;
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
    if let Err(wait) = data.limiter.check(c.user.id.get()) {
        return Err(render::slow_down(wait));
    }
    let detail = data.app.store.episode(episode_id).await.map_err(|e| {
        tracing::error!(error = %e, "could not load an episode for a suggested question");
        render::GENERIC_ERROR.to_string()
    })?;
    let question = detail
        .and_then(|d| d.questions.into_iter().nth(index))
        .ok_or_else(gone)?;
    Ok((episode_id.to_string(), question))
}
