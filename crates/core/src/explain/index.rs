//! Lookups the rules need about *other* connections, built once per report so that explaining
//! n connections costs about n·log n, not n² (a 1 GB capture holds 10⁵ connections).
//!
//! Every list holds view positions sorted by when the connection opened, so a rule reads a
//! time window with two binary searches. Lists that a rule walks are cut to the most recent
//! [`LOOKBACK`] entries: a browser keeps at most 6 connections per host, and a group holding
//! hundreds (a load test, a scanner) is explained from its recent neighbours only.

use super::view::View;
use hashbrown::HashMap;

/// How many earlier connections of one group (or one time window) a rule looks at.
pub const LOOKBACK: usize = 256;

type Views<'a> = Vec<&'a View<'a>>;
type Timed<'a> = Vec<(f64, u64, &'a View<'a>)>;
type Redirect<'a> = (String, &'a View<'a>, u64, f64);

pub struct Index<'a> {
    /// Connections that could share requests (`View::group`), in opening order.
    groups: Vec<Views<'a>>,
    group_of: Vec<usize>,
    /// Same client, host name and port, any transport (QUIC next to TCP), in opening order.
    hosts: Vec<Views<'a>>,
    host_of: Vec<usize>,
    /// TCP connections by (server port, IPv6?), in opening order: Happy Eyeballs partners.
    tcp_by_port_family: HashMap<(u16, bool), Views<'a>>,
    /// Responses advertising HTTP/3, by (client, host name): (time, frame, view), by time.
    alt_svc: HashMap<(&'a str, &'a str), Timed<'a>>,
    /// DNS HTTPS answers advertising HTTP/3, by lower-case name: (time, frame, view), by time.
    https_records: HashMap<String, Timed<'a>>,
    /// Cleartext redirects to `https://...`, by client: (lower-case host, view, response frame,
    /// response time), by opening of the connection.
    https_redirects: HashMap<&'a str, Vec<Redirect<'a>>>,
    /// Connections by the target of their first request, by time of that request.
    by_first_target: HashMap<&'a str, Views<'a>>,
    by_id: HashMap<u32, &'a View<'a>>,
    /// The last packet of any connection: as far as the capture sees.
    capture_end: f64,
}

fn opening_order(a: &&View<'_>, b: &&View<'_>) -> std::cmp::Ordering {
    a.opened
        .total_cmp(&b.opened)
        .then(a.opened_frame.cmp(&b.opened_frame))
        .then(a.id.cmp(&b.id))
}

/// Gives each distinct key a dense id and collects its members in opening order.
fn bucket<'a, K: std::hash::Hash + Eq>(
    views: &'a [View<'a>],
    key: impl Fn(&'a View<'a>) -> K,
) -> (Vec<Views<'a>>, Vec<usize>) {
    let mut ids: HashMap<K, usize> = HashMap::new();
    let mut lists: Vec<Views<'a>> = Vec::new();
    let mut of = Vec::with_capacity(views.len());
    for v in views {
        let next = lists.len();
        let id = *ids.entry(key(v)).or_insert(next);
        if id == next {
            lists.push(Vec::new());
        }
        if let Some(list) = lists.get_mut(id) {
            list.push(v);
        }
        of.push(id);
    }
    for list in &mut lists {
        list.sort_by(opening_order);
    }
    (lists, of)
}

/// Host of an `https://` URL, lower-cased (what comes before the first `/`, `:`, `?` or `#`).
fn https_host(location: &str) -> Option<String> {
    let l = location.to_ascii_lowercase();
    let rest = l.strip_prefix("https://")?;
    let host = rest.split(['/', ':', '?', '#']).next()?;
    (!host.is_empty()).then(|| host.to_string())
}

impl<'a> Index<'a> {
    pub fn new(views: &'a [View<'a>]) -> Index<'a> {
        let (groups, group_of) = bucket(views, |v| v.group());
        let (hosts, host_of) = bucket(views, |v| {
            (v.client_ip, v.host_label.as_ref(), v.server_port)
        });
        let mut tcp_by_port_family: HashMap<(u16, bool), Views<'a>> = HashMap::new();
        let mut alt_svc: HashMap<(&str, &str), Timed<'a>> = HashMap::new();
        let mut https_records: HashMap<String, Timed<'a>> = HashMap::new();
        let mut https_redirects: HashMap<&str, Vec<Redirect<'a>>> = HashMap::new();
        let mut by_first_target: HashMap<&str, Views<'a>> = HashMap::new();
        let mut by_id = HashMap::with_capacity(views.len());
        for v in views {
            by_id.insert(v.id, v);
            if v.tcp {
                tcp_by_port_family
                    .entry((v.server_port, v.ipv6))
                    .or_default()
                    .push(v);
            }
            if let (Some((ts, frame)), false) = (v.alt_svc_h3, v.quic) {
                alt_svc
                    .entry((v.client_ip, v.host_label.as_ref()))
                    .or_default()
                    .push((ts, frame, v));
            }
            for (name, ts, frame) in v.https_records_h3() {
                https_records
                    .entry(name.to_ascii_lowercase())
                    .or_default()
                    .push((ts, frame, v));
            }
            if !v.tls {
                for (location, frame, ts) in v.redirects() {
                    if let Some(host) = https_host(location) {
                        https_redirects
                            .entry(v.client_ip)
                            .or_default()
                            .push((host, v, frame, ts));
                    }
                }
            }
            if let (Some(t), Some(_)) = (v.first_target, v.requests.first()) {
                by_first_target.entry(t).or_default().push(v);
            }
        }
        for list in tcp_by_port_family.values_mut() {
            list.sort_by(opening_order);
        }
        for list in alt_svc.values_mut().chain(https_records.values_mut()) {
            list.sort_by(|a, b| a.0.total_cmp(&b.0));
        }
        for list in https_redirects.values_mut() {
            list.sort_by(|a, b| a.1.opened.total_cmp(&b.1.opened));
        }
        for list in by_first_target.values_mut() {
            list.sort_by(|a, b| first_request(a).total_cmp(&first_request(b)));
        }
        Index {
            capture_end: views
                .iter()
                .map(|v| v.end)
                .fold(f64::NEG_INFINITY, f64::max),
            groups,
            group_of,
            hosts,
            host_of,
            tcp_by_port_family,
            alt_svc,
            https_records,
            https_redirects,
            by_first_target,
            by_id,
        }
    }

    /// Time of the last packet in the capture (of any connection).
    pub fn capture_end(&self) -> f64 {
        self.capture_end
    }

    pub fn by_id(&self, id: u32) -> Option<&'a View<'a>> {
        self.by_id.get(&id).copied()
    }

    /// The group of the view at position `pos`, in opening order.
    pub fn group(&self, pos: usize) -> &[&'a View<'a>] {
        self.group_of
            .get(pos)
            .and_then(|&g| self.groups.get(g))
            .map_or(&[], Vec::as_slice)
    }

    /// Same client, host name and port as the view at `pos`, any transport, in opening order.
    pub fn host(&self, pos: usize) -> &[&'a View<'a>] {
        self.host_of
            .get(pos)
            .and_then(|&h| self.hosts.get(h))
            .map_or(&[], Vec::as_slice)
    }

    pub fn tcp_by_port_family(&self, port: u16, ipv6: bool) -> &[&'a View<'a>] {
        self.tcp_by_port_family
            .get(&(port, ipv6))
            .map_or(&[], Vec::as_slice)
    }

    /// Alt-Svc h3 advertisements to `client` for `host`, by time.
    pub fn alt_svc(&self, client: &'a str, host: &'a str) -> &[(f64, u64, &'a View<'a>)] {
        self.alt_svc.get(&(client, host)).map_or(&[], Vec::as_slice)
    }

    /// HTTPS records with h3 for `name` (lower case, as `View::host_label`), by time.
    pub fn https_records(&self, name: &str) -> &[(f64, u64, &'a View<'a>)] {
        self.https_records.get(name).map_or(&[], Vec::as_slice)
    }

    /// Cleartext connections of `client` redirected to `https://host` (`host` in lower case, as
    /// `View::host_label`), by opening: (view, response frame, response time).
    pub fn https_redirects<'s>(
        &'s self,
        client: &str,
        host: &'s str,
    ) -> impl DoubleEndedIterator<Item = (&'a View<'a>, u64, f64)> + 's {
        self.https_redirects
            .get(client)
            .map_or(&[][..], Vec::as_slice)
            .iter()
            .filter(move |r| r.0 == host)
            .map(|r| (r.1, r.2, r.3))
    }

    /// Connections whose first request asked for `target`, by time of that request.
    pub fn by_first_target(&self, target: &str) -> &[&'a View<'a>] {
        self.by_first_target.get(target).map_or(&[], Vec::as_slice)
    }
}

fn first_request(v: &View<'_>) -> f64 {
    v.requests.first().map_or(0.0, |r| r.0)
}

fn tail<T>(list: &[T], start: usize, end: usize) -> &[T] {
    list.get(start.max(end.saturating_sub(LOOKBACK))..end)
        .unwrap_or(&[])
}

/// The members of `list` (in opening order) that opened strictly before `(t, frame)`: the most
/// recent [`LOOKBACK`] of them.
pub fn before<'l, 'a>(list: &'l [&'a View<'a>], t: f64, frame: u64) -> &'l [&'a View<'a>] {
    let end = list.partition_point(|v| (v.opened, v.opened_frame) < (t, frame));
    tail(list, 0, end)
}

/// The members of `list` (in opening order) that opened within `[from, to]`: the latest
/// [`LOOKBACK`] of them.
pub fn opened_within<'l, 'a>(list: &'l [&'a View<'a>], from: f64, to: f64) -> &'l [&'a View<'a>] {
    let start = list.partition_point(|v| v.opened < from);
    let end = list.partition_point(|v| v.opened <= to).max(start);
    tail(list, start, end)
}

/// The members of a list sorted by their first request whose first request lies in `[from, to)`.
pub fn first_request_within<'l, 'a>(
    list: &'l [&'a View<'a>],
    from: f64,
    to: f64,
) -> &'l [&'a View<'a>] {
    let start = list.partition_point(|v| first_request(v) < from);
    let end = list.partition_point(|v| first_request(v) < to).max(start);
    tail(list, start, end)
}

/// Entries of a time-sorted list whose time lies in `[from, to]`.
pub fn timed_within<'l, 'a>(
    list: &'l [(f64, u64, &'a View<'a>)],
    from: f64,
    to: f64,
) -> &'l [(f64, u64, &'a View<'a>)] {
    let start = list.partition_point(|e| e.0 < from);
    let end = list.partition_point(|e| e.0 <= to).max(start);
    list.get(start..end).unwrap_or(&[])
}
