//! The plain-text report `gdbot stats` prints.

use std::fmt;

use super::StatsReport;

/// Days of the period listed one per line at most (longer periods: see `--png` or `--json`).
const LIST_DAYS: u32 = 31;

impl fmt::Display for StatsReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let period = if self.days == 1 {
            format!("today ({}, UTC)", self.to)
        } else {
            format!(
                "in the last {} days ({} to {}, UTC)",
                self.days, self.from, self.to
            )
        };
        if self.questions == 0 {
            return write!(f, "No questions were asked {period}.");
        }
        writeln!(f, "Questions {period}: {}", self.questions)?;
        let a = &self.answers;
        writeln!(
            f,
            "Answers: {} by the LLM, {} quoted, {} fell back to quotes (LLM failed), {} not covered",
            a.llm, a.quoted, a.fell_back, a.not_covered
        )?;
        let v = &self.votes;
        match v.up_ratio {
            Some(r) => writeln!(
                f,
                "Votes: {} 👍, {} 👎 ({:.0} % 👍)",
                v.up,
                v.down,
                r * 100.0
            )?,
            None => writeln!(f, "Votes: none")?,
        }
        if !self.cited_episodes.is_empty() {
            writeln!(f, "\nMost cited episodes (answers citing them):")?;
            for e in &self.cited_episodes {
                writeln!(f, "  {:>5}  {}  {}", e.answers, e.title, e.url)?;
            }
        }
        if !self.not_covered.is_empty() {
            writeln!(f, "\nMost asked questions the archive did not cover:")?;
            for q in &self.not_covered {
                writeln!(f, "  {:>4}×  {}", q.times, q.question)?;
            }
        }
        if self.days <= LIST_DAYS {
            writeln!(f, "\nQuestions per day:")?;
            for d in self.per_day.iter().filter(|d| d.questions > 0) {
                writeln!(f, "  {}  {:>5}", d.day, d.questions)?;
            }
        } else {
            writeln!(f, "\nQuestions per day: see --png FILE (chart) or --json")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use crate::{
        stats::StatsReport,
        store::{DayCount, LogStats},
    };

    #[test]
    fn an_empty_period_says_so_in_one_line() {
        let log = LogStats {
            days: vec![DayCount {
                day: "2026-01-02".into(),
                ..DayCount::default()
            }],
            ..LogStats::default()
        };
        let text = StatsReport::from_log(1, log).to_string();
        assert_eq!(text, "No questions were asked today (2026-01-02, UTC).");
    }
}
