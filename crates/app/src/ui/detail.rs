//! Connection detail: the explanation in full with its evidence, then the facts it rests on
//! (timing, TCP, TLS, certificate, HTTP, DNS, QUIC) and the Wireshark filter to find it.

use super::list::mini_bar;
use crate::format;
use crate::model::Model;
use crate::waterfall;
use connscope_core::explain::cards::{self, ConceptCard};
use connscope_core::report::{Connection, Explanation};
use std::rc::Rc;
use wasm_bindgen_futures::spawn_local;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct Props {
    pub model: Rc<Model>,
    pub id: u32,
    pub on_close: Callback<()>,
    pub on_select: Callback<u32>,
}

fn yes_no(b: bool) -> &'static str {
    if b {
        "yes"
    } else {
        "no"
    }
}

fn fact(label: &str, value: impl Into<Html>) -> Html {
    html! { <><dt>{ label.to_string() }</dt><dd>{ value.into() }</dd></> }
}

fn opt_fact(label: &str, value: Option<String>) -> Html {
    match value {
        Some(v) => fact(label, v),
        None => html! {},
    }
}

fn conn_link(m: &Model, id: u32, on_select: &Callback<u32>) -> Html {
    let Some(c) = m.conn(id) else {
        return html! { <span>{ format!("connection {id}") }</span> };
    };
    let cb = on_select.clone();
    let onclick = Callback::from(move |_: MouseEvent| cb.emit(id));
    html! {
        <button type="button" class="link" {onclick}>
            { format!("#{} :{} ({})", c.stream, c.client.port, c.protocol) }
        </button>
    }
}

/// Text with `code` spans (the cards write Wireshark filters between backticks).
fn with_code(text: &str) -> Html {
    text.split('`')
        .enumerate()
        .map(|(i, part)| {
            if i % 2 == 1 {
                html! { <code>{ part.to_string() }</code> }
            } else {
                html! { { part.to_string() } }
            }
        })
        .collect()
}

fn card_anchor(cause: &str) -> String {
    format!("concept-{cause}")
}

/// The concept card of a cause: what it is, why browsers do it, how to see it in Wireshark.
fn concept_card(cause: &str) -> Html {
    thread_local! {
        static CARDS: Vec<ConceptCard> = cards::all();
    }
    CARDS.with(|cards| {
        let Some(card) = cards.iter().find(|c| c.id == cause) else {
            return html! {};
        };
        html! {
            <section class="concept-card" id={card_anchor(cause)} data-testid="concept-card" data-cause={card.id.clone()}
                     aria-labelledby="concept-title">
                <h3 id="concept-title">{ format!("Concept: {}", card.title) }</h3>
                <h4>{ "What it is" }</h4>
                <p>{ with_code(&card.what) }</p>
                <h4>{ "Why browsers do it" }</h4>
                <p>{ with_code(&card.why) }</p>
                <h4>{ "See it in Wireshark" }</h4>
                <p>{ with_code(&card.wireshark) }</p>
                if !card.numbers.is_empty() {
                    <h4>{ "Numbers" }</h4>
                    <ul class="card-numbers">{ for card.numbers.iter().map(|n| html! { <li>{ n.clone() }</li> }) }</ul>
                }
            </section>
        }
    })
}

fn explanation(m: &Model, e: &Explanation, on_select: &Callback<u32>) -> Html {
    let evidence: Html = e
        .evidence
        .iter()
        .map(|ev| {
            let mut where_ = Vec::new();
            if let Some(f) = ev.frame {
                where_.push(format!("frame {f}"));
            }
            if let Some(ts) = ev.ts {
                where_.push(format::offset(ts, m.t0));
            }
            html! {
                <li>
                    <span class="ev-text">{ ev.text.clone() }</span>
                    if !where_.is_empty() { <span class="ev-where">{ format!(" ({})", where_.join(", ")) }</span> }
                    if let Some(other) = ev.connection { { " → " }{ conn_link(m, other, on_select) } }
                </li>
            }
        })
        .collect();
    let anchor = card_anchor(&e.cause);
    // Scrolls the panel, not the page's URL: the app keeps no state in the fragment.
    let to_card = {
        let anchor = anchor.clone();
        Callback::from(move |ev: MouseEvent| {
            ev.prevent_default();
            if let Some(card) = super::dom::document().get_element_by_id(&anchor) {
                card.scroll_into_view();
            }
        })
    };
    html! {
        <>
        <section class="explanation" data-testid="explanation">
            <h3>{ "Why this connection exists" }</h3>
            <p class="ex-headline-line">
                <a class="ex-headline" href={format!("#{anchor}")} onclick={to_card} data-testid="headline-card-link"
                   title="What this means: the concept card below">{ e.headline.clone() }</a>
            </p>
            if !e.details.is_empty() { <p class="ex-details">{ e.details.clone() }</p> }
            <p class="ex-meta">
                <span class={classes!("badge", format!("conf-{}", e.confidence))}>{ format!("{} confidence", e.confidence) }</span>
                <code class="cause">{ e.cause.clone() }</code>
            </p>
            if !e.evidence.is_empty() {
                <h4>{ "Evidence" }</h4>
                <ul class="evidence">{ evidence }</ul>
            }
            if let Some(rule) = &e.rule {
                <h4>{ "The rule behind it" }</h4>
                <p class="rule">{ rule.text.clone() }</p>
                <p class="rule-source">{ format!("Source: {} ({})", rule.source, rule.id) }</p>
            }
            if !e.related.is_empty() {
                <h4>{ "Related connections" }</h4>
                <ul class="related">
                    { for e.related.iter().map(|id| html! { <li>{ conn_link(m, *id, on_select) }</li> }) }
                </ul>
            }
            if !e.attributes.is_empty() {
                <dl class="facts">
                    { for e.attributes.iter().map(|a| fact(&a.key, a.text.clone())) }
                </dl>
            }
        </section>
        { concept_card(&e.cause) }
        </>
    }
}

fn timing(m: &Model, c: &Connection) -> Html {
    if c.phases.is_empty() {
        return html! {};
    }
    html! {
        <section>
            <h3>{ "Timing" }</h3>
            { mini_bar(c, 300.0) }
            <table class="phases">
                <thead><tr><th>{ "Phase" }</th><th>{ "Start" }</th><th>{ "Duration" }</th><th>{ "Frame" }</th></tr></thead>
                <tbody>
                { for c.phases.iter().map(|p| {
                    let st = waterfall::style(&p.kind);
                    let mut label = st.label.to_string();
                    if let Some(e) = p.exchange { label.push_str(&format!(" ({})", e + 1)); }
                    if let Some(s) = p.side { label.push_str(&format!(" by {}", s.as_str())); }
                    html! {
                        <tr>
                            <td><svg width="10" height="10" aria-hidden="true"><rect width="10" height="10" fill={st.color} /></svg>{ " " }{ label }</td>
                            <td>{ format::offset(p.start, m.t0) }</td>
                            <td>{ format::ms(p.end - p.start) }</td>
                            <td>{ p.first_frame }</td>
                        </tr>
                    }
                }) }
                </tbody>
            </table>
        </section>
    }
}

fn tcp(c: &Connection) -> Html {
    let Some(t) = &c.tcp else { return html! {} };
    let ft =
        |f: &Option<connscope_core::report::FrameTime>| f.map(|f| format!("frame {}", f.frame));
    html! {
        <section>
            <h3>{ "TCP" }</h3>
            <dl class="facts">
                { fact("State", format!("{} (history {})", t.conn_state, t.history)) }
                { fact("Closed", format::close(c)) }
                { opt_fact("Handshake RTT", t.rtt.map(format::ms)) }
                { fact("SYNs sent", t.syn_count.to_string()) }
                { fact("Retransmissions", format!("{} client, {} server", t.retransmissions_client, t.retransmissions_server)) }
                { opt_fact("SYN", ft(&t.syn)) }
                { opt_fact("SYN-ACK", ft(&t.syn_ack)) }
                { opt_fact("FIN from client", ft(&t.fin_client)) }
                { opt_fact("FIN from server", ft(&t.fin_server)) }
                { opt_fact("RST from client", ft(&t.rst_client)) }
                { opt_fact("RST from server", ft(&t.rst_server)) }
                { opt_fact("Idle before close", t.idle_before_close.map(format::ms)) }
            </dl>
        </section>
    }
}

fn tls(m: &Model, c: &Connection) -> Html {
    let Some(t) = &c.tls else { return html! {} };
    let resumed = if t.resumed {
        format!("yes ({})", t.resumption.clone().unwrap_or_default())
    } else {
        "no".into()
    };
    let outcome = match &t.aborted_after {
        Some(a) => format!(
            "{} after {}",
            t.outcome.replace('_', " "),
            format::handshake_name(a)
        ),
        None => t.outcome.replace('_', " "),
    };
    html! {
        <section>
            <h3>{ "TLS" }</h3>
            <dl class="facts">
                { opt_fact("Version", t.version.clone()) }
                { opt_fact("Server name (SNI)", t.sni.clone()) }
                { fact("Outcome", outcome) }
                { opt_fact("Cipher", t.cipher.clone()) }
                { fact("ALPN offered", if t.alpn_offered.is_empty() { "–".to_string() } else { t.alpn_offered.join(", ") }) }
                { opt_fact("ALPN chosen", t.alpn.clone()) }
                { fact("Versions offered", t.versions_offered.join(", ")) }
                { fact("Resumed", resumed) }
                { fact("Ticket / PSK offered", format!("{} / {}", yes_no(t.ticket_offered), yes_no(t.psk_offered))) }
                { fact("Application data", format!("{} records from client, {} from server", t.app_data_client.records, t.app_data_server.records)) }
            </dl>
            if !t.handshake.is_empty() {
                <h4>{ "Handshake messages" }</h4>
                <ol class="handshake">
                    { for t.handshake.iter().map(|h| html! {
                        <li>{ format!("{} — {}, frame {}, {}", format::handshake_name(&h.kind), h.from.as_str(), h.frame, format::offset(h.ts, m.t0)) }</li>
                    }) }
                </ol>
            }
            if !t.alerts.is_empty() {
                <h4>{ "Alerts" }</h4>
                <ul>
                    { for t.alerts.iter().map(|a| {
                        let what = match (&a.level, &a.description) {
                            (Some(l), Some(d)) => format!("{l} {d}"),
                            _ if a.encrypted => "encrypted alert".to_string(),
                            _ => "alert".to_string(),
                        };
                        html! { <li>{ format!("{what} from {}, frame {}", a.from.as_str(), a.frame) }</li> }
                    }) }
                </ul>
            }
            if let Some(cert) = &t.certificate {
                <h4>{ "Certificate" }</h4>
                <dl class="facts" data-testid="certificate">
                    { fact("Subject", cert.subject.clone()) }
                    { fact("Issuer", cert.issuer.clone()) }
                    { fact("Names (SAN)", cert.sans.join(", ")) }
                    { fact("Valid", format!("{} – {}", cert.not_before, cert.not_after)) }
                    { fact("Self-signed", yes_no(cert.self_signed)) }
                    { fact("Chain length", t.chain_len.to_string()) }
                </dl>
            } else if t.version.as_deref() == Some("TLS 1.3") {
                <p class="muted">{ "The certificate travels encrypted in TLS 1.3: not visible without the key log." }</p>
            }
        </section>
    }
}

fn http(m: &Model, c: &Connection) -> Html {
    let Some(h) = &c.http else { return html! {} };
    html! {
        <section>
            <h3>{ format!("HTTP ({})", h.version) }</h3>
            if h.requests.is_empty() { <p class="muted">{ "No request seen." }</p> }
            <div class="table-wrap">
            <table class="requests">
                <thead><tr><th>{ "#" }</th><th>{ "Request" }</th><th>{ "Status" }</th><th>{ "Sent" }</th><th>{ "TTFB" }</th><th>{ "Connection" }</th></tr></thead>
                <tbody>
                { for h.requests.iter().enumerate().map(|(i, r)| {
                    let status = match (r.status, &r.reason) {
                        (Some(s), Some(reason)) => format!("{s} {reason}"),
                        (Some(s), None) => s.to_string(),
                        _ => "no response".into(),
                    };
                    let ttfb = r.response_ts.map(|t| format::ms(t - r.end_ts)).unwrap_or_else(|| "–".into());
                    let conn_hdr = match (&r.connection, &r.response_connection) {
                        (None, None) => "–".to_string(),
                        (a, b) => format!("{} / {}", a.as_deref().unwrap_or("–"), b.as_deref().unwrap_or("–")),
                    };
                    html! {
                        <tr>
                            <td>{ i + 1 }</td>
                            <td class="req-line">
                                { format!("{} {}", r.method, r.target) }
                                if let Some(host) = &r.host { <div class="muted">{ format!("Host: {host}") }</div> }
                                if let Some(a) = &r.authorization { <div class="muted">{ format!("Authorization: {a} …") }</div> }
                                if let Some(a) = &r.www_authenticate { <div class="muted">{ format!("WWW-Authenticate: {a}") }</div> }
                                if let Some(l) = &r.location { <div class="muted">{ format!("Location: {l}") }</div> }
                            </td>
                            <td>{ status }</td>
                            <td>{ format!("{} (frame {})", format::offset(r.ts, m.t0), r.frame) }</td>
                            <td>{ ttfb }</td>
                            <td>{ conn_hdr }</td>
                        </tr>
                    }
                }) }
                </tbody>
            </table>
            </div>
            if h.requests_not_kept > 0 { <p class="muted">{ format!("{} more requests not kept.", h.requests_not_kept) }</p> }
            if let Some(h2) = &h.h2 {
                <p>{ format!("HTTP/2 ({}): {} frames, {} streams{}", h2.started_by.replace('_', " "), h2.frames, h2.streams.len(), if h2.goaway { ", GOAWAY" } else { "" }) }</p>
            }
        </section>
    }
}

fn dns(m: &Model, c: &Connection) -> Html {
    let Some(d) = &c.dns else { return html! {} };
    html! {
        <section>
            <h3>{ "DNS" }</h3>
            <ul>
            { for d.queries.iter().map(|q| html! {
                <li>
                    { format!("{} {} (frame {}, {})", q.qtype, q.name, q.frame, format::offset(q.ts, m.t0)) }
                    { format!(" → {} {}", q.rcode.clone().unwrap_or_else(|| "no answer".into()), q.answers.join(", ")) }
                </li>
            }) }
            </ul>
        </section>
    }
}

fn quic(c: &Connection) -> Html {
    let Some(q) = &c.quic else { return html! {} };
    html! {
        <section>
            <h3>{ "QUIC" }</h3>
            <dl class="facts">
                { fact("Version", q.version.clone()) }
                { opt_fact("Client DCID", q.dcid.clone()) }
                { fact("Packets", format!("{} long header ({} Initial, {} Handshake, {} 0-RTT), {} short header", q.long_header_packets, q.initial_packets, q.handshake_packets, q.zero_rtt_packets, q.short_header_packets)) }
                { fact("Retry / version negotiation", format!("{} / {}", yes_no(q.retry), yes_no(q.version_negotiation))) }
            </dl>
        </section>
    }
}

#[function_component(Detail)]
pub fn detail(p: &Props) -> Html {
    let heading = use_node_ref();
    let copied = use_state(|| false);
    {
        let heading = heading.clone();
        let copied = copied.clone();
        use_effect_with(p.id, move |_| {
            copied.set(false);
            if let Some(h) = heading.cast::<web_sys::HtmlElement>() {
                let _ = h.focus();
            }
        });
    }
    let m = &p.model;
    let Some(c) = m.conn(p.id) else {
        return html! {};
    };
    let filter = format::wireshark_filter(c);
    let on_copy = {
        let filter = filter.clone();
        let copied = copied.clone();
        Callback::from(move |_: MouseEvent| {
            let filter = filter.clone();
            let copied = copied.clone();
            spawn_local(async move {
                if super::dom::copy_text(&filter).await.is_ok() {
                    copied.set(true);
                }
            });
        })
    };
    let close = p.on_close.clone();
    let onkeydown = Callback::from(move |e: KeyboardEvent| {
        if e.key() == "Escape" {
            e.prevent_default();
            close.emit(());
        }
    });
    let on_close = p.on_close.clone();
    let host = match (&c.host, &c.host_source) {
        (Some(h), Some(src)) => format!(" · {h} (from {})", src.replace('_', " ")),
        (Some(h), None) => format!(" · {h}"),
        _ => String::new(),
    };
    html! {
        <aside class="detail" role="dialog" aria-labelledby="detail-title" {onkeydown} data-testid="detail" data-conn-id={p.id.to_string()}>
            <header class="detail-head">
                <h2 id="detail-title" tabindex="-1" ref={heading}>{ format!("#{} · {}", c.stream, c.protocol) }</h2>
                <button type="button" class="icon" aria-label="Close the details" onclick={move |_| on_close.emit(())}>{ "✕" }</button>
            </header>
            <p class="endpoints">
                { format!("{} → {}{}", format::endpoint(&c.client.ip, c.client.port), format::endpoint(&c.server.ip, c.server.port), host) }
            </p>
            <p class="muted">
                { format!("{} packets ({} from client, {} from server), {} / {} payload bytes, frames {}–{}, {}",
                    format::count(c.packets), c.packets_client, c.packets_server,
                    format::bytes(c.bytes_client), format::bytes(c.bytes_server), c.first_frame, c.last_frame,
                    format::ms(c.end - c.start)) }
            </p>
            <div class="filter-copy">
                <label for="ws-filter">{ "Wireshark filter" }</label>
                <input id="ws-filter" type="text" readonly=true value={filter.clone()} data-testid="ws-filter" />
                <button type="button" onclick={on_copy} data-testid="copy-filter">{ if *copied { "Copied ✓" } else { "Copy" } }</button>
            </div>
            { match &c.explanation {
                Some(e) => explanation(m, e, &p.on_select),
                None => html! {
                    <section class="explanation none" data-testid="explanation">
                        <h3>{ "Why this connection exists" }</h3>
                        <p class="ex-headline none">{ "No explanation yet" }</p>
                        <p class="muted">{ "The explanation engine has not classified this connection. The facts below are what the capture shows." }</p>
                    </section>
                },
            } }
            { timing(m, c) }
            { tcp(c) }
            { tls(m, c) }
            { http(m, c) }
            { dns(m, c) }
            { quic(c) }
            if !c.notes.is_empty() {
                <section>
                    <h3>{ "What could not be read" }</h3>
                    <ul>{ for c.notes.iter().map(|n| html! { <li>{ n.message.clone() }{ n.frame.map(|f| format!(" (frame {f})")).unwrap_or_default() }</li> }) }</ul>
                </section>
            }
        </aside>
    }
}
