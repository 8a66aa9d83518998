//! Any text: parsing, printing, tokens and the dump never panic; a query without
//! diagnostics prints to SPL that parses without diagnostics and prints the same again.

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(query) = std::str::from_utf8(data) else {
        return;
    };
    let parsed = rulescope_spl::parse(query);
    for d in &parsed.diagnostics {
        let span = d.span.unwrap_or_default();
        assert!(span.start < span.end && span.end as usize <= query.len());
    }
    let covered: usize = rulescope_spl::tokens(query).iter().map(|(_, s)| s.len() as usize).sum();
    assert_eq!(covered, query.len());
    let _ = rulescope_spl::dump_tree(&parsed, query);
    let printed = rulescope_spl::print(&parsed.pipeline);
    if parsed.diagnostics.is_empty() {
        let again = rulescope_spl::parse(&printed);
        assert!(again.diagnostics.is_empty(), "{printed:?}: {:?}", again.diagnostics);
        assert_eq!(rulescope_spl::print(&again.pipeline), printed);
    }
});
