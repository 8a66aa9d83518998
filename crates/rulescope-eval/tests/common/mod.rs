//! Hand-written events in the evtx crate's JSON shape, and a rule runner for tests.
#![allow(dead_code)] // each test binary uses part of this module

use rulescope_eval::{Engine, EngineOptions, Event, Rendering, RuleOutcome, RuleSpec, Status};
use serde_json::{Value as Json, json};

/// A Windows event as the evtx crate renders it to JSON.
pub fn win_event(channel: &str, provider: &str, id: u32, data: &[(&str, &str)]) -> Json {
    let data: serde_json::Map<String, Json> = data
        .iter()
        .map(|(k, v)| ((*k).to_owned(), Json::String((*v).to_owned())))
        .collect();
    // System 7045 carries Qualifiers, which the evtx crate puts in `#attributes`.
    let event_id = if id == 7045 {
        json!({"#attributes": {"Qualifiers": 16384}, "#text": id})
    } else {
        json!(id)
    };
    json!({"Event": {
        "#attributes": {"xmlns": "http://schemas.microsoft.com/win/2004/08/events/event"},
        "System": {
            "Provider": {"#attributes": {"Name": provider, "Guid": "{54849625-5478-4994-a5ba-3e3b0328c30d}"}},
            "EventID": event_id,
            "Version": 2,
            "Level": 0,
            "Task": 13312,
            "Opcode": 0,
            "Keywords": "0x8020000000000000",
            "TimeCreated": {"#attributes": {"SystemTime": "2021-04-21T09:40:34.123456Z"}},
            "EventRecordID": 1234,
            "Correlation": null,
            "Execution": {"#attributes": {"ProcessID": 4, "ThreadID": 88}},
            "Channel": channel,
            "Computer": "srvdefender01.offsec.lan",
            "Security": null
        },
        "EventData": data
    }})
}

pub fn security(id: u32, data: &[(&str, &str)]) -> Json {
    win_event("Security", "Microsoft-Windows-Security-Auditing", id, data)
}

pub fn sysmon(id: u32, data: &[(&str, &str)]) -> Json {
    win_event(
        "Microsoft-Windows-Sysmon/Operational",
        "Microsoft-Windows-Sysmon",
        id,
        data,
    )
}

pub fn event(json: &Json, rendering: Rendering) -> Event {
    rulescope_eval::event::from_json(json, rendering).expect("an object")
}

/// Runs queries over events; returns one outcome per query.
pub fn run_with(queries: &[&str], events: &[Event], options: &EngineOptions) -> Vec<RuleOutcome> {
    let specs: Vec<RuleSpec> = queries
        .iter()
        .enumerate()
        .map(|(i, q)| RuleSpec {
            id: format!("r{i}"),
            logic: (*q).to_owned(),
            ..RuleSpec::default()
        })
        .collect();
    let engine = Engine::from_specs(&specs, options);
    let mut session = engine.session();
    for e in events {
        session.push(e);
    }
    session.finish()
}

pub fn run(query: &str, events: &[Event]) -> RuleOutcome {
    run_with(&[query], events, &EngineOptions::default())
        .pop()
        .expect("one outcome")
}

/// The result rows, as `field=value` texts per row (multivalues joined with `|`).
pub fn rows(outcome: &RuleOutcome) -> Vec<Vec<String>> {
    match &outcome.status {
        Status::Evaluated { rows, .. } => rows
            .iter()
            .map(|r| {
                r.iter()
                    .map(|(k, v)| format!("{k}={}", v.texts().join("|")))
                    .collect()
            })
            .collect(),
        Status::NotEvaluable { reason } => panic!("not evaluable: {reason}"),
    }
}

/// Rows in and out of each stage.
pub fn funnel(outcome: &RuleOutcome) -> Vec<(u64, u64)> {
    match &outcome.status {
        Status::Evaluated { funnel, .. } => {
            funnel.iter().map(|f| (f.rows_in, f.rows_out)).collect()
        }
        Status::NotEvaluable { reason } => panic!("not evaluable: {reason}"),
    }
}

pub fn reason(outcome: &RuleOutcome) -> String {
    match &outcome.status {
        Status::NotEvaluable { reason } => reason.clone(),
        Status::Evaluated { .. } => panic!("evaluated"),
    }
}

/// A flat event (fields as Splunk would show them).
pub fn flat(json: Json) -> Event {
    event(&json, Rendering::Xml)
}
