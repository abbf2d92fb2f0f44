//! Latency summaries: nearest-rank percentiles over measured durations.

use serde::Serialize;

/// p50 / p95 / p99 and mean of a set of latencies, in milliseconds.
#[derive(Debug, Clone, Copy, Default, Serialize, PartialEq)]
pub struct Latency {
    pub n: usize,
    pub p50_ms: f64,
    pub p95_ms: f64,
    pub p99_ms: f64,
    pub mean_ms: f64,
}

impl Latency {
    /// Summarise `samples_ms` (any order); all zeros when empty.
    pub fn of(samples_ms: &[f64]) -> Latency {
        let mut v: Vec<f64> = samples_ms
            .iter()
            .copied()
            .filter(|x| x.is_finite())
            .collect();
        if v.is_empty() {
            return Latency::default();
        }
        v.sort_by(f64::total_cmp);
        Latency {
            n: v.len(),
            p50_ms: percentile(&v, 50.0),
            p95_ms: percentile(&v, 95.0),
            p99_ms: percentile(&v, 99.0),
            mean_ms: v.iter().sum::<f64>() / v.len() as f64,
        }
    }
}

/// Nearest-rank percentile of an ascending, non-empty slice: the smallest value with at least
/// `p`% of the samples at or below it.
pub fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_percentiles() {
        let v: Vec<f64> = (1..=100).map(f64::from).collect();
        assert_eq!(percentile(&v, 50.0), 50.0);
        assert_eq!(percentile(&v, 95.0), 95.0);
        assert_eq!(percentile(&v, 99.0), 99.0);
        assert_eq!(percentile(&v, 100.0), 100.0);
        assert_eq!(percentile(&v, 0.0), 1.0);
        assert_eq!(percentile(&[7.0], 99.0), 7.0);
        // 200 samples: p99 is the 198th value, not the maximum.
        let w: Vec<f64> = (1..=200).map(f64::from).collect();
        assert_eq!(percentile(&w, 99.0), 198.0);
    }

    #[test]
    fn summary_sorts_and_ignores_non_finite() {
        let l = Latency::of(&[3.0, 1.0, f64::NAN, 2.0, 4.0]);
        assert_eq!(l.n, 4);
        assert_eq!(l.p50_ms, 2.0);
        assert_eq!(l.p99_ms, 4.0);
        assert_eq!(l.mean_ms, 2.5);
        assert_eq!(Latency::of(&[]), Latency::default());
    }
}
