//! The extractor reading an EVTX record's JSON text ([`event::from_json_bytes`], what
//! reading files uses) gives the same event as reading the record's `serde_json::Value`
//! ([`event::from_json`]), on every record of every EVTX file under `../shared/datasets`
//! (read at run time, never copied), in both renderings.

use std::path::Path;

use evtx::EvtxParser;
use rulescope_eval::{Event, Rendering, event, input};

fn same(a: &Event, b: &Event) -> bool {
    // Field order is part of the event (it is the order Splunk lists fields in).
    a.fields.iter().eq(b.fields.iter())
        && a.raw_lower == b.raw_lower
        && a.code == b.code
        && a.mentions_event_ids == b.mentions_event_ids
}

#[test]
fn json_text_and_json_value_give_the_same_events() {
    let datasets = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/datasets");
    if !datasets.is_dir() {
        eprintln!("skipped: ../shared/datasets is not present");
        return;
    }
    let files = input::discover(&[datasets]);
    let (mut records, mut differing) = (0u64, Vec::new());
    for path in files.iter().filter(|p| {
        p.extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("evtx"))
    }) {
        let Ok(parser) = EvtxParser::from_path(path) else {
            continue;
        };
        let mut parser = parser.with_configuration(input::evtx_settings());
        for text in parser.records_json_bytes().flatten() {
            let value: serde_json::Value =
                serde_json::from_slice(&text.data).expect("evtx writes valid JSON");
            records += 1;
            for rendering in [Rendering::Xml, Rendering::Classic] {
                let old = event::from_json(&value, rendering).expect("an object");
                let new = event::from_json_bytes(&text.data, rendering).expect("an object");
                if !same(&old, &new) && differing.len() < 5 {
                    differing.push(format!(
                        "{} record {}",
                        path.display(),
                        text.event_record_id
                    ));
                }
            }
        }
    }
    assert!(records > 0);
    assert!(differing.is_empty(), "{differing:#?}");
}
