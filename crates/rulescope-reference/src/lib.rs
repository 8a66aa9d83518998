//! Reference data and description enrichment for rulescope.
//!
//! - [`attack`]: ATT&CK catalogs (MITRE STIX bundles or the compact JSON of
//!   `shared/data/attack-*.json`, with a built-in fallback) and per-rule coverage checks.
//! - [`events`]: Windows event titles and the EventData fields each event produces.
//! - [`enrich`]: splits an armory description into its prose summary and its labelled
//!   suffixes (threat actors, software, Atomic Red Team tests, ...).
//!
//! Catalogs are loaded once and queried many times; nothing here compiles a regex or
//! reads a file per rule.

pub mod attack;
pub mod enrich;
mod error;
pub mod events;

pub use attack::{AttackCatalog, Coverage, CoverageRow};
pub use enrich::{Enrichment, enrich};
pub use error::LoadError;
pub use events::{EventCatalog, EventFields, EventInfo, EventSource};
