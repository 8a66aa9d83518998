//! A rule's ATT&CK coverage, and the findings of checking its `techniques` names against
//! its `technique_id` list.
//!
//! The two lists are compared as sets, never by position: the armory de-duplicates ids
//! (a technique listed under four tactics has one id) and does not keep the two lists in
//! the same order: zipped, 60 of the 1,676 rules whose lists have equal length pair wrong
//! ids (`shared/research/armory-corpus.md` §1). Names are resolved through the catalog.

use rulescope_model::{Diagnostic, Rule, Severity, TechniqueRef};
use serde::Serialize;

use super::{AttackCatalog, Tactic, Technique, normalise_name, proper_case};

/// One line of a rule's ATT&CK table.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CoverageRow {
    /// `None` when the rule's tactic is not in the catalog.
    pub tactic_id: Option<String>,
    pub tactic_name: String,
    /// `None` when the technique could not be resolved to an id.
    pub technique_id: Option<String>,
    /// ATT&CK's name (`System Services: Service Execution`), else the rule's own words
    /// in proper case.
    pub technique_name: String,
    /// `T1569.002 System Services: Service Execution`.
    pub display: String,
    pub url: Option<String>,
    /// The id the rule used when ATT&CK has revoked it in favour of `technique_id`.
    pub replaces: Option<String>,
}

/// The rows, grouped by tactic in kill-chain order, and what the checks found.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Coverage {
    pub rows: Vec<CoverageRow>,
    pub diagnostics: Vec<Diagnostic>,
}

/// One `technique_id` entry.
struct Listed<'a> {
    id: String,
    technique: Option<&'a Technique>,
    /// Some technique name maps to it.
    claimed: bool,
}

/// One distinct technique name of the rule (the same name under several tactics counts once).
struct Named<'a> {
    technique: &'a str,
    sub_technique: Option<&'a str>,
    resolved: Option<&'a Technique>,
}

impl Named<'_> {
    fn text(&self) -> String {
        match self.sub_technique {
            Some(sub) => format!("{}:{sub}", self.technique),
            None => self.technique.to_owned(),
        }
    }
}

impl AttackCatalog {
    /// The coverage table of a rule and the findings about its ATT&CK metadata.
    pub fn coverage(&self, rule: &Rule) -> Coverage {
        self.coverage_of(&rule.techniques, &rule.technique_ids)
    }

    /// [`coverage`](Self::coverage) from the two lists themselves.
    pub fn coverage_of(&self, techniques: &[TechniqueRef], technique_ids: &[String]) -> Coverage {
        let mut diagnostics = Vec::new();
        let mut listed: Vec<Listed<'_>> = Vec::with_capacity(technique_ids.len());
        for id in technique_ids {
            let id = id.trim().to_ascii_uppercase();
            if !id.is_empty() && !listed.iter().any(|l| l.id == id) {
                listed.push(Listed {
                    technique: self.technique(&id),
                    id,
                    claimed: false,
                });
            }
        }
        let mut named: Vec<Named<'_>> = Vec::new();
        // For each reference, the index of its entry in `named`.
        let mut name_of = Vec::with_capacity(techniques.len());
        for reference in techniques {
            let sub_technique = reference.sub_technique.as_deref();
            let found = named.iter().position(|n| {
                n.technique == reference.technique && n.sub_technique == sub_technique
            });
            name_of.push(found.unwrap_or_else(|| {
                named.push(Named {
                    technique: &reference.technique,
                    sub_technique,
                    resolved: self.technique_by_name(&reference.technique, sub_technique),
                });
                named.len() - 1
            }));
        }
        // Ids paired by shape, set only without technique data.
        let paired = if self.has_techniques() {
            self.match_names_and_ids(&mut named, &mut listed, &mut diagnostics);
            vec![None; named.len()]
        } else {
            pair_without_catalog(&named, &mut listed)
        };
        let mut rows = Vec::with_capacity(techniques.len() + listed.len());
        let mut renamed_reported: Vec<&str> = Vec::new();
        let mut unknown_reported: Vec<&str> = Vec::new();
        for (reference, &index) in techniques.iter().zip(&name_of) {
            let name = &named[index];
            let resolved = name.resolved.map(|t| self.current(t));
            let tactic = match self.tactic_by_shortname(&reference.tactic) {
                Some(tactic) => Some(tactic),
                None => {
                    let chosen = self.successor_tactic(&reference.tactic, resolved);
                    let tactic_name = reference.tactic.as_str();
                    if chosen.is_some() {
                        if !renamed_reported.contains(&tactic_name) {
                            renamed_reported.push(tactic_name);
                            diagnostics.extend(self.renamed_finding(tactic_name));
                        }
                    } else if !unknown_reported.contains(&tactic_name) {
                        unknown_reported.push(tactic_name);
                        diagnostics.push(Diagnostic::new(
                            Severity::Warning,
                            "attack-tactic-unknown",
                            format!("tactic `{tactic_name}` is not an {} tactic", self.label()),
                        ));
                    }
                    chosen
                }
            };
            if let (Some(tactic), Some(technique)) = (tactic, resolved)
                && !technique.tactics.contains(&tactic.shortname)
            {
                let message = format!(
                    "`{}:{}` puts {} under {}, but {} lists it under {}",
                    reference.tactic,
                    name.text(),
                    technique.id,
                    tactic.name,
                    self.label(),
                    self.tactic_names(&technique.tactics)
                );
                if !diagnostics.iter().any(|d| d.message == message) {
                    diagnostics.push(Diagnostic::new(
                        Severity::Warning,
                        "attack-tactic-mismatch",
                        message,
                    ));
                }
            }
            rows.push(self.row(
                tactic,
                &reference.tactic,
                name.resolved,
                &name.text(),
                paired[index].clone(),
            ));
        }
        // Ids no name maps to are still covered: place them under a tactic the rule uses
        // when ATT&CK allows it, else under the technique's first tactic.
        for entry in listed.iter().filter(|l| !l.claimed) {
            let Some(technique) = entry.technique else {
                continue;
            };
            let current = self.current(technique);
            let tactic = current
                .tactics
                .iter()
                .filter_map(|s| self.tactic_by_shortname(s))
                .min_by_key(|t| {
                    let used = techniques.iter().any(|r| {
                        r.tactic == t.shortname
                            || self
                                .successor_tactic(&r.tactic, Some(current))
                                .map(|s| &s.id)
                                == Some(&t.id)
                    });
                    (!used, self.tactic_order(&t.id))
                });
            let first_tactic = current.tactics.first().map_or("", String::as_str);
            rows.push(self.row(
                tactic,
                first_tactic,
                Some(technique),
                &technique.display_name,
                None,
            ));
        }
        rows.sort_by_key(|row| {
            row.tactic_id
                .as_deref()
                .map_or(usize::MAX, |id| self.tactic_order(id))
        });
        let mut unique: Vec<CoverageRow> = Vec::with_capacity(rows.len());
        for row in rows {
            if !unique.contains(&row) {
                unique.push(row);
            }
        }
        Coverage {
            rows: unique,
            diagnostics,
        }
    }

    /// Resolves names the catalog does not know through the ids, checks ids, and reports
    /// names and ids that do not meet.
    fn match_names_and_ids<'a>(
        &'a self,
        named: &mut [Named<'a>],
        listed: &mut [Listed<'a>],
        diagnostics: &mut Vec<Diagnostic>,
    ) {
        for name in named.iter() {
            let Some(technique) = name.resolved else {
                continue;
            };
            let now = self.current(technique);
            let mut found = false;
            for entry in listed.iter_mut() {
                if entry
                    .technique
                    .is_some_and(|t| self.current(t).id == now.id)
                {
                    entry.claimed = true;
                    found = true;
                }
            }
            if !found {
                diagnostics.push(
                    Diagnostic::new(
                        Severity::Warning,
                        "attack-id-unlisted",
                        format!(
                            "technique `{}` is {} in {}, but technique_id does not list it",
                            name.text(),
                            now.id,
                            self.label()
                        ),
                    )
                    .with_help(format!(
                        "add {} to technique_id, or correct the technique name",
                        now.id
                    )),
                );
            }
            if technique.revoked && !listed.iter().any(|l| l.id == technique.id) {
                diagnostics.push(Diagnostic::new(
                    Severity::Note,
                    "attack-name-outdated",
                    format!(
                        "technique `{}` names {}, which {} revoked in favour of {} {}",
                        name.text(),
                        technique.id,
                        self.label(),
                        now.id,
                        now.display_name
                    ),
                ));
            }
        }
        // A name ATT&CK no longer uses (renamed since the rule was written) is taken to
        // mean the one listed id left over that has its shape and, for a sub-technique,
        // its parent's or its own name.
        for name in named.iter_mut().filter(|n| n.resolved.is_none()) {
            let candidates: Vec<(usize, &Technique)> = listed
                .iter()
                .enumerate()
                .filter(|(_, l)| !l.claimed)
                .filter_map(|(i, l)| Some((i, l.technique?)))
                .filter(|(_, t)| match name.sub_technique {
                    None => t.parent_id.is_none(),
                    Some(sub) => {
                        let parent = t.parent_id.as_deref().and_then(|p| self.technique(p));
                        parent.is_some_and(|p| {
                            normalise_name(&p.name) == normalise_name(name.technique)
                        }) || normalise_name(&t.name) == normalise_name(sub)
                    }
                })
                .collect();
            if let [(index, technique)] = candidates[..] {
                listed[index].claimed = true;
                let now = self.current(technique);
                name.resolved = Some(technique);
                diagnostics.push(
                    Diagnostic::new(
                        Severity::Note,
                        "attack-name-outdated",
                        format!(
                            "technique `{}` is not an {} name; taken as {} {}, which technique_id lists",
                            name.text(),
                            self.label(),
                            now.id,
                            now.display_name
                        ),
                    )
                    .with_help(format!("write `{}`", rule_form(&now.display_name))),
                );
            } else {
                diagnostics.push(Diagnostic::new(
                    Severity::Warning,
                    "attack-name-unknown",
                    format!(
                        "technique `{}` is not an {} technique name",
                        name.text(),
                        self.label()
                    ),
                ));
            }
        }
        for entry in listed.iter() {
            let Some(technique) = entry.technique else {
                diagnostics.push(
                    Diagnostic::new(
                        Severity::Error,
                        "attack-id-unknown",
                        format!(
                            "technique_id lists {}, which is not in {}",
                            entry.id,
                            self.label()
                        ),
                    )
                    .with_help("ids look like T1021 or T1021.002; check for a typo"),
                );
                continue;
            };
            if technique.revoked {
                let now = self.current(technique);
                let message = if now.id == technique.id {
                    format!(
                        "{} {} is revoked in {}",
                        technique.id,
                        technique.display_name,
                        self.label()
                    )
                } else {
                    format!(
                        "{} {} is revoked in {}; it is now {} {}",
                        technique.id,
                        technique.display_name,
                        self.label(),
                        now.id,
                        now.display_name
                    )
                };
                diagnostics.push(
                    Diagnostic::new(Severity::Warning, "attack-id-revoked", message)
                        .with_help(format!("replace {} with {}", technique.id, now.id)),
                );
            } else if technique.deprecated {
                diagnostics.push(Diagnostic::new(
                    Severity::Warning,
                    "attack-id-deprecated",
                    format!(
                        "{} {} is deprecated in {}",
                        technique.id,
                        technique.display_name,
                        self.label()
                    ),
                ));
            }
            if !entry.claimed {
                diagnostics.push(
                    Diagnostic::new(
                        Severity::Warning,
                        "attack-name-unlisted",
                        format!(
                            "technique_id lists {} {}, but no technique name maps to it",
                            technique.id, technique.display_name
                        ),
                    )
                    .with_help(format!(
                        "add `<tactic>:{}` to techniques, or remove {}",
                        rule_form(&technique.display_name),
                        technique.id
                    )),
                );
            }
        }
    }

    /// The tactic an old tactic name stands for now: the successor that lists the
    /// technique, else the one that kept the id.
    fn successor_tactic(&self, old: &str, technique: Option<&Technique>) -> Option<&Tactic> {
        let rename = self.rename_of(old)?;
        let successors: Vec<&Tactic> = std::iter::once(&rename.tactic_id)
            .chain(&rename.split_into)
            .filter_map(|id| self.tactic_by_id(id))
            .collect();
        successors
            .iter()
            .find(|t| technique.is_some_and(|tech| tech.tactics.contains(&t.shortname)))
            .or(successors.first())
            .copied()
    }

    fn renamed_finding(&self, old: &str) -> Option<Diagnostic> {
        let rename = self.rename_of(old)?;
        let kept = self.tactic_by_id(&rename.tactic_id)?;
        let split: Vec<String> = rename
            .split_into
            .iter()
            .filter_map(|id| self.tactic_by_id(id))
            .map(|t| format!("`{}` ({} {})", t.shortname, t.id, t.name))
            .collect();
        let help = if split.is_empty() {
            format!("write `{}`", kept.shortname)
        } else {
            format!(
                "write `{}` ({} {}) or, for techniques that weaken defences, {}",
                kept.shortname,
                kept.id,
                kept.name,
                split.join(" or ")
            )
        };
        Some(
            Diagnostic::new(
                Severity::Note,
                "attack-tactic-renamed",
                format!(
                    "tactic `{}` ({}) is `{}` ({} {}) since ATT&CK v{}",
                    rename.old_shortname,
                    rename.old_name,
                    kept.shortname,
                    kept.id,
                    kept.name,
                    rename.since
                ),
            )
            .with_help(help),
        )
    }

    fn row(
        &self,
        tactic: Option<&Tactic>,
        rule_tactic: &str,
        technique: Option<&Technique>,
        rule_name: &str,
        fallback_id: Option<String>,
    ) -> CoverageRow {
        let (tactic_id, tactic_name) = match tactic {
            Some(t) => (Some(t.id.clone()), t.name.clone()),
            None => (None, proper_case(rule_tactic)),
        };
        match technique {
            Some(written) => {
                let current = self.current(written);
                CoverageRow {
                    tactic_id,
                    tactic_name,
                    technique_id: Some(current.id.clone()),
                    technique_name: current.display_name.clone(),
                    display: format!("{} {}", current.id, current.display_name),
                    url: Some(current.url.clone()),
                    replaces: (current.id != written.id).then(|| written.id.clone()),
                }
            }
            None => {
                let technique_name = proper_case(rule_name);
                CoverageRow {
                    tactic_id,
                    tactic_name,
                    display: match &fallback_id {
                        Some(id) => format!("{id} {technique_name}"),
                        None => technique_name.clone(),
                    },
                    url: fallback_id.as_deref().map(super::attack_url),
                    technique_id: fallback_id,
                    technique_name,
                    replaces: None,
                }
            }
        }
    }

    fn tactic_names(&self, shortnames: &[String]) -> String {
        let names: Vec<&str> = shortnames
            .iter()
            .map(|s| {
                self.tactic_by_shortname(s)
                    .map_or(s.as_str(), |t| t.name.as_str())
            })
            .collect();
        if names.is_empty() {
            "no tactic".to_owned()
        } else {
            names.join(", ")
        }
    }

    /// `ATT&CK enterprise 19.1`, for messages.
    fn label(&self) -> String {
        let domain = self.domain.strip_suffix("-attack").unwrap_or(&self.domain);
        match &self.version {
            Some(version) => format!("ATT&CK {domain} {version}"),
            None => format!("ATT&CK {domain}"),
        }
    }
}

/// A name as armory rules write it: `System Services: Service Execution` →
/// `system services:service execution`.
fn rule_form(display_name: &str) -> String {
    display_name.to_lowercase().replace(": ", ":")
}

/// Without technique data, the only safe pairing is one name with one id of the same
/// shape (a sub-technique name with a dotted id); anything else would be guessing.
/// Without technique data, a name pairs with an id only where the shape leaves no choice:
/// the rule's one sub-technique name with its one `Txxxx.yyy` id, its one technique name
/// with its one `Txxxx` id. Never by position.
fn pair_without_catalog(named: &[Named<'_>], listed: &mut [Listed<'_>]) -> Vec<Option<String>> {
    let mut paired = vec![None; named.len()];
    for sub in [false, true] {
        let names: Vec<usize> = (0..named.len())
            .filter(|&i| named[i].sub_technique.is_some() == sub)
            .collect();
        let ids: Vec<usize> = (0..listed.len())
            .filter(|&i| listed[i].id.contains('.') == sub)
            .collect();
        if let ([name], [id]) = (names.as_slice(), ids.as_slice()) {
            listed[*id].claimed = true;
            paired[*name] = Some(listed[*id].id.clone());
        }
    }
    paired
}
