//! Per-user /ask rate limit and the count of interactions still being answered (for shutdown).

use std::{
    num::NonZeroU32,
    sync::{
        atomic::{AtomicUsize, Ordering},
        Arc,
    },
    time::Duration,
};

use governor::{clock::Clock, DefaultKeyedRateLimiter, Quota, RateLimiter};

/// Keys kept before idle users are forgotten.
const FORGET_AFTER_KEYS: usize = 10_000;

/// `ask_per_minute` questions per user per minute (a burst of that size, refilled evenly).
pub struct AskLimiter {
    inner: DefaultKeyedRateLimiter<u64>,
}

impl AskLimiter {
    pub fn per_minute(n: u32) -> Self {
        let n = NonZeroU32::new(n).unwrap_or(NonZeroU32::MIN);
        AskLimiter {
            inner: RateLimiter::keyed(Quota::per_minute(n)),
        }
    }

    /// `Err(wait)` when `user` must wait before asking again.
    pub fn check(&self, user: u64) -> Result<(), Duration> {
        if self.inner.len() > FORGET_AFTER_KEYS {
            self.inner.retain_recent();
        }
        self.inner
            .check_key(&user)
            .map_err(|not_until| not_until.wait_time_from(self.inner.clock().now()))
    }
}

/// Counts interactions in progress; shutdown waits for it to reach zero.
#[derive(Clone, Default)]
pub struct InFlight(Arc<AtomicUsize>);

/// Held while one interaction is handled; dropping it (also on panic) ends it.
pub struct InFlightGuard(Arc<AtomicUsize>);

impl InFlight {
    pub fn enter(&self) -> InFlightGuard {
        self.0.fetch_add(1, Ordering::SeqCst);
        InFlightGuard(self.0.clone())
    }

    pub fn count(&self) -> usize {
        self.0.load(Ordering::SeqCst)
    }

    /// Wait until nothing is in flight or `limit` has passed; returns how many are left.
    pub async fn wait_idle(&self, limit: Duration) -> usize {
        let deadline = tokio::time::Instant::now() + limit;
        loop {
            let left = self.count();
            if left == 0 || tokio::time::Instant::now() >= deadline {
                return left;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

impl Drop for InFlightGuard {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limiter_is_per_user_and_says_how_long_to_wait() {
        let limiter = AskLimiter::per_minute(2);
        assert!(limiter.check(1).is_ok());
        assert!(limiter.check(1).is_ok());
        let wait = limiter
            .check(1)
            .expect_err("third question within a minute");
        assert!(
            wait > Duration::ZERO && wait <= Duration::from_secs(30),
            "{wait:?}"
        );
        assert!(limiter.check(2).is_ok(), "another user is not limited");
    }

    #[tokio::test]
    async fn wait_idle_returns_when_the_last_guard_drops() {
        let in_flight = InFlight::default();
        let guard = in_flight.enter();
        assert_eq!(in_flight.count(), 1);
        assert_eq!(in_flight.wait_idle(Duration::from_millis(60)).await, 1);
        let waiter = tokio::spawn({
            let f = in_flight.clone();
            async move { f.wait_idle(Duration::from_secs(10)).await }
        });
        tokio::time::sleep(Duration::from_millis(20)).await;
        drop(guard);
        assert_eq!(waiter.await.unwrap(), 0);
    }
}
