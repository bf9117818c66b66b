//! Intrinsic functions (`States.Format(...)`, `States.Array(...)`, ...): parsing and evaluation.

use std::borrow::Cow;

use base64::Engine as _;
use serde_json::Value;

use crate::jsonpath::Path;
use crate::value::{json_eq, number, to_json};

/// One argument of an intrinsic call.
#[derive(Debug, Clone, PartialEq)]
pub enum Arg {
    /// A literal string, number, boolean or null.
    Literal(Value),
    /// A JSONPath (`$.a`, `$$.Map.Item.Value`, `$var`).
    Path(Path),
    /// A nested call.
    Call(Call),
}

/// A parsed intrinsic function call.
#[derive(Debug, Clone, PartialEq)]
pub struct Call {
    /// The function, e.g. `States.Format`.
    pub name: String,
    /// Its arguments.
    pub args: Vec<Arg>,
}

/// Why a call failed at run time: the error name and the cause.
#[derive(Debug, Clone, PartialEq)]
pub struct CallError {
    /// `States.IntrinsicFailure` or `States.Runtime`.
    pub error: &'static str,
    /// What went wrong.
    pub cause: String,
}

fn fail(cause: impl Into<String>) -> CallError {
    CallError {
        error: "States.IntrinsicFailure",
        cause: cause.into(),
    }
}

/// Names and argument counts (minimum, maximum) of every intrinsic function.
const FUNCTIONS: &[(&str, usize, usize)] = &[
    ("States.Format", 1, usize::MAX),
    ("States.StringToJson", 1, 1),
    ("States.JsonToString", 1, 1),
    ("States.Array", 0, usize::MAX),
    ("States.ArrayPartition", 2, 2),
    ("States.ArrayContains", 2, 2),
    ("States.ArrayRange", 3, 3),
    ("States.ArrayGetItem", 2, 2),
    ("States.ArrayLength", 1, 1),
    ("States.ArrayUnique", 1, 1),
    ("States.Base64Encode", 1, 1),
    ("States.Base64Decode", 1, 1),
    ("States.Hash", 2, 2),
    ("States.JsonMerge", 3, 3),
    ("States.MathRandom", 2, 3),
    ("States.MathAdd", 2, 2),
    ("States.StringSplit", 2, 2),
    ("States.UUID", 0, 0),
];

/// Whether a string looks like an intrinsic call rather than a path.
pub fn looks_like_call(s: &str) -> bool {
    s.trim_start().starts_with("States.")
}

struct P<'a> {
    src: &'a str,
    i: usize,
}

impl<'a> P<'a> {
    fn rest(&self) -> &'a str {
        &self.src[self.i..]
    }
    fn peek(&self) -> Option<char> {
        self.rest().chars().next()
    }
    fn ws(&mut self) {
        while let Some(c) = self.peek() {
            if c == ' ' || c == '\t' {
                self.i += 1;
            } else {
                break;
            }
        }
    }
    fn call(&mut self) -> Result<Call, String> {
        self.ws();
        let start = self.i;
        while let Some(c) = self.peek() {
            if c.is_ascii_alphanumeric() || c == '.' {
                self.i += c.len_utf8();
            } else {
                break;
            }
        }
        let name = self.src[start..self.i].to_string();
        let Some(&(_, min, max)) = FUNCTIONS.iter().find(|(n, _, _)| *n == name) else {
            return Err(format!("unknown intrinsic function '{name}'"));
        };
        self.ws();
        if self.peek() != Some('(') {
            return Err(format!("expected '(' after '{name}'"));
        }
        self.i += 1;
        let mut args = Vec::new();
        self.ws();
        if self.peek() == Some(')') {
            self.i += 1;
        } else {
            loop {
                args.push(self.arg()?);
                self.ws();
                match self.peek() {
                    Some(',') => self.i += 1,
                    Some(')') => {
                        self.i += 1;
                        break;
                    }
                    _ => return Err(format!("expected ',' or ')' in the arguments of '{name}'")),
                }
            }
        }
        if args.len() < min || args.len() > max {
            return Err(format!(
                "'{name}' takes {} but got {} argument(s)",
                if min == max {
                    format!("{min} argument(s)")
                } else if max == usize::MAX {
                    format!("at least {min} argument(s)")
                } else {
                    format!("{min} to {max} arguments")
                },
                args.len()
            ));
        }
        Ok(Call { name, args })
    }
    fn arg(&mut self) -> Result<Arg, String> {
        self.ws();
        match self.peek() {
            Some('\'') => {
                self.i += 1;
                let mut out = String::new();
                let mut chars = self.rest().char_indices();
                while let Some((off, c)) = chars.next() {
                    match c {
                        '\\' => match chars.next() {
                            // `\{` and `\}` stay escaped for States.Format's placeholders.
                            Some((_, n @ ('{' | '}'))) => {
                                out.push('\\');
                                out.push(n);
                            }
                            Some((_, n)) => out.push(n),
                            None => return Err("unterminated string literal".into()),
                        },
                        '\'' => {
                            self.i += off + 1;
                            return Ok(Arg::Literal(Value::String(out)));
                        }
                        c => out.push(c),
                    }
                }
                Err("unterminated string literal".into())
            }
            Some('$') => {
                let start = self.i;
                let mut depth = 0i32;
                let mut quote: Option<char> = None;
                while let Some(c) = self.peek() {
                    if let Some(q) = quote {
                        if c == q {
                            quote = None;
                        }
                    } else {
                        match c {
                            '\'' | '"' => quote = Some(c),
                            '[' | '(' => depth += 1,
                            ']' | ')' if depth > 0 => depth -= 1,
                            ',' | ')' if depth == 0 => break,
                            ' ' if depth == 0 => break,
                            _ => {}
                        }
                    }
                    self.i += c.len_utf8();
                }
                let text = &self.src[start..self.i];
                Path::parse(text).map(Arg::Path).map_err(|e| e.to_string())
            }
            Some('S') if self.rest().starts_with("States.") => self.call().map(Arg::Call),
            Some(_) => {
                let start = self.i;
                while let Some(c) = self.peek() {
                    if c == ',' || c == ')' || c == ' ' {
                        break;
                    }
                    self.i += c.len_utf8();
                }
                let text = &self.src[start..self.i];
                match serde_json::from_str::<Value>(text) {
                    Ok(v @ (Value::Number(_) | Value::Bool(_) | Value::Null)) => {
                        Ok(Arg::Literal(v))
                    }
                    _ => Err(format!("invalid argument '{text}'")),
                }
            }
            None => Err("unexpected end of the call".into()),
        }
    }
}

/// Parses `States.Name(args...)`.
pub fn parse(text: &str) -> Result<Call, String> {
    let mut p = P { src: text, i: 0 };
    let call = p.call()?;
    p.ws();
    if p.i != text.len() {
        return Err(format!(
            "unexpected text after the call: '{}'",
            &text[p.i..]
        ));
    }
    Ok(call)
}

/// Evaluates a call; `resolve` looks up paths (None when the path selects nothing).
pub fn eval<'v, F>(call: &Call, resolve: &F) -> Result<Value, CallError>
where
    F: Fn(&Path) -> Option<Cow<'v, Value>>,
{
    let mut args: Vec<Cow<'_, Value>> = Vec::with_capacity(call.args.len());
    for a in &call.args {
        args.push(match a {
            Arg::Literal(v) => Cow::Borrowed(v),
            Arg::Path(p) => match resolve(p) {
                Some(v) => v,
                None => {
                    return Err(CallError {
                        error: "States.Runtime",
                        cause: format!(
                            "The JSONPath '{}' specified for the intrinsic function '{}' could not be found in the input",
                            p.text(),
                            call.name
                        ),
                    })
                }
            },
            Arg::Call(c) => Cow::Owned(eval(c, resolve)?),
        });
    }
    apply(&call.name, args)
}

fn want_str<'a>(name: &str, v: &'a Value, n: usize) -> Result<&'a str, CallError> {
    v.as_str().ok_or_else(|| {
        fail(format!(
            "The argument {n} of the intrinsic function {name} must be a string, but was {}",
            to_json(v)
        ))
    })
}

fn want_arr<'a>(name: &str, v: &'a Value, n: usize) -> Result<&'a Vec<Value>, CallError> {
    v.as_array().ok_or_else(|| {
        fail(format!(
            "The argument {n} of the intrinsic function {name} must be an array, but was {}",
            to_json(v)
        ))
    })
}

fn want_num(name: &str, v: &Value, n: usize) -> Result<f64, CallError> {
    v.as_f64().ok_or_else(|| {
        fail(format!(
            "The argument {n} of the intrinsic function {name} must be a number, but was {}",
            to_json(v)
        ))
    })
}

fn want_int(name: &str, v: &Value, n: usize) -> Result<i64, CallError> {
    let f = want_num(name, v, n)?;
    if f.fract() != 0.0 {
        return Err(fail(format!(
            "The argument {n} of the intrinsic function {name} must be an integer, but was {}",
            to_json(v)
        )));
    }
    Ok(f as i64)
}

/// Java's `Math.round`: halves round towards positive infinity.
fn java_round(f: f64) -> i64 {
    (f + 0.5).floor() as i64
}

/// The text `States.Format` puts in for a value (Java `toString` style for objects and arrays).
pub fn format_value(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => "null".into(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::Array(a) => format!(
            "[{}]",
            a.iter().map(format_value).collect::<Vec<_>>().join(", ")
        ),
        Value::Object(m) => format!(
            "{{{}}}",
            m.iter()
                .map(|(k, v)| format!("{k}={}", format_value(v)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

fn apply(name: &str, args: Vec<Cow<'_, Value>>) -> Result<Value, CallError> {
    let a = |i: usize| args.get(i).map(|c| &**c).unwrap_or(&Value::Null);
    match name {
        "States.Format" => {
            let template = want_str(name, a(0), 1)?;
            let mut out = String::new();
            let mut next = 1;
            let mut chars = template.chars().peekable();
            while let Some(c) = chars.next() {
                match c {
                    '\\' => {
                        if let Some(n) = chars.next() {
                            out.push(n);
                        }
                    }
                    '{' if chars.peek() == Some(&'}') => {
                        chars.next();
                        let Some(v) = args.get(next) else {
                            return Err(fail(format!(
                                "The number of arguments of States.Format does not match the number of placeholders in '{template}'"
                            )));
                        };
                        out.push_str(&format_value(v));
                        next += 1;
                    }
                    c => out.push(c),
                }
            }
            if next != args.len() {
                return Err(fail(format!(
                    "The number of arguments of States.Format does not match the number of placeholders in '{template}'"
                )));
            }
            Ok(Value::String(out))
        }
        "States.StringToJson" => {
            let s = want_str(name, a(0), 1)?;
            let t = s.trim();
            if t.is_empty() {
                return Ok(Value::Null);
            }
            serde_json::from_str(t).map_err(|e| {
                fail(format!(
                    "The argument of States.StringToJson is not valid JSON: {e}"
                ))
            })
        }
        "States.JsonToString" => Ok(Value::String(to_json(a(0)))),
        "States.Array" => Ok(Value::Array(
            args.into_iter().map(Cow::into_owned).collect(),
        )),
        "States.ArrayPartition" => {
            let arr = want_arr(name, a(0), 1)?;
            let size = want_int(name, a(1), 2)?;
            if size <= 0 {
                return Err(fail(format!(
                    "The chunk size of States.ArrayPartition must be positive, but was {size}"
                )));
            }
            Ok(Value::Array(
                arr.chunks(size as usize)
                    .map(|c| Value::Array(c.to_vec()))
                    .collect(),
            ))
        }
        "States.ArrayContains" => {
            let arr = want_arr(name, a(0), 1)?;
            Ok(Value::Bool(arr.iter().any(|x| json_eq(x, a(1)))))
        }
        "States.ArrayRange" => {
            let start = want_int(name, a(0), 1)?;
            let end = want_int(name, a(1), 2)?;
            let step = want_int(name, a(2), 3)?;
            if step == 0 {
                return Err(fail("The step of States.ArrayRange cannot be 0"));
            }
            let mut out = Vec::new();
            let mut i = start;
            while (step > 0 && i <= end) || (step < 0 && i >= end) {
                out.push(Value::from(i));
                if out.len() > 1000 {
                    return Err(fail(
                        "States.ArrayRange cannot produce more than 1000 items",
                    ));
                }
                i += step;
            }
            Ok(Value::Array(out))
        }
        "States.ArrayGetItem" => {
            let arr = want_arr(name, a(0), 1)?;
            let idx = want_int(name, a(1), 2)?;
            if idx < 0 || idx as usize >= arr.len() {
                return Err(fail(format!(
                    "The index {idx} is out of bounds for an array of length {}",
                    arr.len()
                )));
            }
            Ok(arr[idx as usize].clone())
        }
        "States.ArrayLength" => Ok(Value::from(want_arr(name, a(0), 1)?.len())),
        "States.ArrayUnique" => {
            let arr = want_arr(name, a(0), 1)?;
            let mut out: Vec<Value> = Vec::new();
            for x in arr {
                if !out.iter().any(|y| json_eq(x, y)) {
                    out.push(x.clone());
                }
            }
            Ok(Value::Array(out))
        }
        "States.Base64Encode" => Ok(Value::String(
            base64::engine::general_purpose::STANDARD.encode(want_str(name, a(0), 1)?),
        )),
        "States.Base64Decode" => {
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(want_str(name, a(0), 1)?)
                .map_err(|e| {
                    fail(format!(
                        "The argument of States.Base64Decode is not valid base64: {e}"
                    ))
                })?;
            String::from_utf8(bytes)
                .map(Value::String)
                .map_err(|_| fail("The decoded value of States.Base64Decode is not UTF-8 text"))
        }
        "States.Hash" => {
            let data = match a(0) {
                Value::String(s) => s.clone(),
                v => to_json(v),
            };
            let algo = want_str(name, a(1), 2)?;
            use sha2::Digest as _;
            let hex = match algo {
                "MD5" => hex::encode(md5::Md5::digest(data.as_bytes())),
                "SHA-1" => hex::encode(sha1::Sha1::digest(data.as_bytes())),
                "SHA-256" => hex::encode(sha2::Sha256::digest(data.as_bytes())),
                "SHA-384" => hex::encode(sha2::Sha384::digest(data.as_bytes())),
                "SHA-512" => hex::encode(sha2::Sha512::digest(data.as_bytes())),
                other => {
                    return Err(fail(format!(
                        "The hash algorithm '{other}' is not supported; use MD5, SHA-1, SHA-256, SHA-384 or SHA-512"
                    )))
                }
            };
            Ok(Value::String(hex))
        }
        "States.JsonMerge" => {
            let (Value::Object(x), Value::Object(y)) = (a(0), a(1)) else {
                return Err(fail(
                    "The first two arguments of States.JsonMerge must be objects",
                ));
            };
            let deep = a(2).as_bool().unwrap_or(false);
            if deep {
                return Err(fail("States.JsonMerge supports only a shallow merge (the third argument must be false)"));
            }
            let mut out = x.clone();
            for (k, v) in y {
                out.insert(k.clone(), v.clone());
            }
            Ok(Value::Object(out))
        }
        "States.MathRandom" => {
            use rand::{Rng as _, SeedableRng as _};
            let start = java_round(want_num(name, a(0), 1)?);
            let end = java_round(want_num(name, a(1), 2)?);
            if end <= start {
                return Err(fail(
                    "The end of States.MathRandom must be greater than its start",
                ));
            }
            let n = match args.get(2) {
                Some(seed) => {
                    let seed = want_int(name, seed, 3)?;
                    rand::rngs::StdRng::seed_from_u64(seed as u64).gen_range(start..end)
                }
                None => rand::thread_rng().gen_range(start..end),
            };
            Ok(Value::from(n))
        }
        "States.MathAdd" => {
            let x = want_num(name, a(0), 1)?;
            let y = want_num(name, a(1), 2)?;
            Ok(number((java_round(x) + java_round(y)) as f64))
        }
        "States.StringSplit" => {
            let s = want_str(name, a(0), 1)?;
            let d = want_str(name, a(1), 2)?;
            let parts: Vec<Value> = s
                .split(|c: char| d.contains(c))
                .filter(|p| !p.is_empty())
                .map(|p| Value::String(p.to_string()))
                .collect();
            Ok(Value::Array(parts))
        }
        "States.UUID" => Ok(Value::String(uuid::Uuid::new_v4().to_string())),
        other => Err(fail(format!("unknown intrinsic function '{other}'"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn check(expr: &str, input: Value, expected: Value) {
        let call = parse(expr).unwrap();
        let got = eval(&call, &|p: &Path| {
            p.select(&input).map(|c| Cow::Owned(c.into_owned()))
        })
        .unwrap();
        assert!(
            json_eq(&got, &expected),
            "{expr}: got {got}, expected {expected}"
        );
    }

    #[test]
    fn functions_follow_aws() {
        check(
            "States.Format('a {} b {}', $.x, $.y)",
            json!({"x": 1, "y": {"k": []}}),
            json!("a 1 b {k=[]}"),
        );
        check(
            "States.MathAdd($.a, $.b)",
            json!({"a": 1.5, "b": 1.51}),
            json!(4),
        );
        check(
            "States.MathAdd($.a, $.b)",
            json!({"a": -1.5, "b": 0}),
            json!(-1),
        );
        check(
            "States.StringSplit($.s, ',')",
            json!({"s": ", , ,"}),
            json!([" ", " "]),
        );
        check("States.StringToJson($.s)", json!({"s": " "}), Value::Null);
        check(
            "States.ArrayRange(0, 10, 3)",
            json!({}),
            json!([0, 3, 6, 9]),
        );
        check(
            "States.ArrayPartition($.a, 2)",
            json!({"a": [0, 1, 2]}),
            json!([[0, 1], [2]]),
        );
        check(
            "States.ArrayUnique($.a)",
            json!({"a": [1, 1.0, 2, "2"]}),
            json!([1, 2, "2"]),
        );
        check(
            "States.Hash('input data', 'MD5')",
            json!({}),
            json!("812f45842bc6d66ee14572ce20db8e86"),
        );
        check(
            "States.ArrayGetItem(States.StringSplit('a-b', '-'), 1)",
            json!({}),
            json!("b"),
        );
        check(
            "States.JsonMerge($.a, $.b, false)",
            json!({"a": {"x": 1, "y": 1}, "b": {"y": 2}}),
            json!({"x": 1, "y": 2}),
        );
        check("States.Format('\\{\\} {}', 'x')", json!({}), json!("{} x"));
    }

    #[test]
    fn parse_errors_name_the_problem() {
        assert!(parse("States.Nope(1)").unwrap_err().contains("unknown"));
        assert!(parse("States.ArrayLength()").unwrap_err().contains("takes"));
        assert!(parse("States.Array(1").is_err());
    }
}
