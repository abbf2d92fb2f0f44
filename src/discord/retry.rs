//! Acknowledgements that survive a rate limit or a server hiccup.
//!
//! An interaction must be acknowledged within 3 s or it is lost. Callbacks go through an `Http`
//! without serenity's rate limiter (see `http`), which would sleep a 429's `retry_after` inside the
//! call; here a 429/5xx acknowledgement is retried instead, briefly, while the window allows.

use std::{
    future::Future,
    sync::atomic::Ordering,
    time::{Duration, Instant},
};

use poise::serenity_prelude as serenity;

use super::{render, Context, Error};

/// Give up retrying this long after the first attempt (Discord's limit is 3 s).
const ACK_BUDGET: Duration = Duration::from_millis(2500);
const PAUSE: Duration = Duration::from_millis(250);

/// Send an acknowledgement, retrying 429 and 5xx answers while the 3-second window allows.
pub(super) async fn acknowledge<F, Fut>(mut send: F) -> serenity::Result<()>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = serenity::Result<()>>,
{
    let started = Instant::now();
    loop {
        match send().await {
            Err(serenity::Error::Http(e))
                if e.status_code()
                    .is_some_and(|s| s.as_u16() == 429 || s.is_server_error())
                    && started.elapsed() + PAUSE < ACK_BUDGET =>
            {
                tracing::warn!(error = %e, "acknowledgement refused; retrying");
                tokio::time::sleep(PAUSE).await;
            }
            other => return other,
        }
    }
}

/// poise's `defer`/`defer_ephemeral`, with the retry above.
pub(super) async fn defer(ctx: Context<'_>, ephemeral: bool) -> Result<(), Error> {
    let poise::Context::Application(actx) = ctx else {
        return Ok(());
    };
    if actx.has_sent_initial_response.load(Ordering::SeqCst) {
        return Ok(());
    }
    let response = render::defer(ephemeral);
    acknowledge(|| {
        actx.interaction
            .create_response(ctx.http(), response.clone())
    })
    .await?;
    actx.has_sent_initial_response.store(true, Ordering::SeqCst);
    Ok(())
}
