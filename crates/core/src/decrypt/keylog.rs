//! The NSS key log format (SSLKEYLOGFILE, also inside pcapng Decryption Secrets Blocks):
//! `LABEL <client random, hex> <secret, hex>` per line. Secrets are indexed by client random.

use hashbrown::HashMap;

/// Lines kept at most: a key log is a few lines per connection; more is not a key log.
const MAX_ENTRIES: usize = 1_000_000;

/// Everything logged for one client random (one TLS connection, or one QUIC connection).
#[derive(Default, Clone)]
pub struct Secrets {
    /// TLS ≤ 1.2 master secret (`CLIENT_RANDOM`).
    pub master: Option<Vec<u8>>,
    pub client_handshake: Option<Vec<u8>>,
    pub server_handshake: Option<Vec<u8>>,
    pub client_traffic_0: Option<Vec<u8>>,
    pub server_traffic_0: Option<Vec<u8>>,
    pub client_early: Option<Vec<u8>>,
}

/// Secrets from one or more key logs.
#[derive(Default)]
pub struct KeyLog {
    by_random: HashMap<[u8; 32], Secrets>,
    pub lines_read: usize,
    pub lines_ignored: usize,
}

fn unhex(s: &str) -> Option<Vec<u8>> {
    if s.len() % 2 != 0 || s.len() > 256 {
        return None;
    }
    s.as_bytes()
        .chunks(2)
        .map(|p| u8::from_str_radix(std::str::from_utf8(p).ok()?, 16).ok())
        .collect()
}

impl KeyLog {
    pub fn is_empty(&self) -> bool {
        self.by_random.is_empty()
    }

    pub fn len(&self) -> usize {
        self.by_random.len()
    }

    /// Adds the lines of a key log (unknown labels and comments are skipped, counted).
    pub fn add(&mut self, text: &[u8]) {
        for line in text.split(|&b| b == b'\n') {
            let Ok(line) = std::str::from_utf8(line) else {
                self.lines_ignored = self.lines_ignored.saturating_add(1);
                continue;
            };
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            if self.add_line(line).is_none() {
                self.lines_ignored = self.lines_ignored.saturating_add(1);
            } else {
                self.lines_read = self.lines_read.saturating_add(1);
            }
        }
    }

    fn add_line(&mut self, line: &str) -> Option<()> {
        let mut parts = line.split_ascii_whitespace();
        let (label, random, secret) = (parts.next()?, parts.next()?, parts.next()?);
        let random: [u8; 32] = unhex(random)?.try_into().ok()?;
        let secret = unhex(secret)?;
        if self.by_random.len() >= MAX_ENTRIES && !self.by_random.contains_key(&random) {
            return None;
        }
        let s = self.by_random.entry(random).or_default();
        let slot = match label {
            "CLIENT_RANDOM" => &mut s.master,
            "CLIENT_HANDSHAKE_TRAFFIC_SECRET" => &mut s.client_handshake,
            "SERVER_HANDSHAKE_TRAFFIC_SECRET" => &mut s.server_handshake,
            "CLIENT_TRAFFIC_SECRET_0" => &mut s.client_traffic_0,
            "SERVER_TRAFFIC_SECRET_0" => &mut s.server_traffic_0,
            "CLIENT_EARLY_TRAFFIC_SECRET" => &mut s.client_early,
            // EXPORTER_SECRET, EARLY_EXPORTER_SECRET, RSA: not needed to read records.
            _ => return Some(()),
        };
        *slot = Some(secret);
        Some(())
    }

    pub fn get(&self, client_random: &[u8]) -> Option<&Secrets> {
        let r: [u8; 32] = client_random.try_into().ok()?;
        self.by_random.get(&r)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_nss_lines() {
        let mut k = KeyLog::default();
        let r = "ab".repeat(32);
        k.add(format!("# comment\nCLIENT_RANDOM {r} {}\r\nSERVER_HANDSHAKE_TRAFFIC_SECRET {r} {}\nnonsense\n", "01".repeat(48), "02".repeat(32)).as_bytes());
        let s = k.get(&[0xab; 32]).unwrap();
        assert_eq!(s.master.as_ref().unwrap().len(), 48);
        assert_eq!(s.server_handshake.as_ref().unwrap(), &vec![2u8; 32]);
        assert_eq!((k.lines_read, k.lines_ignored), (2, 1));
    }
}
