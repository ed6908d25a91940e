"""Chinese search at 10k → 1M documents: index build time and query latency by query class.

    createdb -h 127.0.0.1 -U postgres cc_search_bench     # a scratch database
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/cc_search_bench \\
        nice .venv/bin/python bench/search_scale.py --sizes 10000,100000,1000000

Without DATABASE_URL it runs on a scratch SQLite file (var/search-bench.sqlite3).
The index grows from one size to the next (synthetic records of bench/search_corpus.py,
indexed through the search backend in batches, exactly as `manage.py reindex` writes them),
then `VACUUM ANALYZE`, then every query class runs through `culturecloud.search.query.search`
— the function behind the API and the page, facets and snippets included — one query at a
time (no caching anywhere). Query terms are picked by their document frequency, measured on
the first 20,000 records (the same generator, so the same distribution):

  common   a term in 7–15 % of the records         medium   0.7–1.5 %
  rare     0.005–0.05 %                             two      two common terms (AND)
  char     one character (title / tag unigrams)     trad     a common or medium term in
  filtered common term + region / category / type            traditional characters
  newest   medium term, newest first                views    common term, most viewed first
  browse   no words, a category, newest first

Writes bench/results/search-scale-<vendor>.json (one entry per size).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(BENCH))
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "culturecloud.settings")
if not os.environ.get("DATABASE_URL"):
    os.environ.setdefault("CULTURECLOUD_VAR_DIR", str(ROOT / "var" / "search-bench"))

import django  # noqa: E402

django.setup()

import opencc  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from search_corpus import Generator, Record  # noqa: E402

from culturecloud.institutions.models import Institution  # noqa: E402
from culturecloud.search import registry  # noqa: E402
from culturecloud.search.backends import get_backend  # noqa: E402
from culturecloud.search.models import SearchDocument  # noqa: E402
from culturecloud.search.query import search  # noqa: E402
from culturecloud.search.registry import Document  # noqa: E402
from culturecloud.search.segmentation import index_terms  # noqa: E402
from culturecloud.search.types import Filters  # noqa: E402

DOC_TYPE = "bench.record"
SAMPLE = 20_000
PROVINCES = [f"{p:02d}" for p in (11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37)]


def log(*args: object) -> None:
    print(time.strftime("%H:%M:%S"), *args, flush=True)


def institutions() -> list[Institution]:
    rows = list(Institution.objects.all()[:3000])
    if len(rows) < 100:
        from culturecloud.core.management.scale import seed_scale

        seed_scale(institutions=2000, users=0, batch=5000)
        rows = list(Institution.objects.all()[:3000])
    return rows


def to_document(r: Record, inst: Institution, region: str) -> Document:
    return Document(
        doc_type=DOC_TYPE,
        object_id=r.n,
        title=r.title,
        subject=r.subject,
        body=r.body,
        url=f"/r/{r.n}",
        institution=inst,
        region_code=region,
        category=r.category,
        kind=r.kind,
        language=r.language,
        year=r.year,
        facets={"ich_category": [r.ich_category]} if r.ich_category else {},
        published_at=r.published_at,
        popularity=r.popularity,
    )


def grow(target: int, gen: Generator, insts: list[Institution], batch: int) -> dict:
    """Index records count..target-1; returns timings."""
    backend = get_backend()
    have = SearchDocument.objects.filter(doc_type=DOC_TYPE).count()
    if have > target:
        raise SystemExit(f"the database already has {have} records (> {target}); use a new one")
    rng = random.Random(have)
    # the generator is deterministic: skip what is already indexed
    for n in range(getattr(gen, "done", 0), have):
        gen.record(n)
    gen.done = target  # type: ignore[attr-defined]
    chars = 0
    started = time.perf_counter()
    for start in range(have, target, batch):
        docs = []
        for n in range(start, min(start + batch, target)):
            r = gen.record(n)
            chars += len(r.title) + len(r.subject) + len(r.body)
            inst = insts[rng.randrange(len(insts))]
            region = rng.choice(PROVINCES) + f"{rng.randrange(1, 15):02d}{rng.randrange(1, 20):02d}"
            docs.append(to_document(r, inst, region))
        backend.index(docs)
        if (start // batch) % 50 == 0:
            rate = (start + batch - have) / (time.perf_counter() - started)
            log(f"  indexed {start + batch:,} ({rate:,.0f} records/s)")
    index_s = time.perf_counter() - started
    started = time.perf_counter()
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("VACUUM ANALYZE search_searchdocument")
        else:
            cursor.execute("ANALYZE")
    analyze_s = time.perf_counter() - started
    return {
        "added": target - have,
        "characters": chars,
        "index_seconds": round(index_s, 1),
        "records_per_s": round((target - have) / index_s) if target > have else None,
        "analyze_seconds": round(analyze_s, 1),
    }


def sizes() -> dict:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT c.relname, pg_total_relation_size(c.oid) FROM pg_class c "
                "WHERE c.relname IN ('search_searchdocument', 'search_doc_tsv', "
                "'search_doc_popular', 'search_doc_newest')"
            )
            rows = dict(cursor.fetchall())
            cursor.execute("SELECT pg_relation_size('search_searchdocument')")
            heap = cursor.fetchone()[0]
            return {
                "table_heap_mb": round(heap / 2**20, 1),
                "table_total_mb": round(rows["search_searchdocument"] / 2**20, 1),
                "gin_mb": round(rows["search_doc_tsv"] / 2**20, 1),
            }
        cursor.execute("PRAGMA page_count")
        pages = cursor.fetchone()[0]
        cursor.execute("PRAGMA page_size")
        return {"database_mb": round(pages * cursor.fetchone()[0] / 2**20, 1)}


def term_frequencies() -> tuple[Counter, Counter, int]:
    """Document frequency of index terms and of title/tag characters on the first records."""
    gen = Generator(seed=1)
    words: Counter = Counter()
    chars: Counter = Counter()
    for n in range(SAMPLE):
        r = gen.record(n)
        title = set(index_terms(r.title, unigrams=True)) | set(
            index_terms(r.subject, unigrams=True)
        )
        terms = title | set(index_terms(r.body))
        words.update(t for t in terms if len(t) > 1)
        chars.update(t for t in title if len(t) == 1)
    return words, chars, SAMPLE


def pick(counter: Counter, total: int, low: float, high: float, k: int, rng: random.Random):
    found = sorted(t for t, c in counter.items() if low <= c / total <= high)
    rng.shuffle(found)
    return found[:k]


def query_mix(per_class: int) -> dict[str, list[dict]]:
    words, chars, total = term_frequencies()
    rng = random.Random(5)
    common = pick(words, total, 0.07, 0.15, per_class, rng)
    medium = pick(words, total, 0.007, 0.015, per_class, rng)
    rare = pick(words, total, 0.00005, 0.0005, per_class, rng)
    one = pick(chars, total, 0.01, 0.20, per_class, rng)
    s2t = opencc.OpenCC("s2t")
    trad = [t for t in (s2t.convert(w) for w in common + medium) if t not in words][:per_class]
    cats = ["music", "dance", "opera", "craft"]
    mix: dict[str, list[dict]] = {
        "common": [{"q": t} for t in common],
        "medium": [{"q": t} for t in medium],
        "rare": [{"q": t} for t in rare],
        "two": [{"q": f"{a} {b}"} for a, b in zip(common, common[1:] + common[:1], strict=True)],
        "char": [{"q": t} for t in one],
        "trad": [{"q": t} for t in trad],
        "filtered": [
            {"q": t, "filters": {"region_prefix": rng.choice(PROVINCES)}}
            if i % 2 == 0
            else {"q": t, "filters": {"category": rng.choice(cats)}}
            for i, t in enumerate(common)
        ],
        "newest": [{"q": t, "sort": "newest"} for t in medium],
        "views": [{"q": t, "sort": "views"} for t in common],
        "browse": [
            {"q": "", "sort": "newest", "filters": {"category": c}} for c in cats * per_class
        ][:per_class],
    }
    return mix


def run_query(spec: dict) -> tuple[float, int, bool]:
    started = time.perf_counter()
    results = search(
        spec["q"],
        filters=Filters(**spec.get("filters", {})),
        sort=spec.get("sort", "relevance"),
    )
    return (time.perf_counter() - started) * 1000, results.total, results.total_is_capped


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(p / 100 * len(ordered) + 0.5) - 1))
    return round(ordered[index], 2)


def baseline(runs: int = 200) -> dict:
    """One primary-key read through the ORM: what the machine gives any query right now
    (the other helpers share the 2 cores), to read the search times against."""
    first = SearchDocument.objects.order_by("pk").values_list("pk", flat=True).first()
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        SearchDocument.objects.filter(pk=first).values_list("title", flat=True).first()
        times.append((time.perf_counter() - started) * 1000)
    return {"p50_ms": percentile(times, 50), "p95_ms": percentile(times, 95)}


def measure(mix: dict[str, list[dict]], repeat: int) -> dict:
    result: dict[str, dict] = {"baseline_pk_read": baseline()}
    everything: list[float] = []
    for name, specs in mix.items():
        times: list[float] = []
        totals: list[str] = []
        for spec in specs:
            run_query(spec)  # warm the cache of this query's pages once
            for _ in range(repeat):
                ms, total, capped = run_query(spec)
                times.append(ms)
            totals.append(f"{total}{'+' if capped else ''}")
        everything.extend(times)
        result[name] = {
            "queries": len(specs),
            "runs": len(times),
            "p50_ms": percentile(times, 50),
            "p95_ms": percentile(times, 95),
            "max_ms": round(max(times), 2),
            "mean_ms": round(statistics.mean(times), 2),
            "example_queries": [s["q"] for s in specs[:4]],
            "example_totals": totals[:6],
        }
        row = result[name]
        log(f"  {name:9s} p50 {row['p50_ms']:7.2f} ms  p95 {row['p95_ms']:7.2f} ms")
    result["baseline_pk_read_after"] = baseline()
    result["all"] = {
        "runs": len(everything),
        "p50_ms": percentile(everything, 50),
        "p95_ms": percentile(everything, 95),
        "max_ms": round(max(everything), 2),
    }
    log(f"  ALL       p50 {result['all']['p50_ms']:7.2f} ms  p95 {result['all']['p95_ms']:7.2f} ms")
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--per-class", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--out", default="")
    parser.add_argument("--build-only", action="store_true", help="grow the index, do not measure")
    parser.add_argument(
        "--measure-only", action="store_true", help="measure the index as it is (one size)"
    )
    args = parser.parse_args()

    from django.conf import settings

    settings.SEARCH_CANDIDATES = int(os.environ.get("SEARCH_CANDIDATES", "1000"))
    call_command("migrate", verbosity=0)
    registry.register_facet("ich_category", label="ICH category")
    insts = institutions()
    gen = Generator(seed=1)
    mix = query_mix(args.per_class)
    vendor = connection.vendor
    out = Path(args.out or BENCH / "results" / f"search-scale-{vendor}.json")
    report = json.loads(out.read_text()) if out.exists() else {}
    report["machine"] = f"{platform.machine()}, {os.cpu_count()} CPUs, {platform.platform()}"
    report["candidates"] = int(os.environ.get("SEARCH_CANDIDATES", "1000"))
    if vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT version()")
            report["database"] = cursor.fetchone()[0]
    report.setdefault("runs", {})
    for size in [int(s) for s in args.sizes.split(",")]:
        entry = report["runs"].get(str(size), {})
        if not args.measure_only:
            log(f"size {size:,}: indexing")
            entry["build"] = grow(size, gen, insts, args.batch)
            entry["sizes"] = sizes()
            log(f"  build {entry['build']} {entry['sizes']}")
        if not args.build_only:
            count = SearchDocument.objects.filter(doc_type=DOC_TYPE).count()
            if count != size:
                raise SystemExit(f"the index holds {count:,} records, not {size:,}")
            entry["load_before"] = os.getloadavg()
            entry["latency"] = measure(mix, args.repeat)
            entry["load_after"] = os.getloadavg()
            entry["measured_at"] = time.strftime("%Y-%m-%d %H:%M")
        report["runs"][str(size)] = entry
        out.parent.mkdir(exist_ok=True)
        out.write_text(json.dumps(report, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        log(f"wrote {out}")


if __name__ == "__main__":
    main()
