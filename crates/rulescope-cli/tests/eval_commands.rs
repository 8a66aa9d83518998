//! `rulescope test` and `rulescope coverage` on hand-written events (JSON lines in the evtx
//! crate's shape) and a hand-written rule.

mod support;

use std::process::Output;

use support::rulescope;

use std::path::Path;

use serde_json::{Value, json};

fn security(id: u32, second: u32, data: Value) -> String {
    json!({"Event": {"System": {
        "Provider": {"#attributes": {"Name": "Microsoft-Windows-Security-Auditing"}},
        "EventID": id,
        "TimeCreated": {"#attributes": {"SystemTime": format!("2021-04-21T09:40:{second:02}.000Z")}},
        "Channel": "Security",
        "Computer": "srv01.corp.lan"
    }, "EventData": data}})
    .to_string()
}

/// A rule on the XML rendering's `<EventID>` literal, and events under a technique folder.
fn fixture(dir: &Path) -> (String, String) {
    let rules = dir.join("rules");
    std::fs::create_dir_all(&rules).expect("mkdir");
    std::fs::write(
        rules.join("psexesvc_child.yml"),
        "id: '1.1'\ntitle: PSEXESVC child\nlogic_format: Splunk\ntechnique_id:\n- T1021.002\nlogic: '`get_endpoint_data` `get_endpoint_data_winevent` \"<EventID>4688<\" | where match(parent_process_name, \"(?i)psexesvc\") | table _time host process_name | stats values(process_name) as p by host `hec_collect`'\n",
    )
    .expect("rule");
    let events = dir.join("events/T1021.002-SMB Admin Shares");
    std::fs::create_dir_all(&events).expect("mkdir");
    let lines = [
        security(
            4688,
            30,
            json!({"NewProcessName": "C:\\Windows\\System32\\cmd.exe", "ParentProcessName": "C:\\Windows\\PSEXESVC.exe"}),
        ),
        security(
            4688,
            31,
            json!({"NewProcessName": "C:\\Windows\\System32\\whoami.exe", "ParentProcessName": "C:\\Windows\\System32\\cmd.exe"}),
        ),
        security(
            5145,
            32,
            json!({"ShareName": "\\\\*\\ADMIN$", "RelativeTargetName": "PSEXESVC.exe"}),
        ),
    ];
    std::fs::write(events.join("psexec.jsonl"), lines.join("\n")).expect("events");
    (
        rules.to_string_lossy().into_owned(),
        dir.join("events").to_string_lossy().into_owned(),
    )
}

fn json_out(output: &Output) -> Value {
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("JSON output")
}

#[test]
fn test_reports_verdict_rows_and_funnel_per_rendering() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (rules, events) = fixture(dir.path());
    let xml = json_out(&rulescope(&[
        "test", "--rules", &rules, "--events", &events, "--format", "json",
    ]));
    let rule = &xml["rules"][0];
    assert_eq!(rule["fired"], true, "{rule}");
    assert_eq!(rule["rows"][0]["p"], "cmd.exe");
    let funnel: Vec<(u64, u64)> = rule["funnel"]
        .as_array()
        .expect("funnel")
        .iter()
        .map(|s| {
            (
                s["rows_in"].as_u64().unwrap_or(0),
                s["rows_out"].as_u64().unwrap_or(0),
            )
        })
        .collect();
    assert_eq!(funnel, vec![(3, 2), (2, 1), (1, 1), (1, 1)]);
    // Classic text has no `<EventID>` element: the same rule stays silent.
    let classic = json_out(&rulescope(&[
        "test",
        "--rules",
        &rules,
        "--events",
        &events,
        "--rendering",
        "classic",
        "--format",
        "json",
    ]));
    assert_eq!(classic["rules"][0]["fired"], false);
    let text = rulescope(&["test", "--rules", &rules, "--events", &events]);
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(text.contains("FIRED 1.1 PSEXESVC child (1 rows)"), "{text}");
    assert!(
        text.contains("1 rules fired, 0 silent, 0 not evaluable"),
        "{text}"
    );
}

#[test]
fn coverage_separates_the_techniques_own_rules() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (rules, events) = fixture(dir.path());
    let report = json_out(&rulescope(&[
        "coverage", "--rules", &rules, "--events", &events, "--format", "json",
    ]));
    let technique = &report["techniques"][0];
    assert_eq!(technique["technique"], "T1021.002");
    assert_eq!(technique["files_detected"], 1);
    assert_eq!(
        technique["files"][0]["true_positive_candidates"][0]["id"],
        "1.1"
    );
    assert_eq!(technique["files"][0]["noise"], json!([]));
}

#[test]
fn coverage_gives_every_rule_its_verdict_over_the_files() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (rules, events) = fixture(dir.path());
    let report = json_out(&rulescope(&[
        "coverage", "--rules", &rules, "--events", &events, "--format", "json",
    ]));
    let verdict = &report["rules"][0];
    assert_eq!(verdict["id"], "1.1");
    assert_eq!(verdict["status"], "evaluated");
    assert_eq!(verdict["fired_on"][0]["technique_match"], true);
    assert_eq!(verdict["fired_on"][0]["rows"], 1);
    assert_eq!(verdict["funnel"][0]["rows_in"], 3);
    assert_eq!(verdict["sample_rows"][0]["p"], "cmd.exe");
}

/// `build --events`: the rule page says the rule fires, on which file, and the site gets
/// its coverage page; under the classic rendering the same rule is silent and the page says
/// where its events were lost.
#[test]
fn build_with_events_puts_verdicts_on_rule_pages() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (rules, events) = fixture(dir.path());
    let site = dir.path().join("site");
    let site = site.to_string_lossy();
    let built = rulescope(&["build", &rules, "--out", &site, "--events", &events]);
    assert!(built.status.success(), "{built:?}");
    let page = std::fs::read_to_string(dir.path().join("site/rules/1.1.html")).expect("page");
    assert!(
        page.contains("<strong>Fires</strong> on 1 of 1 event files, 1 of them recorded for one of its own techniques."),
        "{page}"
    );
    assert!(page.contains("<code>T1021.002-SMB Admin Shares/psexec.jsonl</code>"));
    let coverage = std::fs::read_to_string(dir.path().join("site/coverage.html")).expect("page");
    assert!(coverage.contains("<a href=\"rules/1.1.html\">1.1</a>"));

    let classic = rulescope(&[
        "build",
        &rules,
        "--out",
        &site,
        "--events",
        &events,
        "--rendering",
        "classic",
    ]);
    assert!(classic.status.success(), "{classic:?}");
    let page = std::fs::read_to_string(dir.path().join("site/rules/1.1.html")).expect("page");
    assert!(
        page.contains(
            "<strong>Silent</strong> on all 1 event files: every event was lost at <code>"
        ),
        "{page}"
    );
}
