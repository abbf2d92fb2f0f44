//! The whole stored archive as `Episode` values, in id order (the order a reload or an add put
//! them in), for `gdbot export`. Read in one read transaction: one consistent snapshot.

use std::collections::HashMap;

use super::{Store, StoreError};
use crate::{
    dataset::{word_times, Episode},
    db,
};

type Row = (
    i64,
    String,
    String,
    String,
    Option<String>,
    Option<i64>,
    i64,
    String,
    Option<String>,
    Option<Vec<u8>>,
);

impl Store {
    /// Every stored episode with its questions and word times. Times that do not decode (a
    /// damaged row) are left out with a warning: the rest of the episode is still exported.
    pub async fn all_episodes(&self) -> Result<Vec<Episode>, StoreError> {
        let mut tx = self.begin_read().await?;
        let rows: Vec<Row> = db!(&mut tx, |c| {
            sqlx::query_as(
            "SELECT id, episode_id, url, title, publish_date, length_s, total_words, transcript, summary, word_times
             FROM episodes ORDER BY id",
        )
        .fetch_all(c)
        .await
        })?;
        let questions: Vec<(i64, String)> = db!(&mut tx, |c| sqlx::query_as(
            "SELECT episode, text FROM questions ORDER BY episode, position"
        )
        .fetch_all(c)
        .await)?;
        tx.commit().await?;
        let mut by_episode: HashMap<i64, Vec<String>> = HashMap::new();
        for (episode, text) in questions {
            by_episode.entry(episode).or_default().push(text);
        }
        Ok(rows
            .into_iter()
            .map(|r| {
                let (id, episode_id, url, title, publish_date, length_s, total_words) =
                    (r.0, r.1, r.2, r.3, r.4, r.5, r.6);
                let word_times_ms = r.9.and_then(|blob| {
                    let times = word_times::decode(&blob)
                        .filter(|t| t.len() as i64 == total_words);
                    if times.is_none() {
                        tracing::warn!(%episode_id, "stored word times are damaged; exported without them");
                    }
                    times
                });
                Episode {
                    questions: by_episode.remove(&id).unwrap_or_default(),
                    episode_id,
                    url,
                    title,
                    publish_date,
                    length_s,
                    total_words,
                    transcript: r.7,
                    summary: r.8,
                    word_times_ms,
                }
            })
            .collect())
    }
}
