//! HTTP/1.1 messages in the clear: requests with browser-like headers, responses with
//! `Content-Length` or `Transfer-Encoding: chunked` bodies, keep-alive and `Connection: close`.

use std::fmt::Write as _;

pub const USER_AGENTS: [&str; 4] = [
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:125.0) Gecko/20100101 Firefox/125.0",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Safari/605.1.15",
    "curl/8.5.0",
];

pub struct Resource {
    pub path_prefix: &'static str,
    pub ext: &'static str,
    pub content_type: &'static str,
    pub accept: &'static str,
}

pub const RESOURCES: [Resource; 6] = [
    Resource {
        path_prefix: "/",
        ext: "",
        content_type: "text/html; charset=utf-8",
        accept: "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
    },
    Resource {
        path_prefix: "/assets/app.",
        ext: ".js",
        content_type: "application/javascript",
        accept: "*/*",
    },
    Resource {
        path_prefix: "/assets/style.",
        ext: ".css",
        content_type: "text/css",
        accept: "text/css,*/*;q=0.1",
    },
    Resource {
        path_prefix: "/img/photo-",
        ext: ".avif",
        content_type: "image/avif",
        accept: "image/avif,image/webp,image/apng,image/*,*/*;q=0.8",
    },
    Resource {
        path_prefix: "/api/v1/items/",
        ext: "",
        content_type: "application/json",
        accept: "application/json",
    },
    Resource {
        path_prefix: "/download/archive-",
        ext: ".tar.gz",
        content_type: "application/octet-stream",
        accept: "*/*",
    },
];

/// Writes a request head (and announces a body of `body_len` bytes when it is a POST).
#[allow(clippy::too_many_arguments)]
pub fn request(
    out: &mut Vec<u8>,
    method: &str,
    res: &Resource,
    id: u64,
    host: &str,
    ua: &str,
    body_len: Option<usize>,
    close: bool,
) {
    let mut s = String::with_capacity(512);
    let _ = write!(s, "{method} {}", res.path_prefix);
    if !res.path_prefix.ends_with('/') || id != 0 {
        let _ = write!(s, "{id:x}{}", res.ext);
    }
    let _ = write!(
        s,
        " HTTP/1.1\r\nHost: {host}\r\nUser-Agent: {ua}\r\nAccept: {}\r\n",
        res.accept
    );
    s.push_str("Accept-Language: en-US,en;q=0.9\r\nAccept-Encoding: gzip, deflate\r\n");
    if let Some(n) = body_len {
        let _ = write!(
            s,
            "Content-Type: application/json\r\nContent-Length: {n}\r\n"
        );
    }
    if id % 3 == 1 {
        let _ = write!(
            s,
            "Cookie: sid={:016x}; theme=dark\r\n",
            id.wrapping_mul(0x9e37_79b9_7f4a_7c15)
        );
    }
    s.push_str(if close {
        "Connection: close\r\n\r\n"
    } else {
        "Connection: keep-alive\r\n\r\n"
    });
    out.extend_from_slice(s.as_bytes());
}

/// How a response body is delimited.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Framing {
    ContentLength(u64),
    Chunked,
    /// No body (204, 304).
    None,
}

#[allow(clippy::too_many_arguments)]
pub fn response_head(
    out: &mut Vec<u8>,
    status: u16,
    server: &str,
    date: &str,
    content_type: &str,
    framing: Framing,
    close: bool,
    keep_alive_timeout: u32,
    location: Option<&str>,
) {
    let reason = match status {
        200 => "OK",
        204 => "No Content",
        301 => "Moved Permanently",
        304 => "Not Modified",
        404 => "Not Found",
        _ => "Unknown",
    };
    let mut s = String::with_capacity(320);
    let _ = write!(
        s,
        "HTTP/1.1 {status} {reason}\r\nServer: {server}\r\nDate: {date}\r\n"
    );
    match framing {
        Framing::ContentLength(n) => {
            let _ = write!(s, "Content-Type: {content_type}\r\nContent-Length: {n}\r\n");
        }
        Framing::Chunked => {
            let _ = write!(
                s,
                "Content-Type: {content_type}\r\nTransfer-Encoding: chunked\r\n"
            );
        }
        Framing::None => {}
    }
    if let Some(l) = location {
        let _ = write!(s, "Location: {l}\r\n");
    }
    s.push_str("Cache-Control: max-age=3600\r\n");
    if close {
        s.push_str("Connection: close\r\n\r\n");
    } else {
        let _ = write!(
            s,
            "Connection: keep-alive\r\nKeep-Alive: timeout={keep_alive_timeout}, max=100\r\n\r\n"
        );
    }
    out.extend_from_slice(s.as_bytes());
}

pub fn chunk_header(out: &mut Vec<u8>, len: usize) {
    let mut s = String::with_capacity(8);
    let _ = write!(s, "{len:x}\r\n");
    out.extend_from_slice(s.as_bytes());
}

/// `Mon, 01 Mar 2027 12:00:00 GMT` for a Unix time (proleptic Gregorian, integer arithmetic).
pub fn http_date(unix: u64) -> String {
    let days = (unix / 86_400) as i64;
    let secs = unix % 86_400;
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    const WD: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    const MON: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    format!(
        "{}, {:02} {} {} {:02}:{:02}:{:02} GMT",
        WD[(days.rem_euclid(7)) as usize],
        d,
        MON[(m - 1) as usize],
        y,
        secs / 3600,
        secs / 60 % 60,
        secs % 60
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn date() {
        assert_eq!(super::http_date(0), "Thu, 01 Jan 1970 00:00:00 GMT");
        assert_eq!(
            super::http_date(1_803_902_400),
            "Mon, 01 Mar 2027 12:00:00 GMT"
        );
    }
}
