//! A bounded sample of a stream of values, spread over the whole stream and the same however the
//! stream is cut into batches, files or threads: the `k` values whose positions hash lowest
//! (bottom-k sampling), kept in stream order.

use std::collections::BinaryHeap;

/// SplitMix64's finaliser: a bijection of `u64` whose outputs look uniform, so the positions
/// with the `k` lowest hashes are a uniform sample of the positions.
fn hash(position: u64) -> u64 {
    let mut z = position.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// Up to `k` items of type `T` (for `evaluate`, the original, compressed and upsampled value at
/// one position) out of a stream: every item while the stream holds at most `k`, otherwise a
/// uniform sample of `k` fixed by the positions alone.
#[derive(Debug)]
pub struct Sample<T> {
    k: usize,
    seen: u64,
    /// `(hash, position, item)`; a max-heap on the hash once `k` are held.
    held: BinaryHeap<Entry<T>>,
}

#[derive(Debug)]
struct Entry<T>(u64, u64, T);

impl<T> PartialEq for Entry<T> {
    fn eq(&self, other: &Self) -> bool {
        self.0 == other.0
    }
}
impl<T> Eq for Entry<T> {}
impl<T> PartialOrd for Entry<T> {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl<T> Ord for Entry<T> {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.0.cmp(&other.0)
    }
}

impl<T> Sample<T> {
    /// An empty sample of at most `k` items.
    pub fn new(k: usize) -> Self {
        Sample { k, seen: 0, held: BinaryHeap::new() }
    }

    /// Offer the stream's next items.
    pub fn extend(&mut self, items: impl IntoIterator<Item = T>) {
        for item in items {
            let position = self.seen;
            self.seen += 1;
            if self.k == 0 {
                continue;
            }
            let h = hash(position);
            if self.held.len() < self.k {
                // Grown by doubling up to `k`, never past it: memory stays within the budget.
                if self.held.len() == self.held.capacity() {
                    let more = self.held.capacity().max(64).min(self.k - self.held.len());
                    self.held.reserve_exact(more);
                }
                self.held.push(Entry(h, position, item));
            } else if self.held.peek().is_some_and(|top| h < top.0) {
                // `h` differs from every held hash: the hash is a bijection of the position.
                self.held.pop();
                self.held.push(Entry(h, position, item));
            }
        }
    }

    /// Items offered so far.
    #[cfg(test)]
    pub fn seen(&self) -> u64 {
        self.seen
    }

    /// The sample, in stream order.
    pub fn into_vec(self) -> Vec<T> {
        let mut held = self.held.into_vec();
        held.sort_unstable_by_key(|e| e.1);
        held.into_iter().map(|e| e.2).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_short_stream_is_kept_whole_in_order() {
        let mut s = Sample::new(10);
        s.extend(0..4);
        s.extend(4..7);
        assert_eq!(s.into_vec(), (0..7).collect::<Vec<_>>());
    }

    #[test]
    fn the_sample_does_not_depend_on_the_batches() {
        let mut whole = Sample::new(100);
        whole.extend(0..10_000u32);
        let mut cut = Sample::new(100);
        for start in (0..10_000u32).step_by(37) {
            cut.extend(start..(start + 37).min(10_000));
        }
        let (a, b) = (whole.into_vec(), cut.into_vec());
        assert_eq!(a.len(), 100);
        assert_eq!(a, b);
        assert!(a.windows(2).all(|w| w[0] < w[1]), "stream order");
    }

    /// Spread over the stream: each tenth of a long stream holds about a tenth of the sample
    /// (a binomial count of 2000 draws at p = 0.1: mean 200, sd 13.4; the bounds are 6 sd).
    #[test]
    fn the_sample_is_spread_over_the_whole_stream() {
        let mut s = Sample::new(2000);
        s.extend(0..1_000_000u32);
        assert_eq!(s.seen(), 1_000_000);
        let v = s.into_vec();
        let mut tenths = [0; 10];
        for x in &v {
            tenths[(*x / 100_000) as usize] += 1;
        }
        assert!(tenths.iter().all(|&n| (120..=280).contains(&n)), "{tenths:?}");
    }

    /// Against a plain reference: sort every position by its hash and take the `k` lowest.
    #[test]
    fn the_sample_is_the_k_lowest_hashes() {
        let mut s = Sample::new(50);
        s.extend(0..5000u64);
        let mut all: Vec<u64> = (0..5000).collect();
        all.sort_by_key(|&p| hash(p));
        let mut expected = all[..50].to_vec();
        expected.sort_unstable();
        assert_eq!(s.into_vec(), expected);
    }
}
