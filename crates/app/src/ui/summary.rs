//! The capture summary: file, format, link types, packets, duration, connections, hosts,
//! warnings and the read error.

use crate::format;
use crate::model::Model;
use std::rc::Rc;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct Props {
    pub model: Rc<Model>,
    pub on_add_keylog: Callback<()>,
}

fn item(label: &str, testid: &str, value: Html) -> Html {
    html! {
        <div class="s-item">
            <dt>{ label.to_string() }</dt>
            <dd data-testid={testid.to_string()}>{ value }</dd>
        </div>
    }
}

#[function_component(Summary)]
pub fn summary(p: &Props) -> Html {
    let m = &p.model;
    let r = &m.report;
    let cap = &r.capture;
    let mut fmt = vec![cap.format.clone()];
    if let Some(c) = &cap.compression {
        fmt.push(format!("{c}-compressed"));
    }
    if let Some(b) = &cap.byte_order {
        fmt.push(format!("{b}-endian"));
    }
    if let Some(t) = &cap.timestamp_resolution {
        fmt.push(format!("{t} timestamps"));
    }
    if cap.interfaces > 1 {
        fmt.push(format!("{} interfaces", cap.interfaces));
    }
    let links = if cap.link_types.is_empty() {
        "–".to_string()
    } else {
        cap.link_types
            .iter()
            .map(|l| format!("{} ({})", l.name, l.id))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let count_by = |t: &str| r.connections.iter().filter(|c| c.transport == t).count();
    let (tcp, udp, quic) = (count_by("tcp"), count_by("udp"), count_by("quic"));
    let mut kinds = Vec::new();
    for (n, name) in [(tcp, "TCP"), (udp, "UDP"), (quic, "QUIC")] {
        if n > 0 {
            kinds.push(format!("{} {name}", format::count(n as u64)));
        }
    }
    let duration = match (cap.first_ts, cap.last_ts) {
        (Some(a), Some(b)) => {
            html! { <>{ format::duration(b - a) }<span class="muted">{ format!(" from {}", format::utc(a)) }</span></> }
        }
        _ => html! { "–" },
    };
    let warnings: u64 = r.warnings.iter().map(|w| w.count).sum();
    let (encrypted, decrypted) = m.decryption();
    let secrets_from = if !m.keylogs.is_empty() {
        Some(format!("key log {}", m.keylogs.join(", ")))
    } else if cap.decryption_secrets > 0 {
        Some("the capture's own secrets (pcapng)".to_string())
    } else {
        None
    };
    let decryption = match secrets_from {
        Some(from) => html! {
            <><span class="num">{ format!("{decrypted} of {encrypted}") }</span>{ " TLS/QUIC connections decrypted" }
            <span class="muted">{ format!(" with {from}") }</span></>
        },
        None => {
            html! { <span class="muted">{ "none: contents stay encrypted. Add the browser's key log to see inside." }</span> }
        }
    };
    let add = p.on_add_keylog.clone();
    let on_add = Callback::from(move |_: MouseEvent| add.emit(()));
    html! {
        <section class="summary" aria-labelledby="summary-title">
            <h2 id="summary-title" class="visually-hidden">{ "Capture summary" }</h2>
            <dl class="s-grid">
                { item("File", "summary-file", html! { <><span class="s-file">{ m.file_name.clone() }</span><span class="muted">{ format!(" ({})", format::bytes(m.file_size)) }</span></> }) }
                { item("Format", "summary-format", html! { fmt.join(", ") }) }
                { item("Link types", "summary-links", html! { links }) }
                { item("Packets", "summary-packets", html! { <span class="num">{ format::count(cap.packets) }</span> }) }
                { item("Duration", "summary-duration", duration) }
                { item("Connections", "summary-connections", html! {
                    <><span class="num">{ format::count(r.connections.len() as u64) }</span>
                    if !kinds.is_empty() { <span class="muted">{ format!(" ({})", kinds.join(", ")) }</span> }</>
                }) }
                { item("Hosts", "summary-hosts", html! { <span class="num">{ format::count(r.hosts.len() as u64) }</span> }) }
                if encrypted > 0 {
                    { item("Decryption", "summary-decryption", html! {
                        <>{ decryption }{ " " }<button type="button" class="link" onclick={on_add}>{ "Add key log…" }</button></>
                    }) }
                }
                { item("Warnings", "summary-warnings", html! { <span class="num">{ format::count(warnings) }</span> }) }
                { item("Analysed", "summary-analysed", html! { <span class="muted" data-wasm-memory={m.wasm_memory_bytes.to_string()}>{ format!("in {} on this device{}", format::ms(m.analysis_ms / 1000.0),
                    if m.wasm_memory_bytes > 0.0 { format!(", {} of memory", format::bytes(m.wasm_memory_bytes as u64)) } else { String::new() }) }</span> }) }
            </dl>
            if let Some(e) = &r.error {
                <div class="read-error" role="alert" data-testid="read-error">
                    <strong>{ if e.code == "not_a_capture" { "Not a capture: " } else { "Reading stopped early: " } }</strong>
                    { e.message.clone() }
                    <span class="muted">{ format!(" (at byte {}{}; code {}). Everything before it is analysed.", format::count(e.offset), e.frame.map(|f| format!(", frame {f}")).unwrap_or_default(), e.code) }</span>
                </div>
            }
            if !r.warnings.is_empty() {
                <details class="warnings">
                    <summary>{ format!("{} warning kind{} while reading", r.warnings.len(), if r.warnings.len() == 1 { "" } else { "s" }) }</summary>
                    <ul>
                        { for r.warnings.iter().map(|w| html! {
                            <li><code>{ w.code.clone() }</code>{ format!(" ×{}: {}", format::count(w.count), w.message) }</li>
                        }) }
                    </ul>
                </details>
            }
        </section>
    }
}
