//! The benchmark's output: one row per corpus size, printed as two tables (or JSON).

use std::fmt;

use serde::Serialize;

use super::latency::QueryFigures;

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub corpus: String,
    pub machine: Machine,
    pub rows: Vec<Row>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Machine {
    pub nproc: usize,
    pub cpu: String,
    pub ram_mb: u64,
}

impl Machine {
    /// nproc, CPU model (/proc/cpuinfo) and RAM (/proc/meminfo) of this machine.
    pub fn describe() -> Machine {
        let read = |p| std::fs::read_to_string(p).unwrap_or_default();
        let cpuinfo = read("/proc/cpuinfo");
        let cpu = cpuinfo
            .lines()
            .find_map(|l| l.strip_prefix("model name"))
            .map(|v| v.trim_start_matches([' ', '\t', ':']).trim().to_string())
            .unwrap_or_else(|| "unknown".into());
        let ram_mb = read("/proc/meminfo")
            .lines()
            .find_map(|l| l.strip_prefix("MemTotal:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
            .map_or(0, |kb| kb / 1024);
        Machine {
            nproc: std::thread::available_parallelism().map_or(1, |n| n.get()),
            cpu,
            ram_mb,
        }
    }
}

/// Every figure for one corpus size.
#[derive(Debug, Clone, Serialize)]
pub struct Row {
    pub episodes: usize,
    pub words: u64,
    pub csv_bytes: u64,
    pub import_s: f64,
    pub import_mb_per_s: f64,
    pub import_words_per_s: f64,
    pub import_peak_rss_kb: u64,
    /// Database file after a WAL checkpoint.
    pub db_bytes: u64,
    /// sqlite3 shell `.import` + FTS5 index of the same CSV, when the shell is installed.
    pub sqlite3_s: Option<f64>,
    pub sqlite3_peak_rss_kb: Option<u64>,
    pub queries: QueryFigures,
    pub idle_rss_kb: u64,
}

impl Row {
    /// gdbot import time / sqlite3 shell time.
    pub fn ratio(&self) -> Option<f64> {
        self.sqlite3_s
            .filter(|s| *s > 0.0)
            .map(|s| self.import_s / s)
    }
}

fn mb(bytes: u64) -> f64 {
    bytes as f64 / 1e6
}

fn kb_mb(kb: u64) -> f64 {
    kb as f64 / 1024.0
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let m = &self.machine;
        writeln!(
            f,
            "corpus {}  ·  {} CPU(s), {}, {} MB RAM",
            self.corpus, m.nproc, m.cpu, m.ram_mb
        )?;
        writeln!(f)?;
        writeln!(
            f,
            "| episodes | words | CSV MB | import s | MB/s | words/s | peak RSS MB | DB MB | sqlite3 s | gdbot/sqlite3 |"
        )?;
        writeln!(f, "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")?;
        for r in &self.rows {
            writeln!(
                f,
                "| {} | {:.1} M | {:.1} | {:.2} | {:.1} | {:.2} M | {:.0} | {:.0} | {} | {} |",
                r.episodes,
                r.words as f64 / 1e6,
                mb(r.csv_bytes),
                r.import_s,
                r.import_mb_per_s,
                r.import_words_per_s / 1e6,
                kb_mb(r.import_peak_rss_kb),
                mb(r.db_bytes),
                r.sqlite3_s.map_or("–".into(), |s| format!("{s:.2}")),
                r.ratio().map_or("–".into(), |x| format!("{x:.2}×")),
            )?;
        }
        writeln!(f)?;
        writeln!(
            f,
            "| episodes | questions | search cold p50 / p95 / p99 ms | search warm p50 / p95 / p99 ms | ask p50 / p99 ms | idle RSS MB |"
        )?;
        writeln!(f, "|---:|---:|---:|---:|---:|---:|")?;
        for r in &self.rows {
            let q = &r.queries;
            writeln!(
                f,
                "| {} | {} | {:.1} / {:.1} / {:.1} | {:.1} / {:.1} / {:.1} | {:.1} / {:.1} | {:.1} |",
                r.episodes,
                q.questions,
                q.search_cold.p50_ms,
                q.search_cold.p95_ms,
                q.search_cold.p99_ms,
                q.search_warm.p50_ms,
                q.search_warm.p95_ms,
                q.search_warm.p99_ms,
                q.ask.p50_ms,
                q.ask.p99_ms,
                kb_mb(r.idle_rss_kb),
            )?;
        }
        Ok(())
    }
}
