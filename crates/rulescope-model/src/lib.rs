//! The shared vocabulary of rulescope: source spans, diagnostics, the rule model that
//! loaders produce, and the language-neutral analysis model that every query front end
//! (SPL, Snowflake SQL, later Sigma and others) feeds.

pub mod analysis;
pub mod diagnostic;
pub mod rule;
pub mod span;

pub use diagnostic::{Diagnostic, Located, Severity};
pub use rule::{LogicFormat, Rule, TechniqueRef};
pub use span::{LineIndex, Span};
