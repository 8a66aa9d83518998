//! Compiles a parsed SPL pipeline into stages the runner executes, refusing (with the
//! reason) anything it would not run exactly: unsupported commands, options or functions,
//! undefined macros, missing lookups, parse errors. Also derives each rule's selector, the
//! sourcetypes, sources and event ids its base search needs, used to skip rules per event.

use std::collections::{BTreeSet, HashMap};
use std::path::PathBuf;
use std::sync::Arc;

use rulescope_model::Severity;
use rulescope_spl::{
    AggArg, ArgsCommand, BinCommand, CmdOption, Command, CompareOp, Expr, FieldItem, MacroTable,
    ParseOptions, Pattern, StatsCommand,
};

use crate::eval::FUNCTIONS;
use crate::regex::Regex;
use crate::search::Search;
use crate::value::glob_match_ci;

/// How `stats`-family aggregates attach to rows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StatsKind {
    Stats,
    EventStats,
    StreamStats,
}

#[derive(Clone, Debug)]
pub enum AggInput {
    /// Bare `count`.
    None,
    /// A field name, possibly with `*`.
    Field(String),
    Eval(Expr),
}

#[derive(Clone, Debug)]
pub struct Agg {
    pub func: String,
    pub input: AggInput,
    /// The output name; may hold `*` for wildcard inputs.
    pub name: String,
}

#[derive(Clone, Debug)]
pub struct StatsSpec {
    pub kind: StatsKind,
    pub aggs: Vec<Agg>,
    pub by: Vec<String>,
    /// streamstats `window=`
    pub window: usize,
    /// streamstats `current=`
    pub current: bool,
}

#[derive(Clone, Debug)]
pub struct SortKey {
    pub field: String,
    pub desc: bool,
    pub numeric: Option<bool>,
}

/// A CSV lookup table: header and rows.
#[derive(Debug)]
pub struct LookupTable {
    pub header: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

#[derive(Debug)]
pub enum Stage {
    Search(Search),
    Where(Expr),
    Eval(Vec<(String, Expr)>),
    /// `table` (keep exactly, in order) or `fields` (keep, or remove with `-`).
    Fields {
        patterns: Vec<String>,
        table: bool,
        remove: bool,
    },
    Rename(Vec<(String, String)>),
    Bin {
        field: String,
        alias: String,
        span: f64,
    },
    Rex {
        field: String,
        regex: Regex,
        max_match: usize,
    },
    RexSed {
        field: String,
        regex: Regex,
        replacement: String,
        global: bool,
    },
    Regex {
        field: String,
        regex: Regex,
        negated: bool,
    },
    Lookup {
        table: Arc<LookupTable>,
        /// (table column, row field)
        inputs: Vec<(String, String)>,
        outputs: Vec<(String, String)>,
        output_new: bool,
    },
    Stats(StatsSpec),
    Sort {
        keys: Vec<SortKey>,
        limit: usize,
    },
    Dedup {
        fields: Vec<String>,
        count: usize,
        keep_empty: bool,
    },
    Head(usize),
    Fillnull {
        value: String,
        fields: Vec<String>,
    },
    Mvexpand {
        field: String,
        limit: usize,
    },
}

/// A rule ready to run.
#[derive(Debug)]
pub struct Plan {
    pub stages: Vec<Stage>,
    /// A short text per stage for the funnel.
    pub labels: Vec<String>,
    pub selector: Selector,
    /// What an event header decides of the base search.
    pub header: crate::search::Skeleton,
}

/// What the base search needs of an event, as necessary conditions: an event outside
/// them cannot match. `None` is "anything".
#[derive(Clone, Debug, Default)]
pub struct Selector {
    pub codes: Option<BTreeSet<u32>>,
    pub sourcetypes: Option<Vec<String>>,
    pub sources: Option<Vec<String>>,
}

impl Selector {
    /// Whether an event with these header values may match. `mentions_event_ids` events
    /// could match a raw event-id phrase of another id, so codes do not exclude them.
    pub fn admits(
        &self,
        sourcetype: &str,
        source: &str,
        code: Option<u32>,
        mentions: bool,
    ) -> bool {
        let fits = |pats: &Option<Vec<String>>, v: &str| {
            pats.as_ref()
                .is_none_or(|p| p.iter().any(|p| glob_match_ci(p.as_bytes(), v.as_bytes())))
        };
        let code_ok = mentions
            || self
                .codes
                .as_ref()
                .is_none_or(|c| code.is_some_and(|code| c.contains(&code)));
        code_ok && fits(&self.sourcetypes, sourcetype) && fits(&self.sources, source)
    }

    fn from_search(s: &Search) -> Selector {
        match s {
            Search::And(items) => {
                let parts: Vec<Selector> = items.iter().map(Selector::from_search).collect();
                let mut out = Selector::default();
                for p in parts {
                    out.codes = match (out.codes, p.codes) {
                        (Some(a), Some(b)) => Some(a.intersection(&b).copied().collect()),
                        (a, b) => a.or(b),
                    };
                    out.sourcetypes = out.sourcetypes.or(p.sourcetypes);
                    out.sources = out.sources.or(p.sources);
                }
                out
            }
            Search::Or(items) => {
                let parts: Vec<Selector> = items.iter().map(Selector::from_search).collect();
                let union_codes = parts
                    .iter()
                    .map(|p| p.codes.clone())
                    .collect::<Option<Vec<_>>>()
                    .map(|sets| sets.into_iter().flatten().collect());
                let union_pats = |get: fn(&Selector) -> &Option<Vec<String>>| {
                    parts
                        .iter()
                        .map(|p| get(p).clone())
                        .collect::<Option<Vec<_>>>()
                        .map(|v| v.into_iter().flatten().collect())
                };
                Selector {
                    codes: union_codes,
                    sourcetypes: union_pats(|p| &p.sourcetypes),
                    sources: union_pats(|p| &p.sources),
                }
            }
            Search::Raw(p) => Selector {
                codes: event_code_phrase(p.text()).map(|c| BTreeSet::from([c])),
                ..Selector::default()
            },
            Search::Compare {
                field,
                op: CompareOp::Eq,
                value,
            } => Selector::for_field(field, std::slice::from_ref(value)),
            Search::In { field, values } => Selector::for_field(field, values.values()),
            _ => Selector::default(),
        }
    }

    fn for_field(field: &str, values: &[String]) -> Selector {
        let mut out = Selector::default();
        match field {
            "EventCode" | "EventID" | "signature_id" => {
                out.codes = values
                    .iter()
                    .map(|v| v.parse().ok())
                    .collect::<Option<BTreeSet<u32>>>();
            }
            "sourcetype" => out.sourcetypes = Some(values.to_vec()),
            "source" => out.sources = Some(values.to_vec()),
            _ => {}
        }
        out
    }
}

/// The event id a raw-text phrase names (`EventCode=4688`, `<EventID>4688<`, ...).
pub fn event_code_phrase(text: &str) -> Option<u32> {
    let t = text.to_ascii_lowercase();
    let rest = ["eventcode=", "<eventid>", "eventid>", "eventid="]
        .iter()
        .find_map(|p| t.strip_prefix(p))?;
    let digits = rest.strip_suffix('<').unwrap_or(rest);
    (!digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()))
        .then(|| digits.parse().ok())
        .flatten()
}

/// Where lookups come from; tables are read once.
#[derive(Default)]
pub struct Lookups {
    pub dir: Option<PathBuf>,
    cache: HashMap<String, Arc<LookupTable>>,
}

impl Lookups {
    pub fn new(dir: Option<PathBuf>) -> Self {
        Lookups {
            dir,
            cache: HashMap::new(),
        }
    }

    fn get(&mut self, name: &str) -> Result<Arc<LookupTable>, String> {
        if let Some(t) = self.cache.get(name) {
            return Ok(t.clone());
        }
        let dir = self
            .dir
            .as_ref()
            .ok_or_else(|| format!("lookup `{name}` not found (no --lookups directory)"))?;
        let path = [dir.join(name), dir.join(format!("{name}.csv"))]
            .into_iter()
            .find(|p| p.is_file())
            .ok_or_else(|| format!("lookup `{name}` not found in {}", dir.display()))?;
        let mut reader = csv::ReaderBuilder::new()
            .flexible(true)
            .from_path(&path)
            .map_err(|e| format!("lookup `{name}`: {e}"))?;
        let header: Vec<String> = reader
            .headers()
            .map_err(|e| format!("lookup `{name}`: {e}"))?
            .iter()
            .map(str::to_owned)
            .collect();
        let rows = reader
            .records()
            .filter_map(Result::ok)
            .map(|r| r.iter().map(str::to_owned).collect())
            .collect();
        let table = Arc::new(LookupTable { header, rows });
        self.cache.insert(name.to_owned(), table.clone());
        Ok(table)
    }
}

/// Parses and compiles a query; `Err` says why the rule is not evaluable.
pub fn compile(query: &str, macros: &MacroTable, lookups: &mut Lookups) -> Result<Plan, String> {
    let parsed = rulescope_spl::parse_with(
        query,
        &ParseOptions {
            macros: Some(macros),
        },
    );
    if let Some(d) = parsed
        .diagnostics
        .iter()
        .find(|d| d.severity == Severity::Error)
    {
        return Err(format!("parse error: {}", d.message));
    }
    let mut stages = Vec::new();
    let mut labels = Vec::new();
    for stage in &parsed.pipeline.stages {
        // Labels quote the rule as written, macros unexpanded.
        let span = parsed.tree_span_to_query(stage.span);
        let text = query
            .get(span.start as usize..span.end as usize)
            .unwrap_or("")
            .trim()
            .trim_start_matches('|')
            .trim();
        let label: String = if text.chars().count() > 60 {
            text.chars().take(57).chain("...".chars()).collect()
        } else {
            text.to_owned()
        };
        let compiled = compile_command(&stage.command, lookups)?;
        stages.push(compiled);
        labels.push(label);
    }
    let (selector, header) = match stages.first() {
        Some(Stage::Search(s)) => (Selector::from_search(s), crate::search::Skeleton::of(s)),
        _ => (Selector::default(), crate::search::Skeleton::Open),
    };
    Ok(Plan {
        stages,
        labels,
        selector,
        header,
    })
}

fn not_supported(what: impl std::fmt::Display) -> String {
    format!("not supported: {what}")
}

fn compile_command(cmd: &Command, lookups: &mut Lookups) -> Result<Stage, String> {
    Ok(match cmd {
        Command::Search(s) => Stage::Search(match &s.expr {
            Some(e) => Search::compile(e)?,
            None => Search::All,
        }),
        Command::Where(w) => {
            check_expr(&w.expr)?;
            Stage::Where(w.expr.clone())
        }
        Command::Eval(e) => {
            let mut out = Vec::new();
            for a in &e.assignments {
                check_expr(&a.value)?;
                out.push((a.field.name.clone(), a.value.clone()));
            }
            Stage::Eval(out)
        }
        Command::Fields(f) => Stage::Fields {
            patterns: field_items(&f.fields)?,
            table: f.name.text.eq_ignore_ascii_case("table"),
            remove: f.sign == Some('-'),
        },
        Command::Rename(r) => Stage::Rename(
            r.pairs
                .iter()
                .map(|p| (p.from.name.clone(), p.to.name.clone()))
                .collect(),
        ),
        Command::Bin(b) => compile_bin(b)?,
        Command::Rex(r) => {
            let opts = options(&r.options)?;
            let field = opts.get("field").cloned().unwrap_or_else(|| "_raw".into());
            let pattern = pattern_text(&r.pattern);
            if opts.get("mode").is_some_and(|m| m == "sed") {
                compile_sed(field, &pattern)?
            } else {
                let max_match = match opts.get("max_match") {
                    Some(n) => n.parse().map_err(|_| not_supported("rex max_match"))?,
                    None => 1,
                };
                if let Some(k) = opts
                    .keys()
                    .find(|k| !["field", "max_match"].contains(&k.as_str()))
                {
                    return Err(not_supported(format!("rex {k}=")));
                }
                Stage::Rex {
                    field,
                    regex: Regex::new(&pattern)?,
                    max_match,
                }
            }
        }
        Command::Regex(r) => Stage::Regex {
            field: r.field.as_ref().map_or("_raw".into(), |f| f.name.clone()),
            regex: Regex::new(&pattern_text(&r.pattern))?,
            negated: r.negated,
        },
        Command::Lookup(l) => {
            if !l.options.is_empty() {
                return Err(not_supported("lookup options"));
            }
            let table = lookups.get(&l.table.text)?;
            let pair = |f: &rulescope_spl::LookupField| {
                (
                    f.field.name.clone(),
                    f.alias.as_ref().unwrap_or(&f.field).name.clone(),
                )
            };
            let inputs: Vec<_> = l.inputs.iter().map(pair).collect();
            let (outputs, output_new) = match &l.output {
                Some((kw, fields)) => (
                    fields.iter().map(pair).collect(),
                    kw.text.eq_ignore_ascii_case("outputnew"),
                ),
                None => (
                    table
                        .header
                        .iter()
                        .filter(|h| !inputs.iter().any(|(c, _)| c == *h))
                        .map(|h| (h.clone(), h.clone()))
                        .collect(),
                    false,
                ),
            };
            Stage::Lookup {
                table,
                inputs,
                outputs,
                output_new,
            }
        }
        Command::Stats(s) => compile_stats(s)?,
        Command::Sort(s) => {
            let limit = match &s.count {
                Some(c) => c.text.parse().map_err(|_| not_supported("sort count"))?,
                None => 10_000,
            };
            let trailing_desc = s.desc.is_some();
            Stage::Sort {
                keys: s
                    .keys
                    .iter()
                    .map(|k| SortKey {
                        field: k.field.name.clone(),
                        desc: (k.sign == Some('-')) ^ trailing_desc,
                        numeric: k.func.as_ref().and_then(|f| match f.text.as_str() {
                            "num" => Some(true),
                            "str" => Some(false),
                            _ => None,
                        }),
                    })
                    .collect(),
                limit: if limit == 0 { usize::MAX } else { limit },
            }
        }
        Command::Args(a) => compile_args(a)?,
        Command::Macro(m) => return Err(format!("macro `{}` is not defined", m.name)),
        other => return Err(not_supported(other.name())),
    })
}

fn compile_args(a: &ArgsCommand) -> Result<Stage, String> {
    let name = a.name.text.to_ascii_lowercase();
    let opts = options(&a.options)?;
    let fields = field_items(&a.fields)?;
    let count = |default: usize| -> Result<usize, String> {
        match a
            .count
            .as_ref()
            .map(|c| c.text.as_str())
            .or(opts.get("limit").map(String::as_str))
        {
            Some(n) => n
                .parse()
                .map_err(|_| not_supported(format!("{name} count"))),
            None => Ok(default),
        }
    };
    let only = |allowed: &[&str]| match opts.keys().find(|k| !allowed.contains(&k.as_str())) {
        Some(k) => Err(not_supported(format!("{name} {k}="))),
        None => Ok(()),
    };
    Ok(match name.as_str() {
        "dedup" => {
            only(&["keepempty"])?;
            Stage::Dedup {
                fields,
                count: count(1)?,
                keep_empty: opts.get("keepempty").is_some_and(|v| is_true(v)),
            }
        }
        "head" => {
            only(&["limit"])?;
            if !fields.is_empty() {
                return Err(not_supported("head with an expression"));
            }
            Stage::Head(count(10)?)
        }
        "fillnull" => {
            only(&["value"])?;
            Stage::Fillnull {
                value: opts.get("value").cloned().unwrap_or_else(|| "0".into()),
                fields,
            }
        }
        "mvexpand" => {
            only(&["limit"])?;
            match fields.as_slice() {
                [field] => Stage::Mvexpand {
                    field: field.clone(),
                    limit: count(usize::MAX)?,
                },
                _ => return Err(not_supported("mvexpand without one field")),
            }
        }
        other => return Err(not_supported(other)),
    })
}

fn is_true(v: &str) -> bool {
    matches!(v.to_ascii_lowercase().as_str(), "t" | "true" | "1" | "yes")
}

fn options(opts: &[CmdOption]) -> Result<HashMap<String, String>, String> {
    let mut out = HashMap::new();
    for o in opts {
        match o {
            CmdOption::Pair { key, value, .. } => {
                out.insert(key.text.to_ascii_lowercase(), value.text());
            }
            CmdOption::Macro(m) => return Err(format!("macro `{}` is not defined", m.name)),
        }
    }
    Ok(out)
}

fn field_items(items: &[FieldItem]) -> Result<Vec<String>, String> {
    items
        .iter()
        .map(|i| match i {
            FieldItem::Field(f) => Ok(f.name.clone()),
            FieldItem::Macro(m) => Err(format!("macro `{}` is not defined", m.name)),
        })
        .collect()
}

/// A `bin`/`bucket` span in seconds (or plain units for numeric fields).
pub fn parse_span(text: &str) -> Option<f64> {
    let t = text.trim().to_ascii_lowercase();
    let split = t
        .find(|c: char| !c.is_ascii_digit() && c != '.')
        .unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let n: f64 = num.parse().ok()?;
    let scale = match unit {
        "" | "s" | "sec" | "secs" | "second" | "seconds" => 1.0,
        "m" | "min" | "mins" | "minute" | "minutes" => 60.0,
        "h" | "hr" | "hrs" | "hour" | "hours" => 3600.0,
        "d" | "day" | "days" => 86_400.0,
        _ => return None,
    };
    (n > 0.0).then_some(n * scale)
}

fn compile_bin(b: &BinCommand) -> Result<Stage, String> {
    let opts = options(&b.options)?;
    if let Some(k) = opts.keys().find(|k| k.as_str() != "span") {
        return Err(not_supported(format!("bin {k}=")));
    }
    let span = opts
        .get("span")
        .ok_or_else(|| not_supported("bin without span"))?;
    let span = parse_span(span).ok_or_else(|| not_supported(format!("bin span={span}")))?;
    let field = b.field.as_ref().map_or("_time".into(), |f| f.name.clone());
    let alias = b.alias.as_ref().map_or(field.clone(), |f| f.name.clone());
    Ok(Stage::Bin { field, alias, span })
}

fn compile_stats(s: &StatsCommand) -> Result<Stage, String> {
    let kind = match s.name.text.to_ascii_lowercase().as_str() {
        "stats" => StatsKind::Stats,
        "eventstats" => StatsKind::EventStats,
        "streamstats" => StatsKind::StreamStats,
        other => return Err(not_supported(other)),
    };
    let mut opts = options(&s.options)?;
    opts.extend(options(&s.by_options)?);
    let window = match opts.remove("window") {
        Some(w) => w.parse().map_err(|_| not_supported("window"))?,
        None => 0,
    };
    let current = opts.remove("current").is_none_or(|c| is_true(&c));
    if kind != StatsKind::StreamStats && (window != 0 || !current) {
        return Err(not_supported("window/current outside streamstats"));
    }
    if let Some(k) = opts.keys().next() {
        return Err(not_supported(format!("{} {k}=", s.name.text)));
    }
    let mut aggs = Vec::new();
    for a in &s.aggregations {
        let func = match a.func.text.to_ascii_lowercase().as_str() {
            "c" => "count".to_owned(),
            "distinct_count" => "dc".to_owned(),
            "mean" => "avg".to_owned(),
            f => f.to_owned(),
        };
        if !AGGS.contains(&func.as_str()) {
            return Err(not_supported(format!("stats function {func}")));
        }
        let input = match a.args.as_deref() {
            None | Some([]) => AggInput::None,
            Some([AggArg::Field(f)]) => AggInput::Field(f.name.clone()),
            Some([AggArg::Eval(e, _)]) => {
                check_expr(e)?;
                AggInput::Eval(e.clone())
            }
            Some(_) => return Err(not_supported(format!("{func} with several arguments"))),
        };
        let default_name = match &input {
            AggInput::None => func.clone(),
            AggInput::Field(f) => format!("{func}({f})"),
            AggInput::Eval(_) => format!("{func}(eval)"),
        };
        aggs.push(Agg {
            name: a.alias.as_ref().map_or(default_name, |f| f.name.clone()),
            func,
            input,
        });
    }
    Ok(Stage::Stats(StatsSpec {
        kind,
        aggs,
        by: field_items(&s.by)?,
        window,
        current,
    }))
}

/// The stats functions the runner implements.
pub const AGGS: &[&str] = &[
    "count", "dc", "values", "list", "min", "max", "earliest", "latest", "first", "last", "sum",
    "avg", "range", "stdev", "var",
];

/// Checks that every function of an expression is implemented and no macro is left.
fn check_expr(e: &Expr) -> Result<(), String> {
    match e {
        Expr::Call { name, args, .. } => {
            let lower = name.text.to_ascii_lowercase();
            if !FUNCTIONS.contains(&lower.as_str()) {
                return Err(not_supported(format!("function {lower}()")));
            }
            args.iter().try_for_each(check_expr)
        }
        Expr::Unary { expr, .. } | Expr::Paren(expr, _) => check_expr(expr),
        Expr::Binary { lhs, rhs, .. } => {
            check_expr(lhs)?;
            check_expr(rhs)
        }
        Expr::In { expr, list, .. } => {
            check_expr(expr)?;
            list.iter().try_for_each(check_expr)
        }
        Expr::Macro(m) => Err(format!("macro `{}` is not defined", m.name)),
        Expr::Error(_) => Err("parse error in an expression".into()),
        Expr::Field(_) | Expr::Str(_) | Expr::Num(_) => Ok(()),
    }
}

/// The regex of `rex`/`regex` as Splunk reads the argument: quoted segments lose their
/// quotes (with `\"` and `\\` resolved) and join the unquoted ones, so the armory's
/// `(?<x>"...")` and `"..."` + stray `)` forms both become the intended regex.
pub fn pattern_text(p: &Pattern) -> String {
    if let Some(v) = p.quoted_value() {
        return v;
    }
    let mut out = String::with_capacity(p.raw.len());
    let mut in_quotes = false;
    let mut chars = p.raw.trim().chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' => in_quotes = !in_quotes,
            '\\' if in_quotes && matches!(chars.peek(), Some('"' | '\\')) => {
                if let Some(n) = chars.next() {
                    out.push(n);
                }
            }
            c => out.push(c),
        }
    }
    out
}

/// `s/regex/replacement/flags` for `rex mode=sed`.
fn compile_sed(field: String, expr: &str) -> Result<Stage, String> {
    let body = expr
        .strip_prefix("s/")
        .ok_or_else(|| not_supported("rex mode=sed other than s///"))?;
    let mut parts = Vec::new();
    let mut current = String::new();
    let mut chars = body.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                if let Some(n) = chars.next() {
                    if n != '/' {
                        current.push('\\');
                    }
                    current.push(n);
                }
            }
            '/' => parts.push(std::mem::take(&mut current)),
            c => current.push(c),
        }
    }
    parts.push(current);
    let [regex, replacement, flags] = parts.as_slice() else {
        return Err(not_supported("malformed sed expression"));
    };
    Ok(Stage::RexSed {
        field,
        regex: Regex::new(regex)?,
        replacement: replacement.clone(),
        global: flags.contains('g'),
    })
}
