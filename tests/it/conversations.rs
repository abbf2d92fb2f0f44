//! Follow-up questions through `App::ask_follow_up` (both front ends' door): answered as a
//! continuation, stored as a conversation, working while the answer followed up is still queued
//! and from another process, expiring after `CONVERSATION_TTL_MINUTES`, and carrying the
//! previous turn into the LLM's prompt.

use std::time::Duration;

use gdbot::{answer::Answer, App};
use serde_json::Value;

use crate::{
    answer::{llm_app, says},
    support::{
        app_with_dataset, config,
        db::{wait_json, Sql, WriteLock},
        fake_openai::FakeOpenAi,
    },
};

pub(crate) const FIRST: &str =
    "What is the simple but profound insight behind diffusion models, according to Jeremy Howard?";
pub(crate) const FOLLOW_UP: &str = "What did he say about teaching it?";
const JEREMY: &str = "https://www.youtube.com/watch?v=HhGOGuJY1Wk";

/// The conversation of `id` as stored: `{"turns": n, "rows": [{answer_id, parent, position,
/// sources: [url…]}…]}` (`Null` until written).
const CONVERSATION_SQL: Sql = Sql {
    sqlite: "SELECT json_object('turns', c.turns, 'rows', (
       SELECT json_group_array(json_object('answer_id', t.answer_id, 'parent', t.parent,
              'position', t.position, 'sources', (SELECT json_group_array(episode_url)
                  FROM (SELECT episode_url FROM turn_sources s WHERE s.answer_id = t.answer_id ORDER BY rank))))
       FROM (SELECT * FROM turns WHERE conversation = c.id ORDER BY position) t))
     FROM conversations c WHERE c.id = $1",
    postgres: "SELECT CAST(json_build_object('turns', c.turns, 'rows', (
       SELECT COALESCE(json_agg(json_build_object('answer_id', t.answer_id, 'parent', t.parent,
              'position', t.position, 'sources', (SELECT COALESCE(json_agg(s.episode_url ORDER BY s.rank), '[]')
                  FROM turn_sources s WHERE s.answer_id = t.answer_id)) ORDER BY t.position), '[]')
       FROM turns t WHERE t.conversation = c.id)) AS TEXT)
     FROM conversations c WHERE c.id = $1",
};

async fn conversation(app: &App, id: i64, turns: i64) -> Value {
    wait_json(
        app.store_for_tests().pool(),
        "the conversation's rows",
        CONVERSATION_SQL,
        id,
        Duration::from_secs(10),
        |v| v["turns"] == turns,
    )
    .await
}

fn top_url(a: &Answer) -> &str {
    a.sources.first().map_or("", |s| s.url.as_str())
}

#[tokio::test]
async fn a_follow_up_continues_the_conversation_and_is_stored() {
    let dir = tempfile::tempdir().unwrap();
    let app = app_with_dataset(&dir, &[]).await;
    let first = app.ask(FIRST, None, None).await.unwrap();
    let id = first.answer_id.expect("recorded");
    assert!(first.follows.is_none());
    let second = app.ask_follow_up(id, FOLLOW_UP, None).await.unwrap();
    assert_eq!(top_url(&second), JEREMY, "{second:#?}");
    let follows = second.follows.clone().expect("a continuation");
    assert_eq!(
        (
            follows.answer_id,
            follows.question.as_str(),
            follows.conversation,
            follows.turn
        ),
        (id, FIRST, id, 1)
    );
    assert!(second.note.is_none(), "{:?}", second.note);
    let json = serde_json::to_value(&second).unwrap();
    assert_eq!(json["follows"]["answer_id"], id);
    assert_eq!(json["follows"]["question"], FIRST);
    // A follow-up to the follow-up: the same conversation, one turn further.
    let second_id = second.answer_id.unwrap();
    let third = app
        .ask_follow_up(second_id, "Why does he use notebooks?", None)
        .await
        .unwrap();
    let f = third.follows.clone().unwrap();
    assert_eq!((f.answer_id, f.conversation, f.turn), (second_id, id, 2));
    assert_eq!(top_url(&third), JEREMY);
    let stored = conversation(&app, id, 3).await;
    let rows = stored["rows"].as_array().unwrap();
    let ids: Vec<(i64, Value, i64)> = rows
        .iter()
        .map(|r| {
            (
                r["answer_id"].as_i64().unwrap(),
                r["parent"].clone(),
                r["position"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        ids,
        [
            (id, Value::Null, 0),
            (second_id, id.into(), 1),
            (third.answer_id.unwrap(), second_id.into(), 2)
        ]
    );
    let urls = |a: &Answer| -> Vec<String> { a.sources.iter().map(|s| s.url.clone()).collect() };
    assert_eq!(rows[0]["sources"], serde_json::json!(urls(&first)));
    assert_eq!(rows[1]["sources"], serde_json::json!(urls(&second)));
    app.close().await;
}

/// The "Follow up" button can be pressed while an import holds the write lock: the answer it
/// follows is still queued, and the follow-up is answered as a continuation all the same.
#[tokio::test]
async fn a_follow_up_to_an_answer_still_queued_is_a_continuation() {
    let dir = tempfile::tempdir().unwrap();
    let app = app_with_dataset(&dir, &[]).await;
    let lock = WriteLock::take(&app.config_for_tests().database_url).await;
    let first = app.ask(FIRST, None, None).await.unwrap();
    let id = first.answer_id.unwrap();
    let second = app.ask_follow_up(id, FOLLOW_UP, None).await.unwrap();
    assert_eq!(second.follows.as_ref().map(|f| f.answer_id), Some(id));
    assert_eq!(top_url(&second), JEREMY);
    let row: Option<i64> = gdbot::db!(app.store_for_tests().pool(), |c| sqlx::query_scalar(
        "SELECT id FROM answers WHERE id = $1"
    )
    .bind(id)
    .fetch_optional(c)
    .await)
    .unwrap();
    assert_eq!(row, None, "the first answer is still queued");
    lock.release().await;
    let stored = conversation(&app, id, 2).await;
    assert_eq!(stored["rows"][1]["parent"], id);
    app.close().await;
}

/// Another process (`gdbot ask --follow-up`) finds answers and turns in the database.
#[tokio::test]
async fn a_conversation_continues_from_the_database() {
    let dir = tempfile::tempdir().unwrap();
    let app = app_with_dataset(&dir, &[]).await;
    let first = app.ask(FIRST, None, None).await.unwrap();
    let id = first.answer_id.unwrap();
    let second = app.ask_follow_up(id, FOLLOW_UP, None).await.unwrap();
    let second_id = second.answer_id.unwrap();
    app.close().await;
    let other = App::open(config(&dir, &[])).await.unwrap();
    let third = other
        .ask_follow_up(second_id, "And does he still wear a mask?", None)
        .await
        .unwrap();
    let f = third.follows.clone().expect("continued");
    assert_eq!((f.answer_id, f.conversation, f.turn), (second_id, id, 2));
    assert_eq!(f.question, FOLLOW_UP);
    assert_eq!(top_url(&third), JEREMY);
    conversation(&other, id, 3).await;
    other.close().await;
}

/// Set the recorded time of answer `id` to `minutes` ago.
async fn age(app: &App, id: i64, minutes: i64) {
    app.store_for_tests().flush_log().await;
    let done = gdbot::db!(app.store_for_tests().pool(), |c, d| sqlx::query(&format!(
        "UPDATE answers SET at = {} WHERE id = $2",
        d.time_ago("$1")
    ))
    .bind(format!("-{minutes} minutes"))
    .bind(id)
    .execute(c)
    .await
    .map(gdbot::store::affected))
    .unwrap();
    assert_eq!(done, 1);
}

#[tokio::test]
async fn an_expired_or_unknown_conversation_is_answered_as_a_new_question() {
    let dir = tempfile::tempdir().unwrap();
    let app = app_with_dataset(&dir, &[("CONVERSATION_TTL_MINUTES", "10")]).await;
    let first = app.ask(FIRST, None, None).await.unwrap();
    let id = first.answer_id.unwrap();
    age(&app, id, 11).await;
    app.close().await;
    // A new process: the answer is only in the database, 11 minutes old.
    let app = App::open(config(&dir, &[("CONVERSATION_TTL_MINUTES", "10")]))
        .await
        .unwrap();
    let late = app.ask_follow_up(id, FOLLOW_UP, None).await.unwrap();
    assert!(late.follows.is_none());
    let note = late.note.clone().unwrap_or_default();
    assert!(
        note.contains("expired") && note.contains("10 minutes"),
        "{note}"
    );
    assert!(note.contains("new question"), "{note}");
    assert!(!late.sources.is_empty(), "still answered: {late:#?}");
    assert_eq!(serde_json::to_value(&late).unwrap().get("follows"), None);
    // Within the lifetime it continues.
    age(&app, id, 9).await;
    let in_time = app.ask_follow_up(id, FOLLOW_UP, None).await.unwrap();
    assert_eq!(in_time.follows.map(|f| f.answer_id), Some(id));
    // An id no answer has: a new question too.
    let unknown = app.ask_follow_up(12345, FOLLOW_UP, None).await.unwrap();
    assert!(unknown.follows.is_none());
    let note = unknown.note.unwrap_or_default();
    assert!(
        note.contains("not known") && note.contains("new question"),
        "{note}"
    );
    // Neither started a conversation of the expired answer.
    let stored = conversation(&app, id, 2).await;
    assert_eq!(stored["rows"].as_array().map(Vec::len), Some(2));
    app.close().await;
}

/// The LLM sees the previous question and answer (labels removed) before the passages.
#[tokio::test]
async fn the_prompt_carries_the_previous_turn() {
    let dir = tempfile::tempdir().unwrap();
    let fake = FakeOpenAi::start(says("Diffusion improves an output step by step [1].")).await;
    let app = llm_app(&dir, &fake, "10").await;
    let first = app.ask(FIRST, None, None).await.unwrap();
    let second = app
        .ask_follow_up(first.answer_id.unwrap(), FOLLOW_UP, None)
        .await
        .unwrap();
    assert_eq!(second.mode, gdbot::answer::Mode::Llm);
    let requests = fake.requests();
    let last = &requests.last().expect("asked").body["messages"];
    let system = last[0]["content"].as_str().unwrap_or_default();
    let user = last[1]["content"].as_str().unwrap_or_default();
    assert!(
        user.starts_with(&format!(
            "Previous question: {FIRST}\nPrevious answer: Diffusion improves an output step by step .\n\nPassages:\n[1]"
        )),
        "{user}"
    );
    assert!(user.ends_with(&format!("Question: {FOLLOW_UP}")), "{user}");
    assert!(
        system.contains("follows up the previous question"),
        "{system}"
    );
    // The first question's prompt had none of it.
    let first_user = requests[0].body["messages"][1]["content"]
        .as_str()
        .unwrap_or_default();
    assert!(first_user.starts_with("Passages:"), "{first_user}");
    app.close().await;
}
