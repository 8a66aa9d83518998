//! Runs SPL rules over recorded Windows events the way Splunk would, so a detection
//! engineer sees which rules fire on attack data, which stay silent, and why.
//!
//! # API
//!
//! - [`Engine::new`]`(&[Rule], &`[`EngineOptions`]`)` compiles every Splunk rule (macros
//!   expanded with [`macros::default_table`] plus `--macros`, lookups from a directory); a
//!   rule it cannot run exactly is kept as not evaluable, with the reason.
//! - [`Engine::session`] → [`Session::push`]`(&Event)` per event → [`Session::finish`] gives
//!   a [`RuleOutcome`] per rule: fired or not, result rows, and the stage funnel.
//! - [`Engine::run_paths`] reads EVTX / JSON-lines files ([`input`]) into one session;
//!   [`coverage::coverage`] runs per ATT&CK-labelled file.
//! - [`event::from_json`] builds an [`Event`] (Splunk `_raw`, header and CIM fields, see
//!   [`cim::MAPPINGS`]) from the evtx crate's JSON or flat JSON.
//!
//! Events stream: each passes the rules' streaming stages at once and only blocking stages
//! keep state. Per event, only rules whose base search can match its sourcetype, source
//! and event id run (see [`plan::Selector`]).

pub mod cim;
pub mod coverage;
pub mod eval;
pub mod event;
pub mod exec;
pub mod input;
pub mod macros;
pub mod plan;
pub mod regex;
pub mod search;
pub mod value;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use rulescope_model::{LogicFormat, Rule};
use rulescope_spl::MacroTable;
use serde::Serialize;

pub use event::{Event, Fields, Rendering};
pub use input::InputStats;
pub use value::Value;

use exec::Runner;
use plan::{Lookups, Plan};

/// How rules are compiled and events rendered.
#[derive(Clone, Debug, Default)]
pub struct EngineOptions {
    pub rendering: Rendering,
    /// A macros.conf text whose stanzas override the default macros.
    pub macros_conf: Option<String>,
    /// Where CSV lookups are found (`<name>` or `<name>.csv`).
    pub lookups: Option<PathBuf>,
}

/// A compiled rule.
#[derive(Debug)]
pub struct CompiledRule {
    pub id: String,
    pub title: String,
    pub path: String,
    pub technique_ids: Vec<String>,
    pub plan: Result<Plan, String>,
}

/// All Splunk rules of a corpus, compiled.
pub struct Engine {
    pub rules: Vec<CompiledRule>,
    pub rendering: Rendering,
    /// The literal parts of every base search's raw-text patterns, found in one pass over
    /// each event's `_raw` so most patterns are ruled out without a search of their own.
    literals: Option<aho_corasick::AhoCorasick>,
    literal_count: usize,
    /// Candidates per event header, shared by every session (coverage runs one per file).
    candidates: Mutex<HashMap<HeaderKey, Arc<Candidates>>>,
}

/// A rule to compile: what [`Engine`] needs of a [`Rule`].
#[derive(Clone, Debug, Default)]
pub struct RuleSpec {
    pub id: String,
    pub title: String,
    pub path: String,
    pub technique_ids: Vec<String>,
    /// The SPL query.
    pub logic: String,
}

impl From<&Rule> for RuleSpec {
    fn from(r: &Rule) -> Self {
        RuleSpec {
            id: r.id.clone(),
            title: r.title.clone(),
            path: r.source.relative_path.clone(),
            technique_ids: r.technique_ids.clone(),
            logic: r.logic.clone(),
        }
    }
}

impl Engine {
    /// Compiles the Splunk rules of a corpus; rules in other formats are left out.
    pub fn new(rules: &[Rule], options: &EngineOptions) -> Engine {
        let specs: Vec<RuleSpec> = rules
            .iter()
            .filter(|r| r.logic_format == LogicFormat::Splunk)
            .map(RuleSpec::from)
            .collect();
        Engine::from_specs(&specs, options)
    }

    /// Compiles SPL rules.
    pub fn from_specs(rules: &[RuleSpec], options: &EngineOptions) -> Engine {
        let names = rules.iter().flat_map(|r| macro_names(&r.logic));
        let mut table: MacroTable = macros::default_table(names);
        if let Some(conf) = &options.macros_conf {
            table.add_conf(conf);
        }
        let mut lookups = Lookups::new(options.lookups.clone());
        let (mut literals, mut literal_ids) = (Vec::new(), HashMap::new());
        let rules = rules
            .iter()
            .map(|r| {
                let mut plan = plan::compile(&r.logic, &table, &mut lookups);
                if let Ok(plan) = &mut plan
                    && let Some(plan::Stage::Search(s)) = plan.stages.first_mut()
                {
                    *s = s.with_literals(&mut literals, &mut literal_ids);
                }
                CompiledRule {
                    id: r.id.clone(),
                    title: r.title.clone(),
                    path: r.path.clone(),
                    technique_ids: r.technique_ids.clone(),
                    plan,
                }
            })
            .collect();
        Engine {
            rules,
            rendering: options.rendering,
            literal_count: literals.len(),
            // Without the automaton every pattern is searched for: slower, same answers.
            literals: aho_corasick::AhoCorasick::builder()
                .kind(Some(aho_corasick::AhoCorasickKind::DFA))
                .build(&literals)
                .ok(),
            candidates: Mutex::new(HashMap::new()),
        }
    }

    /// The search a gate tests: a conjunct of a rule's base search, or all of it.
    fn gate_search(&self, (rule, item): (usize, Option<usize>)) -> &search::Search {
        static ALL: search::Search = search::Search::All;
        let Some(Ok(plan)) = self.rules.get(rule).map(|r| &r.plan) else {
            return &ALL;
        };
        match (plan.stages.first(), item) {
            (Some(plan::Stage::Search(search::Search::And(items))), Some(k)) => {
                items.get(k).unwrap_or(&ALL)
            }
            (Some(plan::Stage::Search(s)), _) => s,
            _ => &ALL,
        }
    }

    /// The candidates for an event's header, built from the first event with it.
    fn candidates(&self, key: &HeaderKey, event: &Event) -> Arc<Candidates> {
        // A poisoned lock only means another session panicked; the map is still sound.
        let mut cache = self.candidates.lock().unwrap_or_else(|e| e.into_inner());
        cache
            .entry(key.clone())
            .or_insert_with(|| Arc::new(Candidates::new(self, event, key)))
            .clone()
    }

    /// Which literals occur in an event's lower-cased `_raw`.
    fn found(&self, raw_lower: &str) -> Option<Vec<bool>> {
        let ac = self.literals.as_ref()?;
        let mut found = vec![false; self.literal_count];
        for m in ac.find_overlapping_iter(raw_lower) {
            found[m.pattern().as_usize()] = true;
        }
        Some(found)
    }

    pub fn session(&self) -> Session<'_> {
        Session {
            engine: self,
            runners: self
                .rules
                .iter()
                .map(|r| r.plan.as_ref().ok().map(Runner::new))
                .collect(),
            candidates: HashMap::new(),
            events: 0,
        }
    }

    /// Reads every event file under `paths` into one session. `progress` hears about each
    /// file as it starts and every event.
    pub fn run_paths(
        &self,
        paths: &[PathBuf],
        progress: &mut dyn FnMut(Progress<'_>),
    ) -> RunReport {
        let files = input::discover(paths);
        let mut stats = InputStats::default();
        let mut session = self.session();
        for (i, file) in files.iter().enumerate() {
            progress(Progress::File {
                index: i,
                total: files.len(),
                path: file,
            });
            input::read_file(file, self.rendering, &mut stats, &mut |event| {
                session.push(&event);
                progress(Progress::Event);
            });
        }
        RunReport {
            rendering: self.rendering,
            input: stats,
            rules: session.finish(),
        }
    }
}

/// Progress of [`Engine::run_paths`].
pub enum Progress<'a> {
    File {
        index: usize,
        total: usize,
        path: &'a Path,
    },
    Event,
}

/// The names of the backtick macros a query calls.
fn macro_names(logic: &str) -> impl Iterator<Item = String> + '_ {
    logic
        .split('`')
        .skip(1)
        .step_by(2)
        .map(|inner| inner.split('(').next().unwrap_or(inner).trim().to_owned())
}

/// What identifies an event header: sourcetype, source, event id, and whether its data
/// names event ids.
type HeaderKey = (String, String, Option<u32>, bool);

/// The rules that may match events of one header, each with a gate: the first part of its
/// base search the header leaves open. Hundreds of rules share a gate (`Type=Process OR
/// TERM(ingress.event.procstart)`, the EDR alternatives of the armory's Windows rules), so
/// testing each distinct gate once per event skips most rules at once.
struct Candidates {
    /// (rule index, conjunct of its base search, or the whole search)
    gates: Vec<(usize, Option<usize>)>,
    /// (rule index, gate index)
    rules: Vec<(usize, Option<usize>)>,
}

impl Candidates {
    fn new(engine: &Engine, event: &Event, (st, src, code, mentions): &HeaderKey) -> Self {
        let mut gates = Vec::new();
        let mut gate_ids: HashMap<String, usize> = HashMap::new();
        let mut rules = Vec::new();
        let mut print = String::new();
        for (i, r) in engine.rules.iter().enumerate() {
            let Ok(plan) = &r.plan else { continue };
            if !plan.selector.admits(st, src, *code, *mentions) {
                continue;
            }
            let Some(plan::Stage::Search(s)) = plan.stages.first() else {
                rules.push((i, None));
                continue;
            };
            let item = match plan.header.gate(s, event) {
                search::Gate::Never => continue,
                search::Gate::Always => {
                    rules.push((i, None));
                    continue;
                }
                search::Gate::Test(item) => item,
            };
            print.clear();
            engine.gate_search((i, item)).fingerprint(&mut print);
            let next = gates.len();
            let gate = *gate_ids.entry(print.clone()).or_insert_with(|| {
                gates.push((i, item));
                next
            });
            rules.push((i, Some(gate)));
        }
        Candidates { gates, rules }
    }
}

/// One pass of events through every rule.
pub struct Session<'e> {
    engine: &'e Engine,
    runners: Vec<Option<Runner<'e>>>,
    /// This session's copy of the engine's candidates, read without locking.
    candidates: HashMap<HeaderKey, Arc<Candidates>>,
    events: u64,
}

impl<'e> Session<'e> {
    pub fn push(&mut self, event: &Event) {
        self.events += 1;
        let key = (
            event.text("sourcetype"),
            event.text("source"),
            event.code,
            event.mentions_event_ids,
        );
        let engine = self.engine;
        let c = match self.candidates.get(&key) {
            Some(c) => c.clone(),
            None => {
                let c = engine.candidates(&key, event);
                self.candidates.insert(key, c.clone());
                c
            }
        };
        // Each distinct gate is tested at most once per event.
        let mut gates: Vec<Option<bool>> = vec![None; c.gates.len()];
        let found = engine.found(&event.raw_lower);
        for (i, gate) in &c.rules {
            if let Some(g) = gate {
                let open = *gates[*g].get_or_insert_with(|| {
                    engine.gate_search(c.gates[*g]).matches_with(
                        &event.fields,
                        Some(&event.raw_lower),
                        found.as_deref(),
                    )
                });
                if !open {
                    continue;
                }
            }
            if let Some(runner) = &mut self.runners[*i] {
                runner.offer(event, found.as_deref());
            }
        }
    }

    pub fn finish(self) -> Vec<RuleOutcome> {
        let events = self.events;
        self.engine
            .rules
            .iter()
            .zip(self.runners)
            .map(|(rule, runner)| {
                let status = match (runner, &rule.plan) {
                    (Some(mut r), Ok(plan)) => {
                        r.finish(events);
                        Status::Evaluated {
                            fired: r.row_count > 0,
                            row_count: r.row_count,
                            funnel: plan
                                .labels
                                .iter()
                                .zip(&r.funnel)
                                .map(|(stage, (i, o))| FunnelStage {
                                    stage: stage.clone(),
                                    rows_in: *i,
                                    rows_out: *o,
                                })
                                .collect(),
                            regex_limit_hits: r.ctx.limit_hits.get(),
                            regex_errors: r.ctx.regex_errors.borrow().clone(),
                            rows: r.rows,
                        }
                    }
                    (_, Err(reason)) => Status::NotEvaluable {
                        reason: reason.clone(),
                    },
                    (None, Ok(_)) => Status::NotEvaluable {
                        reason: "internal: no runner".into(),
                    },
                };
                RuleOutcome {
                    id: rule.id.clone(),
                    title: rule.title.clone(),
                    path: rule.path.clone(),
                    technique_ids: rule.technique_ids.clone(),
                    status,
                }
            })
            .collect()
    }
}

/// What happened to one rule.
#[derive(Clone, Debug, Serialize)]
pub struct RuleOutcome {
    pub id: String,
    pub title: String,
    pub path: String,
    pub technique_ids: Vec<String>,
    #[serde(flatten)]
    pub status: Status,
}

impl RuleOutcome {
    pub fn fired(&self) -> bool {
        matches!(self.status, Status::Evaluated { fired: true, .. })
    }
}

#[derive(Clone, Debug, Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum Status {
    NotEvaluable {
        reason: String,
    },
    Evaluated {
        fired: bool,
        row_count: u64,
        funnel: Vec<FunnelStage>,
        /// Regex searches that hit PCRE2's match limit (counted as no match).
        regex_limit_hits: u64,
        /// Regexes of eval functions that did not compile (the call gave null).
        regex_errors: Vec<String>,
        /// Result rows, up to [`exec::MAX_KEPT_ROWS`].
        rows: Vec<Fields>,
    },
}

/// Rows entering and leaving one stage.
#[derive(Clone, Debug, Serialize)]
pub struct FunnelStage {
    pub stage: String,
    pub rows_in: u64,
    pub rows_out: u64,
}

/// A whole `rulescope test` run.
#[derive(Clone, Debug, Serialize)]
pub struct RunReport {
    pub rendering: Rendering,
    pub input: InputStats,
    pub rules: Vec<RuleOutcome>,
}
