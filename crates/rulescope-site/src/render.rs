//! Templates and the filters they use. Templates are compiled into the binary and once per
//! build; every piece of rule content reaches HTML through auto-escaping.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use minijinja::value::{Value, ValueKind};
use minijinja::{AutoEscape, Environment, Error, ErrorKind, UndefinedBehavior};

use rulescope_model::Span;

use crate::catalog::{Catalog, Kind, attribution_key, event_name, rule_href};
use crate::highlight::{escape_into, stage_anchor};
use crate::slug::slug;

const TEMPLATES: [(&str, &str); 12] = [
    ("base.html", include_str!("../templates/base.html")),
    ("macros.html", include_str!("../templates/macros.html")),
    ("home.html", include_str!("../templates/home.html")),
    ("rule.html", include_str!("../templates/rule.html")),
    ("kind.html", include_str!("../templates/kind.html")),
    ("entry.html", include_str!("../templates/entry.html")),
    ("matrix.html", include_str!("../templates/matrix.html")),
    ("search.html", include_str!("../templates/search.html")),
    (
        "diagnostics.html",
        include_str!("../templates/diagnostics.html"),
    ),
    ("coverage.html", include_str!("../templates/coverage.html")),
    ("verdict.html", include_str!("../templates/verdict.html")),
    ("rule.md", include_str!("../templates/rule.md")),
];

/// The template environment for one catalog: the `href` and `rule_href` filters only link to
/// pages the build writes, so no link dangles.
pub fn environment(catalog: &Catalog<'_>) -> Result<Environment<'static>, Error> {
    let mut env = Environment::new();
    // Printing a misspelt variable fails the build instead of silently printing nothing.
    env.set_undefined_behavior(UndefinedBehavior::SemiStrict);
    env.set_formatter(format_value);
    for (name, source) in TEMPLATES {
        env.add_template(name, source)?;
    }

    let entries: Arc<HashMap<Kind, HashSet<String>>> = Arc::new(
        catalog
            .indexes
            .iter()
            .map(|index| {
                let names = index.entries.iter().map(|e| e.name.clone()).collect();
                (index.kind, names)
            })
            .collect(),
    );
    env.add_filter("href", move |name: &str, dir: &str| -> Option<String> {
        let kind = Kind::from_dir(dir)?;
        entries
            .get(&kind)
            .filter(|names| names.contains(name))
            .map(|_| kind.href(name))
    });
    // Rules are named by key (variants, similar rules, shared examples); an id that is no
    // key (an older producer) still finds the first rule with it.
    let rules: Arc<HashMap<String, String>> = Arc::new(
        catalog
            .corpus
            .rules
            .iter()
            .rev()
            .map(|r| (r.id.clone(), rule_href(&r.key)))
            .chain(
                catalog
                    .corpus
                    .rules
                    .iter()
                    .map(|r| (r.key.clone(), rule_href(&r.key))),
            )
            .collect(),
    );
    env.add_filter("rule_href", move |name: &str| rules.get(name).cloned());
    env.add_filter("span_text", |text: &str, span: Value| -> String {
        let at = |name| {
            span.get_attr(name)
                .ok()
                .and_then(|v| u32::try_from(v).ok())
                .unwrap_or(0)
        };
        Span::new(at("start"), at("end")).slice(text).to_owned()
    });
    env.add_function("event_name", |provider: &str, id: u32| {
        event_name(provider, id)
    });
    env.add_filter("attribution_key", |name: &str| attribution_key(name));
    env.add_filter("stage_anchor", |index: usize| stage_anchor(index));
    env.add_filter("safe_url", |url: Option<String>| safe_url(url.as_deref()));
    env.add_filter("atomic_url", |id: &str| atomic_url(id));
    env.add_filter("percent", |score: f64| format!("{:.0}%", score * 100.0));
    env.add_filter("format_name", format_name);
    env.add_filter("slug", |name: &str| slug(name));
    env.add_filter("md", |text: &str| md_text(text));
    env.add_filter("code", |text: &str| md_code(text));
    env.add_filter("fence", |text: &str, lang: &str| md_fence(text, lang));
    env.add_filter("md_url", |url: &str| md_url(url));
    Ok(env)
}

/// Like minijinja's default formatter, but `none` prints nothing and `/` stays as it is
/// (escaping it is needless in HTML and makes every URL unreadable).
fn format_value(
    out: &mut minijinja::Output,
    state: &mut minijinja::State,
    value: &Value,
) -> Result<(), Error> {
    if value.is_undefined() && state.undefined_behavior() == UndefinedBehavior::SemiStrict {
        return Err(Error::new(
            ErrorKind::UndefinedError,
            "printing an undefined value",
        ));
    }
    if value.is_none() || value.is_undefined() {
        return Ok(());
    }
    let text: String = match value.as_str() {
        Some(s) => s.to_owned(),
        None => value.to_string(),
    };
    if matches!(state.auto_escape(), AutoEscape::Html) && !value.is_safe() {
        let mut escaped = String::with_capacity(text.len() + 16);
        escape_into(&mut escaped, &text);
        out.write_str(&escaped)
    } else {
        out.write_str(&text)
    }
    .map_err(|e| Error::new(ErrorKind::WriteFailure, "writing a page").with_source(e))
}

/// Only http(s) URLs become links: `javascript:`, `data:` and the rest stay text.
pub fn safe_url(url: Option<&str>) -> Option<String> {
    let url = url?.trim();
    let scheme = url.get(..8).unwrap_or(url).to_ascii_lowercase();
    let ok = (scheme.starts_with("https://") || scheme.starts_with("http://"))
        && !url.chars().any(|c| c.is_whitespace() || c.is_control());
    ok.then(|| url.to_owned())
}

/// The Atomic Red Team page of a technique id, when it is one.
fn atomic_url(id: &str) -> Option<String> {
    let bytes = id.as_bytes();
    let digits = |s: &[u8]| s.iter().all(u8::is_ascii_digit);
    let valid = match bytes {
        [b'T', rest @ ..] if rest.len() == 4 => digits(rest),
        [b'T', rest @ ..] if rest.len() == 8 => {
            digits(&rest[..4]) && rest[4] == b'.' && digits(&rest[5..])
        }
        _ => false,
    };
    valid.then(|| {
        format!("https://github.com/redcanaryco/atomic-red-team/blob/master/atomics/{id}/{id}.md")
    })
}

/// A serialised `LogicFormat` ("splunk", or `{"other": "kql"}`) as people name it.
fn format_name(value: Value) -> String {
    if let Some(s) = value.as_str() {
        return rulescope_model::LogicFormat::parse(s)
            .display_name()
            .to_owned();
    }
    if value.kind() == ValueKind::Map
        && let Ok(other) = value.get_attr("other")
        && let Some(s) = other.as_str()
    {
        return s.to_owned();
    }
    value.to_string()
}

/// Markdown text on one line, with everything Markdown or HTML would interpret escaped:
/// Markdown files are often rendered by viewers that pass raw HTML through.
pub fn md_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '\\' | '`' | '*' | '_' | '[' | ']' | '|' | '#' | '!' => {
                out.push('\\');
                out.push(c);
            }
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '\r' | '\n' => out.push(' '),
            _ => out.push(c),
        }
    }
    out
}

/// An inline code span that survives any content, also inside a table cell.
fn md_code(text: &str) -> String {
    let flat: String = text
        .chars()
        .map(|c| if matches!(c, '\r' | '\n') { ' ' } else { c })
        .collect();
    // In a table, `|` ends the cell even inside code; `\|` is GitHub's escape for it.
    let flat = flat.replace('|', "\\|");
    let fence = "`".repeat(longest_run(&flat, '`') + 1);
    let pad = if flat.starts_with('`') || flat.ends_with('`') || flat.is_empty() {
        " "
    } else {
        ""
    };
    format!("{fence}{pad}{flat}{pad}{fence}")
}

/// A fenced code block whose fence is longer than any backtick run in the text.
fn md_fence(text: &str, lang: &str) -> String {
    let fence = "`".repeat(longest_run(text, '`').max(2) + 1);
    let lang: String = lang.chars().filter(char::is_ascii_alphanumeric).collect();
    let newline = if text.ends_with('\n') { "" } else { "\n" };
    format!("{fence}{lang}\n{text}{newline}{fence}")
}

fn longest_run(text: &str, c: char) -> usize {
    let (mut longest, mut run) = (0, 0);
    for x in text.chars() {
        run = if x == c { run + 1 } else { 0 };
        longest = longest.max(run);
    }
    longest
}

/// A link target safe inside `(...)`: spaces, brackets and angle brackets percent-encoded.
fn md_url(url: &str) -> String {
    let mut out = String::with_capacity(url.len());
    for c in url.chars() {
        match c {
            ' ' => out.push_str("%20"),
            '(' => out.push_str("%28"),
            ')' => out.push_str("%29"),
            '<' => out.push_str("%3C"),
            '>' => out.push_str("%3E"),
            '"' => out.push_str("%22"),
            '\n' | '\r' => {}
            _ => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_http_urls_are_links() {
        assert_eq!(
            safe_url(Some(" https://a.example/x ")).as_deref(),
            Some("https://a.example/x")
        );
        assert_eq!(
            safe_url(Some("HTTP://a.example")).as_deref(),
            Some("HTTP://a.example")
        );
        for bad in [
            "javascript:alert(1)",
            " JavaScript:alert(1)",
            "data:text/html,x",
            "//evil.example",
            "http://a b",
            "https://a.example/\nx",
        ] {
            assert_eq!(safe_url(Some(bad)), None, "{bad}");
        }
        assert_eq!(safe_url(Some("javascript:alert(1)")), None);
        assert_eq!(safe_url(None), None);
    }

    #[test]
    fn atomic_urls_only_for_technique_ids() {
        assert!(atomic_url("T1021.002").is_some_and(|u| u.ends_with("/T1021.002/T1021.002.md")));
        assert!(atomic_url("T1021").is_some());
        assert_eq!(atomic_url("<script>"), None);
        assert_eq!(atomic_url("T10"), None);
    }

    #[test]
    fn markdown_escapes_hold_against_content() {
        assert_eq!(md_text("a|b <script>\nx_y"), "a\\|b &lt;script&gt; x\\_y");
        assert_eq!(md_code("a`b|c"), "``a`b\\|c``");
        assert_eq!(md_code("`x"), "`` `x ``");
        assert_eq!(md_fence("a\n```\nb", "yaml"), "````yaml\na\n```\nb\n````");
        assert_eq!(md_url("x (1).md"), "x%20%281%29.md");
    }
}
