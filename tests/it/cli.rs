//! The `gdbot` binary as a user runs it: JSON contracts, exit codes, messages.

use std::process::{Command, Output};

use serde_json::Value;

use crate::support::DATASET;

/// Run the built binary in `dir` (its own database there), with `env` on top of a clean one.
pub(crate) fn gdbot(dir: &tempfile::TempDir, args: &[&str], env: &[(&str, &str)]) -> Output {
    gdbot_in(dir.path(), args, env)
}

/// `gdbot` run in `dir` (its database there too).
pub(crate) fn gdbot_in(dir: &std::path::Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_gdbot"));
    cmd.args(args)
        .current_dir(dir) // no stray .env from the developer's checkout
        .env("DATABASE_URL", crate::support::db::url(dir, "cli.db"))
        .env("DATASET_PATH", DATASET)
        .env("RUST_LOG", "error");
    for k in [
        "OPENAI_API_KEY",
        "OPENAI_BASE_URL",
        "DISCORD_TOKEN",
        "CONTEXT_TOKENS",
    ] {
        cmd.env_remove(k);
    }
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("run gdbot")
}

fn stdout_json(o: &Output) -> Value {
    assert!(
        o.status.success(),
        "failed: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    serde_json::from_slice(&o.stdout).expect("JSON on stdout")
}

#[test]
fn ask_without_a_key_answers_with_excerpts_as_json() {
    let dir = tempfile::tempdir().unwrap();
    let o = gdbot(
        &dir,
        &["ask", "How does Runway help video editors?", "--json"],
        &[],
    );
    assert!(String::from_utf8_lossy(&o.stderr).contains("First use: imported"));
    let v = stdout_json(&o);
    assert_eq!(v["mode"], "extractive");
    assert_eq!(v["confident"], true);
    let s = &v["sources"][0];
    for k in ["url", "title", "timestamp_s", "link", "text"] {
        assert!(!s[k].is_null(), "source lacks {k}: {s}");
    }
    assert!(s["link"].as_str().unwrap().contains("&t="));
    assert!(v["usage"].is_object());
}

#[test]
fn search_json_and_batch_follow_the_contract() {
    let dir = tempfile::tempdir().unwrap();
    let v = stdout_json(&gdbot(
        &dir,
        &["search", "masks pandemic", "--k", "3", "--json"],
        &[],
    ));
    assert_eq!(v["query"], "masks pandemic");
    let hits = v["hits"].as_array().unwrap();
    assert_eq!(hits.len(), 3);
    for k in [
        "url",
        "episode_id",
        "title",
        "start_word",
        "end_word",
        "timestamp_s",
        "score",
        "text",
    ] {
        assert!(hits[0].get(k).is_some(), "hit lacks {k}");
    }
    assert_eq!(hits[0]["episode_id"], "HhGOGuJY1Wk");
    let batch = dir.path().join("q.jsonl");
    std::fs::write(&batch, "{\"qid\":\"a\",\"question\":\"Runway video\"}\n\n{\"qid\":7,\"question\":\"\\\" AND ( NEAR *\"}\n").unwrap();
    let o = gdbot(
        &dir,
        &[
            "search",
            "--batch",
            batch.to_str().unwrap(),
            "--k",
            "2",
            "--json",
        ],
        &[],
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let lines: Vec<Value> = String::from_utf8_lossy(&o.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0]["qid"], "a");
    assert_eq!(lines[1]["qid"], 7);
    // --k applies to every question of a batch (the default is 8)
    let runway = lines[0]["hits"].as_array().unwrap();
    assert_eq!(runway.len(), 2, "--k 2 gives two hits");
    assert_eq!(runway[0]["episode_id"], "wbonGgk-_Gk");
    assert!(lines[1]["hits"].as_array().unwrap().len() <= 2);
    // hostile text is never an FTS5 syntax error
    for q in [
        "\"",
        "AND",
        "NEAR(a b)",
        "-x *",
        "((",
        "🤖🤖",
        &"long ".repeat(400),
    ] {
        let o = gdbot(&dir, &["search", "--json", "--", q], &[]);
        assert!(
            o.status.success(),
            "query {q:?}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
    }
}

#[test]
fn episode_lookup_is_accent_and_case_insensitive() {
    let dir = tempfile::tempdir().unwrap();
    let v = stdout_json(&gdbot(&dir, &["episode", "CRISTOBAL", "--json"], &[]));
    assert_eq!(v["episode_id"], "wbonGgk-_Gk");
    let n = v["questions"].as_array().unwrap().len();
    assert!(n >= 20 && v["n_questions"] == n, "{n} questions");
    let v = stdout_json(&gdbot(
        &dir,
        &[
            "episode",
            "https://www.youtube.com/watch?v=HhGOGuJY1Wk",
            "--json",
        ],
        &[],
    ));
    assert_eq!(
        v["title"],
        "Jeremy Howard — The Simple but Profound Insight Behind Diffusion"
    );
    let o = gdbot(&dir, &["episode", "jeremy howad"], &[]);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("no episode matches") && err.contains("Jeremy Howard"),
        "{err}"
    );
    let list = stdout_json(&gdbot(&dir, &["episodes", "--json"], &[]));
    let first = &list.as_array().unwrap()[0];
    for k in [
        "episode_id",
        "url",
        "title",
        "publish_date",
        "length_s",
        "total_words",
        "n_questions",
        "has_summary",
    ] {
        assert!(first.get(k).is_some(), "episode lacks {k}");
    }
}

#[test]
fn bad_import_and_bad_config_fail_clearly() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.csv");
    std::fs::write(&bad, "title,url\nHello,not-a-url\n").unwrap();
    let o = gdbot(&dir, &["import", bad.to_str().unwrap()], &[]);
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("line 2") && err.contains("url") && err.contains("not changed"),
        "{err}"
    );
    let o = gdbot(&dir, &["episodes"], &[("CONTEXT_TOKENS", "lots")]);
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("CONTEXT_TOKENS"));
    let o = gdbot(&dir, &["import", "--dry-run"], &[]);
    assert!(String::from_utf8_lossy(&o.stdout).contains("would import 3 episodes"));
}

#[test]
fn search_finds_passages_on_a_one_episode_dataset() {
    // One short episode (240 words, 3 windows) that says "diffusion" in each window: a term in
    // half the windows or more has BM25 idf <= 0, and was dropped.
    let dir = tempfile::tempdir().unwrap();
    let mut words: Vec<String> = (0..240).map(|i| format!("word{i}")).collect();
    for at in [30, 100, 200] {
        words[at] = "diffusion".into();
    }
    let one = dir.path().join("one.csv");
    std::fs::write(
        &one,
        format!(
            "title,url,transcript\nA short one,https://example.org/short,{}\n",
            words.join(" ")
        ),
    )
    .unwrap();
    let o = gdbot(&dir, &["import", one.to_str().unwrap()], &[]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let v = stdout_json(&gdbot(&dir, &["search", "diffusion", "--json"], &[]));
    let hits = v["hits"].as_array().unwrap();
    assert!(!hits.is_empty(), "{v}");
    assert!(
        hits.iter()
            .all(|h| h["text"].as_str().unwrap().contains("diffusion")),
        "{v}"
    );
}

#[test]
fn episode_refuses_a_query_with_nothing_to_look_up() {
    let dir = tempfile::tempdir().unwrap();
    for q in ["", "?!", "*", "  ", "\u{200B}"] {
        let o = gdbot(&dir, &["episode", "--", q], &[]);
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{q:?}: {err}");
        assert!(err.contains("nothing to look up"), "{q:?}: {err}");
        assert!(o.stdout.is_empty(), "{q:?}");
    }
}

#[test]
fn zero_width_characters_inside_a_word_still_match() {
    let dir = tempfile::tempdir().unwrap();
    // soft hyphen and zero-width space inside the guest's name
    let v = stdout_json(&gdbot(
        &dir,
        &["episode", "Jer\u{200B}emy How\u{00AD}ard", "--json"],
        &[],
    ));
    assert_eq!(v["episode_id"], "HhGOGuJY1Wk");
    let v = stdout_json(&gdbot(
        &dir,
        &["search", "diffu\u{200D}sion", "--k", "1", "--json"],
        &[],
    ));
    assert_eq!(v["hits"][0]["episode_id"], "HhGOGuJY1Wk", "{v}");
}

#[test]
fn database_urls_without_a_file_stop_the_program() {
    let dir = tempfile::tempdir().unwrap();
    for url in ["sqlite://", "sqlite:", "sqlite::memory:"] {
        let o = gdbot(&dir, &["episodes"], &[("DATABASE_URL", url)]);
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(1), "{url}: {err}");
        assert!(err.contains("DATABASE_URL"), "{url}: {err}");
        assert!(o.stdout.is_empty(), "{url}");
    }
}

/// `gdbot search diffusion | head -1`: the reader is gone before the output is written.
#[test]
fn a_closed_stdout_ends_quietly() {
    let dir = tempfile::tempdir().unwrap();
    assert!(gdbot(&dir, &["episodes"], &[]).status.success()); // first-use import done
    for args in [
        &["search", "diffusion"][..],
        &["search", "diffusion", "--json"],
        &["episodes"],
        &["episode", "Jeremy"],
        &["ask", "What is diffusion?"],
    ] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_gdbot"))
            .args(args)
            .current_dir(dir.path())
            .env("DATABASE_URL", crate::support::db::url(&dir, "cli.db"))
            .env("DATASET_PATH", DATASET)
            .env("RUST_LOG", "error")
            .env_remove("OPENAI_API_KEY")
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        drop(child.stdout.take()); // close the read end at once
        let o = child.wait_with_output().unwrap();
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(
            !err.contains("panicked") && err.is_empty(),
            "{args:?}: {err}"
        );
        assert_eq!(o.status.code(), Some(141), "{args:?}: {err}");
    }
}

/// RUST_LOG is validated like every variable, and one in `.env` counts.
#[test]
fn rust_log_is_validated_and_read_from_dot_env() {
    let dir = tempfile::tempdir().unwrap();
    let o = gdbot(&dir, &["episodes"], &[("RUST_LOG", "gdbot=verbose")]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(
        err.contains("RUST_LOG") && err.contains("gdbot=verbose"),
        "{err}"
    );
    let without_env_log = |dot_env: &str| {
        std::fs::write(dir.path().join(".env"), dot_env).unwrap();
        Command::new(env!("CARGO_BIN_EXE_gdbot"))
            .arg("episodes")
            .current_dir(dir.path())
            .env("DATABASE_URL", crate::support::db::url(&dir, "cli.db"))
            .env("DATASET_PATH", DATASET)
            .env_remove("RUST_LOG")
            .output()
            .unwrap()
    };
    let o = without_env_log("RUST_LOG=gdbot=loud\n");
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(err.contains("RUST_LOG"), "{err}");
    let o = without_env_log("RUST_LOG=gdbot=debug\n");
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{err}");
    assert!(err.contains("DEBUG"), "the .env filter is in force: {err}");
}
