from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from culturecloud.core.management.scale import seed_resources, seed_scale


class Command(BaseCommand):
    help = (
        "Bulk-create institutions (a synthetic tree under the national centre), users and "
        "published library resources with their search documents, for benchmarks. COPY on "
        "PostgreSQL, bulk_create on SQLite. Not for production data."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--institutions", type=int, default=0, help="How many institutions.")
        parser.add_argument("--users", type=int, default=0, help="How many users.")
        parser.add_argument(
            "--resources",
            type=int,
            default=0,
            help="How many published resources (with their search documents), spread over "
            "the active institutions.",
        )
        parser.add_argument(
            "--workers",
            type=int,
            default=None,
            help="Processes writing resources in parallel (PostgreSQL; default: the CPU "
            "count, at most 4, from 50,000 resources on).",
        )
        parser.add_argument(
            "--batch", type=int, default=5000, help="Rows per write and per user transaction."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        institutions, users, batch = options["institutions"], options["users"], options["batch"]
        resources = options["resources"]
        if institutions < 0 or users < 0 or resources < 0:
            raise CommandError("--institutions, --users and --resources must not be negative.")
        if batch < 1:
            raise CommandError("--batch must be at least 1.")
        if options["workers"] is not None and options["workers"] < 1:
            raise CommandError("--workers must be at least 1.")
        verbose = options["verbosity"] >= 1
        result = seed_scale(
            institutions=institutions,
            users=users,
            batch=batch,
            progress=self.stdout.write if verbose else None,
        )
        timings = ", ".join(f"{name} {seconds:.2f} s" for name, seconds in result.seconds.items())
        self.stdout.write(
            self.style.SUCCESS(
                f"Created {result.institutions} institutions, {result.users} users and "
                f"{result.memberships} memberships ({timings})."
            )
        )
        if resources:
            library = seed_resources(
                count=resources,
                batch=batch,
                workers=options["workers"],
                progress=self.stdout.write if verbose else None,
            )
            timings = ", ".join(f"{name} {s:.2f} s" for name, s in library.seconds.items())
            self.stdout.write(
                self.style.SUCCESS(
                    f"Created {library.resources} resources and {library.documents} search "
                    f"documents ({timings})."
                )
            )
