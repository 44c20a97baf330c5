//! Text for numbers, sizes and times as the page shows them (and the SVG export writes them).

use connscope_core::report::{Connection, HttpRequest, Side};

/// `12,345`.
pub fn count(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::with_capacity(s.len() + s.len() / 3);
    for (i, ch) in s.chars().enumerate() {
        if i > 0 && (s.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(ch);
    }
    out
}

/// `812 B`, `20.3 kB`, `200.0 MB`, `1.07 GB` (decimal units, like file managers).
pub fn bytes(n: u64) -> String {
    let f = n as f64;
    if n < 1000 {
        format!("{n} B")
    } else if f < 1e6 {
        format!("{:.1} kB", f / 1e3)
    } else if f < 1e9 {
        format!("{:.1} MB", f / 1e6)
    } else {
        format!("{:.2} GB", f / 1e9)
    }
}

/// A duration given in seconds, always written in milliseconds: `0.031 ms`, `4.56 ms`,
/// `123.4 ms`, `2,940 ms`.
pub fn ms(seconds: f64) -> String {
    let v = seconds * 1000.0;
    if !v.is_finite() {
        return "–".into();
    }
    let a = v.abs();
    if a < 1.0 {
        format!("{v:.3} ms")
    } else if a < 10.0 {
        format!("{v:.2} ms")
    } else if a < 1000.0 {
        format!("{v:.1} ms")
    } else {
        let sign = if v < 0.0 { "-" } else { "" };
        format!("{sign}{} ms", count(a.round() as u64))
    }
}

/// A time window in ms with as many decimals as its width needs: `0 – 2,945 ms`,
/// `12.5 – 13.0 ms`.
pub fn window(from: f64, to: f64) -> String {
    let span = (to - from) * 1000.0;
    let d = if span >= 100.0 {
        0
    } else if span >= 1.0 {
        2
    } else {
        3
    };
    format!(
        "{} – {} ms",
        count_f(from * 1000.0, d),
        count_f(to * 1000.0, d)
    )
}

/// A duration for summaries: `31 µs`, `4.6 ms`, `2.94 s`, `3 min 12 s`, `2 h 05 min`.
pub fn duration(seconds: f64) -> String {
    if !seconds.is_finite() || seconds < 0.0 {
        return "–".into();
    }
    if seconds < 0.001 {
        format!("{:.0} µs", seconds * 1e6)
    } else if seconds < 1.0 {
        format!("{:.1} ms", seconds * 1e3)
    } else if seconds < 60.0 {
        format!("{seconds:.2} s")
    } else if seconds < 3600.0 {
        let s = seconds.round() as u64;
        format!("{} min {} s", s / 60, s % 60)
    } else {
        let m = (seconds / 60.0).round() as u64;
        format!("{} h {:02} min", m / 60, m % 60)
    }
}

/// A point in time as an offset from the start of the capture: `+1,234.5 ms`.
pub fn offset(ts: f64, t0: f64) -> String {
    let d = ts - t0;
    if d.abs() >= 1.0 {
        format!("+{} ms", count_f((d * 1000.0).max(0.0), 1))
    } else {
        format!("+{:.3} ms", d * 1000.0)
    }
}

/// `1,234.5` (thousands separators with `decimals` digits after the point).
pub fn count_f(v: f64, decimals: usize) -> String {
    let s = format!("{:.*}", decimals, v.abs());
    let (int, frac) = match s.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (s.as_str(), None),
    };
    let mut out = String::new();
    if v < 0.0 {
        out.push('-');
    }
    out.push_str(&count(int.parse().unwrap_or(0)));
    if let Some(f) = frac {
        out.push('.');
        out.push_str(f);
    }
    out
}

/// An epoch time (seconds) as UTC `2026-11-22 02:18:27.376937`.
pub fn utc(ts: f64) -> String {
    if !ts.is_finite() {
        return "–".into();
    }
    let micros = (ts * 1e6).round() as i64;
    let secs = micros.div_euclid(1_000_000);
    let frac = micros.rem_euclid(1_000_000);
    let days = secs.div_euclid(86_400);
    let sod = secs.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02}.{frac:06} UTC",
        sod / 3600,
        (sod / 60) % 60,
        sod % 60
    )
}

/// Days since 1970-01-01 to (year, month, day) in the proleptic Gregorian calendar
/// (Howard Hinnant's `civil_from_days`).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// How the connection ended, in a few words: `FIN by server`, `RST by client`, `refused`,
/// `no answer`, `still open`.
pub fn close(c: &Connection) -> String {
    let Some(t) = &c.tcp else {
        return match &*c.transport {
            "quic" => "QUIC (no TCP close)".into(),
            _ => "UDP (no close)".into(),
        };
    };
    let by = |s: Option<Side>| match s {
        Some(Side::Client) => " by client",
        Some(Side::Server) => " by server",
        None => "",
    };
    match &*t.close {
        "fin" => format!("FIN{}", by(t.closed_by)),
        "rst" => format!("RST{}", by(t.closed_by)),
        "refused" => "refused (RST to SYN)".into(),
        "unanswered" => "SYN unanswered".into(),
        "open" => "still open".into(),
        other => other.to_string(),
    }
}

/// A request in one line: method, host and target, and the answer (`GET example.com/a.png → 200
/// OK`), cut at 160 characters.
pub fn request_line(r: &HttpRequest) -> String {
    let answer = match (r.status, &r.reason) {
        (Some(s), Some(reason)) if !reason.is_empty() => format!("{s} {reason}"),
        (Some(s), _) => s.to_string(),
        _ => "no response".into(),
    };
    let target = match &r.host {
        Some(h) if r.target.starts_with('/') => format!("{h}{}", r.target),
        _ => r.target.clone(),
    };
    let line = format!("{} {target} → {answer}", r.method);
    if line.chars().count() > 160 {
        let mut t: String = line.chars().take(159).collect();
        t.push('…');
        t
    } else {
        line
    }
}

/// The Wireshark display filter that shows this connection.
pub fn wireshark_filter(c: &Connection) -> String {
    match &*c.transport {
        "tcp" => format!("tcp.stream eq {}", c.stream),
        _ => format!("udp.stream eq {}", c.stream),
    }
}

/// `ip:port`, with brackets around IPv6 addresses.
pub fn endpoint(ip: &str, port: u16) -> String {
    if ip.contains(':') {
        format!("[{ip}]:{port}")
    } else {
        format!("{ip}:{port}")
    }
}

/// Readable name of a TLS handshake message type (`client_hello` → `ClientHello`).
pub fn handshake_name(kind: &str) -> String {
    match kind {
        "change_cipher_spec" => "ChangeCipherSpec".into(),
        "encrypted_handshake" => "encrypted handshake message".into(),
        "encrypted_server_flight" => "encrypted server flight".into(),
        other => other
            .split('_')
            .map(|w| {
                let mut c = w.chars();
                match c.next() {
                    Some(f) => f.to_ascii_uppercase().to_string() + c.as_str(),
                    None => String::new(),
                }
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers() {
        assert_eq!(count(0), "0");
        assert_eq!(count(999), "999");
        assert_eq!(count(1000), "1,000");
        assert_eq!(count(1234567), "1,234,567");
        assert_eq!(bytes(812), "812 B");
        assert_eq!(bytes(20_774), "20.8 kB");
        assert_eq!(bytes(200_000_000), "200.0 MB");
        assert_eq!(count_f(1234.56, 1), "1,234.6");
        assert_eq!(count_f(-0.5, 1), "-0.5");
    }

    #[test]
    fn times() {
        assert_eq!(ms(0.000031), "0.031 ms");
        assert_eq!(ms(0.00456), "4.56 ms");
        assert_eq!(ms(0.1234), "123.4 ms");
        assert_eq!(ms(2.94), "2,940 ms");
        assert_eq!(duration(2.944546), "2.94 s");
        assert_eq!(duration(192.0), "3 min 12 s");
        assert_eq!(offset(10.5, 10.0), "+500.000 ms");
        assert_eq!(offset(12.0, 10.0), "+2,000.0 ms");
        assert_eq!(utc(0.0), "1970-01-01 00:00:00.000000 UTC");
        assert_eq!(utc(1_700_000_000.25), "2023-11-14 22:13:20.250000 UTC");
        assert_eq!(handshake_name("client_hello"), "ClientHello");
        assert_eq!(window(0.0, 2.9449), "0 – 2,945 ms");
        assert_eq!(window(0.012, 0.015), "12.00 – 15.00 ms");
        assert_eq!(window(0.0125, 0.013), "12.500 – 13.000 ms");
    }
}
