//! JSONata expressions (`{% ... %}`), evaluated with the `jsonata-rs` crate plus the
//! functions Step Functions adds (`$partition`, `$range`, `$hash`, `$parse`).

use bumpalo::Bump;
use jsonata_rs::{ArrayFlags, FunctionContext, JsonAta, Value as JValue};
use serde_json::Value;

use crate::value::number;

/// Whether a string is a JSONata expression: `{% ... %}`.
pub fn is_expression(s: &str) -> bool {
    let t = s.trim();
    t.len() >= 4 && t.starts_with("{%") && t.ends_with("%}")
}

/// The expression inside `{% ... %}`.
pub fn strip(s: &str) -> &str {
    let t = s.trim();
    t.get(2..t.len().saturating_sub(2)).unwrap_or("").trim()
}

/// The most operators, brackets and separators an expression may have. jsonata-rs parses and
/// evaluates by recursion, one level per operator: unbounded, a long chain (`1+1+…`) or deep
/// nesting (`[[[…]]]`) overflows any stack, which aborts the process. Found by the
/// `asl_execute` fuzz target; real expressions stay far below this.
pub const MAX_OPERATORS: usize = 500;

/// The deepest evaluation (jsonata-rs counts every node it evaluates, including the calls of
/// a recursive function); beyond it the evaluation fails with U1001 instead of overflowing.
pub const MAX_EVALUATION_DEPTH: usize = 2000;

/// How long one evaluation may run (milliseconds) before it fails with U1001: an endless
/// recursive function must not hang an execution.
pub const TIME_LIMIT_MS: usize = 5000;

/// The stack parsing and evaluation run on: enough for [`MAX_OPERATORS`] and
/// [`MAX_EVALUATION_DEPTH`] in an unoptimised build. Allocated (address space, touched
/// lazily) only when less than half of it is left on the calling thread.
const STACK: usize = 64 << 20;

/// Runs `f` with at least `STACK / 2` bytes of stack.
fn with_stack<R>(f: impl FnOnce() -> R) -> R {
    stacker::maybe_grow(STACK / 2, STACK, f)
}

/// Operators, brackets and separators outside string literals and backquoted names: the
/// measure [`MAX_OPERATORS`] bounds.
pub fn operator_count(expr: &str) -> usize {
    let mut count = 0;
    let mut quote: Option<char> = None;
    let mut escaped = false;
    for c in expr.chars() {
        match quote {
            Some(q) => {
                if escaped {
                    escaped = false;
                } else if c == '\\' && q != '`' {
                    escaped = true;
                } else if c == q {
                    quote = None;
                }
            }
            None => match c {
                '\'' | '"' | '`' => quote = Some(c),
                c if c.is_ascii_punctuation() && c != '$' && c != '_' => count += 1,
                _ => {}
            },
        }
    }
    count
}

fn check_size(expr: &str) -> Result<(), String> {
    let n = operator_count(expr);
    if n > MAX_OPERATORS {
        return Err(format!(
            "the expression has {n} operators, brackets and separators; the local executor \
             evaluates at most {MAX_OPERATORS} (split it with Assign variables)"
        ));
    }
    Ok(())
}

/// Checks the syntax of an expression.
pub fn check_syntax(expr: &str) -> Result<(), String> {
    check_size(expr)?;
    with_stack(|| {
        std::panic::catch_unwind(|| {
            let arena = Bump::new();
            JsonAta::new(expr, &arena)
                .map(|_| ())
                .map_err(|e| e.to_string())
        })
        .unwrap_or_else(|_| Err("the JSONata parser failed on this expression".into()))
    })
}

/// The outcome of an evaluation.
#[derive(Debug)]
pub enum Outcome {
    /// A JSON value.
    Value(Value),
    /// The expression returned nothing.
    Undefined,
    /// The expression returned a function or something else that is not JSON.
    Unsupported,
}

fn to_arena<'a>(arena: &'a Bump, v: &Value) -> &'a JValue<'a> {
    match v {
        Value::Null => JValue::null(arena),
        Value::Bool(b) => JValue::bool(*b),
        Value::Number(n) => JValue::number(arena, n.as_f64().unwrap_or(0.0)),
        Value::String(s) => JValue::string(arena, s),
        Value::Array(a) => {
            let arr = JValue::array_with_capacity(arena, a.len(), ArrayFlags::empty());
            for x in a {
                arr.push(to_arena(arena, x));
            }
            arr
        }
        Value::Object(m) => {
            let obj = JValue::object_with_capacity(arena, m.len());
            for (k, x) in m {
                obj.insert(k, to_arena(arena, x));
            }
            obj
        }
    }
}

fn from_arena<'a>(v: &'a JValue<'a>) -> Result<Option<Value>, ()> {
    Ok(Some(match v {
        JValue::Undefined => return Ok(None),
        JValue::Null => Value::Null,
        JValue::Number(n) => number(*n),
        JValue::Bool(b) => Value::Bool(*b),
        JValue::String(s) => Value::String(s.to_string()),
        JValue::Array(..) | JValue::Range(..) => {
            let mut out = Vec::new();
            for m in v.members() {
                if let Some(x) = from_arena(m)? {
                    out.push(x);
                }
            }
            Value::Array(out)
        }
        JValue::Object(_) => {
            let mut out = serde_json::Map::new();
            for (k, x) in v.entries() {
                if let Some(x) = from_arena(x)? {
                    out.insert(k.to_string(), x);
                }
            }
            Value::Object(out)
        }
        _ => return Err(()),
    }))
}

fn arg<'a>(args: &[&'a JValue<'a>], i: usize) -> &'a JValue<'a> {
    args.get(i).copied().unwrap_or_else(JValue::undefined)
}

fn bad(ctx: &FunctionContext<'_, '_>, msg: &str) -> jsonata_rs::Error {
    jsonata_rs::Error::D3137Error(format!("${}: {msg}", ctx.name))
}

fn fn_partition<'a>(
    ctx: FunctionContext<'a, '_>,
    args: &[&'a JValue<'a>],
) -> jsonata_rs::Result<&'a JValue<'a>> {
    let (arr, size) = (arg(args, 0), arg(args, 1));
    if !arr.is_array() || !size.is_number() || size.as_f64() < 1.0 {
        return Err(bad(&ctx, "expects an array and a positive chunk size"));
    }
    let size = size.as_f64() as usize;
    let members: Vec<&'a JValue<'a>> = arr.members().collect();
    let out = JValue::array_with_capacity(ctx.arena, members.len() / size + 1, ArrayFlags::empty());
    for chunk in members.chunks(size) {
        let c = JValue::array_with_capacity(ctx.arena, chunk.len(), ArrayFlags::empty());
        for m in chunk {
            c.push(m);
        }
        out.push(c);
    }
    Ok(out)
}

fn fn_range<'a>(
    ctx: FunctionContext<'a, '_>,
    args: &[&'a JValue<'a>],
) -> jsonata_rs::Result<&'a JValue<'a>> {
    let (s, e, st) = (arg(args, 0), arg(args, 1), arg(args, 2));
    if !s.is_number() || !e.is_number() || !st.is_number() || st.as_f64() == 0.0 {
        return Err(bad(&ctx, "expects start, end and a non-zero step"));
    }
    let (s, e, st) = (s.as_f64(), e.as_f64(), st.as_f64());
    let out = JValue::array(ctx.arena, ArrayFlags::SEQUENCE);
    let mut i = s;
    let mut n = 0;
    while (st > 0.0 && i <= e) || (st < 0.0 && i >= e) {
        out.push(JValue::number(ctx.arena, i));
        i += st;
        n += 1;
        if n > 1000 {
            return Err(bad(&ctx, "cannot produce more than 1000 items"));
        }
    }
    Ok(out)
}

fn fn_hash<'a>(
    ctx: FunctionContext<'a, '_>,
    args: &[&'a JValue<'a>],
) -> jsonata_rs::Result<&'a JValue<'a>> {
    let (d, a) = (arg(args, 0), arg(args, 1));
    if !d.is_string() || !a.is_string() {
        return Err(bad(&ctx, "expects a string and an algorithm name"));
    }
    use sha2::Digest as _;
    let data = d.as_str();
    let h = match &*a.as_str() {
        "MD5" => hex::encode(md5::Md5::digest(data.as_bytes())),
        "SHA-1" => hex::encode(sha1::Sha1::digest(data.as_bytes())),
        "SHA-256" => hex::encode(sha2::Sha256::digest(data.as_bytes())),
        "SHA-384" => hex::encode(sha2::Sha384::digest(data.as_bytes())),
        "SHA-512" => hex::encode(sha2::Sha512::digest(data.as_bytes())),
        _ => return Err(bad(&ctx, "unsupported algorithm")),
    };
    Ok(JValue::string(ctx.arena, &h))
}

fn fn_parse<'a>(
    ctx: FunctionContext<'a, '_>,
    args: &[&'a JValue<'a>],
) -> jsonata_rs::Result<&'a JValue<'a>> {
    let s = arg(args, 0);
    if !s.is_string() {
        return Err(bad(&ctx, "expects a string"));
    }
    let v: Value =
        serde_json::from_str(&s.as_str()).map_err(|e| bad(&ctx, &format!("invalid JSON: {e}")))?;
    Ok(to_arena(ctx.arena, &v))
}

/// Evaluates `expr` with `$states` bound to `states` and each variable in `vars`.
pub fn evaluate<'v>(
    expr: &str,
    states: &[(&str, &Value)],
    vars: impl Iterator<Item = (&'v str, &'v Value)>,
) -> Result<Outcome, String> {
    check_size(expr)?;
    // A panic inside the JSONata library must not take the executor down: it becomes an
    // evaluation error of this expression.
    with_stack(|| {
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            evaluate_inner(expr, states, vars)
        }))
        .unwrap_or_else(|_| Err("the JSONata evaluator failed on this expression".into()))
    })
}

fn evaluate_inner<'v>(
    expr: &str,
    states: &[(&str, &Value)],
    vars: impl Iterator<Item = (&'v str, &'v Value)>,
) -> Result<Outcome, String> {
    let arena = Bump::new();
    let j = JsonAta::new(expr, &arena).map_err(|e| e.to_string())?;
    let st = JValue::object_with_capacity(&arena, states.len());
    for (k, v) in states {
        st.insert(k, to_arena(&arena, v));
    }
    j.assign_var("states", st);
    for (name, v) in vars {
        j.assign_var(name, to_arena(&arena, v));
    }
    j.register_function("partition", 2, fn_partition);
    j.register_function("range", 3, fn_range);
    j.register_function("hash", 2, fn_hash);
    j.register_function("parse", 1, fn_parse);
    let out = j
        .evaluate_timeboxed(None, Some(MAX_EVALUATION_DEPTH), Some(TIME_LIMIT_MS))
        .map_err(|e| e.to_string())?;
    let out = match out {
        JValue::Array(a, flags) if flags.contains(ArrayFlags::SEQUENCE) && a.len() == 1 => a[0],
        _ => out,
    };
    match from_arena(out) {
        Ok(Some(v)) => Ok(Outcome::Value(v)),
        Ok(None) => Ok(Outcome::Undefined),
        Err(()) => Ok(Outcome::Unsupported),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn check(expr: &str, states: Value, expected: Value) {
        let parts: Vec<(&str, &Value)> = states
            .as_object()
            .unwrap()
            .iter()
            .map(|(k, v)| (k.as_str(), v))
            .collect();
        match evaluate(expr, &parts, std::iter::empty()).unwrap() {
            Outcome::Value(v) => assert!(
                crate::value::json_eq(&v, &expected),
                "{expr}: {v} != {expected}"
            ),
            o => panic!("{expr}: {o:?}"),
        }
    }

    #[test]
    fn aws_functions() {
        check("$partition([1,2,3], 2)", json!({}), json!([[1, 2], [3]]));
        check("$range(0, 9, 3)", json!({}), json!([0, 3, 6, 9]));
        check("$range(1, 9, 9)", json!({}), json!(1));
        check("$parse('{\"a\": 1}')", json!({}), json!({"a": 1}));
        check("$states.input.a + 1", json!({"input": {"a": 1}}), json!(2));
        check(
            "$contains('hello$world', /^hello\\$/)",
            json!({}),
            json!(true),
        );
        check(
            "$hash('input data', 'SHA-1')",
            json!({}),
            json!("aaff4a450a104cd177d28d18d74485e8cae074b7"),
        );
    }

    #[test]
    fn undefined_and_functions() {
        assert!(matches!(
            evaluate("$nothing", &[], std::iter::empty()).unwrap(),
            Outcome::Undefined
        ));
        assert!(matches!(
            evaluate("function($x){$x}", &[], std::iter::empty()).unwrap(),
            Outcome::Unsupported
        ));
        assert!(is_expression(" {% 1 %} "));
        assert_eq!(strip("{% $x %}"), "$x");
    }
}
