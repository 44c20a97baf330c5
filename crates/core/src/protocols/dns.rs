//! DNS messages (simple-dns): queries and answers on a flow, and the names each address was
//! given, so a connection without SNI or Host still gets a host name.

use simple_dns::rdata::{RData, SVCParam};
use simple_dns::{Packet, PacketFlag, QTYPE};

/// Queries kept per flow.
const MAX_QUERIES: usize = 256;

/// A DNS message reduced to what the report uses.
#[derive(Debug, Clone)]
pub struct Message {
    pub id: u16,
    pub response: bool,
    /// (name, type) of the first question.
    pub question: Option<(String, String)>,
    pub rcode: String,
    /// Answers as text, in order.
    pub answers: Vec<String>,
    /// Addresses (A/AAAA answers) with the question name they answer.
    pub addresses: Vec<std::net::IpAddr>,
}

/// Parses a DNS message; `None` when it is not one.
pub fn parse(payload: &[u8]) -> Option<Message> {
    let p = Packet::parse(payload).ok()?;
    let question = p.questions.first().map(|q| {
        let ty = match q.qtype {
            QTYPE::TYPE(t) => format!("{t:?}"),
            other => format!("{other:?}"),
        };
        (q.qname.to_string(), ty)
    });
    let mut answers = Vec::new();
    let mut addresses = Vec::new();
    for rr in p.answers.iter().take(64) {
        match &rr.rdata {
            RData::A(a) => {
                let ip = std::net::Ipv4Addr::from(a.address);
                addresses.push(ip.into());
                answers.push(ip.to_string());
            }
            RData::AAAA(a) => {
                let ip = std::net::Ipv6Addr::from(a.address);
                addresses.push(ip.into());
                answers.push(ip.to_string());
            }
            RData::CNAME(c) => answers.push(format!("CNAME {}", c.0)),
            RData::HTTPS(simple_dns::rdata::HTTPS(s)) | RData::SVCB(s) => {
                // The target "." (the owner name itself) prints as an empty name.
                let target = s.target.to_string();
                let target = if target.is_empty() {
                    "."
                } else {
                    target.as_str()
                };
                let mut text = format!("HTTPS {} {target}", s.priority);
                if let Some(SVCParam::Alpn(alpn)) = s.get_param(1) {
                    let list: Vec<String> = alpn.iter().map(|a| a.to_string()).collect();
                    text.push_str(&format!(" alpn={}", list.join(",")));
                }
                if let Some(SVCParam::Ipv6Hint(hints)) = s.get_param(6) {
                    let list: Vec<String> = hints
                        .iter()
                        .map(|h| std::net::Ipv6Addr::from(*h).to_string())
                        .collect();
                    text.push_str(&format!(" ipv6hint={}", list.join(",")));
                }
                if let Some(SVCParam::Ipv4Hint(hints)) = s.get_param(4) {
                    let list: Vec<String> = hints
                        .iter()
                        .map(|h| std::net::Ipv4Addr::from(*h).to_string())
                        .collect();
                    text.push_str(&format!(" ipv4hint={}", list.join(",")));
                }
                answers.push(text);
            }
            other => answers.push(format!("{:?}", other.type_code())),
        }
    }
    Some(Message {
        id: p.id(),
        response: p.has_flags(PacketFlag::RESPONSE),
        question,
        rcode: format!("{:?}", p.rcode()),
        answers,
        addresses,
    })
}

/// One query and its answer on a flow.
#[derive(Debug, Clone)]
pub struct Query {
    pub id: u16,
    pub name: String,
    pub qtype: String,
    pub frame: u64,
    pub ts: crate::time::Ts,
    pub response: Option<(u64, crate::time::Ts)>,
    pub rcode: Option<String>,
    pub answers: Vec<String>,
}

/// DNS seen on one flow.
#[derive(Debug, Clone, Default)]
pub struct DnsFlow {
    pub queries: Vec<Query>,
    pub dropped: u64,
}

impl DnsFlow {
    pub fn message(&mut self, m: &Message, frame: u64, ts: crate::time::Ts) {
        if m.response {
            if let Some(q) = self
                .queries
                .iter_mut()
                .rev()
                .find(|q| q.id == m.id && q.response.is_none())
            {
                q.response = Some((frame, ts));
                q.rcode = Some(m.rcode.clone());
                q.answers = m.answers.clone();
                return;
            }
        }
        if self.queries.len() >= MAX_QUERIES {
            self.dropped = self.dropped.saturating_add(1);
            return;
        }
        let (name, qtype) = m.question.clone().unwrap_or_default();
        self.queries.push(Query {
            id: m.id,
            name,
            qtype,
            frame,
            ts,
            response: m.response.then_some((frame, ts)),
            rcode: m.response.then(|| m.rcode.clone()),
            answers: if m.response {
                m.answers.clone()
            } else {
                Vec::new()
            },
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use simple_dns::rdata::{HTTPS, SVCB};
    use simple_dns::{CharacterString, Name, Question, ResourceRecord, CLASS, QCLASS, TYPE};

    /// An HTTPS record (RFC 9460) with `alpn` and `ipv6hint`, as a resolver sends it to a browser
    /// that then races QUIC (encoded with simple-dns, read back through `parse`).
    #[test]
    fn https_record_alpn_and_hints() {
        let mut p = Packet::new_reply(0x1234);
        p.questions.push(Question::new(
            Name::new_unchecked("a.test"),
            QTYPE::TYPE(TYPE::HTTPS),
            QCLASS::CLASS(CLASS::IN),
            false,
        ));
        let mut svcb = SVCB::new(1, Name::new_unchecked("."));
        svcb.set_alpn(&[
            CharacterString::new(b"h3").unwrap(),
            CharacterString::new(b"h2").unwrap(),
        ]);
        svcb.set_ipv6hint(&[0x2001_0db8_0000_0000_0000_0000_0000_0001]);
        p.answers.push(ResourceRecord::new(
            Name::new_unchecked("a.test"),
            CLASS::IN,
            300,
            RData::HTTPS(HTTPS(svcb)),
        ));
        let bytes = p.build_bytes_vec().unwrap();
        let m = parse(&bytes).unwrap();
        assert!(m.response);
        assert_eq!(m.question, Some(("a.test".into(), "HTTPS".into())));
        assert_eq!(
            m.answers,
            vec!["HTTPS 1 . alpn=h3,h2 ipv6hint=2001:db8::1".to_string()]
        );
        // Cut short: no panic, whatever the parser makes of it.
        let _ = parse(&bytes[..bytes.len() - 3]);
    }
}
