//! Who may run moderator commands. Checked in code: `default_member_permissions` alone can be
//! changed by a guild's owner.

use poise::serenity_prelude as serenity;
use serenity::{Permissions, RoleId};

use super::{call::Call, render, Error};

/// Manage Server (or Administrator) permission, or one of the configured moderator roles.
pub fn is_moderator(
    permissions: Option<Permissions>,
    roles: &[RoleId],
    moderator_role_ids: &[u64],
) -> bool {
    let by_permission = permissions.is_some_and(|p| {
        p.contains(Permissions::MANAGE_GUILD) || p.contains(Permissions::ADMINISTRATOR)
    });
    by_permission || roles.iter().any(|r| moderator_role_ids.contains(&r.get()))
}

/// What a moderator command is refused with outside a server (poise's `guild_only` says the same
/// in gateway mode, before the command runs).
pub const GUILD_ONLY: &str = "That command is for server moderators, inside a server.";

/// The moderator commands' first step, in both transports: refuses ephemerally and logs the attempt.
/// Checked in the command rather than as a poise check so that HTTP mode runs it too.
pub(super) async fn moderator(call: &Call<'_>) -> Result<bool, Error> {
    if call.interaction.guild_id.is_none() {
        call.send(render::ephemeral(GUILD_ONLY)).await?;
        return Ok(false);
    }
    let allowed_roles = &call.data.app.discord().moderator_role_ids;
    // Interactions carry the member with its computed permissions: no cache or HTTP needed.
    let allowed = call
        .interaction
        .member
        .as_deref()
        .is_some_and(|m| is_moderator(m.permissions, &m.roles, allowed_roles));
    if !allowed {
        tracing::warn!(
            user_id = %call.author().id,
            guild_id = ?call.interaction.guild_id.map(|g| g.get()),
            command = %call.interaction.data.name,
            "refused a moderator-only command"
        );
        call.send(render::ephemeral(
            "Only moderators can do that: it needs the Manage Server permission or a moderator role.",
        ))
        .await?;
    }
    Ok(allowed)
}

/// An episode file attached to /add: a caption or transcript by its name, at most `max` bytes
/// (`RELOAD_MAX_MB`). Checked before downloading it.
pub fn episode_attachment(filename: &str, size: u64, max: u64) -> Result<(), String> {
    let kinds = crate::dataset::EXTENSIONS;
    if crate::dataset::captions::CaptionFormat::from_file_name(filename).is_none() {
        return Err(format!(
            "`{}` is not a caption or transcript file: attach one of {}. Nothing was added.",
            render::quoted(filename),
            kinds.join(", ")
        ));
    }
    if size > max {
        return Err(format!("{} Nothing was added.", too_big(filename, max)));
    }
    Ok(())
}

/// Download an attachment already checked by name and announced size, checking the size again on
/// what arrives (the announced one is the client's word). The error is the user's message.
pub(super) async fn download(file: &serenity::Attachment, max: u64) -> Result<Vec<u8>, String> {
    match file.download().await {
        Ok(bytes) if bytes.len() as u64 > max => Err(too_big(&file.filename, max)),
        Ok(bytes) => Ok(bytes),
        Err(e) => {
            tracing::warn!(error = %e, "could not download the attachment");
            Err(format!(
                "{}: the attachment could not be downloaded; try again.",
                render::quoted(&file.filename)
            ))
        }
    }
}

/// An attachment over `RELOAD_MAX_MB`.
pub fn too_big(filename: &str, max: u64) -> String {
    format!(
        "{}: the file is larger than the {} MB limit (RELOAD_MAX_MB).",
        render::quoted(filename),
        max / (1024 * 1024)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn episode_attachments_are_checked_by_name_and_size() {
        let mb = 1024 * 1024;
        for ok in ["ep.vtt", "EP.SRT", "notes.txt", "t.md"] {
            assert!(episode_attachment(ok, 10, mb).is_ok(), "{ok}");
        }
        let wrong = episode_attachment("data.csv", 10, mb).unwrap_err();
        assert!(
            wrong.contains("not a caption or transcript file"),
            "{wrong}"
        );
        let big = episode_attachment("ep.vtt", 3 * mb, 2 * mb).unwrap_err();
        assert!(big.contains("larger than the 2 MB limit"), "{big}");
    }

    #[test]
    fn refuses_without_permission_or_role() {
        let roles = [RoleId::new(5), RoleId::new(6)];
        assert!(!is_moderator(None, &roles, &[7]));
        assert!(!is_moderator(
            Some(Permissions::SEND_MESSAGES | Permissions::MANAGE_MESSAGES),
            &roles,
            &[7]
        ));
        assert!(!is_moderator(Some(Permissions::empty()), &[], &[]));
    }

    #[test]
    fn accepts_manage_server_or_a_moderator_role() {
        assert!(is_moderator(Some(Permissions::MANAGE_GUILD), &[], &[]));
        assert!(is_moderator(Some(Permissions::ADMINISTRATOR), &[], &[]));
        assert!(is_moderator(None, &[RoleId::new(5), RoleId::new(7)], &[7]));
        assert!(is_moderator(
            Some(Permissions::SEND_MESSAGES),
            &[RoleId::new(7)],
            &[1, 7]
        ));
    }
}
