//! The rule model every loader produces, whatever the corpus layout.

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;

use serde::Serialize;

use crate::span::Span;

/// The query language of a rule's logic.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum LogicFormat {
    Splunk,
    Snowflake,
    /// A format rulescope does not parse yet, as written in the rule (lower-cased).
    Other(String),
}

impl LogicFormat {
    /// Reads a `logic_format` value; case and surrounding space do not matter.
    pub fn parse(text: &str) -> Self {
        let folded = text.trim().to_ascii_lowercase();
        match folded.as_str() {
            "splunk" | "spl" => LogicFormat::Splunk,
            "snowflake" | "snowflake sql" => LogicFormat::Snowflake,
            _ => LogicFormat::Other(folded),
        }
    }

    pub fn as_str(&self) -> &str {
        match self {
            LogicFormat::Splunk => "splunk",
            LogicFormat::Snowflake => "snowflake",
            LogicFormat::Other(name) => name,
        }
    }

    /// The name people use for it, for headings and breadcrumbs.
    pub fn display_name(&self) -> &str {
        match self {
            LogicFormat::Splunk => "Splunk",
            LogicFormat::Snowflake => "Snowflake",
            LogicFormat::Other(name) => name,
        }
    }
}

impl fmt::Display for LogicFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.display_name())
    }
}

/// One `tactic:technique[:sub-technique]` entry, as the rule names it (lower case in the armory).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct TechniqueRef {
    pub tactic: String,
    pub technique: String,
    pub sub_technique: Option<String>,
}

impl TechniqueRef {
    /// Splits `tactic:technique[:sub]`; `None` when there is no technique part.
    pub fn parse(text: &str) -> Option<Self> {
        let mut parts = text.split(':').map(str::trim);
        let tactic = parts.next().filter(|s| !s.is_empty())?;
        let technique = parts.next().filter(|s| !s.is_empty())?;
        // A name with a colon of its own stays whole in the sub-technique.
        let rest: Vec<&str> = parts.collect();
        let sub_technique = (!rest.is_empty()).then(|| rest.join(":"));
        Some(Self {
            tactic: tactic.to_owned(),
            technique: technique.to_owned(),
            sub_technique,
        })
    }
}

/// A detection rule, normalised from whatever layout it came in.
#[derive(Clone, Debug, Serialize)]
pub struct Rule {
    pub id: String,
    /// The use case the rule implements: the id up to the first dot (`5398` for `5398.5498`).
    pub use_case: String,
    pub title: String,
    pub description: String,
    pub logic_format: LogicFormat,
    pub logic: String,
    pub techniques: Vec<TechniqueRef>,
    /// ATT&CK ids as the rule lists them (`T1569.002`), normalised to a flat list.
    pub technique_ids: Vec<String>,
    pub data_categories: Vec<String>,
    pub references: Vec<String>,
    pub source: RuleSource,
}

impl Rule {
    /// The use case of an id: everything before the first dot.
    pub fn use_case_of(id: &str) -> &str {
        id.split_once('.').map_or(id, |(head, _)| head)
    }
}

/// Where a rule came from: the file, its text, and where the logic sits in it.
#[derive(Clone, Debug, Serialize)]
pub struct RuleSource {
    /// The file as given on the command line or found under a given directory.
    pub path: PathBuf,
    /// The path relative to the corpus root it was found under, `/`-separated.
    pub relative_path: String,
    /// The whole file, as written: rule pages show it.
    #[serde(skip)]
    pub text: Arc<str>,
    /// Where the logic scalar starts and ends in `text` (quotes included), when known.
    pub logic_span: Option<Span>,
}
