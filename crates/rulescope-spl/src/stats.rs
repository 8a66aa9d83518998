//! Parse-quality statistics over many queries: how many parse clean, and per command how
//! many stages got a typed form, fell back to the generic form, or failed.

use std::collections::BTreeMap;
use std::fmt::Write;

use rulescope_model::Severity;
use serde::Serialize;

use crate::Parsed;
use crate::ast::Stage;
use crate::walk::{Visitor, walk};

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct CommandStats {
    /// Stages parsed in a typed form without errors.
    pub typed: usize,
    /// Stages kept in the generic form, without errors.
    pub generic: usize,
    /// Stages with at least one error inside them.
    pub failed: usize,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ParseStats {
    pub queries: usize,
    /// No diagnostic at all.
    pub clean: usize,
    /// Parsed into stages, with at least one diagnostic.
    pub with_diagnostics: usize,
    /// Nothing could be read (no stage).
    pub failed: usize,
    /// Per command name (`search` for base searches, `macro` for macro stages),
    /// subsearch stages included.
    pub commands: BTreeMap<String, CommandStats>,
    /// How often each diagnostic code occurred.
    pub diagnostic_codes: BTreeMap<String, usize>,
}

impl ParseStats {
    /// Adds one parsed query.
    pub fn add(&mut self, parsed: &Parsed) {
        self.queries += 1;
        if parsed.pipeline.stages.is_empty() {
            self.failed += 1;
        } else if parsed.diagnostics.is_empty() {
            self.clean += 1;
        } else {
            self.with_diagnostics += 1;
        }
        for d in &parsed.diagnostics {
            *self.diagnostic_codes.entry(d.code.to_string()).or_default() += 1;
        }
        struct Count<'s> {
            stats: &'s mut ParseStats,
            parsed: &'s Parsed,
        }
        impl<'p> Visitor<'p> for Count<'_> {
            fn stage(&mut self, stage: &'p Stage) {
                // Diagnostic spans index the query; tree spans index the expanded text.
                let s = self.parsed.tree_span_to_query(stage.span);
                let errors = self.parsed.diagnostics.iter().any(|d| {
                    d.severity == Severity::Error
                        && d.span
                            .is_some_and(|d| d.start >= s.start && d.start < s.end.max(s.start + 1))
                });
                let entry = self.stats.commands.entry(stage.command.name()).or_default();
                match (errors, stage.command.is_typed()) {
                    (true, _) => entry.failed += 1,
                    (false, true) => entry.typed += 1,
                    (false, false) => entry.generic += 1,
                }
            }
        }
        walk(
            &parsed.pipeline,
            &mut Count {
                stats: self,
                parsed,
            },
        );
    }

    /// A plain-text report.
    pub fn render_text(&self) -> String {
        let mut out = String::new();
        let pct = |n: usize| {
            if self.queries == 0 {
                0.0
            } else {
                n as f64 * 100.0 / self.queries as f64
            }
        };
        let _ = writeln!(out, "queries           {:>7}", self.queries);
        let _ = writeln!(
            out,
            "clean             {:>7}  {:5.1}%",
            self.clean,
            pct(self.clean)
        );
        let _ = writeln!(
            out,
            "with diagnostics  {:>7}  {:5.1}%",
            self.with_diagnostics,
            pct(self.with_diagnostics)
        );
        let _ = writeln!(
            out,
            "failed            {:>7}  {:5.1}%",
            self.failed,
            pct(self.failed)
        );
        let _ = writeln!(
            out,
            "\n{:<16} {:>7} {:>7} {:>7}",
            "command", "typed", "generic", "failed"
        );
        let mut rows: Vec<_> = self.commands.iter().collect();
        rows.sort_by_key(|(name, c)| {
            (
                std::cmp::Reverse(c.typed + c.generic + c.failed),
                name.as_str(),
            )
        });
        for (name, c) in rows {
            let _ = writeln!(
                out,
                "{name:<16} {:>7} {:>7} {:>7}",
                c.typed, c.generic, c.failed
            );
        }
        if !self.diagnostic_codes.is_empty() {
            let _ = writeln!(out, "\n{:<32} {:>7}", "diagnostic", "count");
            for (code, n) in &self.diagnostic_codes {
                let _ = writeln!(out, "{code:<32} {n:>7}");
            }
        }
        out
    }

    /// The statistics as pretty JSON.
    pub fn render_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default()
    }
}
