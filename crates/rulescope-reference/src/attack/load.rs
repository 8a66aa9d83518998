//! Reading ATT&CK files: MITRE STIX bundles and the compact JSON of `shared/data`.
//!
//! Both are read in one typed pass; fields rulescope does not use (descriptions, ...)
//! are skipped by serde without being stored, which keeps a 40 MB STIX bundle cheap.

use std::collections::HashMap;
use std::path::Path;

use serde::Deserialize;

use super::{AttackCatalog, CatalogSource, Tactic, TacticRename, Technique, attack_url};
use crate::error::LoadError;

/// The top level of either format; which fields are present tells them apart.
#[derive(Deserialize)]
struct Document {
    #[serde(rename = "type")]
    kind: Option<String>,
    // STIX
    objects: Option<Vec<StixObject>>,
    // compact
    domain: Option<String>,
    attack_version: Option<String>,
    #[serde(default)]
    matrices: Vec<CompactMatrix>,
    tactics: Option<Vec<CompactTactic>>,
    #[serde(default)]
    tactic_changes_since_18_1: Vec<CompactTacticChange>,
    techniques: Option<Vec<CompactTechnique>>,
}

#[derive(Deserialize)]
struct CompactMatrix {
    #[serde(default)]
    deprecated: bool,
    #[serde(default)]
    revoked: bool,
    #[serde(default)]
    tactics: Vec<String>,
}

#[derive(Deserialize)]
struct CompactTactic {
    id: String,
    shortname: String,
    name: String,
}

#[derive(Deserialize)]
struct CompactTacticChange {
    id: String,
    old_shortname: Option<String>,
    old_name: Option<String>,
}

#[derive(Deserialize)]
struct CompactTechnique {
    id: String,
    name: String,
    parent_id: Option<String>,
    display_name: Option<String>,
    #[serde(default)]
    tactics: Vec<String>,
    #[serde(default)]
    platforms: Vec<String>,
    #[serde(default)]
    deprecated: bool,
    #[serde(default)]
    revoked: bool,
    revoked_by: Option<String>,
}

#[derive(Deserialize)]
struct StixObject {
    #[serde(rename = "type")]
    kind: String,
    id: String,
    name: Option<String>,
    x_mitre_shortname: Option<String>,
    #[serde(default)]
    external_references: Vec<ExternalReference>,
    #[serde(default)]
    kill_chain_phases: Vec<KillChainPhase>,
    #[serde(default)]
    x_mitre_deprecated: bool,
    #[serde(default)]
    revoked: bool,
    #[serde(default)]
    x_mitre_platforms: Vec<String>,
    #[serde(default)]
    tactic_refs: Vec<String>,
    relationship_type: Option<String>,
    source_ref: Option<String>,
    target_ref: Option<String>,
    /// On `x-mitre-collection` objects of attack-stix-data bundles.
    x_mitre_version: Option<String>,
}

#[derive(Deserialize)]
struct ExternalReference {
    #[serde(default)]
    source_name: String,
    external_id: Option<String>,
    url: Option<String>,
}

#[derive(Deserialize)]
struct KillChainPhase {
    kill_chain_name: String,
    phase_name: String,
}

pub(super) fn parse(path: &Path, text: &str) -> Result<AttackCatalog, LoadError> {
    let document: Document = serde_json::from_str(text).map_err(|e| {
        let line = (e.line() > 0).then_some(e.line() as u64);
        LoadError::new(path, line, format!("not a readable ATT&CK JSON file: {e}"))
            .with_hint("give MITRE's enterprise-attack.json (STIX) or a compact attack-*.json")
    })?;
    if document.kind.as_deref() == Some("bundle") || document.objects.is_some() {
        from_stix(path, document.objects.unwrap_or_default())
    } else if let (Some(tactics), Some(techniques)) = (document.tactics, document.techniques) {
        Ok(from_compact(
            document.domain,
            document.attack_version,
            document.matrices,
            tactics,
            document.tactic_changes_since_18_1,
            techniques,
        ))
    } else {
        Err(LoadError::new(
            path,
            None,
            "neither a STIX bundle (`type: bundle` with `objects`) nor a compact ATT&CK file (`tactics` and `techniques`)",
        )
        .with_hint("give MITRE's enterprise-attack.json (STIX) or a compact attack-*.json"))
    }
}

/// Puts tactics in the order of the active matrices; tactics no active matrix lists
/// (Mobile's deprecated ones) follow in file order.
fn order_tactics(mut tactics: Vec<Tactic>, matrix_order: &[&str]) -> Vec<Tactic> {
    tactics.sort_by_key(|t| {
        matrix_order
            .iter()
            .position(|id| *id == t.id)
            .unwrap_or(usize::MAX)
    });
    tactics
}

fn from_compact(
    domain: Option<String>,
    version: Option<String>,
    matrices: Vec<CompactMatrix>,
    tactics: Vec<CompactTactic>,
    changes: Vec<CompactTacticChange>,
    techniques: Vec<CompactTechnique>,
) -> AttackCatalog {
    let matrix_order: Vec<&str> = matrices
        .iter()
        .filter(|m| !m.deprecated && !m.revoked)
        .flat_map(|m| m.tactics.iter().map(String::as_str))
        .collect();
    let tactics = tactics
        .into_iter()
        .map(|t| Tactic {
            url: attack_url(&t.id),
            id: t.id,
            shortname: t.shortname,
            name: t.name,
        })
        .collect();
    let tactics = order_tactics(tactics, &matrix_order);
    let renames = changes
        .into_iter()
        .filter_map(|change| {
            Some(TacticRename {
                old_shortname: change.old_shortname?,
                old_name: change.old_name.unwrap_or_default(),
                tactic_id: change.id,
                split_into: Vec::new(),
                since: version.clone().unwrap_or_default(),
            })
        })
        .collect();
    let techniques = techniques
        .into_iter()
        .map(|t| Technique {
            url: attack_url(&t.id),
            display_name: t.display_name.unwrap_or_else(|| t.name.clone()),
            id: t.id,
            name: t.name,
            parent_id: t.parent_id,
            tactics: t.tactics,
            platforms: t.platforms,
            deprecated: t.deprecated,
            revoked: t.revoked,
            revoked_by: t.revoked_by,
        })
        .collect();
    AttackCatalog::new(
        domain.unwrap_or_else(|| "enterprise-attack".to_owned()),
        version,
        CatalogSource::Compact,
        tactics,
        renames,
        techniques,
    )
}

/// The ATT&CK id and URL of an object: its `mitre-attack` (or mobile / ICS) reference.
fn attack_reference(object: &StixObject) -> Option<&ExternalReference> {
    object.external_references.iter().find(|r| {
        matches!(
            r.source_name.as_str(),
            "mitre-attack" | "mitre-mobile-attack" | "mitre-ics-attack"
        ) && r.external_id.is_some()
    })
}

fn from_stix(path: &Path, objects: Vec<StixObject>) -> Result<AttackCatalog, LoadError> {
    let mut attack_ids: HashMap<&str, &str> = HashMap::new();
    for object in &objects {
        if let Some(id) = attack_reference(object).and_then(|r| r.external_id.as_deref()) {
            attack_ids.insert(object.id.as_str(), id);
        }
    }
    let mut domain = None;
    let mut version = None;
    let mut matrix_order = Vec::new();
    let mut tactics = Vec::new();
    let mut patterns = Vec::new();
    let mut parents: HashMap<&str, &str> = HashMap::new();
    let mut revoked_by: HashMap<&str, &str> = HashMap::new();
    for object in &objects {
        match object.kind.as_str() {
            "x-mitre-matrix" if !object.x_mitre_deprecated && !object.revoked => {
                domain = domain.or_else(|| attack_reference(object)?.external_id.clone());
                matrix_order.extend(
                    object
                        .tactic_refs
                        .iter()
                        .filter_map(|r| attack_ids.get(r.as_str()).copied()),
                );
            }
            "x-mitre-collection" => version = version.or_else(|| object.x_mitre_version.clone()),
            "x-mitre-tactic" => {
                let (Some(reference), Some(shortname), Some(name)) = (
                    attack_reference(object),
                    &object.x_mitre_shortname,
                    &object.name,
                ) else {
                    continue;
                };
                let id = reference.external_id.clone().unwrap_or_default();
                tactics.push(Tactic {
                    url: reference.url.clone().unwrap_or_else(|| attack_url(&id)),
                    id,
                    shortname: shortname.clone(),
                    name: name.clone(),
                });
            }
            "attack-pattern" => patterns.push(object),
            "relationship" => {
                let (Some(source), Some(target)) = (&object.source_ref, &object.target_ref) else {
                    continue;
                };
                match object.relationship_type.as_deref() {
                    Some("subtechnique-of") => parents.insert(source.as_str(), target.as_str()),
                    Some("revoked-by") => revoked_by.insert(source.as_str(), target.as_str()),
                    _ => None,
                };
            }
            _ => {}
        }
    }
    if tactics.is_empty() && patterns.is_empty() {
        return Err(LoadError::new(
            path,
            None,
            "the STIX bundle has no x-mitre-tactic or attack-pattern objects",
        )
        .with_hint("is this an ATT&CK bundle? MITRE publishes them as enterprise-attack.json"));
    }
    let mut techniques: Vec<Technique> = patterns
        .iter()
        .filter_map(|object| {
            let reference = attack_reference(object)?;
            let id = reference.external_id.clone()?;
            let name = object.name.clone()?;
            let parent_id = parents
                .get(object.id.as_str())
                .and_then(|p| attack_ids.get(p))
                .map(|p| (*p).to_owned())
                // Revoked sub-techniques may have lost their relationship; the id says it.
                .or_else(|| id.split_once('.').map(|(head, _)| head.to_owned()));
            Some(Technique {
                url: reference.url.clone().unwrap_or_else(|| attack_url(&id)),
                display_name: name.clone(),
                id,
                name,
                parent_id,
                tactics: object
                    .kill_chain_phases
                    .iter()
                    .filter(|k| k.kill_chain_name.starts_with("mitre"))
                    .map(|k| k.phase_name.clone())
                    .collect(),
                platforms: object.x_mitre_platforms.clone(),
                deprecated: object.x_mitre_deprecated,
                revoked: object.revoked,
                revoked_by: revoked_by
                    .get(object.id.as_str())
                    .and_then(|target| attack_ids.get(target))
                    .map(|id| (*id).to_owned()),
            })
        })
        .collect();
    let names: HashMap<String, String> = techniques
        .iter()
        .map(|t| (t.id.clone(), t.name.clone()))
        .collect();
    for technique in &mut techniques {
        if let Some(parent) = technique.parent_id.as_ref().and_then(|p| names.get(p)) {
            technique.display_name = format!("{parent}: {}", technique.name);
        }
    }
    Ok(AttackCatalog::new(
        domain.unwrap_or_else(|| "enterprise-attack".to_owned()),
        version,
        CatalogSource::Stix,
        order_tactics(tactics, &matrix_order),
        Vec::new(),
        techniques,
    ))
}
