//! Calls: arguments bound to parameters, user functions and builtins.

use super::*;

impl Checker<'_> {
    /// Binds call arguments to parameters: positional in order (a variadic parameter takes the
    /// rest), then by name. Reports unknown names, duplicates, too many and missing arguments.
    /// Returns `None` if binding failed; otherwise each parameter's value expression (if given).
    fn bind_args<P: ParamShape>(
        &mut self,
        file: FileId,
        callee: &str,
        params: &[P],
        args: &[Arg],
        call_span: Span,
    ) -> Option<Bound> {
        let mut bound = Bound::default();
        let mut ok = true;
        let mut position = 0;
        for (arg_index, arg) in args.iter().enumerate() {
            match &arg.name {
                None => {
                    while position < params.len()
                        && bound.first(position).is_some()
                        && !params[position].variadic()
                    {
                        position += 1;
                    }
                    if position >= params.len() {
                        self.error(
                            Diagnostic::error(
                                "E0009",
                                file,
                                arg.value.span,
                                format!(
                                    "`{callee}` takes at most {} positional argument{}",
                                    params.len(),
                                    if params.len() == 1 { "" } else { "s" }
                                ),
                            )
                            .with_label(arg.value.span, "extra argument")
                            .with_help(format!(
                                "its parameters are: {}",
                                params.iter().map(P::name).collect::<Vec<_>>().join(", ")
                            )),
                        );
                        ok = false;
                        continue;
                    }
                    bound.slots.push((position, arg_index));
                    if !params[position].variadic() {
                        position += 1;
                    }
                }
                Some(name) => match params.iter().position(|p| p.name() == name.text) {
                    Some(index) => {
                        if let Some(first) = bound.first(index)
                            && !params[index].variadic()
                        {
                            self.error(
                                Diagnostic::error(
                                    "E0013",
                                    file,
                                    name.span,
                                    format!("argument `{}` is given twice", name.text),
                                )
                                .with_label(args[first].value.span, "first value")
                                .with_label(name.span, "second value"),
                            );
                            ok = false;
                        } else {
                            bound.slots.push((index, arg_index));
                        }
                    }
                    None => {
                        let mut diagnostic = Diagnostic::error(
                            "E0010",
                            file,
                            name.span,
                            format!("`{callee}` has no parameter `{}`", name.text),
                        )
                        .with_label(name.span, "unknown parameter");
                        match closest(&name.text, params.iter().map(P::name)) {
                            Some(s) => {
                                diagnostic = diagnostic.with_help(format!("did you mean `{s}`?"))
                            }
                            None => {
                                diagnostic = diagnostic.with_help(format!(
                                    "its parameters are: {}",
                                    params.iter().map(P::name).collect::<Vec<_>>().join(", ")
                                ))
                            }
                        }
                        self.error(diagnostic);
                        ok = false;
                    }
                },
            }
        }
        for (index, param) in params.iter().enumerate() {
            let name = param.name();
            if param.required() && bound.first(index).is_none() {
                self.error(
                    Diagnostic::error(
                        "E0011",
                        file,
                        call_span,
                        format!("`{callee}` needs the argument `{name}`"),
                    )
                    .with_label(call_span, format!("`{name}` is missing"))
                    .with_help(format!("add `{name}: ...`")),
                );
                ok = false;
            }
        }
        ok.then_some(bound)
    }

    pub(super) fn call_user(
        &mut self,
        env: &mut Env,
        function: &Rc<UserFunction>,
        args: &[Arg],
        call_span: Span,
    ) -> Value {
        let file = env.file();
        let def = &function.def;
        let arg_values: Vec<Value> = args.iter().map(|a| self.eval(env, &a.value)).collect();
        let Some(bound) = self.bind_args(file, &def.name.text, &def.params, args, call_span) else {
            return Value::Unknown;
        };
        let mut callee_env = Env {
            module: &function.module,
            visible_below: function.visible_below,
            locals: Vec::new(),
            axes: env.axes,
        };
        for (index, param) in def.params.iter().enumerate() {
            let value = match bound.first(index) {
                Some(arg_index) => arg_values[arg_index].clone(),
                None => match &param.default {
                    Some(default) => self.eval(&mut callee_env, default),
                    None => Value::Unknown,
                },
            };
            callee_env.locals.push((&param.name.text, value));
        }
        self.defining.push(std::sync::Arc::clone(def));
        let result = self.eval_body(&mut callee_env, def);
        self.defining.pop();
        result
    }

    /// Evaluates a function body in an environment whose locals hold the parameters.
    pub fn eval_body<'d>(&mut self, env: &mut Env<'d>, def: &'d FunctionDef) -> Value {
        for (name, value_expr) in &def.lets {
            let value = self.eval(env, value_expr);
            env.locals.push((&name.text, value));
        }
        self.eval(env, &def.result)
    }

    pub(super) fn call_builtin(
        &mut self,
        env: &mut Env,
        builtin: &'static Builtin,
        args: &[Arg],
        call_span: Span,
    ) -> Value {
        let file = env.file();
        let Some(bound) = self.bind_args(file, builtin.name, builtin.params, args, call_span)
        else {
            for arg in args {
                self.eval(env, &arg.value);
            }
            return Value::Unknown;
        };
        let mut values: Vec<Option<(Value, Span)>> = Vec::with_capacity(builtin.params.len());
        let mut failed = false;
        for (index, param) in builtin.params.iter().enumerate() {
            if param.variadic {
                let mut items = Vec::new();
                for arg in bound.given(index).map(|arg_index| &args[arg_index]) {
                    let value = self.eval(env, &arg.value);
                    match self.coerce(env, value, &param.ty, &arg.value) {
                        Some(v) => items.push(v),
                        None => failed = true,
                    }
                }
                values.push(Some((Value::List(items), call_span)));
                continue;
            }
            let Some(arg) = bound.first(index).map(|arg_index| &args[arg_index]) else {
                values.push(None);
                continue;
            };
            let value = self.eval(env, &arg.value);
            match self.coerce(env, value, &param.ty, &arg.value) {
                Some(v) => values.push(Some((v, arg.value.span))),
                None => {
                    values.push(None);
                    failed = true;
                }
            }
        }
        if failed {
            return Value::Unknown;
        }
        let mut call = Call {
            builtin,
            values,
            file,
            span: call_span,
        };
        self.construct(env, &mut call)
    }
}

/// The arguments of a call bound to the callee's parameters: one vector of (parameter index,
/// argument index) pairs in call order instead of a vector per parameter, because binding runs
/// for every call the checker evaluates and most parameters get one argument or none.
#[derive(Default)]
struct Bound {
    slots: Vec<(usize, usize)>,
}

impl Bound {
    /// The argument given for parameter `param`, the first one for a variadic parameter.
    fn first(&self, param: usize) -> Option<usize> {
        self.given(param).next()
    }

    /// Every argument given for parameter `param`, in call order.
    fn given(&self, param: usize) -> impl Iterator<Item = usize> + '_ {
        self.slots
            .iter()
            .filter(move |(bound_param, _)| *bound_param == param)
            .map(|(_, arg_index)| *arg_index)
    }
}

/// What [`Checker::bind_args`] needs to know of a parameter, for builtins and user functions alike.
trait ParamShape {
    fn name(&self) -> &str;
    /// True when a call must give the argument.
    fn required(&self) -> bool;
    /// True when the parameter collects every remaining positional argument.
    fn variadic(&self) -> bool;
}

impl ParamShape for Param {
    fn name(&self) -> &str {
        self.name
    }
    fn required(&self) -> bool {
        self.default == ParamDefault::Required
    }
    fn variadic(&self) -> bool {
        self.variadic
    }
}

impl ParamShape for anneal_syntax::ast::Param {
    fn name(&self) -> &str {
        &self.name.text
    }
    fn required(&self) -> bool {
        self.default.is_none()
    }
    fn variadic(&self) -> bool {
        false
    }
}
