//! How `gdbot serve` spreads over processes: the application's public key for HTTP interactions
//! (`DISCORD_PUBLIC_KEY`) and the gateway shards this process runs (`SHARDS`, `SHARD_RANGE`).

use super::{err, ConfigError};

/// Most shards accepted (Discord's largest bots run a few thousand).
const MAX_SHARDS: u32 = 65_535;

/// How many shards the bot has in total.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ShardTotal {
    /// A fixed number (`SHARDS=N`); every process of the bot must say the same.
    Fixed(u32),
    /// `SHARDS=auto`: the number Discord recommends (`GET /gateway/bot`), all run by this process.
    Auto,
}

/// The gateway shards this process connects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sharding {
    pub total: ShardTotal,
    /// `SHARD_RANGE=FIRST-LAST` (inclusive): this process's share; `None`: all of them.
    pub range: Option<(u32, u32)>,
}

impl Default for Sharding {
    /// One shard, as a bot in fewer than 2,500 servers needs.
    fn default() -> Self {
        Sharding {
            total: ShardTotal::Fixed(1),
            range: None,
        }
    }
}

impl Sharding {
    /// `(first, last, total)` when the total is fixed.
    pub fn fixed(&self) -> Option<(u32, u32, u32)> {
        match self.total {
            ShardTotal::Auto => None,
            ShardTotal::Fixed(total) => {
                let (first, last) = self.range.unwrap_or((0, total - 1));
                Some((first, last, total))
            }
        }
    }
}

pub(super) fn sharding(get: &impl Fn(&str) -> Option<String>) -> Result<Sharding, ConfigError> {
    let total = match get("SHARDS") {
        None => ShardTotal::Fixed(1),
        Some(v) if v.eq_ignore_ascii_case("auto") => ShardTotal::Auto,
        Some(v) => match v.parse::<u32>() {
            Ok(n) if (1..=MAX_SHARDS).contains(&n) => ShardTotal::Fixed(n),
            _ => {
                return Err(err(
                    "SHARDS",
                    &v,
                    &format!("expected a whole number from 1 to {MAX_SHARDS}, or auto"),
                ))
            }
        },
    };
    let Some(v) = get("SHARD_RANGE") else {
        return Ok(Sharding { total, range: None });
    };
    let ShardTotal::Fixed(n) = total else {
        return Err(err(
            "SHARD_RANGE",
            &v,
            "needs SHARDS set to a number: with SHARDS=auto, processes could each be told a different total",
        ));
    };
    let bad = |reason: String| err("SHARD_RANGE", &v, &reason);
    let (first, last) = v.split_once('-').unwrap_or((&v, &v));
    let (first, last) =
        match (first.trim().parse::<u32>(), last.trim().parse::<u32>()) {
            (Ok(a), Ok(b)) => (a, b),
            _ => return Err(bad(
                "expected FIRST-LAST, shard numbers counted from 0 (e.g. 0-3), or one shard number"
                    .into(),
            )),
        };
    if first > last {
        return Err(bad(format!(
            "the first shard ({first}) comes after the last ({last})"
        )));
    }
    if last >= n {
        return Err(bad(format!(
            "shard {last} does not exist: SHARDS={n} has shards 0 to {}",
            n - 1
        )));
    }
    Ok(Sharding {
        total,
        range: Some((first, last)),
    })
}

/// `DISCORD_PUBLIC_KEY`: the application's Ed25519 public key, 64 hex digits as the Developer
/// Portal shows it. Needed by `gdbot serve --http` only, but checked whenever it is set.
pub(super) fn public_key(
    get: &impl Fn(&str) -> Option<String>,
) -> Result<Option<[u8; 32]>, ConfigError> {
    const VAR: &str = "DISCORD_PUBLIC_KEY";
    let Some(v) = get(VAR) else {
        return Ok(None);
    };
    let mut key = [0u8; 32];
    match hex::decode_to_slice(&v, &mut key) {
        Ok(()) => Ok(Some(key)),
        Err(_) => Err(err(
            VAR,
            &v,
            &format!(
                "expected 64 hexadecimal digits (the application's PUBLIC KEY on its General Information page), got {} characters",
                v.chars().count()
            ),
        )),
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn lookup(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let m: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |k| m.get(k).cloned()
    }

    fn shards(pairs: &[(&str, &str)]) -> Result<Sharding, ConfigError> {
        sharding(&lookup(pairs))
    }

    #[test]
    fn shards_default_to_one_and_accept_a_number_auto_and_a_range() {
        assert_eq!(shards(&[]).unwrap(), Sharding::default());
        assert_eq!(shards(&[]).unwrap().fixed(), Some((0, 0, 1)));
        let all = shards(&[("SHARDS", "8")]).unwrap();
        assert_eq!(all.fixed(), Some((0, 7, 8)));
        let part = shards(&[("SHARDS", "8"), ("SHARD_RANGE", "4-7")]).unwrap();
        assert_eq!(part.fixed(), Some((4, 7, 8)));
        let one = shards(&[("SHARDS", "2"), ("SHARD_RANGE", "1")]).unwrap();
        assert_eq!(one.fixed(), Some((1, 1, 2)));
        let auto = shards(&[("SHARDS", "AUTO")]).unwrap();
        assert_eq!((auto.total, auto.fixed()), (ShardTotal::Auto, None));
    }

    #[test]
    fn bad_shard_settings_name_the_variable_and_say_why() {
        for (pairs, var, says) in [
            (vec![("SHARDS", "0")], "SHARDS", "from 1 to"),
            (vec![("SHARDS", "many")], "SHARDS", "or auto"),
            (
                vec![("SHARDS", "auto"), ("SHARD_RANGE", "0-1")],
                "SHARD_RANGE",
                "needs SHARDS set to a number",
            ),
            (
                vec![("SHARDS", "8"), ("SHARD_RANGE", "3-2")],
                "SHARD_RANGE",
                "comes after",
            ),
            (
                vec![("SHARDS", "8"), ("SHARD_RANGE", "4-8")],
                "SHARD_RANGE",
                "shard 8 does not exist: SHARDS=8 has shards 0 to 7",
            ),
            (vec![("SHARD_RANGE", "1-1")], "SHARD_RANGE", "SHARDS=1"),
            (
                vec![("SHARDS", "8"), ("SHARD_RANGE", "a-b")],
                "SHARD_RANGE",
                "FIRST-LAST",
            ),
            (
                vec![("SHARDS", "8"), ("SHARD_RANGE", "-1")],
                "SHARD_RANGE",
                "FIRST-LAST",
            ),
        ] {
            let e = shards(&pairs).unwrap_err();
            assert_eq!(e.var, var, "{pairs:?}");
            assert!(e.to_string().contains(says), "{pairs:?}: {e}");
        }
    }

    #[test]
    fn the_public_key_is_64_hex_digits() {
        let hex = "ab".repeat(32);
        let key = public_key(&lookup(&[("DISCORD_PUBLIC_KEY", &hex)])).unwrap();
        assert_eq!(key, Some([0xab; 32]));
        assert_eq!(public_key(&lookup(&[])).unwrap(), None);
        for bad in ["ab".repeat(31), "zz".repeat(32), "ab".repeat(33)] {
            let e = public_key(&lookup(&[("DISCORD_PUBLIC_KEY", &bad)])).unwrap_err();
            assert_eq!(e.var, "DISCORD_PUBLIC_KEY");
            assert!(e.to_string().contains("64 hexadecimal digits"), "{e}");
        }
    }
}
