//! Search-time fields the Splunk Add-on for Microsoft Windows (and the Sysmon add-on) derive
//! from EventData, as a data table: for an event id of a channel, a CIM field and how it is
//! computed. Sources: TA 8.1.2 props/transforms and the security_content field inventories
//! (see `research/anchors-engines.md` §4.3).

/// How a derived field is computed from EventData fields (by their XML names).
#[derive(Clone, Copy, Debug)]
pub enum Derive {
    /// The field as is.
    Data(&'static str),
    /// The part after the last `\` (the TA's `(?:.*\\)?(.*)`).
    Basename(&'static str),
    /// The first of these fields that is present and not `-`.
    FirstOf(&'static [&'static str]),
    /// The event's `<Computer>`.
    Computer,
}

/// Which events a row applies to: a channel and its event ids.
pub struct Mapping {
    pub channel: &'static str,
    pub event_ids: &'static [u32],
    pub fields: &'static [(&'static str, Derive)],
}

use Derive::{Basename, Data, FirstOf};

const SECURITY: &str = "Security";
const SYSTEM: &str = "System";
const SYSMON: &str = "Microsoft-Windows-Sysmon/Operational";
const POWERSHELL: &str = "Microsoft-Windows-PowerShell/Operational";

/// The mapping table. Rows are applied in order; a later row for the same field does not
/// overwrite an earlier one.
pub const MAPPINGS: &[Mapping] = &[
    Mapping {
        channel: SECURITY,
        event_ids: &[4688],
        fields: &[
            ("process_name", Basename("NewProcessName")),
            ("new_process_name", Basename("NewProcessName")),
            ("process_exec", Basename("NewProcessName")),
            ("process_path", Data("NewProcessName")),
            ("new_process", Data("NewProcessName")),
            ("process", FirstOf(&["CommandLine", "NewProcessName"])),
            ("Process_Command_Line", Data("CommandLine")),
            ("process_id", Data("NewProcessId")),
            ("new_process_id", Data("NewProcessId")),
            ("parent_process_name", Basename("ParentProcessName")),
            ("parent_process_path", Data("ParentProcessName")),
            ("parent_process", Data("ParentProcessName")),
            ("parent_process_id", Data("ProcessId")),
            ("user", FirstOf(&["TargetUserName", "SubjectUserName"])),
            ("src_user", Data("SubjectUserName")),
        ],
    },
    Mapping {
        channel: SECURITY,
        event_ids: &[4624, 4625],
        fields: &[
            ("user", Data("TargetUserName")),
            ("src_user", Data("SubjectUserName")),
            ("src_ip", Data("IpAddress")),
            ("src_port", Data("IpPort")),
            ("src", FirstOf(&["IpAddress", "WorkstationName"])),
            ("src_nt_host", Data("WorkstationName")),
            ("logon_type", Data("LogonType")),
            ("authentication_method", Data("AuthenticationPackageName")),
            ("process_path", Data("ProcessName")),
            ("process_name", Basename("ProcessName")),
            ("process_id", Data("ProcessId")),
        ],
    },
    Mapping {
        channel: SECURITY,
        event_ids: &[4663],
        fields: &[
            ("file_path", Data("ObjectName")),
            ("file_name", Basename("ObjectName")),
            ("object", Data("ObjectName")),
            ("object_type", Data("ObjectType")),
            ("process_path", Data("ProcessName")),
            ("process_name", Basename("ProcessName")),
            ("process_id", Data("ProcessId")),
            ("user", Data("SubjectUserName")),
        ],
    },
    Mapping {
        channel: SECURITY,
        event_ids: &[4698],
        fields: &[
            ("task_name", Data("TaskName")),
            ("user", Data("SubjectUserName")),
        ],
    },
    Mapping {
        channel: SECURITY,
        event_ids: &[4720],
        fields: &[
            ("user", Data("TargetUserName")),
            ("src_user", Data("SubjectUserName")),
        ],
    },
    Mapping {
        channel: SECURITY,
        event_ids: &[5140, 5145],
        fields: &[
            ("file_name", Data("ShareName")),
            ("file_path", Data("ShareLocalPath")),
            ("share_name", Data("ShareName")),
            ("src_ip", Data("IpAddress")),
            ("src", Data("IpAddress")),
            ("src_port", Data("IpPort")),
            ("user", Data("SubjectUserName")),
            ("src_user", Data("SubjectUserName")),
        ],
    },
    Mapping {
        channel: SECURITY,
        event_ids: &[4697],
        fields: &[
            ("service_name", Data("ServiceName")),
            ("service", Data("ServiceName")),
            ("service_path", Data("ServiceFileName")),
            ("start_mode", Data("ServiceStartType")),
            ("user", Data("SubjectUserName")),
        ],
    },
    Mapping {
        channel: SYSTEM,
        event_ids: &[7045],
        fields: &[
            ("service_name", Data("ServiceName")),
            ("service", Data("ServiceName")),
            ("service_path", Data("ImagePath")),
            ("start_mode", Data("StartType")),
            ("user", Data("AccountName")),
        ],
    },
    Mapping {
        channel: SYSMON,
        event_ids: &[1],
        fields: &[
            ("process", Data("CommandLine")),
            ("process_current_directory", Data("CurrentDirectory")),
            ("process_hash", Data("Hashes")),
            ("process_integrity_level", Data("IntegrityLevel")),
            ("original_file_name", Data("OriginalFileName")),
            ("parent_process", Data("ParentCommandLine")),
            ("parent_process_name", Basename("ParentImage")),
            ("parent_process_exec", Basename("ParentImage")),
            ("parent_process_path", Data("ParentImage")),
            ("parent_process_id", Data("ParentProcessId")),
            ("parent_process_guid", Data("ParentProcessGuid")),
        ],
    },
    Mapping {
        channel: SYSMON,
        event_ids: &[3],
        fields: &[
            ("src_ip", Data("SourceIp")),
            ("src_port", Data("SourcePort")),
            ("src_host", Data("SourceHostname")),
            ("dest_ip", Data("DestinationIp")),
            ("dest_port", Data("DestinationPort")),
            ("dest_host", Data("DestinationHostname")),
            ("transport", Data("Protocol")),
        ],
    },
    Mapping {
        channel: SYSMON,
        event_ids: &[7],
        fields: &[
            ("loaded_file_path", Data("ImageLoaded")),
            ("loaded_file", Basename("ImageLoaded")),
        ],
    },
    Mapping {
        channel: SYSMON,
        event_ids: &[8, 10],
        fields: &[
            ("process_path", Data("SourceImage")),
            ("process_name", Basename("SourceImage")),
            ("process_id", Data("SourceProcessId")),
            ("process_guid", Data("SourceProcessGuid")),
            ("target_process_path", Data("TargetImage")),
            ("target_process_name", Basename("TargetImage")),
            ("target_process_id", Data("TargetProcessId")),
            ("granted_access", Data("GrantedAccess")),
        ],
    },
    Mapping {
        channel: SYSMON,
        event_ids: &[11],
        fields: &[
            ("file_path", Data("TargetFilename")),
            ("file_name", Basename("TargetFilename")),
        ],
    },
    Mapping {
        channel: SYSMON,
        event_ids: &[12, 13, 14],
        fields: &[
            ("registry_path", Data("TargetObject")),
            ("registry_key_name", Basename("TargetObject")),
            ("registry_value_data", Data("Details")),
            ("action", Data("EventType")),
        ],
    },
    Mapping {
        channel: SYSMON,
        event_ids: &[22],
        fields: &[
            ("query", Data("QueryName")),
            ("answer", Data("QueryResults")),
        ],
    },
    // Every Sysmon event that names an image: the process it is about.
    Mapping {
        channel: SYSMON,
        event_ids: &[1, 3, 5, 6, 7, 11, 12, 13, 14, 15, 17, 18, 22, 23, 26],
        fields: &[
            ("process_name", Basename("Image")),
            ("process_exec", Basename("Image")),
            ("process_path", Data("Image")),
            ("process_id", Data("ProcessId")),
            ("process_guid", Data("ProcessGuid")),
            ("user", Data("User")),
        ],
    },
    Mapping {
        channel: POWERSHELL,
        event_ids: &[4103, 4104],
        fields: &[
            ("script_block_text", Data("ScriptBlockText")),
            ("script_path", Data("Path")),
            ("process", FirstOf(&["ScriptBlockText", "Payload"])),
        ],
    },
];

/// The message label classic (`WinEventLog`) rendering gives an EventData field; the field
/// Splunk extracts is the label with spaces turned into underscores.
pub fn classic_label(channel: &str, event_id: u32, name: &str) -> String {
    let fixed = match (event_id, name) {
        (4688, "NewProcessName") => Some("New Process Name"),
        (4688, "NewProcessId") => Some("New Process ID"),
        (4688, "ProcessId") => Some("Creator Process ID"),
        (4688, "ParentProcessName") => Some("Creator Process Name"),
        (4688, "CommandLine") => Some("Process Command Line"),
        (5140 | 5145, "IpAddress") => Some("Source Address"),
        (5140 | 5145, "ShareLocalPath") => Some("Share Path"),
        (5140 | 5145 | 4663, "AccessList") => Some("Accesses"),
        (5145, "AccessReason") => Some("Access Check Results"),
        (4624 | 4625, "IpAddress") => Some("Source Network Address"),
        (4624 | 4625, "LogonProcessName") => Some("Logon Process"),
        (4624 | 4625, "AuthenticationPackageName") => Some("Authentication Package"),
        (7045, "ImagePath") => Some("Service File Name"),
        (7045, "StartType") => Some("Service Start Type"),
        (7045, "AccountName") => Some("Service Account"),
        (_, "ProcessId") => Some("Process ID"),
        (_, "HandleId") => Some("Handle ID"),
        _ => None,
    };
    if let Some(label) = fixed {
        return label.to_owned();
    }
    // Subject/Target blocks repeat the same labels, hence multivalue `Account_Name`.
    if let Some(rest) = name
        .strip_prefix("Subject")
        .or_else(|| name.strip_prefix("Target"))
    {
        match rest {
            "UserSid" => return "Security ID".to_owned(),
            "UserName" => return "Account Name".to_owned(),
            "DomainName" => return "Account Domain".to_owned(),
            "LogonId" => return "Logon ID".to_owned(),
            _ => {}
        }
    }
    if channel == SECURITY || channel == SYSTEM {
        split_camel(name)
    } else {
        // Sysmon and PowerShell messages label lines with the field name itself.
        name.to_owned()
    }
}

/// `ServiceFileName` → `Service File Name`.
fn split_camel(name: &str) -> String {
    let mut out = String::with_capacity(name.len() + 4);
    let chars: Vec<char> = name.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        let prev_lower = i > 0 && chars[i - 1].is_lowercase();
        let next_lower = chars.get(i + 1).is_some_and(|n| n.is_lowercase());
        let prev_upper = i > 0 && chars[i - 1].is_uppercase();
        if c.is_uppercase() && (prev_lower || (prev_upper && next_lower)) {
            out.push(' ');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classic_labels() {
        assert_eq!(
            classic_label(SECURITY, 5145, "RelativeTargetName"),
            "Relative Target Name"
        );
        assert_eq!(classic_label(SECURITY, 5145, "ShareName"), "Share Name");
        assert_eq!(
            classic_label(SECURITY, 4688, "ParentProcessName"),
            "Creator Process Name"
        );
        assert_eq!(
            classic_label(SECURITY, 4688, "TargetUserName"),
            "Account Name"
        );
        assert_eq!(
            classic_label(SECURITY, 4624, "IpAddress"),
            "Source Network Address"
        );
        assert_eq!(classic_label(SYSMON, 1, "ParentImage"), "ParentImage");
        assert_eq!(split_camel("SubjectUserSID"), "Subject User SID");
    }
}
