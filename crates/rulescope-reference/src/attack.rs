//! ATT&CK: tactics, techniques and sub-techniques of one domain, looked up by id or by
//! name, and checked against what a rule claims ([`AttackCatalog::coverage`]).

mod builtin;
mod coverage;
mod load;

use std::collections::HashMap;
use std::path::Path;

use serde::Serialize;

use crate::error::LoadError;

pub use coverage::{Coverage, CoverageRow};

/// An ATT&CK tactic: `TA0002`, `execution`, "Execution".
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Tactic {
    pub id: String,
    /// The kill-chain phase name techniques use (`lateral-movement`).
    pub shortname: String,
    pub name: String,
    pub url: String,
}

/// A tactic ATT&CK renamed: rules written before the rename still use the old shortname.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TacticRename {
    pub old_shortname: String,
    pub old_name: String,
    /// The tactic that kept the id under its new name.
    pub tactic_id: String,
    /// Tactics that took over part of the old one's techniques (v19: Stealth and
    /// Defense Impairment came out of Defense Evasion), besides `tactic_id` itself.
    pub split_into: Vec<String>,
    /// The ATT&CK version that made the change.
    pub since: String,
}

/// A technique or sub-technique.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Technique {
    /// `T1021` or `T1021.002`.
    pub id: String,
    /// Its own name (`Service Execution`).
    pub name: String,
    /// `Parent: Sub` for sub-techniques (`System Services: Service Execution`), else `name`.
    pub display_name: String,
    pub parent_id: Option<String>,
    /// Tactic shortnames, as in `kill_chain_phases`.
    pub tactics: Vec<String>,
    pub platforms: Vec<String>,
    pub deprecated: bool,
    pub revoked: bool,
    /// The technique that replaced this one, from a `revoked-by` relationship.
    pub revoked_by: Option<String>,
    pub url: String,
}

/// Where a catalog came from: the report says which ATT&CK the checks used.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CatalogSource {
    /// The tactic table compiled into rulescope; it has no techniques.
    BuiltIn,
    /// The compact JSON format of `shared/data/attack-*.json`.
    Compact,
    /// A MITRE STIX bundle (`enterprise-attack.json`).
    Stix,
}

/// One ATT&CK domain (enterprise, mobile or ICS).
#[derive(Clone, Debug)]
pub struct AttackCatalog {
    domain: String,
    version: Option<String>,
    source: CatalogSource,
    /// In kill-chain (matrix) order.
    tactics: Vec<Tactic>,
    renames: Vec<TacticRename>,
    techniques: Vec<Technique>,
    by_id: HashMap<String, usize>,
    /// Normalised `technique` or `technique:sub-technique` name to techniques.
    by_name: HashMap<String, Vec<usize>>,
}

impl AttackCatalog {
    /// Loads a MITRE STIX bundle or a compact ATT&CK JSON file; the format is detected.
    pub fn load(path: &Path) -> Result<Self, LoadError> {
        let text = std::fs::read_to_string(path).map_err(|e| LoadError::io(path, &e))?;
        Self::from_json(path, &text)
    }

    /// Parses the text of a catalog file; `path` only names it in errors.
    pub fn from_json(path: &Path, text: &str) -> Result<Self, LoadError> {
        load::parse(path, text)
    }

    /// Enterprise tactics as of ATT&CK v19, with no techniques: enough to order and name
    /// tactics and to report the v19 tactic rename when no ATT&CK file is given.
    pub fn builtin() -> Self {
        Self::new(
            "enterprise-attack".to_owned(),
            Some(builtin::VERSION.to_owned()),
            CatalogSource::BuiltIn,
            builtin::tactics(),
            Vec::new(),
            Vec::new(),
        )
    }

    fn new(
        domain: String,
        version: Option<String>,
        source: CatalogSource,
        tactics: Vec<Tactic>,
        extra_renames: Vec<TacticRename>,
        techniques: Vec<Technique>,
    ) -> Self {
        let mut by_id = HashMap::with_capacity(techniques.len());
        for (index, technique) in techniques.iter().enumerate() {
            by_id.insert(technique.id.clone(), index);
        }
        let mut by_name: HashMap<String, Vec<usize>> = HashMap::new();
        for (index, technique) in techniques.iter().enumerate() {
            by_name
                .entry(normalise_name(&technique.display_name))
                .or_default()
                .push(index);
        }
        // A renamed tactic only applies when this catalog has the tactic under its new name.
        let renames = builtin::renames()
            .into_iter()
            .chain(extra_renames)
            .filter(|rename| {
                tactics
                    .iter()
                    .any(|t| t.id == rename.tactic_id && t.shortname != rename.old_shortname)
            })
            .fold(Vec::<TacticRename>::new(), |mut kept, rename| {
                if !kept.iter().any(|k| k.old_shortname == rename.old_shortname) {
                    kept.push(rename);
                }
                kept
            });
        Self {
            domain,
            version,
            source,
            tactics,
            renames,
            techniques,
            by_id,
            by_name,
        }
    }

    /// `enterprise-attack`, `mobile-attack` or `ics-attack`.
    pub fn domain(&self) -> &str {
        &self.domain
    }

    /// The ATT&CK version (`19.1`), when the file says.
    pub fn version(&self) -> Option<&str> {
        self.version.as_deref()
    }

    pub fn source(&self) -> &CatalogSource {
        &self.source
    }

    /// Tactics in kill-chain order.
    pub fn tactics(&self) -> &[Tactic] {
        &self.tactics
    }

    pub fn tactic_renames(&self) -> &[TacticRename] {
        &self.renames
    }

    pub fn techniques(&self) -> &[Technique] {
        &self.techniques
    }

    /// False for the built-in catalog: names cannot be resolved to ids then.
    pub fn has_techniques(&self) -> bool {
        !self.techniques.is_empty()
    }

    pub fn tactic_by_shortname(&self, shortname: &str) -> Option<&Tactic> {
        self.tactics
            .iter()
            .find(|t| t.shortname.eq_ignore_ascii_case(shortname))
    }

    pub fn tactic_by_id(&self, id: &str) -> Option<&Tactic> {
        self.tactics.iter().find(|t| t.id.eq_ignore_ascii_case(id))
    }

    /// Position of a tactic in the kill chain; unknown tactics sort last.
    pub fn tactic_order(&self, id: &str) -> usize {
        self.tactics
            .iter()
            .position(|t| t.id == id)
            .unwrap_or(usize::MAX)
    }

    pub fn rename_of(&self, old_shortname: &str) -> Option<&TacticRename> {
        self.renames
            .iter()
            .find(|r| r.old_shortname.eq_ignore_ascii_case(old_shortname))
    }

    /// A technique by id (`t1021.002` works too).
    pub fn technique(&self, id: &str) -> Option<&Technique> {
        let id = id.trim();
        match self.by_id.get(id) {
            Some(&index) => Some(&self.techniques[index]),
            None => self
                .by_id
                .get(&id.to_ascii_uppercase())
                .map(|&index| &self.techniques[index]),
        }
    }

    /// A technique by name, case-insensitively: `remote services`, or a sub-technique
    /// given as parent and sub (`system services`, `service execution`). Active
    /// techniques win over deprecated ones, which win over revoked ones.
    pub fn technique_by_name(
        &self,
        technique: &str,
        sub_technique: Option<&str>,
    ) -> Option<&Technique> {
        let key = match sub_technique {
            Some(sub) => normalise_name(&format!("{technique}: {sub}")),
            None => normalise_name(technique),
        };
        self.by_name
            .get(&key)?
            .iter()
            .map(|&index| &self.techniques[index])
            .min_by_key(|t| (t.revoked, t.deprecated))
    }

    /// Follows `revoked-by` links to the technique that stands today; the technique itself
    /// when it is not revoked or its replacement is not in the catalog.
    pub fn current<'a>(&'a self, technique: &'a Technique) -> &'a Technique {
        let mut current = technique;
        // Chains are short; the bound only guards against a cycle in a hand-made file.
        for _ in 0..8 {
            match current
                .revoked_by
                .as_deref()
                .and_then(|id| self.technique(id))
            {
                Some(next) if current.revoked => current = next,
                _ => break,
            }
        }
        current
    }
}

/// Lower case, one space between words, and `a:b` / `a : b` written as `a: b`, so rule
/// strings (`system services:service execution`) meet display names.
fn normalise_name(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for (i, part) in name.split(':').enumerate() {
        if i > 0 {
            out.push_str(": ");
        }
        for (j, word) in part.split_whitespace().enumerate() {
            if j > 0 {
                out.push(' ');
            }
            out.extend(word.chars().flat_map(char::to_lowercase));
        }
    }
    out
}

/// The ATT&CK site page of a technique or tactic id: `T1569.002` → `.../T1569/002/`.
fn attack_url(id: &str) -> String {
    if id.starts_with("TA") {
        format!("https://attack.mitre.org/tactics/{id}/")
    } else {
        format!(
            "https://attack.mitre.org/techniques/{}/",
            id.replace('.', "/")
        )
    }
}

/// A readable name from a rule's lower-case string, for when ATT&CK has no name for it:
/// `system services` → `System Services`, `adversary-in-the-middle` → `Adversary-in-the-Middle`.
pub fn proper_case(text: &str) -> String {
    const MINOR: &[&str] = &[
        "a", "an", "and", "as", "at", "by", "for", "from", "in", "of", "on", "or", "the", "to",
        "via", "with",
    ];
    const UPPER: &[&str] = &[
        "api", "bits", "com", "dcom", "dll", "dns", "gpo", "ipc", "llmnr", "lsa", "lsass", "mfa",
        "nbt", "ns", "ntds", "os", "rdp", "sid", "smb", "ssh", "tls", "uac", "vnc", "wmi",
    ];
    let mut out = String::with_capacity(text.len());
    let mut first = true;
    for (i, piece) in text.split(':').enumerate() {
        if i > 0 {
            out.push_str(": ");
        }
        for (j, word) in piece.split_whitespace().enumerate() {
            if j > 0 {
                out.push(' ');
            }
            for (k, part) in word.split_inclusive(['-', '/']).enumerate() {
                let bare = part.trim_end_matches(['-', '/']);
                let lower = bare.to_lowercase();
                if UPPER.contains(&lower.as_str()) {
                    out.push_str(&bare.to_uppercase());
                } else if !first && (j > 0 || k > 0) && MINOR.contains(&lower.as_str()) {
                    out.push_str(&lower);
                } else {
                    let mut chars = bare.chars();
                    if let Some(c) = chars.next() {
                        out.extend(c.to_uppercase());
                        out.push_str(chars.as_str());
                    }
                }
                out.push_str(&part[bare.len()..]);
                first = false;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proper_cases_rule_strings() {
        assert_eq!(
            proper_case("system services:service execution"),
            "System Services: Service Execution"
        );
        assert_eq!(
            proper_case("adversary-in-the-middle:llmnr/nbt-ns poisoning and smb relay"),
            "Adversary-in-the-Middle: LLMNR/NBT-NS Poisoning and SMB Relay"
        );
        assert_eq!(
            proper_case("os credential dumping"),
            "OS Credential Dumping"
        );
        assert_eq!(proper_case("the thing"), "The Thing");
    }

    #[test]
    fn normalises_names_for_lookup() {
        assert_eq!(
            normalise_name("System Services:  Service Execution"),
            normalise_name("system services:service execution")
        );
    }

    #[test]
    fn urls_follow_the_attack_site() {
        assert_eq!(
            attack_url("T1569.002"),
            "https://attack.mitre.org/techniques/T1569/002/"
        );
        assert_eq!(
            attack_url("TA0008"),
            "https://attack.mitre.org/tactics/TA0008/"
        );
    }

    #[test]
    fn builtin_has_v19_tactics_and_the_rename() {
        let catalog = AttackCatalog::builtin();
        assert_eq!(catalog.tactics().len(), 15);
        assert_eq!(
            catalog.tactic_by_id("TA0005").map(|t| t.name.as_str()),
            Some("Stealth")
        );
        let rename = catalog.rename_of("defense-evasion").expect("v19 rename");
        assert_eq!(rename.tactic_id, "TA0005");
        assert_eq!(rename.split_into, vec!["TA0112".to_owned()]);
        assert!(!catalog.has_techniques());
        assert!(catalog.tactic_order("TA0002") < catalog.tactic_order("TA0008"));
    }
}
