//! One interaction being answered, whichever transport delivered it.
//!
//! poise runs our commands only from the gateway: its `Context` holds a `serenity::Context`, which
//! needs a `ShardMessenger`, which only a running gateway shard can make. So what a command does is
//! written against `Call` (the command's interaction, the shared `Data`, and where its responses
//! go), built by poise's command function in gateway mode and by `webhook` in HTTP mode. The two
//! transports differ in one place only, `Initial`: where the first response goes.

use std::sync::{
    atomic::{AtomicBool, Ordering},
    Mutex,
};

use poise::serenity_prelude as serenity;
use tokio::sync::oneshot;

use super::{respond, Context, Data};

/// Where an interaction's first response (Discord allows exactly one, within 3 s) goes.
pub(super) enum Initial {
    /// `POST /interactions/{id}/{token}/callback` (gateway mode; also allowed for HTTP ones).
    Callback,
    /// The body of our HTTP response to the POST that delivered the interaction (HTTP mode).
    Body(Mutex<Option<oneshot::Sender<serenity::CreateInteractionResponse>>>),
}

impl Initial {
    /// An `Initial::Body` and the receiving end the HTTP handler answers with.
    pub(super) fn body() -> (
        Initial,
        oneshot::Receiver<serenity::CreateInteractionResponse>,
    ) {
        let (tx, rx) = oneshot::channel();
        (Initial::Body(Mutex::new(Some(tx))), rx)
    }
}

/// Gateway mode's `Initial`, shared by every call.
pub(super) static CALLBACK: Initial = Initial::Callback;

/// Where one interaction's responses go: the first through `Initial`, every later one (edits of
/// `@original`, follow-ups) through the REST API with the interaction's token.
pub(super) struct Responder<'a> {
    /// The client without serenity's rate limiter (see `http`).
    pub http: &'a serenity::Http,
    pub id: serenity::InteractionId,
    pub token: &'a str,
    initial: &'a Initial,
    sent: &'a AtomicBool,
}

impl<'a> Responder<'a> {
    pub(super) fn new(
        http: &'a serenity::Http,
        id: serenity::InteractionId,
        token: &'a str,
        initial: &'a Initial,
        sent: &'a AtomicBool,
    ) -> Self {
        Responder {
            http,
            id,
            token,
            initial,
            sent,
        }
    }

    pub(super) fn has_responded(&self) -> bool {
        self.sent.load(Ordering::SeqCst)
    }

    /// Send the first response: through the callback endpoint (retried briefly, see `respond`), or
    /// handed to the HTTP handler that answers the POST with it.
    pub(super) async fn initial(
        &self,
        response: serenity::CreateInteractionResponse,
    ) -> serenity::Result<()> {
        match self.initial {
            Initial::Callback => {
                respond::callback(self.http, self.id, self.token, response).await?
            }
            Initial::Body(slot) => {
                let tx = slot.lock().unwrap_or_else(|p| p.into_inner()).take();
                // No sender: already answered. A closed receiver: the HTTP handler gave up (3 s).
                tx.ok_or(serenity::Error::Other(
                    "the interaction was already answered",
                ))?
                .send(response)
                .map_err(|_| {
                    serenity::Error::Other("too late: the HTTP request was answered without it")
                })?;
            }
        }
        self.sent.store(true, Ordering::SeqCst);
        Ok(())
    }
}

/// One slash command: what the command functions (`ask::run`, …) are given.
pub(super) struct Call<'a> {
    pub data: &'a Data,
    pub interaction: &'a serenity::CommandInteraction,
    pub reply: Responder<'a>,
}

impl<'a> Call<'a> {
    /// Gateway mode: poise has matched the command, parsed its options and run its checks.
    pub(super) fn gateway(ctx: Context<'a>) -> Option<Call<'a>> {
        let poise::Context::Application(actx) = ctx else {
            return None; // slash commands only
        };
        let i = actx.interaction;
        Some(Call {
            data: ctx.data(),
            interaction: i,
            reply: Responder::new(
                &ctx.serenity_context().http,
                i.id,
                &i.token,
                &CALLBACK,
                actx.has_sent_initial_response,
            ),
        })
    }

    /// Who ran the command (in a server too: serenity fills it from `member.user`).
    pub(super) fn author(&self) -> &serenity::User {
        &self.interaction.user
    }

    /// poise's `ctx.send`: the first response if none was sent yet, else a follow-up message.
    /// Every `render` reply sets `allowed_mentions` itself.
    pub(super) async fn send(&self, reply: poise::CreateReply) -> serenity::Result<()> {
        if self.reply.has_responded() {
            let followup = reply
                .to_slash_followup_response(serenity::CreateInteractionResponseFollowup::new());
            self.interaction
                .create_followup(self.reply.http, followup)
                .await?;
            return Ok(());
        }
        let message =
            reply.to_slash_initial_response(serenity::CreateInteractionResponseMessage::new());
        self.reply
            .initial(serenity::CreateInteractionResponse::Message(message))
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(text: &str) -> serenity::CreateInteractionResponse {
        serenity::CreateInteractionResponse::Message(
            serenity::CreateInteractionResponseMessage::new().content(text),
        )
    }

    #[tokio::test]
    async fn in_http_mode_the_first_response_goes_to_the_waiting_request_once() {
        let http = serenity::Http::new("");
        let (initial, first) = Initial::body();
        let sent = AtomicBool::new(false);
        let id = serenity::InteractionId::new(1);
        let reply = Responder::new(&http, id, "token", &initial, &sent);
        assert!(!reply.has_responded());
        reply.initial(message("first")).await.expect("handed over");
        assert!(reply.has_responded());
        let body = serde_json::to_value(first.await.expect("received")).unwrap();
        assert_eq!(body["data"]["content"], "first");
        // Discord takes one first response: a second is an error, as the callback would be.
        assert!(reply.initial(message("second")).await.is_err());
    }

    #[tokio::test]
    async fn a_first_response_after_the_request_gave_up_is_an_error() {
        let http = serenity::Http::new("");
        let (initial, first) = Initial::body();
        drop(first); // the HTTP handler answered 503 after 3 s
        let sent = AtomicBool::new(false);
        let id = serenity::InteractionId::new(1);
        let reply = Responder::new(&http, id, "token", &initial, &sent);
        let late = reply.initial(message("late")).await.unwrap_err();
        assert!(late.to_string().contains("too late"), "{late}");
        assert!(!reply.has_responded());
    }
}
