//! The `gdbot` command line: parses arguments (`args`), opens the `App`, calls one of its
//! operations and prints the result (`print`, through `out`). No logic of its own; `bench`
//! measures the whole program.

mod args;
mod bench;
mod enrich;
mod out;
mod print;
mod stats;
mod stream_print;

use std::{
    future::Future,
    io::IsTerminal,
    path::{Path, PathBuf},
    process::ExitCode,
};

use anyhow::{Context, Result};

use args::{
    AddArgs, AskArgs, BenchArgs, Cli, Command, EpisodeArgs, EvalArgs, ExportArgs, ImportArgs,
    SearchArgs, ServeArgs,
};
use gdbot::{
    config::Config,
    dataset::EpisodeMeta,
    discord,
    eval::Gold,
    redact,
    retrieve::{SearchOptions, Tuning},
    App, EpisodeLookup,
};
use out::out;

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse_checked();
    // Secrets are hidden from every log line and error message from the start (read raw, before
    // the configuration is validated: an invalid config must not print them either).
    let _ = dotenvy::dotenv();
    redact::install(redact::Secrets::from_lookup(|k| std::env::var(k).ok()));
    // Configuration next: it validates every variable, RUST_LOG (from `.env` too) included.
    let config = match Config::from_env() {
        Ok(config) => config,
        Err(e) => {
            eprintln!("error: {}", redact::redact_global(&e.to_string()));
            return ExitCode::FAILURE;
        }
    };
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new(&config.log_filter))
        .with_writer(redact::RedactingWriter::new(std::io::stderr))
        .with_ansi(std::io::stderr().is_terminal())
        .init();
    match run(cli, config).await {
        Ok(code) => code,
        Err(e) => {
            if let Some(code) = out::closed_exit(&e) {
                return code;
            }
            eprintln!("error: {}", redact::redact_global(&format!("{e:#}")));
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli, config: Config) -> Result<ExitCode> {
    let json = cli.json;
    match cli.command {
        Command::Import(a) => with_app(config, |app| cmd_import(app, a, json)).await,
        Command::Add(a) => with_dataset(config, |app| cmd_add(app, a, json)).await,
        Command::Export(a) => with_dataset(config, |app| cmd_export(app, a, json)).await,
        Command::Episodes => with_dataset(config, |app| cmd_episodes(app, json)).await,
        Command::Episode(a) => with_dataset(config, |app| cmd_episode(app, a, json)).await,
        Command::Search(a) => with_dataset(config, |app| cmd_search(app, a, json)).await,
        Command::Ask(a) => with_dataset(config, |app| cmd_ask(app, a, json)).await,
        Command::Enrich(a) => enrich::cmd_enrich(config, a, json).await,
        Command::Serve(a) => cmd_serve(config, a).await,
        Command::Stats(a) => with_app(config, |app| stats::cmd_stats(app, a, json)).await,
        Command::Eval(a) => with_dataset(config, |app| cmd_eval(app, a, json)).await,
        Command::Bench(a) => cmd_bench(a, json).await,
        Command::BenchIdle => cmd_bench_idle().await,
        Command::BenchImport { path } => cmd_bench_import(config, path).await,
    }
}

/// Open the app, run `command`, close the store: the one place the CLI closes it.
async fn with_app<F, Fut>(config: Config, command: F) -> Result<ExitCode>
where
    F: FnOnce(App) -> Fut,
    Fut: Future<Output = Result<ExitCode>>,
{
    let app = App::open(config).await?;
    let result = command(app.clone()).await;
    app.close().await;
    result
}

/// `with_app`, once an empty database has the dataset imported (first use).
async fn with_dataset<F, Fut>(config: Config, command: F) -> Result<ExitCode>
where
    F: FnOnce(App) -> Fut,
    Fut: Future<Output = Result<ExitCode>>,
{
    with_app(config, |app| async move {
        let imported = app.ensure_dataset().await;
        if let Some(report) = imported.context("first-use import failed")? {
            eprintln!("First use: imported the dataset. {report}");
        }
        command(app).await
    })
    .await
}

async fn cmd_import(app: App, a: ImportArgs, json: bool) -> Result<ExitCode> {
    let progress = print::import_progress();
    let started = std::time::Instant::now();
    let imported = if a.paths.is_empty() {
        app.import_dataset_path(a.dry_run, &progress).await
    } else {
        app.import_paths(&a.paths, a.dry_run, &progress).await
    };
    progress.finish_and_clear();
    match imported {
        Ok(report) if json => print::json(&report)?,
        Ok(report) => {
            out!("{report}");
            eprintln!("took {:.2} s", started.elapsed().as_secs_f64());
        }
        Err(e) => {
            eprintln!("error: {e}\nThe stored dataset was not changed.");
            return Ok(ExitCode::FAILURE);
        }
    }
    Ok(ExitCode::SUCCESS)
}

async fn cmd_add(app: App, a: AddArgs, json: bool) -> Result<ExitCode> {
    let started = std::time::Instant::now();
    let added = match (a.manifest, a.file) {
        (Some(manifest), _) => app.add_manifest(&manifest).await,
        (None, Some(file)) => {
            let meta = EpisodeMeta {
                url: a.url.unwrap_or_default(),
                title: a.title.unwrap_or_default(),
                publish_date: a.date,
                length_s: a.length.map(i64::from),
            };
            app.add_file(&file, meta).await
        }
        (None, None) => anyhow::bail!("give a FILE or --manifest FILE.csv"),
    };
    match added {
        Ok(report) if json => print::json(&report)?,
        Ok(report) => {
            out!("{report}");
            eprintln!("took {:.2} s", started.elapsed().as_secs_f64());
        }
        Err(e) => {
            eprintln!("error: {e}\nNothing was stored.");
            return Ok(ExitCode::FAILURE);
        }
    }
    Ok(ExitCode::SUCCESS)
}

async fn cmd_export(app: App, a: ExportArgs, json: bool) -> Result<ExitCode> {
    let report = app.export(&a.file).await?;
    if json {
        print::json(&report)?;
    } else {
        out!("{report}");
    }
    Ok(ExitCode::SUCCESS)
}

async fn cmd_episodes(app: App, json: bool) -> Result<ExitCode> {
    let episodes = app.episodes().await?;
    if json {
        print::json(&episodes)?;
    } else {
        episodes.iter().try_for_each(print::episode_line)?;
    }
    Ok(ExitCode::SUCCESS)
}

async fn cmd_episode(app: App, a: EpisodeArgs, json: bool) -> Result<ExitCode> {
    let query = a.query;
    let row = match app.find_episode(&query).await? {
        EpisodeLookup::Found(row) => row,
        EpisodeLookup::NothingToLookUp => {
            // Every episode would "match" nothing at all; the first one is not an answer.
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
        print::json(&detail)?;
    } else {
        print::episode(&detail)?;
    }
    Ok(ExitCode::SUCCESS)
}

async fn cmd_search(app: App, a: SearchArgs, json: bool) -> Result<ExitCode> {
    let options = SearchOptions {
        episode: a.episode,
        k: a.k as usize,
        use_questions: !a.without_questions,
        ..SearchOptions::default()
    };
    match (a.batch, a.query) {
        (Some(file), None) => search_batch(&app, &file, &options).await?,
        (None, Some(q)) => {
            let found = app.search(&q, &options).await?;
            print::hits(&q, &found.hits, json)?;
        }
        _ => anyhow::bail!("give either a QUERY or --batch FILE"),
    }
    Ok(ExitCode::SUCCESS)
}

/// `search --batch`: JSON lines {"qid","question"} in, one {"qid","hits"} line out per question.
async fn search_batch(app: &App, file: &Path, options: &SearchOptions) -> Result<()> {
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

async fn cmd_ask(app: App, a: AskArgs, json: bool) -> Result<ExitCode> {
    let episode = a.episode.as_deref();
    let asking = print::Asking {
        question: &a.question,
        episode,
        follow_up: a.follow_up,
    };
    if json {
        print::json(&asking.ask(&app, None).await?)?;
    } else if a.stream || std::io::stdout().is_terminal() {
        let answer = print::ask_streaming(&app, &asking).await?;
        print::answer_tail(&answer)?;
    } else {
        let answer = asking.ask(&app, None).await?;
        out!("{}\n", answer.answer);
        print::answer_tail(&answer)?;
    }
    Ok(ExitCode::SUCCESS)
}

async fn cmd_serve(config: Config, a: ServeArgs) -> Result<ExitCode> {
    // Before opening anything or touching the network.
    if config.discord.token.is_none() {
        return Err(discord::ServeError::MissingToken.into());
    }
    let Some(addr) = a.http else {
        return with_dataset(config, |app| async move {
            discord::serve(app, shutdown_signal()).await?;
            Ok(ExitCode::SUCCESS)
        })
        .await;
    };
    if config.discord.public_key.is_none() {
        return Err(discord::ServeError::MissingPublicKey.into());
    }
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .with_context(|| format!("--http {addr}: cannot listen there"))?;
    with_dataset(config, |app| async move {
        discord::serve_http(app, listener, shutdown_signal()).await?;
        Ok(ExitCode::SUCCESS)
    })
    .await
}

async fn cmd_eval(app: App, a: EvalArgs, json: bool) -> Result<ExitCode> {
    let text = std::fs::read_to_string(&a.gold)
        .with_context(|| format!("cannot read {}", a.gold.display()))?;
    let gold: Vec<Gold> = serde_json::from_str(&text)
        .with_context(|| format!("{}: not a gold JSON list", a.gold.display()))?;
    let options = SearchOptions {
        k: 10,
        use_questions: !a.without_questions,
        tuning: Tuning::default()
            .apply(a.tune.as_deref().unwrap_or(""))
            .map_err(|e| anyhow::anyhow!("--tune: {e}"))?,
        ..SearchOptions::default()
    };
    let scores = app.eval(&gold, &options).await?;
    if let (Some(path), Some(answers)) = (&a.details, &scores.answers) {
        let lines: Vec<String> = answers.details.iter().map(|d| d.to_string()).collect();
        std::fs::write(path, lines.join("\n") + "\n")
            .with_context(|| format!("cannot write {}", path.display()))?;
    }
    print::scores(&scores, !a.without_questions, json)?;
    Ok(ExitCode::SUCCESS)
}

async fn cmd_bench(a: BenchArgs, json: bool) -> Result<ExitCode> {
    let report = bench::run(&a.corpus, &a.sizes, |step| eprintln!("bench: {step}")).await?;
    if json {
        print::json(&report)?;
    } else {
        out!("{report}");
    }
    Ok(ExitCode::SUCCESS)
}

async fn cmd_bench_idle() -> Result<ExitCode> {
    let url = std::env::var("DATABASE_URL").context("bench-idle needs DATABASE_URL")?;
    out!("VmRSS_kB {}", bench::idle(&url).await?);
    Ok(ExitCode::SUCCESS)
}

async fn cmd_bench_import(config: Config, path: PathBuf) -> Result<ExitCode> {
    let import = ImportArgs {
        paths: vec![path],
        dry_run: false,
    };
    let code = with_app(config, |app| cmd_import(app, import, false)).await?;
    // VmHWM, not the parent's wait4 ru_maxrss: on Linux that also counts the parent's memory at
    // spawn time (the vfork'd child shares it until exec).
    out!("VmHWM_kB {}", bench::peak_rss_kb().unwrap_or(0));
    Ok(code)
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
