//! The waterfall: every connection a row on one shared time axis, DevTools colours, TLS
//! handshake messages as ticks, FIN/RST markers. Zoom (buttons, Ctrl/⌘ + wheel, `+`/`-`/`0`),
//! pan (drag, Shift + wheel, ←/→), hover tooltips with durations in ms, virtualised rows.

use super::dom::{self, set_style};
use super::list::{group_header, row_dom_id};
use super::vscroll::VScroll;
use crate::format;
use crate::model::{Model, Row};
use crate::svg;
use crate::waterfall::{self, geom, Mark, Shape, Window};
use connscope_core::report::Side;
use gloo_events::{EventListener, EventListenerOptions};
use std::rc::Rc;
use wasm_bindgen::JsCast;
use yew::prelude::*;

pub const ROW_H: f64 = 24.0;
const AXIS_H: f64 = 26.0;

#[derive(Properties, PartialEq)]
pub struct Props {
    pub model: Rc<Model>,
    pub rows: Rc<Vec<Row>>,
    pub win: Window,
    pub on_window: Callback<Window>,
    pub active: Option<usize>,
    pub selected: Option<u32>,
    pub on_active: Callback<usize>,
    pub on_open: Callback<u32>,
    /// Row navigation shared with the list (↑ ↓ Home End Enter).
    pub onkeydown: Callback<KeyboardEvent>,
    pub reset: u64,
}

pub enum Msg {
    Measure,
    Zoom(f64, f64),
    Pan(f64),
    Fit,
    Wheel {
        dx: f64,
        dy: f64,
        zoom: bool,
        client_x: f64,
    },
    Move {
        client_x: f64,
        client_y: f64,
        row: Option<usize>,
        track_left: f64,
    },
    Leave,
    Down {
        client_x: f64,
        row: Option<usize>,
    },
    Up,
    Key(KeyboardEvent),
}

pub struct Timeline {
    header: NodeRef,
    label: NodeRef,
    body: NodeRef,
    tip: NodeRef,
    track_w: f64,
    tooltip: Option<String>,
    /// A press on the tracks: where (x), the window then, whether it moved (a drag), and the row
    /// pressed (opened on release when it was no drag).
    drag: Option<(f64, Window, bool, Option<usize>)>,
    _resize: EventListener,
    _wheel: Option<EventListener>,
}

fn max_span(m: &Model) -> f64 {
    m.duration().max(0.001)
}

/// The row and the track under a mouse event, if any.
fn track_at(e: &MouseEvent) -> (Option<usize>, f64) {
    let target = e
        .target()
        .and_then(|t| t.dyn_into::<web_sys::Element>().ok());
    let Some(track) = target.and_then(|t| t.closest(".w-track, .wrow").ok().flatten()) else {
        return (None, 0.0);
    };
    let row = track.get_attribute("data-row").and_then(|r| r.parse().ok());
    let track_el = if track.matches(".w-track").unwrap_or(false) {
        Some(track)
    } else {
        track.query_selector(".w-track").ok().flatten()
    };
    let left = track_el
        .map(|t| t.get_bounding_client_rect().left())
        .unwrap_or(0.0);
    (row, left)
}

pub fn shapes_html(shapes: &[Shape]) -> Html {
    shapes
        .iter()
        .map(|s| match &s.mark {
            Mark::Life => html! {
                <rect x={format!("{:.1}", s.x)} y={format!("{:.1}", geom::LIFE_Y - 0.5)} width={format!("{:.1}", s.w)} height="1" fill={waterfall::LIFE_COLOR} />
            },
            Mark::Phase(st) => {
                let (y, h) = waterfall::phase_rect(s, st);
                let class = classes!("ph", format!("ph-{}", st.kind), s.exchange.is_some().then_some("ph-req"));
                let exchange = s.exchange.map(|e| e.to_string());
                html! { <rect {class} data-exchange={exchange} x={format!("{:.1}", s.x)} y={format!("{y:.2}")} width={format!("{:.1}", s.w)} height={format!("{h:.2}")} fill={st.color} /> }
            }
            Mark::Tick { from } => {
                let c = if *from == Side::Client { waterfall::TICK_CLIENT_COLOR } else { waterfall::TICK_SERVER_COLOR };
                html! { <line class="tick" x1={format!("{:.1}", s.x)} x2={format!("{:.1}", s.x)} y1={geom::TICK_Y0.to_string()} y2={geom::TICK_Y1.to_string()} stroke={c} stroke-width="1.5" /> }
            }
            Mark::Close { rst, .. } => {
                let c = if *rst { waterfall::RST_COLOR } else { waterfall::FIN_COLOR };
                html! {
                    <path class={if *rst { "close rst" } else { "close fin" }}
                          d={format!("M{:.1} {:.1} l4 -4 l0 8 z M{:.1} 2 l0 16", s.x, geom::LIFE_Y, s.x)}
                          stroke={c} fill={c} stroke-width="1.5" />
                }
            }
        })
        .collect()
}

pub fn legend() -> Html {
    html! {
        <ul class="legend" aria-label="Legend">
            { for svg::legend().into_iter().map(|(color, label, kind)| {
                let swatch = match kind {
                    "bar" => html! { <rect x="1" y="3" width="16" height="10" fill={color} /> },
                    "line" => html! { <rect x="1" y="8" width="16" height="1" fill={color} /> },
                    "tick" => html! { <line x1="9" x2="9" y1="2" y2="14" stroke={color} stroke-width="2" /> },
                    _ => html! { <path d="M9 8 l4 -4 l0 8 z M9 2 l0 12" stroke={color} fill={color} /> },
                };
                html! { <li><svg width="18" height="16" aria-hidden="true">{ swatch }</svg>{ label }</li> }
            }) }
        </ul>
    }
}

impl Timeline {
    /// The track width the layout gives, when it differs from the one drawn.
    fn new_width(&self) -> Option<f64> {
        let h = self.header.cast::<web_sys::Element>()?;
        let l = self.label.cast::<web_sys::HtmlElement>()?;
        let w = (h.client_width() as f64 - l.offset_width() as f64).max(60.0);
        ((w - self.track_w).abs() >= 1.0).then_some(w)
    }

    fn place_tip(&self, x: f64, y: f64) {
        if let Some(tip) = self.tip.cast::<web_sys::HtmlElement>() {
            let vw = dom::window()
                .inner_width()
                .ok()
                .and_then(|v| v.as_f64())
                .unwrap_or(1000.0);
            let w = tip.offset_width() as f64;
            let left = if x + 14.0 + w > vw {
                (x - 14.0 - w).max(4.0)
            } else {
                x + 14.0
            };
            set_style(&tip, "left", &format!("{left:.0}px"));
            set_style(&tip, "top", &format!("{:.0}px", y + 14.0));
        }
    }
}

impl Component for Timeline {
    type Message = Msg;
    type Properties = Props;

    fn create(ctx: &Context<Self>) -> Self {
        let link = ctx.link().clone();
        let resize = EventListener::new(&dom::window(), "resize", move |_| {
            link.send_message(Msg::Measure)
        });
        Timeline {
            header: NodeRef::default(),
            label: NodeRef::default(),
            body: NodeRef::default(),
            tip: NodeRef::default(),
            track_w: 800.0,
            tooltip: None,
            drag: None,
            _resize: resize,
            _wheel: None,
        }
    }

    fn update(&mut self, ctx: &Context<Self>, msg: Msg) -> bool {
        let p = ctx.props();
        let max = max_span(&p.model);
        match msg {
            Msg::Measure => match self.new_width() {
                Some(w) => {
                    self.track_w = w;
                    true
                }
                None => false,
            },
            Msg::Zoom(f, anchor) => {
                p.on_window.emit(p.win.zoom(f, anchor, max));
                false
            }
            Msg::Pan(f) => {
                p.on_window.emit(p.win.pan(f, max));
                false
            }
            Msg::Fit => {
                p.on_window.emit(Window {
                    origin: p.model.t0,
                    from: 0.0,
                    to: max,
                });
                false
            }
            Msg::Wheel {
                dx,
                dy,
                zoom,
                client_x,
            } => {
                let left = self
                    .label
                    .cast::<web_sys::Element>()
                    .map(|l| l.get_bounding_client_rect().right())
                    .unwrap_or(0.0);
                if zoom {
                    let anchor = (client_x - left) / self.track_w;
                    p.on_window
                        .emit(p.win.zoom((dy / 300.0).exp(), anchor, max));
                } else {
                    let d = if dx.abs() > dy.abs() { dx } else { dy };
                    p.on_window.emit(p.win.pan(d / self.track_w, max));
                }
                false
            }
            Msg::Down { client_x, row } => {
                self.drag = Some((client_x, p.win, false, row));
                false
            }
            Msg::Move {
                client_x,
                client_y,
                row,
                track_left,
            } => {
                if let Some((x0, win0, moved, _)) = self.drag.as_mut() {
                    let dx = client_x - *x0;
                    if dx.abs() > 3.0 || *moved {
                        *moved = true;
                        p.on_window.emit(win0.pan(-dx / self.track_w, max));
                        return false;
                    }
                }
                let text = row
                    .and_then(|i| p.rows.get(i).copied())
                    .and_then(|r| match r {
                        Row::Conn(id) => p.model.conn(id),
                        Row::Group { .. } => None,
                    })
                    .and_then(|c| {
                        let shapes = waterfall::shapes(c, &p.win, self.track_w, p.model.t0);
                        waterfall::hit(&shapes, client_x - track_left)
                            .map(|s| format!("#{} :{} · {}", c.stream, c.client.port, s.text))
                    });
                self.place_tip(client_x, client_y);
                if text != self.tooltip {
                    self.tooltip = text;
                    true
                } else {
                    false
                }
            }
            Msg::Leave => {
                self.drag = None;
                self.tooltip.take().is_some()
            }
            Msg::Up => {
                if let Some((_, _, false, Some(i))) = self.drag.take() {
                    if let Some(Row::Conn(id)) = p.rows.get(i) {
                        p.on_active.emit(i);
                        p.on_open.emit(*id);
                    }
                }
                false
            }
            Msg::Key(e) => {
                match e.key().as_str() {
                    "+" | "=" => ctx.link().send_message(Msg::Zoom(0.5, 0.5)),
                    "-" | "_" => ctx.link().send_message(Msg::Zoom(2.0, 0.5)),
                    "0" => ctx.link().send_message(Msg::Fit),
                    "ArrowLeft" => ctx.link().send_message(Msg::Pan(-0.2)),
                    "ArrowRight" => ctx.link().send_message(Msg::Pan(0.2)),
                    _ => {
                        p.onkeydown.emit(e);
                        return false;
                    }
                }
                e.prevent_default();
                false
            }
        }
    }

    fn view(&self, ctx: &Context<Self>) -> Html {
        let p = ctx.props();
        let link = ctx.link();
        let tw = self.track_w;
        let win = p.win;
        let model = p.model.clone();
        let rows = p.rows.clone();
        let active = p.active;
        let selected = p.selected;
        let related = super::list::related_of(&p.model, selected);
        let render = Callback::from(move |i: usize| -> Html {
            match rows[i] {
                Row::Group { group, shown } => {
                    html! { <div class="wrow wgroup" data-row={i.to_string()}>{ group_header(&model, group, shown, row_dom_id("wf", i)) }</div> }
                }
                Row::Conn(id) => {
                    let Some(c) = model.conn(id) else {
                        return html! {};
                    };
                    let shapes = waterfall::marks(c, &win, tw);
                    let class = classes!(
                        "wrow",
                        "conn",
                        (active == Some(i)).then_some("active"),
                        (selected == Some(id)).then_some("selected"),
                        related.contains(&id).then_some("related")
                    );
                    html! {
                        <div class={class} role="option" id={row_dom_id("wf", i)} aria-selected={(active == Some(i)).to_string()}
                             data-row={i.to_string()} data-conn-id={id.to_string()}>
                            <div class="w-label">
                                <span class="c-stream">{ format!("#{}", c.stream) }</span>
                                <span class="c-port">{ format!(":{}", c.client.port) }</span>
                                <span class="c-proto">{ c.protocol.clone() }</span>
                                if related.contains(&id) { <span class="c-related visually-hidden">{ " (related to the selected connection)" }</span> }
                            </div>
                            <svg class="w-track" data-row={i.to_string()} width={format!("{tw:.0}")} height={geom::ROW_H.to_string()}
                                 aria-label={format!("#{} from {} to {}", c.stream, format::offset(c.start, model.t0), format::offset(c.end, model.t0))}>
                                { shapes_html(&shapes) }
                            </svg>
                        </div>
                    }
                }
            }
        });
        let ticks = waterfall::axis_ticks(&p.win, tw, 90.0);
        let header = html! {
            <div class="tl-header" ref={self.header.clone()}>
                <div class="w-label tl-corner" ref={self.label.clone()}>{ "Connection" }</div>
                <svg class="tl-axis" width={format!("{tw:.0}")} height={AXIS_H.to_string()} aria-hidden="true">
                    { for ticks.iter().map(|(x, label)| html! {
                        <>
                            <line x1={format!("{x:.1}")} x2={format!("{x:.1}")} y1="16" y2={AXIS_H.to_string()} class="grid" />
                            <text x={format!("{:.1}", x + 3.0)} y="12" class="axis-label">{ label.clone() }</text>
                        </>
                    }) }
                </svg>
            </div>
        };
        let onkeydown = link.callback(Msg::Key);
        // Pointer events: mouse, pen and touch (CSS `touch-action: pan-y` leaves horizontal drags
        // to the page, vertical ones scroll).
        let onpointermove = link.callback(|e: PointerEvent| {
            let (row, track_left) = track_at(&e);
            Msg::Move {
                client_x: e.client_x() as f64,
                client_y: e.client_y() as f64,
                row,
                track_left,
            }
        });
        let onpointerleave = link.callback(|_: PointerEvent| Msg::Leave);
        let onpointercancel = link.callback(|_: PointerEvent| Msg::Leave);
        let body = self.body.clone();
        let onpointerdown = link.batch_callback(move |e: PointerEvent| {
            if e.button() != 0 {
                return None;
            }
            let (row, _) = track_at(&e);
            // Capture on the body itself: Yew delegates events from its root, so the event's
            // `currentTarget` is that root, and capturing there would route the pointerup past
            // this component.
            if let Some(t) = body.cast::<web_sys::Element>() {
                let _ = t.set_pointer_capture(e.pointer_id());
            }
            Some(Msg::Down {
                client_x: e.client_x() as f64,
                row,
            })
        });
        let onpointerup = link.callback(|_: PointerEvent| Msg::Up);
        let active_id = p.active.map(|i| AttrValue::from(row_dom_id("wf", i)));
        let tip_lines: Html = self
            .tooltip
            .as_deref()
            .map(|t| {
                t.lines()
                    .map(|l| html! { <div>{ l.to_string() }</div> })
                    .collect()
            })
            .unwrap_or_default();
        html! {
            <div class="timeline" data-testid="waterfall">
                <div class="tl-toolbar" role="toolbar" aria-label="Waterfall zoom">
                    <button type="button" aria-label="Zoom in" title="Zoom in (+)" onclick={link.callback(|_| Msg::Zoom(0.5, 0.5))}>{ "+" }</button>
                    <button type="button" aria-label="Zoom out" title="Zoom out (−)" onclick={link.callback(|_| Msg::Zoom(2.0, 0.5))}>{ "−" }</button>
                    <button type="button" aria-label="Pan earlier" title="Earlier (←)" onclick={link.callback(|_| Msg::Pan(-0.25))}>{ "←" }</button>
                    <button type="button" aria-label="Pan later" title="Later (→)" onclick={link.callback(|_| Msg::Pan(0.25))}>{ "→" }</button>
                    <button type="button" title="Whole capture (0)" onclick={link.callback(|_| Msg::Fit)}>{ "Fit" }</button>
                    <span class="tl-window" data-testid="wf-window">{ format::window(p.win.from, p.win.to) }</span>
                    <span class="tl-hint">{ "Drag or Shift + wheel to pan, Ctrl + wheel to zoom" }</span>
                </div>
                <div class="tl-body" ref={self.body.clone()} {onpointermove} {onpointerleave} {onpointercancel} {onpointerdown} {onpointerup}>
                    <VScroll count={p.rows.len()} row_height={ROW_H} {render} label="Waterfall: connections on one time axis"
                             role="listbox" class="wf" active={p.active} {active_id} {onkeydown} reset={p.reset}
                             testid="wf-list" header={Some(header)} header_height={AXIS_H} />
                </div>
                <div class="tooltip" ref={self.tip.clone()} role="tooltip" hidden={self.tooltip.is_none()} data-testid="wf-tooltip">{ tip_lines }</div>
                { legend() }
            </div>
        }
    }

    fn rendered(&mut self, ctx: &Context<Self>, first_render: bool) {
        if first_render {
            if let Some(body) = self.body.cast::<web_sys::Element>() {
                let link = ctx.link().clone();
                let opts = EventListenerOptions::enable_prevent_default();
                self._wheel = Some(EventListener::new_with_options(
                    &body,
                    "wheel",
                    opts,
                    move |e| {
                        let Some(w) = e.dyn_ref::<web_sys::WheelEvent>() else {
                            return;
                        };
                        let zoom = w.ctrl_key() || w.meta_key();
                        let pan = w.shift_key() || w.delta_x().abs() > w.delta_y().abs();
                        if zoom || pan {
                            w.prevent_default();
                            let scale = if w.delta_mode() == 1 { 16.0 } else { 1.0 };
                            let (dx, dy) = if w.shift_key() && w.delta_x() == 0.0 {
                                (w.delta_y(), 0.0)
                            } else {
                                (w.delta_x(), w.delta_y())
                            };
                            link.send_message(Msg::Wheel {
                                dx: dx * scale,
                                dy: dy * scale,
                                zoom,
                                client_x: w.client_x() as f64,
                            });
                        }
                    },
                ));
            }
        }
        if self.new_width().is_some() {
            ctx.link().send_message(Msg::Measure);
        }
    }
}
