//! A term's postings: (block, frequency) pairs in block order, as LEB128 varints of the block
//! delta and the frequency (about 2.5 bytes a pair).

/// Append one pair; `prev` is the previous block of this list (`None` for the first).
pub fn push(out: &mut Vec<u8>, prev: Option<u32>, block: u32, tf: u32) {
    let delta = match prev {
        Some(p) => block - p,
        None => block,
    };
    varint(out, delta);
    varint(out, tf);
}

fn varint(out: &mut Vec<u8>, mut v: u32) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

/// Iterates a postings list. At damaged data (a truncated varint, a block that does not
/// increase, a zero frequency) it stops and `damaged` says so, rather than panicking or going on.
pub struct Decoder<'a> {
    data: &'a [u8],
    pos: usize,
    block: Option<u32>,
    damaged: bool,
}

impl<'a> Decoder<'a> {
    pub fn new(data: &'a [u8]) -> Self {
        Decoder {
            data,
            pos: 0,
            block: None,
            damaged: false,
        }
    }

    /// Bytes consumed so far.
    pub fn position(&self) -> usize {
        self.pos
    }

    /// Whether decoding stopped at damaged data (only meaningful once `next` returned `None`).
    pub fn damaged(&self) -> bool {
        self.damaged
    }

    fn varint(&mut self) -> Option<u32> {
        let mut v: u32 = 0;
        for shift in (0..35).step_by(7) {
            let b = *self.data.get(self.pos)?;
            self.pos += 1;
            v |= ((b & 0x7f) as u32).checked_shl(shift)?;
            if b < 0x80 {
                return Some(v);
            }
        }
        None
    }

    fn pair(&mut self) -> Option<(u32, u32)> {
        let delta = self.varint()?;
        let tf = self.varint()?;
        let block = match self.block {
            Some(_) if delta == 0 => return None,
            Some(b) => b.checked_add(delta)?,
            None => delta,
        };
        if tf == 0 {
            return None;
        }
        self.block = Some(block);
        Some((block, tf))
    }
}

impl Iterator for Decoder<'_> {
    type Item = (u32, u32);

    fn next(&mut self) -> Option<(u32, u32)> {
        if self.damaged || self.pos >= self.data.len() {
            return None;
        }
        let pair = self.pair();
        self.damaged = pair.is_none();
        pair
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_survives_truncation() {
        let pairs = [(0, 1), (5, 300), (200_000, 2), (4_000_000_000, 1)];
        let mut out = Vec::new();
        let mut prev = None;
        for (b, tf) in pairs {
            push(&mut out, prev, b, tf);
            prev = Some(b);
        }
        let mut d = Decoder::new(&out);
        assert_eq!(d.by_ref().collect::<Vec<_>>(), pairs);
        assert!(!d.damaged());
        let mut cut = Decoder::new(&out[..out.len() - 1]);
        assert_eq!(cut.by_ref().count(), 3);
        assert!(cut.damaged());
        for bad in [&[0xff; 9][..], &[0, 0], &[3, 1, 0, 1]] {
            let mut d = Decoder::new(bad);
            assert_eq!(d.by_ref().count(), usize::from(bad.len() == 4), "{bad:?}");
            assert!(d.damaged(), "{bad:?}");
        }
    }
}
