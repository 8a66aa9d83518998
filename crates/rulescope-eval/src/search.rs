//! The search language over an event: raw-text terms, phrases, `TERM()`/`PREFIX()` against
//! Splunk's indexed segments, and `field=value` comparisons (case-insensitive, `*` wildcards).

use std::collections::HashMap;

use rulescope_spl::{CompareOp, IndexedKind, SearchExpr, Value as SplValue};

use crate::event::Fields;
use crate::value::{Value, cmp_text, glob_match, glob_match_ci, parse_num};

/// Splunk's default major breakers (segmenters.conf), the ASCII ones.
fn is_major(b: u8) -> bool {
    matches!(
        b,
        b' ' | b'\t'
            | b'\n'
            | b'\r'
            | b'['
            | b']'
            | b'<'
            | b'>'
            | b'('
            | b')'
            | b'{'
            | b'}'
            | b'|'
            | b'!'
            | b';'
            | b','
            | b'\''
            | b'"'
            | b'*'
            | b'&'
            | b'?'
            | b'+'
    )
}

/// Splunk's default minor breakers.
fn is_minor(b: u8) -> bool {
    matches!(
        b,
        b'/' | b':' | b'=' | b'@' | b'.' | b'-' | b'$' | b'#' | b'%' | b'\\' | b'_'
    )
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Bound {
    /// Any breaker (a search term matches a segment or sub-segment).
    Any,
    /// A major breaker only (`TERM`).
    Major,
    /// No boundary needed at this end.
    Free,
}

/// A raw-text pattern: lower-cased literal parts between `*` wildcards.
#[derive(Clone, Debug)]
pub struct RawPattern {
    text: String,
    parts: Vec<Vec<u8>>,
    /// A searcher per part, built once.
    finders: Vec<memchr::memmem::Finder<'static>>,
    left: Bound,
    right: Bound,
    case_sensitive: bool,
}

impl RawPattern {
    fn new(text: &str, kind: Option<IndexedKind>) -> Self {
        let case_sensitive = kind == Some(IndexedKind::Case);
        let text = if case_sensitive {
            text.to_owned()
        } else {
            text.to_ascii_lowercase()
        };
        let parts: Vec<Vec<u8>> = text.split('*').map(|p| p.as_bytes().to_vec()).collect();
        let edge = if kind == Some(IndexedKind::Term) {
            Bound::Major
        } else {
            Bound::Any
        };
        let starts_wild = text.starts_with('*');
        let ends_wild = text.ends_with('*');
        let first_breaks = text
            .bytes()
            .next()
            .is_some_and(|b| is_major(b) || is_minor(b));
        let last_breaks = text
            .bytes()
            .last()
            .is_some_and(|b| is_major(b) || is_minor(b));
        RawPattern {
            text: text.clone(),
            finders: parts
                .iter()
                .map(|p| memchr::memmem::Finder::new(p).into_owned())
                .collect(),
            parts,
            left: if starts_wild || first_breaks {
                Bound::Free
            } else {
                edge
            },
            right: if ends_wild || last_breaks || kind == Some(IndexedKind::Prefix) {
                Bound::Free
            } else {
                edge
            },
            case_sensitive,
        }
    }

    /// The longest literal part, lower-cased: every match contains it.
    fn literal(&self) -> Option<Vec<u8>> {
        self.parts
            .iter()
            .max_by_key(|p| p.len())
            .filter(|p| !p.is_empty())
            .map(|p| p.to_ascii_lowercase())
    }

    /// The pattern as written (lower-cased unless CASE).
    pub fn text(&self) -> &str {
        &self.text
    }

    /// Whether the pattern occurs in `raw_lower` (or `raw` for CASE) with its boundaries.
    pub fn matches(&self, raw_lower: &[u8], raw: &[u8]) -> bool {
        let hay = if self.case_sensitive { raw } else { raw_lower };
        if self.parts.iter().all(Vec::is_empty) {
            return true;
        }
        let ok = |bound: Bound, b: Option<&u8>| match (bound, b) {
            (Bound::Free, _) | (_, None) => true,
            (Bound::Any, Some(&c)) => is_major(c) || is_minor(c),
            (Bound::Major, Some(&c)) => is_major(c),
        };
        let first = &self.parts[0];
        let mut from = 0;
        while let Some(pos) = self.finders[0].find(&hay[from..]).map(|p| p + from) {
            let left_ok = pos == 0 || ok(self.left, hay.get(pos - 1));
            if left_ok && self.rest_matches(hay, pos + first.len(), &ok) {
                return true;
            }
            from = pos + 1;
            if from > hay.len() {
                break;
            }
        }
        false
    }

    fn rest_matches(
        &self,
        hay: &[u8],
        mut at: usize,
        ok: &dyn Fn(Bound, Option<&u8>) -> bool,
    ) -> bool {
        let n = self.parts.len();
        if n == 1 {
            return ok(self.right, hay.get(at));
        }
        for (part, finder) in self.parts[1..n - 1].iter().zip(&self.finders[1..n - 1]) {
            match finder.find(&hay[at..]) {
                Some(p) => at += p + part.len(),
                None => return false,
            }
        }
        // The last part may occur several times; any occurrence with its boundary will do.
        let last = &self.parts[n - 1];
        if last.is_empty() {
            return true;
        }
        let mut from = at;
        while let Some(p) = self.finders[n - 1].find(&hay[from..]).map(|p| p + from) {
            if ok(self.right, hay.get(p + last.len())) {
                return true;
            }
            from = p + 1;
        }
        false
    }
}

/// A compiled search expression.
#[derive(Clone, Debug)]
pub enum Search {
    All,
    And(Vec<Search>),
    Or(Vec<Search>),
    Not(Box<Search>),
    Raw(RawPattern),
    /// A raw pattern whose literal is known, per event, to occur or not in `_raw` (see
    /// [`Search::with_literals`]).
    Hinted {
        literal: usize,
        pattern: RawPattern,
    },
    Compare {
        field: String,
        op: CompareOp,
        value: String,
    },
    In {
        field: String,
        values: InValues,
    },
}

/// The values of `field IN (...)`. Lists run to hundreds of process names, so the values
/// without wildcards are found by binary search instead of one comparison each, and the
/// usual wildcard shapes (`*\\cmd.exe`, `cmd*`, `*cmd*`) are tested as such.
#[derive(Clone, Debug)]
pub struct InValues {
    values: Vec<String>,
    /// The values without `*`, lower-cased and sorted.
    exact: Vec<Vec<u8>>,
    /// The values with `*`.
    wild: Vec<Wild>,
}

/// A value with `*`, lower-cased, by shape.
#[derive(Clone, Debug)]
enum Wild {
    /// `*text`
    EndsWith(Vec<u8>),
    /// `text*`
    StartsWith(Vec<u8>),
    /// `*text*`
    Contains(Vec<u8>),
    /// Any other: matched by glob.
    Glob(Vec<u8>),
}

impl Wild {
    fn new(value: &str) -> Wild {
        let lower = value.to_ascii_lowercase().into_bytes();
        let parts: Vec<&[u8]> = lower.split(|&b| b == b'*').collect();
        match parts.as_slice() {
            [b"", text] => Wild::EndsWith(text.to_vec()),
            [text, b""] => Wild::StartsWith(text.to_vec()),
            [b"", text, b""] => Wild::Contains(text.to_vec()),
            _ => Wild::Glob(lower),
        }
    }

    /// Whether the lower-cased `text` matches.
    fn matches(&self, lower: &[u8]) -> bool {
        match self {
            Wild::EndsWith(end) => lower.ends_with(end),
            Wild::StartsWith(start) => lower.starts_with(start),
            Wild::Contains(inner) => memchr::memmem::find(lower, inner).is_some(),
            Wild::Glob(pattern) => glob_match_ci(pattern, lower),
        }
    }
}

impl InValues {
    pub fn new(values: Vec<String>) -> Self {
        let (wild, exact): (Vec<&String>, Vec<&String>) =
            values.iter().partition(|v| v.contains('*'));
        let mut exact: Vec<Vec<u8>> = exact
            .into_iter()
            .map(|v| v.to_ascii_lowercase().into_bytes())
            .collect();
        exact.sort();
        exact.dedup();
        InValues {
            wild: wild.into_iter().map(|v| Wild::new(v)).collect(),
            exact,
            values,
        }
    }

    /// The values as written.
    pub fn values(&self) -> &[String] {
        &self.values
    }

    /// Whether `text` equals a value, ignoring ASCII case, `*` standing for any run.
    fn matches(&self, text: &str) -> bool {
        // Lower-cased once, on the stack for the short texts field values mostly are.
        let mut buf = [0u8; 128];
        let owned;
        let lower: &[u8] = match buf.get_mut(..text.len()) {
            Some(short) => {
                short.copy_from_slice(text.as_bytes());
                short.make_ascii_lowercase();
                short
            }
            None => {
                owned = text.to_ascii_lowercase();
                owned.as_bytes()
            }
        };
        self.exact
            .binary_search_by(|v| v.as_slice().cmp(lower))
            .is_ok()
            || self.wild.iter().any(|w| w.matches(lower))
    }
}

/// Why a search cannot be compiled.
pub type Unsupported = String;

impl Search {
    pub fn compile(expr: &SearchExpr) -> Result<Search, Unsupported> {
        Ok(match expr {
            SearchExpr::And(items, _) => Search::And(
                items
                    .iter()
                    .map(Search::compile)
                    .collect::<Result<_, _>>()?,
            ),
            SearchExpr::Or(items, _) => Search::Or(
                items
                    .iter()
                    .map(Search::compile)
                    .collect::<Result<_, _>>()?,
            ),
            SearchExpr::Not(inner, _) => Search::Not(Box::new(Search::compile(inner)?)),
            SearchExpr::Group(inner, _) => Search::compile(inner)?,
            SearchExpr::Term(w) if w.text == "*" => Search::All,
            SearchExpr::Term(w) => Search::Raw(RawPattern::new(&w.text, None)),
            SearchExpr::Phrase(s) => Search::Raw(RawPattern::new(&s.value(), None)),
            SearchExpr::Indexed { kind, text, .. } => {
                let inner = text.trim();
                let inner = inner
                    .strip_prefix('"')
                    .and_then(|s| s.strip_suffix('"'))
                    .unwrap_or(inner);
                Search::Raw(RawPattern::new(inner, Some(*kind)))
            }
            SearchExpr::Compare {
                field, op, value, ..
            } => Search::Compare {
                field: field.name.clone(),
                op: *op,
                value: value_text(value)?,
            },
            SearchExpr::In { field, values, .. } => Search::In {
                field: field.name.clone(),
                values: InValues::new(values.iter().map(value_text).collect::<Result<_, _>>()?),
            },
            SearchExpr::Macro(m) => return Err(format!("macro `{}` is not defined", m.name)),
            SearchExpr::Subsearch(_) => return Err("not supported: subsearch".into()),
        })
    }

    /// Whether this is a [`Search::Hinted`] pattern whose literal `found` says is absent.
    #[inline(always)]
    fn literal_absent(&self, found: Option<&[bool]>) -> bool {
        match (self, found) {
            (Search::Hinted { literal, .. }, Some(found)) => found.get(*literal) == Some(&false),
            _ => false,
        }
    }

    /// Evaluates over a row; `raw_lower` is the lower-cased `_raw` when known.
    pub fn matches(&self, row: &Fields, raw_lower: Option<&str>) -> bool {
        self.matches_with(row, raw_lower, None)
    }

    /// [`Search::matches`] where `found[i]` says whether literal `i` of a
    /// [`Search::Hinted`] pattern occurs in `_raw`.
    pub fn matches_with(
        &self,
        row: &Fields,
        raw_lower: Option<&str>,
        found: Option<&[bool]>,
    ) -> bool {
        match self {
            Search::All => true,
            Search::And(items) => items.iter().all(|s| s.matches_with(row, raw_lower, found)),
            // Most children of a long OR are raw patterns whose literal the event lacks:
            // ruling those out here saves a call for each (a tenth of the screening's
            // instructions under callgrind).
            Search::Or(items) => items
                .iter()
                .any(|s| !s.literal_absent(found) && s.matches_with(row, raw_lower, found)),
            Search::Not(inner) => !inner.matches_with(row, raw_lower, found),
            Search::Hinted { literal, pattern } => {
                found.is_none_or(|f| f.get(*literal).copied().unwrap_or(true))
                    && raw_matches(pattern, row, raw_lower)
            }
            Search::Raw(p) => raw_matches(p, row, raw_lower),
            Search::Compare { field, op, value } => {
                let mut present = false;
                let hit = fields_named(row, field).any(|v| {
                    present = true;
                    v.any_text(|t| compare(*op, t, value))
                });
                match op {
                    // `f!=v` needs the field; it fails only when every value equals.
                    CompareOp::Ne => {
                        present
                            && fields_named(row, field).all(|v| {
                                !v.any_text(|t| glob_match_ci(value.as_bytes(), t.as_bytes()))
                            })
                    }
                    _ => hit,
                }
            }
            Search::In { field, values } => {
                fields_named(row, field).any(|v| v.any_text(|t| values.matches(t)))
            }
        }
    }
}

/// Fields whose values are the same for every Windows event of one channel and event id.
const HEADER_FIELDS: &[&str] = &["sourcetype", "source", "EventCode", "signature_id"];

/// The part of a search an event header can decide, built once per rule so deciding it per
/// header does not walk the whole search: comparisons on [`HEADER_FIELDS`] and raw event-id
/// phrases (`EventCode=4688`, `<EventID>4688<`), which can only match the header of an event
/// whose data does not name event ids. Everything else is `Open`.
#[derive(Clone, Debug)]
pub enum Skeleton {
    Open,
    /// A decidable part, with its number among distinct leaves once numbered (see
    /// [`Skeleton::number_leaves`]), so a header decides equal leaves once.
    Leaf(Search, Option<usize>),
    And(Vec<Skeleton>),
    Or(Vec<Skeleton>),
    Not(Box<Skeleton>),
}

impl Skeleton {
    pub fn of(s: &Search) -> Skeleton {
        let group = |items: &[Search], make: fn(Vec<Skeleton>) -> Skeleton| {
            let parts: Vec<Skeleton> = items.iter().map(Skeleton::of).collect();
            if parts.iter().all(|p| matches!(p, Skeleton::Open)) {
                Skeleton::Open
            } else {
                make(parts)
            }
        };
        match s {
            // `*` (the generic endpoint macro) is decided: it matches.
            Search::All => Skeleton::Leaf(Search::All, None),
            Search::And(items) => group(items, Skeleton::And),
            Search::Or(items) => group(items, Skeleton::Or),
            Search::Not(inner) => match Skeleton::of(inner) {
                Skeleton::Open => Skeleton::Open,
                other => Skeleton::Not(Box::new(other)),
            },
            Search::Raw(p) | Search::Hinted { pattern: p, .. }
                if crate::plan::event_code_phrase(p.text()).is_some() =>
            {
                Skeleton::Leaf(s.clone(), None)
            }
            Search::Compare { field, .. } | Search::In { field, .. }
                if HEADER_FIELDS.contains(&field.as_str()) =>
            {
                Skeleton::Leaf(s.clone(), None)
            }
            _ => Skeleton::Open,
        }
    }

    /// Numbers the leaves, equal leaves alike, `ids` holding the numbers given so far.
    pub fn number_leaves(&mut self, ids: &mut HashMap<String, usize>) {
        match self {
            Skeleton::Open => {}
            Skeleton::Leaf(s, id) => {
                let mut print = String::new();
                s.fingerprint(&mut print);
                let next = ids.len();
                *id = Some(*ids.entry(print).or_insert(next));
            }
            Skeleton::And(items) | Skeleton::Or(items) => {
                items.iter_mut().for_each(|s| s.number_leaves(ids));
            }
            Skeleton::Not(inner) => inner.number_leaves(ids),
        }
    }

    /// A canonical text of the skeleton once numbered, to recognise equal ones: what a
    /// header decides of it is the same for all.
    pub fn fingerprint(&self, out: &mut String) {
        use std::fmt::Write;
        match self {
            Skeleton::Open => out.push('o'),
            Skeleton::Leaf(_, id) => {
                let _ = write!(out, "l{id:?}");
            }
            Skeleton::And(items) | Skeleton::Or(items) => {
                out.push_str(if matches!(self, Skeleton::And(_)) {
                    "a("
                } else {
                    "r("
                });
                for item in items {
                    item.fingerprint(out);
                    out.push(',');
                }
                out.push(')');
            }
            Skeleton::Not(inner) => {
                out.push_str("n(");
                inner.fingerprint(out);
                out.push(')');
            }
        }
    }

    /// What `header` decides; `None` when the rest of the event matters. The
    /// answer holds for every event sharing the header.
    pub fn decide(&self, header: &Header) -> Option<bool> {
        if header.event.mentions_event_ids {
            return None;
        }
        self.decide_header(header)
    }

    fn decide_header(&self, header: &Header) -> Option<bool> {
        match self {
            Skeleton::Open => None,
            Skeleton::Leaf(s, id) => Some(header.leaf(s, *id)),
            Skeleton::And(items) => {
                let mut all = true;
                for item in items {
                    match item.decide_header(header) {
                        Some(false) => return Some(false),
                        Some(true) => {}
                        None => all = false,
                    }
                }
                all.then_some(true)
            }
            Skeleton::Or(items) => {
                let mut none = true;
                for item in items {
                    match item.decide_header(header) {
                        Some(true) => return Some(true),
                        Some(false) => {}
                        None => none = false,
                    }
                }
                none.then_some(false)
            }
            Skeleton::Not(inner) => inner.decide_header(header).map(|b| !b),
        }
    }

    /// The part of `search` (whose skeleton this is) worth testing first for events with
    /// `header`.
    pub fn gate(&self, search: &Search, header: &Header) -> Gate {
        match self.decide(header) {
            Some(false) => Gate::Never,
            Some(true) => Gate::Always,
            None => Gate::Test(match (search, self) {
                (Search::And(items), Skeleton::And(parts)) if !header.event.mentions_event_ids => {
                    items
                        .iter()
                        .zip(parts)
                        .position(|(_, p)| p.decide_header(header).is_none())
                }
                (Search::And(items), Skeleton::Open) if !items.is_empty() => Some(0),
                _ => None,
            }),
        }
    }
}

/// An event header while rules are sorted by it, remembering each numbered leaf's answer:
/// the same leaves (`sourcetype=...`, `EventCode=4688`) recur in hundreds of rules.
pub struct Header<'a> {
    pub event: &'a crate::event::Event,
    leaves: std::cell::RefCell<Vec<Option<bool>>>,
}

impl<'a> Header<'a> {
    pub fn new(event: &'a crate::event::Event) -> Self {
        Header {
            event,
            leaves: Default::default(),
        }
    }

    fn leaf(&self, leaf: &Search, id: Option<usize>) -> bool {
        if let Some(known) = id.and_then(|i| self.leaves.borrow().get(i).copied().flatten()) {
            return known;
        }
        let answer = match leaf {
            // Only the header names an event id, and it names this event's: a phrase naming
            // another id cannot match (unless open to the right: `PREFIX(EventCode=46)`).
            Search::Raw(p) | Search::Hinted { pattern: p, .. }
                if p.right != Bound::Free
                    && crate::plan::event_code_phrase(p.text())
                        .is_some_and(|c| Some(c) != self.event.code) =>
            {
                false
            }
            _ => leaf.matches(&self.event.fields, Some(&self.event.raw_lower)),
        };
        if let Some(i) = id {
            let mut leaves = self.leaves.borrow_mut();
            if leaves.len() <= i {
                leaves.resize(i + 1, None);
            }
            leaves[i] = Some(answer);
        }
        answer
    }
}

/// What an event header leaves of a search (see [`Skeleton::gate`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Gate {
    /// The header rules a match out.
    Never,
    /// The header decides a match.
    Always,
    /// Test this conjunct of the top-level `AND` first (`None`: the whole search).
    Test(Option<usize>),
}

/// The shortest literal worth a place in the per-event scan.
const MIN_LITERAL: usize = 4;

fn raw_matches(p: &RawPattern, row: &Fields, raw_lower: Option<&str>) -> bool {
    // Only CASE patterns read `_raw` itself: the others skip a field lookup, which mattered
    // at hundreds of patterns per event.
    if let (Some(lower), false) = (raw_lower, p.case_sensitive) {
        return p.matches(lower.as_bytes(), lower.as_bytes());
    }
    let raw = match row.get("_raw") {
        Some(Value::Str(s)) => s.as_str(),
        _ => "",
    };
    match raw_lower {
        Some(lower) => p.matches(lower.as_bytes(), raw.as_bytes()),
        None => p.matches(raw.to_ascii_lowercase().as_bytes(), raw.as_bytes()),
    }
}

impl Search {
    /// The literal numbers of the [`Search::Hinted`] patterns in this search.
    pub fn literal_ids(&self, out: &mut Vec<u32>) {
        match self {
            Search::And(items) | Search::Or(items) => {
                items.iter().for_each(|s| s.literal_ids(out));
            }
            Search::Not(inner) => inner.literal_ids(out),
            Search::Hinted { literal, .. } => out.push(*literal as u32),
            _ => {}
        }
    }

    /// Literals of [`Search::Hinted`] patterns one of which `_raw` must hold for the search
    /// to match; `None` when no such set is known (a field comparison, a negation, a term
    /// too short to be a literal, `*`).
    pub fn needed_literals(&self) -> Option<Vec<u32>> {
        match self {
            Search::Hinted { literal, .. } => Some(vec![*literal as u32]),
            Search::Or(items) => {
                let mut any = Vec::new();
                for item in items {
                    any.extend(item.needed_literals()?);
                }
                Some(any)
            }
            // Each conjunct's literals are needed; the fewest make the sharpest test.
            Search::And(items) => items
                .iter()
                .filter_map(Search::needed_literals)
                .min_by_key(Vec::len),
            _ => None,
        }
    }

    /// Rewrites raw patterns into [`Search::Hinted`] ones, registering their longest
    /// literal part (lower-cased) in `literals`, so one multi-pattern scan of `_raw` per
    /// event can rule most of them out.
    pub fn with_literals(
        &self,
        literals: &mut Vec<Vec<u8>>,
        index: &mut HashMap<Vec<u8>, usize>,
    ) -> Search {
        let map =
            |items: &[Search], literals: &mut Vec<Vec<u8>>, index: &mut HashMap<Vec<u8>, usize>| {
                items
                    .iter()
                    .map(|s| s.with_literals(literals, index))
                    .collect()
            };
        match self {
            Search::And(items) => Search::And(map(items, literals, index)),
            Search::Or(items) => Search::Or(map(items, literals, index)),
            Search::Not(inner) => Search::Not(Box::new(inner.with_literals(literals, index))),
            // Short literals occur in almost every event: the scan would only slow down.
            Search::Raw(p) => match p.literal().filter(|l| l.len() >= MIN_LITERAL) {
                Some(lit) => {
                    let next = literals.len();
                    let literal = *index.entry(lit.clone()).or_insert_with(|| {
                        literals.push(lit);
                        next
                    });
                    Search::Hinted {
                        literal,
                        pattern: p.clone(),
                    }
                }
                None => self.clone(),
            },
            other => other.clone(),
        }
    }

    /// A canonical text of the search, to recognise equal ones.
    pub fn fingerprint(&self, out: &mut String) {
        use std::fmt::Write;
        let list = |name: &str, items: &[Search], out: &mut String| {
            out.push_str(name);
            out.push('(');
            for i in items {
                i.fingerprint(out);
                out.push(',');
            }
            out.push(')');
        };
        match self {
            Search::All => out.push('*'),
            Search::And(items) => list("and", items, out),
            Search::Or(items) => list("or", items, out),
            Search::Not(inner) => list("not", std::slice::from_ref(inner), out),
            Search::Raw(p) | Search::Hinted { pattern: p, .. } => {
                let _ = write!(
                    out,
                    "raw({:?}{:?}{:?}{}:{})",
                    p.left,
                    p.right,
                    p.case_sensitive,
                    p.text.len(),
                    p.text
                );
            }
            Search::Compare { field, op, value } => {
                let _ = write!(
                    out,
                    "cmp({}:{field}{}{}:{value})",
                    field.len(),
                    op.as_str(),
                    value.len()
                );
            }
            Search::In { field, values } => {
                let _ = write!(out, "in({}:{field}", field.len());
                for v in values.values() {
                    let _ = write!(out, ",{}:{v}", v.len());
                }
                out.push(')');
            }
        }
    }
}

fn value_text(v: &SplValue) -> Result<String, Unsupported> {
    match v {
        SplValue::Macro(m) => Err(format!("macro `{}` is not defined", m.name)),
        other => Ok(other.text()),
    }
}

/// The values of the fields a (possibly wildcarded) name selects. Not boxed: it runs for
/// every comparison of every event.
fn fields_named<'a>(row: &'a Fields, name: &'a str) -> impl Iterator<Item = &'a Value> + 'a {
    let wild = name.contains('*');
    let exact = if wild { None } else { row.get(name) };
    let matching = wild.then(|| {
        row.iter()
            .filter(move |(k, _)| glob_match(name, k))
            .map(|(_, v)| v)
    });
    exact.into_iter().chain(matching.into_iter().flatten())
}

fn compare(op: CompareOp, text: &str, value: &str) -> bool {
    match op {
        CompareOp::Eq => glob_match_ci(value.as_bytes(), text.as_bytes()),
        CompareOp::Ne => !glob_match_ci(value.as_bytes(), text.as_bytes()),
        _ => {
            let ord = match (parse_num(text), parse_num(value)) {
                (Some(a), Some(b)) => a.partial_cmp(&b).unwrap_or(std::cmp::Ordering::Equal),
                _ => cmp_text(&text.to_ascii_lowercase(), &value.to_ascii_lowercase()),
            };
            match op {
                CompareOp::Lt => ord.is_lt(),
                CompareOp::Le => ord.is_le(),
                CompareOp::Gt => ord.is_gt(),
                _ => ord.is_ge(),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(p: &str, kind: Option<IndexedKind>, text: &str) -> bool {
        RawPattern::new(p, kind).matches(text.to_ascii_lowercase().as_bytes(), text.as_bytes())
    }

    #[test]
    fn terms_phrases_and_indexed_tokens() {
        let xml =
            "<EventID>4688</EventID><Data Name='NewProcessName'>C:\\Windows\\PSEXESVC.exe</Data>";
        assert!(raw("<EventID>4688<", None, xml));
        assert!(!raw("EventCode=4688", Some(IndexedKind::Term), xml));
        assert!(raw(
            "EventCode=4688",
            Some(IndexedKind::Term),
            "x\nEventCode=4688\ny"
        ));
        assert!(raw("psexesvc.exe", None, xml));
        assert!(
            !raw("psexe", None, xml),
            "a term matches whole segments only"
        );
        assert!(raw("*psexe*", None, xml));
        assert!(raw("psexe", Some(IndexedKind::Prefix), xml));
        assert!(
            !raw("windows", Some(IndexedKind::Term), xml),
            "TERM needs major breakers"
        );
        assert!(raw(
            "C:\\Windows\\PSEXESVC.exe",
            Some(IndexedKind::Term),
            xml
        ));
        assert!(!raw("psexesvc.EXE", Some(IndexedKind::Case), xml));
    }

    /// The literals a base search needs: all of an OR's, the fewest of an AND's conjuncts,
    /// none where a branch could match without one.
    #[test]
    fn needed_literals_follow_and_or_and_their_gaps() {
        let needed = |query: &str| {
            let plan = crate::plan::compile(
                query,
                &rulescope_spl::MacroTable::default(),
                &mut crate::plan::Lookups::new(None),
            )
            .expect("compiles");
            let Some(crate::plan::Stage::Search(s)) = plan.stages.first() else {
                panic!("a base search")
            };
            let (mut literals, mut index) = (Vec::new(), HashMap::new());
            let hinted = s.with_literals(&mut literals, &mut index);
            hinted.needed_literals().map(|ids| {
                ids.iter()
                    .map(|&i| String::from_utf8_lossy(&literals[i as usize]).into_owned())
                    .collect::<Vec<_>>()
            })
        };
        assert_eq!(
            needed("psexec OR paexec"),
            Some(vec!["psexec".into(), "paexec".into()])
        );
        assert_eq!(
            needed("(psexec OR paexec OR csexec) EventCode=4688 \"*\\\\admin$*\""),
            Some(vec!["\\admin$".into()])
        );
        assert_eq!(
            needed("psexec OR EventCode=4688"),
            None,
            "a comparison needs no literal"
        );
        assert_eq!(
            needed("psexec OR exe"),
            None,
            "three letters make no literal"
        );
        assert_eq!(needed("NOT psexec"), None);
    }

    #[test]
    fn in_values_match_exactly_ignoring_case_or_by_wildcard() {
        let values = InValues::new(
            ["cmd.exe", "PowerShell.exe", "*\\psexec*", "cmd", ""]
                .map(String::from)
                .to_vec(),
        );
        assert!(values.matches("CMD.EXE"));
        assert!(values.matches("cmd"));
        assert!(values.matches("powershell.EXE"));
        assert!(values.matches("C:\\Tools\\PsExec64.exe"));
        assert!(values.matches(""));
        assert!(!values.matches("cmd.ex"));
        assert!(!values.matches("xcmd.exe"));
    }

    proptest::proptest! {
        /// The binary search answers as comparing with every value would.
        #[test]
        fn in_values_agree_with_comparing_each(
            values in proptest::collection::vec("[aAbB*.]{0,5}", 0..8),
            text in "[aAbB.]{0,5}",
        ) {
            let naive = values.iter().any(|p| glob_match_ci(p.as_bytes(), text.as_bytes()));
            proptest::prop_assert_eq!(InValues::new(values).matches(&text), naive);
        }
    }
}
