//! Parse quality over many queries, for `rulescope parse --stats` (laid out like the SPL
//! front end's summary, so the two read side by side).

use std::collections::BTreeMap;
use std::fmt::Write as _;

use rulescope_model::Severity;
use serde::Serialize;

use crate::SqlParsed;

/// How many queries parsed clean, parsed with diagnostics (typos repaired, or warnings), or
/// failed, and how often each diagnostic code came up.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct SqlParseStats {
    pub queries: usize,
    /// Parsed with no diagnostic at all.
    pub clean: usize,
    /// Parsed, with at least one diagnostic.
    pub with_diagnostics: usize,
    /// Of those, the queries that parsed only after a typo was repaired (an error).
    pub repaired: usize,
    /// Did not parse; the model holds what a scan of the tokens could find.
    pub failed: usize,
    pub diagnostic_codes: BTreeMap<String, usize>,
}

impl SqlParseStats {
    pub fn add(&mut self, parsed: &SqlParsed) {
        self.queries += 1;
        let diagnostics = parsed.diagnostics();
        if parsed.failed {
            self.failed += 1;
        } else if diagnostics.is_empty() {
            self.clean += 1;
        } else {
            self.with_diagnostics += 1;
            if diagnostics.iter().any(|d| d.severity == Severity::Error) {
                self.repaired += 1;
            }
        }
        for d in diagnostics {
            *self.diagnostic_codes.entry(d.code.to_string()).or_default() += 1;
        }
    }

    /// A table for a terminal.
    pub fn render_text(&self) -> String {
        let pct = |n: usize| {
            if self.queries == 0 {
                0.0
            } else {
                n as f64 * 100.0 / self.queries as f64
            }
        };
        let mut out = String::new();
        let _ = writeln!(out, "queries           {:>7}", self.queries);
        for (label, n) in [
            ("clean           ", self.clean),
            ("with diagnostics", self.with_diagnostics),
            ("  typos repaired", self.repaired),
            ("failed          ", self.failed),
        ] {
            let _ = writeln!(out, "{label}  {n:>7}  {:5.1}%", pct(n));
        }
        if !self.diagnostic_codes.is_empty() {
            let _ = writeln!(out, "\n{:<32} {:>7}", "diagnostic", "count");
            for (code, n) in &self.diagnostic_codes {
                let _ = writeln!(out, "{code:<32} {n:>7}");
            }
        }
        out
    }
}

impl<'a> FromIterator<&'a SqlParsed> for SqlParseStats {
    fn from_iter<I: IntoIterator<Item = &'a SqlParsed>>(iter: I) -> Self {
        let mut stats = Self::default();
        for parsed in iter {
            stats.add(parsed);
        }
        stats
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse;

    #[test]
    fn counts_outcomes_and_codes() {
        let queries = [
            "select * from t where a = 1",
            "select * from t where a = 1 and and b = 2",
            "select * from t where t > sysdate() and a = 1 or b = 2",
            "select * from t where a = = 1",
        ];
        let parsed: Vec<SqlParsed> = queries.iter().map(|q| parse(q)).collect();
        let stats: SqlParseStats = parsed.iter().collect();
        assert_eq!(
            (
                stats.queries,
                stats.clean,
                stats.with_diagnostics,
                stats.repaired,
                stats.failed
            ),
            (4, 1, 2, 1, 1)
        );
        assert_eq!(stats.diagnostic_codes.get("sql-repeated-keyword"), Some(&1));
        let text = stats.render_text();
        assert!(text.contains("with diagnostics        2   50.0%"), "{text}");
        assert!(
            text.contains("sql-or-escapes-time-window             1"),
            "{text}"
        );
        let json = serde_json::to_value(&stats).unwrap_or_default();
        assert_eq!(json["diagnostic_codes"]["sql-syntax"], 1);
    }
}
