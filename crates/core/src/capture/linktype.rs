//! LINKTYPE_* numbers (tcpdump.org/linktypes.html) the decoder understands, with the short names
//! Wireshark's `capinfos` prints.

pub const NULL: u32 = 0;
pub const ETHERNET: u32 = 1;
pub const PPP: u32 = 9;
/// Some systems write DLT_RAW's own values (12 or 14) instead of LINKTYPE_RAW.
pub const RAW_DLT12: u32 = 12;
pub const RAW_DLT14: u32 = 14;
pub const PPP_HDLC: u32 = 50;
pub const RAW: u32 = 101;
pub const LOOP: u32 = 108;
pub const LINUX_SLL: u32 = 113;
pub const IPV4: u32 = 228;
pub const IPV6: u32 = 229;
pub const LINUX_SLL2: u32 = 276;

/// Short name of a link type, or `linktype-N`.
pub fn name(link_type: u32) -> String {
    match link_type {
        NULL => "null",
        ETHERNET => "ether",
        PPP => "ppp",
        RAW_DLT12 | RAW_DLT14 | RAW => "rawip",
        PPP_HDLC => "ppp-hdlc",
        LOOP => "loop",
        LINUX_SLL => "linux-sll",
        IPV4 => "rawip4",
        IPV6 => "rawip6",
        LINUX_SLL2 => "linux-sll2",
        105 => "ieee-802-11",
        127 => "ieee-802-11-radiotap",
        u32::MAX => "invalid-interface",
        _ => return format!("linktype-{link_type}"),
    }
    .to_string()
}
