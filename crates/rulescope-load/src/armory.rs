//! The Anvilogic armory layout: one YAML mapping per file with the keys `id`, `title`,
//! `description`, `logic_format`, `logic`, `techniques`, `technique_id`, `data_category`
//! and `references`.
//!
//! Real files bend the schema (`technique_id` as null, a scalar or nested lists; `references`
//! as a scalar; ...). Each bend is normalised into the model and recorded as a warning; only a
//! file that cannot yield a rule at all (bad YAML, a missing or unusable required key) is an
//! error, and then only that file is lost.

use std::sync::Arc;

use rulescope_model::{Diagnostic, LogicFormat, Rule, Span, TechniqueRef, rule::RuleSource};
use serde_saphyr::Spanned;

use crate::yaml::{self, Document, Loose};

/// The keys of an armory rule, in the order the armory writes them.
const KNOWN_KEYS: [&str; 9] = [
    "id",
    "title",
    "description",
    "logic_format",
    "logic",
    "techniques",
    "technique_id",
    "data_category",
    "references",
];

/// Keys without which a file yields no rule.
const REQUIRED_KEYS: [&str; 4] = ["id", "title", "logic_format", "logic"];

/// A file's outcome: the rule, if one could be read, and what was noticed on the way.
pub(crate) struct Parsed {
    pub rule: Option<Rule>,
    pub diagnostics: Vec<Diagnostic>,
}

/// Reads one armory file's text into a rule. `source` carries the path; its `text` and
/// `logic_span` are filled in here.
pub(crate) fn parse_rule(text: &Arc<str>, mut source: RuleSource) -> Parsed {
    let mut diagnostics = Vec::new();
    let mut options = serde_saphyr::Options::default();
    options.with_snippet = false;
    let document: Document = match serde_saphyr::from_str_with_options(text, options) {
        Ok(document) => document,
        Err(error) => {
            diagnostics.push(yaml_error(text, &error));
            return Parsed {
                rule: None,
                diagnostics,
            };
        }
    };

    if document.is_empty() {
        diagnostics.push(
            Diagnostic::error(
                "not-a-rule",
                "the file holds no rule: it is empty or only comments",
            )
            .with_span(Span::new(0, 0))
            .with_help(format!(
                "an armory rule is a mapping with the keys {}",
                KNOWN_KEYS.join(", ")
            )),
        );
        return Parsed {
            rule: None,
            diagnostics,
        };
    }
    let missing: Vec<&str> = REQUIRED_KEYS
        .into_iter()
        .filter(|key| !document.contains_key(*key))
        .collect();
    if !missing.is_empty() {
        let names: Vec<String> = missing.iter().map(|k| format!("`{k}`")).collect();
        let (noun, verb) = if missing.len() == 1 {
            ("key", "is")
        } else {
            ("keys", "are")
        };
        diagnostics.push(
            Diagnostic::error(
                "missing-key",
                format!(
                    "required {noun} {} {verb} missing; the file yields no rule",
                    names.join(", ")
                ),
            )
            .with_span(Span::new(0, 0))
            .with_help(format!(
                "add {} to the rule",
                missing
                    .iter()
                    .map(|k| format!("`{k}:`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            )),
        );
        return Parsed {
            rule: None,
            diagnostics,
        };
    }

    for (key, value) in &document {
        if !KNOWN_KEYS.contains(&key.as_str()) {
            diagnostics.push(
                at(
                    Diagnostic::warning("unknown-key", format!("unknown key `{key}` is ignored")),
                    value,
                )
                .with_help(format!(
                    "an armory rule has the keys {}",
                    KNOWN_KEYS.join(", ")
                )),
            );
        }
    }

    let mut reader = Reader {
        text,
        document: &document,
        diagnostics: &mut diagnostics,
    };
    let id = reader.required_string("id");
    let title = reader.required_string("title");
    let logic_format = reader.required_string("logic_format");
    let logic = reader.required_string("logic");
    let description = reader.optional_string("description");
    let techniques = reader.string_list("techniques");
    let technique_ids = reader.string_list("technique_id");
    let data_categories = reader.string_list("data_category");
    let references = reader.string_list("references");

    let (Some(id), Some(title), Some(logic_format), Some(logic)) = (id, title, logic_format, logic)
    else {
        return Parsed {
            rule: None,
            diagnostics,
        };
    };

    let id = id.trim().to_owned();
    if title != title.trim() {
        diagnostics.push(
            at(
                Diagnostic::warning("title-whitespace", "the title has surrounding whitespace"),
                &document["title"],
            )
            .with_help("the title is read trimmed; remove the spaces from the file"),
        );
    }
    let format = LogicFormat::parse(&logic_format);
    if let LogicFormat::Other(name) = &format {
        diagnostics.push(
            at(
                Diagnostic::warning(
                    "unknown-logic-format",
                    format!("logic format `{name}` is not one rulescope parses"),
                ),
                &document["logic_format"],
            )
            .with_help("rulescope parses `Splunk` and `snowflake`; the rule is kept unparsed"),
        );
    }
    let techniques = techniques
        .into_iter()
        .filter_map(|(raw, span)| match TechniqueRef::parse(&raw) {
            Some(technique) => Some(technique),
            None => {
                diagnostics.push(
                    Diagnostic::warning(
                        "malformed-technique",
                        format!("technique `{raw}` is not `tactic:technique[:sub-technique]`"),
                    )
                    .with_span(span)
                    .with_help("write it as e.g. `execution:command and scripting interpreter`; this entry is skipped"),
                );
                None
            }
        })
        .collect();

    source.logic_span = yaml::byte_span(&document["logic"]);
    source.text = Arc::clone(text);
    let rule = Rule {
        use_case: Rule::use_case_of(&id).to_owned(),
        id,
        title: title.trim().to_owned(),
        description: description.trim().to_owned(),
        logic_format: format,
        logic,
        techniques,
        technique_ids: strings(technique_ids),
        data_categories: strings(data_categories),
        references: strings(references),
        source,
    };
    Parsed {
        rule: Some(rule),
        diagnostics,
    }
}

fn strings(items: Vec<(String, Span)>) -> Vec<String> {
    items.into_iter().map(|(text, _)| text).collect()
}

/// The YAML parser's error as a diagnostic at its position.
fn yaml_error(text: &str, error: &serde_saphyr::Error) -> Diagnostic {
    let message = error.to_string();
    // The parser appends the position, which the rendered diagnostic shows on its own.
    let message = match message.rfind(" at line ") {
        Some(cut) => message[..cut].to_owned(),
        None => message,
    };
    let help = if message.contains("quoted scalar") {
        "a quote opened on this line or above may be unclosed; the file is skipped until it is fixed"
    } else {
        "fix the YAML syntax; the file is skipped until then"
    };
    let mut diagnostic =
        Diagnostic::error("yaml-syntax", format!("invalid YAML: {message}")).with_help(help);
    if let Some(location) = error.location() {
        let index = rulescope_model::LineIndex::new(text);
        let line = usize::try_from(location.line()).unwrap_or(usize::MAX);
        let column = usize::try_from(location.column()).unwrap_or(usize::MAX);
        let offset = index.offset(text, line, column);
        diagnostic = diagnostic.with_span(Span::from_range(offset..offset + 1));
    }
    diagnostic
}

fn at(diagnostic: Diagnostic, value: &Spanned<Loose>) -> Diagnostic {
    match yaml::byte_span(value) {
        Some(span) => diagnostic.with_span(span),
        None => diagnostic,
    }
}

/// Reads typed values out of a document, recording a diagnostic for each deviation.
struct Reader<'a> {
    text: &'a str,
    document: &'a Document,
    diagnostics: &'a mut Vec<Diagnostic>,
}

impl Reader<'_> {
    fn missing(&mut self, key: &str) {
        self.diagnostics.push(
            Diagnostic::warning(
                "missing-key",
                format!("key `{key}` is missing; read as empty"),
            )
            .with_span(Span::new(0, 0))
            .with_help(format!("add `{key}:` to the rule")),
        );
    }

    /// The text of a scalar: a string as parsed, a number or boolean exactly as written.
    fn scalar_text(&self, value: &Spanned<Loose>) -> Option<String> {
        match &value.value {
            Loose::Scalar(text) => Some(text.clone()),
            Loose::NonString(printed) => Some(
                yaml::byte_span(value)
                    .map(|span| span.slice(self.text).to_owned())
                    .filter(|raw| !raw.is_empty())
                    .unwrap_or_else(|| printed.clone()),
            ),
            Loose::Null | Loose::List(_) | Loose::Map => None,
        }
    }

    fn required_string(&mut self, key: &str) -> Option<String> {
        // Presence was checked before reading.
        let value = self.document.get(key)?;
        let text = self.scalar_text(value).filter(|t| !t.trim().is_empty());
        if text.is_none() {
            let found = match &value.value {
                Loose::Scalar(_) | Loose::NonString(_) => "an empty string",
                other => other.kind(),
            };
            self.diagnostics.push(
                at(
                    Diagnostic::error(
                        "wrong-type",
                        format!("`{key}` must be a non-empty string, found {found}; the file yields no rule"),
                    ),
                    value,
                )
                .with_help(format!("write `{key}: '...'`")),
            );
        } else if matches!(value.value, Loose::NonString(_)) {
            self.diagnostics.push(
                at(
                    Diagnostic::warning(
                        "unquoted-scalar",
                        format!("`{key}` is a number or boolean in YAML; read as the text written"),
                    ),
                    value,
                )
                .with_help(format!(
                    "quote it: `{key}: '...'`, so no YAML reader turns it into a number"
                )),
            );
        }
        text
    }

    fn optional_string(&mut self, key: &str) -> String {
        let Some(value) = self.document.get(key) else {
            self.missing(key);
            return String::new();
        };
        match self.scalar_text(value) {
            Some(text) => text,
            None if value.value == Loose::Null => {
                self.quirk(
                    value,
                    "null-value",
                    format!("`{key}` is null; read as empty"),
                );
                String::new()
            }
            None => {
                self.diagnostics.push(
                    at(
                        Diagnostic::warning(
                            "wrong-type",
                            format!(
                                "`{key}` must be a string, found {}; read as empty",
                                value.value.kind()
                            ),
                        ),
                        value,
                    )
                    .with_help(format!("write `{key}: '...'`")),
                );
                String::new()
            }
        }
    }

    /// A list of strings, accepting null, a lone scalar and nested lists (each with a warning).
    fn string_list(&mut self, key: &str) -> Vec<(String, Span)> {
        let Some(value) = self.document.get(key) else {
            self.missing(key);
            return Vec::new();
        };
        let mut items = Vec::new();
        match &value.value {
            Loose::Null => {
                self.quirk(
                    value,
                    "null-value",
                    format!("`{key}` is null; read as an empty list"),
                );
            }
            Loose::Scalar(_) | Loose::NonString(_) => {
                self.quirk(
                    value,
                    "scalar-for-list",
                    format!("`{key}` is a single string, not a list; read as a list of one"),
                );
                self.collect(key, value, &mut items);
            }
            Loose::List(list) => {
                let nested = list.iter().any(|item| matches!(item.value, Loose::List(_)));
                if nested {
                    self.quirk(
                        value,
                        "nested-list",
                        format!("`{key}` holds nested lists; read flattened"),
                    );
                }
                self.collect(key, value, &mut items);
            }
            Loose::Map => {
                self.diagnostics.push(
                    at(
                        Diagnostic::warning(
                            "wrong-type",
                            format!(
                                "`{key}` must be a list of strings, found a mapping; read as empty"
                            ),
                        ),
                        value,
                    )
                    .with_help(format!("write `{key}:` followed by `- item` lines")),
                );
            }
        }
        items
    }

    fn collect(&mut self, key: &str, value: &Spanned<Loose>, items: &mut Vec<(String, Span)>) {
        match &value.value {
            Loose::List(list) => {
                for item in list {
                    self.collect(key, item, items);
                }
            }
            Loose::Scalar(_) | Loose::NonString(_) => {
                if let Some(text) = self.scalar_text(value).map(|t| t.trim().to_owned())
                    && !text.is_empty()
                {
                    items.push((text, yaml::byte_span(value).unwrap_or_default()));
                }
            }
            Loose::Null => {}
            Loose::Map => {
                self.diagnostics.push(
                    at(
                        Diagnostic::warning(
                            "wrong-type",
                            format!("an entry of `{key}` is a mapping, not a string; skipped"),
                        ),
                        value,
                    )
                    .with_help("list entries must be plain strings"),
                );
            }
        }
    }

    fn quirk(&mut self, value: &Spanned<Loose>, code: &'static str, message: String) {
        self.diagnostics.push(
            at(Diagnostic::warning(code, message), value)
                .with_help("normalised; fix the file so other tools read it the same way"),
        );
    }
}
