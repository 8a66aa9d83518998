//! The analysis of the real armory corpus from `../shared`, with the ATT&CK and event data
//! there: facts that matter, asserted in code. Skips with one line where `../shared` is absent.

use std::path::PathBuf;
use std::sync::OnceLock;

use regex::Regex;
use rulescope_analysis::report::RuleAnalysis;
use rulescope_analysis::{CorpusAnalysis, Reference};
use rulescope_model::analysis::{PredicateKind, SelectorKind, StageRole};

fn shared() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared")
}

/// The whole corpus, analysed once for every test of this file.
fn corpus() -> Option<&'static CorpusAnalysis> {
    static CORPUS: OnceLock<Option<CorpusAnalysis>> = OnceLock::new();
    CORPUS
        .get_or_init(|| {
            let root = shared().join("corpus/armory");
            if !root.is_dir() {
                return None;
            }
            let reference = Reference::load(
                Some(&shared().join("data/attack-enterprise.json")),
                Some(&shared().join("data/windows-events.csv")),
            )
            .expect("reference data in ../shared/data loads");
            Some(rulescope_analysis::analyze(
                rulescope_load::load_paths(&[root]),
                &reference,
            ))
        })
        .as_ref()
        .or_else(|| {
            eprintln!("skipping: ../shared/corpus/armory not found");
            None
        })
}

fn rule<'a>(corpus: &'a CorpusAnalysis, id: &str) -> &'a RuleAnalysis {
    corpus
        .rules
        .iter()
        .find(|r| r.id == id)
        .unwrap_or_else(|| panic!("rule {id} missing"))
}

fn commands(rule: &RuleAnalysis) -> Vec<&str> {
    rule.stages.iter().map(|s| s.command.as_str()).collect()
}

fn terms(rule: &RuleAnalysis) -> Vec<(&str, bool)> {
    rule.search_terms
        .iter()
        .map(|t| (t.term.as_str(), t.indexed))
        .collect()
}

#[test]
fn impacket_psexec_has_every_section_of_the_reference_page_right() {
    let Some(corpus) = corpus() else { return };
    let psexec = rule(corpus, "5398.5498");

    assert_eq!(psexec.display_title, "Impacket PSexec (Windows Event Log)");
    assert_eq!(
        psexec.enrichment.summary,
        "Impackets psexec.py enables users to execute commands or gain an interactive shell on a remote host."
    );
    let attack: Vec<(&str, &str)> = psexec
        .attack
        .iter()
        .map(|row| (row.tactic_name.as_str(), row.display.as_str()))
        .collect();
    assert_eq!(
        attack,
        [
            ("Execution", "T1569.002 System Services: Service Execution"),
            ("Lateral Movement", "T1021 Remote Services"),
        ]
    );
    let events: Vec<(&str, u32, Option<&str>)> = psexec
        .events
        .iter()
        .map(|e| (e.provider.as_str(), e.event_id, e.title.as_deref()))
        .collect();
    assert_eq!(
        events,
        [
            (
                "Security-Auditing",
                4688,
                Some("A new process has been created.")
            ),
            (
                "Security-Auditing",
                5145,
                Some(
                    "A network share object was checked to see whether client can be granted desired access."
                )
            ),
        ]
    );
    assert_eq!(
        commands(psexec),
        [
            "search", "regex", "eval", "where", "table", "bin", "stats", "where"
        ]
    );
    assert_eq!(psexec.stages[0].role, StageRole::DataSource);
    assert!(psexec.stages[1].text.starts_with("regex _raw="));

    // Indicators keep their values: the reference page lost them.
    let indicators: Vec<(&str, PredicateKind, Vec<&str>)> = psexec
        .indicators
        .iter()
        .map(|i| {
            (
                i.field.as_str(),
                i.kind,
                i.values.iter().map(|v| v.value.as_str()).collect(),
            )
        })
        .collect();
    let regex = r"(?i)(\w{8}\.exe)|(psexec)";
    assert_eq!(
        indicators,
        [
            ("_raw", PredicateKind::RegexMatch, vec![regex]),
            ("parent_process_name", PredicateKind::Match, vec![regex]),
            ("file_name", PredicateKind::Match, vec![regex]),
        ]
    );
    assert_eq!(psexec.indicators[2].derived_from, ["Relative_Target_Name"]);
    assert_eq!(psexec.indicators[0].values[0].needles, [".exe", "psexec"]);

    // `TERM(EventCode=4688)` is the indexed term `EventCode=4688`, not `TERM`.
    assert_eq!(
        terms(psexec),
        [
            ("EventCode=4688", true),
            ("<EventID>4688<", false),
            ("EventCode=5145", true),
            ("<EventID>5145<", false),
        ]
    );
    assert!(
        psexec
            .search_terms
            .iter()
            .all(|t| t.selector == Some(SelectorKind::EventCode))
    );
    // Event selectors, kept apart from indicators: the TERM comparisons, the XML phrases,
    // and the correlation on signature_id after stats.
    let selectors: Vec<(&str, Vec<&str>)> = psexec
        .selectors
        .iter()
        .map(|s| {
            (
                s.field.as_str(),
                s.values.iter().map(String::as_str).collect(),
            )
        })
        .collect();
    assert_eq!(
        selectors,
        [
            ("EventCode", vec!["4688", "5145"]),
            ("_raw", vec!["<EventID>4688<"]),
            ("_raw", vec!["<EventID>5145<"]),
            ("signature_id", vec!["4688"]),
            ("signature_id", vec!["5145"]),
        ]
    );
    assert_eq!(
        psexec.enrichment.threat_actors[0].aliases.len(),
        6,
        "APT28 and its six aliases"
    );
}

#[test]
fn rules_of_every_data_source_and_both_formats() {
    let Some(corpus) = corpus() else { return };

    // Sysmon: a base search with a top-level OR that Splunk binds tighter than AND.
    let sysmon = rule(corpus, "30662.54790");
    assert_eq!(sysmon.data_source.key, "sysmon");
    assert_eq!(sysmon.events[0].event_id, 1);
    assert_eq!(sysmon.events[0].provider, "Sysmon");
    assert_eq!(
        commands(sysmon),
        ["search", "regex", "table", "bin", "stats"]
    );
    let regex = &sysmon.indicators[0];
    assert_eq!(
        (regex.field.as_str(), regex.kind),
        ("process_name", PredicateKind::RegexMatch)
    );
    assert!(!regex.case_sensitive);
    assert!(terms(sysmon).contains(&("ADExplorer64.exe", false)));

    // PowerShell script blocks: phrases are raw-text terms.
    let powershell = rule(corpus, "25095.46537");
    assert_eq!(powershell.data_source.key, "powershell");
    assert_eq!(powershell.events[0].event_id, 4104);
    assert!(terms(powershell).contains(&("[VeeamBackup].[dbo].[Credentials]", false)));
    assert!(powershell.indicators.is_empty());

    // EDR: two regex stages on two fields.
    let edr = rule(corpus, "30702.54840");
    assert_eq!(edr.data_source.key, "edr");
    let fields: Vec<&str> = edr.indicators.iter().map(|i| i.field.as_str()).collect();
    assert_eq!(fields, ["process_name", "process"]);

    // Linux: sourcetype is a selector, `type` is not.
    let unix = rule(corpus, "5381.5491");
    assert_eq!(unix.data_source.key, "linux");
    assert!(
        unix.selectors
            .iter()
            .any(|s| s.kind == SelectorKind::Sourcetype)
    );
    let types = unix
        .indicators
        .iter()
        .find(|i| i.field == "type")
        .expect("type indicator");
    let values: Vec<&str> = types.values.iter().map(|v| v.value.as_str()).collect();
    assert_eq!(values, ["proctitle", "execve"]);
    assert!(terms(unix).contains(&("HISTFILE", true)));

    // AWS CloudTrail through the IAM macro.
    let aws = rule(corpus, "46899.93816");
    assert_eq!(aws.data_source.key, "aws-cloudtrail");
    assert!(terms(aws).contains(&("AWSLambdaBasicExecutionRole", false)));

    // Okta through the generic application macro, told apart by its eventType field.
    let okta = rule(corpus, "13774.20216");
    assert_eq!(okta.data_source.key, "okta");
    assert_eq!(okta.indicators[0].field, "eventType");
    assert_eq!(
        okta.indicators[0].values[0].value,
        "device.enrollment.create"
    );
    let macros: Vec<&str> = okta.macros.iter().map(|m| m.name.as_str()).collect();
    assert_eq!(macros, ["get_application_data", "group_events"]);
    assert_eq!(okta.macros[1].args, ["\"src_ip\"", "1"]);

    // Auth0: a where clause, case-sensitive in Splunk.
    let auth0 = rule(corpus, "42913.83026");
    assert_eq!(auth0.data_source.key, "auth0");
    let event_type = auth0
        .indicators
        .iter()
        .find(|i| i.field == "event_type")
        .expect("event_type");
    assert_eq!(
        (event_type.kind, event_type.case_sensitive),
        (PredicateKind::Eq, true)
    );

    // Snowflake: Okta, query history, CrowdStrike, each with its time window kept apart.
    let okta_sql = rule(corpus, "13044.18766");
    assert_eq!(okta_sql.data_source.key, "okta");
    assert_eq!(commands(okta_sql), ["from", "where", "select"]);
    assert!(
        okta_sql
            .selectors
            .iter()
            .any(|s| s.kind == SelectorKind::TimeWindow)
    );
    let like = &okta_sql.indicators[0];
    assert_eq!(
        (like.field.as_str(), like.kind, like.case_sensitive),
        ("event_type", PredicateKind::Like, false)
    );
    assert_eq!(
        like.values[0].key,
        "event_type eq \"system.push.send_factor_verify_push\""
    );

    let history = rule(corpus, "17474.28541");
    assert_eq!(history.data_source.key, "snowflake-query-history");
    let keys: Vec<&str> = history
        .indicators
        .iter()
        .map(|i| i.values[0].key.as_str())
        .collect();
    assert_eq!(
        keys,
        [
            "query_text contains \" integration\"",
            "query_text starts_with \"create\""
        ]
    );

    let crowdstrike = rule(corpus, "8622.14711");
    assert_eq!(crowdstrike.data_source.key, "crowdstrike-fdr");
    assert!(
        crowdstrike
            .selectors
            .iter()
            .any(|s| s.field == "event_platform")
    );
    assert_eq!(
        crowdstrike.indicators[0].values[0].key,
        "process contains \"/active:y\""
    );
}

/// A Snowflake rule and its SPL variant look for the same thing written two ways:
/// `process ilike '%/active:y%'` and the phrase `"/active:y"` meet in one needle.
#[test]
fn spl_and_sql_variants_meet_after_normalisation() {
    let Some(corpus) = corpus() else { return };
    let sql = rule(corpus, "8622.14711");
    let variant = sql
        .variants
        .iter()
        .find(|v| v.id == "8622.13200")
        .expect("the EDR variant");
    assert_eq!(variant.data_source.key, "edr");
    assert_eq!(variant.shared, ["/active:y"]);
    assert_eq!(variant.only_there, ["/active:yes"]);
    assert!(variant.only_here.is_empty());
}

/// Raw-text terms count across rules whatever their spelling, and only rules of other use
/// cases count as other use cases: checked against a count made from the logic text.
#[test]
fn corpus_counts_match_an_independent_count() {
    let Some(corpus) = corpus() else { return };
    let phrase =
        Regex::new(r#"(?i)(^|[\s(])("\*?cmd\.exe\*?"|TERM\(cmd\.exe\)|cmd\.exe)($|[\s)])"#)
            .expect("valid pattern");
    let expected: Vec<&RuleAnalysis> = corpus
        .rules
        .iter()
        .filter(|r| {
            let base = r.logic.split('|').next().unwrap_or("");
            phrase.is_match(base)
        })
        .collect();
    let entry = corpus
        .search_terms
        .iter()
        .find(|e| e.key == "_raw contains \"cmd.exe\"")
        .expect("cmd.exe is a shared term");
    let mut listed: Vec<&str> = entry.rules.iter().map(String::as_str).collect();
    listed.sort_unstable();
    let mut counted: Vec<&str> = expected.iter().map(|r| r.key.as_str()).collect();
    counted.sort_unstable();
    assert_eq!(listed, counted);
    let use_cases: std::collections::BTreeSet<&str> =
        expected.iter().map(|r| r.use_case.as_str()).collect();
    assert_eq!(entry.use_cases, use_cases.len());

    // On each rule's page, the count leaves the rule itself and its own use case out.
    let some = expected[0];
    let term = some
        .search_terms
        .iter()
        .find(|t| {
            t.term.eq_ignore_ascii_case("cmd.exe") || t.term.eq_ignore_ascii_case("*cmd.exe*")
        })
        .expect("the rule's cmd.exe term");
    assert_eq!(term.key, entry.key, "the row names its index entry");
    assert_eq!(term.shared.other_rules, expected.len() - 1);
    let others = use_cases.len() - 1;
    assert_eq!(term.shared.other_use_cases, others);
}

#[test]
fn every_rule_is_analysed_and_event_selectors_are_not_indicators() {
    let Some(corpus) = corpus() else { return };
    assert_eq!(corpus.rules.len(), 1_898);
    // Keys are unique even for the five duplicated ids.
    let keys: std::collections::BTreeSet<&str> =
        corpus.rules.iter().map(|r| r.key.as_str()).collect();
    assert_eq!(keys.len(), 1_898);
    assert!(keys.contains("18093.30444-2"));
    for rule in &corpus.rules {
        for indicator in &rule.indicators {
            assert_ne!(
                indicator.field, "EventCode",
                "{}: EventCode left among indicators",
                rule.id
            );
        }
        assert!(
            !rule.stages.is_empty() || rule.logic.trim().is_empty(),
            "{}: no stages",
            rule.id
        );
    }
    // Each row's keys name the index entries that list the rule.
    let listed = |index: &[rulescope_analysis::report::IndexEntry], key: &str, rule: &str| {
        index
            .iter()
            .find(|e| e.key == key)
            .is_some_and(|e| e.rules.iter().any(|r| r == rule))
    };
    for rule in &corpus.rules {
        for term in rule.search_terms.iter().filter(|t| t.selector.is_none()) {
            assert!(
                listed(&corpus.search_terms, &term.key, &rule.key),
                "{}: term key {:?} not indexed",
                rule.key,
                term.key
            );
        }
        for selector in &rule.selectors {
            assert_eq!(selector.keys.len(), selector.values.len());
            for key in &selector.keys {
                assert!(
                    listed(&corpus.selectors, key, &rule.key),
                    "{}: selector key {key:?} not indexed",
                    rule.key
                );
            }
        }
    }
    // The most shared raw-text term across use cases is a command interpreter, not an
    // event selector (those are listed apart).
    assert!(!corpus.search_terms[0].key.contains("eventid"));
    let windows = corpus
        .rules
        .iter()
        .filter(|r| r.data_source.key == "windows-event-log")
        .count();
    assert_eq!(windows, 372);
}
