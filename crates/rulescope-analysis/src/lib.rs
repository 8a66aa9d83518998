//! Analysis: from rules and their query models to everything a detection engineer wants to
//! know about them. See `report` for the output contract.

pub mod normalize;
pub mod report;
pub mod sources;
pub mod spl;
