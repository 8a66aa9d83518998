//! `rulescope show`, `parse` and `indicators` on the bundled example corpus, with golden
//! snapshots of `show` for our own example rules.

mod support;

use support::{examples, rulescope, success_stdout};

#[test]
fn show_text_of_an_spl_rule() {
    let text = success_stdout(&rulescope(&[
        "show",
        "90001.90011",
        "--corpus",
        &examples("armory"),
    ]));
    insta::assert_snapshot!(text);
}

#[test]
fn show_text_of_a_snowflake_rule() {
    let text = success_stdout(&rulescope(&[
        "show",
        "90002.90023",
        "--corpus",
        &examples("armory"),
    ]));
    insta::assert_snapshot!(text);
}

#[test]
fn show_json_has_the_analysis() {
    let output = rulescope(&[
        "show",
        "90002.90021",
        "--corpus",
        &examples("armory"),
        "--format",
        "json",
    ]);
    let json: serde_json::Value = serde_json::from_str(&success_stdout(&output)).expect("JSON");
    assert_eq!(
        json["display_title"],
        "Certutil Downloading a Remote File (EDR)"
    );
    assert_eq!(json["indicators"][0]["field"], "process_name");
    // `process="*urlcache*"` and the Snowflake variant's `ilike '%urlcache%'` meet in one key.
    let keys: Vec<&str> = json["indicators"]
        .as_array()
        .expect("indicators")
        .iter()
        .flat_map(|i| i["values"].as_array().expect("values").iter())
        .map(|v| v["key"].as_str().expect("key"))
        .collect();
    assert!(keys.contains(&"process contains \"urlcache\""), "{keys:?}");
    let variants = json["variants"].as_array().expect("variants");
    assert_eq!(variants.len(), 2);
    let sql = variants
        .iter()
        .find(|v| v["id"] == "90002.90023")
        .expect("the Snowflake variant");
    let shared: Vec<&str> = sql["shared"]
        .as_array()
        .expect("shared")
        .iter()
        .map(|s| s.as_str().expect("needle"))
        .collect();
    assert_eq!(
        shared,
        [
            "certutil.exe",
            "http://",
            "https://",
            "urlcache",
            "verifyctl"
        ]
    );
}

#[test]
fn show_unknown_id_fails_with_a_message() {
    let output = rulescope(&["show", "1.2", "--corpus", &examples("armory")]);
    assert_eq!(output.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&output.stderr).contains("no rule with id 1.2"));
}

#[test]
fn parse_prints_tree_and_diagnostics() {
    let output = rulescope(&["parse", "--query", "index=main (a OR b | stats count"]);
    assert_eq!(
        output.status.code(),
        Some(1),
        "an unclosed paren is an error"
    );
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(text.contains("error[spl-unclosed-paren]"), "{text}");
    assert!(text.contains("--> query:1:12"), "{text}");

    let stats = success_stdout(&rulescope(&["parse", "--stats", &examples("armory")]));
    assert!(stats.contains("queries                 9"), "{stats}");
    assert!(stats.contains("clean                   9"), "{stats}");
    assert!(stats.contains("queries                 4"), "{stats}");
}

#[test]
fn indicators_lists_shared_terms_and_selectors_apart() {
    let output = rulescope(&["indicators", &examples("armory"), "--format", "json"]);
    let json: serde_json::Value = serde_json::from_str(&success_stdout(&output)).expect("JSON");
    let selectors: Vec<&str> = json["selectors"]
        .as_array()
        .expect("selectors")
        .iter()
        .map(|e| e["key"].as_str().expect("key"))
        .collect();
    assert!(selectors.contains(&"event EventCode=1"), "{selectors:?}");
    assert!(
        json["indicators"]
            .as_array()
            .expect("indicators")
            .iter()
            .all(|e| e["field"] != "EventCode")
    );
}
