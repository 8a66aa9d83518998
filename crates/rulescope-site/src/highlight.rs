//! Query highlighting: the query text, escaped, with each pipeline stage wrapped in an
//! anchored element and each marked span (a token kind, an indicator, a search term) in a
//! classed `<span>`. Marks come as `(class, span)` so any front end's tokens fit.

use rulescope_model::{LogicFormat, Span};
use rulescope_spl::TokenKind;

/// Escapes text for HTML content and quoted attribute values.
pub fn escape_into(out: &mut String, text: &str) {
    let mut start = 0;
    for (i, b) in text.bytes().enumerate() {
        let entity = match b {
            b'&' => "&amp;",
            b'<' => "&lt;",
            b'>' => "&gt;",
            b'"' => "&quot;",
            b'\'' => "&#39;",
            _ => continue,
        };
        out.push_str(&text[start..i]);
        out.push_str(entity);
        start = i + 1;
    }
    out.push_str(&text[start..]);
}

/// The HTML id of a stage's element in a highlighted query.
pub fn stage_anchor(index: usize) -> String {
    format!("q-stage-{index}")
}

/// Lexical marks for a query: Splunk through the SPL lexer. SQL has no token stream yet,
/// so its queries show the analysis's marks only.
pub fn token_marks(format: &LogicFormat, query: &str) -> Vec<(&'static str, Span)> {
    match format {
        LogicFormat::Splunk => rulescope_spl::tokens(query)
            .into_iter()
            .filter_map(|(kind, span)| Some((token_class(kind)?, span)))
            .collect(),
        _ => Vec::new(),
    }
}

/// The CSS class of a token kind; plain words, spaces and punctuation get none, which keeps
/// pages small.
fn token_class(kind: TokenKind) -> Option<&'static str> {
    Some(match kind {
        TokenKind::Whitespace | TokenKind::Word | TokenKind::Punct => return None,
        TokenKind::Comment => "tok-comment",
        TokenKind::Pipe => "tok-pipe",
        TokenKind::Command => "tok-command",
        TokenKind::Keyword => "tok-keyword",
        TokenKind::Function => "tok-function",
        TokenKind::Field => "tok-field",
        TokenKind::String => "tok-string",
        TokenKind::Number => "tok-number",
        TokenKind::Macro => "tok-macro",
        TokenKind::Operator => "tok-operator",
        TokenKind::Regex => "tok-regex",
        TokenKind::Error => "tok-error",
    })
}

/// Renders `text` as HTML. `stages` are `(stage index, span)`, not overlapping; `marks` may
/// overlap and nest: a piece of text covered by several marks gets all their classes.
/// Spans past the end or inside a character are clamped, so no input makes this fail.
pub fn highlight(text: &str, stages: &[(usize, Span)], marks: &[(&str, Span)]) -> String {
    let clamp = |at: u32| {
        let mut at = (at as usize).min(text.len());
        while !text.is_char_boundary(at) {
            at -= 1;
        }
        at
    };
    let mut stages: Vec<(usize, usize, usize)> = stages
        .iter()
        .map(|&(index, span)| (clamp(span.start), clamp(span.end), index))
        .filter(|(start, end, _)| start < end)
        .collect();
    stages.sort_unstable();
    let mut marks: Vec<(usize, usize, String)> = marks
        .iter()
        .map(|&(class, span)| (clamp(span.start), clamp(span.end), class_name(class)))
        .filter(|(start, end, class)| start < end && !class.is_empty())
        .collect();
    marks.sort_unstable();

    let mut cuts: Vec<usize> = Vec::with_capacity(2 + 2 * (stages.len() + marks.len()));
    cuts.extend([0, text.len()]);
    cuts.extend(stages.iter().flat_map(|&(s, e, _)| [s, e]));
    cuts.extend(marks.iter().flat_map(|(s, e, _)| [*s, *e]));
    cuts.sort_unstable();
    cuts.dedup();

    let mut out = String::with_capacity(text.len() * 2);
    let mut next_stage = 0;
    let mut open_stage: Option<usize> = None; // end offset of the open stage element
    let mut next_mark = 0;
    let mut active: Vec<usize> = Vec::new(); // indexes into `marks`
    let mut open_classes = String::new();
    for window in cuts.windows(2) {
        let (from, to) = (window[0], window[1]);
        // Every span starts and ends on a cut, so each one covers a segment wholly or not at all.
        active.retain(|&m| marks[m].1 > from);
        while next_mark < marks.len() && marks[next_mark].0 <= from {
            if marks[next_mark].1 > from {
                active.push(next_mark);
            }
            next_mark += 1;
        }
        let mut classes = String::new();
        for &m in &active {
            if !classes.is_empty() {
                classes.push(' ');
            }
            classes.push_str(&marks[m].2);
        }

        let stage_ends = open_stage.is_some_and(|end| end <= from);
        let stage_starts = next_stage < stages.len() && stages[next_stage].0 <= from;
        if stage_ends || stage_starts {
            close_span(&mut out, &mut open_classes);
            if open_stage.take().is_some() {
                out.push_str("</span>");
            }
        }
        if stage_starts {
            let (_, end, index) = stages[next_stage];
            next_stage += 1;
            out.push_str("<span class=\"stage\" id=\"");
            out.push_str(&stage_anchor(index));
            out.push_str("\">");
            open_stage = Some(end);
        }
        if classes != open_classes {
            close_span(&mut out, &mut open_classes);
            if !classes.is_empty() {
                out.push_str("<span class=\"");
                out.push_str(&classes);
                out.push_str("\">");
                open_classes = classes;
            }
        }
        escape_into(&mut out, &text[from..to]);
    }
    close_span(&mut out, &mut open_classes);
    if open_stage.is_some() {
        out.push_str("</span>");
    }
    out
}

fn close_span(out: &mut String, open_classes: &mut String) {
    if !open_classes.is_empty() {
        out.push_str("</span>");
        open_classes.clear();
    }
}

/// Keeps a class name to `[A-Za-z0-9_-]`: marks may come from another crate's token kinds.
fn class_name(class: &str) -> String {
    class
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-'))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn span(start: u32, end: u32) -> Span {
        Span::new(start, end)
    }

    #[test]
    fn stages_and_tokens_nest() {
        let q = "a=1 | where b<2";
        let html = highlight(
            q,
            &[(0, span(0, 4)), (1, span(4, 15))],
            &[
                ("tok-field", span(0, 1)),
                ("tok-number", span(2, 3)),
                ("tok-pipe", span(4, 5)),
                ("tok-command", span(6, 11)),
                ("hl-indicator", span(12, 15)),
                ("tok-field", span(12, 13)),
            ],
        );
        assert_eq!(
            html,
            "<span class=\"stage\" id=\"q-stage-0\"><span class=\"tok-field\">a</span>=\
             <span class=\"tok-number\">1</span> </span>\
             <span class=\"stage\" id=\"q-stage-1\"><span class=\"tok-pipe\">|</span> \
             <span class=\"tok-command\">where</span> \
             <span class=\"tok-field hl-indicator\">b</span>\
             <span class=\"hl-indicator\">&lt;2</span></span>"
        );
    }

    #[test]
    fn a_mark_across_a_stage_boundary_is_split_and_stays_well_nested() {
        let html = highlight(
            "abcd",
            &[(0, span(0, 2)), (1, span(2, 4))],
            &[("x", span(1, 3))],
        );
        assert_eq!(
            html,
            "<span class=\"stage\" id=\"q-stage-0\">a<span class=\"x\">b</span></span>\
             <span class=\"stage\" id=\"q-stage-1\"><span class=\"x\">c</span>d</span>"
        );
    }

    #[test]
    fn hostile_text_and_class_names_are_neutralised() {
        let q = "<script>alert(1)</script> é";
        let html = highlight(
            q,
            &[(0, span(0, 99))],
            &[("\"><img onerror=x>", span(0, 8)), ("t", span(27, 28))],
        );
        assert!(!html.contains("<script"), "{html}");
        assert!(!html.contains("<img"), "{html}");
        assert!(html.contains("&lt;script&gt;"), "{html}");
        assert!(html.contains("class=\"imgonerrorx\""), "{html}");
        // The span starting inside `é` is clamped to a character boundary instead of splitting it.
        assert!(
            html.ends_with("<span class=\"t\">é</span></span>"),
            "{html}"
        );
    }

    #[test]
    fn splunk_queries_get_token_classes() {
        let q = "`m` x=\"a\" | stats count";
        let marks = token_marks(&LogicFormat::Splunk, q);
        let classes: Vec<&str> = marks.iter().map(|(c, _)| *c).collect();
        for class in ["tok-macro", "tok-string", "tok-pipe", "tok-command"] {
            assert!(classes.contains(&class), "{class} in {classes:?}");
        }
        assert!(token_marks(&LogicFormat::Snowflake, "select 1").is_empty());
    }

    #[test]
    fn no_marks_is_plain_escaped_text() {
        assert_eq!(highlight("a<b", &[], &[]), "a&lt;b");
        assert_eq!(highlight("", &[(0, span(0, 0))], &[]), "");
    }
}
