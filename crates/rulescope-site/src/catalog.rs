//! The corpus seen as a catalog: every index (by format, tactic, technique, ..., indicator)
//! with its entries and their rules, and the lookups pages need to link to each other.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use rulescope_analysis::report::{AttackSummary, CorpusAnalysis, IndexEntry, RuleAnalysis};
use rulescope_reference::enrich::Attribution;
use serde::Serialize;

use crate::render::safe_url;
use crate::slug::slug;

/// One kind of index page. Each has a directory with `index.html` (all entries) and one
/// page per entry listing its rules.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    Format,
    Tactic,
    Technique,
    DataCategory,
    DataSource,
    Event,
    Indicator,
    SearchTerm,
    Selector,
    Field,
    Macro,
    ThreatActor,
    Software,
}

impl Kind {
    pub const ALL: [Kind; 13] = [
        Kind::Format,
        Kind::Tactic,
        Kind::Technique,
        Kind::DataCategory,
        Kind::DataSource,
        Kind::Event,
        Kind::Indicator,
        Kind::SearchTerm,
        Kind::Selector,
        Kind::Field,
        Kind::Macro,
        Kind::ThreatActor,
        Kind::Software,
    ];

    /// The directory, also the name templates pass to the `href` filter.
    pub fn dir(self) -> &'static str {
        match self {
            Kind::Format => "formats",
            Kind::Tactic => "tactics",
            Kind::Technique => "techniques",
            Kind::DataCategory => "data-categories",
            Kind::DataSource => "data-sources",
            Kind::Event => "events",
            Kind::Indicator => "indicators",
            Kind::SearchTerm => "search-terms",
            Kind::Selector => "selectors",
            Kind::Field => "fields",
            Kind::Macro => "macros",
            Kind::ThreatActor => "threat-actors",
            Kind::Software => "software",
        }
    }

    pub fn from_dir(dir: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.dir() == dir)
    }

    pub fn title(self) -> &'static str {
        match self {
            Kind::Format => "Logic formats",
            Kind::Tactic => "ATT&CK tactics",
            Kind::Technique => "ATT&CK techniques",
            Kind::DataCategory => "Data categories",
            Kind::DataSource => "Data sources",
            Kind::Event => "Events",
            Kind::Indicator => "Indicators",
            Kind::SearchTerm => "Search terms",
            Kind::Selector => "Data-source selectors",
            Kind::Field => "Fields",
            Kind::Macro => "Macros",
            Kind::ThreatActor => "Threat actors",
            Kind::Software => "Software",
        }
    }

    pub fn singular(self) -> &'static str {
        match self {
            Kind::Format => "Logic format",
            Kind::Tactic => "Tactic",
            Kind::Technique => "Technique",
            Kind::DataCategory => "Data category",
            Kind::DataSource => "Data source",
            Kind::Event => "Event",
            Kind::Indicator => "Indicator",
            Kind::SearchTerm => "Search term",
            Kind::Selector => "Selector",
            Kind::Field => "Field",
            Kind::Macro => "Macro",
            Kind::ThreatActor => "Threat actor",
            Kind::Software => "Software",
        }
    }

    /// What the second column of the entry list shows.
    pub fn detail_label(self) -> Option<&'static str> {
        match self {
            Kind::Technique => Some("Name"),
            Kind::Tactic => Some("ID"),
            Kind::Event => Some("Title"),
            Kind::Indicator | Kind::SearchTerm | Kind::Selector => Some("Field"),
            Kind::ThreatActor => Some("Also known as"),
            _ => None,
        }
    }

    /// The name an entry's file is derived from: case is folded where it carries no meaning
    /// (technique ids, tactic names, event providers), so pages get readable file names.
    fn file_key(self, name: &str) -> String {
        match self {
            Kind::Technique | Kind::Tactic | Kind::Event | Kind::Format | Kind::DataSource => {
                name.to_lowercase().replace([' ', '/'], "-")
            }
            _ => name.to_owned(),
        }
    }

    /// The entry page of `name`, relative to the site root.
    pub fn href(self, name: &str) -> String {
        format!("{}/{}.html", self.dir(), slug(&self.file_key(name)))
    }
}

/// The name of an event entry: what the rule page passes to `href("events")` too.
pub fn event_name(provider: &str, event_id: u32) -> String {
    format!("{provider}/{event_id}")
}

/// A rule as lists show it.
#[derive(Debug, Serialize)]
pub struct RuleRef {
    pub key: String,
    pub id: String,
    pub href: String,
    pub display_title: String,
    pub format: String,
    pub format_href: String,
    pub data_source: String,
    pub use_case: String,
    pub errors: usize,
    pub warnings: usize,
}

/// One entry of an index: a technique, an indicator, ... and the rules that have it.
#[derive(Debug, Serialize)]
pub struct Entry {
    /// What identifies the entry: a technique id, an indicator key, an actor's key.
    pub name: String,
    /// What pages call it.
    pub label: String,
    pub detail: String,
    pub href: String,
    /// Indexes into the corpus's rules, in corpus order.
    pub rules: Vec<usize>,
    pub use_cases: usize,
}

#[derive(Debug)]
pub struct Index {
    pub kind: Kind,
    /// Most rules first, then by name.
    pub entries: Vec<Entry>,
}

/// Everything pages share: rule summaries, lookups and indexes.
pub struct Catalog<'a> {
    pub corpus: &'a CorpusAnalysis,
    pub rules: Vec<RuleRef>,
    pub indexes: Vec<Index>,
}

impl<'a> Catalog<'a> {
    pub fn new(corpus: &'a CorpusAnalysis) -> Self {
        let rules: Vec<RuleRef> = corpus.rules.iter().map(rule_ref).collect();
        let mut by_key = HashMap::new();
        for (i, rule) in corpus.rules.iter().enumerate() {
            by_key.entry(rule.key.as_str()).or_insert(i);
        }
        let indexes = Kind::ALL
            .into_iter()
            .map(|kind| build_index(kind, corpus, &by_key))
            .collect();
        Self {
            corpus,
            rules,
            indexes,
        }
    }

    pub fn index(&self, kind: Kind) -> &Index {
        // `indexes` is built from `Kind::ALL` in order.
        &self.indexes[kind as usize]
    }

    pub fn use_cases(&self) -> usize {
        self.corpus
            .rules
            .iter()
            .map(|r| r.use_case.as_str())
            .collect::<HashSet<_>>()
            .len()
    }
}

pub fn rule_href(key: &str) -> String {
    format!("rules/{}.html", slug(key))
}

fn rule_ref(rule: &RuleAnalysis) -> RuleRef {
    let count = |severity| {
        rule.diagnostics
            .iter()
            .filter(|d| d.diagnostic.severity == severity)
            .count()
    };
    RuleRef {
        key: rule.key.clone(),
        id: rule.id.clone(),
        href: rule_href(&rule.key),
        display_title: rule.display_title.clone(),
        format: rule.logic_format.display_name().to_owned(),
        format_href: Kind::Format.href(rule.logic_format.as_str()),
        data_source: rule.data_source.label.clone(),
        use_case: rule.use_case.clone(),
        errors: count(rulescope_model::Severity::Error),
        warnings: count(rulescope_model::Severity::Warning),
    }
}

/// One name a rule contributes to an index: `name` identifies the entry (and its file),
/// `label` is what pages show, `detail` the second column.
struct Named {
    name: String,
    label: String,
    detail: String,
}

impl Named {
    fn new(name: &str, label: &str, detail: &str) -> Self {
        Self {
            name: name.to_owned(),
            label: label.to_owned(),
            detail: detail.to_owned(),
        }
    }

    fn plain(name: &str) -> Self {
        Self::new(name, name, "")
    }

    /// Actors and software count together however the description spells them.
    fn attribution(a: &Attribution, detail: &str) -> Self {
        Self::new(&a.key(), &a.name, detail)
    }
}

/// The entries a rule contributes to an index kind.
fn rule_names(kind: Kind, rule: &RuleAnalysis) -> Vec<Named> {
    match kind {
        Kind::Format => vec![Named::new(
            rule.logic_format.as_str(),
            rule.logic_format.display_name(),
            "",
        )],
        Kind::Tactic => rule
            .attack
            .iter()
            .map(|a| {
                let id = a.tactic_id.as_deref().unwrap_or_default();
                Named::new(&a.tactic_name, &a.tactic_name, id)
            })
            .collect(),
        Kind::Technique => rule
            .attack
            .iter()
            .filter_map(|a| {
                let id = a.technique_id.as_deref()?;
                Some(Named::new(id, id, &a.technique_name))
            })
            .collect(),
        Kind::DataCategory => rule
            .data_categories
            .iter()
            .map(|c| Named::plain(c))
            .collect(),
        Kind::DataSource => vec![Named::new(
            &rule.data_source.key,
            &rule.data_source.label,
            "",
        )],
        Kind::Event => rule
            .events
            .iter()
            .map(|e| {
                let name = event_name(&e.provider, e.event_id);
                let label = format!("{} {}", e.provider, e.event_id);
                Named::new(&name, &label, e.title.as_deref().unwrap_or_default())
            })
            .collect(),
        Kind::Field => rule.fields.iter().map(|f| Named::plain(f)).collect(),
        Kind::Macro => rule.macros.iter().map(|m| Named::plain(&m.name)).collect(),
        Kind::ThreatActor => rule
            .enrichment
            .threat_actors
            .iter()
            .map(|a| Named::attribution(a, &a.aliases.join(", ")))
            .collect(),
        Kind::Software => rule
            .enrichment
            .software
            .iter()
            .map(|a| Named::attribution(a, ""))
            .collect(),
        // These three come ready-made with the corpus.
        Kind::Indicator | Kind::SearchTerm | Kind::Selector => Vec::new(),
    }
}

/// The index name of a threat actor or software as a rule page names it.
pub fn attribution_key(name: &str) -> String {
    Attribution {
        name: name.to_owned(),
        aliases: Vec::new(),
    }
    .key()
}

fn build_index(kind: Kind, corpus: &CorpusAnalysis, by_key: &HashMap<&str, usize>) -> Index {
    let mut entries: Vec<Entry> = match kind {
        Kind::Indicator => from_corpus(kind, &corpus.indicators, by_key),
        Kind::SearchTerm => from_corpus(kind, &corpus.search_terms, by_key),
        Kind::Selector => from_corpus(kind, &corpus.selectors, by_key),
        _ => {
            // The first rule to name an entry gives its label and detail.
            let mut grouped: BTreeMap<String, (Named, BTreeSet<usize>)> = BTreeMap::new();
            for (i, rule) in corpus.rules.iter().enumerate() {
                for named in rule_names(kind, rule) {
                    let slot = grouped
                        .entry(named.name.clone())
                        .or_insert_with(|| (named, BTreeSet::new()));
                    slot.1.insert(i);
                }
            }
            grouped
                .into_iter()
                .map(|(name, (named, rules))| {
                    let rules: Vec<usize> = rules.into_iter().collect();
                    let use_cases = rules
                        .iter()
                        .map(|&i| corpus.rules[i].use_case.as_str())
                        .collect::<HashSet<_>>()
                        .len();
                    Entry {
                        href: kind.href(&name),
                        name,
                        label: named.label,
                        detail: named.detail,
                        rules,
                        use_cases,
                    }
                })
                .collect()
        }
    };
    entries.sort_by(|a, b| {
        b.rules
            .len()
            .cmp(&a.rules.len())
            .then(a.label.cmp(&b.label))
    });
    Index { kind, entries }
}

fn from_corpus(kind: Kind, list: &[IndexEntry], by_key: &HashMap<&str, usize>) -> Vec<Entry> {
    let mut seen = HashSet::new();
    list.iter()
        // A repeated key would make two pages of one file; the first one wins.
        .filter(|e| seen.insert(e.key.as_str()))
        .map(|e| {
            let mut rules: Vec<usize> = e
                .rules
                .iter()
                .filter_map(|k| by_key.get(k.as_str()).copied())
                .collect();
            rules.sort_unstable();
            rules.dedup();
            Entry {
                name: e.key.clone(),
                label: e.key.clone(),
                detail: e.field.clone(),
                href: kind.href(&e.key),
                rules,
                use_cases: e.use_cases,
            }
        })
        .collect()
}

/// The ATT&CK enterprise tactics in matrix order; others follow alphabetically.
const TACTIC_ORDER: [&str; 14] = [
    "reconnaissance",
    "resource development",
    "initial access",
    "execution",
    "persistence",
    "privilege escalation",
    "defense evasion",
    "credential access",
    "discovery",
    "lateral movement",
    "collection",
    "command and control",
    "exfiltration",
    "impact",
];

/// A tactic's rank in the matrix, by name ("Lateral Movement", "lateral-movement").
pub fn tactic_rank(name: &str) -> usize {
    let folded = name.to_lowercase().replace('-', " ");
    TACTIC_ORDER
        .iter()
        .position(|t| *t == folded)
        .unwrap_or(TACTIC_ORDER.len())
}

/// The Navigator's short name of a tactic: "lateral-movement".
pub fn tactic_shortname(name: &str) -> String {
    name.trim().to_lowercase().replace(' ', "-")
}

#[derive(Debug, Serialize)]
pub struct MatrixColumn {
    pub tactic: String,
    /// The tactic's page; tactics without rules have none.
    pub href: Option<String>,
    pub cells: Vec<MatrixCell>,
    /// Techniques of the tactic (in the ATT&CK the analysis used) that no rule covers,
    /// neither themselves nor through a sub-technique.
    pub gaps: Vec<MatrixGap>,
}

#[derive(Debug, Serialize)]
pub struct MatrixCell {
    pub id: String,
    pub name: String,
    pub href: String,
    pub rules: usize,
    /// 1 to 5, for the colour scale.
    pub heat: usize,
}

#[derive(Debug, Serialize)]
pub struct MatrixGap {
    pub id: String,
    pub name: String,
    /// ATT&CK's page, when it is an http(s) address.
    pub url: Option<String>,
}

/// A tactic's techniques: id to (name, keys of the rules covering it).
type Column<'r> = BTreeMap<String, (String, BTreeSet<&'r str>)>;

/// The ATT&CK matrix of the rules given: one column per tactic, its techniques by coverage.
/// With `attack`, the columns follow its tactic order, every tactic has a column and each
/// lists the techniques left uncovered.
pub fn matrix<'r>(
    rules: impl Iterator<Item = &'r RuleAnalysis>,
    attack: Option<&AttackSummary>,
) -> Vec<MatrixColumn> {
    let rank = |name: &str| {
        let shortname = tactic_shortname(name);
        attack
            .and_then(|a| a.tactics.iter().position(|t| t.shortname == shortname))
            .unwrap_or_else(|| 100 + tactic_rank(name))
    };
    let mut grid: BTreeMap<(usize, String), Column<'r>> = BTreeMap::new();
    for tactic in attack.iter().flat_map(|a| &a.tactics) {
        grid.entry((rank(&tactic.name), tactic.name.clone()))
            .or_default();
    }
    for rule in rules {
        for row in &rule.attack {
            let Some(id) = &row.technique_id else {
                continue;
            };
            let column = grid
                .entry((rank(&row.tactic_name), row.tactic_name.clone()))
                .or_default();
            let cell = column
                .entry(id.clone())
                .or_insert_with(|| (row.technique_name.clone(), BTreeSet::new()));
            cell.1.insert(rule.key.as_str());
        }
    }
    let max = grid
        .values()
        .flat_map(|c| c.values().map(|(_, r)| r.len()))
        .max()
        .unwrap_or(1)
        .max(1);
    // Rules sometimes file a technique under another tactic: it is covered all the same.
    let covered: BTreeSet<String> = grid
        .values()
        .flat_map(|c| c.keys())
        .map(|id| id.split('.').next().unwrap_or(id).to_owned())
        .collect();
    grid.into_iter()
        .map(|((_, tactic), cells)| {
            let gaps = attack.map_or_else(Vec::new, |a| gaps(a, &tactic, &covered));
            let href = (!cells.is_empty()).then(|| Kind::Tactic.href(&tactic));
            let mut cells: Vec<MatrixCell> = cells
                .into_iter()
                .map(|(id, (name, rules))| MatrixCell {
                    href: Kind::Technique.href(&id),
                    heat: (rules.len() * 5).div_ceil(max).clamp(1, 5),
                    rules: rules.len(),
                    id,
                    name,
                })
                .collect();
            cells.sort_by(|a, b| b.rules.cmp(&a.rules).then(a.id.cmp(&b.id)));
            MatrixColumn {
                href,
                tactic,
                cells,
                gaps,
            }
        })
        .collect()
}

/// The tactic's top-level techniques that no rule covers, themselves or through a
/// sub-technique (`covered` holds the top-level ids of every covered technique).
fn gaps(attack: &AttackSummary, tactic: &str, covered: &BTreeSet<String>) -> Vec<MatrixGap> {
    let shortname = tactic_shortname(tactic);
    attack
        .techniques
        .iter()
        .filter(|t| t.parent_id.is_none() && t.tactics.contains(&shortname))
        .filter(|t| !covered.contains(&t.id))
        .map(|t| MatrixGap {
            id: t.id.clone(),
            name: t.name.clone(),
            url: safe_url(Some(&t.url)),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tactics_rank_in_matrix_order_whatever_the_spelling() {
        assert!(tactic_rank("Execution") < tactic_rank("lateral-movement"));
        assert_eq!(tactic_rank("Command and Control"), 11);
        assert_eq!(tactic_rank("made up"), 14);
        assert_eq!(tactic_shortname("Lateral Movement"), "lateral-movement");
    }

    #[test]
    fn hrefs_fold_case_only_where_it_carries_no_meaning() {
        assert_eq!(
            Kind::Technique.href("T1569.002"),
            "techniques/t1569.002.html"
        );
        assert_eq!(
            Kind::Event.href(&event_name("Sysmon", 1)),
            "events/sysmon-1.html"
        );
        assert_ne!(Kind::Field.href("Image"), Kind::Field.href("image"));
        assert_eq!(Kind::from_dir("fields"), Some(Kind::Field));
    }
}
