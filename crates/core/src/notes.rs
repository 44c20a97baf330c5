//! Per-connection notes: what the analyzer could not read, and where. Bounded, so a broken
//! connection cannot grow memory with every packet.

use crate::report::Note;

const MAX_NOTES: usize = 16;

#[derive(Default, Debug, Clone)]
pub struct Notes {
    items: Vec<Note>,
    dropped: u32,
}

impl Notes {
    pub fn add(&mut self, code: &'static str, message: String, frame: Option<u64>) {
        if self.items.len() < MAX_NOTES {
            self.items.push(Note {
                code: code.into(),
                message,
                frame,
            });
        } else {
            self.dropped = self.dropped.saturating_add(1);
        }
    }

    pub fn has(&self, code: &str) -> bool {
        self.items.iter().any(|n| n.code == code)
    }

    pub fn into_vec(mut self) -> Vec<Note> {
        if self.dropped > 0 {
            self.items.push(Note {
                code: "limit".into(),
                message: format!("{} more notes not kept", self.dropped),
                frame: None,
            });
        }
        self.items
    }
}
