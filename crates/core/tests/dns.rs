//! DNS on real captures: lookups attached to the connections they served, shown before them.

mod common;

#[test]
fn lookups_precede_the_connections_they_served() {
    let p = common::corpus_dir().join("zeek-wikipedia-pageload.pcap");
    if !p.exists() {
        eprintln!("SKIPPED: {} not found", p.display());
        return;
    }
    let r = common::analyze(&p);
    let served: Vec<_> = r
        .connections
        .iter()
        .filter(|c| c.transport == "tcp")
        .filter_map(|c| Some((c, c.phases.iter().find(|p| p.kind == "dns")?)))
        .collect();
    assert!(
        !served.is_empty(),
        "no connection shows the lookup that served it"
    );
    for (c, p) in &served {
        // The lookup (query → answer) ends before the connection's first packet, and its name
        // is the connection's host.
        assert!(p.start <= p.end && p.end <= c.start, "#{}: {p:?}", c.stream);
        let q = r
            .connections
            .iter()
            .filter_map(|d| d.dns.as_ref())
            .flat_map(|d| d.queries.iter())
            .find(|q| q.frame == p.first_frame)
            .expect("the phase starts at a query's frame");
        assert_eq!(Some(q.name.as_str()), c.host.as_deref(), "#{}", c.stream);
        assert_eq!(q.response_ts, Some(p.end));
    }
    // Each answer serves one connection: later connections to the same address show no lookup.
    let frames: std::collections::BTreeSet<u64> =
        served.iter().map(|(_, p)| p.first_frame).collect();
    assert_eq!(frames.len(), served.len());
}
