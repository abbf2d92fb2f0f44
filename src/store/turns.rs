//! A per-user rate limit kept in the database, so that every process sharing it counts the same
//! questions: behind a load balancer one user's requests reach any replica.
//!
//! GCRA, the algorithm governor runs in memory: each user has a theoretical arrival time `tat`;
//! a request at `now` is allowed when `max(tat, now) − now` is within the burst tolerance
//! (`interval × (burst − 1)`), and then moves `tat` on by one interval. One statement decides and
//! updates atomically on both backends (an upsert whose update only happens when allowed), and
//! `now` is the database's clock, so replicas whose clocks differ still agree.

use std::{
    sync::atomic::{AtomicU32, Ordering},
    time::Duration,
};

use super::{Dialect, Store, StoreError};
use crate::db;

/// Every this many checks a process deletes the rows at rest (their time has passed).
const SWEEP_EVERY: u32 = 1_000;

/// Connections a Postgres process keeps for the checks. Measured with 100 /ask in flight on two
/// replicas (`tests/discord_e2e/load.rs`, medians of 5 runs): with checks queued behind searches
/// on the 8 shared connections the deferred response's p50/p99 went from 69/199 ms (no shared
/// check) to 130/310 ms; on 2 of their own, 73/197 ms.
pub(super) const TURN_CONNECTIONS: u32 = 2;

impl Dialect {
    /// SQL for the database's current time in milliseconds since 1970 (one value per statement).
    fn now_ms(self) -> &'static str {
        match self {
            Dialect::Sqlite => "CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER)",
            Dialect::Postgres => "CAST(EXTRACT(EPOCH FROM statement_timestamp()) * 1000 AS BIGINT)",
        }
    }

    /// SQL for the larger of two values.
    fn max2(self) -> &'static str {
        match self {
            Dialect::Sqlite => "MAX",
            Dialect::Postgres => "GREATEST",
        }
    }
}

impl Store {
    /// Take one of `user`'s turns under a limit of `per_minute` a minute (a burst of that many,
    /// refilled evenly): `Ok(())`, or `Err(wait)` until the next one.
    pub async fn take_turn(
        &self,
        user: u64,
        per_minute: u32,
    ) -> Result<Result<(), Duration>, StoreError> {
        static CHECKS: AtomicU32 = AtomicU32::new(0);
        let per_minute = i64::from(per_minute.max(1));
        // at least 1 ms, so a limit past 60,000 a minute (config allows 10,000) cannot panic below
        let interval = (60_000 / per_minute).max(1);
        let tolerance = interval * (per_minute - 1);
        // Discord's ids fit in 63 bits; the cast keeps any u64 distinct.
        let user = user as i64;
        let taken: Option<i64> = db!(&self.turns, |c, d| sqlx::query_scalar(&format!(
            "INSERT INTO ask_turns (user_id, tat_ms) VALUES ($1, {now} + $2)
             ON CONFLICT (user_id) DO UPDATE SET tat_ms = {max}(ask_turns.tat_ms, {now}) + $2
             WHERE {max}(ask_turns.tat_ms, {now}) - {now} <= $3
             RETURNING tat_ms",
            now = d.now_ms(),
            max = d.max2(),
        ))
        .bind(user)
        .bind(interval)
        .bind(tolerance)
        .fetch_optional(c)
        .await)?;
        if CHECKS.fetch_add(1, Ordering::Relaxed) % SWEEP_EVERY == SWEEP_EVERY - 1 {
            db!(&self.turns, |c, d| sqlx::query(&format!(
                "DELETE FROM ask_turns WHERE tat_ms < {}",
                d.now_ms()
            ))
            .execute(c)
            .await
            .map(super::affected))?;
        }
        if taken.is_some() {
            return Ok(Ok(()));
        }
        let wait: Option<i64> = db!(&self.turns, |c, d| sqlx::query_scalar(&format!(
            "SELECT tat_ms - {} - $2 FROM ask_turns WHERE user_id = $1",
            d.now_ms()
        ))
        .bind(user)
        .bind(tolerance)
        .fetch_optional(c)
        .await)?;
        let wait = wait.unwrap_or(0).clamp(1, interval);
        Ok(Err(Duration::from_millis(wait as u64)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::testing;

    /// A database URL per backend to test on (SQLite; Postgres when the run asks for it), and
    /// the directory holding the SQLite file.
    fn urls(dir: &tempfile::TempDir) -> Vec<String> {
        let mut all = vec![format!("sqlite://{}/turns.db", dir.path().display())];
        if let Some(server) = testing::postgres_server() {
            all.push(testing::fresh_postgres_url(&server));
        }
        all
    }

    #[tokio::test]
    async fn two_stores_on_one_database_share_each_users_turns() {
        let dir = tempfile::tempdir().unwrap();
        for url in urls(&dir) {
            let (a, b) = (
                Store::open(&url).await.unwrap(),
                Store::open(&url).await.unwrap(),
            );
            // a burst of 3, taken through either store
            assert_eq!(a.take_turn(7, 3).await.unwrap(), Ok(()), "{url}");
            assert_eq!(b.take_turn(7, 3).await.unwrap(), Ok(()), "{url}");
            assert_eq!(a.take_turn(7, 3).await.unwrap(), Ok(()), "{url}");
            let wait = b
                .take_turn(7, 3)
                .await
                .unwrap()
                .expect_err("a fourth at once");
            assert!(
                wait > Duration::from_secs(18) && wait <= Duration::from_secs(20),
                "one interval (20 s) less the time taken: {wait:?} ({url})"
            );
            // refused turns are not counted: still one interval away
            let again = a.take_turn(7, 3).await.unwrap().expect_err("still limited");
            assert!(
                again <= wait && again > Duration::from_secs(18),
                "{again:?}"
            );
            // other users, and ids past 2^63, have their own
            assert_eq!(b.take_turn(8, 3).await.unwrap(), Ok(()), "{url}");
            assert_eq!(b.take_turn(u64::MAX, 1).await.unwrap(), Ok(()), "{url}");
            assert!(a.take_turn(u64::MAX, 1).await.unwrap().is_err(), "{url}");
            a.close().await;
            b.close().await;
        }
    }

    #[tokio::test]
    async fn a_turn_comes_back_after_one_interval() {
        let dir = tempfile::tempdir().unwrap();
        for url in urls(&dir) {
            let store = Store::open(&url).await.unwrap();
            // 60 a minute: one turn a second, a burst of 60. (600 a minute raced: on a busy
            // machine 600 writes took over the 100 ms interval, and a turn came back mid-burst.)
            for _ in 0..60 {
                assert_eq!(store.take_turn(1, 60).await.unwrap(), Ok(()), "{url}");
            }
            let wait = store
                .take_turn(1, 60)
                .await
                .unwrap()
                .expect_err("burst spent");
            assert!(wait <= Duration::from_secs(1), "{wait:?}");
            tokio::time::sleep(wait + Duration::from_millis(20)).await;
            assert_eq!(store.take_turn(1, 60).await.unwrap(), Ok(()), "{url}");
            store.close().await;
        }
    }
}
