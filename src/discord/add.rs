//! /add (moderators): add or update one episode from an attached caption or transcript file,
//! with its URL, title and date as options. Options and the attachment are checked before it is
//! downloaded (an ephemeral message names what is wrong); the add itself is atomic and logged.

use poise::serenity_prelude as serenity;

use super::{call::Call, checks, render, respond, Context, Error};
use crate::{dataset::EpisodeMeta, AddError};

/// Add or update one episode from a caption or transcript file (moderators only)
#[poise::command(slash_command, guild_only, default_member_permissions = "MANAGE_GUILD")]
pub async fn add(
    ctx: Context<'_>,
    #[description = "Captions or transcript: .vtt (e.g. YouTube's), .srt, .txt or .md"]
    file: serenity::Attachment,
    #[description = "The episode's URL (adding the same URL again updates it)"]
    #[max_length = 500]
    url: String,
    #[description = "The episode's title"]
    #[max_length = 300]
    title: String,
    #[description = "Publication date, YYYY-MM-DD"]
    #[max_length = 10]
    date: Option<String>,
) -> Result<(), Error> {
    match Call::gateway(ctx) {
        Some(call) => run(&call, file, url, title, date).await,
        None => Ok(()),
    }
}

/// What the command does, whichever transport delivered it.
pub(super) async fn run(
    call: &Call<'_>,
    file: serenity::Attachment,
    url: String,
    title: String,
    date: Option<String>,
) -> Result<(), Error> {
    if !checks::moderator(call).await? {
        return Ok(());
    }
    let data = call.data;
    let _busy = data.in_flight.token();
    let app = &data.app;
    let meta = EpisodeMeta {
        url,
        title,
        publish_date: date.filter(|d| !d.trim().is_empty()),
        length_s: None,
    };
    if let Err((field, message)) = app.check_episode_meta(&meta) {
        let text = format!("Option `{}`: {message}. Nothing was added.", field.option());
        call.send(render::ephemeral(&render::truncate(
            &text,
            render::CONTENT_MAX,
        )))
        .await?;
        return Ok(());
    }
    let max = app.discord().reload_max_bytes;
    if let Err(message) = checks::episode_attachment(&file.filename, u64::from(file.size), max) {
        call.send(render::ephemeral(&message)).await?;
        return Ok(());
    }
    respond::defer(call, true).await?;
    tracing::info!(user_id = %call.author().id, file = %file.filename, url = %meta.url, "add requested");
    let result = match checks::download(&file, max).await {
        Ok(bytes) => app
            .add_bytes(bytes, &file.filename, meta)
            .await
            .map_err(|e| describe(&e)),
        Err(message) => Err(message),
    };
    let message = match result {
        Ok(report) => {
            tracing::info!(%report, "episode added from Discord");
            render::add_ok(&report.to_string())
        }
        Err(message) => render::add_failed(&message),
    };
    respond::finish(call, &message).await;
    Ok(())
}

/// File, option and manifest errors are shown; database errors only go to the log.
fn describe(e: &AddError) -> String {
    match e {
        AddError::Store(crate::store::ReloadError::Store(inner)) => {
            tracing::error!(error = %inner, "add failed in the database");
            "the database failed during the add (details are in the bot's log)".to_string()
        }
        other => other.to_string(),
    }
}
