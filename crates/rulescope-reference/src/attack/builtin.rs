//! What rulescope knows about enterprise ATT&CK without a data file: the v19 tactics in
//! matrix order, and the tactic renames of recent versions.

use super::{Tactic, TacticRename, attack_url};

/// The ATT&CK version the built-in tables describe.
pub(super) const VERSION: &str = "19";

/// Enterprise tactics in kill-chain order: (id, shortname, name).
const TACTICS: &[(&str, &str, &str)] = &[
    ("TA0043", "reconnaissance", "Reconnaissance"),
    ("TA0042", "resource-development", "Resource Development"),
    ("TA0001", "initial-access", "Initial Access"),
    ("TA0002", "execution", "Execution"),
    ("TA0003", "persistence", "Persistence"),
    ("TA0004", "privilege-escalation", "Privilege Escalation"),
    ("TA0005", "stealth", "Stealth"),
    ("TA0112", "defense-impairment", "Defense Impairment"),
    ("TA0006", "credential-access", "Credential Access"),
    ("TA0007", "discovery", "Discovery"),
    ("TA0008", "lateral-movement", "Lateral Movement"),
    ("TA0009", "collection", "Collection"),
    ("TA0011", "command-and-control", "Command and Control"),
    ("TA0010", "exfiltration", "Exfiltration"),
    ("TA0040", "impact", "Impact"),
];

pub(super) fn tactics() -> Vec<Tactic> {
    TACTICS
        .iter()
        .map(|&(id, shortname, name)| Tactic {
            id: id.to_owned(),
            shortname: shortname.to_owned(),
            name: name.to_owned(),
            url: attack_url(id),
        })
        .collect()
}

/// v19 renamed TA0005 Defense Evasion to Stealth and moved the techniques that weaken
/// defences (Impair Defenses, permission changes, ...) to the new TA0112 Defense Impairment.
/// Most detection content still says `defense-evasion`.
pub(super) fn renames() -> Vec<TacticRename> {
    vec![TacticRename {
        old_shortname: "defense-evasion".to_owned(),
        old_name: "Defense Evasion".to_owned(),
        tactic_id: "TA0005".to_owned(),
        split_into: vec!["TA0112".to_owned()],
        since: "19".to_owned(),
    }]
}
