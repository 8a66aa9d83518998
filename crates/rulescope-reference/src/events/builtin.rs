//! The events detection content uses most, with the first sentence of Microsoft's message
//! template as title (placeholders kept). Written for rulescope; a test checks it against
//! `shared/data/windows-events.csv` where both have a row.

const AUDITING: (&str, &str, &str) = (
    "Microsoft-Windows-Security-Auditing",
    "Security-Auditing",
    "Security",
);
const SCM: (&str, &str, &str) = (
    "Service Control Manager",
    "Service Control Manager",
    "System",
);
const SYSMON: (&str, &str, &str) = (
    "Microsoft-Windows-Sysmon",
    "Sysmon",
    "Microsoft-Windows-Sysmon/Operational",
);
const PS_OPERATIONAL: (&str, &str, &str) = (
    "Microsoft-Windows-PowerShell",
    "PowerShell-Operational",
    "Microsoft-Windows-PowerShell/Operational",
);
const PS_CLASSIC: (&str, &str, &str) = ("PowerShell", "PowerShell", "Windows PowerShell");
const TASKS: (&str, &str, &str) = (
    "Microsoft-Windows-TaskScheduler",
    "TaskScheduler",
    "Microsoft-Windows-TaskScheduler/Operational",
);
const WMI: (&str, &str, &str) = (
    "Microsoft-Windows-WMI-Activity",
    "WMI-Activity",
    "Microsoft-Windows-WMI-Activity/Operational",
);
const DEFENDER: (&str, &str, &str) = (
    "Microsoft-Windows-Windows Defender",
    "Windows Defender",
    "Microsoft-Windows-Windows Defender/Operational",
);

/// (provider, provider_short, channel, event id, title).
pub(super) type Row = (&'static str, &'static str, &'static str, u32, &'static str);

macro_rules! rows {
    ($($provider:expr => [$($id:literal: $title:literal),* $(,)?]),* $(,)?) => {
        &[$($(($provider.0, $provider.1, $provider.2, $id, $title),)*)*]
    };
}

pub(super) const EVENTS: &[Row] = rows![
    AUDITING => [
        4624: "An account was successfully logged on.",
        4625: "An account failed to log on.",
        4634: "An account was logged off.",
        4647: "User initiated logoff",
        4648: "A logon was attempted using explicit credentials.",
        4656: "A handle to an object was requested.",
        4657: "A registry value was modified.",
        4661: "A handle to an object was requested.",
        4662: "An operation was performed on an object.",
        4663: "An attempt was made to access an object.",
        4670: "Permissions on an object were changed.",
        4672: "Special privileges assigned to new logon.",
        4673: "A privileged service was called.",
        4688: "A new process has been created.",
        4689: "A process has exited.",
        4697: "A service was installed in the system.",
        4698: "A scheduled task was created.",
        4699: "A scheduled task was deleted.",
        4700: "A scheduled task was enabled.",
        4701: "A scheduled task was disabled.",
        4702: "A scheduled task was updated.",
        4719: "System audit policy was changed.",
        4720: "A user account was created.",
        4722: "A user account was enabled.",
        4723: "An attempt was made to change an account's password.",
        4724: "An attempt was made to reset an account's password.",
        4725: "A user account was disabled.",
        4726: "A user account was deleted.",
        4728: "A member was added to a security-enabled global group.",
        4732: "A member was added to a security-enabled local group.",
        4738: "A user account was changed.",
        4740: "A user account was locked out.",
        4742: "A computer account was changed.",
        4756: "A member was added to a security-enabled universal group.",
        4768: "A Kerberos authentication ticket (TGT) was requested.",
        4769: "A Kerberos service ticket was requested.",
        4771: "Kerberos pre-authentication failed.",
        4776: "The computer attempted to validate the credentials for an account.",
        4778: "A session was reconnected to a Window Station.",
        4779: "A session was disconnected from a Window Station.",
        4798: "A user's local group membership was enumerated.",
        4799: "A security-enabled local group membership was enumerated.",
        5136: "A directory service object was modified.",
        5137: "A directory service object was created.",
        5140: "A network share object was accessed.",
        5145: "A network share object was checked to see whether client can be granted desired access.",
        5156: "The Windows Filtering Platform has permitted a connection.",
        5157: "The Windows Filtering Platform has blocked a connection.",
    ],
    ("Microsoft-Windows-Eventlog", "Eventlog", "Security") => [
        1100: "The event logging service has shut down.",
        1102: "The audit log was cleared.",
    ],
    ("Microsoft-Windows-Eventlog", "Eventlog", "System") => [
        104: "The %3 log file was cleared.",
    ],
    SCM => [
        7036: "The %1 service entered the %2 state.",
        7040: "The start type of the %1 service was changed from %2 to %3.",
        7045: "A service was installed in the system.",
    ],
    // The message of 1000 runs over several lines; its first names the faulting program.
    ("Application Error", "Application Error", "Application") => [
        1000: "Faulting application name: %1, version: %2, time stamp: 0x%3",
    ],
    ("MSSQLSERVER", "MSSQLSERVER", "Application") => [
        15457: "Configuration option '%1' changed from %2 to %3. Run the RECONFIGURE statement to install.",
        33205: "Audit event: %1.",
    ],
    ("User32", "User32", "System") => [
        1074: "The process %1 has initiated the %5 of computer %2 on behalf of user %7 for the following reason: %3",
    ],
    ("MsiInstaller", "MsiInstaller", "Application") => [
        1033: "Windows Installer installed the product.",
        1040: "Beginning a Windows Installer transaction: %1. Client Process Id: %2.",
        1042: "Ending a Windows Installer transaction: %1. Client Process Id: %2.",
    ],
    SYSMON => [
        1: "Process Create",
        2: "File creation time changed",
        3: "Network connection detected",
        4: "Sysmon service state changed",
        5: "Process terminated",
        6: "Driver loaded",
        7: "Image loaded",
        8: "CreateRemoteThread detected",
        9: "RawAccessRead detected",
        10: "Process accessed",
        11: "File created",
        12: "Registry object added or deleted",
        13: "Registry value set",
        14: "Registry object renamed",
        15: "File stream created",
        16: "Sysmon config state changed",
        17: "Pipe Created",
        18: "Pipe Connected",
        19: "WmiEventFilter activity detected",
        20: "WmiEventConsumer activity detected",
        21: "WmiEventConsumerToFilter activity detected",
        22: "Dns query",
        23: "File Delete archived",
        24: "Clipboard changed",
        25: "Process Tampering",
        26: "File Delete logged",
        27: "File Block Executable",
        28: "File Block Shredding",
        29: "File Executable Detected",
        255: "Error report",
    ],
    // 4100 and 4103 have no message of their own (it is `%3`): the task name stands in.
    PS_OPERATIONAL => [
        4103: "Executing Pipeline",
        4104: "Creating Scriptblock text (%1 of %2)",
        4105: "Started invocation of ScriptBlock ID: %1",
        4106: "Completed invocation of ScriptBlock ID: %1",
    ],
    PS_CLASSIC => [
        400: "Engine state is changed from %2 to %1.",
        403: "Engine state is changed from %2 to %1.",
        600: "Provider \"%1\" is %2.",
        800: "Pipeline execution details for command line: %1.",
    ],
    TASKS => [
        106: "User \"%2\" registered Task Scheduler task \"%1\"",
        140: "User \"%2\" updated Task Scheduler task \"%1\"",
        141: "User \"%2\" deleted Task Scheduler task \"%1\"",
        200: "Task Scheduler launched action \"%2\" in instance \"%3\" of task \"%1\".",
        201: "Task Scheduler successfully completed task \"%1\" , instance \"%2\" , action \"%3\" with return code %4.",
    ],
    // WMI-Activity messages are `key = %n` lists with no sentence to quote, so these titles
    // say what each event records, in the words of Microsoft's WMI tracing documentation.
    WMI => [
        5857: "%1 provider started with result code %2.",
        5858: "WMI operation error",
        5859: "WMI event filter activated for a provider",
        5860: "Temporary WMI event consumer registered",
        5861: "Permanent WMI event consumer bound to a filter",
    ],
    DEFENDER => [
        1116: "%1 has detected malware or other potentially unwanted software.",
        1117: "%1 has taken action to protect this machine from malware or other potentially unwanted software.",
        5001: "%1 Real-time Protection scanning for malware and other potentially unwanted software was disabled.",
        5007: "%1 Configuration has changed. If this is an unexpected event you should review the settings as this may be the result of malware.",
    ],
];
