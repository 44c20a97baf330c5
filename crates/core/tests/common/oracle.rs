//! Reads the tshark 4.0.17 oracle files (`oracle/<stem>.tshark.txt`): each section is the
//! output of one tshark command, tab-separated, with a header row.

use std::collections::BTreeMap;
use std::path::Path;

#[derive(Debug, Default)]
pub struct Oracle {
    pub sections: BTreeMap<u32, Vec<Vec<String>>>,
}

impl Oracle {
    pub fn load(corpus: &Path, stem: &str) -> Oracle {
        let path = corpus.join("oracle").join(format!("{stem}.tshark.txt"));
        let text =
            std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let mut sections: BTreeMap<u32, Vec<Vec<String>>> = BTreeMap::new();
        let mut current: Option<u32> = None;
        for line in text.lines() {
            if let Some(rest) = line.strip_prefix("## [") {
                current = rest.split(']').next().and_then(|n| n.parse().ok());
                if let Some(n) = current {
                    sections.entry(n).or_default();
                }
                continue;
            }
            let Some(n) = current else { continue };
            if line.is_empty() || line.starts_with('#') || line.starts_with("stderr:") {
                continue;
            }
            sections
                .entry(n)
                .or_default()
                .push(line.split('\t').map(str::to_string).collect());
        }
        Oracle { sections }
    }

    /// Rows of a tab-separated section as maps from column name to value (header row dropped).
    pub fn table(&self, section: u32) -> Vec<BTreeMap<String, String>> {
        let Some(rows) = self.sections.get(&section) else {
            return Vec::new();
        };
        let Some(header) = rows.first() else {
            return Vec::new();
        };
        rows[1..]
            .iter()
            .filter(|r| r.len() > 1)
            .map(|r| {
                header
                    .iter()
                    .cloned()
                    .zip(r.iter().cloned().chain(std::iter::repeat(String::new())))
                    .collect()
            })
            .collect()
    }
}

/// Items of an aggregated field (`a;b;c` or `a,b`), empty ones dropped.
pub fn items(field: &str) -> Vec<String> {
    field
        .split([';', ','])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

pub fn get<'a>(row: &'a BTreeMap<String, String>, key: &str) -> &'a str {
    row.get(key).map(String::as_str).unwrap_or("")
}
