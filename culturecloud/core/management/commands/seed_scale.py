from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from culturecloud.core.management.scale import seed_scale


class Command(BaseCommand):
    help = (
        "Bulk-create institutions (a synthetic tree under the national centre) and users "
        "for benchmarks. COPY on PostgreSQL, bulk_create on SQLite. Not for production data."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--institutions", type=int, default=0, help="How many institutions.")
        parser.add_argument("--users", type=int, default=0, help="How many users.")
        parser.add_argument(
            "--batch", type=int, default=5000, help="Rows per write and per user transaction."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        institutions, users, batch = options["institutions"], options["users"], options["batch"]
        if institutions < 0 or users < 0:
            raise CommandError("--institutions and --users must not be negative.")
        if batch < 1:
            raise CommandError("--batch must be at least 1.")
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
