//! `cargo xtask serve [--port N] [--no-build]`: builds `dist/` and serves it on
//! http://127.0.0.1:8080 — a plain static server like the ones the page is deployed to, with the
//! MIME types the page needs (`application/wasm` for streaming compilation, `text/javascript`
//! for the module scripts). The e2e tests use the same server under a sub-path.

use crate::dist;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

pub fn main(args: &[String]) -> Result<(), String> {
    let mut port = 8080u16;
    let mut build = true;
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--port" => {
                port = it
                    .next()
                    .and_then(|p| p.parse().ok())
                    .ok_or("--port needs a number")?
            }
            "--no-build" => build = false,
            "--help" | "-h" => {
                println!("usage: cargo xtask serve [--port N] [--no-build]");
                return Ok(());
            }
            other => return Err(format!("serve: unknown option `{other}`")),
        }
    }
    let opts = dist::Options::default();
    let dir = if build { dist::build(&opts)? } else { opts.out };
    let listener =
        TcpListener::bind(("127.0.0.1", port)).map_err(|e| format!("127.0.0.1:{port}: {e}"))?;
    println!(
        "Connscope: http://127.0.0.1:{port}/  (serving {}; Ctrl-C to stop)",
        dir.display()
    );
    accept_loop(
        listener,
        Arc::new(Site {
            dir,
            prefix: "/".into(),
        }),
    );
    Ok(())
}

/// Serves `dir` under the URL path `prefix` (e.g. `/connscope/`) on an ephemeral port of
/// 127.0.0.1, in background threads; returns the address.
pub fn spawn(dir: PathBuf, prefix: &str) -> Result<SocketAddr, String> {
    let listener = TcpListener::bind("127.0.0.1:0").map_err(|e| format!("bind: {e}"))?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    let site = Arc::new(Site {
        dir,
        prefix: prefix.to_string(),
    });
    std::thread::spawn(move || accept_loop(listener, site));
    Ok(addr)
}

struct Site {
    dir: PathBuf,
    /// URL path the site lives under, starting and ending with `/`.
    prefix: String,
}

fn accept_loop(listener: TcpListener, site: Arc<Site>) {
    for stream in listener.incoming().flatten() {
        let site = site.clone();
        std::thread::spawn(move || {
            let _ = handle(stream, &site);
        });
    }
}

pub fn mime(path: &Path) -> &'static str {
    match path.extension().and_then(|e| e.to_str()).unwrap_or("") {
        "html" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "wasm" => "application/wasm",
        "json" => "application/json",
        "webmanifest" => "application/manifest+json",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "ico" => "image/x-icon",
        "txt" | "md" => "text/plain; charset=utf-8",
        "pcap" => "application/vnd.tcpdump.pcap",
        _ => "application/octet-stream",
    }
}

fn percent_decode(s: &str) -> Option<String> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            let h = std::str::from_utf8(b.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(h, 16).ok()?);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// The file for a URL path, or None (outside the site, `..`, not found).
fn resolve(site: &Site, url_path: &str) -> Option<PathBuf> {
    let rest = url_path.strip_prefix(&site.prefix)?;
    let rel = PathBuf::from(percent_decode(rest)?);
    if rel.components().any(|c| !matches!(c, Component::Normal(_))) {
        return None;
    }
    let mut path = site.dir.join(rel);
    if path.is_dir() {
        path = path.join("index.html");
    }
    path.is_file().then_some(path)
}

fn respond(
    stream: &mut TcpStream,
    status: &str,
    headers: &[(&str, String)],
    body: &[u8],
    head_only: bool,
) -> std::io::Result<()> {
    let mut h = format!(
        "HTTP/1.1 {status}\r\nContent-Length: {}\r\nConnection: close\r\n",
        body.len()
    );
    for (k, v) in headers {
        h.push_str(&format!("{k}: {v}\r\n"));
    }
    h.push_str("\r\n");
    stream.write_all(h.as_bytes())?;
    if !head_only {
        stream.write_all(body)?;
    }
    stream.flush()
}

fn handle(mut stream: TcpStream, site: &Site) -> std::io::Result<()> {
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut line = String::new();
    reader.read_line(&mut line)?;
    // Drain the headers (nothing in them matters here).
    loop {
        let mut h = String::new();
        if reader.read_line(&mut h)? == 0 || h == "\r\n" || h == "\n" {
            break;
        }
    }
    let mut parts = line.split_whitespace();
    let method = parts.next().unwrap_or("");
    let target = parts.next().unwrap_or("/");
    let path = target.split(['?', '#']).next().unwrap_or("/");
    if method != "GET" && method != "HEAD" {
        return respond(
            &mut stream,
            "405 Method Not Allowed",
            &[("Allow", "GET, HEAD".into())],
            b"",
            false,
        );
    }
    let head_only = method == "HEAD";
    if site.prefix != "/" && path == site.prefix.trim_end_matches('/') {
        return respond(
            &mut stream,
            "301 Moved Permanently",
            &[("Location", site.prefix.clone())],
            b"",
            head_only,
        );
    }
    match resolve(site, path) {
        Some(file) => {
            let mut body = Vec::new();
            std::fs::File::open(&file)?.read_to_end(&mut body)?;
            let headers = [
                ("Content-Type", mime(&file).to_string()),
                ("Cache-Control", "no-cache".to_string()),
                ("X-Content-Type-Options", "nosniff".to_string()),
            ];
            respond(&mut stream, "200 OK", &headers, &body, head_only)
        }
        None => respond(
            &mut stream,
            "404 Not Found",
            &[("Content-Type", "text/plain; charset=utf-8".into())],
            b"not found\n",
            head_only,
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolves_inside_the_site_only() {
        let dir = std::env::temp_dir().join(format!("connscope-serve-test-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("samples")).unwrap();
        std::fs::write(dir.join("index.html"), "x").unwrap();
        std::fs::write(dir.join("samples/a b.pcap"), "x").unwrap();
        let site = Site {
            dir: dir.clone(),
            prefix: "/p/".into(),
        };
        assert_eq!(resolve(&site, "/p/"), Some(dir.join("index.html")));
        assert_eq!(
            resolve(&site, "/p/samples/a%20b.pcap"),
            Some(dir.join("samples/a b.pcap"))
        );
        assert_eq!(resolve(&site, "/p/../etc/passwd"), None);
        assert_eq!(resolve(&site, "/p/%2e%2e/x"), None);
        assert_eq!(resolve(&site, "/index.html"), None);
        assert_eq!(mime(Path::new("a.wasm")), "application/wasm");
        std::fs::remove_dir_all(dir).unwrap();
    }
}
