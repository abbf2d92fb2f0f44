//! The Discord front end: the only module that knows Discord. It translates between interactions and
//! `App`; all answering, lookup and import logic lives in the core.
//!
//! Commands: /ask, /episode, /reload, /enrich, /add (one file each, importing only the shared modules, never each
//! other); replying to an interaction in `respond`, shared episode lookups in `lookup`, pure payload
//! rendering in `render`.

mod add;
mod ask;
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

use std::{future::Future, sync::Arc, time::Duration};

use poise::serenity_prelude as serenity;
use tokio_util::task::TaskTracker;

pub use checks::is_moderator;
pub use limits::AskLimiter;
pub use reload::check_attachment;

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
    tracing::info!("connecting to the Discord gateway");
    let result = {
        let running = client.start();
        tokio::pin!(running, shutdown);
        tokio::select! {
            ended = &mut running => ended.map_err(ServeError::Gateway),
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

fn framework(data: Data, guild_id: Option<u64>) -> poise::Framework<Data, Error> {
    let options = poise::FrameworkOptions {
        commands: vec![
            ask::ask(),
            episode::episode(),
            reload::reload(),
            enrich::enrich(),
            add::add(),
        ],
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
                let commands = &fw.options().commands;
                // Through serenity's rate limiter (registration has a small daily budget).
                let http = data.stream_http(&ctx.http);
                let registered = match guild_id.filter(|g| *g != 0).map(serenity::GuildId::new) {
                    Some(guild) => poise::builtins::register_in_guild(&http, commands, guild).await,
                    None => poise::builtins::register_globally(&http, commands).await,
                };
                match registered {
                    Ok(()) => tracing::info!(guild_id, "slash commands registered"),
                    // Keep serving: commands registered earlier still work.
                    Err(e) => tracing::error!(error = %e, "could not register slash commands"),
                }
                Ok(data)
            })
        })
        .build()
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
        let _busy = fw.user_data.in_flight.token();
        let handled = followup::on_submit(fw.serenity_context, fw.user_data, m);
        if let Err(panic) =
            futures::FutureExt::catch_unwind(std::panic::AssertUnwindSafe(handled)).await
        {
            tracing::error!(
                panic = respond::panic_text(&*panic),
                "modal handler panicked"
            );
        }
        return Ok(());
    }
    let serenity::FullEvent::InteractionCreate {
        interaction: serenity::Interaction::Component(c),
    } = event
    else {
        return Ok(());
    };
    let data = fw.user_data;
    let _busy = data.in_flight.token();
    let ctx = fw.serenity_context;
    let handled = std::panic::AssertUnwindSafe(async {
        // Only ids this version makes are routed; anything else (an older version's, garbage) is
        // told it expired rather than left to fail.
        let id = &c.data.custom_id;
        if render::parse_feedback_id(id).is_some() {
            ask::on_feedback(ctx, data, c).await;
        } else if render::parse_question_pick_id(id).is_some() {
            episode::on_question_pick(ctx, data, c).await;
        } else if render::parse_followup_id(id).is_some() {
            followup::on_button(ctx, c).await;
        } else {
            expired_component(ctx, c).await;
        }
    });
    if let Err(panic) = futures::FutureExt::catch_unwind(handled).await {
        tracing::error!(
            panic = respond::panic_text(&*panic),
            "component handler panicked"
        );
    }
    Ok(())
}

/// What a button or menu the bot no longer knows gets (an older version's, or garbage), instead of
/// Discord's "This interaction failed".
pub const EXPIRED_COMPONENT: &str =
    "This button or menu has expired (the bot has changed since it was posted). Run the command again.";

async fn expired_component(ctx: &serenity::Context, c: &serenity::ComponentInteraction) {
    tracing::debug!(custom_id = %c.data.custom_id, "unknown component: answering that it expired");
    respond::component(ctx, c, render::component_ephemeral(EXPIRED_COMPONENT)).await;
}

/// Every framework error ends here: a short message for the user, details in the log.
async fn on_error(error: poise::FrameworkError<'_, Data, Error>) {
    use poise::FrameworkError as E;
    match error {
        E::Setup { error, .. } => tracing::error!(%error, "bot setup failed"),
        E::EventHandler { error, .. } => tracing::error!(%error, "event handler failed"),
        E::Command { error, ctx, .. } => {
            tracing::error!(command = %ctx.command().qualified_name, %error, "command failed");
            respond::failure(ctx, render::GENERIC_ERROR).await;
        }
        E::CommandPanic { payload, ctx, .. } => {
            tracing::error!(command = %ctx.command().qualified_name, panic = ?payload, "command panicked");
            respond::failure(ctx, render::GENERIC_ERROR).await;
        }
        E::ArgumentParse { error, ctx, .. } => {
            tracing::warn!(command = %ctx.command().qualified_name, %error, "bad command arguments");
            respond::failure(
                ctx,
                "I could not read those options; please check them and try again.",
            )
            .await;
        }
        // The check already told the user why.
        E::CommandCheckFailed { error: None, .. } => {}
        E::CommandCheckFailed {
            error: Some(error),
            ctx,
            ..
        } => {
            tracing::error!(%error, "permission check failed");
            respond::failure(ctx, render::GENERIC_ERROR).await;
        }
        E::MissingUserPermissions { ctx, .. } | E::GuildOnly { ctx, .. } => {
            respond::failure(
                ctx,
                "That command is for server moderators, inside a server.",
            )
            .await;
        }
        other => {
            if let Err(e) = poise::builtins::on_error(other).await {
                tracing::error!(error = %e, "could not report an error");
            }
        }
    }
}
