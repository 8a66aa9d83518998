//! Typed forms of the common commands. Each parser returns `None` when the arguments do not
//! fit its form; the stage is then kept in generic form (see `Parser::command`).

use crate::ast::*;
use crate::lexer::{Lexer, Mode, Tk};
use crate::parser::{Parser, span};

const STATS: &[&str] = &[
    "stats",
    "eventstats",
    "streamstats",
    "timechart",
    "chart",
    "sistats",
    "sitimechart",
];
const JOINS: &[&str] = &[
    "join",
    "append",
    "appendcols",
    "appendpipe",
    "union",
    "multisearch",
];
const ARGS: &[&str] = &[
    "dedup",
    "head",
    "tail",
    "fillnull",
    "iplocation",
    "spath",
    "mvexpand",
    "makemv",
    "mvcombine",
    "nomv",
    "transaction",
    "top",
    "rare",
    "makeresults",
    "collect",
    "outputlookup",
    "return",
    "reverse",
    "uniq",
    "addtotals",
    "fieldsummary",
    "format",
    "datamodel",
    "from",
    "sendemail",
    "xmlkv",
    "kvform",
    "extract",
    "localize",
    "delta",
    "accum",
    "autoregress",
    "anomalydetection",
    "cluster",
    "untable",
    "xyseries",
    "inputcsv",
    "outputcsv",
    "filldown",
    "gentimes",
    "geostats",
    "rest",
    "metadata",
    "loadjob",
    "savedsearch",
    "require",
    "addinfo",
    "typer",
];

impl<'a> Parser<'a> {
    pub fn typed_command(&mut self, lower: &str, name: &Word) -> Option<Command> {
        let cmd = match lower {
            "search" => Command::Search(SearchCommand {
                keyword: Some(name.clone()),
                expr: self.search_seq(false),
            }),
            "where" => {
                if self.at_end() {
                    self.missing(name, "an expression");
                }
                Command::Where(WhereCommand {
                    expr: self.expr_top(&[]),
                })
            }
            "eval" => Command::Eval(self.eval(name)),
            "tstats" => Command::Tstats(self.tstats()?),
            "table" | "fields" => Command::Fields(self.fields_cmd(name)?),
            "rename" => Command::Rename(self.rename()?),
            "bin" | "bucket" => Command::Bin(self.bin(name)?),
            "rex" => Command::Rex(self.rex(name)),
            "regex" => Command::Regex(self.regex(name)),
            "lookup" => Command::Lookup(self.lookup()?),
            "inputlookup" => Command::Inputlookup(self.inputlookup()?),
            "sort" => Command::Sort(self.sort()?),
            "convert" => Command::Convert(self.convert()?),
            "foreach" => Command::Foreach(self.foreach()?),
            _ if STATS.contains(&lower) => Command::Stats(self.stats(name)?),
            _ if JOINS.contains(&lower) => Command::Join(self.join(name, lower == "appendpipe")?),
            _ if ARGS.contains(&lower) => Command::Args(self.args_cmd(name)?),
            _ => return None,
        };
        self.at_end().then_some(cmd)
    }

    fn missing(&mut self, name: &Word, what: &str) {
        self.error(
            "spl-missing-argument",
            format!("`{}` needs {what}", name.text),
            name.span,
        );
    }

    fn eval(&mut self, name: &Word) -> EvalCommand {
        let mut assignments = Vec::new();
        loop {
            let t = self.peek(Mode::Expr);
            let field = match t.kind {
                Tk::Word | Tk::SingleQuoted | Tk::Str => {
                    self.bump(t);
                    let quoted = t.kind != Tk::Word;
                    let inner = if quoted && t.closed {
                        (t.start + 1, t.end - 1)
                    } else {
                        (t.start + usize::from(quoted), t.end)
                    };
                    FieldName {
                        name: self.src.get(inner.0..inner.1).unwrap_or("").to_owned(),
                        quote: match t.kind {
                            Tk::Word => Quote::None,
                            Tk::Str => Quote::Double,
                            _ => Quote::Single,
                        },
                        span: span(t.start, t.end),
                    }
                }
                Tk::Eof if assignments.is_empty() => {
                    self.missing(name, "an assignment such as `x = y`");
                    break;
                }
                _ => {
                    let found = self.text(t).to_owned();
                    self.error(
                        "spl-expected-assignment",
                        format!("expected `field = expression`, found `{found}`"),
                        span(t.start, t.end.max(t.start + 1)),
                    );
                    self.lx.pos = self.lx.end;
                    break;
                }
            };
            let eq = self.peek(Mode::Expr);
            if eq.kind != Tk::Eq {
                self.error(
                    "spl-expected-assignment",
                    "expected `=` after the field name",
                    span(field.span.end as usize, eq.end.max(field.span.end as usize)),
                )
                .help = Some("eval assigns with a single `=`: `eval x = y`".into());
                self.lx.pos = self.lx.end;
                break;
            }
            self.bump(eq);
            let value = self.expr_top(&[Tk::Comma]);
            let s = field.span.to(value.span());
            assignments.push(Assignment {
                field,
                value,
                span: s,
            });
            let t = self.peek(Mode::Expr);
            if t.kind != Tk::Comma {
                break;
            }
            self.bump(t);
        }
        EvalCommand { assignments }
    }

    /// Aggregations: `func(args) [as alias]`, bare `count`/`c`, commas optional.
    fn aggregations(&mut self, stops: &[&str]) -> Option<Vec<Aggregation>> {
        let mut out = Vec::new();
        loop {
            let t = self.peek(Mode::Search);
            if t.kind == Tk::Comma && !out.is_empty() {
                self.bump(t);
                continue;
            }
            if t.kind != Tk::Word || self.at_option() {
                return Some(out);
            }
            let text = self.text(t);
            if stops.iter().any(|s| text.eq_ignore_ascii_case(s)) {
                return Some(out);
            }
            self.bump(t);
            let func = self.word(t);
            let open = self.peek(Mode::Search);
            let args = if open.kind == Tk::LParen && open.start == t.end {
                self.bump(open);
                Some(self.agg_args()?)
            } else if matches!(text, "count" | "c") {
                None
            } else {
                return None;
            };
            let alias = if self.at_keyword("as") {
                let kw = self.peek(Mode::Search);
                self.bump(kw);
                Some(self.field_name()?)
            } else {
                None
            };
            let end = alias.as_ref().map_or(self.lx.pos, |a| a.span.end as usize);
            out.push(Aggregation {
                func,
                args,
                alias,
                span: span(t.start, end),
            });
        }
    }

    fn agg_args(&mut self) -> Option<Vec<AggArg>> {
        let mut args = Vec::new();
        loop {
            let t = self.peek(Mode::Search);
            match t.kind {
                Tk::RParen => {
                    self.bump(t);
                    return Some(args);
                }
                Tk::Comma => self.bump(t),
                Tk::Word if self.text(t).eq_ignore_ascii_case("eval") => {
                    let (_, open) = self.peek2(Mode::Search);
                    if open.kind != Tk::LParen {
                        return None;
                    }
                    self.bump(open);
                    let e = self.expr_top(&[Tk::RParen]);
                    let close = self.eat(Tk::RParen, Mode::Expr)?;
                    args.push(AggArg::Eval(e, span(t.start, close.end)));
                }
                Tk::Word | Tk::Str => args.push(AggArg::Field(self.field_name()?)),
                _ => return None,
            }
        }
    }

    /// `by` and its field list, then any options (`span=1h`).
    fn by_clause(&mut self) -> Option<(Vec<FieldItem>, Vec<CmdOption>)> {
        if !self.at_keyword("by") {
            return Some((Vec::new(), self.options(false)?));
        }
        let kw = self.peek(Mode::Search);
        self.bump(kw);
        let by = self.field_list(&[]);
        if by.is_empty() {
            return None;
        }
        Some((by, self.options(false)?))
    }

    fn stats(&mut self, name: &Word) -> Option<StatsCommand> {
        let options = self.options(false)?;
        let aggregations = self.aggregations(&["by"])?;
        if aggregations.is_empty() {
            return None;
        }
        let (by, by_options) = self.by_clause()?;
        Some(StatsCommand {
            name: name.clone(),
            options,
            aggregations,
            by,
            by_options,
        })
    }

    fn tstats(&mut self) -> Option<TstatsCommand> {
        let options = self.options(true)?;
        let aggregations = self.aggregations(&["from", "where", "by"])?;
        let mut from = None;
        let mut from_datamodel = false;
        if self.at_keyword("from") {
            let kw = self.peek(Mode::Search);
            self.bump(kw);
            let (k, eq) = self.peek2(Mode::Search);
            if k.kind == Tk::Word
                && eq.kind == Tk::Eq
                && self.text(k).eq_ignore_ascii_case("datamodel")
            {
                self.bump(eq);
                from_datamodel = true;
            }
            from = Some(self.value()?);
        }
        let where_ = if self.at_keyword("where") {
            let kw = self.peek(Mode::Search);
            self.bump(kw);
            self.stop_at_by = true;
            let e = self.search_seq(false);
            self.stop_at_by = false;
            e
        } else {
            None
        };
        let (by, by_options) = self.by_clause()?;
        Some(TstatsCommand {
            options,
            aggregations,
            from,
            from_datamodel,
            where_,
            by,
            by_options,
        })
    }

    fn fields_cmd(&mut self, name: &Word) -> Option<FieldsCommand> {
        let t = self.peek(Mode::Search);
        let sign = match self.text(t) {
            "+" if t.kind == Tk::Word => Some('+'),
            "-" if t.kind == Tk::Word => Some('-'),
            _ => None,
        };
        if sign.is_some() {
            self.bump(t);
        }
        let fields = self.field_list(&[]);
        Some(FieldsCommand {
            name: name.clone(),
            sign,
            fields,
        })
    }

    fn rename(&mut self) -> Option<RenameCommand> {
        let mut pairs = Vec::new();
        while !self.at_end() {
            let from = self.field_name()?;
            if !self.at_keyword("as") {
                return None;
            }
            let kw = self.peek(Mode::Search);
            self.bump(kw);
            let to = self.field_name()?;
            let s = from.span.to(to.span);
            pairs.push(RenamePair { from, to, span: s });
            let t = self.peek(Mode::Search);
            if t.kind == Tk::Comma {
                self.bump(t);
            }
        }
        (!pairs.is_empty()).then_some(RenameCommand { pairs })
    }

    fn bin(&mut self, name: &Word) -> Option<BinCommand> {
        let mut options = Vec::new();
        let mut field = None;
        let mut alias = None;
        while !self.at_end() {
            if self.at_option() {
                options.push(self.option()?);
            } else if self.at_keyword("as") && field.is_some() {
                let kw = self.peek(Mode::Search);
                self.bump(kw);
                alias = Some(self.field_name()?);
            } else if field.is_none() {
                field = Some(self.field_name()?);
            } else {
                return None;
            }
        }
        Some(BinCommand {
            name: name.clone(),
            options,
            field,
            alias,
        })
    }

    /// The rest of the stage, trimmed, as a raw pattern.
    fn pattern_rest(&mut self) -> Pattern {
        let mut lx = Lexer::new(self.src.as_bytes(), self.lx.pos, self.lx.end);
        lx.skip_trivia();
        let start = lx.pos;
        let raw = self
            .src
            .get(start..self.lx.end)
            .unwrap_or("")
            .trim_ascii_end();
        self.lx.pos = self.lx.end;
        Pattern {
            raw: raw.to_owned(),
            span: span(start, start + raw.len()),
        }
    }

    fn rex(&mut self, name: &Word) -> RexCommand {
        let mut options = Vec::new();
        while self.at_option() {
            let (k, _) = self.peek2(Mode::Search);
            let key = self.text(k).to_ascii_lowercase();
            if !matches!(
                key.as_str(),
                "field" | "mode" | "max_match" | "offset_field"
            ) {
                break;
            }
            let mark = self.lx.pos;
            match self.option() {
                Some(o) => options.push(o),
                None => {
                    self.lx.pos = mark;
                    break;
                }
            }
        }
        let pattern = self.pattern_rest();
        if pattern.raw.is_empty() {
            self.missing(name, "a regular expression");
        }
        RexCommand { options, pattern }
    }

    fn regex(&mut self, name: &Word) -> RegexCommand {
        let (f, op) = self.peek2(Mode::Search);
        let mut field = None;
        let mut negated = false;
        if matches!(f.kind, Tk::Word | Tk::Str)
            && matches!(op.kind, Tk::Eq | Tk::Ne)
            && op.start == f.end
        {
            field = self.field_name();
            self.bump(op);
            negated = op.kind == Tk::Ne;
        }
        let pattern = self.pattern_rest();
        if pattern.raw.is_empty() {
            self.missing(name, "a regular expression");
            return RegexCommand {
                field,
                negated,
                pattern,
            };
        }
        if pattern.quoted_value().is_none() {
            self.check_bare_regex(&pattern, field.is_some());
        }
        RegexCommand {
            field,
            negated,
            pattern,
        }
    }

    /// A regex that is not one quoted string: a field glued to the string by a wrong
    /// operator (`uri_path-"..."`), or backslashes the search language would take as escapes.
    fn check_bare_regex(&mut self, pattern: &Pattern, has_field: bool) {
        let start = pattern.span.start as usize;
        let mut lx = Lexer::new(self.src.as_bytes(), start, pattern.span.end as usize);
        let (a, b) = (lx.next(Mode::Search), lx.next(Mode::Search));
        if !has_field && a.kind == Tk::Word && b.kind == Tk::Str && b.start == a.end {
            let text = self.text(a);
            if let Some(op) = text
                .chars()
                .last()
                .filter(|c| !c.is_alphanumeric() && *c != '_')
            {
                let field = &text[..text.len() - op.len_utf8()];
                self.error(
                    "spl-regex-bad-operator",
                    format!("`{op}` between `{field}` and the regex is not an operator"),
                    span(a.end - op.len_utf8(), a.end),
                )
                .help = Some(format!(
                    "did you mean `regex {field}=\"...\"`? as written the whole text is matched against _raw"
                ));
                return;
            }
        }
        if has_field && pattern.raw.contains('\\') && !pattern.raw.starts_with('"') {
            self.warning(
                "spl-unquoted-regex",
                "unquoted regex with backslashes",
                pattern.span,
            )
            .help = Some(format!(
                "quote it: \"{}\"",
                pattern.raw.replace('"', "\\\"")
            ));
        }
    }

    fn lookup(&mut self) -> Option<LookupCommand> {
        let options = self.options(false)?;
        let t = self.eat(Tk::Word, Mode::Search)?;
        let table = self.word(t);
        let inputs = self.lookup_fields()?;
        let output = if self.at_keyword("output") || self.at_keyword("outputnew") {
            let kw = self.peek(Mode::Search);
            self.bump(kw);
            Some((self.word(kw), self.lookup_fields()?))
        } else {
            None
        };
        Some(LookupCommand {
            options,
            table,
            inputs,
            output,
        })
    }

    fn lookup_fields(&mut self) -> Option<Vec<LookupField>> {
        let mut out = Vec::new();
        loop {
            let t = self.peek(Mode::Search);
            match t.kind {
                Tk::Comma => self.bump(t),
                Tk::Word if self.at_keyword("output") || self.at_keyword("outputnew") => {
                    return Some(out);
                }
                Tk::Word | Tk::Str => {
                    let field = self.field_name()?;
                    let alias = if self.at_keyword("as") {
                        let kw = self.peek(Mode::Search);
                        self.bump(kw);
                        Some(self.field_name()?)
                    } else {
                        None
                    };
                    let s = alias.as_ref().map_or(field.span, |a| field.span.to(a.span));
                    out.push(LookupField {
                        field,
                        alias,
                        span: s,
                    });
                }
                Tk::Eof => return Some(out),
                _ => return None,
            }
        }
    }

    fn inputlookup(&mut self) -> Option<InputlookupCommand> {
        let options = self.options(false)?;
        let table = self.value()?;
        let where_ = if self.at_keyword("where") {
            let kw = self.peek(Mode::Search);
            self.bump(kw);
            self.search_seq(false)
        } else {
            None
        };
        Some(InputlookupCommand {
            options,
            table,
            where_,
        })
    }

    fn sort(&mut self) -> Option<SortCommand> {
        let count = self.count();
        let mut keys = Vec::new();
        let mut desc = None;
        loop {
            let t = self.peek(Mode::Search);
            match t.kind {
                Tk::Comma => self.bump(t),
                Tk::Eof => break,
                Tk::Word => {
                    let text = self.text(t);
                    if (text.eq_ignore_ascii_case("desc") || text.eq_ignore_ascii_case("d"))
                        && !keys.is_empty()
                    {
                        self.bump(t);
                        if !self.at_end() {
                            return None;
                        }
                        desc = Some(self.word(t));
                        break;
                    }
                    keys.push(self.sort_key()?);
                }
                _ => return None,
            }
        }
        (!keys.is_empty()).then_some(SortCommand { count, keys, desc })
    }

    fn sort_key(&mut self) -> Option<SortKey> {
        let t = self.peek(Mode::Search);
        self.bump(t);
        let text = self.text(t);
        let sign = text.chars().next().filter(|c| matches!(c, '+' | '-'));
        let mut start = t.start + usize::from(sign.is_some());
        if start == t.end {
            // `- count`: the sign stands alone.
            let f = self.eat(Tk::Word, Mode::Search)?;
            start = f.start;
        }
        let end = self.lx.pos;
        let word_text = self.src.get(start..end).unwrap_or("");
        let open = self.peek(Mode::Search);
        let func_name = ["num", "str", "ip", "auto"]
            .iter()
            .any(|f| word_text.eq_ignore_ascii_case(f));
        let (func, field) = if open.kind == Tk::LParen && open.start == end && func_name {
            self.bump(open);
            let field = self.field_name()?;
            self.eat(Tk::RParen, Mode::Search)?;
            let func = Word {
                text: word_text.to_owned(),
                span: span(start, end),
            };
            (Some(func), field)
        } else {
            let field = FieldName {
                name: word_text.to_owned(),
                quote: Quote::None,
                span: span(start, end),
            };
            (None, field)
        };
        Some(SortKey {
            sign,
            func,
            field,
            span: span(t.start, self.lx.pos),
        })
    }

    /// A leading count (`head 10`).
    fn count(&mut self) -> Option<Word> {
        let t = self.peek(Mode::Search);
        let is_num = t.kind == Tk::Word && self.text(t).bytes().all(|c| c.is_ascii_digit());
        is_num.then(|| {
            self.bump(t);
            self.word(t)
        })
    }

    fn convert(&mut self) -> Option<ConvertCommand> {
        let options = self.options(false)?;
        let mut conversions = Vec::new();
        loop {
            let t = self.peek(Mode::Search);
            match t.kind {
                Tk::Comma => self.bump(t),
                Tk::Eof => break,
                Tk::Word => {
                    self.bump(t);
                    self.eat(Tk::LParen, Mode::Search)?;
                    let field = self.field_name()?;
                    let close = self.eat(Tk::RParen, Mode::Search)?;
                    let alias = if self.at_keyword("as") {
                        let kw = self.peek(Mode::Search);
                        self.bump(kw);
                        Some(self.field_name()?)
                    } else {
                        None
                    };
                    let end = alias.as_ref().map_or(close.end, |a| a.span.end as usize);
                    conversions.push(Conversion {
                        func: self.word(t),
                        field,
                        alias,
                        span: span(t.start, end),
                    });
                }
                _ => return None,
            }
        }
        (!conversions.is_empty()).then_some(ConvertCommand {
            options,
            conversions,
        })
    }

    fn join(&mut self, name: &Word, template: bool) -> Option<JoinCommand> {
        let mut options = Vec::new();
        let mut fields = Vec::new();
        let mut subsearch = None;
        loop {
            let t = self.peek(Mode::Search);
            match t.kind {
                Tk::Eof => break,
                _ if subsearch.is_some() => return None,
                Tk::Bracket => subsearch = Some(self.subsearch(t, template)),
                Tk::Comma => self.bump(t),
                Tk::Word if self.at_option() => options.push(self.option()?),
                Tk::Word | Tk::Str => fields.push(FieldItem::Field(self.field_name()?)),
                _ => return None,
            }
        }
        Some(JoinCommand {
            name: name.clone(),
            options,
            fields,
            subsearch,
        })
    }

    fn foreach(&mut self) -> Option<ForeachCommand> {
        let mut options = Vec::new();
        let mut fields = Vec::new();
        loop {
            let t = self.peek(Mode::Search);
            match t.kind {
                Tk::Bracket => {
                    let body = self.subsearch(t, true);
                    return Some(ForeachCommand {
                        fields,
                        options,
                        body,
                    });
                }
                Tk::Comma => self.bump(t),
                Tk::Word if self.at_option() => options.push(self.option()?),
                Tk::Word | Tk::Str => fields.push(FieldItem::Field(self.field_name()?)),
                _ => return None,
            }
        }
    }

    fn args_cmd(&mut self, name: &Word) -> Option<ArgsCommand> {
        let count = self.count();
        let mut options = Vec::new();
        let mut fields = Vec::new();
        loop {
            let t = self.peek(Mode::Search);
            match t.kind {
                Tk::Eof => break,
                Tk::Comma => self.bump(t),
                Tk::Word if self.at_keyword("by") => break,
                // dedup's `sortby` clause is not modelled.
                Tk::Word if self.at_keyword("sortby") => return None,
                Tk::Word if self.at_option() => options.push(self.option()?),
                Tk::Word | Tk::Str | Tk::Macro => fields.extend(self.field_list(&["by", "sortby"])),
                _ => return None,
            }
        }
        let by = if self.at_keyword("by") {
            let kw = self.peek(Mode::Search);
            self.bump(kw);
            let by = self.field_list(&[]);
            if by.is_empty() {
                return None;
            }
            by
        } else {
            Vec::new()
        };
        Some(ArgsCommand {
            name: name.clone(),
            count,
            options,
            fields,
            by,
        })
    }
}
