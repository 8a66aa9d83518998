//! Facts about the armory's 432 Snowflake rules, read from `shared/` at run time.

mod armory;

use std::collections::{BTreeMap, BTreeSet};

use rulescope_model::Severity;
use rulescope_model::analysis::{Predicate, PredicateKind, SelectorKind, StageRole};
use rulescope_sql::{SqlParseStats, SqlParsed, parse};

/// The rules with a genuine syntax error, each repaired, with the code that names it.
const TYPOS: [(&str, &str); 3] = [
    ("33144.58775", "sql-missing-comma"),
    ("5526.15117", "sql-repeated-keyword"),
    ("9051.16110", "sql-missing-space"),
];

/// The rules whose unparenthesised OR lets rows escape the time window.
const OR_ESCAPES: [&str; 5] = [
    "20033.35683",
    "20539.36400",
    "21033.37466",
    "5042.13632",
    "9051.16110",
];

/// The rules with `\\\n`-style escapes that Snowflake reads as control characters.
const CONTROL_ESCAPES: [&str; 8] = [
    "32245.58360",
    "33144.58775",
    "5703.15115",
    "5971.15090",
    "5995.14609",
    "5998.15085",
    "6135.15066",
    "6935.14674",
];

fn ids_with(parsed: &[(String, SqlParsed)], code: &str) -> BTreeSet<String> {
    parsed
        .iter()
        .filter(|(_, p)| p.diagnostics().iter().any(|d| d.code == code))
        .map(|(id, _)| id.clone())
        .collect()
}

fn set(ids: &[&str]) -> BTreeSet<String> {
    ids.iter().map(|s| (*s).to_owned()).collect()
}

#[test]
fn whole_corpus_parses_with_exactly_the_known_diagnostics() {
    let Some(rules) = armory::snowflake_rules() else {
        return;
    };
    assert_eq!(rules.len(), 432);
    let parsed: Vec<(String, SqlParsed)> = rules
        .iter()
        .map(|r| (r.id.clone(), parse(&r.logic)))
        .collect();

    let errors: BTreeMap<String, Vec<String>> = parsed
        .iter()
        .filter_map(|(id, p)| {
            let codes: Vec<String> = p
                .diagnostics()
                .iter()
                .filter(|d| d.severity == Severity::Error)
                .map(|d| d.code.to_string())
                .collect();
            (!codes.is_empty()).then(|| (id.clone(), codes))
        })
        .collect();
    let expected: BTreeMap<String, Vec<String>> = TYPOS
        .iter()
        .map(|(id, code)| ((*id).to_owned(), vec![(*code).to_owned()]))
        .collect();
    assert_eq!(errors, expected);

    assert_eq!(
        ids_with(&parsed, "sql-or-escapes-time-window"),
        set(&OR_ESCAPES)
    );
    assert_eq!(
        ids_with(&parsed, "sql-escape-makes-control-char"),
        set(&CONTROL_ESCAPES)
    );

    // 429 parse with no error; 14 carry a diagnostic (3 repaired typos, and warnings).
    let stats: SqlParseStats = parsed.iter().map(|(_, p)| p).collect();
    assert_eq!(
        (
            stats.clean,
            stats.with_diagnostics,
            stats.repaired,
            stats.failed
        ),
        (418, 14, 3, 0),
        "{}",
        stats.render_text()
    );
    let known_codes = [
        "sql-missing-comma",
        "sql-repeated-keyword",
        "sql-missing-space",
        "sql-or-escapes-time-window",
        "sql-escape-makes-control-char",
    ];
    assert!(
        stats
            .diagnostic_codes
            .keys()
            .all(|c| known_codes.contains(&c.as_str())),
        "{stats:?}"
    );

    for (id, p) in &parsed {
        let m = &p.model;
        assert_eq!(m.tables.len(), 1, "{id}");
        assert!(!m.tables[0].name.is_empty(), "{id}");
        let roles: Vec<StageRole> = m.stages.iter().map(|s| s.role).collect();
        assert_eq!(
            roles,
            [
                StageRole::DataSource,
                StageRole::Filter,
                StageRole::Transform
            ],
            "{id}"
        );
        assert!(
            m.predicates
                .iter()
                .any(|p| p.selector == Some(SelectorKind::TimeWindow)),
            "{id} has no time window"
        );
        // Every predicate of the WHERE stage, and something besides the window.
        assert!(m.predicates.iter().all(|p| p.stage == 1), "{id}");
        assert!(m.predicates.iter().any(|p| p.selector.is_none()), "{id}");
    }
}

fn find<'a>(p: &'a SqlParsed, field: &str, kind: PredicateKind) -> &'a Predicate {
    p.model
        .predicates
        .iter()
        .find(|x| x.field == field && x.kind == kind)
        .unwrap_or_else(|| panic!("no {field} {kind:?} in {:#?}", p.model.predicates))
}

fn window(p: &SqlParsed) -> Vec<(&str, PredicateKind, &str)> {
    p.model
        .predicates
        .iter()
        .filter(|x| x.selector == Some(SelectorKind::TimeWindow))
        .map(|x| (x.field.as_str(), x.kind, x.values[0].as_str()))
        .collect()
}

const TWO_HOURS: (&str, PredicateKind, &str) = (
    "event_time",
    PredicateKind::Gt,
    "dateadd(hour, -2, sysdate())",
);

#[test]
fn cloudflare_waf_rule() {
    let Some(rules) = armory::snowflake_rules() else {
        return;
    };
    // ... and (regexp_like(uri_path, '.*(autodiscover.json).*', 'i') or regexp_like(uri_path, …, 'i'))
    let p = parse(&armory::rule(rules, "6591.22128").logic);
    assert!(p.diagnostics().is_empty());
    assert_eq!(p.model.tables[0].name, "cloudflare_waf");
    assert_eq!(
        window(&p),
        [TWO_HOURS, ("event_time", PredicateKind::Lt, "$latest$")]
    );
    // Two REGEXP_LIKEs on one field joined by OR: one predicate with two values.
    let regex = find(&p, "uri_path", PredicateKind::RegexMatch);
    assert_eq!(regex.values.len(), 2);
    assert_eq!(regex.values[0], ".*(autodiscover.json).*");
    assert!(regex.values[1].starts_with(".*(mapi/nspi|"));
    assert!(!regex.case_sensitive && !regex.negated);
    assert_eq!(p.placeholders.len(), 1);
    assert_eq!(p.placeholders[0].name, "latest");
}

#[test]
fn crowdstrike_rule_with_negated_regex() {
    let Some(rules) = armory::snowflake_rules() else {
        return;
    };
    let p = parse(&armory::rule(rules, "6142.15065").logic);
    assert!(p.diagnostics().is_empty());
    assert_eq!(p.model.tables[0].name, "crowdstrikefdr_process");
    assert_eq!(window(&p), [TWO_HOURS]);
    let platform = find(&p, "event_platform", PredicateKind::Eq);
    assert_eq!(platform.values, ["Win"]);
    assert!(platform.case_sensitive);
    let regexes: Vec<(&str, bool)> = p
        .model
        .predicates
        .iter()
        .filter(|x| x.kind == PredicateKind::RegexMatch)
        .map(|x| (x.values[0].as_str(), x.negated))
        .collect();
    // `\\\x5c` is a backslash then `\x5c` (another backslash): the regex `\\`.
    assert_eq!(
        regexes,
        [
            (r".*\\\w{1,2}\.exe.*", false),
            (r".*windows\\(system32|syswow64)\\sc.exe.*", true),
        ]
    );
}

#[test]
fn crowdstrike_rule_with_postfix_not_ilike() {
    let Some(rules) = armory::snowflake_rules() else {
        return;
    };
    let p = parse(&armory::rule(rules, "27341.49807").logic);
    let platform = find(&p, "event_platform", PredicateKind::Like);
    assert_eq!(platform.values, ["%Win%"]);
    assert!(!platform.case_sensitive && !platform.negated);
    let path = find(&p, "process_path", PredicateKind::Like);
    assert_eq!(path.values, ["%rundll32.exe"]);
    assert!(path.negated);
}

#[test]
fn cloudtrail_rule_with_is_not_null() {
    let Some(rules) = armory::snowflake_rules() else {
        return;
    };
    let p = parse(&armory::rule(rules, "8610.13681").logic);
    assert_eq!(p.model.tables[0].name, "awscloudtrail");
    let region = find(&p, "region", PredicateKind::Exists);
    assert!(region.values.is_empty() && !region.negated);
}

#[test]
fn cloudtrail_rule_with_in_list() {
    let Some(rules) = armory::snowflake_rules() else {
        return;
    };
    let p = parse(&armory::rule(rules, "15708.23340").logic);
    let names = find(&p, "event_name", PredicateKind::In);
    assert_eq!(names.values.len(), 9);
    assert_eq!(names.values[0], "GetQueryResults");
}

#[test]
fn okta_and_gsuite_and_gcp_rules() {
    let Some(rules) = armory::snowflake_rules() else {
        return;
    };
    let okta = parse(&armory::rule(rules, "8994.16100").logic);
    assert_eq!(okta.model.tables[0].name, "okta");
    let signature = find(&okta, "signature", PredicateKind::Like);
    assert_eq!(signature.values, ["User login to Okta"]);
    assert!(!signature.case_sensitive);

    let gsuite = parse(&armory::rule(rules, "12380.20084").logic);
    assert_eq!(gsuite.model.tables[0].name, "gsuite");
    let event = find(&gsuite, "event_name", PredicateKind::Eq);
    assert_eq!(event.values, ["google.login.LoginService.loginSuccess"]);
    assert!(event.case_sensitive);

    let gcp = parse(&armory::rule(rules, "12502.18530").logic);
    assert_eq!(gcp.model.tables[0].name, "gcpaudit");
    assert_eq!(
        find(&gcp, "event_name", PredicateKind::Eq).values,
        ["createRole"]
    );
}

#[test]
fn query_history_rule() {
    let Some(rules) = armory::snowflake_rules() else {
        return;
    };
    let p = parse(&armory::rule(rules, "32919.58420").logic);
    let table = &p.model.tables[0];
    assert_eq!(table.name, "snowflake.account_usage.query_history");
    assert_eq!(
        table.span.slice(&armory::rule(rules, "32919.58420").logic),
        table.name
    );
    assert_eq!(
        find(&p, "query", PredicateKind::Like).values,
        ["copy into%"]
    );
    let regex = find(&p, "query", PredicateKind::RegexMatch);
    assert!(regex.negated);
    assert_eq!(
        regex.values,
        [r".*copy\s+into\s+[A-Za-z0-9]{2,5}:\/\/[^\s]+.*"]
    );
}

#[test]
fn vpcflow_rule_with_earliest_window_and_ne() {
    let Some(rules) = armory::snowflake_rules() else {
        return;
    };
    let logic = &armory::rule(rules, "10685.14365").logic;
    let p = parse(logic);
    assert!(p.diagnostics().is_empty());
    assert_eq!(
        window(&p),
        [("start_time", PredicateKind::Gt, "$earliest$")]
    );
    assert_eq!(p.placeholders[0].span.slice(logic), "$earliest$");
    assert_eq!(find(&p, "dest_port", PredicateKind::Eq).values, ["22"]);
    assert_eq!(
        find(&p, "log_status", PredicateKind::Ne).values,
        ["NO DATA"]
    );
}

#[test]
fn typo_rules_point_at_the_typo_and_model_the_rest() {
    let Some(rules) = armory::snowflake_rules() else {
        return;
    };
    let cases = [
        (
            "9051.16110",
            "sql-missing-space",
            "whereevent_time",
            "write `where event_time` to use `where` as a keyword",
        ),
        (
            "33144.58775",
            "sql-missing-comma",
            "'i'",
            "separate the arguments: `…lsx]*c[ilsx]*.*', 'i'`",
        ),
        (
            "5526.15117",
            "sql-repeated-keyword",
            "and",
            "remove the second `and`",
        ),
    ];
    for (id, code, at, help) in cases {
        let logic = &armory::rule(rules, id).logic;
        let p = parse(logic);
        assert!(!p.failed, "{id}");
        let d = p
            .diagnostics()
            .iter()
            .find(|d| d.code == code)
            .unwrap_or_else(|| panic!("{id}: no {code}"));
        let span = d.span.unwrap_or_default();
        assert_eq!(span.slice(logic), at, "{id}");
        assert_eq!(d.help.as_deref(), Some(help), "{id}");
        assert!(window(&p).contains(&TWO_HOURS), "{id}");
    }

    // The second `and`, not the first.
    let logic = &armory::rule(rules, "5526.15117").logic;
    let p = parse(logic);
    let span = p.diagnostics()[0].span.unwrap_or_default();
    assert_eq!(
        &logic[span.start as usize - 4..span.end as usize],
        "and and"
    );
    let regex = find(&p, "process_path", PredicateKind::RegexMatch);
    assert!(regex.values[0].starts_with(".*(winrar|rar|7z|"));

    let p = parse(&armory::rule(rules, "33144.58775").logic);
    let regex = find(&p, "process", PredicateKind::RegexMatch);
    assert_eq!(regex.values, [r".*\s+-[ilsx]*c[ilsx]*.*"]);
    assert!(!regex.case_sensitive, "the repaired 'i' flag applies");

    let p = parse(&armory::rule(rules, "9051.16110").logic);
    assert_eq!(
        find(&p, "event_type", PredicateKind::Like).values,
        ["application.policy.sign_on.update"]
    );
    assert!(window(&p).contains(&("event_time", PredicateKind::Lt, "$latest$")));
}

#[test]
fn or_escape_warnings_point_at_the_or() {
    let Some(rules) = armory::snowflake_rules() else {
        return;
    };
    for id in OR_ESCAPES {
        let logic = &armory::rule(rules, id).logic;
        let p = parse(logic);
        let d = p
            .diagnostics()
            .iter()
            .find(|d| d.code == "sql-or-escapes-time-window")
            .unwrap_or_else(|| panic!("{id}"));
        assert_eq!(d.severity, Severity::Warning);
        let span = d.span.unwrap_or_default();
        assert_eq!(span.slice(logic), "or", "{id}");
        assert!(
            d.message
                .starts_with("this query selects rows where (event_time > dateadd("),
            "{id}: {}",
            d.message
        );
        assert!(d.message.contains("at any time"), "{id}");
    }
    let logic = &armory::rule(rules, "21033.37466").logic;
    let d = &parse(logic).model.diagnostics[0];
    assert!(
        d.message.ends_with(
            ") or (event_type ilike 'system.push.send_factor_verify_push'): \
             (event_type ilike 'system.push.send_factor_verify_push') matches at any time, \
             outside the time window"
        ),
        "{}",
        d.message
    );
}

#[test]
fn control_escape_warning_points_at_the_escape() {
    let Some(rules) = armory::snowflake_rules() else {
        return;
    };
    let logic = &armory::rule(rules, "6935.14674").logic;
    let p = parse(logic);
    let d = &p.diagnostics()[0];
    assert_eq!(d.code, "sql-escape-makes-control-char");
    assert_eq!(d.span.unwrap_or_default().slice(logic), r"\\\r");
    // The value holds what Snowflake compares: a backslash and a carriage return.
    assert_eq!(
        find(&p, "process_path", PredicateKind::Like).values,
        ["%\\\reg.EXE"]
    );
}

/// Deterministic mutations of every corpus query (bytes dropped, doubled, swapped or
/// replaced by SQL punctuation): parsing never panics and spans stay inside the text.
#[test]
fn mutated_corpus_queries_never_panic() {
    let Some(rules) = armory::snowflake_rules() else {
        return;
    };
    const PUNCTUATION: &[u8] = b"()',.$\\ =<>!%*-\"";
    let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = move |bound: usize| {
        // xorshift64*: a reproducible stream without a dependency.
        seed ^= seed >> 12;
        seed ^= seed << 25;
        seed ^= seed >> 27;
        (seed.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 33) as usize % bound.max(1)
    };
    let mut checked = 0;
    for rule in rules {
        for _ in 0..8 {
            let mut bytes = rule.logic.as_bytes().to_vec();
            for _ in 0..1 + next(3) {
                let at = next(bytes.len());
                match next(4) {
                    0 => {
                        bytes.remove(at);
                    }
                    1 => bytes.insert(at, bytes[at]),
                    2 => {
                        let other = next(bytes.len());
                        bytes.swap(at, other);
                    }
                    _ => bytes[at] = PUNCTUATION[next(PUNCTUATION.len())],
                }
            }
            let query = String::from_utf8_lossy(&bytes);
            let p = parse(&query);
            for d in p.diagnostics() {
                let span = d.span.unwrap_or_default();
                assert!(span.end as usize <= query.len(), "{query}: {d:?}");
                assert!(query.is_char_boundary(span.start as usize), "{query}");
            }
            for x in &p.model.predicates {
                assert!(x.span.end as usize <= query.len(), "{query}");
            }
            checked += 1;
        }
    }
    assert_eq!(checked, 432 * 8);
}
