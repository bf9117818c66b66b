//! Checks GraphQL operations and their variables against an SDL schema, as far as crosspost
//! needs: operation root types, every selected field exists on its parent type, arguments
//! exist and required ones are given, variables' types exist and fit the argument types,
//! objects are selected into and scalars are not, and the variables' JSON fits the declared
//! input types (unknown input fields, missing required fields and wrong scalar kinds are
//! errors).

use std::collections::HashMap;

use graphql_parser::query::{self, Definition as QDef, OperationDefinition, Selection};
use graphql_parser::schema::{self, Definition, TypeDefinition};
use serde_json::Value;

type SType = schema::Type<'static, String>;

struct FieldDef {
    args: Vec<(String, SType, bool)>, // name, type, has default
    ty: SType,
}

enum Kind {
    Object(HashMap<String, FieldDef>),
    Input(Vec<(String, SType, bool)>),
    Scalar,
    Enum(Vec<String>),
    Union,
}

pub struct Schema {
    types: HashMap<String, Kind>,
    query: String,
    mutation: String,
}

fn leak(text: &str) -> &'static str {
    Box::leak(text.to_string().into_boxed_str())
}

fn named(t: &SType) -> &str {
    match t {
        schema::Type::NamedType(n) => n,
        schema::Type::ListType(i) | schema::Type::NonNullType(i) => named(i),
    }
}

impl Schema {
    pub fn parse(sdl: &str) -> Schema {
        let doc = schema::parse_schema::<String>(leak(sdl)).expect("the schema parses");
        let mut types = HashMap::new();
        for s in ["String", "Int", "Float", "Boolean", "ID"] {
            types.insert(s.to_string(), Kind::Scalar);
        }
        let (mut q, mut m) = ("Query".to_string(), "Mutation".to_string());
        for def in doc.definitions {
            match def {
                Definition::SchemaDefinition(sd) => {
                    if let Some(x) = sd.query {
                        q = x;
                    }
                    if let Some(x) = sd.mutation {
                        m = x;
                    }
                }
                Definition::TypeDefinition(td) => {
                    let fields = |fs: Vec<schema::Field<'static, String>>| {
                        fs.into_iter()
                            .map(|f| {
                                let args = f
                                    .arguments
                                    .into_iter()
                                    .map(|a| (a.name, a.value_type, a.default_value.is_some()))
                                    .collect();
                                (
                                    f.name,
                                    FieldDef {
                                        args,
                                        ty: f.field_type,
                                    },
                                )
                            })
                            .collect::<HashMap<_, _>>()
                    };
                    let (name, kind) = match td {
                        TypeDefinition::Object(o) => (o.name, Kind::Object(fields(o.fields))),
                        TypeDefinition::Interface(i) => (i.name, Kind::Object(fields(i.fields))),
                        TypeDefinition::InputObject(i) => (
                            i.name,
                            Kind::Input(
                                i.fields
                                    .into_iter()
                                    .map(|f| (f.name, f.value_type, f.default_value.is_some()))
                                    .collect(),
                            ),
                        ),
                        TypeDefinition::Scalar(s) => (s.name, Kind::Scalar),
                        TypeDefinition::Enum(e) => (
                            e.name,
                            Kind::Enum(e.values.into_iter().map(|v| v.name).collect()),
                        ),
                        TypeDefinition::Union(u) => (u.name, Kind::Union),
                    };
                    types.insert(name, kind);
                }
                _ => {}
            }
        }
        Schema {
            types,
            query: q,
            mutation: m,
        }
    }

    /// Checks one operation document with its variables; returns every problem found.
    pub fn check(&self, document: &str, variables: &Value) -> Result<(), Vec<String>> {
        let mut errors = Vec::new();
        let doc = match query::parse_query::<String>(leak(document)) {
            Ok(d) => d,
            Err(e) => return Err(vec![format!("does not parse: {e}")]),
        };
        let ops: Vec<_> = doc
            .definitions
            .into_iter()
            .filter_map(|d| match d {
                QDef::Operation(o) => Some(o),
                QDef::Fragment(_) => None,
            })
            .collect();
        if ops.len() != 1 {
            return Err(vec![format!("expected one operation, found {}", ops.len())]);
        }
        let (root, vars, set) = match ops.into_iter().next().unwrap() {
            OperationDefinition::Query(q) => {
                (self.query.clone(), q.variable_definitions, q.selection_set)
            }
            OperationDefinition::Mutation(m) => (
                self.mutation.clone(),
                m.variable_definitions,
                m.selection_set,
            ),
            OperationDefinition::SelectionSet(s) => (self.query.clone(), Vec::new(), s),
            OperationDefinition::Subscription(_) => {
                return Err(vec!["subscriptions are not used".into()])
            }
        };
        let mut var_types: HashMap<String, SType> = HashMap::new();
        for v in &vars {
            if !self.types.contains_key(named(&v.var_type)) {
                errors.push(format!("${}: unknown type {}", v.name, v.var_type));
            }
            var_types.insert(v.name.clone(), v.var_type.clone());
            let value = variables.get(&v.name).unwrap_or(&Value::Null);
            self.check_value(&v.var_type, value, &format!("${}", v.name), &mut errors);
        }
        if let Some(obj) = variables.as_object() {
            for k in obj.keys() {
                if !var_types.contains_key(k) {
                    errors.push(format!("variable ${k} is not declared by the operation"));
                }
            }
        }
        self.check_selection(&root, &set, &var_types, &root, &mut errors);
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        }
    }

    fn check_selection(
        &self,
        parent: &str,
        set: &query::SelectionSet<'static, String>,
        vars: &HashMap<String, SType>,
        at: &str,
        errors: &mut Vec<String>,
    ) {
        let Some(Kind::Object(fields)) = self.types.get(parent) else {
            errors.push(format!("{at}: {parent} is not an object type"));
            return;
        };
        for sel in &set.items {
            let Selection::Field(f) = sel else {
                errors.push(format!("{at}: fragments are not supported by this checker"));
                continue;
            };
            if f.name == "__typename" {
                continue;
            }
            let here = format!("{at}.{}", f.name);
            let Some(def) = fields.get(&f.name) else {
                errors.push(format!("{here}: no such field on {parent}"));
                continue;
            };
            for (name, value) in &f.arguments {
                match def.args.iter().find(|(n, _, _)| n == name) {
                    None => errors.push(format!("{here}: no argument {name}")),
                    Some((_, ty, _)) => match value {
                        query::Value::Variable(v) => match vars.get(v) {
                            None => errors.push(format!("{here}({name}): ${v} is not declared")),
                            Some(vt) if !fits(vt, ty) => errors.push(format!(
                                "{here}({name}): ${v} of type {vt} does not fit {ty}"
                            )),
                            _ => {}
                        },
                        _ => errors.push(format!("{here}({name}): use variables, not literals")),
                    },
                }
            }
            for (name, ty, has_default) in &def.args {
                if matches!(ty, schema::Type::NonNullType(_))
                    && !has_default
                    && !f.arguments.iter().any(|(n, _)| n == name)
                {
                    errors.push(format!("{here}: required argument {name} is missing"));
                }
            }
            let inner = named(&def.ty).to_string();
            match self.types.get(&inner) {
                Some(Kind::Object(_)) | Some(Kind::Union) => {
                    if f.selection_set.items.is_empty() {
                        errors.push(format!("{here}: {inner} needs a selection"));
                    } else if matches!(self.types.get(&inner), Some(Kind::Object(_))) {
                        self.check_selection(&inner, &f.selection_set, vars, &here, errors);
                    }
                }
                _ => {
                    if !f.selection_set.items.is_empty() {
                        errors.push(format!("{here}: {inner} is a leaf and takes no selection"));
                    }
                }
            }
        }
    }

    fn check_value(&self, ty: &SType, value: &Value, at: &str, errors: &mut Vec<String>) {
        match ty {
            schema::Type::NonNullType(inner) => {
                if value.is_null() {
                    errors.push(format!("{at}: required ({ty}) but null or missing"));
                } else {
                    self.check_value(inner, value, at, errors);
                }
            }
            _ if value.is_null() => {}
            schema::Type::ListType(inner) => match value.as_array() {
                Some(items) => {
                    for (i, v) in items.iter().enumerate() {
                        self.check_value(inner, v, &format!("{at}[{i}]"), errors);
                    }
                }
                None => self.check_value(inner, value, at, errors), // input coercion of a single item
            },
            schema::Type::NamedType(name) => match (name.as_str(), self.types.get(name)) {
                ("Int", _) if !value.is_i64() && !value.is_u64() => {
                    errors.push(format!("{at}: expected Int, found {value}"))
                }
                ("Float", _) if !value.is_number() => {
                    errors.push(format!("{at}: expected Float, found {value}"))
                }
                ("Boolean", _) if !value.is_boolean() => {
                    errors.push(format!("{at}: expected Boolean, found {value}"))
                }
                ("String" | "ID" | "ObjectId" | "DateTime" | "URL", _) if !value.is_string() => {
                    errors.push(format!("{at}: expected {name}, found {value}"))
                }
                (_, Some(Kind::Enum(values)))
                    if !value
                        .as_str()
                        .is_some_and(|s| values.iter().any(|v| v == s)) =>
                {
                    errors.push(format!("{at}: {value} is not a value of enum {name}"));
                }
                (_, Some(Kind::Input(fields))) => match value.as_object() {
                    None => {
                        errors.push(format!("{at}: expected input object {name}, found {value}"))
                    }
                    Some(obj) => {
                        for (k, v) in obj {
                            match fields.iter().find(|(n, _, _)| n == k) {
                                Some((_, fty, _)) => {
                                    self.check_value(fty, v, &format!("{at}.{k}"), errors)
                                }
                                None => errors.push(format!("{at}: {name} has no field {k}")),
                            }
                        }
                        for (n, fty, has_default) in fields {
                            if matches!(fty, schema::Type::NonNullType(_))
                                && !has_default
                                && !obj.contains_key(n)
                            {
                                errors.push(format!("{at}: {name}.{n} is required"));
                            }
                        }
                    }
                },
                (_, Some(Kind::Object(_) | Kind::Union)) => {
                    errors.push(format!("{at}: {name} is an output type"))
                }
                (_, None) => errors.push(format!("{at}: unknown type {name}")),
                _ => {}
            },
        }
    }
}

/// Whether a variable of type `var` may be passed where `arg` is expected.
fn fits(var: &SType, arg: &SType) -> bool {
    match (var, arg) {
        (schema::Type::NonNullType(v), schema::Type::NonNullType(a)) => fits(v, a),
        (schema::Type::NonNullType(v), a) => fits(v, a),
        (_, schema::Type::NonNullType(_)) => false,
        (schema::Type::ListType(v), schema::Type::ListType(a)) => fits(v, a),
        (schema::Type::NamedType(v), schema::Type::NamedType(a)) => v == a,
        _ => false,
    }
}
