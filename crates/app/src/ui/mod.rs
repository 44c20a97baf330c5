//! The Yew app: one component (`App`) owns the state and all side effects (the worker, file
//! input, downloads); the views below it are plain functions of their props.

mod detail;
mod dom;
mod filters;
mod landing;
mod list;
mod summary;
mod timeline;
mod vscroll;
mod worker;

use crate::codec::Assembler;
use crate::files;
use crate::format;
use crate::model::{self, Model, Query, Row};
use crate::svg;
use crate::waterfall::Window;
use detail::Detail;
use filters::Filters;
use gloo_events::EventListener;
use landing::{Landing, Sample};
use list::ConnList;
use std::rc::Rc;
use summary::Summary;
use timeline::Timeline;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::spawn_local;
use web_sys::{Blob, File, HtmlInputElement};
use worker::{WorkerEvent, WorkerHandle};
use yew::prelude::*;

/// Mounts the app on `<main id="app">` (replacing the "loading" text there).
pub fn start() {
    match dom::document().get_element_by_id("app") {
        Some(root) => {
            root.set_text_content(None);
            yew::Renderer::<App>::with_root(root).render();
        }
        None => {
            yew::Renderer::<App>::new().render();
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Tab {
    List,
    Waterfall,
}

/// What is being analysed: the capture and the key logs given with it (both stay files on this
/// device; the worker reads them).
#[derive(Clone)]
pub struct Source {
    name: String,
    blob: Blob,
    keylogs: Vec<(String, Blob)>,
}

struct Loaded {
    model: Rc<Model>,
    worker: Option<WorkerHandle>,
    generation: u32,
    /// Kept so that a key log added later can re-run the analysis.
    source: Source,
}

struct Loading {
    source: Source,
    bytes: f64,
    total: f64,
    packets: u64,
    connections: u64,
    finishing: bool,
    receiving: bool,
    assembler: Assembler,
    /// Search texts of the connections received so far (made batch by batch, see `Model`).
    search: Vec<String>,
    /// Host of each connection id (from the report head).
    group_host: Vec<u32>,
    worker: WorkerHandle,
    generation: u32,
}

pub struct App {
    loaded: Option<Loaded>,
    loading: Option<Loading>,
    samples: Rc<Vec<Sample>>,
    error: Option<String>,
    notice: Option<String>,
    dragging: bool,
    generation: u32,
    query: Query,
    rows: Rc<Vec<Row>>,
    tab: Tab,
    active: Option<usize>,
    selected: Option<u32>,
    refocus: bool,
    win: Window,
    narrow: bool,
    reset: u64,
    file_input: NodeRef,
    keylog_input: NodeRef,
    /// Callbacks made once, so that views whose other props did not change skip re-rendering.
    cb: Callbacks,
    _resize: EventListener,
}

struct Callbacks {
    query: Callback<Query>,
    active: Callback<usize>,
    open: Callback<u32>,
    nav: Callback<KeyboardEvent>,
    window: Callback<Window>,
    close_detail: Callback<()>,
}

pub enum Msg {
    Pick,
    PickKeylog,
    /// Files chosen in one of the file inputs (`true`: the key log input).
    Chosen(NodeRef, bool),
    Dropped(Vec<File>),
    /// Dropped or chosen files with their first bytes: a capture and/or key logs (`true`: all
    /// key logs, chosen with "Add key log…").
    Files(Vec<(File, Vec<u8>)>, bool),
    Drag(bool),
    Sample(Sample),
    /// A bundled sample together with its key log from the lab.
    SampleWithKeys(Sample),
    SampleFetched(Source),
    Failed(String),
    SamplesLoaded(Vec<Sample>),
    Worker(u32, WorkerEvent),
    Cancel,
    DismissError,
    Query(Query),
    Tab(Tab),
    Active(usize),
    Open(u32),
    CloseDetail,
    Nav(KeyboardEvent),
    Window(Window),
    ExportJson,
    ExportSvg,
    Resize,
}

fn parse_samples(v: &wasm_bindgen::JsValue) -> Vec<Sample> {
    let Some(arr) = v.dyn_ref::<js_sys::Array>() else {
        return Vec::new();
    };
    arr.iter()
        .filter_map(|s| {
            Some(Sample {
                file: dom::get_str(&s, "file")?,
                keys: dom::get_str(&s, "keys"),
                title: dom::get_str(&s, "title").unwrap_or_default(),
                description: dom::get_str(&s, "description").unwrap_or_default(),
                bytes: dom::get_f64(&s, "bytes").unwrap_or(0.0) as u64,
            })
        })
        .collect()
}

impl App {
    fn model(&self) -> Option<&Rc<Model>> {
        self.loaded.as_ref().map(|l| &l.model)
    }

    /// Reads the first bytes of each file, then sorts them into the capture and key logs.
    fn sniff(&self, ctx: &Context<Self>, files: Vec<File>, keylogs_only: bool) {
        let link = ctx.link().clone();
        spawn_local(async move {
            let mut out = Vec::with_capacity(files.len());
            for f in files {
                match dom::read_head(&f, files::SNIFF_BYTES as i32).await {
                    Ok(head) => out.push((f, head)),
                    Err(e) => {
                        return link
                            .send_message(Msg::Failed(format!("Cannot read {}: {e}", f.name())))
                    }
                }
            }
            link.send_message(Msg::Files(out, keylogs_only));
        });
    }

    /// A capture with key logs, or key logs alone for the capture on screen.
    fn open_files(&mut self, ctx: &Context<Self>, files: Vec<(File, Vec<u8>)>, keylogs_only: bool) {
        let named: Vec<(String, Vec<u8>)> =
            files.iter().map(|(f, h)| (f.name(), h.clone())).collect();
        let choice = if keylogs_only {
            files::Choice {
                capture: None,
                keylogs: (0..files.len()).collect(),
            }
        } else {
            match files::choose(&named) {
                Ok(c) => c,
                Err(e) => {
                    self.error = Some(e);
                    return;
                }
            }
        };
        let keylogs: Vec<(String, Blob)> = choice
            .keylogs
            .iter()
            .map(|&i| (files[i].0.name(), files[i].0.clone().into()))
            .collect();
        match choice.capture {
            Some(i) => {
                let f = &files[i].0;
                self.analyze(
                    ctx,
                    Source {
                        name: f.name(),
                        blob: f.clone().into(),
                        keylogs,
                    },
                );
            }
            None if self.loading.is_some() => {
                self.error = Some(
                    "A file is being analysed: add the key log when it is done.".into(),
                )
            }
            None => match self.loaded.as_ref().map(|l| l.source.clone()) {
                Some(mut source) => {
                    // Added afterwards: the same capture again, with every key log so far.
                    source.keylogs.extend(keylogs);
                    self.analyze(ctx, source);
                }
                None => {
                    self.error = Some(
                        "A key log alone has nothing to decrypt: drop it together with its capture, or open the capture first."
                            .into(),
                    )
                }
            },
        }
    }

    fn analyze(&mut self, ctx: &Context<Self>, source: Source) {
        let blob = source.blob.clone();
        self.generation += 1;
        let generation = self.generation;
        let cb = ctx.link().callback(move |e| Msg::Worker(generation, e));
        let worker = match WorkerHandle::spawn(cb) {
            Ok(w) => w,
            Err(e) => {
                self.error = Some(format!("Cannot start the analysis worker: {e}"));
                return;
            }
        };
        let keylogs: Vec<Blob> = source.keylogs.iter().map(|(_, b)| b.clone()).collect();
        if let Err(e) = worker.analyze(&blob, &keylogs) {
            self.error = Some(format!("Cannot hand the file to the worker: {e}"));
            return;
        }
        self.error = None;
        self.notice = None;
        self.selected = None;
        self.loading = Some(Loading {
            source,
            bytes: 0.0,
            total: blob.size(),
            packets: 0,
            connections: 0,
            finishing: false,
            receiving: false,
            assembler: Assembler::default(),
            search: Vec::new(),
            group_host: Vec::new(),
            worker,
            generation,
        });
    }

    fn fetch_sample(&self, ctx: &Context<Self>, s: Sample, with_keys: bool) {
        let link = ctx.link().clone();
        spawn_local(async move {
            let fail = |e: String| Msg::Failed(format!("Cannot load the sample {}: {e}", s.file));
            let blob = match dom::fetch_blob(&format!("samples/{}", s.file)).await {
                Ok(b) => b,
                Err(e) => return link.send_message(fail(e)),
            };
            let mut keylogs = Vec::new();
            if let (true, Some(keys)) = (with_keys, &s.keys) {
                match dom::fetch_blob(&format!("samples/{keys}")).await {
                    Ok(b) => keylogs.push((keys.clone(), b)),
                    Err(e) => return link.send_message(fail(e)),
                }
            }
            link.send_message(Msg::SampleFetched(Source {
                name: s.file.clone(),
                blob,
                keylogs,
            }));
        });
    }

    fn set_rows(&mut self) {
        if let Some(m) = self.model() {
            self.rows = Rc::new(model::rows(m, &self.query));
        }
        self.active = None;
        self.reset += 1;
    }

    fn finish_loading(&mut self, ms: f64, wasm_memory_bytes: f64) {
        let Some(loading) = self.loading.take() else {
            return;
        };
        let Loading {
            source,
            total,
            assembler,
            worker,
            generation,
            search,
            ..
        } = loading;
        match assembler.finish() {
            Ok(report) => {
                let keylogs = source.keylogs.iter().map(|(n, _)| n.clone()).collect();
                let model = Rc::new(
                    Model::new(report, source.name.clone(), total as u64, ms)
                        .with_search_texts(search)
                        .with_keylogs(keylogs)
                        .with_wasm_memory(wasm_memory_bytes),
                );
                self.win = Window {
                    origin: model.t0,
                    from: 0.0,
                    to: model.duration().max(0.001),
                };
                dom::document().set_title(&format!("{} — Connscope", model.file_name));
                self.loaded = Some(Loaded {
                    model,
                    worker: Some(worker),
                    generation,
                    source,
                });
                self.query = Query::default();
                self.selected = None;
                self.set_rows();
            }
            Err(e) => self.error = Some(format!("The analysis failed: {e}")),
        }
    }

    fn on_worker(&mut self, generation: u32, ev: WorkerEvent) -> bool {
        if let Some(l) = self.loading.as_mut().filter(|l| l.generation == generation) {
            let step = match ev {
                WorkerEvent::Ready => Ok(false),
                WorkerEvent::Progress {
                    bytes,
                    total,
                    packets,
                    connections,
                } => {
                    l.bytes = bytes;
                    l.total = total;
                    l.packets = packets;
                    l.connections = connections;
                    Ok(true)
                }
                WorkerEvent::Finishing => {
                    l.finishing = true;
                    Ok(true)
                }
                WorkerEvent::Head(b) => {
                    l.receiving = true;
                    l.assembler.head(&b).map(|_| {
                        if let Some(h) = l.assembler.head_ref() {
                            l.group_host = vec![u32::MAX; h.connections as usize];
                            for (g, host) in h.hosts.iter().enumerate() {
                                for &id in &host.connections {
                                    if let Some(slot) = l.group_host.get_mut(id as usize) {
                                        *slot = g as u32;
                                    }
                                }
                            }
                        }
                        true
                    })
                }
                WorkerEvent::Connections(b) => {
                    let from = l.assembler.received();
                    l.assembler.connections(&b).map(|_| {
                        // Spread the search index over the batches (one task each).
                        let hosts = l
                            .assembler
                            .head_ref()
                            .map(|h| h.hosts.as_slice())
                            .unwrap_or(&[]);
                        for c in &l.assembler.received_connections()[from..] {
                            let g = l.group_host.get(c.id as usize).copied().unwrap_or(u32::MAX);
                            let host = hosts.get(g as usize).map(|h| h.host.as_str());
                            l.search.push(model::search_text(c, host));
                        }
                        false
                    })
                }
                WorkerEvent::Done {
                    ms,
                    wasm_memory_bytes,
                } => {
                    self.finish_loading(ms, wasm_memory_bytes);
                    return true;
                }
                WorkerEvent::Json(_) => Ok(false),
                WorkerEvent::Error(e) => Err(e),
            };
            return match step {
                Ok(render) => render,
                Err(e) => {
                    let name = self
                        .loading
                        .take()
                        .map(|l| l.source.name)
                        .unwrap_or_default();
                    self.error = Some(format!("Analysing {name} failed: {e}"));
                    true
                }
            };
        }
        if let Some(l) = self.loaded.as_mut().filter(|l| l.generation == generation) {
            match ev {
                WorkerEvent::Json(bytes) => {
                    let name = format!("{}.connscope.json", l.model.file_name);
                    match dom::download_bytes(&bytes, &name, "application/json") {
                        Ok(()) => self.notice = Some(format!("Saved {name}")),
                        Err(e) => self.error = Some(format!("Export failed: {e}")),
                    }
                    return true;
                }
                WorkerEvent::Error(e) => {
                    // The worker behind the shown report failed (e.g. during an export): drop it.
                    l.worker = None;
                    self.error = Some(format!("The analysis worker failed: {e}"));
                    return true;
                }
                _ => {}
            }
        }
        false
    }

    /// Keyboard navigation over the rows (shared by the list and the waterfall).
    fn nav(&mut self, e: &KeyboardEvent) -> bool {
        let n = self.rows.len();
        if n == 0 {
            return false;
        }
        let is_conn = |i: usize| matches!(self.rows.get(i), Some(Row::Conn(_)));
        let find = |from: isize, step: isize| -> Option<usize> {
            let mut i = from;
            while i >= 0 && (i as usize) < n {
                if is_conn(i as usize) {
                    return Some(i as usize);
                }
                i += step;
            }
            None
        };
        let cur = self.active.map(|a| a as isize);
        let target = match e.key().as_str() {
            "ArrowDown" => find(cur.map_or(0, |c| c + 1), 1).or(self.active),
            "ArrowUp" => find(cur.map_or(0, |c| c - 1), -1).or(self.active),
            "PageDown" => find(cur.map_or(0, |c| (c + 15).min(n as isize - 1)), 1)
                .or_else(|| find(n as isize - 1, -1)),
            "PageUp" => find(cur.map_or(0, |c| (c - 15).max(0)), -1).or_else(|| find(0, 1)),
            "Home" => find(0, 1),
            "End" => find(n as isize - 1, -1),
            "Enter" | " " => {
                e.prevent_default();
                if let Some(Row::Conn(id)) = self.active.and_then(|a| self.rows.get(a)) {
                    self.selected = Some(*id);
                    return true;
                }
                return false;
            }
            "Escape" if self.selected.is_some() => {
                self.selected = None;
                return true;
            }
            _ => return false,
        };
        e.prevent_default();
        if target != self.active {
            self.active = target;
            if self.selected.is_some() {
                if let Some(Row::Conn(id)) = target.and_then(|a| self.rows.get(a)) {
                    self.selected = Some(*id);
                }
            }
            true
        } else {
            false
        }
    }

    fn view_progress(&self, ctx: &Context<Self>, l: &Loading) -> Html {
        let pct = if l.total > 0.0 {
            (l.bytes / l.total * 100.0).min(100.0)
        } else {
            0.0
        };
        let received = l.assembler.received();
        html! {
            <section class="progress-view" aria-labelledby="progress-title">
                <h2 id="progress-title">{ format!("Analysing {}", l.source.name) }</h2>
                <progress max="100" value={format!("{pct:.1}")} data-testid="progress" data-bytes={l.bytes.to_string()}
                          aria-label="Analysis progress"></progress>
                <p class="progress-text" data-testid="progress-text" aria-live="polite">
                    { format!("{} of {} ({:.0}%) · {} packets · {} connections",
                        format::bytes(l.bytes as u64), format::bytes(l.total as u64), pct,
                        format::count(l.packets), format::count(l.connections)) }
                </p>
                if l.receiving {
                    <p class="muted" data-testid="progress-phase">{ format!("Receiving the report: {} of {} connections", format::count(received as u64), format::count(l.assembler.expected().unwrap_or(0))) }</p>
                } else if l.finishing {
                    <p class="muted" data-testid="progress-phase">{ format!("All read. Building the report: following {} connections to their end and explaining each…", format::count(l.connections)) }</p>
                } else {
                    <p class="muted">{ "Reading in slices in a background worker: the page stays responsive, and the file stays on this device." }</p>
                }
                <button type="button" onclick={ctx.link().callback(|_| Msg::Cancel)} data-testid="cancel">{ "Cancel" }</button>
            </section>
        }
    }

    fn view_results(&self, ctx: &Context<Self>, m: &Rc<Model>) -> Html {
        let link = ctx.link();
        let shown = self
            .rows
            .iter()
            .filter(|r| matches!(r, Row::Conn(_)))
            .count();
        let on_active = self.cb.active.clone();
        let on_open = self.cb.open.clone();
        let onkeydown = self.cb.nav.clone();
        let tab = |t: Tab, label: &str, id: &str| {
            let selected = self.tab == t;
            html! {
                <button type="button" role="tab" id={format!("tab-{id}")} aria-controls={format!("panel-{id}")}
                        aria-selected={selected.to_string()} tabindex={if selected { "0" } else { "-1" }}
                        class={classes!("tab", selected.then_some("selected"))}
                        onclick={link.callback(move |_| Msg::Tab(t))}>{ label.to_string() }</button>
            }
        };
        let on_tabkey = link.batch_callback(|e: KeyboardEvent| match e.key().as_str() {
            "ArrowLeft" => Some(Msg::Tab(Tab::List)),
            "ArrowRight" => Some(Msg::Tab(Tab::Waterfall)),
            _ => None,
        });
        let row_height = if self.narrow { 58.0 } else { 34.0 };
        let generation = self.loaded.as_ref().map(|l| l.generation).unwrap_or(0);
        html! {
            <div class="results" data-testid="results" data-generation={generation.to_string()}>
                <Summary model={m.clone()} on_add_keylog={link.callback(|_| Msg::PickKeylog)} />
                <Filters model={m.clone()} query={self.query.clone()} {shown} on_change={self.cb.query.clone()} />
                <div class="tabs" role="tablist" aria-label="Views" onkeydown={on_tabkey}>
                    { tab(Tab::List, "Hosts and connections", "list") }
                    { tab(Tab::Waterfall, "Waterfall", "waterfall") }
                </div>
                if shown == 0 {
                    <p class="empty" data-testid="empty">{ if m.report.connections.is_empty() { "No connections in this capture." } else { "No connection matches the filters." } }</p>
                }
                { match self.tab {
                    Tab::List => html! {
                        <div class="tabpanel" role="tabpanel" id="panel-list" aria-labelledby="tab-list">
                            <ConnList model={m.clone()} rows={self.rows.clone()} {row_height} active={self.active} selected={self.selected}
                                      {on_active} {on_open} {onkeydown} reset={self.reset} />
                        </div>
                    },
                    Tab::Waterfall => html! {
                        <div class="tabpanel" role="tabpanel" id="panel-waterfall" aria-labelledby="tab-waterfall">
                            <Timeline model={m.clone()} rows={self.rows.clone()} win={self.win} on_window={self.cb.window.clone()}
                                      active={self.active} selected={self.selected} {on_active} {on_open} {onkeydown} reset={self.reset} />
                        </div>
                    },
                } }
                if let Some(id) = self.selected {
                    <Detail model={m.clone()} {id} on_close={self.cb.close_detail.clone()} on_select={self.cb.open.clone()} />
                }
            </div>
        }
    }
}

impl Component for App {
    type Message = Msg;
    type Properties = ();

    fn create(ctx: &Context<Self>) -> Self {
        let link = ctx.link().clone();
        spawn_local(async move {
            // Bundled samples (absent when serving a bare build: then the section hides).
            if let Ok(v) = dom::fetch_json("samples/index.json").await {
                link.send_message(Msg::SamplesLoaded(parse_samples(&v)));
            }
        });
        let link = ctx.link().clone();
        let resize = EventListener::new(&dom::window(), "resize", move |_| {
            link.send_message(Msg::Resize)
        });
        let link = ctx.link();
        let cb = Callbacks {
            query: link.callback(Msg::Query),
            active: link.callback(Msg::Active),
            open: link.callback(Msg::Open),
            nav: link.callback(Msg::Nav),
            window: link.callback(Msg::Window),
            close_detail: link.callback(|_| Msg::CloseDetail),
        };
        App {
            loaded: None,
            loading: None,
            samples: Rc::new(Vec::new()),
            error: None,
            notice: None,
            dragging: false,
            generation: 0,
            query: Query::default(),
            rows: Rc::new(Vec::new()),
            tab: Tab::List,
            active: None,
            selected: None,
            refocus: false,
            win: Window {
                origin: 0.0,
                from: 0.0,
                to: 1.0,
            },
            narrow: dom::narrow(),
            reset: 0,
            file_input: NodeRef::default(),
            keylog_input: NodeRef::default(),
            cb,
            _resize: resize,
        }
    }

    fn update(&mut self, ctx: &Context<Self>, msg: Msg) -> bool {
        match msg {
            Msg::Pick => {
                if let Some(input) = self.file_input.cast::<HtmlInputElement>() {
                    input.click();
                }
                false
            }
            Msg::PickKeylog => {
                if let Some(input) = self.keylog_input.cast::<HtmlInputElement>() {
                    input.click();
                }
                false
            }
            Msg::Chosen(input, keylogs_only) => {
                let input = input.cast::<HtmlInputElement>();
                let files = input
                    .as_ref()
                    .and_then(|i| i.files())
                    .map(|l| (0..l.length()).filter_map(|i| l.get(i)).collect::<Vec<_>>())
                    .unwrap_or_default();
                if !files.is_empty() {
                    self.sniff(ctx, files, keylogs_only);
                }
                if let Some(i) = input {
                    // Choosing the same file again must fire `change` again.
                    i.set_value("");
                }
                false
            }
            Msg::Dropped(files) => {
                self.dragging = false;
                if files.is_empty() {
                    self.error = Some("Nothing to open: drop a capture file.".into());
                } else {
                    self.sniff(ctx, files, false);
                }
                true
            }
            Msg::Files(files, keylogs_only) => {
                self.open_files(ctx, files, keylogs_only);
                true
            }
            Msg::Drag(on) => {
                let changed = self.dragging != on;
                self.dragging = on;
                changed
            }
            Msg::Sample(s) => {
                self.fetch_sample(ctx, s, false);
                false
            }
            Msg::SampleWithKeys(s) => {
                self.fetch_sample(ctx, s, true);
                false
            }
            Msg::SampleFetched(source) => {
                self.analyze(ctx, source);
                true
            }
            Msg::Failed(e) => {
                self.error = Some(e);
                true
            }
            Msg::SamplesLoaded(s) => {
                self.samples = Rc::new(s);
                true
            }
            Msg::Worker(generation, ev) => self.on_worker(generation, ev),
            Msg::Cancel => {
                if let Some(l) = self.loading.take() {
                    self.notice = Some(format!("Cancelled the analysis of {}.", l.source.name));
                }
                true
            }
            Msg::DismissError => {
                self.error = None;
                self.notice = None;
                true
            }
            Msg::Query(q) => {
                self.query = q;
                self.set_rows();
                true
            }
            Msg::Tab(t) => {
                let changed = self.tab != t;
                self.tab = t;
                changed
            }
            Msg::Active(i) => {
                let changed = self.active != Some(i);
                self.active = Some(i);
                changed
            }
            Msg::Open(id) => {
                self.selected = Some(id);
                if let Some(i) = self.rows.iter().position(|r| *r == Row::Conn(id)) {
                    self.active = Some(i);
                }
                true
            }
            Msg::CloseDetail => {
                self.selected = None;
                self.refocus = true;
                true
            }
            Msg::Nav(e) => self.nav(&e),
            Msg::Window(w) => {
                let changed = w != self.win;
                self.win = w;
                changed
            }
            Msg::ExportJson => {
                match self.loaded.as_ref().and_then(|l| l.worker.as_ref()) {
                    Some(w) => {
                        if let Err(e) = w.export_json() {
                            self.error = Some(format!("Export failed: {e}"));
                        }
                    }
                    None => {
                        self.error = Some(
                            "Export failed: the analysis worker is gone; open the file again."
                                .into(),
                        )
                    }
                }
                true
            }
            Msg::ExportSvg => {
                if let Some(m) = self.model() {
                    let text = svg::export(m, &self.rows, &self.win);
                    let name = format!("{}.waterfall.svg", m.file_name);
                    match dom::download_text(&text, &name, "image/svg+xml") {
                        Ok(()) => self.notice = Some(format!("Saved {name}")),
                        Err(e) => self.error = Some(format!("Export failed: {e}")),
                    }
                }
                true
            }
            Msg::Resize => {
                let n = dom::narrow();
                let changed = n != self.narrow;
                self.narrow = n;
                changed
            }
        }
    }

    fn view(&self, ctx: &Context<Self>) -> Html {
        let link = ctx.link();
        let ondragover = link.callback(|e: DragEvent| {
            e.prevent_default();
            if let Some(dt) = e.data_transfer() {
                dt.set_drop_effect("copy");
            }
            Msg::Drag(true)
        });
        let ondragleave = link.batch_callback(|e: DragEvent| {
            e.related_target().is_none().then_some(Msg::Drag(false))
        });
        let ondrop = link.callback(|e: DragEvent| {
            e.prevent_default();
            let files = e
                .data_transfer()
                .and_then(|dt| dt.files())
                .map(|l| (0..l.length()).filter_map(|i| l.get(i)).collect())
                .unwrap_or_default();
            Msg::Dropped(files)
        });
        let busy = self.loading.is_some();
        let file_input = self.file_input.clone();
        let keylog_input = self.keylog_input.clone();
        let content = if let Some(l) = &self.loading {
            self.view_progress(ctx, l)
        } else if let Some(m) = self.model() {
            self.view_results(ctx, m)
        } else {
            html! { <Landing samples={self.samples.clone()} dragging={self.dragging} on_pick={link.callback(|_| Msg::Pick)}
            on_sample={link.callback(Msg::Sample)} on_sample_keys={link.callback(Msg::SampleWithKeys)} /> }
        };
        html! {
            <div class={classes!("app", self.dragging.then_some("dragging"))} {ondragover} {ondragleave} {ondrop}>
                <header class="topbar">
                    <a class="brand" href="./" aria-label="Connscope home">
                        <svg width="22" height="22" viewBox="0 0 24 24" aria-hidden="true">
                            <rect x="2" y="4" width="8" height="4" rx="1" fill="#FF9800"/><rect x="6" y="10" width="10" height="4" rx="1" fill="#9C27B0"/><rect x="10" y="16" width="12" height="4" rx="1" fill="#03A9F4"/>
                        </svg>
                        <span>{ "Connscope" }</span>
                    </a>
                    <span class="tagline">{ "why each connection in a capture exists" }</span>
                    if self.loaded.is_some() && !busy {
                        <nav class="actions" aria-label="File actions">
                            <button type="button" onclick={link.callback(|_| Msg::Pick)} data-testid="open-another">{ "Open…" }</button>
                            <button type="button" onclick={link.callback(|_| Msg::PickKeylog)} data-testid="add-keylog"
                                    title="A TLS key log (SSLKEYLOGFILE) for this capture: its TLS and QUIC connections are decrypted on this device">{ "Add key log…" }</button>
                            <button type="button" onclick={link.callback(|_| Msg::ExportJson)} data-testid="export-json">{ "Export JSON" }</button>
                            <button type="button" onclick={link.callback(|_| Msg::ExportSvg)} data-testid="export-svg">{ "Export SVG" }</button>
                        </nav>
                    }
                </header>
                <input type="file" multiple=true ref={self.file_input.clone()} class="visually-hidden" tabindex="-1" aria-hidden="true"
                       data-testid="file-input" onchange={link.callback(move |_: Event| Msg::Chosen(file_input.clone(), false))} />
                <input type="file" multiple=true ref={self.keylog_input.clone()} class="visually-hidden" tabindex="-1" aria-hidden="true"
                       data-testid="keylog-input" onchange={link.callback(move |_: Event| Msg::Chosen(keylog_input.clone(), true))} />
                if let Some(e) = &self.error {
                    <div class="banner error" role="alert" data-testid="error">
                        <span>{ e.clone() }</span>
                        <button type="button" class="icon" aria-label="Dismiss" onclick={link.callback(|_| Msg::DismissError)}>{ "✕" }</button>
                    </div>
                }
                if let Some(n) = &self.notice {
                    <div class="banner notice" role="status" data-testid="notice">
                        <span>{ n.clone() }</span>
                        <button type="button" class="icon" aria-label="Dismiss" onclick={link.callback(|_| Msg::DismissError)}>{ "✕" }</button>
                    </div>
                }
                <div class="content">{ content }</div>
                <footer class="footer">
                    { format!("Connscope {} · everything runs in this page: no upload, no tracking, works offline", env!("CARGO_PKG_VERSION")) }
                </footer>
            </div>
        }
    }

    fn rendered(&mut self, _ctx: &Context<Self>, _first_render: bool) {
        if self.refocus {
            self.refocus = false;
            if let Ok(Some(el)) = dom::document().query_selector(".tabpanel .vscroll") {
                if let Some(el) = el.dyn_ref::<web_sys::HtmlElement>() {
                    let _ = el.focus();
                }
            }
        }
    }
}
