//! Gateway sharding: several connections live at once, each IDENTIFYing as `[shard_id,
//! num_shards]`; the fake sends an interaction on the connection of the shard a test names (as
//! Discord sends a guild's events on its shard), and recommends a shard count in
//! `GET /gateway/bot` (for `SHARDS=auto`).

use std::time::Duration;

use serde_json::Value;

use super::{state::GatewayCommand, FakeDiscord, Interaction};

impl FakeDiscord {
    /// `GET /gateway/bot` answers `shards: n` from now on.
    pub fn recommend_shards(&self, n: u64) {
        self.shared.lock().recommended_shards = Some(n);
    }

    /// The `shard` field (`[shard_id, num_shards]`, `[0, 1]` when absent) of every IDENTIFY so far.
    pub fn identified_shards(&self) -> Vec<Value> {
        self.with(|s| {
            let mut ids: Vec<(&u64, &Value)> = s.connection_shards.iter().collect();
            ids.sort_by_key(|(connection, _)| **connection);
            ids.into_iter().map(|(_, shard)| shard.clone()).collect()
        })
    }

    /// Send INTERACTION_CREATE on the open connection that identified as shard `shard` (waiting up
    /// to 10 s for one), never on another.
    pub async fn dispatch_on_shard(&self, shard: u64, i: &Interaction) {
        let what = format!("an open connection identified as shard {shard}");
        let sender = self
            .wait_until(&what, Duration::from_secs(10), |s| {
                s.connection_shards
                    .iter()
                    .filter(|(_, sh)| sh[0].as_u64() == Some(shard))
                    .map(|(id, _)| *id)
                    .filter(|id| {
                        s.connections
                            .iter()
                            .any(|c| c.id == *id && c.closed_at.is_none())
                    })
                    .max()
                    .and_then(|id| s.senders.get(&id).cloned())
            })
            .await;
        self.record_dispatch(i);
        let dispatch = GatewayCommand::Dispatch {
            t: "INTERACTION_CREATE".into(),
            d: i.payload.clone(),
        };
        assert!(
            sender.send(dispatch).is_ok(),
            "shard {shard}'s connection closed before the interaction could be sent"
        );
    }
}
