//! Macro definitions (macros.conf stanzas or YAML) and textual expansion with a source
//! map, so every byte of the expanded query can be traced to the query or to a macro.

use std::collections::HashMap;

use rulescope_model::{Diagnostic, Span};
use serde::{Deserialize, Serialize};

use crate::lexer::{is_comment_start, scan_comment, scan_macro, scan_string};

/// Expansion nested deeper than this is reported as a likely cycle.
const MAX_EXPANSION_DEPTH: usize = 32;

/// One macro definition.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct MacroDef {
    pub name: String,
    /// Argument names, substituted as `$name$` in the definition.
    pub args: Vec<String>,
    pub definition: String,
}

/// Macro definitions keyed by name and argument count, as Splunk keys them (`name(2)`).
#[derive(Clone, Debug, Default)]
pub struct MacroTable {
    defs: HashMap<(String, usize), MacroDef>,
}

#[derive(Deserialize)]
struct YamlMacro {
    name: String,
    definition: String,
    #[serde(default)]
    arguments: Option<Vec<String>>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum YamlMacros {
    Many(Vec<YamlMacro>),
    One(YamlMacro),
}

impl MacroTable {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn insert(&mut self, def: MacroDef) {
        self.defs.insert((def.name.clone(), def.args.len()), def);
    }

    pub fn len(&self) -> usize {
        self.defs.len()
    }

    pub fn is_empty(&self) -> bool {
        self.defs.is_empty()
    }

    pub fn get(&self, name: &str, arity: usize) -> Option<&MacroDef> {
        self.defs.get(&(name.to_owned(), arity))
    }

    /// Adds the stanzas of a macros.conf text: `[name]` or `[name(n)]`, then
    /// `definition = ...` (a trailing `\` continues the line) and `args = a, b`.
    pub fn add_conf(&mut self, text: &str) {
        let mut current: Option<MacroDef> = None;
        let mut lines = text.lines();
        while let Some(line) = lines.next() {
            let trimmed = line.trim();
            if trimmed.starts_with('#') || trimmed.is_empty() {
                continue;
            }
            if let Some(stanza) = trimmed.strip_prefix('[').and_then(|s| s.strip_suffix(']')) {
                if let Some(def) = current.take() {
                    self.insert(def);
                }
                let name = base_name(stanza);
                current = Some(MacroDef {
                    name: name.to_owned(),
                    args: Vec::new(),
                    definition: String::new(),
                });
                continue;
            }
            let Some(def) = current.as_mut() else {
                continue;
            };
            let Some((key, value)) = trimmed.split_once('=') else {
                continue;
            };
            match key.trim() {
                "definition" => {
                    let mut value = value.trim().to_owned();
                    while let Some(stripped) = value.strip_suffix('\\') {
                        value = stripped.to_owned();
                        match lines.next() {
                            Some(next) => {
                                value.push('\n');
                                value.push_str(next.trim());
                            }
                            None => break,
                        }
                    }
                    def.definition = value;
                }
                "args" => {
                    def.args = value
                        .split(',')
                        .map(|a| a.trim().to_owned())
                        .filter(|a| !a.is_empty())
                        .collect();
                }
                _ => {}
            }
        }
        if let Some(def) = current {
            self.insert(def);
        }
    }

    /// Adds macros from YAML: one mapping or a list of mappings with `name`, `definition`
    /// and optional `arguments` (the security_content layout).
    pub fn add_yaml(&mut self, text: &str) -> Result<(), Diagnostic> {
        let parsed: YamlMacros = serde_saphyr::from_str(text)
            .map_err(|e| Diagnostic::error("macro-yaml", format!("cannot read macro YAML: {e}")))?;
        let list = match parsed {
            YamlMacros::Many(v) => v,
            YamlMacros::One(m) => vec![m],
        };
        for m in list {
            self.insert(MacroDef {
                name: base_name(&m.name).to_owned(),
                args: m.arguments.unwrap_or_default(),
                definition: m.definition.trim().to_owned(),
            });
        }
        Ok(())
    }
}

/// `name(2)` as macros.conf and some YAML files write it: the name alone.
fn base_name(name: &str) -> &str {
    name.split('(').next().unwrap_or(name).trim()
}

/// Where a stretch of the expanded text came from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Segment {
    /// Byte range in the expanded text.
    pub expanded: Span,
    pub origin: Origin,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Origin {
    /// Copied from the query, starting at this byte.
    Query { start: u32 },
    /// Produced by expanding the macro call at `call` (a span of the query; for nested
    /// macros, the outermost call). `path` names the macros from outermost to innermost.
    Macro { call: Span, path: Vec<String> },
}

/// A query with its macros expanded, and the map back to the query.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Expansion {
    pub text: String,
    pub segments: Vec<Segment>,
}

impl Expansion {
    /// The origin of a byte of the expanded text.
    pub fn origin_at(&self, offset: u32) -> Option<&Origin> {
        let i = self.segments.partition_point(|s| s.expanded.end <= offset);
        self.segments
            .get(i)
            .filter(|s| s.expanded.start <= offset)
            .map(|s| &s.origin)
    }

    /// Maps a span of the expanded text to the query: exact for copied text, the macro call
    /// for expanded text.
    pub fn to_query(&self, span: Span) -> Span {
        let map = |offset: u32, end: bool| -> Option<u32> {
            let probe = if end && offset > 0 {
                offset - 1
            } else {
                offset
            };
            let seg = self
                .segments
                .get(self.segments.partition_point(|s| s.expanded.end <= probe))?;
            Some(match &seg.origin {
                Origin::Query { start } => start + (offset - seg.expanded.start),
                Origin::Macro { call, .. } => {
                    if end {
                        call.end
                    } else {
                        call.start
                    }
                }
            })
        };
        let start = map(span.start, false).unwrap_or(span.start);
        let end = map(span.end, true).unwrap_or(start).max(start);
        Span::new(start, end)
    }
}

struct Expander<'t> {
    table: &'t MacroTable,
    out: String,
    segments: Vec<Segment>,
    diags: Vec<Diagnostic>,
}

/// Expands the macros of `query` that `table` defines; others stay as written.
pub fn expand(query: &str, table: &MacroTable) -> (Expansion, Vec<Diagnostic>) {
    let mut ex = Expander {
        table,
        out: String::with_capacity(query.len() * 2),
        segments: Vec::new(),
        diags: Vec::new(),
    };
    ex.text(query, None, &mut Vec::new());
    (
        Expansion {
            text: ex.out,
            segments: ex.segments,
        },
        ex.diags,
    )
}

impl Expander<'_> {
    fn push(&mut self, text: &str, origin: Origin) {
        if text.is_empty() {
            return;
        }
        let start = self.out.len();
        self.out.push_str(text);
        let expanded = Span::from_range(start..self.out.len());
        // Adjacent copies from the same macro call merge into one segment.
        if let (Some(last), Origin::Macro { .. }) = (self.segments.last_mut(), &origin)
            && last.origin == origin
            && last.expanded.end == expanded.start
        {
            last.expanded.end = expanded.end;
            return;
        }
        self.segments.push(Segment { expanded, origin });
    }

    /// Copies `text`, expanding macros. `call` is the outermost macro call (query span)
    /// when `text` is a definition; `stack` holds the macros being expanded.
    fn text(&mut self, text: &str, call: Option<Span>, stack: &mut Vec<String>) {
        let b = text.as_bytes();
        let mut copied = 0;
        let mut i = 0;
        let origin = |at: usize, stack: &[String]| match call {
            None => Origin::Query { start: at as u32 },
            Some(call) => Origin::Macro {
                call,
                path: stack.to_vec(),
            },
        };
        while i < b.len() {
            match b[i] {
                b'"' => i = scan_string(b, i).0,
                b'`' if is_comment_start(b, i) => i = scan_comment(b, i).0,
                b'`' => {
                    let (end, closed) = scan_macro(b, i);
                    let def = closed.then(|| self.lookup(&text[i + 1..end - 1])).flatten();
                    if let Some((def, args)) = def {
                        self.push(&text[copied..i], origin(copied, stack));
                        let this_call = call.unwrap_or_else(|| Span::from_range(i..end));
                        if stack.len() >= MAX_EXPANSION_DEPTH || stack.contains(&def.name) {
                            self.diags.push(
                                Diagnostic::error(
                                    "spl-macro-recursion",
                                    format!("macro `{}` expands into itself", def.name),
                                )
                                .with_span(this_call),
                            );
                            self.push(&text[i..end], origin(i, stack));
                        } else {
                            let body = substitute(&def.definition, &def.args, &args);
                            stack.push(def.name.clone());
                            self.text(&body, Some(this_call), stack);
                            stack.pop();
                        }
                        copied = end;
                    }
                    i = end;
                }
                _ => i += 1,
            }
        }
        self.push(&text[copied..], origin(copied, stack));
    }

    fn lookup(&self, inner: &str) -> Option<(MacroDef, Vec<String>)> {
        let (name, args) = match inner.find('(') {
            Some(open) => {
                let close = inner.rfind(')')?;
                let args = split_args(inner.get(open + 1..close)?);
                (inner[..open].trim(), args)
            }
            None => (inner.trim(), Vec::new()),
        };
        self.table.get(name, args.len()).map(|d| (d.clone(), args))
    }
}

/// Splits macro arguments at commas outside quotes and parentheses.
fn split_args(text: &str) -> Vec<String> {
    if text.trim().is_empty() {
        return Vec::new();
    }
    let b = text.as_bytes();
    let mut out = Vec::new();
    let (mut start, mut depth, mut i) = (0, 0u32, 0);
    while i < b.len() {
        match b[i] {
            b'"' => {
                i = scan_string(b, i).0;
                continue;
            }
            b'(' => depth += 1,
            b')' => depth = depth.saturating_sub(1),
            b',' if depth == 0 => {
                out.push(text[start..i].trim().to_owned());
                start = i + 1;
            }
            _ => {}
        }
        i += 1;
    }
    out.push(text[start..].trim().to_owned());
    out
}

/// Replaces `$arg$` with the argument values.
fn substitute(definition: &str, names: &[String], values: &[String]) -> String {
    let mut out = definition.to_owned();
    for (name, value) in names.iter().zip(values) {
        out = out.replace(&format!("${name}$"), value);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conf_stanzas_with_args_and_continuations() {
        let mut t = MacroTable::new();
        t.add_conf("# c\n[get_data]\ndefinition = index=main \\\n sourcetype=x\n\n[group(2)]\nargs = f, n\ndefinition = stats count by $f$ | where count > $n$\n");
        assert_eq!(t.len(), 2);
        assert_eq!(
            t.get("get_data", 0).map(|d| d.definition.as_str()),
            Some("index=main \nsourcetype=x")
        );
        assert_eq!(
            t.get("group", 2).map(|d| d.args.clone()),
            Some(vec!["f".to_owned(), "n".to_owned()])
        );
    }

    #[test]
    fn yaml_one_or_many() {
        let mut t = MacroTable::new();
        t.add_yaml("name: a\ndefinition: index=a\n")
            .map_err(|d| d.message)
            .ok();
        t.add_yaml("- name: b(1)\n  definition: stats count by $x$\n  arguments: [x]\n  description: ignored\n")
            .map_err(|d| d.message)
            .ok();
        assert!(t.get("a", 0).is_some());
        assert!(t.get("b", 1).is_some());
        assert!(t.add_yaml("[").is_err());
    }

    #[test]
    fn expansion_maps_back_to_query_and_macro() {
        let mut t = MacroTable::new();
        t.add_conf("[src]\ndefinition = index=main `inner`\n[inner]\ndefinition = sourcetype=x\n[by(1)]\nargs = f\ndefinition = stats count by $f$\n");
        let q = "`src` foo | `by(host)`";
        let (ex, diags) = expand(q, &t);
        assert!(diags.is_empty());
        assert_eq!(ex.text, "index=main sourcetype=x foo | stats count by host");
        let foo = ex.text.find("foo").map_or(0, |i| i as u32);
        assert_eq!(ex.to_query(Span::new(foo, foo + 3)), Span::new(6, 9));
        let st = ex.text.find("sourcetype").map_or(0, |i| i as u32);
        assert_eq!(ex.to_query(Span::new(st, st + 4)), Span::new(0, 5));
        match ex.origin_at(st) {
            Some(Origin::Macro { path, .. }) => {
                assert_eq!(path, &["src".to_owned(), "inner".to_owned()])
            }
            other => panic!("unexpected origin {other:?}"),
        }
    }

    #[test]
    fn recursive_macro_is_reported() {
        let mut t = MacroTable::new();
        t.add_conf("[a]\ndefinition = `b`\n[b]\ndefinition = `a`\n");
        let (_, diags) = expand("`a`", &t);
        assert_eq!(diags.len(), 1);
        assert_eq!(diags[0].code, "spl-macro-recursion");
    }
}
