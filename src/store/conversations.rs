//! Conversations: what a follow-up question needs of the answer it follows, and the turns it adds.
//!
//! Answer ids are handed out before their rows are written (`log.rs`), and a user may press
//! "Follow up" while the answer is still queued (an import holding the write lock for seconds).
//! So the store remembers its latest answers in memory (`Recent`, the last `RECENT` of them —
//! more than the writer's queue holds) and looks there first, then in the database, where another
//! process (`gdbot ask --follow-up`) finds the answers of earlier runs. Turns are written by the
//! same background writer as answers, after them, so a turn's answer row is always there first.

use std::{
    collections::{HashMap, VecDeque},
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use super::{affected, ago, Pool, Store, StoreError, Tx};
use crate::db;

/// Answers remembered in memory (a few KB each). The writer's queue holds at most 4,096 jobs and
/// works on one more, so an answer still waiting to be written is always among the latest 5,000.
const RECENT: usize = 5000;

/// The answer a follow-up continues, as the follow-up needs it.
#[derive(Debug, Clone, PartialEq)]
pub struct PriorTurn {
    pub answer_id: i64,
    pub question: String,
    pub answer: String,
    /// URL of the episode of each source the answer cited, in citation order ([1] first).
    pub sources: Vec<String>,
    /// Its conversation (the id of the conversation's first answer) and its place in it
    /// (0: the first question).
    pub conversation: i64,
    pub position: i64,
    /// How long ago it was answered.
    pub age: Duration,
}

/// A follow-up's answer as a turn of the conversation of `parent`, queued after its answer.
#[derive(Debug, Clone, PartialEq)]
pub struct TurnRecord {
    pub answer_id: i64,
    /// The answer it follows up; its turn is written too if it was the first question.
    pub parent: PriorTurn,
    /// URL of the episode of each source it cited, in citation order.
    pub sources: Vec<String>,
}

/// A recorded answer with its turn, if it has one.
#[derive(sqlx::FromRow)]
struct AnswerRow {
    question: String,
    answer: String,
    sources_json: String,
    age_s: f64,
    conversation: Option<i64>,
    position: Option<i64>,
}

#[derive(Debug, Clone)]
struct Remembered {
    question: String,
    answer: String,
    sources: Vec<String>,
    conversation: i64,
    position: i64,
    at: Instant,
}

/// The latest answers, by id (bounded: the oldest are forgotten first).
#[derive(Debug, Clone, Default)]
pub(super) struct Recent(Arc<Mutex<RecentInner>>);

#[derive(Debug, Default)]
struct RecentInner {
    by_id: HashMap<i64, Remembered>,
    order: VecDeque<i64>,
}

impl Recent {
    fn lock(&self) -> std::sync::MutexGuard<'_, RecentInner> {
        // A panic elsewhere must not stop follow-ups.
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn remember(&self, id: i64, r: Remembered) {
        let mut inner = self.lock();
        if inner.by_id.insert(id, r).is_none() {
            inner.order.push_back(id);
        }
        while inner.order.len() > RECENT {
            if let Some(old) = inner.order.pop_front() {
                inner.by_id.remove(&old);
            }
        }
    }

    fn get(&self, id: i64) -> Option<PriorTurn> {
        let inner = self.lock();
        let r = inner.by_id.get(&id)?;
        Some(PriorTurn {
            answer_id: id,
            question: r.question.clone(),
            answer: r.answer.clone(),
            sources: r.sources.clone(),
            conversation: r.conversation,
            position: r.position,
            age: r.at.elapsed(),
        })
    }
}

impl Store {
    /// Remember an answer just queued (`queue_answer`) so it can be followed up before its row is
    /// written: it starts a conversation of its own.
    pub fn remember_answer(
        &self,
        answer_id: i64,
        question: &str,
        answer: &str,
        sources: Vec<String>,
    ) {
        self.recent.remember(
            answer_id,
            Remembered {
                question: question.to_string(),
                answer: answer.to_string(),
                sources,
                conversation: answer_id,
                position: 0,
                at: Instant::now(),
            },
        );
    }

    /// The answer `answer_id` as a follow-up needs it: from memory if it is recent, else from the
    /// database. `None` when no such answer is known (never given, or its row was not kept).
    pub async fn prior_turn(&self, answer_id: i64) -> Result<Option<PriorTurn>, StoreError> {
        if let Some(found) = self.recent.get(answer_id) {
            return Ok(Some(found));
        }
        let row: Option<AnswerRow> = db!(&self.pool, |c, d| sqlx::query_as(&format!(
            "SELECT a.question, a.answer, a.sources_json,
                    {} AS age_s,
                    t.conversation, t.position
             FROM answers a LEFT JOIN turns t ON t.answer_id = a.id
             WHERE a.id = $1",
            d.seconds_since("a.at")
        ))
        .bind(answer_id)
        .fetch_optional(c)
        .await)?;
        Ok(row.map(|r| PriorTurn {
            answer_id,
            question: r.question,
            answer: r.answer,
            sources: source_urls(&r.sources_json),
            conversation: r.conversation.unwrap_or(answer_id),
            position: r.position.unwrap_or(0),
            // (Clock skew between writers can make a fresh answer look a little in the future.)
            age: Duration::from_secs_f64(r.age_s.max(0.0)),
        }))
    }

    /// Queue a follow-up's turn (after its answer, `queue_answer`); it is remembered at once.
    pub async fn queue_turn(&self, turn: TurnRecord) -> Result<(), StoreError> {
        // (The lock is released before `remember` takes it again.)
        let remembered = self.recent.lock().by_id.get(&turn.answer_id).cloned();
        if let Some(mut r) = remembered {
            r.conversation = turn.parent.conversation;
            r.position = turn.parent.position + 1;
            self.recent.remember(turn.answer_id, r);
        }
        self.recorder.send(super::recorder::Job::turn(turn)).await
    }
}

impl Store {
    /// Episode row ids by URL, for the URLs stored (within a search's read transaction).
    pub async fn episode_keys_by_url(
        tx: &mut Tx,
        urls: &[String],
    ) -> Result<HashMap<String, i64>, StoreError> {
        let mut keys = HashMap::new();
        for url in urls {
            if keys.contains_key(url) {
                continue;
            }
            let key: Option<i64> = db!(&mut *tx, |c| sqlx::query_scalar(
                "SELECT id FROM episodes WHERE url = $1"
            )
            .bind(url)
            .fetch_optional(c)
            .await)?;
            if let Some(key) = key {
                keys.insert(url.clone(), key);
            }
        }
        Ok(keys)
    }
}

/// The episode URLs of a recorded answer's `sources_json` (a list of sources with a `url`).
fn source_urls(sources_json: &str) -> Vec<String> {
    #[derive(serde::Deserialize)]
    struct Cited {
        url: String,
    }
    match serde_json::from_str::<Vec<Cited>>(sources_json) {
        Ok(list) => list.into_iter().map(|c| c.url).collect(),
        Err(e) => {
            tracing::warn!(error = %e, "a recorded answer's sources do not read; following it up without them");
            Vec::new()
        }
    }
}

/// Write a turn (and its conversation, and its parent's turn when that was the first question)
/// in one transaction. The answers it names are written before it by the same writer.
pub(super) async fn insert_turn(
    pool: &Pool,
    t: &TurnRecord,
    ago_s: f64,
) -> Result<(), sqlx::Error> {
    let conversation = t.parent.conversation;
    // SQLite: take the write lock at once (no upgrade to fail half-way). Postgres: READ
    // COMMITTED; the statements below hold under concurrent turns of one conversation.
    let mut tx = match pool {
        Pool::Sqlite(p) => Tx::Sqlite(p.begin_with("BEGIN IMMEDIATE").await?),
        Pool::Postgres(p, t) => Tx::Postgres(p.begin().await?, t.clone()),
    };
    db!(&mut tx, |c| sqlx::query(
        "INSERT INTO conversations (id, started_at, last_at, turns)
         SELECT id, at, at, 1 FROM answers WHERE id = $1 ON CONFLICT(id) DO NOTHING",
    )
    .bind(conversation)
    .execute(c)
    .await
    .map(affected))?;
    if t.parent.position == 0 {
        let added = db!(&mut tx, |c| {
            sqlx::query(
            "INSERT INTO turns (answer_id, conversation, parent, position, at)
             SELECT id, $1, NULL, 0, at FROM answers WHERE id = $2 ON CONFLICT(answer_id) DO NOTHING",
        )
        .bind(conversation)
        .bind(t.parent.answer_id)
        .execute(c)
        .await
        .map(affected)
        })?;
        if added > 0 {
            insert_sources(&mut tx, t.parent.answer_id, &t.parent.sources).await?;
        }
    }
    db!(&mut tx, |c, d| {
        sqlx::query(&format!(
        "INSERT INTO turns (answer_id, conversation, parent, position, at) VALUES ($1, $2, $3, $4, {})",
        d.time_ago("$5")
    ))
    .bind(t.answer_id)
    .bind(conversation)
    .bind(t.parent.answer_id)
    .bind(t.parent.position + 1)
    .bind(ago(ago_s))
    .execute(c)
    .await
    .map(affected)
    })?;
    insert_sources(&mut tx, t.answer_id, &t.sources).await?;
    db!(&mut tx, |c, d| sqlx::query(&format!(
        "UPDATE conversations SET last_at = {},
             turns = (SELECT COUNT(*) FROM turns WHERE conversation = $2)
         WHERE id = $2",
        d.time_ago("$1")
    ))
    .bind(ago(ago_s))
    .bind(conversation)
    .execute(c)
    .await
    .map(affected))?;
    tx.commit().await
}

async fn insert_sources(tx: &mut Tx, answer_id: i64, urls: &[String]) -> Result<(), sqlx::Error> {
    for (i, url) in urls.iter().enumerate() {
        db!(&mut *tx, |c| sqlx::query(
            "INSERT INTO turn_sources (answer_id, rank, episode_url) VALUES ($1, $2, $3)"
        )
        .bind(answer_id)
        .bind(i as i64 + 1)
        .bind(url)
        .execute(c)
        .await
        .map(affected))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn remembered(position: i64) -> Remembered {
        Remembered {
            question: "q".into(),
            answer: "a [1]".into(),
            sources: vec!["https://example.org/a".into()],
            conversation: 1,
            position,
            at: Instant::now(),
        }
    }

    #[test]
    fn the_oldest_answers_are_forgotten_first_and_updates_keep_their_place() {
        let recent = Recent::default();
        for id in 1..=RECENT as i64 {
            recent.remember(id, remembered(0));
        }
        // Updating an answer (its turn was queued) does not make it newer.
        recent.remember(1, remembered(3));
        assert_eq!(recent.get(1).map(|t| t.position), Some(3));
        recent.remember(RECENT as i64 + 1, remembered(0));
        assert!(recent.get(1).is_none(), "the oldest is forgotten");
        let kept = recent.get(2).expect("the next one stays");
        assert_eq!((kept.answer_id, kept.sources.len()), (2, 1));
        assert!(kept.age < Duration::from_secs(60));
        assert!(recent.get(RECENT as i64 + 1).is_some());
        assert_eq!(recent.lock().by_id.len(), RECENT);
    }

    #[test]
    fn recorded_sources_are_read_for_their_urls() {
        let json = r#"[{"url":"https://a","title":"A","extra":1},{"url":"https://b"}]"#;
        assert_eq!(source_urls(json), ["https://a", "https://b"]);
        assert!(source_urls("not json").is_empty());
    }
}
