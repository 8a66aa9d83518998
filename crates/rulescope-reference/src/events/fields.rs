//! The EventData fields each event produces, so a lint can say "event 4688 never has a
//! field called X".

use std::collections::HashMap;
use std::path::Path;

use serde::Deserialize;

use super::{EventSource, read_csv};
use crate::error::LoadError;

/// Field names per event version, for the events rulescope knows.
#[derive(Clone, Debug, Default)]
pub struct EventFields {
    /// Versions in ascending order, each with its fields in XML order.
    by_event: HashMap<(EventSource, u32), Vec<Version>>,
}

/// An event version and its field names.
type Version = (u32, Vec<String>);

/// A row of `windows-event-fields.csv`.
#[derive(Deserialize)]
struct CsvRow {
    provider_short: String,
    event_id: u32,
    event_version: u32,
    eventdata_fields: String,
}

/// The newest versions of the events detection content reads most.
const BUILTIN: &[(EventSource, u32, u32, &str)] = &[
    (
        EventSource::Security,
        4624,
        2,
        "SubjectUserSid;SubjectUserName;SubjectDomainName;SubjectLogonId;TargetUserSid;TargetUserName;TargetDomainName;TargetLogonId;LogonType;LogonProcessName;AuthenticationPackageName;WorkstationName;LogonGuid;TransmittedServices;LmPackageName;KeyLength;ProcessId;ProcessName;IpAddress;IpPort;ImpersonationLevel;RestrictedAdminMode;TargetOutboundUserName;TargetOutboundDomainName;VirtualAccount;TargetLinkedLogonId;ElevatedToken",
    ),
    (
        EventSource::Security,
        4688,
        2,
        "SubjectUserSid;SubjectUserName;SubjectDomainName;SubjectLogonId;NewProcessId;NewProcessName;TokenElevationType;ProcessId;CommandLine;TargetUserSid;TargetUserName;TargetDomainName;TargetLogonId;ParentProcessName;MandatoryLabel",
    ),
    (
        EventSource::Security,
        5145,
        0,
        "SubjectUserSid;SubjectUserName;SubjectDomainName;SubjectLogonId;ObjectType;IpAddress;IpPort;ShareName;ShareLocalPath;RelativeTargetName;AccessMask;AccessList;AccessReason",
    ),
    (
        EventSource::System,
        7045,
        0,
        "ServiceName;ImagePath;ServiceType;StartType;AccountName",
    ),
    (
        EventSource::PowerShell,
        4104,
        1,
        "MessageNumber;MessageTotal;ScriptBlockText;ScriptBlockId;Path",
    ),
    (
        EventSource::Sysmon,
        1,
        5,
        "RuleName;UtcTime;ProcessGuid;ProcessId;Image;FileVersion;Description;Product;Company;OriginalFileName;CommandLine;CurrentDirectory;User;LogonGuid;LogonId;TerminalSessionId;IntegrityLevel;Hashes;ParentProcessGuid;ParentProcessId;ParentImage;ParentCommandLine;ParentUser",
    ),
    (
        EventSource::Sysmon,
        3,
        5,
        "RuleName;UtcTime;ProcessGuid;ProcessId;Image;User;Protocol;Initiated;SourceIsIpv6;SourceIp;SourceHostname;SourcePort;SourcePortName;DestinationIsIpv6;DestinationIp;DestinationHostname;DestinationPort;DestinationPortName",
    ),
    (
        EventSource::Sysmon,
        11,
        2,
        "RuleName;UtcTime;ProcessGuid;ProcessId;Image;TargetFilename;CreationUtcTime;User",
    ),
    (
        EventSource::Sysmon,
        13,
        2,
        "RuleName;EventType;UtcTime;ProcessGuid;ProcessId;Image;TargetObject;Details;User",
    ),
];

impl EventFields {
    pub fn builtin() -> Self {
        let mut fields = Self::default();
        for &(source, id, version, names) in BUILTIN {
            fields.insert(source, id, version, names);
        }
        fields
    }

    /// Reads a CSV with the columns of `windows-event-fields.csv`:
    /// `provider_short,event_id,event_version,eventdata_fields,source`, fields `;`-separated.
    /// Rows of providers rulescope does not map to an [`EventSource`] are skipped.
    pub fn load(path: &Path) -> Result<Self, LoadError> {
        let mut fields = Self::default();
        let rows = read_csv::<CsvRow>(
            path,
            "provider_short,event_id,event_version,eventdata_fields",
        )?;
        for row in rows {
            if let Some(source) = source_of(&row.provider_short, row.event_id) {
                fields.insert(
                    source,
                    row.event_id,
                    row.event_version,
                    &row.eventdata_fields,
                );
            }
        }
        Ok(fields)
    }

    fn insert(&mut self, source: EventSource, event_id: u32, version: u32, names: &str) {
        let names = names
            .split(';')
            .map(str::trim)
            .filter(|n| !n.is_empty())
            .map(str::to_owned)
            .collect();
        let versions = self.by_event.entry((source, event_id)).or_default();
        match versions.binary_search_by_key(&version, |(v, _)| *v) {
            Ok(at) => versions[at].1 = names,
            Err(at) => versions.insert(at, (version, names)),
        }
    }

    /// The fields of the newest known version of an event, in XML order.
    pub fn fields(&self, source: EventSource, event_id: u32) -> Option<&[String]> {
        let versions = self.by_event.get(&(source, event_id))?;
        versions.last().map(|(_, names)| names.as_slice())
    }

    /// The fields of one version of an event.
    pub fn fields_of_version(
        &self,
        source: EventSource,
        event_id: u32,
        version: u32,
    ) -> Option<&[String]> {
        let versions = self.by_event.get(&(source, event_id))?;
        versions
            .iter()
            .find(|(v, _)| *v == version)
            .map(|(_, names)| names.as_slice())
    }

    /// Whether any known version of the event has the field (ASCII case ignored, as
    /// search languages mostly do); `None` when the event itself is unknown.
    pub fn produces(&self, source: EventSource, event_id: u32, field: &str) -> Option<bool> {
        let versions = self.by_event.get(&(source, event_id))?;
        Some(
            versions
                .iter()
                .flat_map(|(_, names)| names)
                .any(|name| name.eq_ignore_ascii_case(field)),
        )
    }
}

/// The source of a `provider_short` value. Eventlog writes to two channels: 104–106 go to
/// System, 1100–1108 to Security.
fn source_of(provider_short: &str, event_id: u32) -> Option<EventSource> {
    let source = match provider_short.trim().to_ascii_lowercase().as_str() {
        "security-auditing" => EventSource::Security,
        "eventlog" if event_id < 1000 => EventSource::System,
        "eventlog" => EventSource::Security,
        "service control manager" => EventSource::System,
        "sysmon" => EventSource::Sysmon,
        "powershell" | "powershell-operational" => EventSource::PowerShell,
        "taskscheduler" => EventSource::TaskScheduler,
        "wmi-activity" => EventSource::WmiActivity,
        "windows defender" => EventSource::Defender,
        _ => return None,
    };
    Some(source)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_knows_the_top_events() {
        let fields = EventFields::builtin();
        let process = fields.fields(EventSource::Security, 4688).expect("4688");
        assert_eq!(process.first().map(String::as_str), Some("SubjectUserSid"));
        assert_eq!(
            fields.produces(EventSource::Security, 4688, "commandline"),
            Some(true)
        );
        assert_eq!(
            fields.produces(EventSource::Security, 4688, "ParentCommandLine"),
            Some(false)
        );
        assert_eq!(
            fields.produces(EventSource::Sysmon, 1, "ParentCommandLine"),
            Some(true)
        );
        assert_eq!(fields.produces(EventSource::Security, 1, "Image"), None);
        assert_eq!(
            fields
                .fields_of_version(EventSource::Sysmon, 13, 2)
                .map(<[String]>::len),
            Some(9)
        );
        assert!(
            fields
                .fields_of_version(EventSource::Sysmon, 13, 1)
                .is_none()
        );
    }

    #[test]
    fn newest_version_wins() {
        let mut fields = EventFields::default();
        fields.insert(
            EventSource::Security,
            4698,
            1,
            "TaskName;TaskContent;ClientProcessId",
        );
        fields.insert(EventSource::Security, 4698, 0, "TaskName;TaskContent");
        assert_eq!(
            fields
                .fields(EventSource::Security, 4698)
                .map(<[String]>::len),
            Some(3)
        );
        assert_eq!(
            fields.produces(EventSource::Security, 4698, "ClientProcessId"),
            Some(true)
        );
    }

    #[test]
    fn eventlog_ids_go_to_their_channel() {
        assert_eq!(source_of("Eventlog", 104), Some(EventSource::System));
        assert_eq!(source_of("Eventlog", 1102), Some(EventSource::Security));
        assert_eq!(source_of("Unknown-Provider", 1), None);
    }
}
