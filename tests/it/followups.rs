//! Follow-up questions (`tests/data/followups.json`): retrieval of a follow-up with its
//! conversation (the first question asked and answered as the bot does, then its question and
//! cited episodes as `SearchOptions::context`) against the follow-up alone, on the 3 dataset
//! episodes and among the 299 Practical AI distractors. README "Follow-up questions" has the
//! figures these guard.

use gdbot::{
    answer::PreviousTurn,
    retrieve::{Hit, SearchOptions},
    App,
};
use serde::Deserialize;

use crate::support::{app_with_dataset, app_with_distractors, DATASET};

const FOLLOWUPS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/followups.json");

#[derive(Debug, Deserialize)]
pub(crate) struct Pair {
    pub id: String,
    /// "same": about the first question's episode; "switch": names another episode.
    pub kind: String,
    pub first: String,
    pub follow_up: String,
    pub url: String,
    pub start_word: i64,
    pub end_word: i64,
}

pub(crate) fn pairs() -> Vec<Pair> {
    #[derive(Deserialize)]
    struct Doc {
        pairs: Vec<Pair>,
    }
    let text = std::fs::read_to_string(FOLLOWUPS).expect("tests/data/followups.json");
    serde_json::from_str::<Doc>(&text)
        .expect("followups.json: {\"pairs\": [...]}")
        .pairs
}

/// How many pairs of a kind find the right episode at rank 1, and hit its span in the best 3.
#[derive(Debug, Default, Clone, Copy, PartialEq)]
pub(crate) struct Figures {
    pub n: usize,
    pub alone_at_1: usize,
    pub with_at_1: usize,
    pub alone_span_at_3: usize,
    pub with_span_at_3: usize,
}

impl std::fmt::Display for Figures {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "episode at rank 1: with the conversation {}/{} ({:.3}), alone {}/{} ({:.3}); \
             its span in the best 3: with {}/{}, alone {}/{}",
            self.with_at_1,
            self.n,
            self.with(),
            self.alone_at_1,
            self.n,
            self.alone(),
            self.with_span_at_3,
            self.n,
            self.alone_span_at_3,
            self.n
        )
    }
}

impl Figures {
    fn share(k: usize, n: usize) -> f64 {
        k as f64 / n.max(1) as f64
    }
    pub fn alone(&self) -> f64 {
        Self::share(self.alone_at_1, self.n)
    }
    pub fn with(&self) -> f64 {
        Self::share(self.with_at_1, self.n)
    }
}

fn at_1(hits: &[Hit], p: &Pair) -> bool {
    hits.first().is_some_and(|h| h.url == p.url)
}

fn span_at_3(hits: &[Hit], p: &Pair) -> bool {
    hits.iter()
        .take(3)
        .any(|h| h.url == p.url && h.start_word < p.end_word && p.start_word < h.end_word)
}

/// The figures for pairs of `kind`; `tune` adjusts the context before searching (weights).
pub(crate) async fn figures(
    app: &App,
    kind: &str,
    tune: impl Fn(&mut gdbot::retrieve::TurnContext),
) -> (Figures, Vec<String>) {
    let mut f = Figures::default();
    let mut missed = Vec::new();
    for p in pairs().iter().filter(|p| p.kind == kind) {
        let first = app.ask(&p.first, None, None).await.expect("first question");
        let sources: Vec<String> = first.sources.iter().map(|s| s.url.clone()).collect();
        let mut context = PreviousTurn::new(&p.first, &first.answer, &sources).search_context();
        tune(&mut context);
        let alone = app
            .search(&p.follow_up, &SearchOptions::default())
            .await
            .expect("search alone")
            .hits;
        let options = SearchOptions {
            context: Some(context),
            ..SearchOptions::default()
        };
        let with = app
            .search(&p.follow_up, &options)
            .await
            .expect("search with the conversation")
            .hits;
        f.n += 1;
        f.alone_at_1 += at_1(&alone, p) as usize;
        f.with_at_1 += at_1(&with, p) as usize;
        f.alone_span_at_3 += span_at_3(&alone, p) as usize;
        f.with_span_at_3 += span_at_3(&with, p) as usize;
        if !at_1(&with, p) {
            missed.push(format!(
                "{} {:?} → {}",
                p.id,
                p.follow_up,
                with.first().map_or("nothing", |h| h.title.as_str())
            ));
        }
    }
    (f, missed)
}

#[tokio::test]
async fn the_set_is_well_formed() {
    let pairs = pairs();
    let same = pairs.iter().filter(|p| p.kind == "same").count();
    assert!(same >= 20, "{same} pairs");
    let text = std::fs::read_to_string(DATASET).unwrap();
    for p in &pairs {
        assert!(["same", "switch"].contains(&p.kind.as_str()), "{}", p.id);
        assert!(
            text.contains(&p.url),
            "{}: {} is not a dataset episode",
            p.id,
            p.url
        );
        assert!(0 <= p.start_word && p.start_word < p.end_word, "{}", p.id);
        assert!(!p.first.trim().is_empty() && !p.follow_up.trim().is_empty());
    }
}

/// Guard: with its conversation, ≥ 90 % of follow-ups find their episode first (3 episodes).
#[tokio::test]
async fn follow_ups_find_their_episode_with_the_conversation() {
    let dir = tempfile::tempdir().unwrap();
    let app = app_with_dataset(&dir, &[]).await;
    let (f, missed) = figures(&app, "same", |_| {}).await;
    eprintln!("follow-ups, 3 episodes: {f}; missed {missed:?}");
    assert!(f.with() >= 0.9, "{f:?}; missed: {missed:#?}");
    assert!(f.with() > f.alone(), "{f:?}");
    // A follow-up naming another episode goes there, whatever the conversation was about.
    let (s, missed) = figures(&app, "switch", |_| {}).await;
    eprintln!("switches, 3 episodes: {}/{} at rank 1", s.with_at_1, s.n);
    assert_eq!(s.with_at_1, s.n, "{s:?}; missed: {missed:#?}");
    app.close().await;
}

/// The same among 299 Practical AI episodes.
#[tokio::test]
async fn follow_ups_find_their_episode_among_distractors() {
    let dir = tempfile::tempdir().unwrap();
    let app = app_with_distractors(&dir).await;
    let (f, missed) = figures(&app, "same", |_| {}).await;
    eprintln!("follow-ups, 302 episodes: {f}; missed {missed:?}");
    assert!(f.with() >= 0.9, "{f:?}; missed: {missed:#?}");
    assert!(f.with() > f.alone(), "{f:?}");
    let (s, missed) = figures(&app, "switch", |_| {}).await;
    eprintln!("switches, 302 episodes: {}/{} at rank 1", s.with_at_1, s.n);
    assert_eq!(s.with_at_1, s.n, "{s:?}; missed: {missed:#?}");
    app.close().await;
}

/// Each half of the conversation helps on its own: the previous question's terms (no prior),
/// and the prior of its cited episodes (no terms); with neither, the figure is the follow-up's
/// alone.
#[tokio::test]
async fn the_previous_question_and_its_episodes_each_help() {
    let dir = tempfile::tempdir().unwrap();
    let app = app_with_dataset(&dir, &[]).await;
    let weights = |term_weight: f64, prior_weight: f64| {
        move |c: &mut gdbot::retrieve::TurnContext| {
            c.term_weight = term_weight;
            c.prior_weight = prior_weight;
        }
    };
    let (none, _) = figures(&app, "same", weights(0.0, 0.0)).await;
    assert_eq!(none.with_at_1, none.alone_at_1, "{none:?}");
    let (terms, _) = figures(&app, "same", weights(0.3, 0.0)).await;
    let (prior, _) = figures(&app, "same", weights(0.0, 0.5)).await;
    assert!(terms.with_at_1 > none.alone_at_1, "{terms:?}");
    assert!(prior.with_at_1 > none.alone_at_1, "{prior:?}");
    app.close().await;
}
