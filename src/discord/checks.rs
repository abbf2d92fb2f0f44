//! Who may run moderator commands. Checked in code: `default_member_permissions` alone can be
//! changed by a guild's owner.

use poise::serenity_prelude as serenity;
use serenity::{Permissions, RoleId};

use super::{render, Context, Error};

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

/// poise check for moderator commands: refuses ephemerally and logs the attempt.
pub async fn moderator_check(ctx: Context<'_>) -> Result<bool, Error> {
    let allowed_roles = &ctx.data().app.discord().moderator_role_ids;
    // Interactions carry the member with its computed permissions: no cache or HTTP needed.
    let allowed = ctx
        .author_member()
        .await
        .is_some_and(|m| is_moderator(m.permissions, &m.roles, allowed_roles));
    if !allowed {
        tracing::warn!(
            user_id = %ctx.author().id,
            guild_id = ?ctx.guild_id().map(|g| g.get()),
            command = %ctx.command().qualified_name,
            "refused a moderator-only command"
        );
        ctx.send(render::ephemeral(
            "Only moderators can do that: it needs the Manage Server permission or a moderator role.",
        ))
        .await?;
    }
    Ok(allowed)
}

#[cfg(test)]
mod tests {
    use super::*;

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
