"""Helpers for the infrastructure checks: parse Terraform (HCL) and the ASL definitions,
find the Lambda crates, collect IAM actions. Pure functions over files and parsed data,
so the negative tests can feed them broken samples."""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path

import hcl2

ROOT = Path(__file__).resolve().parents[2]
TERRAFORM = ROOT / "terraform"
ASL_DIR = ROOT / "asl"
CRATES = ROOT / "crates"
WORKFLOWS = ROOT / ".github" / "workflows"
FIXTURES = Path(__file__).resolve().parent / "fixtures"

# The optimized Step Functions integration for Lambda (see ../shared/docs/platforms.md §6).
LAMBDA_INVOKE = "arn:aws:states:::lambda:invoke"

_OPTIONS = hcl2.SerializationOptions(strip_string_quotes=True, with_comments=False)


# ---------------------------------------------------------------------------------------
# HCL
# ---------------------------------------------------------------------------------------


def load_hcl(path: Path) -> dict:
    """Parses one Terraform file; raises on a syntax error."""
    with path.open(encoding="utf-8") as f:
        return hcl2.load(f, serialization_options=_OPTIONS)


def terraform_files() -> list[Path]:
    """Every Terraform file of the project (modules included; .terraform caches excluded)."""
    files = [*TERRAFORM.rglob("*.tf"), *TERRAFORM.rglob("*.tf.example")]
    return sorted(p for p in files if ".terraform" not in p.parts)


def blocks(doc: dict, kind: str) -> list[tuple[str, dict]]:
    """(name, body) for `kind` blocks with one label (module, variable, output, locals items)."""
    out = []
    for entry in doc.get(kind, []):
        for name, body in entry.items():
            out.append((name.strip('"'), body))
    return out


def typed_blocks(doc: dict, kind: str) -> list[tuple[str, str, dict]]:
    """(type, name, body) for `resource`/`data` blocks."""
    out = []
    for entry in doc.get(kind, []):
        for rtype, named in entry.items():
            for name, body in named.items():
                out.append((rtype.strip('"'), name.strip('"'), body))
    return out


def merged_locals(doc: dict) -> dict:
    """All `locals` blocks of one file merged into one dict."""
    merged: dict = {}
    for entry in doc.get("locals", []):
        merged.update({k: v for k, v in entry.items() if not k.startswith("__")})
    return merged


def module_call(doc: dict, name: str) -> dict:
    for mod_name, body in blocks(doc, "module"):
        if mod_name == name:
            return body
    raise KeyError(f"no module {name!r} in the root module")


# ---------------------------------------------------------------------------------------
# Lambda crates
# ---------------------------------------------------------------------------------------


def lambda_crates(crates_dir: Path = CRATES) -> dict[str, list[str]]:
    """Crate folder -> binary names, for every crate with src/main.rs and a [[bin]] target,
    excluding the local-mode CLI (the crate whose binary is `crosspost`)."""
    found: dict[str, list[str]] = {}
    for manifest in sorted(crates_dir.glob("*/Cargo.toml")):
        crate = manifest.parent
        if not (crate / "src" / "main.rs").is_file():
            continue
        data = tomllib.loads(manifest.read_text(encoding="utf-8"))
        bins = [b.get("name", data["package"]["name"]) for b in data.get("bin", [])]
        if not bins or "crosspost" in bins:
            continue
        found[crate.name] = bins
    return found


# ---------------------------------------------------------------------------------------
# ASL
# ---------------------------------------------------------------------------------------

_PLACEHOLDER = re.compile(r"(?<!\$)\$\{([^}]*)\}")
_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def asl_files() -> list[Path]:
    return sorted(ASL_DIR.glob("*.json"))


def placeholders(text: str) -> set[str]:
    """Names of the `${name}` placeholders templatefile() will substitute (`$${` is an escape)."""
    return set(_PLACEHOLDER.findall(text))


def template_problems(text: str) -> list[str]:
    """Things templatefile() would reject or misread in an ASL file."""
    problems = []
    for name in sorted(placeholders(text)):
        if not _IDENT.match(name):
            problems.append(f"placeholder ${{{name}}} is an expression, not a plain name")
    if re.search(r"(?<!%)%\{", text):
        problems.append("'%{' starts a template directive; write '%%{' for a literal")
    return problems


def render(text: str, values: dict[str, str]) -> str:
    """What templatefile() yields for plain `${name}` placeholders (missing names raise)."""

    def sub(m: re.Match) -> str:
        name = m.group(1)
        if name not in values:
            raise KeyError(f"no value for placeholder ${{{name}}}")
        return values[name]

    return _PLACEHOLDER.sub(sub, text).replace("$${", "${").replace("%%{", "%{")


def _states(machine: dict):
    """Every state, recursing into Parallel branches and Map processors."""
    for name, state in machine.get("States", {}).items():
        yield name, state
        for branch in state.get("Branches", []):
            yield from _states(branch)
        for key in ("ItemProcessor", "Iterator"):
            if key in state:
                yield from _states(state[key])


def invoked_placeholders(definition: dict) -> dict[str, set[str]]:
    """Placeholder name -> Task states that invoke the Lambda function it stands for."""
    invoked: dict[str, set[str]] = {}
    for name, state in _states(definition):
        if state.get("Type") != "Task":
            continue
        resource = state.get("Resource", "")
        candidates = []
        if resource.startswith(LAMBDA_INVOKE):
            args = state.get("Parameters") or state.get("Arguments") or {}
            candidates.append(str(args.get("FunctionName", args.get("FunctionName.$", ""))))
        else:
            candidates.append(resource)
        for c in candidates:
            for ph in placeholders(c):
                invoked.setdefault(ph, set()).add(name)
    return invoked


def dummy_arn(placeholder: str) -> str:
    base = placeholder[: -len("_arn")] if placeholder.endswith("_arn") else placeholder
    return f"arn:aws:lambda:us-east-1:123456789012:function:crosspost-{base.replace('_', '-')}"


# ---------------------------------------------------------------------------------------
# IAM
# ---------------------------------------------------------------------------------------

_ACTION = re.compile(r"^(\*|[a-z0-9-]+:[A-Za-z0-9*]+)$")
_ACTION_IN_TEXT = re.compile(r'"(\*|[a-z0-9-]+:[A-Za-z0-9*]+)"')


def _strings(value) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return []


def _is_wildcard(action: str) -> bool:
    return action == "*" or action.endswith(":*")


def wildcard_grants(doc, path: str = "") -> list[str]:
    """Allow statements anywhere in a parsed HCL document that grant `*` or `service:*`.

    Looks at `actions` lists (policy documents, statement objects in locals), `Action` in
    jsonencode()d policies and statement objects written inside expressions. Deny
    statements may use wildcards."""
    found: list[str] = []
    if isinstance(doc, dict):
        effect = str(doc.get("effect", doc.get("Effect", "Allow"))).strip('"')
        for key in ("actions", "Action"):
            if key in doc and effect != "Deny":
                for action in _strings(doc[key]):
                    if _is_wildcard(action.strip('"')):
                        found.append(f"{path}.{key}: {action}")
        for k, v in doc.items():
            found.extend(wildcard_grants(v, f"{path}.{k}" if path else k))
    elif isinstance(doc, list):
        for i, v in enumerate(doc):
            found.extend(wildcard_grants(v, f"{path}[{i}]"))
    elif isinstance(doc, str) and doc.startswith("${"):
        # An expression: jsonencode({...}) or a conditional list of statement objects.
        for obj in re.findall(r"\{[^{}]*\}", doc.replace("${", "$(")):
            if re.search(r'(effect|Effect)\s*=\s*\\?"Deny', obj):
                continue
            m = re.search(r"(actions|Action)\s*=\s*(\[[^\]]*\]|\\?\"[^\"\\]*\\?\")", obj)
            if m:
                for action in _ACTION_IN_TEXT.findall(m.group(2).replace('\\"', '"')):
                    if _is_wildcard(action):
                        found.append(f"{path}: {action}")
    return found


def statement_actions(value, local_values: dict, depth: int = 0) -> set[str]:
    """Every IAM action that a `policy_statements` value can grant, following references
    to locals and reading statement objects written inside expressions (conditional parts
    count: this is the most the function can ever be granted)."""
    if depth > 10:
        raise RecursionError("locals refer to each other too deeply")
    actions: set[str] = set()
    if isinstance(value, dict):
        for key, v in value.items():
            if key == "actions":
                actions.update(a for a in _strings(v) if _ACTION.match(a))
            else:
                actions |= statement_actions(v, local_values, depth + 1)
    elif isinstance(value, list):
        for v in value:
            actions |= statement_actions(v, local_values, depth + 1)
    elif isinstance(value, str) and "${" in value:
        for ref in re.findall(r"local\.([A-Za-z0-9_]+)", value):
            if ref not in local_values:
                raise KeyError(f"local.{ref} is not defined")
            actions |= statement_actions(local_values[ref], local_values, depth + 1)
        for m in re.finditer(r"actions\s*=\s*\[([^\]]*)\]", value):
            actions.update(_ACTION_IN_TEXT.findall(m.group(1).replace('\\"', '"')))
    return actions


def environment_keys(value, local_values: dict, depth: int = 0) -> set[str]:
    """Every environment variable name a function's `environment` value can set, following
    references to locals and reading object literals inside merge()/conditionals."""
    if depth > 10:
        raise RecursionError("locals refer to each other too deeply")
    keys: set[str] = set()
    if isinstance(value, dict):
        keys.update(k for k in value if not k.startswith("__"))
    elif isinstance(value, str) and "${" in value:
        for ref in re.findall(r"local\.([A-Za-z0-9_]+)", value):
            if ref not in local_values:
                raise KeyError(f"local.{ref} is not defined")
            keys |= environment_keys(local_values[ref], local_values, depth + 1)
        keys.update(re.findall(r"\b([A-Z][A-Z0-9_]+)\s*=", value))
    return keys


def read_json(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))
