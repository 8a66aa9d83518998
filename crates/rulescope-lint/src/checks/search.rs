//! Search-language pitfalls: lower-case operators, OR precedence, leading wildcards, and
//! raw-XML event id phrases that cannot occur.

use rulescope_model::Span;
use rulescope_reference::EventCatalog;
use rulescope_spl::{Command, Parsed, SearchExpr, Value};

use super::Query;
use crate::finding::{At, Hit};

pub(super) fn check(
    query: &Query<'_>,
    parsed: &Parsed,
    events: &EventCatalog,
    hits: &mut Vec<Hit>,
) {
    for (index, stage) in parsed.pipeline.stages.iter().enumerate() {
        let Command::Search(search) = &stage.command else {
            continue;
        };
        let Some(expr) = &search.expr else {
            continue;
        };
        let mut walker = Walker {
            query,
            base: index == 0,
            hits,
        };
        walker.expr(expr);
    }
    raw_xml_qualifiers(query, events, hits);
}

struct Walker<'q, 'r, 'h> {
    query: &'q Query<'r>,
    /// The base search reads the index, where leading wildcards cost.
    base: bool,
    hits: &'h mut Vec<Hit>,
}

impl Walker<'_, '_, '_> {
    fn expr(&mut self, expr: &SearchExpr) {
        match expr {
            SearchExpr::And(items, _) => {
                for item in items {
                    if let SearchExpr::Or(operands, span) = item
                        && items.len() > 1
                    {
                        self.or_precedence(items, operands, *span);
                    }
                    self.expr(item);
                }
            }
            SearchExpr::Or(items, _) => items.iter().for_each(|i| self.expr(i)),
            SearchExpr::Not(inner, _) | SearchExpr::Group(inner, _) => self.expr(inner),
            SearchExpr::Term(word) => {
                self.lowercase_operator(&word.text, word.span);
                self.leading_wildcard(&word.text, word.span);
            }
            SearchExpr::Phrase(phrase) => self.leading_wildcard(&phrase.value(), phrase.span),
            SearchExpr::Compare { value, .. } => self.value(value),
            SearchExpr::In { values, .. } => values.iter().for_each(|v| self.value(v)),
            SearchExpr::Indexed { .. } | SearchExpr::Macro(_) | SearchExpr::Subsearch(_) => {}
        }
    }

    fn value(&mut self, value: &Value) {
        if let Value::Word(_) | Value::Str(_) = value {
            self.leading_wildcard(&value.text(), value.span());
        }
    }

    fn lowercase_operator(&mut self, word: &str, span: Span) {
        let upper = word.to_ascii_uppercase();
        if !matches!(upper.as_str(), "OR" | "AND" | "NOT") || word == upper {
            return;
        }
        let meaning = match upper.as_str() {
            "NOT" => "the next term is not negated",
            _ => "the terms around it are ANDed",
        };
        self.hits.push(
            Hit::new(
                "lowercase-operator",
                format!(
                    "`{word}` is a literal search word here, not an operator: events must contain \"{word}\", and {meaning}"
                ),
                At::Query(span),
            )
            .help(format!("only upper-case `{upper}` is an operator in a search"))
            .fix(format!("write `{upper}`"), vec![(span, upper)]),
        );
    }

    fn leading_wildcard(&mut self, value: &str, span: Span) {
        if !self.base || !value.starts_with('*') || value.trim_matches('*').is_empty() {
            return;
        }
        self.hits.push(Hit::new(
            "leading-wildcard",
            format!("`{value}` starts with a wildcard: the base search cannot use the index's term list for it"),
            At::Query(span),
        ).help("anchor the value, or test it in a `where` after narrower terms have cut the events"));
    }

    /// An OR inside an AND without parentheses: say which terms the OR really groups.
    fn or_precedence(&mut self, siblings: &[SearchExpr], operands: &[SearchExpr], span: Span) {
        let text = self.query.text;
        let first = operands.first().map_or("", |o| o.span().slice(text));
        let last = operands.last().map_or("", |o| o.span().slice(text));
        let others: Vec<&SearchExpr> = siblings
            .iter()
            .filter(|s| !matches!(s, SearchExpr::Or(_, s_span) if *s_span == span))
            .collect();
        let only_selectors = others.iter().all(|s| self.is_selector(s));
        let (code, message) = if only_selectors {
            (
                "search-or-unparenthesized",
                format!(
                    "this OR is not parenthesised: Splunk applies the {} macro/selector term(s) before it to every branch, from `{}` to `{}`",
                    others.len(),
                    short(first),
                    short(last)
                ),
            )
        } else {
            (
                "search-or-precedence",
                format!(
                    "OR binds tighter than AND in a search: this OR groups only `{}` … `{}`, and the {} other term(s) next to it must match in every branch",
                    short(first),
                    short(last),
                    others.len()
                ),
            )
        };
        let help = if only_selectors {
            "parenthesise the OR so that readers, and translations to languages where AND binds tighter, see what Splunk does"
        } else {
            "Splunk reads `a b OR c` as `a AND (b OR c)`; if you meant `(a b) OR c`, write it so"
        };
        self.hits
            .push(Hit::new(code, message, At::Query(span)).help(help).fix(
                "parenthesise the OR as Splunk reads it",
                vec![
                    (Span::new(span.start, span.start), "(".to_owned()),
                    (Span::new(span.end, span.end), ")".to_owned()),
                ],
            ));
    }

    /// A macro, or an expression made only of data-source selectors.
    fn is_selector(&self, expr: &SearchExpr) -> bool {
        match expr {
            SearchExpr::Macro(_) => true,
            SearchExpr::And(items, _) | SearchExpr::Or(items, _) => {
                items.iter().all(|i| self.is_selector(i))
            }
            SearchExpr::Group(inner, _) => self.is_selector(inner),
            leaf => {
                let span = leaf.span();
                self.query
                    .sources
                    .selectors
                    .iter()
                    .any(|s| s.span.start <= span.start && span.end <= s.span.end)
            }
        }
    }
}

fn short(text: &str) -> String {
    const MAX: usize = 40;
    if text.chars().count() <= MAX {
        text.to_owned()
    } else {
        let cut: String = text.chars().take(MAX).collect();
        format!("{cut}…")
    }
}

/// Providers whose events carry `Qualifiers` on `EventID` (classic, message-file providers),
/// with the value they write where it is known.
const QUALIFIED_PROVIDERS: &[(&str, Option<&str>)] = &[
    ("Service Control Manager", Some("16384")),
    ("User32", Some("32768")),
    ("MsiInstaller", Some("0")),
    ("Application Error", Some("0")),
    ("MSSQLSERVER", None),
    ("PowerShell", Some("0")),
];

/// `"<EventID>7045<"` where event 7045 is written `<EventID Qualifiers='16384'>7045</EventID>`.
fn raw_xml_qualifiers(query: &Query<'_>, events: &EventCatalog, hits: &mut Vec<Hit>) {
    for term in &query.model.search_terms {
        let Some(id) = xml_event_id(&term.text) else {
            continue;
        };
        let Some(info) = events.lookup_first(query.sources.event_sources, id) else {
            continue;
        };
        let Some((_, value)) = QUALIFIED_PROVIDERS
            .iter()
            .find(|(p, _)| *p == info.provider_short)
        else {
            continue;
        };
        let written = format!(
            "<EventID Qualifiers='{}'>{id}</EventID>",
            value.unwrap_or("…")
        );
        let replacement = format!("\"{id}</EventID>\"");
        hits.push(
            Hit::new(
                "raw-xml-qualifiers",
                format!(
                    "`{}` never occurs in the raw event: {} writes event {id} as `{written}`",
                    term.text, info.provider_short
                ),
                At::Query(term.span),
            )
            .help(format!(
                "search {replacement} or `EventCode={id}`, which match with and without Qualifiers"
            ))
            .fix(
                format!("search {replacement}"),
                vec![(term.span, replacement)],
            ),
        );
    }
}

/// The id of a raw-XML event id phrase ending at `<` (`<EventID>7045<`, `EventID>7045<`).
fn xml_event_id(text: &str) -> Option<u32> {
    let rest = text.strip_prefix('<').unwrap_or(text);
    let digits = rest.strip_prefix("EventID>")?.strip_suffix('<')?;
    digits.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::xml_event_id;

    #[test]
    fn xml_event_id_forms() {
        assert_eq!(xml_event_id("<EventID>7045<"), Some(7045));
        assert_eq!(xml_event_id("EventID>1<"), Some(1));
        assert_eq!(xml_event_id("<EventID>7045</EventID>"), None);
        assert_eq!(xml_event_id("EventCode=7045"), None);
    }
}
