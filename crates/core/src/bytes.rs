//! Bounds-checked views of untrusted bytes. Every read from a capture goes through `get`, so a
//! short or lying input yields `None` (or a clamped slice), never a panic.

/// `N` bytes at `at`, if present.
pub fn array<const N: usize>(b: &[u8], at: usize) -> Option<[u8; N]> {
    b.get(at..at.checked_add(N)?)?.try_into().ok()
}

pub fn be16(b: &[u8], at: usize) -> Option<u16> {
    array(b, at).map(u16::from_be_bytes)
}

pub fn be32(b: &[u8], at: usize) -> Option<u32> {
    array(b, at).map(u32::from_be_bytes)
}

/// The first `n` bytes (all of them if there are fewer).
pub fn head(b: &[u8], n: usize) -> &[u8] {
    b.get(..n).unwrap_or(b)
}

/// Everything after the first `n` bytes (nothing if there are fewer).
pub fn tail(b: &[u8], n: usize) -> &[u8] {
    b.get(n..).unwrap_or_default()
}

/// `head` and `tail` at once.
pub fn split(b: &[u8], n: usize) -> (&[u8], &[u8]) {
    b.split_at_checked(n).unwrap_or((b, &[]))
}

/// Copies from `data` into the unfilled end of `buf` (a fixed-size header being collected);
/// returns how many bytes were taken.
pub fn fill(buf: &mut [u8], filled: &mut usize, data: &[u8]) -> usize {
    let room = buf.get_mut(*filled..).unwrap_or_default();
    let n = room.len().min(data.len());
    room.iter_mut().zip(data).for_each(|(d, s)| *d = *s);
    *filled += n;
    n
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn never_panics() {
        let b = [1u8, 2, 3];
        assert_eq!(array::<2>(&b, 1), Some([2, 3]));
        assert_eq!(array::<2>(&b, 2), None);
        assert_eq!(array::<2>(&b, usize::MAX), None);
        assert_eq!(be16(&b, 0), Some(0x0102));
        assert_eq!(head(&b, 10), &b);
        assert_eq!(tail(&b, 10), &[] as &[u8]);
        assert_eq!(split(&b, 1), (&b[..1], &b[1..]));
        assert_eq!(split(&b, 9), (&b[..], &[] as &[u8]));
        let (mut h, mut n) = ([0u8; 4], 0);
        assert_eq!(fill(&mut h, &mut n, &[1, 2, 3]), 3);
        assert_eq!(fill(&mut h, &mut n, &[4, 5, 6]), 1);
        assert_eq!((h, n), ([1, 2, 3, 4], 4));
        assert_eq!(fill(&mut h, &mut n, &[7]), 0);
    }
}
