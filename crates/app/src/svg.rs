//! The waterfall as a standalone SVG document (the "Export SVG" button): the rows the page shows
//! (same filter, sort and grouping), the visible time window, the axis and the legend. Colours are
//! attributes, not CSS, so the file looks the same anywhere; every capture string is escaped.

use crate::format;
use crate::model::{Model, Row};
use crate::waterfall::{self, geom, Mark, Shape, Window};
use std::fmt::Write;

const LABEL_W: f64 = 300.0;
const TRACK_W: f64 = 900.0;
const PAD: f64 = 12.0;
const HEAD_H: f64 = 56.0;
/// Above this many rows, marks carry no `<title>` tooltips (keeps huge exports smaller).
const TITLE_LIMIT: usize = 3000;

/// Escapes text for XML content and attribute values.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for ch in s.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if (c as u32) < 0x20 && c != '\t' && c != '\n' => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

fn truncate(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(max.saturating_sub(1)).collect();
        t.push('…');
        t
    }
}

/// Appends the marks of one track row at vertical offset `y` and horizontal offset `x0`.
pub fn write_shapes(out: &mut String, shapes: &[Shape], x0: f64, y: f64, titles: bool) {
    for s in shapes {
        let title = |out: &mut String| {
            if titles {
                let _ = write!(out, "<title>{}</title>", esc(&s.text));
            }
        };
        match &s.mark {
            Mark::Life => {
                let _ = write!(
                    out,
                    r#"<rect x="{:.1}" y="{:.1}" width="{:.1}" height="1" fill="{}">"#,
                    x0 + s.x,
                    y + geom::LIFE_Y - 0.5,
                    s.w,
                    waterfall::LIFE_COLOR
                );
                title(out);
                out.push_str("</rect>");
            }
            Mark::Phase(st) => {
                let (py, ph) = waterfall::phase_rect(s, st);
                let _ = write!(
                    out,
                    r#"<rect x="{:.1}" y="{:.1}" width="{:.1}" height="{ph}" fill="{}">"#,
                    x0 + s.x,
                    y + py,
                    s.w,
                    st.color
                );
                title(out);
                out.push_str("</rect>");
            }
            Mark::Tick { from } => {
                let color = match from {
                    connscope_core::report::Side::Client => waterfall::TICK_CLIENT_COLOR,
                    connscope_core::report::Side::Server => waterfall::TICK_SERVER_COLOR,
                };
                let _ = write!(
                    out,
                    r#"<line x1="{x:.1}" x2="{x:.1}" y1="{:.1}" y2="{:.1}" stroke="{color}" stroke-width="1.5">"#,
                    y + geom::TICK_Y0,
                    y + geom::TICK_Y1,
                    x = x0 + s.x
                );
                title(out);
                out.push_str("</line>");
            }
            Mark::Close { rst, .. } => {
                let color = if *rst {
                    waterfall::RST_COLOR
                } else {
                    waterfall::FIN_COLOR
                };
                let x = x0 + s.x;
                let _ = write!(
                    out,
                    r#"<path d="M{:.1} {:.1} l4 -4 l0 8 z M{:.1} {:.1} l0 16" stroke="{color}" fill="{color}" stroke-width="1.5">"#,
                    x,
                    y + geom::LIFE_Y,
                    x,
                    y + 2.0,
                );
                title(out);
                out.push_str("</path>");
            }
        }
    }
}

/// The legend items: (colour, label, kind of swatch).
pub fn legend() -> Vec<(&'static str, &'static str, &'static str)> {
    let mut v: Vec<_> = waterfall::PHASES
        .iter()
        .map(|p| (p.color, p.label, "bar"))
        .collect();
    v.push((waterfall::LIFE_COLOR, "Connection open", "line"));
    v.push((waterfall::TICK_CLIENT_COLOR, "TLS message (client)", "tick"));
    v.push((waterfall::TICK_SERVER_COLOR, "TLS message (server)", "tick"));
    v.push((waterfall::FIN_COLOR, "FIN (first close)", "close"));
    v.push((waterfall::RST_COLOR, "RST", "close"));
    v
}

/// The whole document.
pub fn export(m: &Model, rows: &[Row], win: &Window) -> String {
    let row_h = geom::ROW_H + 2.0;
    let legend = legend();
    let per_line = 5usize;
    let legend_lines = legend.len().div_ceil(per_line);
    let width = PAD * 2.0 + LABEL_W + TRACK_W;
    let body_h = rows.len() as f64 * row_h;
    let height = HEAD_H + body_h + 16.0 + legend_lines as f64 * 20.0 + PAD;
    let titles = rows.len() <= TITLE_LIMIT;
    let tx = PAD + LABEL_W;
    let mut out = String::with_capacity(256 + rows.len() * 400);
    let _ = write!(
        out,
        r##"<?xml version="1.0" encoding="UTF-8"?>
<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0}" height="{height:.0}" viewBox="0 0 {width:.0} {height:.0}" font-family="system-ui, sans-serif" font-size="12">
<rect width="100%" height="100%" fill="#ffffff"/>
<text x="{PAD}" y="20" font-size="14" font-weight="bold" fill="#202124">{}</text>
<text x="{PAD}" y="38" fill="#5f6368">{}</text>
"##,
        esc(&format!("Connscope waterfall — {}", m.file_name)),
        esc(&format!(
            "{} connections shown of {} · window {} → {} from the first packet",
            format::count(rows.iter().filter(|r| matches!(r, Row::Conn(_))).count() as u64),
            format::count(m.report.connections.len() as u64),
            format::ms(win.from),
            format::ms(win.to)
        ))
    );
    // Axis and grid.
    for (x, label) in waterfall::axis_ticks(win, TRACK_W, 90.0) {
        let _ = write!(
            out,
            r##"<line x1="{x:.1}" x2="{x:.1}" y1="{:.1}" y2="{:.1}" stroke="#e0e0e0"/><text x="{:.1}" y="{:.1}" fill="#5f6368" font-size="10">{}</text>"##,
            HEAD_H - 4.0,
            HEAD_H + body_h,
            x + 2.0,
            HEAD_H - 6.0,
            esc(&label),
            x = tx + x
        );
    }
    out.push('\n');
    for (i, row) in rows.iter().enumerate() {
        let y = HEAD_H + i as f64 * row_h;
        match *row {
            Row::Group { group, shown } => {
                if let Some(g) = m.report.hosts.get(group as usize) {
                    let _ = writeln!(
                        out,
                        r##"<rect x="{PAD}" y="{y:.1}" width="{:.0}" height="{row_h}" fill="#f1f3f4"/><text x="{:.1}" y="{:.1}" font-weight="bold" fill="#202124">{}</text>"##,
                        LABEL_W + TRACK_W,
                        PAD + 4.0,
                        y + 15.0,
                        esc(&truncate(
                            &format!(
                                "{} → {} · {} · {} connections",
                                g.client,
                                g.host,
                                g.servers.join(", "),
                                shown
                            ),
                            140
                        ))
                    );
                }
            }
            Row::Conn(id) => {
                let Some(c) = m.conn(id) else { continue };
                let label = format!("#{} :{} {}", c.stream, c.client.port, c.protocol);
                let _ = write!(
                    out,
                    r##"<text x="{:.1}" y="{:.1}" fill="#202124">{}</text>"##,
                    PAD + 12.0,
                    y + 15.0,
                    esc(&truncate(&label, 44))
                );
                let shapes = if titles {
                    waterfall::shapes(c, win, TRACK_W, m.t0)
                } else {
                    waterfall::marks(c, win, TRACK_W)
                };
                write_shapes(&mut out, &shapes, tx, y + 1.0, titles);
                out.push('\n');
            }
        }
    }
    // Legend.
    let ly = HEAD_H + body_h + 16.0;
    for (i, (color, label, kind)) in legend.iter().enumerate() {
        let x = PAD + (i % per_line) as f64 * 210.0;
        let y = ly + (i / per_line) as f64 * 20.0;
        let swatch = match *kind {
            "bar" => format!(
                r#"<rect x="{x:.1}" y="{:.1}" width="18" height="10" fill="{color}"/>"#,
                y + 2.0
            ),
            "line" => format!(
                r#"<rect x="{x:.1}" y="{:.1}" width="18" height="1" fill="{color}"/>"#,
                y + 7.0
            ),
            "tick" => format!(
                r#"<line x1="{:.1}" x2="{:.1}" y1="{:.1}" y2="{:.1}" stroke="{color}" stroke-width="2"/>"#,
                x + 9.0,
                x + 9.0,
                y + 1.0,
                y + 12.0
            ),
            _ => format!(
                r#"<path d="M{:.1} {:.1} l4 -4 l0 8 z M{:.1} {:.1} l0 12" stroke="{color}" fill="{color}"/>"#,
                x + 9.0,
                y + 7.0,
                x + 9.0,
                y + 1.0
            ),
        };
        let _ = write!(
            out,
            r##"{swatch}<text x="{:.1}" y="{:.1}" fill="#202124">{}</text>"##,
            x + 24.0,
            y + 11.0,
            esc(label)
        );
    }
    out.push_str("\n</svg>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{rows, Query};
    use std::path::PathBuf;

    #[test]
    fn escapes_capture_strings() {
        assert_eq!(
            esc(r#"<script>alert("x")</script>&'"#),
            "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;&#39;"
        );
    }

    #[test]
    fn exports_every_row() {
        let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../../tests/lab/captures/cert-warning-clickthrough.pcap");
        let mut report = connscope_core::analyze_bytes(&std::fs::read(path).unwrap());
        report.hosts[0].host = "<img src=x onerror=alert(1)>".into();
        let m = Model::new(report, "a&b.pcap".into(), 0, 0.0);
        let r = rows(&m, &Query::default());
        let win = Window {
            origin: m.t0,
            from: 0.0,
            to: m.duration(),
        };
        let svg = export(&m, &r, &win);
        assert!(svg.starts_with("<?xml"));
        assert!(svg.contains("a&amp;b.pcap"));
        assert!(!svg.contains("<img"));
        assert!(svg.contains("&lt;img src=x"));
        assert!(svg.matches("#FF9800").count() >= m.report.connections.len());
        for c in &m.report.connections {
            assert!(svg.contains(&format!("#{} :{}", c.stream, c.client.port)));
        }
    }
}
