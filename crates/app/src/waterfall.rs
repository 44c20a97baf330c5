//! Waterfall geometry, shared by the on-screen timeline, the mini bars of the connection list and
//! the SVG export: which marks a connection gets for a time window and a pixel width, in the
//! vocabulary and colours of Chrome DevTools' Network panel.

use crate::format;
use connscope_core::report::{Connection, HttpRequest, Side};

/// How a phase kind is drawn and named.
#[derive(Debug, PartialEq)]
pub struct PhaseStyle {
    pub kind: &'static str,
    pub label: &'static str,
    pub color: &'static str,
}

/// Phase kinds in legend order; colours are DevTools' timing colours (QUIC has none there: its
/// phases take purples next to SSL, and a teal for encrypted 1-RTT data).
pub const PHASES: &[PhaseStyle] = &[
    PhaseStyle {
        kind: "dns",
        label: "DNS Lookup",
        color: "#009688",
    },
    PhaseStyle {
        kind: "tcp_handshake",
        label: "Initial connection",
        color: "#FF9800",
    },
    PhaseStyle {
        kind: "tls_handshake",
        label: "SSL",
        color: "#9C27B0",
    },
    PhaseStyle {
        kind: "quic_initial",
        label: "QUIC Initial",
        color: "#7E57C2",
    },
    PhaseStyle {
        kind: "quic_handshake",
        label: "QUIC handshake",
        color: "#BA68C8",
    },
    PhaseStyle {
        kind: "request",
        label: "Request sent",
        color: "#B0BEC5",
    },
    PhaseStyle {
        kind: "waiting",
        label: "Waiting (TTFB)",
        color: "#00C853",
    },
    PhaseStyle {
        kind: "download",
        label: "Content Download",
        color: "#03A9F4",
    },
    PhaseStyle {
        kind: "quic_1rtt",
        label: "QUIC 1-RTT data",
        color: "#4DB6AC",
    },
    PhaseStyle {
        kind: "idle",
        label: "Idle",
        color: "#9E9E9E",
    },
    PhaseStyle {
        kind: "close",
        label: "Closing",
        color: "#78909C",
    },
];

/// Colour of the connection's life line (from first to last packet).
pub const LIFE_COLOR: &str = "#9E9E9E";
pub const FIN_COLOR: &str = "#546E7A";
pub const RST_COLOR: &str = "#E53935";
pub const TICK_CLIENT_COLOR: &str = "#4A148C";
pub const TICK_SERVER_COLOR: &str = "#CE93D8";

pub fn style(kind: &str) -> &'static PhaseStyle {
    static OTHER: PhaseStyle = PhaseStyle {
        kind: "other",
        label: "Other",
        color: "#BDBDBD",
    };
    PHASES.iter().find(|p| p.kind == kind).unwrap_or(&OTHER)
}

/// The part of the time axis on screen: seconds relative to `origin` (the capture's start).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Window {
    pub origin: f64,
    pub from: f64,
    pub to: f64,
}

impl Window {
    pub fn span(&self) -> f64 {
        (self.to - self.from).max(1e-9)
    }
    /// Pixel position of an absolute time on a track `width` pixels wide.
    pub fn x(&self, ts: f64, width: f64) -> f64 {
        (ts - self.origin - self.from) / self.span() * width
    }
    /// Absolute time under a pixel position.
    pub fn ts(&self, x: f64, width: f64) -> f64 {
        self.origin + self.from + x / width.max(1.0) * self.span()
    }
    /// Zoom by `factor` (< 1 zooms in) keeping the time under `anchor` (0..1 of the width) fixed,
    /// within `[0, max]` and no narrower than 10 µs.
    pub fn zoom(&self, factor: f64, anchor: f64, max: f64) -> Window {
        let max = max.max(1e-6);
        let span = (self.span() * factor).clamp(1e-5, max);
        let at = self.from + self.span() * anchor.clamp(0.0, 1.0);
        let from = at - span * anchor.clamp(0.0, 1.0);
        Window {
            from,
            to: from + span,
            ..*self
        }
        .clamped(max)
    }
    /// Move by `fraction` of the window (negative = earlier).
    pub fn pan(&self, fraction: f64, max: f64) -> Window {
        let d = self.span() * fraction;
        Window {
            from: self.from + d,
            to: self.to + d,
            ..*self
        }
        .clamped(max)
    }
    fn clamped(self, max: f64) -> Window {
        let span = self.span().min(max.max(1e-6));
        let from = self.from.clamp(0.0, (max - span).max(0.0));
        Window {
            from,
            to: from + span,
            ..self
        }
    }
}

/// Something drawn on a connection's track.
#[derive(Debug, Clone, PartialEq)]
pub enum Mark {
    /// From the first to the last packet.
    Life,
    /// A phase (`Phase.kind`).
    Phase(&'static PhaseStyle),
    /// A TLS handshake message (or several at the same pixel).
    Tick { from: Side },
    /// The first FIN or RST.
    Close { rst: bool, side: Option<Side> },
}

#[derive(Debug, Clone, PartialEq)]
pub struct Shape {
    pub mark: Mark,
    /// Left edge and width in pixels (width ≥ 1 for phases, 0 for ticks and markers).
    pub x: f64,
    pub w: f64,
    /// Absolute times covered.
    pub start: f64,
    pub end: f64,
    pub frame: Option<u64>,
    /// What a tooltip says (first line is the title).
    pub text: String,
    /// The request/response exchange a phase belongs to (index in `http.requests`).
    pub exchange: Option<u32>,
    /// Where the bar sits when requests overlap (HTTP/2, HTTP/3, pipelining): one lane each.
    pub lane: Lane,
}

/// A horizontal lane of a track: requests that overlap in time are drawn one above the other,
/// so every request has its own bar inside its connection's row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lane {
    pub index: u8,
    pub of: u8,
}

impl Lane {
    pub const WHOLE: Lane = Lane { index: 0, of: 1 };
}

/// At most this many lanes share a bar's height; more overlapping requests reuse them in turn.
pub const MAX_LANES: usize = 5;

/// Lane of each exchange: greedy interval colouring in order of start (an exchange takes the
/// first lane free at its start), and the number of lanes used.
pub fn exchange_lanes(c: &Connection) -> (Vec<u8>, u8) {
    let mut spans: Vec<(u32, f64, f64)> = Vec::new();
    for p in &c.phases {
        let Some(e) = p.exchange else { continue };
        match spans.iter_mut().find(|s| s.0 == e) {
            Some(s) => {
                s.1 = s.1.min(p.start);
                s.2 = s.2.max(p.end);
            }
            None => spans.push((e, p.start, p.end)),
        }
    }
    let n = spans.iter().map(|s| s.0 as usize + 1).max().unwrap_or(0);
    let mut lane_of = vec![0u8; n];
    spans.sort_by(|a, b| a.1.total_cmp(&b.1).then(a.0.cmp(&b.0)));
    let mut busy_until: Vec<f64> = Vec::new();
    for (e, start, end) in spans {
        let lane = match busy_until.iter().position(|&t| t <= start) {
            Some(l) => l,
            None => {
                busy_until.push(f64::NEG_INFINITY);
                busy_until.len() - 1
            }
        };
        busy_until[lane] = end;
        lane_of[e as usize] = (lane % MAX_LANES) as u8;
    }
    (lane_of, busy_until.len().clamp(1, MAX_LANES) as u8)
}

/// The close of a TCP connection: time, frame, RST or FIN, who.
pub fn close_event(c: &Connection) -> Option<(f64, u64, bool, Option<Side>)> {
    let t = c.tcp.as_ref()?;
    let pick = |side: Side, rst: bool| {
        let ft = match (side, rst) {
            (Side::Client, false) => t.fin_client,
            (Side::Server, false) => t.fin_server,
            (Side::Client, true) => t.rst_client,
            (Side::Server, true) => t.rst_server,
        };
        ft.map(|f| (f.ts, f.frame, rst, Some(side)))
    };
    match (&*t.close, t.closed_by) {
        ("fin", Some(s)) => pick(s, false),
        ("rst", Some(s)) => pick(s, true),
        ("refused", _) => pick(Side::Server, true),
        _ => None,
    }
}

/// The marks of one connection for a window and a track width, clipped to the track, with
/// level of detail: marks off the track are dropped, handshake messages closer than 3 px merge.
/// Each mark carries its tooltip text (times relative to `t0`).
pub fn shapes(c: &Connection, win: &Window, width: f64, t0: f64) -> Vec<Shape> {
    build(c, win, width, Some(t0))
}

/// The same marks without tooltip texts: what drawing needs, and much cheaper.
pub fn marks(c: &Connection, win: &Window, width: f64) -> Vec<Shape> {
    build(c, win, width, None)
}

fn build(c: &Connection, win: &Window, width: f64, t0: Option<f64>) -> Vec<Shape> {
    let mut out = Vec::new();
    let texts = t0.is_some();
    let t0 = t0.unwrap_or(0.0);
    let visible = |x0: f64, x1: f64| x1 >= -1.0 && x0 <= width + 1.0;
    let clip = |x0: f64, x1: f64| {
        let a = x0.max(-1.0);
        let b = x1.min(width + 1.0);
        (a, (b - a).max(1.0))
    };
    let (lx0, lx1) = (win.x(c.start, width), win.x(c.end, width));
    if !visible(lx0, lx1) {
        return out;
    }
    let (x, w) = clip(lx0, lx1);
    out.push(Shape {
        mark: Mark::Life,
        x,
        w,
        start: c.start,
        end: c.end,
        frame: Some(c.first_frame),
        text: if texts {
            format!(
                "Connection · {}\n{} → {} · frames {}–{}",
                format::ms(c.end - c.start),
                format::offset(c.start, t0),
                format::offset(c.end, t0),
                c.first_frame,
                c.last_frame
            )
        } else {
            String::new()
        },
        exchange: None,
        lane: Lane::WHOLE,
    });
    let (lane_of, lanes) = exchange_lanes(c);
    for p in &c.phases {
        let (x0, x1) = (win.x(p.start, width), win.x(p.end, width));
        if !visible(x0, x1) {
            continue;
        }
        let st = style(&p.kind);
        let (x, w) = clip(x0, x1);
        let mut text = String::new();
        if texts {
            text = format!(
                "{} · {}\n{} → {} · from frame {}",
                st.label,
                format::ms(p.end - p.start),
                format::offset(p.start, t0),
                format::offset(p.end, t0),
                p.first_frame
            );
            if let Some(e) = p.exchange {
                text.push_str(&format!(" · request {}", e + 1));
            }
            if let Some(s) = p.side {
                text.push_str(&format!(" · by {}", s.as_str()));
            }
            if let Some(r) = p.exchange.and_then(|e| request(c, e)) {
                text.push('\n');
                text.push_str(&format::request_line(r));
            }
        }
        let lane = match p.exchange {
            Some(e) if lanes > 1 => Lane {
                index: lane_of.get(e as usize).copied().unwrap_or(0),
                of: lanes,
            },
            _ => Lane::WHOLE,
        };
        out.push(Shape {
            mark: Mark::Phase(st),
            x,
            w,
            start: p.start,
            end: p.end,
            frame: Some(p.first_frame),
            text,
            exchange: p.exchange,
            lane,
        });
    }
    if let Some(tls) = &c.tls {
        let mut last: Option<usize> = None;
        for m in &tls.handshake {
            let x = win.x(m.ts, width);
            if !(-1.0..=width + 1.0).contains(&x) {
                continue;
            }
            let line = if texts {
                let name = format::handshake_name(&m.kind);
                format!(
                    "{name} ({}, frame {}, {})",
                    m.from.as_str(),
                    m.frame,
                    format::offset(m.ts, t0)
                )
            } else {
                String::new()
            };
            if let Some(prev) = last.and_then(|i| out.get_mut(i)) {
                if (x - prev.x).abs() < 3.0 {
                    if texts {
                        prev.text.push('\n');
                        prev.text.push_str(&line);
                    }
                    prev.end = m.ts;
                    continue;
                }
            }
            out.push(Shape {
                exchange: None,
                lane: Lane::WHOLE,
                mark: Mark::Tick { from: m.from },
                x,
                w: 0.0,
                start: m.ts,
                end: m.ts,
                frame: Some(m.frame),
                text: if texts {
                    format!("TLS handshake\n{line}")
                } else {
                    line
                },
            });
            last = Some(out.len() - 1);
        }
    }
    if let Some((ts, frame, rst, side)) = close_event(c) {
        let x = win.x(ts, width);
        if (-1.0..=width + 1.0).contains(&x) {
            out.push(Shape {
                exchange: None,
                lane: Lane::WHOLE,
                mark: Mark::Close { rst, side },
                x,
                w: 0.0,
                start: ts,
                end: ts,
                frame: Some(frame),
                text: if texts {
                    let who = side
                        .map(|s| format!(" by {}", s.as_str()))
                        .unwrap_or_default();
                    format!(
                        "{}{who}\nframe {frame}, {}",
                        if rst { "RST" } else { "FIN" },
                        format::offset(ts, t0)
                    )
                } else {
                    String::new()
                },
            });
        }
    }
    out
}

/// The mark under a pixel (for tooltips): markers first, then the narrowest phase, then the life
/// line.
pub fn hit(shapes: &[Shape], x: f64) -> Option<&Shape> {
    let near = |s: &&Shape| (s.x - x).abs() <= 4.0;
    if let Some(s) = shapes
        .iter()
        .filter(|s| matches!(s.mark, Mark::Close { .. }))
        .find(near)
    {
        return Some(s);
    }
    if let Some(s) = shapes
        .iter()
        .filter(|s| matches!(s.mark, Mark::Tick { .. }))
        .find(near)
    {
        return Some(s);
    }
    let inside = |s: &&Shape| x >= s.x - 1.0 && x <= s.x + s.w + 1.0;
    shapes
        .iter()
        .filter(|s| matches!(s.mark, Mark::Phase(_)))
        .filter(inside)
        .min_by(|a, b| a.w.total_cmp(&b.w))
        .or_else(|| shapes.iter().filter(|s| s.mark == Mark::Life).find(inside))
}

/// Axis ticks: positions and labels at a "nice" step (1, 2, 5 × 10^n ms) at least `min_px` apart.
pub fn axis_ticks(win: &Window, width: f64, min_px: f64) -> Vec<(f64, String)> {
    let span_ms = win.span() * 1000.0;
    let raw = span_ms * min_px / width.max(1.0);
    let mag = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0]
        .iter()
        .map(|m| m * mag)
        .find(|s| *s >= raw)
        .unwrap_or(10.0 * mag);
    let from_ms = win.from * 1000.0;
    let first = (from_ms / step).ceil() * step;
    let decimals = if step >= 1.0 {
        0
    } else {
        (-step.log10().floor()) as usize
    };
    let mut out = Vec::new();
    let mut v = first;
    while v <= from_ms + span_ms + 1e-9 && out.len() < 200 {
        let x = (v - from_ms) / span_ms * width;
        out.push((x, format!("{} ms", format::count_f(v, decimals))));
        v += step;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    fn report() -> connscope_core::Report {
        let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../../tests/lab/captures/cert-warning-clickthrough.pcap");
        connscope_core::analyze_bytes(&std::fs::read(path).unwrap())
    }

    #[test]
    fn window_math() {
        let w = Window {
            origin: 100.0,
            from: 0.0,
            to: 2.0,
        };
        assert_eq!(w.x(101.0, 200.0), 100.0);
        assert_eq!(w.ts(100.0, 200.0), 101.0);
        let z = w.zoom(0.5, 0.5, 2.0);
        assert!((z.from - 0.5).abs() < 1e-9 && (z.to - 1.5).abs() < 1e-9);
        let p = z.pan(10.0, 2.0);
        assert!((p.to - 2.0).abs() < 1e-9, "pan stops at the end");
        let out = z.zoom(100.0, 0.5, 2.0);
        assert_eq!((out.from, out.to), (0.0, 2.0));
    }

    #[test]
    fn shapes_of_a_tls_connection() {
        let r = report();
        let c = &r.connections[0];
        let t0 = r.capture.first_ts.unwrap();
        let win = Window {
            origin: t0,
            from: 0.0,
            to: c.end - t0,
        };
        let s = shapes(c, &win, 1000.0, t0);
        assert!(s
            .iter()
            .any(|s| matches!(s.mark, Mark::Phase(p) if p.kind == "tls_handshake")));
        assert!(s.iter().any(|s| matches!(s.mark, Mark::Tick { .. })));
        assert!(s
            .iter()
            .any(|s| matches!(s.mark, Mark::Close { rst: false, .. })));
        // Every handshake message is in some tick's tooltip.
        let ticks: String = s
            .iter()
            .filter(|s| matches!(s.mark, Mark::Tick { .. }))
            .map(|s| s.text.clone())
            .collect();
        assert_eq!(
            ticks.matches("frame").count(),
            c.tls.as_ref().unwrap().handshake.len(),
            "{ticks}"
        );
        // Off-window connections draw nothing.
        let later = Window {
            origin: t0,
            from: 100.0,
            to: 200.0,
        };
        assert!(shapes(c, &later, 1000.0, t0).is_empty());
        // A tooltip under the SSL phase names it.
        let ssl = s
            .iter()
            .find(|s| matches!(s.mark, Mark::Phase(p) if p.kind == "tls_handshake"))
            .unwrap();
        let h = hit(&s, ssl.x + ssl.w / 2.0).unwrap();
        assert!(
            h.text.starts_with("SSL") || h.text.starts_with("TLS handshake"),
            "{}",
            h.text
        );
    }

    fn lab_with_keys(name: &str) -> connscope_core::Report {
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/lab/captures");
        let mut a = connscope_core::Analyzer::new();
        a.add_keylog(&std::fs::read(dir.join(format!("{name}.keys"))).unwrap());
        a.feed(&std::fs::read(dir.join(format!("{name}.pcap"))).unwrap());
        a.finish()
    }

    #[test]
    fn every_request_has_its_own_bar() {
        let r = lab_with_keys("h2-30-images");
        let t0 = r.capture.first_ts.unwrap();
        // The HTTP/2 connection that carried the images: its streams overlap.
        let c = r
            .connections
            .iter()
            .max_by_key(|c| c.http.as_ref().map_or(0, |h| h.requests.len()))
            .unwrap();
        let requests = c.http.as_ref().unwrap().requests.len();
        assert!(requests >= 30, "{requests} requests");
        let (lane_of, lanes) = exchange_lanes(c);
        assert!(lanes > 1, "multiplexed requests need lanes");
        assert!(lane_of.iter().all(|&l| (l as usize) < MAX_LANES));
        let win = Window {
            origin: t0,
            from: c.start - t0,
            to: c.end - t0,
        };
        let s = shapes(c, &win, 2000.0, t0);
        for e in 0..requests as u32 {
            let bars: Vec<&Shape> = s.iter().filter(|s| s.exchange == Some(e)).collect();
            assert!(!bars.is_empty(), "request {e} has a bar");
            assert!(bars.iter().all(|b| b.lane.of == lanes));
            let req = &c.http.as_ref().unwrap().requests[e as usize];
            assert!(bars[0].text.contains(&req.target), "{}", bars[0].text);
        }
        // Bars of overlapping requests sit in different lanes, inside the bar's height.
        let (y0, h0) = phase_rect(
            s.iter().find(|s| s.exchange.is_some()).unwrap(),
            style("request"),
        );
        assert!(y0 >= geom::BAR_Y && y0 + h0 <= geom::BAR_Y + geom::BAR_H + 1e-9);
        // Sequential HTTP/1.1 requests keep the whole height.
        let h1 = lab_with_keys("h1-keepalive-30-images");
        let c = h1
            .connections
            .iter()
            .max_by_key(|c| c.http.as_ref().map_or(0, |h| h.requests.len()))
            .unwrap();
        assert!(c.http.as_ref().unwrap().requests.len() > 1);
        assert_eq!(exchange_lanes(c).1, 1);
    }

    #[test]
    fn every_phase_kind_has_a_style() {
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/lab/captures");
        let mut kinds = std::collections::BTreeSet::new();
        for f in std::fs::read_dir(&dir).unwrap() {
            let p = f.unwrap().path();
            if p.extension().is_some_and(|e| e == "pcap") {
                let r = connscope_core::analyze_bytes(&std::fs::read(&p).unwrap());
                for c in &r.connections {
                    kinds.extend(c.phases.iter().map(|p| p.kind.to_string()));
                }
            }
        }
        for k in ["quic_initial", "quic_handshake", "quic_1rtt", "dns"] {
            kinds.insert(k.to_string());
        }
        for k in &kinds {
            assert_eq!(style(k).kind, k, "phase kind {k} has no colour");
        }
    }

    #[test]
    fn ticks_are_nice() {
        let w = Window {
            origin: 0.0,
            from: 0.0,
            to: 2.94,
        };
        let t = axis_ticks(&w, 1000.0, 80.0);
        assert_eq!(t[0].1, "0 ms");
        assert_eq!(t[1].1, "500 ms");
        let w = Window {
            origin: 0.0,
            from: 0.001,
            to: 0.0015,
        };
        let t = axis_ticks(&w, 500.0, 80.0);
        assert!(t.len() >= 3, "{t:?}");
    }
}

/// Row geometry shared by the page and the export (pixels inside one track row).
pub mod geom {
    pub const ROW_H: f64 = 20.0;
    pub const BAR_Y: f64 = 5.0;
    pub const BAR_H: f64 = 10.0;
    pub const LIFE_Y: f64 = 10.0;
    pub const TICK_Y0: f64 = 0.5;
    pub const TICK_Y1: f64 = 5.0;
    pub const IDLE_Y: f64 = 8.5;
    pub const IDLE_H: f64 = 3.0;
}

/// Y and height of a phase rectangle: idle is a thin bar, a request's phases take their lane's
/// share of the bar when requests overlap, the rest full height.
pub fn phase_rect(s: &Shape, st: &PhaseStyle) -> (f64, f64) {
    if st.kind == "idle" {
        return (geom::IDLE_Y, geom::IDLE_H);
    }
    if s.lane.of > 1 {
        let h = geom::BAR_H / f64::from(s.lane.of);
        return (
            geom::BAR_Y + h * f64::from(s.lane.index),
            (h - 0.5).max(1.0),
        );
    }
    (geom::BAR_Y, geom::BAR_H)
}

/// The request an exchange number points at.
pub fn request(c: &Connection, exchange: u32) -> Option<&HttpRequest> {
    c.http.as_ref()?.requests.get(exchange as usize)
}
