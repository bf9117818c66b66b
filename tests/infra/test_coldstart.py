"""The cold-start harness (scripts/coldstart) measures a binary that polls the Runtime API
and reports one that fails its init, using a tiny stand-in bootstrap built with rustc."""

import json
import subprocess
import sys
from pathlib import Path

from infra_lib import FIXTURES, ROOT


def test_coldstart_measures_polls_and_reports_init_errors(tmp_path: Path):
    for name in ("devto", "medium"):
        (tmp_path / name).mkdir()
    binary = tmp_path / "devto" / "bootstrap"
    subprocess.run(["rustc", "-O", "-o", str(binary), str(FIXTURES / "fake_bootstrap.rs")], check=True, timeout=300)
    (tmp_path / "medium" / "bootstrap").write_bytes(binary.read_bytes())
    (tmp_path / "medium" / "bootstrap").chmod(0o755)

    proc = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "coldstart" / "coldstart.py"), "--lambda-dir", str(tmp_path),
         "--runs", "5", "--function", "devto", "--function", "medium", "--function", "hashnode", "--json", "--check"],
        capture_output=True, text=True, timeout=300,
    )
    assert proc.returncode == 1, proc.stderr  # medium fails its init, hashnode is missing
    results = {r["function"]: r for r in json.loads(proc.stdout)["results"]}

    devto = results["devto"]
    assert devto["runs"] == 5 and "error" not in devto
    assert 0 < devto["min_ms"] <= devto["median_ms"] <= devto["p90_ms"] < 10_000

    assert results["medium"]["runs"] == 0
    assert "CROSSPOST_LEDGER_TABLE is not set" in results["medium"]["error"]

    assert results["hashnode"]["runs"] == 0 and "not built" in results["hashnode"]["error"]
