//! `gdbot bench`: import, search, ask and memory figures measured on a real corpus.
//!
//! For each size N the first N records of the corpus are written to a temp CSV and imported by a
//! child `gdbot import` (so peak RSS is that import's own), next to the sqlite3 shell doing a plain
//! `.import` + FTS5 index of the same file. Then searches and extractive answers are timed in this
//! process, and a child `gdbot bench-idle` reports the resident memory of an idle app.

mod child;
pub use child::peak_rss_kb;
mod latency;
mod report;
mod sample;
mod stats;

use std::path::{Path, PathBuf};

pub use report::Report;
use report::{Machine, Row};
use sample::sample_sentences;

use gdbot::{
    answer::AnswerError,
    config::Config,
    eval::Gold,
    retrieve::{RetrieveError, SearchOptions},
    store::StoreError,
    App,
};

/// Questions of the shipped gold file: realistic questions a user would ask.
const GOLD_JSON: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/data/dataset_questions_gold.json"
));
/// Query sentences sampled from the corpus transcripts, on top of the gold questions.
pub const SAMPLED_SENTENCES: usize = 100;
pub const DEFAULT_SIZES: [usize; 3] = [300, 1000, 2048];

#[derive(Debug, thiserror::Error)]
pub enum BenchError {
    #[error("{path}: {error}")]
    Io { path: String, error: std::io::Error },
    #[error("{path}: not a corpus CSV: {reason}")]
    Corpus { path: String, reason: String },
    #[error("{what} {message}")]
    Child { what: String, message: String },
    #[error("an LLM is configured; the benchmark times extractive answers only")]
    LlmConfigured,
    #[error("the gold questions built into the benchmark do not parse: {0}")]
    Gold(serde_json::Error),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Retrieve(#[from] RetrieveError),
    #[error(transparent)]
    Answer(#[from] AnswerError),
}

impl BenchError {
    fn io(path: &Path, error: std::io::Error) -> Self {
        BenchError::Io {
            path: path.display().to_string(),
            error,
        }
    }
}

/// A config holding only the database: no LLM key, no Discord, whatever the environment says.
pub fn config_for(database_url: &str) -> Result<Config, BenchError> {
    Config::from_lookup(|k| (k == "DATABASE_URL").then(|| database_url.to_string())).map_err(|e| {
        BenchError::Child {
            what: "config".into(),
            message: e.to_string(),
        }
    })
}

/// The queries: the gold questions plus sentences sampled from the corpus.
pub fn questions(corpus: &sample::Corpus) -> Result<Vec<String>, BenchError> {
    let gold: Vec<Gold> = serde_json::from_str(GOLD_JSON).map_err(BenchError::Gold)?;
    let mut out: Vec<String> = gold.into_iter().map(|g| g.question).collect();
    let transcripts: Vec<&str> = (0..corpus.records.len())
        .map(|i| corpus.transcript(i))
        .collect();
    out.extend(sample_sentences(&transcripts, SAMPLED_SENTENCES));
    Ok(out)
}

/// Run every measurement at each size (sizes above the corpus size are capped to it).
pub async fn run(
    corpus_path: &Path,
    sizes: &[usize],
    progress: impl Fn(&str),
) -> Result<Report, BenchError> {
    let corpus = {
        let p = corpus_path.to_path_buf();
        tokio::task::spawn_blocking(move || sample::Corpus::read(&p))
            .await
            .map_err(|e| BenchError::io(corpus_path, std::io::Error::other(e)))??
    };
    let questions = questions(&corpus)?;
    let mut sizes: Vec<usize> = sizes
        .iter()
        .map(|&n| n.min(corpus.records.len()))
        .filter(|&n| n > 0)
        .collect();
    sizes.dedup();
    let sqlite3 = child::has_sqlite3();
    let work = TempDir::new()?;
    let corpus = std::sync::Arc::new(corpus);
    let mut rows = Vec::new();
    for n in sizes {
        progress(&format!("{n} episodes: writing the subset CSV"));
        let csv = work.path().join(format!("subset_{n}.csv"));
        let (csv_bytes, words) = {
            let (c, p) = (corpus.clone(), csv.clone());
            tokio::task::spawn_blocking(move || c.write_subset(n, &p))
                .await
                .map_err(|e| BenchError::io(&csv, std::io::Error::other(e)))??
        };
        progress(&format!("{n} episodes: gdbot import (child process)"));
        let db = work.path().join(format!("gdbot_{n}.db"));
        let imp = blocking(|| child::import(&csv, &db, &work.path().join("import.log")))?;
        let db_bytes = db_size(&db)?;
        let sqlite = if sqlite3 {
            progress(&format!("{n} episodes: sqlite3 shell import"));
            let sdb = work.path().join(format!("sqlite3_{n}.db"));
            let r =
                blocking(|| child::sqlite3_import(&csv, &sdb, &work.path().join("sqlite3.log")))?;
            remove_db(&sdb);
            Some(r)
        } else {
            None
        };
        progress(&format!(
            "{n} episodes: {} searches ×2 and answers",
            questions.len()
        ));
        let app = App::open(config_for(&child::sqlite_url(&db))?).await?;
        let queries = latency::measure(&app, &questions).await?;
        app.close().await;
        progress(&format!("{n} episodes: idle memory (child process)"));
        let idle = blocking(|| child::idle_rss_kb(&db, &work.path().join("idle.log")))?;
        remove_db(&db);
        let _ = std::fs::remove_file(&csv);
        rows.push(Row {
            episodes: n,
            words,
            csv_bytes,
            import_s: imp.wall_s,
            import_mb_per_s: csv_bytes as f64 / 1e6 / imp.wall_s,
            import_words_per_s: words as f64 / imp.wall_s,
            import_peak_rss_kb: imp.peak_rss_kb,
            db_bytes,
            sqlite3_s: sqlite.map(|r| r.wall_s),
            sqlite3_peak_rss_kb: sqlite.map(|r| r.peak_rss_kb),
            queries,
            idle_rss_kb: idle,
        });
    }
    Ok(Report {
        corpus: corpus_path.display().to_string(),
        machine: Machine::describe(),
        rows,
    })
}

/// `gdbot bench-idle`: open the app on `DATABASE_URL`, answer one search, sit idle for a second,
/// and return VmRSS in kB — what a serving bot holding the corpus costs at rest.
pub async fn idle(database_url: &str) -> Result<u64, BenchError> {
    let app = App::open(config_for(database_url)?).await?;
    app.search(
        "How do you deploy machine learning models to production?",
        &SearchOptions::default(),
    )
    .await?;
    tokio::time::sleep(std::time::Duration::from_secs(1)).await;
    let rss = child::vm_rss_kb().ok_or_else(|| BenchError::Child {
        what: "bench-idle".into(),
        message: "cannot read VmRSS from /proc/self/status".into(),
    })?;
    app.close().await;
    Ok(rss)
}

/// The children are waited for synchronously; tell the runtime this worker is blocked.
fn blocking<T>(f: impl FnOnce() -> Result<T, BenchError>) -> Result<T, BenchError> {
    tokio::task::block_in_place(f)
}

/// Size of a database and its WAL (the importer's last connection checkpoints and removes it).
fn db_size(db: &Path) -> Result<u64, BenchError> {
    let main = std::fs::metadata(db)
        .map_err(|e| BenchError::io(db, e))?
        .len();
    let mut wal = db.as_os_str().to_owned();
    wal.push("-wal");
    Ok(main + std::fs::metadata(PathBuf::from(wal)).map_or(0, |m| m.len()))
}

fn remove_db(db: &Path) {
    for suffix in ["", "-wal", "-shm"] {
        let mut p = db.as_os_str().to_owned();
        p.push(suffix);
        let _ = std::fs::remove_file(PathBuf::from(p));
    }
}

/// A scratch directory under the system temp dir, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new() -> Result<TempDir, BenchError> {
        let p = std::env::temp_dir().join(format!("gdbot-bench-{}", std::process::id()));
        std::fs::create_dir_all(&p).map_err(|e| BenchError::io(&p, e))?;
        Ok(TempDir(p))
    }

    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
