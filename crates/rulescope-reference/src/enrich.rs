//! Description enrichment: the armory appends labelled lists to the prose of a
//! description (`-- Threat Actor Association: APT28 (aka. Fancy Bear), ... - Software
//! Association: LockBit -- Atomics T1021.002 Test#3`). [`enrich`] splits them off.
//!
//! The labels are found by their text, never by the dashes: the separator before a label
//! is ` -- `, ` - `, a sentence end or nothing at all (`... Wizard Spider Software
//! Association: ...`), and labels are misspelled (`Threat Actor Assocaition:`). Every
//! variant below was measured in `shared/research/armory-corpus.md` §1.

use std::sync::LazyLock;

use regex::Regex;
use serde::Serialize;

/// A threat actor or a piece of software, as the description names it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Attribution {
    /// The name outside parentheses, as written: `APT28`, `ALPHV/BlackCat`.
    pub name: String,
    /// Names inside parentheses, `aka.` dropped: `Fancy Bear`, `Fighting Ursa`, ...
    pub aliases: Vec<String>,
}

impl Attribution {
    /// The key to count by: the `/`-separated names of `name`, lower-cased, sorted and
    /// joined by `/`. `ALPHV/BlackCat` and `Blackcat/ALPHV` both give `alphv/blackcat`;
    /// `LockBit` and `Lockbit` give `lockbit`. Parenthesised aliases are left out because
    /// descriptions list different aliases for the same actor.
    pub fn key(&self) -> String {
        let mut names: Vec<String> = self
            .name
            .split('/')
            .map(|n| {
                n.split_whitespace()
                    .collect::<Vec<_>>()
                    .join(" ")
                    .to_lowercase()
            })
            .filter(|n| !n.is_empty())
            .collect();
        names.sort();
        names.dedup();
        names.join("/")
    }
}

/// Atomic Red Team tests of one technique (`Atomics T1021.002 Test#3`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct AtomicTest {
    /// Always with its `T`, even when the description left it out.
    pub technique_id: String,
    /// Empty when the description names no test.
    pub test_numbers: Vec<u32>,
}

/// A "living off the land" project the description tags the rule with.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub enum LivingOffTheLand {
    #[serde(rename = "LOLBAS")]
    Lolbas,
    #[serde(rename = "LOLRMM")]
    Lolrmm,
    #[serde(rename = "GTFOBins")]
    Gtfobins,
    /// Living Off Trusted Sites.
    #[serde(rename = "LOTS")]
    Lots,
}

/// What a description says, split into prose and labelled facts.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Enrichment {
    /// The prose before the first label, trimmed, its final punctuation kept.
    pub summary: String,
    pub threat_actors: Vec<Attribution>,
    pub software: Vec<Attribution>,
    pub atomic_tests: Vec<AtomicTest>,
    pub living_off_the_land: Vec<LivingOffTheLand>,
    /// `#TrendingThreat #Russia` or `Tags: TrendingThreat, Russia`, without the `#`.
    pub tags: Vec<String>,
    /// CVE ids named anywhere in the description (upper case), then any other entry of
    /// a `Vulnerability Association:` label.
    pub vulnerabilities: Vec<String>,
    pub campaigns: Vec<String>,
    /// Prose found among the labels (`-- While this use case can detect the above
    /// atomics, ...`), kept so nothing the author wrote is lost.
    pub notes: Vec<String>,
}

/// The kinds of label.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Label {
    Actors,
    Software,
    Vulnerabilities,
    Campaigns,
    Tags,
    Atomic(AtomicTest),
    Hashtag,
    Lotl(LivingOffTheLand),
}

/// Every label in one pass. Headers (`...:`) introduce a list that runs to the next
/// label; the other alternatives are whole items.
static LABELS: LazyLock<Regex> = LazyLock::new(|| {
    // ASCII classes and boundaries: labels are ASCII, and Unicode word boundaries keep the
    // regex engine off its fast DFA paths.
    regex::RegexBuilder::new(concat!(
        r"(?i)(?P<actors>threat\s*(?:actor|group)\s*ass?oc[a-z]*\s*:)",
        r"|(?P<software>software\s*(?:assoc[a-z]*|attribution)\s*:)",
        r"|(?P<vulns>vulnerability\s+(?:association|reference)\s*:)",
        r"|(?P<campaigns>\bcampaigns?\s*:)",
        r"|(?P<tags>\btags\s*:)",
        // Atomics T1021.002 Test#3 | Atomic 1003.002 Test #1 | Atomics T1489 #Test2 |
        // Atomics Test T1518.001 Test #6 | Atomic Test #3: T1548.002 | Atomic Test T1040 - Test #1
        // | Atomics T1059 Tests #1, #2, #3
        // The capitalised form also matches glued to the word before (`VawtrakAtomics T1056.001`),
        // and the id may run into `Test` (`T1003.003Test #1`).
        r"|(?P<atomic>(?:\batomics?|(?-i:Atomics?))(?:\s+test(?:\s*#\s*(?P<pre>\d+)\s*:)?)?\s+T?(?P<tid>\d{4}(?:\.\d{3})?)",
        r"(?:\s*-?\s*(?:tests?\s*#?\s*(?P<nums>\d+(?:\s*,\s*#?\s*\d+)*)|#\s*test\s*(?P<hash>\d+)))?)",
        r"|(?P<hashtag>\B#[a-z][a-z0-9_]*)",
        r"|(?P<lolbas>living\s+off\s+the\s+land\s+binar(?:y|ies)\s+and\s+scripts\s*\(lolbas\)(?:\s*\(lolbins?\))?",
        r"|lolbins?\s*[/\\]\s*lolbas|lolbas\s*[/\\]\s*lolbins?|\blolbas\b)",
        r"|(?P<lolrmm>\blolrmm\b)",
        r"|(?P<gtfobins>\bgtfobins(?:\s+lolbins)?\b)",
        r"|(?P<lots>\blots\s*\(living\s+off\s+trusted\s+sites\))",
    ))
    .unicode(false)
    .build()
    .expect("the label pattern is valid")
});

static CVE: LazyLock<Regex> = LazyLock::new(|| {
    // The corpus writes some CVE ids with an en dash.
    Regex::new(r"(?i)\bCVE[-\u{2013}](\d{4})[-\u{2013}](\d{4,7})\b")
        .expect("the CVE pattern is valid")
});

static NUMBER: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\d+").expect("the number pattern is valid"));

/// One label found in the text.
struct Found {
    label: Label,
    start: usize,
    end: usize,
}

/// Splits a description into its summary and labelled facts.
pub fn enrich(description: &str) -> Enrichment {
    let found = find_labels(description);
    let mut enrichment = Enrichment {
        summary: trim_separators(
            &description[..found.first().map_or(description.len(), |f| f.start)],
        )
        .to_owned(),
        ..Enrichment::default()
    };
    for (i, label) in found.iter().enumerate() {
        let next = found.get(i + 1).map_or(description.len(), |f| f.start);
        let body = trim_separators(&description[label.end..next]);
        match &label.label {
            Label::Actors => push_unique(&mut enrichment.threat_actors, attributions(body)),
            Label::Software => push_unique(&mut enrichment.software, attributions(body)),
            Label::Vulnerabilities => {
                let entries = split_list(body).into_iter();
                push_unique(
                    &mut enrichment.vulnerabilities,
                    entries.filter(|e| !CVE.is_match(e)),
                );
            }
            Label::Campaigns => push_unique(&mut enrichment.campaigns, split_list(body)),
            Label::Tags => push_unique(&mut enrichment.tags, split_list(body)),
            Label::Atomic(atomic) => add_atomic(&mut enrichment.atomic_tests, atomic),
            Label::Hashtag => {
                let tag = description[label.start + 1..label.end].to_owned();
                push_unique(&mut enrichment.tags, [tag]);
            }
            Label::Lotl(project) => push_unique(&mut enrichment.living_off_the_land, [*project]),
        }
        // A list runs to the next label; after a single item, text up to the next label is prose.
        let is_item = matches!(
            label.label,
            Label::Atomic(_) | Label::Hashtag | Label::Lotl(_)
        );
        if is_item && !body.is_empty() {
            enrichment.notes.push(body.to_owned());
        }
    }
    // CVE ids in prose count as much as labelled ones; other labelled entries follow them.
    let mut cves: Vec<String> = CVE
        .captures_iter(description)
        .map(|c| format!("CVE-{}-{}", &c[1], &c[2]))
        .collect();
    cves.dedup();
    let others = std::mem::take(&mut enrichment.vulnerabilities);
    push_unique(
        &mut enrichment.vulnerabilities,
        cves.into_iter().chain(others),
    );
    enrichment
}

fn find_labels(text: &str) -> Vec<Found> {
    let mut found: Vec<Found> = Vec::new();
    // Finding matches is fast; resolving capture groups is not, so groups are resolved
    // only at each match, not while scanning the whole description.
    for found_at in LABELS.find_iter(text) {
        let Some(caps) = LABELS.captures_at(text, found_at.start()) else {
            continue;
        };
        let Some(whole) = caps.get(0) else { continue };
        let group = |name: &str| caps.name(name).is_some();
        let atomic = caps.name("tid").map(|id| {
            let numbers = ["pre", "nums", "hash"]
                .iter()
                .filter_map(|n| caps.name(n))
                .flat_map(|m| NUMBER.find_iter(m.as_str()))
                .filter_map(|n| n.as_str().parse().ok())
                .collect();
            AtomicTest {
                technique_id: format!("T{}", id.as_str()),
                test_numbers: numbers,
            }
        });
        let label = if let Some(atomic) = atomic {
            Label::Atomic(atomic)
        } else if group("actors") {
            Label::Actors
        } else if group("software") {
            Label::Software
        } else if group("vulns") {
            Label::Vulnerabilities
        } else if group("campaigns") {
            Label::Campaigns
        } else if group("tags") {
            Label::Tags
        } else if group("hashtag") {
            Label::Hashtag
        } else if group("lolbas") {
            Label::Lotl(LivingOffTheLand::Lolbas)
        } else if group("lolrmm") {
            Label::Lotl(LivingOffTheLand::Lolrmm)
        } else if group("gtfobins") {
            Label::Lotl(LivingOffTheLand::Gtfobins)
        } else if group("lots") {
            Label::Lotl(LivingOffTheLand::Lots)
        } else {
            continue;
        };
        found.push(Found {
            label,
            start: whole.start(),
            end: whole.end(),
        });
    }
    // Living-off-the-land tags are labels only where nothing but labels follows: in prose
    // ("documented in the LOLBAS project") they are words. Checking from the end judges a
    // run of tags (`LOLBAS -- LOLRMM`) by what follows the run.
    for i in (0..found.len()).rev() {
        if matches!(found[i].label, Label::Lotl(_)) {
            let next = found.get(i + 1).map_or(text.len(), |f| f.start);
            if !trim_separators(&text[found[i].end..next]).is_empty() {
                found.remove(i);
            }
        }
    }
    found
}

/// Trims whitespace and separator dashes (` -- `, ` - `, en and em dashes) at both ends;
/// a dash that is part of a word (`Storm-0978`, `*nix -`) is kept unless it stands alone.
fn trim_separators(text: &str) -> &str {
    const DASHES: &[char] = &['-', '\u{2013}', '\u{2014}'];
    let mut text = text.trim();
    loop {
        let before = text;
        if let Some(rest) = text.strip_suffix(DASHES) {
            let rest = rest.trim_end_matches(DASHES);
            if rest.is_empty() || rest.ends_with(char::is_whitespace) {
                text = rest.trim_end();
            }
        }
        if let Some(rest) = text.strip_prefix(DASHES) {
            let rest = rest.trim_start_matches(DASHES);
            if rest.is_empty() || rest.starts_with(char::is_whitespace) {
                text = rest.trim_start();
            }
        }
        if text == before {
            return text;
        }
    }
}

/// Splits a list on commas (and `. `) outside parentheses, dropping empty entries and
/// list-end punctuation. An entry of digits only continues the one before: the corpus has
/// `TA,505` and `APT, 29` for TA505 and APT29.
fn split_list(text: &str) -> Vec<String> {
    let mut depth = 0usize;
    let mut start = 0;
    let mut pieces = Vec::new();
    let mut chars = text.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        match c {
            '(' => depth += 1,
            ')' => depth = depth.saturating_sub(1),
            ',' | ';' if depth == 0 => {
                pieces.push(&text[start..i]);
                start = i + 1;
            }
            '.' if depth == 0 && chars.peek().is_some_and(|(_, next)| next.is_whitespace()) => {
                pieces.push(&text[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    pieces.push(&text[start..]);
    let mut entries: Vec<String> = Vec::with_capacity(pieces.len());
    for piece in pieces {
        let piece = trim_separators(piece.trim_end_matches(['.', ',', ';']));
        match entries.last_mut() {
            Some(last) if !piece.is_empty() && piece.bytes().all(|b| b.is_ascii_digit()) => {
                last.push_str(piece);
            }
            _ if !piece.is_empty() => entries.push(piece.to_owned()),
            _ => {}
        }
    }
    entries
}

/// `APT28 (aka.Fancy Bear, Fighting Ursa), Cadet Blizzard` → APT28 with two aliases, and
/// Cadet Blizzard.
fn attributions(list: &str) -> impl Iterator<Item = Attribution> {
    split_list(list).into_iter().map(|entry| {
        let mut name = String::new();
        let mut aliases = Vec::new();
        let mut rest = entry.as_str();
        while let Some(open) = rest.find('(') {
            name.push_str(&rest[..open]);
            let inner = &rest[open + 1..];
            let close = inner.find(')').unwrap_or(inner.len());
            aliases.extend(alias_list(&inner[..close]));
            rest = inner.get(close + 1..).unwrap_or("");
        }
        name.push_str(rest);
        // `Gamaredon Group/Shuckworm,/Armageddon` leaves a stray slash on an entry.
        let name = name.split_whitespace().collect::<Vec<_>>().join(" ");
        Attribution {
            name: name.trim_matches(['/', ' ']).to_owned(),
            aliases,
        }
    })
}

/// `aka.Fancy Bear, Fighting Ursa` or `aka. Stately Taurus//Earth Preta/TA416`.
fn alias_list(text: &str) -> impl Iterator<Item = String> {
    let text = text.trim_start();
    let lower = text.to_ascii_lowercase();
    let skip = ["a.k.a.", "a.k.a", "aka.", "aka:", "aka", "also known as"]
        .iter()
        .find(|p| {
            lower.starts_with(*p)
                && !lower[p.len()..]
                    .starts_with(|c: char| c.is_ascii_alphanumeric() && p.ends_with('a'))
        })
        .map_or(0, |p| p.len());
    text[skip..]
        .split([',', '/', ';'])
        .map(|a| a.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|a| !a.is_empty())
        .collect::<Vec<_>>()
        .into_iter()
}

fn push_unique<T: PartialEq>(into: &mut Vec<T>, items: impl IntoIterator<Item = T>) {
    for item in items {
        if !into.contains(&item) {
            into.push(item);
        }
    }
}

/// Repeats of one technique (`Atomics T1047 Test#7 Atomics T1047 Test#8`) merge into one entry.
fn add_atomic(into: &mut Vec<AtomicTest>, atomic: &AtomicTest) {
    match into
        .iter_mut()
        .find(|a| a.technique_id == atomic.technique_id)
    {
        Some(existing) => push_unique(
            &mut existing.test_numbers,
            atomic.test_numbers.iter().copied(),
        ),
        None => into.push(atomic.clone()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(list: &[Attribution]) -> Vec<&str> {
        list.iter().map(|a| a.name.as_str()).collect()
    }

    #[test]
    fn splits_the_psexec_description() {
        let e = enrich(
            "Impackets psexec.py enables users to execute commands or gain an interactive shell on a remote host. -- Threat Actor Association: APT28 (aka.Fancy Bear, Fighting Ursa, Forest Blizzard, Pawn Storm, TA422, STRONTIUM), Cadet Blizzard, UNC5221, UTA0178 - Software Association: LockBit, Vice Society -- Atomics T1021.002 Test#3",
        );
        assert_eq!(
            e.summary,
            "Impackets psexec.py enables users to execute commands or gain an interactive shell on a remote host."
        );
        assert_eq!(
            names(&e.threat_actors),
            ["APT28", "Cadet Blizzard", "UNC5221", "UTA0178"]
        );
        assert_eq!(
            e.threat_actors[0].aliases,
            [
                "Fancy Bear",
                "Fighting Ursa",
                "Forest Blizzard",
                "Pawn Storm",
                "TA422",
                "STRONTIUM"
            ]
        );
        assert!(e.threat_actors[1].aliases.is_empty());
        assert_eq!(names(&e.software), ["LockBit", "Vice Society"]);
        assert_eq!(
            e.atomic_tests,
            [AtomicTest {
                technique_id: "T1021.002".into(),
                test_numbers: vec![3]
            }]
        );
        assert!(e.notes.is_empty() && e.tags.is_empty() && e.living_off_the_land.is_empty());
    }

    #[test]
    fn labels_glued_without_separators() {
        let e = enrich(
            "Detects it. Threat Actor Association: FIN7, Wizard Spider Software Association: Bazar, Conti Atomics T1003.002 Test #3",
        );
        assert_eq!(e.summary, "Detects it.");
        assert_eq!(names(&e.threat_actors), ["FIN7", "Wizard Spider"]);
        assert_eq!(names(&e.software), ["Bazar", "Conti"]);
        assert_eq!(e.atomic_tests[0].technique_id, "T1003.002");
    }

    #[test]
    fn label_spelling_variants() {
        for label in [
            "Threat Actor Association:",
            "Threat Group Association:",
            "Threat Actor Assocaition:",
            "ThreatActor Association:",
            "Threat Actor association:",
        ] {
            let e = enrich(&format!("Text - {label} Kimsuky"));
            assert_eq!(e.summary, "Text", "{label}");
            assert_eq!(names(&e.threat_actors), ["Kimsuky"], "{label}");
        }
        for label in [
            "Software Association:",
            "Software Attribution:",
            "Software Associations:",
            "Software association:",
        ] {
            let e = enrich(&format!("Text. {label} Clop"));
            assert_eq!(names(&e.software), ["Clop"], "{label}");
        }
    }

    #[test]
    fn atomic_variants() {
        let cases: &[(&str, &str, &[u32])] = &[
            ("Atomics T1021.002 Test#3", "T1021.002", &[3]),
            ("Atomics T1021.002 Test #3", "T1021.002", &[3]),
            ("Atomic T1555.003 Test #14", "T1555.003", &[14]),
            ("Atomics 1003.002 Test #1", "T1003.002", &[1]),
            ("Atomics T1036", "T1036", &[]),
            (
                "Atomics T1059.001 Tests #1, #2, #3",
                "T1059.001",
                &[1, 2, 3],
            ),
            ("Atomics T1489 #Test2", "T1489", &[2]),
            ("Atomics Test T1518.001 Test #6", "T1518.001", &[6]),
            ("Atomic Test #3: T1548.002", "T1548.002", &[3]),
            ("Atomic Test T1040 - Test #1", "T1040", &[1]),
            ("Atomics T1003.003Test #1", "T1003.003", &[1]),
        ];
        for (text, id, numbers) in cases {
            let e = enrich(&format!("Prose. {text}"));
            assert_eq!(e.summary, "Prose.", "{text}");
            assert_eq!(e.atomic_tests.len(), 1, "{text}");
            assert_eq!(e.atomic_tests[0].technique_id, *id, "{text}");
            assert_eq!(e.atomic_tests[0].test_numbers, *numbers, "{text}");
            assert!(e.notes.is_empty(), "{text}: {:?}", e.notes);
        }
        let merged = enrich("X -- Atomics T1047 Test#7 Atomics T1047 Test#8 Atomics T1105 Test#9");
        assert_eq!(merged.atomic_tests.len(), 2);
        assert_eq!(merged.atomic_tests[0].test_numbers, [7, 8]);
        let glued = enrich("X - Software Association: Vawtrak, VawtrakAtomics T1056.001 Test #1");
        assert_eq!(names(&glued.software), ["Vawtrak"]);
        assert_eq!(glued.atomic_tests[0].technique_id, "T1056.001");
        // "Atomic Stealer" is malware, not a test.
        assert!(
            enrich("Threat actors such as Atomic Stealer abuse it.")
                .atomic_tests
                .is_empty()
        );
    }

    #[test]
    fn prose_among_labels_becomes_a_note() {
        let e = enrich(
            "Detects WMI. -- Atomics T1047 Test#9 -- While this use case can detect the above atomics, it is not mapped.",
        );
        assert_eq!(e.summary, "Detects WMI.");
        assert_eq!(
            e.notes,
            ["While this use case can detect the above atomics, it is not mapped."]
        );
    }

    #[test]
    fn living_off_the_land_tags_but_not_prose() {
        let e = enrich(
            "CMSTP installs profiles. Living Off the Land Binary and Scripts (LOLBAS) (LOLBIN) Atomics T1218.003 Test #1",
        );
        assert_eq!(e.summary, "CMSTP installs profiles.");
        assert_eq!(e.living_off_the_land, [LivingOffTheLand::Lolbas]);
        let e = enrich("Detects hh.exe. LOLBAS Atomics T1218.001 Test #2");
        assert_eq!(e.summary, "Detects hh.exe.");
        assert_eq!(e.living_off_the_land, [LivingOffTheLand::Lolbas]);
        let e = enrich("Listed on GTFOBins and LOLRMM, it is abused. This detects it.");
        assert!(e.living_off_the_land.is_empty());
        assert_eq!(
            e.summary,
            "Listed on GTFOBins and LOLRMM, it is abused. This detects it."
        );
        let e = enrich("Abused as documented in the LOLBAS project. This detects it.");
        assert!(e.living_off_the_land.is_empty());
        assert_eq!(
            e.summary,
            "Abused as documented in the LOLBAS project. This detects it."
        );
        let e = enrich("Detects SimpleHelp. - LOLRMM");
        assert_eq!(
            (e.summary.as_str(), e.living_off_the_land.as_slice()),
            ("Detects SimpleHelp.", &[LivingOffTheLand::Lolrmm][..])
        );
        assert_eq!(
            enrich("Runs it. LOLBINS\\LOLBAS").living_off_the_land,
            [LivingOffTheLand::Lolbas]
        );
        let e = enrich(
            "Uploads. LOTS (Living Off Trusted Sites) -- Threat Actor Association: Andariel",
        );
        assert_eq!(e.living_off_the_land, [LivingOffTheLand::Lots]);
        assert_eq!(names(&e.threat_actors), ["Andariel"]);
    }

    #[test]
    fn tags_campaigns_and_vulnerabilities() {
        let e = enrich("Kerberoasting. #TrendingThreat #Russia #Ukraine Atomics T1558.003 #Test1");
        assert_eq!(e.tags, ["TrendingThreat", "Russia", "Ukraine"]);
        assert_eq!(e.atomic_tests[0].test_numbers, [1]);
        let e = enrich(
            "X. Software Association: Ryuk, WASTEDLOCKER Tags: TrendingThreat, Russia, Ukraine",
        );
        assert_eq!(names(&e.software), ["Ryuk", "WASTEDLOCKER"]);
        assert_eq!(e.tags, ["TrendingThreat", "Russia", "Ukraine"]);
        let e = enrich(
            "Attack stages. - Campaign: SmoothOperator - Threat Actor Association: Lazarus Group (aka Labyrinth Chollima)",
        );
        assert_eq!(e.campaigns, ["SmoothOperator"]);
        assert_eq!(e.threat_actors[0].aliases, ["Labyrinth Chollima"]);
        let e = enrich(
            "Print Nightmare cve-2021-1675 and CVE\u{2013}2021\u{2013}34527. Vulnerability reference: CVE-2024-32002",
        );
        assert_eq!(
            e.vulnerabilities,
            ["CVE-2021-1675", "CVE-2021-34527", "CVE-2024-32002"]
        );
        assert_eq!(
            e.summary,
            "Print Nightmare cve-2021-1675 and CVE\u{2013}2021\u{2013}34527."
        );
    }

    #[test]
    fn lists_split_outside_parentheses_only() {
        let e = enrich(
            "X -- Threat Actor Association: Mustang Panda (aka. Stately Taurus//Earth Preta/TA416), Volt Typhoon (Bronze Silhouette, Vanguard Panda), Storm-0978 --",
        );
        assert_eq!(
            names(&e.threat_actors),
            ["Mustang Panda", "Volt Typhoon", "Storm-0978"]
        );
        assert_eq!(
            e.threat_actors[0].aliases,
            ["Stately Taurus", "Earth Preta", "TA416"]
        );
        assert_eq!(
            e.threat_actors[1].aliases,
            ["Bronze Silhouette", "Vanguard Panda"]
        );
    }

    #[test]
    fn keys_ignore_case_and_order() {
        let key = |name: &str| {
            Attribution {
                name: name.into(),
                aliases: vec![],
            }
            .key()
        };
        assert_eq!(key("ALPHV/BlackCat"), key("Blackcat/ALPHV"));
        assert_eq!(key("Prometheus / Spook"), "prometheus/spook");
        assert_eq!(key("LockBit"), key("Lockbit"));
        assert_ne!(key("APT29/Nobelium"), key("APT29"));
    }

    #[test]
    fn separators_and_words_with_dashes() {
        assert_eq!(trim_separators(" -- a - b -- "), "a - b");
        assert_eq!(trim_separators("Linux *nix -"), "Linux *nix");
        assert_eq!(trim_separators("Storm-0978"), "Storm-0978");
        assert_eq!(trim_separators("well-known-"), "well-known-");
        assert_eq!(enrich("No labels at all.").summary, "No labels at all.");
        assert_eq!(enrich("").summary, "");
    }
}
