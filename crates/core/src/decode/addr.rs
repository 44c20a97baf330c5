//! IP addresses as compact, hashable, ordered values.

use std::fmt;

/// An IPv4 or IPv6 address. IPv4-mapped IPv6 stays IPv6: tshark keeps them apart too.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Debug)]
pub enum IpAddr {
    V4([u8; 4]),
    V6([u8; 16]),
}

impl IpAddr {
    pub fn is_v6(&self) -> bool {
        matches!(self, IpAddr::V6(_))
    }

    pub fn from_std(a: std::net::IpAddr) -> IpAddr {
        match a {
            std::net::IpAddr::V4(v4) => IpAddr::V4(v4.octets()),
            std::net::IpAddr::V6(v6) => IpAddr::V6(v6.octets()),
        }
    }

    /// Multicast or broadcast destinations never form client/server connections in the usual
    /// sense (mDNS, LLMNR, NetBIOS): the sender is the client.
    pub fn is_group(&self) -> bool {
        match self {
            IpAddr::V4(a) => (224..=239).contains(&a[0]) || a[3] == 255,
            IpAddr::V6(a) => a[0] == 0xff,
        }
    }
}

impl fmt::Display for IpAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            IpAddr::V4(a) => std::net::Ipv4Addr::from(*a).fmt(f),
            IpAddr::V6(a) => std::net::Ipv6Addr::from(*a).fmt(f),
        }
    }
}

/// `ip:port`, with IPv6 in brackets (as tshark and URLs write it).
pub fn endpoint_string(ip: &IpAddr, port: u16) -> String {
    if ip.is_v6() {
        format!("[{ip}]:{port}")
    } else {
        format!("{ip}:{port}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_like_tshark() {
        let v6: std::net::Ipv6Addr = "2001:6f8:102d:0:2d0:9ff:fee3:e8de".parse().unwrap();
        assert_eq!(
            IpAddr::V6(v6.octets()).to_string(),
            "2001:6f8:102d:0:2d0:9ff:fee3:e8de"
        );
        assert_eq!(
            endpoint_string(&IpAddr::V6(v6.octets()), 80),
            "[2001:6f8:102d:0:2d0:9ff:fee3:e8de]:80"
        );
        assert_eq!(IpAddr::V4([10, 0, 0, 1]).to_string(), "10.0.0.1");
    }
}
