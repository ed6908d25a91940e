"""API fuzzing: schemathesis against /api/v1/openapi.json on a live server (`make fuzz`).

What it does, all on this machine and in a scratch directory that nothing else uses:

1. migrates a fresh SQLite database and loads the demo data (`seed_demo`);
2. issues bearer tokens for two demo accounts (the platform superuser, who reaches
   every staff code path, and a citizen, who takes the self-service calls that end a
   session: log-out, token revocation, password change, account deletion);
3. starts the development server on a free loopback port (`runserver --noreload`);
4. runs schemathesis three times against the live OpenAPI document, with a bounded
   number of examples per operation:
     anonymous  — every operation without credentials,
     staff      — every operation as the superuser (self-ending calls left out),
     citizen    — the self-ending calls as the citizen;
   checks: no 5xx, status codes, content types and bodies as the schema documents them,
   and (with credentials) that a call without them is refused;
5. prints a summary, exits non-zero on any failure and keeps the scratch directory (the
   server log with its tracebacks, schemathesis' JUnit reports) when something failed.

Usage: .venv/bin/python fuzz/run.py [--max-examples N] [--seed N] [--keep] [--pass NAME ...]
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
MANAGE = [sys.executable, str(ROOT / "manage.py")]
SCHEMATHESIS = str(VENV_BIN / "schemathesis")
CONFIG = ROOT / "fuzz" / "schemathesis.toml"

# Variables of the surrounding shell that would point the scratch server at shared
# services (CI's PostgreSQL and Redis) or change how settings are read.
SCRUB = (
    "DATABASE_URL",
    "DATABASE_REPLICA_URL",
    "REDIS_URL",
    "CELERY_TASK_ALWAYS_EAGER",
    "CULTURECLOUD_TESTING",
    "DEBUG",
    "SECRET_KEY",
    "FIELD_ENCRYPTION_KEY",
    "ALLOWED_HOSTS",
    "AWS_STORAGE_BUCKET_NAME",
    "TRUST_X_FORWARDED_FOR",
    "DJANGO_SETTINGS_MODULE",
)

CHECKS = (
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_schema_conformance",
)

# Calls that end the caller's own session or account: the staff pass leaves them out so
# that its token stays valid; the citizen pass takes them (and only them).
SELF_ENDING = {
    ("POST", "/api/v1/auth/logout"),
    ("POST", "/api/v1/auth/delete"),
    ("POST", "/api/v1/auth/password"),
    ("DELETE", "/api/v1/auth/tokens/{token_id}"),
}

ISSUE_SCRIPT = """
import itertools
import json
from culturecloud.accounts.services import find_user_by_phone, issue_api_token
from culturecloud.core.management.demo import SUPERUSER_PHONE, CITIZENS
tokens = {}
for name, phone in (("staff", SUPERUSER_PHONE), ("citizen", CITIZENS[0].phone)):
    user = find_user_by_phone(phone)
    assert user is not None, phone
    _token, raw = issue_api_token(user=user, name="fuzz " + name)
    tokens[name] = raw
print("TOKENS " + json.dumps(tokens))
"""


Operation = tuple[str, str]  # (METHOD, /path) as in the OpenAPI document


@dataclass
class Pass:
    name: str
    token_key: str | None
    # Which operations of the document the pass takes: (all operations, public ones) -> list.
    select: Callable[[list[Operation], set[Operation]], list[Operation]]
    extra_checks: tuple[str, ...] = ()
    returncode: int | None = None
    seconds: float = 0.0
    operations: int = 0
    test_cases: str = ""  # schemathesis's "N generated, N passed, ..." line


PASSES = (
    # Without credentials, the public operations; that every other one refuses a call
    # without credentials is the `ignored_auth` check of the passes below.
    Pass("anonymous", None, lambda ops, public: [op for op in ops if op in public]),
    Pass(
        "staff",
        "staff",
        lambda ops, public: [op for op in ops if op not in SELF_ENDING],
        extra_checks=("ignored_auth",),
    ),
    Pass(
        "citizen",
        "citizen",
        lambda ops, public: [op for op in ops if op in SELF_ENDING],
        extra_checks=("ignored_auth",),
    ),
)


def document_operations(schema: dict) -> tuple[list[Operation], set[Operation]]:
    """Every operation of the OpenAPI document, and those that need no credentials."""
    operations: list[Operation] = []
    public: set[Operation] = set()
    for path, methods in schema["paths"].items():
        for method, operation in methods.items():
            key = (method.upper(), path)
            operations.append(key)
            if not operation.get("security"):
                public.add(key)
    return operations, public


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def scratch_env(var_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in SCRUB}
    env.update(
        CULTURECLOUD_VAR_DIR=str(var_dir),
        DEBUG="1",
        LOG_LEVEL="WARNING",
        PYTHONUNBUFFERED="1",
    )
    return env


def step(message: str) -> None:
    print(f"\n--- fuzz: {message}", flush=True)


def run_checked(args: list[str], env: dict[str, str], what: str) -> str:
    result = subprocess.run(  # noqa: S603 -- our own interpreter and manage.py
        args, env=env, cwd=ROOT, capture_output=True, text=True, timeout=600, check=False
    )
    if result.returncode != 0:
        print(result.stdout[-4000:], result.stderr[-4000:], sep="\n", file=sys.stderr)
        raise SystemExit(f"fuzz: {what} failed (exit {result.returncode})")
    return result.stdout


def wait_until_up(url: str, server: subprocess.Popen[bytes], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"fuzz: the server exited early (exit {server.returncode})")
        try:
            with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 -- loopback
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.5)
    raise SystemExit(f"fuzz: the server did not answer {url} within {timeout:.0f}s")


def include_filter(operations: list[Operation]) -> list[str]:
    """Schemathesis names an operation "METHOD /path"; one anchored regex selects them."""
    names = "|".join(re.escape(f"{method} {path}") for method, path in operations)
    return ["--include-name-regex", f"^({names})$"]


def run_pass(
    fuzz_pass: Pass,
    *,
    schema_url: str,
    operations: list[Operation],
    tokens: dict[str, str],
    args: argparse.Namespace,
    out: Path,
) -> None:
    checks = ",".join((*CHECKS, *fuzz_pass.extra_checks))
    command = [
        SCHEMATHESIS,
        "--config-file",
        str(CONFIG),
        "run",
        schema_url,
        "--checks",
        checks,
        "--max-examples",
        str(args.max_examples),
        "--workers",
        str(args.workers),
        "--seed",
        str(args.seed),
        "--request-timeout",
        "30",
        "--report",
        "junit",
        "--report-dir",
        str(out / f"report-{fuzz_pass.name}"),
        "--no-color",
        *include_filter(operations),
    ]
    if fuzz_pass.token_key:
        command += ["--header", f"Authorization: Bearer {tokens[fuzz_pass.token_key]}"]
    fuzz_pass.operations = len(operations)
    step(f"pass '{fuzz_pass.name}': {len(operations)} operations")
    started = time.monotonic()
    env = dict(os.environ)
    process = subprocess.Popen(  # noqa: S603 -- the venv's schemathesis
        command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    assert process.stdout is not None
    lines: list[str] = []
    for line in process.stdout:
        print(line, end="", flush=True)
        lines.append(line.rstrip("\n"))
    fuzz_pass.returncode = process.wait()
    fuzz_pass.seconds = time.monotonic() - started
    # The "Test cases:" heading is followed by its counts; keep them for the summary.
    for heading, counts in itertools.pairwise(lines):
        if heading.strip() == "Test cases:":
            fuzz_pass.test_cases = counts.strip()


def server_errors(log: Path) -> list[str]:
    """Tracebacks the server wrote (a 5xx leaves one in the log)."""
    if not log.exists():
        return []
    text = log.read_text(errors="replace")
    return [chunk for chunk in text.split("Traceback (most recent call last):")[1:]]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--max-examples", type=int, default=30, help="per operation and pass")
    parser.add_argument("--seed", type=int, default=20260101, help="reproducible runs")
    # Calls wait on the server more than on the CPU: four workers keep two cores busy.
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--keep", action="store_true", help="keep the scratch directory")
    parser.add_argument(
        "--pass",
        dest="passes",
        action="append",
        choices=[p.name for p in PASSES],
        help="run only this pass (repeatable)",
    )
    args = parser.parse_args()

    scratch = Path(tempfile.mkdtemp(prefix="cc-fuzz-"))
    env = scratch_env(scratch / "var")
    log_path = scratch / "server.log"
    server: subprocess.Popen[bytes] | None = None
    started = time.monotonic()
    passes = [p for p in PASSES if not args.passes or p.name in args.passes]
    try:
        step(f"scratch directory {scratch}")
        run_checked([*MANAGE, "migrate", "--noinput", "-v", "0"], env, "migrate")
        run_checked([*MANAGE, "seed_demo", "-v", "0"], env, "seed_demo")
        output = run_checked([*MANAGE, "shell", "-c", ISSUE_SCRIPT], env, "issuing tokens")
        tokens = json.loads(output.split("TOKENS ", 1)[1].splitlines()[0])

        port = free_port()
        base = f"http://127.0.0.1:{port}"
        step(f"server at {base} (log: {log_path})")
        with log_path.open("wb") as log:
            server = subprocess.Popen(  # noqa: S603 -- our own manage.py
                [*MANAGE, "runserver", f"127.0.0.1:{port}", "--noreload"],
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        wait_until_up(f"{base}/healthz", server)
        schema_url = f"{base}/api/v1/openapi.json"
        with urllib.request.urlopen(schema_url, timeout=60) as response:  # noqa: S310
            all_operations, public = document_operations(json.load(response))

        for fuzz_pass in passes:
            run_pass(
                fuzz_pass,
                schema_url=schema_url,
                operations=fuzz_pass.select(all_operations, public),
                tokens=tokens,
                args=args,
                out=scratch,
            )
    finally:
        if server is not None and server.poll() is None:
            server.send_signal(signal.SIGINT)
            try:
                server.wait(timeout=15)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()

    tracebacks = server_errors(log_path)
    failed = [p for p in passes if p.returncode != 0]
    print("\n=== fuzz summary", flush=True)
    for fuzz_pass in passes:
        verdict = "ok" if fuzz_pass.returncode == 0 else f"FAILED (exit {fuzz_pass.returncode})"
        print(
            f"  {fuzz_pass.name:<10} {fuzz_pass.operations:3d} operations  {verdict:<18} "
            f"{fuzz_pass.seconds:6.1f}s  test cases: {fuzz_pass.test_cases or '?'}"
        )
    if tracebacks:
        print(f"  server tracebacks: {len(tracebacks)} (first below; all in {log_path})")
        print("Traceback (most recent call last):" + tracebacks[0][-3000:])
    print(f"  total {time.monotonic() - started:.1f}s, {args.max_examples} examples/operation")
    if failed or tracebacks:
        print(f"fuzz: FAILED; scratch directory kept: {scratch}")
        return 1
    if args.keep:
        print(f"fuzz: scratch directory kept: {scratch}")
    else:
        shutil.rmtree(scratch, ignore_errors=True)
    print("fuzz: passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
