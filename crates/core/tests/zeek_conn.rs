//! TCP `conn_state` and `history` against Zeek's own conn.log baselines (the oracle directory
//! holds them for some captures), and the client/server orientation Zeek chose.

mod common;

use std::collections::BTreeMap;

fn zeek_rows(stem: &str) -> Vec<BTreeMap<String, String>> {
    let path = common::corpus_dir()
        .join("oracle")
        .join(format!("{stem}.zeek-conn.log"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut fields: Vec<String> = Vec::new();
    let mut rows = Vec::new();
    for line in text.lines() {
        if let Some(f) = line.strip_prefix("#fields\t") {
            fields = f.split('\t').map(str::to_string).collect();
        } else if !line.starts_with('#') && !fields.is_empty() {
            rows.push(
                fields
                    .iter()
                    .cloned()
                    .zip(line.split('\t').map(str::to_string))
                    .collect(),
            );
        }
    }
    rows
}

#[test]
fn conn_state_and_history_match_zeek() {
    if common::corpus().is_none() {
        return;
    }
    let mut compared = 0;
    for stem in ["zeek-wikipedia-pageload", "zeek-irc-starttls-sll"] {
        let report = common::analyze(&common::corpus_dir().join(format!("{stem}.pcap")));
        for row in zeek_rows(stem)
            .iter()
            .filter(|r| r.get("proto").map(String::as_str) == Some("tcp"))
        {
            let port = |k: &str| row[k].parse::<u16>().unwrap();
            let c = report
                .connections
                .iter()
                .find(|c| {
                    c.transport == "tcp"
                        && c.client.ip == row["id.orig_h"]
                        && c.client.port == port("id.orig_p")
                        && c.server.ip == row["id.resp_h"]
                        && c.server.port == port("id.resp_p")
                })
                .unwrap_or_else(|| {
                    panic!(
                        "{stem}: no connection oriented as Zeek's {} {} → {} {}",
                        row["id.orig_h"], row["id.orig_p"], row["id.resp_h"], row["id.resp_p"]
                    )
                });
            let tcp = c.tcp.as_ref().unwrap();
            assert_eq!(
                tcp.conn_state, row["conn_state"],
                "{stem} stream {}",
                c.stream
            );
            assert_eq!(tcp.history, row["history"], "{stem} stream {}", c.stream);
            compared += 1;
        }
    }
    assert_eq!(compared, 11);
}
