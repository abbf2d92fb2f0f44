//! The enrichment variables (`LLM_CONCURRENCY`, `LLM_PRICE_*_PER_MTOK`): checked whether or not
//! a key is set, since `gdbot enrich --dry-run` uses them without one.

use super::{err, num, ConfigError};

pub const DEFAULT_LLM_CONCURRENCY: usize = 4;

#[derive(Debug, Clone, PartialEq)]
pub struct EnrichConfig {
    /// Most LLM calls in flight at once during an enrichment.
    pub concurrency: usize,
    /// Prices for the cost estimate; `None` when unset (no cost is shown).
    pub prices: Option<Prices>,
}

/// US dollars per million tokens, as providers list them.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Prices {
    pub input_per_mtok: f64,
    pub output_per_mtok: f64,
}

impl Prices {
    /// Estimated cost in dollars of `input` prompt and `output` completion tokens.
    pub fn cost(&self, input: u64, output: u64) -> f64 {
        (input as f64 * self.input_per_mtok + output as f64 * self.output_per_mtok) / 1e6
    }
}

impl Default for EnrichConfig {
    fn default() -> Self {
        EnrichConfig {
            concurrency: DEFAULT_LLM_CONCURRENCY,
            prices: None,
        }
    }
}

pub(super) fn from_lookup(
    get: &impl Fn(&str) -> Option<String>,
) -> Result<EnrichConfig, ConfigError> {
    let concurrency = num(
        get,
        "LLM_CONCURRENCY",
        DEFAULT_LLM_CONCURRENCY as u64,
        1,
        32,
    )? as usize;
    const IN: &str = "LLM_PRICE_INPUT_PER_MTOK";
    const OUT: &str = "LLM_PRICE_OUTPUT_PER_MTOK";
    let prices = match (price(get, IN)?, price(get, OUT)?) {
        (None, None) => None,
        (Some(input_per_mtok), Some(output_per_mtok)) => Some(Prices {
            input_per_mtok,
            output_per_mtok,
        }),
        (Some(_), None) => return Err(missing_pair(get, IN, OUT)),
        (None, Some(_)) => return Err(missing_pair(get, OUT, IN)),
    };
    Ok(EnrichConfig {
        concurrency,
        prices,
    })
}

fn price(
    get: &impl Fn(&str) -> Option<String>,
    var: &'static str,
) -> Result<Option<f64>, ConfigError> {
    let Some(v) = get(var) else { return Ok(None) };
    match v.parse::<f64>() {
        Ok(p) if p.is_finite() && (0.0..=100_000.0).contains(&p) => Ok(Some(p)),
        _ => Err(err(
            var,
            &v,
            "expected US dollars per million tokens, a number from 0 to 100000 (e.g. 0.15)",
        )),
    }
}

fn missing_pair(
    get: &impl Fn(&str) -> Option<String>,
    set: &'static str,
    unset: &'static str,
) -> ConfigError {
    err(
        set,
        &get(set).unwrap_or_default(),
        &format!("{unset} must be set too (both prices, or neither to show no cost)"),
    )
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn enrich(pairs: &[(&str, &str)]) -> Result<EnrichConfig, ConfigError> {
        let m: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        crate::config::Config::from_lookup(|k| m.get(k).cloned()).map(|c| c.enrich)
    }

    #[test]
    fn defaults_and_values() {
        assert_eq!(enrich(&[]).unwrap(), EnrichConfig::default());
        let c = enrich(&[
            ("LLM_CONCURRENCY", "1"),
            ("LLM_PRICE_INPUT_PER_MTOK", "0.15"),
            ("LLM_PRICE_OUTPUT_PER_MTOK", "0.6"),
        ])
        .unwrap();
        assert_eq!(c.concurrency, 1);
        let p = c.prices.unwrap();
        assert!((p.cost(1_000_000, 500_000) - 0.45).abs() < 1e-9);
    }

    #[test]
    fn bad_values_name_the_variable() {
        for (pairs, var) in [
            (&[("LLM_CONCURRENCY", "0")][..], "LLM_CONCURRENCY"),
            (&[("LLM_CONCURRENCY", "33")], "LLM_CONCURRENCY"),
            (&[("LLM_CONCURRENCY", "four")], "LLM_CONCURRENCY"),
            (
                &[
                    ("LLM_PRICE_INPUT_PER_MTOK", "-1"),
                    ("LLM_PRICE_OUTPUT_PER_MTOK", "1"),
                ],
                "LLM_PRICE_INPUT_PER_MTOK",
            ),
            (
                &[
                    ("LLM_PRICE_INPUT_PER_MTOK", "1"),
                    ("LLM_PRICE_OUTPUT_PER_MTOK", "NaN"),
                ],
                "LLM_PRICE_OUTPUT_PER_MTOK",
            ),
            (
                &[("LLM_PRICE_INPUT_PER_MTOK", "0.15")],
                "LLM_PRICE_INPUT_PER_MTOK",
            ),
            (
                &[("LLM_PRICE_OUTPUT_PER_MTOK", "0.6")],
                "LLM_PRICE_OUTPUT_PER_MTOK",
            ),
        ] {
            let e = enrich(pairs).expect_err(var);
            assert_eq!(e.var, var, "{e}");
        }
        let e = enrich(&[("LLM_PRICE_INPUT_PER_MTOK", "0.15")]).unwrap_err();
        assert!(
            e.to_string()
                .contains("LLM_PRICE_OUTPUT_PER_MTOK must be set too"),
            "{e}"
        );
    }
}
