//! The harness for the end-to-end scenarios: `gdbot::discord::serve` running against the fake
//! Discord and the fake OpenAI server, with a fresh SQLite DB holding the shipped dataset.
//!
//! Contract assumed: `serve(app, shutdown) -> Result<(), ServeError>`; /ask feedback buttons
//! `fb:up:{answer_id}` / `fb:down:{answer_id}`; /episode select `epq:{episode_id}` whose option
//! values are question indexes. A final /ask message = embeds present and an `fb:up:` button.

use std::time::Duration;

use serde_json::{json, Value};
use tokio::{sync::oneshot, task::JoinHandle};

use crate::{
    support::{
        fake_discord::{Actor, FakeDiscord, Interaction, GUILD_ID},
        fake_openai::{FakeOpenAi, LlmSettings},
    },
    test_app,
};

pub(crate) const SECS: fn(u64) -> Duration = Duration::from_secs;
pub(crate) const QUESTION: &str = "What are the dangers of the hype surrounding AI and ML?";

pub(crate) struct Bot {
    pub(crate) fake: FakeDiscord,
    pub(crate) llm: FakeOpenAi,
    pub(crate) app: gdbot::App,
    _dir: tempfile::TempDir,
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<()>,
}

impl Bot {
    pub(crate) async fn start(llm: LlmSettings, extra: &[(&str, &str)]) -> Bot {
        let fake = FakeDiscord::start_with(crate::support::fake_discord::Options {
            heartbeat_interval_ms: 500,
            ..Default::default()
        })
        .await;
        let llm = FakeOpenAi::start(llm).await;
        let guild = GUILD_ID.to_string();
        let mut vars = vec![
            ("DISCORD_TOKEN", fake.token()),
            // HTTPS: the bot keeps serenity's rate limiter on, as in production.
            ("DISCORD_API_BASE", fake.tls_base_url()),
            ("DISCORD_GUILD_ID", guild.as_str()),
            ("OPENAI_API_KEY", "sk-test"),
            ("OPENAI_BASE_URL", llm.base_url()),
            ("LLM_TIMEOUT_SECS", "5"),
            ("LLM_MAX_RETRIES", "0"),
            ("ASK_RATE_PER_MINUTE", "10000"),
        ];
        vars.extend_from_slice(extra);
        let (app, dir) = test_app(&vars).await;
        let (stop, stopped) = oneshot::channel::<()>();
        let serving = app.clone();
        let task = tokio::spawn(async move {
            let shutdown = async move {
                let _ = stopped.await;
            };
            if let Err(e) = gdbot::discord::serve(serving, shutdown).await {
                eprintln!("serve ended with an error: {e:?}");
            }
        });
        fake.wait_ready(SECS(10)).await;
        fake.wait_until("3 commands registered", SECS(10), |s| {
            (s.commands.values().map(Vec::len).sum::<usize>() >= 3).then_some(())
        })
        .await;
        Bot {
            fake,
            llm,
            app,
            _dir: dir,
            stop: Some(stop),
            task,
        }
    }

    pub(crate) fn ask(&self, question: &str, user: u64) -> Interaction {
        let opts = json!([{"name": "question", "type": 3, "value": question}]);
        self.fake
            .command_interaction("ask", opts, &Actor::member(user))
    }

    /// Dispatch and wait for the first accepted callback; returns its kind.
    pub(crate) async fn dispatch_acked(&self, i: &Interaction) -> u64 {
        self.fake.dispatch(i);
        let cb = self.fake.wait_for_callback(&i.id, SECS(3)).await;
        assert!(
            cb.latency < SECS(3),
            "acknowledged within 3 s: {:?}",
            cb.latency
        );
        cb.kind
    }

    /// Wait until the interaction's `@original` satisfies `pred`.
    pub(crate) async fn wait_original(
        &self,
        i: &Interaction,
        timeout: Duration,
        pred: impl Fn(&Value) -> bool,
    ) -> Value {
        let key = (i.token.clone(), "@original".to_string());
        self.fake
            .wait_until(
                "the original message to reach its final state",
                timeout,
                |s| s.messages.get(&key).filter(|m| pred(m)).cloned(),
            )
            .await
    }

    /// Stop the bot; every body it sent must have been one Discord accepts.
    pub(crate) async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        let _ = tokio::time::timeout(SECS(5), self.task).await;
        let invalid = self.fake.invalid_bodies();
        assert!(
            invalid.is_empty(),
            "Discord would have refused {} request(s), first: {:?}",
            invalid.len(),
            invalid.first()
        );
    }
}

pub(crate) fn is_final_answer(m: &Value) -> bool {
    m["embeds"].as_array().is_some_and(|e| !e.is_empty())
        && m["components"].to_string().contains("fb:up:")
}

/// Everything the bot said for an interaction (callback data, edits, follow-ups) as one string.
pub(crate) fn all_text(fake: &FakeDiscord, i: &Interaction) -> String {
    let mut out = String::new();
    for c in fake.callbacks_for(&i.id) {
        out += &c.data.to_string();
    }
    for e in fake.edits_for(&i.token) {
        out += &e.body.to_string();
    }
    out
}

pub(crate) fn assert_no_mentions(body: &Value, what: &str) {
    let am = &body["allowed_mentions"];
    assert!(am.is_object(), "{what}: allowed_mentions set: {body}");
    assert_eq!(am["parse"], json!([]), "{what}: parse empty");
    for k in ["users", "roles"] {
        assert!(am[k].as_array().is_none_or(Vec::is_empty), "{what}: no {k}");
    }
}

pub(crate) fn option<'a>(cmd: &'a Value, name: &str) -> &'a Value {
    cmd["options"]
        .as_array()
        .and_then(|o| o.iter().find(|o| o["name"] == name))
        .unwrap_or_else(|| panic!("option {name} in {cmd}"))
}
