//! Field names the rule's data source does not produce: classic-rendering names in rules
//! that read XML-rendered Windows events, and names neither the source's table nor the
//! selected events' EventData have.

use rulescope_reference::EventFields;

use super::Query;
use super::dataflow::Read;
use crate::FieldTable;
use crate::finding::{At, Hit};

pub(super) fn check(
    query: &Query<'_>,
    reads: &[Read],
    table: &FieldTable,
    event_fields: &EventFields,
    hits: &mut Vec<Hit>,
) {
    let source = &query.sources.data_source;
    let Some(known) = table.get(&source.key) else {
        return;
    };
    let event_ids: Vec<u32> = query.sources.events.iter().map(|e| e.event_id).collect();
    // Every selected event's fields are known: only then can a missing name be judged.
    let events_known = !event_ids.is_empty()
        && event_ids.iter().all(|&id| {
            query
                .sources
                .event_sources
                .iter()
                .any(|&s| event_fields.fields(s, id).is_some())
        });
    let mut reported: Vec<&str> = Vec::new();
    for read in reads
        .iter()
        .filter(|r| r.from_data && !r.dropped && is_name(&r.name))
    {
        let name = read.name.as_str();
        if let Some(instead) = known.legacy.get(name) {
            let names = instead
                .iter()
                .map(|n| format!("`{n}`"))
                .collect::<Vec<_>>()
                .join(" or ");
            let mut hit = Hit::new(
                "field-legacy-rendering",
                format!(
                    "`{name}` is the classic text rendering's name; {} events rendered as XML have {names} instead",
                    source.label
                ),
                At::Query(read.span),
            )
            .help("the Splunk add-on names XML EventData fields as the XML does (renderXml=true is its default)");
            if let [only] = instead.as_slice() {
                hit = hit.fix(format!("use `{only}`"), vec![(read.span, only.clone())]);
            }
            hits.push(hit);
            continue;
        }
        if !events_known || known.fields.contains(name) || reported.contains(&name) {
            continue;
        }
        let in_events = event_ids.iter().any(|&id| {
            query
                .sources
                .event_sources
                .iter()
                .any(|&s| event_fields.produces(s, id, name) == Some(true))
        });
        if in_events {
            continue;
        }
        reported.push(name);
        let ids = event_ids
            .iter()
            .map(u32::to_string)
            .collect::<Vec<_>>()
            .join(", ");
        hits.push(
            Hit::new(
                "field-not-produced",
                format!(
                    "{} events {ids} have no field `{name}`, and the add-on does not compute one",
                    source.label
                ),
                At::Query(read.span),
            )
            .help("check the spelling against the events' fields; a field table file can add fields your environment computes"),
        );
    }
}

/// A plain field name (what a parse leaves for broken text is not judged).
fn is_name(text: &str) -> bool {
    text.chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-' | '{' | '}'))
}
