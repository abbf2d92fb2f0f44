//! `gdbot serve` as run from a terminal: its variables are checked before anything is opened,
//! and `serve --http ADDR` answers a signed PING, then stops on SIGTERM.

use std::{
    process::{Command, Stdio},
    time::{Duration, Instant},
};

use serde_json::json;

use crate::{
    cli::gdbot,
    support::{
        fake_discord::{
            http_delivery::{post, unix_now, Signer},
            FakeDiscord,
        },
        DATASET,
    },
};

fn stderr(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn serve_variables_are_checked_before_anything_is_opened() {
    let key = "ab".repeat(32);
    for (args, env, says) in [
        (
            vec!["serve", "--http", "127.0.0.1:0"],
            vec![("DISCORD_TOKEN", "tok")],
            "DISCORD_PUBLIC_KEY is not set",
        ),
        (
            vec!["serve", "--http", "127.0.0.1:0"],
            vec![("DISCORD_TOKEN", "tok"), ("DISCORD_PUBLIC_KEY", "abc")],
            "DISCORD_PUBLIC_KEY=\"abc\": expected 64 hexadecimal digits",
        ),
        (
            vec!["serve", "--http", "127.0.0.1:0"],
            vec![("DISCORD_PUBLIC_KEY", key.as_str())],
            "DISCORD_TOKEN is not set",
        ),
        (
            vec!["serve"],
            vec![
                ("DISCORD_TOKEN", "tok"),
                ("SHARDS", "4"),
                ("SHARD_RANGE", "2-4"),
            ],
            "SHARD_RANGE=\"2-4\": shard 4 does not exist: SHARDS=4 has shards 0 to 3",
        ),
        (
            vec!["serve"],
            vec![("DISCORD_TOKEN", "tok"), ("SHARDS", "0")],
            "SHARDS=\"0\"",
        ),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let o = gdbot(&dir, &args, &env);
        assert_eq!(o.status.code(), Some(1), "{args:?} {env:?}: {}", stderr(&o));
        assert!(
            stderr(&o).contains(says),
            "{args:?} {env:?}: {}",
            stderr(&o)
        );
        assert!(
            !dir.path().join("cli.db").exists(),
            "{args:?} {env:?}: no database was created"
        );
    }
    let dir = tempfile::tempdir().unwrap();
    let o = gdbot(&dir, &["serve", "--http", "localhost"], &[]);
    assert_eq!(o.status.code(), Some(2), "a usage error: {}", stderr(&o));
    assert!(stderr(&o).contains("--http"), "{}", stderr(&o));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_http_answers_a_signed_ping_and_stops_on_sigterm() {
    let fake = FakeDiscord::start().await;
    let signer = Signer::generate();
    let dir = tempfile::tempdir().unwrap();
    // A port that was free a moment ago (the binary must be told one).
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let addr = format!("127.0.0.1:{port}");
    let child = Command::new(env!("CARGO_BIN_EXE_gdbot"))
        .args(["serve", "--http", &addr])
        .current_dir(dir.path())
        .env("DATABASE_URL", crate::support::db::url(&dir, "cli.db"))
        .env("DATASET_PATH", DATASET)
        .env("RUST_LOG", "error")
        .env("DISCORD_TOKEN", fake.token())
        .env("DISCORD_API_BASE", fake.tls_base_url())
        .env("DISCORD_PUBLIC_KEY", signer.public_key_hex())
        .env_remove("OPENAI_API_KEY")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start gdbot serve --http");
    let url = format!("http://{addr}/interactions");
    let ping = serde_json::to_vec(&json!({"id": "1", "application_id": "2", "type": 1,
        "token": "t", "version": 1}))
    .unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    while tokio::net::TcpStream::connect(&addr).await.is_err() {
        assert!(Instant::now() < deadline, "gdbot never listened on {addr}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let pong = post(&url, ping.clone(), &signer.headers(&ping, unix_now())).await;
    assert_eq!((pong.status, pong.json), (200, json!({"type": 1})));
    // SAFETY: kill(2) on our own child's pid.
    let sent = unsafe { libc::kill(child.id() as libc::pid_t, libc::SIGTERM) };
    assert_eq!(sent, 0);
    let o = tokio::task::spawn_blocking(move || child.wait_with_output())
        .await
        .unwrap()
        .expect("gdbot exits");
    assert!(o.status.success(), "clean exit on SIGTERM: {}", stderr(&o));
}
