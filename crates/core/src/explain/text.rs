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

/// Longest list of connections written out in a sentence.
const MAX_LISTED: usize = 8;

/// `#1, #2 and #5`; a long list ends in `… and 12 more`.
pub fn conns(streams: &[u32]) -> String {
    let labels: Vec<String> = streams
        .iter()
        .take(MAX_LISTED)
        .map(|s| format!("#{s}"))
        .collect();
    let more = streams.len().saturating_sub(MAX_LISTED);
    if more > 0 {
        return format!("{} and {more} more", labels.join(", "));
    }
    match labels.split_last() {
        None => String::new(),
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("{} and {last}", rest.join(", ")),
    }
}

pub fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

#[cfg(test)]
mod tests {
    use super::conns;

    #[test]
    fn connection_lists() {
        assert_eq!(conns(&[]), "");
        assert_eq!(conns(&[3]), "#3");
        assert_eq!(conns(&[1, 2, 5]), "#1, #2 and #5");
        let many: Vec<u32> = (0..20).collect();
        assert_eq!(conns(&many), "#0, #1, #2, #3, #4, #5, #6, #7 and 12 more");
    }
}
