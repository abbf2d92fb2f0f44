//! Load: `gdbot serve --http` processes sharing one database answer 1,000 signed /ask interactions,
//! the fake LLM taking 500 ms before its first byte, and lose none. Two replicas on one Postgres,
//! and one replica on SQLite for comparison. Ignored (minutes of work; run by hand):
//!
//! ```sh
//! GDBOT_TEST_POSTGRES_URL=postgres://… cargo test --test discord_e2e load -- --ignored --nocapture --test-threads 1
//! ```
//!
//! `GDBOT_LOAD_BIN` runs another binary (e.g. `target/release/gdbot`); `GDBOT_LOAD_INTERACTIONS`
//! and `GDBOT_LOAD_IN_FLIGHT` change the count (1,000) and how many are delivered at once (100:
//! a burst, as a popular server's users might send). Each interaction comes from another user,
//! alternately to each replica. Printed: p50/p99/max of the time to the deferred response (the
//! signed POST's 200 with "thinking…", Discord's 3-second deadline), and the wall time until
//! every answer is final in Discord (the fake) — the fake Discord and LLM share the machine.

use std::{
    process::{Child, Command, Stdio},
    sync::Arc,
    time::{Duration, Instant},
};

use gdbot::store::testing;
use serde_json::json;

use crate::{
    bot::is_final_answer,
    support::{
        db,
        fake_discord::{
            http_delivery::{Delivery, Signer},
            Actor, FakeDiscord, Interaction, GUILD_ID,
        },
        fake_openai::{FakeOpenAi, LlmSettings},
        DATASET,
    },
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "load test: minutes; run with --ignored (see the module documentation)"]
async fn load_two_http_replicas_on_one_postgres() {
    let Some(server) = testing::postgres_server() else {
        eprintln!("skipped: set {} to run it", testing::POSTGRES_VAR);
        return;
    };
    run(
        "2 replicas, Postgres",
        2,
        testing::fresh_postgres_url(&server),
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "load test: minutes; run with --ignored (see the module documentation)"]
async fn load_one_http_replica_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/load.db", dir.path().display());
    run("1 replica, SQLite", 1, url).await;
}

fn env_number(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// A `gdbot serve --http` child, stopped with SIGTERM when dropped.
struct Replica {
    child: Child,
    url: String,
}

impl Drop for Replica {
    fn drop(&mut self) {
        // SAFETY: kill(2) on our own child's pid.
        unsafe { libc::kill(self.child.id() as libc::pid_t, libc::SIGTERM) };
        let _ = self.child.wait();
    }
}

async fn start_replica(
    bin: &str,
    database_url: &str,
    fake: &FakeDiscord,
    llm: &FakeOpenAi,
    signer: &Signer,
    dir: &std::path::Path,
) -> Replica {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let addr = format!("127.0.0.1:{port}");
    let guild = GUILD_ID.to_string();
    let child = Command::new(bin)
        .args(["serve", "--http", &addr])
        .current_dir(dir)
        .env("DATABASE_URL", database_url)
        .env("DATASET_PATH", DATASET)
        .env("RUST_LOG", "error")
        .env("DISCORD_TOKEN", fake.token())
        .env("DISCORD_API_BASE", fake.tls_base_url())
        .env("DISCORD_GUILD_ID", &guild)
        .env("DISCORD_PUBLIC_KEY", signer.public_key_hex())
        .env("OPENAI_API_KEY", "sk-test-load")
        .env("OPENAI_BASE_URL", llm.base_url())
        .env("LLM_TIMEOUT_SECS", "60")
        .env("ASK_RATE_PER_MINUTE", "10000")
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start gdbot serve --http");
    let deadline = Instant::now() + Duration::from_secs(60);
    while tokio::net::TcpStream::connect(&addr).await.is_err() {
        assert!(Instant::now() < deadline, "gdbot never listened on {addr}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    Replica {
        child,
        url: format!("http://{addr}/interactions"),
    }
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len()) - 1;
    sorted[i]
}

async fn run(what: &str, replicas: usize, database_url: String) {
    let n = env_number("GDBOT_LOAD_INTERACTIONS", 1000);
    let in_flight = env_number("GDBOT_LOAD_IN_FLIGHT", 100).max(1);
    let bin =
        std::env::var("GDBOT_LOAD_BIN").unwrap_or_else(|_| env!("CARGO_BIN_EXE_gdbot").into());
    let dir = tempfile::tempdir().unwrap();
    let fake = FakeDiscord::start().await;
    let llm = FakeOpenAi::start(LlmSettings {
        latency: Duration::from_millis(500),
        ..LlmSettings::default()
    })
    .await;
    let signer = Signer::generate();
    // The archive, imported once before the replicas start.
    let vars = [("DATABASE_URL", database_url.clone())];
    let config =
        gdbot::config::Config::from_lookup(|k| vars.iter().find(|v| v.0 == k).map(|v| v.1.clone()))
            .unwrap();
    let app = gdbot::App::open(config).await.unwrap();
    let gold: Vec<gdbot::eval::Gold> =
        serde_json::from_str(&std::fs::read_to_string(crate::support::GOLD).unwrap()).unwrap();
    app.import_paths(&[DATASET.into()], false, &indicatif::ProgressBar::hidden())
        .await
        .unwrap();
    app.close().await;
    let mut started = Vec::new();
    for _ in 0..replicas {
        started.push(start_replica(&bin, &database_url, &fake, &llm, &signer, dir.path()).await);
    }
    fake.wait_until(
        "every replica registered the commands",
        Duration::from_secs(60),
        |s| {
            let puts = s
                .requests
                .iter()
                .filter(|r| r.method == "PUT" && r.path.ends_with("/commands"))
                .count();
            (puts >= replicas).then_some(())
        },
    )
    .await;
    let interactions: Vec<(Interaction, String)> = (0..n)
        .map(|k| {
            let question = &gold[k % gold.len()].question;
            let opts = json!([{"name": "question", "type": 3, "value": question}]);
            let i = fake.command_interaction("ask", opts, &Actor::member(100_000 + k as u64));
            (i, started[k % replicas].url.clone())
        })
        .collect();
    let fake = Arc::new(fake);
    let signer = Arc::new(signer);
    let limit = Arc::new(tokio::sync::Semaphore::new(in_flight));
    let t0 = Instant::now();
    let mut sends = Vec::with_capacity(n);
    for (i, url) in interactions.clone() {
        let permit = limit.clone().acquire_owned().await.unwrap();
        let (fake, signer) = (fake.clone(), signer.clone());
        sends.push(tokio::spawn(async move {
            let d: Delivery = fake.deliver(&url, &i, &signer).await;
            drop(permit);
            d
        }));
    }
    let mut latencies = Vec::with_capacity(n);
    for s in sends {
        let d = s.await.unwrap();
        assert_eq!(
            (d.status, d.json["type"].as_u64()),
            (200, Some(5)),
            "deferred: {}",
            d.body
        );
        latencies.push(d.latency);
    }
    let delivered = t0.elapsed();
    let tokens: Vec<String> = interactions.iter().map(|(i, _)| i.token.clone()).collect();
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let missing: Vec<String> = fake
            .wait_until("a snapshot", Duration::ZERO, |s| {
                Some(
                    tokens
                        .iter()
                        .filter(|t| {
                            !s.messages
                                .get(&((*t).clone(), "@original".to_string()))
                                .is_some_and(is_final_answer)
                        })
                        .map(|t| {
                            let calls: Vec<String> = s
                                .requests
                                .iter()
                                .filter(|r| r.path.contains(t.as_str()))
                                .map(|r| format!("{} {} -> {}", r.method, r.path, r.status))
                                .collect();
                            let shown = s.messages.get(&(t.clone(), "@original".to_string()));
                            format!("{t}: {calls:?}; @original: {shown:?}")
                        })
                        .collect(),
                )
            })
            .await;
        if missing.is_empty() {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "{} answers not final after 120 s (they take ~2 s):\n{}",
            missing.len(),
            missing.join("\n")
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let wall = t0.elapsed();
    drop(started); // SIGTERM: each writes what it still has queued, then exits
    let recorded = db::scalar_at(&database_url, "SELECT COUNT(*) FROM answers")
        .await
        .unwrap_or(0);
    latencies.sort();
    let invalid = fake.invalid_bodies();
    assert!(
        invalid.is_empty(),
        "Discord would have refused {:?}",
        invalid.first()
    );
    assert_eq!(recorded as usize, n, "every answer recorded");
    // Every covered question is the LLM's answer (none fell back to quotes): one call each.
    let llm_answers = db::scalar_at(
        &database_url,
        "SELECT COUNT(*) FROM answers WHERE mode = 'llm'",
    )
    .await
    .unwrap_or(0);
    let not_covered = db::scalar_at(
        &database_url,
        "SELECT COUNT(*) FROM answers WHERE NOT confident",
    )
    .await
    .unwrap_or(0);
    let llm_calls = llm.requests().len();
    assert_eq!(
        (llm_answers + not_covered) as usize,
        n,
        "answers by the LLM or not covered"
    );
    assert_eq!(llm_calls, llm_answers as usize, "one LLM call per answer");
    eprintln!(
        "load, {what}: {n} /ask ({in_flight} in flight, 500 ms LLM, {}): deferred p50 {:?} p99 {:?} max {:?}; all delivered after {:.1} s; all answers final after {:.1} s ({:.1}/s); {recorded} recorded: {llm_answers} by the LLM, {not_covered} not covered",
        if bin.contains("release") { "release build" } else { "debug build" },
        percentile(&latencies, 0.50),
        percentile(&latencies, 0.99),
        latencies[latencies.len() - 1],
        delivered.as_secs_f64(),
        wall.as_secs_f64(),
        n as f64 / wall.as_secs_f64(),
    );
}
