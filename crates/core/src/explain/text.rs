//! Small wording helpers: durations and lists as people read them.

/// `0.8 ms`, `12 ms`, `1.25 s`, `75 s`.
pub fn dur(secs: f64) -> String {
    let secs = secs.max(0.0);
    if secs < 0.001 {
        format!("{:.0} µs", secs * 1e6)
    } else if secs < 0.010 {
        format!("{:.1} ms", secs * 1e3)
    } else if secs < 1.0 {
        format!("{:.0} ms", secs * 1e3)
    } else if secs < 10.0 {
        format!("{secs:.2} s")
    } else {
        format!("{secs:.0} s")
    }
}

/// `#1, #2 and #5`.
pub fn conns(streams: &[u32]) -> String {
    let labels: Vec<String> = streams.iter().map(|s| format!("#{s}")).collect();
    match labels.split_last() {
        None => String::new(),
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("{} and {last}", rest.join(", ")),
    }
}

pub fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}
