//! Prints the tree of a query, with its diagnostics. Usage: dump QUERY, or dump @FILE.

fn main() {
    let arg = std::env::args().nth(1).unwrap_or_default();
    let query = match arg.strip_prefix('@') {
        Some(path) => std::fs::read_to_string(path).unwrap_or_default(),
        None => arg,
    };
    let parsed = rulescope_spl::parse(&query);
    print!("{}", rulescope_spl::dump_tree(&parsed, &query));
}
