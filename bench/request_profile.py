"""Where one request's time goes: each endpoint alone, in-process, with the bench settings.

    .venv/bin/python bench/request_profile.py --db cc_bench_10k /api/v1/institutions/tree
    .venv/bin/python bench/request_profile.py --db cc_bench_10k --cprofile /institutions/
    .venv/bin/python bench/request_profile.py --json paths.json     # used by run.py

Runs with the environment of the bench server (bench/run.py passes it; by hand, export the
same DATABASE_URL, REDIS_URL, DEBUG=0, ... or use `--db cc_bench_10k`). Each path: a warm-up
request, then --repeat requests through Django's test client (middleware, view, template or
serializer, database; no HTTP server): the fastest (other work on the machine only adds time)
and the median; then one more request with the queries captured: their number and their
total time as the database driver saw it (without the request log line).
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import pstats
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def profile_paths(paths: dict[str, str], repeat: int) -> dict[str, dict[str, Any]]:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(HTTP_HOST="127.0.0.1")
    out: dict[str, dict[str, Any]] = {}
    for name, path in paths.items():
        first = client.get(path)
        if first.status_code != 200:
            out[name] = {"status": first.status_code}
            continue
        times = []
        for _ in range(repeat):
            started = time.perf_counter()
            client.get(path)
            times.append(time.perf_counter() - started)
            if sum(times) > 10:  # a slow page: a few samples are enough
                break
        with CaptureQueriesContext(connection) as queries:
            client.get(path)
        out[name] = {
            "status": 200,
            # the fastest: other work on the machine only ever adds time
            "ms": round(min(times) * 1000, 2),
            "median_ms": round(statistics.median(times) * 1000, 2),
            "samples": len(times),
            "queries": len(queries.captured_queries),
            "db_ms": round(sum(float(q["time"]) for q in queries.captured_queries) * 1000, 2),
        }
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("paths", nargs="*")
    parser.add_argument("--json", type=Path, help="a JSON object {name: path}; prints JSON")
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--db", help="scratch database, e.g. cc_bench_10k (sets the bench env)")
    parser.add_argument("--cprofile", action="store_true", help="top functions of each path")
    args = parser.parse_args()

    if args.db:
        from bench import harness

        os.environ.update(harness.server_env(args.db))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings_bench")
    import logging

    import django

    django.setup()
    logging.disable(logging.INFO)  # the request log line is not what we look at here

    if args.json:
        paths = json.loads(args.json.read_text())
        print(json.dumps(profile_paths(paths, args.repeat)))
        return 0
    paths = {p: p for p in args.paths}
    for path, row in profile_paths(paths, args.repeat).items():
        print(f"{path}: {row}")
    if args.cprofile:
        from django.test import Client

        client = Client(HTTP_HOST="127.0.0.1")
        for path in args.paths:
            profiler = cProfile.Profile()
            profiler.enable()
            for _ in range(args.repeat):
                client.get(path)
            profiler.disable()
            print(f"\n== {path} ({args.repeat} requests) ==")
            pstats.Stats(profiler).sort_stats("cumulative").print_stats(25)
    return 0


if __name__ == "__main__":
    sys.exit(main())
