"""What a staff list of resources costs for the widest scope: an editor of the national
centre, whose scope is the whole library.

    .venv/bin/python bench/staff_lists.py --db cc_bench_1m

Logs in a temporary editor of the national centre inside a transaction that is rolled back
at the end (the scratch database is left as it was), then requests the staff API and the
workbench list in-process, --repeat times each after one warm-up: fastest and median.
"""

from __future__ import annotations

import argparse
import logging
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PATHS = ("/api/v1/resources/staff", "/resources/manage/")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", required=True, help="scratch database, e.g. cc_bench_1m")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    from bench import harness

    os.environ.update(harness.server_env(args.db))
    os.environ["PUBLIC_RESPONSE_CACHE"] = "0"
    import django

    django.setup()
    logging.disable(logging.INFO)

    from django.contrib.auth import get_user_model
    from django.db import transaction
    from django.test import Client

    from culturecloud.institutions.models import Institution, Membership, Role

    with transaction.atomic():
        editor = get_user_model().objects.create_user(username="bench-staff-lists")
        national = Institution.objects.get(depth=0)
        Membership.objects.create(user=editor, institution=national, role=Role.EDITOR)
        client = Client(HTTP_HOST="127.0.0.1")
        client.force_login(editor)
        for path in PATHS:
            first = client.get(path)
            if first.status_code != 200:
                print(f"{path}: HTTP {first.status_code}")
                continue
            times = []
            for _ in range(args.repeat):
                started = time.perf_counter()
                client.get(path)
                times.append(time.perf_counter() - started)
            print(
                f"{path}: fastest {min(times) * 1000:.1f} ms, "
                f"median {statistics.median(times) * 1000:.1f} ms"
            )
        transaction.set_rollback(True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
