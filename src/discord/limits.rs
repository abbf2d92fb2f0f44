//! Per-user /ask rate limit, and the drain of interactions still being answered at shutdown
//! (each handler holds a token of the `TaskTracker` while it runs; dropping it, also on panic, ends it).

use std::{num::NonZeroU32, time::Duration};

use governor::{clock::Clock, DefaultKeyedRateLimiter, Quota, RateLimiter};
use tokio_util::task::TaskTracker;

use crate::App;

/// Keys kept before idle users are forgotten.
const FORGET_AFTER_KEYS: usize = 10_000;

/// `ask_per_minute` questions per user per minute (a burst of that size, refilled evenly),
/// counted in the shared database when there is one (`App::shared_turn`), else in this process.
pub struct AskLimiter {
    per_minute: u32,
    inner: DefaultKeyedRateLimiter<u64>,
}

impl AskLimiter {
    pub fn per_minute(n: u32) -> Self {
        let n = NonZeroU32::new(n).unwrap_or(NonZeroU32::MIN);
        AskLimiter {
            per_minute: n.get(),
            inner: RateLimiter::keyed(Quota::per_minute(n)),
        }
    }

    /// `Err(wait)` when `user` must wait before asking again.
    pub async fn check(&self, app: &App, user: u64) -> Result<(), Duration> {
        match app.shared_turn(user, self.per_minute).await {
            Some(turn) => turn,
            None => self.check_here(user),
        }
    }

    /// The count of this process alone.
    fn check_here(&self, user: u64) -> Result<(), Duration> {
        if self.inner.len() > FORGET_AFTER_KEYS {
            self.inner.retain_recent();
        }
        self.inner
            .check_key(&user)
            .map_err(|not_until| not_until.wait_time_from(self.inner.clock().now()))
    }
}

/// Close `in_flight` and wait until the interactions it tracks are answered or `limit` has
/// passed; returns how many are left.
pub(super) async fn drain(in_flight: &TaskTracker, limit: Duration) -> usize {
    in_flight.close();
    // A timeout only means some are left, which the count says.
    let _ = tokio::time::timeout(limit, in_flight.wait()).await;
    in_flight.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limiter_is_per_user_and_says_how_long_to_wait() {
        let limiter = AskLimiter::per_minute(2);
        assert!(limiter.check_here(1).is_ok());
        assert!(limiter.check_here(1).is_ok());
        let wait = limiter
            .check_here(1)
            .expect_err("third question within a minute");
        assert!(
            wait > Duration::ZERO && wait <= Duration::from_secs(30),
            "{wait:?}"
        );
        assert!(limiter.check_here(2).is_ok(), "another user is not limited");
    }

    #[tokio::test]
    async fn drain_returns_when_the_last_token_drops() {
        let in_flight = TaskTracker::new();
        let token = in_flight.token();
        assert_eq!(in_flight.len(), 1);
        assert_eq!(drain(&in_flight, Duration::from_millis(60)).await, 1);
        let waiter = tokio::spawn({
            let f = in_flight.clone();
            async move { drain(&f, Duration::from_secs(10)).await }
        });
        tokio::time::sleep(Duration::from_millis(20)).await;
        drop(token);
        assert_eq!(waiter.await.unwrap(), 0);
    }
}
