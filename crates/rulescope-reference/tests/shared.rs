//! Tests over the read-only `shared` folder next to the repository: the ATT&CK and Windows
//! event data files and the armory corpus. Each test skips with one line when its input is
//! absent. The armory is read by a minimal reader here (the loader crate is developed
//! separately).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rulescope_model::rule::RuleSource;
use rulescope_model::{LogicFormat, Rule, TechniqueRef};
use serde::Deserialize;

/// `shared/<relative>`, or `None` after printing one line saying the test is skipped.
pub fn shared(relative: &str) -> Option<PathBuf> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared")
        .join(relative);
    if path.exists() {
        Some(path)
    } else {
        eprintln!("skipped: {} is absent", path.display());
        None
    }
}

/// `technique_id`, `data_category` and `references` are null, a string or a (nested) list.
#[derive(Deserialize)]
#[serde(untagged)]
enum Loose {
    One(String),
    Many(Vec<Loose>),
}

impl Loose {
    fn flatten(self, into: &mut Vec<String>) {
        match self {
            Loose::One(value) => into.push(value),
            Loose::Many(values) => values.into_iter().for_each(|v| v.flatten(into)),
        }
    }
}

fn flat(value: Option<Loose>) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(value) = value {
        value.flatten(&mut out);
    }
    out
}

#[derive(Deserialize)]
struct RawRule {
    id: String,
    title: String,
    description: String,
    logic_format: String,
    logic: String,
    techniques: Vec<String>,
    technique_id: Option<Loose>,
    data_category: Option<Loose>,
    references: Option<Loose>,
}

/// Every rule of the armory corpus, sorted by path; `None` when the corpus is absent.
pub fn armory() -> Option<Vec<Rule>> {
    let root = shared("corpus/armory/detections")?;
    let mut paths: Vec<PathBuf> = walkdir::WalkDir::new(&root)
        .into_iter()
        .filter_map(Result::ok)
        .map(walkdir::DirEntry::into_path)
        .filter(|p| p.extension().is_some_and(|e| e == "yml"))
        .collect();
    paths.sort();
    let rules = paths
        .into_iter()
        .map(|path| {
            let text = std::fs::read_to_string(&path).expect("corpus files are readable");
            let raw: RawRule =
                serde_saphyr::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            Rule {
                use_case: Rule::use_case_of(&raw.id).to_owned(),
                id: raw.id,
                title: raw.title,
                description: raw.description,
                logic_format: LogicFormat::parse(&raw.logic_format),
                logic: raw.logic,
                techniques: raw
                    .techniques
                    .iter()
                    .filter_map(|t| TechniqueRef::parse(t))
                    .collect(),
                technique_ids: flat(raw.technique_id),
                data_categories: flat(raw.data_category),
                references: flat(raw.references),
                source: RuleSource {
                    relative_path: path
                        .strip_prefix(&root)
                        .unwrap_or(&path)
                        .to_string_lossy()
                        .into_owned(),
                    path,
                    text: Arc::from(text),
                    logic_span: None,
                },
            }
        })
        .collect();
    Some(rules)
}

use std::collections::{BTreeMap, BTreeSet};
use std::sync::LazyLock;

use regex::Regex;

use rulescope_reference::attack::{AttackCatalog, CatalogSource};
use rulescope_reference::enrich::enrich;
use rulescope_reference::events::{EventCatalog, EventFields, EventSource};

/// The catalog every corpus check uses.
fn enterprise() -> Option<AttackCatalog> {
    let path = shared("data/attack-enterprise.json")?;
    Some(AttackCatalog::load(&path).expect("the compact enterprise file loads"))
}

#[test]
fn compact_enterprise_attack() {
    let Some(catalog) = enterprise() else { return };
    assert_eq!(catalog.source(), &CatalogSource::Compact);
    assert_eq!(
        (catalog.domain(), catalog.version()),
        ("enterprise-attack", Some("19.1"))
    );
    // The built-in table is the same v19 matrix, in the same order.
    assert_eq!(catalog.tactics(), AttackCatalog::builtin().tactics());
    let techniques = catalog.techniques();
    assert_eq!(techniques.len(), 858);
    let active = |sub: bool| {
        techniques
            .iter()
            .filter(|t| !t.revoked && !t.deprecated && t.parent_id.is_some() == sub)
            .count()
    };
    assert_eq!((active(false), active(true)), (222, 475));
    assert_eq!(techniques.iter().filter(|t| t.revoked).count(), 149);
    assert_eq!(techniques.iter().filter(|t| t.deprecated).count(), 12);
    let sub = catalog.technique("T1569.002").expect("T1569.002");
    assert_eq!(sub.display_name, "System Services: Service Execution");
    assert_eq!(sub.url, "https://attack.mitre.org/techniques/T1569/002/");
    let impair = catalog.technique("T1562").expect("T1562");
    assert_eq!(catalog.current(impair).id, "T1685");
    let rename = catalog.rename_of("defense-evasion").expect("v19 rename");
    assert_eq!(
        (rename.tactic_id.as_str(), rename.split_into.as_slice()),
        ("TA0005", &["TA0112".to_owned()][..])
    );
    assert_eq!(catalog.tactic_renames().len(), 1);
}

#[test]
fn compact_mobile_and_ics_attack() {
    for (file, domain, objects, first_tactic) in [
        ("data/attack-mobile.json", "mobile-attack", 190, "TA0027"),
        ("data/attack-ics.json", "ics-attack", 118, "TA0108"),
    ] {
        let Some(path) = shared(file) else { return };
        let catalog = AttackCatalog::load(&path).expect("compact file loads");
        assert_eq!(catalog.domain(), domain);
        assert_eq!(catalog.techniques().len(), objects, "{file}");
        assert_eq!(catalog.tactics()[0].id, first_tactic, "{file}");
        // TA0005 is an enterprise tactic: the v19 rename does not apply here.
        assert!(catalog.tactic_renames().is_empty(), "{file}");
    }
}

#[test]
fn builtin_event_titles_match_windows_events_csv() {
    let Some(path) = shared("data/windows-events.csv") else {
        return;
    };
    let file = EventCatalog::load(&path).expect("windows-events.csv loads");
    assert_eq!(file.events().len(), 585);
    let process = file.lookup(EventSource::Security, 4688).expect("4688");
    assert_eq!(
        (process.provider_short.as_str(), process.title.as_str()),
        ("Security-Auditing", "A new process has been created.")
    );
    assert_eq!(
        file.lookup(EventSource::Security, 5145)
            .map(|e| e.title.as_str()),
        Some(
            "A network share object was checked to see whether client can be granted desired access."
        )
    );
    let builtin = EventCatalog::builtin();
    let mut compared = 0;
    let mut differences = Vec::new();
    let mut absent = BTreeSet::new();
    for event in builtin.events() {
        let Some(row) = file.lookup_channel(&event.channel, event.event_id) else {
            absent.insert(format!("{} {}", event.provider_short, event.event_id));
            continue;
        };
        compared += 1;
        if (row.provider.as_str(), row.title.as_str())
            != (event.provider.as_str(), event.title.as_str())
        {
            differences.push(format!(
                "{} {}: {:?} vs {:?}",
                event.channel, event.event_id, event.title, row.title
            ));
        }
    }
    assert!(differences.is_empty(), "{differences:#?}");
    assert_eq!(compared, 101);
    // The CSV has no Application, User32 or WMI-Activity rows; the built-in table adds them.
    assert_eq!(
        absent.into_iter().collect::<Vec<_>>(),
        [
            "Application Error 1000",
            "MSSQLSERVER 15457",
            "MSSQLSERVER 33205",
            "MsiInstaller 1033",
            "MsiInstaller 1040",
            "MsiInstaller 1042",
            "User32 1074",
            "WMI-Activity 5857",
            "WMI-Activity 5858",
            "WMI-Activity 5859",
            "WMI-Activity 5860",
            "WMI-Activity 5861"
        ]
    );
}

#[test]
fn builtin_event_fields_match_windows_event_fields_csv() {
    let Some(path) = shared("data/windows-event-fields.csv") else {
        return;
    };
    let file = EventFields::load(&path).expect("windows-event-fields.csv loads");
    let builtin = EventFields::builtin();
    let events = [
        (EventSource::Security, 4624),
        (EventSource::Security, 4688),
        (EventSource::Security, 5145),
        (EventSource::System, 7045),
        (EventSource::PowerShell, 4104),
        (EventSource::Sysmon, 1),
        (EventSource::Sysmon, 3),
        (EventSource::Sysmon, 11),
        (EventSource::Sysmon, 13),
    ];
    for (source, id) in events {
        assert_eq!(
            builtin.fields(source, id),
            file.fields(source, id),
            "{source:?} {id}"
        );
    }
    assert_eq!(
        file.produces(EventSource::Security, 4688, "CommandLine"),
        Some(true)
    );
    assert_eq!(
        file.produces(EventSource::Security, 4688, "ParentImage"),
        Some(false)
    );
    assert_eq!(
        file.produces(EventSource::Security, 1102, "SubjectUserName"),
        Some(true)
    );
}

/// Labels that must never remain in a summary.
static LABEL_TEXT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(concat!(
        r"(?i)threat\s*(actor|group)\s*ass|software\s+(assoc|attrib)|\batomics?\s+(test\s+)?T?\d{4}",
        r"|#trendingthreat|\(lolbas\)|lolbins?[/\\]lolbas|vulnerability\s+(association|reference)\s*:",
        r"|campaign\s*:|\btags\s*:|lolrmm",
    ))
    .expect("valid")
});

#[test]
fn corpus_descriptions() {
    let Some(rules) = armory() else { return };
    assert_eq!(rules.len(), 1898);
    let mut with = BTreeMap::<&str, usize>::new();
    let mut actor_keys = BTreeSet::new();
    let mut software_keys = BTreeSet::new();
    let mut notes = BTreeSet::new();
    for rule in &rules {
        let e = enrich(&rule.description);
        assert!(
            !LABEL_TEXT.is_match(&e.summary),
            "{}: {}",
            rule.id,
            e.summary
        );
        assert!(
            e.summary.len() >= 17,
            "{}: summary {:?}",
            rule.id,
            e.summary
        );
        for (name, present) in [
            ("actors", !e.threat_actors.is_empty()),
            ("software", !e.software.is_empty()),
            ("atomics", !e.atomic_tests.is_empty()),
            ("lotl", !e.living_off_the_land.is_empty()),
            ("tags", !e.tags.is_empty()),
            ("vulnerabilities", !e.vulnerabilities.is_empty()),
            ("campaigns", !e.campaigns.is_empty()),
        ] {
            *with.entry(name).or_default() += usize::from(present);
        }
        actor_keys.extend(e.threat_actors.iter().map(|a| a.key()));
        software_keys.extend(e.software.iter().map(|a| a.key()));
        notes.extend(e.notes);
        if rule.id == "5398.5498" {
            assert_eq!(
                e.summary,
                "Impackets psexec.py enables users to execute commands or gain an interactive shell on a remote host."
            );
            let actors: Vec<&str> = e.threat_actors.iter().map(|a| a.name.as_str()).collect();
            assert_eq!(actors, ["APT28", "Cadet Blizzard", "UNC5221", "UTA0178"]);
            assert_eq!(e.threat_actors[0].aliases.len(), 6);
            assert_eq!(e.software.len(), 2);
            assert_eq!(e.atomic_tests[0].technique_id, "T1021.002");
            assert_eq!(e.atomic_tests[0].test_numbers, [3]);
        }
    }
    // Actors and software match armory-corpus.md §1 (831 / 618 rules). It counts 550
    // rules with atomics using `Atomics? T?\d{4}`; 18 more write `Atomic Test T1040 - Test
    // #1`, `Atomics Test T1518.001 Test #6` or `Atomic Test #3: T1548.002`. LOLBAS-style
    // tags: 222 as measured there; tags: the 104 rules that say TrendingThreat.
    let expected = [
        ("actors", 831),
        ("atomics", 568),
        ("campaigns", 4),
        ("lotl", 222),
        ("software", 618),
        ("tags", 104),
        ("vulnerabilities", 89),
    ];
    assert_eq!(with.into_iter().collect::<Vec<_>>(), expected);
    // Naive splitting gives 204 actor and 185 software strings; keys merge case and
    // `A/B` order, and the typo repairs drop `29`, `505`, `TA` and `APT`.
    assert_eq!((actor_keys.len(), software_keys.len()), (175, 163));
    assert!(actor_keys.contains("alphv/blackcat") && !actor_keys.contains("blackcat/alphv"));
    assert_eq!(notes.len(), 2, "{notes:?}");
}

#[test]
fn corpus_attack_findings() {
    let Some(rules) = armory() else { return };
    let Some(catalog) = enterprise() else { return };
    let mut findings = BTreeMap::<String, usize>::new();
    let mut rules_with = BTreeMap::<String, BTreeSet<&str>>::new();
    let mut unresolved_rows = 0;
    for rule in &rules {
        let coverage = catalog.coverage(rule);
        unresolved_rows += coverage
            .rows
            .iter()
            .filter(|r| r.technique_id.is_none() || r.tactic_id.is_none())
            .count();
        for d in &coverage.diagnostics {
            *findings.entry(d.code.to_string()).or_default() += 1;
            rules_with
                .entry(d.code.to_string())
                .or_default()
                .insert(&rule.id);
        }
        if rule.id == "5398.5498" {
            let rows: Vec<(&str, &str)> = coverage
                .rows
                .iter()
                .map(|r| (r.tactic_name.as_str(), r.display.as_str()))
                .collect();
            assert_eq!(
                rows,
                [
                    ("Execution", "T1569.002 System Services: Service Execution"),
                    ("Lateral Movement", "T1021 Remote Services")
                ]
            );
            assert!(coverage.diagnostics.is_empty());
        }
    }
    // Findings per code over the 1,898 files, with the compact ATT&CK enterprise 19.1.
    // 639 files tag `defense-evasion` (634 ids: five files are duplicates). Most revoked
    // ids and outdated names come from v19 moving Impair Defenses (T1562) to T1685.
    let expected = [
        ("attack-id-revoked", 60),
        ("attack-id-unlisted", 31),
        ("attack-name-outdated", 82),
        ("attack-name-unlisted", 9),
        ("attack-tactic-mismatch", 39),
        ("attack-tactic-renamed", 639),
    ];
    let findings: Vec<(&str, usize)> = findings.iter().map(|(k, v)| (k.as_str(), *v)).collect();
    assert_eq!(findings, expected);
    assert_eq!(rules_with["attack-id-unlisted"].len(), 28);
    // Every row resolved to a tactic and an id: renamed names paired through technique_id.
    assert_eq!(unresolved_rows, 0);
}

#[test]
fn corpus_event_lookups() {
    let Some(rules) = armory() else { return };
    let Some(path) = shared("data/windows-events.csv") else {
        return;
    };
    static EVENT_ID: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r#"(?i)(?:EventCode\s*=\s*"?|EventID>|signature_id\s*=\s*)(\d+)"#)
            .expect("valid")
    });
    let builtin = EventCatalog::builtin();
    let mut merged = EventCatalog::builtin();
    merged.merge(EventCatalog::load(&path).expect("loads"));
    let mut pairs = BTreeSet::new();
    for rule in &rules {
        let Some(kind) = ["winevent", "sysmon", "powershell"]
            .into_iter()
            .find(|k| rule.logic.contains(&format!("get_endpoint_data_{k}`")))
        else {
            continue;
        };
        for caps in EVENT_ID.captures_iter(&rule.logic) {
            if let Ok(id) = caps[1].parse::<u32>() {
                pairs.insert((kind, id));
            }
        }
    }
    let resolved = |catalog: &EventCatalog| {
        pairs
            .iter()
            .filter(|(kind, id)| {
                catalog
                    .lookup_first(EventSource::candidates(kind), *id)
                    .is_some()
            })
            .count()
    };
    let missing: Vec<(&str, u32)> = pairs
        .iter()
        .filter(|(kind, id)| {
            merged
                .lookup_first(EventSource::candidates(kind), *id)
                .is_none()
        })
        .copied()
        .collect();
    // (source, id) pairs the logic of winevent / sysmon / powershell rules names, by a
    // rough pattern: the built-in table titles 59 of 80, with windows-events.csv 75.
    assert_eq!(
        (pairs.len(), resolved(&builtin), resolved(&merged)),
        (80, 59, 75)
    );
    // Left: `where dc_signature_id=3` (1033.1042) is a count, not an id; 316 PrintService,
    // 517 and 632 pre-Vista Security, 8222 a shadow-copy event.
    assert_eq!(
        missing,
        [
            ("winevent", 3),
            ("winevent", 316),
            ("winevent", 517),
            ("winevent", 632),
            ("winevent", 8222)
        ]
    );
}
