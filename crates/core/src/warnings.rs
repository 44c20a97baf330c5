//! Problems met while reading, aggregated by kind: the first occurrence (frame and offset) and a
//! count, so a file with a million bad packets yields one line, not a million.

use crate::report::Warning;
use hashbrown::HashMap;

#[derive(Default)]
pub struct Warnings {
    by_code: HashMap<&'static str, usize>,
    list: Vec<Warning>,
}

impl Warnings {
    pub fn add(
        &mut self,
        code: &'static str,
        message: impl FnOnce() -> String,
        frame: Option<u64>,
        offset: Option<u64>,
    ) {
        if let Some(&i) = self.by_code.get(code) {
            if let Some(w) = self.list.get_mut(i) {
                w.count += 1;
            }
            return;
        }
        self.by_code.insert(code, self.list.len());
        self.list.push(Warning {
            code: code.to_string(),
            message: message(),
            frame,
            offset,
            count: 1,
        });
    }

    pub fn into_vec(self) -> Vec<Warning> {
        self.list
    }
}
