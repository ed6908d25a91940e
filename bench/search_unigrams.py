"""What single-character terms (unigrams) cost on PostgreSQL, and what they find.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/cc_search_bench \\
        nice .venv/bin/python bench/search_unigrams.py --records 100000

Builds the same records' tsvector three ways in scratch tables (dropped afterwards):
  none      search-mode words only
  title     + every CJK character of the title and tags (what the search app does)
  all       + every CJK character of the body too
and reports each GIN index's size and build time, the heap size, and how many records a
one-character query finds each way. Writes bench/results/search-unigrams.json.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))
sys.path.insert(0, str(BENCH.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "culturecloud.settings")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from search_corpus import Generator  # noqa: E402

from culturecloud.search.backends.base import Row  # noqa: E402
from culturecloud.search.backends.postgres import tsvector_literal  # noqa: E402
from culturecloud.search.segmentation import index_terms  # noqa: E402

# Table names below are constants of this script; values go in as parameters.
# ruff: noqa: S608

VARIANTS = ("none", "title", "all")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=100_000)
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        raise SystemExit("set DATABASE_URL to a PostgreSQL scratch database")

    gen = Generator(seed=3)
    vectors: dict[str, list[str]] = {v: [] for v in VARIANTS}
    for n in range(args.records):
        r = gen.record(n)
        title = index_terms(r.title)
        subject = index_terms(r.subject)
        body = index_terms(r.body)
        title_u = index_terms(r.title, unigrams=True)
        subject_u = index_terms(r.subject, unigrams=True)
        body_u = index_terms(r.body, unigrams=True)
        vectors["none"].append(tsvector_literal(Row({}, title, subject, body)))
        vectors["title"].append(tsvector_literal(Row({}, title_u, subject_u, body)))
        vectors["all"].append(tsvector_literal(Row({}, title_u, subject_u, body_u)))

    rng = random.Random(1)
    chars = rng.sample("舞剧画歌乐书诗茶灯龙鼓琴戏曲艺文山水花鸟", 10)
    result: dict[str, object] = {"records": args.records, "query_characters": chars}
    with connection.cursor() as cursor:
        for variant in VARIANTS:
            table = f"bench_unigram_{variant}"
            cursor.execute(f"DROP TABLE IF EXISTS {table}")
            cursor.execute(f"CREATE TABLE {table} (id bigserial PRIMARY KEY, tsv tsvector)")
            rows = vectors[variant]
            for start in range(0, len(rows), 5000):
                cursor.execute(
                    f"INSERT INTO {table} (tsv) SELECT * FROM unnest(%s::text[]::tsvector[])",
                    [rows[start : start + 5000]],
                )
            started = time.perf_counter()
            cursor.execute(f"CREATE INDEX {table}_gin ON {table} USING gin (tsv)")
            build = time.perf_counter() - started
            cursor.execute(
                f"SELECT pg_relation_size('{table}'), pg_relation_size('{table}_gin'), "
                f"(SELECT avg(length(tsv)) FROM {table})"
            )
            heap, gin, lexemes = cursor.fetchone()
            found = {}
            for ch in chars:
                sql = f"SELECT count(*) FROM {table} WHERE tsv @@ %s::tsquery"
                cursor.execute(sql, [f"'{ch}'"])
                found[ch] = cursor.fetchone()[0]
            result[variant] = {
                "heap_mb": round(heap / 2**20, 1),
                "gin_mb": round(gin / 2**20, 1),
                "gin_build_s": round(build, 2),
                "lexemes_per_record": round(float(lexemes), 1),
                "one_character_matches": found,
            }
            print(variant, result[variant], flush=True)
            cursor.execute(f"DROP TABLE {table}")
    base = result["none"]["gin_mb"]  # type: ignore[index]
    for variant in ("title", "all"):
        gin = result[variant]["gin_mb"]  # type: ignore[index]
        result[variant]["gin_vs_none"] = f"+{round((gin / base - 1) * 100)} %"  # type: ignore[index]
    out = BENCH / "results" / "search-unigrams.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
