//! The command line's grammar (clap): subcommands, their options, and the global `--json`.

use std::path::PathBuf;

use clap::{error::ErrorKind, ArgGroup, Args, CommandFactory, Parser, Subcommand};

use crate::bench;

#[derive(Parser)]
#[command(
    name = "gdbot",
    version,
    about = "Answers questions about the Gradient Dissent podcast, with sources"
)]
pub struct Cli {
    /// Print JSON instead of text (before or after the subcommand)
    #[arg(long, global = true)]
    pub json: bool,
    #[command(subcommand)]
    pub command: Command,
}

impl Cli {
    /// Parse the process arguments, or exit with clap's usage error.
    pub fn parse_checked() -> Cli {
        Cli::try_parse_checked(std::env::args_os()).unwrap_or_else(|e| e.exit())
    }

    /// clap checks `ask --stream`'s conflict with the global `--json` only when `--json` follows
    /// the subcommand; this checks `gdbot --json ask --stream` too.
    fn try_parse_checked(
        args: impl IntoIterator<Item = impl Into<std::ffi::OsString> + Clone>,
    ) -> Result<Cli, clap::Error> {
        let cli = Cli::try_parse_from(args)?;
        if matches!(&cli.command, Command::Ask(a) if a.stream && cli.json) {
            return Err(Cli::command().error(
                ErrorKind::ArgumentConflict,
                "the argument '--json' cannot be used with '--stream'",
            ));
        }
        Ok(cli)
    }
}

#[derive(Subcommand)]
pub enum Command {
    /// Validate dataset CSV file(s) and replace the stored dataset atomically (default: DATASET_PATH)
    Import(ImportArgs),
    /// Add (or update) episodes from caption / transcript files; other episodes stay
    Add(AddArgs),
    /// Write the whole archive as a dataset CSV (.csv.gz when FILE ends in .gz)
    Export(ExportArgs),
    /// List the stored episodes
    Episodes,
    /// Show one episode: by video id, URL, or words of its title / guest name
    Episode(EpisodeArgs),
    /// Rank transcript passages for a query
    Search(SearchArgs),
    /// Answer a question with cited sources (LLM when OPENAI_API_KEY is set, quoted excerpts otherwise)
    Ask(AskArgs),
    /// Write missing summaries and questions with the LLM (map-reduce over ~1,000-token chunks; resumable)
    Enrich(EnrichArgs),
    /// Run the Discord bot (/ask, /episode, /reload, /enrich) until Ctrl-C or SIGTERM
    Serve(ServeArgs),
    /// What was asked in the last N days: questions per day, answers by kind, votes, the most
    /// cited episodes and the questions the archive did not cover
    Stats(StatsArgs),
    /// Measure retrieval quality against a gold file (see shared/eval/README.md)
    Eval(EvalArgs),
    /// Measure import, search, answer and memory figures on a corpus CSV (see README "Performance")
    Bench(BenchArgs),
    /// Internal (used by `bench`): open DATABASE_URL, search once, idle 1 s, print VmRSS
    #[command(hide = true)]
    BenchIdle,
    /// Internal (used by `bench`): `import PATH`, then print this process's peak RSS (VmHWM)
    #[command(hide = true)]
    BenchImport { path: PathBuf },
}

#[derive(Args)]
pub struct ImportArgs {
    /// CSV files (optionally .gz); several are merged into one dataset
    pub paths: Vec<PathBuf>,
    /// Validate and report what would change, without changing anything
    #[arg(long)]
    pub dry_run: bool,
}

#[derive(Args)]
#[command(group(clap::ArgGroup::new("input").required(true).args(["file", "manifest"])))]
pub struct AddArgs {
    /// A caption or transcript file: .vtt, .srt, .txt or .md
    pub file: Option<PathBuf>,
    /// The episode's URL (its identity: the same URL again updates the episode)
    #[arg(
        long,
        required_unless_present = "manifest",
        conflicts_with = "manifest"
    )]
    pub url: Option<String>,
    /// The episode's title
    #[arg(
        long,
        required_unless_present = "manifest",
        conflicts_with = "manifest"
    )]
    pub title: Option<String>,
    /// Publication date, YYYY-MM-DD
    #[arg(long, conflicts_with = "manifest")]
    pub date: Option<String>,
    /// Length in seconds (default: the end of the last caption)
    #[arg(long, conflicts_with = "manifest", value_parser = clap::value_parser!(u32).range(0..=360_000))]
    pub length: Option<u32>,
    /// A CSV with columns url,title,publish_date,file (paths relative to it): every file is
    /// validated first, then all are added in one transaction
    #[arg(long, conflicts_with = "file")]
    pub manifest: Option<PathBuf>,
}

#[derive(Args)]
pub struct ExportArgs {
    /// Where to write the CSV (.gz: gzip-compressed)
    pub file: PathBuf,
}

#[derive(Args)]
#[command(group(ArgGroup::new("target").required(true).args(["episode", "all"])))]
pub struct EnrichArgs {
    /// One episode: video id, URL, or words of its title
    #[arg(long)]
    pub episode: Option<String>,
    /// Every episode missing a summary or questions
    #[arg(long)]
    pub all: bool,
    /// Replace the summary and questions of an --episode that already has them (every chunk is asked again)
    #[arg(long, conflicts_with = "all")]
    pub force: bool,
    /// Print the chunks and estimated tokens without calling the LLM (needs no LLM)
    #[arg(long)]
    pub dry_run: bool,
}

#[derive(Args)]
pub struct ServeArgs {
    /// Take interactions as signed HTTP POSTs on ADDR (e.g. 0.0.0.0:8080; path /interactions)
    /// instead of a gateway connection; needs DISCORD_PUBLIC_KEY
    #[arg(long, value_name = "ADDR")]
    pub http: Option<std::net::SocketAddr>,
}

#[derive(Args)]
pub struct EpisodeArgs {
    pub query: String,
}

#[derive(Args)]
pub struct SearchArgs {
    /// The query (omit with --batch)
    pub query: Option<String>,
    /// Only this episode (its id, see `gdbot episodes`)
    #[arg(long)]
    pub episode: Option<String>,
    /// Number of passages
    #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u16).range(1..=100))]
    pub k: u16,
    /// JSON lines {"qid","question"} in, one {"qid","hits"} line out per question
    #[arg(long)]
    pub batch: Option<PathBuf>,
    /// Ignore the dataset's generated questions (leakage-free evaluation)
    #[arg(long)]
    pub without_questions: bool,
}

#[derive(Args)]
pub struct AskArgs {
    pub question: String,
    /// Only this episode (its id, see `gdbot episodes`)
    #[arg(long)]
    pub episode: Option<String>,
    /// Ask a follow-up to the answer with this id (printed after every answer): answered as a
    /// continuation of its conversation while it is recent (CONVERSATION_TTL_MINUTES)
    #[arg(long, value_name = "ANSWER_ID", conflicts_with = "episode", allow_negative_numbers = true, value_parser = clap::value_parser!(i64).range(1..))]
    pub follow_up: Option<i64>,
    /// Print the answer as it is generated (the default when stdout is a terminal)
    #[arg(long, conflicts_with = "json")]
    pub stream: bool,
}

#[derive(Args)]
pub struct StatsArgs {
    /// Days to cover, today included (UTC days)
    #[arg(long, default_value_t = gdbot::stats::DEFAULT_DAYS,
          value_parser = clap::value_parser!(u32).range(1..=i64::from(gdbot::stats::MAX_DAYS)))]
    pub days: u32,
    /// Also write the chart of questions per day to FILE (PNG)
    #[arg(long, value_name = "FILE")]
    pub png: Option<PathBuf>,
}

#[derive(Args)]
pub struct EvalArgs {
    #[arg(long)]
    pub gold: PathBuf,
    /// Ignore the dataset's generated questions (the gold questions ARE those questions)
    #[arg(long)]
    pub without_questions: bool,
    /// Experiment with fusion weights: name=value,… (see retrieve::Tuning)
    #[arg(long, hide = true)]
    pub tune: Option<String>,
    /// Write one JSON line per question (answer, quotes found, not-covered evidence) to FILE
    #[arg(long, hide = true)]
    pub details: Option<PathBuf>,
}

#[derive(Args)]
pub struct BenchArgs {
    /// Corpus in the dataset schema (.csv or .csv.gz), e.g. ../shared/corpus/changelog.csv.gz
    pub corpus: PathBuf,
    /// Corpus sizes (first N episodes), comma-separated
    #[arg(long, value_delimiter = ',', default_values_t = bench::DEFAULT_SIZES)]
    pub sizes: Vec<usize>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Cli, clap::Error> {
        Cli::try_parse_checked(std::iter::once("gdbot").chain(args.iter().copied()))
    }

    #[test]
    fn json_is_one_flag_before_or_after_the_subcommand() {
        for args in [&["--json", "episodes"][..], &["episodes", "--json"]] {
            assert!(parse(args).unwrap().json, "{args:?}");
        }
        assert!(!parse(&["episodes"]).unwrap().json);
        let cli = parse(&["--json", "search", "--k", "3", "diffusion"]).unwrap();
        assert!(cli.json && matches!(cli.command, Command::Search(a) if a.k == 3));
    }

    #[test]
    fn add_takes_a_file_with_its_options_or_a_manifest() {
        let cli = parse(&[
            "add",
            "e.vtt",
            "--url",
            "https://youtu.be/x",
            "--title",
            "T",
        ])
        .unwrap();
        assert!(matches!(cli.command, Command::Add(a) if a.file.is_some() && a.manifest.is_none()));
        assert!(parse(&["add", "--manifest", "m.csv", "--json"]).is_ok());
        for args in [
            &["add"][..],
            &["add", "e.vtt", "--title", "T"],
            &["add", "e.vtt", "--manifest", "m.csv"],
            &["add", "--manifest", "m.csv", "--url", "https://a.b/c"],
            &[
                "add",
                "e.vtt",
                "--url",
                "https://a.b/c",
                "--title",
                "T",
                "--length",
                "-3",
            ],
        ] {
            assert!(parse(args).is_err(), "{args:?}");
        }
    }

    #[test]
    fn enrich_takes_one_episode_or_all_and_force_only_with_an_episode() {
        let cli = parse(&["enrich", "--episode", "abc", "--force", "--dry-run"]).unwrap();
        assert!(
            matches!(cli.command, Command::Enrich(a) if a.force && a.dry_run && a.episode.as_deref() == Some("abc"))
        );
        assert!(
            matches!(parse(&["enrich", "--all"]).unwrap().command, Command::Enrich(a) if a.all)
        );
        for args in [
            &["enrich"][..],
            &["enrich", "--dry-run"],
            &["enrich", "--all", "--episode", "abc"],
            &["enrich", "--all", "--force"],
        ] {
            assert!(parse(args).is_err(), "{args:?}");
        }
    }

    #[test]
    fn stats_days_default_to_30_and_stay_within_a_year() {
        let cli = parse(&["stats", "--png", "out.png", "--json"]).unwrap();
        assert!(
            matches!(cli.command, Command::Stats(a) if a.days == 30 && a.png.is_some() && cli.json)
        );
        assert!(parse(&["stats", "--days", "365"]).is_ok());
        for days in ["0", "366", "-1", "x"] {
            assert!(parse(&["stats", "--days", days]).is_err(), "{days}");
        }
    }

    #[test]
    fn ask_stream_conflicts_with_json_wherever_it_is_written() {
        for args in [
            &["ask", "q", "--stream", "--json"][..],
            &["ask", "q", "--json", "--stream"],
            &["--json", "ask", "q", "--stream"],
        ] {
            let e = parse(args).err().expect("refused");
            assert_eq!(e.kind(), ErrorKind::ArgumentConflict, "{args:?}");
        }
        assert!(parse(&["ask", "q", "--stream"]).is_ok());
    }
}
