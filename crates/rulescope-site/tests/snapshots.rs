//! Golden copies of one rule page, HTML and Markdown, reviewed by hand: any change to what
//! a reader sees shows up as a diff. Built with recorded-event verdicts.

mod fixture;

use rulescope_site::{SiteOptions, build};

#[test]
fn rule_page_html_and_markdown() {
    let dir = tempfile::tempdir().expect("temp dir");
    let options = SiteOptions {
        evaluation: Some(fixture::evaluation()),
        ..SiteOptions::default()
    };
    build(&fixture::corpus(), dir.path(), &options).expect("site builds");
    let read = |name: &str| {
        std::fs::read_to_string(dir.path().join("rules").join(name)).expect("rule page")
    };
    insta::assert_snapshot!("rule_1001.2001.html", read("1001.2001.html"));
    insta::assert_snapshot!("rule_1001.2001.md", read("1001.2001.md"));
}
