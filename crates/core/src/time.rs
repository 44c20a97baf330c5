//! Packet time. The core never reads a clock: every time comes from the capture itself.

/// A capture timestamp: nanoseconds since the Unix epoch (negative for nonsense files, which
/// are shown as they are rather than rejected).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Ts(i64);

impl Ts {
    pub const fn from_nanos(ns: i64) -> Ts {
        Ts(ns)
    }
    pub const fn as_nanos(self) -> i64 {
        self.0
    }
    /// Epoch seconds with microsecond precision (what an f64 can hold for current dates).
    pub fn as_secs_f64(self) -> f64 {
        let micros = self.0.div_euclid(1_000);
        let rounded = if self.0.rem_euclid(1_000) >= 500 {
            micros + 1
        } else {
            micros
        };
        rounded as f64 / 1e6
    }
    /// Seconds from `earlier` to `self` (negative when time went backwards).
    pub fn secs_since(self, earlier: Ts) -> f64 {
        self.0.saturating_sub(earlier.0) as f64 / 1e9
    }
    pub fn saturating_add_secs(self, secs: f64) -> Ts {
        Ts(self.0.saturating_add((secs * 1e9) as i64))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seconds_keep_microseconds() {
        let t = Ts::from_nanos(1_620_898_024_056_646_000);
        assert_eq!(t.as_secs_f64(), 1_620_898_024.056_646);
        assert_eq!(Ts::from_nanos(1_500).as_secs_f64(), 0.000002);
        assert_eq!(Ts::from_nanos(-1_000).as_secs_f64(), -0.000001);
    }
}
