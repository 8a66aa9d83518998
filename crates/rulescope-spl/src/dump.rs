//! An indented text dump of a tree, one node per line with its span and source text.

use std::fmt::Write;

use serde_json::Value;

use crate::Parsed;

/// Dumps the tree of `parsed`; `query` is the text it was parsed from.
pub fn dump_tree(parsed: &Parsed, query: &str) -> String {
    let text = parsed.source(query);
    let mut out = String::new();
    match serde_json::to_value(&parsed.pipeline) {
        Ok(v) => node(&mut out, 0, "Pipeline", &v, text),
        Err(e) => out.push_str(&e.to_string()),
    }
    for d in &parsed.diagnostics {
        let at = d
            .span
            .map(|s| format!(" {}..{}", s.start, s.end))
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "{}[{}]{at}: {}",
            d.severity.as_str(),
            d.code,
            d.message
        );
    }
    out
}

fn as_span(v: &Value) -> Option<(u64, u64)> {
    let m = v.as_object()?;
    if m.len() != 2 {
        return None;
    }
    Some((m.get("start")?.as_u64()?, m.get("end")?.as_u64()?))
}

/// Serde writes an enum variant as `{"Variant": inner}`: unwraps those into a name.
fn variants<'v>(mut v: &'v Value, name: &mut String) -> &'v Value {
    while let Some(m) = v.as_object() {
        let Some((k, inner)) = m.iter().next().filter(|_| m.len() == 1) else {
            break;
        };
        if !k.starts_with(|c: char| c.is_ascii_uppercase()) {
            break;
        }
        if !name.is_empty() {
            name.push(' ');
        }
        name.push_str(k);
        v = inner;
    }
    v
}

fn node(out: &mut String, depth: usize, label: &str, v: &Value, text: &str) {
    let mut name = label.to_owned();
    let v = variants(v, &mut name);
    let indent = "  ".repeat(depth);
    let mut line = format!("{indent}{name}");
    let mut children: Vec<(String, &Value)> = Vec::new();
    let mut span = None;
    match v {
        Value::Object(m) => {
            for (k, child) in m {
                if let Some(s) = as_span(child).filter(|_| k == "span") {
                    span = Some(s);
                    continue;
                }
                match child {
                    Value::Null => {}
                    Value::Object(_) | Value::Array(_) => children.push((k.clone(), child)),
                    scalar => {
                        let _ = write!(line, " {k}={scalar}");
                    }
                }
            }
        }
        Value::Array(items) => {
            for (i, child) in items.iter().enumerate() {
                match (as_span(child), child) {
                    (Some(s), _) if i + 1 == items.len() => span = Some(s),
                    (_, Value::Array(list)) => {
                        children.extend(list.iter().map(|c| (String::new(), c)))
                    }
                    _ => children.push((String::new(), child)),
                }
            }
        }
        scalar => {
            let _ = write!(line, " {scalar}");
        }
    }
    if let Some((s, e)) = span {
        let snippet = text.get(s as usize..e as usize).unwrap_or("");
        let _ = write!(line, " @{s}..{e}");
        if snippet.len() <= 60 {
            let _ = write!(line, " {snippet:?}");
        }
    }
    out.push_str(&line);
    out.push('\n');
    for (k, child) in children {
        match child {
            Value::Array(items) if !k.is_empty() => {
                if items.is_empty() {
                    continue;
                }
                let _ = writeln!(out, "{indent}  {k}:");
                for item in items {
                    node(out, depth + 2, "-", item, text);
                }
            }
            _ => node(out, depth + 1, &k, child, text),
        }
    }
}
