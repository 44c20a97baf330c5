//! Small browser helpers: downloads, clipboard, media queries, fetching bundled files.

use js_sys::{Array, Uint8Array};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{Blob, BlobPropertyBag, HtmlAnchorElement};

pub fn window() -> web_sys::Window {
    web_sys::window().expect("a window")
}

pub fn document() -> web_sys::Document {
    window().document().expect("a document")
}

pub fn js_text(e: &JsValue) -> String {
    if let Some(err) = e.dyn_ref::<js_sys::Error>() {
        return String::from(err.message());
    }
    e.as_string().unwrap_or_else(|| format!("{e:?}"))
}

/// Offers bytes as a file download (a `blob:` URL on a temporary link; nothing is uploaded).
pub fn download(parts: &JsValue, name: &str, mime: &str) -> Result<(), String> {
    let bag = BlobPropertyBag::new();
    bag.set_type(mime);
    let blob =
        Blob::new_with_u8_array_sequence_and_options(parts, &bag).map_err(|e| js_text(&e))?;
    let url = web_sys::Url::create_object_url_with_blob(&blob).map_err(|e| js_text(&e))?;
    let a: HtmlAnchorElement = document()
        .create_element("a")
        .map_err(|e| js_text(&e))?
        .unchecked_into();
    a.set_href(&url);
    a.set_download(name);
    a.set_rel("noopener");
    let body = document().body().ok_or("no body")?;
    let _ = body.append_child(&a);
    a.click();
    a.remove();
    // Revoke later: revoking at once can cancel the download in some browsers.
    gloo_timers::callback::Timeout::new(60_000, move || {
        let _ = web_sys::Url::revoke_object_url(&url);
    })
    .forget();
    Ok(())
}

pub fn download_bytes(bytes: &Uint8Array, name: &str, mime: &str) -> Result<(), String> {
    download(&Array::of1(bytes), name, mime)
}

pub fn download_text(text: &str, name: &str, mime: &str) -> Result<(), String> {
    download(&Array::of1(&JsValue::from_str(text)), name, mime)
}

/// Copies text to the clipboard.
pub async fn copy_text(text: &str) -> Result<(), String> {
    let clipboard = window().navigator().clipboard();
    JsFuture::from(clipboard.write_text(text))
        .await
        .map(|_| ())
        .map_err(|e| js_text(&e))
}

/// Whether the viewport is narrow (phone layout; same breakpoint as `style.css`).
pub fn narrow() -> bool {
    window()
        .match_media("(max-width: 640px)")
        .ok()
        .flatten()
        .map(|m| m.matches())
        .unwrap_or(false)
}

async fn fetch(url: &str) -> Result<web_sys::Response, String> {
    let resp = JsFuture::from(window().fetch_with_str(url))
        .await
        .map_err(|e| js_text(&e))?;
    let resp: web_sys::Response = resp.unchecked_into();
    if !resp.ok() {
        return Err(format!("{url}: HTTP {}", resp.status()));
    }
    Ok(resp)
}

/// Fetches a same-origin file (relative URL) as a Blob.
pub async fn fetch_blob(url: &str) -> Result<Blob, String> {
    let resp = fetch(url).await?;
    let blob = JsFuture::from(resp.blob().map_err(|e| js_text(&e))?)
        .await
        .map_err(|e| js_text(&e))?;
    Ok(blob.unchecked_into())
}

/// The first `n` bytes of a file (to tell a capture from a key log without reading it whole).
pub async fn read_head(blob: &Blob, n: i32) -> Result<Vec<u8>, String> {
    let part = blob.slice_with_i32_and_i32(0, n).map_err(|e| js_text(&e))?;
    let buf = JsFuture::from(part.array_buffer())
        .await
        .map_err(|e| js_text(&e))?;
    Ok(Uint8Array::new(&buf).to_vec())
}

/// Fetches and parses a same-origin JSON file (relative URL).
pub async fn fetch_json(url: &str) -> Result<JsValue, String> {
    let resp = fetch(url).await?;
    JsFuture::from(resp.json().map_err(|e| js_text(&e))?)
        .await
        .map_err(|e| js_text(&e))
}

pub fn get(obj: &JsValue, key: &str) -> JsValue {
    js_sys::Reflect::get(obj, &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED)
}

pub fn get_str(obj: &JsValue, key: &str) -> Option<String> {
    get(obj, key).as_string()
}

pub fn get_f64(obj: &JsValue, key: &str) -> Option<f64> {
    get(obj, key).as_f64()
}

/// Sets a CSS property through the CSSOM (allowed by the page's `style-src 'self'`, unlike a
/// `style` attribute).
pub fn set_style(el: &web_sys::Element, prop: &str, value: &str) {
    if let Some(el) = el.dyn_ref::<web_sys::HtmlElement>() {
        let _ = el.style().set_property(prop, value);
    } else if let Some(el) = el.dyn_ref::<web_sys::SvgElement>() {
        let _ = el.style().set_property(prop, value);
    }
}
