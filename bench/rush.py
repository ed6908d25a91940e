"""Write-heavy rushes: many clients competing for a limited resource, then an invariant check.

    .venv/bin/python bench/rush.py otp_same_phone [--requests 2000] [--json out.json]
    .venv/bin/python bench/rush.py --list

A scenario is a module bench/scenarios/<name>.py with:

    DESCRIPTION   one line for the tables
    PATH          the URL path the rush hits (POST)
    REQUESTS      how many requests in all (each sent exactly once)
    CONNECTIONS   how many at the same time (the sum over all servers)
    SERVERS, WORKERS_PER_SERVER
                  separate server processes on separate ports, sharing PostgreSQL and Redis
    SERVER_ENV    extra environment of the servers (and of setup/check)
    WRK_SCRIPT    a Lua script in bench/wrk/ that sends the requests and counts status codes
    setup(ctx) -> dict
                  runs before the load (Django is set up); returns `state`, whose
                  "wrk_args" (list of strings) are passed to the script after
                  <requests> and before <process>
    check(ctx, state, load) -> list[dict]
                  runs after the load; one {"name", "expected", "actual", "ok"} per invariant.
                  `load` has "statuses" ({"202": n, ...}), "requests", "errors", "sent".

The runner gives every scenario a fresh scratch database (cc_bench_rush, migrated), an empty
scratch Redis database, counted SMS sends (bench/sms_counting.py), eager Celery (the SMS task
runs in the request process), and X-Forwarded-For trusted so a script can speak for many
client addresses. wrk runs are bounded in count (the script stops at REQUESTS) and in time.
Exit status 1 if any invariant fails.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import harness as h  # noqa: E402

DB = "cc_bench_rush"
BASE_ENV = {
    "TRUST_X_FORWARDED_FOR": "1",
    "CELERY_TASK_ALWAYS_EAGER": "1",
    "SMS_BACKEND": "bench.sms_counting.CountingSmsBackend",
}


def scenario_names() -> list[str]:
    return sorted(
        p.stem for p in (h.BENCH / "scenarios").glob("*.py") if not p.name.startswith("_")
    )


def run(name: str, *, requests: int | None = None, local_cache: bool = False) -> dict[str, Any]:
    scenario = importlib.import_module(f"bench.scenarios.{name}")
    total = int(requests or scenario.REQUESTS)
    connections = min(int(scenario.CONNECTIONS), total)
    servers_n, workers = int(scenario.SERVERS), int(scenario.WORKERS_PER_SERVER)
    env = h.server_env(DB, **BASE_ENV, **getattr(scenario, "SERVER_ENV", {}))
    if local_cache:
        env["BENCH_LOCAL_CACHE"] = "1"

    h.recreate_database(DB)
    h.manage(env, "migrate", "--noinput")
    h.flush_redis()

    # Django in this process, configured exactly like the servers, for setup() and check().
    os.environ.update(env)
    tz = os.environ.get("TZ")
    import django

    django.setup()
    if tz is None:  # Django sets TZ to TIME_ZONE; keep the log lines in the machine's time
        os.environ.pop("TZ", None)
    else:
        os.environ["TZ"] = tz
    time.tzset()
    ctx = {"total": total, "connections": connections, "servers": servers_n, "env": env}
    state: dict[str, Any] = scenario.setup(ctx)

    servers = [h.Server(h.ServerSpec("granian", workers), env) for _ in range(servers_n)]
    try:
        for server in servers:
            server.start()
        # Each server gets its share of the requests and of the connections, and its own wrk
        # process; they start together.
        shares = [
            total // servers_n + (1 if i < total % servers_n else 0) for i in range(servers_n)
        ]
        conns = [
            connections // servers_n + (1 if i < connections % servers_n else 0)
            for i in range(servers_n)
        ]
        threads = 2
        h.log(
            f"rush {name}: {total} requests, {connections} at once, "
            f"{servers_n} servers × {workers} workers"
        )

        def one(i: int) -> dict[str, Any]:
            return h.wrk(
                servers[i].base_url + scenario.PATH,
                threads=threads,
                connections=max(conns[i], threads),
                duration=120,
                timeout=60,
                script=h.WRK_DIR / scenario.WRK_SCRIPT,
                script_args=[str(shares[i]), *state["wrk_args"], str(i), str(threads)],
            )

        wall = time.perf_counter()
        with ThreadPoolExecutor(servers_n) as pool:
            runs = list(pool.map(one, range(servers_n)))
        wall = time.perf_counter() - wall
    finally:
        for server in servers:
            server.stop()

    load = merge(runs, wall)
    invariants = scenario.check(ctx, state, load)
    ok = all(i["ok"] for i in invariants)
    return {
        "scenario": name,
        "control": "local-cache" if local_cache else None,
        "description": scenario.DESCRIPTION,
        "path": scenario.PATH,
        "requests": total,
        "connections": connections,
        "servers": servers_n,
        "workers_per_server": workers,
        "server": f"{servers_n} × granian ×{workers}",
        "load": load,
        "invariants": invariants,
        "ok": ok,
        "load_average": h.loadavg(),
    }


def merge(runs: list[dict[str, Any]], wall: float) -> dict[str, Any]:
    """Sum of the wrk runs (one per server). Percentiles: the worst of the runs (each run's
    histogram is not available here), which overstates rather than understates."""
    statuses: dict[str, int] = {}
    errors: dict[str, int] = {}
    for r in runs:
        for k, v in r["statuses"].items():
            statuses[k] = statuses.get(k, 0) + v
        for k, v in r["errors"].items():
            errors[k] = errors.get(k, 0) + v
    responses = sum(statuses.values())
    latency = {
        k: max(r["latency_ms"][k] for r in runs) for k in ("p50", "p90", "p95", "p99", "max")
    }
    return {
        "requests": sum(r["requests"] for r in runs),
        "sent": sum(r["sent"] for r in runs),
        "responses": responses,
        "statuses": dict(sorted(statuses.items())),
        "errors": errors,
        "wall_s": round(wall, 3),
        "answers_per_s": round(responses / wall, 1) if wall else 0.0,
        "latency_ms": latency,
        "runs": runs,
    }


def invariant(name: str, expected: Any, actual: Any) -> dict[str, Any]:
    return {"name": name, "expected": expected, "actual": actual, "ok": expected == actual}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Run a write-heavy rush scenario.")
    parser.add_argument("name", nargs="?", choices=scenario_names())
    parser.add_argument("--requests", type=int)
    parser.add_argument("--json", type=Path, help="write the result here")
    parser.add_argument("--list", action="store_true")
    parser.add_argument(
        "--local-cache",
        action="store_true",
        help="negative control: rate-limit counters per process, not in Redis (must FAIL)",
    )
    args = parser.parse_args(argv)
    if args.list or not args.name:
        for name in scenario_names():
            module = importlib.import_module(f"bench.scenarios.{name}")
            print(f"{name:<20} {module.DESCRIPTION}")
        return 0
    h.ensure_wrk()
    result = run(args.name, requests=args.requests, local_cache=args.local_cache)
    load = result["load"]
    print(
        f"{args.name}: {load['responses']} answers in {load['wall_s']} s "
        f"({load['answers_per_s']:,.0f}/s), p50 {load['latency_ms']['p50']} ms, "
        f"p99 {load['latency_ms']['p99']} ms, statuses {load['statuses']}, errors {load['errors']}"
    )
    for inv in result["invariants"]:
        mark = "ok  " if inv["ok"] else "FAIL"
        print(f"  [{mark}] {inv['name']}: expected {inv['expected']}, got {inv['actual']}")
    if args.json:
        args.json.write_text(json.dumps(result, indent=1, ensure_ascii=False) + "\n")
    return 0 if result["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
