//! How the CLI shows results: JSON documents, episode lists and details, ranked passages, answers
//! (streamed as they are generated) and evaluation scores. Everything goes through `out!`.

use std::io::IsTerminal;

use anyhow::{Context, Result};
use indicatif::{ProgressBar, ProgressStyle};
use serde::Serialize;

use crate::{out::out, stream_print::StreamPrinter};
use gdbot::{
    answer::{self, Answer},
    cite,
    eval::Scores,
    retrieve::Hit,
    store::{EpisodeDetail, EpisodeRow},
    App,
};

/// `--json`: the value as one pretty-printed JSON document.
pub fn json(value: &impl Serialize) -> Result<()> {
    out!("{}", serde_json::to_string_pretty(value)?);
    Ok(())
}

/// The import progress bar, on a terminal only.
pub fn import_progress() -> ProgressBar {
    if !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(0);
    bar.set_style(
        ProgressStyle::with_template("importing {bar:30} {pos}/{len} episodes ({elapsed})")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    bar
}

/// One line of `gdbot episodes`: id, date, duration, title.
pub fn episode_line(e: &EpisodeRow) -> Result<()> {
    out!(
        "{}  {}  {}  {}",
        e.episode_id,
        e.publish_date.as_deref().unwrap_or("----------"),
        duration(e.length_s),
        e.title
    );
    Ok(())
}

pub fn episode(d: &EpisodeDetail) -> Result<()> {
    let r = &d.row;
    out!("{}\n{}", r.title, r.url);
    out!(
        "id {}  ·  {}  ·  {}  ·  {} words",
        r.episode_id,
        r.publish_date.as_deref().unwrap_or("date unknown"),
        duration(r.length_s),
        r.total_words
    );
    if let Some(s) = &d.summary {
        out!("\n{s}");
    }
    if !d.questions.is_empty() {
        out!("\nSuggested questions:");
        for q in d.questions.iter().take(10) {
            out!("  - {q}");
        }
        if d.questions.len() > 10 {
            out!("  … and {} more (--json for all)", d.questions.len() - 10);
        }
    }
    Ok(())
}

/// Ranked passages; with `--json` one `{"query","hits"}` line.
pub fn hits(query: &str, hits: &[Hit], json: bool) -> Result<()> {
    if json {
        out!("{}", serde_json::json!({"query": query, "hits": hits}));
        return Ok(());
    }
    if hits.is_empty() {
        out!("No passage matches `{query}`.");
    }
    for (i, h) in hits.iter().enumerate() {
        let at = h
            .timestamp_s
            .map(|t| cite::format_at(t, h.timestamp_exact))
            .unwrap_or_default();
        out!(
            "[{}] {:.3}  {} {at}  {}\n    {}\n",
            i + 1,
            h.score,
            h.title,
            h.link,
            h.text
        );
    }
    Ok(())
}

/// What `gdbot ask` asks: a question (about one episode), or a follow-up to an answer.
pub struct Asking<'a> {
    pub question: &'a str,
    pub episode: Option<&'a str>,
    pub follow_up: Option<i64>,
}

impl Asking<'_> {
    pub async fn ask(
        &self,
        app: &App,
        partial: Option<&tokio::sync::mpsc::UnboundedSender<String>>,
    ) -> Result<Answer, answer::AnswerError> {
        match self.follow_up {
            Some(previous) => app.ask_follow_up(previous, self.question, partial).await,
            None => app.ask(self.question, self.episode, partial).await,
        }
    }
}

/// Ask, printing the text as it is generated; the final answer's text is printed when done.
pub async fn ask_streaming(app: &App, asking: &Asking<'_>) -> Result<Answer> {
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<String>();
    let printer = tokio::spawn(async move {
        let mut printer = StreamPrinter::new(std::io::stdout());
        let mut failed = None;
        while let Some(text) = rx.recv().await {
            if failed.is_none() {
                failed = printer.update(&text).err();
            }
        }
        (printer, failed)
    });
    let asked = asking.ask(app, Some(&tx)).await;
    drop(tx);
    let (printer, failed) = printer.await.context("the printing task failed")?;
    let answer = asked?;
    if let Some(e) = failed {
        return Err(e.into());
    }
    printer.finish(&answer.answer)?;
    Ok(answer)
}

/// Everything after the answer text: note, what it follows up, the cited sources, how it was
/// made, and its id (to follow it up).
pub fn answer_tail(a: &Answer) -> Result<()> {
    if let Some(note) = &a.note {
        out!("note: {note}\n");
    }
    if let Some(f) = &a.follows {
        out!("Follow-up to: {} (answer {})\n", f.question, f.answer_id);
    }
    // The cited sources by episode: the title once, then each moment with its link.
    let cited = answer::cited::by_episode(a);
    if !cited.is_empty() {
        out!("Sources:");
    }
    for e in cited {
        out!("{}", e.title);
        for m in e.moments {
            let s = m.source;
            let at = s
                .timestamp_s
                .map(|t| cite::format_at(t, s.timestamp_exact))
                .unwrap_or_else(|| "start".into());
            out!("  {at} [{}]  {}", m.label, s.link);
        }
    }
    let mode = match (&a.model, a.mode) {
        (Some(m), answer::Mode::Llm) => format!("generated by {m}"),
        _ => "quoted excerpts".into(),
    };
    out!("\n({mode}; {} ms)", a.latency_ms);
    if let Some(id) = a.answer_id {
        out!("answer {id}: follow it up with gdbot ask --follow-up {id} \"…\"");
    }
    Ok(())
}

/// `gdbot eval`: one line of figures; with `--json` one compact JSON line.
pub fn scores(s: &Scores, questions_signal: bool, json: bool) -> Result<()> {
    if json {
        out!("{}", serde_json::to_string(s)?);
        return Ok(());
    }
    out!(
        "ep_at_1 {:.3}  hit_at_600 {:.3}  hit_at_1000 {:.3}  mean_context_tokens {}  ({} questions, {} missing; questions signal {})",
        s.ep_at_1,
        s.hit_at_600,
        s.hit_at_1000,
        s.mean_context_tokens,
        s.n_episode,
        s.missing,
        if questions_signal { "on" } else { "off" }
    );
    if let Some(a) = &s.answers {
        let f = |v: Option<f64>| v.map_or("-".to_string(), |v| format!("{v:.3}"));
        out!(
            "keyless answers: keyword_any {}  keyword_all {}  quote_in_span {} (overlapping {})  mean_quoted_words {}  ({} with keywords; episode questions keyword_any {})",
            f(a.keyword_any),
            f(a.keyword_all),
            f(a.quote_in_span),
            f(a.quote_overlaps_span),
            a.mean_quoted_words,
            a.n_keyword_questions,
            f(a.episode_keyword_any),
        );
        out!(
            "not covered: precision {}  recall {}  answerable turned away {}  ({} unanswerable, {} answerable)",
            f(a.not_covered_precision),
            f(a.not_covered_recall),
            f(a.answerable_turned_away),
            a.n_unanswerable,
            a.n_answerable,
        );
    }
    Ok(())
}

fn duration(length_s: Option<i64>) -> String {
    match length_s {
        Some(s) => cite::format_timestamp(s)
            .trim_start_matches('≈')
            .to_string(),
        None => "--:--".into(),
    }
}
