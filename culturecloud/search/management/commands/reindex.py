from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from culturecloud.core.errors import ServiceError
from culturecloud.search import services
from culturecloud.search.registry import doc_types


class Command(BaseCommand):
    help = (
        "Rebuild the search index from what is public now, batch by batch (searches keep "
        "working meanwhile), then remove what is no longer public."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--doc-type",
            default="",
            help=f"Only this type ({', '.join(sorted(doc_types())) or 'none registered'}).",
        )
        parser.add_argument("--batch", type=int, default=500, help="Objects per index write.")
        parser.add_argument(
            "--clear", action="store_true", help="Empty the index (of the type) first."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["batch"] < 1:
            raise CommandError("--batch must be at least 1.")
        verbose = options["verbosity"] >= 1
        started = time.monotonic()
        last_report = [started]

        def progress(doc_type: str, count: int) -> None:
            now = time.monotonic()
            if verbose and now - last_report[0] >= 2:
                last_report[0] = now
                rate = count / max(now - started, 1e-6)
                self.stdout.write(f"  {doc_type}: {count:,} indexed ({rate:,.0f}/s)")

        try:
            summary = services.reindex(
                doc_type=options["doc_type"] or None,
                batch_size=options["batch"],
                clear=options["clear"],
                progress=progress,
            )
        except ServiceError as exc:
            raise CommandError(exc.message) from exc
        for doc_type, counts in summary.items():
            self.stdout.write(
                self.style.SUCCESS(
                    f"{doc_type}: {counts['indexed']:,} indexed, {counts['removed']:,} removed "
                    f"({time.monotonic() - started:.1f} s)"
                )
            )
