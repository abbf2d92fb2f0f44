//! Which gateway shards this process connects (`SHARDS`, `SHARD_RANGE`).
//!
//! Discord sends a guild's events to shard `(guild_id >> 22) % total`; a bot past 2,500 guilds
//! must shard. Several processes split the shards by each running a range of the same total
//! (`SHARDS=8`, `SHARD_RANGE=0-3` here and `4-7` elsewhere). serenity starts the shards of one
//! process 5 s apart (Discord's IDENTIFY limit); processes must stagger themselves.

use poise::serenity_prelude as serenity;

use super::ServeError;
use crate::config::{ShardTotal, Sharding};

/// Connect this process's shards; resolves when they have all stopped.
pub(super) async fn start(
    client: &mut serenity::Client,
    sharding: Sharding,
) -> Result<(), ServeError> {
    let started = match sharding.fixed() {
        None => {
            tracing::info!("connecting to the Discord gateway: as many shards as GET /gateway/bot recommends (SHARDS=auto)");
            client.start_autosharded().await
        }
        Some((0, 0, 1)) => {
            tracing::info!("connecting to the Discord gateway");
            client.start().await
        }
        Some((first, last, total)) => {
            tracing::info!(
                first,
                last,
                total,
                "connecting to the Discord gateway: shards {first} to {last} of {total}"
            );
            // serenity reads the range's end as the last shard (inclusive), as its docs say.
            client.start_shard_range(first..last, total).await
        }
    };
    started.map_err(|e| match (sharding.total, &e) {
        // start_autosharded asks Discord first: say so rather than "the connection ended".
        (ShardTotal::Auto, serenity::Error::Http(_)) => ServeError::Shards(format!(
            "SHARDS=auto could not ask Discord how many shards to run (GET /gateway/bot): {e}"
        )),
        _ => ServeError::Gateway(e),
    })
}
