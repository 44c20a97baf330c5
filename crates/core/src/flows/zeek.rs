//! Zeek's view of a TCP connection: the `history` letters and the `conn_state` summary, as
//! Zeek's conn.log defines them (upper case = originator/client, lower case = responder).

use crate::decode::TcpFlags;
use crate::report::Side;
use crate::side::PerSide;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Endpoint {
    #[default]
    Inactive,
    SynSent,
    SynAckSent,
    Partial,
    Established,
    Closed,
    Reset,
}

/// History is capped: a connection cannot grow it without bound.
const MAX_HISTORY: usize = 64;

#[derive(Debug, Clone, Default)]
pub struct ZeekConn {
    pub state: PerSide<Endpoint>,
    history: String,
    /// Letters already recorded, per side: bit i for letter `LETTERS[i]`.
    seen: PerSide<u16>,
    last_syn: PerSide<Option<u32>>,
    last_fin: PerSide<Option<u32>>,
    last_rst: PerSide<Option<u32>>,
    /// Scaled counters (retransmissions, zero windows, gaps): a letter at 1, 10, 100, ...
    rexmit: PerSide<u32>,
    zero_window: PerSide<u32>,
    gaps: PerSide<u32>,
    pub size: PerSide<u64>,
}

/// 1, 10, 100, ...: Zeek repeats scaled letters at each power of ten.
fn is_power_of_ten(mut n: u32) -> bool {
    while n >= 10 && n % 10 == 0 {
        n /= 10;
    }
    n == 1
}

const LETTERS: [char; 10] = ['S', 'H', 'A', 'D', 'F', 'R', 'Q', 'I', 'T', 'W'];

fn bit(letter: char) -> u16 {
    1 << LETTERS.iter().position(|&l| l == letter).unwrap_or(0)
}

impl ZeekConn {
    pub fn history(&self) -> &str {
        &self.history
    }

    pub fn flip(&mut self) {
        self.state.swap();
        self.seen.swap();
        self.size.swap();
        // Letters recorded so far change case, and Zeek marks the flip.
        let swapped: String = self
            .history
            .chars()
            .map(|c| {
                if c.is_ascii_uppercase() {
                    c.to_ascii_lowercase()
                } else {
                    c.to_ascii_uppercase()
                }
            })
            .collect();
        self.history = format!("^{swapped}");
    }

    /// The first packet came from the responder: Zeek marks such connections with `^`.
    pub fn started_by_responder(&mut self) {
        if !self.history.starts_with('^') {
            self.history.insert(0, '^');
        }
    }

    fn add(&mut self, side: Side, letter: char) {
        if self.history.len() < MAX_HISTORY {
            self.history.push(if side == Side::Client {
                letter
            } else {
                letter.to_ascii_lowercase()
            });
        }
    }

    /// Records the letter once per side; returns whether it had been seen before.
    fn check(&mut self, side: Side, letter: char) -> bool {
        if self.seen[side] & bit(letter) != 0 {
            return true;
        }
        self.seen[side] |= bit(letter);
        self.add(side, letter);
        false
    }

    fn scaled(&mut self, side: Side, letter: char, count: u32) {
        if is_power_of_ten(count) {
            self.add(side, letter);
        }
    }

    pub fn retransmission(&mut self, side: Side) {
        self.rexmit[side] = self.rexmit[side].saturating_add(1);
        let n = self.rexmit[side];
        self.scaled(side, 'T', n);
    }

    pub fn gap(&mut self, side: Side) {
        self.gaps[side] = self.gaps[side].saturating_add(1);
        let n = self.gaps[side];
        self.scaled(side, 'G', n);
    }

    /// One packet from `side` (0 = originator).
    pub fn packet(&mut self, side: Side, flags: TcpFlags, seq: u32, len: u32, window: u16) {
        self.size[side] += u64::from(len);
        self.history_letters(side, flags, seq, len);
        if window == 0 && !flags.syn() && !flags.rst() && !flags.fin() {
            self.zero_window[side] = self.zero_window[side].saturating_add(1);
            let n = self.zero_window[side];
            self.scaled(side, 'W', n);
        }
        self.update_state(side, flags, len);
    }

    fn history_letters(&mut self, side: Side, flags: TcpFlags, seq: u32, len: u32) {
        let bits = u8::from(flags.syn()) + u8::from(flags.fin()) + u8::from(flags.rst());
        if bits > 1 {
            if flags.fin() && flags.rst() {
                self.check(side, 'I');
            } else {
                self.check(side, 'Q');
            }
        } else if bits == 1 {
            if flags.syn() {
                let code = if flags.ack() { 'H' } else { 'S' };
                if self.check(side, code) && self.last_syn[side] != Some(seq) {
                    self.add(side, code);
                }
                self.last_syn[side] = Some(seq);
            }
            if flags.fin() {
                let end = seq.wrapping_add(len);
                if self.check(side, 'F') && self.last_fin[side] != Some(end) {
                    self.add(side, 'F');
                }
                self.last_fin[side] = Some(end);
            }
            if flags.rst() {
                if self.check(side, 'R') && self.last_rst[side] != Some(seq) {
                    self.add(side, 'R');
                }
                self.last_rst[side] = Some(seq);
            }
        } else if len > 0 {
            self.check(side, 'D');
        } else if flags.ack() {
            self.check(side, 'A');
        }
    }

    fn update_state(&mut self, side: Side, flags: TcpFlags, len: u32) {
        let peer = side.other();
        let (me, them) = (self.state[side], self.state[peer]);
        use Endpoint::*;
        let next = match me {
            Inactive if flags.syn() => {
                if flags.ack() {
                    SynAckSent
                } else {
                    SynSent
                }
            }
            Inactive if flags.rst() => Reset,
            Inactive if flags.fin() => Closed,
            Inactive if len > 0 || flags.ack() => Partial,
            SynSent | SynAckSent if flags.rst() => Reset,
            SynSent | SynAckSent if flags.fin() => Closed,
            SynSent | SynAckSent
                if flags.ack()
                    && !flags.syn()
                    && matches!(them, SynSent | SynAckSent | Established) =>
            {
                if them == SynAckSent || them == SynSent {
                    self.state[peer] = Established;
                }
                Established
            }
            Partial | Established if flags.rst() => Reset,
            Partial | Established if flags.fin() => Closed,
            other => other,
        };
        self.state[side] = next;
    }

    /// Zeek's `conn_state` for this connection.
    pub fn conn_state(&self) -> &'static str {
        use Endpoint::*;
        let (os, rs) = (self.state.client, self.state.server);
        let o_inactive = matches!(os, Inactive | Partial);
        let r_inactive = matches!(rs, Inactive | Partial);
        if rs == Reset {
            if matches!(os, SynSent | SynAckSent)
                || (os == Reset && self.size == PerSide::default())
            {
                "REJ"
            } else if o_inactive {
                "RSTRH"
            } else {
                "RSTR"
            }
        } else if os == Reset {
            let h = self.history.trim_start_matches('^');
            let syn_then_rst = h.starts_with('S') && {
                let after = &h[1..];
                let upto_r = after.split('R').next().unwrap_or("");
                after.contains('R') && !upto_r.chars().any(|c| "HAFGIQ".contains(c))
            };
            if r_inactive && syn_then_rst {
                "RSTOS0"
            } else {
                "RSTO"
            }
        } else if rs == Closed && os == Closed {
            "SF"
        } else if os == Closed {
            if r_inactive {
                "SH"
            } else {
                "S2"
            }
        } else if rs == Closed {
            if o_inactive {
                "SHR"
            } else {
                "S3"
            }
        } else if os == SynSent && rs == Inactive {
            "S0"
        } else if os == Established && rs == Established {
            "S1"
        } else {
            "OTH"
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(bits: u16) -> TcpFlags {
        TcpFlags(bits)
    }
    const S: u16 = TcpFlags::SYN;
    const A: u16 = TcpFlags::ACK;
    const F: u16 = TcpFlags::FIN;
    const R: u16 = TcpFlags::RST;

    #[test]
    fn full_connection_is_sf() {
        let mut z = ZeekConn::default();
        z.packet(Side::Client, f(S), 1, 0, 100);
        z.packet(Side::Server, f(S | A), 9, 0, 100);
        z.packet(Side::Client, f(A), 2, 0, 100);
        z.packet(Side::Client, f(A), 2, 10, 100);
        z.packet(Side::Server, f(A), 10, 20, 100);
        z.packet(Side::Client, f(F | A), 12, 0, 100);
        z.packet(Side::Server, f(F | A), 30, 0, 100);
        assert_eq!(z.history(), "ShADdFf");
        assert_eq!(z.conn_state(), "SF");
    }

    #[test]
    fn refused_is_rej_and_syn_only_is_s0() {
        let mut z = ZeekConn::default();
        z.packet(Side::Client, f(S), 1, 0, 100);
        z.packet(Side::Server, f(R | A), 0, 0, 0);
        assert_eq!(z.conn_state(), "REJ");
        let mut z = ZeekConn::default();
        z.packet(Side::Client, f(S), 1, 0, 100);
        z.packet(Side::Client, f(S), 1, 0, 100);
        assert_eq!(z.conn_state(), "S0");
        assert_eq!(z.history(), "S");
    }

    #[test]
    fn midstream_is_oth() {
        let mut z = ZeekConn::default();
        z.packet(Side::Client, f(A), 1, 10, 100);
        z.packet(Side::Server, f(A), 1, 10, 100);
        z.packet(Side::Client, f(A), 11, 0, 100);
        assert_eq!(z.history(), "DdA");
        assert_eq!(z.conn_state(), "OTH");
    }
}
