//! The `gdbot` command line: parses arguments, builds the App, prints. No logic of its own.

use std::{io::IsTerminal, path::PathBuf, process::ExitCode};

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};

mod out;
use indicatif::{ProgressBar, ProgressStyle};
use out::out;

use gdbot::{
    answer::Answer,
    cite,
    config::Config,
    eval::Gold,
    retrieve::{Hit, SearchOptions, Tuning},
    store::EpisodeDetail,
    App, EpisodeLookup,
};

#[derive(Parser)]
#[command(
    name = "gdbot",
    version,
    about = "Answers questions about the Gradient Dissent podcast, with sources"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Validate dataset CSV file(s) and replace the stored dataset atomically (default: DATASET_PATH)
    Import {
        /// CSV files (optionally .gz); several are merged into one dataset
        paths: Vec<PathBuf>,
        /// Validate and report what would change, without changing anything
        #[arg(long)]
        dry_run: bool,
        #[arg(long)]
        json: bool,
    },
    /// List the stored episodes
    Episodes {
        #[arg(long)]
        json: bool,
    },
    /// Show one episode: by video id, URL, or words of its title / guest name
    Episode {
        query: String,
        #[arg(long)]
        json: bool,
    },
    /// Rank transcript passages for a query
    Search {
        /// The query (omit with --batch)
        query: Option<String>,
        /// Only this episode (its id, see `gdbot episodes`)
        #[arg(long)]
        episode: Option<String>,
        /// Number of passages
        #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u16).range(1..=100))]
        k: u16,
        /// JSON lines {"qid","question"} in, one {"qid","hits"} line out per question
        #[arg(long)]
        batch: Option<PathBuf>,
        /// Ignore the dataset's generated questions (leakage-free evaluation)
        #[arg(long)]
        without_questions: bool,
        #[arg(long)]
        json: bool,
    },
    /// Answer a question with cited sources (LLM when OPENAI_API_KEY is set, quoted excerpts otherwise)
    Ask {
        question: String,
        /// Only this episode (its id, see `gdbot episodes`)
        #[arg(long)]
        episode: Option<String>,
        #[arg(long)]
        json: bool,
        /// Print the answer as it is generated (the default when stdout is a terminal)
        #[arg(long, conflicts_with = "json")]
        stream: bool,
    },
    /// Run the Discord bot (/ask, /episode, /reload) until Ctrl-C or SIGTERM
    Serve,
    /// Measure retrieval quality against a gold file (see shared/eval/README.md)
    Eval {
        #[arg(long)]
        gold: PathBuf,
        /// Ignore the dataset's generated questions (the gold questions ARE those questions)
        #[arg(long)]
        without_questions: bool,
        /// Experiment with fusion weights: name=value,… (see retrieve::Tuning)
        #[arg(long, hide = true)]
        tune: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Measure import, search, answer and memory figures on a corpus CSV (see README "Performance")
    Bench {
        /// Corpus in the dataset schema (.csv or .csv.gz), e.g. ../shared/corpus/changelog.csv.gz
        corpus: PathBuf,
        /// Corpus sizes (first N episodes), comma-separated
        #[arg(long, value_delimiter = ',', default_values_t = gdbot::bench::DEFAULT_SIZES)]
        sizes: Vec<usize>,
        #[arg(long)]
        json: bool,
    },
    /// Internal (used by `bench`): open DATABASE_URL, search once, idle 1 s, print VmRSS
    #[command(hide = true)]
    BenchIdle,
    /// Internal (used by `bench`): `import PATH`, then print this process's peak RSS (VmHWM)
    #[command(hide = true)]
    BenchImport { path: PathBuf },
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    // Secrets are hidden from every log line and error message from the start (read raw, before
    // the configuration is validated: an invalid config must not print them either).
    let _ = dotenvy::dotenv();
    gdbot::redact::install(gdbot::redact::Secrets::from_lookup(|k| {
        std::env::var(k).ok()
    }));
    // Configuration next: it validates every variable, RUST_LOG (from `.env` too) included.
    let config = match Config::from_env() {
        Ok(config) => config,
        Err(e) => {
            eprintln!("error: {}", gdbot::redact::redact_global(&e.to_string()));
            return ExitCode::FAILURE;
        }
    };
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new(&config.log_filter))
        .with_writer(gdbot::redact::RedactingWriter::new(std::io::stderr))
        .with_ansi(std::io::stderr().is_terminal())
        .init();
    match run(cli, config).await {
        Ok(code) => code,
        Err(e) => {
            if let Some(code) = out::closed_exit(&e) {
                return code;
            }
            eprintln!("error: {}", gdbot::redact::redact_global(&format!("{e:#}")));
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli, config: Config) -> Result<ExitCode> {
    match &cli.command {
        Command::Bench {
            corpus,
            sizes,
            json,
        } => {
            let report =
                gdbot::bench::run(corpus, sizes, |step| eprintln!("bench: {step}")).await?;
            if *json {
                out!("{}", serde_json::to_string_pretty(&report)?);
            } else {
                out!("{report}");
            }
            return Ok(ExitCode::SUCCESS);
        }
        Command::BenchIdle => {
            let url = std::env::var("DATABASE_URL").context("bench-idle needs DATABASE_URL")?;
            out!("VmRSS_kB {}", gdbot::bench::idle(&url).await?);
            return Ok(ExitCode::SUCCESS);
        }
        _ => {}
    }
    if matches!(cli.command, Command::Serve) && config.discord.token.is_none() {
        // Before opening anything or touching the network.
        return Err(gdbot::discord::ServeError::MissingToken.into());
    }
    let app = App::open(config).await?;
    if let Command::Import {
        paths,
        dry_run,
        json,
    } = &cli.command
    {
        return import(&app, paths, *dry_run, *json).await;
    }
    if let Command::BenchImport { path } = &cli.command {
        // VmHWM, not the parent's wait4 ru_maxrss: on Linux that also counts the parent's memory
        // at spawn time (the vfork'd child shares it until exec).
        let code = import(&app, std::slice::from_ref(path), false, false).await?;
        out!("VmHWM_kB {}", gdbot::bench::peak_rss_kb().unwrap_or(0));
        return Ok(code);
    }
    if let Some(report) = app
        .ensure_dataset()
        .await
        .context("first-use import failed")?
    {
        eprintln!("First use: imported the dataset. {report}");
    }
    match cli.command {
        Command::Import { .. }
        | Command::Bench { .. }
        | Command::BenchIdle
        | Command::BenchImport { .. } => {
            unreachable!("handled above")
        }
        Command::Serve => {
            // serve closes the store itself once in-flight interactions are done.
            gdbot::discord::serve(app, shutdown_signal()).await?;
            return Ok(ExitCode::SUCCESS);
        }
        Command::Episodes { json } => {
            let eps = app.episodes().await?;
            if json {
                out!("{}", serde_json::to_string_pretty(&eps)?);
            } else {
                for e in eps {
                    out!(
                        "{}  {}  {}  {}",
                        e.episode_id,
                        e.publish_date.as_deref().unwrap_or("----------"),
                        duration(e.length_s),
                        e.title
                    );
                }
            }
        }
        Command::Episode { query, json } => {
            let row = match app.find_episode(&query).await? {
                EpisodeLookup::Found(row) => row,
                EpisodeLookup::NothingToLookUp => {
                    eprintln!(
                        "error: nothing to look up in `{query}`: give a video id, a URL, or words of the title or guest name"
                    );
                    return Ok(ExitCode::from(2));
                }
                EpisodeLookup::NotFound { closest } => {
                    eprintln!("no episode matches `{query}`. Closest titles:");
                    for t in closest {
                        eprintln!("  {t}");
                    }
                    return Ok(ExitCode::from(2));
                }
            };
            let detail = app
                .episode(&row.episode_id)
                .await?
                .context("episode vanished")?;
            if json {
                out!("{}", serde_json::to_string_pretty(&detail)?);
            } else {
                print_episode(&detail)?;
            }
        }
        Command::Search {
            query,
            episode,
            k,
            batch,
            without_questions,
            json,
        } => {
            let options = SearchOptions {
                episode,
                k: k as usize,
                use_questions: !without_questions,
                ..SearchOptions::default()
            };
            match (batch, query) {
                (Some(file), None) => search_batch(&app, &file, &options).await?,
                (None, Some(q)) => {
                    let found = app.search(&q, &options).await?;
                    print_hits(&q, &found.hits, json)?;
                }
                _ => anyhow::bail!("give either a QUERY or --batch FILE"),
            }
        }
        Command::Ask {
            question,
            episode,
            json,
            stream,
        } => {
            if json {
                let answer = app.ask(&question, episode.as_deref(), None).await?;
                out!("{}", serde_json::to_string_pretty(&answer)?);
            } else if stream || std::io::stdout().is_terminal() {
                let answer = ask_streaming(&app, &question, episode.as_deref()).await?;
                print_answer_tail(&answer)?;
            } else {
                let answer = app.ask(&question, episode.as_deref(), None).await?;
                out!("{}\n", answer.answer);
                print_answer_tail(&answer)?;
            }
        }
        Command::Eval {
            gold,
            without_questions,
            tune,
            json,
        } => {
            let text = std::fs::read_to_string(&gold)
                .with_context(|| format!("cannot read {}", gold.display()))?;
            let gold_items: Vec<Gold> = serde_json::from_str(&text)
                .with_context(|| format!("{}: not a gold JSON list", gold.display()))?;
            let options = SearchOptions {
                k: 10,
                use_questions: !without_questions,
                tuning: Tuning::default()
                    .apply(tune.as_deref().unwrap_or(""))
                    .map_err(|e| anyhow::anyhow!("--tune: {e}"))?,
                ..SearchOptions::default()
            };
            let scores = app.eval(&gold_items, &options).await?;
            if json {
                out!("{}", serde_json::to_string(&scores)?);
            } else {
                out!(
                    "ep_at_1 {:.3}  hit_at_600 {:.3}  hit_at_1000 {:.3}  mean_context_tokens {}  ({} questions, {} missing; questions signal {})",
                    scores.ep_at_1,
                    scores.hit_at_600,
                    scores.hit_at_1000,
                    scores.mean_context_tokens,
                    scores.n_episode,
                    scores.missing,
                    if without_questions { "off" } else { "on" }
                );
            }
        }
    }
    app.close().await;
    Ok(ExitCode::SUCCESS)
}

/// Resolves on Ctrl-C (SIGINT) or SIGTERM.
async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}

async fn import(app: &App, paths: &[PathBuf], dry_run: bool, json: bool) -> Result<ExitCode> {
    let progress = if std::io::stderr().is_terminal() {
        let bar = ProgressBar::new(0);
        bar.set_style(
            ProgressStyle::with_template("importing {bar:30} {pos}/{len} episodes ({elapsed})")
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        bar
    } else {
        ProgressBar::hidden()
    };
    let started = std::time::Instant::now();
    let imported = if paths.is_empty() {
        app.import_dataset_path(dry_run, &progress).await
    } else {
        app.import_paths(paths, dry_run, &progress).await
    };
    match imported {
        Ok(report) => {
            progress.finish_and_clear();
            if json {
                out!("{}", serde_json::to_string_pretty(&report)?);
            } else {
                out!("{report}");
                eprintln!("took {:.2} s", started.elapsed().as_secs_f64());
            }
            app.close().await;
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => {
            progress.finish_and_clear();
            eprintln!("error: {e}\nThe stored dataset was not changed.");
            app.close().await;
            Ok(ExitCode::FAILURE)
        }
    }
}

async fn search_batch(app: &App, file: &PathBuf, options: &SearchOptions) -> Result<()> {
    #[derive(serde::Deserialize)]
    struct Line {
        qid: serde_json::Value,
        question: String,
    }
    let text =
        std::fs::read_to_string(file).with_context(|| format!("cannot read {}", file.display()))?;
    for (n, line) in text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
    {
        let item: Line = serde_json::from_str(line).with_context(|| {
            format!(
                "{} line {}: expected {{\"qid\", \"question\"}}",
                file.display(),
                n + 1
            )
        })?;
        let found = app.search(&item.question, options).await?;
        out!(
            "{}",
            serde_json::json!({"qid": item.qid, "hits": found.hits})
        );
    }
    Ok(())
}

fn print_hits(query: &str, hits: &[Hit], json: bool) -> Result<()> {
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
            .map(cite::format_timestamp)
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

/// Ask, printing the text as it is generated; the final answer's text is printed when done.
async fn ask_streaming(app: &App, question: &str, episode: Option<&str>) -> Result<Answer> {
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<String>();
    let printer = tokio::spawn(async move {
        let mut printer = answer::stream_print::StreamPrinter::new(std::io::stdout());
        let mut failed = None;
        while let Some(text) = rx.recv().await {
            if failed.is_none() {
                failed = printer.update(&text).err();
            }
        }
        (printer, failed)
    });
    let asked = app.ask(question, episode, Some(&tx)).await;
    drop(tx);
    let (printer, failed) = printer.await.context("the printing task failed")?;
    let answer = asked?;
    if let Some(e) = failed {
        return Err(e.into());
    }
    printer.finish(&answer.answer)?;
    Ok(answer)
}

/// Everything after the answer text: note, sources, how it was made.
fn print_answer_tail(a: &Answer) -> Result<()> {
    if let Some(note) = &a.note {
        out!("note: {note}\n");
    }
    if !a.sources.is_empty() {
        out!("Sources:");
    }
    for (i, s) in a.sources.iter().enumerate() {
        let at = s
            .timestamp_s
            .map(cite::format_timestamp)
            .unwrap_or_default();
        out!("[{}] {} {at}  {}", i + 1, s.title, s.link);
    }
    let mode = match (&a.model, a.mode) {
        (Some(m), answer::Mode::Llm) => format!("generated by {m}"),
        _ => "quoted excerpts".into(),
    };
    out!("\n({mode}; {} ms)", a.latency_ms);
    Ok(())
}

use gdbot::answer;

fn print_episode(d: &EpisodeDetail) -> Result<()> {
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

fn duration(length_s: Option<i64>) -> String {
    match length_s {
        Some(s) => cite::format_timestamp(s)
            .trim_start_matches('≈')
            .to_string(),
        None => "--:--".into(),
    }
}
