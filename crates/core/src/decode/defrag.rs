//! IP fragment reassembly on top of etherparse's `IpDefragBuf`, with the bounds its pool lacks:
//! a cap on datagrams in progress and an age limit, so a flood of first fragments costs a fixed
//! amount of memory.

use super::{DecodeError, IpAddr};
use crate::time::Ts;
use etherparse::defrag::IpDefragBuf;
use etherparse::{IpFragOffset, IpNumber};
use hashbrown::HashMap;

/// Datagrams reassembled at once (each up to 64 KiB).
const MAX_IN_PROGRESS: usize = 256;
/// Fragments older than this (capture time) are given up (Linux's ipfrag_time is 30 s).
const MAX_AGE_NS: i64 = 30_000_000_000;

#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub struct FragKey {
    pub src: IpAddr,
    pub dst: IpAddr,
    pub id: u32,
    pub proto: u8,
}

#[derive(Default)]
pub struct Defragmenter {
    in_progress: HashMap<FragKey, (IpDefragBuf, Ts)>,
    /// The last completed datagram (borrowed by the packet being decoded).
    done: Vec<u8>,
    spare: Vec<(Vec<u8>, Vec<etherparse::defrag::IpFragRange>)>,
}

impl Defragmenter {
    /// Adds a fragment; returns the whole datagram's payload once complete.
    pub fn add(
        &mut self,
        key: FragKey,
        offset: IpFragOffset,
        more: bool,
        data: &[u8],
        ts: Ts,
    ) -> Result<&[u8], DecodeError> {
        if !self.in_progress.contains_key(&key) && self.in_progress.len() >= MAX_IN_PROGRESS {
            self.evict(ts);
        }
        let spare = &mut self.spare;
        let (buf, _) = self.in_progress.entry(key).or_insert_with(|| {
            let (d, s) = spare.pop().unwrap_or_default();
            (IpDefragBuf::new(IpNumber(key.proto), d, s), ts)
        });
        if buf.add(offset, more, data).is_err() {
            if let Some((buf, _)) = self.in_progress.remove(&key) {
                self.recycle(buf);
            }
            return Err(DecodeError::Malformed(
                "IP fragments that do not fit together",
            ));
        }
        if !buf.is_complete() {
            return Err(DecodeError::Fragment);
        }
        let Some((buf, _)) = self.in_progress.remove(&key) else {
            return Err(DecodeError::Fragment);
        };
        self.done.clear();
        self.done.extend_from_slice(buf.data());
        self.recycle(buf);
        Ok(&self.done)
    }

    fn recycle(&mut self, buf: IpDefragBuf) {
        if self.spare.len() < 16 {
            self.spare.push(buf.take_bufs());
        }
    }

    /// Drops stale datagrams; if none is stale, the oldest.
    fn evict(&mut self, now: Ts) {
        let before = self.in_progress.len();
        self.in_progress.retain(|_, (_, started)| {
            now.as_nanos().saturating_sub(started.as_nanos()) < MAX_AGE_NS
        });
        if self.in_progress.len() == before {
            let oldest = self
                .in_progress
                .iter()
                .min_by_key(|(_, (_, t))| *t)
                .map(|(k, _)| *k);
            if let Some(k) = oldest {
                self.in_progress.remove(&k);
            }
        }
    }
}
