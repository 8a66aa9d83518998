//! ATT&CK loading and coverage checks against a small STIX bundle written for these tests.

use std::path::{Path, PathBuf};

use rulescope_model::TechniqueRef;
use rulescope_reference::attack::{AttackCatalog, CatalogSource, Coverage};

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/mini-attack-stix.json")
}

fn catalog() -> AttackCatalog {
    AttackCatalog::load(&fixture()).expect("the fixture loads")
}

fn coverage(catalog: &AttackCatalog, techniques: &[&str], ids: &[&str]) -> Coverage {
    let techniques: Vec<TechniqueRef> = techniques
        .iter()
        .map(|t| TechniqueRef::parse(t).expect("well-formed technique"))
        .collect();
    let ids: Vec<String> = ids.iter().map(|id| (*id).to_owned()).collect();
    catalog.coverage_of(&techniques, &ids)
}

fn codes(coverage: &Coverage) -> Vec<&str> {
    coverage
        .diagnostics
        .iter()
        .map(|d| d.code.as_ref())
        .collect()
}

fn rows(coverage: &Coverage) -> Vec<(String, String)> {
    coverage
        .rows
        .iter()
        .map(|r| (r.tactic_name.clone(), r.display.clone()))
        .collect()
}

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
        .collect()
}

#[test]
fn reads_a_stix_bundle() {
    let catalog = catalog();
    assert_eq!(catalog.source(), &CatalogSource::Stix);
    assert_eq!(catalog.domain(), "enterprise-attack");
    assert_eq!(catalog.version(), Some("19.1"));
    let order: Vec<&str> = catalog.tactics().iter().map(|t| t.id.as_str()).collect();
    assert_eq!(order, ["TA0002", "TA0005", "TA0112", "TA0008"]);
    assert_eq!(catalog.techniques().len(), 8);
    let sub = catalog.technique("t1569.002").expect("T1569.002");
    assert_eq!(sub.display_name, "System Services: Service Execution");
    assert_eq!(sub.parent_id.as_deref(), Some("T1569"));
    assert_eq!(sub.url, "https://attack.mitre.org/techniques/T1569/002");
    let revoked = catalog.technique("T1070.001").expect("T1070.001");
    assert!(revoked.revoked);
    assert_eq!(revoked.revoked_by.as_deref(), Some("T1685.005"));
    // No subtechnique-of relationship: the parent comes from the id.
    assert_eq!(
        revoked.display_name,
        "Indicator Removal: Clear Windows Event Logs"
    );
    assert_eq!(catalog.current(revoked).id, "T1685.005");
    assert!(catalog.technique("T1026").is_some_and(|t| t.deprecated));
    assert_eq!(
        catalog
            .technique_by_name("SYSTEM SERVICES", Some("service execution"))
            .map(|t| t.id.as_str()),
        Some("T1569.002")
    );
    // The bundle has Stealth as TA0005, so the v19 rename applies.
    assert!(catalog.rename_of("defense-evasion").is_some());
}

#[test]
fn psexec_rule_rows_in_kill_chain_order() {
    let catalog = catalog();
    let c = coverage(
        &catalog,
        &[
            "lateral-movement:remote services",
            "execution:system services:service execution",
        ],
        &["T1569.002", "T1021"],
    );
    assert_eq!(
        rows(&c),
        pairs(&[
            ("Execution", "T1569.002 System Services: Service Execution"),
            ("Lateral Movement", "T1021 Remote Services"),
        ])
    );
    assert_eq!(c.rows[0].tactic_id.as_deref(), Some("TA0002"));
    assert!(c.diagnostics.is_empty(), "{:?}", c.diagnostics);
}

#[test]
fn names_and_ids_compare_as_sets() {
    let catalog = catalog();
    let c = coverage(
        &catalog,
        &[
            "execution:system services:service execution",
            "lateral-movement:remote services",
        ],
        &["T1569.002", "T1026"],
    );
    assert_eq!(
        codes(&c),
        [
            "attack-id-unlisted",
            "attack-id-deprecated",
            "attack-name-unlisted"
        ]
    );
    assert!(c.diagnostics[0].message.contains("T1021"));
    assert!(c.diagnostics[2].message.contains("T1026"));
    // The id no name maps to still shows, under its own tactic.
    assert_eq!(
        rows(&c),
        pairs(&[
            ("Execution", "T1569.002 System Services: Service Execution"),
            ("Execution", "T1026 Multiband Communication"),
            ("Lateral Movement", "T1021 Remote Services"),
        ])
    );
}

#[test]
fn renamed_tactic_and_revoked_id() {
    let catalog = catalog();
    let c = coverage(
        &catalog,
        &["defense-evasion:indicator removal:clear windows event logs"],
        &["T1070.001"],
    );
    assert_eq!(codes(&c), ["attack-id-revoked", "attack-tactic-renamed"]);
    assert!(
        c.diagnostics[0].message.contains("now T1685.005"),
        "{}",
        c.diagnostics[0].message
    );
    assert!(
        c.diagnostics[1]
            .message
            .contains("`stealth` (TA0005 Stealth)")
    );
    // The technique moved to Defense Impairment, which came out of Defense Evasion.
    assert_eq!(
        rows(&c),
        pairs(&[(
            "Defense Impairment",
            "T1685.005 Disable or Modify Tools: Clear Windows Event Logs"
        )])
    );
    assert_eq!(c.rows[0].replaces.as_deref(), Some("T1070.001"));
}

#[test]
fn unknown_outdated_and_misplaced_techniques() {
    let catalog = catalog();
    let c = coverage(
        &catalog,
        &[
            "execution:system services:service launch",
            "lateral-movement:no such thing",
        ],
        &["T1569.002", "T9999"],
    );
    assert_eq!(
        codes(&c),
        [
            "attack-name-outdated",
            "attack-name-unknown",
            "attack-id-unknown"
        ]
    );
    assert_eq!(
        rows(&c),
        pairs(&[
            ("Execution", "T1569.002 System Services: Service Execution"),
            ("Lateral Movement", "No Such Thing"),
        ])
    );
    let c = coverage(&catalog, &["lateral-movement:system services"], &["T1569"]);
    assert_eq!(codes(&c), ["attack-tactic-mismatch"]);
    let c = coverage(&catalog, &["foo-bar:remote services"], &["T1021"]);
    assert_eq!(codes(&c), ["attack-tactic-unknown"]);
    assert_eq!(c.rows[0].tactic_id, None);
    assert_eq!(c.rows[0].tactic_name, "Foo-Bar");
}

#[test]
fn builtin_catalog_falls_back_to_the_rule_words() {
    let catalog = AttackCatalog::builtin();
    let c = coverage(
        &catalog,
        &[
            "execution:system services:service execution",
            "lateral-movement:remote services",
        ],
        &["T1569.002", "T1021"],
    );
    // One sub-technique name and one sub-technique id, one technique name and one
    // technique id: the shapes pair them without ATT&CK data.
    assert_eq!(
        rows(&c),
        pairs(&[
            ("Execution", "T1569.002 System Services: Service Execution"),
            ("Lateral Movement", "T1021 Remote Services"),
        ])
    );
    // Two technique names and two technique ids: no way to tell, so no ids.
    let c = coverage(
        &catalog,
        &[
            "execution:system services",
            "lateral-movement:remote services",
        ],
        &["T1569", "T1021"],
    );
    assert_eq!(
        rows(&c),
        pairs(&[
            ("Execution", "System Services"),
            ("Lateral Movement", "Remote Services"),
        ])
    );
    assert!(c.diagnostics.is_empty());
    // One name and one id of the same shape pair safely.
    let c = coverage(&catalog, &["defense-evasion:masquerading"], &["T1036"]);
    assert_eq!(rows(&c), pairs(&[("Stealth", "T1036 Masquerading")]));
    assert_eq!(codes(&c), ["attack-tactic-renamed"]);
}

#[test]
fn load_errors_say_file_line_and_what() {
    let dir = std::env::temp_dir().join(format!("rulescope-attack-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let broken = dir.join("broken.json");
    std::fs::write(&broken, "{\n  \"type\": \"bundle\",\n  \"objects\": [ {\n}").expect("write");
    let err = AttackCatalog::load(&broken).expect_err("broken JSON");
    assert_eq!(err.line, Some(4));
    assert!(
        err.to_string()
            .starts_with(&format!("{}:4:", broken.display())),
        "{err}"
    );
    let other = dir.join("other.json");
    std::fs::write(&other, "{\"hello\": 1}").expect("write");
    let err = AttackCatalog::load(&other).expect_err("not ATT&CK");
    assert!(err.to_string().contains("neither a STIX bundle"), "{err}");
    assert!(AttackCatalog::load(&dir.join("absent.json")).is_err());
    std::fs::remove_dir_all(&dir).ok();
}
