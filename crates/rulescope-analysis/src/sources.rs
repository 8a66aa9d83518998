//! Where a rule's events come from: its data source (from its macros, tables or data
//! categories), the predicates and terms that select data rather than describe a threat,
//! and the Windows events it reads.

use std::sync::LazyLock;

use regex::Regex;
use rulescope_model::analysis::{PredicateKind, QueryModel, SelectorKind};
use rulescope_model::{LogicFormat, Rule};
use rulescope_reference::{EventCatalog, EventSource};

use crate::report::{DataSource, EventRow, SelectorRow};

/// A data source rulescope knows, and how rules name it.
struct SourceDef {
    key: &'static str,
    label: &'static str,
    /// SPL macros that select it (armory placeholders); the longest matching name wins.
    macros: &'static [&'static str],
    /// SQL tables that hold it (the last dotted part, lower case).
    tables: &'static [&'static str],
    /// Data categories that imply it when nothing else does.
    categories: &'static [&'static str],
    /// Where its event ids are looked up, most likely first.
    events: &'static [EventSource],
}

const WINDOWS_LOGS: &[EventSource] = &[
    EventSource::Security,
    EventSource::System,
    EventSource::Application,
    EventSource::TaskScheduler,
    EventSource::WmiActivity,
    EventSource::Defender,
    EventSource::PrintService,
];

const fn source(key: &'static str, label: &'static str) -> SourceDef {
    SourceDef {
        key,
        label,
        macros: &[],
        tables: &[],
        categories: &[],
        events: &[],
    }
}

static SOURCES: &[SourceDef] = &[
    SourceDef {
        macros: &["get_endpoint_data_winevent"],
        categories: &["windows event logs"],
        events: WINDOWS_LOGS,
        ..source("windows-event-log", "Windows Event Log")
    },
    SourceDef {
        macros: &["get_endpoint_data_sysmon"],
        categories: &["windows sysmon"],
        // Two armory Sysmon rules also match Security 4688.
        events: &[EventSource::Sysmon, EventSource::Security],
        ..source("sysmon", "Sysmon")
    },
    SourceDef {
        macros: &["get_endpoint_data_powershell"],
        categories: &["powershell logs"],
        events: &[EventSource::PowerShell],
        ..source("powershell", "PowerShell")
    },
    SourceDef {
        macros: &["get_endpoint_data_edr"],
        categories: &["edr logs"],
        ..source("edr", "EDR")
    },
    SourceDef {
        tables: &["crowdstrikefdr_process"],
        ..source("crowdstrike-fdr", "CrowdStrike FDR")
    },
    SourceDef {
        macros: &["get_endpoint_data_unix"],
        categories: &["linux audit logs"],
        ..source("linux", "Linux")
    },
    SourceDef {
        macros: &["get_cloud_data_aws", "get_cloud_data_iam"],
        tables: &["awscloudtrail"],
        categories: &["aws cloudtrail logs"],
        ..source("aws-cloudtrail", "AWS CloudTrail")
    },
    SourceDef {
        macros: &["get_cloud_data_azure"],
        categories: &["azure activity logs"],
        ..source("azure", "Azure Activity")
    },
    SourceDef {
        macros: &["get_cloud_data_o365"],
        categories: &["office 365 audit logs"],
        ..source("office-365", "Office 365")
    },
    SourceDef {
        macros: &["get_cloud_data_gcp"],
        tables: &["gcpaudit"],
        categories: &["gcp audit logs"],
        ..source("gcp-audit", "GCP Audit")
    },
    SourceDef {
        macros: &["get_cloud_data_gsuite"],
        tables: &["gsuite"],
        ..source("google-workspace", "Google Workspace")
    },
    SourceDef {
        macros: &["get_cloud_data_storage"],
        ..source("cloud-storage", "Cloud Storage")
    },
    SourceDef {
        macros: &["get_web_data_waf"],
        categories: &["web application firewall logs"],
        ..source("waf", "WAF")
    },
    SourceDef {
        tables: &["cloudflare_waf"],
        ..source("cloudflare-waf", "Cloudflare WAF")
    },
    SourceDef {
        tables: &["awswaf"],
        ..source("aws-waf", "AWS WAF")
    },
    SourceDef {
        macros: &["get_web_data_proxy"],
        categories: &["web proxy"],
        ..source("web-proxy", "Web Proxy")
    },
    SourceDef {
        macros: &["get_web_data_access_logs"],
        categories: &["web logs"],
        ..source("web-access", "Web Access Logs")
    },
    SourceDef {
        macros: &["get_authentication_data_auth0"],
        ..source("auth0", "Auth0")
    },
    SourceDef {
        tables: &["okta"],
        ..source("okta", "Okta")
    },
    SourceDef {
        tables: &["query_history"],
        ..source("snowflake-query-history", "Snowflake Query History")
    },
    SourceDef {
        tables: &["vpcflow"],
        categories: &["netflow/enclave netflow"],
        ..source("aws-vpc-flow", "AWS VPC Flow Logs")
    },
    SourceDef {
        macros: &["get_network_data_fw"],
        categories: &["network device logs"],
        ..source("firewall", "Firewall")
    },
    SourceDef {
        macros: &["get_application_data_api"],
        categories: &["api monitoring"],
        ..source("api", "API")
    },
    SourceDef {
        macros: &["get_authentication_data"],
        categories: &["authentication logs"],
        ..source("authentication", "Authentication")
    },
    SourceDef {
        macros: &["get_application_data"],
        categories: &["application logs", "third-party application logs"],
        ..source("application", "Application")
    },
    SourceDef {
        macros: &["get_network_data"],
        ..source("network", "Network")
    },
    SourceDef {
        macros: &["get_cloud_data"],
        ..source("cloud", "Cloud")
    },
    SourceDef {
        macros: &["get_web_data"],
        ..source("web", "Web")
    },
    SourceDef {
        macros: &["get_endpoint_data"],
        categories: &[
            "process command-line parameters",
            "windows registry",
            "file monitoring",
        ],
        ..source("endpoint", "Endpoint")
    },
];

const UNKNOWN: SourceDef = source("unknown", "Unknown source");

/// What [`classify`] found.
pub struct Sources {
    pub data_source: DataSource,
    /// Where the rule's event ids are looked up, most likely first.
    pub event_sources: &'static [EventSource],
    pub selectors: Vec<SelectorRow>,
    /// For each search term of the model, the selector it is, if any.
    pub term_selectors: Vec<Option<SelectorKind>>,
    pub events: Vec<EventRow>,
}

/// Determines the data source, marks the model's selector predicates (`predicate.selector`),
/// and lists selectors and events.
pub fn classify(rule: &Rule, model: &mut QueryModel, catalog: &EventCatalog) -> Sources {
    let def = source_of(rule, model);
    let mut selectors = Vec::new();
    let mut event_ids: Vec<u32> = Vec::new();

    for predicate in &mut model.predicates {
        if predicate.selector.is_none() {
            predicate.selector =
                predicate_selector(&predicate.field, predicate.kind, &predicate.values);
        }
        let Some(kind) = predicate.selector else {
            continue;
        };
        if kind == SelectorKind::EventCode {
            for value in &predicate.values {
                event_ids.extend(event_ids_in(value));
            }
        }
        selectors.push(SelectorRow {
            stage: predicate.stage,
            kind,
            field: predicate.field.clone(),
            op: predicate.kind,
            keys: selector_keys(kind, &predicate.field, &predicate.values),
            values: predicate.values.clone(),
            span: predicate.span,
        });
    }

    let mut term_selectors = Vec::with_capacity(model.search_terms.len());
    for term in &model.search_terms {
        let selector = match term_event_id(&term.text, term.indexed) {
            Some((id, always)) if always || known_event(catalog, def.events, id) => {
                event_ids.push(id);
                Some(SelectorKind::EventCode)
            }
            Some(_) => None,
            None => is_edr_type(&term.text).then_some(SelectorKind::EdrEventType),
        };
        // `TERM(EventCode=4688)` is listed once, as the comparison its predicate is.
        let has_predicate = term.indexed && term.text.contains('=');
        if let Some(kind) = selector.filter(|_| !has_predicate) {
            selectors.push(SelectorRow {
                stage: term.stage,
                kind,
                field: "_raw".to_owned(),
                op: if term.indexed {
                    PredicateKind::Term
                } else {
                    PredicateKind::RawContains
                },
                keys: selector_keys(kind, "_raw", std::slice::from_ref(&term.text)),
                values: vec![term.text.clone()],
                span: term.span,
            });
        }
        term_selectors.push(selector);
    }
    selectors.sort_by_key(|s| s.span);

    let mut seen = Vec::new();
    let events = event_ids
        .into_iter()
        .filter(|id| {
            let new = !seen.contains(id);
            seen.push(*id);
            new
        })
        .map(|id| event_row(catalog, def, id))
        .collect();

    Sources {
        data_source: DataSource {
            key: def.key.to_owned(),
            label: def.label.to_owned(),
        },
        event_sources: def.events,
        selectors,
        term_selectors,
        events,
    }
}

/// The most specific data source the rule names: a macro, else a table, else a category.
fn source_of(rule: &Rule, model: &QueryModel) -> &'static SourceDef {
    let by_macro = model
        .macros
        .iter()
        .filter_map(|call| {
            let name = call.name.to_ascii_lowercase();
            SOURCES.iter().find_map(|def| {
                def.macros
                    .iter()
                    .find(|m| **m == name)
                    .map(|m| (m.len(), def))
            })
        })
        .max_by_key(|(len, _)| *len)
        .map(|(_, def)| def);
    // Okta rules use the generic authentication and application macros; their event type
    // field gives them away.
    let by_macro = by_macro.map(|def| {
        let generic = matches!(def.key, "authentication" | "application");
        let okta = model.predicates.iter().any(|p| p.field == "eventType");
        if generic && okta {
            SOURCES.iter().find(|d| d.key == "okta").unwrap_or(def)
        } else {
            def
        }
    });
    let by_table = || {
        model.tables.iter().find_map(|table| {
            let name = table.name.to_ascii_lowercase().replace('"', "");
            let last = name.rsplit('.').next().unwrap_or(&name).to_owned();
            SOURCES
                .iter()
                .find(|def| def.tables.contains(&last.as_str()))
        })
    };
    let by_category = || {
        rule.data_categories.iter().find_map(|category| {
            let folded = category.to_lowercase();
            SOURCES
                .iter()
                .find(|def| def.categories.contains(&folded.as_str()))
        })
    };
    let found = match rule.logic_format {
        LogicFormat::Snowflake => by_table().or(by_macro),
        _ => by_macro.or_else(by_table),
    };
    found.or_else(by_category).unwrap_or(&UNKNOWN)
}

/// The selector a field comparison is, if any.
fn predicate_selector(field: &str, kind: PredicateKind, values: &[String]) -> Option<SelectorKind> {
    let field = field.to_ascii_lowercase();
    let numeric = !values.is_empty() && values.iter().all(|v| !event_ids_in(v).is_empty());
    match field.as_str() {
        "eventcode" | "eventid" | "event_id" | "signature_id" if numeric => matches!(
            kind,
            PredicateKind::Eq
                | PredicateKind::In
                | PredicateKind::Term
                | PredicateKind::Match
                | PredicateKind::RegexMatch
        )
        .then_some(SelectorKind::EventCode),
        "sourcetype" => Some(SelectorKind::Sourcetype),
        "index" => Some(SelectorKind::Index),
        "source" => Some(SelectorKind::Source),
        "type" if values.iter().all(|v| v.eq_ignore_ascii_case("process")) => {
            Some(SelectorKind::EdrEventType)
        }
        "event_type" if values.iter().all(|v| is_carbon_black_type(v)) => {
            Some(SelectorKind::EdrEventType)
        }
        "event_simplename" | "event_platform" | "actiontype" => Some(SelectorKind::EdrEventType),
        _ => None,
    }
}

/// Event ids in a selector value: `4688`, or an alternation such as `1040|1042` from
/// `match(signature_id, "1040|1042")`. Anything else gives none.
fn event_ids_in(value: &str) -> Vec<u32> {
    static IDS: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"^\^?\(?\d{1,5}(?:\|\d{1,5})*\)?\$?$").expect("valid event id pattern")
    });
    if !IDS.is_match(value.trim()) {
        return Vec::new();
    }
    value
        .split(|c: char| !c.is_ascii_digit())
        .filter_map(|part| part.parse().ok())
        .collect()
}

/// An event id written as a raw-text term, and whether the form is unambiguous: the XML
/// forms and `EventCode=` always select events; `EventID=N` only when the id is an event
/// of the rule's log (it also appears inside command lines, as wevtutil arguments).
fn term_event_id(text: &str, indexed: bool) -> Option<(u32, bool)> {
    static FORMS: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"^(?:<?EventID>(?P<xml>\d{1,5})<|EventCode=(?P<code>\d{1,5})|EventID=(?P<id>\d{1,5}))$")
            .expect("valid event term pattern")
    });
    let captures = FORMS.captures(text.trim())?;
    let (value, always) = if let Some(xml) = captures.name("xml") {
        (xml, true)
    } else if let Some(code) = captures.name("code") {
        (code, true)
    } else {
        (captures.name("id")?, indexed)
    };
    Some((value.as_str().parse().ok()?, always))
}

fn known_event(catalog: &EventCatalog, sources: &[EventSource], id: u32) -> bool {
    catalog.lookup_first(sources, id).is_some()
}

/// EDR record types written as raw-text terms: CrowdStrike event names and Microsoft
/// Defender for Endpoint tables.
fn is_edr_type(text: &str) -> bool {
    const TYPES: [&str; 12] = [
        "processrollup2",
        "syntheticprocessrollup2",
        "networkconnectip4",
        "dnsrequest",
        "devicefileevents",
        "deviceprocessevents",
        "devicenetworkevents",
        "deviceregistryevents",
        "deviceimageloadevents",
        "devicelogonevents",
        "deviceevents",
        "deviceinfo",
    ];
    TYPES.contains(&text.to_ascii_lowercase().as_str())
}

fn is_carbon_black_type(value: &str) -> bool {
    const TYPES: [&str; 7] = [
        "childproc",
        "netconn",
        "proc",
        "filemod",
        "regmod",
        "modload",
        "crossproc",
    ];
    TYPES.contains(&value.to_ascii_lowercase().as_str())
}

fn event_row(catalog: &EventCatalog, def: &SourceDef, id: u32) -> EventRow {
    match catalog.lookup_first(def.events, id) {
        Some(info) => EventRow {
            provider: info.provider_short.clone(),
            event_id: id,
            title: Some(info.title.clone()),
        },
        None => EventRow {
            provider: def.label.to_owned(),
            event_id: id,
            title: None,
        },
    }
}

/// Selector index keys: `<kind> <field>=<value, lower case>` (`event EventCode=4688`).
fn selector_keys(kind: SelectorKind, field: &str, values: &[String]) -> Vec<String> {
    let label = match kind {
        SelectorKind::EventCode => "event",
        SelectorKind::Index => "index",
        SelectorKind::Sourcetype => "sourcetype",
        SelectorKind::Source => "source",
        SelectorKind::EdrEventType => "edr-type",
        SelectorKind::TimeWindow => "time-window",
    };
    values
        .iter()
        .map(|value| format!("{label} {field}={}", value.to_lowercase()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_id_forms() {
        assert_eq!(term_event_id("<EventID>4688<", false), Some((4688, true)));
        assert_eq!(term_event_id("EventID>1<", false), Some((1, true)));
        assert_eq!(term_event_id("EventCode=4104", true), Some((4104, true)));
        assert_eq!(term_event_id("EventID=25", false), Some((25, false)));
        assert_eq!(term_event_id("EventID=25 and more", false), None);
        assert_eq!(event_ids_in("1040|1042"), [1040, 1042]);
        assert_eq!(event_ids_in("^4688$"), [4688]);
        assert!(event_ids_in("(?i)psexec").is_empty());
    }

    #[test]
    fn selectors_of_comparisons() {
        let values = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            predicate_selector("signature_id", PredicateKind::Match, &values(&["4688"])),
            Some(SelectorKind::EventCode)
        );
        assert_eq!(
            predicate_selector("dc_signature_id", PredicateKind::Eq, &values(&["3"])),
            None
        );
        assert_eq!(
            predicate_selector("Type", PredicateKind::Eq, &values(&["Process"])),
            Some(SelectorKind::EdrEventType)
        );
        assert_eq!(
            predicate_selector(
                "event_type",
                PredicateKind::In,
                &values(&["childproc", "netconn"])
            ),
            Some(SelectorKind::EdrEventType)
        );
        assert_eq!(
            predicate_selector("process_name", PredicateKind::Eq, &values(&["cmd.exe"])),
            None
        );
    }
}
