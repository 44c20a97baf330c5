//! A virtualised vertical list: only the rows in view (plus a few) exist in the DOM, between two
//! spacers whose heights stand for the rest. Rows have one fixed height. Smooth with 100k rows;
//! past ~10 million pixels the scroll range is scaled so browsers' element-height limits never bite.

use super::dom::set_style;
use gloo_events::EventListener;
use yew::prelude::*;

/// Rows rendered above and below the viewport.
const OVERSCAN: usize = 6;
/// Tallest scroll range used; beyond it positions are scaled.
const MAX_PX: f64 = 10_000_000.0;

#[derive(Properties, PartialEq)]
pub struct Props {
    pub count: usize,
    pub row_height: f64,
    /// Renders row `i` (must be `row_height` tall).
    pub render: Callback<usize, Html>,
    pub label: AttrValue,
    #[prop_or_default]
    pub class: Classes,
    #[prop_or_default]
    pub role: Option<AttrValue>,
    /// Row kept in view (the keyboard cursor).
    #[prop_or_default]
    pub active: Option<usize>,
    /// DOM id of the active row (`aria-activedescendant`).
    #[prop_or_default]
    pub active_id: Option<AttrValue>,
    #[prop_or_default]
    pub onkeydown: Callback<KeyboardEvent>,
    /// A new value scrolls back to the top (a different list).
    #[prop_or_default]
    pub reset: u64,
    #[prop_or_default]
    pub testid: Option<AttrValue>,
    /// Told the first visible row after scrolling (for views that follow the list).
    #[prop_or_default]
    pub onscrolled: Option<Callback<usize>>,
    /// A sticky header inside the scroll area (same width as the rows, scrollbar excluded).
    #[prop_or_default]
    pub header: Option<Html>,
    #[prop_or_default]
    pub header_height: f64,
}

pub enum Msg {
    Scrolled,
    Measure,
}

pub struct VScroll {
    el: NodeRef,
    top: NodeRef,
    bottom: NodeRef,
    scroll_top: f64,
    height: f64,
    range: (usize, usize),
    /// Scroll position to apply after the next render.
    pending_scroll: Option<f64>,
    _resize: Option<EventListener>,
}

impl VScroll {
    fn total(&self, ctx: &Context<Self>) -> f64 {
        ctx.props().count as f64 * ctx.props().row_height
    }

    /// Physical scroll range and scale (virtual px per physical px).
    fn scale(&self, ctx: &Context<Self>) -> (f64, f64) {
        let total = self.total(ctx);
        if total <= MAX_PX {
            (total, 1.0)
        } else {
            let h = self.height.min(MAX_PX / 2.0);
            (MAX_PX, ((total - h) / (MAX_PX - h)).max(1.0))
        }
    }

    fn virtual_top(&self, ctx: &Context<Self>) -> f64 {
        self.scroll_top * self.scale(ctx).1
    }

    fn compute_range(&self, ctx: &Context<Self>) -> (usize, usize) {
        let p = ctx.props();
        let rh = p.row_height.max(1.0);
        let vt = self.virtual_top(ctx);
        let first = ((vt / rh).floor() as usize)
            .saturating_sub(OVERSCAN)
            .min(p.count);
        let last = (((vt + self.rows_height(ctx)) / rh).ceil() as usize + OVERSCAN).min(p.count);
        (first, last.max(first))
    }

    /// Height of the part of the viewport that shows rows.
    fn rows_height(&self, ctx: &Context<Self>) -> f64 {
        (self.height - ctx.props().header_height).max(ctx.props().row_height)
    }

    fn measure(&mut self) -> bool {
        if let Some(el) = self.el.cast::<web_sys::Element>() {
            self.scroll_top = el.scroll_top() as f64;
            let h = el.client_height() as f64;
            self.height = if h > 0.0 { h } else { 600.0 };
            true
        } else {
            false
        }
    }

    /// Scroll so that row `i` is in view.
    fn reveal(&mut self, ctx: &Context<Self>, i: usize) {
        let rh = ctx.props().row_height;
        let (_, scale) = self.scale(ctx);
        let vt = self.virtual_top(ctx);
        let y0 = i as f64 * rh;
        let y1 = y0 + rh;
        let target = if y0 < vt {
            Some(y0)
        } else if y1 > vt + self.rows_height(ctx) {
            Some(y1 - self.rows_height(ctx))
        } else {
            None
        };
        if let Some(t) = target {
            self.scroll_top = (t / scale).max(0.0);
            self.pending_scroll = Some(self.scroll_top);
        }
    }
}

impl Component for VScroll {
    type Message = Msg;
    type Properties = Props;

    fn create(ctx: &Context<Self>) -> Self {
        let link = ctx.link().clone();
        let resize = EventListener::new(&super::dom::window(), "resize", move |_| {
            link.send_message(Msg::Measure)
        });
        VScroll {
            el: NodeRef::default(),
            top: NodeRef::default(),
            bottom: NodeRef::default(),
            scroll_top: 0.0,
            height: super::dom::window()
                .inner_height()
                .ok()
                .and_then(|v| v.as_f64())
                .unwrap_or(800.0),
            range: (0, 0),
            pending_scroll: None,
            _resize: Some(resize),
        }
    }

    fn update(&mut self, ctx: &Context<Self>, msg: Msg) -> bool {
        match msg {
            Msg::Scrolled | Msg::Measure => {
                self.measure();
                let r = self.compute_range(ctx);
                if let Some(cb) = &ctx.props().onscrolled {
                    let rh = ctx.props().row_height.max(1.0);
                    cb.emit((self.virtual_top(ctx) / rh).floor() as usize);
                }
                r != self.range
            }
        }
    }

    fn changed(&mut self, ctx: &Context<Self>, old: &Props) -> bool {
        let p = ctx.props();
        if p.reset != old.reset {
            self.scroll_top = 0.0;
            self.pending_scroll = Some(0.0);
        }
        if let Some(a) = p.active {
            if Some(a) != old.active || p.row_height != old.row_height {
                self.reveal(ctx, a);
            }
        }
        true
    }

    fn view(&self, ctx: &Context<Self>) -> Html {
        let p = ctx.props();
        let (first, last) = self.compute_range(ctx);
        let onscroll = ctx.link().callback(|_: Event| Msg::Scrolled);
        let rows: Html = (first..last).map(|i| p.render.emit(i)).collect();
        html! {
            <div ref={self.el.clone()} class={classes!("vscroll", p.class.clone())} tabindex="0"
                 role={p.role.clone()} aria-label={p.label.clone()}
                 aria-activedescendant={p.active_id.clone()}
                 data-testid={p.testid.clone()} data-count={p.count.to_string()}
                 {onscroll} onkeydown={p.onkeydown.clone()}>
                { p.header.clone().unwrap_or_default() }
                <div ref={self.top.clone()} class="vspacer" aria-hidden="true"></div>
                { rows }
                <div ref={self.bottom.clone()} class="vspacer" aria-hidden="true"></div>
            </div>
        }
    }

    fn rendered(&mut self, ctx: &Context<Self>, first_render: bool) {
        let p = ctx.props();
        if first_render {
            self.measure();
        }
        let (first, last) = self.compute_range(ctx);
        self.range = (first, last);
        let (phys_total, _) = self.scale(ctx);
        let rh = p.row_height;
        // Where row `first` must sit so that the viewport shows the virtual position.
        let vt = self.virtual_top(ctx);
        let top = (self.scroll_top + first as f64 * rh - vt).max(0.0);
        let top = if phys_total == self.total(ctx) {
            first as f64 * rh
        } else {
            top
        };
        let bottom = (phys_total - top - (last - first) as f64 * rh).max(0.0);
        if let Some(el) = self.top.cast::<web_sys::Element>() {
            set_style(&el, "height", &format!("{top}px"));
        }
        if let Some(el) = self.bottom.cast::<web_sys::Element>() {
            set_style(&el, "height", &format!("{bottom}px"));
        }
        if let Some(st) = self.pending_scroll.take() {
            if let Some(el) = self.el.cast::<web_sys::Element>() {
                el.set_scroll_top(st.round() as i32);
            }
        }
        if first_render && self.height > 0.0 && self.compute_range(ctx) != self.range {
            ctx.link().send_message(Msg::Measure);
        }
    }
}
