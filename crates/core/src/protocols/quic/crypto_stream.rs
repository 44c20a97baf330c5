//! The CRYPTO stream of one packet number space and direction: CRYPTO frames arrive in any
//! order (Chromium shuffles the ClientHello's pieces on purpose), are put back in order here,
//! and whole TLS handshake messages come out. Bounded: bytes further than `MAX_CRYPTO_BYTES`
//! ahead of what has been read are dropped (and counted).

/// Window of CRYPTO bytes held per stream (a certificate chain fits; a flood does not grow).
pub const MAX_CRYPTO_BYTES: usize = 64 * 1024;

#[derive(Debug, Default)]
pub struct CryptoStream {
    /// Bytes from absolute offset `base` on (holes are zero until filled).
    buf: Vec<u8>,
    base: u64,
    /// Received ranges [start, end), absolute, sorted and merged.
    have: Vec<(u64, u64)>,
    /// Bytes that fell outside the window.
    pub dropped: u64,
}

impl CryptoStream {
    /// Adds the data of one CRYPTO frame.
    pub fn insert(&mut self, offset: u64, data: &[u8]) {
        let Some(end) = offset.checked_add(data.len() as u64) else {
            return;
        };
        let limit = self.base.saturating_add(MAX_CRYPTO_BYTES as u64);
        let (start, stop) = (offset.max(self.base), end.min(limit));
        if end > limit {
            self.dropped = self
                .dropped
                .saturating_add(end.saturating_sub(limit.max(offset)));
        }
        if start >= stop {
            return;
        }
        let (Ok(from), Ok(to)) = (
            usize::try_from(start.saturating_sub(self.base)),
            usize::try_from(stop.saturating_sub(self.base)),
        ) else {
            return;
        };
        if self.buf.len() < to {
            self.buf.resize(to, 0);
        }
        let skip = usize::try_from(start.saturating_sub(offset)).unwrap_or(usize::MAX);
        let src = data.get(skip..).unwrap_or_default();
        if let Some(dst) = self.buf.get_mut(from..to) {
            dst.iter_mut().zip(src).for_each(|(d, s)| *d = *s);
        }
        self.add_range(start, stop);
    }

    fn add_range(&mut self, start: u64, end: u64) {
        self.have.push((start, end));
        self.have.sort_unstable();
        let mut merged: Vec<(u64, u64)> = Vec::with_capacity(self.have.len());
        for &(s, e) in &self.have {
            match merged.last_mut() {
                Some(last) if s <= last.1 => last.1 = last.1.max(e),
                _ => merged.push((s, e)),
            }
        }
        self.have = merged;
    }

    /// Bytes available in order from `base`.
    fn contiguous(&self) -> usize {
        self.have
            .iter()
            .find(|(s, e)| *s <= self.base && *e > self.base)
            .and_then(|(_, e)| usize::try_from(e.saturating_sub(self.base)).ok())
            .unwrap_or(0)
    }

    /// The next whole handshake message: (type, body).
    pub fn next_message(&mut self) -> Option<(u8, Vec<u8>)> {
        let avail = self.contiguous();
        let [ty, a, b, c] = crate::bytes::array::<4>(self.buf.get(..avail)?, 0)?;
        let len = (usize::from(a) << 16) | (usize::from(b) << 8) | usize::from(c);
        let total = len.checked_add(4)?;
        if total > avail {
            if total > MAX_CRYPTO_BYTES {
                // Cannot ever fit: give up on this stream.
                self.dropped = self.dropped.saturating_add(total as u64);
                self.buf = Vec::new();
                self.have.clear();
                self.base = u64::MAX;
            }
            return None;
        }
        let body = self.buf.get(4..total)?.to_vec();
        self.buf.drain(..total);
        self.base = self.base.saturating_add(total as u64);
        Some((ty, body))
    }

    /// Frees the buffer (the handshake in this space is over).
    pub fn release(&mut self) {
        self.buf = Vec::new();
        self.have = Vec::new();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reorders_and_splits_messages() {
        let mut s = CryptoStream::default();
        let msg1 = [1u8, 0, 0, 3, 9, 9, 9];
        let msg2 = [2u8, 0, 0, 1, 7];
        let all: Vec<u8> = msg1.iter().chain(&msg2).copied().collect();
        s.insert(5, &all[5..]);
        assert!(s.next_message().is_none());
        s.insert(0, &all[..3]);
        assert!(s.next_message().is_none());
        s.insert(2, &all[2..6]);
        assert_eq!(s.next_message(), Some((1, vec![9, 9, 9])));
        assert_eq!(s.next_message(), Some((2, vec![7])));
        assert_eq!(s.next_message(), None);
        // Far beyond the window: dropped, never allocated.
        s.insert(u64::MAX - 2, &[1, 2, 3, 4]);
        s.insert(1 << 40, &[1]);
        assert!(s.dropped > 0);
    }
}
