//! Replying to an interaction, in one place: the acknowledgement (due within Discord's 3 s), the
//! answer streamed into the deferred response (`@original`), its final edit, and error replies.
//!
//! One retry policy covers every call that must land: a 429, a 5xx or a failed connection is
//! retried after a pause until the call succeeds, fails for another reason, or its deadline is near.
//! Acknowledgements go through an `Http` without serenity's rate limiter (see `http`), which would
//! sleep a 429's `retry_after` inside the call and miss the 3-second window; retrying here is brief.

use std::{
    future::Future,
    panic::AssertUnwindSafe,
    time::{Duration, Instant},
};

use futures::FutureExt;
use poise::serenity_prelude as serenity;
use tokio::{
    sync::{mpsc, watch},
    time::MissedTickBehavior,
};

use super::{
    call::{Call, Responder},
    render, Error,
};
use crate::{
    answer::{Answer, AnswerError},
    App,
};

/// Discord allows about one edit per second per message.
const EDIT_EVERY: Duration = Duration::from_millis(1100);

/// How long a call may keep being retried, and the pause between attempts.
#[derive(Clone, Copy)]
struct Patience {
    deadline: Duration,
    pause: Duration,
}

/// Acknowledgements: give up well before Discord's 3 s, after which the interaction is lost.
const ACKNOWLEDGE: Patience = Patience {
    deadline: Duration::from_millis(2500),
    pause: Duration::from_millis(250),
};

/// The final edit of a deferred response: otherwise the user is left waiting.
const FINAL_EDIT: Patience = Patience {
    deadline: Duration::from_secs(5),
    pause: Duration::from_millis(500),
};

/// Run a Discord call until it succeeds, fails for good, or the pause before another attempt would
/// reach the deadline.
async fn retry<T, F, Fut>(what: &'static str, patience: Patience, call: F) -> serenity::Result<T>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = serenity::Result<T>>,
{
    retry_when(what, patience, transient, call).await
}

/// The loop of `retry`, for any error `retryable` can judge.
async fn retry_when<T, E, F, Fut>(
    what: &'static str,
    patience: Patience,
    retryable: fn(&E) -> bool,
    mut call: F,
) -> Result<T, E>
where
    E: std::fmt::Display,
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, E>>,
{
    let started = Instant::now();
    let mut attempt = 1u32;
    loop {
        match call().await {
            Err(e) if retryable(&e) && started.elapsed() + patience.pause < patience.deadline => {
                tracing::warn!(error = %e, attempt, what, "Discord refused; retrying");
                tokio::time::sleep(patience.pause).await;
                attempt += 1;
            }
            other => return other,
        }
    }
}

/// `transient`, or "Unknown Message" (404, code 10008) for `@original`: in HTTP mode the deferral
/// is the body of our HTTP response, and an answer ready at once (not covered, quoted) can reach
/// Discord before it has processed that response. Seen under load (1 edit in ~10,000): without the
/// retry that answer was lost, the user left on "thinking…".
fn not_yet_or_transient(e: &serenity::Error) -> bool {
    use serenity::HttpError;
    transient(e)
        || matches!(e, serenity::Error::Http(HttpError::UnsuccessfulRequest(r))
            if r.status_code.as_u16() == 404 && r.error.code == 10008)
}

/// Rate limits, server errors and lost connections may pass; anything else would fail again.
fn transient(e: &serenity::Error) -> bool {
    use serenity::HttpError;
    match e {
        serenity::Error::Http(HttpError::UnsuccessfulRequest(r)) => {
            r.status_code.as_u16() == 429 || r.status_code.is_server_error()
        }
        serenity::Error::Http(HttpError::Request(e)) => !e.is_builder(),
        _ => false,
    }
}

/// An interaction's first response through Discord's callback endpoint, under the
/// acknowledgement's retry policy.
pub(super) async fn callback(
    http: &serenity::Http,
    id: serenity::InteractionId,
    token: &str,
    response: serenity::CreateInteractionResponse,
) -> serenity::Result<()> {
    use serenity::Builder;
    retry("acknowledge an interaction", ACKNOWLEDGE, || {
        response.clone().execute(http, (id, token))
    })
    .await
}

/// Answer a button or menu (`response` is its first and only response); failures are logged.
/// Returns whether it was acknowledged.
pub(super) async fn component(
    reply: &Responder<'_>,
    custom_id: &str,
    response: serenity::CreateInteractionResponse,
) -> bool {
    let sent = reply.initial(response).await;
    if let Err(e) = &sent {
        tracing::warn!(error = %e, custom_id, "could not answer a button or menu");
    }
    sent.is_ok()
}

/// poise's `defer`/`defer_ephemeral`, under the acknowledgement's retry policy.
pub(super) async fn defer(call: &Call<'_>, ephemeral: bool) -> Result<(), Error> {
    if call.reply.has_responded() {
        return Ok(());
    }
    call.reply.initial(render::defer(ephemeral)).await?;
    Ok(())
}

/// The last edit of a deferred response (the interaction `token`'s `@original`).
pub(super) async fn final_edit(
    http: &serenity::Http,
    token: &str,
    edit: &serenity::EditInteractionResponse,
) {
    let edited = retry_when(
        "edit the deferred response",
        FINAL_EDIT,
        not_yet_or_transient,
        || http.edit_original_interaction_response(token, edit, Vec::new()),
    )
    .await;
    if let Err(e) = edited {
        tracing::warn!(error = %e, "could not edit the deferred response");
    }
}

/// `final_edit` for an edit that uploads files (`EditInteractionResponse::new_attachment`): sent as
/// multipart/form-data, the files as `files[n]` parts.
pub(super) async fn final_edit_upload(
    http: &serenity::Http,
    token: &str,
    edit: &serenity::EditInteractionResponse,
) {
    use serenity::Builder;
    let edited = retry_when(
        "edit the deferred response with files",
        FINAL_EDIT,
        not_yet_or_transient,
        || edit.clone().execute(http, token),
    )
    .await;
    if let Err(e) = edited {
        tracing::warn!(error = %e, "could not edit the deferred response");
    }
}

/// Replace a deferred slash command's response with `text`.
pub(super) async fn finish(call: &Call<'_>, text: &str) {
    final_edit(call.reply.http, call.reply.token, &render::text_edit(text)).await;
}

/// Tell the user something failed: edit the deferred response if there is one, else reply ephemerally.
pub(super) async fn failure(call: &Call<'_>, message: &str) {
    if call.reply.has_responded() {
        finish(call, message).await;
        return;
    }
    if let Err(e) = call.send(render::ephemeral(message)).await {
        tracing::warn!(error = %e, "could not send an error message");
    }
}

/// Answer `question` into the deferred response of the interaction `token`: partial text while the
/// LLM streams (at most one edit per ~1.1 s), then the answer embed. The deferred response always gets
/// a final edit, also when answering fails or panics.
pub(super) async fn answer_into(
    http: &serenity::Http,
    token: &str,
    app: &App,
    question: &str,
    episode: Option<&str>,
) {
    let (tx, rx) = mpsc::unbounded_channel::<String>();
    stream_answer(
        http,
        token,
        question,
        rx,
        app.ask(question, episode, Some(&tx)),
    )
    .await;
}

/// The body of `answer_into` (and of a follow-up's, `followup`): `answering` streams its text
/// into `rx`.
pub(super) async fn stream_answer(
    http: &serenity::Http,
    token: &str,
    question: &str,
    mut rx: mpsc::UnboundedReceiver<String>,
    answering: impl Future<Output = Result<Answer, AnswerError>>,
) {
    let answering = AssertUnwindSafe(answering).catch_unwind();
    tokio::pin!(answering);
    let mut ticker = tokio::time::interval(EDIT_EVERY);
    ticker.set_missed_tick_behavior(MissedTickBehavior::Delay);
    let mut latest: Option<String> = None;
    // The partial edit in progress, polled beside the answer: serenity's limiter may sleep out a
    // 429 inside the call, and awaiting it here would stop reading the LLM's stream meanwhile.
    let mut editing: Option<futures::future::BoxFuture<'_, ()>> = None;
    let outcome = loop {
        tokio::select! {
            biased;
            outcome = &mut answering => break outcome,
            Some(text) = rx.recv() => latest = Some(text),
            () = async { editing.as_mut().expect("guarded by the condition").await }, if editing.is_some() => editing = None,
            _ = ticker.tick(), if editing.is_none() => {
                if let Some(text) = latest.take().filter(|t| !t.trim().is_empty()) {
                    editing = Some(Box::pin(partial_edit(http, token, text)));
                }
            }
        }
    };
    // The final edit must land after any partial one.
    if let Some(edit) = editing {
        edit.await;
    }
    let edit = match outcome {
        Ok(Ok(answer)) => {
            tracing::info!(
                mode = ?answer.mode,
                confident = answer.confident,
                sources = answer.sources.len(),
                latency_ms = answer.latency_ms,
                "answered"
            );
            render::answer_edit(question, &answer)
        }
        Ok(Err(e)) => render::text_edit(&user_message(&e)),
        Err(panic) => {
            tracing::error!(panic = panic_text(&*panic), "answering panicked");
            render::text_edit(render::GENERIC_ERROR)
        }
    };
    final_edit(http, token, &edit).await;
}

/// Run `work` while the deferred response of `token` shows the latest text of `status`, edited at
/// most once per ~1.1 s (best effort: a lost edit is replaced by the next). An edit in flight
/// lands before this returns, so the caller's final edit comes last.
pub(super) async fn with_status<T>(
    http: &serenity::Http,
    token: &str,
    mut status: watch::Receiver<String>,
    work: impl Future<Output = T>,
) -> T {
    tokio::pin!(work);
    let mut ticker = tokio::time::interval(EDIT_EVERY);
    ticker.set_missed_tick_behavior(MissedTickBehavior::Delay);
    // Polled beside the work, as in `answer_into`: serenity's limiter may sleep out a 429.
    let mut editing: Option<futures::future::BoxFuture<'_, ()>> = None;
    let out = loop {
        tokio::select! {
            biased;
            out = &mut work => break out,
            () = async { editing.as_mut().expect("guarded by the condition").await }, if editing.is_some() => editing = None,
            _ = ticker.tick(), if editing.is_none() => {
                if status.has_changed().unwrap_or(false) {
                    let text = status.borrow_and_update().clone();
                    if !text.trim().is_empty() {
                        editing = Some(Box::pin(status_edit(http, token, text)));
                    }
                }
            }
        }
    };
    if let Some(edit) = editing {
        edit.await;
    }
    out
}

async fn status_edit(http: &serenity::Http, token: &str, text: String) {
    let edit = render::text_edit(&text);
    if let Err(e) = http
        .edit_original_interaction_response(token, &edit, Vec::new())
        .await
    {
        tracing::debug!(error = %e, "could not show the progress");
    }
}

/// Best effort: a lost partial edit is replaced by the next one or the final edit.
async fn partial_edit(http: &serenity::Http, token: &str, text: String) {
    let edit = render::partial_edit(&text);
    if let Err(e) = http
        .edit_original_interaction_response(token, &edit, Vec::new())
        .await
    {
        tracing::debug!(error = %e, "could not show partial answer");
    }
}

/// A short message for the user; details go to the log.
fn user_message(e: &AnswerError) -> String {
    match e {
        AnswerError::EmptyQuestion => {
            "The question is empty; type what you want to know.".to_string()
        }
        AnswerError::Retrieve(inner) => {
            tracing::error!(error = %inner, "retrieval failed");
            "Sorry — searching the episodes failed. Please try again in a moment.".to_string()
        }
    }
}

/// The message of a caught panic, for the log.
pub(super) fn panic_text(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "non-string panic payload".to_string())
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicU32, Ordering};

    use super::*;

    const QUICK: Patience = Patience {
        deadline: Duration::from_millis(300),
        pause: Duration::from_millis(20),
    };

    /// Fails with `errors` in turn, then succeeds; counts the calls.
    async fn attempts(errors: &[&'static str]) -> (Result<u32, &'static str>, u32) {
        let calls = AtomicU32::new(0);
        let result = retry_when(
            "test",
            QUICK,
            |e: &&str| e.starts_with("busy"),
            || {
                let n = calls.fetch_add(1, Ordering::SeqCst);
                let outcome = errors.get(n as usize).map_or(Ok(n + 1), |e| Err(*e));
                async move { outcome }
            },
        )
        .await;
        (result, calls.load(Ordering::SeqCst))
    }

    #[tokio::test]
    async fn retries_transient_errors_until_the_call_succeeds() {
        assert_eq!(attempts(&["busy", "busy"]).await, (Ok(3), 3));
    }

    #[tokio::test]
    async fn stops_at_an_error_that_would_fail_again() {
        assert_eq!(attempts(&["busy", "gone"]).await, (Err("gone"), 2));
    }

    #[tokio::test]
    async fn stops_before_the_deadline() {
        let started = Instant::now();
        let (result, calls) = attempts(&["busy"; 1000]).await;
        assert_eq!(result, Err("busy"));
        assert!((2..=15).contains(&calls), "{calls} attempts in 300 ms");
        // Each attempt starts before the deadline (the last pause may overshoot on a busy machine).
        assert!(
            started.elapsed() < 2 * QUICK.deadline,
            "{:?}",
            started.elapsed()
        );
    }

    #[test]
    fn a_request_that_cannot_be_built_or_a_non_http_error_is_not_retried() {
        let not_http = serenity::Error::Other("no");
        assert!(!transient(&not_http));
        let builder = reqwest::Client::new()
            .get("not a url")
            .build()
            .expect_err("a builder error");
        assert!(!transient(&serenity::Error::from(builder)));
    }
}
