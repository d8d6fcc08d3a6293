//! A bounded ring of lines. Every line gets a sequence number that only ever grows, so a
//! view can hold on to "line 81,234" while older lines are evicted under it; what is
//! evicted is counted so the view can say how much it no longer has.

use std::collections::VecDeque;

#[derive(Debug, Clone)]
pub struct LineRing<T> {
    items: VecDeque<T>,
    capacity: usize,
    /// Sequence number of `items[0]`.
    first_seq: u64,
    evicted: u64,
}

impl<T> LineRing<T> {
    /// A ring holding at most `capacity` lines (at least one).
    pub fn new(capacity: usize) -> Self {
        let capacity = capacity.max(1);
        LineRing {
            // Grow on demand: most sources never fill a 100,000-line buffer.
            items: VecDeque::with_capacity(capacity.min(1024)),
            capacity,
            first_seq: 0,
            evicted: 0,
        }
    }

    /// Appends a line and returns its sequence number; the oldest line is evicted (and
    /// counted) when the ring is full.
    pub fn push(&mut self, item: T) -> u64 {
        if self.items.len() == self.capacity {
            self.items.pop_front();
            self.first_seq += 1;
            self.evicted += 1;
        }
        self.items.push_back(item);
        self.next_seq() - 1
    }

    /// Evicts (and counts) the oldest line, to keep within a budget other than the line
    /// count (the Deploy pane's bytes).
    pub fn evict_front(&mut self) -> Option<T> {
        let item = self.items.pop_front()?;
        self.first_seq += 1;
        self.evicted += 1;
        Some(item)
    }

    pub fn len(&self) -> usize {
        self.items.len()
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// Lines evicted to make room since the ring was created (clearing does not count).
    pub fn evicted(&self) -> u64 {
        self.evicted
    }

    /// Sequence number of the oldest line held (equal to `next_seq` when empty).
    pub fn first_seq(&self) -> u64 {
        self.first_seq
    }

    /// Sequence number the next pushed line will get.
    pub fn next_seq(&self) -> u64 {
        self.first_seq + self.items.len() as u64
    }

    /// Sequence number of the newest line.
    pub fn last_seq(&self) -> Option<u64> {
        self.next_seq().checked_sub(1).filter(|_| !self.is_empty())
    }

    pub fn contains(&self, seq: u64) -> bool {
        seq >= self.first_seq && seq < self.next_seq()
    }

    pub fn get(&self, seq: u64) -> Option<&T> {
        let idx = seq.checked_sub(self.first_seq)?;
        self.items.get(usize::try_from(idx).ok()?)
    }

    pub fn get_mut(&mut self, seq: u64) -> Option<&mut T> {
        let idx = seq.checked_sub(self.first_seq)?;
        self.items.get_mut(usize::try_from(idx).ok()?)
    }

    pub fn back(&self) -> Option<&T> {
        self.items.back()
    }

    pub fn back_mut(&mut self) -> Option<&mut T> {
        self.items.back_mut()
    }

    /// Lines from `seq` (clamped to the oldest held) to the newest, with their numbers.
    pub fn iter_from(&self, seq: u64) -> impl DoubleEndedIterator<Item = (u64, &T)> + '_ {
        let start = seq.max(self.first_seq);
        let skip = usize::try_from(start - self.first_seq).unwrap_or(usize::MAX);
        let first = self.first_seq;
        self.items
            .iter()
            .enumerate()
            .skip(skip)
            .map(move |(i, item)| (first + i as u64, item))
    }

    /// Every line held, oldest first, with its number.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = (u64, &T)> + '_ {
        self.iter_from(self.first_seq)
    }

    /// Drops every line; numbering goes on from where it was so old positions stay invalid.
    pub fn clear(&mut self) {
        self.first_seq = self.next_seq();
        self.items.clear();
    }

    /// Changes the capacity, evicting (and counting) the oldest lines if it shrinks.
    pub fn set_capacity(&mut self, capacity: usize) {
        self.capacity = capacity.max(1);
        while self.items.len() > self.capacity {
            self.items.pop_front();
            self.first_seq += 1;
            self.evicted += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::LineRing;

    #[test]
    fn evicts_oldest_and_counts() {
        let mut r = LineRing::new(3);
        for i in 0..5 {
            assert_eq!(r.push(i), i as u64);
        }
        assert_eq!(r.len(), 3);
        assert_eq!(r.evicted(), 2);
        assert_eq!(r.first_seq(), 2);
        assert_eq!(r.get(1), None);
        assert_eq!(r.get(2), Some(&2));
        assert_eq!(r.last_seq(), Some(4));
        let seen: Vec<_> = r.iter_from(3).map(|(s, v)| (s, *v)).collect();
        assert_eq!(seen, vec![(3, 3), (4, 4)]);
    }

    #[test]
    fn numbering_survives_clear() {
        let mut r = LineRing::new(2);
        r.push("a");
        r.push("b");
        r.clear();
        assert!(r.is_empty());
        assert_eq!(r.last_seq(), None);
        assert_eq!(r.push("c"), 2);
        assert_eq!(r.evicted(), 0);
    }

    #[test]
    fn shrinking_counts_evictions() {
        let mut r = LineRing::new(4);
        for i in 0..4 {
            r.push(i);
        }
        r.set_capacity(1);
        assert_eq!(r.len(), 1);
        assert_eq!(r.evicted(), 3);
        assert_eq!(r.get(3), Some(&3));
    }
}
