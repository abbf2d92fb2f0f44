//! The harness for HTTP mode: `gdbot::discord::serve_http` on a port of 127.0.0.1 the test picks,
//! with an application key pair generated for the test, against the fake Discord (REST only: no
//! gateway connection is made) and the fake OpenAI server.

use std::time::Duration;

use tokio::{net::TcpListener, sync::oneshot, task::JoinHandle};

use crate::{
    bot::SECS,
    support::{
        fake_discord::{
            http_delivery::{Delivery, Signer},
            FakeDiscord, Interaction, GUILD_ID,
        },
        fake_openai::{FakeOpenAi, LlmSettings},
    },
    test_app,
};

pub(crate) struct HttpBot {
    pub(crate) fake: FakeDiscord,
    pub(crate) llm: FakeOpenAi,
    pub(crate) app: gdbot::App,
    pub(crate) signer: Signer,
    /// `http://127.0.0.1:PORT/interactions`.
    pub(crate) url: String,
    _dir: tempfile::TempDir,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

impl HttpBot {
    pub(crate) async fn start(llm: LlmSettings) -> HttpBot {
        let fake = FakeDiscord::start().await;
        let llm = FakeOpenAi::start(llm).await;
        let signer = Signer::generate();
        let guild = GUILD_ID.to_string();
        let key = signer.public_key_hex();
        let vars = [
            ("DISCORD_TOKEN", fake.token()),
            ("DISCORD_API_BASE", fake.tls_base_url()),
            ("DISCORD_GUILD_ID", guild.as_str()),
            ("DISCORD_PUBLIC_KEY", key.as_str()),
            ("OPENAI_API_KEY", "sk-test"),
            ("OPENAI_BASE_URL", llm.base_url()),
            ("LLM_TIMEOUT_SECS", "5"),
            ("LLM_MAX_RETRIES", "0"),
            ("ASK_RATE_PER_MINUTE", "10000"),
        ];
        let (app, dir) = test_app(&vars).await;
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let url = format!(
            "http://{}/interactions",
            listener.local_addr().expect("bound address")
        );
        let (stop, stopped) = oneshot::channel::<()>();
        let serving = app.clone();
        let task = tokio::spawn(async move {
            let shutdown = async move {
                let _ = stopped.await;
            };
            if let Err(e) = gdbot::discord::serve_http(serving, listener, shutdown).await {
                eprintln!("serve_http ended with an error: {e:?}");
            }
        });
        fake.wait_until("5 commands registered", SECS(10), |s| {
            (s.commands.values().map(Vec::len).sum::<usize>() >= 5).then_some(())
        })
        .await;
        HttpBot {
            fake,
            llm,
            app,
            signer,
            url,
            _dir: dir,
            stop: Some(stop),
            task: Some(task),
        }
    }

    /// Deliver `i` signed with the application's key, as Discord does.
    pub(crate) async fn deliver(&self, i: &Interaction) -> Delivery {
        self.fake.deliver(&self.url, i, &self.signer).await
    }

    /// Answers stored in the bot's database.
    pub(crate) async fn answers_logged(&self) -> i64 {
        // Answers are written in the background: the message can be final before its row is.
        self.app.store_for_tests().flush_log().await;
        gdbot::db!(self.app.store_for_tests().pool(), |c| sqlx::query_scalar(
            "SELECT COUNT(*) FROM answers"
        )
        .fetch_one(c)
        .await)
        .expect("count answers")
    }

    /// Ask the bot to stop; returns the serving task, which ends once in-flight work is drained.
    pub(crate) fn stop(&mut self) -> JoinHandle<()> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        self.task.take().expect("still running")
    }

    /// Stop the bot; every body it sent must have been one Discord accepts.
    pub(crate) async fn shutdown(mut self) {
        let task = self.stop();
        let _ = tokio::time::timeout(Duration::from_secs(15), task).await;
        let invalid = self.fake.invalid_bodies();
        assert!(
            invalid.is_empty(),
            "Discord would have refused {} body(ies), first: {:?}",
            invalid.len(),
            invalid.first()
        );
    }
}
