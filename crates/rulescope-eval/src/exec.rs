//! Runs a [`Plan`] as a stream: each event goes through the streaming stages at once and
//! only blocking stages (stats, eventstats, sort, fillnull without fields) hold rows, so
//! memory follows their state, not the input. Counts what enters and leaves every stage.

use std::borrow::Cow;
use std::collections::{BTreeSet, HashMap, VecDeque};
use std::sync::Arc;

use indexmap::IndexMap;

use crate::eval::{Ctx, eval};
use crate::event::{Event, Fields};
use crate::plan::{Agg, AggInput, Plan, SortKey, Stage, StatsKind, StatsSpec};
use crate::regex::RegexError;
use crate::value::{Value, cmp_text, fmt_num, glob_match, wildcard_capture};

/// A row in flight: shared with the event until a stage changes it.
type Row = Arc<Fields>;

/// Result rows kept per rule; further rows are counted only.
pub const MAX_KEPT_ROWS: usize = 10_000;

/// One aggregate's running state.
#[derive(Clone, Debug)]
enum AggState {
    Count(u64),
    Set(BTreeSet<String>),
    List(Vec<String>),
    MinMax {
        num: Option<f64>,
        text: Option<String>,
    },
    Sum(Option<f64>),
    Moments {
        n: u64,
        mean: f64,
        m2: f64,
    },
    Timed(Option<(f64, Value)>),
    Seen(Option<Value>),
    Range(Option<(f64, f64)>),
}

/// Splunk caps `list()` at 100 values.
const LIST_LIMIT: usize = 100;

impl AggState {
    fn new(func: &str) -> Self {
        match func {
            "count" => AggState::Count(0),
            "dc" | "values" => AggState::Set(BTreeSet::new()),
            "list" => AggState::List(Vec::new()),
            "min" | "max" => AggState::MinMax {
                num: None,
                text: None,
            },
            "sum" => AggState::Sum(None),
            "avg" | "stdev" | "var" => AggState::Moments {
                n: 0,
                mean: 0.0,
                m2: 0.0,
            },
            "earliest" | "latest" => AggState::Timed(None),
            "first" | "last" => AggState::Seen(None),
            _ => AggState::Range(None),
        }
    }

    fn add(&mut self, func: &str, v: &Value, time: Option<f64>) {
        if v.is_null() {
            return;
        }
        match self {
            AggState::Count(n) => *n += 1,
            AggState::Set(s) => {
                // Most values repeat: copied only when new.
                v.for_each_text(|t| {
                    if !s.contains(t) {
                        s.insert(t.to_owned());
                    }
                });
            }
            AggState::List(l) => {
                for t in v.texts() {
                    if l.len() < LIST_LIMIT {
                        l.push(t);
                    }
                }
            }
            AggState::MinMax { num, text } => {
                let want_min = func == "min";
                v.for_each_text(|t| match crate::value::parse_num(t) {
                    Some(n) => {
                        *num = Some(match *num {
                            Some(m) if want_min => m.min(n),
                            Some(m) => m.max(n),
                            None => n,
                        })
                    }
                    None => {
                        let better = text
                            .as_deref()
                            .is_none_or(|cur| if want_min { t < cur } else { t > cur });
                        if better {
                            *text = Some(t.to_owned());
                        }
                    }
                });
            }
            AggState::Sum(s) => v.for_each_text(|t| {
                if let Some(n) = crate::value::parse_num(t) {
                    *s = Some(s.unwrap_or(0.0) + n);
                }
            }),
            AggState::Moments { n, mean, m2 } => v.for_each_text(|t| {
                if let Some(x) = crate::value::parse_num(t) {
                    *n += 1;
                    let d = x - *mean;
                    *mean += d / *n as f64;
                    *m2 += d * (x - *mean);
                }
            }),
            AggState::Timed(cur) => {
                let t = time.unwrap_or(0.0);
                let replace = cur.as_ref().is_none_or(|(ct, _)| {
                    if func == "earliest" {
                        t < *ct
                    } else {
                        t >= *ct
                    }
                });
                if replace {
                    *cur = Some((t, v.clone()));
                }
            }
            AggState::Seen(cur) => {
                if func == "last" || cur.is_none() {
                    *cur = Some(v.clone());
                }
            }
            AggState::Range(r) => v.for_each_text(|t| {
                if let Some(x) = crate::value::parse_num(t) {
                    *r = Some(r.map_or((x, x), |(lo, hi)| (lo.min(x), hi.max(x))));
                }
            }),
        }
    }

    fn result(&self, func: &str) -> Value {
        match self {
            AggState::Count(n) => Value::Num(*n as f64),
            AggState::Set(s) if func == "dc" => Value::Num(s.len() as f64),
            AggState::Set(s) => Value::from_list(s.iter().cloned().collect()),
            AggState::List(l) => Value::from_list(l.clone()),
            AggState::MinMax { num, text } => match (num, text) {
                (Some(n), _) => Value::Num(*n),
                (None, Some(t)) => Value::Str(t.clone()),
                _ => Value::Null,
            },
            AggState::Sum(s) => s.map_or(Value::Null, Value::Num),
            AggState::Moments { n, mean, m2 } => match (func, *n) {
                (_, 0) => Value::Null,
                ("avg", _) => Value::Num(*mean),
                (_, 1) => Value::Null,
                ("var", n) => Value::Num(m2 / (n - 1) as f64),
                (_, n) => Value::Num((m2 / (n - 1) as f64).sqrt()),
            },
            AggState::Timed(cur) => cur.as_ref().map_or(Value::Null, |(_, v)| v.clone()),
            AggState::Seen(cur) => cur.clone().unwrap_or(Value::Null),
            AggState::Range(r) => r.map_or(Value::Null, |(lo, hi)| Value::Num(hi - lo)),
        }
    }
}

/// Aggregates of one group, by output name.
#[derive(Clone, Debug, Default)]
struct Group {
    by: Vec<Value>,
    aggs: IndexMap<String, (usize, AggState), foldhash::fast::RandomState>,
}

impl Group {
    fn add(&mut self, spec: &StatsSpec, row: &Fields, ctx: &Ctx) {
        let time = row.get("_time").and_then(Value::to_num);
        for (i, agg) in spec.aggs.iter().enumerate() {
            match &agg.input {
                AggInput::None => {
                    self.slot(i, agg, &agg.name)
                        .add("count", &Value::Str(String::new()), time)
                }
                AggInput::Eval(e) => {
                    let v = eval(e, row, ctx);
                    self.slot(i, agg, &agg.name).add(&agg.func, &v, time);
                }
                AggInput::Field(f) if f.contains('*') => {
                    for (k, v) in row {
                        // Wildcards skip internal fields and the group-by fields.
                        if !glob_match(f, k)
                            || (k.starts_with('_') && !f.starts_with('_'))
                            || spec.by.contains(k)
                        {
                            continue;
                        }
                        let name = match wildcard_capture(f, k) {
                            // `values(*) as *`: the field's own name.
                            Some(cap) if agg.name == "*" => Cow::Borrowed(cap),
                            Some(cap) if agg.name.contains('*') => {
                                Cow::Owned(agg.name.replacen('*', cap, 1))
                            }
                            _ => Cow::Owned(format!("{}({k})", agg.func)),
                        };
                        self.slot(i, agg, &name).add(&agg.func, v, time);
                    }
                }
                AggInput::Field(f) => {
                    if let Some(v) = row.get(f) {
                        self.slot(i, agg, &agg.name).add(&agg.func, v, time);
                    } else {
                        self.slot(i, agg, &agg.name);
                    }
                }
            }
        }
    }

    fn slot(&mut self, i: usize, agg: &Agg, name: &str) -> &mut AggState {
        // Looked up before a key is made: groups see the same names row after row.
        let at = match self.aggs.get_index_of(name) {
            Some(at) => at,
            None => {
                let fresh = (i, AggState::new(&agg.func));
                self.aggs.insert_full(name.to_owned(), fresh).0
            }
        };
        &mut self.aggs[at].1
    }

    fn results<'a>(&'a self, spec: &'a StatsSpec) -> impl Iterator<Item = (String, Value)> + 'a {
        let aggs = &spec.aggs;
        self.aggs
            .iter()
            .map(move |(name, (i, st))| (name.clone(), st.result(&aggs[*i].func)))
    }
}

/// Group keys of a row: one per combination of by-field values (multivalues split);
/// none when a by-field is missing.
fn group_keys(by: &[String], row: &Fields) -> Vec<Vec<String>> {
    let mut keys = vec![Vec::new()];
    for f in by {
        let values = row.get(f).map(Value::texts).unwrap_or_default();
        if values.is_empty() {
            return Vec::new();
        }
        keys = keys
            .into_iter()
            .flat_map(|k| {
                values.iter().map(move |v| {
                    let mut k = k.clone();
                    k.push(v.clone());
                    k
                })
            })
            .collect();
    }
    keys
}

fn cmp_keys(a: &[String], b: &[String]) -> std::cmp::Ordering {
    a.iter()
        .zip(b)
        .map(|(x, y)| cmp_text(x, y))
        .find(|o| o.is_ne())
        .unwrap_or(a.len().cmp(&b.len()))
}

/// Stats groups and dedup keys by their field values; hashed with foldhash, as each row
/// looks its group up.
type ByKey<V> = HashMap<Vec<String>, V, foldhash::fast::RandomState>;

enum State {
    None,
    Groups(ByKey<Group>),
    Buffer(Vec<Row>),
    /// eventstats: the rows and their groups.
    Both(Vec<Row>, ByKey<Group>),
    /// streamstats: running groups, or the last `window` rows per group.
    Stream(ByKey<(Group, VecDeque<Row>)>),
    Seen(ByKey<usize>),
    Counter(usize),
}

/// Runs one plan over a stream of events.
pub struct Runner<'p> {
    plan: &'p Plan,
    states: Vec<State>,
    /// Rows in and out of every stage.
    pub funnel: Vec<(u64, u64)>,
    pub rows: Vec<Fields>,
    pub row_count: u64,
    pub ctx: Ctx,
}

impl<'p> Runner<'p> {
    pub fn new(plan: &'p Plan) -> Self {
        let states = plan
            .stages
            .iter()
            .map(|s| match s {
                Stage::Stats(spec) => match spec.kind {
                    StatsKind::Stats => State::Groups(ByKey::default()),
                    StatsKind::EventStats => State::Both(Vec::new(), ByKey::default()),
                    StatsKind::StreamStats => State::Stream(ByKey::default()),
                },
                Stage::Sort { .. } => State::Buffer(Vec::new()),
                Stage::Fillnull { fields, .. } if fields.is_empty() => State::Buffer(Vec::new()),
                Stage::Dedup { .. } => State::Seen(ByKey::default()),
                Stage::Head(_) => State::Counter(0),
                _ => State::None,
            })
            .collect();
        Runner {
            plan,
            states,
            funnel: vec![(0, 0); plan.stages.len()],
            rows: Vec::new(),
            row_count: 0,
            ctx: Ctx::default(),
        }
    }

    /// Offers one event to the base search; `found` tells which of the engine's raw-text
    /// literals occur in it.
    pub fn offer(&mut self, event: &Event, found: Option<&[bool]>) {
        match self.plan.stages.first() {
            Some(Stage::Search(s)) => {
                self.funnel[0].0 += 1;
                if s.matches_with(&event.fields, Some(&event.raw_lower), found) {
                    self.emit(0, event.fields.clone());
                }
            }
            _ => self.feed(0, event.fields.clone()),
        }
    }

    /// Takes an event known to pass the base search.
    pub fn pass(&mut self, event: &Event) {
        match self.plan.stages.first() {
            Some(Stage::Search(_)) => {
                self.funnel[0].0 += 1;
                self.emit(0, event.fields.clone());
            }
            _ => self.feed(0, event.fields.clone()),
        }
    }

    /// Ends the input: blocking stages release their rows, in order. `events` is how many
    /// events the input had: all of them entered the base search, offered or not.
    pub fn finish(&mut self, events: u64) {
        if let Some(f) = self.funnel.first_mut() {
            f.0 = events;
        }
        for i in 0..self.plan.stages.len() {
            let state = std::mem::replace(&mut self.states[i], State::None);
            let plan = self.plan;
            for row in self.flush(&plan.stages[i], state) {
                self.emit(i, row);
            }
        }
    }

    fn emit(&mut self, from: usize, row: Row) {
        self.funnel[from].1 += 1;
        self.feed(from + 1, row);
    }

    fn feed(&mut self, i: usize, mut row: Row) {
        let plan = self.plan;
        let Some(stage) = plan.stages.get(i) else {
            self.row_count += 1;
            if self.rows.len() < MAX_KEPT_ROWS {
                self.rows.push(Arc::unwrap_or_clone(row));
            }
            return;
        };
        self.funnel[i].0 += 1;
        let ctx = &self.ctx;
        match stage {
            Stage::Search(s) => {
                if s.matches(&row, None) {
                    self.emit(i, row);
                }
            }
            Stage::Where(e) => {
                if eval(e, &row, ctx).is_true() {
                    self.emit(i, row);
                }
            }
            Stage::Eval(assignments) => {
                let row_mut = Arc::make_mut(&mut row);
                for (name, e) in assignments {
                    match eval(e, row_mut, ctx) {
                        Value::Null => {
                            row_mut.shift_remove(name);
                        }
                        v => {
                            row_mut.insert(name.clone(), v);
                        }
                    }
                }
                self.emit(i, row);
            }
            Stage::Fields {
                patterns,
                table,
                remove,
            } => {
                let row = project(&row, patterns, *table, *remove);
                self.emit(i, Arc::new(row));
            }
            Stage::Rename(pairs) => {
                for (from, to) in pairs {
                    rename(Arc::make_mut(&mut row), from, to);
                }
                self.emit(i, row);
            }
            Stage::Bin { field, alias, span } => {
                if let Some(v) = row.get(field).and_then(Value::to_num) {
                    let lo = (v / span).floor() * span;
                    let out = if field == "_time" {
                        Value::Num(lo)
                    } else {
                        Value::Str(format!("{}-{}", fmt_num(lo), fmt_num(lo + span)))
                    };
                    Arc::make_mut(&mut row).insert(alias.clone(), out);
                }
                self.emit(i, row);
            }
            Stage::Rex {
                field,
                regex,
                max_match,
            } => {
                if let Some(text) = row.get(field).and_then(Value::to_text) {
                    match regex.captures(&text, *max_match) {
                        Ok(caps) => {
                            for (name, values) in caps {
                                if !values.is_empty() {
                                    Arc::make_mut(&mut row).insert(name, Value::from_list(values));
                                }
                            }
                        }
                        Err(RegexError::Limit) => ctx.limit_hits.set(ctx.limit_hits.get() + 1),
                    }
                }
                self.emit(i, row);
            }
            Stage::RexSed {
                field,
                regex,
                replacement,
                global,
            } => {
                if let Some(text) = row.get(field).and_then(Value::to_text) {
                    let limit = if *global { usize::MAX } else { 1 };
                    match regex.replace(&text, replacement, limit) {
                        Ok(out) => {
                            Arc::make_mut(&mut row).insert(field.clone(), Value::Str(out));
                        }
                        Err(RegexError::Limit) => ctx.limit_hits.set(ctx.limit_hits.get() + 1),
                    }
                }
                self.emit(i, row);
            }
            Stage::Regex {
                field,
                regex,
                negated,
            } => {
                let hit = row
                    .get(field)
                    .is_some_and(|v| v.any_text(|t| ctx.is_match(regex, t)));
                if hit != *negated {
                    self.emit(i, row);
                }
            }
            Stage::Lookup {
                table,
                inputs,
                outputs,
                output_new,
            } => {
                let col = |name: &str| table.header.iter().position(|h| h == name);
                let matching: Vec<&Vec<String>> = table
                    .rows
                    .iter()
                    .filter(|r| {
                        inputs.iter().all(|(c, f)| {
                            let cell = col(c).and_then(|ci| r.get(ci));
                            row.get(f)
                                .zip(cell)
                                .is_some_and(|(v, cell)| v.any_text(|t| t == cell))
                        })
                    })
                    .collect();
                let mut out = Arc::unwrap_or_clone(row);
                for (c, f) in outputs {
                    if *output_new && out.contains_key(f) {
                        continue;
                    }
                    let values: Vec<String> = col(c)
                        .map(|ci| matching.iter().filter_map(|r| r.get(ci).cloned()).collect())
                        .unwrap_or_default();
                    match Value::from_list(values) {
                        Value::Null => {
                            out.shift_remove(f);
                        }
                        v => {
                            out.insert(f.clone(), v);
                        }
                    }
                }
                self.emit(i, Arc::new(out));
            }
            Stage::Stats(spec) => self.stats(i, spec, row),
            Stage::Dedup {
                fields,
                count,
                keep_empty,
            } => {
                let key: Option<Vec<String>> = fields
                    .iter()
                    .map(|f| row.get(f).map(|v| v.texts().join("\n")))
                    .collect();
                let pass = match (key, &mut self.states[i]) {
                    (Some(key), State::Seen(seen)) => {
                        let n = seen.entry(key).or_insert(0);
                        *n += 1;
                        *n <= *count
                    }
                    (None, _) => *keep_empty,
                    _ => false,
                };
                if pass {
                    self.emit(i, row);
                }
            }
            Stage::Head(n) => {
                if let State::Counter(c) = &mut self.states[i]
                    && *c < *n
                {
                    *c += 1;
                    self.emit(i, row);
                }
            }
            Stage::Fillnull { value, fields } if !fields.is_empty() => {
                for f in fields {
                    if row.get(f).is_none_or(Value::is_null) {
                        Arc::make_mut(&mut row).insert(f.clone(), Value::Str(value.clone()));
                    }
                }
                self.emit(i, row);
            }
            Stage::Mvexpand { field, limit } => match row.get(field) {
                Some(Value::Multi(values)) => {
                    for v in values.clone().into_iter().take(*limit) {
                        let mut copy = Fields::clone(&row);
                        copy.insert(field.clone(), Value::Str(v));
                        self.emit(i, Arc::new(copy));
                    }
                }
                _ => self.emit(i, row),
            },
            Stage::Sort { .. } | Stage::Fillnull { .. } => {
                if let State::Buffer(rows) = &mut self.states[i] {
                    rows.push(row);
                }
            }
        }
    }

    fn stats(&mut self, i: usize, spec: &StatsSpec, row: Row) {
        let keys = group_keys(&spec.by, &row);
        let ctx = &self.ctx;
        match &mut self.states[i] {
            State::Groups(groups) => {
                for key in keys {
                    let by = by_values(&spec.by, &row, &key);
                    groups
                        .entry(key)
                        .or_insert_with(|| Group {
                            by,
                            ..Group::default()
                        })
                        .add(spec, &row, ctx);
                }
            }
            State::Both(rows, groups) => {
                for key in keys {
                    groups.entry(key).or_default().add(spec, &row, ctx);
                }
                rows.push(row);
            }
            State::Stream(groups) => {
                let mut row = Arc::unwrap_or_clone(row);
                let key = keys.into_iter().next();
                let Some(key) = key.or_else(|| spec.by.is_empty().then(Vec::new)) else {
                    self.emit(i, Arc::new(row));
                    return;
                };
                let (group, window) = groups.entry(key).or_default();
                if !spec.current {
                    for (k, v) in group.results(spec) {
                        row.insert(k, v);
                    }
                }
                if spec.window == 0 {
                    group.add(spec, &row, ctx);
                } else {
                    window.push_back(Arc::new(row.clone()));
                    if window.len() > spec.window {
                        window.pop_front();
                    }
                    *group = Group::default();
                    for r in window.iter() {
                        group.add(spec, r, ctx);
                    }
                }
                if spec.current {
                    for (k, v) in group.results(spec) {
                        row.insert(k, v);
                    }
                }
                self.emit(i, Arc::new(row));
            }
            _ => {}
        }
    }

    /// Releases what a blocking stage holds at the end of the input.
    fn flush(&mut self, stage: &Stage, state: State) -> Vec<Row> {
        match (stage, state) {
            (Stage::Stats(spec), State::Groups(groups)) => {
                let mut groups: Vec<(Vec<String>, Group)> = groups.into_iter().collect();
                if groups.is_empty() && spec.by.is_empty() {
                    // `stats count` over nothing is one row with a zero count.
                    let mut g = Group::default();
                    for (idx, agg) in spec.aggs.iter().enumerate() {
                        if matches!(agg.func.as_str(), "count" | "dc") && !agg.name.contains('*') {
                            g.slot(idx, agg, &agg.name);
                        }
                    }
                    if !g.aggs.is_empty() {
                        groups.push((Vec::new(), g));
                    }
                }
                groups.sort_by(|a, b| cmp_keys(&a.0, &b.0));
                groups
                    .into_iter()
                    .map(|(_, g)| {
                        let mut row: Fields =
                            spec.by.iter().cloned().zip(g.by.iter().cloned()).collect();
                        row.extend(g.results(spec));
                        Arc::new(row)
                    })
                    .collect()
            }
            (Stage::Stats(spec), State::Both(rows, groups)) => rows
                .into_iter()
                .map(|mut row| {
                    if let Some(g) = group_keys(&spec.by, &row)
                        .first()
                        .and_then(|k| groups.get(k))
                    {
                        let row_mut = Arc::make_mut(&mut row);
                        for (k, v) in g.results(spec) {
                            row_mut.insert(k, v);
                        }
                    }
                    row
                })
                .collect(),
            (Stage::Sort { keys, limit }, State::Buffer(mut rows)) => {
                rows.sort_by(|a, b| sort_order(keys, a, b));
                rows.truncate(*limit);
                rows
            }
            (Stage::Fillnull { value, .. }, State::Buffer(mut rows)) => {
                let names: Vec<String> = {
                    let mut all = IndexMap::<String, ()>::new();
                    for r in &rows {
                        for k in r.keys() {
                            all.insert(k.clone(), ());
                        }
                    }
                    all.into_keys().collect()
                };
                for r in &mut rows {
                    for n in &names {
                        if !r.contains_key(n) {
                            Arc::make_mut(r).insert(n.clone(), Value::Str(value.clone()));
                        }
                    }
                }
                rows
            }
            _ => Vec::new(),
        }
    }
}

fn by_values(by: &[String], _row: &Fields, key: &[String]) -> Vec<Value> {
    // `_time` groups come back as numbers so later `bin`/time comparisons still work.
    by.iter()
        .zip(key)
        .map(|(f, k)| match (f.as_str(), crate::value::parse_num(k)) {
            ("_time", Some(n)) => Value::Num(n),
            _ => Value::Str(k.clone()),
        })
        .collect()
}

fn sort_order(keys: &[SortKey], a: &Fields, b: &Fields) -> std::cmp::Ordering {
    for k in keys {
        let (x, y) = (
            a.get(&k.field).and_then(Value::to_text),
            b.get(&k.field).and_then(Value::to_text),
        );
        let o = match (x, y) {
            (Some(x), Some(y)) => match k.numeric {
                Some(false) => x.cmp(&y),
                _ => cmp_text(&x, &y),
            },
            // Rows without the field sort last.
            (Some(_), None) => std::cmp::Ordering::Less,
            (None, Some(_)) => std::cmp::Ordering::Greater,
            (None, None) => std::cmp::Ordering::Equal,
        };
        let o = if k.desc { o.reverse() } else { o };
        if o.is_ne() {
            return o;
        }
    }
    std::cmp::Ordering::Equal
}

fn project(row: &Fields, patterns: &[String], table: bool, remove: bool) -> Fields {
    let matches = |k: &str| patterns.iter().any(|p| glob_match(p, k));
    let keep = |(k, v): (&String, &Value)| (k.clone(), v.clone());
    if remove {
        return row.iter().filter(|(k, _)| !matches(k)).map(keep).collect();
    }
    if table {
        let mut out = Fields::default();
        for p in patterns {
            // A plain name selects its own field only: a lookup, not a match per field.
            if !p.contains('*') {
                if let Some((k, v)) = row.get_key_value(p.as_str())
                    && !out.contains_key(k)
                {
                    out.insert(k.clone(), v.clone());
                }
                continue;
            }
            for (k, v) in row {
                if glob_match(p, k) && !out.contains_key(k) {
                    out.insert(k.clone(), v.clone());
                }
            }
        }
        return out;
    }
    // `fields` keeps the internal `_raw` and `_time` unless they are removed.
    row.iter()
        .filter(|(k, _)| matches(k) || *k == "_raw" || *k == "_time")
        .map(keep)
        .collect()
}

fn rename(row: &mut Fields, from: &str, to: &str) {
    if !from.contains('*') {
        if let Some(v) = row.shift_remove(from) {
            row.insert(to.to_owned(), v);
        }
        return;
    }
    let names: Vec<String> = row
        .keys()
        .filter(|k| glob_match(from, k))
        .cloned()
        .collect();
    for name in names {
        let new = match wildcard_capture(from, &name) {
            Some(cap) => to.replacen('*', cap, 1),
            None => to.to_owned(),
        };
        if let Some(v) = row.shift_remove(&name) {
            row.insert(new, v);
        }
    }
}
