"""`make bench`: every public page and endpoint under load, against the bare-view ceiling.

    .venv/bin/python bench/run.py                  # full: 10k, 100k, 1M rows, servers, rushes
    .venv/bin/python bench/run.py --profile smoke  # ~2 minutes, for CI (docs left alone)
    .venv/bin/python bench/run.py --docs-from bench/results/<file>.json   # tables only

Needs PostgreSQL and Redis on 127.0.0.1 (BENCH_PG_HOST/PORT/USER, BENCH_REDIS_URL) and wrk.
For each size it seeds a scratch database cc_bench_<size> (migrate, seed_demo, seed_scale
with that many institutions, users and resources; kept and reused while its seed matches,
--fresh to rebuild), starts the production server on it (granian, the flags of `make
serve`, DEBUG=0, Redis cache) with bench/settings_bench.py, which adds the bare JSON view
/bench/ceiling to the application's URLs, and runs wrk against every endpoint of
bench/endpoints.toml: first a short warm-up, then the measured run (`wrk -t2 -c50 -d10s
--latency`). The ceiling is measured at the start and at the end of each server session;
every endpoint's throughput is given as a share of their mean. Endpoints with a latency
target run once more at as many connections as the server has workers, one connection to
each of as many single-worker servers (`wrk -t1 -c1` each, at once), where their p95 is
judged (decisions 0016 and 0019). Then granian and gunicorn are compared, and the
rush scenarios run (bench/rush.py). Results: bench/results/<timestamp>-<profile>.json, and
the tables between the markers in docs/performance.md.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import dataclasses
import json
import os
import subprocess
import sys
import time
import tomllib
import urllib.parse
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import harness as h
from bench import report

SIZES = {"1k": 1_000, "10k": 10_000, "100k": 100_000, "1m": 1_000_000}

PROFILES: dict[str, dict[str, Any]] = {
    "full": {
        "sizes": ["10k", "100k", "1m"],
        "duration": 10.0,
        "warmup": 2.0,
        "compare": True,
        "compare_workers": [1, 2],
        "compare_duration": 5.0,
        "compare_rounds": 2,
        "latency_duration": 10.0,
        "rush": ["otp_same_phone", "otp_same_ip"],
        "rush_controls": ["otp_same_phone"],
        "docs": True,
        "out": h.BENCH / "results",
    },
    "smoke": {
        "sizes": ["1k"],
        "duration": 2.0,
        "warmup": 1.0,
        "compare": False,
        "compare_workers": [1],
        "compare_duration": 2.0,
        "compare_rounds": 1,
        "latency_duration": 2.0,
        "rush": ["otp_same_phone"],
        "rush_controls": [],
        "docs": False,
        "out": h.VAR / "results",
    },
}


def load_endpoints(path: Path = h.BENCH / "endpoints.toml") -> list[dict[str, Any]]:
    with path.open("rb") as f:
        endpoints = tomllib.load(f)["endpoint"]
    names = [e["name"] for e in endpoints]
    if len(set(names)) != len(names) or "ceiling" not in names:
        raise SystemExit(f"{path}: names must be unique and include 'ceiling'")
    return endpoints


# --- databases ----------------------------------------------------------------------------


def seed_args(count: int) -> list[str]:
    """seed_scale's arguments for a size: that many institutions, users and resources (the
    library's catalogue records with their search documents)."""
    return ["--institutions", str(count), "--users", str(count), "--resources", str(count)]


def prepare_database(label: str, *, fresh: bool) -> tuple[str, dict[str, Any]]:
    """cc_bench_<label>, migrated and seeded with SIZES[label] institutions, users and
    resources."""
    name = f"cc_bench_{label}"
    count = SIZES[label]
    # The comment names the whole seed: a database seeded otherwise (an older bench) is rebuilt.
    # "views: long tail" since seed_scale's view counts follow a Pareto law (they were uniform).
    seed = (
        f"culturecloud-bench seed_demo + seed_scale {' '.join(seed_args(count))} (views: long tail)"
    )
    env = h.server_env(name)
    info: dict[str, Any] = {
        "database": name,
        "institutions": count,
        "users": count,
        "resources": count,
    }
    if not fresh and h.database_exists(name) and h.database_comment(name) == seed:
        h.log(f"{name}: reusing the seeded database (--fresh rebuilds it)")
        info["migrate_s"] = h.manage(env, "migrate", "--noinput")
        info["reused"] = True
        return name, info
    h.log(f"{name}: creating, migrating and seeding {count:,} institutions, users and resources")
    h.recreate_database(name)
    info["reused"] = False
    info["migrate_s"] = h.manage(env, "migrate", "--noinput")
    info["seed_demo_s"] = h.manage(env, "seed_demo", "--once")
    info["seed_scale_s"] = h.manage(env, "seed_scale", *seed_args(count))
    h.set_database_comment(name, seed)
    h.log(f"{name}: seeded (seed_scale {info['seed_scale_s']} s)")
    return name, info


def fixtures(env: dict[str, str]) -> dict[str, Any]:
    out = subprocess.run(  # noqa: S603
        [str(h.PYTHON), str(h.BENCH / "fixtures.py")],
        cwd=h.ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def profile(env: dict[str, str], rows: list[dict[str, Any]]) -> None:
    """Adds alone_ms, queries and db_ms (bench/request_profile.py) to the measured rows: the
    work of one request, so with the shared response cache off."""
    paths = {r["name"]: r["path"] for r in rows if r.get("state") == "measured"}
    if not paths:
        return
    spec = h.VAR / "profile-paths.json"
    spec.write_text(json.dumps(paths))
    out = subprocess.run(  # noqa: S603
        [str(h.PYTHON), str(h.BENCH / "request_profile.py"), "--json", str(spec)],
        cwd=h.ROOT,
        env={**env, "PUBLIC_RESPONSE_CACHE": "0"},
        check=True,
        capture_output=True,
        text=True,
    )
    found = json.loads(out.stdout.strip().splitlines()[-1])
    for row in rows:
        p = found.get(row["name"], {})
        if p.get("status") == 200:
            row.update(alone_ms=p["ms"], queries=p["queries"], db_ms=p["db_ms"])


def resolve(path: str, values: dict[str, Any]) -> str | None:
    try:
        filled = path.format_map({k: urllib.parse.quote(str(v)) for k, v in values.items()})
    except KeyError:
        return None
    return filled


# --- measuring ----------------------------------------------------------------------------


def settle(server: h.Server, limit: float = 120) -> None:
    """Wait until the server answers the ceiling quickly again (nothing left from the run
    before, such as requests still being computed after wrk hung up)."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        started = time.perf_counter()
        status, _, _ = h.fetch(server.base_url + "/bench/ceiling", timeout=limit)
        if status == 200 and time.perf_counter() - started < 0.05:
            return
        time.sleep(0.2)


def measure(server: h.Server, path: str, cfg: dict[str, Any], duration: float) -> dict[str, Any]:
    url = server.base_url + path
    if cfg["warmup"] > 0:
        h.wrk(url, duration=cfg["warmup"], connections=cfg["connections"])
        settle(server)
    cpu = server.cpu_seconds()
    result = h.wrk(url, duration=duration, connections=cfg["connections"], timeout=10)
    cpu = server.cpu_seconds() - cpu
    if result["requests"]:
        result["server_cpu_ms_per_request"] = round(cpu * 1000 / result["requests"], 3)
    settle(server)
    return result


def latency_servers(spec: h.ServerSpec, env: dict[str, str]) -> list[h.Server]:
    """One server of one worker per worker of `spec`, on ports of their own: each latency
    connection then has a worker to itself. (One server of W workers hands its W keep-alive
    connections to workers at random, and half the runs put both of two on one worker: the
    requests then queue behind each other and p50 doubles; decision 0019.)"""
    single = dataclasses.replace(spec, workers=1)
    servers: list[h.Server] = []
    try:
        for _ in range(spec.workers):
            servers.append(h.Server(single, env).start())
    except Exception:
        for server in servers:
            server.stop()
        raise
    return servers


def measure_latency(servers: list[h.Server], path: str, cfg: dict[str, Any]) -> dict[str, Any]:
    """Response times without queueing: one connection to each single-worker server, all at
    once, so every request finds its worker free while the others run beside it
    (docs/decisions/0016-latency-at-worker-concurrency.md, 0019). Every request bypasses the
    shared response cache (a miss: the view's whole work); the database's own caches are warm
    from the throughput run of the same path just before. wrk reports percentiles, not
    samples: each percentile here is the highest of the runs' (never better than any one)."""
    for server in servers:  # the worker's first requests import and compile what the path needs
        for _ in range(3):
            h.fetch(server.base_url + path)
    with concurrent.futures.ThreadPoolExecutor(len(servers)) as pool:
        runs = list(
            pool.map(
                lambda server: h.wrk(
                    server.base_url + path,
                    threads=1,
                    connections=1,
                    duration=cfg["latency_duration"],
                    timeout=10,
                    script_args=["uncached"],
                ),
                servers,
            )
        )
    for server in servers:
        settle(server)
    seconds = max(run["duration_us"] for run in runs) / 1e6
    requests = sum(run["requests"] for run in runs)
    return {
        "requests": requests,
        "req_per_s": round(requests / seconds, 1) if seconds else 0.0,
        "latency_ms": {k: max(run["latency_ms"][k] for run in runs) for k in runs[0]["latency_ms"]},
        "errors": {k: sum(run["errors"][k] for run in runs) for k in runs[0]["errors"]},
        "load_before": runs[0]["load_before"],
        "load_after": runs[0]["load_after"],
        "wrk": {
            "servers": len(runs),
            "workers_each": 1,
            "threads": 1,
            "connections_each": 1,
            "duration_s": runs[0]["wrk"]["duration_s"],
        },
        "runs": [
            {k: run[k] for k in ("requests", "req_per_s", "latency_ms", "errors")} for run in runs
        ],
    }


def latency_verdict(row: dict[str, Any]) -> bool | None:
    """p95 at worker concurrency within the endpoint's latency target, with no errors (None:
    no target). A page too slow to measure misses it."""
    target = row.get("latency_target_ms")
    if target is None:
        return None
    latency = row.get("latency")
    if not latency:
        return False if row.get("state") == "too slow" else None
    errors = sum(latency["errors"].values())
    return bool(latency["latency_ms"]["p95"] <= target and not errors)


# A page that takes longer than this alone is not put under load: 50 connections would only
# queue behind it until wrk's timeout, and the server would still be busy with them long after.
SLOW_SECONDS = 0.5
PROBE_TIMEOUT = 60


def probe(server: h.Server, path: str) -> tuple[int, int, float]:
    """Two sequential requests (the first one warms); status, size and the faster time."""
    times = []
    status, size = 0, 0
    for _ in range(2):
        started = time.perf_counter()
        status, body, _ = h.fetch(server.base_url + path, timeout=PROBE_TIMEOUT)
        times.append(time.perf_counter() - started)
        size = len(body)
        if status != 200 or times[-1] > PROBE_TIMEOUT / 2:
            break
    return status, size, min(times)


def endpoint_session(
    spec: h.ServerSpec,
    env: dict[str, str],
    endpoints: list[dict[str, Any]],
    values: dict[str, Any],
    cfg: dict[str, Any],
    duration: float,
    *,
    latency: bool = True,
) -> dict[str, Any]:
    """One server, every endpoint; ceiling first and last. `latency`: also the runs at
    worker concurrency, for the ceiling and the endpoints with a `latency_target_ms`."""
    h.flush_redis()
    rows: list[dict[str, Any]] = []
    server = h.Server(spec, env).start()
    pinned: list[h.Server] = []
    ceiling_latency: dict[str, Any] | None = None
    try:
        ceiling_runs = [measure(server, "/bench/ceiling", cfg, duration)]
        h.log(f"  ceiling {ceiling_runs[0]['req_per_s']:,.0f} req/s")
        if latency:
            pinned = latency_servers(spec, env)
            ceiling_latency = measure_latency(pinned, "/bench/ceiling", cfg)
            h.log(
                f"  ceiling at {spec.workers} workers × 1 connection: "
                f"p95 {ceiling_latency['latency_ms']['p95']:.1f} ms"
            )
        for ep in endpoints:
            if ep["name"] == "ceiling":
                continue
            row: dict[str, Any] = {
                "name": ep["name"],
                "kind": ep["kind"],
                "path_template": ep["path"],
                "target": ep.get("target"),
            }
            if latency and ep.get("latency_target_ms") is not None:
                row["latency_target_ms"] = ep["latency_target_ms"]
            rows.append(row)
            path = resolve(ep["path"], values)
            if path is None:
                row["state"] = "absent" if ep.get("optional") else "error"
                row["note"] = "no value for a placeholder"
                continue
            row["path"] = path
            try:
                status, size, single = probe(server, path)
            except TimeoutError:
                status, size, single = 0, 0, float(PROBE_TIMEOUT)
            row.update(status=status, bytes=size, single_request_ms=round(single * 1000, 1))
            if status == 404 and ep.get("optional"):
                row["state"] = "absent"
                continue
            if status != 200 or single > SLOW_SECONDS:
                if status == 0:
                    row.update(
                        state="too slow",
                        note=f"one request took over {PROBE_TIMEOUT} s",
                        timed_out=True,
                    )
                elif status != 200:
                    row.update(state="error", note=f"HTTP {status}")
                else:
                    row.update(
                        state="too slow",
                        note=f"one request alone takes {single:.1f} s; not loaded",
                        req_per_s_estimate=round(spec.workers / single, 2),
                    )
                h.log(f"  {ep['name']:<26} {row['state']}: {row['note']}")
                if status == 0 or single > SLOW_SECONDS:
                    server.stop()  # nothing left running from it in the next measurement
                    server = h.Server(spec, env).start()
                continue
            result = measure(server, path, cfg, duration)
            row.update(state="measured", **result)
            errors = sum(result["errors"].values())
            h.log(
                f"  {ep['name']:<26} {result['req_per_s']:>8,.0f} req/s  "
                f"p99 {result['latency_ms']['p99']:>7.1f} ms  errors {errors}"
            )
            if "latency_target_ms" in row:
                row["latency"] = measure_latency(pinned, path, cfg)
                h.log(
                    f"  {ep['name']:<26} at {spec.workers} workers × 1 connection: p95 "
                    f"{row['latency']['latency_ms']['p95']:.1f} ms "
                    f"(target ≤ {row['latency_target_ms']:g} ms)"
                )
        ceiling_runs.append(measure(server, "/bench/ceiling", cfg, duration))
        h.log(f"  ceiling {ceiling_runs[1]['req_per_s']:,.0f} req/s (end of session)")
    finally:
        server.stop()
        for single in pinned:
            single.stop()
    ceiling = sum(r["req_per_s"] for r in ceiling_runs) / len(ceiling_runs)
    for row in rows:
        met = latency_verdict(row)
        if met is not None:
            row["meets_latency_target"] = met
        if row.get("target") is not None and row.get("state") in ("measured", "too slow"):
            row["meets_target"] = False
        if row.get("state") == "measured":
            row["ratio"] = round(row["req_per_s"] / ceiling, 3) if ceiling else None
            errors = sum(row["errors"].values())
            if row["target"] is not None:
                row["meets_target"] = bool(
                    row["ratio"] is not None and row["ratio"] >= row["target"] and not errors
                )
    ceiling_out: dict[str, Any] = {"req_per_s": round(ceiling, 1), "runs": ceiling_runs}
    if ceiling_latency is not None:
        ceiling_out["latency"] = ceiling_latency
    return {"server": spec.label, "ceiling": ceiling_out, "endpoints": rows}


def compare_servers(
    env: dict[str, str], endpoints: list[dict[str, Any]], values: dict[str, Any], cfg: dict
) -> list[dict[str, Any]]:
    """Every server configuration on the same endpoints, in rounds (the second in reverse
    order, so a machine that gets busier or quieter during the comparison favours no one);
    per configuration the mean of its rounds."""
    chosen = [e for e in endpoints if e.get("compare")]
    specs = [
        spec
        for workers in cfg["compare_workers"]
        for spec in (
            h.ServerSpec("granian", workers),
            h.ServerSpec("gunicorn-sync", workers),
            h.ServerSpec("gunicorn-gthread", workers, threads=2),
        )
    ]
    runs: dict[str, list[dict[str, Any]]] = {spec.label: [] for spec in specs}
    for round_no in range(cfg["compare_rounds"]):
        for spec in specs if round_no % 2 == 0 else list(reversed(specs)):
            h.log(f"server comparison, round {round_no + 1}: {spec.label}")
            duration = cfg["compare_duration"]
            runs[spec.label].append(
                endpoint_session(spec, env, chosen, values, cfg, duration, latency=False)
            )
    return [mean_session(spec, runs[spec.label]) for spec in specs]


def mean_session(spec: h.ServerSpec, sessions: list[dict[str, Any]]) -> dict[str, Any]:
    def mean(values: list[float]) -> float:
        return round(sum(values) / len(values), 1)

    ceiling = mean([s["ceiling"]["req_per_s"] for s in sessions])
    rows = []
    for first in sessions[0]["endpoints"]:
        same = [r for s in sessions for r in s["endpoints"] if r["name"] == first["name"]]
        if not all(r.get("state") == "measured" for r in same):
            rows.append(first)
            continue
        rate = mean([r["req_per_s"] for r in same])
        latency = {
            k: mean([r["latency_ms"][k] for r in same]) for k in ("p50", "p90", "p95", "p99")
        }
        errors = {k: sum(r["errors"][k] for r in same) for k in first["errors"]}
        cpu = [r["server_cpu_ms_per_request"] for r in same if "server_cpu_ms_per_request" in r]
        rows.append(
            {
                **{k: first[k] for k in ("name", "kind", "path", "target", "state")},
                "server_cpu_ms_per_request": round(sum(cpu) / len(cpu), 3) if cpu else None,
                "req_per_s": rate,
                "latency_ms": latency,
                "errors": errors,
                "ratio": round(rate / ceiling, 3) if ceiling else None,
            }
        )
    ceiling_cpu = [
        run["server_cpu_ms_per_request"]
        for s in sessions
        for run in s["ceiling"]["runs"]
        if "server_cpu_ms_per_request" in run
    ]
    ceiling_latency = {
        k: mean([run["latency_ms"][k] for s in sessions for run in s["ceiling"]["runs"]])
        for k in ("p50", "p90", "p95", "p99")
    }
    return {
        "server": spec.label,
        "kind": spec.kind,
        "workers": spec.workers,
        "rounds": len(sessions),
        "ceiling": {
            "req_per_s": ceiling,
            "runs": [
                {
                    "latency_ms": ceiling_latency,
                    "server_cpu_ms_per_request": round(sum(ceiling_cpu) / len(ceiling_cpu), 3)
                    if ceiling_cpu
                    else None,
                }
            ],
        },
        "endpoints": rows,
        "sessions": sessions,
    }


def run_rush(name: str, out: Path, *, control: bool = False) -> dict[str, Any]:
    """bench/rush.py in its own process; `control`: the negative control (--local-cache)."""
    target = out / f"rush-{name}{'-control' if control else ''}.json"
    extra = ["--local-cache"] if control else []
    proc = subprocess.run(  # noqa: S603
        [str(h.PYTHON), str(h.BENCH / "rush.py"), name, *extra, "--json", str(target)],
        cwd=h.ROOT,
    )
    result: dict[str, Any] = json.loads(target.read_text())
    target.unlink()
    result["exit_code"] = proc.returncode
    return result


def run_in_clean_checkout(raw_args: list[str], *, out: Path | None, docs: Path) -> int:
    """Run this same command in a fresh `git worktree` of HEAD (other work in progress in the
    working tree cannot break or change the measurement), linking the virtualenv and
    node_modules, with compiled messages; results and docs are written back here."""
    tree = h.VAR / "checkout"

    def git(*a: str) -> None:
        subprocess.run(["git", *a], cwd=h.ROOT, check=True)  # noqa: S603, S607

    if tree.exists():
        git("worktree", "remove", "--force", str(tree))
    git("worktree", "add", "--detach", str(tree), "HEAD")
    try:
        for name in (".venv", "node_modules"):
            if (h.ROOT / name).exists():
                (tree / name).symlink_to(h.ROOT / name)
        env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
        subprocess.run(  # noqa: S603
            [str(h.PYTHON), "manage.py", "compilemessages", "--ignore=.venv", "-v", "0"],
            cwd=tree,
            env={**env, "DJANGO_SETTINGS_MODULE": "culturecloud.settings"},
            check=True,
        )
        args = [a for a in raw_args if a != "--clean-checkout"]
        env["BENCH_COMMAND"] = " ".join(raw_args)
        cmd = [str(h.PYTHON), str(tree / "bench" / "run.py"), *args]
        cmd += ["--docs-file", str(docs)]
        if out is None:
            profile = "full"
            if "--profile" in args:
                profile = args[args.index("--profile") + 1]
            cmd += ["--out", str(PROFILES[profile]["out"])]
        return subprocess.run(cmd, cwd=tree, env=env).returncode  # noqa: S603
    finally:
        git("worktree", "remove", "--force", str(tree))


# --- main ---------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--profile", choices=sorted(PROFILES), default="full")
    parser.add_argument("--sizes", help="comma-separated, from " + ", ".join(SIZES))
    parser.add_argument("--duration", type=float, help="seconds per measured wrk run")
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--server", default="granian", choices=["granian", "gunicorn-sync"])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--only", help="comma-separated endpoint names (plus the ceiling)")
    parser.add_argument(
        "--compare", action=argparse.BooleanOptionalAction, help="granian vs gunicorn"
    )
    parser.add_argument("--no-rush", action="store_true")
    parser.add_argument("--rush", help="comma-separated scenarios instead of the profile's")
    parser.add_argument("--fresh", action="store_true", help="rebuild the scratch databases")
    parser.add_argument("--out", type=Path, help="directory of the result JSON")
    parser.add_argument("--docs", action=argparse.BooleanOptionalAction, default=None)
    parser.add_argument("--docs-from", type=Path, help="only rewrite the tables from a result")
    parser.add_argument("--docs-file", type=Path, default=report.DOC, help=argparse.SUPPRESS)
    parser.add_argument(
        "--clean-checkout",
        action="store_true",
        help="measure a clean checkout of HEAD (a git worktree under var/bench/), not the "
        "working tree; results and docs still go to this tree",
    )
    args = parser.parse_args(argv)
    raw_args = list(argv if argv is not None else sys.argv[1:])
    if args.clean_checkout:
        return run_in_clean_checkout(raw_args, out=args.out, docs=args.docs_file)

    if args.docs_from:
        report.update_docs(json.loads(args.docs_from.read_text()), args.docs_from, args.docs_file)
        return 0

    cfg = dict(PROFILES[args.profile])
    cfg["connections"] = args.connections
    if args.sizes:
        cfg["sizes"] = [s.strip() for s in args.sizes.split(",") if s.strip()]
        unknown = set(cfg["sizes"]) - set(SIZES)
        if unknown:
            parser.error(f"unknown sizes {sorted(unknown)}")
    if args.duration:
        cfg["duration"] = cfg["compare_duration"] = cfg["latency_duration"] = args.duration
    if args.compare is not None:
        cfg["compare"] = args.compare
    if args.rush:
        cfg["rush"] = [s.strip() for s in args.rush.split(",") if s.strip()]
    if args.no_rush:
        cfg["rush"] = cfg["rush_controls"] = []
    if args.docs is not None:
        cfg["docs"] = args.docs
    out: Path = args.out or cfg["out"]
    out.mkdir(parents=True, exist_ok=True)

    h.ensure_wrk()
    endpoints = load_endpoints()
    if args.only:
        keep = {"ceiling", *args.only.split(",")}
        endpoints = [e for e in endpoints if e["name"] in keep]
    started = time.time()
    result: dict[str, Any] = {
        "profile": args.profile,
        "command": " ".join(["bench/run.py", *os.environ.get("BENCH_COMMAND", "").split()])
        if os.environ.get("BENCH_COMMAND")
        else " ".join(["bench/run.py", *raw_args]),
        "started": time.strftime("%Y-%m-%dT%H:%M:%S%z", time.localtime(started)),
        "machine": h.machine(),
        "git": h.git_state(),
        "load_at_start": h.loadavg(),
        "wrk": {
            "threads": 2,
            "connections": cfg["connections"],
            "duration_s": cfg["duration"],
            "warmup_s": cfg["warmup"],
            "timeout_s": 10,
        },
        # the runs for latency targets: no queueing (docs/decisions/0016-…)
        "latency_wrk": {
            "servers": args.workers,
            "workers_each": 1,
            "threads": 1,
            "connections_each": 1,
            "duration_s": cfg["latency_duration"],
        },
        "server": h.ServerSpec(args.server, args.workers).label,
        "sizes": [],
    }
    spec = h.ServerSpec(args.server, args.workers)
    first_env: dict[str, str] | None = None
    first_values: dict[str, Any] = {}
    for i, label in enumerate(cfg["sizes"]):
        db, info = prepare_database(label, fresh=args.fresh)
        env = h.server_env(db)
        if i == 0:
            h.log("collectstatic")
            h.manage(env, "collectstatic", "--noinput")
            first_env = env
        values = fixtures(env)
        if i == 0:
            first_values = values
        h.log(f"size {label}: {spec.label}, wrk -c{cfg['connections']} -d{cfg['duration']:g}s")
        session = endpoint_session(spec, env, endpoints, values, cfg, cfg["duration"])
        h.log("profile: each measured endpoint alone, in-process")
        profile(env, session["endpoints"])
        result["sizes"].append({"size": label, "rows": SIZES[label], **info, **session})

    if cfg["compare"] and first_env is not None:
        result["servers"] = compare_servers(first_env, endpoints, first_values, cfg)
        result["servers_size"] = cfg["sizes"][0]

    result["rush"] = [run_rush(name, out) for name in cfg["rush"]]
    result["rush"] += [run_rush(name, out, control=True) for name in cfg["rush_controls"]]
    result["load_at_end"] = h.loadavg()
    result["seconds"] = round(time.time() - started, 1)

    stamp = time.strftime("%Y%m%d-%H%M%S", time.localtime(started))
    path = out / f"{stamp}-{args.profile}.json"
    path.write_text(json.dumps(result, indent=1, ensure_ascii=False) + "\n")
    h.log(f"results: {path.relative_to(h.ROOT) if path.is_relative_to(h.ROOT) else path}")
    print(report.summary(result))
    if cfg["docs"]:
        report.update_docs(result, path, args.docs_file)
        h.log("docs/performance.md: tables rewritten")
    # Failures: a broken page (5xx, a placeholder with no value), a rush invariant, a control
    # that did not fail. Slowness is reported, never a failure (absolute times drift).
    failed = [
        f"{size['size']} {row['name']} ({row.get('note', '')})"
        for size in result["sizes"]
        for row in size["endpoints"]
        if row.get("state") == "error"
    ]
    failed += [r["scenario"] for r in result["rush"] if not r["control"] and not r["ok"]]
    failed += [f"{r['scenario']} control" for r in result["rush"] if r["control"] and r["ok"]]
    if failed:
        h.log(f"FAILED: {'; '.join(failed)}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
