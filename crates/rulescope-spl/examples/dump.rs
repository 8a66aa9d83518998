//! Prints the tree of a query given as the first argument, with its diagnostics.

fn main() {
    let query = std::env::args().nth(1).unwrap_or_default();
    let parsed = rulescope_spl::parse(&query);
    print!("{}", rulescope_spl::dump_tree(&parsed, &query));
}
