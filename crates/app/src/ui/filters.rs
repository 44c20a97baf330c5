//! The filter bar: text search, host, protocol, cause, sort order and grouping.

use crate::format;
use crate::model::{Model, Query, SortKey};
use std::rc::Rc;
use wasm_bindgen::JsCast;
use web_sys::{HtmlInputElement, HtmlSelectElement};
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct Props {
    pub model: Rc<Model>,
    pub query: Query,
    /// Connections shown with this query.
    pub shown: usize,
    pub on_change: Callback<Query>,
}

fn select_value(e: &Event) -> String {
    e.target()
        .and_then(|t| t.dyn_into::<HtmlSelectElement>().ok())
        .map(|s| s.value())
        .unwrap_or_default()
}

fn some(v: String) -> Option<String> {
    (!v.is_empty()).then_some(v)
}

/// Options offered at most in one select (thousands of `<option>`s make a slow, useless menu;
/// the search box finds the rest).
const MAX_OPTIONS: usize = 300;

fn options(all_label: &str, values: &[String], current: &Option<String>) -> Html {
    let shown = &values[..values.len().min(MAX_OPTIONS)];
    let extra = current.as_ref().filter(|c| !shown.contains(c));
    html! {
        <>
            <option value="" selected={current.is_none()}>{ all_label.to_string() }</option>
            { for shown.iter().chain(extra).map(|v| html! {
                <option value={v.clone()} selected={current.as_deref() == Some(v.as_str())}>{ v.clone() }</option>
            }) }
            if values.len() > shown.len() {
                <option value="" disabled=true>{ format!("… {} more: use the search box", format::count((values.len() - shown.len()) as u64)) }</option>
            }
        </>
    }
}

#[function_component(Filters)]
pub fn filters(p: &Props) -> Html {
    let q = &p.query;
    let change = |f: fn(&mut Query, String)| {
        let q = q.clone();
        let cb = p.on_change.clone();
        Callback::from(move |e: Event| {
            let mut q = q.clone();
            f(&mut q, select_value(&e));
            cb.emit(q);
        })
    };
    let on_text = {
        let q = q.clone();
        let cb = p.on_change.clone();
        Callback::from(move |e: InputEvent| {
            let v = e
                .target()
                .and_then(|t| t.dyn_into::<HtmlInputElement>().ok())
                .map(|i| i.value())
                .unwrap_or_default();
            let mut q = q.clone();
            q.text = v;
            cb.emit(q);
        })
    };
    let on_dir = {
        let q = q.clone();
        let cb = p.on_change.clone();
        Callback::from(move |_: MouseEvent| {
            let mut q = q.clone();
            q.descending = !q.descending;
            cb.emit(q);
        })
    };
    let on_group = {
        let q = q.clone();
        let cb = p.on_change.clone();
        Callback::from(move |e: Event| {
            let checked = e
                .target()
                .and_then(|t| t.dyn_into::<HtmlInputElement>().ok())
                .map(|i| i.checked())
                .unwrap_or(true);
            let mut q = q.clone();
            q.ungrouped = !checked;
            cb.emit(q);
        })
    };
    let on_clear = {
        let q = q.clone();
        let cb = p.on_change.clone();
        Callback::from(move |_: MouseEvent| {
            cb.emit(Query {
                sort: q.sort,
                descending: q.descending,
                ungrouped: q.ungrouped,
                ..Query::default()
            })
        })
    };
    let total = p.model.report.connections.len();
    html! {
        <div class="filters" role="search" aria-label="Filter connections">
            <label class="f-text">
                <span class="visually-hidden">{ "Search" }</span>
                <input type="search" placeholder="Search host, port, protocol, cause, URL…" value={q.text.clone()}
                       oninput={on_text} data-testid="filter-text" />
            </label>
            <label>
                <span class="f-label">{ "Host" }</span>
                <select onchange={change(|q, v| q.host = some(v))} data-testid="filter-host">
                    { options("All hosts", &p.model.hosts, &q.host) }
                </select>
            </label>
            <label>
                <span class="f-label">{ "Protocol" }</span>
                <select onchange={change(|q, v| q.protocol = some(v))} data-testid="filter-protocol">
                    { options("All protocols", &p.model.protocols, &q.protocol) }
                </select>
            </label>
            <label>
                <span class="f-label">{ "Cause" }</span>
                <select onchange={change(|q, v| q.cause = some(v))} data-testid="filter-cause">
                    { options("All causes", &p.model.causes, &q.cause) }
                </select>
            </label>
            <label>
                <span class="f-label">{ "Sort" }</span>
                <select onchange={change(|q, v| q.sort = SortKey::from_id(&v))} data-testid="sort">
                    { for SortKey::ALL.iter().map(|k| html! {
                        <option value={k.id()} selected={q.sort == *k}>{ k.label() }</option>
                    }) }
                </select>
            </label>
            <button type="button" class="icon" onclick={on_dir} aria-label={if q.descending { "Descending order, switch to ascending" } else { "Ascending order, switch to descending" }}
                    title="Reverse the order">{ if q.descending { "↓" } else { "↑" } }</button>
            <label class="f-check">
                <input type="checkbox" checked={!q.ungrouped} onchange={on_group} />
                { " Group by host" }
            </label>
            <span class="f-count" data-testid="filter-count" aria-live="polite">
                { if p.shown == total { format!("{} connections", format::count(total as u64)) } else { format!("{} of {} connections", format::count(p.shown as u64), format::count(total as u64)) } }
            </span>
            if q.is_filtered() {
                <button type="button" class="link" onclick={on_clear}>{ "Clear filters" }</button>
            }
        </div>
    }
}
