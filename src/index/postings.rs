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

/// Iterates a postings list; stops (rather than panicking) at a truncated or corrupt end.
pub struct Decoder<'a> {
    data: &'a [u8],
    pos: usize,
    block: Option<u32>,
}

impl<'a> Decoder<'a> {
    pub fn new(data: &'a [u8]) -> Self {
        Decoder {
            data,
            pos: 0,
            block: None,
        }
    }

    /// Bytes consumed so far.
    pub fn position(&self) -> usize {
        self.pos
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
}

impl Iterator for Decoder<'_> {
    type Item = (u32, u32);

    fn next(&mut self) -> Option<(u32, u32)> {
        let delta = self.varint()?;
        let tf = self.varint()?;
        let block = match self.block {
            Some(b) => b.checked_add(delta)?,
            None => delta,
        };
        self.block = Some(block);
        Some((block, tf))
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
        assert_eq!(Decoder::new(&out).collect::<Vec<_>>(), pairs);
        let cut = &out[..out.len() - 1];
        assert_eq!(Decoder::new(cut).count(), 3);
        assert_eq!(Decoder::new(&[0xff; 9]).count(), 0);
    }
}
