//! `gdbot ask --follow-up ANSWER_ID`: a follow-up from the command line, in another process than
//! the answer it follows (so from the database), as JSON and as text.

use serde_json::Value;

use crate::{
    cli::gdbot,
    conversations::{FIRST, FOLLOW_UP},
};

const JEREMY: &str = "https://www.youtube.com/watch?v=HhGOGuJY1Wk";

fn json_of(o: &std::process::Output) -> Value {
    assert!(
        o.status.success(),
        "failed: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    serde_json::from_slice(&o.stdout).expect("JSON on stdout")
}

#[test]
fn a_follow_up_from_the_command_line_continues_the_answer() {
    let dir = tempfile::tempdir().unwrap();
    let first = json_of(&gdbot(&dir, &["ask", FIRST, "--json"], &[]));
    let id = first["answer_id"].as_i64().expect("an answer id");
    assert!(first.get("follows").is_none(), "{first}");
    let id_arg = id.to_string();
    let second = json_of(&gdbot(
        &dir,
        &["ask", "--follow-up", &id_arg, FOLLOW_UP, "--json"],
        &[],
    ));
    assert_eq!(second["follows"]["answer_id"], id, "{second}");
    assert_eq!(second["follows"]["question"], FIRST);
    assert_eq!(second["follows"]["conversation"], id);
    assert_eq!(second["follows"]["turn"], 1);
    assert_eq!(second["sources"][0]["url"], JEREMY, "{second}");
    // As text: what it follows, and how to follow this one up.
    let second_id = second["answer_id"].as_i64().unwrap().to_string();
    let o = gdbot(
        &dir,
        &[
            "ask",
            "--follow-up",
            &second_id,
            "Does he still wear a mask indoors?",
        ],
        &[],
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(
        text.contains(&format!("Follow-up to: {FOLLOW_UP} (answer {second_id})")),
        "{text}"
    );
    assert!(text.contains("gdbot ask --follow-up "), "{text}");
    assert!(text.contains(JEREMY), "{text}");
}

#[test]
fn an_unknown_answer_is_followed_up_as_a_new_question() {
    let dir = tempfile::tempdir().unwrap();
    let v = json_of(&gdbot(
        &dir,
        &[
            "ask",
            "--follow-up",
            "4242",
            "What does Sarah Catanzaro think about Rust?",
            "--json",
        ],
        &[],
    ));
    assert!(v.get("follows").is_none(), "{v}");
    let note = v["note"].as_str().unwrap_or_default();
    assert!(
        note.contains("not known") && note.contains("new question"),
        "{v}"
    );
    assert!(!v["sources"].as_array().unwrap().is_empty());
}

#[test]
fn bad_follow_up_options_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    for args in [
        &["ask", "--follow-up", "abc", "Why?"][..],
        &["ask", "--follow-up", "0", "Why?"],
        &["ask", "--follow-up", "-3", "Why?"],
        &[
            "ask",
            "--follow-up",
            "12",
            "--episode",
            "HhGOGuJY1Wk",
            "Why?",
        ],
    ] {
        let o = gdbot(&dir, args, &[]);
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(err.contains("--follow-up"), "{args:?}: {err}");
    }
    let o = gdbot(&dir, &["ask", "Why?"], &[("CONVERSATION_TTL_MINUTES", "0")]);
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("CONVERSATION_TTL_MINUTES"), "{err}");
}
