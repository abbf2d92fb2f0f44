//! /reload (moderators): re-import DATASET_PATH or an attached dataset file, atomically.

use indicatif::ProgressBar;
use poise::serenity_prelude as serenity;

use super::{call::Call, checks, render, respond, Context, Error};
use crate::store::ReloadError;

const ALLOWED_EXTENSIONS: [&str; 3] = [".csv", ".csv.gz", ".txt"];

/// Replace the stored dataset (moderators only)
#[poise::command(slash_command, guild_only, default_member_permissions = "MANAGE_GUILD")]
pub async fn reload(
    ctx: Context<'_>,
    #[description = "A dataset file (.csv, .csv.gz or .txt); without it the configured DATASET_PATH is re-read"]
    file: Option<serenity::Attachment>,
) -> Result<(), Error> {
    match Call::gateway(ctx) {
        Some(call) => run(&call, file).await,
        None => Ok(()),
    }
}

/// What the command does, whichever transport delivered it.
pub(super) async fn run(call: &Call<'_>, file: Option<serenity::Attachment>) -> Result<(), Error> {
    if !checks::moderator(call).await? {
        return Ok(());
    }
    let data = call.data;
    let _busy = data.in_flight.token();
    let max = data.app.discord().reload_max_bytes;
    if let Some(f) = &file {
        if let Err(message) = check_attachment(&f.filename, u64::from(f.size), max) {
            call.send(render::ephemeral(&message)).await?;
            return Ok(());
        }
    }
    respond::defer(call, true).await?;
    tracing::info!(user_id = %call.author().id, file = ?file.as_ref().map(|f| &f.filename), "reload requested");
    let app = &data.app;
    let result = match &file {
        None => app
            .import_dataset_path(false, &ProgressBar::hidden())
            .await
            .map_err(|e| describe(&e)),
        Some(f) => match checks::download(f, max).await {
            Ok(bytes) => app
                .import_bytes(bytes, &f.filename, false)
                .await
                .map_err(|e| describe(&e)),
            Err(message) => Err(message),
        },
    };
    let message = match result {
        Ok(report) => {
            tracing::info!(%report, "dataset reloaded from Discord");
            render::reload_ok(&report.to_string())
        }
        Err(message) => render::reload_failed(&message),
    };
    respond::finish(call, &message).await;
    Ok(())
}

/// Dataset errors name file, line and column and are shown; database errors only go to the log.
fn describe(e: &ReloadError) -> String {
    match e {
        ReloadError::Store(inner) => {
            tracing::error!(error = %inner, "reload failed in the database");
            "the database failed during the import (details are in the bot's log)".to_string()
        }
        other => other.to_string(),
    }
}

/// Reject attachments that are too large or not a dataset file, before downloading them.
pub fn check_attachment(filename: &str, size: u64, max: u64) -> Result<(), String> {
    let lower = filename.to_ascii_lowercase();
    if !ALLOWED_EXTENSIONS.iter().any(|ext| lower.ends_with(ext)) {
        return Err(format!(
            "`{}` is not a dataset file: attach a .csv, .csv.gz or .txt file. The stored dataset was not changed.",
            render::quoted(filename)
        ));
    }
    if size > max {
        return Err(format!(
            "{} The stored dataset was not changed.",
            checks::too_big(filename, max)
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attachments_are_checked_by_name_and_size() {
        let mb = 1024 * 1024;
        assert!(check_attachment("data.csv", 10, mb).is_ok());
        assert!(check_attachment("DATA.CSV.GZ", 10, mb).is_ok());
        assert!(check_attachment("notes.txt", mb, mb).is_ok());
        let wrong = check_attachment("data.xlsx", 10, mb).unwrap_err();
        assert!(wrong.contains("not a dataset file"), "{wrong}");
        assert!(check_attachment("data.gz", 10, mb).is_err());
        let big = check_attachment("data.csv", 3 * mb, 2 * mb).unwrap_err();
        assert!(big.contains("larger than the 2 MB limit"), "{big}");
    }
}
