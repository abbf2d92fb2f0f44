//! Gateway sharding: processes split the shards with `SHARDS` and `SHARD_RANGE`, each IDENTIFYing
//! only its own, and an interaction Discord sends on a shard is answered by the process running it.
//! `SHARDS=auto` runs as many shards as `GET /gateway/bot` recommends.

use std::time::Duration;

use serde_json::{json, Value};
use tokio::{sync::oneshot, task::JoinHandle};

use crate::{
    bot::{is_final_answer, QUESTION, SECS},
    support::{
        fake_discord::{Actor, FakeDiscord, Options, GUILD_ID},
        fake_openai::{FakeOpenAi, LlmSettings},
    },
    test_app,
};

/// One `gdbot serve` (the library function), with its own database.
struct Process {
    app: gdbot::App,
    _dir: tempfile::TempDir,
    stop: oneshot::Sender<()>,
    task: JoinHandle<()>,
}

impl Process {
    async fn start(fake: &FakeDiscord, llm: &FakeOpenAi, shards: &[(&str, &str)]) -> Process {
        let guild = GUILD_ID.to_string();
        let mut vars = vec![
            ("DISCORD_TOKEN", fake.token()),
            ("DISCORD_API_BASE", fake.tls_base_url()),
            ("DISCORD_GUILD_ID", guild.as_str()),
            ("OPENAI_API_KEY", "sk-test"),
            ("OPENAI_BASE_URL", llm.base_url()),
            ("LLM_MAX_RETRIES", "0"),
        ];
        vars.extend_from_slice(shards);
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
        Process {
            app,
            _dir: dir,
            stop,
            task,
        }
    }

    async fn answers_logged(&self) -> i64 {
        // Answers are written in the background: the message can be final before its row is.
        self.app.store_for_tests().flush_log().await;
        gdbot::db!(self.app.store_for_tests().pool(), |c| sqlx::query_scalar(
            "SELECT COUNT(*) FROM answers"
        )
        .fetch_one(c)
        .await)
        .expect("count answers")
    }

    async fn stop(self) {
        let _ = self.stop.send(());
        let _ = tokio::time::timeout(SECS(10), self.task).await;
    }
}

async fn fakes() -> (FakeDiscord, FakeOpenAi) {
    let fake = FakeDiscord::start_with(Options {
        heartbeat_interval_ms: 500,
        ..Default::default()
    })
    .await;
    (fake, FakeOpenAi::start(LlmSettings::default()).await)
}

/// Wait until the shards IDENTIFYed are `want` (in any order).
async fn wait_identified(fake: &FakeDiscord, want: &[Value], timeout: Duration) -> Vec<Value> {
    fake.wait_until("the shards to IDENTIFY", timeout, |s| {
        let mut got: Vec<Value> = s.connection_shards.values().cloned().collect();
        got.sort_by_key(Value::to_string);
        (got == want).then_some(got)
    })
    .await
}

/// Send /ask on `shard`'s connection and wait for the final answer.
async fn ask_on_shard(fake: &FakeDiscord, shard: u64) {
    let opts = json!([{"name": "question", "type": 3, "value": QUESTION}]);
    let i = fake.command_interaction("ask", opts, &Actor::member(4));
    fake.dispatch_on_shard(shard, &i).await;
    let cb = fake.wait_for_callback(&i.id, SECS(3)).await;
    assert_eq!(cb.kind, 5, "deferred");
    let key = (i.token.clone(), "@original".to_string());
    fake.wait_until("the answer", SECS(20), |s| {
        s.messages.get(&key).filter(|m| is_final_answer(m)).cloned()
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_processes_split_two_shards_and_answer_on_their_own() {
    let (fake, llm) = fakes().await;
    let first = Process::start(&fake, &llm, &[("SHARDS", "2"), ("SHARD_RANGE", "0-0")]).await;
    let second = Process::start(&fake, &llm, &[("SHARDS", "2"), ("SHARD_RANGE", "1-1")]).await;
    wait_identified(&fake, &[json!([0, 2]), json!([1, 2])], SECS(10)).await;
    fake.wait_for_commands(SECS(10)).await;

    ask_on_shard(&fake, 1).await;
    assert_eq!(
        (first.answers_logged().await, second.answers_logged().await),
        (0, 1),
        "shard 1's interaction was answered by the process running shard 1"
    );
    ask_on_shard(&fake, 0).await;
    assert_eq!(
        (first.answers_logged().await, second.answers_logged().await),
        (1, 1)
    );
    // Each process IDENTIFYed once, for its own shard only.
    assert_eq!(fake.identify_count(), 2);
    first.stop().await;
    second.stop().await;
    assert!(
        fake.invalid_bodies().is_empty(),
        "{:?}",
        fake.invalid_bodies()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shards_auto_runs_as_many_as_discord_recommends() {
    let (fake, llm) = fakes().await;
    fake.recommend_shards(2);
    let process = Process::start(&fake, &llm, &[("SHARDS", "auto")]).await;
    // serenity starts a process's shards 5 s apart (Discord's IDENTIFY rate limit).
    wait_identified(&fake, &[json!([0, 2]), json!([1, 2])], SECS(20)).await;
    fake.wait_for_commands(SECS(10)).await;
    ask_on_shard(&fake, 1).await;
    assert_eq!(process.answers_logged().await, 1);
    process.stop().await;
}
