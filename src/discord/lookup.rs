//! Episode lookups shared by the commands: the autocomplete of episode options, and resolving what
//! the user typed or picked to one episode.

use poise::serenity_prelude as serenity;

use super::{render, Context};
use crate::{
    store::{EpisodeRow, StoreError},
    App, EpisodeLookup,
};

/// Autocomplete for episode options: titles matching what was typed; the value is the episode id.
pub async fn autocomplete_episode(
    ctx: Context<'_>,
    partial: &str,
) -> serenity::CreateAutocompleteResponse {
    episode_choices(&ctx.data().app, partial).await
}

/// What `autocomplete_episode` answers, in both transports.
pub(super) async fn episode_choices(
    app: &App,
    partial: &str,
) -> serenity::CreateAutocompleteResponse {
    let rows = match app.suggest_episodes(partial, 25).await {
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
    Ok(match app.find_episode(query).await? {
        EpisodeLookup::Found(row) => Ok(row),
        EpisodeLookup::NotFound { closest } => Err(render::no_episode(query, &closest)),
        EpisodeLookup::NothingToLookUp => Err(render::nothing_to_look_up(query)),
    })
}
