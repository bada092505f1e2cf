//! Modules: `use` of the standard library and of user files, loaded once per path.

use super::*;

impl<'l> Checker<'l> {
    pub(super) fn check_use(
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
}

pub(super) fn key_of_path(path: &Path) -> String {
    let normalized = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
    normalized.to_string_lossy().into_owned()
}
