//! `gdbot serve --http ADDR`: interactions delivered by Discord as signed HTTP POSTs to the
//! application's Interactions Endpoint URL, instead of over a gateway connection. Nothing is kept
//! between requests beyond what the store keeps, so any number of replicas can answer.
//!
//! - `POST /interactions` only (other methods: 405), bodies up to 64 KB (413 beyond: Discord's
//!   interactions are a few KB; a component's carries its message, at most ~25 KB with ours).
//! - Every request is verified first (`verify`): a missing or bad signature, another key or a
//!   timestamp more than 5 minutes off gets 401 and nothing else happens.
//! - PING gets PONG. A command, button, menu or modal submission runs the same code as in gateway
//!   mode (`Call`, `super::component`, `super::modal`); its first response (the deferral, or the whole reply) is the body of our
//!   HTTP response (Discord's "inline" response, 200 + an Interaction Response object), and
//!   everything after it (the answer's edits of `@original`, follow-ups) goes through the REST API
//!   as in gateway mode. The handler keeps running after the response is sent, tracked like the
//!   gateway's, so shutdown drains it.

mod dispatch;
mod verify;

use std::{
    future::Future,
    panic::AssertUnwindSafe,
    sync::{atomic::AtomicBool, Arc},
    time::{Duration, SystemTime},
};

use axum::{
    body::Bytes,
    extract::{DefaultBodyLimit, State},
    http::{header, HeaderMap, StatusCode},
    response::{IntoResponse, Response},
    routing::post,
    Router,
};
use futures::FutureExt;
use poise::serenity_prelude as serenity;
use secrecy::ExposeSecret;
use tokio::{net::TcpListener, sync::oneshot};

use verify::Verifier;

use super::{
    call::{Call, Initial, Responder},
    http, limits, render, respond, Data, Error, ServeError, BAD_OPTIONS, DRAIN_LIMIT,
};
use crate::App;

/// Where Discord POSTs interactions (the Interactions Endpoint URL's path).
pub const PATH: &str = "/interactions";

/// Largest request body read.
pub const MAX_BODY: usize = 64 * 1024;

/// How long a request waits for its handler's first response: Discord gives up at 3 s.
const RESPOND_WITHIN: Duration = Duration::from_secs(3);

/// What every request handler shares.
struct Hook {
    data: Data,
    /// REST without serenity's rate limiter, as the gateway client's (see `http`).
    http: Arc<serenity::Http>,
    verifier: Verifier,
    commands: Vec<poise::Command<Data, Error>>,
}

/// Serve interactions POSTed to `listener` until `shutdown` resolves; then stop accepting, let the
/// requests and the interactions still being answered finish (up to 10 s), and close the store.
pub async fn serve_http(
    app: App,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), ServeError> {
    let discord = app.discord();
    let token = discord.token.clone().ok_or(ServeError::MissingToken)?;
    let key = discord.public_key.ok_or(ServeError::MissingPublicKey)?;
    let rest = Arc::new(http::Rest::new(
        token.expose_secret(),
        discord.api_base.as_deref(),
    )?);
    let hook = Arc::new(Hook {
        http: Arc::new(rest.callbacks()),
        data: Data::new(app.clone(), rest),
        verifier: Verifier::new(key),
        commands: super::commands(),
    });
    let registering = tokio::spawn(register(hook.clone(), discord.guild_id));
    let router = Router::new()
        .route(PATH, post(interaction))
        .layer(DefaultBodyLimit::max(MAX_BODY))
        .with_state(hook.clone());
    if let Ok(addr) = listener.local_addr() {
        tracing::info!(%addr, "listening for Discord interactions on http://{addr}{PATH}");
    }
    let served = axum::serve(listener, router)
        .with_graceful_shutdown(shutdown)
        .await
        .map_err(ServeError::Listen);
    tracing::info!("shutting down: no new interactions are accepted");
    registering.abort();
    let left = limits::drain(&hook.data.in_flight, DRAIN_LIMIT).await;
    if left > 0 {
        tracing::warn!(
            left,
            "interactions still running after {} s; stopping anyway",
            DRAIN_LIMIT.as_secs()
        );
    }
    app.close().await;
    served
}

/// Register the slash commands (as gateway mode does on READY); the application id comes from
/// `GET /oauth2/applications/@me` here, and from every interaction too.
async fn register(hook: Arc<Hook>, guild_id: Option<u64>) {
    match hook.http.get_current_application_info().await {
        Ok(info) => hook.http.set_application_id(info.id),
        Err(e) => {
            tracing::error!(error = %e, "could not register slash commands: GET /oauth2/applications/@me failed");
            return;
        }
    }
    let limited = hook.data.stream_http(&hook.http);
    super::register(&limited, &hook.commands, guild_id).await;
}

/// `POST /interactions`.
async fn interaction(State(hook): State<Arc<Hook>>, headers: HeaderMap, body: Bytes) -> Response {
    let header = |name: &str| headers.get(name).map(|v| v.as_bytes());
    let signature = header("x-signature-ed25519");
    let timestamp = header("x-signature-timestamp");
    if let Err(why) = hook
        .verifier
        .check(signature, timestamp, &body, SystemTime::now())
    {
        tracing::warn!(reason = %why, "refused an interaction request (401)");
        return (StatusCode::UNAUTHORIZED, why.to_string()).into_response();
    }
    #[derive(serde::Deserialize)]
    struct Kind {
        #[serde(rename = "type")]
        kind: u8,
    }
    // PING (Discord checking the endpoint) needs nothing but its type.
    // (serenity's `Pong` would add `"data": null`.)
    if serde_json::from_slice::<Kind>(&body).is_ok_and(|k| k.kind == 1) {
        return (
            [(header::CONTENT_TYPE, "application/json")],
            r#"{"type":1}"#,
        )
            .into_response();
    }
    let parsed = match serde_json::from_slice::<serenity::Interaction>(&body) {
        Ok(i) => i,
        Err(e) => {
            tracing::warn!(error = %e, "a signed interaction could not be read");
            return (StatusCode::BAD_REQUEST, "not an interaction").into_response();
        }
    };
    match parsed {
        serenity::Interaction::Command(c) => {
            first_response(&hook, Work::Command(Box::new(c))).await
        }
        serenity::Interaction::Component(c) => {
            first_response(&hook, Work::Component(Box::new(c))).await
        }
        serenity::Interaction::Modal(m) => first_response(&hook, Work::Modal(Box::new(m))).await,
        serenity::Interaction::Autocomplete(c) => {
            let choices = dispatch::autocomplete(&hook.data, &hook.commands, &c).await;
            let choices = choices.unwrap_or_else(serenity::CreateAutocompleteResponse::new);
            json(&serenity::CreateInteractionResponse::Autocomplete(choices))
        }
        other => {
            tracing::warn!(kind = ?other.kind(), "an interaction of a type this bot does not handle");
            (StatusCode::BAD_REQUEST, "unhandled interaction type").into_response()
        }
    }
}

/// An interaction answered by a handler that keeps running after the first response.
enum Work {
    Command(Box<serenity::CommandInteraction>),
    Component(Box<serenity::ComponentInteraction>),
    Modal(Box<serenity::ModalInteraction>),
}

/// Run the handler of `work` in a tracked task and answer the request with its first response.
async fn first_response(hook: &Arc<Hook>, work: Work) -> Response {
    let application = match &work {
        Work::Command(c) => c.application_id,
        Work::Component(c) => c.application_id,
        Work::Modal(m) => m.application_id,
    };
    // The REST clients' interaction-webhook routes need it (set once; the same every time).
    hook.http.set_application_id(application);
    let (initial, first) = Initial::body();
    let hook = hook.clone();
    let in_flight = hook.data.in_flight.clone();
    in_flight.spawn(async move {
        let sent = AtomicBool::new(false);
        match &work {
            Work::Command(c) => {
                let reply = Responder::new(&hook.http, c.id, &c.token, &initial, &sent);
                run_command(&hook.data, c, reply).await;
            }
            Work::Component(c) => {
                let reply = Responder::new(&hook.http, c.id, &c.token, &initial, &sent);
                super::component(&hook.data, c, &reply).await;
            }
            Work::Modal(m) => {
                let reply = Responder::new(&hook.http, m.id, &m.token, &initial, &sent);
                super::modal(&hook.data, m, &reply).await;
            }
        }
    });
    answer(first).await
}

/// The HTTP response: the handler's first response as JSON, once it has one.
async fn answer(first: oneshot::Receiver<serenity::CreateInteractionResponse>) -> Response {
    match tokio::time::timeout(RESPOND_WITHIN, first).await {
        Ok(Ok(response)) => json(&response),
        Ok(Err(_)) => {
            tracing::error!("an interaction's handler ended without responding");
            json(&render::component_ephemeral(render::GENERIC_ERROR))
        }
        Err(_) => {
            tracing::warn!("no response to an interaction within 3 s; Discord has given up on it");
            StatusCode::SERVICE_UNAVAILABLE.into_response()
        }
    }
}

fn json(response: &serenity::CreateInteractionResponse) -> Response {
    match serde_json::to_vec(response) {
        Ok(body) => ([(header::CONTENT_TYPE, "application/json")], body).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "could not write an interaction response");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

/// A slash command: dispatched to its `run`; errors and panics answered as poise's `on_error`
/// answers them in gateway mode.
async fn run_command(data: &Data, c: &serenity::CommandInteraction, reply: Responder<'_>) {
    let call = Call {
        data,
        interaction: c,
        reply,
    };
    let command = &c.data.name;
    let message = match AssertUnwindSafe(dispatch::command(&call))
        .catch_unwind()
        .await
    {
        Ok(Ok(())) => return,
        Ok(Err(dispatch::Failed::Option(name))) => {
            tracing::warn!(%command, option = name, "bad command arguments");
            BAD_OPTIONS
        }
        Ok(Err(dispatch::Failed::Unknown(name))) => {
            tracing::warn!(command = %name, "an interaction for a command this version does not have");
            "This command is not known to this version of the bot."
        }
        Ok(Err(dispatch::Failed::Command(error))) => {
            tracing::error!(%command, %error, "command failed");
            render::GENERIC_ERROR
        }
        Err(panic) => {
            tracing::error!(%command, panic = respond::panic_text(&*panic), "command panicked");
            render::GENERIC_ERROR
        }
    };
    respond::failure(&call, message).await;
}
