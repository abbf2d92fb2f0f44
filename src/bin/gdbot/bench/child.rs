//! Work done in child processes, so that each one's peak RSS is its own: `gdbot import` of a
//! subset (re-invoking this executable), the sqlite3 shell baseline, and the idle-memory probe.

use std::{
    io::Write,
    path::Path,
    process::{Command, Stdio},
    time::Instant,
};

use super::BenchError;

/// Wall time and peak resident set size of a finished child process.
#[derive(Debug, Clone, Copy)]
pub struct ChildRun {
    pub wall_s: f64,
    pub peak_rss_kb: u64,
}

/// Spawn `cmd` (optionally feeding `stdin`), wait for it with `wait4` and report its rusage.
/// A non-zero exit is an error carrying the child's stderr (written to `log`).
fn run(
    mut cmd: Command,
    stdin: Option<&str>,
    log: &Path,
    what: &str,
) -> Result<ChildRun, BenchError> {
    let log_file = std::fs::File::create(log).map_err(|e| BenchError::io(log, e))?;
    let log_err = log_file.try_clone().map_err(|e| BenchError::io(log, e))?;
    cmd.stdout(Stdio::from(log_file))
        .stderr(Stdio::from(log_err))
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        });
    let started = Instant::now();
    let mut child = cmd.spawn().map_err(|e| BenchError::Child {
        what: what.into(),
        message: format!("cannot start: {e}"),
    })?;
    if let (Some(text), Some(mut pipe)) = (stdin, child.stdin.take()) {
        pipe.write_all(text.as_bytes())
            .map_err(|e| BenchError::Child {
                what: what.into(),
                message: format!("cannot write its input: {e}"),
            })?;
        // Dropping the pipe closes it: the shell sees end of input.
    }
    let pid = child.id() as libc::pid_t;
    let mut status: libc::c_int = 0;
    // SAFETY: rusage is plain old data; wait4 fills it and `status` for our own child `pid`.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let r = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    let wall_s = started.elapsed().as_secs_f64();
    if r != pid {
        return Err(BenchError::Child {
            what: what.into(),
            message: format!("wait4 failed: {}", std::io::Error::last_os_error()),
        });
    }
    if !(libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0) {
        let out = std::fs::read_to_string(log).unwrap_or_default();
        return Err(BenchError::Child {
            what: what.into(),
            message: format!("failed (wait status {status}): {}", out.trim()),
        });
    }
    Ok(ChildRun {
        wall_s,
        // Linux reports ru_maxrss in kilobytes.
        peak_rss_kb: usage.ru_maxrss.max(0) as u64,
    })
}

/// `gdbot import CSV` into `db` (a fresh file) in a child process (`bench-import`, which also
/// reports its own peak RSS: the child's `ru_maxrss` would include this process's memory).
pub fn import(csv: &Path, db: &Path, log: &Path) -> Result<ChildRun, BenchError> {
    let exe = std::env::current_exe().map_err(|e| BenchError::io(Path::new("current_exe"), e))?;
    let mut cmd = Command::new(exe);
    cmd.arg("bench-import")
        .arg(csv)
        .env("DATABASE_URL", sqlite_url(db))
        .env_remove("OPENAI_API_KEY")
        .env("RUST_LOG", "warn");
    let mut run = run(cmd, None, log, "gdbot import")?;
    let out = std::fs::read_to_string(log).map_err(|e| BenchError::io(log, e))?;
    if let Some(kb) = out
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM_kB "))
        .and_then(|v| v.trim().parse().ok())
    {
        run.peak_rss_kb = kb;
    }
    Ok(run)
}

/// Whether a `sqlite3` shell is on PATH.
pub fn has_sqlite3() -> bool {
    Command::new("sqlite3")
        .arg("-version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// The SQL fed to the sqlite3 shell for the baseline (also in scripts/bench.sh).
pub fn sqlite3_script(csv: &Path) -> String {
    format!(
        ".mode csv\n.import '{}' t\nCREATE VIRTUAL TABLE f USING fts5(transcript);\nINSERT INTO f SELECT transcript FROM t;\n",
        csv.display().to_string().replace('\'', "''")
    )
}

/// The sqlite3 shell baseline: import the same CSV into a table and index its transcripts.
pub fn sqlite3_import(csv: &Path, db: &Path, log: &Path) -> Result<ChildRun, BenchError> {
    let mut cmd = Command::new("sqlite3");
    cmd.arg(db);
    run(cmd, Some(&sqlite3_script(csv)), log, "sqlite3 shell import")
}

/// Resident memory of an idle app on `db`, measured by `gdbot bench-idle` in a child process.
pub fn idle_rss_kb(db: &Path, log: &Path) -> Result<u64, BenchError> {
    let exe = std::env::current_exe().map_err(|e| BenchError::io(Path::new("current_exe"), e))?;
    let mut cmd = Command::new(exe);
    cmd.arg("bench-idle")
        .env("DATABASE_URL", sqlite_url(db))
        .env_remove("OPENAI_API_KEY");
    run(cmd, None, log, "gdbot bench-idle")?;
    let out = std::fs::read_to_string(log).map_err(|e| BenchError::io(log, e))?;
    out.lines()
        .find_map(|l| l.strip_prefix("VmRSS_kB "))
        .and_then(|v| v.trim().parse().ok())
        .ok_or_else(|| BenchError::Child {
            what: "gdbot bench-idle".into(),
            message: format!("no `VmRSS_kB N` line in its output: {}", out.trim()),
        })
}

/// This process's resident set (VmRSS) in kB, from /proc/self/status (Linux).
pub fn vm_rss_kb() -> Option<u64> {
    proc_status_kb("VmRSS:")
}

/// This process's peak resident set (VmHWM) in kB.
pub fn peak_rss_kb() -> Option<u64> {
    proc_status_kb("VmHWM:")
}

fn proc_status_kb(key: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix(key))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

pub fn sqlite_url(db: &Path) -> String {
    format!("sqlite://{}", db.display())
}
