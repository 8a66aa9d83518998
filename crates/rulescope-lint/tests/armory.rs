//! The checks on the real armory corpus (`../shared/corpus/armory`, read at run time).

mod support;

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::sync::OnceLock;

use rulescope_lint::{Finding, LintContext, LogicMap, lint_corpus};
use rulescope_model::{Rule, Span};

fn shared(path: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared")
        .join(path)
}

struct Corpus {
    rules: Vec<Rule>,
    findings: Vec<Finding>,
}

/// The corpus linted once with the shared ATT&CK data; `None` (after one line) without it.
fn corpus() -> Option<&'static Corpus> {
    static CORPUS: OnceLock<Option<Corpus>> = OnceLock::new();
    CORPUS
        .get_or_init(|| {
            let root = shared("corpus/armory");
            if !root.exists() {
                eprintln!("skipped: {} is absent", root.display());
                return None;
            }
            let rules = rulescope_load::load_paths(&[root]).rules;
            let mut context = LintContext::default();
            if let Ok(attack) =
                rulescope_reference::AttackCatalog::load(&shared("data/attack-enterprise.json"))
            {
                context.attack = attack;
            }
            let findings = lint_corpus(&rules, &context);
            Some(Corpus { rules, findings })
        })
        .as_ref()
}

/// Rule ids with a finding of `code`.
fn rules_with(corpus: &Corpus, code: &str) -> BTreeSet<String> {
    corpus
        .findings
        .iter()
        .filter(|f| f.code == code)
        .map(|f| f.rule_id.clone())
        .collect()
}

/// Asserts how many rules a code hits, that `hit` are among them and `clean` is not.
fn assert_code(code: &str, count: usize, hit: &[&str], clean: &str) {
    let Some(corpus) = corpus() else { return };
    let rules = rules_with(corpus, code);
    for id in hit {
        assert!(rules.contains(*id), "{code} misses {id}: {rules:?}");
    }
    assert!(!rules.contains(clean), "{code} hits {clean}");
    assert_eq!(rules.len(), count, "{code}: {rules:?}");
}

#[test]
fn parse_diagnostics_of_both_front_ends() {
    assert_code(
        "spl-glued-operator",
        4,
        &["1015.1018", "1025.1026", "1025.14323", "5458.5617"],
        "6591.7621",
    );
    assert_code("sql-missing-comma", 1, &["33144.58775"], "6591.7621");
    assert_code(
        "spl-unclosed-paren",
        6,
        &["20368.36066", "5380.5490"],
        "6591.7621",
    );
}

#[test]
fn search_language_pitfalls() {
    assert_code(
        "lowercase-operator",
        20,
        &["20545.36425", "14971.24133", "20629.36751"],
        "6591.7621",
    );
    assert_code(
        "search-or-precedence",
        70,
        &["1029.1032", "20390.36175"],
        "6591.7621",
    );
    assert_code(
        "search-or-unparenthesized",
        335,
        &["1063.1094"],
        "1029.1032",
    );
    assert_code(
        "sql-or-escapes-time-window",
        5,
        &[
            "9051.16110",
            "21033.37466",
            "20539.36400",
            "5042.13632",
            "20033.35683",
        ],
        "6591.7621",
    );
    assert_code(
        "leading-wildcard",
        13,
        &["1040.1061", "6591.7621"],
        "1025.1026",
    );
    assert_code(
        "raw-xml-qualifiers",
        9,
        &["5397.5497", "18093.30444", "1117.1196"],
        "6591.7621",
    );
}

#[test]
fn data_flow() {
    assert_code(
        "field-dropped",
        51,
        &["1033.1041", "13512.20099", "43028.83246"],
        "6591.7621",
    );
    assert_code("eval-unused", 10, &["1078.1116", "8979.11960"], "6591.7621");
}

#[test]
fn field_names_of_the_data_source() {
    assert_code(
        "field-legacy-rendering",
        31,
        &["5398.5498", "5397.5497", "8513.10738"],
        "6591.7621",
    );
    assert_code("field-not-produced", 6, &["5399.5499"], "6591.7621");
}

#[test]
fn regexes() {
    assert_code(
        "regex-unanchored-length",
        3,
        &["5398.5498", "1001.1055"],
        "6591.7621",
    );
    assert_code(
        "regex-matches-empty",
        2,
        &["1070.1105", "5453.5608"],
        "6591.7621",
    );
    assert_code("regex-invalid", 0, &[], "6591.7621");
    assert_code("regex-catastrophic", 0, &[], "6591.7621");
}

#[test]
fn metadata() {
    assert_code(
        "duplicate-id",
        5,
        &["18093.30444", "18093.37733"],
        "6591.7621",
    );
    assert_code("reference-no-scheme", 4, &["5982.6332"], "6591.7621");
    assert_code("reference-duplicate", 3, &["25233.46743"], "6591.7621");
    assert_code("attack-id-revoked", 60, &["1044.1070"], "6591.7621");
}

/// The file text at every mapped logic offset is the logic's character (a folded space
/// maps to the line break it came from, `'` to `''`).
#[test]
fn logic_offsets_map_into_every_armory_file() {
    let Some(corpus) = corpus() else { return };
    let mut exact = 0;
    for rule in &corpus.rules {
        let map = LogicMap::new(rule);
        assert!(
            map.is_exact(),
            "{} does not replay",
            rule.source.relative_path
        );
        exact += 1;
        let file: &str = &rule.source.text;
        for (i, c) in rule.logic.char_indices() {
            let span = map
                .to_file(Span::from_range(i..i + c.len_utf8()))
                .expect("mapped");
            let written = &file[span.range()];
            let ok = match c {
                // Plain scalars take `'` as written.
                '\'' => written == "''" || written == "'",
                ' ' => written == " " || written.contains('\n'),
                _ => written == c.to_string(),
            };
            assert!(ok, "{}: {c:?} at {i} maps to {written:?}", rule.id);
        }
    }
    assert_eq!(exact, corpus.rules.len());
}

/// The findings of one rule in SARIF validate against the official SARIF 2.1.0 schema.
#[test]
fn corpus_sarif_validates_against_the_schema() {
    let Some(corpus) = corpus() else { return };
    let root = shared("corpus/armory");
    let sarif = rulescope_lint::to_sarif(
        &corpus.findings,
        &rulescope_lint::SarifOptions {
            root,
            tool_version: "0.1.0".into(),
        },
    );
    let errors = support::sarif_schema_errors(&sarif);
    assert!(errors.is_empty(), "{errors:#?}");
    let results = sarif["runs"][0]["results"].as_array().expect("results");
    assert_eq!(results.len(), corpus.findings.len());
    assert!(results.iter().all(
        |r| r["locations"][0]["physicalLocation"]["artifactLocation"]["uriBaseId"] == "%SRCROOT%"
    ));
}
