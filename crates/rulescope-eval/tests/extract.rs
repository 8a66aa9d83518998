//! Field extraction like the Splunk Add-on for Microsoft Windows: one test per event id of
//! the mapping table, the `_raw` renderings, and robustness on arbitrary input.

mod common;

use common::*;
use proptest::prelude::*;
use rulescope_eval::{Rendering, Value};
use serde_json::{Value as Json, json};

fn field(e: &rulescope_eval::Event, name: &str) -> Option<String> {
    e.fields.get(name).map(|v| v.texts().join("|"))
}

fn assert_fields(json: &Json, expected: &[(&str, &str)]) {
    let e = event(json, Rendering::Xml);
    for (name, value) in expected {
        assert_eq!(field(&e, name).as_deref(), Some(*value), "field {name}");
    }
}

#[test]
fn xml_raw_is_splunk_shaped() {
    let e = event(
        &security(4688, &[("NewProcessName", "C:\\a<b>.exe")]),
        Rendering::Xml,
    );
    let raw = field(&e, "_raw").unwrap_or_default();
    assert!(raw.starts_with(
        "<Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'><System><Provider Name='Microsoft-Windows-Security-Auditing' Guid='{54849625-5478-4994-A5BA-3E3B0328C30D}'/><EventID>4688</EventID>"
    ), "{raw}");
    assert!(raw.contains("<Correlation/>"));
    assert!(raw.contains("<Data Name='NewProcessName'>C:\\a&lt;b&gt;.exe</Data>"));
    assert!(!raw.contains('\n'));
    for (k, v) in [
        ("_time", "1618998034.123456"),
        ("host", "srvdefender01"),
        ("source", "XmlWinEventLog:Security"),
        ("sourcetype", "XmlWinEventLog"),
        ("EventCode", "4688"),
        ("signature_id", "4688"),
        ("Computer", "srvdefender01.offsec.lan"),
        ("dest", "srvdefender01.offsec.lan"),
        ("EventRecordID", "1234"),
        ("ProcessID", "4"),
        ("SystemTime", "2021-04-21T09:40:34.123456Z"),
        ("NewProcessName", "C:\\a<b>.exe"),
    ] {
        assert_eq!(field(&e, k).as_deref(), Some(v), "{k}");
    }
    let svc = event(
        &win_event("System", "Service Control Manager", 7045, &[]),
        Rendering::Xml,
    );
    assert!(
        field(&svc, "_raw")
            .unwrap_or_default()
            .contains("<EventID Qualifiers='16384'>7045</EventID>")
    );
    assert_eq!(field(&svc, "EventCode").as_deref(), Some("7045"));
}

#[test]
fn classic_rendering_names_fields_by_message_label() {
    let json = security(
        5145,
        &[
            ("SubjectUserName", "admmig"),
            ("ShareName", "\\\\*\\IPC$"),
            ("RelativeTargetName", "PSEXESVC-WIN10-1234-stdin"),
            ("IpAddress", "10.0.0.5"),
        ],
    );
    let e = event(&json, Rendering::Classic);
    let raw = field(&e, "_raw").unwrap_or_default();
    assert!(
        raw.starts_with("04/21/2021 09:40:34 AM\nLogName=Security\nEventCode=5145\n"),
        "{raw}"
    );
    assert!(raw.contains("\tRelative Target Name:\t\tPSEXESVC-WIN10-1234-stdin"));
    assert_eq!(
        field(&e, "Relative_Target_Name").as_deref(),
        Some("PSEXESVC-WIN10-1234-stdin")
    );
    assert_eq!(field(&e, "Share_Name").as_deref(), Some("\\\\*\\IPC$"));
    assert_eq!(field(&e, "Source_Address").as_deref(), Some("10.0.0.5"));
    assert_eq!(field(&e, "sourcetype").as_deref(), Some("WinEventLog"));
    assert_eq!(field(&e, "source").as_deref(), Some("WinEventLog:Security"));
    assert_eq!(
        field(&e, "RelativeTargetName"),
        None,
        "XML names do not exist in classic"
    );
    // CIM fields do not depend on the rendering.
    assert_eq!(field(&e, "file_name").as_deref(), Some("\\\\*\\IPC$"));
    let xml = event(&json, Rendering::Xml);
    assert_eq!(
        field(&xml, "Relative_Target_Name"),
        None,
        "classic names do not exist in XML"
    );

    let p = event(
        &security(
            4688,
            &[
                ("SubjectUserName", "SYS$"),
                ("TargetUserName", "admmig"),
                ("NewProcessName", "C:\\Windows\\cmd.exe"),
                ("ParentProcessName", "C:\\Windows\\PSEXESVC.exe"),
            ],
        ),
        Rendering::Classic,
    );
    assert_eq!(field(&p, "Account_Name").as_deref(), Some("SYS$|admmig"));
    assert_eq!(
        field(&p, "New_Process_Name").as_deref(),
        Some("C:\\Windows\\cmd.exe")
    );
    assert_eq!(
        field(&p, "Creator_Process_Name").as_deref(),
        Some("C:\\Windows\\PSEXESVC.exe")
    );
    assert_eq!(
        field(&p, "parent_process_name").as_deref(),
        Some("PSEXESVC.exe")
    );
}

#[test]
fn security_4688() {
    assert_fields(
        &security(
            4688,
            &[
                ("SubjectUserName", "SRV$"),
                ("TargetUserName", "-"),
                ("NewProcessId", "0xc24"),
                ("NewProcessName", "C:\\Windows\\System32\\cmd.exe"),
                ("ProcessId", "0x15d4"),
                ("CommandLine", "cmd.exe /c whoami"),
                ("ParentProcessName", "C:\\Windows\\PSEXESVC.exe"),
            ],
        ),
        &[
            ("process_name", "cmd.exe"),
            ("process_path", "C:\\Windows\\System32\\cmd.exe"),
            ("process", "cmd.exe /c whoami"),
            ("process_id", "0xc24"),
            ("parent_process_name", "PSEXESVC.exe"),
            ("parent_process_path", "C:\\Windows\\PSEXESVC.exe"),
            ("parent_process", "C:\\Windows\\PSEXESVC.exe"),
            ("parent_process_id", "0x15d4"),
            // TargetUserName `-` falls back to the subject.
            ("user", "SRV$"),
        ],
    );
}

#[test]
fn security_4624_and_4625() {
    for id in [4624, 4625] {
        assert_fields(
            &security(
                id,
                &[
                    ("TargetUserName", "bob"),
                    ("IpAddress", "10.1.1.1"),
                    ("LogonType", "3"),
                    ("WorkstationName", "WS1"),
                ],
            ),
            &[
                ("user", "bob"),
                ("src_ip", "10.1.1.1"),
                ("src", "10.1.1.1"),
                ("logon_type", "3"),
                ("LogonType", "3"),
            ],
        );
    }
}

#[test]
fn security_4663() {
    assert_fields(
        &security(
            4663,
            &[
                ("ObjectName", "C:\\secret\\a.txt"),
                ("ProcessName", "C:\\x\\y.exe"),
                ("SubjectUserName", "al"),
            ],
        ),
        &[
            ("file_path", "C:\\secret\\a.txt"),
            ("file_name", "a.txt"),
            ("process_name", "y.exe"),
            ("user", "al"),
        ],
    );
}

#[test]
fn security_4698() {
    assert_fields(
        &security(
            4698,
            &[("TaskName", "\\Updater"), ("SubjectUserName", "al")],
        ),
        &[("task_name", "\\Updater"), ("user", "al")],
    );
}

#[test]
fn security_4720() {
    assert_fields(
        &security(
            4720,
            &[("TargetUserName", "newbie"), ("SubjectUserName", "admin")],
        ),
        &[("user", "newbie"), ("src_user", "admin")],
    );
}

#[test]
fn security_5140_and_5145() {
    for id in [5140, 5145] {
        assert_fields(
            &security(
                id,
                &[
                    ("ShareName", "\\\\*\\ADMIN$"),
                    ("ShareLocalPath", "\\??\\C:\\Windows"),
                    ("IpAddress", "10.0.0.5"),
                    ("SubjectUserName", "admmig"),
                ],
            ),
            &[
                ("file_name", "\\\\*\\ADMIN$"),
                ("file_path", "\\??\\C:\\Windows"),
                ("src_ip", "10.0.0.5"),
                ("user", "admmig"),
            ],
        );
    }
}

#[test]
fn security_4697_and_system_7045() {
    assert_fields(
        &security(
            4697,
            &[
                ("ServiceName", "PSEXESVC"),
                ("ServiceFileName", "%SystemRoot%\\PSEXESVC.exe"),
            ],
        ),
        &[
            ("service_name", "PSEXESVC"),
            ("service_path", "%SystemRoot%\\PSEXESVC.exe"),
        ],
    );
    assert_fields(
        &win_event(
            "System",
            "Service Control Manager",
            7045,
            &[
                ("ServiceName", "PSEXESVC"),
                ("ImagePath", "%SystemRoot%\\PSEXESVC.exe"),
                ("AccountName", "LocalSystem"),
            ],
        ),
        &[
            ("service_name", "PSEXESVC"),
            ("service_path", "%SystemRoot%\\PSEXESVC.exe"),
            ("user", "LocalSystem"),
        ],
    );
}

#[test]
fn sysmon_1() {
    assert_fields(
        &sysmon(
            1,
            &[
                ("Image", "C:\\Windows\\System32\\whoami.exe"),
                ("CommandLine", "whoami /all"),
                ("ProcessId", "4242"),
                ("ParentImage", "C:\\Windows\\System32\\cmd.exe"),
                ("ParentCommandLine", "cmd.exe"),
                ("ParentProcessId", "7"),
                ("User", "CORP\\bob"),
            ],
        ),
        &[
            ("process_name", "whoami.exe"),
            ("process_path", "C:\\Windows\\System32\\whoami.exe"),
            ("process", "whoami /all"),
            ("process_id", "4242"),
            ("parent_process_name", "cmd.exe"),
            ("parent_process_path", "C:\\Windows\\System32\\cmd.exe"),
            ("parent_process", "cmd.exe"),
            ("parent_process_id", "7"),
            ("user", "CORP\\bob"),
            (
                "source",
                "XmlWinEventLog:Microsoft-Windows-Sysmon/Operational",
            ),
        ],
    );
}

#[test]
fn sysmon_3() {
    assert_fields(
        &sysmon(
            3,
            &[
                ("Image", "C:\\x\\nc.exe"),
                ("SourceIp", "10.0.0.1"),
                ("DestinationIp", "8.8.8.8"),
                ("DestinationPort", "443"),
            ],
        ),
        &[
            ("process_name", "nc.exe"),
            ("src_ip", "10.0.0.1"),
            ("dest_ip", "8.8.8.8"),
            ("dest_port", "443"),
        ],
    );
}

#[test]
fn sysmon_7() {
    assert_fields(
        &sysmon(
            7,
            &[
                ("Image", "C:\\x\\a.exe"),
                ("ImageLoaded", "C:\\x\\evil.dll"),
            ],
        ),
        &[
            ("process_name", "a.exe"),
            ("loaded_file", "evil.dll"),
            ("loaded_file_path", "C:\\x\\evil.dll"),
        ],
    );
}

#[test]
fn sysmon_8_and_10() {
    for id in [8, 10] {
        assert_fields(
            &sysmon(
                id,
                &[
                    ("SourceImage", "C:\\x\\mimi.exe"),
                    ("TargetImage", "C:\\Windows\\System32\\lsass.exe"),
                    ("SourceProcessId", "9"),
                ],
            ),
            &[
                ("process_name", "mimi.exe"),
                ("process_id", "9"),
                ("target_process_name", "lsass.exe"),
            ],
        );
    }
}

#[test]
fn sysmon_11() {
    assert_fields(
        &sysmon(
            11,
            &[
                ("Image", "C:\\x\\a.exe"),
                ("TargetFilename", "C:\\Users\\b\\drop.ps1"),
            ],
        ),
        &[
            ("file_name", "drop.ps1"),
            ("file_path", "C:\\Users\\b\\drop.ps1"),
            ("process_name", "a.exe"),
        ],
    );
}

#[test]
fn sysmon_12_to_14() {
    for id in [12, 13, 14] {
        assert_fields(
            &sysmon(
                id,
                &[
                    ("Image", "C:\\x\\reg.exe"),
                    ("TargetObject", "HKLM\\System\\Run\\evil"),
                    ("Details", "c:\\evil.exe"),
                    ("EventType", "SetValue"),
                ],
            ),
            &[
                ("registry_path", "HKLM\\System\\Run\\evil"),
                ("registry_key_name", "evil"),
                ("registry_value_data", "c:\\evil.exe"),
                ("process_name", "reg.exe"),
            ],
        );
    }
}

#[test]
fn sysmon_22() {
    assert_fields(
        &sysmon(
            22,
            &[
                ("Image", "C:\\x\\a.exe"),
                ("QueryName", "evil.example"),
                ("QueryResults", "1.2.3.4;"),
            ],
        ),
        &[
            ("query", "evil.example"),
            ("answer", "1.2.3.4;"),
            ("process_name", "a.exe"),
        ],
    );
}

#[test]
fn powershell_4103_and_4104() {
    let ps = |id, data: &[(&str, &str)]| {
        win_event(
            "Microsoft-Windows-PowerShell/Operational",
            "Microsoft-Windows-PowerShell",
            id,
            data,
        )
    };
    assert_fields(
        &ps(
            4104,
            &[
                ("ScriptBlockText", "IEX (New-Object Net.WebClient)"),
                ("Path", "C:\\a.ps1"),
            ],
        ),
        &[
            ("ScriptBlockText", "IEX (New-Object Net.WebClient)"),
            ("script_block_text", "IEX (New-Object Net.WebClient)"),
            ("script_path", "C:\\a.ps1"),
        ],
    );
    assert_fields(
        &ps(4103, &[("Payload", "CommandInvocation(Get-Process)")]),
        &[("process", "CommandInvocation(Get-Process)")],
    );
}

#[test]
fn flat_json_lines_keep_their_fields() {
    let e = flat(
        json!({"_time": "2024-01-01T00:00:00Z", "host": "h", "process": "a b", "tags": ["x", "y"], "n": 3}),
    );
    assert_eq!(e.fields.get("_time"), Some(&Value::Num(1_704_067_200.0)));
    assert_eq!(field(&e, "tags").as_deref(), Some("x|y"));
    assert_eq!(field(&e, "n").as_deref(), Some("3"));
    assert!(field(&e, "_raw").is_some_and(|r| r.contains("\"process\"")));
}

/// Arbitrary JSON in the evtx shape and beside it.
fn arb_json() -> impl Strategy<Value = Json> {
    let leaf = prop_oneof![
        Just(Json::Null),
        any::<bool>().prop_map(Json::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        "[<>'&\"a-zA-Z0-9 \\\\]{0,12}".prop_map(Json::String),
        "\\PC{0,8}".prop_map(Json::String),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Json::Array),
            prop::collection::vec(
                (
                    prop_oneof![
                        Just("#attributes".to_owned()),
                        Just("#text".to_owned()),
                        Just("Data".to_owned()),
                        Just("EventID".to_owned()),
                        Just("SystemTime".to_owned()),
                        "[A-Za-z<>' ]{1,8}"
                    ],
                    inner
                ),
                0..5
            )
            .prop_map(|kv| Json::Object(kv.into_iter().collect())),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn extractor_never_panics(system in arb_json(), data in arb_json(), other in arb_json(), classic in any::<bool>()) {
        let rendering = if classic { Rendering::Classic } else { Rendering::Xml };
        let json = json!({"Event": {"System": system, "EventData": data, "UserData": other.clone()}});
        let e = rulescope_eval::event::from_json(&json, rendering);
        prop_assert!(e.is_some());
        // Flat objects and non-objects too.
        let _ = rulescope_eval::event::from_json(&other, rendering);
    }

    #[test]
    fn json_text_gives_what_its_value_gives(system in arb_json(), data in arb_json(), classic in any::<bool>()) {
        let rendering = if classic { Rendering::Classic } else { Rendering::Xml };
        for json in [json!({"Event": {"System": system, "EventData": data.clone()}}), data] {
            let text = json.to_string();
            let from_text = rulescope_eval::event::from_json_bytes(text.as_bytes(), rendering);
            let from_value = rulescope_eval::event::from_json(&json, rendering);
            prop_assert_eq!(from_text.is_some(), from_value.is_some());
            if let (Some(a), Some(b)) = (from_text, from_value) {
                prop_assert!(a.fields.iter().eq(b.fields.iter()));
            }
        }
    }

    #[test]
    fn json_text_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..200), classic in any::<bool>()) {
        let rendering = if classic { Rendering::Classic } else { Rendering::Xml };
        let _ = rulescope_eval::event::from_json_bytes(&bytes, rendering);
    }

    #[test]
    fn iso_times_never_panic(text in "\\PC{0,40}") {
        let _ = rulescope_eval::event::parse_iso_time(&text);
    }
}
