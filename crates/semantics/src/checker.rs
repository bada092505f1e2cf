//! The checker: walks a file's statements, resolves `use`, evaluates declarations with
//! [`Checker::eval`], constructs builtin values and assembles the [`Program`].

use crate::Loader;
use crate::builtins::{self, Default as ParamDefault, Ty};
use crate::eval::{Call, Env, MAX_ITEMS, closest};
use crate::program::*;
use crate::stdlib;
use crate::units::{self, Dim};
use crate::value::{Module, RangeValue, UserFunction, Value};
use anneal_diagnostics::{Diagnostic, FileId, SourceMap};
use anneal_syntax::ast::*;
use anneal_syntax::parser::StatementSink;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::sync::Arc;

pub struct Checker<'l> {
    pub loader: &'l dyn Loader,
    pub sources: SourceMap,
    pub diagnostics: Vec<Diagnostic>,
    pub reported: HashSet<(&'static str, FileId, Span)>,
    pub steps: u64,
    pub budget_exceeded: bool,
    /// The functions whose bodies are being checked (a use of their name inside is recursion).
    pub defining: Vec<Arc<FunctionDef>>,
    modules: HashMap<String, Rc<Module>>,
    loading: Vec<(String, String)>,
    /// Values replacing top-level `let`s of the main file (scenario items).
    pub overrides: HashMap<String, Value>,
    /// Expressions (source text) replacing top-level `let`s of the main file, each evaluated
    /// where its `let` stands, as a file named `<repl>` (the REPL's `:set`).
    pub override_texts: HashMap<String, String>,
}

/// What the main file declared, gathered while its statements are checked.
#[derive(Default)]
struct Gathered {
    experiment: Option<Experiment>,
    connectomes: Vec<NamedConnectome>,
    harmonics: Option<Harmonics>,
    sinks: Option<Sinks>,
    cooling: Option<Curve>,
    sources: Vec<NamedSource>,
    landscape: Option<Landscape>,
    record: Option<RecordSpec>,
    expectations: Vec<Expectation>,
    scenarios: Vec<Scenario>,
    /// Statements that may appear once: name → span of the first.
    singletons: HashMap<&'static str, Span>,
    declared_patterns: Vec<String>,
}

fn loc(file: FileId, span: Span) -> Loc {
    Loc { file, span }
}

/// The keyword that starts a landscape statement, whose patterns the main file's statements may
/// name before it.
const LANDSCAPE_KEYWORD: &str = "landscape";

/// Checks the main file's statements as the parser hands them over: the patterns of every
/// landscape statement are declared first, then each statement is checked in order, while the
/// later parts of a large file are still being parsed.
struct MainFile<'c, 'l, 'm> {
    checker: &'c mut Checker<'l>,
    module: &'m Rc<Module>,
    path: &'m Path,
    gathered: &'m mut Gathered,
}

impl StatementSink for MainFile<'_, '_, '_> {
    fn early(&mut self, statement: &Statement) {
        self.checker
            .declare_patterns(self.module, statement, self.gathered);
    }

    fn statement(&mut self, statement: &Statement) {
        self.checker
            .check_statement(self.module, statement, self.path, true, self.gathered);
    }
}

impl<'l> Checker<'l> {
    pub fn new(loader: &'l dyn Loader) -> Checker<'l> {
        Checker {
            loader,
            sources: SourceMap::new(),
            diagnostics: Vec::new(),
            reported: HashSet::new(),
            steps: 0,
            budget_exceeded: false,
            defining: Vec::new(),
            modules: HashMap::new(),
            loading: Vec::new(),
            overrides: HashMap::new(),
            override_texts: HashMap::new(),
        }
    }

    /// Checks the main script `text` (named `name`, located at `path` for relative imports).
    pub fn check_main(&mut self, name: &str, path: &Path, text: &str) -> Option<Program> {
        self.check_main_module(name, path, text).0
    }

    /// [`Checker::check_main`], also returning the main file's module, whose scope holds the
    /// script's top-level names (the REPL evaluates what is typed at the prompt in it).
    pub fn check_main_module(
        &mut self,
        name: &str,
        path: &Path,
        text: &str,
    ) -> (Option<Program>, Rc<Module>) {
        let file = self.sources.add(name, text);
        let module = Rc::new(Module {
            file,
            display_name: name.to_string(),
            scope: Default::default(),
        });
        self.loading.push((key_of_path(path), name.to_string()));
        let before = (
            self.diagnostics.len(),
            self.reported.clone(),
            self.steps,
            self.budget_exceeded,
            self.modules.clone(),
        );
        let mut gathered = Gathered::default();
        let parsed = anneal_syntax::parser::parse_streaming(
            file,
            text,
            LANDSCAPE_KEYWORD,
            &mut MainFile {
                checker: self,
                module: &module,
                path,
                gathered: &mut gathered,
            },
        );
        self.loading.pop();
        let parsed = match parsed {
            Ok(parsed) => parsed,
            Err(errors) => {
                // The statements checked before the syntax error was found are forgotten: a file
                // with syntax errors reports those alone, as if nothing had been checked.
                let (diagnostics, reported, steps, budget_exceeded, modules) = before;
                self.diagnostics.truncate(diagnostics);
                self.reported = reported;
                self.steps = steps;
                self.budget_exceeded = budget_exceeded;
                // Imports loaded meanwhile are loaded again, with their diagnostics, when the
                // file is fixed or when the prompt uses them.
                self.modules = modules;
                for error in errors {
                    self.error(error);
                }
                let unchecked = Rc::new(Module {
                    file,
                    display_name: name.to_string(),
                    scope: Default::default(),
                });
                return (None, unchecked);
            }
        };
        self.warn_unused(&module);
        let program = self.assemble(file, &parsed, gathered);
        if self.diagnostics.iter().any(Diagnostic::is_error) {
            (None, module)
        } else {
            (program, module)
        }
    }

    /// Checks `use`, `let` and `fn` statements typed at the REPL prompt into `module` (whose file
    /// is the typed line); imports resolve relative to `path`. Unlike a script, a name may be
    /// defined again: the new definition replaces the old one for what is typed afterwards.
    pub fn check_prompt_statements(&mut self, module: &Rc<Module>, parsed: &File, path: &Path) {
        let file = module.file;
        for statement in &parsed.statements {
            let redefined = match &statement.kind {
                StatementKind::Let { name, .. } => Some(&name.text),
                StatementKind::Function(def) => Some(&def.name.text),
                _ => None,
            };
            if let Some(name) = redefined {
                module.scope.borrow_mut().bindings.remove(name.as_str());
            }
            match &statement.kind {
                StatementKind::Use(use_statement) => {
                    self.check_use(module, use_statement, path, statement.span)
                }
                StatementKind::Let { name, value } => {
                    let mut env = self.env(module);
                    let result = self.eval(&mut env, value);
                    self.bind(module, name, result, false);
                }
                StatementKind::Function(def) => self.check_function(module, def),
                _ => self.error(
                    Diagnostic::error(
                        "E0014",
                        file,
                        statement.span,
                        "only `use`, `let`, `fn` and expressions can be typed at the prompt",
                    )
                    .with_label(statement.span, "an experiment statement")
                    .with_help("edit the script and `:load` it, or change a `let` with `:set`"),
                ),
            }
        }
    }

    /// Evaluates the expression `text`, added to the sources as a file named `name`, in
    /// `module`'s scope; a syntax error is reported and gives [`Value::Unknown`].
    pub fn eval_text(&mut self, module: &Rc<Module>, name: &str, text: &str) -> Value {
        let file = self.sources.add(name, text);
        match anneal_syntax::parse_expression(file, text) {
            Ok(expr) => {
                // Diagnostics and values take their file from the module: evaluate in a module
                // of the new file that sees what `module` sees now.
                let scope = {
                    let current = module.scope.borrow();
                    crate::value::Scope {
                        bindings: current.bindings.clone(),
                        count: current.count,
                    }
                };
                let here = Rc::new(Module {
                    file,
                    display_name: name.to_string(),
                    scope: std::cell::RefCell::new(scope),
                });
                let mut env = self.env(&here);
                self.eval(&mut env, &expr)
            }
            Err(error) => {
                self.error(error);
                Value::Unknown
            }
        }
    }

    /// Evaluates an expression typed at the REPL prompt in `module`'s scope.
    pub fn eval_at_prompt(&mut self, module: &Rc<Module>, expr: &Expr) -> Value {
        let mut env = self.env(module);
        self.eval(&mut env, expr)
    }

    fn warn_unused(&mut self, module: &Rc<Module>) {
        let scope = module.scope.borrow();
        let mut unused: Vec<(String, Loc)> = Vec::new();
        for (name, bindings) in &scope.bindings {
            for binding in bindings {
                if binding.warn_unused && !binding.used && !name.starts_with('_') {
                    unused.push((name.to_string(), binding.loc));
                }
            }
        }
        drop(scope);
        unused.sort_by_key(|(_, l)| l.span.start);
        for (name, l) in unused {
            self.error(
                Diagnostic::warning("W0001", l.file, l.span, format!("`{name}` is never used"))
                    .with_label(l.span, "defined here")
                    .with_help(format!("remove it, or name it `_{name}` to keep it")),
            );
        }
    }

    /// Declares the patterns of a landscape statement of the main file. Patterns are visible by
    /// name everywhere in the main file (sources refer to them as content and may come before the
    /// landscape block), so this runs for every landscape statement before any statement is
    /// checked.
    fn declare_patterns(
        &mut self,
        module: &Rc<Module>,
        statement: &Statement,
        gathered: &mut Gathered,
    ) {
        let StatementKind::Landscape { settings, .. } = &statement.kind else {
            return;
        };
        let file = module.file;
        for setting in settings {
            if let Setting::Pattern { name, .. } = setting
                && !gathered
                    .declared_patterns
                    .iter()
                    .any(|known| *known == name.text)
            {
                gathered.declared_patterns.push(name.text.to_string());
                if builtins::builtin(&name.text).is_some()
                    || builtins::quantity(&name.text).is_some()
                {
                    self.error(
                        Diagnostic::warning(
                            "W0002",
                            file,
                            name.span,
                            format!("pattern `{}` shadows a builtin of the same name", name.text),
                        )
                        .with_label(name.span, "shadows the builtin")
                        .with_help("rename the pattern to keep the builtin usable"),
                    );
                }
                module.scope.borrow_mut().insert(
                    &name.text,
                    Value::PatternName(name.text.clone()),
                    loc(file, name.span),
                    false,
                );
            }
        }
    }

    /// Checks one statement of a file, in order: names it binds become visible to the statements
    /// after it, and what the main file declares is gathered for its program.
    fn check_statement(
        &mut self,
        module: &Rc<Module>,
        statement: &Statement,
        path: &Path,
        is_main: bool,
        gathered: &mut Gathered,
    ) {
        let file = module.file;
        let span = statement.span;
        let definition_only = matches!(
            statement.kind,
            StatementKind::Use(_) | StatementKind::Let { .. } | StatementKind::Function(_)
        );
        if !is_main && !definition_only {
            self.error(
                Diagnostic::error(
                    "E0014",
                    file,
                    span,
                    "an imported module may contain only `use`, `let` and `fn`",
                )
                .with_label(span, "not allowed in a module")
                .with_help("experiment statements belong in the main script"),
            );
            return;
        }
        match &statement.kind {
            StatementKind::Use(use_statement) => self.check_use(module, use_statement, path, span),
            StatementKind::Let { name, value } => {
                let mut env = self.env(module);
                let mut result = self.eval(&mut env, value);
                if is_main && let Some(replacement) = self.overrides.get(name.text.as_str()) {
                    result = replacement.clone();
                }
                if is_main && let Some(text) = self.override_texts.get(name.text.as_str()).cloned()
                {
                    result = self.eval_text(module, "<repl>", &text);
                }
                self.bind(module, name, result, true);
            }
            StatementKind::Function(def) => self.check_function(module, def),
            StatementKind::Experiment { title, settings } => {
                if self.singleton(gathered, "experiment", file, span) {
                    gathered.experiment = self.experiment(module, title, settings, span);
                }
            }
            StatementKind::Connectome { name, value } => {
                let mut env = self.env(module);
                let result = self.eval(&mut env, value);
                let bound = match result {
                    Value::Connectome(connectome) => {
                        gathered.connectomes.push(NamedConnectome {
                            name: name.text.to_string(),
                            value: (*connectome).clone(),
                        });
                        Value::Connectome(connectome)
                    }
                    Value::Unknown => Value::Unknown,
                    other => {
                        self.expected(file, value.span, "a connectome", &other);
                        Value::Unknown
                    }
                };
                self.bind(module, name, bound, false);
            }
            StatementKind::Harmonics {
                connectome,
                settings,
            } => {
                if self.singleton(gathered, "harmonics", file, span) {
                    gathered.harmonics = self.harmonics(module, connectome, settings, span);
                }
            }
            StatementKind::Sinks { settings } => {
                if self.singleton(gathered, "sinks", file, span) {
                    gathered.sinks = self.sinks(module, settings, span);
                }
            }
            StatementKind::Cooling { value } => {
                if self.singleton(gathered, "cooling", file, span) {
                    let mut env = self.env(module);
                    match self.eval(&mut env, value) {
                        Value::Curve(curve) => gathered.cooling = Some(*curve),
                        Value::Unknown => {}
                        other => self.expected(file, value.span, "a cooling curve", &other),
                    }
                }
            }
            StatementKind::Source { name, value } => {
                let mut env = self.env(module);
                let result = self.eval(&mut env, value);
                let bound = match result {
                    Value::Source(source) => {
                        gathered.sources.push(NamedSource {
                            name: name.text.to_string(),
                            source: Source::clone(&source),
                            loc: loc(file, span),
                        });
                        Value::Source(source)
                    }
                    Value::Unknown => Value::Unknown,
                    other => {
                        self.expected(file, value.span, "a source", &other);
                        Value::Unknown
                    }
                };
                self.bind(module, name, bound, false);
            }
            StatementKind::Landscape { level, settings } => {
                if self.singleton(gathered, "landscape", file, span) {
                    gathered.landscape = self.landscape(module, level, settings, span);
                }
            }
            StatementKind::Record {
                every,
                items,
                destination,
            } => {
                if self.singleton(gathered, "record", file, span) {
                    gathered.record = self.record(
                        module,
                        every,
                        items,
                        destination,
                        span,
                        &gathered.declared_patterns,
                    );
                }
            }
            StatementKind::Expect { condition } => {
                let mut env = self.env(module);
                if let Some(expectation) = self.expectation(&mut env, condition) {
                    gathered.expectations.push(expectation);
                }
            }
            StatementKind::Scenario { title, items } => {
                if let Some(scenario) = self.scenario(module, title, items, span, gathered) {
                    gathered.scenarios.push(scenario);
                }
            }
        }
    }

    fn env<'m>(&self, module: &'m Rc<Module>) -> Env<'m> {
        let visible_below = module.scope.borrow().count;
        Env {
            module,
            visible_below,
            locals: Vec::new(),
            axes: None,
        }
    }

    fn expected(&mut self, file: FileId, span: Span, what: &str, found: &Value) {
        let mut diagnostic = Diagnostic::error(
            "E0008",
            file,
            span,
            format!("expected {what}, found {}", found.describe()),
        )
        .with_label(span, format!("this is {}", found.describe()));
        if what == "a source" && matches!(found, Value::Connectome(_)) {
            diagnostic = diagnostic.with_help("a connectome is the brain the sources act on; make a source with `source(...)` or a preset such as `meditation(...)`");
        }
        self.error(diagnostic);
    }

    fn singleton(
        &mut self,
        gathered: &mut Gathered,
        what: &'static str,
        file: FileId,
        span: Span,
    ) -> bool {
        if let Some(first) = gathered.singletons.get(what) {
            self.error(
                Diagnostic::error(
                    "E0014",
                    file,
                    span,
                    format!("a script has one `{what}` statement; this is the second"),
                )
                .with_label(span, "second")
                .with_label(*first, "first")
                .with_help("merge them into one"),
            );
            return false;
        }
        gathered.singletons.insert(what, span);
        true
    }

    fn bind(&mut self, module: &Rc<Module>, name: &Name, value: Value, warn_unused: bool) {
        let file = module.file;
        let mut scope = module.scope.borrow_mut();
        if let Some(existing) = scope.bindings.get(&name.text).and_then(|b| b.last()) {
            let first = existing.loc;
            drop(scope);
            let mut diagnostic = Diagnostic::error(
                "E0012",
                file,
                name.span,
                format!("`{}` is already defined", name.text),
            )
            .with_label(name.span, "defined again here");
            if first.file == file {
                diagnostic = diagnostic.with_label(first.span, "first defined here");
            }
            self.error(diagnostic.with_help("rename one of them"));
            return;
        }
        scope.insert(
            &name.text,
            value,
            loc(file, name.span),
            warn_unused && self.loading.len() == 1,
        );
        drop(scope);
        if builtins::builtin(&name.text).is_some() || builtins::quantity(&name.text).is_some() {
            self.error(
                Diagnostic::warning(
                    "W0002",
                    file,
                    name.span,
                    format!("`{}` shadows a builtin of the same name", name.text),
                )
                .with_label(name.span, "shadows the builtin")
                .with_help("rename it to keep the builtin usable"),
            );
        }
    }

    fn check_function(&mut self, module: &Rc<Module>, def: &Arc<FunctionDef>) {
        let file = module.file;
        let mut seen: Vec<&str> = Vec::new();
        for param in &def.params {
            if seen.contains(&param.name.text.as_str()) {
                self.error(
                    Diagnostic::error(
                        "E0012",
                        file,
                        param.name.span,
                        format!("parameter `{}` appears twice", param.name.text),
                    )
                    .with_label(param.name.span, "second"),
                );
            }
            seen.push(&param.name.text);
        }
        let visible_below = module.scope.borrow().count;
        let function = Rc::new(UserFunction {
            def: Arc::clone(def),
            module: module.clone(),
            visible_below,
        });
        // Check the body once with the parameters at their defaults (or unknown), so mistakes in
        // functions that are never called are still reported.
        self.defining.push(Arc::clone(def));
        let mut env = Env {
            module,
            visible_below,
            locals: Vec::new(),
            axes: None,
        };
        for param in &def.params {
            let value = match &param.default {
                Some(default) => self.eval(&mut env, default),
                None => Value::Unknown,
            };
            env.locals.push((&param.name.text, value));
        }
        self.eval_body(&mut env, def);
        self.defining.pop();
        self.bind(module, &def.name, Value::Function(function), true);
    }

    // ---- modules ------------------------------------------------------------------------------

    fn check_use(
        &mut self,
        module: &Rc<Module>,
        use_statement: &UseStatement,
        path: &Path,
        span: Span,
    ) {
        let file = module.file;
        let (key, display, target_span, text, module_path): (
            String,
            String,
            Span,
            Option<Vec<u8>>,
            PathBuf,
        ) = match &use_statement.target {
            UseTarget::Module(segments) => {
                let dotted: Vec<&str> = segments.iter().map(|s| s.text.as_str()).collect();
                let dotted = dotted.join(".");
                let target_span = segments.first().map_or(span, |f| {
                    f.span.join(segments.last().map_or(f.span, |l| l.span))
                });
                match stdlib::module(&dotted) {
                    Some(text) => (
                        dotted.clone(),
                        format!("<{dotted}>"),
                        target_span,
                        Some(text.as_bytes().to_vec()),
                        PathBuf::from(&dotted),
                    ),
                    None => {
                        let mut diagnostic = Diagnostic::error(
                            "E0005",
                            file,
                            target_span,
                            format!("there is no module `{dotted}`"),
                        )
                        .with_label(target_span, "unknown module");
                        match closest(&dotted, stdlib::MODULES.iter().map(|(n, _)| *n)) {
                            Some(s) => diagnostic = diagnostic.with_help(format!("did you mean `{s}`?")),
                            None => {
                                diagnostic = diagnostic.with_help(format!(
                                    "the standard library has {}; to import a file, write its path in quotes",
                                    stdlib::MODULES.iter().map(|(n, _)| format!("`{n}`")).collect::<Vec<_>>().join(", ")
                                ))
                            }
                        }
                        self.error(diagnostic);
                        return;
                    }
                }
            }
            UseTarget::File(relative) => {
                let base = path.parent().unwrap_or(Path::new(""));
                let full = base.join(&relative.value);
                let key = key_of_path(&full);
                let bytes = self.loader.load(&full).ok();
                if bytes.is_none() {
                    self.error(
                        Diagnostic::error(
                            "E0005",
                            file,
                            relative.span,
                            format!("cannot read `{}`", relative.value),
                        )
                        .with_label(relative.span, "file not found")
                        .with_help("paths are relative to the importing script"),
                    );
                    return;
                }
                (key, relative.value.clone(), relative.span, bytes, full)
            }
        };
        if let Some(position) = self.loading.iter().position(|(k, _)| *k == key) {
            let mut chain: Vec<String> = self.loading[position..]
                .iter()
                .map(|(_, d)| d.clone())
                .collect();
            chain.push(display.clone());
            self.error(
                Diagnostic::error(
                    "E0006",
                    file,
                    target_span,
                    format!("import cycle: {}", chain.join(" -> ")),
                )
                .with_label(target_span, "this import closes the cycle")
                .with_help("move the shared definitions into a file that both import"),
            );
            return;
        }
        let imported = match self.modules.get(&key) {
            Some(existing) => existing.clone(),
            None => {
                let bytes = text.unwrap_or_default();
                let Some(loaded) = self.load_module(&key, &display, &bytes, &module_path) else {
                    return;
                };
                loaded
            }
        };
        let last_segment = match &use_statement.target {
            UseTarget::Module(segments) => segments.last().cloned(),
            UseTarget::File(_) => None,
        };
        if let Some(alias) = &use_statement.alias {
            self.bind(module, alias, Value::Module(imported), false);
        } else if !use_statement.names.is_empty() {
            for name in &use_statement.names {
                let found = imported
                    .scope
                    .borrow_mut()
                    .lookup(&name.text, usize::MAX)
                    .map(|b| {
                        b.used = true;
                        b.value.clone()
                    });
                match found {
                    Some(value) => self.bind(module, name, value, false),
                    None => {
                        let names: Vec<String> = imported
                            .scope
                            .borrow()
                            .names()
                            .map(str::to_string)
                            .collect();
                        let mut diagnostic = Diagnostic::error(
                            "E0005",
                            file,
                            name.span,
                            format!("`{display}` has no `{}`", name.text),
                        )
                        .with_label(name.span, "not defined in the module");
                        if let Some(s) = closest(&name.text, names.iter().map(String::as_str)) {
                            diagnostic = diagnostic.with_help(format!("did you mean `{s}`?"));
                        }
                        self.error(diagnostic);
                    }
                }
            }
        } else if let Some(last) = last_segment {
            self.bind(module, &last, Value::Module(imported), false);
        } else {
            // `use "file.anneal"` imports every name the file defines.
            let mut names: Vec<(String, Value)> = imported
                .scope
                .borrow()
                .bindings
                .iter()
                .filter_map(|(n, b)| b.last().map(|b| (n.to_string(), b.value.clone())))
                .collect();
            names.sort_by(|a, b| a.0.cmp(&b.0));
            for (name, value) in names {
                self.bind(
                    module,
                    &Name {
                        text: name.into(),
                        span: target_span,
                    },
                    value,
                    false,
                );
            }
        }
    }

    fn load_module(
        &mut self,
        key: &str,
        display: &str,
        bytes: &[u8],
        path: &Path,
    ) -> Option<Rc<Module>> {
        let text = match std::str::from_utf8(bytes) {
            Ok(text) => text.to_string(),
            Err(_) => String::from_utf8_lossy(bytes).into_owned(),
        };
        let file = self.sources.add(display, text.clone());
        if let Err(error) = anneal_syntax::guard::decode(file, bytes) {
            self.error(error);
            return None;
        }
        let parsed = match anneal_syntax::parse(file, &text) {
            Ok(parsed) => parsed,
            Err(errors) => {
                for error in errors {
                    self.error(error);
                }
                return None;
            }
        };
        let module = Rc::new(Module {
            file,
            display_name: display.to_string(),
            scope: Default::default(),
        });
        self.loading.push((key.to_string(), display.to_string()));
        let mut ignored = Gathered::default();
        for statement in &parsed.statements {
            self.check_statement(&module, statement, path, false, &mut ignored);
        }
        self.loading.pop();
        self.modules.insert(key.to_string(), module.clone());
        Some(module)
    }

    // ---- builtin construction -----------------------------------------------------------------

    /// Builds the value of a builtin call whose arguments are bound and type-checked.
    pub fn construct(&mut self, env: &mut Env, call: &mut Call) -> Value {
        use crate::builtins::Category::*;
        let file = call.file;
        let name = call.builtin.name;
        match call.builtin.category {
            Envelope => {
                let envelope = match name {
                    "pulse" => crate::program::Envelope::Pulse {
                        at: call.scalar("at").expect("required"),
                        length: call.scalar("for").expect("required"),
                    },
                    "ramp" => crate::program::Envelope::Ramp {
                        at: call.scalar("at").expect("required"),
                        rise: call.scalar("rise").expect("required"),
                        hold: call.scalar("hold").expect("default"),
                        fall: call.scalar("fall").expect("default"),
                    },
                    _ => crate::program::Envelope::Bateman {
                        at: call.scalar("at").expect("required"),
                        dose: call.scalar("dose").expect("default"),
                        absorption_rate: call.scalar("absorption").expect("required"),
                        elimination_rate: call.scalar("elimination").expect("required"),
                    },
                };
                for param in ["for", "rise", "hold", "fall"] {
                    if call.builtin.params.iter().any(|p| p.name == param)
                        && let Some(s) = call.scalar(param)
                        && s.value < 0.0
                    {
                        let span = call.span_of(param);
                        self.error(
                            Diagnostic::error(
                                "E0017",
                                file,
                                span,
                                format!("`{param}` must not be negative"),
                            )
                            .with_label(span, "negative"),
                        );
                        return Value::Unknown;
                    }
                }
                Value::Envelope(Box::new(envelope))
            }
            SourcePart => {
                let coupling = || Coupling {
                    bands: call.bands("bands"),
                    regions: call.weights("regions"),
                };
                let part = match name {
                    "broadband" => crate::program::SourcePart::Broadband {
                        rate: call.scalar("rate").expect("required"),
                        coupling: coupling(),
                    },
                    "tones" => {
                        let frequencies = match call.value("frequencies") {
                            Some(Value::List(items)) => items
                                .iter()
                                .filter_map(|v| {
                                    if let Value::Number(s) = v {
                                        Some(*s)
                                    } else {
                                        None
                                    }
                                })
                                .collect(),
                            _ => Vec::new(),
                        };
                        crate::program::SourcePart::Tones {
                            frequencies,
                            amplitude: call.scalar("amplitude").expect("default"),
                            coupling: coupling(),
                        }
                    }
                    "beat" => crate::program::SourcePart::Beat {
                        frequency: call.scalar("frequency").expect("required"),
                        amplitude: call.scalar("amplitude").expect("default"),
                        coupling: coupling(),
                    },
                    "metronome" => crate::program::SourcePart::Metronome {
                        frequency: call.scalar("frequency").expect("required"),
                        coupling: call.scalar("coupling").expect("default"),
                    },
                    "suppress_sinks" => crate::program::SourcePart::SuppressSinks {
                        amount: call.scalar("amount").expect("required"),
                    },
                    "boost_sinks" => {
                        let amount = call.scalar("amount").expect("required");
                        if amount.value < 0.0 {
                            let span = call.span_of("amount");
                            self.error(
                                Diagnostic::error(
                                    "E0017",
                                    file,
                                    span,
                                    "`amount` of boost_sinks must not be negative (lower the sinks with suppress_sinks)",
                                )
                                .with_label(span, "negative"),
                            );
                            return Value::Unknown;
                        }
                        crate::program::SourcePart::BoostSinks { amount }
                    }
                    "content" => {
                        let pattern = match call.value("pattern") {
                            Some(Value::PatternName(n)) => n.to_string(),
                            _ => String::new(),
                        };
                        crate::program::SourcePart::Content {
                            pattern,
                            strength: call.scalar("strength").expect("default"),
                        }
                    }
                    "weaken_harmonics" => crate::program::SourcePart::WeakenHarmonics {
                        amount: call.scalar("amount").expect("required"),
                        modes: call.number("modes") as u32,
                    },
                    "detune_region" => crate::program::SourcePart::DetuneRegion {
                        region: call.text("region").unwrap_or_default(),
                        amount: call.scalar("amount").expect("default"),
                    },
                    "restore_integration" => crate::program::SourcePart::RestoreIntegration {
                        strength: call.scalar("strength").expect("default"),
                    },
                    _ => crate::program::SourcePart::Habituation {
                        tau: call.scalar("tau").expect("required"),
                    },
                };
                Value::Part(Box::new(part))
            }
            Source => {
                let Some(Value::Envelope(envelope)) = call.value("envelope").cloned() else {
                    return Value::Unknown;
                };
                let parts = match call.value("parts") {
                    Some(Value::List(items)) => items
                        .iter()
                        .filter_map(|v| {
                            if let Value::Part(p) = v {
                                Some((**p).clone())
                            } else {
                                None
                            }
                        })
                        .collect(),
                    _ => Vec::new(),
                };
                Value::Source(Rc::new(crate::program::Source {
                    components: vec![SourceComponent {
                        scale: 1.0,
                        envelope: *envelope,
                        parts,
                        loc: call.loc(),
                    }],
                }))
            }
            Curve => {
                let mut curve = crate::program::Curve {
                    kind: name,
                    params: BTreeMap::new(),
                    table: Vec::new(),
                    base: None,
                    loc: call.loc(),
                };
                for param in call.builtin.params {
                    if let Ty::Number(_) | Ty::Fraction = param.ty
                        && let Some(s) = call.scalar(param.name)
                    {
                        curve.params.insert(param.name, s);
                    }
                }
                for (param, must_be_positive) in [
                    ("tau", true),
                    ("over", true),
                    ("every", true),
                    ("stall", true),
                ] {
                    if let Some(s) = curve.params.get(param)
                        && must_be_positive
                        && s.value <= 0.0
                    {
                        let span = call.span_of(param);
                        self.error(
                            Diagnostic::error(
                                "E0017",
                                file,
                                span,
                                format!("`{param}` must be positive"),
                            )
                            .with_label(span, "not positive"),
                        );
                        return Value::Unknown;
                    }
                }
                match name {
                    "table" => {
                        if let Some(Value::Table(entries)) = call.value("points") {
                            curve.table = entries
                                .iter()
                                .filter_map(|(k, v)| match (k, v) {
                                    (Value::Number(t), Value::Number(x)) => Some((*t, *x)),
                                    _ => None,
                                })
                                .collect();
                        }
                    }
                    "reheating" => {
                        if let Some(Value::Curve(base)) = call.value("base") {
                            curve.base = Some(base.clone());
                        }
                        let has_every = call.value("every").is_some();
                        let has_stall = call.value("stall").is_some();
                        if has_every == has_stall {
                            self.error(
                                Diagnostic::error(
                                    "E0011",
                                    file,
                                    call.span,
                                    "`reheating` needs exactly one of `every` and `stall`",
                                )
                                .with_label(
                                    call.span,
                                    if has_every {
                                        "both given"
                                    } else {
                                        "neither given"
                                    },
                                ),
                            );
                            return Value::Unknown;
                        }
                    }
                    _ => {}
                }
                Value::Curve(Box::new(curve))
            }
            Connectome => {
                let mut args = BTreeMap::new();
                for param in call.builtin.params {
                    let value = match call.value(param.name) {
                        Some(v) => to_arg(v),
                        None => match param.default {
                            ParamDefault::Number(n) => Some(ArgValue::Number(
                                call.scalar(param.name).unwrap_or(Scalar {
                                    value: n,
                                    dim: Dim::NONE,
                                    loc: call.loc(),
                                }),
                            )),
                            ParamDefault::Bool(b) => Some(ArgValue::Bool(b)),
                            ParamDefault::EmptyList => Some(ArgValue::List(Vec::new())),
                            _ => None,
                        },
                    };
                    if let Some(value) = value {
                        args.insert(param.name, value);
                    }
                }
                for (param, minimum) in [
                    ("nodes", 1.0),
                    ("rows", 1.0),
                    ("columns", 1.0),
                    ("modules", 1.0),
                    ("size", 1.0),
                ] {
                    if name != "with_sensorium"
                        && let Some(n) = args.get(param).and_then(ArgValue::as_number)
                        && n < minimum
                    {
                        let span = call.span_of(param);
                        self.error(
                            Diagnostic::error(
                                "E0017",
                                file,
                                span,
                                format!("`{param}` must be at least {minimum}"),
                            )
                            .with_label(span, "too small"),
                        );
                        return Value::Unknown;
                    }
                }
                if name == "ring"
                    && args
                        .get("nodes")
                        .and_then(ArgValue::as_number)
                        .is_some_and(|n| n < 3.0)
                {
                    let span = call.span_of("nodes");
                    self.error(
                        Diagnostic::error("E0017", file, span, "a ring needs at least 3 nodes")
                            .with_label(span, "too few"),
                    );
                    return Value::Unknown;
                }
                Value::Connectome(Box::new(crate::program::Connectome {
                    constructor: name,
                    args,
                    loc: call.loc(),
                }))
            }
            Pattern => {
                let kind = match name {
                    "regions" => {
                        let names: Vec<String> = match call.value("names") {
                            Some(Value::List(items)) => items
                                .iter()
                                .filter_map(|v| {
                                    if let Value::Text(t) = v {
                                        Some(t.clone())
                                    } else {
                                        None
                                    }
                                })
                                .collect(),
                            _ => Vec::new(),
                        };
                        if names.is_empty() {
                            self.error(
                                Diagnostic::error(
                                    "E0011",
                                    file,
                                    call.span,
                                    "`regions` needs at least one region name",
                                )
                                .with_label(call.span, "no regions"),
                            );
                            return Value::Unknown;
                        }
                        PatternKind::Regions(names)
                    }
                    "nodes" => PatternKind::Nodes(match call.value("indices") {
                        Some(Value::List(items)) => items
                            .iter()
                            .filter_map(|v| {
                                if let Value::Number(s) = v {
                                    Some(s.value as u64)
                                } else {
                                    None
                                }
                            })
                            .collect(),
                        _ => Vec::new(),
                    }),
                    _ => PatternKind::Random {
                        seed: call.number("seed") as u64,
                        fraction: call.number("fraction"),
                    },
                };
                Value::Pattern(Box::new(crate::program::Pattern {
                    name: String::new(),
                    kind,
                    strength: call.scalar("strength").expect("default"),
                    loc: call.loc(),
                }))
            }
            Quantity => {
                let pattern = match call.value("pattern") {
                    Some(Value::PatternName(n)) => Some(n.to_string()),
                    _ => None,
                };
                Value::Observable(Box::new(Observable {
                    quantity: "overlap",
                    grouping: None,
                    pattern,
                    component: None,
                    loc: call.loc(),
                }))
            }
            Statistic => self.statistic(env, call),
        }
    }

    fn statistic(&mut self, env: &mut Env, call: &Call) -> Value {
        let file = call.file;
        let aggregate = match call.builtin.name {
            "mean" => Aggregate::Mean,
            "min" => Aggregate::Min,
            "max" => Aggregate::Max,
            "initial" => Aggregate::Initial,
            _ => Aggregate::Final,
        };
        let Some(Value::Observable(observable)) = call.value("quantity").cloned() else {
            return Value::Unknown;
        };
        let windows: Vec<&str> = ["during", "before", "after"]
            .into_iter()
            .filter(|w| call.value(w).is_some())
            .collect();
        if windows.len() > 1 {
            let span = call.span_of(windows[1]);
            self.error(
                Diagnostic::error(
                    "E0026",
                    file,
                    span,
                    "give at most one window (`during`, `before` or `after`)",
                )
                .with_label(call.span_of(windows[0]), "first window")
                .with_label(span, "second window"),
            );
            return Value::Unknown;
        }
        let source_name = |span: Span| -> Option<String> {
            let text = self.sources.text(file).get(span.range())?.trim();
            text.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_')
                .then(|| text.to_string())
        };
        let window = match windows.first().copied() {
            None => Window::Whole,
            Some(which) => {
                let span = call.span_of(which);
                let value = call.value(which).cloned().unwrap_or(Value::Unknown);
                match (which, value) {
                    (_, Value::Source(source)) => {
                        let Some((start, end)) = source.active_interval() else {
                            return Value::Unknown;
                        };
                        let name = source_name(span);
                        match which {
                            "during" => Window::Between {
                                start,
                                end,
                                source: name,
                            },
                            "before" => Window::Before {
                                time: start,
                                source: name,
                            },
                            _ => Window::After {
                                time: end,
                                source: name,
                            },
                        }
                    }
                    ("during", Value::Range(range)) if range.start.dim == Dim::TIME => {
                        let (start, end) = (&range.start, &range.end);
                        if end.value < start.value {
                            self.error(
                                Diagnostic::error(
                                    "E0026",
                                    file,
                                    span,
                                    "the window ends before it starts",
                                )
                                .with_label(span, "empty window"),
                            );
                            return Value::Unknown;
                        }
                        Window::Between {
                            start: start.value,
                            end: end.value,
                            source: None,
                        }
                    }
                    ("during", Value::Number(_)) => {
                        self.error(
                            Diagnostic::error("E0026", file, span, "`during:` needs a source or a time range, not a single time")
                                .with_label(span, "a single time")
                                .with_help("write a range such as `during: 5 min..10 min`, or use `before:`/`after:`"),
                        );
                        return Value::Unknown;
                    }
                    ("before", Value::Number(t)) => Window::Before {
                        time: t.value,
                        source: None,
                    },
                    ("after", Value::Number(t)) => Window::After {
                        time: t.value,
                        source: None,
                    },
                    (_, Value::Range { .. }) => {
                        self.error(
                            Diagnostic::error(
                                "E0026",
                                file,
                                span,
                                format!("`{which}:` needs a source or a time, not a range"),
                            )
                            .with_label(span, "a range")
                            .with_help("use `during:` for a range"),
                        );
                        return Value::Unknown;
                    }
                    _ => return Value::Unknown,
                }
            }
        };
        let mut runs = BTreeMap::new();
        if let Some(Value::Record(fields)) = call.value("runs") {
            let span = call.span_of("runs");
            let Some(axes) = env.axes else {
                self.error(
                    Diagnostic::error("E0025", file, span, "`runs:` selects runs of a scenario and is allowed only inside a `scenario`")
                        .with_label(span, "outside a scenario"),
                );
                return Value::Unknown;
            };
            for (axis_name, label) in fields {
                let Value::Text(label) = label else { continue };
                let Some(axis) = axes.iter().find(|a| a.target.name() == axis_name) else {
                    let mut diagnostic = Diagnostic::error(
                        "E0025",
                        file,
                        span,
                        format!("the scenario varies no `{axis_name}`"),
                    )
                    .with_label(span, "unknown axis");
                    if let Some(s) = closest(axis_name, axes.iter().map(|a| a.target.name())) {
                        diagnostic = diagnostic.with_help(format!("did you mean `{s}`?"));
                    }
                    self.error(diagnostic);
                    return Value::Unknown;
                };
                if !axis.items.iter().any(|item| &item.label == label) {
                    let labels: Vec<&str> = axis.items.iter().map(|i| i.label.as_str()).collect();
                    let mut diagnostic = Diagnostic::error(
                        "E0025",
                        file,
                        span,
                        format!("axis `{axis_name}` has no item `{label}`"),
                    )
                    .with_label(span, "unknown label");
                    diagnostic = match closest(label, labels.iter().copied()) {
                        Some(s) => diagnostic.with_help(format!("did you mean `{s}`?")),
                        None => {
                            diagnostic.with_help(format!("its labels are: {}", labels.join(", ")))
                        }
                    };
                    self.error(diagnostic);
                    return Value::Unknown;
                }
                runs.insert(axis_name.clone(), label.clone());
            }
        }
        Value::Operand(Operand::Statistic(Box::new(crate::program::Statistic {
            aggregate,
            observable: *observable,
            window,
            runs,
            loc: call.loc(),
        })))
    }

    // ---- blocks -------------------------------------------------------------------------------

    /// Checks a settings block against the table: unknown and repeated settings, types, `per`.
    fn settings(
        &mut self,
        module: &Rc<Module>,
        block: &'static str,
        settings: &[Setting],
    ) -> BTreeMap<&'static str, (Value, Span)> {
        let file = module.file;
        let mut out: BTreeMap<&'static str, (Value, Span)> = BTreeMap::new();
        for setting in settings {
            let Setting::Plain {
                name,
                value,
                per,
                span,
            } = setting
            else {
                if block != "landscape" {
                    let span = setting.span();
                    self.error(
                        Diagnostic::error(
                            "E0016",
                            file,
                            span,
                            format!("patterns belong in the landscape block, not in `{block}`"),
                        )
                        .with_label(span, "pattern here"),
                    );
                }
                continue;
            };
            let Some(info) = builtins::settings_of(block).find(|s| s.name == name.text) else {
                let names: Vec<&str> = builtins::settings_of(block).map(|s| s.name).collect();
                let mut diagnostic = Diagnostic::error(
                    "E0016",
                    file,
                    name.span,
                    format!("`{block}` has no setting `{}`", name.text),
                )
                .with_label(name.span, "unknown setting");
                diagnostic = match closest(&name.text, names.iter().copied()) {
                    Some(s) => diagnostic.with_help(format!("did you mean `{s}`?")),
                    None => diagnostic.with_help(format!("its settings are: {}", names.join(", "))),
                };
                self.error(diagnostic);
                let mut env = self.env(module);
                self.eval(&mut env, value);
                continue;
            };
            if let Some((_, first)) = out.get(info.name) {
                let first = *first;
                self.error(
                    Diagnostic::error(
                        "E0014",
                        file,
                        name.span,
                        format!("`{}` is set twice", name.text),
                    )
                    .with_label(name.span, "second")
                    .with_label(first, "first"),
                );
                continue;
            }
            let mut env = self.env(module);
            let evaluated = if matches!(info.ty, Ty::Keyword(_)) {
                Value::Unknown
            } else {
                self.eval(&mut env, value)
            };
            let evaluated = match (info.per, per) {
                (Some("time"), Some(unit_name)) => {
                    match (units::time_unit(&unit_name.text), evaluated) {
                        (Some(unit), Value::Number(s)) if s.dim.is_none() => {
                            Value::Number(Scalar {
                                value: s.value / units::to_si(1.0, unit),
                                dim: Dim::FREQUENCY,
                                loc: loc(file, value.span.join(unit_name.span)),
                            })
                        }
                        (Some(_), Value::Number(s)) => {
                            self.error(
                                Diagnostic::error(
                                    "E0007",
                                    file,
                                    value.span,
                                    format!(
                                        "`{} ... per {}` needs a plain number, found {}",
                                        name.text, unit_name.text, s.dim
                                    ),
                                )
                                .with_label(value.span, format!("this is {}", s.dim)),
                            );
                            continue;
                        }
                        (None, _) => {
                            self.error(
                                Diagnostic::error(
                                    "E0016",
                                    file,
                                    unit_name.span,
                                    format!("`per {}` is not a time unit", unit_name.text),
                                )
                                .with_label(unit_name.span, "expected s, ms, min, h or d"),
                            );
                            continue;
                        }
                        (_, other) => other,
                    }
                }
                (Some(word), Some(unit_name)) if word != "time" && unit_name.text != word => {
                    self.error(
                        Diagnostic::error(
                            "E0016",
                            file,
                            unit_name.span,
                            format!("expected `per {word}`"),
                        )
                        .with_label(unit_name.span, format!("write `per {word}`")),
                    );
                    continue;
                }
                (None, Some(unit_name)) => {
                    self.error(
                        Diagnostic::error(
                            "E0016",
                            file,
                            unit_name.span,
                            format!("`{}` takes no `per` clause", name.text),
                        )
                        .with_label(unit_name.span, "remove this"),
                    );
                    continue;
                }
                (_, _) => evaluated,
            };
            let value_for_coerce = if matches!(info.ty, Ty::Keyword(_)) {
                Value::Bool(true)
            } else {
                evaluated
            };
            if let Some(v) = self.coerce(&env, value_for_coerce, &info.ty, value) {
                out.insert(info.name, (v, *span));
            }
        }
        out
    }

    /// A landscape setting that must not be negative (E0017 otherwise, and `None`).
    fn non_negative_landscape_setting(
        &mut self,
        file: FileId,
        values: &BTreeMap<&'static str, (Value, Span)>,
        name: &str,
        what: &str,
        fallback: Span,
    ) -> Option<Scalar> {
        let value = self.setting_scalar(file, values, "landscape", name, fallback)?;
        if value.value < 0.0 {
            self.error(
                Diagnostic::error(
                    "E0017",
                    file,
                    value.loc.span,
                    format!("{what} must not be negative"),
                )
                .with_label(value.loc.span, "negative"),
            );
            return None;
        }
        Some(value)
    }

    fn setting_scalar(
        &self,
        file: FileId,
        values: &BTreeMap<&'static str, (Value, Span)>,
        block: &str,
        name: &str,
        fallback: Span,
    ) -> Option<Scalar> {
        match values.get(name) {
            Some((Value::Number(s), _)) => Some(*s),
            _ => {
                let info = builtins::settings_of(block).find(|s| s.name == name)?;
                let dim = if let Ty::Number(dim) = info.ty {
                    dim
                } else {
                    Dim::NONE
                };
                match info.default {
                    ParamDefault::Number(value) => Some(Scalar {
                        value,
                        dim,
                        loc: loc(file, fallback),
                    }),
                    _ => None,
                }
            }
        }
    }

    fn experiment(
        &mut self,
        module: &Rc<Module>,
        title: &StringLit,
        settings: &[Setting],
        span: Span,
    ) -> Option<Experiment> {
        let file = module.file;
        let values = self.settings(module, "experiment", settings);
        let mut missing = false;
        for required in ["seed", "dt", "duration"] {
            if !values.contains_key(required)
                && !settings
                    .iter()
                    .any(|s| matches!(s, Setting::Plain { name, .. } if name.text == required))
            {
                self.error(
                    Diagnostic::error(
                        "E0029",
                        file,
                        span,
                        format!("the experiment needs `{required}`"),
                    )
                    .with_label(title.span, format!("`{required}` is missing"))
                    .with_help(format!(
                        "add a line such as `{}`",
                        match required {
                            "seed" => "seed 1",
                            "dt" => "dt 20 ms",
                            _ => "duration 10 min",
                        }
                    )),
                );
                missing = true;
            }
        }
        let seed = self.setting_scalar(file, &values, "experiment", "seed", span);
        let dt = self.setting_scalar(file, &values, "experiment", "dt", span);
        let duration = self.setting_scalar(file, &values, "experiment", "duration", span);
        let record_from = self.setting_scalar(file, &values, "experiment", "record_from", span)?;
        if missing {
            return None;
        }
        let (seed, dt, duration) = (seed?, dt?, duration?);
        if dt.value <= 0.0 {
            self.error(
                Diagnostic::error("E0017", file, dt.loc.span, "the time step must be positive")
                    .with_label(dt.loc.span, "not positive"),
            );
            return None;
        }
        if duration.value < dt.value {
            self.error(
                Diagnostic::error(
                    "E0017",
                    file,
                    duration.loc.span,
                    "the duration is shorter than one time step",
                )
                .with_label(duration.loc.span, units::show(duration.value, Dim::TIME))
                .with_label(dt.loc.span, units::show(dt.value, Dim::TIME)),
            );
            return None;
        }
        if record_from.value < 0.0 || record_from.value > duration.value {
            self.error(
                Diagnostic::error(
                    "E0017",
                    file,
                    record_from.loc.span,
                    "recording must start between 0 and the duration",
                )
                .with_label(record_from.loc.span, "out of range"),
            );
            return None;
        }
        Some(Experiment {
            name: title.value.clone(),
            seed: seed.value as u64,
            seed_loc: seed.loc,
            dt,
            duration,
            record_from,
            loc: loc(file, span),
        })
    }

    fn harmonics(
        &mut self,
        module: &Rc<Module>,
        connectome: &Name,
        settings: &[Setting],
        span: Span,
    ) -> Option<Harmonics> {
        let file = module.file;
        let mut env = self.env(module);
        let target = self.eval(
            &mut env,
            &Expr {
                kind: ExprKind::Ident(connectome.text.clone()),
                span: connectome.span,
            },
        );
        let values = self.settings(module, "harmonics", settings);
        match target {
            Value::Connectome(_) => {}
            Value::Unknown => return None,
            other => {
                self.expected(file, connectome.span, "a connectome", &other);
                return None;
            }
        }
        let laplacian = match values.get("laplacian") {
            Some((Value::Text(kind), _)) if kind == "combinatorial" => LaplacianKind::Combinatorial,
            _ => LaplacianKind::Normalized,
        };
        let count = |name: &str| {
            self.setting_scalar(file, &values, "harmonics", name, span)
                .map_or(0, |s| s.value.min(u32::MAX as f64) as u32)
        };
        let modes = count("modes");
        let regional_per_region = count("regional");
        let sensory = count("sensory");
        if modes == 0 {
            let at = values.get("modes").map_or(span, |(_, s)| *s);
            self.error(
                Diagnostic::error("E0017", file, at, "at least one mode is needed")
                    .with_label(at, "zero modes"),
            );
            return None;
        }
        let fundamental = self.setting_scalar(file, &values, "harmonics", "fundamental", span)?;
        if fundamental.value <= 0.0 {
            self.error(
                Diagnostic::error(
                    "E0017",
                    file,
                    fundamental.loc.span,
                    "the fundamental frequency must be positive",
                )
                .with_label(fundamental.loc.span, "not positive"),
            );
            return None;
        }
        Some(Harmonics {
            connectome: connectome.text.to_string(),
            laplacian,
            modes,
            regional_per_region,
            sensory,
            fundamental,
            loc: loc(file, span),
        })
    }

    fn sinks(&mut self, module: &Rc<Module>, settings: &[Setting], span: Span) -> Option<Sinks> {
        let file = module.file;
        let values = self.settings(module, "sinks", settings);
        let gain = self.setting_scalar(file, &values, "sinks", "gain", span)?;
        let mut affinity = Bands {
            csh: 0.25,
            rsh: 1.0,
            ssh: 0.1,
        };
        if let Some((Value::Record(fields), _)) = values.get("affinity") {
            for (name, value) in fields {
                if let Value::Number(s) = value {
                    match name.as_str() {
                        "csh" => affinity.csh = s.value,
                        "rsh" => affinity.rsh = s.value,
                        _ => affinity.ssh = s.value,
                    }
                }
            }
        }
        let schedule = match values.get("schedule") {
            Some((Value::Curve(curve), _)) => (**curve).clone(),
            _ => constant_curve(1.0, loc(file, span)),
        };
        Some(Sinks {
            gain,
            affinity,
            schedule,
            loc: loc(file, span),
        })
    }

    fn landscape(
        &mut self,
        module: &Rc<Module>,
        level: &Name,
        settings: &[Setting],
        span: Span,
    ) -> Option<Landscape> {
        let file = module.file;
        let level_kind = match level.text.as_str() {
            "regions" => LandscapeLevel::Regions,
            "nodes" => LandscapeLevel::Nodes,
            other => {
                let mut diagnostic = Diagnostic::error(
                    "E0016",
                    file,
                    level.span,
                    format!("a landscape is on `regions` or `nodes`, not `{other}`"),
                )
                .with_label(level.span, "unknown level");
                if let Some(s) = closest(other, ["regions", "nodes"]) {
                    diagnostic = diagnostic.with_help(format!("did you mean `{s}`?"));
                }
                self.error(diagnostic);
                LandscapeLevel::Regions
            }
        };
        let values = self.settings(module, "landscape", settings);
        let mut patterns: Vec<Pattern> = Vec::new();
        for setting in settings {
            if let Setting::Pattern {
                name,
                value,
                span: pattern_span,
            } = setting
            {
                let mut env = self.env(module);
                match self.eval(&mut env, value) {
                    Value::Pattern(mut pattern) => {
                        if patterns.iter().any(|p| p.name == name.text) {
                            self.error(
                                Diagnostic::error(
                                    "E0012",
                                    file,
                                    name.span,
                                    format!("pattern `{}` is declared twice", name.text),
                                )
                                .with_label(name.span, "second declaration"),
                            );
                            continue;
                        }
                        pattern.name = name.text.to_string();
                        pattern.loc = loc(file, *pattern_span);
                        patterns.push(*pattern);
                    }
                    Value::Unknown => {}
                    other => self.expected(
                        file,
                        value.span,
                        "a pattern (`regions(...)`, `nodes([...])` or `random(seed: ...)`)",
                        &other,
                    ),
                }
            }
        }
        let scale = self.setting_scalar(file, &values, "landscape", "scale", span)?;
        let temperature = match values.get("temperature") {
            Some((Value::Number(t), _)) => {
                if values.contains_key("scale") {
                    self.error(
                        Diagnostic::error(
                            "E0014",
                            file,
                            t.loc.span,
                            "give either `scale` or a fixed `temperature`, not both",
                        )
                        .with_label(t.loc.span, "fixed temperature")
                        .with_label(values["scale"].1, "scale"),
                    );
                    return None;
                }
                if t.value <= 0.0 {
                    self.error(
                        Diagnostic::error(
                            "E0017",
                            file,
                            t.loc.span,
                            "the landscape temperature must be positive",
                        )
                        .with_label(t.loc.span, "not positive"),
                    );
                    return None;
                }
                LandscapeTemperature::Fixed(*t)
            }
            _ => LandscapeTemperature::Scale(scale),
        };
        let couplings = match values.get("couplings") {
            Some((Value::Text(kind), _)) if kind == "uniform" => Couplings::Uniform,
            _ => Couplings::Structural,
        };
        let neutral = self.non_negative_landscape_setting(
            file,
            &values,
            "neutral",
            "the neutral field gain",
            span,
        )?;
        let sweeps = self.non_negative_landscape_setting(
            file,
            &values,
            "sweeps",
            "sweeps per second",
            span,
        )?;
        let here = loc(file, span);
        let mut plasticity = default_plasticity(here);
        if let Some((Value::Record(fields), _)) = values.get("plasticity") {
            for (name, value) in fields {
                if let Value::Number(s) = value {
                    match name.as_str() {
                        "rate" => plasticity.rate = *s,
                        "decay" => plasticity.decay = *s,
                        _ => {
                            if s.value <= 1.0 {
                                self.error(
                                    Diagnostic::error(
                                        "E0017",
                                        file,
                                        s.loc.span,
                                        "the plasticity threshold must be above 1 (rest)",
                                    )
                                    .with_label(s.loc.span, "not above 1"),
                                );
                                return None;
                            }
                            plasticity.threshold = *s
                        }
                    }
                }
            }
        }
        Some(Landscape {
            declared: true,
            level: level_kind,
            temperature,
            couplings,
            neutral,
            sweeps,
            plasticity,
            patterns,
            loc: here,
        })
    }

    fn record(
        &mut self,
        module: &Rc<Module>,
        every: &Expr,
        items: &[RecordItem],
        destination: &Option<StringLit>,
        span: Span,
        patterns: &[String],
    ) -> Option<RecordSpec> {
        let file = module.file;
        let mut env = self.env(module);
        let interval = self.eval(&mut env, every);
        let every_scalar = self.coerce(&env, interval, &Ty::Number(Dim::TIME), every);
        let mut observables = Vec::new();
        for item in items {
            let Some(info) = builtins::quantity(&item.quantity.text) else {
                let mut diagnostic = Diagnostic::error(
                    "E0022",
                    file,
                    item.quantity.span,
                    format!("`{}` is not a recordable quantity", item.quantity.text),
                )
                .with_label(item.quantity.span, "unknown quantity");
                diagnostic = match closest(
                    &item.quantity.text,
                    builtins::QUANTITIES.iter().map(|q| q.name),
                ) {
                    Some(s) => diagnostic.with_help(format!("did you mean `{s}`?")),
                    None => diagnostic.with_help(format!(
                        "quantities: {}",
                        builtins::QUANTITIES
                            .iter()
                            .map(|q| q.name)
                            .collect::<Vec<_>>()
                            .join(", ")
                    )),
                };
                self.error(diagnostic);
                continue;
            };
            let grouping = match &item.by {
                None => None,
                Some(by) => {
                    let grouping = match by.text.as_str() {
                        "band" => Some(Grouping::Band),
                        "mode" => Some(Grouping::Mode),
                        "region" => Some(Grouping::Region),
                        _ => None,
                    };
                    match grouping {
                        Some(g) if info.groupings.contains(&g) => Some(g),
                        _ => {
                            let allowed: Vec<String> = info
                                .groupings
                                .iter()
                                .map(|g| format!("`by {}`", format!("{g:?}").to_lowercase()))
                                .collect();
                            self.error(
                                Diagnostic::error(
                                    "E0022",
                                    file,
                                    by.span,
                                    format!("`{}` cannot be recorded by `{}`", info.name, by.text),
                                )
                                .with_label(by.span, "unsupported grouping")
                                .with_help(if allowed.is_empty() {
                                    format!("`{}` has no groupings", info.name)
                                } else {
                                    format!("allowed: {}", allowed.join(", "))
                                }),
                            );
                            continue;
                        }
                    }
                }
            };
            let pattern = match (&item.argument, info.name) {
                (Some(argument), "overlap") => {
                    if !patterns.iter().any(|known| *known == argument.text) {
                        let mut diagnostic = Diagnostic::error(
                            "E0028",
                            file,
                            argument.span,
                            format!("no pattern `{}` is declared", argument.text),
                        )
                        .with_label(argument.span, "unknown pattern");
                        diagnostic = match closest(
                            &argument.text,
                            patterns.iter().map(String::as_str),
                        ) {
                            Some(s) => diagnostic.with_help(format!("did you mean `{s}`?")),
                            None => diagnostic.with_help(
                                "declare it in the landscape block: `pattern name = regions(...)`",
                            ),
                        };
                        self.error(diagnostic);
                        continue;
                    }
                    Some(argument.text.to_string())
                }
                (None, "overlap") => {
                    self.error(
                        Diagnostic::error(
                            "E0028",
                            file,
                            item.span,
                            "`overlap` needs a pattern: `overlap(name)`",
                        )
                        .with_label(item.span, "no pattern"),
                    );
                    continue;
                }
                (Some(argument), _) => {
                    self.error(
                        Diagnostic::error(
                            "E0022",
                            file,
                            argument.span,
                            format!("`{}` takes no argument", info.name),
                        )
                        .with_label(argument.span, "remove this"),
                    );
                    continue;
                }
                (None, _) => None,
            };
            observables.push(Observable {
                quantity: info.name,
                grouping,
                pattern,
                component: None,
                loc: loc(file, item.span),
            });
        }
        let Some(Value::Number(every)) = every_scalar else {
            return None;
        };
        if every.value <= 0.0 {
            self.error(
                Diagnostic::error(
                    "E0017",
                    file,
                    every.loc.span,
                    "the record interval must be positive",
                )
                .with_label(every.loc.span, "not positive"),
            );
            return None;
        }
        Some(RecordSpec {
            every,
            observables,
            destination: destination.as_ref().map(|d| d.value.clone()),
            loc: loc(file, span),
        })
    }

    fn expectation(&mut self, env: &mut Env, condition: &Expr) -> Option<Expectation> {
        let file = env.file();
        let value = self.eval(env, condition);
        match value {
            Value::Predicate(predicate) => {
                if !predicate_reads_results(&predicate) {
                    self.error(
                        Diagnostic::error(
                            "E0024",
                            file,
                            condition.span,
                            "this expectation does not read any recorded quantity",
                        )
                        .with_label(condition.span, "compares constants only"),
                    );
                    return None;
                }
                let text = self
                    .sources
                    .text(file)
                    .get(condition.span.range())
                    .unwrap_or("")
                    .to_string();
                Some(Expectation {
                    predicate: *predicate,
                    text,
                    loc: loc(file, condition.span),
                })
            }
            Value::Unknown => None,
            Value::Bool(_) => {
                self.error(
                    Diagnostic::error("E0024", file, condition.span, "this expectation compares constants, not results")
                        .with_label(condition.span, "always the same, whatever the run does")
                        .with_help("compare a statistic of a recorded quantity, e.g. `mean(valence, during: song) > 0`"),
                );
                None
            }
            other => {
                self.error(
                    Diagnostic::error(
                        "E0024",
                        file,
                        condition.span,
                        format!(
                            "an expectation must be a comparison, found {}",
                            other.describe()
                        ),
                    )
                    .with_label(condition.span, other.describe())
                    .with_help(
                        "write a comparison such as `final(frustration) < initial(frustration)`",
                    ),
                );
                None
            }
        }
    }

    fn scenario(
        &mut self,
        module: &Rc<Module>,
        title: &StringLit,
        items: &[ScenarioItem],
        span: Span,
        gathered: &Gathered,
    ) -> Option<Scenario> {
        let file = module.file;
        let mut axes: Vec<Axis> = Vec::new();
        let mut expectations = Vec::new();
        for item in items {
            match item {
                ScenarioItem::Vary {
                    target,
                    values,
                    span: vary_span,
                } => {
                    let vary_target = match target.text.as_str() {
                        "seed" => VaryTarget::Seed,
                        "dt" => VaryTarget::Dt,
                        "duration" => VaryTarget::Duration,
                        "cooling" => VaryTarget::Cooling,
                        other => {
                            let is_let =
                                module
                                    .scope
                                    .borrow_mut()
                                    .lookup(other, usize::MAX)
                                    .map(|b| {
                                        b.used = true;
                                        b.warn_unused
                                    });
                            if is_let == Some(true) {
                                VaryTarget::Let(other.to_string())
                            } else {
                                let mut candidates: Vec<String> = builtins::VARY_TARGETS
                                    .iter()
                                    .map(|s| s.to_string())
                                    .collect();
                                candidates.extend(
                                    module
                                        .scope
                                        .borrow()
                                        .bindings
                                        .iter()
                                        .filter(|(_, b)| b.iter().any(|b| b.warn_unused))
                                        .map(|(n, _)| n.to_string()),
                                );
                                let mut diagnostic = Diagnostic::error(
                                    "E0025",
                                    file,
                                    target.span,
                                    format!("a scenario cannot vary `{other}`"),
                                )
                                .with_label(target.span, "not variable");
                                diagnostic = match closest(other, candidates.iter().map(String::as_str)) {
                                    Some(s) => diagnostic.with_help(format!("did you mean `{s}`?")),
                                    None => diagnostic.with_help("a scenario can vary seed, dt, duration, cooling and top-level `let` bindings"),
                                };
                                self.error(diagnostic);
                                continue;
                            }
                        }
                    };
                    if axes.iter().any(|a| a.target == vary_target) {
                        self.error(
                            Diagnostic::error(
                                "E0025",
                                file,
                                target.span,
                                format!("`{}` is varied twice", target.text),
                            )
                            .with_label(target.span, "second"),
                        );
                        continue;
                    }
                    let mut env = self.env(module);
                    let evaluated = self.eval(&mut env, values);
                    let Some(raw_items) = self.axis_items(file, evaluated, values) else {
                        continue;
                    };
                    let mut axis_items = Vec::new();
                    let mut ok = true;
                    for (label, value) in raw_items {
                        match self.axis_value(module, &vary_target, value, values, gathered) {
                            Some(v) => axis_items.push(AxisItem { label, value: v }),
                            None => {
                                ok = false;
                                break;
                            }
                        }
                    }
                    if ok {
                        axes.push(Axis {
                            target: vary_target,
                            items: axis_items,
                            loc: loc(file, *vary_span),
                        });
                    }
                }
                ScenarioItem::Expect { condition, .. } => {
                    let visible_below = module.scope.borrow().count;
                    let mut env = Env {
                        module,
                        visible_below,
                        locals: Vec::new(),
                        axes: Some(&axes),
                    };
                    if let Some(expectation) = self.expectation(&mut env, condition) {
                        expectations.push(expectation);
                    }
                }
            }
        }
        Some(Scenario {
            name: title.value.clone(),
            axes,
            expectations,
            loc: loc(file, span),
        })
    }

    fn axis_items(
        &mut self,
        file: FileId,
        value: Value,
        expr: &Expr,
    ) -> Option<Vec<(String, Value)>> {
        match value {
            Value::Unknown => None,
            Value::List(items) => Some(
                items
                    .into_iter()
                    .enumerate()
                    .map(|(i, v)| (i.to_string(), v))
                    .collect(),
            ),
            Value::Record(fields) => Some(fields),
            Value::Range(range) => {
                let RangeValue { start, end, step } = *range;
                let step_value = step.map_or(1.0, |s| s.value);
                let count = ((end.value - start.value) / step_value).floor() + 1.0;
                if count > MAX_ITEMS as f64 {
                    self.error(
                        Diagnostic::error(
                            "E0021",
                            file,
                            expr.span,
                            format!("this range has more than {MAX_ITEMS} items"),
                        )
                        .with_label(expr.span, "too many runs"),
                    );
                    return None;
                }
                if count < 1.0 {
                    self.error(
                        Diagnostic::error("E0025", file, expr.span, "this range is empty")
                            .with_label(expr.span, "end before start"),
                    );
                    return None;
                }
                Some(
                    (0..count as usize)
                        .map(|i| {
                            let v = start.value + step_value * i as f64;
                            (
                                units::show(v, start.dim),
                                Value::Number(Scalar { value: v, ..start }),
                            )
                        })
                        .collect(),
                )
            }
            other => {
                self.error(
                    Diagnostic::error("E0025", file, expr.span, format!("`vary ... in` needs a list, a record of labelled values or a range, found {}", other.describe()))
                        .with_label(expr.span, other.describe()),
                );
                None
            }
        }
    }

    fn axis_value(
        &mut self,
        module: &Rc<Module>,
        target: &VaryTarget,
        value: Value,
        expr: &Expr,
        _gathered: &Gathered,
    ) -> Option<AxisValue> {
        let file = module.file;
        let env = self.env(module);
        let ty = match target {
            VaryTarget::Seed => Ty::Count,
            VaryTarget::Dt | VaryTarget::Duration => Ty::Number(Dim::TIME),
            VaryTarget::Cooling => Ty::Curve,
            VaryTarget::Let(name) => {
                let current = module
                    .scope
                    .borrow_mut()
                    .lookup(name, usize::MAX)
                    .map(|b| b.value.clone());
                match (current, &value) {
                    (Some(Value::Number(c)), Value::Number(v)) if c.dim != v.dim => {
                        self.error(
                            Diagnostic::error(
                                "E0025",
                                file,
                                expr.span,
                                format!("`{name}` is {}, but this item is {}", c.dim, v.dim),
                            )
                            .with_label(v.loc.span, format!("this is {}", v.dim))
                            .with_label_in(
                                c.loc.file,
                                c.loc.span,
                                format!("`{name}` is {} here", c.dim),
                            ),
                        );
                        return None;
                    }
                    (Some(current), value)
                        if std::mem::discriminant(&current) != std::mem::discriminant(value)
                            && !matches!(current, Value::Unknown)
                            && !matches!(value, Value::Unknown) =>
                    {
                        self.error(
                            Diagnostic::error(
                                "E0025",
                                file,
                                expr.span,
                                format!(
                                    "`{name}` is {}, but an item is {}",
                                    current.describe(),
                                    value.describe()
                                ),
                            )
                            .with_label(expr.span, "items must have the kind of the binding"),
                        );
                        return None;
                    }
                    _ => {}
                }
                return match value {
                    Value::Number(s) => Some(AxisValue::Number(s)),
                    Value::Bool(b) => Some(AxisValue::Bool(b)),
                    Value::Text(t) => Some(AxisValue::Text(t)),
                    Value::Curve(c) => Some(AxisValue::Curve(*c)),
                    Value::Source(s) => Some(AxisValue::Source(Rc::unwrap_or_clone(s))),
                    Value::Connectome(c) => Some(AxisValue::Connectome(*c)),
                    Value::Unknown => None,
                    other => {
                        self.error(
                            Diagnostic::error(
                                "E0025",
                                file,
                                expr.span,
                                format!("a scenario cannot vary {}", other.describe()),
                            )
                            .with_label(expr.span, "not variable"),
                        );
                        None
                    }
                };
            }
        };
        let item_expr = expr;
        match self.coerce(&env, value, &ty, item_expr)? {
            Value::Number(s) => {
                if matches!(target, VaryTarget::Dt | VaryTarget::Duration) && s.value <= 0.0 {
                    self.error(
                        Diagnostic::error("E0017", file, s.loc.span, "must be positive")
                            .with_label(s.loc.span, "not positive"),
                    );
                    return None;
                }
                Some(AxisValue::Number(s))
            }
            Value::Curve(c) => Some(AxisValue::Curve(*c)),
            _ => None,
        }
    }

    // ---- assembly -----------------------------------------------------------------------------

    fn assemble(&mut self, file: FileId, parsed: &File, gathered: Gathered) -> Option<Program> {
        let experiment = gathered.experiment?;
        let whole = Span::new(0, 0);
        let connectome = match &gathered.harmonics {
            Some(h) => gathered
                .connectomes
                .iter()
                .find(|c| c.name == h.connectome)
                .cloned(),
            None => gathered.connectomes.first().cloned(),
        };
        let Some(connectome) = connectome else {
            if !self.diagnostics.iter().any(Diagnostic::is_error) {
                self.error(
                    Diagnostic::error(
                        "E0015",
                        file,
                        experiment.loc.span,
                        "the experiment declares no connectome",
                    )
                    .with_label(experiment.loc.span, "this experiment needs a brain")
                    .with_help("add e.g. `connectome brain = human_cortex()`"),
                );
            }
            return None;
        };
        let here = loc(file, whole);
        let harmonics = gathered.harmonics.unwrap_or(Harmonics {
            connectome: connectome.name.clone(),
            laplacian: LaplacianKind::Normalized,
            modes: 100,
            regional_per_region: 0,
            sensory: 0,
            fundamental: Scalar {
                value: 1.0,
                dim: Dim::FREQUENCY,
                loc: here,
            },
            loc: here,
        });
        let sinks = gathered.sinks.unwrap_or(Sinks {
            gain: Scalar {
                value: 1.0,
                dim: Dim::NONE,
                loc: here,
            },
            affinity: Bands {
                csh: 0.25,
                rsh: 1.0,
                ssh: 0.1,
            },
            schedule: constant_curve(1.0, here),
            loc: here,
        });
        let landscape = gathered.landscape.unwrap_or(Landscape {
            declared: false,
            level: LandscapeLevel::Regions,
            temperature: LandscapeTemperature::Scale(Scalar {
                value: 0.5,
                dim: Dim::NONE,
                loc: here,
            }),
            couplings: Couplings::Structural,
            neutral: Scalar {
                value: 1.0,
                dim: Dim::NONE,
                loc: here,
            },
            sweeps: Scalar {
                value: 1.0,
                dim: Dim::FREQUENCY,
                loc: here,
            },
            plasticity: default_plasticity(here),
            patterns: Vec::new(),
            loc: here,
        });
        let record = gathered.record.unwrap_or(RecordSpec {
            every: Scalar {
                value: 1.0,
                dim: Dim::TIME,
                loc: here,
            },
            observables: Vec::new(),
            destination: None,
            loc: here,
        });
        let _ = parsed;
        // Expectations may read quantities the record statement does not list: say so.
        let recorded: Vec<(&str, Option<String>)> = record
            .observables
            .iter()
            .map(|o| (o.quantity, o.pattern.clone()))
            .collect();
        let mut unrecorded = Vec::new();
        for expectation in gathered.expectations.iter().chain(
            gathered
                .scenarios
                .iter()
                .flat_map(|s| s.expectations.iter()),
        ) {
            predicate_statistics(&expectation.predicate, &mut |statistic| {
                let key = (
                    statistic.observable.quantity,
                    statistic.observable.pattern.clone(),
                );
                if !recorded.contains(&key) {
                    unrecorded.push((statistic.observable.clone(), statistic.loc));
                }
            });
        }
        for (observable, at) in unrecorded {
            self.error(
                Diagnostic::warning("W0003", at.file, at.span, format!("`{}` is not in the `record` statement", observable.quantity))
                    .with_label(at.span, "read here")
                    .with_help("it will be recorded for this expectation; add it to `record` to see it in the results"),
            );
        }
        Some(Program {
            experiment,
            connectome,
            harmonics,
            sinks,
            cooling: gathered
                .cooling
                .unwrap_or_else(|| constant_curve(1.0, here)),
            sources: gathered.sources,
            landscape,
            record,
            expectations: gathered.expectations,
            scenarios: gathered.scenarios,
        })
    }
}

/// The landscape's plasticity when the script does not set it (the `plasticity` setting's
/// documented defaults: rate 0.05/s, decay 0.01/s, threshold 2).
fn default_plasticity(here: Loc) -> Plasticity {
    Plasticity {
        rate: Scalar {
            value: 0.05,
            dim: Dim::FREQUENCY,
            loc: here,
        },
        decay: Scalar {
            value: 0.01,
            dim: Dim::FREQUENCY,
            loc: here,
        },
        threshold: Scalar {
            value: 2.0,
            dim: Dim::NONE,
            loc: here,
        },
    }
}

fn constant_curve(level: f64, at: Loc) -> Curve {
    let mut params = BTreeMap::new();
    params.insert(
        "level",
        Scalar {
            value: level,
            dim: Dim::NONE,
            loc: at,
        },
    );
    Curve {
        kind: "constant",
        params,
        table: Vec::new(),
        base: None,
        loc: at,
    }
}

fn to_arg(value: &Value) -> Option<ArgValue> {
    Some(match value {
        Value::Number(s) => ArgValue::Number(*s),
        Value::Text(t) => ArgValue::Text(t.clone()),
        Value::Bool(b) => ArgValue::Bool(*b),
        Value::List(items) => ArgValue::List(items.iter().filter_map(to_arg).collect()),
        Value::Record(fields) => ArgValue::Record(
            fields
                .iter()
                .filter_map(|(k, v)| to_arg(v).map(|v| (k.clone(), v)))
                .collect(),
        ),
        Value::Connectome(c) => ArgValue::Connectome(c.clone()),
        _ => return None,
    })
}

fn operand_reads_results(operand: &Operand) -> bool {
    match operand {
        Operand::Statistic(_) => true,
        Operand::Constant(_) => false,
        Operand::Arith { lhs, rhs, .. } => operand_reads_results(lhs) || operand_reads_results(rhs),
        Operand::Negate(inner) => operand_reads_results(inner),
    }
}

fn predicate_reads_results(predicate: &Predicate) -> bool {
    match predicate {
        Predicate::Compare { lhs, rhs, .. } => {
            operand_reads_results(lhs) || operand_reads_results(rhs)
        }
        Predicate::And(a, b) | Predicate::Or(a, b) => {
            predicate_reads_results(a) && predicate_reads_results(b)
        }
        Predicate::Not(inner) => predicate_reads_results(inner),
    }
}

fn operand_statistics(operand: &Operand, visit: &mut dyn FnMut(&crate::program::Statistic)) {
    match operand {
        Operand::Statistic(s) => visit(s),
        Operand::Constant(_) => {}
        Operand::Arith { lhs, rhs, .. } => {
            operand_statistics(lhs, visit);
            operand_statistics(rhs, visit);
        }
        Operand::Negate(inner) => operand_statistics(inner, visit),
    }
}

/// Visits every statistic of a predicate.
pub fn predicate_statistics(
    predicate: &Predicate,
    visit: &mut dyn FnMut(&crate::program::Statistic),
) {
    match predicate {
        Predicate::Compare { lhs, rhs, .. } => {
            operand_statistics(lhs, visit);
            operand_statistics(rhs, visit);
        }
        Predicate::And(a, b) | Predicate::Or(a, b) => {
            predicate_statistics(a, visit);
            predicate_statistics(b, visit);
        }
        Predicate::Not(inner) => predicate_statistics(inner, visit),
    }
}

fn key_of_path(path: &Path) -> String {
    let normalized = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
    normalized.to_string_lossy().into_owned()
}
