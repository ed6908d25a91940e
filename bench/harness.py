"""Shared pieces of the benchmarks (standard library only): the environment of the bench
server, scratch databases, starting and stopping granian or gunicorn, and running wrk.

Every server runs the production settings (DEBUG=0, PostgreSQL, Redis) through
bench/settings_bench.py, which only adds the bare JSON view /bench/ceiling.
"""

from __future__ import annotations

import contextlib
import json
import os
import platform
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
# The project's virtualenv; in a checkout without one (bench/run.py --clean-checkout links it),
# the interpreter that runs this.
BIN = ROOT / ".venv" / "bin" if (ROOT / ".venv" / "bin").is_dir() else Path(sys.executable).parent
PYTHON = BIN / "python"
VAR = ROOT / "var" / "bench"
WRK_DIR = BENCH / "wrk"

PG_HOST = os.environ.get("BENCH_PG_HOST", "127.0.0.1")
PG_PORT = os.environ.get("BENCH_PG_PORT", "5432")
PG_USER = os.environ.get("BENCH_PG_USER", "postgres")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/12")
# A fixed key for the scratch databases only (32 bytes, base64): never a production key.
BENCH_FIELD_KEY = "YmVuY2gtb25seS1maWVsZC1rZXktMzItYnl0ZXMhISE="
BENCH_SECRET = "bench-only-secret-key-not-for-production-0123456789abcdefghijkl"  # noqa: S105


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# --- environment and databases ---------------------------------------------------------


def database_url(name: str) -> str:
    return f"postgres://{PG_USER}@{PG_HOST}:{PG_PORT}/{name}"


def server_env(db_name: str, **extra: str) -> dict[str, str]:
    """The environment of `make serve` in production, pointed at a scratch database."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GRANIAN_", "GUNICORN_"))}
    for name in ("CULTURECLOUD_TESTING", "DATABASE_REPLICA_URL", "AWS_STORAGE_BUCKET_NAME"):
        env.pop(name, None)
    env.update(
        DJANGO_SETTINGS_MODULE="bench.settings_bench",
        PYTHONPATH=str(ROOT),
        DEBUG="0",
        SECRET_KEY=BENCH_SECRET,
        FIELD_ENCRYPTION_KEY=BENCH_FIELD_KEY,
        ALLOWED_HOSTS="127.0.0.1,localhost",
        SECURE_SSL_REDIRECT="0",
        DATABASE_URL=database_url(db_name),
        REDIS_URL=REDIS_URL,
        CULTURECLOUD_VAR_DIR=str(VAR),
        CELERY_TASK_ALWAYS_EAGER="0",
        # As behind our nginx (docs/deploy.md): the client address comes from X-Forwarded-For,
        # which bench/wrk/*.lua set to many different addresses.
        TRUST_X_FORWARDED_FOR="1",
        LOG_LEVEL="INFO",
    )
    env.update(extra)
    return env


def pg_tool(name: str) -> str:
    """psql, createdb, dropdb of the PostgreSQL client package."""
    path = shutil.which(name)
    if path is None:
        raise SystemExit(f"{name} is missing: install the PostgreSQL client (postgresql-client).")
    return path


def pg_args() -> list[str]:
    return ["-h", PG_HOST, "-p", PG_PORT, "-U", PG_USER]


def psql(sql: str, db: str = "postgres") -> str:
    """Our own statements on the scratch databases (names are cc_bench_*, never input)."""
    cmd = [pg_tool("psql"), *pg_args(), "-d", db, "-Atqc", sql]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True)  # noqa: S603
    return out.stdout.strip()


def database_exists(name: str) -> bool:
    return psql(f"SELECT 1 FROM pg_database WHERE datname = '{name}'") == "1"  # noqa: S608


def recreate_database(name: str) -> None:
    drop = [pg_tool("dropdb"), *pg_args(), "--if-exists", "--force", name]
    subprocess.run(drop, check=True)  # noqa: S603
    subprocess.run([pg_tool("createdb"), *pg_args(), name], check=True)  # noqa: S603


def database_comment(name: str) -> str:
    sql = "SELECT coalesce(shobj_description(oid, 'pg_database'), '') FROM pg_database"
    return psql(f"{sql} WHERE datname = '{name}'")


def set_database_comment(name: str, comment: str) -> None:
    escaped = comment.replace("'", "''")
    psql(f"COMMENT ON DATABASE {name} IS '{escaped}'")


def manage(env: dict[str, str], *args: str, quiet: bool = True) -> float:
    """Run `manage.py <args>` with the bench environment; returns the wall time."""
    started = time.perf_counter()
    subprocess.run(  # noqa: S603
        [str(PYTHON), "manage.py", *args],
        cwd=ROOT,
        env=env,
        check=True,
        stdout=subprocess.DEVNULL if quiet else None,
    )
    return round(time.perf_counter() - started, 2)


def flush_redis() -> None:
    """Empty the scratch Redis database (cache, sessions, rate-limit counters, broker)."""
    code = "import redis,sys; redis.Redis.from_url(sys.argv[1]).flushdb()"
    subprocess.run([str(PYTHON), "-c", code, REDIS_URL], check=True)  # noqa: S603


# --- servers ----------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class ServerSpec:
    """`kind`: granian | gunicorn-sync | gunicorn-gthread."""

    kind: str = "granian"
    workers: int = 2
    threads: int = 1  # gunicorn-gthread: threads per worker

    @property
    def label(self) -> str:
        extra = f", {self.threads} threads" if self.kind == "gunicorn-gthread" else ""
        return f"{self.kind} ×{self.workers}{extra}"

    def command(self, port: int, backlog: int = 2048) -> list[str]:
        app = "culturecloud.wsgi:application"
        if self.kind == "granian":
            # Exactly the flags of `make serve`, plus a backlog for the rush scenarios.
            return [
                str(BIN / "granian"),
                "--interface",
                "wsgi",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--workers",
                str(self.workers),
                "--blocking-threads",
                "1",
                "--no-ws",
                "--backlog",
                str(backlog),
                app,
            ]
        if self.kind in ("gunicorn-sync", "gunicorn-gthread"):
            worker_class = "sync" if self.kind == "gunicorn-sync" else "gthread"
            return [
                str(BIN / "gunicorn"),
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                str(self.workers),
                "--worker-class",
                worker_class,
                "--threads",
                str(self.threads),
                "--backlog",
                str(backlog),
                "--keep-alive",
                "5",
                app,
            ]
        raise ValueError(f"unknown server kind {self.kind!r}")


@dataclass
class Server:
    spec: ServerSpec
    env: dict[str, str]
    port: int = 0
    log_path: Path | None = None
    proc: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 60) -> Server:
        self.port = self.port or free_port()
        VAR.mkdir(parents=True, exist_ok=True)
        self.log_path = self.log_path or VAR / f"server-{self.port}.log"
        log_file = self.log_path.open("wb")
        self.proc = subprocess.Popen(  # noqa: S603 - our own command line
            self.spec.command(self.port),
            cwd=ROOT,
            env=self.env,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: stop() ends master and workers
        )
        log_file.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.spec.label} exited; see {self.log_path}")
            try:
                with urllib.request.urlopen(self.base_url + "/bench/ceiling", timeout=2) as r:  # noqa: S310
                    if r.status == 200:
                        # every worker answers: a few more requests reach the others
                        for _ in range(self.spec.workers * 4):
                            urllib.request.urlopen(self.base_url + "/bench/ceiling", timeout=5)  # noqa: S310
                        return self
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"{self.spec.label} did not answer in {timeout} s; see {self.log_path}")

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        pgid = self.proc.pid  # start_new_session: the group id is the server's own pid
        os.killpg(pgid, signal.SIGTERM)
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(pgid, signal.SIGKILL)
            self.proc.wait(timeout=10)
        # workers of the group that outlived the master
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pgid, signal.SIGKILL)

    def cpu_seconds(self) -> float:
        """CPU time (user + system) used so far by the server's processes: the master and
        its workers, which share its process group. Unlike throughput, CPU time per request
        hardly changes when other work competes for the cores."""
        if self.proc is None:
            return 0.0
        return group_cpu_seconds(self.proc.pid)

    def __enter__(self) -> Server:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def group_cpu_seconds(pgid: int) -> float:
    ticks = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue  # exited meanwhile
        # after the command: state ppid pgrp session ... utime(14) stime(15), numbered from 1
        if int(fields[2]) == pgid:
            ticks += int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")


def fetch(url: str, timeout: float = 30) -> tuple[int, bytes, dict[str, str]]:
    request = urllib.request.Request(url, headers={"Accept-Language": "zh-hans"})  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=timeout) as r:  # noqa: S310
            return r.status, r.read(), dict(r.headers)
    except urllib.error.HTTPError as e:
        return e.code, e.read(), dict(e.headers)
    except urllib.error.URLError as e:
        if isinstance(e.reason, TimeoutError):
            raise TimeoutError(str(e)) from e
        raise


# --- wrk --------------------------------------------------------------------------------


def ensure_wrk() -> str:
    path = shutil.which("wrk")
    if path is None:
        raise SystemExit("wrk is missing: `apt-get install -y wrk` (make bench does it).")
    return path


def wrk(
    url: str,
    *,
    threads: int = 2,
    connections: int = 50,
    duration: float = 10,
    timeout: float = 10,
    script: Path = WRK_DIR / "report.lua",
    script_args: list[str] | None = None,
) -> dict[str, Any]:
    """One wrk run; returns its summary (requests, latency percentiles in ms, errors)
    plus req_per_s and the load average before and after. wrk takes whole seconds."""
    duration, timeout = max(1, round(duration)), max(1, round(timeout))
    cmd = [
        ensure_wrk(),
        "-t",
        str(threads),
        "-c",
        str(connections),
        "-d",
        f"{duration:g}s",
        "--timeout",
        f"{timeout:g}s",
        "--latency",
        "-s",
        str(script),
        url,
    ]
    if script_args:
        cmd += ["--", *script_args]
    load_before = loadavg()
    started = time.perf_counter()
    done_at: float | None = None
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)  # noqa: S603
    lines: list[str] = []
    finished = 0
    assert proc.stdout is not None
    for line in proc.stdout:  # a bounded run: wrk exits after -d at the latest
        lines.append(line)
        if line.startswith("BENCH_THREAD_DONE"):
            finished += 1
            if finished == threads:  # every thread sent and received its share: stop now
                done_at = time.perf_counter()
                proc.send_signal(signal.SIGINT)
    stderr = proc.stderr.read() if proc.stderr else ""
    proc.wait(timeout=60)
    if proc.returncode != 0:
        raise RuntimeError(f"wrk failed ({proc.returncode}): {stderr or ''.join(lines)}")
    summary = [line for line in lines if line.startswith("BENCH_JSON ")]
    if not summary:
        raise RuntimeError(f"wrk printed no summary: {''.join(lines)}")
    result: dict[str, Any] = json.loads(summary[-1].removeprefix("BENCH_JSON "))
    if done_at is not None:  # stopped early: the rush took this long, not -d
        result["duration_us"] = int((done_at - started) * 1e6)
    seconds = result["duration_us"] / 1e6
    result["req_per_s"] = round(result["requests"] / seconds, 1) if seconds else 0.0
    result["latency_ms"] = {k: round(v / 1000, 2) for k, v in result.pop("latency_us").items()}
    result["load_before"] = load_before
    result["load_after"] = loadavg()
    result["wrk"] = {"threads": threads, "connections": connections, "duration_s": duration}
    return result


# --- machine ----------------------------------------------------------------------------


def loadavg() -> list[float]:
    return [float(x) for x in Path("/proc/loadavg").read_text().split()[:3]]


def _version(cmd: list[str]) -> str:
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=20)  # noqa: S603
    except (OSError, subprocess.TimeoutExpired):
        return "?"
    text = (out.stdout or out.stderr).strip().splitlines()
    return text[0] if text else "?"


def redis_version() -> str:
    try:
        out = subprocess.run(  # noqa: S603
            [shutil.which("redis-cli") or "redis-cli", "-u", REDIS_URL, "INFO", "server"],
            capture_output=True,
            text=True,
            timeout=10,
        )
    except (OSError, subprocess.TimeoutExpired):
        return "Redis ?"
    for line in out.stdout.splitlines():
        if line.startswith("redis_version:"):
            return "Redis " + line.split(":", 1)[1].strip()
    return "Redis ?"


def machine() -> dict[str, Any]:
    cpu = "?"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    mem_kb = int(Path("/proc/meminfo").read_text().split()[1])
    return {
        "cpus": os.cpu_count(),
        "cpu": cpu,
        "memory_gb": round(mem_kb / 1024 / 1024, 1),
        "kernel": platform.release(),
        "python": platform.python_version(),
        "postgresql": psql("SHOW server_version"),
        "redis": redis_version(),
        "wrk": _version(["wrk", "--version"]).split(" Copyright")[0],
        "granian": _version([str(BIN / "granian"), "--version"]),
        "gunicorn": _version([str(BIN / "gunicorn"), "--version"]),
        "django": _version([str(PYTHON), "-c", "import django; print(django.get_version())"]),
    }


def git_state() -> dict[str, Any]:
    def git(*args: str) -> str:
        out = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True)  # noqa: S603, S607
        return out.stdout.strip()

    return {
        "commit": git("rev-parse", "--short", "HEAD"),
        "dirty": bool(git("status", "--porcelain", "--untracked-files=no")),
    }
