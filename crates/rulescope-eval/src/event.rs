//! Events as Splunk sees them after search-time extraction: `_raw` rendered like the
//! Windows add-on's inputs (XmlWinEventLog or classic WinEventLog), `_time`, `host`,
//! `source`, `sourcetype`, the System and EventData fields, and the derived CIM fields.

use std::borrow::Cow;
use std::sync::Arc;

use indexmap::IndexMap;
use serde::Serialize;
use serde_json::Value as Json;

use crate::cim::{self, Derive, MAPPINGS};
use crate::json::{Node, Object};
use crate::value::Value;

/// Field name → value, in extraction order. Hashed with foldhash rather than SipHash: every
/// search and stage looks fields up by name, and SipHash stood out in profiles.
pub type Fields = IndexMap<String, Value, foldhash::fast::RandomState>;

/// How `_raw` is rendered, as the forwarder's `renderXml` setting decides.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Rendering {
    /// `XmlWinEventLog`: one-line XML, fields named as `<Data Name='...'>`.
    #[default]
    Xml,
    /// `WinEventLog`: `key=value` header and a message whose labels become fields.
    Classic,
}

/// One event with its fields. `_raw` is lower-cased once for raw-text search. Fields are
/// shared with the rows rules make of the event, and copied only when a stage changes them.
#[derive(Clone, Debug)]
pub struct Event {
    pub fields: Arc<Fields>,
    pub raw_lower: String,
    /// The event id, when the event is a Windows event.
    pub code: Option<u32>,
    /// True when text outside the event header mentions `EventCode`/`EventID`, so a
    /// raw-text event-id search could match an event of another id (see [`crate::plan`]).
    pub mentions_event_ids: bool,
}

impl Event {
    /// `mentions_event_ids`: whether text other than the header names `EventCode`/`EventID`
    /// (always assumed for events without a Windows header).
    pub fn new(fields: Fields, mentions_event_ids: bool) -> Self {
        let raw_lower = match fields.get("_raw") {
            Some(Value::Str(raw)) => raw.to_ascii_lowercase(),
            other => other
                .and_then(Value::to_text)
                .unwrap_or_default()
                .to_ascii_lowercase(),
        };
        let code = fields
            .get("EventCode")
            .and_then(Value::to_text)
            .and_then(|c| c.parse().ok());
        Event {
            fields: Arc::new(fields),
            raw_lower,
            code,
            mentions_event_ids: mentions_event_ids || code.is_none(),
        }
    }

    /// A header value as text (`sourcetype`, `source`), empty when absent.
    pub fn text(&self, field: &str) -> String {
        self.fields
            .get(field)
            .and_then(Value::to_text)
            .unwrap_or_default()
    }
}

/// Builds an event from one JSON object: the evtx crate's shape (`{"Event": {...}}`) is
/// rendered like a Windows event; any other object is taken as flat Splunk fields.
pub fn from_json(json: &Json, rendering: Rendering) -> Option<Event> {
    from_node(&Node::from(json), rendering)
}

/// [`from_json`] for JSON text, read without building a `serde_json::Value`. `None` when
/// the text is not a JSON object.
pub fn from_json_bytes(json: &[u8], rendering: Rendering) -> Option<Event> {
    from_node(&Node::parse(json)?, rendering)
}

fn from_node(node: &Node<'_>, rendering: Rendering) -> Option<Event> {
    let Node::Obj(obj) = node else { return None };
    match obj.get("Event") {
        Some(Node::Obj(event)) => Some(from_windows(event, rendering)),
        _ => Some(from_flat(obj)),
    }
}

fn from_flat(obj: &Object<'_>) -> Event {
    let mut fields = Fields::default();
    for (k, v) in obj.iter() {
        let value = match v {
            Node::Null => continue,
            Node::Arr(items) => Value::from_list(
                items
                    .iter()
                    .filter_map(|i| scalar_text(i).map(Cow::into_owned))
                    .collect(),
            ),
            other => match scalar_text(other) {
                Some(t) if !t.is_empty() => Value::Str(t.into_owned()),
                _ => continue,
            },
        };
        fields.insert(k.as_ref().to_owned(), value);
    }
    if !fields.contains_key("_raw") {
        // Writing a tree of strings and numbers cannot fail.
        let raw = serde_json::to_string(obj).unwrap_or_default();
        fields.insert("_raw".into(), Value::Str(raw));
    }
    if let Some(t) = fields.get("_time").and_then(Value::to_text) {
        let epoch = crate::value::parse_num(&t).or_else(|| parse_iso_time(&t));
        fields.insert("_time".into(), epoch.map_or(Value::Null, Value::Num));
    }
    Event::new(fields, true)
}

fn scalar_text<'a>(v: &'a Node<'_>) -> Option<Cow<'a, str>> {
    match v {
        Node::Str(s) => Some(Cow::Borrowed(s)),
        Node::Num(n) => Some(Cow::Owned(n.to_string())),
        Node::Bool(b) => Some(Cow::Borrowed(if *b { "true" } else { "false" })),
        Node::Obj(o) => o.get("#text").and_then(scalar_text),
        _ => None,
    }
}

/// A field name and value, borrowed from the JSON where they can be.
type Leaf<'a> = (&'a str, Cow<'a, str>);

/// What the renderer collects from a Windows event.
#[derive(Default)]
struct Parts<'a> {
    system: Vec<Leaf<'a>>,
    data: Vec<Leaf<'a>>,
}

impl Parts<'_> {
    /// A System value (element text or attribute) by name.
    fn system(&self, name: &str) -> Option<&str> {
        self.system
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.as_ref())
    }
}

/// The header and CIM fields a Windows event gets beside its System and EventData values.
const FIELDS_BEYOND_PARTS: usize = 16;

fn from_windows(event: &Object<'_>, rendering: Rendering) -> Event {
    let mut parts = Parts::default();
    let mut xml = String::with_capacity(2048);
    xml.push_str("<Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'>");
    for (key, value) in event.iter() {
        match key.as_ref() {
            "#attributes" => {}
            "System" => element(&mut xml, key, value, &mut |k, v| parts.system.push((k, v))),
            "EventData" => event_data(&mut xml, value, &mut parts.data),
            _ => element(&mut xml, key, value, &mut |k, v| parts.data.push((k, v))),
        }
    }
    xml.push_str("</Event>");
    let sys = |name: &str| parts.system(name);
    let channel = sys("Channel").unwrap_or("").to_owned();
    let computer = sys("Computer").unwrap_or("").to_owned();
    let code: Option<u32> = sys("EventID").and_then(|c| c.parse().ok());
    let time = sys("SystemTime").and_then(parse_iso_time);

    // Sized for every field at once: growing the map step by step showed in profiles.
    let mut fields = Fields::with_capacity_and_hasher(
        parts.system.len() + parts.data.len() + FIELDS_BEYOND_PARTS,
        Default::default(),
    );
    let (raw, sourcetype) = match rendering {
        Rendering::Xml => (xml, "XmlWinEventLog"),
        Rendering::Classic => (classic_raw(&parts, &channel, code, time), "WinEventLog"),
    };
    fields.insert("_raw".into(), Value::Str(raw));
    fields.insert("_time".into(), time.map_or(Value::Null, Value::Num));
    let host = computer.split('.').next().unwrap_or("").to_owned();
    fields.insert("host".into(), Value::Str(host));
    fields.insert(
        "source".into(),
        Value::Str(format!("{sourcetype}:{channel}")),
    );
    fields.insert("sourcetype".into(), Value::Str(sourcetype.into()));
    if let Some(code) = code {
        fields.insert("EventCode".into(), Value::Str(code.to_string()));
        fields.insert("signature_id".into(), Value::Str(code.to_string()));
    }
    match rendering {
        Rendering::Xml => {
            for (k, v) in parts.system.iter().chain(&parts.data) {
                add_multi(&mut fields, k, v);
            }
        }
        Rendering::Classic => {
            for (k, v) in [
                ("LogName", channel.as_str()),
                ("ComputerName", computer.as_str()),
                ("SourceName", sys("Name").unwrap_or("")),
                ("RecordNumber", sys("EventRecordID").unwrap_or("")),
                ("Keywords", sys("Keywords").unwrap_or("")),
            ] {
                add_multi(&mut fields, k, v);
            }
            for (k, v) in &parts.data {
                let label = cim::classic_label(&channel, code.unwrap_or(0), k).replace(' ', "_");
                add_multi(&mut fields, &label, v);
            }
        }
    }
    if !computer.is_empty() {
        fields.insert("dest".into(), Value::Str(computer.clone()));
        fields.insert("dvc".into(), Value::Str(computer));
    }
    derive_cim(&mut fields, &channel, code, &parts.data);
    let mentions = parts.data.iter().any(|(_, v)| names_event_ids(v));
    Event::new(fields, mentions)
}

/// Whether `text` says `EventCode` or `EventID`, in any case. Every data value of every
/// event is checked: jumping from one `e` to the next keeps this a fraction of the cost of
/// comparing at every position.
fn names_event_ids(text: &str) -> bool {
    let bytes = text.as_bytes();
    memchr::memchr2_iter(b'e', b'E', bytes).any(|at| {
        let rest = &bytes[at..];
        let starts = |word: &[u8]| {
            rest.get(..word.len())
                .is_some_and(|r| r.eq_ignore_ascii_case(word))
        };
        starts(b"eventcode") || starts(b"eventid")
    })
}

/// Adds a value, turning a repeated field into a multivalue; empty values make no field.
fn add_multi(fields: &mut Fields, key: &str, value: &str) {
    if value.is_empty() {
        return;
    }
    // One hash per field: a key is copied anyway when new, and most are.
    match fields.entry(key.to_owned()) {
        indexmap::map::Entry::Vacant(slot) => {
            slot.insert(Value::Str(value.to_owned()));
        }
        indexmap::map::Entry::Occupied(mut slot) => match slot.get_mut() {
            Value::Multi(v) => v.push(value.to_owned()),
            existing => {
                let first = existing.to_text().unwrap_or_default();
                *existing = Value::Multi(vec![first, value.to_owned()]);
            }
        },
    }
}

fn derive_cim(fields: &mut Fields, channel: &str, code: Option<u32>, data: &[Leaf<'_>]) {
    let Some(code) = code else { return };
    let get = |name: &str| {
        data.iter()
            .find(|(k, v)| *k == name && !v.is_empty())
            .map(|(_, v)| v.as_ref())
    };
    for mapping in MAPPINGS {
        if mapping.channel != channel || !mapping.event_ids.contains(&code) {
            continue;
        }
        for (field, how) in mapping.fields {
            if fields.contains_key(*field) {
                continue;
            }
            let value = match how {
                Derive::Data(name) => get(name).map(str::to_owned),
                Derive::Basename(name) => get(name).map(|p| basename(p).to_owned()),
                Derive::FirstOf(names) => names
                    .iter()
                    .filter_map(|n| get(n))
                    .find(|v| *v != "-")
                    .map(str::to_owned),
                Derive::Computer => fields.get("dest").and_then(Value::to_text),
            };
            if let Some(v) = value.filter(|v| !v.is_empty()) {
                fields.insert((*field).to_owned(), Value::Str(v));
            }
        }
    }
}

fn basename(path: &str) -> &str {
    path.rsplit('\\').next().unwrap_or(path)
}

/// Appends `<name ...>...</name>`, reporting leaf texts and attributes to `leaf`.
fn element<'a>(
    out: &mut String,
    name: &'a str,
    value: &'a Node<'_>,
    leaf: &mut dyn FnMut(&'a str, Cow<'a, str>),
) {
    match value {
        Node::Arr(items) => {
            for item in items {
                element(out, name, item, leaf);
            }
        }
        Node::Obj(obj) => {
            out.push('<');
            out.push_str(name);
            if let Some(Node::Obj(attrs)) = obj.get("#attributes") {
                for (k, v) in attrs.iter() {
                    let mut text = scalar_text(v).unwrap_or_default();
                    if k.contains("Guid") || k.contains("ActivityID") {
                        // Windows renders GUIDs in upper case; evtx lower-cases them.
                        text = Cow::Owned(text.to_ascii_uppercase());
                    }
                    out.push(' ');
                    out.push_str(k);
                    out.push_str("='");
                    escape_into(out, &text);
                    out.push('\'');
                    leaf(k, text);
                }
            }
            let mut children = obj.iter().filter(|(k, _)| *k != "#attributes");
            let Some(first) = children.next() else {
                out.push_str("/>");
                return;
            };
            out.push('>');
            for (k, v) in std::iter::once(first).chain(children) {
                if k == "#text" {
                    let text = scalar_text(v).unwrap_or_default();
                    escape_into(out, &text);
                    leaf(name, text);
                } else {
                    element(out, k, v, leaf);
                }
            }
            out.push_str("</");
            out.push_str(name);
            out.push('>');
        }
        Node::Null => {
            out.push('<');
            out.push_str(name);
            out.push_str("/>");
        }
        scalar => {
            let text = scalar_text(scalar).unwrap_or_default();
            out.push('<');
            out.push_str(name);
            out.push('>');
            escape_into(out, &text);
            out.push_str("</");
            out.push_str(name);
            out.push('>');
            leaf(name, text);
        }
    }
}

/// `<EventData>` with named `<Data Name='X'>` for every key, unnamed `<Data>` for `Data`.
fn event_data<'a>(out: &mut String, value: &'a Node<'_>, data: &mut Vec<Leaf<'a>>) {
    let Node::Obj(obj) = value else {
        element(out, "EventData", value, &mut |_, _| {});
        return;
    };
    out.push_str("<EventData>");
    for (k, v) in obj.iter() {
        match k.as_ref() {
            "#attributes" => {}
            "Data" | "Binary" => element(out, k, v, &mut |_, _| {}),
            _ => {
                let text = match v {
                    Node::Arr(items) => Cow::Owned(
                        items
                            .iter()
                            .filter_map(scalar_text)
                            .collect::<Vec<_>>()
                            .join("\n"),
                    ),
                    other => scalar_text(other).unwrap_or_default(),
                };
                out.push_str("<Data Name='");
                escape_into(out, k);
                if text.is_empty() {
                    out.push_str("'/>");
                } else {
                    out.push_str("'>");
                    escape_into(out, &text);
                    out.push_str("</Data>");
                }
                data.push((k, text));
            }
        }
    }
    out.push_str("</EventData>");
}

fn escape_into(out: &mut String, text: &str) {
    // Most texts need no escape: one scan, one copy.
    if !text
        .bytes()
        .any(|b| matches!(b, b'&' | b'<' | b'>' | b'\''))
    {
        out.push_str(text);
        return;
    }
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
}

/// The classic text rendering: a timestamp line, `key=value` header lines and `Message=`
/// with one `Label:\tvalue` line per EventData field.
fn classic_raw(parts: &Parts, channel: &str, code: Option<u32>, time: Option<f64>) -> String {
    let sys = |name: &str| parts.system(name).unwrap_or("");
    let mut out = String::with_capacity(1024);
    out.push_str(&time.map(format_classic_time).unwrap_or_default());
    let code_text = code.map(|c| c.to_string()).unwrap_or_default();
    for (k, v) in [
        ("LogName", channel),
        ("EventCode", code_text.as_str()),
        ("EventType", sys("Level")),
        ("ComputerName", sys("Computer")),
        ("SourceName", sys("Name")),
        ("RecordNumber", sys("EventRecordID")),
        ("Keywords", sys("Keywords")),
    ] {
        out.push('\n');
        out.push_str(k);
        out.push('=');
        out.push_str(v);
    }
    out.push_str("\nMessage=");
    for (k, v) in &parts.data {
        out.push_str("\n\t");
        out.push_str(&cim::classic_label(channel, code.unwrap_or(0), k));
        out.push_str(":\t\t");
        out.push_str(v);
    }
    out
}

/// `MM/DD/YYYY hh:mm:ss AM`, the classic header timestamp.
fn format_classic_time(epoch: f64) -> String {
    let secs = epoch.floor() as i64;
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    let (y, m, d) = civil_from_days(days);
    let (h, min, s) = (rem / 3600, rem / 60 % 60, rem % 60);
    let (h12, ampm) = match h {
        0 => (12, "AM"),
        1..=11 => (h, "AM"),
        12 => (12, "PM"),
        _ => (h - 12, "PM"),
    };
    format!("{m:02}/{d:02}/{y:04} {h12:02}:{min:02}:{s:02} {ampm}")
}

/// Seconds since the epoch for `YYYY-MM-DDThh:mm:ss[.fraction][Z]` (UTC).
pub fn parse_iso_time(text: &str) -> Option<f64> {
    let b = text.trim().as_bytes();
    let num = |r: std::ops::Range<usize>| -> Option<i64> {
        std::str::from_utf8(b.get(r)?).ok()?.parse().ok()
    };
    let (y, mo, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    if b.get(4) != Some(&b'-') || !matches!(b.get(10), Some(b'T' | b' ')) {
        return None;
    }
    let (h, mi, s) = (num(11..13)?, num(14..16)?, num(17..19)?);
    let mut frac = 0.0;
    if b.get(19) == Some(&b'.') {
        let digits = &b[20..b[20..].iter().take_while(|c| c.is_ascii_digit()).count() + 20];
        frac = fraction(digits);
    }
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || s > 60 {
        return None;
    }
    let days = days_from_civil(y, mo, d);
    Some((days * 86_400 + h * 3600 + mi * 60 + s) as f64 + frac)
}

/// The value of `0.<digits>`, as parsing that text gives it. Up to 15 digits, the digits and
/// the power of ten are exact doubles, so their quotient is the correctly rounded value
/// parsing gives; a text per event for longer fractions only cost time.
fn fraction(digits: &[u8]) -> f64 {
    if digits.len() <= 15 {
        let n = digits
            .iter()
            .fold(0u64, |n, d| n * 10 + u64::from(d - b'0'));
        return n as f64 / 10f64.powi(digits.len() as i32);
    }
    let text = format!("0.{}", String::from_utf8_lossy(digits));
    text.parse().unwrap_or(0.0)
}

/// Days since 1970-01-01 (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

pub fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { y + 1 } else { y }, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        /// A fraction of seconds reads as parsing `0.<digits>` reads it.
        #[test]
        fn fractions_read_as_parsed(digits in "[0-9]{0,20}") {
            let parsed: f64 = format!("0.{digits}").parse().unwrap_or(0.0);
            proptest::prop_assert_eq!(fraction(digits.as_bytes()), parsed);
        }
    }

    #[test]
    fn data_naming_event_ids_is_noticed_in_any_case() {
        for says in ["EventCode=4688", "x eventid", "EVENTID:", "eeventcode"] {
            assert!(names_event_ids(says), "{says}");
        }
        for does_not in ["", "e", "Event Code", "events", "EventI", "eventcod"] {
            assert!(!names_event_ids(does_not), "{does_not}");
        }
    }
}
