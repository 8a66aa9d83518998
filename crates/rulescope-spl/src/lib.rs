//! SPL parser: see ARCHITECTURE.md.
