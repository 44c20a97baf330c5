//! The landing view: the drop zone (which also opens the file picker), the privacy line, and the
//! bundled sample captures.

use std::rc::Rc;
use yew::prelude::*;

/// A bundled capture (`samples/index.json`, written by `cargo xtask dist` from the capture lab).
#[derive(Clone, PartialEq)]
pub struct Sample {
    pub file: String,
    /// The sample's key log (`*.keys`, written by the browser in the lab), if bundled.
    pub keys: Option<String>,
    pub title: String,
    pub description: String,
    pub bytes: u64,
}

#[derive(Properties, PartialEq)]
pub struct Props {
    pub samples: Rc<Vec<Sample>>,
    pub dragging: bool,
    pub on_pick: Callback<()>,
    pub on_sample: Callback<Sample>,
    pub on_sample_keys: Callback<Sample>,
}

#[function_component(Landing)]
pub fn landing(p: &Props) -> Html {
    let pick = p.on_pick.clone();
    let onclick = Callback::from(move |_: MouseEvent| pick.emit(()));
    html! {
        <section class="landing">
            <div class={classes!("dropzone", p.dragging.then_some("dragging"))} data-testid="dropzone">
                <p class="dz-title">{ "Drop a capture here" }</p>
                <p class="muted">{ "pcap or pcapng, optionally gzip-compressed — any size: it is read in slices" }</p>
                <p class="muted">{ "Have a TLS key log (SSLKEYLOGFILE)? Drop it with the capture to see inside HTTPS." }</p>
                <button type="button" class="primary" {onclick} data-testid="pick-file">{ "Choose a file…" }</button>
            </div>
            <p class="privacy" data-testid="privacy">
                <svg width="14" height="14" viewBox="0 0 16 16" aria-hidden="true"><path d="M4 7V5a4 4 0 0 1 8 0v2h1v8H3V7zm2 0h4V5a2 2 0 0 0-4 0z" fill="currentColor"/></svg>
                { " The file never leaves your browser: it is analysed on this device, in WebAssembly. Nothing is uploaded, and the page works offline once loaded." }
            </p>
            if !p.samples.is_empty() {
                <section class="samples" aria-labelledby="samples-title">
                    <h2 id="samples-title">{ "Try a sample" }</h2>
                    <p class="muted">{ "Real captures from the project's lab: headless Chromium loading pages from nginx on loopback." }</p>
                    <ul>
                        { for p.samples.iter().map(|s| {
                            let cb = p.on_sample.clone();
                            let sample = s.clone();
                            let onclick = Callback::from(move |_: MouseEvent| cb.emit(sample.clone()));
                            let with_keys = s.keys.as_ref().map(|_| {
                                let cb = p.on_sample_keys.clone();
                                let sample = s.clone();
                                let onclick = Callback::from(move |_: MouseEvent| cb.emit(sample.clone()));
                                html! {
                                    <button type="button" class="sample-keys" {onclick} data-sample-keys={s.file.clone()}
                                            aria-label={format!("{} with its key log", s.title)}>{ "with key log" }</button>
                                }
                            });
                            html! {
                                <li>
                                    <button type="button" class="sample" {onclick} data-sample={s.file.clone()}>
                                        <span class="sample-title">{ s.title.clone() }</span>
                                        <span class="sample-desc">{ s.description.clone() }</span>
                                    </button>
                                    { for with_keys }
                                </li>
                            }
                        }) }
                    </ul>
                </section>
            }
        </section>
    }
}
