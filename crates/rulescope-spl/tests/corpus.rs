//! The armory corpus (read at run time from ../shared, never copied): exactly the
//! known-malformed queries have diagnostics, with the expected codes; every clean query
//! round-trips through the printer.

mod common;

use std::collections::BTreeMap;

use rulescope_spl::{ParseStats, parse, print};

/// Every armory query with diagnostics, and the codes it must get (in order).
const EXPECTED: &[(&str, &[&str])] = &[
    ("1015.1018", &["spl-glued-operator", "spl-glued-operator"]),
    ("1025.1026", &["spl-glued-operator", "spl-glued-operator"]),
    ("1025.14323", &["spl-glued-operator", "spl-glued-operator"]),
    ("1081.1120", &["spl-term-with-space"; 3]),
    ("1081.24852", &["spl-term-with-space"; 3]),
    ("17332.28225", &["spl-term-with-space"]),
    ("20166.35849", &["spl-unmatched-close-paren"]),
    ("20231.35922", &["spl-unclosed-term"]),
    ("20368.36066", &["spl-unclosed-paren"]),
    ("20390.36175", &["spl-unclosed-paren"]),
    ("22209.39128", &["spl-unclosed-term"]),
    ("25039.46452", &["spl-macro-unterminated-string"]),
    ("25039.46462", &["spl-macro-unterminated-string"]),
    ("27653.50279", &["spl-unclosed-paren"]),
    ("31402.56383", &["spl-unmatched-close-paren"]),
    ("33330.58991", &["spl-regex-bad-operator"]),
    ("36746.69166", &["spl-unmatched-close-paren"]),
    ("36746.69167", &["spl-unmatched-close-paren"]),
    ("37781.67669", &["spl-unclosed-paren"]),
    ("40420.73845", &["spl-unclosed-paren"]),
    ("41487.76907", &["spl-unclosed-macro-args"]),
    ("42912.83025", &["spl-stray-comma"]),
    ("42967.83086", &["spl-function-arity"]),
    ("42969.83088", &["spl-function-arity"]),
    ("42970.83089", &["spl-function-arity"]),
    ("42972.83091", &["spl-function-arity"]),
    ("42973.83092", &["spl-function-arity"]),
    ("42975.83094", &["spl-function-arity"]),
    ("42976.83095", &["spl-function-arity"]),
    ("42977.83096", &["spl-function-arity"]),
    ("42981.83100", &["spl-function-arity"]),
    ("42982.83101", &["spl-function-arity"]),
    ("42999.83118", &["spl-function-arity"]),
    ("43849.85979", &["spl-function-arity", "spl-function-arity"]),
    ("44644.87463", &["spl-unknown-search-function"]),
    (
        "45246.90690",
        &["spl-unknown-operator", "spl-unknown-operator"],
    ),
    ("5380.5490", &["spl-unclosed-paren"]),
    ("5458.5617", &["spl-glued-operator"; 8]),
    ("8328.18237", &["spl-stray-quote"]),
    ("8525.10796", &["spl-stray-comma"]),
    ("8620.11045", &["spl-unquoted-regex"]),
];

#[test]
fn exactly_the_malformed_queries_have_diagnostics() {
    let Some(rules) = common::armory() else {
        return;
    };
    assert_eq!(rules.len(), 1466, "Splunk rules in the armory");
    let expected: BTreeMap<&str, Vec<&str>> =
        EXPECTED.iter().map(|(id, c)| (*id, c.to_vec())).collect();
    let mut found: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for (id, logic) in &rules {
        let parsed = parse(logic);
        for d in &parsed.diagnostics {
            let span = d.span.unwrap_or_default();
            assert!(
                span.end as usize <= logic.len() && !span.is_empty(),
                "{id}: bad span {span:?} for {}",
                d.code
            );
        }
        if !parsed.diagnostics.is_empty() {
            found.insert(
                id,
                parsed
                    .diagnostics
                    .iter()
                    .map(|d| d.code.to_string())
                    .collect(),
            );
        }
    }
    let found_ref: BTreeMap<&str, Vec<&str>> = found
        .iter()
        .map(|(k, v)| (*k, v.iter().map(String::as_str).collect()))
        .collect();
    assert_eq!(found_ref, expected);
}

/// Spot checks that diagnostics point at the offending text.
#[test]
fn diagnostics_point_at_the_offending_text() {
    let Some(rules) = common::armory() else {
        return;
    };
    let logic: BTreeMap<&str, &str> = rules
        .iter()
        .map(|(i, l)| (i.as_str(), l.as_str()))
        .collect();
    let first = |id: &str| {
        let text = logic[id];
        let p = parse(text);
        p.diagnostics[0]
            .span
            .map(|s| s.slice(text).to_owned())
            .unwrap_or_default()
    };
    assert_eq!(first("44644.87463"), "zTERM");
    assert_eq!(first("1025.1026"), "ANDmatch");
    assert_eq!(first("45246.90690"), "contains");
    assert_eq!(first("8620.11045"), r"^\d+");
    assert_eq!(first("33330.58991"), "-");
    assert_eq!(first("8328.18237"), "\"");
    assert_eq!(logic["8328.18237"].find('"'), Some(0));
    assert_eq!(first("20231.35922"), "TERM(Mount-DiskImage");
    assert_eq!(first("43849.85979"), r#"match(event_type = "(?i)^s$")"#);
    assert_eq!(first("31402.56383"), ")");
    assert_eq!(first("20368.36066"), "(");
}

#[test]
fn clean_queries_round_trip_through_the_printer() {
    let Some(rules) = common::armory() else {
        return;
    };
    let mut checked = 0;
    for (id, logic) in &rules {
        let parsed = parse(logic);
        if !parsed.diagnostics.is_empty() {
            continue;
        }
        let printed = print(&parsed.pipeline);
        let again = parse(&printed);
        assert!(
            again.diagnostics.is_empty(),
            "{id}: printed form has diagnostics: {printed}\n{:?}",
            again.diagnostics
        );
        assert_eq!(
            common::without_spans(&again.pipeline),
            common::without_spans(&parsed.pipeline),
            "{id}: round trip changed the tree\n{logic}\n{printed}"
        );
        assert_eq!(
            print(&again.pipeline),
            printed,
            "{id}: printing is not idempotent"
        );
        checked += 1;
    }
    assert_eq!(checked, 1466 - EXPECTED.len());
}

#[test]
fn corpus_stats_have_no_generic_fallback_for_known_commands() {
    let Some(rules) = common::armory() else {
        return;
    };
    let mut stats = ParseStats::default();
    for (_, logic) in &rules {
        stats.add(&parse(logic));
    }
    assert_eq!(stats.queries, 1466);
    assert_eq!(stats.clean, 1466 - EXPECTED.len());
    assert_eq!(stats.failed, 0);
    for (name, c) in &stats.commands {
        // avlbase64 is a custom command: only the generic form knows it.
        if name != "avlbase64" {
            assert_eq!(c.generic, 0, "{name} fell back to the generic form");
        }
    }
    let text = stats.render_text();
    assert!(text.contains("clean"), "{text}");
    let json: serde_json::Value = serde_json::from_str(&stats.render_json()).unwrap_or_default();
    assert_eq!(json["queries"], 1466);
}
