//! Hosts and connections: the virtualised list, grouped by client → host.

use super::vscroll::VScroll;
use crate::format;
use crate::model::{Model, Row};
use crate::waterfall::{self, geom, Mark, Window};
use connscope_core::report::Connection;
use std::rc::Rc;
use yew::prelude::*;

/// The small per-connection phase bar: the connection's own life, start to end.
pub fn mini_bar(c: &Connection, width: f64) -> Html {
    let span = (c.end - c.start).max(1e-6);
    let win = Window {
        origin: c.start,
        from: 0.0,
        to: span,
    };
    let shapes = waterfall::marks(c, &win, width);
    let marks: Html = shapes
        .iter()
        .filter_map(|s| match &s.mark {
            Mark::Phase(st) => {
                let (y, h) = waterfall::phase_rect(s, st);
                Some(html! {
                    <rect x={format!("{:.1}", s.x)} y={format!("{:.1}", y / 2.0 + 1.0)} width={format!("{:.1}", s.w)}
                          height={format!("{:.1}", h / 2.0 + 1.0)} fill={st.color} />
                })
            }
            Mark::Close { rst, .. } => Some(html! {
                <rect x={format!("{:.1}", (s.x - 1.0).max(0.0))} y="0" width="2" height="12"
                      fill={if *rst { waterfall::RST_COLOR } else { waterfall::FIN_COLOR }} />
            }),
            Mark::Life => Some(html! {
                <rect x={format!("{:.1}", s.x)} y={format!("{:.1}", geom::LIFE_Y / 2.0 + 0.5)} width={format!("{:.1}", s.w)}
                      height="1" fill={waterfall::LIFE_COLOR} />
            }),
            Mark::Tick { .. } => None,
        })
        .collect();
    html! {
        <svg class="c-bar" width={width.to_string()} height="12" viewBox={format!("0 0 {width} 12")} aria-hidden="true" focusable="false">
            { marks }
        </svg>
    }
}

pub fn headline(c: &Connection) -> Html {
    match &c.explanation {
        Some(e) => {
            html! { <span class="c-headline" title={e.cause.clone()}>{ e.headline.clone() }</span> }
        }
        None => html! { <span class="c-headline none">{ "No explanation yet" }</span> },
    }
}

pub fn group_header(m: &Model, group: u32, shown: u32, id: String) -> Html {
    let Some(g) = m.report.hosts.get(group as usize) else {
        return html! { <div class="row group" role="presentation">{ "Other" }</div> };
    };
    let total = g.connections.len();
    let count = if shown as usize == total {
        format!("{} connection{}", total, if total == 1 { "" } else { "s" })
    } else {
        format!("{shown} of {total} connections")
    };
    html! {
        <div class="row group" role="option" aria-disabled="true" aria-selected="false" id={id}
             data-client={g.client.clone()} data-host={g.host.clone()} data-count={total.to_string()}>
            <span class="g-client">{ g.client.clone() }</span>
            <span class="g-arrow" aria-hidden="true">{ " → " }</span>
            <span class="g-host">{ g.host.clone() }</span>
            <span class="g-servers">{ g.servers.join(", ") }</span>
            <span class="g-count">{ count }</span>
        </div>
    }
}

#[derive(Properties, PartialEq)]
pub struct Props {
    pub model: Rc<Model>,
    pub rows: Rc<Vec<Row>>,
    pub row_height: f64,
    pub active: Option<usize>,
    pub selected: Option<u32>,
    pub on_active: Callback<usize>,
    pub on_open: Callback<u32>,
    pub onkeydown: Callback<KeyboardEvent>,
    pub reset: u64,
}

/// The connections the selected connection's explanation names as related (e.g. the rejected
/// attempts before a retry): the list and the waterfall mark them.
pub fn related_of(m: &Model, selected: Option<u32>) -> Rc<Vec<u32>> {
    Rc::new(
        selected
            .and_then(|id| m.conn(id))
            .and_then(|c| c.explanation.as_ref())
            .map(|e| e.related.clone())
            .unwrap_or_default(),
    )
}

pub fn row_dom_id(prefix: &str, i: usize) -> String {
    format!("{prefix}-row-{i}")
}

#[function_component(ConnList)]
pub fn conn_list(p: &Props) -> Html {
    let model = p.model.clone();
    let rows = p.rows.clone();
    let active = p.active;
    let selected = p.selected;
    let related = related_of(&p.model, selected);
    let on_active = p.on_active.clone();
    let on_open = p.on_open.clone();
    let render = Callback::from(move |i: usize| -> Html {
        match rows[i] {
            Row::Group { group, shown } => {
                group_header(&model, group, shown, row_dom_id("list", i))
            }
            Row::Conn(id) => {
                let Some(c) = model.conn(id) else {
                    return html! {};
                };
                let onclick = {
                    let on_active = on_active.clone();
                    let on_open = on_open.clone();
                    Callback::from(move |_: MouseEvent| {
                        on_active.emit(i);
                        on_open.emit(id);
                    })
                };
                let class = classes!(
                    "row",
                    "conn",
                    (active == Some(i)).then_some("active"),
                    (selected == Some(id)).then_some("selected"),
                    related.contains(&id).then_some("related")
                );
                html! {
                    <div class={class} role="option" id={row_dom_id("list", i)} aria-selected={(active == Some(i)).to_string()}
                         data-conn-id={id.to_string()} {onclick}>
                        <span class="c-stream" title={format::wireshark_filter(c)}>{ format!("#{}", c.stream) }</span>
                        <span class="c-port" title={format!("{} → {}", format::endpoint(&c.client.ip, c.client.port), format::endpoint(&c.server.ip, c.server.port))}>{ format!(":{}", c.client.port) }</span>
                        <span class="c-proto">{ c.protocol.clone() }</span>
                        { mini_bar(c, 96.0) }
                        { headline(c) }
                        if related.contains(&id) { <span class="c-related visually-hidden">{ " (related to the selected connection)" }</span> }
                        <span class="c-close">{ format::close(c) }</span>
                    </div>
                }
            }
        }
    });
    let active_id = p.active.map(|i| AttrValue::from(row_dom_id("list", i)));
    html! {
        <VScroll count={p.rows.len()} row_height={p.row_height} {render} label="Connections, grouped by client and host"
                 role="listbox" class="list" active={p.active} {active_id} onkeydown={p.onkeydown.clone()}
                 reset={p.reset} testid="conn-list" />
    }
}
