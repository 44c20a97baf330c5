//! The human-readable report the CLI prints without `--json`: grouped by client and host, one
//! line per connection.

use super::{Connection, Report};
use std::fmt::Write;

fn duration_text(secs: f64) -> String {
    if secs < 1.0 {
        format!("{:.1} ms", secs * 1000.0)
    } else {
        format!("{secs:.2} s")
    }
}

/// What happened on the connection, in a few words.
fn outcome(c: &Connection) -> String {
    let mut parts = Vec::new();
    if let Some(t) = &c.tls {
        let mut s = t.outcome.replace('_', " ");
        if let Some(after) = &t.aborted_after {
            s.push_str(&format!(" after {}", after.replace('_', " ")));
        }
        if let Some(a) = t
            .alerts
            .iter()
            .find(|a| a.description.as_deref() != Some("close_notify"))
        {
            match &a.description {
                Some(d) => s.push_str(&format!(" ({} alert {d})", a.from.as_str())),
                None => s.push_str(&format!(" ({} encrypted alert)", a.from.as_str())),
            }
        }
        if t.resumed {
            s.push_str(&format!(
                ", resumed ({})",
                t.resumption.as_deref().unwrap_or("?")
            ));
        }
        parts.push(s);
    }
    if let Some(h) = &c.http {
        let n = h.requests.len();
        let statuses: Vec<String> = h
            .requests
            .iter()
            .take(6)
            .filter_map(|r| r.status.map(|s| s.to_string()))
            .collect();
        let mut s = format!("{n} request{}", if n == 1 { "" } else { "s" });
        if !statuses.is_empty() {
            s.push_str(&format!(
                " ({}{})",
                statuses.join(", "),
                if n > 6 { ", ..." } else { "" }
            ));
        }
        if h.pipelined {
            s.push_str(", pipelined");
        }
        if let Some(h2) = &h.h2 {
            s.push_str(&format!(
                ", {} h2 frames on {} streams",
                h2.frames,
                h2.streams.len()
            ));
        }
        parts.push(s);
    }
    if let Some(d) = &c.dns {
        let names: Vec<&str> = d.queries.iter().take(3).map(|q| q.name.as_str()).collect();
        parts.push(format!(
            "{} quer{} {}",
            d.queries.len(),
            if d.queries.len() == 1 { "y" } else { "ies" },
            names.join(", ")
        ));
    }
    if let Some(t) = &c.tcp {
        let close = match (t.close.as_ref(), t.closed_by) {
            ("open", _) => "still open".to_string(),
            ("refused", _) => "refused (RST to SYN)".to_string(),
            ("unanswered", _) => format!("unanswered ({} SYN)", t.syn_count),
            (kind, Some(side)) => {
                let mut s = format!("{} by {}", kind.to_uppercase(), side.as_str());
                if let Some(idle) = t.idle_before_close.filter(|&i| i >= 1.0) {
                    s.push_str(&format!(" after {} idle", duration_text(idle)));
                }
                s
            }
            (kind, None) => kind.to_string(),
        };
        parts.push(close);
    }
    parts.join("; ")
}

pub fn render(report: &Report) -> String {
    let mut out = String::new();
    let c = &report.capture;
    let links: Vec<&str> = c.link_types.iter().map(|l| l.name.as_str()).collect();
    let duration = match (c.first_ts, c.last_ts) {
        (Some(a), Some(b)) => duration_text((b - a).max(0.0)),
        _ => "-".into(),
    };
    let _ = writeln!(
        out,
        "{}{} ({}), {} packets, {}, {} connections, {} hosts",
        c.format,
        c.compression
            .as_deref()
            .map(|z| format!("+{z}"))
            .unwrap_or_default(),
        links.join(", "),
        c.packets,
        duration,
        report.connections.len(),
        report.hosts.len()
    );
    for g in &report.hosts {
        let _ = writeln!(
            out,
            "\n{} → {}  [{}]",
            g.client,
            g.host,
            g.servers.join(", ")
        );
        for &id in &g.connections {
            let Some(conn) = report.connections.get(id as usize) else {
                continue;
            };
            let why = conn
                .explanation
                .as_ref()
                .map(|e| format!("  — {}", e.headline))
                .unwrap_or_default();
            let _ = writeln!(
                out,
                "  {:>4} {}:{:<5} {:<22} {}{}",
                format!("#{}", conn.stream),
                conn.transport,
                conn.client.port,
                conn.protocol,
                outcome(conn),
                why
            );
        }
    }
    if !report.warnings.is_empty() {
        let _ = writeln!(out, "\nwarnings:");
        for w in &report.warnings {
            let at = w
                .frame
                .map(|f| format!(" (first at frame {f})"))
                .unwrap_or_default();
            let times = if w.count > 1 {
                format!(" ×{}", w.count)
            } else {
                String::new()
            };
            let _ = writeln!(out, "  {}{}{}", w.message, at, times);
        }
    }
    out
}
