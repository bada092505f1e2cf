//! The checker: walks a file's statements, resolves `use`, evaluates declarations with
//! [`Checker::eval`], constructs builtin values and assembles the [`Program`].

use crate::Loader;
use crate::builtins::{self, Default as ParamDefault, Ty};
use crate::call::Call;
use crate::env::{Env, MAX_ITEMS};
use crate::program::*;
use crate::stdlib;
use crate::units::{self, Dim};
use crate::value::{Module, RangeValue, UserFunction, Value};
use anneal_diagnostics::{Diagnostic, FileId, SourceMap};
use anneal_syntax::ast::*;
use anneal_syntax::parser::StatementSink;
use anneal_syntax::suggest::closest;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::sync::Arc;

mod assembly;
mod blocks;
mod constructors;
mod modules;
mod scenarios;

use assembly::{constant_curve, default_plasticity};
use modules::key_of_path;

pub struct Checker<'l> {
    pub(crate) loader: &'l dyn Loader,
    pub(crate) sources: SourceMap,
    pub(crate) diagnostics: Vec<Diagnostic>,
    pub(crate) reported: HashSet<(&'static str, FileId, Span)>,
    pub(crate) steps: u64,
    pub(crate) budget_exceeded: bool,
    /// The functions whose bodies are being checked (a use of their name inside is recursion).
    pub(crate) defining: Vec<Arc<FunctionDef>>,
    modules: HashMap<String, Rc<Module>>,
    loading: Vec<(String, String)>,
    /// Values replacing top-level `let`s of the main file (scenario items).
    pub(crate) overrides: HashMap<String, Value>,
    /// Expressions (source text) replacing top-level `let`s of the main file, each evaluated
    /// where its `let` stands, as a file named `<repl>` (the REPL's `:set`).
    pub(crate) override_texts: HashMap<String, String>,
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
    /// Reports an E0017: a value of the right kind and dimension outside the range the model
    /// accepts, at `span`, labelled `label`.
    pub(crate) fn out_of_range(
        &mut self,
        file: FileId,
        span: Span,
        message: impl Into<String>,
        label: &str,
    ) {
        self.error(Diagnostic::error("E0017", file, span, message).with_label(span, label));
    }

    /// Adds a source text (a prompt line, say) so that diagnostics in it can be rendered.
    pub fn add_source(&mut self, name: &str, text: &str) -> FileId {
        self.sources.add(name, text)
    }

    /// The texts of every file this checker has read.
    pub fn sources(&self) -> &SourceMap {
        &self.sources
    }

    /// Replaces top-level `let`s of the main file by expressions (source text), each evaluated
    /// where its `let` stands (the REPL's `:set`).
    pub fn set_override_texts(&mut self, texts: HashMap<String, String>) {
        self.override_texts = texts;
    }

    /// The diagnostics reported so far, leaving none behind.
    pub fn take_diagnostics(&mut self) -> Vec<Diagnostic> {
        std::mem::take(&mut self.diagnostics)
    }

    /// Starts a fresh evaluation budget, for an evaluation that is not part of the script's
    /// check (a line typed at the prompt).
    pub fn reset_budget(&mut self) {
        self.steps = 0;
        self.budget_exceeded = false;
    }

    /// The diagnostics and the source texts, once checking is over.
    pub fn into_parts(self) -> (Vec<Diagnostic>, SourceMap) {
        (self.diagnostics, self.sources)
    }

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
}
