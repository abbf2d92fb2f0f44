//! In-process timings of the query paths: `App::search` (cold and warm) and `App::ask`.

use std::time::Instant;

use serde::Serialize;

use super::{stats::Latency, BenchError};
use gdbot::{answer::Mode, retrieve::SearchOptions, App};

#[derive(Debug, Clone, Serialize)]
pub struct QueryFigures {
    pub questions: usize,
    /// First pass on a freshly opened pool (SQLite page caches empty; the OS file cache is not).
    pub search_cold: Latency,
    /// Second pass over the same questions.
    pub search_warm: Latency,
    /// Extractive `App::ask` end to end (retrieval, prompt, excerpts, queueing the answer log).
    pub ask: Latency,
}

/// Time `App::search` twice over `questions`, then `App::ask` once per question.
pub async fn measure(app: &App, questions: &[String]) -> Result<QueryFigures, BenchError> {
    if app.llm_model().is_some() {
        return Err(BenchError::LlmConfigured);
    }
    let options = SearchOptions::default();
    let mut passes = Vec::with_capacity(2);
    for _ in 0..2 {
        let mut ms = Vec::with_capacity(questions.len());
        for q in questions {
            let t = Instant::now();
            app.search(q, &options).await?;
            ms.push(t.elapsed().as_secs_f64() * 1e3);
        }
        passes.push(Latency::of(&ms));
    }
    let mut ask_ms = Vec::with_capacity(questions.len());
    for q in questions {
        let t = Instant::now();
        let a = app.ask(q, None, None).await?;
        ask_ms.push(t.elapsed().as_secs_f64() * 1e3);
        if a.mode != Mode::Extractive {
            return Err(BenchError::LlmConfigured);
        }
    }
    Ok(QueryFigures {
        questions: questions.len(),
        search_cold: passes[0],
        search_warm: passes[1],
        ask: Latency::of(&ask_ms),
    })
}
