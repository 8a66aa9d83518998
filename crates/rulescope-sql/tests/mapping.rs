//! Mapping rules, one construct at a time.

use rulescope_model::analysis::{Predicate, PredicateKind, SelectorKind, StageRole};
use rulescope_sql::parse;

fn predicates(query: &str) -> Vec<Predicate> {
    let parsed = parse(query);
    assert!(
        parsed.diagnostics().is_empty(),
        "{query}: {:?}",
        parsed.diagnostics()
    );
    parsed.model.predicates
}

/// field, kind, values, negated, case-sensitive
fn facts(p: &Predicate) -> (&str, PredicateKind, Vec<&str>, bool, bool) {
    (
        p.field.as_str(),
        p.kind,
        p.values.iter().map(String::as_str).collect(),
        p.negated,
        p.case_sensitive,
    )
}

#[test]
fn comparisons_with_the_literal_first_are_mirrored() {
    let p = predicates("select * from t where 5 < n and 'x' = a and 3 >= m");
    assert_eq!(
        facts(&p[0]),
        ("n", PredicateKind::Gt, vec!["5"], false, true)
    );
    assert_eq!(
        facts(&p[1]),
        ("a", PredicateKind::Eq, vec!["x"], false, true)
    );
    assert_eq!(
        facts(&p[2]),
        ("m", PredicateKind::Le, vec!["3"], false, true)
    );
}

#[test]
fn time_windows_in_every_written_form() {
    let p = predicates(
        "select * from t where dateadd(day, -1, current_timestamp()) <= ts \
         and to_timestamp(date_part(epoch_second, ts)) < $latest$ \
         and ts between $earliest$ and sysdate()",
    );
    let windows: Vec<(&str, PredicateKind, &str)> = p
        .iter()
        .filter(|p| p.selector == Some(SelectorKind::TimeWindow))
        .map(|p| (p.field.as_str(), p.kind, p.values[0].as_str()))
        .collect();
    assert_eq!(
        windows,
        [
            (
                "ts",
                PredicateKind::Ge,
                "dateadd(day, -1, current_timestamp())"
            ),
            ("ts", PredicateKind::Lt, "$latest$"),
            ("ts", PredicateKind::Ge, "$earliest$"),
            ("ts", PredicateKind::Le, "sysdate()"),
        ]
    );
    // A plain timestamp comparison is not taken for a window.
    let p = predicates("select * from t where ts > '2024-01-01'");
    assert_eq!(p[0].selector, None);
}

#[test]
fn not_flips_negation_and_or_merges_one_field() {
    let p = predicates(
        "select * from t where not (a ilike '%x%' or a ilike '%y%') and not not b = 1 \
         and (c = 1 or d = 2)",
    );
    assert_eq!(
        facts(&p[0]),
        ("a", PredicateKind::Like, vec!["%x%", "%y%"], true, false)
    );
    assert_eq!(
        facts(&p[1]),
        ("b", PredicateKind::Eq, vec!["1"], false, true)
    );
    // Different fields stay apart.
    assert_eq!(facts(&p[2]).0, "c");
    assert_eq!(facts(&p[3]).0, "d");
    // Different kinds on one field stay apart too.
    let p = predicates("select * from t where a = 'x' or a ilike 'y%'");
    assert_eq!(p.len(), 2);
}

#[test]
fn regex_flags_and_case_folding() {
    let p = predicates(
        "select * from t where regexp_like(a, 'x') and regexp_like(a, 'x', 'is') \
         and regexp_like(a, 'x', 'ic') and a rlike 'y' and lower(b) = 'z' and upper(c) like 'Q%'",
    );
    let sensitive: Vec<bool> = p.iter().map(|p| p.case_sensitive).collect();
    assert_eq!(sensitive, [true, false, true, true, false, false]);
    assert_eq!(facts(&p[4]).0, "b");
}

#[test]
fn string_functions_become_wildcards() {
    let p = predicates(
        "select * from t where contains(a, 'x') and startswith(a, 'y') and not endswith(a, 'z')",
    );
    let values: Vec<(&str, bool)> = p
        .iter()
        .map(|p| (p.values[0].as_str(), p.negated))
        .collect();
    assert_eq!(values, [("*x*", false), ("y*", false), ("*z", true)]);
    assert!(
        p.iter()
            .all(|p| p.kind == PredicateKind::Wildcard && p.case_sensitive)
    );
}

#[test]
fn in_lists_nulls_and_postfix_not() {
    let p = predicates(
        "select * from t where a not in ('x', 'y') and b is null and not c is not null \
         and d not ilike any ('%1', '%2')",
    );
    assert_eq!(
        facts(&p[0]),
        ("a", PredicateKind::In, vec!["x", "y"], true, true)
    );
    assert_eq!(
        facts(&p[1]),
        ("b", PredicateKind::NotExists, vec![], false, true)
    );
    assert_eq!(
        facts(&p[2]),
        ("c", PredicateKind::Exists, vec![], true, true)
    );
    assert_eq!(
        facts(&p[3]),
        ("d", PredicateKind::Like, vec!["%1", "%2"], true, false)
    );
}

#[test]
fn stages_of_unions_subqueries_and_aggregates() {
    let parsed = parse(
        "select count(*) from t where a in (select b from u where c = 1) \
         union all select count(*) from v",
    );
    let stages: Vec<(&str, StageRole)> = parsed
        .model
        .stages
        .iter()
        .map(|s| (s.command.as_str(), s.role))
        .collect();
    assert_eq!(
        stages,
        [
            ("from", StageRole::DataSource),
            ("where", StageRole::Filter),
            ("from", StageRole::DataSource),
            ("where", StageRole::Filter),
            ("select", StageRole::Transform),
            ("select", StageRole::Aggregate),
            ("from", StageRole::DataSource),
            ("select", StageRole::Aggregate),
        ]
    );
    let tables: Vec<(&str, usize)> = parsed
        .model
        .tables
        .iter()
        .map(|t| (t.name.as_str(), t.stage))
        .collect();
    assert_eq!(tables, [("t", 0), ("u", 2), ("v", 6)]);
    assert_eq!(parsed.model.predicates[0].stage, 3);
}

#[test]
fn renamed_columns_remember_their_sources() {
    let p = predicates(
        "with a as (select process as cmd from edr), b as (select cmd as line from a) \
         select * from b where line ilike '%x%'",
    );
    assert_eq!(p[0].derived_from, ["cmd", "process"]);
}

#[test]
fn placeholders_are_kept_as_written() {
    let parsed = parse("select * from t where x = $tenant$ and y < $latest$");
    let names: Vec<&str> = parsed
        .placeholders
        .iter()
        .map(|p| p.name.as_str())
        .collect();
    assert_eq!(names, ["tenant", "latest"]);
    assert_eq!(parsed.model.predicates[0].values, ["$tenant$"]);
    assert_eq!(
        parsed.parsed_text(),
        "select * from t where x = $tenant  and y < $latest "
    );
}

#[test]
fn or_merges_the_branches_that_test_one_field_alike() {
    let p = predicates(
        "select * from t where ((a ilike '%x' or b = 1 or a ilike '%y') or (a ilike '%z' and c = 2))",
    );
    let facts: Vec<_> = p.iter().map(facts).collect();
    assert_eq!(
        facts,
        [
            ("a", PredicateKind::Like, vec!["%x", "%y"], false, false),
            ("b", PredicateKind::Eq, vec!["1"], false, true),
            // Inside an AND branch: not merged with the `a` branches.
            ("a", PredicateKind::Like, vec!["%z"], false, false),
            ("c", PredicateKind::Eq, vec!["2"], false, true),
        ]
    );
    assert_eq!(
        p[0].span.slice("select * from t where ((a ilike '%x' or b = 1 or a ilike '%y') or (a ilike '%z' and c = 2))"),
        "a ilike '%x' or b = 1 or a ilike '%y'"
    );
}

/// A long chain of ANDs is mapped without overflowing a test thread's stack; a query too
/// long for sqlparser still names its table.
#[test]
fn long_chains_do_not_overflow_the_stack() {
    let chain = format!("select * from t where a = 1{}", " and a = 1".repeat(1_500));
    let parsed = parse(&chain);
    assert!(parsed.diagnostics().is_empty());
    assert_eq!(parsed.model.predicates.len(), 1_501);

    // The deepest tree that fits the limit: one level per two bytes.
    let sum = format!("select * from t where x = 0{}", "+1".repeat(8_000));
    assert!(parse(&sum).diagnostics().is_empty());

    let huge = format!("select * from t where a = 1{}", " and a = 1".repeat(3_000));
    let parsed = parse(&huge);
    assert!(parsed.failed);
    assert_eq!(parsed.diagnostics()[0].code, "sql-too-long");
    assert_eq!(parsed.model.tables[0].name, "t");
    assert!(parsed.model.predicates.is_empty());
}
