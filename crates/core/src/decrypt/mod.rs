//! Reading encrypted traffic with the session's own secrets: an NSS key log (SSLKEYLOGFILE, or
//! a pcapng Decryption Secrets Block) gives per-connection secrets, from which TLS 1.2/1.3
//! records (and QUIC packets) are decrypted. Secrets stay in memory and never reach the report.

pub mod crypto;
pub mod keylog;
pub mod quic;
pub mod tls;
