//! The SPL syntax tree. Every node carries the [`Span`] of its text in the parsed query;
//! text values are owned so a tree outlives its query and prints back to SPL.

use rulescope_model::Span;
use serde::Serialize;

/// A whole query or a subsearch: stages separated by `|`.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Pipeline {
    pub stages: Vec<Stage>,
    pub span: Span,
}

/// One stage: a command and its arguments.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Stage {
    /// Written after a `|`. False for the implicit base search and for a macro that trails
    /// the previous stage without a pipe (`... by host `hec_collect``).
    pub piped: bool,
    pub command: Command,
    pub span: Span,
}

/// A word as written: a command name, a keyword, an option name or a bare value.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Word {
    pub text: String,
    pub span: Span,
}

/// A double-quoted string. `raw` is the text between the quotes with escapes kept as written;
/// [`StrLit::value`] resolves `\"` and `\\`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct StrLit {
    pub raw: String,
    pub span: Span,
}

impl StrLit {
    /// The string's value: `\"` becomes `"` and `\\` becomes `\`; other escapes stay (regexes).
    pub fn value(&self) -> String {
        let mut out = String::with_capacity(self.raw.len());
        let mut chars = self.raw.chars();
        while let Some(c) = chars.next() {
            if c == '\\' {
                match chars.next() {
                    Some(n @ ('"' | '\\')) => out.push(n),
                    Some(n) => {
                        out.push('\\');
                        out.push(n);
                    }
                    None => out.push('\\'),
                }
            } else {
                out.push(c);
            }
        }
        out
    }
}

/// A backtick macro call: `` `name` `` or `` `name(arg, ...)` ``.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct MacroCall {
    pub name: String,
    /// `None` without parentheses; arguments are kept as written, trimmed.
    pub args: Option<Vec<MacroArg>>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct MacroArg {
    pub text: String,
    pub span: Span,
}

impl MacroCall {
    /// The `name(n)` key under which macros.conf defines this call.
    pub fn arity(&self) -> usize {
        self.args.as_ref().map_or(0, Vec::len)
    }
}

/// How a field name is quoted.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Quote {
    None,
    /// `"name"` (search, field lists)
    Double,
    /// `'name'` (eval/where)
    Single,
}

/// A field name as written; may hold wildcards (`process_*`), dots, `{}` or a foreach
/// template (`<<FIELD>>`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FieldName {
    pub name: String,
    pub quote: Quote,
    pub span: Span,
}

/// A value in a search comparison or an option: a word, a quoted string or a macro.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub enum Value {
    Word(Word),
    Str(StrLit),
    Macro(MacroCall),
    /// `TERM(x)` inside an `IN (...)` list.
    Indexed {
        kind: IndexedKind,
        text: String,
        span: Span,
    },
}

impl Value {
    pub fn span(&self) -> Span {
        match self {
            Value::Word(w) => w.span,
            Value::Str(s) => s.span,
            Value::Macro(m) => m.span,
            Value::Indexed { span, .. } => *span,
        }
    }

    /// The value as Splunk compares it: unquoted and unescaped; a macro gives its name.
    pub fn text(&self) -> String {
        match self {
            Value::Word(w) => w.text.clone(),
            Value::Str(s) => s.value(),
            Value::Macro(m) => m.name.clone(),
            Value::Indexed { text, .. } => text.clone(),
        }
    }
}

/// `key=value` in a command's options, or a macro standing among them (it usually expands to
/// options, like ESCU's `` `summariesonly` ``).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub enum CmdOption {
    Pair { key: Word, value: Value, span: Span },
    Macro(MacroCall),
}

/// One entry of a field list: a field or a macro expanding to fields.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub enum FieldItem {
    Field(FieldName),
    Macro(MacroCall),
}

/// A subsearch `[ ... ]`, or the bracketed template pipeline of `foreach`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Subsearch {
    pub pipeline: Pipeline,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub enum Command {
    /// The base search or the `search` command (`explicit` when the word is written).
    Search(SearchCommand),
    Where(WhereCommand),
    Eval(EvalCommand),
    /// stats, eventstats, streamstats, timechart, chart, sistats.
    Stats(StatsCommand),
    Tstats(TstatsCommand),
    /// table, fields (with `+`/`-`).
    Fields(FieldsCommand),
    Rename(RenameCommand),
    /// bin, bucket.
    Bin(BinCommand),
    Rex(RexCommand),
    Regex(RegexCommand),
    Lookup(LookupCommand),
    Inputlookup(InputlookupCommand),
    Sort(SortCommand),
    Convert(ConvertCommand),
    /// join, append, appendcols, appendpipe: options, fields and a subsearch.
    Join(JoinCommand),
    Foreach(ForeachCommand),
    /// Commands made of a count, options and fields: dedup, head, tail, fillnull, iplocation,
    /// spath, mvexpand, makemv, transaction, top, rare, makeresults, collect, return, ...
    Args(ArgsCommand),
    /// A macro standing as a stage.
    Macro(MacroCall),
    /// Any other command, or a known one written in a form the typed parsers do not model.
    Generic(GenericCommand),
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SearchCommand {
    /// The `search` keyword, when written.
    pub keyword: Option<Word>,
    pub expr: Option<SearchExpr>,
}

/// A search-language expression. In a search, OR binds tighter than AND (implicit or explicit).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub enum SearchExpr {
    /// Terms that must all match (space or `AND` between them).
    And(Vec<SearchExpr>, Span),
    Or(Vec<SearchExpr>, Span),
    Not(Box<SearchExpr>, Span),
    Group(Box<SearchExpr>, Span),
    /// A bare word matched against the raw text; may hold `*` wildcards.
    Term(Word),
    /// A quoted phrase.
    Phrase(StrLit),
    /// `field=value`, `field!=value`, `field<value`, ...
    Compare {
        field: FieldName,
        op: CompareOp,
        value: Value,
        span: Span,
    },
    /// `field IN (a, b, ...)`
    In {
        field: FieldName,
        values: Vec<Value>,
        span: Span,
    },
    /// `TERM(...)`, `PREFIX(...)`, `CASE(...)`, with the text inside as written.
    Indexed {
        kind: IndexedKind,
        text: String,
        span: Span,
    },
    Macro(MacroCall),
    Subsearch(Box<Subsearch>),
}

impl SearchExpr {
    pub fn span(&self) -> Span {
        match self {
            SearchExpr::And(_, s)
            | SearchExpr::Or(_, s)
            | SearchExpr::Not(_, s)
            | SearchExpr::Group(_, s) => *s,
            SearchExpr::Term(w) => w.span,
            SearchExpr::Phrase(p) => p.span,
            SearchExpr::Compare { span, .. }
            | SearchExpr::In { span, .. }
            | SearchExpr::Indexed { span, .. } => *span,
            SearchExpr::Macro(m) => m.span,
            SearchExpr::Subsearch(s) => s.span,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CompareOp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

impl CompareOp {
    pub fn as_str(self) -> &'static str {
        match self {
            CompareOp::Eq => "=",
            CompareOp::Ne => "!=",
            CompareOp::Lt => "<",
            CompareOp::Le => "<=",
            CompareOp::Gt => ">",
            CompareOp::Ge => ">=",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum IndexedKind {
    Term,
    Prefix,
    Case,
}

impl IndexedKind {
    pub fn as_str(self) -> &'static str {
        match self {
            IndexedKind::Term => "TERM",
            IndexedKind::Prefix => "PREFIX",
            IndexedKind::Case => "CASE",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct WhereCommand {
    pub expr: Expr,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct EvalCommand {
    pub assignments: Vec<Assignment>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Assignment {
    pub field: FieldName,
    pub value: Expr,
    pub span: Span,
}

/// An eval/where expression.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub enum Expr {
    Field(FieldName),
    Str(StrLit),
    /// A number as written.
    Num(Word),
    Call {
        name: Word,
        args: Vec<Expr>,
        span: Span,
    },
    Unary {
        op: UnaryOp,
        expr: Box<Expr>,
        span: Span,
    },
    Binary {
        op: BinaryOp,
        lhs: Box<Expr>,
        rhs: Box<Expr>,
        span: Span,
    },
    /// `expr IN (a, b)`
    In {
        expr: Box<Expr>,
        list: Vec<Expr>,
        span: Span,
    },
    Paren(Box<Expr>, Span),
    Macro(MacroCall),
    /// Where the parser found no expression; a diagnostic says why.
    Error(Span),
}

impl Expr {
    pub fn span(&self) -> Span {
        match self {
            Expr::Field(f) => f.span,
            Expr::Str(s) => s.span,
            Expr::Num(w) => w.span,
            Expr::Call { span, .. }
            | Expr::Unary { span, .. }
            | Expr::Binary { span, .. }
            | Expr::In { span, .. }
            | Expr::Paren(_, span)
            | Expr::Error(span) => *span,
            Expr::Macro(m) => m.span,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum UnaryOp {
    /// `NOT x` (any case)
    Not,
    /// `!x`
    Bang,
    /// `-x`
    Neg,
    /// `+x`
    Plus,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum BinaryOp {
    Or,
    Xor,
    And,
    /// `=`
    Eq,
    /// `==`
    EqEq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    Like,
    Add,
    Sub,
    Mul,
    Div,
    Mod,
    /// `.` string concatenation
    Concat,
}

impl BinaryOp {
    pub fn as_str(self) -> &'static str {
        match self {
            BinaryOp::Or => "OR",
            BinaryOp::Xor => "XOR",
            BinaryOp::And => "AND",
            BinaryOp::Eq => "=",
            BinaryOp::EqEq => "==",
            BinaryOp::Ne => "!=",
            BinaryOp::Lt => "<",
            BinaryOp::Le => "<=",
            BinaryOp::Gt => ">",
            BinaryOp::Ge => ">=",
            BinaryOp::Like => "LIKE",
            BinaryOp::Add => "+",
            BinaryOp::Sub => "-",
            BinaryOp::Mul => "*",
            BinaryOp::Div => "/",
            BinaryOp::Mod => "%",
            BinaryOp::Concat => ".",
        }
    }

    /// Left binding power: a larger number binds tighter.
    pub fn precedence(self) -> u8 {
        match self {
            // Splunk's documented order for eval/where: NOT, AND, OR, then XOR last.
            BinaryOp::Xor => 1,
            BinaryOp::Or => 2,
            BinaryOp::And => 3,
            BinaryOp::Eq
            | BinaryOp::EqEq
            | BinaryOp::Ne
            | BinaryOp::Lt
            | BinaryOp::Le
            | BinaryOp::Gt
            | BinaryOp::Ge
            | BinaryOp::Like => 5,
            BinaryOp::Add | BinaryOp::Sub | BinaryOp::Concat => 6,
            BinaryOp::Mul | BinaryOp::Div | BinaryOp::Mod => 7,
        }
    }
}

/// Binding power of `NOT`'s operand, of `IN`, and of the tight prefix operators.
pub(crate) const NOT_OPERAND_BP: u8 = 4;
pub(crate) const IN_BP: u8 = 5;
pub(crate) const PREFIX_BP: u8 = 8;

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct StatsCommand {
    /// stats, eventstats, streamstats, timechart, chart, ...
    pub name: Word,
    pub options: Vec<CmdOption>,
    pub aggregations: Vec<Aggregation>,
    pub by: Vec<FieldItem>,
    /// Options written after the by-clause (`span=1h` in timechart/tstats).
    pub by_options: Vec<CmdOption>,
}

/// `func(arg) as alias`, or a bare `count`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Aggregation {
    pub func: Word,
    /// `None` for bare `count`; otherwise the arguments inside the parentheses.
    pub args: Option<Vec<AggArg>>,
    pub alias: Option<FieldName>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub enum AggArg {
    Field(FieldName),
    /// `eval(expr)`
    Eval(Expr, Span),
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TstatsCommand {
    pub options: Vec<CmdOption>,
    pub aggregations: Vec<Aggregation>,
    /// `from datamodel=X` (as an option pair) or `from X`.
    pub from: Option<Value>,
    pub from_datamodel: bool,
    pub where_: Option<SearchExpr>,
    pub by: Vec<FieldItem>,
    pub by_options: Vec<CmdOption>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FieldsCommand {
    /// table or fields.
    pub name: Word,
    /// `+` or `-` after `fields`.
    pub sign: Option<char>,
    pub fields: Vec<FieldItem>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RenameCommand {
    pub pairs: Vec<RenamePair>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RenamePair {
    pub from: FieldName,
    pub to: FieldName,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct BinCommand {
    /// bin or bucket.
    pub name: Word,
    pub options: Vec<CmdOption>,
    pub field: Option<FieldName>,
    pub alias: Option<FieldName>,
}

/// The regex (or sed expression) of `rex`/`regex`: the raw remainder of the stage, since
/// real queries quote it in odd ways (`(?<name>"...")`, a stray `)` after the string).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Pattern {
    pub raw: String,
    pub span: Span,
}

impl Pattern {
    /// The regex when the remainder is exactly one quoted string, unescaped like a search
    /// string; `None` for the oddly quoted forms.
    pub fn quoted_value(&self) -> Option<String> {
        let inner = self.raw.strip_prefix('"')?.strip_suffix('"')?;
        let (end, terminated) = crate::lexer::scan_string(self.raw.as_bytes(), 0);
        (terminated && end == self.raw.len()).then(|| {
            StrLit {
                raw: inner.to_owned(),
                span: self.span,
            }
            .value()
        })
    }
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RexCommand {
    pub options: Vec<CmdOption>,
    pub pattern: Pattern,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RegexCommand {
    /// `None` matches `_raw`.
    pub field: Option<FieldName>,
    pub negated: bool,
    pub pattern: Pattern,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct LookupCommand {
    pub options: Vec<CmdOption>,
    pub table: Word,
    pub inputs: Vec<LookupField>,
    /// `OUTPUT` or `OUTPUTNEW`, and its fields.
    pub output: Option<(Word, Vec<LookupField>)>,
}

/// `field` or `field AS alias` in a lookup.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct LookupField {
    pub field: FieldName,
    pub alias: Option<FieldName>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct InputlookupCommand {
    pub options: Vec<CmdOption>,
    pub table: Value,
    pub where_: Option<SearchExpr>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SortCommand {
    pub count: Option<Word>,
    pub keys: Vec<SortKey>,
    /// A trailing `desc`/`d`.
    pub desc: Option<Word>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SortKey {
    /// `+` or `-`.
    pub sign: Option<char>,
    /// `num`, `str`, `ip` or `auto` around the field.
    pub func: Option<Word>,
    pub field: FieldName,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ConvertCommand {
    pub options: Vec<CmdOption>,
    pub conversions: Vec<Conversion>,
}

/// `func(field) [as alias]`
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Conversion {
    pub func: Word,
    pub field: FieldName,
    pub alias: Option<FieldName>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct JoinCommand {
    pub name: Word,
    pub options: Vec<CmdOption>,
    pub fields: Vec<FieldItem>,
    pub subsearch: Option<Subsearch>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ForeachCommand {
    pub fields: Vec<FieldItem>,
    pub options: Vec<CmdOption>,
    /// The template pipeline; `<<FIELD>>` stands for each field.
    pub body: Subsearch,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ArgsCommand {
    pub name: Word,
    /// A leading number (`head 10`, `dedup 3 host`, `top 5 user`).
    pub count: Option<Word>,
    pub options: Vec<CmdOption>,
    pub fields: Vec<FieldItem>,
    /// `by` fields (top, rare, dedup's `sortby` is not modelled).
    pub by: Vec<FieldItem>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct GenericCommand {
    pub name: Word,
    pub args: Vec<GenericArg>,
}

/// An argument of a command parsed in generic form.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub enum GenericArg {
    Word(Word),
    Str(StrLit),
    Macro(MacroCall),
    Option(CmdOption),
    /// `( ... )`
    Group(Vec<GenericArg>, Span),
    Subsearch(Subsearch),
    Comma(Span),
    /// `=`, `!=`, `<`, `<=`, `>`, `>=` standing alone.
    Operator(Word),
}

impl Command {
    /// The command's name as Splunk knows it (`search` for the base search, `macro` for a
    /// macro stage), lower-cased.
    pub fn name(&self) -> String {
        let word = match self {
            Command::Search(_) => return "search".into(),
            Command::Where(_) => return "where".into(),
            Command::Eval(_) => return "eval".into(),
            Command::Tstats(_) => return "tstats".into(),
            Command::Rename(_) => return "rename".into(),
            Command::Rex(_) => return "rex".into(),
            Command::Regex(_) => return "regex".into(),
            Command::Lookup(_) => return "lookup".into(),
            Command::Inputlookup(_) => return "inputlookup".into(),
            Command::Sort(_) => return "sort".into(),
            Command::Convert(_) => return "convert".into(),
            Command::Foreach(_) => return "foreach".into(),
            Command::Macro(_) => return "macro".into(),
            Command::Stats(c) => &c.name,
            Command::Fields(c) => &c.name,
            Command::Bin(c) => &c.name,
            Command::Join(c) => &c.name,
            Command::Args(c) => &c.name,
            Command::Generic(c) => &c.name,
        };
        word.text.to_ascii_lowercase()
    }

    /// Parsed in a typed form (anything but [`Command::Generic`]).
    pub fn is_typed(&self) -> bool {
        !matches!(self, Command::Generic(_))
    }
}
