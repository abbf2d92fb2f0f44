//! The Discord front end: the only module that knows Discord. It translates between interactions and
//! `App`; all answering, lookup and import logic lives in the core.
//!
//! Commands: /ask, /episode, /reload, /enrich, /add, /stats (one file each, importing only the shared modules, never each
//! other); replying to an interaction in `respond`, shared episode lookups in `lookup`, pure payload
//! rendering in `render`.

mod add;
mod ask;
mod call;
mod checks;
mod enrich;
mod episode;
mod followup;
mod http;
mod limits;
mod lookup;
mod reload;
pub mod render;
mod respond;
mod shards;
mod sources;
mod stats;
mod webhook;

use std::{future::Future, sync::Arc, time::Duration};

use poise::serenity_prelude as serenity;
use tokio_util::task::TaskTracker;

pub use checks::is_moderator;
pub use limits::AskLimiter;
pub use reload::check_attachment;
pub use webhook::serve_http;

use crate::App;

pub type Error = Box<dyn std::error::Error + Send + Sync>;
pub type Context<'a> = poise::Context<'a, Data, Error>;

/// How long shutdown waits for interactions still being answered.
const DRAIN_LIMIT: Duration = Duration::from_secs(10);

/// State shared by every command and component handler.
#[derive(Clone)]
pub struct Data {
    pub app: App,
    limiter: Arc<AskLimiter>,
    /// Interactions being handled; shutdown drains them.
    in_flight: TaskTracker,
    rest: Arc<http::Rest>,
}

impl Data {
    fn new(app: App, rest: Arc<http::Rest>) -> Self {
        Data {
            limiter: Arc::new(AskLimiter::per_minute(app.discord().ask_per_minute)),
            in_flight: TaskTracker::new(),
            app,
            rest,
        }
    }

    /// A rate-limited REST client of its own for one answer stream (see `http`).
    fn stream_http(&self, main: &serenity::Http) -> serenity::Http {
        self.rest.limited(main)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error(
        "DISCORD_TOKEN is not set; create a bot at https://discord.com/developers/applications and put its token in .env"
    )]
    MissingToken,
    #[error("could not set up the Discord client")]
    Client(#[source] serenity::Error),
    #[error("the Discord gateway connection ended")]
    Gateway(#[source] serenity::Error),
    #[error(transparent)]
    Rest(#[from] http::SetupError),
    #[error("DISCORD_PUBLIC_KEY is not set; `serve --http` verifies every interaction with it: copy the PUBLIC KEY from the application's General Information page")]
    MissingPublicKey,
    #[error("the HTTP interactions server failed")]
    Listen(#[source] std::io::Error),
    #[error("the gateway shards cannot be started: {0}")]
    Shards(String),
}

/// Run the bot until `shutdown` resolves (or the gateway connection fails for good).
///
/// On shutdown: the gateway connection is closed, interactions in flight get up to 10 s to finish,
/// then the store is closed.
pub async fn serve(
    app: App,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), ServeError> {
    let token = app
        .discord()
        .token
        .clone()
        .ok_or(ServeError::MissingToken)?;
    let rest = Arc::new(http::Rest::new(
        secrecy::ExposeSecret::expose_secret(&token),
        app.discord().api_base.as_deref(),
    )?);
    let http = rest.callbacks();
    let data = Data::new(app.clone(), rest);
    let in_flight = data.in_flight.clone();
    // Slash commands need no privileged intent (nor any other).
    let intents = serenity::GatewayIntents::empty();
    let mut client = serenity::ClientBuilder::new_with_http(http, intents)
        .framework(framework(data, app.discord().guild_id))
        .await
        .map_err(ServeError::Client)?;
    match client.http.get_bot_gateway().await {
        Ok(gateway) => *client.ws_url.lock().await = gateway.url,
        Err(e) => tracing::warn!(
            error = %e,
            "cannot reach Discord (GET /gateway/bot); the gateway connection will be retried"
        ),
    }
    let shards = client.shard_manager.clone();
    let sharding = app.discord().sharding;
    let result = {
        let running = shards::start(&mut client, sharding);
        tokio::pin!(running, shutdown);
        tokio::select! {
            ended = &mut running => ended,
            () = &mut shutdown => {
                tracing::info!("shutting down: closing the gateway connection");
                shards.shutdown_all().await;
                if tokio::time::timeout(Duration::from_secs(5), &mut running).await.is_err() {
                    tracing::warn!("the gateway connection did not close within 5 s");
                }
                Ok(())
            }
        }
    };
    if let Err(e) = &result {
        tracing::error!(error = %e, cause = ?std::error::Error::source(e).map(ToString::to_string), "Discord connection ended");
        shards.shutdown_all().await;
    }
    let left = limits::drain(&in_flight, DRAIN_LIMIT).await;
    if left > 0 {
        tracing::warn!(
            left,
            "interactions still running after {} s; stopping anyway",
            DRAIN_LIMIT.as_secs()
        );
    }
    app.close().await;
    result
}

/// Every slash command, as poise declares them (registration; gateway dispatch; the options and
/// autocompletes HTTP mode reads).
fn commands() -> Vec<poise::Command<Data, Error>> {
    vec![
        ask::ask(),
        episode::episode(),
        reload::reload(),
        enrich::enrich(),
        add::add(),
        stats::stats(),
    ]
}

fn framework(data: Data, guild_id: Option<u64>) -> poise::Framework<Data, Error> {
    let options = poise::FrameworkOptions {
        commands: commands(),
        on_error: |error| Box::pin(on_error(error)),
        event_handler: |fw, event| Box::pin(on_event(fw, event)),
        allowed_mentions: Some(render::no_mentions()),
        ..Default::default()
    };
    poise::Framework::builder()
        .options(options)
        // No owner-only commands: skip GET /oauth2/applications/@me.
        .initialize_owners(false)
        .setup(move |ctx, ready, fw| {
            Box::pin(async move {
                tracing::info!(bot = %ready.user.name, guilds = ready.guilds.len(), "connected to Discord");
                // Through serenity's rate limiter (registration has a small daily budget).
                let http = data.stream_http(&ctx.http);
                register(&http, &fw.options().commands, guild_id).await;
                Ok(data)
            })
        })
        .build()
}

/// Register the slash commands in `guild_id`, or globally; failures are logged (commands
/// registered earlier keep working).
async fn register(
    http: &serenity::Http,
    commands: &[poise::Command<Data, Error>],
    guild_id: Option<u64>,
) {
    let registered = match guild_id.filter(|g| *g != 0).map(serenity::GuildId::new) {
        Some(guild) => poise::builtins::register_in_guild(http, commands, guild).await,
        None => poise::builtins::register_globally(http, commands).await,
    };
    match registered {
        Ok(()) => tracing::info!(guild_id, "slash commands registered"),
        Err(e) => tracing::error!(error = %e, "could not register slash commands"),
    }
}

/// Buttons, select menus and modals (slash commands go through poise's own dispatch).
async fn on_event(
    fw: poise::FrameworkContext<'_, Data, Error>,
    event: &serenity::FullEvent,
) -> Result<(), Error> {
    if let serenity::FullEvent::InteractionCreate {
        interaction: serenity::Interaction::Modal(m),
    } = event
    {
        let sent = std::sync::atomic::AtomicBool::new(false);
        let http = &fw.serenity_context.http;
        let reply = call::Responder::new(http, m.id, &m.token, &call::CALLBACK, &sent);
        modal(fw.user_data, m, &reply).await;
        return Ok(());
    }
    let serenity::FullEvent::InteractionCreate {
        interaction: serenity::Interaction::Component(c),
    } = event
    else {
        return Ok(());
    };
    let sent = std::sync::atomic::AtomicBool::new(false);
    let reply = call::Responder::new(
        &fw.serenity_context.http,
        c.id,
        &c.token,
        &call::CALLBACK,
        &sent,
    );
    component(fw.user_data, c, &reply).await;
    Ok(())
}

/// A button or menu, whichever transport delivered it; a panic is logged.
async fn component(data: &Data, c: &serenity::ComponentInteraction, reply: &call::Responder<'_>) {
    let _busy = data.in_flight.token();
    let handled = std::panic::AssertUnwindSafe(async {
        // Only ids this version makes are routed; anything else (an older version's, garbage) is
        // told it expired rather than left to fail.
        let id = &c.data.custom_id;
        if render::parse_feedback_id(id).is_some() {
            ask::on_feedback(reply, data, c).await;
        } else if render::parse_question_pick_id(id).is_some() {
            episode::on_question_pick(reply, data, c).await;
        } else if render::parse_followup_id(id).is_some() {
            followup::on_button(reply, c).await;
        } else {
            expired_component(reply, c).await;
        }
    });
    if let Err(panic) = futures::FutureExt::catch_unwind(handled).await {
        tracing::error!(
            panic = respond::panic_text(&*panic),
            "component handler panicked"
        );
    }
}

/// A submitted modal, whichever transport delivered it; a panic is logged.
async fn modal(data: &Data, m: &serenity::ModalInteraction, reply: &call::Responder<'_>) {
    let _busy = data.in_flight.token();
    let handled = std::panic::AssertUnwindSafe(followup::on_submit(reply, data, m));
    if let Err(panic) = futures::FutureExt::catch_unwind(handled).await {
        tracing::error!(
            panic = respond::panic_text(&*panic),
            "modal handler panicked"
        );
    }
}

/// What a button or menu the bot no longer knows gets (an older version's, or garbage), instead of
/// Discord's "This interaction failed".
pub const EXPIRED_COMPONENT: &str =
    "This button or menu has expired (the bot has changed since it was posted). Run the command again.";

async fn expired_component(reply: &call::Responder<'_>, c: &serenity::ComponentInteraction) {
    let id = &c.data.custom_id;
    tracing::debug!(custom_id = %id, "unknown component: answering that it expired");
    respond::component(reply, id, render::component_ephemeral(EXPIRED_COMPONENT)).await;
}

/// `respond::failure` for poise's error paths (gateway mode).
async fn fail(ctx: Context<'_>, message: &str) {
    if let Some(call) = call::Call::gateway(ctx) {
        respond::failure(&call, message).await;
    }
}

/// What a command whose options could not be read gets.
const BAD_OPTIONS: &str = "I could not read those options; please check them and try again.";

/// Every framework error ends here: a short message for the user, details in the log.
async fn on_error(error: poise::FrameworkError<'_, Data, Error>) {
    use poise::FrameworkError as E;
    match error {
        E::Setup { error, .. } => tracing::error!(%error, "bot setup failed"),
        E::EventHandler { error, .. } => tracing::error!(%error, "event handler failed"),
        E::Command { error, ctx, .. } => {
            tracing::error!(command = %ctx.command().qualified_name, %error, "command failed");
            fail(ctx, render::GENERIC_ERROR).await;
        }
        E::CommandPanic { payload, ctx, .. } => {
            tracing::error!(command = %ctx.command().qualified_name, panic = ?payload, "command panicked");
            fail(ctx, render::GENERIC_ERROR).await;
        }
        E::ArgumentParse { error, ctx, .. } => {
            tracing::warn!(command = %ctx.command().qualified_name, %error, "bad command arguments");
            fail(ctx, BAD_OPTIONS).await;
        }
        // The check already told the user why.
        E::CommandCheckFailed { error: None, .. } => {}
        E::CommandCheckFailed {
            error: Some(error),
            ctx,
            ..
        } => {
            tracing::error!(%error, "permission check failed");
            fail(ctx, render::GENERIC_ERROR).await;
        }
        E::MissingUserPermissions { ctx, .. } | E::GuildOnly { ctx, .. } => {
            fail(ctx, checks::GUILD_ONLY).await;
        }
        other => {
            if let Err(e) = poise::builtins::on_error(other).await {
                tracing::error!(error = %e, "could not report an error");
            }
        }
    }
}
