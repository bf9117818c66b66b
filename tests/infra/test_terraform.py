"""Terraform: every file parses, modules follow the house conventions, the root module
wires every Lambda crate, every ASL placeholder and exactly the invoked functions, and no
IAM statement grants wildcard actions."""

import re
from pathlib import Path

import pytest

from infra_lib import (
    FIXTURES,
    TERRAFORM,
    asl_files,
    blocks,
    environment_keys,
    invoked_placeholders,
    lambda_crates,
    load_hcl,
    merged_locals,
    module_call,
    placeholders,
    read_json,
    statement_actions,
    template_problems,
    terraform_files,
    typed_blocks,
    wildcard_grants,
)

MODULES = sorted(p for p in (TERRAFORM / "modules").iterdir() if p.is_dir())
MAIN_ASL = "crosspost.asl.json"


def root_doc() -> dict:
    return load_hcl(TERRAFORM / "main.tf")


def root_functions() -> dict:
    return merged_locals(root_doc())["functions"]


# --- parsing and layout -----------------------------------------------------------------


@pytest.mark.parametrize("path", terraform_files(), ids=lambda p: str(p.relative_to(TERRAFORM)))
def test_every_terraform_file_parses(path: Path):
    assert isinstance(load_hcl(path), dict)


def test_parser_rejects_broken_hcl(tmp_path: Path):
    broken = tmp_path / "broken.tf"
    broken.write_text('resource "aws_s3_bucket" "x" {\n  bucket = \n')
    with pytest.raises(Exception):
        load_hcl(broken)


def test_expected_modules_exist():
    names = {m.name for m in MODULES}
    assert {"api", "function", "state_machine", "storage", "secrets"} <= names


@pytest.mark.parametrize("module", MODULES, ids=lambda p: p.name)
def test_module_has_standard_files(module: Path):
    missing = [f for f in ("main.tf", "variables.tf", "outputs.tf", "versions.tf", "README.md") if not (module / f).is_file()]
    assert missing == [], f"{module.name} lacks {missing}"


def undocumented(path: Path) -> list[str]:
    """Variables without description or type, outputs without description."""
    doc = load_hcl(path)
    problems = []
    for name, body in blocks(doc, "variable"):
        for attr in ("description", "type"):
            if not body.get(attr):
                problems.append(f"variable {name}: no {attr}")
    for name, body in blocks(doc, "output"):
        if not body.get("description"):
            problems.append(f"output {name}: no description")
    return problems


@pytest.mark.parametrize(
    "path",
    [p for p in terraform_files() if p.name in ("variables.tf", "outputs.tf")],
    ids=lambda p: str(p.relative_to(TERRAFORM)),
)
def test_variables_and_outputs_are_documented_and_typed(path: Path):
    assert undocumented(path) == []


def test_undocumented_variable_is_reported(tmp_path: Path):
    sample = tmp_path / "variables.tf"
    sample.write_text('variable "a" {\n  type = string\n}\noutput "b" {\n  value = 1\n}\n')
    assert undocumented(sample) == ["variable a: no description", "output b: no description"]


def version_constraints(path: Path) -> list[str]:
    doc = load_hcl(path)
    out = []
    for tf in doc.get("terraform", []):
        out.append(tf["required_version"])
        for providers in tf.get("required_providers", []):
            out.extend(p["version"] for p in providers.values() if isinstance(p, dict))
    return out


@pytest.mark.parametrize("module", MODULES, ids=lambda p: p.name)
def test_modules_state_lower_bounds(module: Path):
    constraints = version_constraints(module / "versions.tf")
    assert constraints and all(c.startswith(">=") and "<" not in c and "~>" not in c for c in constraints), constraints


def test_root_pins_terraform_and_provider():
    constraints = version_constraints(TERRAFORM / "versions.tf")
    assert len(constraints) == 2
    assert all("~>" in c or "<" in c for c in constraints), constraints


# --- every Lambda crate has a function ----------------------------------------------------


def test_lambda_crates_are_found():
    crates = lambda_crates()
    assert "initiator" in crates and "cli" not in crates
    for crate, bins in crates.items():
        assert bins == [crate], f"crate folder, binary and function key must be one word: {crate} -> {bins}"


def test_every_lambda_crate_has_a_function():
    assert set(root_functions()) == set(lambda_crates())


def test_lambda_crate_detection_on_sample(tmp_path: Path):
    def crate(name: str, bins: list[str], main: bool):
        d = tmp_path / name
        (d / "src").mkdir(parents=True)
        if main:
            (d / "src" / "main.rs").write_text("fn main() {}\n")
        text = f'[package]\nname = "{name}"\n' + "".join(f'[[bin]]\nname = "{b}"\n' for b in bins)
        (d / "Cargo.toml").write_text(text)

    crate("fresh", ["fresh"], True)
    crate("cli", ["crosspost"], True)
    crate("library", [], False)
    crate("binless", [], True)
    assert lambda_crates(tmp_path) == {"fresh": ["fresh"]}


def test_function_module_uses_the_cargo_lambda_zip_of_each_crate():
    call = module_call(root_doc(), "function")
    assert call["for_each"] == "${local.functions}"
    assert call["package_path"] == "${local.package_dir}/${each.key}/bootstrap.zip"
    assert call["function_name"] == "${var.name_prefix}-${each.key}"


def test_function_module_settings():
    doc = load_hcl(TERRAFORM / "modules" / "function" / "main.tf")
    (fn,) = [b for t, n, b in typed_blocks(doc, "resource") if t == "aws_lambda_function"]
    assert fn["runtime"] == "provided.al2023"
    assert fn["handler"] == "bootstrap"
    assert fn["tracing_config"][0]["mode"] == "Active"
    assert fn["logging_config"][0]["log_format"] == "JSON"
    variables = dict(blocks(load_hcl(TERRAFORM / "modules" / "function" / "variables.tf"), "variable"))
    assert variables["architecture"]["default"] == "arm64"


# --- ASL placeholders and the state machine role --------------------------------------------


def main_asl() -> Path:
    files = {p.name: p for p in asl_files()}
    assert MAIN_ASL in files, f"asl/{MAIN_ASL} is missing"
    return files[MAIN_ASL]


def test_state_machine_renders_the_main_asl_file():
    call = module_call(root_doc(), "state_machine")
    assert call["definition_file"] == f"${{path.root}}/../asl/{MAIN_ASL}"
    sm = load_hcl(TERRAFORM / "modules" / "state_machine" / "main.tf")
    (machine,) = [b for t, n, b in typed_blocks(sm, "resource") if t == "aws_sfn_state_machine"]
    assert machine["definition"] == "${templatefile(var.definition_file, var.definition_vars)}"
    assert machine["type"] == "STANDARD"
    assert machine["tracing_configuration"][0]["enabled"] is True


def test_every_asl_placeholder_is_supplied():
    supplied = set(module_call(root_doc(), "state_machine")["definition_vars"])
    used = placeholders(main_asl().read_text(encoding="utf-8"))
    assert used, "the definition has no placeholders: where do the function ARNs come from?"
    assert used - supplied == set(), "placeholders without a value in definition_vars"
    assert supplied - used == set(), "definition_vars that the definition never uses"


@pytest.mark.parametrize("path", asl_files(), ids=lambda p: p.name)
def test_asl_files_are_valid_templates(path: Path):
    assert template_problems(path.read_text(encoding="utf-8")) == []


@pytest.mark.parametrize(
    "text, expected",
    [
        ('{"FunctionName": "${devto_arn}"}', {"devto_arn"}),
        ('{"A": "${a_arn}", "B": "${b_arn}", "C": "${a_arn}"}', {"a_arn", "b_arn"}),
        ('{"Literal": "$${not_a_placeholder}"}', set()),
        ('{"Path.$": "$.x", "Fn": "States.Format(\'{}\', $.y)"}', set()),
    ],
)
def test_placeholder_extraction(text, expected):
    assert placeholders(text) == expected


@pytest.mark.parametrize(
    "text, problem",
    [
        ('{"x": "${upper(a)}"}', "placeholder ${upper(a)} is an expression, not a plain name"),
        ('{"x": "%{ if a }"}', "'%{' starts a template directive; write '%%{' for a literal"),
    ],
)
def test_template_problems_are_reported(text, problem):
    assert template_problems(text) == [problem]


def function_key(expression: str) -> str:
    m = re.fullmatch(r'\$\{local\.function_arns\["([a-z0-9-]+)"\]\}', expression)
    assert m, f"expected local.function_arns[\"<crate>\"], got {expression}"
    return m.group(1)


def test_state_machine_role_invokes_exactly_the_functions_the_definition_uses():
    call = module_call(root_doc(), "state_machine")
    invoked = invoked_placeholders(read_json(main_asl()))
    assert invoked, "the definition invokes no Lambda function"
    invoked_keys = {function_key(call["definition_vars"][ph]) for ph in invoked}
    allowed_keys = [function_key(e) for e in call["invoke_function_arns"]]
    assert sorted(allowed_keys) == sorted(invoked_keys)
    assert invoked_keys <= set(root_functions())

    # Inside the module, lambda:InvokeFunction is granted on that list and nowhere else.
    sm = load_hcl(TERRAFORM / "modules" / "state_machine" / "main.tf")
    grants = [
        s
        for t, n, b in typed_blocks(sm, "data")
        if t == "aws_iam_policy_document"
        for s in b.get("statement", [])
        if any(a.startswith("lambda:") for a in s.get("actions", []))
    ]
    assert [(g["actions"], g["resources"]) for g in grants] == [(["lambda:InvokeFunction"], "${var.invoke_function_arns}")]


def task_timeouts(definition: dict) -> dict[str, object]:
    """Task state name -> TimeoutSeconds (None when missing) for every Lambda-invoking Task."""
    tasks = {name for names in invoked_placeholders(definition).values() for name in names}
    found: dict[str, object] = {}

    def walk(machine: dict) -> None:
        for name, state in machine.get("States", {}).items():
            if name in tasks:
                found[name] = state.get("TimeoutSeconds")
            for branch in state.get("Branches", []):
                walk(branch)
            for key in ("ItemProcessor", "Iterator"):
                if key in state:
                    walk(state[key])

    walk(definition)
    return found


def test_task_timeouts_outlast_the_lambda_timeout():
    # A Task that times out before its Lambda does leaves the function running; a retry
    # would then race it (and could create a second post).
    variables = dict(blocks(load_hcl(TERRAFORM / "variables.tf"), "variable"))
    lambda_timeout = variables["target_timeout_seconds"]["default"]
    timeouts = task_timeouts(read_json(main_asl()))
    assert timeouts
    short = {n: t for n, t in timeouts.items() if not isinstance(t, int) or t < lambda_timeout}
    assert short == {}, f"TimeoutSeconds missing or below the Lambda timeout ({lambda_timeout} s)"


def test_initiator_is_not_invoked_by_the_state_machine():
    call = module_call(root_doc(), "state_machine")
    assert "initiator" not in {function_key(e) for e in call["invoke_function_arns"]}


@pytest.mark.parametrize(
    "definition, expected",
    [
        (  # optimized integration inside Parallel branches
            {"StartAt": "P", "States": {"P": {"Type": "Parallel", "End": True, "Branches": [
                {"StartAt": "D", "States": {"D": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
                                                  "Parameters": {"FunctionName": "${devto_arn}", "Payload.$": "$"}, "End": True}}},
                {"StartAt": "M", "States": {"M": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
                                                  "Arguments": {"FunctionName": "${medium_arn}"}, "End": True}}},
            ]}}},
            {"devto_arn": {"D"}, "medium_arn": {"M"}},
        ),
        (  # legacy direct form, and a Map processor
            {"StartAt": "M", "States": {"M": {"Type": "Map", "End": True, "ItemProcessor": {
                "StartAt": "T", "States": {"T": {"Type": "Task", "Resource": "${opensearch_arn}", "End": True}}}}}},
            {"opensearch_arn": {"T"}},
        ),
        (  # a Pass state mentioning an ARN invokes nothing
            {"StartAt": "A", "States": {"A": {"Type": "Pass", "Result": "${hashnode_arn}", "End": True}}},
            {},
        ),
    ],
)
def test_invoked_placeholders(definition, expected):
    assert invoked_placeholders(definition) == expected


# --- IAM ------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", terraform_files(), ids=lambda p: str(p.relative_to(TERRAFORM)))
def test_no_iam_statement_grants_wildcard_actions(path: Path):
    assert wildcard_grants(load_hcl(path)) == []


def test_wildcard_detector_flags_the_broken_sample_policy():
    found = wildcard_grants(load_hcl(FIXTURES / "bad_policy.tf"))
    flagged = sorted(f.rsplit(": ", 1)[1] for f in found)
    # The Deny on iam:* is allowed; the four grants are not.
    assert flagged == ["*", "dynamodb:*", "lambda:*", "s3:*"], found


TARGET_ACTIONS = {
    "dynamodb:GetItem",
    "dynamodb:PutItem",
    "dynamodb:UpdateItem",
    "dynamodb:DeleteItem",
    "s3:GetObject",
    "secretsmanager:GetSecretValue",
}


@pytest.mark.parametrize(
    "function, expected",
    [
        ("initiator", {"states:StartExecution", "s3:PutObject", "secretsmanager:GetSecretValue"}),
        ("devto", TARGET_ACTIONS),
        ("hashnode", TARGET_ACTIONS),
        ("medium", TARGET_ACTIONS),
        (
            "opensearch",
            TARGET_ACTIONS
            | {"es:ESHttpGet", "es:ESHttpPut", "es:ESHttpDelete", "es:ESHttpHead", "aoss:APIAccessAll"},
        ),
    ],
)
def test_each_function_role_grants_only_what_it_uses(function, expected):
    local_values = merged_locals(root_doc())
    assert statement_actions(local_values["functions"][function]["policy_statements"], local_values) == expected


def test_function_module_adds_only_logs_and_xray():
    doc = load_hcl(TERRAFORM / "modules" / "function" / "main.tf")
    (policy,) = [b for t, n, b in typed_blocks(doc, "data") if t == "aws_iam_policy_document" and n == "this"]
    fixed = {a for s in policy["statement"] for a in s["actions"]}
    assert fixed == {"logs:CreateLogStream", "logs:PutLogEvents", "xray:PutTraceSegments", "xray:PutTelemetryRecords"}
    own_logs = [s for s in policy["statement"] if s["sid"] == "OwnLogGroup"]
    assert own_logs[0]["resources"] == ["${aws_cloudwatch_log_group.this.arn}:*"]


def test_statement_actions_follow_locals_and_conditionals():
    local_values = {
        "a": [{"sid": "A", "actions": ["s3:GetObject"], "resources": ["x"]}],
        "b": '${var.on ? [{sid = "B", actions = ["es:ESHttpGet"], resources = ["y"]}] : []}',
    }
    assert statement_actions("${concat(local.a, local.b)}", local_values) == {"s3:GetObject", "es:ESHttpGet"}
    with pytest.raises(KeyError):
        statement_actions("${local.missing}", local_values)


COMMON_ENV = {
    "CROSSPOST_SECRET_ARN",
    "CROSSPOST_LEDGER_TABLE",
    "CROSSPOST_SNAPSHOT_BUCKET",
    "CROSSPOST_SITE_URL",
    "SANITY_PROJECT_ID",
    "SANITY_DATASET",
    "SSL_CERT_FILE",
}


def test_functions_name_the_runtime_ca_bundle():
    # provided.al2023 keeps its CA bundle here; an unnamed bundle costs every cold start a scan
    # of the certificate folders (scripts/coldstart sets the host's bundle the same way).
    local_values = merged_locals(root_doc())
    assert local_values["common_environment"]["SSL_CERT_FILE"] == "/etc/pki/tls/certs/ca-bundle.crt"


@pytest.mark.parametrize(
    "function, extra",
    [
        ("initiator", {"CROSSPOST_STATE_MACHINE_ARN", "CROSSPOST_TARGETS", "CROSSPOST_SIGNATURE_TOLERANCE_SECONDS"}),
        ("devto", set()),
        ("hashnode", {"HASHNODE_PUBLICATION_ID"}),
        ("medium", {"MEDIUM_PUBLISH_STATUS"}),
        ("opensearch", {"OPENSEARCH_ENDPOINT", "OPENSEARCH_INDEX", "OPENSEARCH_AUTH"}),
    ],
)
def test_each_function_gets_the_agreed_environment(function, extra):
    local_values = merged_locals(root_doc())
    assert environment_keys(local_values["functions"][function]["environment"], local_values) == COMMON_ENV | extra


def test_environment_keys_follow_locals_and_merges():
    local_values = {"base": {"AB": "${var.a}"}, "maybe": '${var.x == "" ? {} : {B_C = var.x}}'}
    assert environment_keys("${merge(local.base, local.maybe, {DE = 1})}", local_values) == {"AB", "B_C", "DE"}


def test_no_environment_value_is_a_secret():
    # Secrets arrive as the secret's ARN; no variable may carry a token or password.
    local_values = merged_locals(root_doc())
    names = {k for f in local_values["functions"].values() for k in environment_keys(f["environment"], local_values)}
    assert [n for n in names if re.search(r"TOKEN|PASSWORD|API_KEY|SECRET(?!_ARN)", n)] == []


def test_secret_value_never_in_terraform():
    types = {t for p in terraform_files() for t, _, _ in typed_blocks(load_hcl(p), "resource")}
    assert "aws_secretsmanager_secret" in types
    assert "aws_secretsmanager_secret_version" not in types
