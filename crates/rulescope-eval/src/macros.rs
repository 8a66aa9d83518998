//! Default definitions for the armory's placeholder macros: data-source macros select the
//! events of their channel, trailing output macros do nothing. A macros.conf given by the
//! user overrides them.

use rulescope_spl::{MacroDef, MacroTable};

/// Data-source macros and the events they select. Sources are written as the add-on sets
/// them for XML and classic rendering alike (`*WinEventLog:<channel>`).
const SOURCES: &[(&str, &str)] = &[
    // The generic endpoint macro precedes a specific one in every rule; it selects nothing
    // by itself.
    ("get_endpoint_data", "*"),
    (
        "get_endpoint_data_winevent",
        "sourcetype IN (XmlWinEventLog, WinEventLog) NOT source IN (\"*:Microsoft-Windows-Sysmon/Operational\", \"*:Microsoft-Windows-PowerShell/Operational\", \"*:Windows PowerShell\")",
    ),
    (
        "get_endpoint_data_windows",
        "sourcetype IN (XmlWinEventLog, WinEventLog)",
    ),
    (
        "get_endpoint_data_sysmon",
        "source IN (\"XmlWinEventLog:Microsoft-Windows-Sysmon/Operational\", \"WinEventLog:Microsoft-Windows-Sysmon/Operational\")",
    ),
    (
        "get_endpoint_data_powershell",
        "source IN (\"XmlWinEventLog:Microsoft-Windows-PowerShell/Operational\", \"WinEventLog:Microsoft-Windows-PowerShell/Operational\", \"*:Windows PowerShell\")",
    ),
];

/// Macros that only route or enrich results in the armory's deployment; here they do nothing.
const NO_OPS: &[(&str, usize)] = &[
    ("hec_collect", 0),
    ("add_fields_eoi", 0),
    ("fltr_bl_ip_address", 0),
    ("add_enrichment_rule", 1),
];

/// The default table. Any other `get_*` data-source macro a rule names selects a sourcetype
/// of its own name, which no Windows event has: such rules run and do not fire.
pub fn default_table(names_in_rules: impl IntoIterator<Item = String>) -> MacroTable {
    let mut table = MacroTable::new();
    for name in names_in_rules {
        if name.starts_with("get_") {
            table.insert(MacroDef {
                definition: format!("sourcetype=\"{name}\""),
                name,
                args: Vec::new(),
            });
        }
    }
    for (name, definition) in SOURCES {
        table.insert(MacroDef {
            name: (*name).to_owned(),
            args: Vec::new(),
            definition: (*definition).to_owned(),
        });
    }
    for (name, arity) in NO_OPS {
        table.insert(MacroDef {
            name: (*name).to_owned(),
            args: (0..*arity).map(|i| format!("a{i}")).collect(),
            definition: String::new(),
        });
    }
    // `group_events(fields, span)` trails a table: bin the time and group by the fields.
    table.insert(MacroDef {
        name: "group_events".into(),
        args: vec!["fields".into(), "span".into()],
        definition: "| bin _time span=$span$ | stats values(*) as * by _time, $fields$".into(),
    });
    table
}
