//! Data flow through an SPL pipeline: which fields exist after each stage, so that a field
//! used after `table`, `fields`, `stats` or `rename` dropped it is reported, and so is a
//! field computed by `eval` that nothing uses.
//!
//! The set of fields starts open (whatever the data has). `table`/`fields` close it to
//! their list, `stats` to its outputs and by-fields (`values(*) as *` carries what exists),
//! `fields -` and `rename` remove names. Commands whose outputs are unknown here (macros,
//! lookups without OUTPUT, joins, generic commands) reopen it.

use rulescope_model::Span;
use rulescope_spl::{
    AggArg, Command, Expr, FieldItem, FieldName, Parsed, SearchExpr, Stage, StatsCommand,
};

use crate::finding::{At, Hit};

/// A field read by a stage.
#[derive(Clone, Debug)]
pub(crate) struct Read {
    pub name: String,
    pub span: Span,
    /// Straight from the events: no earlier stage computed or renamed it.
    pub from_data: bool,
    /// Reported as dropped by an earlier stage.
    pub dropped: bool,
}

/// The stage that closed or narrowed the field set.
#[derive(Clone, Debug)]
struct Dropper {
    stage: usize,
    command: String,
}

#[derive(Default)]
struct Flow {
    /// `None` while any field may exist; else the names (with `*` wildcards) that do.
    closed: Option<(Vec<String>, Dropper)>,
    /// Names removed by `fields -` or `rename`, with the stage that removed them.
    removed: Vec<(String, Dropper)>,
    /// Names computed or renamed by the pipeline so far.
    derived: Vec<String>,
    /// An opaque stage ran: fields read after it may come from it, not from the events.
    opaque: bool,
    /// Fields computed by eval and not read yet: name and assignment span.
    unread_evals: Vec<(String, Span)>,
    reads: Vec<Read>,
}

pub(super) fn check(parsed: &Parsed, hits: &mut Vec<Hit>) -> Vec<Read> {
    let mut flow = Flow::default();
    for (index, stage) in parsed.pipeline.stages.iter().enumerate() {
        flow.stage(index, stage, hits);
    }
    flow.reads
}

impl Flow {
    /// Why `name` is missing, when it is.
    fn missing(&self, name: &str) -> Option<&Dropper> {
        if let Some((_, dropper)) = self.removed.iter().rev().find(|(n, _)| n == name) {
            return Some(dropper);
        }
        match &self.closed {
            Some((names, dropper)) if !names.iter().any(|n| glob_match(n, name)) => Some(dropper),
            _ => None,
        }
    }

    fn read(&mut self, index: usize, command: &str, field: &FieldName, hits: &mut Vec<Hit>) {
        let name = field.name.as_str();
        if name.contains('*') || name.starts_with("<<") {
            return;
        }
        self.unread_evals.retain(|(n, _)| n != name);
        let missing = self.missing(name);
        let dropped = missing.is_some();
        if let Some(dropper) = missing {
            let effect = if matches!(command, "where" | "search" | "regex") {
                "this condition always sees it empty"
            } else {
                "it is always empty here"
            };
            hits.push(
                Hit::new(
                    "field-dropped",
                    format!(
                        "`{name}` no longer exists at stage {index} (`{command}`): stage {} (`{}`) dropped it, so {effect}",
                        dropper.stage, dropper.command
                    ),
                    At::Query(field.span),
                )
                .help(format!(
                    "keep `{name}` in stage {}, or use it before that stage",
                    dropper.stage
                )),
            );
        }
        self.reads.push(Read {
            name: name.to_owned(),
            span: field.span,
            from_data: !self.opaque && !self.derived.iter().any(|d| d == name),
            dropped,
        });
    }

    /// A stage creates `name`.
    fn create(&mut self, name: &str) {
        self.removed.retain(|(n, _)| n != name);
        if let Some((names, _)) = &mut self.closed
            && !names.iter().any(|n| n == name)
        {
            names.push(name.to_owned());
        }
        if !self.derived.iter().any(|d| d == name) {
            self.derived.push(name.to_owned());
        }
    }

    /// Anything may exist and anything may have been read: an opaque stage.
    fn reopen(&mut self) {
        self.opaque = true;
        self.closed = None;
        self.removed.clear();
        self.unread_evals.clear();
    }

    /// The set becomes `names`; eval fields outside it that nobody read are reported.
    fn close(&mut self, names: Vec<String>, dropper: Dropper, hits: &mut Vec<Hit>) {
        let (kept, lost): (Vec<_>, Vec<_>) = std::mem::take(&mut self.unread_evals)
            .into_iter()
            .partition(|(n, _)| names.iter().any(|p| glob_match(p, n)));
        self.unread_evals = kept;
        for (name, span) in lost {
            hits.push(
                Hit::new(
                    "eval-unused",
                    format!(
                        "`{name}` is computed here but never used: stage {} (`{}`) drops it before anything reads it",
                        dropper.stage, dropper.command
                    ),
                    At::Query(span),
                )
                .help(format!("use `{name}`, keep it in stage {}, or remove the assignment", dropper.stage)),
            );
        }
        self.removed.clear();
        self.closed = Some((names, dropper));
    }

    fn stage(&mut self, index: usize, stage: &Stage, hits: &mut Vec<Hit>) {
        let command = stage.command.name();
        let dropper = || Dropper {
            stage: index,
            command: command.clone(),
        };
        match &stage.command {
            Command::Search(search) => {
                if let Some(expr) = &search.expr {
                    for field in search_fields(expr) {
                        self.read(index, &command, field, hits);
                    }
                }
            }
            Command::Where(w) => {
                for field in expr_fields(&w.expr) {
                    self.read(index, &command, field, hits);
                }
            }
            Command::Eval(eval) => {
                for assignment in &eval.assignments {
                    for field in expr_fields(&assignment.value) {
                        self.read(index, &command, field, hits);
                    }
                    let name = assignment.field.name.clone();
                    self.unread_evals.retain(|(n, _)| *n != name);
                    self.create(&name);
                    self.unread_evals.push((name, assignment.field.span));
                }
            }
            Command::Regex(regex) => {
                if let Some(field) = &regex.field {
                    self.read(index, &command, field, hits);
                }
            }
            Command::Rex(rex) => {
                if let Some(field) = option_field(&rex.options, "field") {
                    self.read(index, &command, &field, hits);
                }
                for name in crate::regex_shape::group_names(&rex.pattern.raw) {
                    self.create(&name);
                }
            }
            Command::Rename(rename) => {
                for pair in &rename.pairs {
                    if pair.from.name.contains('*') {
                        self.reopen();
                        continue;
                    }
                    self.read(index, &command, &pair.from, hits);
                    self.removed.push((pair.from.name.clone(), dropper()));
                    if let Some((names, _)) = &mut self.closed {
                        names.retain(|n| *n != pair.from.name);
                    }
                    self.create(&pair.to.name);
                }
            }
            Command::Fields(fields) => {
                let (names, opaque) = listed(&fields.fields);
                if opaque {
                    self.reopen();
                } else if fields.sign == Some('-') {
                    for name in names {
                        self.removed.push((name, dropper()));
                    }
                } else {
                    let mut names = names;
                    // `fields` keeps Splunk's internal fields; `table` does not.
                    if command == "fields" {
                        names.extend(["_time".to_owned(), "_raw".to_owned()]);
                    }
                    self.close(names, dropper(), hits);
                }
            }
            Command::Stats(stats) => self.stats(index, &command, stats, hits),
            Command::Bin(bin) => {
                if let Some(field) = &bin.field {
                    self.read(index, &command, field, hits);
                }
                if let Some(alias) = &bin.alias {
                    self.create(&alias.name);
                }
            }
            Command::Sort(sort) => {
                for key in &sort.keys {
                    self.read(index, &command, &key.field, hits);
                }
            }
            Command::Lookup(lookup) => {
                // `lookup table key AS field`: the event's field is the alias.
                for input in &lookup.inputs {
                    self.read(
                        index,
                        &command,
                        input.alias.as_ref().unwrap_or(&input.field),
                        hits,
                    );
                }
                match &lookup.output {
                    Some((_, outputs)) => {
                        for output in outputs {
                            self.create(&output.alias.as_ref().unwrap_or(&output.field).name);
                        }
                    }
                    None => self.reopen(),
                }
            }
            // Unknown outputs: macros, joins, templates and generic commands.
            _ => self.reopen(),
        }
    }

    fn stats(&mut self, index: usize, command: &str, stats: &StatsCommand, hits: &mut Vec<Hit>) {
        let mut outputs = Vec::new();
        let mut carries_all = false;
        for agg in &stats.aggregations {
            let mut arg_text = String::new();
            for arg in agg.args.iter().flatten() {
                match arg {
                    AggArg::Field(field) if field.name.contains('*') => carries_all = true,
                    AggArg::Field(field) => {
                        self.read(index, command, field, hits);
                        arg_text = field.name.clone();
                    }
                    AggArg::Eval(expr, _) => {
                        for field in expr_fields(expr) {
                            self.read(index, command, field, hits);
                        }
                    }
                }
            }
            outputs.push(match &agg.alias {
                // `values(*) as *` names what it carries, handled below.
                Some(alias) if alias.name.contains('*') => continue,
                Some(alias) => alias.name.clone(),
                None if agg.args.is_none() => agg.func.text.clone(),
                None => format!("{}({arg_text})", agg.func.text),
            });
        }
        let (by, opaque) = listed(&stats.by);
        for item in &stats.by {
            if let FieldItem::Field(field) = item {
                self.read(index, command, field, hits);
            }
        }
        if opaque {
            self.reopen();
            return;
        }
        // eventstats and streamstats add their outputs to every event and keep the rest.
        if matches!(command, "eventstats" | "streamstats") {
            for name in outputs.iter().chain(&by) {
                self.create(name);
            }
            return;
        }
        for name in &outputs {
            self.create(name);
        }
        let mut names: Vec<String> = outputs.into_iter().chain(by).collect();
        if command == "timechart" {
            names.push("_time".to_owned());
        }
        if carries_all {
            // `values(*) as *` carries what the earlier stage kept; that stage is still the
            // one that dropped the rest.
            if let Some((kept, dropper)) = &self.closed {
                let dropper = dropper.clone();
                names.extend(kept.iter().cloned());
                self.closed = Some((names, dropper));
            }
            return;
        }
        self.close(
            names,
            Dropper {
                stage: index,
                command: command.to_owned(),
            },
            hits,
        );
    }
}

/// The names of a field list, and whether a macro in it makes the list unknown.
fn listed(items: &[FieldItem]) -> (Vec<String>, bool) {
    let mut names = Vec::new();
    let mut opaque = false;
    for item in items {
        match item {
            FieldItem::Field(f) => names.push(f.name.clone()),
            FieldItem::Macro(_) => opaque = true,
        }
    }
    (names, opaque)
}

/// `field=x` among a command's options, as a field name.
fn option_field(options: &[rulescope_spl::CmdOption], key: &str) -> Option<FieldName> {
    options.iter().find_map(|o| match o {
        rulescope_spl::CmdOption::Pair { key: k, value, .. }
            if k.text.eq_ignore_ascii_case(key) =>
        {
            Some(FieldName {
                name: value.text(),
                quote: rulescope_spl::Quote::None,
                span: value.span(),
            })
        }
        _ => None,
    })
}

/// Fields compared in a search expression.
fn search_fields(expr: &SearchExpr) -> Vec<&FieldName> {
    fn walk<'e>(expr: &'e SearchExpr, out: &mut Vec<&'e FieldName>) {
        match expr {
            SearchExpr::And(items, _) | SearchExpr::Or(items, _) => {
                items.iter().for_each(|i| walk(i, out))
            }
            SearchExpr::Not(inner, _) | SearchExpr::Group(inner, _) => walk(inner, out),
            SearchExpr::Compare { field, .. } | SearchExpr::In { field, .. } => out.push(field),
            _ => {}
        }
    }
    let mut out = Vec::new();
    walk(expr, &mut out);
    out
}

/// Fields an eval/where expression reads.
pub(super) fn expr_fields(expr: &Expr) -> Vec<&FieldName> {
    fn walk<'e>(expr: &'e Expr, out: &mut Vec<&'e FieldName>) {
        match expr {
            Expr::Field(f) => out.push(f),
            Expr::Call { args, .. } => args.iter().for_each(|a| walk(a, out)),
            Expr::Unary { expr, .. } | Expr::Paren(expr, _) => walk(expr, out),
            Expr::Binary { lhs, rhs, .. } => {
                walk(lhs, out);
                walk(rhs, out);
            }
            Expr::In { expr, list, .. } => {
                walk(expr, out);
                list.iter().for_each(|a| walk(a, out));
            }
            Expr::Str(_) | Expr::Num(_) | Expr::Macro(_) | Expr::Error(_) => {}
        }
    }
    let mut out = Vec::new();
    walk(expr, &mut out);
    out
}

/// `*`-wildcard match of a field name.
fn glob_match(pattern: &str, name: &str) -> bool {
    let Some((head, rest)) = pattern.split_once('*') else {
        return pattern == name;
    };
    let Some(mut remainder) = name.strip_prefix(head) else {
        return false;
    };
    let parts: Vec<&str> = rest.split('*').collect();
    for (i, part) in parts.iter().enumerate() {
        if i + 1 == parts.len() {
            return remainder.len() >= part.len() && remainder.ends_with(part);
        }
        match remainder.find(part) {
            Some(at) => remainder = &remainder[at + part.len()..],
            None => return false,
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    fn codes(query: &str) -> Vec<(String, String)> {
        let parsed = rulescope_spl::parse(query);
        let mut hits = Vec::new();
        check(&parsed, &mut hits);
        hits.into_iter()
            .map(|h| {
                let span = match h.at {
                    At::Query(s) => s.slice(query).to_owned(),
                    _ => String::new(),
                };
                (h.code.into_owned(), span)
            })
            .collect()
    }

    #[test]
    fn table_then_stats_then_where_on_a_field_table_lacked() {
        let found = codes(
            "`m` x=1 | table _time, host, user | bin span=1s | stats values(*) as * by _time, host | where match(process, \"a\") and user=\"b\"",
        );
        assert_eq!(found, [("field-dropped".to_owned(), "process".to_owned())]);
    }

    #[test]
    fn stats_and_rename_drop_fields() {
        let found = codes("x | stats count by host | where user=\"a\"");
        assert_eq!(found, [("field-dropped".to_owned(), "user".to_owned())]);
        let found = codes("x | rename user as u | where user=\"a\" | where u=\"b\"");
        assert_eq!(found, [("field-dropped".to_owned(), "user".to_owned())]);
        let found = codes("x | fields - user | search user=a");
        assert_eq!(found, [("field-dropped".to_owned(), "user".to_owned())]);
    }

    #[test]
    fn eval_fields_used_kept_or_lost() {
        // Read by where: used.
        assert!(codes("x | eval a=b | where a=1 | table host").is_empty());
        // Dropped by table before any read: unused.
        assert_eq!(
            codes("x | eval a=b, c=d | table host, c"),
            [("eval-unused".to_owned(), "a".to_owned())]
        );
        // Still present at the end: an output.
        assert!(codes("x | eval a=b").is_empty());
        // Carried by values(*) through stats: an output.
        assert!(codes("x | eval a=b | table a, host | stats values(*) as * by host").is_empty());
    }

    #[test]
    fn opaque_stages_reopen_the_set() {
        assert!(codes("x | table host | `m` | where user=1").is_empty());
        assert!(codes("x | table host, ip | lookup t ip | where user=1").is_empty());
        assert!(codes("x | table process_* | where process_name=1").is_empty());
        assert!(glob_match("a*b*c", "axxbyyc"));
        assert!(!glob_match("a*b", "ab_c"));
    }
}
