//! Parse quality over many queries, for `rulescope parse --stats`.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use rulescope_model::Severity;
use serde::Serialize;

use crate::SqlParsed;

/// How many queries parsed clean, parsed after repairing typos, or failed, and how often
/// each diagnostic code came up.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct SqlParseStats {
    pub queries: usize,
    /// Parsed with no error (warnings such as an OR escaping the time window allowed).
    pub clean: usize,
    /// Parsed after repairing typos, each reported as an error.
    pub recovered: usize,
    /// Did not parse; the model holds what a scan of the tokens could find.
    pub failed: usize,
    /// Queries with at least one warning.
    pub with_warnings: usize,
    /// Diagnostics by code.
    pub codes: BTreeMap<String, usize>,
}

impl SqlParseStats {
    pub fn add(&mut self, parsed: &SqlParsed) {
        self.queries += 1;
        let diagnostics = parsed.diagnostics();
        let has = |severity| diagnostics.iter().any(|d| d.severity == severity);
        if parsed.failed {
            self.failed += 1;
        } else if has(Severity::Error) {
            self.recovered += 1;
        } else {
            self.clean += 1;
        }
        if has(Severity::Warning) {
            self.with_warnings += 1;
        }
        for d in diagnostics {
            *self.codes.entry(d.code.to_string()).or_default() += 1;
        }
    }

    /// A few lines for a terminal.
    pub fn render_text(&self) -> String {
        let mut out = format!(
            "Snowflake SQL: {} queries: {} clean, {} recovered, {} failed; {} with warnings\n",
            self.queries, self.clean, self.recovered, self.failed, self.with_warnings
        );
        for (code, count) in &self.codes {
            let _ = writeln!(out, "  {count:>5}  {code}");
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
            "select * from t where a = = 1",
        ];
        let parsed: Vec<SqlParsed> = queries.iter().map(|q| parse(q)).collect();
        let stats: SqlParseStats = parsed.iter().collect();
        assert_eq!(
            (stats.queries, stats.clean, stats.recovered, stats.failed),
            (3, 1, 1, 1)
        );
        assert_eq!(stats.codes.get("sql-repeated-keyword"), Some(&1));
        let text = stats.render_text();
        assert!(
            text.starts_with("Snowflake SQL: 3 queries: 1 clean, 1 recovered, 1 failed"),
            "{text}"
        );
        let json = serde_json::to_value(&stats).unwrap_or_default();
        assert_eq!(json["codes"]["sql-syntax"], 1);
    }
}
