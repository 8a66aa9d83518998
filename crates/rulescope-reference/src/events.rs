//! Windows events: the title of each (provider, event id), and the EventData fields each
//! event produces ([`EventFields`]).
//!
//! Event ids are only unique within a provider: Sysmon 1 is "Process Create", Security has
//! no event 1, and a rule's data source (its `get_endpoint_data_sysmon` macro, its data
//! category) is what says which provider applies. Lookups therefore take an
//! [`EventSource`].

mod builtin;
mod fields;

use std::collections::HashMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::LoadError;

pub use fields::EventFields;

/// The log a rule reads, as far as event ids are concerned.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum EventSource {
    /// The Security channel: Security-Auditing, and Eventlog's 1100–1108.
    Security,
    /// The System channel: Service Control Manager, Eventlog 104–106, User32, ...
    System,
    /// The Application channel: MsiInstaller, Application Error, MSSQLSERVER, ...
    Application,
    Sysmon,
    /// Both PowerShell logs: "Windows PowerShell" (400, 800, ...) and
    /// PowerShell/Operational (4103, 4104, ...); their ids do not overlap.
    PowerShell,
    TaskScheduler,
    WmiActivity,
    Defender,
    PrintService,
}

impl EventSource {
    /// The source of a channel name as written in event logs and in `windows-events.csv`.
    pub fn from_channel(channel: &str) -> Option<Self> {
        let channel = channel.trim();
        let source = match channel.to_ascii_lowercase().as_str() {
            "security" => Self::Security,
            "system" => Self::System,
            "application" => Self::Application,
            "microsoft-windows-sysmon/operational" => Self::Sysmon,
            "windows powershell" | "microsoft-windows-powershell/operational" => Self::PowerShell,
            "microsoft-windows-taskscheduler/operational" => Self::TaskScheduler,
            "microsoft-windows-wmi-activity/operational" => Self::WmiActivity,
            "microsoft-windows-windows defender/operational" => Self::Defender,
            "microsoft-windows-printservice/admin"
            | "microsoft-windows-printservice/operational" => Self::PrintService,
            _ => return None,
        };
        Some(source)
    }

    /// Where to look up the event ids of a rule, most likely first, from the name of its
    /// data source: an armory macro suffix (`winevent`, `sysmon`, `powershell`) or data
    /// category ("Windows event logs", "Windows Sysmon", "PowerShell logs"). Sysmon rules
    /// also match Security 4688 (two armory rules do), so Security follows Sysmon.
    pub fn candidates(data_source: &str) -> &'static [EventSource] {
        use EventSource::*;
        let lower = data_source.trim().to_ascii_lowercase();
        if lower.contains("sysmon") {
            &[Sysmon, Security]
        } else if lower.contains("powershell") {
            &[PowerShell]
        } else if lower.contains("winevent") || lower.contains("windows event") {
            &[
                Security,
                System,
                Application,
                TaskScheduler,
                WmiActivity,
                Defender,
                PrintService,
            ]
        } else {
            &[]
        }
    }
}

/// One event: who writes it, where, and what it means.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct EventInfo {
    /// `Microsoft-Windows-Security-Auditing`.
    pub provider: String,
    /// `Security-Auditing`.
    pub provider_short: String,
    /// `Security`, `Microsoft-Windows-Sysmon/Operational`, ...
    pub channel: String,
    pub event_id: u32,
    /// The first sentence of the message template, placeholders (`%1`) kept.
    pub title: String,
    /// `None` for channels [`EventSource`] does not name.
    pub source: Option<EventSource>,
}

/// A row of `windows-events.csv`.
#[derive(Deserialize)]
struct CsvRow {
    provider: String,
    provider_short: String,
    channel: String,
    event_id: u32,
    title: String,
}

/// Event titles by source and id.
#[derive(Clone, Debug, Default)]
pub struct EventCatalog {
    events: Vec<EventInfo>,
    by_source: HashMap<(EventSource, u32), usize>,
    by_channel: HashMap<(String, u32), usize>,
}

impl EventCatalog {
    /// The table compiled into rulescope: the events detection content uses most.
    pub fn builtin() -> Self {
        let mut catalog = Self::default();
        for &(provider, provider_short, channel, event_id, title) in builtin::EVENTS {
            catalog.insert(EventInfo {
                provider: provider.to_owned(),
                provider_short: provider_short.to_owned(),
                channel: channel.to_owned(),
                event_id,
                title: title.to_owned(),
                source: EventSource::from_channel(channel),
            });
        }
        catalog
    }

    /// Reads a CSV with the columns of `windows-events.csv`:
    /// `provider,provider_short,channel,event_id,title,source`.
    pub fn load(path: &Path) -> Result<Self, LoadError> {
        let mut catalog = Self::default();
        for row in read_csv::<CsvRow>(path, "provider,provider_short,channel,event_id,title")? {
            catalog.insert(EventInfo {
                source: EventSource::from_channel(&row.channel),
                provider: row.provider,
                provider_short: row.provider_short,
                channel: row.channel,
                event_id: row.event_id,
                title: row.title,
            });
        }
        Ok(catalog)
    }

    /// Adds the events of `other`; where both know an event, `other`'s row wins. Use it to
    /// lay a loaded file over the built-in table.
    pub fn merge(&mut self, other: EventCatalog) {
        for event in other.events {
            self.insert(event);
        }
    }

    fn insert(&mut self, event: EventInfo) {
        let channel_key = (event.channel.to_ascii_lowercase(), event.event_id);
        let index = match self.by_channel.get(&channel_key) {
            Some(&index) => {
                self.events[index] = event;
                index
            }
            None => {
                self.events.push(event);
                self.events.len() - 1
            }
        };
        self.by_channel.insert(channel_key, index);
        if let Some(source) = self.events[index].source {
            self.by_source
                .insert((source, self.events[index].event_id), index);
        }
    }

    pub fn lookup(&self, source: EventSource, event_id: u32) -> Option<&EventInfo> {
        self.by_source
            .get(&(source, event_id))
            .map(|&index| &self.events[index])
    }

    /// The first source of `sources` that has the event (see [`EventSource::candidates`]).
    pub fn lookup_first(&self, sources: &[EventSource], event_id: u32) -> Option<&EventInfo> {
        sources
            .iter()
            .find_map(|&source| self.lookup(source, event_id))
    }

    /// By channel name, for channels [`EventSource`] does not name.
    pub fn lookup_channel(&self, channel: &str, event_id: u32) -> Option<&EventInfo> {
        self.by_channel
            .get(&(channel.trim().to_ascii_lowercase(), event_id))
            .map(|&index| &self.events[index])
    }

    pub fn events(&self) -> &[EventInfo] {
        &self.events
    }
}

/// Reads every record of a headed CSV file into `T`, with file and line in errors.
fn read_csv<T: serde::de::DeserializeOwned>(
    path: &Path,
    columns: &str,
) -> Result<Vec<T>, LoadError> {
    let hint = format!("expected a CSV with the header `{columns}`");
    let mut reader = csv::Reader::from_path(path).map_err(|e| csv_error(path, &e, &hint))?;
    reader
        .deserialize()
        .map(|record| record.map_err(|e| csv_error(path, &e, &hint)))
        .collect()
}

fn csv_error(path: &Path, err: &csv::Error, hint: &str) -> LoadError {
    if let csv::ErrorKind::Io(io) = err.kind() {
        return LoadError::io(path, io);
    }
    let line = err.position().map(csv::Position::line);
    LoadError::new(path, line, err.to_string()).with_hint(hint)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_titles_for_the_psexec_rule() {
        let catalog = EventCatalog::builtin();
        let e = catalog.lookup(EventSource::Security, 4688).expect("4688");
        assert_eq!(
            (e.provider_short.as_str(), e.event_id, e.title.as_str()),
            ("Security-Auditing", 4688, "A new process has been created.")
        );
        assert_eq!(
            catalog
                .lookup(EventSource::Security, 5145)
                .map(|e| e.title.as_str()),
            Some(
                "A network share object was checked to see whether client can be granted desired access."
            )
        );
    }

    #[test]
    fn ids_are_looked_up_per_source() {
        let catalog = EventCatalog::builtin();
        assert_eq!(
            catalog
                .lookup(EventSource::Sysmon, 1)
                .map(|e| e.title.as_str()),
            Some("Process Create")
        );
        assert!(catalog.lookup(EventSource::Security, 1).is_none());
        let sysmon = EventSource::candidates("sysmon");
        assert_eq!(
            catalog
                .lookup_first(sysmon, 4688)
                .map(|e| e.channel.as_str()),
            Some("Security")
        );
        assert_eq!(
            catalog
                .lookup_first(EventSource::candidates("Windows event logs"), 7045)
                .map(|e| e.provider.as_str()),
            Some("Service Control Manager")
        );
        assert_eq!(
            catalog
                .lookup(EventSource::PowerShell, 4104)
                .map(|e| e.channel.as_str()),
            Some("Microsoft-Windows-PowerShell/Operational")
        );
        assert_eq!(
            catalog
                .lookup(EventSource::PowerShell, 800)
                .map(|e| e.channel.as_str()),
            Some("Windows PowerShell")
        );
        assert_eq!(
            catalog
                .lookup_channel("security", 1102)
                .map(|e| e.provider_short.as_str()),
            Some("Eventlog")
        );
        assert!(EventSource::candidates("EDR Logs").is_empty());
    }

    #[test]
    fn builtin_covers_the_listed_events() {
        use EventSource::*;
        let catalog = EventCatalog::builtin();
        let expected: &[(EventSource, &[u32])] = &[
            (
                Security,
                &[
                    4624, 4625, 4634, 4648, 4656, 4657, 4662, 4663, 4672, 4688, 4697, 4698, 4699,
                    4700, 4702, 4719, 4720, 4722, 4724, 4726, 4728, 4732, 4738, 4740, 4756, 4768,
                    4769, 4771, 4776, 4798, 4799, 5136, 5140, 5145, 5156, 1102,
                ],
            ),
            (System, &[7045, 7036, 7040, 104]),
            (PowerShell, &[4103, 4104, 400, 800]),
            (TaskScheduler, &[106, 140, 141, 200, 201]),
            (WmiActivity, &[5857, 5858, 5859, 5860, 5861]),
            (Defender, &[1116, 5001, 5007]),
        ];
        for (source, ids) in expected {
            for id in *ids {
                assert!(catalog.lookup(*source, *id).is_some(), "{source:?} {id}");
            }
        }
        for id in 1..=29 {
            assert!(catalog.lookup(Sysmon, id).is_some(), "Sysmon {id}");
        }
    }

    #[test]
    fn merge_prefers_the_loaded_row() {
        let mut catalog = EventCatalog::builtin();
        let mut other = EventCatalog::default();
        other.insert(EventInfo {
            provider: "Microsoft-Windows-Security-Auditing".into(),
            provider_short: "Security-Auditing".into(),
            channel: "Security".into(),
            event_id: 4688,
            title: "Process created".into(),
            source: Some(EventSource::Security),
        });
        let before = catalog.events().len();
        catalog.merge(other);
        assert_eq!(catalog.events().len(), before);
        assert_eq!(
            catalog
                .lookup(EventSource::Security, 4688)
                .map(|e| e.title.as_str()),
            Some("Process created")
        );
    }

    #[test]
    fn bad_csv_names_file_and_line() {
        let dir = std::env::temp_dir().join(format!("rulescope-reference-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let path = dir.join("events.csv");
        std::fs::write(&path, "provider,provider_short,channel,event_id,title,source\nP,P,Security,4688,ok,x\nP,P,Security,notanumber,bad,x\n").expect("write");
        let err = EventCatalog::load(&path).expect_err("bad id");
        assert_eq!(err.line, Some(3));
        assert!(err.to_string().contains("events.csv:3:"), "{err}");
        let missing = EventCatalog::load(&dir.join("absent.csv")).expect_err("absent");
        assert!(missing.to_string().contains("cannot read"), "{missing}");
        std::fs::remove_dir_all(&dir).ok();
    }
}
