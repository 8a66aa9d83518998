//! Which rules' base search an event passes. Self-contained (it holds its own copy of every
//! base search) so the parser's worker threads can screen events while the session thread
//! runs the later stages; most events pass no rule and never reach the session.

use std::borrow::Cow;
use std::cell::RefCell;
use std::collections::HashMap;
use std::hash::BuildHasher;
use std::sync::{Arc, Mutex};

use crate::event::Event;
use crate::literals::LiteralSet;
use crate::plan::{Plan, Selector, Stage};
use crate::search::{Gate, Header, Search, Skeleton};
use crate::value::Value;

/// What identifies an event header: sourcetype, source, event id, and whether its data
/// names event ids.
type HeaderKey = (String, String, Option<u32>, bool);

/// A header and the candidates of its events.
type HeaderEntry = (HeaderKey, Arc<Candidates>);

/// What an evaluable rule's base search needs of an event.
struct Base {
    selector: Selector,
    header: Skeleton,
    /// `None` when the rule does not start with a search: every event enters it.
    search: Option<Search>,
    /// The engine-wide number of each gate the search can have, so equal gates of different
    /// rules are tested once: the whole search first, then each conjunct of a top-level AND.
    gate_ids: Vec<usize>,
    /// The literals of the search's raw patterns.
    literal_ids: Vec<u32>,
    /// The number of its shape: rules of one shape (equal selector and skeleton, both with
    /// a search or without, both a top-level AND or not) get the same gate from a header.
    shape: usize,
}

pub(crate) struct Prefilter {
    /// Per rule; `None` for a rule that is not evaluable.
    bases: Vec<Option<Base>>,
    /// The literal parts of every base search's raw-text patterns. Each event's `_raw` is
    /// scanned once for those its header's candidate rules use, so most patterns are ruled
    /// out without a search of their own.
    literals: Vec<Vec<u8>>,
    /// Scans by the literals they find: headers whose candidates use the same literals share
    /// one. One scan for all literals was slower: each event needs a tenth of them.
    scans: Mutex<HashMap<Vec<u32>, Arc<LiteralScan>>>,
    /// How many shapes the rules have (see [`Base::shape`]).
    shapes: usize,
    /// Candidates per event header, built from the first event with it; keyed by the
    /// header's hash so an event finds its entry without copying its header.
    candidates: Mutex<HashMap<u64, Vec<HeaderEntry>>>,
}

/// The buffers `passing` fills for each event, kept per screening thread.
#[derive(Default)]
struct Scratch {
    /// Per engine-wide literal: whether `_raw` may hold it.
    found: Vec<bool>,
    /// The literals of the header's scan that `_raw` holds, by their place in the scan.
    present: Vec<u32>,
    /// The gates to test.
    open: Vec<u32>,
}

thread_local! {
    static SCRATCH: RefCell<Scratch> = RefCell::default();
}

impl Prefilter {
    pub(crate) fn new<'a>(plans: impl Iterator<Item = Option<&'a Plan>>) -> Prefilter {
        let (mut literals, mut literal_ids) = (Vec::new(), HashMap::new());
        let mut gate_numbers: HashMap<String, usize> = HashMap::new();
        let mut leaf_numbers = HashMap::new();
        let mut shapes = HashMap::new();
        let mut gate_id = |s: &Search| {
            let mut print = String::new();
            s.fingerprint(&mut print);
            let next = gate_numbers.len();
            *gate_numbers.entry(print).or_insert(next)
        };
        let bases: Vec<Option<Base>> = plans
            .map(|plan| {
                let plan = plan?;
                let search = match plan.stages.first() {
                    Some(Stage::Search(s)) => {
                        Some(s.with_literals(&mut literals, &mut literal_ids))
                    }
                    _ => None,
                };
                let mut header = plan.header.clone();
                header.number_leaves(&mut leaf_numbers);
                let (mut gate_ids, mut literal_ids) = (Vec::new(), Vec::new());
                if let Some(s) = &search {
                    gate_ids.push(gate_id(s));
                    if let Search::And(items) = s {
                        gate_ids.extend(items.iter().map(&mut gate_id));
                    }
                    s.literal_ids(&mut literal_ids);
                }
                let mut print = format!(
                    "{:?}{:?}{:?}{}{}",
                    plan.selector.codes,
                    plan.selector.sourcetypes,
                    plan.selector.sources,
                    search.is_some(),
                    matches!(&search, Some(Search::And(items)) if !items.is_empty()),
                );
                header.fingerprint(&mut print);
                let next = shapes.len();
                let shape = *shapes.entry(print).or_insert(next);
                Some(Base {
                    selector: plan.selector.clone(),
                    header,
                    search,
                    gate_ids,
                    literal_ids,
                    shape,
                })
            })
            .collect();
        Prefilter {
            shapes: shapes.len(),
            bases,
            literals,
            scans: Mutex::new(HashMap::new()),
            candidates: Mutex::new(HashMap::new()),
        }
    }

    /// The indices of the rules whose base search `event` passes, in rule order.
    pub(crate) fn passing(&self, event: &Event) -> Vec<u32> {
        let c = self.candidates(event);
        SCRATCH.with(|scratch| {
            let Scratch {
                found,
                present,
                open,
            } = &mut *scratch.borrow_mut();
            c.scan.found(&event.raw_lower, found, present);
            // Only gates that a literal of `_raw` opens, or that need none, can pass.
            open.clear();
            open.extend_from_slice(&c.unconditional);
            for &i in present.iter() {
                open.extend_from_slice(&c.opened_by[i as usize]);
            }
            open.sort_unstable();
            open.dedup();
            let found = Some(found.as_slice());
            let test = |s: &Search| s.matches_with(&event.fields, Some(&event.raw_lower), found);
            let whole = |i: u32| {
                let base = self.bases[i as usize]
                    .as_ref()
                    .and_then(|b| b.search.as_ref());
                base.is_none_or(test)
            };
            let mut out = Vec::new();
            // Each distinct gate is tested once; most fail, ruling out all their rules.
            for gate in open.iter().map(|&g| &c.gates[g as usize]) {
                if !test(self.gate_search(gate.search)) {
                    continue;
                }
                match gate.search.1 {
                    // The gate was the whole search: its rules pass.
                    None => out.extend_from_slice(&gate.rules),
                    Some(_) => out.extend(gate.rules.iter().copied().filter(|&i| whole(i))),
                }
            }
            out.extend(c.ungated.iter().copied().filter(|&i| whole(i)));
            out.sort_unstable();
            out
        })
    }

    /// The search a gate tests: a conjunct of a rule's base search, or all of it.
    fn gate_search(&self, (rule, item): (usize, Option<usize>)) -> &Search {
        static ALL: Search = Search::All;
        let Some(Some(Base {
            search: Some(s), ..
        })) = self.bases.get(rule)
        else {
            return &ALL;
        };
        match (s, item) {
            (Search::And(items), Some(k)) => items.get(k).unwrap_or(&ALL),
            _ => s,
        }
    }

    fn candidates(&self, event: &Event) -> Arc<Candidates> {
        let text = |field| match event.fields.get(field) {
            Some(Value::Str(s)) => Cow::Borrowed(s.as_str()),
            other => Cow::Owned(other.and_then(Value::to_text).unwrap_or_default()),
        };
        let (st, src) = (text("sourcetype"), text("source"));
        let (code, mentions) = (event.code, event.mentions_event_ids);
        let hash = foldhash::fast::FixedState::default().hash_one((&st, &src, code, mentions));
        let is_key = |k: &HeaderKey| k.0 == st && k.1 == src && k.2 == code && k.3 == mentions;
        // A poisoned lock only means another thread panicked; the map is still sound.
        let cache = || self.candidates.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(bucket) = cache().get(&hash)
            && let Some((_, c)) = bucket.iter().find(|(k, _)| is_key(k))
        {
            return c.clone();
        }
        // Built unlocked so the other workers go on; two may build the same, equal, entry.
        let key = (st.into_owned(), src.into_owned(), code, mentions);
        let c = Arc::new(Candidates::new(self, event, &key));
        let mut cache = cache();
        let bucket = cache.entry(hash).or_default();
        if let Some((_, existing)) = bucket.iter().find(|(k, _)| *k == key) {
            return existing.clone();
        }
        bucket.push((key, c.clone()));
        c
    }

    /// The scan for these literals, shared by every header that needs the same.
    fn scan(&self, mut ids: Vec<u32>) -> Arc<LiteralScan> {
        ids.sort_unstable();
        ids.dedup();
        // A poisoned lock only means another thread panicked; the map is still sound.
        let scans = || self.scans.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(scan) = scans().get(&ids) {
            return scan.clone();
        }
        let mut unscanned = vec![true; self.literals.len()];
        for &i in &ids {
            if let Some(slot) = unscanned.get_mut(i as usize) {
                *slot = false;
            }
        }
        let literals = ids
            .iter()
            .filter_map(|&i| self.literals.get(i as usize).cloned());
        let scan = Arc::new(LiteralScan {
            set: LiteralSet::new(literals.collect()),
            ids: ids.clone(),
            unscanned,
        });
        scans().entry(ids).or_insert(scan).clone()
    }
}

/// A scan for some of the literals, and their engine-wide numbers.
struct LiteralScan {
    set: LiteralSet,
    ids: Vec<u32>,
    /// What `found` starts as: false for the literals scanned for, true (may occur: the
    /// pattern itself is searched) for the others.
    unscanned: Vec<bool>,
}

impl LiteralScan {
    /// Which literals occur in an event's lower-cased `_raw`: `found` is set for every
    /// literal of the engine (true for those not scanned for), `present` lists those of
    /// this scan that occur, by their place in it.
    fn found(&self, raw_lower: &str, found: &mut Vec<bool>, present: &mut Vec<u32>) {
        found.clear();
        found.extend_from_slice(&self.unscanned);
        present.clear();
        self.set.scan(raw_lower.as_bytes(), &mut |i| {
            if let Some(slot) = self.ids.get(i).and_then(|&id| found.get_mut(id as usize))
                && !*slot
            {
                *slot = true;
                present.push(i as u32);
            }
        });
    }
}

/// The rules that may match events of one header, each with a gate: the first part of its
/// base search the header leaves open. Hundreds of rules share a gate (`Type=Process OR
/// TERM(ingress.event.procstart)`, the EDR alternatives of the armory's Windows rules), so
/// testing each distinct gate once per event skips most rules at once.
struct Candidates {
    gates: Vec<GateRules>,
    /// The scan for the literals of these rules' base searches.
    scan: Arc<LiteralScan>,
    /// Per literal of the scan, the gates that need one of a few literals, this among them
    /// (see [`Search::needed_literals`]): most events hold none of a gate's, so most gates
    /// are never looked at.
    opened_by: Vec<Vec<u32>>,
    /// The gates that need no literal.
    unconditional: Vec<u32>,
    /// Rules without a gate, tested on their whole base search (every event passes a rule
    /// that does not start with a search).
    ungated: Vec<u32>,
}

/// A distinct gate and the rules it opens.
struct GateRules {
    /// (rule index, conjunct of its base search, or the whole search)
    search: (usize, Option<usize>),
    rules: Vec<u32>,
}

impl Candidates {
    fn new(filter: &Prefilter, event: &Event, (st, src, code, mentions): &HeaderKey) -> Self {
        let mut gates: Vec<GateRules> = Vec::new();
        // By gate and whether it is a whole search: a whole search can equal another rule's
        // conjunct, and only the rules of a whole-search gate pass with it.
        let mut local: HashMap<(usize, bool), usize> = HashMap::new();
        let mut ungated = Vec::new();
        let header = Header::new(event);
        // What the header decides, once per shape. A rule without a search takes every
        // event its selector admits.
        let decide = |base: &Base| match &base.search {
            _ if !base.selector.admits(st, src, *code, *mentions) => Gate::Never,
            None => Gate::Always,
            Some(s) => base.header.gate(s, &header),
        };
        let mut decided: Vec<Option<Gate>> = vec![None; filter.shapes];
        for (i, base) in filter.bases.iter().enumerate() {
            let Some(base) = base else { continue };
            let gate = match decided.get_mut(base.shape) {
                Some(slot) => *slot.get_or_insert_with(|| decide(base)),
                None => decide(base),
            };
            let rule = i as u32;
            let item = match gate {
                Gate::Never => continue,
                Gate::Always => {
                    ungated.push(rule);
                    continue;
                }
                Gate::Test(item) => item,
            };
            let Some(&id) = base.gate_ids.get(item.map_or(0, |k| k + 1)) else {
                // Not a gate the search has: test the whole search instead.
                ungated.push(rule);
                continue;
            };
            let next = gates.len();
            let gate = *local.entry((id, item.is_none())).or_insert_with(|| {
                gates.push(GateRules {
                    search: (i, item),
                    rules: Vec::new(),
                });
                next
            });
            gates[gate].rules.push(rule);
        }
        // Only what is tested on every event is scanned for: the gates, and the rules without
        // one. A rule's whole search runs only once its gate passed, and searches the
        // patterns of literals not scanned for (see `LiteralScan::unscanned`).
        let mut literal_ids: Vec<u32> = ungated
            .iter()
            .filter_map(|&i| filter.bases.get(i as usize)?.as_ref())
            .flat_map(|b| b.literal_ids.iter().copied())
            .collect();
        for gate in &gates {
            filter
                .gate_search(gate.search)
                .literal_ids(&mut literal_ids);
        }
        let scan = filter.scan(literal_ids);
        let mut opened_by = vec![Vec::new(); scan.ids.len()];
        let mut unconditional = Vec::new();
        for (g, gate) in gates.iter().enumerate() {
            let needed = filter.gate_search(gate.search).needed_literals();
            // Every literal of a gate is scanned for; were one not, the gate is tested.
            let places: Option<Vec<usize>> = needed.and_then(|ids| {
                ids.iter()
                    .map(|id| scan.ids.binary_search(id).ok())
                    .collect()
            });
            match places {
                Some(places) => places.into_iter().for_each(|p| opened_by[p].push(g as u32)),
                None => unconditional.push(g as u32),
            }
        }
        Candidates {
            scan,
            opened_by,
            unconditional,
            gates,
            ungated,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Engine, EngineOptions, Rendering, input};

    /// `foo` as a whole search and `foo` as the first conjunct of `foo bar` are one search
    /// but two gates: passing the first passes its rule, the second only opens its rule.
    #[test]
    fn a_whole_search_and_an_equal_conjunct_are_different_gates() {
        let event = |raw: &str| {
            crate::event::from_json(&serde_json::json!({ "_raw": raw }), Rendering::Xml)
                .expect("an object")
        };
        for (logics, foo_passes) in [(["foo", "foo bar"], 0), (["foo bar", "foo"], 1)] {
            let specs = logics.map(|logic| crate::RuleSpec {
                logic: logic.into(),
                ..Default::default()
            });
            let engine = Engine::from_specs(&specs, &EngineOptions::default());
            assert_eq!(engine.prefilter.passing(&event("foo")), vec![foo_passes]);
            assert_eq!(engine.prefilter.passing(&event("foo bar")), vec![0, 1]);
            assert!(engine.prefilter.passing(&event("bar")).is_empty());
        }
    }

    /// On recorded events, in both renderings, the screening passes exactly the rules whose
    /// base search matches when tested plainly: headers, gates and the literal scan only
    /// skip work.
    #[test]
    fn screening_passes_what_the_base_searches_match() {
        let Some(shared) = crate::test_data::shared_with("EVTX-to-MITRE-Attack") else {
            return;
        };
        let events_dir = shared.join("datasets/EVTX-to-MITRE-Attack");
        let report = rulescope_load::load_paths(&[shared.join("corpus/armory")]);
        let files = input::discover(&[events_dir]);
        let mut passed = 0;
        for rendering in [Rendering::Xml, Rendering::Classic] {
            let engine = Engine::new(
                &report.rules,
                &EngineOptions {
                    rendering,
                    ..Default::default()
                },
            );
            let mut stats = input::InputStats::default();
            // Every eighth file keeps the test short; all 281 agreed when last checked.
            for file in files.iter().step_by(8) {
                input::read_file(file, rendering, &mut stats, &mut |e| {
                    let plain: Vec<u32> = engine
                        .rules
                        .iter()
                        .enumerate()
                        .filter(|(_, r)| match r.plan.as_ref().map(|p| p.stages.first()) {
                            Ok(Some(Stage::Search(s))) => s.matches(&e.fields, Some(&e.raw_lower)),
                            Ok(_) => true,
                            Err(_) => false,
                        })
                        .map(|(i, _)| i as u32)
                        .collect();
                    let screened = engine.prefilter.passing(&e);
                    assert_eq!(
                        screened,
                        plain,
                        "{} in {}",
                        e.raw_lower.get(..200).unwrap_or(""),
                        file.display()
                    );
                    passed += plain.len();
                });
            }
            assert!(stats.events > 500, "{} events", stats.events);
        }
        assert!(passed > 1000, "{passed} rule passes");
    }
}
