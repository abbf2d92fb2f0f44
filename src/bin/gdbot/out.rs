//! The CLI's standard output (binary only: declared in main.rs). A reader that goes away early
//! (`gdbot search … | head -1`) makes writes fail with a broken pipe; `println!` would panic
//! there (exit 101 and a panic message). `out!` returns the error instead, and `main` turns it
//! into a quiet exit with the status a shell gives a process ended by SIGPIPE.

use std::io::Write;
use std::process::ExitCode;

/// Write one line to stdout; `?` propagates a closed pipe as `StdoutClosed`.
macro_rules! out {
    ($($arg:tt)*) => {
        $crate::out::line(format_args!($($arg)*))?
    };
}
pub(crate) use out;

/// Stdout's reader is gone: nothing more can be shown, and it is not an error to report.
#[derive(Debug, thiserror::Error)]
#[error("standard output was closed")]
pub struct StdoutClosed;

pub fn line(args: std::fmt::Arguments<'_>) -> Result<(), anyhow::Error> {
    let mut stdout = std::io::stdout().lock();
    match writeln!(stdout, "{args}") {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Err(StdoutClosed.into()),
        Err(e) => Err(anyhow::Error::new(e).context("cannot write to standard output")),
    }
}

/// 128 + SIGPIPE, what a shell reports for a program a closed pipe ended (`yes | head -1`).
pub fn closed_exit(e: &anyhow::Error) -> Option<ExitCode> {
    e.downcast_ref::<StdoutClosed>()
        .map(|_| ExitCode::from(141))
}
