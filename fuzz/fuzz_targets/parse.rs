//! Any text: parsing (with and without macro expansion), printing, tokens and the dump never
//! panic; diagnostic spans stay inside the query; a query without diagnostics prints to SPL
//! that parses without diagnostics and prints the same again.

#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use rulescope_spl::{MacroTable, ParseOptions, Parsed};

fn macros() -> &'static MacroTable {
    static TABLE: OnceLock<MacroTable> = OnceLock::new();
    TABLE.get_or_init(|| {
        let mut t = MacroTable::new();
        t.add_conf(
            "[m]\ndefinition = index=main (a OR b\n[f(1)]\nargs = x\ndefinition = where isnotnull($x$) | `m`\n\
             [loop]\ndefinition = `loop`\n[s]\ndefinition = stats count by host\n",
        );
        t
    })
}

fn check_spans(parsed: &Parsed, query: &str) {
    for d in &parsed.diagnostics {
        let span = d.span.unwrap_or_default();
        assert!(span.start < span.end && span.end as usize <= query.len(), "{d:?}");
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(query) = std::str::from_utf8(data) else {
        return;
    };
    let parsed = rulescope_spl::parse(query);
    check_spans(&parsed, query);
    let covered: usize = rulescope_spl::tokens(query).iter().map(|(_, s)| s.len() as usize).sum();
    assert_eq!(covered, query.len());
    let _ = rulescope_spl::dump_tree(&parsed, query);
    let printed = rulescope_spl::print(&parsed.pipeline);
    if parsed.diagnostics.is_empty() {
        let again = rulescope_spl::parse(&printed);
        assert!(again.diagnostics.is_empty(), "{printed:?}: {:?}", again.diagnostics);
        assert_eq!(rulescope_spl::print(&again.pipeline), printed);
    }
    let expanded = rulescope_spl::parse_with(query, &ParseOptions { macros: Some(macros()) });
    check_spans(&expanded, query);
    let _ = rulescope_spl::dump_tree(&expanded, query);
});
