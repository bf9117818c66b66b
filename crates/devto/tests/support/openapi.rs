//! A small OpenAPI 3.0 request checker: finds the operation for a method and path, checks path
//! and query parameters, and validates the JSON body against the request schema (a JSON Schema
//! subset: type, nullable, properties, required, items, enum, minimum, maximum, maxLength,
//! additionalProperties, $ref). Objects are checked strictly: a property the schema does not
//! declare is an error, so a misspelt field cannot slip through.

use serde_json::Value;

pub struct OpenApi {
    doc: Value,
    /// Path prefix of the server URL (`/api` for `https://dev.to/api`).
    prefix: String,
}

impl OpenApi {
    pub fn new(doc: Value) -> Self {
        let server = doc["servers"][0]["url"].as_str().unwrap_or("").to_string();
        let prefix = server
            .split_once("://")
            .map(|(_, r)| r.find('/').map(|i| r[i..].to_string()).unwrap_or_default())
            .unwrap_or_default();
        OpenApi { doc, prefix }
    }

    pub fn doc_mut(&mut self) -> &mut Value {
        &mut self.doc
    }

    fn resolve<'a>(&'a self, v: &'a Value) -> &'a Value {
        let mut cur = v;
        for _ in 0..16 {
            match cur.get("$ref").and_then(Value::as_str) {
                Some(r) => {
                    let ptr = r.trim_start_matches('#');
                    cur = self.doc.pointer(ptr).unwrap_or(&Value::Null);
                }
                None => break,
            }
        }
        cur
    }

    /// Checks one request. `path_and_query` is the URL path (with the server prefix) and query.
    pub fn check_request(
        &self,
        method: &str,
        path_and_query: &str,
        body: Option<&Value>,
    ) -> Result<(), Vec<String>> {
        let mut errors = Vec::new();
        let (path, query) = path_and_query
            .split_once('?')
            .unwrap_or((path_and_query, ""));
        let Some(rel) = path.strip_prefix(&self.prefix) else {
            return Err(vec![format!(
                "{path} is outside the server prefix {}",
                self.prefix
            )]);
        };
        let segs: Vec<&str> = rel.trim_start_matches('/').split('/').collect();
        // The template with the most literal segments wins (`/articles/me/all` over `/articles/{id}`).
        let mut best: Option<(&str, usize)> = None;
        if let Some(paths) = self.doc["paths"].as_object() {
            for tpl in paths.keys() {
                let t: Vec<&str> = tpl.trim_start_matches('/').split('/').collect();
                if t.len() != segs.len() {
                    continue;
                }
                let mut literal = 0;
                let ok = t.iter().zip(&segs).all(|(a, b)| {
                    if a.starts_with('{') {
                        !b.is_empty()
                    } else {
                        literal += 1;
                        a == b
                    }
                });
                if ok && best.is_none_or(|(_, l)| literal > l) {
                    best = Some((tpl.as_str(), literal));
                }
            }
        }
        let Some((tpl, _)) = best else {
            return Err(vec![format!("no path in the contract matches {rel}")]);
        };
        let op = &self.doc["paths"][tpl][method.to_ascii_lowercase()];
        if op.is_null() {
            return Err(vec![format!("{method} is not an operation of {tpl}")]);
        }
        let params: Vec<&Value> = op["parameters"]
            .as_array()
            .map(|a| a.iter().map(|p| self.resolve(p)).collect())
            .unwrap_or_default();
        // Path parameters.
        let t: Vec<&str> = tpl.trim_start_matches('/').split('/').collect();
        for (a, b) in t.iter().zip(&segs) {
            if let Some(name) = a.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
                match params
                    .iter()
                    .find(|p| p["in"] == "path" && p["name"] == name)
                {
                    Some(p) => {
                        self.check_param(&p["schema"], b, &format!("path {name}"), &mut errors)
                    }
                    None => errors.push(format!("path parameter {name} is not declared")),
                }
            }
        }
        // Query parameters.
        let mut seen = Vec::new();
        for pair in query.split('&').filter(|s| !s.is_empty()) {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            seen.push(k.to_string());
            match params.iter().find(|p| p["in"] == "query" && p["name"] == k) {
                Some(p) => self.check_param(&p["schema"], v, &format!("query {k}"), &mut errors),
                None => errors.push(format!(
                    "query parameter {k} is not declared for {method} {tpl}"
                )),
            }
        }
        for p in &params {
            if p["in"] == "query" && p["required"] == true {
                let n = p["name"].as_str().unwrap_or("");
                if !seen.iter().any(|s| s == n) {
                    errors.push(format!("required query parameter {n} is missing"));
                }
            }
        }
        // Body.
        let schema = &op["requestBody"]["content"]["application/json"]["schema"];
        match (body, schema.is_null()) {
            (Some(b), false) => self.validate(schema, b, "body", &mut errors),
            (Some(_), true) => errors.push(format!("{method} {tpl} takes no JSON body")),
            (None, false) if op["requestBody"]["required"] == true => {
                errors.push("the request body is required".into())
            }
            _ => {}
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        }
    }

    fn check_param(&self, schema: &Value, raw: &str, at: &str, errors: &mut Vec<String>) {
        let schema = self.resolve(schema);
        let value = match schema["type"].as_str() {
            Some("integer") => match raw.parse::<i64>() {
                Ok(n) => Value::from(n),
                Err(_) => {
                    errors.push(format!("{at}: `{raw}` is not an integer"));
                    return;
                }
            },
            Some("boolean") => match raw {
                "true" => Value::Bool(true),
                "false" => Value::Bool(false),
                _ => {
                    errors.push(format!("{at}: `{raw}` is not a boolean"));
                    return;
                }
            },
            _ => Value::String(raw.to_string()),
        };
        self.validate(schema, &value, at, errors);
    }

    /// Validates `value` against `schema`, appending messages with JSON-pointer-like locations.
    pub fn validate(&self, schema: &Value, value: &Value, at: &str, errors: &mut Vec<String>) {
        let schema = self.resolve(schema);
        if value.is_null() {
            if schema["nullable"] != true && schema.get("type").is_some() {
                errors.push(format!("{at}: null is not allowed"));
            }
            return;
        }
        if let Some(t) = schema["type"].as_str() {
            let ok = match t {
                "string" => value.is_string(),
                "integer" => value.is_i64() || value.is_u64(),
                "number" => value.is_number(),
                "boolean" => value.is_boolean(),
                "object" => value.is_object(),
                "array" => value.is_array(),
                _ => true,
            };
            if !ok {
                errors.push(format!("{at}: expected {t}, found {value}"));
                return;
            }
        }
        if let Some(allowed) = schema["enum"].as_array() {
            if !allowed.contains(value) {
                errors.push(format!("{at}: {value} is not one of {allowed:?}"));
            }
        }
        if let Some(n) = value.as_f64() {
            if let Some(min) = schema["minimum"].as_f64() {
                if n < min {
                    errors.push(format!("{at}: {n} < minimum {min}"));
                }
            }
            if let Some(max) = schema["maximum"].as_f64() {
                if n > max {
                    errors.push(format!("{at}: {n} > maximum {max}"));
                }
            }
        }
        if let (Some(s), Some(max)) = (value.as_str(), schema["maxLength"].as_u64()) {
            if s.chars().count() as u64 > max {
                errors.push(format!("{at}: longer than {max}"));
            }
        }
        if let Some(obj) = value.as_object() {
            let props = schema["properties"].as_object();
            for req in schema["required"].as_array().into_iter().flatten() {
                if let Some(k) = req.as_str() {
                    if !obj.contains_key(k) {
                        errors.push(format!("{at}: missing required property {k}"));
                    }
                }
            }
            for (k, v) in obj {
                match props.and_then(|p| p.get(k)) {
                    Some(s) => self.validate(s, v, &format!("{at}/{k}"), errors),
                    None => match &schema["additionalProperties"] {
                        Value::Object(_) => self.validate(
                            &schema["additionalProperties"],
                            v,
                            &format!("{at}/{k}"),
                            errors,
                        ),
                        Value::Bool(true) => {}
                        _ => errors.push(format!("{at}: property {k} is not in the contract")),
                    },
                }
            }
        }
        if let (Some(items), Some(arr)) = (schema.get("items"), value.as_array()) {
            for (i, v) in arr.iter().enumerate() {
                self.validate(items, v, &format!("{at}/{i}"), errors);
            }
        }
    }
}
