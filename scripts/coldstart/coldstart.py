#!/usr/bin/env python3
"""Lambda cold start, measured locally.

Starts each Lambda binary many times with the environment Lambda gives a `provided.al2023`
function and measures the time from process start to its first
`GET /2018-06-01/runtime/invocation/next`, the moment the runtime is ready for an event.
That span is the init work our code controls: config checks, logging setup, SDK config,
HTTP clients, the secret fetch.

A stand-in for the Lambda Runtime API (Python standard library only) answers on a loopback
port. The same server stands in for the AWS endpoints (AWS_ENDPOINT_URL points at it), so
a function that reads its Secrets Manager secret at cold start gets a dummy secret back
instead of reaching for the network: the numbers exclude network latency to real AWS.

Usage: scripts/coldstart/run [--runs 20] [--goal-ms 15] [--function NAME ...] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FUNCTIONS = ["initiator", "devto", "hashnode", "medium", "opensearch"]
NEXT = "/2018-06-01/runtime/invocation/next"
INIT_ERROR = "/2018-06-01/runtime/init/error"
ACCOUNT = "123456789012"
REGION = "us-east-1"
SECRET_ARN = f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:crosspost-AbCdEf"
DUMMY_SECRET = {
    "sanity_webhook_secret": "coldstart-webhook-secret",
    "devto_api_key": "coldstart-devto",
    "hashnode_token": "coldstart-hashnode",
    "medium_token": "coldstart-medium",
    "opensearch_username": "coldstart",
    "opensearch_password": "coldstart",
}
ELF_MACHINES = {0x3E: "x86_64", 0xB7: "aarch64"}


# ---------------------------------------------------------------------------------------
# Runtime API and AWS stand-in
# ---------------------------------------------------------------------------------------


class Run:
    """What the stand-in saw during one start of one binary."""

    def __init__(self) -> None:
        self.polled = threading.Event()
        self.polled_at: float | None = None
        self.init_error: str | None = None
        self.aws_calls: list[str] = []
        self.release = threading.Event()


class StandIn(ThreadingHTTPServer):
    daemon_threads = True
    current: Run | None = None

    def handle_error(self, request, client_address) -> None:
        # The driver kills each process as soon as it has polled; a reply to a process
        # that is gone is expected and not worth a traceback.
        pass


class Handler(BaseHTTPRequestHandler):
    server: StandIn
    protocol_version = "HTTP/1.1"

    def log_message(self, *args) -> None:  # keep the table clean
        pass

    def _body(self) -> bytes:
        length = int(self.headers.get("content-length") or 0)
        return self.rfile.read(length) if length else b""

    def _reply(self, status: int, payload: dict | None = None, content_type: str = "application/json") -> None:
        body = b"" if payload is None else json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("content-type", content_type)
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        run = self.server.current
        if self.path == NEXT and run is not None:
            if run.polled_at is None:
                run.polled_at = time.perf_counter()
                run.polled.set()
            # Hold the long poll until the driver has recorded the time and stops the
            # process; a real Runtime API also blocks here until an event arrives.
            run.release.wait(10)
            return
        self._aws(run, b"")

    def do_POST(self) -> None:
        run = self.server.current
        body = self._body()
        if self.path == INIT_ERROR and run is not None:
            run.init_error = "init error: " + body.decode("utf-8", "replace")[:500]
            run.polled.set()
            self._reply(202, {"status": "OK"})
            return
        self._aws(run, body)

    def do_PUT(self) -> None:
        self._aws(self.server.current, self._body())

    def _aws(self, run: Run | None, body: bytes) -> None:
        target = self.headers.get("x-amz-target", "")
        if run is not None:
            run.aws_calls.append(target or f"{self.command} {self.path}")
        if target == "secretsmanager.GetSecretValue":
            self._reply(
                200,
                {
                    "ARN": SECRET_ARN,
                    "Name": "crosspost",
                    "SecretString": json.dumps(DUMMY_SECRET),
                    "VersionId": "00000000-0000-0000-0000-000000000000",
                    "VersionStages": ["AWSCURRENT"],
                    "CreatedDate": 1.7e9,
                },
                "application/x-amz-json-1.1",
            )
        else:
            self._reply(400, {"__type": "UnknownOperationException", "message": "not in the cold-start stand-in"})


# ---------------------------------------------------------------------------------------
# Binaries
# ---------------------------------------------------------------------------------------


def host_machine() -> str:
    m = platform.machine().lower()
    return {"amd64": "x86_64", "arm64": "aarch64"}.get(m, m)


def elf_machine(path: Path) -> str | None:
    with path.open("rb") as f:
        head = f.read(20)
    if head[:4] != b"\x7fELF":
        return None
    return ELF_MACHINES.get(int.from_bytes(head[18:20], "little"), "unknown")


def find_binary(name: str, lambda_dir: Path, scratch: Path, fallback: bool) -> tuple[Path | None, str, int | None]:
    """(binary, where it came from, zip size) for the first runnable candidate."""
    tried = []
    zip_path = lambda_dir / name / "bootstrap.zip"
    zip_size = zip_path.stat().st_size if zip_path.is_file() else None
    candidates: list[tuple[Path, str]] = []
    if (lambda_dir / name / "bootstrap").is_file():
        candidates.append((lambda_dir / name / "bootstrap", f"{lambda_dir.name}/{name}/bootstrap"))
    if zip_path.is_file():
        out = scratch / name
        out.mkdir(parents=True, exist_ok=True)
        with zipfile.ZipFile(zip_path) as z:
            z.extract("bootstrap", out)
        (out / "bootstrap").chmod(0o755)
        candidates.append((out / "bootstrap", f"{lambda_dir.name}/{name}/bootstrap.zip"))
    if fallback:
        for triple in ("x86_64-unknown-linux-gnu", "aarch64-unknown-linux-gnu"):
            candidates.append((ROOT / "target" / triple / "release" / name, f"target/{triple}/release/{name}"))
        candidates.append((ROOT / "target" / "release" / name, f"target/release/{name}"))
    for path, label in candidates:
        if not path.is_file():
            continue
        arch = elf_machine(path)
        if arch == host_machine():
            return path, label, zip_size
        tried.append(f"{label} is {arch}")
    return None, "; ".join(tried) or "not built", zip_size


# ---------------------------------------------------------------------------------------
# Measuring
# ---------------------------------------------------------------------------------------


CA_BUNDLES = (
    "/etc/pki/tls/certs/ca-bundle.crt",  # Amazon Linux (provided.al2023), Fedora
    "/etc/ssl/certs/ca-certificates.crt",  # Debian, Ubuntu
    "/etc/ssl/cert.pem",  # Alpine, macOS
)


def host_ca_bundle() -> str:
    """The host's CA bundle file, standing in for the one Terraform names in SSL_CERT_FILE."""
    for path in CA_BUNDLES:
        if Path(path).is_file():
            return path
    raise SystemExit(f"coldstart: no CA bundle found (looked for {', '.join(CA_BUNDLES)})")


def lambda_env(name: str, api: str, task_root: Path) -> dict[str, str]:
    env = {
        # What Lambda sets for a provided.al2023 function.
        "AWS_LAMBDA_RUNTIME_API": api,
        "AWS_LAMBDA_FUNCTION_NAME": f"crosspost-{name}",
        "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "256",
        "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/crosspost-{name}",
        "AWS_LAMBDA_LOG_STREAM_NAME": "2026/01/01/[$LATEST]00000000000000000000000000000000",
        "AWS_LAMBDA_LOG_FORMAT": "JSON",
        "AWS_LAMBDA_LOG_LEVEL": "INFO",
        "AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand",
        "AWS_EXECUTION_ENV": "AWS_Lambda_provided.al2023",
        "_HANDLER": "bootstrap",
        "LAMBDA_TASK_ROOT": str(task_root),
        "LAMBDA_RUNTIME_DIR": "/var/runtime",
        "AWS_REGION": REGION,
        "AWS_DEFAULT_REGION": REGION,
        "AWS_ACCESS_KEY_ID": "ASIACOLDSTARTEXAMPLE",
        "AWS_SECRET_ACCESS_KEY": "coldstart-dummy-secret-access-key",
        "AWS_SESSION_TOKEN": "coldstart-dummy-session-token",
        "AWS_ENDPOINT_URL": f"http://{api}",
        "TZ": ":UTC",
        "LANG": "en_US.UTF-8",
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        # crosspost's own settings, as Terraform sets them.
        "CROSSPOST_SECRET_ARN": SECRET_ARN,
        "CROSSPOST_LEDGER_TABLE": "crosspost-ledger",
        "CROSSPOST_SNAPSHOT_BUCKET": f"crosspost-snapshots-{ACCOUNT}-{REGION}",
        "CROSSPOST_SITE_URL": "https://example.dev",
        "SANITY_PROJECT_ID": "coldstart",
        "SANITY_DATASET": "production",
        # Terraform names provided.al2023's CA bundle; here, the host's own.
        "SSL_CERT_FILE": host_ca_bundle(),
    }
    extra = {
        "initiator": {
            "CROSSPOST_STATE_MACHINE_ARN": f"arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:crosspost",
            "CROSSPOST_TARGETS": "devto,hashnode,medium,opensearch",
            "CROSSPOST_SIGNATURE_TOLERANCE_SECONDS": "3600",
        },
        "hashnode": {"HASHNODE_PUBLICATION_ID": "000000000000000000000000"},
        "medium": {"MEDIUM_PUBLISH_STATUS": "draft"},
        "opensearch": {
            "OPENSEARCH_ENDPOINT": f"http://{api}",
            "OPENSEARCH_INDEX": "posts",
            "OPENSEARCH_AUTH": "sigv4-es",
        },
    }
    env.update(extra.get(name, {}))
    return env


def start_once(server: StandIn, binary: Path, env: dict[str, str], timeout: float) -> Run:
    run = Run()
    server.current = run
    stderr = tempfile.TemporaryFile()
    started = time.perf_counter()
    proc = subprocess.Popen([str(binary)], env=env, cwd=binary.parent, stdin=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL, stderr=stderr)
    try:
        waited = 0.0
        while not run.polled.wait(0.01):
            waited = time.perf_counter() - started
            if proc.poll() is not None or waited > timeout:
                break
        if run.polled_at is not None:
            run.polled_at -= started
        elif run.init_error is None:
            stderr.seek(0)
            tail = stderr.read().decode("utf-8", "replace").strip().splitlines()[-3:]
            status = "exited" if proc.poll() is not None else f"no poll within {timeout:.0f} s"
            run.init_error = f"{status}: {' | '.join(tail)}"
    finally:
        proc.kill()
        proc.wait()
        run.release.set()
        stderr.close()
        server.current = None
    return run


def measure(name: str, binary: Path, server: StandIn, runs: int, timeout: float) -> dict:
    api = f"127.0.0.1:{server.server_address[1]}"
    env = lambda_env(name, api, binary.parent)
    times, errors, aws_calls = [], [], set()
    for _ in range(runs):
        run = start_once(server, binary, env, timeout)
        aws_calls.update(run.aws_calls)
        if run.init_error is not None:
            errors.append(run.init_error)
            break
        times.append(run.polled_at * 1000.0)
    result: dict = {"function": name, "runs": len(times), "aws_calls_during_init": sorted(aws_calls)}
    if errors:
        result["error"] = errors[0]
    if times:
        ordered = sorted(times)
        result.update(
            median_ms=round(statistics.median(ordered), 2),
            min_ms=round(ordered[0], 2),
            p90_ms=round(ordered[min(len(ordered) - 1, int(0.9 * len(ordered)))], 2),
        )
    return result


def mb(size: int | None) -> str:
    return "-" if size is None else f"{size / 1_048_576:.2f}"


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=20, help="starts per function (default 20)")
    parser.add_argument("--goal-ms", type=float, default=15.0, help="median goal per function (default 15 ms)")
    parser.add_argument("--function", action="append", choices=FUNCTIONS, help="measure only this function (repeatable)")
    parser.add_argument("--lambda-dir", type=Path, default=None,
                        help="cargo lambda's output folder (default target/lambda, falling back to target/<triple>/release; "
                        "a folder given here is the only place looked at)")
    parser.add_argument("--timeout", type=float, default=10.0, help="seconds to wait for the first poll")
    parser.add_argument("--check", action="store_true", help="exit 1 when a function is missing, fails to start or misses the goal")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    args = parser.parse_args(argv)
    if args.runs < 1:
        parser.error("--runs must be at least 1")

    server = StandIn(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    scratch = Path(tempfile.mkdtemp(prefix="crosspost-coldstart-"))
    results = []
    try:
        for name in args.function or FUNCTIONS:
            lambda_dir = args.lambda_dir or ROOT / "target" / "lambda"
            binary, source, zip_size = find_binary(name, lambda_dir, scratch, args.lambda_dir is None)
            if binary is None:
                results.append({"function": name, "runs": 0, "error": f"no {host_machine()} binary ({source})", "zip_bytes": zip_size})
                continue
            result = measure(name, binary, server, args.runs, args.timeout)
            result.update(source=source, binary_bytes=binary.stat().st_size, zip_bytes=zip_size)
            results.append(result)
    finally:
        server.shutdown()
        shutil.rmtree(scratch, ignore_errors=True)

    failed = False
    for r in results:
        ok = "median_ms" in r and "error" not in r and r["median_ms"] <= args.goal_ms
        r["meets_goal"] = ok
        failed |= not ok

    if args.json:
        print(json.dumps({"goal_ms": args.goal_ms, "host": host_machine(), "results": results}, indent=2))
    else:
        print(f"Cold start: process start -> first GET {NEXT}")
        print(f"{args.runs} starts per function on {host_machine()}, goal: median <= {args.goal_ms:g} ms\n")
        header = f"{'function':<11} {'runs':>4} {'median ms':>9} {'min ms':>7} {'p90 ms':>7} {'binary MB':>9} {'zip MB':>6}  result"
        print(header)
        print("-" * len(header))
        for r in results:
            if "median_ms" in r:
                verdict = "ok" if r["meets_goal"] else "over goal"
                if "error" in r:
                    verdict = f"failed: {r['error']}"
                print(f"{r['function']:<11} {r['runs']:>4} {r['median_ms']:>9.2f} {r['min_ms']:>7.2f} {r['p90_ms']:>7.2f} "
                      f"{mb(r.get('binary_bytes')):>9} {mb(r.get('zip_bytes')):>6}  {verdict}")
            else:
                print(f"{r['function']:<11} {r['runs']:>4} {'-':>9} {'-':>7} {'-':>7} {mb(r.get('binary_bytes')):>9} "
                      f"{mb(r.get('zip_bytes')):>6}  {r.get('error', '')}")
        calls = sorted({c for r in results for c in r.get("aws_calls_during_init", [])})
        if calls:
            print(f"\nAWS calls answered by the stand-in during init: {', '.join(calls)}")
        sources = sorted({r['source'] for r in results if 'source' in r})
        if sources:
            print(f"binaries: {', '.join(sources)}")
    return 1 if (args.check and failed) else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
