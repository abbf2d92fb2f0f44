//! The answer log's one background writer: a bounded queue of answers and votes, written in the
//! order they were queued, each retried while the database is busy (SQLite: another connection —
//! an import — holds the write lock; Postgres: a serialization failure, deadlock or lock timeout)
//! for up to a minute. Also hands out answer ids without the database.

use std::{
    collections::{hash_map::RandomState, HashSet},
    future::Future,
    hash::BuildHasher,
    sync::{
        atomic::{AtomicI64, Ordering},
        Arc, Mutex,
    },
    time::{Duration, Instant, SystemTime, UNIX_EPOCH},
};

use tokio::sync::{mpsc, oneshot};

use super::{
    backend::is_retryable,
    conversations::{insert_turn, TurnRecord},
    log::{insert_answer, insert_vote, AnswerRecord},
    Pool, StoreError,
};

/// Jobs waiting at most; beyond that, queueing waits (the database has been locked for long).
const QUEUE: usize = 4096;
/// A record still not written after this long (busy all along) is given up, with an error logged.
pub(super) const GIVE_UP_AFTER: Duration = Duration::from_secs(60);
const FIRST_PAUSE: Duration = Duration::from_millis(50);
const MAX_PAUSE: Duration = Duration::from_secs(2);
/// Low bits of an answer id that tell processes apart (see `Ids`).
const TAG_BITS: u32 = 10;

pub(super) struct Job {
    queued_at: Instant,
    kind: Kind,
}

enum Kind {
    Answer {
        id: i64,
        record: Box<AnswerRecord>,
    },
    Vote {
        answer: i64,
        user_id: String,
        vote: i8,
    },
    Flush(oneshot::Sender<()>),
    /// A follow-up's turn (`conversations`), queued after its answer.
    Turn(Box<TurnRecord>),
}

impl Job {
    fn new(kind: Kind) -> Job {
        Job {
            queued_at: Instant::now(),
            kind,
        }
    }

    pub(super) fn answer(id: i64, record: AnswerRecord) -> Job {
        Job::new(Kind::Answer {
            id,
            record: Box::new(record),
        })
    }

    pub(super) fn turn(turn: TurnRecord) -> Job {
        Job::new(Kind::Turn(Box::new(turn)))
    }

    pub(super) fn vote(answer: i64, user_id: &str, vote: i8) -> Job {
        Job::new(Kind::Vote {
            answer,
            user_id: user_id.to_string(),
            vote,
        })
    }
}

/// Handle on the writer; cheap to clone. The writer ends when the last handle is dropped.
#[derive(Clone, Debug)]
pub(super) struct Recorder {
    tx: mpsc::Sender<Job>,
    /// Answer ids queued and not yet committed: votes on them are accepted.
    queued: Arc<Mutex<HashSet<i64>>>,
    ids: Arc<Ids>,
}

impl Recorder {
    /// Start the writer on `pool` (needs a tokio runtime).
    pub(super) fn start(pool: Pool) -> Recorder {
        let (tx, rx) = mpsc::channel(QUEUE);
        let queued: Arc<Mutex<HashSet<i64>>> = Arc::default();
        tokio::spawn(write_all(pool, rx, queued.clone()));
        Recorder {
            tx,
            queued,
            ids: Arc::new(Ids::new()),
        }
    }

    pub(super) fn next_id(&self) -> i64 {
        self.ids.next()
    }

    fn set(&self) -> std::sync::MutexGuard<'_, HashSet<i64>> {
        // A panic elsewhere must not stop the log.
        self.queued.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub(super) fn mark_queued(&self, id: i64) {
        self.set().insert(id);
    }

    pub(super) fn forget(&self, id: i64) {
        self.set().remove(&id);
    }

    pub(super) fn is_queued(&self, id: i64) -> bool {
        self.set().contains(&id)
    }

    pub(super) async fn send(&self, job: Job) -> Result<(), StoreError> {
        self.tx.send(job).await.map_err(|_| StoreError::LogStopped)
    }

    /// Wait until every job queued before this call is done.
    pub(super) async fn flush(&self) {
        let (done, wait) = oneshot::channel();
        if self.send(Job::new(Kind::Flush(done))).await.is_ok() {
            let _ = wait.await;
        }
    }
}

async fn write_all(pool: Pool, mut rx: mpsc::Receiver<Job>, queued: Arc<Mutex<HashSet<i64>>>) {
    while let Some(Job { queued_at, kind }) = rx.recv().await {
        let ago = || queued_at.elapsed().as_secs_f64();
        match kind {
            Kind::Flush(done) => {
                let _ = done.send(());
            }
            Kind::Answer { id, record } => {
                let written =
                    retrying(GIVE_UP_AFTER, || insert_answer(&pool, id, &record, ago())).await;
                if let Err(e) = written {
                    tracing::error!(error = %e, answer_id = id, "could not record an answer");
                }
                queued.lock().unwrap_or_else(|p| p.into_inner()).remove(&id);
            }
            Kind::Vote {
                answer,
                user_id,
                vote,
            } => {
                let written = retrying(GIVE_UP_AFTER, || {
                    insert_vote(&pool, answer, &user_id, vote, ago())
                })
                .await;
                if let Err(e) = written {
                    tracing::error!(error = %e, answer_id = answer, "could not record a vote");
                }
            }
            Kind::Turn(turn) => {
                let written = retrying(GIVE_UP_AFTER, || insert_turn(&pool, &turn, ago())).await;
                if let Err(e) = written {
                    tracing::error!(error = %e, answer_id = turn.answer_id, "could not record a follow-up's turn");
                }
            }
        }
    }
}

/// Run `op` until it succeeds, fails for another reason than a busy database, or `give_up` passed.
async fn retrying<F, Fut>(give_up: Duration, mut op: F) -> Result<(), sqlx::Error>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<(), sqlx::Error>>,
{
    let started = Instant::now();
    let mut pause = FIRST_PAUSE;
    loop {
        match op().await {
            Err(e) if is_retryable(&e) && started.elapsed() + pause < give_up => {
                tracing::debug!(error = %e, "database busy; the answer log retries");
                tokio::time::sleep(pause).await;
                pause = (pause * 2).min(MAX_PAUSE);
            }
            other => return other,
        }
    }
}

/// Answer ids without the database: milliseconds since 1970 shifted left by `TAG_BITS`, plus a
/// random per-process tag in the low bits; strictly increasing within a process. They stay below
/// 2^53 (exact in JSON numbers) until the year 2248. Two processes can only collide when they
/// drew the same tag (1 in 1024) and answer within the same millisecond.
#[derive(Debug)]
struct Ids {
    last: AtomicI64,
    tag: i64,
}

impl Ids {
    fn new() -> Ids {
        let tag = (RandomState::new().hash_one(std::process::id()) & ((1 << TAG_BITS) - 1)) as i64;
        Ids {
            last: AtomicI64::new(tag),
            tag,
        }
    }

    fn next(&self) -> i64 {
        let ms = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as i64);
        let now = (ms << TAG_BITS) | self.tag;
        let step = 1 << TAG_BITS;
        let next = |last: i64| now.max(last + step);
        match self
            .last
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |l| Some(next(l)))
        {
            Ok(prev) | Err(prev) => next(prev),
        }
    }
}

#[cfg(test)]
#[path = "recorder_tests.rs"]
mod tests;
